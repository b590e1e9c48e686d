//! `GET /v1/me/points`: the caller's loyalty points and every entry of
//! their ledger (earned on received orders, taken back by refunds, spent at
//! checkout, given back when an order was not placed or was cancelled).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;

use orderly_domain::{OrderId, POINT_VALUE_PAISE};

use crate::auth::AuthUser;
use crate::problem::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PointsBody {
    pub balance: i64,
    /// What one point takes off an order at checkout, in paise.
    pub point_value: i64,
    /// Newest first.
    pub entries: Vec<PointsEntryBody>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PointsEntryBody {
    pub order_id: Option<OrderId>,
    /// `earned`, `revoked`, `redeemed` or `returned`.
    pub kind: String,
    /// Positive when points came in, negative when they went.
    pub points: i64,
    pub at: DateTime<Utc>,
}

/// The caller's loyalty points.
#[utoipa::path(
    get, path = "/v1/me/points", tag = "me",
    responses((status = 200, body = PointsBody)),
    security(("bearer" = []))
)]
pub async fn my_points(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<PointsBody>, ApiError> {
    let loyalty = state.store.loyalty();
    let balance = loyalty.balance(user.id).await?;
    let entries = loyalty
        .entries(user.id)
        .await?
        .into_iter()
        .map(|entry| PointsEntryBody {
            order_id: entry.order_id,
            kind: entry.kind.as_str().to_owned(),
            points: entry.points,
            at: entry.at,
        })
        .collect();
    Ok(Json(PointsBody {
        balance,
        point_value: POINT_VALUE_PAISE,
        entries,
    }))
}
