//! Placing an order: the one path from a priced order to a running order
//! workflow, shared by `POST /v1/orders` and `POST /v1/checkout`.
//!
//! The workflow is started with update-with-start: it is asked, in the same
//! call, whether it could reserve the stock, so the client gets a
//! synchronous 201 or 409 while the order is already durable in Temporal.
//!
//! An `Idempotency-Key` is claimed before anything else, together with the
//! order id the request will place, and the workflow id is derived from that
//! order id. A retry (after a timeout, a 503, a crash) therefore starts the
//! same workflow id, which Temporal's conflict policy turns into the running
//! order's own answer, never a second order. The key is freed only when the
//! request certainly placed nothing: it was refused before anything reached
//! Temporal, or the workflow answered out of stock. Concurrent requests with
//! one key all get the one order.

use std::future::Future;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use temporalio_client::{
    WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowUpdateWithStartOptions,
};

use orderly_domain::{
    DiscountLine, Fulfillment, Money, OrderId, OrderLine, OrderStatus, OrderView, PaymentDetails,
    Shortage,
};
use orderly_store::IdempotencyClaim;
use orderly_workflows::{
    Admission, CUSTOMER_ID_ATTRIBUTE, Customer, ORDER_STATUS_ATTRIBUTE, OrderTimings,
    OrderWorkflow, PlaceOrder, order_workflow_id,
};
use temporalio_common::search_attributes::SearchAttributes;

use crate::auth::AuthUser;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::workflow_errors::{within, workflow_unavailable};

const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Keyed hash (HMAC-SHA256 with the server's fingerprint key) of a request
/// as parsed, stored beside its `Idempotency-Key`: a retry that formats the
/// same body differently is still the same request, and the stored value
/// tells nothing about the body (a card number, an address) to whoever
/// reads the table without the key.
pub(crate) fn request_fingerprint(state: &AppState, request: &impl serde::Serialize) -> String {
    let canonical = serde_json::to_vec(request).unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&state.settings.fingerprint_key)
        .expect("HMAC accepts keys of any length");
    mac.update(&canonical);
    hex::encode(mac.finalize().into_bytes())
}

