//! Orders: placing one starts its workflow; everything after is an update
//! or a read of the read model.
//!
//! `POST /v1/orders` prices the request and hands it to
//! [`crate::order_placement`] (shared with checkout), which starts the
//! workflow with update-with-start and answers 201 or 409 synchronously.
//! Reads never go to Temporal: the workflow writes the read model at every
//! transition.

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use temporalio_client::WorkflowExecuteUpdateOptions;
use temporalio_common::{HasWorkflowDefinition, UpdateDefinition};

use chrono::Utc;
use orderly_domain::{
    DiscountLine, DomainError, Fulfillment, OrderId, OrderLine, OrderStatus, OrderView,
    PaymentInstruction, Quantity, Role, ShipmentView, Sku, TimelineEntry, WarehouseId,
};
use orderly_store::OrderFilter;
use orderly_workflows::{CancelRequest, OrderWorkflow, order_workflow_id};

use crate::auth::AuthUser;
use crate::card_tokens;
use crate::json::ValidJson;
use crate::order_placement::{self, NewOrder, idempotency_key};
use crate::pricing;
use crate::problem::{ApiError, FieldError};
use crate::state::AppState;
use crate::workflow_errors::{update_refusal, within};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders", post(place_order).get(list_orders))
        .route("/v1/orders/{id}", get(get_order))
        .route("/v1/orders/{id}/tracking", get(get_tracking))
        .route("/v1/orders/{id}/cancel", post(cancel_order))
        .route("/v1/orders/{id}/pack", post(pack_order))
        .route(
            "/v1/orders/{id}/shipments/{shipment_id}/pack",
            post(pack_shipment),
        )
        .route("/v1/orders/{id}/ready-for-pickup", post(ready_for_pickup))
        .route("/v1/orders/{id}/picked-up", post(picked_up))
        .route("/v1/orders/{id}/release-hold", post(release_hold))
}

