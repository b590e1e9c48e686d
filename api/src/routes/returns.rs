//! Returns of delivered lines: the customer asks within the return window
//! of each line's category, staff approve or reject, the carrier collects
//! (perishables are not collected and are refunded on approval), the
//! warehouse receives and inspects, and the returned lines are refunded at
//! the price paid. The order workflow checks each step against the return's
//! status and the order's lines; the API checks the request's shape and
//! the windows, which depend on the catalogue, and maps answers to HTTP.
//!
//! A return may ask for an exchange instead of a refund: the API prices the
//! replacement from today's catalogue ([`exchange_difference`]: nothing for
//! the same lines again), and the order ships it once staff approve.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use temporalio_client::WorkflowExecuteUpdateOptions;
use temporalio_client::errors::WorkflowUpdateError;

use orderly_domain::{
    ExchangeProblem, ImageUrl, InspectedLine, OrderLine, OrderStatus, OrderView, PaymentMethod,
    RefundLineRequest, ReturnLine, ReturnView, Role, Sku, exchange_difference, return_refusal,
};
use orderly_store::Product;
use orderly_workflows::{
    ExchangeRequest, OrderWorkflow, ReturnDecision, ReturnInspection, ReturnRequest, ReturnedGoods,
    order_workflow_id,
};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::{ApiError, FieldError};
use crate::routes::orders::{visible_order, warehouse_order};
use crate::state::AppState;
use crate::workflow_errors::{update_refusal, within};

/// The longest reason or note kept with a return.
const MAX_TEXT_CHARS: usize = 500;
/// The most photos one return carries.
const MAX_PHOTOS: usize = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders/{id}/returns", post(request_return))
        .route(
            "/v1/orders/{id}/returns/{number}/review",
            post(review_return),
        )
        .route(
            "/v1/orders/{id}/returns/{number}/receive",
            post(receive_return),
        )
        .route(
            "/v1/orders/{id}/returns/{number}/inspection",
            post(inspect_return),
        )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// The delivered lines to send back.
    pub lines: Vec<RefundLineRequest>,
    /// What is wrong; staff read it.
    pub reason: String,
    /// Pictures of what is wrong, as http(s) URLs (at most 5).
    #[serde(default)]
    pub photos: Vec<String>,
    /// What to take instead of a refund: the same lines again, or other
    /// products worth at least what the returned units were paid (a card
    /// order pays the difference). Left out: the return is refunded.
    #[serde(default)]
    pub exchange: Vec<RefundLineRequest>,
}

