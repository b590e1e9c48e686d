//! Persistent state of the built-in sandbox payment gateway. A real gateway
//! remembers every idempotency key it has seen; the sandbox does the same
//! here, so a worker restarted mid-payment that retries a key gets the
//! answer of the first attempt.

use sqlx::Row;

use super::Sandbox;
use crate::StoreError;
use crate::columns::now_millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxAttempt {
    /// How many calls have used this key, this one included.
    pub attempts: i64,
    /// The settled answer (JSON chosen by the gateway), once there is one.
    pub outcome: Option<String>,
}

impl Sandbox {
    /// Counts one more call with `key` and returns the key's state.
    pub async fn sandbox_attempt(&self, key: &str) -> Result<SandboxAttempt, StoreError> {
        let row = sqlx::query(
            "INSERT INTO sandbox_payments (idempotency_key, attempts, outcome, created_at)
             VALUES ($1, 1, NULL, $2)
             ON CONFLICT (idempotency_key) DO UPDATE SET attempts = sandbox_payments.attempts + 1
             RETURNING attempts, outcome",
        )
        .bind(key)
        .bind(now_millis())
        .fetch_one(&self.db.pool)
        .await?;
        Ok(SandboxAttempt {
            attempts: row.try_get("attempts")?,
            outcome: row.try_get("outcome")?,
        })
    }

    /// Settles `key` with `outcome` unless it is already settled, and
    /// returns the outcome that stands: the first one wins.
    pub async fn sandbox_settle(&self, key: &str, outcome: &str) -> Result<String, StoreError> {
        let row = sqlx::query(
            "INSERT INTO sandbox_payments (idempotency_key, attempts, outcome, created_at)
             VALUES ($1, 0, $2, $3)
             ON CONFLICT (idempotency_key) DO UPDATE
                 SET outcome = COALESCE(sandbox_payments.outcome, excluded.outcome)
             RETURNING outcome",
        )
        .bind(key)
        .bind(outcome)
        .bind(now_millis())
        .fetch_one(&self.db.pool)
        .await?;
        Ok(row.try_get("outcome")?)
    }

    /// The settled answer of `key`, if it has one; counts no attempt.
    pub async fn sandbox_outcome(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT outcome FROM sandbox_payments WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("outcome")?,
            None => None,
        })
    }
}
