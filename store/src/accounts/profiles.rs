//! A customer's profile: contact phone, shopping preferences and the
//! notification channels they want, kept on the `users` row.
//!
//! Updates are partial and applied in one statement, so two edits of
//! different fields made at the same time both survive.

use orderly_domain::{NotificationChannel, NotificationChannels, PhoneNumber, Preferences, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::users::{COLUMNS as USER_COLUMNS, user_from};
use super::{Accounts, User};
use crate::StoreError;
use crate::columns::parsed;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user: User,
    pub phone: Option<PhoneNumber>,
    pub preferences: Preferences,
    pub notification_channels: NotificationChannels,
}

/// What a profile update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    pub name: Option<String>,
    /// `Some(None)` removes the phone number.
    pub phone: Option<Option<PhoneNumber>>,
    pub organic: Option<bool>,
    pub seasonal: Option<bool>,
    pub local: Option<bool>,
    pub notification_channels: Option<NotificationChannels>,
}

const PROFILE_COLUMNS: &str =
    "phone, prefers_organic, prefers_seasonal, prefers_local, notification_channels";

impl Accounts {
    pub async fn profile(&self, user_id: UserId) -> Result<Option<Profile>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, {PROFILE_COLUMNS} FROM users WHERE id = $1"
        ))
        .bind(user_id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(profile_from).transpose()
    }

    /// Applies `changes` and returns the profile as it now is; `None` when
    /// there is no such user.
    pub async fn update_profile(
        &self,
        user_id: UserId,
        changes: &ProfileChanges,
    ) -> Result<Option<Profile>, StoreError> {
        let channels = changes
            .notification_channels
            .as_ref()
            .map(channels_json)
            .transpose()?;
        let updated = sqlx::query(
            "UPDATE users SET
                 name = COALESCE($2, name),
                 phone = CASE WHEN $3 = 1 THEN $4 ELSE phone END,
                 prefers_organic = COALESCE($5, prefers_organic),
                 prefers_seasonal = COALESCE($6, prefers_seasonal),
                 prefers_local = COALESCE($7, prefers_local),
                 notification_channels = COALESCE($8, notification_channels)
             WHERE id = $1",
        )
        .bind(user_id.to_string())
        .bind(changes.name.clone())
        .bind(i64::from(changes.phone.is_some()))
        .bind(
            changes
                .phone
                .clone()
                .flatten()
                .map(|phone| phone.as_str().to_owned()),
        )
        .bind(changes.organic.map(i64::from))
        .bind(changes.seasonal.map(i64::from))
        .bind(changes.local.map(i64::from))
        .bind(channels)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        self.profile(user_id).await
    }
}

fn channels_json(channels: &NotificationChannels) -> Result<String, StoreError> {
    let names: Vec<&str> = channels.iter().map(NotificationChannel::as_str).collect();
    serde_json::to_string(&names)
        .map_err(|e| StoreError::Invalid(format!("notification channels: {e}")))
}

fn profile_from(row: &AnyRow) -> Result<Profile, StoreError> {
    let flag =
        |column: &str| -> Result<bool, StoreError> { Ok(row.try_get::<i64, _>(column)? != 0) };
    let phone: Option<String> = row.try_get("phone")?;
    let channels: String = row.try_get("notification_channels")?;
    let names: Vec<String> = parsed("users.notification_channels", &channels, |raw| {
        serde_json::from_str(raw)
    })?;
    let channels = names
        .iter()
        .map(|name| {
            NotificationChannel::parse(name).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "users.notification_channels: unknown channel {name:?}"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Profile {
        user: user_from(row)?,
        phone: phone
            .map(|raw| parsed("users.phone", &raw, PhoneNumber::parse))
            .transpose()?,
        preferences: Preferences {
            organic: flag("prefers_organic")?,
            seasonal: flag("prefers_seasonal")?,
            local: flag("prefers_local")?,
        },
        notification_channels: NotificationChannels::new(channels),
    })
}