/// The `Idempotency-Key` header, if the client sent one.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .map_err(|_| ApiError::validation("Idempotency-Key", "must be printable ASCII"))?;
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(ApiError::validation(
            "Idempotency-Key",
            "must be 1-255 characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// An order priced from the catalogue and ready to place.
pub(crate) struct NewOrder {
    /// At least one line, all in one currency.
    pub items: Vec<OrderLine>,
    pub payment: PaymentDetails,
    pub fulfillment: Fulfillment,
    /// Taken off the lines' sum (a coupon), each spread over its lines.
    pub discounts: Vec<DiscountLine>,
}

/// What placing ended with.
pub(crate) enum Placed {
    /// This request placed the order.
    Created(OrderView),
    /// An earlier request with the same `Idempotency-Key` placed it.
    Replayed(OrderView),
}

impl Placed {
    pub(crate) fn view(&self) -> &OrderView {
        match self {
            Placed::Created(view) | Placed::Replayed(view) => view,
        }
    }
}

impl IntoResponse for Placed {
    fn into_response(self) -> Response {
        match self {
            Placed::Created(view) => (
                StatusCode::CREATED,
                [(header::LOCATION, format!("/v1/orders/{}", view.id))],
                Json(view),
            )
                .into_response(),
            Placed::Replayed(view) => (StatusCode::OK, Json(view)).into_response(),
        }
    }
}

/// Places the order `prepare` builds for the order id it is given, at most
/// once per (`user`, `key`). `fingerprint` identifies the request, so a key
/// reused for a different one is refused. `prepare` runs only when no
/// earlier request with the key placed the order; its refusal is returned
/// as it is and frees the key.
pub(crate) async fn place<F, Fut>(
    state: &AppState,
    user: &AuthUser,
    key: Option<&str>,
    fingerprint: &str,
    prepare: F,
) -> Result<Placed, ApiError>
where
    F: FnOnce(OrderId) -> Fut,
    Fut: Future<Output = Result<NewOrder, ApiError>>,
{
    let account = state
        .store
        .accounts()
        .user_by_id(user.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;

    let mut order_id = OrderId::new();
    let mut claimed = false;
    if let Some(key) = key {
        match state
            .store
            .idempotency()
            .claim_idempotency_key(user.id, key, fingerprint, order_id)
            .await?
        {
            IdempotencyClaim::Claimed => claimed = true,
            IdempotencyClaim::Existing {
                request_hash,
                order_id: existing,
            } => {
                if request_hash != fingerprint {
                    return Err(ApiError::IdempotencyMismatch);
                }
                if let Some(view) = state.store.orders().order(existing).await? {
                    return Ok(Placed::Replayed(view));
                }
                // The earlier attempt has not placed it (yet): place the
                // same order id, which the workflow id makes unique.
                order_id = existing;
            }
        }
    }
    let refused = |error: ApiError| async move {
        if let (true, Some(key)) = (claimed, key) {
            state
                .store
                .idempotency()
                .forget_idempotency_key(user.id, key)
                .await?;
        }
        Err::<Placed, ApiError>(error)
    };

    let order = match prepare(order_id).await {
        Ok(order) => order,
        Err(error) => return refused(error).await,
    };
    if let Err(error) = check_pickup_counter(state, &order.fulfillment).await {
        return refused(error).await;
    }
    let Some(total) = order_total(&order.items, &order.discounts) else {
        return refused(ApiError::validation(
            "items",
            "the order total is too large",
        ))
        .await;
    };

    let input = PlaceOrder {
        order_id,
        customer: Customer {
            id: account.id,
            name: account.name,
            email: account.email,
        },
        items: order.items,
        total,
        payment: order.payment,
        fulfillment: order.fulfillment,
        timings: OrderTimings {
            return_window_secs: state.settings.return_windows.longest(),
            ..state.settings.order_timings.clone()
        },
        discounts: order.discounts,
    };
    // The start publishes the first status itself: the workflow then skips
    // its first upsert, one visibility write fewer per order.
    let search_attributes = SearchAttributes::new([
        ORDER_STATUS_ATTRIBUTE.value_set(OrderStatus::Placed.as_str().to_owned()),
        CUSTOMER_ID_ATTRIBUTE.value_set(input.customer.id.to_string()),
    ]);
    let options = WorkflowUpdateWithStartOptions::new(
        state.settings.task_queue.clone(),
        order_workflow_id(order_id),
        WorkflowIdConflictPolicy::UseExisting,
    )
    .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
    .search_attributes(search_attributes)
    .build();
    let admission = within(
        state,
        state.temporal.execute_update_with_start_workflow(
            OrderWorkflow::run,
            input,
            OrderWorkflow::admit,
            (),
            options,
        ),
    )
    .await?;
    let admission = match admission {
        Ok(admission) => admission,
        Err(err) => {
            // An earlier attempt with this key may have finished already.
            if let Some(view) = state.store.orders().order(order_id).await? {
                return Ok(Placed::Replayed(view));
            }
            // The start may have reached Temporal: the key stays, so a
            // retry with it finds this order instead of placing another.
            return Err(workflow_unavailable(err));
        }
    };
    match admission {
        Admission::Accepted(view) => Ok(Placed::Created(*view)),
        Admission::OutOfStock(shortage) => {
            if let Some(key) = key {
                state
                    .store
                    .idempotency()
                    .forget_idempotency_key(user.id, key)
                    .await?;
            }
            Err(ApiError::OutOfStock(Shortage {
                available: shortage.available.max(0),
                ..shortage
            }))
        }
    }
}

/// A pickup order names a warehouse that is open and has a counter.
async fn check_pickup_counter(state: &AppState, fulfillment: &Fulfillment) -> Result<(), ApiError> {
    let Fulfillment::Pickup {
        warehouse_id: Some(id),
    } = fulfillment
    else {
        return Ok(());
    };
    match state.store.warehouses().get(*id).await? {
        Some(warehouse) if warehouse.active && warehouse.serves_pickup => Ok(()),
        _ => Err(ApiError::validation(
            "fulfillment.warehouse_id",
            "is not an open warehouse with a pickup counter",
        )),
    }
}

/// The sum of the lines less the discounts; `None` when there are no
/// lines or it overflows.
pub(crate) fn order_total(items: &[OrderLine], discounts: &[DiscountLine]) -> Option<Money> {
    let first = items.first()?;
    let lines = items
        .iter()
        .try_fold(Money::zero(first.unit_price.currency), |sum, line| {
            sum.plus(line.subtotal)
        })?;
    let off: i64 = discounts.iter().map(|d| d.amount.amount).sum();
    Some(Money::new((lines.amount - off).max(0), lines.currency))
}
