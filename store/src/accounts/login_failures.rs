//! Fixed-window counters behind login throttling.
//!
//! One row per key (an account, a client address, ...) holds when its
//! current window started and how many failures it has seen since. The
//! counting is a single upsert, so concurrent failures are all counted and
//! a stale window restarts atomically. Rows of windows that have ended are
//! swept on the way, so guessing at many emails cannot grow the table
//! without bound.

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::Accounts;
use crate::StoreError;
use crate::columns::{millis, timestamp};

/// The failures of one key in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    pub count: i64,
    pub started_at: DateTime<Utc>,
}

impl Accounts {
    /// Counts one failure for `key` in a window of length `window` and
    /// returns the window as it now is.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<FailureWindow, StoreError> {
        let now_ms = millis(now);
        let stale_before = millis(now - window);
        sqlx::query("DELETE FROM login_failures WHERE window_start <= $1 AND key <> $2")
            .bind(stale_before)
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        let row = sqlx::query(
            "INSERT INTO login_failures (key, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 count = CASE WHEN login_failures.window_start <= $3
                              THEN 1 ELSE login_failures.count + 1 END,
                 window_start = CASE WHEN login_failures.window_start <= $3
                                     THEN $2 ELSE login_failures.window_start END
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(now_ms)
        .bind(stale_before)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(FailureWindow {
            count: row.try_get("count")?,
            started_at: timestamp("login_failures.window_start", row.try_get("window_start")?)?,
        })
    }

    /// The failures of `key` in a window still open at `now`; `None` when
    /// there are none.
    pub async fn login_failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Option<FailureWindow>, StoreError> {
        let row = sqlx::query(
            "SELECT count, window_start FROM login_failures WHERE key = $1 AND window_start > $2",
        )
        .bind(key)
        .bind(millis(now - window))
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| {
            Ok(FailureWindow {
                count: row.try_get("count")?,
                started_at: timestamp("login_failures.window_start", row.try_get("window_start")?)?,
            })
        })
        .transpose()
    }

    /// Forgets the failures of `key` (a successful login).
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}
