//! `/v1/warehouses`: where stock is kept, and the goods receipts and
//! write-offs that change it.
//!
//! Admins open and change warehouses; every logged-in account may list the
//! active ones (customers choose a pickup warehouse from them). A receipt
//! books a delivery in as a new batch, and a write-off throws free stock
//! of a batch away; both are open to admins and to the seller of the SKU,
//! and both go through the stock ledger.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use orderly_domain::{
    Address, BatchCode, MAX_ON_HAND, Money, Role, Sku, SupplierId, WarehouseId,
    expiry_from_shelf_life,
};
use orderly_store::{Batch, BatchKey, GoodsReceipt, Warehouse, WarehouseSetup};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::{ApiError, FieldError, Problem};
use crate::routes::managed_product;
use crate::routes::me::addresses::field_of;
use crate::state::AppState;

const NAME_MAX_CHARS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/warehouses",
            get(list_warehouses).post(create_warehouse),
        )
        .route(
            "/v1/warehouses/{id}",
            get(get_warehouse).put(update_warehouse),
        )
        .route("/v1/warehouses/{id}/receipts", post(receive_batch))
        .route("/v1/warehouses/{id}/write-offs", post(write_off))
}

/// A warehouse as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarehouseBody {
    pub id: WarehouseId,
    pub name: String,
    pub address: Address,
    /// Customers may collect orders here.
    pub serves_pickup: bool,
    /// It can keep produce chilled.
    pub cold_storage: bool,
    /// Stock of an inactive warehouse is not reserved for new orders.
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Warehouse> for WarehouseBody {
    fn from(w: Warehouse) -> Self {
        Self {
            id: w.id,
            name: w.name,
            address: w.address,
            serves_pickup: w.serves_pickup,
            cold_storage: w.cold_storage,
            active: w.active,
            created_at: w.created_at,
        }
    }
}

/// A warehouse's set-up.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseRequest {
    /// Unique among warehouses, 1 to 100 characters.
    pub name: String,
    pub address: Address,
    #[serde(default)]
    pub serves_pickup: bool,
    #[serde(default)]
    pub cold_storage: bool,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

impl WarehouseRequest {
    fn checked(self) -> Result<WarehouseSetup, ApiError> {
        let name = self.name.trim().to_owned();
        let address = self.address.normalized();
        let mut errors: Vec<FieldError> = address
            .validate()
            .into_iter()
            .map(|error| {
                let field = field_of(error);
                FieldError::new(format!("address.{}", field.field), field.message)
            })
            .collect();
        if name.is_empty()
            || name.chars().count() > NAME_MAX_CHARS
            || name.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                "name",
                format!("must be 1 to {NAME_MAX_CHARS} printable characters"),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(WarehouseSetup {
            name,
            address,
            serves_pickup: self.serves_pickup,
            cold_storage: self.cold_storage,
            active: self.active,
        })
    }
}

/// A delivery being booked in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    pub sku: Sku,
    /// Units received, 1 to 1000000000.
    pub quantity: i64,
    /// Unique per SKU within the warehouse: a receipt sent twice is a 409.
    pub batch_code: BatchCode,
    pub supplier_id: Option<SupplierId>,
    /// Defaults to today (UTC).
    pub received_on: Option<NaiveDate>,
    /// The last day the batch may be sold; defaults to the received date
    /// plus the product's `shelf_life_days`, and to none for a product
    /// without a shelf life.
    pub expires_on: Option<NaiveDate>,
    /// What one unit cost.
    pub unit_cost: Money,
}

/// Stock thrown away.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffRequest {
    pub sku: Sku,
    pub batch_code: BatchCode,
    /// Free units of the batch to write off, at least 1.
    pub quantity: i64,
}

/// A batch and what is left of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchBody {
    pub sku: Sku,
    pub warehouse_id: WarehouseId,
    pub batch_code: BatchCode,
    pub supplier_id: Option<SupplierId>,
    pub received_on: NaiveDate,
    /// `null` for stock that does not spoil.
    pub expires_on: Option<NaiveDate>,
    /// `null` for stock found by a count.
    pub unit_cost: Option<Money>,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
}

impl From<Batch> for BatchBody {
    fn from(b: Batch) -> Self {
        Self {
            available: b.on_hand - b.reserved,
            sku: b.key.sku,
            warehouse_id: b.key.warehouse_id,
            batch_code: b.key.batch_code,
            supplier_id: b.supplier_id,
            received_on: b.received_on,
            expires_on: b.expires_on,
            unit_cost: b.unit_cost,
            on_hand: b.on_hand,
            reserved: b.reserved,
        }
    }
}

/// Warehouses by name: every one for admins, the active ones for others.
#[utoipa::path(
    get, path = "/v1/warehouses", tag = "warehouses",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The warehouses", body = [WarehouseBody]),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_warehouses(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<Vec<WarehouseBody>>, ApiError> {
    let all = caller.role == Role::Admin;
    let warehouses = state.store.warehouses().list(all).await?;
    Ok(Json(
        warehouses.into_iter().map(WarehouseBody::from).collect(),
    ))
}

