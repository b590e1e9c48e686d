//! The shopping cart: one active cart per user, kept in the database so it
//! survives logout and follows the user across devices.
//!
//! Every answer carries the cart id, the total number of items and the total
//! price; a change also names the line it affected (a removal says so in
//! `message` instead). Adding more than is available is a 409 naming the
//! SKU and what is available: the cart reserves nothing, but it does not
//! let a shopper collect what checkout would refuse. Each change restarts
//! the cart's reminder; emptying it cancels the reminder.

use std::future::Future;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use orderly_domain::{CartStatus, CouponCode, Currency, Money, Quantity, Sku};
use orderly_store::{
    Cart, CartAdd, CartChange, CartItem, CartRequestKey, CheckoutClaim, StoreError,
};

use crate::auth::AuthUser;
use crate::cart_reminders;
use crate::checkout_claims::{self, Holder};
use crate::json::ValidJson;
use crate::order_placement::{idempotency_key, request_fingerprint};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/cart", get(view_cart).delete(empty_cart))
        .route("/v1/cart/items", post(add_item))
        .route(
            "/v1/cart/items/{sku}",
            patch(set_quantity).delete(remove_item),
        )
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCartItem {
    pub sku: Sku,
    /// Added to the quantity already in the cart, if any.
    pub quantity: Quantity,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCartQuantity {
    /// The line's new quantity (remove the line to drop it).
    pub quantity: Quantity,
}

/// One line of the cart, at the unit price the shopper saw when adding it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CartLine {
    pub sku: Sku,
    pub name: String,
    pub unit_price: Money,
    pub quantity: Quantity,
    pub subtotal: Money,
}

/// The answer to a change of the cart.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CartChangeAnswer {
    pub cart_id: Uuid,
    /// The sum of the quantities of every line.
    pub total_items: u32,
    pub total_price: Money,
    /// The line the change affected (absent when it was removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<CartLine>,
    /// What happened, on removals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The whole cart.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CartBody {
    pub cart_id: Uuid,
    pub status: CartStatus,
    pub total_items: u32,
    pub total_price: Money,
    /// In the order they were first added.
    pub items: Vec<CartLine>,
    /// The coupon applied (`POST /v1/cart/coupon`), checked again at checkout.
    pub coupon: Option<CouponCode>,
    pub updated_at: DateTime<Utc>,
}