/// Most lines one order may have.
const MAX_LINES: usize = 50;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderItemRequest {
    pub sku: Sku,
    pub quantity: Quantity,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderRequest {
    pub items: Vec<OrderItemRequest>,
    pub payment: PaymentInstruction,
    pub fulfillment: Fulfillment,
}

impl PlaceOrderRequest {
    /// What serde cannot check: the shape of the whole order.
    fn problems(&self) -> Vec<FieldError> {
        let mut errors: Vec<DomainError> = Vec::new();
        if self.items.is_empty() {
            errors.push(DomainError::new("items", "must contain at least one item"));
        }
        if self.items.len() > MAX_LINES {
            errors.push(DomainError::new(
                "items",
                format!("must contain at most {MAX_LINES} lines"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, item) in self.items.iter().enumerate() {
            if !seen.insert(&item.sku) {
                errors.push(DomainError::new(
                    format!("items[{i}].sku"),
                    format!(
                        "{} appears more than once; combine the quantities",
                        item.sku
                    ),
                ));
            }
        }
        errors.extend(self.payment.validate());
        if let Fulfillment::Delivery { address } = &self.fulfillment {
            errors.extend(address.validate());
        }
        errors.into_iter().map(FieldError::from).collect()
    }
}

/// Place an order.
#[utoipa::path(
    post, path = "/v1/orders", tag = "orders",
    request_body = PlaceOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the same order")),
    responses(
        (status = 201, description = "Order placed", body = OrderView),
        (status = 200, description = "The order an earlier request with this Idempotency-Key placed", body = OrderView),
        (status = 409, description = "Out of stock (names the SKU)"),
        (status = 422, description = "Invalid order"),
    ),
    security(("bearer" = []))
)]
pub async fn place_order(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ValidJson(request): ValidJson<PlaceOrderRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let problems = request.problems();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let placed = order_placement::place(
        &state,
        &user,
        key.as_deref(),
        &crate::order_placement::request_fingerprint(&state, &request),
        |_| async {
            let (items, discounts) = price(&state, &request).await?;
            Ok(NewOrder {
                items,
                payment: card_tokens::payment_details(&state, &request.payment).await?,
                fulfillment: request.fulfillment.clone(),
                discounts,
            })
        },
    )
    .await?;
    Ok(placed.into_response())
}

/// Prices every line from the catalog as it is now, with the discounts the
/// price rules in force give it; the order keeps these prices whatever
/// happens to the catalog later.
async fn price(
    state: &AppState,
    request: &PlaceOrderRequest,
) -> Result<(Vec<OrderLine>, Vec<DiscountLine>), ApiError> {
    let skus: Vec<Sku> = request.items.iter().map(|i| i.sku.clone()).collect();
    let products = state.store.catalog().products_by_skus(&skus).await?;
    let mut lines = Vec::with_capacity(request.items.len());
    let mut errors = Vec::new();
    for (i, item) in request.items.iter().enumerate() {
        let Some(product) = products.iter().find(|p| p.sku == item.sku && p.active) else {
            errors.push(FieldError::new(
                format!("items[{i}].sku"),
                format!("no product with SKU {} is for sale", item.sku),
            ));
            continue;
        };
        let Some(subtotal) = product.price.times(item.quantity.get()) else {
            errors.push(FieldError::new(format!("items[{i}].quantity"), "too large"));
            continue;
        };
        lines.push(OrderLine {
            sku: item.sku.clone(),
            name: product.name.clone(),
            quantity: item.quantity,
            unit_price: product.price,
            subtotal,
        });
    }
    if let Some(first) = lines.first() {
        let currency = first.unit_price.currency;
        if lines.iter().any(|l| l.unit_price.currency != currency) {
            errors.push(FieldError::new(
                "items",
                "all items of one order must be priced in the same currency",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let discounts = pricing::offers_on(state, &lines, &products, Utc::now()).await?;
    Ok((lines, discounts))
}

fn parse_order_id(raw: &str) -> Result<OrderId, ApiError> {
    // An id that cannot exist is simply not found; it reveals nothing.
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// The order, if the caller may see it: customers see only their own;
/// another customer's order is indistinguishable from a missing one.
pub(crate) async fn visible_order(
    state: &AppState,
    user: &AuthUser,
    raw_id: &str,
) -> Result<OrderView, ApiError> {
    let id = parse_order_id(raw_id)?;
    let view = state
        .store
        .orders()
        .order(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if user.role != Role::Admin && view.customer_id != user.id {
        return Err(ApiError::NotFound);
    }
    Ok(view)
}

/// The warehouse a member of warehouse staff works in; staff without one
/// see no orders.
pub(crate) async fn staff_warehouse(
    state: &AppState,
    user: &AuthUser,
) -> Result<WarehouseId, ApiError> {
    state
        .store
        .accounts()
        .staff_member(user.id)
        .await?
        .and_then(|member| member.warehouse_id)
        .ok_or(ApiError::NotFound)
}

/// An order as warehouse staff see it: one whose shipment `shipment` leaves
/// from their warehouse, or (without a shipment) one whose every reserved
/// unit is there; any other is answered like an unknown one.
pub(crate) async fn warehouse_order(
    state: &AppState,
    user: &AuthUser,
    raw_id: &str,
    shipment: Option<u32>,
) -> Result<OrderView, ApiError> {
    let id = parse_order_id(raw_id)?;
    let warehouse = staff_warehouse(state, user).await?;
    let view = state
        .store
        .orders()
        .order(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let theirs = match shipment {
        Some(number) => view
            .shipments
            .iter()
            .any(|p| p.id == number && p.warehouse_id == warehouse),
        None => {
            let held = state.store.inventory().reserved_batches(id).await?;
            !held.is_empty()
                && held
                    .iter()
                    .all(|(batch, _)| batch.warehouse_id == warehouse)
        }
    };
    if !theirs {
        return Err(ApiError::NotFound);
    }
    Ok(view)
}

/// One order with its payment receipt, shipment and timeline.
#[utoipa::path(
    get, path = "/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderView), (status = 404, description = "No such order")),
    security(("bearer" = []))
)]
pub async fn get_order(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    visible_order(&state, &user, &id).await.map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListOrdersQuery {
    /// Only orders in this status.
    pub status: Option<String>,
    /// `true`: only orders with a return still in progress.
    pub open_returns: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100, default 20.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    pub next_cursor: Option<String>,
}

/// Own orders, newest first (admins see every order, warehouse staff those
/// their warehouse fills).
#[utoipa::path(
    get, path = "/v1/orders", tag = "orders",
    params(ListOrdersQuery),
    responses((status = 200, body = OrderPage)),
    security(("bearer" = []))
)]
pub async fn list_orders(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<ListOrdersQuery>,
) -> Result<Json<OrderPage>, ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some(raw) => Some(OrderStatus::parse(raw).ok_or_else(|| {
            ApiError::validation("status", "must be one of the order statuses, e.g. paid")
        })?),
    };
    let before = match query.cursor.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.parse::<OrderId>()
                .map_err(|_| ApiError::validation("cursor", "is not a cursor this API issued"))?,
        ),
    };
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 100"));
    }
    // Warehouse staff list the orders their warehouse fills; everyone
    // else but admins their own.
    let (customer, warehouse) = match user.role {
        Role::Admin => (None, None),
        Role::Warehouse => (None, Some(staff_warehouse(&state, &user).await?)),
        _ => (Some(user.id), None),
    };
    let items = state
        .store
        .orders()
        .list_orders(&OrderFilter {
            customer,
            warehouse,
            status,
            open_returns: query.open_returns.unwrap_or(false),
            before,
            limit,
        })
        .await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|o| o.id.to_string()))
        .flatten();
    Ok(Json(OrderPage { items, next_cursor }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tracking {
    pub order_id: OrderId,
    pub status: OrderStatus,
    pub shipment: Option<ShipmentView>,
    pub timeline: Vec<TimelineEntry>,
}

/// Where the parcel is.
#[utoipa::path(
    get, path = "/v1/orders/{id}/tracking", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = Tracking), (status = 404, description = "No such order")),
    security(("bearer" = []))
)]
pub async fn get_tracking(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Tracking>, ApiError> {
    let view = visible_order(&state, &user, &id).await?;
    Ok(Json(Tracking {
        order_id: view.id,
        status: view.status,
        shipment: view.shipment,
        timeline: view.timeline,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why the order is cancelled, shown in its timeline.
    pub reason: Option<String>,
}

/// Cancel an order; allowed until it is shipped. Refunds and restocks.
#[utoipa::path(
    post, path = "/v1/orders/{id}/cancel", tag = "orders",
    params(("id" = String, Path, description = "Order id")),
    request_body(content = Option<CancelBody>, description = "Optional reason"),
    responses(
        (status = 200, description = "Cancelled, compensations done", body = OrderView),
        (status = 409, description = "Too late to cancel (the reason is in `detail`)"),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_order(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: Option<ValidJson<CancelBody>>,
) -> Result<Json<OrderView>, ApiError> {
    let view = visible_order(&state, &user, &id).await?;
    let reason = body
        .and_then(|ValidJson(b)| b.reason)
        .map(|r| r.trim().chars().take(500).collect::<String>())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| match user.role {
            Role::Admin => "cancelled by the shop".to_owned(),
            _ => "cancelled by the customer".to_owned(),
        });
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(view.id));
    within(
        &state,
        handle.execute_update(
            OrderWorkflow::cancel,
            CancelRequest { reason },
            WorkflowExecuteUpdateOptions::default(),
        ),
    )
    .await?
    .map(Json)
    .map_err(|err| update_refusal(err, &view))
}

async fn warehouse_step<U>(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    step: U,
) -> Result<Json<OrderView>, ApiError>
where
    U: UpdateDefinition<
            Workflow = <OrderWorkflow as HasWorkflowDefinition>::Run,
            Input = (),
            Output = OrderView,
        >,
{
    user.require(&[Role::Admin, Role::Warehouse])?;
    let view = match user.role {
        Role::Warehouse => warehouse_order(state, user, id, None).await?,
        _ => visible_order(state, user, id).await?,
    };
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(view.id));
    within(
        state,
        handle.execute_update(step, (), WorkflowExecuteUpdateOptions::default()),
    )
    .await?
    .map(Json)
    .map_err(|err| update_refusal(err, &view))
}

/// Warehouse: the order is packed (admin, or staff of the warehouse holding its stock).
#[utoipa::path(
    post, path = "/v1/orders/{id}/pack", tag = "warehouse",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderView), (status = 409, description = "Not paid yet, or already past this step")),
    security(("bearer" = []))
)]
pub async fn pack_order(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    warehouse_step(&state, &user, &id, OrderWorkflow::pack).await
}

