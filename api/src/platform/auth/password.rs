//! Password hashing with argon2id, off the async workers (it is deliberately slow).

use std::sync::OnceLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::platform::error::ApiError;

pub const MIN_PASSWORD_CHARS: usize = 12;

/// Checks the password policy; the message tells the user what to change.
pub fn check_policy(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters (got {chars})"
        ));
    }
    if chars > 256 {
        return Err("must be at most 256 characters".into());
    }
    Ok(())
}

/// Hashes synchronously; use [`hash`] from async code.
pub fn hash_blocking(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// A hash of nothing anyone knows, verified against when the account does not exist so
/// that a login for an unknown email takes as long as one with a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 24];
        rand::fill(&mut random);
        hash_blocking(&hex::encode(random)).unwrap_or_default()
    })
}

/// True when `password` matches `stored`; with `None`, burns the same time and says no.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| decoy_hash().to_owned());
        let ok = PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .map_err(ApiError::internal)
}

/// A random password of 20 characters from an alphabet without look-alikes.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifies() {
        let h = hash_blocking("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&h).expect("parse");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
    }

    #[test]
    fn policy_and_generator() {
        assert!(check_policy("short").is_err());
        assert!(check_policy(&generate()).is_ok());
        assert_ne!(generate(), generate());
    }
}
