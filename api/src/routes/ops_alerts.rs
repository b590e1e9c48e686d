//! `/v1/ops/alerts`: what the workflows could not fix by themselves (a
//! refund that keeps failing, a payment that did not match the total, a
//! carrier gone quiet, a batch about to spoil), for operators to act on and
//! then resolve (admin).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{OrderId, Role};
use orderly_store::OpsAlert;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/ops/alerts", get(list_alerts))
        .route("/v1/ops/alerts/{id}/resolve", post(resolve_alert))
}

/// One alert.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertBody {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// The order it is about; `null` for an alert about stock (`spoilage`).
    pub order_id: Option<OrderId>,
    /// What went wrong, e.g. `refund_failed`, `amount_mismatch`, `carrier_silent`,
    /// `spoilage`, `expiring_reservation`.
    pub kind: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
    /// When an operator resolved it; `null` while open.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<OpsAlert> for AlertBody {
    fn from(alert: OpsAlert) -> Self {
        Self {
            id: alert.id,
            order_id: alert.order_id,
            kind: alert.kind,
            detail: alert.detail,
            created_at: alert.created_at,
            resolved_at: alert.resolved_at,
        }
    }
}

/// Open alerts, newest first (admin).
#[utoipa::path(
    get, path = "/v1/ops/alerts", tag = "ops",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of open alerts", body = Paginated<AlertBody>),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_alerts(
    State(state): State<AppState>,
    caller: AuthUser,
    page: PageRequest,
) -> Result<Json<Paginated<AlertBody>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let before: Option<Uuid> = page.cursor()?;
    let rows = state
        .store
        .ops_alerts()
        .open_alerts(before, i64::from(page.fetch_limit()))
        .await?;
    let (rows, next_cursor) = page.split(rows, |alert| alert.id.to_string());
    Ok(Json(Paginated {
        items: rows.into_iter().map(AlertBody::from).collect(),
        next_cursor,
    }))
}

/// Marks an alert dealt with (admin); resolving it again changes nothing.
#[utoipa::path(
    post, path = "/v1/ops/alerts/{id}/resolve", tag = "ops",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The resolved alert", body = AlertBody),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such alert", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resolve_alert(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<AlertBody>, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    state
        .store
        .ops_alerts()
        .resolve_alert(id)
        .await?
        .map(|alert| Json(alert.into()))
        .ok_or(ApiError::NotFound)
}