/// Warehouse: one shipment of an order filled from several warehouses is
/// packed and goes to the carrier (admin, or staff of the warehouse it
/// leaves from). `shipment_id` is the `id` in the order's `shipments`.
#[utoipa::path(
    post, path = "/v1/orders/{id}/shipments/{shipment_id}/pack", tag = "warehouse",
    params(("id" = String, Path, description = "Order id"),
           ("shipment_id" = u32, Path, description = "The shipment's id in the order's `shipments`")),
    responses((status = 200, body = OrderView),
              (status = 404, description = "No such order or shipment"),
              (status = 409, description = "Not paid yet, being cancelled, or the shipment is already packed")),
    security(("bearer" = []))
)]
pub async fn pack_shipment(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, shipment)): Path<(String, String)>,
) -> Result<Json<OrderView>, ApiError> {
    user.require(&[Role::Admin, Role::Warehouse])?;
    let number: u32 = shipment
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(ApiError::NotFound)?;
    let view = match user.role {
        Role::Warehouse => warehouse_order(&state, &user, &id, Some(number)).await?,
        _ => visible_order(&state, &user, &id).await?,
    };
    if !view.shipments.iter().any(|p| p.id == number) {
        return Err(ApiError::NotFound);
    }
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(view.id));
    within(
        &state,
        handle.execute_update(
            OrderWorkflow::pack_shipment,
            number,
            WorkflowExecuteUpdateOptions::default(),
        ),
    )
    .await?
    .map(Json)
    .map_err(|err| update_refusal(err, &view))
}

/// Warehouse: a packed pickup order is waiting at the counter (admin).
#[utoipa::path(
    post, path = "/v1/orders/{id}/ready-for-pickup", tag = "warehouse",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderView), (status = 409, description = "Not packed, or not a pickup order")),
    security(("bearer" = []))
)]
pub async fn ready_for_pickup(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    warehouse_step(&state, &user, &id, OrderWorkflow::ready_for_pickup).await
}

/// Warehouse: the customer collected the order (admin).
#[utoipa::path(
    post, path = "/v1/orders/{id}/picked-up", tag = "warehouse",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderView), (status = 409, description = "Not ready for pickup")),
    security(("bearer" = []))
)]
pub async fn picked_up(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    warehouse_step(&state, &user, &id, OrderWorkflow::picked_up).await
}

/// Ops: an order on hold (its payment did not match its total) goes on to
/// fulfilment with what was captured (admin). Cancel it instead to refund.
#[utoipa::path(
    post, path = "/v1/orders/{id}/release-hold", tag = "warehouse",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderView), (status = 409, description = "Not on hold")),
    security(("bearer" = []))
)]
pub async fn release_hold(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    warehouse_step(&state, &user, &id, OrderWorkflow::release_hold).await
}
