//! Coupons: admins create them; shoppers apply one to their cart, and
//! checkout checks it again against the cart as it is placed and redeems
//! one of its uses for the order (see `orderly_store::Coupons` for why the
//! last use goes to exactly one order).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use orderly_domain::{
    Coupon, CouponCode, CouponValue, Currency, DiscountLine, Money, OrderId, OrderLine, Role, Sku,
    UserId, after_discounts,
};
use orderly_store::{CouponRecord, Product, Redemption};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::pricing::{category_of, offers_on};
use crate::problem::{ApiError, FieldError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/coupons", post(create_coupon).get(list_coupons))
        .route(
            "/v1/cart/coupon",
            post(apply_to_cart).delete(remove_from_cart),
        )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponBody {
    pub code: String,
    /// Whole percent off the covered lines, 1-100; or
    pub percent_off: Option<u32>,
    /// minor units off the covered lines (never more than they cost).
    pub amount_off: Option<i64>,
    /// Minor units the covered lines must cost at least.
    pub min_basket: Option<i64>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub per_customer: Option<u32>,
    pub total_uses: Option<u32>,
    /// Covered SKUs and categories; both empty: every line.
    #[serde(default)]
    pub skus: Vec<Sku>,
    #[serde(default)]
    pub categories: Vec<String>,
}

impl CouponBody {
    fn parse(self) -> Result<Coupon, ApiError> {
        let mut problems = Vec::new();
        let code = CouponCode::parse(&self.code)
            .map_err(|e| problems.push(FieldError::from(e)))
            .ok();
        let inr = |amount| Money::new(amount, Currency::INR);
        let value = match (self.percent_off, self.amount_off) {
            (Some(percent), None) if (1..=100).contains(&percent) => {
                Some(CouponValue::Percent(percent))
            }
            (None, Some(amount)) if amount > 0 => Some(CouponValue::Fixed(inr(amount))),
            (Some(_), None) => {
                problems.push(FieldError::new("percent_off", "must be 1-100"));
                None
            }
            (None, Some(_)) => {
                problems.push(FieldError::new("amount_off", "must be positive"));
                None
            }
            _ => {
                problems.push(FieldError::new(
                    "percent_off",
                    "give exactly one of percent_off and amount_off",
                ));
                None
            }
        };
        if self.min_basket.is_some_and(|min| min < 0) {
            problems.push(FieldError::new("min_basket", "must not be negative"));
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at)
            && end <= start
        {
            problems.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        if self.per_customer == Some(0) {
            problems.push(FieldError::new("per_customer", "must be at least 1"));
        }
        if self.total_uses == Some(0) {
            problems.push(FieldError::new("total_uses", "must be at least 1"));
        }
        if self.categories.iter().any(|c| c.trim().is_empty()) {
            problems.push(FieldError::new("categories", "must not hold empty names"));
        }
        match (code, value) {
            (Some(code), Some(value)) if problems.is_empty() => Ok(Coupon {
                code,
                value,
                min_basket: self.min_basket.map(inr),
                starts_at: self.starts_at,
                ends_at: self.ends_at,
                per_customer: self.per_customer,
                total_uses: self.total_uses,
                skus: self.skus,
                categories: self.categories,
                active: true,
            }),
            _ => Err(ApiError::Validation(problems)),
        }
    }
}

/// A coupon and how often it was used.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CouponView {
    #[serde(flatten)]
    pub coupon: Coupon,
    pub uses: i64,
}

impl From<CouponRecord> for CouponView {
    fn from(record: CouponRecord) -> Self {
        Self {
            coupon: record.coupon,
            uses: record.uses,
        }
    }
}

/// Create a coupon (admin).
#[utoipa::path(
    post, path = "/v1/coupons", tag = "coupons",
    request_body = CouponBody,
    responses(
        (status = 201, body = CouponView),
        (status = 409, description = "The code is taken"),
        (status = 422, description = "Invalid coupon"),
    ),
    security(("bearer" = []))
)]
pub async fn create_coupon(
    State(state): State<AppState>,
    user: AuthUser,
    ValidJson(body): ValidJson<CouponBody>,
) -> Result<(StatusCode, Json<CouponView>), ApiError> {
    user.require(&[Role::Admin])?;
    let coupon = body.parse()?;
    let record = state.store.coupons().create_coupon(&coupon).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Every coupon with its uses (admin).
#[utoipa::path(
    get, path = "/v1/coupons", tag = "coupons",
    responses((status = 200, body = [CouponView])),
    security(("bearer" = []))
)]
pub async fn list_coupons(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<CouponView>>, ApiError> {
    user.require(&[Role::Admin])?;
    let coupons = state.store.coupons().list_coupons().await?;
    Ok(Json(coupons.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyCoupon {
    pub code: String,
}

/// The coupon on the cart and what it takes off it now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CartCoupon {
    pub code: CouponCode,
    pub discount: DiscountLine,
}

/// Apply a coupon to the cart; checkout checks it again.
#[utoipa::path(
    post, path = "/v1/cart/coupon", tag = "cart",
    request_body = ApplyCoupon,
    responses(
        (status = 200, body = CartCoupon),
        (status = 404, description = "No such coupon"),
        (status = 409, description = "The cart is empty or being checked out"),
        (status = 422, description = "The coupon does not apply to the cart (names why)"),
    ),
    security(("bearer" = []))
)]
pub async fn apply_to_cart(
    State(state): State<AppState>,
    user: AuthUser,
    ValidJson(body): ValidJson<ApplyCoupon>,
) -> Result<Json<CartCoupon>, ApiError> {
    let code = CouponCode::parse(&body.code).map_err(|e| ApiError::Validation(vec![e.into()]))?;
    let cart = state
        .store
        .carts()
        .active_cart(user.id)
        .await?
        .filter(|cart| !cart.items.is_empty())
        .ok_or_else(|| ApiError::Conflict("the cart is empty; add items first".into()))?;
    let skus: Vec<Sku> = cart.items.iter().map(|item| item.sku.clone()).collect();
    let products = state.store.catalog().products_by_skus(&skus).await?;
    let lines: Vec<OrderLine> = cart
        .items
        .iter()
        .filter_map(|item| {
            Some(OrderLine {
                sku: item.sku.clone(),
                name: item.name.clone(),
                quantity: item.quantity,
                unit_price: item.unit_price,
                subtotal: item.unit_price.times(item.quantity.get())?,
            })
        })
        .collect();
    let now = Utc::now();
    let offers = offers_on(&state, &lines, &products, now).await?;
    let left = after_discounts(&lines, &offers);
    let coupon = known_coupon(&state, &code).await?;
    let discount = coupon
        .discount(&left, category_of(&products), now)
        .map_err(|problem| ApiError::UnprocessableEntity(problem.to_string()))?;
    if !state
        .store
        .carts()
        .set_cart_coupon(user.id, Some(&code))
        .await?
    {
        return Err(ApiError::Conflict(
            "the cart is being checked out; try again once it is done".into(),
        ));
    }
    Ok(Json(CartCoupon { code, discount }))
}

/// Take the coupon off the cart.
#[utoipa::path(
    delete, path = "/v1/cart/coupon", tag = "cart",
    responses((status = 204), (status = 409, description = "The cart is being checked out")),
    security(("bearer" = []))
)]
pub async fn remove_from_cart(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<StatusCode, ApiError> {
    let cart = state.store.carts().active_cart(user.id).await?;
    if cart.is_some() && !state.store.carts().set_cart_coupon(user.id, None).await? {
        return Err(ApiError::Conflict(
            "the cart is being checked out; try again once it is done".into(),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The discount `code` gives the order being placed from `lines` (what the
/// price rules left of them), with one of its uses redeemed for
/// `order_id`; a checkout that then places nothing releases it.
pub(crate) async fn redeem_for_order(
    state: &AppState,
    code: &CouponCode,
    lines: &[OrderLine],
    products: &[Product],
    order_id: OrderId,
    customer: UserId,
) -> Result<DiscountLine, ApiError> {
    let coupon = known_coupon(state, code).await?;
    let discount = coupon
        .discount(lines, category_of(products), Utc::now())
        .map_err(|problem| ApiError::Conflict(problem.to_string()))?;
    match state
        .store
        .coupons()
        .redeem(code, order_id, customer)
        .await?
    {
        Redemption::Redeemed => Ok(discount),
        Redemption::Unknown => Err(ApiError::Conflict(format!(
            "coupon {code} no longer exists; take it off the cart"
        ))),
        Redemption::UsedUp => Err(ApiError::Conflict(format!(
            "coupon {code} has no uses left; take it off the cart"
        ))),
        Redemption::CustomerLimit => Err(ApiError::Conflict(format!(
            "you have used coupon {code} as often as one customer may"
        ))),
    }
}

async fn known_coupon(state: &AppState, code: &CouponCode) -> Result<Coupon, ApiError> {
    state
        .store
        .coupons()
        .coupon(code)
        .await?
        .map(|record| record.coupon)
        .ok_or(ApiError::NotFound)
}
