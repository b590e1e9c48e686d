//! Stock of a SKU: `GET` (totals, and each warehouse's batches with their
//! expiry dates), `PUT /v1/inventory/{sku}` (a stock count, adjusting the
//! default warehouse) and `GET /v1/inventory/{sku}/movements` (the stock
//! ledger).
//!
//! Stock is staff business: admins, and the seller of a product, may read
//! and correct it (batches show what stock cost and who supplied it).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use orderly_domain::{BatchCode, OrderId, Role, Sku, StockReason, WarehouseId};
use orderly_store::{Batch, StockLevel, StockMovement, Warehouse};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::{ApiError, Problem};
use crate::routes::warehouses::BatchBody;
use crate::routes::{managed_product, sku_in_path};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/inventory/{sku}", get(get_inventory).put(set_inventory))
        .route("/v1/inventory/{sku}/movements", get(list_movements))
}

/// The stock of one SKU.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockBody {
    pub sku: Sku,
    /// Units physically in the warehouses.
    pub on_hand: i64,
    /// Units promised to orders that have not shipped yet.
    pub reserved: i64,
    /// `on_hand - reserved`: what new orders may take, if fresh enough.
    pub available: i64,
    /// Where the stock is, warehouse by warehouse (by name).
    pub warehouses: Vec<WarehouseStock>,
}

/// One warehouse's stock of a SKU, batch by batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarehouseStock {
    pub warehouse_id: WarehouseId,
    pub name: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// First to expire first.
    pub batches: Vec<BatchBody>,
}

impl StockBody {
    fn new(stock: StockLevel, batches: Vec<Batch>, warehouses: &[Warehouse]) -> Self {
        let mut by_warehouse: Vec<WarehouseStock> = Vec::new();
        for warehouse in warehouses {
            let batches: Vec<BatchBody> = batches
                .iter()
                .filter(|b| b.key.warehouse_id == warehouse.id)
                .cloned()
                .map(BatchBody::from)
                .collect();
            if batches.is_empty() {
                continue;
            }
            let on_hand = batches.iter().map(|b| b.on_hand).sum::<i64>();
            let reserved = batches.iter().map(|b| b.reserved).sum::<i64>();
            by_warehouse.push(WarehouseStock {
                warehouse_id: warehouse.id,
                name: warehouse.name.clone(),
                on_hand,
                reserved,
                available: on_hand - reserved,
                batches,
            });
        }
        Self {
            available: stock.available(),
            sku: stock.sku,
            on_hand: stock.on_hand,
            reserved: stock.reserved,
            warehouses: by_warehouse,
        }
    }
}

/// One change to a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MovementBody {
    /// The change's unique key: the same change is never recorded twice.
    pub key: String,
    pub warehouse_id: WarehouseId,
    pub batch_code: BatchCode,
    pub reason: StockReason,
    pub on_hand_change: i64,
    pub reserved_change: i64,
    pub order_id: Option<OrderId>,
    pub at: DateTime<Utc>,
}

impl From<StockMovement> for MovementBody {
    fn from(m: StockMovement) -> Self {
        Self {
            key: m.key,
            warehouse_id: m.warehouse_id,
            batch_code: m.batch_code,
            reason: m.reason,
            on_hand_change: m.on_hand_change,
            reserved_change: m.reserved_change,
            order_id: m.order_id,
            at: m.at,
        }
    }
}

/// The stock ledger of a SKU.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MovementsBody {
    pub sku: Sku,
    /// The sums of every movement: always the SKU's `on_hand` and `reserved`.
    pub ledger_on_hand: i64,
    pub ledger_reserved: i64,
    /// The latest 500 movements, newest first.
    pub movements: Vec<MovementBody>,
}

/// A stock count correction.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SetStockRequest {
    /// Units now in the warehouse; at least what is reserved.
    #[schema(minimum = 0)]
    pub on_hand: i64,
}

/// Stock of one SKU, per warehouse and batch (admins, and the product's seller).
#[utoipa::path(
    get,
    path = "/v1/inventory/{sku}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    responses(
        (status = 200, description = "The stock level", body = StockBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor the product's seller", body = Problem, content_type = "application/problem+json"),
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
    // Batches carry what the stock cost and who supplied it: a seller's
    // business, not other sellers'.
    managed_product(&state, &caller, &sku).await?;
    // A product that was never counted simply has nothing in stock.
    let stock = state
        .store
        .inventory()
        .stock(&sku)
        .await?
        .unwrap_or(StockLevel {
            sku: sku.clone(),
            on_hand: 0,
            reserved: 0,
        });
    let batches = state.store.inventory().batches(&sku).await?;
    let warehouses = state.store.warehouses().list(true).await?;
    Ok(Json(StockBody::new(stock, batches, &warehouses)))
}

/// The stock ledger of a SKU: every movement with its reason, and their
/// sums (admins, and the product's seller).
#[utoipa::path(
    get,
    path = "/v1/inventory/{sku}/movements",
    tag = "catalog",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    responses(
        (status = 200, description = "The latest movements and the ledger's sums", body = MovementsBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor the product's seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_movements(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
) -> Result<Json<MovementsBody>, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let sku = sku_in_path(&sku)?;
    managed_product(&state, &caller, &sku).await?;
    let totals = state.store.inventory().ledger_totals(&sku).await?;
    let movements = state.store.inventory().movements(&sku).await?;
    Ok(Json(MovementsBody {
        sku,
        ledger_on_hand: totals.on_hand,
        ledger_reserved: totals.reserved,
        movements: movements.into_iter().map(MovementBody::from).collect(),
    }))
}

/// Corrects the counted stock of a SKU (admins, and the product's seller):
/// the difference is a stock-count adjustment of the default warehouse.
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
        (status = 409, description = "Below what is reserved for open orders, or more than the default warehouse has free", body = Problem, content_type = "application/problem+json"),
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
    managed_product(&state, &caller, &sku).await?;
    state
        .store
        .inventory()
        .set_on_hand(&sku, request.on_hand)
        .await?;
    get_inventory(State(state), caller, Path(sku.to_string())).await
}
