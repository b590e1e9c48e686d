//! `/v1/me/notifications`: the in-app inbox.
//!
//! Every customer-visible moment of an order is written to the inbox even
//! when email is configured, so the history is always readable here.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{NotificationKind, OrderId};
use orderly_store::Notification;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The channel whose notifications make up the inbox.
const IN_APP: &str = "in_app";

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/me/notifications", get(list_notifications))
}

/// One message in the inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationBody {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub order_id: Option<OrderId>,
    pub kind: NotificationKind,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationBody {
    fn from(notification: Notification) -> Self {
        Self {
            id: notification.id,
            order_id: notification.order_id,
            kind: notification.kind,
            subject: notification.subject,
            body: notification.body,
            created_at: notification.created_at,
            read_at: notification.read_at,
        }
    }
}

/// The caller's in-app notifications, newest first.
#[utoipa::path(
    get,
    path = "/v1/me/notifications",
    tag = "inbox",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of notifications", body = Paginated<NotificationBody>),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_notifications(
    State(state): State<AppState>,
    caller: AuthUser,
    page: PageRequest,
) -> Result<Json<Paginated<NotificationBody>>, ApiError> {
    let before: Option<Uuid> = page.cursor()?;
    let rows = state
        .store
        .notifications()
        .notifications_for_user(caller.id, IN_APP, before, page.fetch_limit())
        .await?;
    let (rows, next_cursor) = page.split(rows, |notification| notification.id.to_string());
    Ok(Json(Paginated {
        items: rows.into_iter().map(NotificationBody::from).collect(),
        next_cursor,
    }))
}