/// The caller's cart (an empty one is opened if they have none).
#[utoipa::path(
    get, path = "/v1/cart", tag = "cart",
    responses(
        (status = 200, body = CartBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn view_cart(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<CartBody>, ApiError> {
    let cart = state.store.carts().open_cart(user.id).await?;
    let (total_items, total_price) = totals(&cart)?;
    let items = cart.items.iter().map(line).collect::<Result<_, _>>()?;
    Ok(Json(CartBody {
        cart_id: cart.id,
        status: cart.status,
        total_items,
        total_price,
        items,
        coupon: cart.coupon,
        updated_at: cart.updated_at,
    }))
}

/// Add an item to the cart; an item already there grows by `quantity`.
///
/// With an `Idempotency-Key`, a retry of the same request adds nothing and
/// answers with the cart as it is now; the same key with another body is a
/// 422.
#[utoipa::path(
    post, path = "/v1/cart/items", tag = "cart",
    request_body = AddCartItem,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body adds the item once")),
    responses(
        (status = 200, description = "Added (or added by an earlier request with this Idempotency-Key); `item` is the line as it is now", body = CartChangeAnswer),
        (status = 409, description = "More than is available (names the SKU and `available`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown SKU, a quantity outside 1-1000, or an Idempotency-Key reused with another body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn add_item(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ValidJson(body): ValidJson<AddCartItem>,
) -> Result<Json<CartChangeAnswer>, ApiError> {
    let request_key = idempotency_key(&headers)?.map(|key| CartRequestKey {
        key,
        request_hash: request_fingerprint(&state, &body),
    });
    let product = state
        .store
        .catalog()
        .product(&body.sku)
        .await?
        .filter(|product| product.active)
        .ok_or_else(|| {
            ApiError::validation(
                "sku",
                format!("no product with SKU {} is for sale", body.sku),
            )
        })?;
    let added = unclaimed(&state, || {
        state.store.carts().add_to_cart(
            user.id,
            &body.sku,
            body.quantity,
            product.price,
            request_key.as_ref(),
        )
    })
    .await?;
    let change = match added {
        CartAdd::Done(change) => change,
        CartAdd::Replayed { request_hash, cart } => {
            if request_key.is_none_or(|key| key.request_hash != request_hash) {
                return Err(ApiError::IdempotencyMismatch);
            }
            return answer(&cart, Some(&body.sku), None).map(Json);
        }
    };
    let cart = changed(change, &body.sku)?;
    cart_reminders::touched(&state, &cart).await;
    answer(&cart, Some(&body.sku), None).map(Json)
}

/// Set the quantity of an item in the cart.
#[utoipa::path(
    patch, path = "/v1/cart/items/{sku}", tag = "cart",
    params(("sku" = String, Path, description = "SKU of a line in the cart")),
    request_body = SetCartQuantity,
    responses(
        (status = 200, body = CartChangeAnswer),
        (status = 404, description = "The SKU is not in the cart", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "More than is available (names the SKU and `available`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A quantity outside 1-1000", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_quantity(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sku): Path<String>,
    ValidJson(body): ValidJson<SetCartQuantity>,
) -> Result<Json<CartChangeAnswer>, ApiError> {
    let sku = line_sku(&sku)?;
    let change = unclaimed(&state, || {
        state
            .store
            .carts()
            .set_cart_quantity(user.id, &sku, body.quantity)
    })
    .await?;
    let cart = changed(change, &sku)?;
    cart_reminders::touched(&state, &cart).await;
    answer(&cart, Some(&sku), None).map(Json)
}

/// Remove an item from the cart.
#[utoipa::path(
    delete, path = "/v1/cart/items/{sku}", tag = "cart",
    params(("sku" = String, Path, description = "SKU of a line in the cart")),
    responses(
        (status = 200, body = CartChangeAnswer),
        (status = 404, description = "The SKU is not in the cart", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sku): Path<String>,
) -> Result<Json<CartChangeAnswer>, ApiError> {
    let sku = line_sku(&sku)?;
    let change = unclaimed(&state, || {
        state.store.carts().remove_from_cart(user.id, &sku)
    })
    .await?;
    let cart = changed(change, &sku)?;
    if cart.items.is_empty() {
        cart_reminders::cancelled(&state, cart.id).await;
    } else {
        cart_reminders::touched(&state, &cart).await;
    }
    answer(&cart, None, Some("Item removed successfully.")).map(Json)
}

/// Empty the cart; its reminder is cancelled.
#[utoipa::path(
    delete, path = "/v1/cart", tag = "cart",
    responses((status = 200, body = CartChangeAnswer)),
    security(("bearer" = []))
)]
pub async fn empty_cart(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<CartChangeAnswer>, ApiError> {
    let change = unclaimed(&state, || state.store.carts().empty_cart(user.id)).await?;
    let CartChange::Changed(cart) = change else {
        return Err(checkout_claims::in_progress());
    };
    cart_reminders::cancelled(&state, cart.id).await;
    answer(&cart, None, Some("The cart is empty.")).map(Json)
}

/// What a change of the cart is refused with while a checkout holds it.
trait HeldByCheckout {
    fn checkout(&self) -> Option<CheckoutClaim>;
}

impl HeldByCheckout for CartChange {
    fn checkout(&self) -> Option<CheckoutClaim> {
        match self {
            CartChange::CheckoutInProgress(claim) => Some(*claim),
            _ => None,
        }
    }
}

impl HeldByCheckout for CartAdd {
    fn checkout(&self) -> Option<CheckoutClaim> {
        match self {
            CartAdd::Done(change) => change.checkout(),
            CartAdd::Replayed { .. } => None,
        }
    }
}

/// Runs a change of the caller's cart. While a checkout holds the cart the
/// change is refused (409), unless that checkout died: then the cart is
/// closed (it placed an order, and the change goes to a new cart) or given
/// back (it placed nothing), and the change runs again.
async fn unclaimed<T, F, Fut>(state: &AppState, change: F) -> Result<T, ApiError>
where
    T: HeldByCheckout,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let first = change().await?;
    let Some(claim) = first.checkout() else {
        return Ok(first);
    };
    match checkout_claims::holder(state, &claim).await? {
        Holder::Busy => return Err(checkout_claims::in_progress()),
        Holder::Placed(view) => {
            if let Some(cart_id) = state.store.carts().finish_checkout(view.id).await? {
                cart_reminders::cancelled(state, cart_id).await;
            }
        }
        Holder::Gone => state.store.carts().release_checkout(claim.order_id).await?,
    }
    Ok(change().await?)
}

/// A SKU in a path that cannot be one is simply not in the cart.
fn line_sku(raw: &str) -> Result<Sku, ApiError> {
    Sku::parse(raw).map_err(|_| ApiError::NotFound)
}

fn changed(change: CartChange, sku: &Sku) -> Result<Cart, ApiError> {
    match change {
        CartChange::Changed(cart) => Ok(cart),
        CartChange::Unavailable(shortage) => Err(ApiError::OutOfStock(shortage)),
        CartChange::TooMany { quantity } => Err(ApiError::validation(
            "quantity",
            format!(
                "the cart would hold {quantity} of {sku}; one line holds at most {}",
                Quantity::MAX
            ),
        )),
        CartChange::OtherCurrency { cart } => Err(ApiError::validation(
            "sku",
            format!("{sku} is priced in another currency than the cart's {cart}"),
        )),
        CartChange::NotInCart => Err(ApiError::NotFound),
        CartChange::CheckoutInProgress(_) => Err(checkout_claims::in_progress()),
    }
}

fn answer(
    cart: &Cart,
    sku: Option<&Sku>,
    message: Option<&str>,
) -> Result<CartChangeAnswer, ApiError> {
    let (total_items, total_price) = totals(cart)?;
    let item = sku.and_then(|sku| cart.item(sku)).map(line).transpose()?;
    Ok(CartChangeAnswer {
        cart_id: cart.id,
        total_items,
        total_price,
        item,
        message: message.map(str::to_owned),
    })
}

fn line(item: &CartItem) -> Result<CartLine, ApiError> {
    Ok(CartLine {
        sku: item.sku.clone(),
        name: item.name.clone(),
        unit_price: item.unit_price,
        quantity: item.quantity,
        subtotal: subtotal(item)?,
    })
}

fn subtotal(item: &CartItem) -> Result<Money, ApiError> {
    item.unit_price.times(item.quantity.get()).ok_or_else(|| {
        ApiError::internal(
            anyhow::anyhow!("{} x {} overflows", item.quantity.get(), item.unit_price),
            "pricing a cart line",
        )
    })
}

/// Items and price of the whole cart. An empty cart costs nothing in the
/// shop's currency; the store keeps a cart to one currency.
fn totals(cart: &Cart) -> Result<(u32, Money), ApiError> {
    let currency = cart
        .items
        .first()
        .map_or(Currency::INR, |item| item.unit_price.currency);
    let mut price = Money::zero(currency);
    let mut count = 0u32;
    for item in &cart.items {
        count = count.saturating_add(item.quantity.get());
        price = price.plus(subtotal(item)?).ok_or_else(|| {
            ApiError::internal(
                anyhow::anyhow!("cart {} total", cart.id),
                "totalling a cart",
            )
        })?;
    }
    Ok((count, price))
}
