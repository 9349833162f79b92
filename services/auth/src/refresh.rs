//! Refresh tokens: `<tenant id>.<token id>.<secret>`, where only a SHA-256 of
//! the secret is stored. The ids let the server find the row without
//! scanning; the secret proves possession. Each use rotates the token.

use sha2::{Digest, Sha256};

/// A freshly minted refresh token and what to store of it.
pub struct NewRefreshToken {
    /// The random secret: 32 random bytes as 64 hex digits.
    pub secret: String,
    /// What to store: hex SHA-256 of the secret.
    pub secret_hash: String,
}

/// Mints a new secret.
pub fn mint() -> Result<NewRefreshToken, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(NewRefreshToken { secret_hash: hash(&secret), secret })
}

/// Hex SHA-256 of a secret.
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The token string handed to the client.
pub fn compose(tenant_id: &str, token_id: &str, secret: &str) -> String {
    format!("{tenant_id}.{token_id}.{secret}")
}

/// Splits a client's token into tenant id, token id and secret.
pub fn parse(token: &str) -> Option<(&str, &str, &str)> {
    let mut parts = token.splitn(3, '.');
    Some((parts.next()?, parts.next()?, parts.next()?))
        .filter(|(a, b, c)| !a.is_empty() && !b.is_empty() && !c.is_empty())
}

/// Constant-time comparison of a presented secret with a stored hash.
pub fn matches(secret: &str, stored_hash: &str) -> bool {
    let presented = hash(secret);
    presented.len() == stored_hash.len()
        && presented.bytes().zip(stored_hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
