//! API keys of data sources (role `device`): `svk_<key id>_<secret>`. The
//! key id finds the stored row without a scan; the secret (32 random bytes)
//! proves possession, and only its SHA-256 is stored, as for refresh tokens
//! (a secret of 256 random bits needs no slow hash). The prefix tells a key
//! apart from an access token at a glance, in a log or a secret scanner.

use crate::refresh;

/// What every key starts with.
pub const PREFIX: &str = "svk_";

/// A freshly minted key and what to store of it.
pub struct NewApiKey {
    /// The key to hand over once: it is never shown again.
    pub key: String,
    /// What to store: hex SHA-256 of the secret.
    pub secret_hash: String,
}

/// Mints a key for the key id `key_id` (letters, digits and `-` only).
pub fn mint(key_id: &str) -> Result<NewApiKey, getrandom::Error> {
    let secret = refresh::mint()?;
    Ok(NewApiKey { key: format!("{PREFIX}{key_id}_{}", secret.secret), secret_hash: secret.secret_hash })
}

/// Splits a presented key into its key id and secret; `None` for anything that is not a key.
pub fn parse(key: &str) -> Option<(&str, &str)> {
    let (key_id, secret) = key.strip_prefix(PREFIX)?.split_once('_')?;
    let well_formed = !key_id.is_empty()
        && key_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && secret.len() == 64
        && secret.chars().all(|c| c.is_ascii_hexdigit());
    well_formed.then_some((key_id, secret))
}

/// Whether a presented secret is the one whose hash is stored (in constant time).
pub fn matches(secret: &str, stored_hash: &str) -> bool {
    refresh::matches(secret, stored_hash)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_minted_key_parses_back_and_matches_only_its_own_hash() {
        let minted = mint("019ad3a4-5271-7434-9091-9d1b18e773d7").unwrap();
        let (key_id, secret) = parse(&minted.key).unwrap();
        assert_eq!(key_id, "019ad3a4-5271-7434-9091-9d1b18e773d7");
        assert!(matches(secret, &minted.secret_hash));
        let other = mint("x").unwrap();
        assert!(!matches(secret, &other.secret_hash));
    }

    #[test]
    fn what_is_not_a_key_does_not_parse() {
        let secret = "a".repeat(64);
        for text in [
            String::new(),
            "svk_".into(),
            format!("svk__{secret}"),
            format!("svk_id_{}", "a".repeat(63)),
            format!("svk_id_{}", "g".repeat(64)),
            format!("svk_i.d_{secret}"),
            format!("sk_id_{secret}"),
            "eyJhbGciOiJFZERTQSJ9.e30.sig".into(),
        ] {
            assert_eq!(parse(&text), None, "{text}");
        }
        assert_eq!(parse(&format!("svk_id_{secret}")), Some(("id", secret.as_str())));
    }
}
