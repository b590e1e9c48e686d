//! The outbox side of notifications: the channel rows the worker's
//! delivery relay sends, retries and gives up on.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Notifications;
use super::inbox::{COLUMNS, Notification, notification_from};
use crate::StoreError;
use crate::columns::millis;

impl Notifications {
    /// Holds up to `limit` channel rows that are due (never delivered, not
    /// given up, not held by another relay) until `lease_until`, and
    /// returns them, oldest first. Two relays never hold the same row: on
    /// PostgreSQL the second update waits for the first and then finds the
    /// row held.
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let due = "delivered_at IS NULL AND failed_at IS NULL AND channel <> 'in_app'
                   AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
                   AND (leased_until IS NULL OR leased_until < $2)";
        let rows = sqlx::query(&format!(
            "UPDATE notifications SET leased_until = $1
             WHERE id IN (SELECT id FROM notifications WHERE {due} ORDER BY created_at LIMIT $3)
               AND {due}
             RETURNING {COLUMNS}"
        ))
        .bind(millis(lease_until))
        .bind(millis(now))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        let mut claimed = rows
            .iter()
            .map(notification_from)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives rows in no particular order; a customer's
        // messages go out in the order they were written (ids are UUIDv7).
        claimed.sort_by_key(|n| (n.created_at, n.id));
        Ok(claimed)
    }

    /// The row was sent.
    pub async fn delivered(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET delivered_at = $1, leased_until = NULL
             WHERE id = $2 AND delivered_at IS NULL",
        )
        .bind(millis(at))
        .bind(id.to_string())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// The send failed but may work later: try again at `next_attempt_at`.
    pub async fn retry_delivery_at(
        &self,
        id: Uuid,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $1,
                 last_error = $2, leased_until = NULL
             WHERE id = $3 AND delivered_at IS NULL",
        )
        .bind(millis(next_attempt_at))
        .bind(error)
        .bind(id.to_string())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// The send will never work (the recipient was refused, or every
    /// attempt failed): the row stays as the record of why.
    pub async fn give_up_delivery(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET attempts = attempts + 1, failed_at = $1, last_error = $2,
                 leased_until = NULL
             WHERE id = $3 AND delivered_at IS NULL",
        )
        .bind(millis(at))
        .bind(error)
        .bind(id.to_string())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }
}
