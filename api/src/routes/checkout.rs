//! Checkout: the active cart becomes an order, through the same placement
//! path as `POST /v1/orders` (and so the same order workflow).
//!
//! Prices are checked again: a line whose catalogue price is no longer the
//! one the shopper saw when adding it stops the checkout with a 409 listing
//! every change, and nothing is placed. The cart is updated to the new
//! prices, so checking out again (having seen them) goes through. On
//! success the cart is closed and its reminder cancelled. The same
//! `Idempotency-Key` never places two orders: a retry returns the first.
//!
//! A checkout claims the cart before anything else (see
//! [`crate::checkout_claims`]): a second checkout of the same cart at the
//! same moment (a double click, two devices, two different keys) is a 409
//! while the first is placing it, and the cart's lines cannot change
//! meanwhile, so nothing added during a checkout is silently left out.

use std::sync::{Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use orderly_domain::{
    Address, DiscountLine, DomainError, Fulfillment, Money, OrderId, OrderLine, OrderView,
    POINT_VALUE_PAISE, POINTS_SOURCE, PaymentInstruction, PriceChange, WarehouseId,
    after_discounts,
};

use orderly_store::{Cart, CheckoutClaimOutcome};

use crate::auth::AuthUser;
use crate::card_tokens;
use crate::cart_reminders;
use crate::checkout_claims::{self, Holder};
use crate::json::ValidJson;
use crate::order_placement::{self, NewOrder, idempotency_key};
use crate::pricing;
use crate::problem::{ApiError, FieldError, Problem};
use crate::routes::coupons;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/checkout", post(checkout))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentChoice {
    Delivery,
    Pickup,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// Delivered to an address, or collected at the store.
    pub fulfillment: FulfillmentChoice,
    /// For delivery: one of the caller's saved addresses...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_id: Option<Uuid>,
    /// ...or a new address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// For pickup: the warehouse to collect from (see `GET /v1/warehouses`,
    /// those with `pickup`); without it, the first counter that holds the
    /// whole order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<WarehouseId>,
    pub payment: PaymentInstruction,
    /// Loyalty points to pay part of the order with (each worth ₹1); no
    /// more are used than the order costs after its discounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
}

impl CheckoutRequest {
    /// What serde cannot check: the choice of address and the payment's
    /// free-text details.
    fn problems(&self) -> Vec<FieldError> {
        let mut errors: Vec<DomainError> = Vec::new();
        if let FulfillmentChoice::Delivery = self.fulfillment {
            match (&self.address_id, &self.address) {
                (None, None) => errors.push(DomainError::new(
                    "address",
                    "delivery needs an address or the address_id of a saved one",
                )),
                (Some(_), Some(_)) => errors.push(DomainError::new(
                    "address",
                    "give either an address or an address_id, not both",
                )),
                (None, Some(address)) => {
                    // The address's own checks name fields as an order's do.
                    errors.extend(address.validate().into_iter().map(|e| {
                        let field = e
                            .field
                            .strip_prefix("fulfillment.")
                            .unwrap_or(&e.field)
                            .to_owned();
                        DomainError::new(field, e.message)
                    }));
                }
                (Some(_), None) => {}
            }
            if self.warehouse_id.is_some() {
                errors.push(DomainError::new(
                    "warehouse_id",
                    "names a pickup counter; a delivery is sent from the nearest warehouse",
                ));
            }
        }
        errors.extend(self.payment.validate());
        errors.into_iter().map(FieldError::from).collect()
    }
}

