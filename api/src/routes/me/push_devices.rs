//! `/v1/me/push-devices`: the devices the caller's app registered for push
//! notifications.
//!
//! Apps register their push token at every launch, so registering is
//! idempotent per (account, token): the same token again answers 200 with
//! the device registered first, unchanged. Every account sees only its own
//! devices; another account's device id is answered 404, exactly like an id
//! that does not exist. A device the push service reports as gone is
//! removed by the notifier, so the list also shows which devices still
//! receive notifications.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{DeviceToken, PushPlatform};
use orderly_store::{PushDevice, PushDeviceRegistration};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/me/push-devices",
            post(register_push_device).get(list_push_devices),
        )
        .route("/v1/me/push-devices/{id}", delete(delete_push_device))
}

/// A registered device as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PushDeviceBody {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub token: DeviceToken,
    pub platform: PushPlatform,
    pub created_at: DateTime<Utc>,
}

impl From<PushDevice> for PushDeviceBody {
    fn from(device: PushDevice) -> Self {
        Self {
            id: device.id,
            token: device.token,
            platform: device.platform,
            created_at: device.created_at,
        }
    }
}

/// A device to push to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPushDeviceRequest {
    /// The token the platform's push service gave the app: 1 to 4096
    /// printable ASCII characters.
    pub token: DeviceToken,
    /// `ios`, `android` or `web`.
    pub platform: PushPlatform,
}

/// Registers a device of the caller for push notifications.
#[utoipa::path(
    post,
    path = "/v1/me/push-devices",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = RegisterPushDeviceRequest,
    responses(
        (status = 201, description = "Registered", body = PushDeviceBody),
        (status = 200, description = "This token was registered before: that device, unchanged", body = PushDeviceBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Too many devices registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `token` or `platform`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register_push_device(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(request): ValidJson<RegisterPushDeviceRequest>,
) -> Result<Response, ApiError> {
    let registration = state
        .store
        .notifications()
        .register_push_device(caller.id, &request.token, request.platform)
        .await?;
    Ok(match registration {
        PushDeviceRegistration::Created(device) => (
            StatusCode::CREATED,
            [(
                header::LOCATION,
                format!("/v1/me/push-devices/{}", device.id),
            )],
            Json(PushDeviceBody::from(device)),
        )
            .into_response(),
        PushDeviceRegistration::Existing(device) => {
            (StatusCode::OK, Json(PushDeviceBody::from(device))).into_response()
        }
    })
}

/// The caller's devices in the order they were registered.
#[utoipa::path(
    get,
    path = "/v1/me/push-devices",
    tag = "accounts",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of devices", body = Paginated<PushDeviceBody>),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_push_devices(
    State(state): State<AppState>,
    caller: AuthUser,
    page: PageRequest,
) -> Result<Json<Paginated<PushDeviceBody>>, ApiError> {
    let after: Option<Uuid> = page.cursor()?;
    let rows = state
        .store
        .notifications()
        .push_devices_for_user(caller.id, after, page.fetch_limit())
        .await?;
    let (rows, next_cursor) = page.split(rows, |device| device.id.to_string());
    Ok(Json(Paginated {
        items: rows.into_iter().map(PushDeviceBody::from).collect(),
        next_cursor,
    }))
}

/// Stops pushing to one of the caller's devices (e.g. at logout).
#[utoipa::path(
    delete,
    path = "/v1/me/push-devices/{id}",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Device id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such device of the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_push_device(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .notifications()
        .delete_push_device(caller.id, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
