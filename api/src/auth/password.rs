//! Password hashing with Argon2id (v19, the crate's default parameters).
//!
//! Hashing is deliberately expensive, so it runs on the blocking pool and
//! never stalls the request-serving threads. A login for an unknown email
//! still verifies against a fixed hash so that the answer takes as long as
//! for a wrong password and does not reveal which emails are registered.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rand::rngs::OsRng;

use crate::problem::ApiError;

/// Hashes `password` into a PHC string (`$argon2id$v=19$…`) with a fresh salt.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|error| ApiError::internal(error, "joining the password hashing task"))?
}

/// Whether `password` matches the stored PHC string `hash`.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || verify_now(&password, &hash))
        .await
        .map_err(|error| ApiError::internal(error, "joining the password verification task"))?
}

/// Burns the same time as a real verification, for unknown accounts. Its
/// outcome is meaningless, so it is not reported.
pub async fn verify_against_nothing(password: String) {
    let _ = tokio::task::spawn_blocking(move || verify_now(&password, &DECOY_HASH)).await;
}

static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    // Hashing a constant with a valid salt cannot fail; should it ever, an
    // empty decoy makes the decoy verification fail fast, costing only timing.
    hash_now("orderly-decoy-password").unwrap_or_default()
});

fn hash_now(password: &str) -> Result<String, ApiError> {
    let mut salt = [0_u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|error| ApiError::internal(anyhow::anyhow!("{error}"), "encoding a salt"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::internal(anyhow::anyhow!("{error}"), "hashing a password"))
}

fn verify_now(password: &str, hash: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(hash).map_err(|error| {
        ApiError::internal(anyhow::anyhow!("{error}"), "parsing a stored password hash")
    })?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_different_one_does_not() {
        let hash = hash_password("correct horse battery".to_owned())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(
            verify_password("correct horse battery".to_owned(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify_password("correct horse battery!".to_owned(), hash)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let first = hash_password("same password".to_owned()).await.unwrap();
        let second = hash_password("same password".to_owned()).await.unwrap();
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_internal_error_not_a_match() {
        let result = verify_password("anything".to_owned(), "not-a-phc-string".to_owned()).await;
        assert!(matches!(result, Err(ApiError::Internal(_))));
    }
}
