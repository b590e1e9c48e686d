//! The outbox of the built-in sandbox SMS and push gateways: every message
//! they "delivered", kept as a provider keeps its message log, so developers
//! and tests can read what a customer would have received.
//!
//! The idempotency key is unique, which is how the sandbox honours it: a
//! retried send with a key it has seen records nothing new.

use chrono::{DateTime, Utc};
use orderly_domain::NotificationChannel;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::Sandbox;
use crate::StoreError;
use crate::columns::{known, now_millis, parsed, timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSandboxMessage {
    /// `Sms` or `Push` (the schema refuses the others).
    pub channel: NotificationChannel,
    /// A phone number or a device token.
    pub recipient: String,
    /// A push notification's title; SMS have none.
    pub subject: Option<String>,
    pub body: String,
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxMessage {
    pub id: Uuid,
    pub channel: NotificationChannel,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, channel, recipient, subject, body, idempotency_key, created_at";

impl Sandbox {
    /// Records a delivered message; `false` when its idempotency key was
    /// seen before, in which case nothing changed.
    pub async fn record_sandbox_message(
        &self,
        message: &NewSandboxMessage,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO sandbox_messages
                 (id, channel, recipient, subject, body, idempotency_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(message.channel.as_str())
        .bind(&message.recipient)
        .bind(message.subject.clone())
        .bind(&message.body)
        .bind(&message.idempotency_key)
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// One page of the outbox, newest first, of one channel or all;
    /// `before` is the id of the last message of the previous page.
    pub async fn sandbox_messages(
        &self,
        channel: Option<NotificationChannel>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<SandboxMessage>, StoreError> {
        // `$1 = ''` and the maximal id stand for "any channel" and "from the
        // newest", which keeps one statement for every combination.
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sandbox_messages
             WHERE ($1 = '' OR channel = $1) AND id < $2
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(channel.map(NotificationChannel::as_str).unwrap_or_default())
        .bind(before.unwrap_or(Uuid::max()).to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(message_from).collect()
    }
}

fn message_from(row: &AnyRow) -> Result<SandboxMessage, StoreError> {
    Ok(SandboxMessage {
        id: parsed(
            "sandbox_messages.id",
            &row.try_get::<String, _>("id")?,
            str::parse,
        )?,
        channel: known(
            "sandbox_messages.channel",
            &row.try_get::<String, _>("channel")?,
            NotificationChannel::parse,
        )?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        idempotency_key: row.try_get("idempotency_key")?,
        created_at: timestamp("sandbox_messages.created_at", row.try_get("created_at")?)?,
    })
}