/// Ask to return delivered lines (the order's customer, or an admin).
#[utoipa::path(
    post, path = "/v1/orders/{id}/returns", tag = "returns",
    request_body = ReturnBody,
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 201, description = "The return, requested", body = ReturnView),
        (status = 409, description = "The order is not delivered, a line's return window has closed, or the exchange cannot be paid for or delivered"),
        (status = 422, description = "Invalid request, more units than are left to return, or a replacement that is not for sale or worth less"),
    ),
    security(("bearer" = []))
)]
pub async fn request_return(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<ReturnBody>,
) -> Result<(StatusCode, Json<ReturnView>), ApiError> {
    user.require(&[Role::Customer, Role::Admin])?;
    let view = visible_order(&state, &user, &id).await?;
    let (lines, photos) = parsed_request(&body, &view)?;
    let delivered_at = delivered_at(&view)?;
    let skus: Vec<Sku> = lines.iter().map(|line| line.sku.clone()).collect();
    let products = state.store.catalog().products_by_skus(&skus).await?;
    let now = Utc::now();
    for sku in &skus {
        let product = products.iter().find(|p| &p.sku == sku);
        let window = state
            .settings
            .return_windows
            .for_category(product.map(|p| p.category.as_str()));
        let closes = delivered_at
            + chrono::Duration::seconds(i64::try_from(window).unwrap_or(i64::MAX / 1000));
        if window == 0 || now >= closes {
            return Err(ApiError::Conflict(format!(
                "the return window of {sku} closed at {}",
                closes.format("%Y-%m-%d %H:%M UTC")
            )));
        }
    }
    if let Some(refusal) = return_refusal(&view.items, &view.refunds, &view.returns, &lines) {
        return Err(ApiError::UnprocessableEntity(refusal));
    }
    // Perishables are not sent back: a return of nothing but perishables
    // is refunded once staff approve it.
    let perishable = |sku: &Sku| {
        products
            .iter()
            .find(|p| &p.sku == sku)
            .is_some_and(|p| p.attributes.shelf_life_days.is_some())
    };
    let exchange = exchange(&state, &body.exchange, &view, &lines).await?;
    let request = ReturnRequest {
        collect: !skus.iter().all(perishable),
        lines,
        reason: body.reason.trim().to_owned(),
        photos,
        exchange,
    };
    let made = send(&state, &view, OrderWorkflow::request_return, request).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The replacement asked for, priced: `None` when the return asks for a
/// refund.
async fn exchange(
    state: &AppState,
    asked: &[RefundLineRequest],
    view: &OrderView,
    returned: &[ReturnLine],
) -> Result<Option<ExchangeRequest>, ApiError> {
    if asked.is_empty() {
        return Ok(None);
    }
    if view.fulfillment.is_pickup() {
        return Err(ApiError::Conflict(
            "a collected order cannot be exchanged: replacements are delivered".into(),
        ));
    }
    let skus: Vec<Sku> = asked.iter().map(|line| line.sku.clone()).collect();
    let products = state.store.catalog().products_by_skus(&skus).await?;
    let lines = replacement_lines(asked, &products)?;
    let difference = exchange_difference(
        &view.items,
        &view.discounts,
        &view.refunds,
        returned,
        &lines,
    )
    .map_err(|problem| match problem {
        ExchangeProblem::Repeated(sku) => ApiError::Validation(vec![FieldError::new(
            "exchange",
            format!("{sku} is listed twice; give each replacement line once"),
        )]),
        other => ApiError::Validation(vec![FieldError::new("exchange", other.to_string())]),
    })?;
    let method = view.payment.method;
    if difference.amount > 0 && method != PaymentMethod::Card {
        return Err(ApiError::Conflict(format!(
            "an order paid by {method} can only be exchanged for the same lines again: the \
             difference of {difference} cannot be charged"
        )));
    }
    Ok(Some(ExchangeRequest { lines, difference }))
}

/// The replacement at today's catalogue price; 422 naming each line that
/// is not for sale or cannot be priced.
fn replacement_lines(
    asked: &[RefundLineRequest],
    products: &[Product],
) -> Result<Vec<OrderLine>, ApiError> {
    let mut problems = Vec::new();
    let mut lines = Vec::with_capacity(asked.len());
    for (at, line) in asked.iter().enumerate() {
        let Some(product) = products.iter().find(|p| p.sku == line.sku && p.active) else {
            problems.push(FieldError::new(
                format!("exchange[{at}].sku"),
                format!("{} is not for sale", line.sku),
            ));
            continue;
        };
        let Some(subtotal) = product.price.times(line.quantity.get()) else {
            problems.push(FieldError::new(
                format!("exchange[{at}].quantity"),
                "is too large to price",
            ));
            continue;
        };
        lines.push(OrderLine {
            sku: line.sku.clone(),
            name: product.name.clone(),
            quantity: line.quantity,
            unit_price: product.price,
            subtotal,
        });
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    Ok(lines)
}

fn parsed_request(
    body: &ReturnBody,
    view: &OrderView,
) -> Result<(Vec<ReturnLine>, Vec<ImageUrl>), ApiError> {
    let mut problems = Vec::new();
    text_problem(&mut problems, "reason", &body.reason);
    if body.lines.is_empty() {
        problems.push(FieldError::new("lines", "name at least one line to return"));
    }
    for (at, line) in body.lines.iter().enumerate() {
        if !view.items.iter().any(|item| item.sku == line.sku) {
            problems.push(FieldError::new(
                format!("lines[{at}].sku"),
                format!("{} is not a line of this order", line.sku),
            ));
        }
    }
    if body.photos.len() > MAX_PHOTOS {
        problems.push(FieldError::new(
            "photos",
            format!("at most {MAX_PHOTOS} photos"),
        ));
    }
    let mut photos = Vec::with_capacity(body.photos.len());
    for (at, raw) in body.photos.iter().enumerate() {
        match ImageUrl::parse(raw) {
            Ok(photo) => photos.push(photo),
            Err(_) => problems.push(FieldError::new(
                format!("photos[{at}]"),
                "must be an absolute http(s) URL of at most 2048 characters",
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let lines = body
        .lines
        .iter()
        .map(|line| ReturnLine {
            sku: line.sku.clone(),
            quantity: line.quantity.get(),
        })
        .collect();
    Ok((lines, photos))
}

fn text_problem(problems: &mut Vec<FieldError>, field: &str, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        problems.push(FieldError::new(field, "is required"));
    } else if text.chars().count() > MAX_TEXT_CHARS {
        problems.push(FieldError::new(
            field,
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
}

/// When the order reached the customer: its delivery or collection.
fn delivered_at(view: &OrderView) -> Result<DateTime<Utc>, ApiError> {
    if !matches!(view.status, OrderStatus::Delivered | OrderStatus::PickedUp) {
        return Err(ApiError::Conflict(format!(
            "the order is {}: only a delivered or collected order can be returned",
            view.status
        )));
    }
    // The first entry in the final status is the delivery; later ones
    // (refunds, returns) keep the status.
    view.timeline
        .iter()
        .find(|entry| matches!(entry.status, OrderStatus::Delivered | OrderStatus::PickedUp))
        .map(|entry| entry.at)
        .ok_or_else(|| ApiError::Conflict("the order has no delivery on its timeline".into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `true` to accept the return, `false` to refuse it.
    pub approve: bool,
    /// Why; shown to the customer.
    pub reason: String,
}

/// Approve or reject a requested return (admin). Approving a return of
/// perishables refunds it at once; any other is collected by the carrier.
#[utoipa::path(
    post, path = "/v1/orders/{id}/returns/{number}/review", tag = "returns",
    request_body = ReviewBody,
    params(
        ("id" = String, Path, description = "Order id"),
        ("number" = u32, Path, description = "The return's number"),
    ),
    responses(
        (status = 200, description = "The return, approved (pickup booked, or refunded) or rejected", body = ReturnView),
        (status = 409, description = "The return is not waiting for a decision"),
        (status = 422, description = "No reason given"),
    ),
    security(("bearer" = []))
)]
pub async fn review_return(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, number)): Path<(String, String)>,
    ValidJson(body): ValidJson<ReviewBody>,
) -> Result<Json<ReturnView>, ApiError> {
    user.require(&[Role::Admin])?;
    let view = visible_order(&state, &user, &id).await?;
    let number = return_number(&view, &number)?;
    let mut problems = Vec::new();
    text_problem(&mut problems, "reason", &body.reason);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let decision = ReturnDecision {
        number,
        approve: body.approve,
        reason: body.reason.trim().to_owned(),
    };
    send(&state, &view, OrderWorkflow::review_return, decision)
        .await
        .map(Json)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveBody {
    /// How the goods came in, e.g. "brought to the counter".
    #[serde(default)]
    pub note: Option<String>,
}

/// The warehouse has a return's goods back (admin, or staff of the
/// warehouse the order was filled from): by hand, or when the carrier
/// never reported the pickup delivered.
#[utoipa::path(
    post, path = "/v1/orders/{id}/returns/{number}/receive", tag = "returns",
    request_body = ReceiveBody,
    params(
        ("id" = String, Path, description = "Order id"),
        ("number" = u32, Path, description = "The return's number"),
    ),
    responses(
        (status = 200, description = "The return, received", body = ReturnView),
        (status = 409, description = "The return is not on its way back"),
    ),
    security(("bearer" = []))
)]
pub async fn receive_return(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, number)): Path<(String, String)>,
    ValidJson(body): ValidJson<ReceiveBody>,
) -> Result<Json<ReturnView>, ApiError> {
    let view = staff_order(&state, &user, &id).await?;
    let number = return_number(&view, &number)?;
    let note = body.note.as_deref().map(str::trim).unwrap_or("");
    if note.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::validation(
            "note",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    let goods = ReturnedGoods {
        number,
        note: if note.is_empty() {
            "received at the warehouse".into()
        } else {
            format!("received at the warehouse: {note}")
        },
    };
    send(&state, &view, OrderWorkflow::receive_return, goods)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionBody {
    /// Each returned line, with how many units go back on the shelf and
    /// how many are written off as damaged; together they are the units
    /// that came back.
    pub lines: Vec<InspectedLineBody>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectedLineBody {
    pub sku: Sku,
    #[serde(default)]
    pub restocked: u32,
    #[serde(default)]
    pub written_off: u32,
}

/// Record what a return's goods were found to be (admin, or staff of the
/// warehouse): restocked units go back into the batch they came from,
/// damaged ones are written off, and the returned lines are refunded.
#[utoipa::path(
    post, path = "/v1/orders/{id}/returns/{number}/inspection", tag = "returns",
    request_body = InspectionBody,
    params(
        ("id" = String, Path, description = "Order id"),
        ("number" = u32, Path, description = "The return's number"),
    ),
    responses(
        (status = 200, description = "The return, refunded (or its refund failed and ops were alerted)", body = ReturnView),
        (status = 409, description = "The return was not received, or the lines do not account for every unit"),
    ),
    security(("bearer" = []))
)]
pub async fn inspect_return(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, number)): Path<(String, String)>,
    ValidJson(body): ValidJson<InspectionBody>,
) -> Result<Json<ReturnView>, ApiError> {
    let view = staff_order(&state, &user, &id).await?;
    let number = return_number(&view, &number)?;
    if body.lines.is_empty() {
        return Err(ApiError::validation(
            "lines",
            "give what was found of each returned line",
        ));
    }
    let inspection = ReturnInspection {
        number,
        lines: body
            .lines
            .into_iter()
            .map(|line| InspectedLine {
                sku: line.sku,
                restocked: line.restocked,
                written_off: line.written_off,
            })
            .collect(),
    };
    send(&state, &view, OrderWorkflow::inspect_return, inspection)
        .await
        .map(Json)
}

/// The order as staff who handle returned goods see it: any order for an
/// admin, one their warehouse filled for warehouse staff.
async fn staff_order(state: &AppState, user: &AuthUser, id: &str) -> Result<OrderView, ApiError> {
    user.require(&[Role::Admin, Role::Warehouse])?;
    match user.role {
        Role::Warehouse => warehouse_order(state, user, id, None).await,
        _ => visible_order(state, user, id).await,
    }
}

/// A return of the order by its number in the path; an unknown one is 404.
fn return_number(view: &OrderView, raw: &str) -> Result<u32, ApiError> {
    let number: u32 = raw.parse().map_err(|_| ApiError::NotFound)?;
    if view.returns.iter().any(|r| r.number == number) {
        Ok(number)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Sends a return update to the order workflow, within the deadline.
async fn send<U, I>(
    state: &AppState,
    view: &OrderView,
    update: U,
    input: I,
) -> Result<ReturnView, ApiError>
where
    U: temporalio_common::UpdateDefinition<
            Workflow = <OrderWorkflow as temporalio_common::HasWorkflowDefinition>::Run,
            Input = I,
            Output = ReturnView,
        >,
    I: Send,
{
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(view.id));
    within(
        state,
        handle.execute_update(update, input, WorkflowExecuteUpdateOptions::default()),
    )
    .await?
    .map_err(|err| closed_or_refused(err, view))
}

/// A closed workflow takes no return: its return window has passed.
fn closed_or_refused(err: WorkflowUpdateError, order: &OrderView) -> ApiError {
    match err {
        WorkflowUpdateError::NotFound(_) => ApiError::Conflict(format!(
            "the order is {} and takes no more returns: its return window has closed",
            order.status
        )),
        other => update_refusal(other, order),
    }
}
