//! Password hashing with Argon2id (v19, the crate's default parameters).
//!
//! Hashing is deliberately expensive (about 19 MiB and tens of milliseconds
//! each), so it runs on the blocking pool, never on the request-serving
//! threads, and requests hash through [`PasswordHashing`], which lets only a
//! few run at once: a flood of registrations or logins then queues briefly
//! and is refused with 503, instead of taking every core and gigabytes of
//! memory. A login for an unknown email still verifies against a fixed hash
//! so that the answer takes as long as for a wrong password and does not
//! reveal which emails are registered.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rand::rngs::OsRng;

use crate::problem::ApiError;

/// The requests' way to argon2: at most `at_once` hashes or verifications
/// run together; the others wait up to [`QUEUE_WAIT`] for their turn.
#[derive(Debug, Clone)]
pub struct PasswordHashing {
    permits: Arc<Semaphore>,
}

/// How long a request waits for a turn before it is answered 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(5);

impl PasswordHashing {
    pub fn new(at_once: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let permit = self.turn().await?;
        blocking(
            permit,
            move || hash_now(&password),
            "joining the password hashing task",
        )
        .await?
    }

    pub async fn verify(&self, password: String, hash: String) -> Result<bool, ApiError> {
        let permit = self.turn().await?;
        blocking(permit, move || verify_now(&password, &hash), VERIFYING).await?
    }

    /// Burns the same time as a real verification, for unknown accounts.
    pub async fn verify_against_nothing(&self, password: String) -> Result<(), ApiError> {
        let permit = self.turn().await?;
        // The decoy's outcome is meaningless, so it is not reported.
        let _ = blocking(
            permit,
            move || verify_now(&password, &DECOY_HASH),
            VERIFYING,
        )
        .await?;
        Ok(())
    }

    /// A turn; it travels into the blocking task, so a client that hangs up
    /// does not free its turn while its hash is still running.
    async fn turn(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(QUEUE_WAIT, Arc::clone(&self.permits).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::internal(
                closed,
                "waiting for the password hasher",
            )),
            Err(_) => Err(ApiError::ServiceUnavailable(
                "too many password checks are running; try again".to_owned(),
            )),
        }
    }

    /// Takes every turn (tests use this to hold the hasher busy).
    pub async fn occupy(&self) -> Vec<OwnedSemaphorePermit> {
        let mut held = Vec::new();
        while let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            held.push(permit);
        }
        held
    }
}

async fn blocking<T: Send + 'static>(
    permit: OwnedSemaphorePermit,
    work: impl FnOnce() -> T + Send + 'static,
    context: &'static str,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || {
        let outcome = work();
        drop(permit);
        outcome
    })
    .await
    .map_err(|error| ApiError::internal(error, context))
}

const VERIFYING: &str = "joining the password verification task";

/// Hashes `password` into a PHC string (`$argon2id$v=19$…`) with a fresh
/// salt, outside any request's turn: for seeding accounts (the admin, demo
/// data), never for a request's password.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|error| ApiError::internal(error, "joining the password hashing task"))?
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
        let hashing = PasswordHashing::new(2);
        let hash = hashing
            .hash("correct horse battery".to_owned())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(
            hashing
                .verify("correct horse battery".to_owned(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !hashing
                .verify("correct horse battery!".to_owned(), hash)
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
        let result = PasswordHashing::new(1)
            .verify("anything".to_owned(), "not-a-phc-string".to_owned())
            .await;
        assert!(matches!(result, Err(ApiError::Internal(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_waits_too_long_for_a_turn_is_told_to_retry() {
        let hashing = PasswordHashing::new(2);
        let held = hashing.occupy().await;
        assert_eq!(held.len(), 2);
        let result = hashing.hash("queued password".to_owned()).await;
        assert!(
            matches!(result, Err(ApiError::ServiceUnavailable(_))),
            "{result:?}"
        );
        drop(held);
        assert!(hashing.hash("queued password".to_owned()).await.is_ok());
    }
}
