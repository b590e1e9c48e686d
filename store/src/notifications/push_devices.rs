//! The devices each customer registered for push notifications.
//!
//! A device is one (user, token) pair: registering a token the user already
//! registered finds the first registration instead of adding a second, so an
//! app that registers at every launch keeps one row. Uniqueness is kept on
//! the token's sha256 (see the migration), and forgetting a token the push
//! service called dead uses the same hash.

use chrono::{DateTime, Utc};
use orderly_domain::{DeviceToken, PushPlatform, UserId};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::Notifications;
use crate::StoreError;
use crate::columns::{known, now_millis, parsed, timestamp};

/// How many devices one customer may register: each notification goes to
/// every one of them, so the list must stay short.
pub const MAX_PUSH_DEVICES: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushDevice {
    pub id: Uuid,
    pub user_id: UserId,
    pub token: DeviceToken,
    pub platform: PushPlatform,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushDeviceRegistration {
    Created(PushDevice),
    /// The user had registered this token before; nothing changed.
    Existing(PushDevice),
}

const COLUMNS: &str = "id, user_id, token, platform, created_at";

impl Notifications {
    /// Registers `token` for `user_id`, or finds its earlier registration.
    /// `Conflict` when the user already has [`MAX_PUSH_DEVICES`] others.
    pub async fn register_push_device(
        &self,
        user_id: UserId,
        token: &DeviceToken,
        platform: PushPlatform,
    ) -> Result<PushDeviceRegistration, StoreError> {
        let user = user_id.to_string();
        let hash = token_hash(token);
        let mut tx = self.db.begin_write().await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM push_devices WHERE user_id = $1")
            .bind(&user)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        let earlier = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM push_devices WHERE user_id = $1 AND token_hash = $2"
        ))
        .bind(&user)
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = earlier {
            return Ok(PushDeviceRegistration::Existing(device_from(&row)?));
        }
        if count >= MAX_PUSH_DEVICES {
            return Err(StoreError::Conflict(format!(
                "at most {MAX_PUSH_DEVICES} push devices can be registered; delete one first"
            )));
        }
        // A concurrent registration of the same token (PostgreSQL, where
        // this transaction does not lock out other writers) makes this a
        // no-op; the row it wrote is then the answer.
        let inserted = sqlx::query(&format!(
            "INSERT INTO push_devices (id, user_id, token, token_hash, platform, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (user_id, token_hash) DO NOTHING
             RETURNING {COLUMNS}"
        ))
        .bind(Uuid::now_v7().to_string())
        .bind(&user)
        .bind(token.as_str())
        .bind(&hash)
        .bind(platform.as_str())
        .bind(now_millis())
        .fetch_optional(&mut *tx)
        .await?;
        let registration = match inserted {
            Some(row) => PushDeviceRegistration::Created(device_from(&row)?),
            None => {
                let row = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM push_devices WHERE user_id = $1 AND token_hash = $2"
                ))
                .bind(&user)
                .bind(&hash)
                .fetch_one(&mut *tx)
                .await?;
                PushDeviceRegistration::Existing(device_from(&row)?)
            }
        };
        tx.commit().await?;
        Ok(registration)
    }

    /// One page of the user's devices in the order they were registered.
    pub async fn push_devices_for_user(
        &self,
        user_id: UserId,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<PushDevice>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM push_devices
             WHERE user_id = $1 AND id > $2
             ORDER BY id LIMIT $3"
        ))
        .bind(user_id.to_string())
        // Every id sorts after the empty string: the first page.
        .bind(after.map(|id| id.to_string()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(device_from).collect()
    }

    /// Every device of the user: what a notification is pushed to.
    pub async fn all_push_devices(&self, user_id: UserId) -> Result<Vec<PushDevice>, StoreError> {
        // Registration keeps a user at most at the cap, so this is all.
        let cap = u32::try_from(MAX_PUSH_DEVICES).unwrap_or(u32::MAX);
        self.push_devices_for_user(user_id, None, cap).await
    }

    /// Removes the user's device `id`; `false` when they have no such device.
    pub async fn delete_push_device(&self, user_id: UserId, id: Uuid) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM push_devices WHERE user_id = $1 AND id = $2")
            .bind(user_id.to_string())
            .bind(id.to_string())
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        Ok(deleted > 0)
    }

    /// Removes every registration of `token`, which its push service said
    /// will never receive anything again; returns how many there were.
    pub async fn forget_push_token(&self, token: &DeviceToken) -> Result<u64, StoreError> {
        let deleted = sqlx::query("DELETE FROM push_devices WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        Ok(deleted)
    }
}

fn token_hash(token: &DeviceToken) -> String {
    hex::encode(Sha256::digest(token.as_str().as_bytes()))
}

fn device_from(row: &AnyRow) -> Result<PushDevice, StoreError> {
    Ok(PushDevice {
        id: parsed(
            "push_devices.id",
            &row.try_get::<String, _>("id")?,
            str::parse,
        )?,
        user_id: parsed(
            "push_devices.user_id",
            &row.try_get::<String, _>("user_id")?,
            str::parse,
        )?,
        token: parsed(
            "push_devices.token",
            &row.try_get::<String, _>("token")?,
            DeviceToken::parse,
        )?,
        platform: known(
            "push_devices.platform",
            &row.try_get::<String, _>("platform")?,
            PushPlatform::parse,
        )?,
        created_at: timestamp("push_devices.created_at", row.try_get("created_at")?)?,
    })
}