/// Check out the cart: place it as an order.
#[utoipa::path(
    post, path = "/v1/checkout", tag = "cart",
    request_body = CheckoutRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the same order")),
    responses(
        (status = 201, description = "Order placed; the cart is closed", body = OrderView),
        (status = 200, description = "The order an earlier checkout with this Idempotency-Key placed", body = OrderView),
        (status = 409, description = "The cart is empty, a price changed (`changes` lists `sku`, `was`, `now`; nothing placed), or out of stock (names the SKU)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid address or payment, or an address_id that is not the caller's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn checkout(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ValidJson(request): ValidJson<CheckoutRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let problems = request.problems();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let claimed = Mutex::new(None);
    let placed = order_placement::place(
        &state,
        &user,
        key.as_deref(),
        &crate::order_placement::request_fingerprint(&state, &request),
        |order_id| prepare(&state, &user, &request, order_id, &claimed),
    )
    .await;
    let claimed = claimed.into_inner().unwrap_or_else(PoisonError::into_inner);
    let placed = match placed {
        Ok(placed) => placed,
        Err(error) => {
            // Nothing was placed, for sure, unless Temporal did not answer:
            // then the claim stays, and a retry (or the claim going stale)
            // finds out whether the order exists.
            if let (Some(order_id), false) =
                (claimed, matches!(error, ApiError::ServiceUnavailable(_)))
            {
                state.store.carts().release_checkout(order_id).await?;
                state.store.coupons().release_redemption(order_id).await?;
                state.store.loyalty().give_back(order_id).await?;
            }
            return Err(error);
        }
    };
    close_cart(&state, placed.view().id).await?;
    Ok(placed.into_response())
}

/// Closes the cart whose checkout placed `order_id`; also on a replay, as
/// the attempt that placed the order may have stopped before closing it.
async fn close_cart(state: &AppState, order_id: OrderId) -> Result<(), ApiError> {
    if let Some(cart_id) = state.store.carts().finish_checkout(order_id).await? {
        cart_reminders::cancelled(state, cart_id).await;
    }
    Ok(())
}

/// Claims `cart` for the checkout placing `order_id`, taking over from a
/// checkout that died without placing anything.
async fn claim_cart(state: &AppState, cart: &Cart, order_id: OrderId) -> Result<(), ApiError> {
    let carts = state.store.carts();
    let mut outcome = carts.claim_checkout(cart.id, order_id).await?;
    if let CheckoutClaimOutcome::HeldBy(claim) = outcome {
        outcome = match checkout_claims::holder(state, &claim).await? {
            Holder::Busy => return Err(checkout_claims::in_progress()),
            Holder::Placed(view) => {
                close_cart(state, view.id).await?;
                return Err(ApiError::Conflict(format!(
                    "this cart was already checked out as order {}",
                    view.id
                )));
            }
            Holder::Gone => {
                carts
                    .take_over_checkout(cart.id, claim.order_id, order_id)
                    .await?
            }
        };
    }
    match outcome {
        CheckoutClaimOutcome::Claimed => Ok(()),
        CheckoutClaimOutcome::HeldBy(_) => Err(checkout_claims::in_progress()),
        CheckoutClaimOutcome::Closed => Err(ApiError::Conflict(
            "the cart was checked out meanwhile".into(),
        )),
    }
}

/// The order the cart stands for, at today's prices, provided they are the
/// ones the shopper saw.
async fn prepare(
    state: &AppState,
    user: &AuthUser,
    request: &CheckoutRequest,
    order_id: OrderId,
    claimed: &Mutex<Option<OrderId>>,
) -> Result<NewOrder, ApiError> {
    let fulfillment = fulfillment(state, user, request).await?;
    let cart = state
        .store
        .carts()
        .active_cart(user.id)
        .await?
        .filter(|cart| !cart.items.is_empty())
        .ok_or_else(|| {
            ApiError::Conflict("the cart is empty; add items before checking out".into())
        })?;
    claim_cart(state, &cart, order_id).await?;
    *claimed.lock().unwrap_or_else(PoisonError::into_inner) = Some(order_id);
    let skus: Vec<_> = cart.items.iter().map(|item| item.sku.clone()).collect();
    let products = state.store.catalog().products_by_skus(&skus).await?;
    let mut lines = Vec::with_capacity(cart.items.len());
    let mut changes = Vec::new();
    for item in &cart.items {
        let Some(product) = products.iter().find(|p| p.sku == item.sku && p.active) else {
            return Err(ApiError::Conflict(format!(
                "{} is no longer for sale; remove it from the cart",
                item.sku
            )));
        };
        if product.price != item.unit_price {
            changes.push(PriceChange {
                sku: item.sku.clone(),
                was: item.unit_price,
                now: product.price,
            });
        }
        let subtotal = product.price.times(item.quantity.get()).ok_or_else(|| {
            ApiError::validation(format!("items.{}", item.sku), "the line total is too large")
        })?;
        lines.push(OrderLine {
            sku: item.sku.clone(),
            name: product.name.clone(),
            quantity: item.quantity,
            unit_price: product.price,
            subtotal,
        });
    }
    if !changes.is_empty() {
        let prices: Vec<_> = changes.iter().map(|c| (c.sku.clone(), c.now)).collect();
        state.store.carts().reprice_cart(cart.id, &prices).await?;
        return Err(ApiError::PriceChanged(changes));
    }
    let currency = lines[0].unit_price.currency;
    if lines
        .iter()
        .any(|line| line.unit_price.currency != currency)
    {
        return Err(ApiError::Conflict(
            "the cart holds items priced in different currencies".into(),
        ));
    }
    let mut discounts = pricing::offers_on(state, &lines, &products, Utc::now()).await?;
    if let Some(code) = &cart.coupon {
        let left = after_discounts(&lines, &discounts);
        let coupon =
            coupons::redeem_for_order(state, code, &left, &products, order_id, user.id).await?;
        discounts.push(coupon);
    }
    if let Some(points) = request.points.filter(|points| *points > 0) {
        discounts.extend(pay_with_points(state, user, &lines, &discounts, order_id, points).await?);
    }
    Ok(NewOrder {
        items: lines,
        payment: card_tokens::payment_details(state, &request.payment).await?,
        fulfillment,
        discounts,
    })
}

/// Spends up to `points` of the caller's loyalty points on what `lines`
/// cost after `discounts`, as a discount of its own (`points`).
async fn pay_with_points(
    state: &AppState,
    user: &AuthUser,
    lines: &[OrderLine],
    discounts: &[DiscountLine],
    order_id: OrderId,
    points: u32,
) -> Result<Option<DiscountLine>, ApiError> {
    let left = after_discounts(lines, discounts);
    let owed: i64 = left.iter().map(|line| line.subtotal.amount).sum();
    let used = i64::from(points).min(owed / POINT_VALUE_PAISE);
    if used == 0 {
        return Ok(None);
    }
    let loyalty = state.store.loyalty();
    if !loyalty.spend(user.id, order_id, used).await? {
        let balance = loyalty.balance(user.id).await?;
        return Err(ApiError::Conflict(format!(
            "you have {balance} loyalty points; this checkout asked for {used}"
        )));
    }
    let currency = left[0].subtotal.currency;
    Ok(Some(DiscountLine::spread(
        POINTS_SOURCE.into(),
        Money::new(used * POINT_VALUE_PAISE, currency),
        &left,
    )))
}

async fn fulfillment(
    state: &AppState,
    user: &AuthUser,
    request: &CheckoutRequest,
) -> Result<Fulfillment, ApiError> {
    if let FulfillmentChoice::Pickup = request.fulfillment {
        return Ok(Fulfillment::Pickup {
            warehouse_id: request.warehouse_id,
        });
    }
    let address = match (&request.address_id, &request.address) {
        (Some(id), _) => state
            .store
            .accounts()
            .address_for_user(user.id, *id)
            .await?
            .ok_or_else(|| {
                ApiError::validation("address_id", "is not one of your saved addresses")
            })?,
        (None, Some(address)) => address.clone(),
        (None, None) => {
            return Err(ApiError::validation(
                "address",
                "delivery needs an address or the address_id of a saved one",
            ));
        }
    };
    Ok(Fulfillment::Delivery { address })
}
