//! `GET /v1/me` and `PATCH /v1/me`: the caller's profile.
//!
//! Besides who they are, a customer keeps a phone number, shopping
//! preferences (used by recommendations) and the notification channels
//! they want. Updates are partial: a field left out keeps its value, and
//! `"phone": null` removes the phone number. The email is not editable
//! here: changing it would need the new address confirmed first.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use orderly_domain::{NotificationChannels, PhoneNumber, Preferences, Role, UserId};
use orderly_store::{Profile, ProfileChanges};
use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::AuthUser;
use crate::auth::check_name;
use crate::json::ValidJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// An account with its profile (never its password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProfileBody {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub phone: Option<PhoneNumber>,
    pub preferences: Preferences,
    /// Always includes `in_app`.
    pub notification_channels: NotificationChannels,
}

impl From<Profile> for ProfileBody {
    fn from(profile: Profile) -> Self {
        Self {
            id: profile.user.id,
            email: profile.user.email,
            name: profile.user.name,
            role: profile.user.role,
            created_at: profile.user.created_at,
            phone: profile.phone,
            preferences: profile.preferences,
            notification_channels: profile.notification_channels,
        }
    }
}

/// The fields to change; every one is optional.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    #[serde(default)]
    #[schema(example = "Asha Rao")]
    pub name: Option<String>,
    /// `+` and 8 to 15 digits; spaces and dashes are dropped. `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "+919876543210")]
    pub phone: Option<Option<PhoneNumber>>,
    #[serde(default)]
    pub preferences: Option<PreferencesUpdate>,
    /// The complete set wanted, from `email`, `sms`, `push`, `in_app`;
    /// `in_app` is kept even when left out.
    #[serde(default)]
    pub notification_channels: Option<NotificationChannels>,
}

/// The preferences to change; the others keep their values.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    #[serde(default)]
    pub organic: Option<bool>,
    #[serde(default)]
    pub seasonal: Option<bool>,
    #[serde(default)]
    pub local: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// The caller's profile; `Unauthorized` if the account is gone.
pub async fn load(state: &AppState, user_id: UserId) -> Result<ProfileBody, ApiError> {
    state
        .store
        .accounts()
        .profile(user_id)
        .await?
        .map(ProfileBody::from)
        .ok_or(ApiError::Unauthorized)
}

/// Changes the caller's name, phone, preferences or notification channels.
#[utoipa::path(
    patch,
    path = "/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "The profile after the change", body = ProfileBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(request): ValidJson<UpdateProfileRequest>,
) -> Result<Json<ProfileBody>, ApiError> {
    let name = request.name.map(|name| name.trim().to_owned());
    if let Some(name) = &name {
        let mut errors = Vec::new();
        check_name(name, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
    }
    let preferences = request.preferences;
    let changes = ProfileChanges {
        name,
        phone: request.phone,
        organic: preferences.as_ref().and_then(|p| p.organic),
        seasonal: preferences.as_ref().and_then(|p| p.seasonal),
        local: preferences.as_ref().and_then(|p| p.local),
        notification_channels: request.notification_channels,
    };
    let profile = state
        .store
        .accounts()
        .update_profile(caller.id, &changes)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(profile.into()))
}

/// The logged-in account and its profile.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account and profile", body = ProfileBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<ProfileBody>, ApiError> {
    Ok(Json(load(&state, caller.id).await?))
}