/// Opens a warehouse (admin).
#[utoipa::path(
    post, path = "/v1/warehouses", tag = "warehouses",
    security(("bearer" = [])),
    request_body = WarehouseRequest,
    responses(
        (status = 201, description = "The new warehouse", body = WarehouseBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another warehouse has that name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank name or an incomplete address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_warehouse(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(request): ValidJson<WarehouseRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let setup = request.checked()?;
    let warehouse = state.store.warehouses().create(&setup).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/v1/warehouses/{}", warehouse.id))],
        Json(WarehouseBody::from(warehouse)),
    ))
}

/// One warehouse; an inactive one only for admins.
#[utoipa::path(
    get, path = "/v1/warehouses/{id}", tag = "warehouses",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The warehouse id")),
    responses(
        (status = 200, description = "The warehouse", body = WarehouseBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warehouse", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_warehouse(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<WarehouseBody>, ApiError> {
    let warehouse = warehouse_in_path(&state, &id).await?;
    if !warehouse.active && caller.role != Role::Admin {
        return Err(ApiError::NotFound);
    }
    Ok(Json(warehouse.into()))
}

/// Replaces a warehouse's set-up, e.g. to deactivate it (admin).
#[utoipa::path(
    put, path = "/v1/warehouses/{id}", tag = "warehouses",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The warehouse id")),
    request_body = WarehouseRequest,
    responses(
        (status = 200, description = "The warehouse as it is now", body = WarehouseBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warehouse", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another warehouse has that name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank name or an incomplete address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_warehouse(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<WarehouseRequest>,
) -> Result<Json<WarehouseBody>, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = warehouse_id(&id)?;
    let setup = request.checked()?;
    let warehouse = state.store.warehouses().update(id, &setup).await?;
    Ok(Json(warehouse.into()))
}

/// Books a delivery in as a new batch (admins, and the SKU's seller).
#[utoipa::path(
    post, path = "/v1/warehouses/{id}/receipts", tag = "warehouses",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The warehouse id")),
    request_body = ReceiptRequest,
    responses(
        (status = 201, description = "The new batch", body = BatchBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor the product's seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warehouse or product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The batch was received already, or the SKU would hold too much", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad quantity, cost, supplier or dates", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receive_batch(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<ReceiptRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let warehouse = warehouse_in_path(&state, &id).await?;
    let product = managed_product(&state, &caller, &request.sku).await?;
    let mut errors = Vec::new();
    if !(1..=MAX_ON_HAND).contains(&request.quantity) {
        errors.push(FieldError::new(
            "quantity",
            format!("must be 1 to {MAX_ON_HAND}"),
        ));
    }
    if request.unit_cost.amount < 0 {
        errors.push(FieldError::new("unit_cost.amount", "must not be negative"));
    }
    let received_on = request
        .received_on
        .unwrap_or_else(|| Utc::now().date_naive());
    if received_on > Utc::now().date_naive() {
        errors.push(FieldError::new("received_on", "must not be in the future"));
    }
    let expires_on = request
        .expires_on
        .or_else(|| expiry_from_shelf_life(received_on, product.attributes.shelf_life_days));
    if let Some(expires_on) = expires_on
        && expires_on < received_on
    {
        errors.push(FieldError::new(
            "expires_on",
            "must not be before the received date",
        ));
    }
    if let Some(supplier_id) = request.supplier_id
        && state.store.suppliers().get(supplier_id).await?.is_none()
    {
        errors.push(FieldError::new("supplier_id", "no such supplier"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let batch = state
        .store
        .inventory()
        .receive(&GoodsReceipt {
            key: BatchKey {
                sku: request.sku,
                warehouse_id: warehouse.id,
                batch_code: request.batch_code,
            },
            supplier_id: request.supplier_id,
            received_on,
            expires_on,
            unit_cost: request.unit_cost,
            quantity: request.quantity,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(BatchBody::from(batch))))
}

/// Throws away free stock of a batch: expired, spoiled or damaged
/// (admins, and the SKU's seller).
#[utoipa::path(
    post, path = "/v1/warehouses/{id}/write-offs", tag = "warehouses",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The warehouse id")),
    request_body = WriteOffRequest,
    responses(
        (status = 200, description = "The batch as it is now", body = BatchBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor the product's seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such warehouse, product or batch", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Fewer units of the batch are free", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A quantity below 1", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn write_off(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<WriteOffRequest>,
) -> Result<Json<BatchBody>, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let warehouse = warehouse_in_path(&state, &id).await?;
    managed_product(&state, &caller, &request.sku).await?;
    if !(1..=MAX_ON_HAND).contains(&request.quantity) {
        return Err(ApiError::validation(
            "quantity",
            format!("must be 1 to {MAX_ON_HAND}"),
        ));
    }
    let key = BatchKey {
        sku: request.sku,
        warehouse_id: warehouse.id,
        batch_code: request.batch_code,
    };
    let batch = state
        .store
        .inventory()
        .write_off(&key, request.quantity)
        .await?;
    Ok(Json(batch.into()))
}

fn warehouse_id(raw: &str) -> Result<WarehouseId, ApiError> {
    raw.parse()
        .map_err(|error: orderly_domain::DomainError| ApiError::Validation(vec![error.into()]))
}

pub(crate) async fn warehouse_in_path(state: &AppState, raw: &str) -> Result<Warehouse, ApiError> {
    let id = warehouse_id(raw)?;
    state
        .store
        .warehouses()
        .get(id)
        .await?
        .ok_or(ApiError::NotFound)
}
