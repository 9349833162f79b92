//! Staff passwords: argon2id with the crate's default (OWASP-recommended)
//! parameters, stored as PHC strings, so parameters can be raised later
//! without invalidating the hashes already stored.
//!
//! Hashing takes tens of milliseconds of CPU on purpose: callers in async
//! code run it on a blocking thread.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest password accepted, in characters (NIST SP 800-63B asks at least 8; staff hold children's data).
pub const MIN_CHARS: usize = 12;
/// Longest password accepted, in characters: enough for any passphrase, short enough to hash cheaply.
pub const MAX_CHARS: usize = 128;

/// Why a password was not accepted or could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too short or too long.
    #[error("a password must be {MIN_CHARS} to {MAX_CHARS} characters")]
    Length,
    /// The hasher failed (no randomness for the salt).
    #[error("hashing failed: {0}")]
    Hashing(String),
}

/// The PHC string (argon2id, random salt) of an acceptable password.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if !(MIN_CHARS..=MAX_CHARS).contains(&password.chars().count()) {
        return Err(PasswordError::Length);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the stored PHC string. With no stored hash
/// (an unknown account, or one without a password yet) it hashes a fixed
/// dummy all the same and answers no, so that the time taken does not tell
/// which accounts exist.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = || DUMMY.get_or_init(|| hash("a password nobody has").unwrap_or_default()).as_str();
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or_else(dummy)) else {
        return false;
    };
    let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    matches && stored.is_some()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("correct horse batterY", Some(&stored)));
        assert!(!verify("correct horse battery", None));
        assert_ne!(stored, hash("correct horse battery").unwrap(), "a fresh salt each time");
    }

    #[test]
    fn too_short_and_too_long_passwords_are_refused() {
        assert!(matches!(hash("short"), Err(PasswordError::Length)));
        assert!(matches!(hash(&"x".repeat(MAX_CHARS + 1)), Err(PasswordError::Length)));
        assert!(hash(&"é".repeat(MIN_CHARS)).is_ok(), "characters, not bytes");
    }
}
