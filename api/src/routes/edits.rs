//! Edits of an order before packing: `POST /v1/orders/{id}/edits` changes
//! a line's quantity, takes a line off, adds one, or changes the delivery
//! address, as one new version of the order.
//!
//! The API prices the edit from the order as it reads it: lines already on
//! the order keep the price they were placed at, added lines take today's
//! catalogue price, and the discounts are worked out again over the edited
//! lines (the price rules of the moment the order was placed, the coupon it
//! redeemed, the loyalty points it spent). The order workflow decides
//! whether the order may still be edited (its validator answers 409 at
//! once), holds the stock (out of stock is a 409 naming the SKU, and
//! nothing changes) and moves the difference.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use temporalio_client::WorkflowExecuteUpdateOptions;

use orderly_domain::{
    Address, CouponCode, DiscountLine, EditLine, EditProblem, Fulfillment, OrderLine, OrderView,
    POINTS_SOURCE, Role, Shortage, Sku, after_discounts, edited_lines, new_v7,
};
use orderly_store::Product;
use orderly_workflows::{EditOutcome, OrderEdit, OrderWorkflow, order_workflow_id};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::order_placement::{idempotency_key, order_total, request_fingerprint};
use crate::pricing::{self, category_of};
use crate::problem::{ApiError, FieldError};
use crate::routes::orders::visible_order;
use crate::state::AppState;
use crate::workflow_errors::{update_refusal, within};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/orders/{id}/edits", post(edit_order))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// The quantity each named SKU should have from now on: 0 takes a line
    /// off, a SKU the order does not have is added at today's price.
    #[serde(default)]
    pub lines: Vec<EditLine>,
    /// A new delivery address (delivery orders only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// Edit an order before it is packed (the order's customer, or an admin).
#[utoipa::path(
    post, path = "/v1/orders/{id}/edits", tag = "orders",
    request_body = EditBody,
    params(
        ("id" = String, Path, description = "Order id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body answers the edited order again"),
    ),
    responses(
        (status = 200, description = "The order at its new version; `versions` lists every version", body = OrderView),
        (status = 409, description = "The order can no longer be edited (not paid yet, packed, cancelled, changed meanwhile), a line is out of stock (names the SKU; nothing changed), the card declined the difference, or the edit leaves a coupon or the points spent without cover", content_type = "application/problem+json"),
        (status = 422, description = "Invalid lines or address", content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn edit_order(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<EditBody>,
) -> Result<Json<OrderView>, ApiError> {
    user.require(&[Role::Customer, Role::Admin])?;
    let key = idempotency_key(&headers)?;
    let view = visible_order(&state, &user, &id).await?;
    shape_problems(&body, &view)?;
    let mut skus: Vec<Sku> = view.items.iter().map(|line| line.sku.clone()).collect();
    skus.extend(body.lines.iter().map(|line| line.sku.clone()));
    skus.sort();
    skus.dedup();
    let products = state.store.catalog().products_by_skus(&skus).await?;
    let (items, mut change) = edited_lines(&view.items, &body.lines, |sku| {
        products
            .iter()
            .find(|p| &p.sku == sku && p.active)
            .map(|p| (p.name.clone(), p.price))
    })
    .map_err(edit_problem)?;
    if let Some(address) = &body.address
        && !matches!(&view.fulfillment, Fulfillment::Delivery { address: now } if now == address)
    {
        if !change.is_empty() {
            change.push_str("; ");
        }
        change.push_str("delivery address changed");
    }
    // With a key, an edit that changes nothing may be the retry of one
    // already applied: the workflow, which knows the keys, answers it.
    if change.is_empty() && key.is_none() {
        return Err(ApiError::validation("lines", "the edit changes nothing"));
    }
    let discounts = repriced(&state, &view, &items, &products).await?;
    let total = order_total(&items, &discounts)
        .ok_or_else(|| ApiError::validation("lines", "the order total is too large"))?;
    let edit = OrderEdit {
        key: key.unwrap_or_else(|| format!("edit:{}", new_v7())),
        fingerprint: request_fingerprint(&state, &body),
        base_version: view.versions.last().map_or(1, |v| v.number),
        items,
        discounts,
        total,
        address: body.address,
        change,
    };
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(view.id));
    let outcome = within(
        &state,
        handle.execute_update(
            OrderWorkflow::edit,
            edit,
            WorkflowExecuteUpdateOptions::default(),
        ),
    )
    .await?
    .map_err(|err| update_refusal(err, &view))?;
    match outcome {
        EditOutcome::Applied(edited) => Ok(Json(*edited)),
        EditOutcome::OutOfStock(shortage) => Err(ApiError::OutOfStock(Shortage {
            available: shortage.available.max(0),
            ..shortage
        })),
        EditOutcome::Refused(reason) => Err(ApiError::Conflict(reason)),
    }
}

/// What the request's shape gets wrong, as 422 field errors.
fn shape_problems(body: &EditBody, view: &OrderView) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    if body.lines.is_empty() && body.address.is_none() {
        problems.push(FieldError::new(
            "lines",
            "name a line to change, or give a new address",
        ));
    }
    if let Some(address) = &body.address {
        if view.fulfillment.is_pickup() {
            problems.push(FieldError::new(
                "address",
                "the order is collected at a store; it has no delivery address",
            ));
        }
        problems.extend(address.validate().into_iter().map(|e| {
            let field = e
                .field
                .strip_prefix("fulfillment.")
                .unwrap_or(&e.field)
                .to_owned();
            FieldError::new(field, e.message)
        }));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

fn edit_problem(problem: EditProblem) -> ApiError {
    let field = match problem.sku() {
        Some(sku) => format!("lines.{sku}"),
        None => "lines".to_owned(),
    };
    ApiError::validation(field, problem.to_string())
}

/// The discounts of the edited lines: the price rules in force when the
/// order was placed, then the coupon it redeemed (kept: its use was
/// counted once, at checkout) and the loyalty points it spent.
async fn repriced(
    state: &AppState,
    view: &OrderView,
    items: &[OrderLine],
    products: &[Product],
) -> Result<Vec<DiscountLine>, ApiError> {
    let mut discounts = pricing::offers_on(state, items, products, view.created_at).await?;
    for kept in &view.discounts {
        if let Some(code) = kept.source.strip_prefix("coupon:") {
            let coupon = match CouponCode::parse(code) {
                Ok(code) => state.store.coupons().coupon(&code).await?,
                Err(_) => None,
            }
            .ok_or_else(|| {
                ApiError::Conflict(format!(
                    "coupon {code} of this order no longer exists; the order cannot be repriced"
                ))
            })?;
            let left = after_discounts(items, &discounts);
            let discount = coupon
                .coupon
                .kept_on(&left, category_of(products))
                .map_err(|problem| {
                    ApiError::Conflict(format!("the edited order loses its coupon: {problem}"))
                })?;
            discounts.push(discount);
        } else if kept.source == POINTS_SOURCE {
            let left = after_discounts(items, &discounts);
            let owed: i64 = left.iter().map(|line| line.subtotal.amount).sum();
            if owed < kept.amount.amount {
                return Err(ApiError::Conflict(format!(
                    "the edited order would cost less than the {} of loyalty points spent on it",
                    kept.amount
                )));
            }
            discounts.push(DiscountLine::spread(
                POINTS_SOURCE.into(),
                kept.amount,
                &left,
            ));
        }
    }
    Ok(discounts)
}
