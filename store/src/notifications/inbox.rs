//! Customer notifications: the in-app inbox and the delivery record of
//! every other channel. The dedupe key (order, kind, channel) makes each
//! notification exist once however often the notify activity is retried,
//! and `delivered_at` tells a retry whether the message already went out.

use chrono::{DateTime, Utc};
use orderly_domain::{NotificationKind, OrderId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::Notifications;
use crate::StoreError;
use crate::columns::{now_millis, optional_timestamp, parsed, timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: UserId,
    pub order_id: Option<OrderId>,
    pub kind: NotificationKind,
    /// `in_app`, `email`, `sms` or `push` (the schema refuses anything else).
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub dedupe_key: String,
    /// The address or number the channel sends to (none for the inbox and
    /// push, which go to the user and their devices).
    pub recipient: Option<String>,
    pub recipient_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: UserId,
    pub order_id: Option<OrderId>,
    pub kind: NotificationKind,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub dedupe_key: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub recipient: Option<String>,
    pub recipient_name: Option<String>,
    /// Sends the relay tried without delivering.
    pub attempts: i64,
    /// Why the last send failed, if it did.
    pub last_error: Option<String>,
    /// When the relay gave up on it.
    pub failed_at: Option<DateTime<Utc>>,
}

pub(super) const COLUMNS: &str = "id, user_id, order_id, kind, channel, subject, body, dedupe_key, created_at, delivered_at, \
     read_at, recipient, recipient_name, attempts, last_error, failed_at";

impl Notifications {
    /// Inserts the notification; `false` when its dedupe key exists, in
    /// which case nothing changed.
    pub async fn insert_notification(&self, new: &NewNotification) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO notifications
                 (id, user_id, order_id, kind, channel, subject, body, dedupe_key, created_at,
                  recipient, recipient_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(new.user_id.to_string())
        .bind(new.order_id.map(|id| id.to_string()))
        .bind(new.kind.as_str())
        .bind(&new.channel)
        .bind(&new.subject)
        .bind(&new.body)
        .bind(&new.dedupe_key)
        .bind(now_millis())
        .bind(&new.recipient)
        .bind(&new.recipient_name)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// Marks the notification delivered; the first mark's time stays.
    pub async fn mark_notification_delivered(&self, dedupe_key: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET delivered_at = $1
             WHERE dedupe_key = $2 AND delivered_at IS NULL",
        )
        .bind(now_millis())
        .bind(dedupe_key)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// The notification with `dedupe_key`, if it exists.
    pub async fn notification(&self, dedupe_key: &str) -> Result<Option<Notification>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications WHERE dedupe_key = $1"
        ))
        .bind(dedupe_key)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(notification_from).transpose()
    }

    /// Whether the notification exists and was delivered.
    pub async fn notification_delivered(&self, dedupe_key: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT delivered_at FROM notifications WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<Option<i64>, _>("delivered_at")?.is_some(),
            None => false,
        })
    }

    /// One page of a user's notifications on `channel`, newest first;
    /// `before` is the id of the last notification of the previous page.
    pub async fn notifications_for_user(
        &self,
        user_id: UserId,
        channel: &str,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = match before {
            Some(before) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM notifications
                     WHERE user_id = $1 AND channel = $2 AND id < $3
                     ORDER BY id DESC LIMIT $4"
                ))
                .bind(user_id.to_string())
                .bind(channel)
                .bind(before.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.db.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM notifications
                     WHERE user_id = $1 AND channel = $2
                     ORDER BY id DESC LIMIT $3"
                ))
                .bind(user_id.to_string())
                .bind(channel)
                .bind(i64::from(limit))
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        rows.iter().map(notification_from).collect()
    }

    pub async fn count_notifications(
        &self,
        order_id: OrderId,
        kind: NotificationKind,
        channel: &str,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM notifications
             WHERE order_id = $1 AND kind = $2 AND channel = $3",
        )
        .bind(order_id.to_string())
        .bind(kind.as_str())
        .bind(channel)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}

/// The domain has no parser for notification kinds; their serde names are
/// the wire names `as_str` writes.
fn notification_kind(raw: &str) -> Result<NotificationKind, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
}

pub(super) fn notification_from(row: &AnyRow) -> Result<Notification, StoreError> {
    let order_id: Option<String> = row.try_get("order_id")?;
    Ok(Notification {
        id: parsed(
            "notifications.id",
            &row.try_get::<String, _>("id")?,
            Uuid::parse_str,
        )?,
        user_id: parsed(
            "notifications.user_id",
            &row.try_get::<String, _>("user_id")?,
            str::parse,
        )?,
        order_id: order_id
            .map(|raw| parsed("notifications.order_id", &raw, str::parse))
            .transpose()?,
        kind: parsed(
            "notifications.kind",
            &row.try_get::<String, _>("kind")?,
            notification_kind,
        )?,
        channel: row.try_get("channel")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        dedupe_key: row.try_get("dedupe_key")?,
        created_at: timestamp("notifications.created_at", row.try_get("created_at")?)?,
        delivered_at: optional_timestamp(
            "notifications.delivered_at",
            row.try_get("delivered_at")?,
        )?,
        read_at: optional_timestamp("notifications.read_at", row.try_get("read_at")?)?,
        recipient: row.try_get("recipient")?,
        recipient_name: row.try_get("recipient_name")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        failed_at: optional_timestamp("notifications.failed_at", row.try_get("failed_at")?)?,
    })
}
