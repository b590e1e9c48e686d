//! `GET /v1/warehouses/{id}/shipments`: the packing list of a warehouse,
//! the shipments of the orders it fills, for its staff and for admins.
//!
//! An order filled from several warehouses appears in each of their lists
//! with only the shipment that leaves from there, so staff see (and pack)
//! only their own warehouse's parcels.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use orderly_domain::{OrderId, OrderStatus, ParcelStatus, ParcelView, Role};
use orderly_store::OrderFilter;

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};
use crate::routes::orders::staff_warehouse;
use crate::routes::warehouses::warehouse_in_path;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/warehouses/{id}/shipments", get(list_shipments))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ShipmentsQuery {
    /// Only shipments in this status, e.g. `awaiting_packing`.
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Orders per page, 1-100, default 50.
    pub limit: Option<u32>,
}

/// One shipment on a warehouse's list, with the order it belongs to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarehouseShipment {
    pub order_id: OrderId,
    pub order_status: OrderStatus,
    pub shipment: ParcelView,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarehouseShipmentPage {
    pub items: Vec<WarehouseShipment>,
    /// Pages go by order, newest first: a page covers up to `limit` orders.
    pub next_cursor: Option<String>,
}

/// The shipments leaving from a warehouse, newest order first (admin, or
/// staff of that warehouse).
#[utoipa::path(
    get, path = "/v1/warehouses/{id}/shipments", tag = "warehouse",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The warehouse id"), ShipmentsQuery),
    responses(
        (status = 200, description = "Its shipments", body = WarehouseShipmentPage),
        (status = 403, description = "Neither an admin nor warehouse staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warehouse, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status, a bad cursor or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_shipments(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<ShipmentsQuery>,
) -> Result<Json<WarehouseShipmentPage>, ApiError> {
    user.require(&[Role::Admin, Role::Warehouse])?;
    let warehouse = warehouse_in_path(&state, &id).await?;
    if user.role == Role::Warehouse && staff_warehouse(&state, &user).await? != warehouse.id {
        return Err(ApiError::NotFound);
    }
    let status = match query.status.as_deref() {
        None => None,
        Some(raw) => Some(ParcelStatus::parse(raw).ok_or_else(|| {
            ApiError::validation(
                "status",
                "must be a shipment status, e.g. awaiting_packing or in_transit",
            )
        })?),
    };
    let before = match query.cursor.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.parse::<OrderId>()
                .map_err(|_| ApiError::validation("cursor", "is not a cursor this API issued"))?,
        ),
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 100"));
    }
    let orders = state
        .store
        .orders()
        .list_orders(&OrderFilter {
            warehouse: Some(warehouse.id),
            before,
            limit,
            open_returns: false,
            ..OrderFilter::default()
        })
        .await?;
    let next_cursor = (orders.len() == limit as usize)
        .then(|| orders.last().map(|o| o.id.to_string()))
        .flatten();
    let items = orders
        .into_iter()
        .flat_map(|order| {
            let (order_id, order_status) = (order.id, order.status);
            order
                .shipments
                .into_iter()
                .filter(|p| p.warehouse_id == warehouse.id)
                .filter(|p| status.is_none_or(|s| p.status == s))
                .map(move |shipment| WarehouseShipment {
                    order_id,
                    order_status,
                    shipment,
                })
        })
        .collect();
    Ok(Json(WarehouseShipmentPage { items, next_cursor }))
}
