//! Stock counts: `GET` and `PUT /v1/inventory/{sku}`.
//!
//! Stock is staff business: sellers may read it; admins, and the seller of
//! a product, may correct it.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use orderly_domain::{Role, Sku};
use orderly_store::{StockLevel, StoreError};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::{ApiError, Problem};
use crate::routes::sku_in_path;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/inventory/{sku}", get(get_inventory).put(set_inventory))
}

/// The stock of one SKU.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockBody {
    pub sku: Sku,
    /// Units physically in the warehouse.
    pub on_hand: i64,
    /// Units promised to orders that have not shipped yet.
    pub reserved: i64,
    /// `on_hand - reserved`: what new orders may take.
    pub available: i64,
}

impl From<StockLevel> for StockBody {
    fn from(stock: StockLevel) -> Self {
        Self {
            available: stock.available(),
            sku: stock.sku,
            on_hand: stock.on_hand,
            reserved: stock.reserved,
        }
    }
}

/// A stock count correction.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SetStockRequest {
    /// Units now in the warehouse; at least what is reserved.
    #[schema(minimum = 0)]
    pub on_hand: i64,
}

/// Stock of one SKU (admins and sellers).
#[utoipa::path(
    get,
    path = "/v1/inventory/{sku}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    responses(
        (status = 200, description = "The stock level", body = StockBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin or seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_inventory(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
) -> Result<Json<StockBody>, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let sku = sku_in_path(&sku)?;
    if let Some(stock) = state.store.inventory().stock(&sku).await? {
        return Ok(Json(stock.into()));
    }
    // A product that was never counted simply has nothing in stock.
    state
        .store
        .catalog()
        .product(&sku)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(StockBody::from(StockLevel {
        sku,
        on_hand: 0,
        reserved: 0,
    })))
}

/// Corrects the counted stock of a SKU (admins, and the product's seller).
#[utoipa::path(
    put,
    path = "/v1/inventory/{sku}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    request_body = SetStockRequest,
    responses(
        (status = 200, description = "The new stock level", body = StockBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor the product's seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Below what is reserved for open orders", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A count below 0 or above 1000000000, or a malformed SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_inventory(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
    ValidJson(request): ValidJson<SetStockRequest>,
) -> Result<Json<StockBody>, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let sku = sku_in_path(&sku)?;
    orderly_domain::check_on_hand(request.on_hand)
        .map_err(|message| ApiError::validation("on_hand", message))?;
    let product = state
        .store
        .catalog()
        .product(&sku)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.ensure_manages(&product)?;
    match state
        .store
        .inventory()
        .set_on_hand(&sku, request.on_hand)
        .await
    {
        Ok(stock) => Ok(Json(stock.into())),
        Err(StoreError::Conflict(detail)) => {
            let reserved = state
                .store
                .inventory()
                .stock(&sku)
                .await?
                .map_or(0, |stock| stock.reserved);
            Err(ApiError::Conflict(format!(
                "{reserved} units of {sku} are reserved for open orders; on_hand cannot go below that ({detail})"
            )))
        }
        Err(other) => Err(other.into()),
    }
}
