//! Refunds of part of an order (admin): by line, by amount, or both, each
//! under its own idempotency key. The order workflow prices and holds each
//! refund against what was captured, so refunds sent together never give
//! back more than was taken; the API checks the request's shape and maps
//! the workflow's answer to HTTP.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use temporalio_client::WorkflowExecuteUpdateOptions;
use temporalio_client::errors::WorkflowUpdateError;

use orderly_domain::{OrderView, RefundLineRequest, RefundView, Role};
use orderly_workflows::{
    OrderWorkflow, PayoutRecord, RefundOutcome, RefundRequest, order_workflow_id,
};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::order_placement::{idempotency_key, request_fingerprint};
use crate::problem::{ApiError, FieldError};
use crate::routes::orders::visible_order;
use crate::state::AppState;
use crate::workflow_errors::{update_refusal, within};

/// The longest reason kept with a refund.
const MAX_REASON_CHARS: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders/{id}/refunds", post(refund_order))
        .route(
            "/v1/orders/{id}/refunds/{number}/payout",
            post(record_payout),
        )
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Lines to give back, each at the price it was paid.
    #[serde(default)]
    pub lines: Vec<RefundLineRequest>,
    /// An amount on top of the lines, in minor units of the order's
    /// currency (paise): a goodwill gesture, a delivery fee.
    #[serde(default)]
    pub amount: i64,
    /// Why; shown to the customer.
    pub reason: String,
}

impl RefundBody {
    fn problems(&self, order: &OrderView) -> Vec<FieldError> {
        let mut problems = Vec::new();
        let reason = self.reason.trim();
        if reason.is_empty() {
            problems.push(FieldError::new("reason", "is required"));
        } else if reason.chars().count() > MAX_REASON_CHARS {
            problems.push(FieldError::new(
                "reason",
                format!("must be at most {MAX_REASON_CHARS} characters"),
            ));
        }
        if self.amount < 0 {
            problems.push(FieldError::new("amount", "must not be negative"));
        }
        if self.lines.is_empty() && self.amount == 0 {
            problems.push(FieldError::new(
                "lines",
                "give lines to refund, an amount, or both",
            ));
        }
        for (at, line) in self.lines.iter().enumerate() {
            if !order.items.iter().any(|item| item.sku == line.sku) {
                problems.push(FieldError::new(
                    format!("lines[{at}].sku"),
                    format!("{} is not a line of this order", line.sku),
                ));
            }
        }
        problems
    }
}

/// Refund part of an order (admin).
#[utoipa::path(
    post, path = "/v1/orders/{id}/refunds", tag = "orders",
    request_body = RefundBody,
    params(
        ("id" = String, Path, description = "Order id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body answers the same refund and moves no more money"),
    ),
    responses(
        (status = 201, description = "The refund, refunded, failed at the provider, or (cash on delivery) a payout due", body = RefundView),
        (status = 409, description = "The order takes no refund now (nothing captured, cancelled, refund window closed)"),
        (status = 422, description = "Invalid refund, or more than was captured and not yet refunded"),
    ),
    security(("bearer" = []))
)]
pub async fn refund_order(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ValidJson(body): ValidJson<RefundBody>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let key = idempotency_key(&headers)?;
    if key.as_deref().is_some_and(is_a_return_key) {
        return Err(ApiError::validation(
            "Idempotency-Key",
            "return-{n} is the key of return n's own refund; use another key",
        ));
    }
    let view = visible_order(&state, &user, &id).await?;
    let problems = body.problems(&view);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let request = RefundRequest {
        key: key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        fingerprint: request_fingerprint(&state, &body),
        lines: body.lines,
        extra: body.amount,
        reason: body.reason.trim().to_owned(),
        for_return: None,
    };
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(view.id));
    let outcome = within(
        &state,
        handle.execute_update(
            OrderWorkflow::refund,
            request,
            WorkflowExecuteUpdateOptions::default(),
        ),
    )
    .await?
    .map_err(|err| closed_or_refused(err, &view))?;
    match outcome {
        RefundOutcome::Made(refund) => Ok((StatusCode::CREATED, Json(*refund)).into_response()),
        RefundOutcome::Refused(problem) => Err(ApiError::UnprocessableEntity(problem.to_string())),
        RefundOutcome::KeyReused => Err(ApiError::IdempotencyMismatch),
    }
}

/// The order refunds return n under the key `return-{n}`: a staff refund
/// under that key would be taken for it (or take its place).
fn is_a_return_key(key: &str) -> bool {
    key.strip_prefix("return-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutBody {
    /// What the payout was made under: a cash voucher, a bank transfer id.
    pub reference: String,
}

/// Record that a cash on delivery refund was paid back by hand (admin).
#[utoipa::path(
    post, path = "/v1/orders/{id}/refunds/{number}/payout", tag = "orders",
    request_body = PayoutBody,
    params(
        ("id" = String, Path, description = "Order id"),
        ("number" = u32, Path, description = "The refund's number"),
    ),
    responses(
        (status = 200, description = "The refund, paid out", body = RefundView),
        (status = 409, description = "No payout of that number is due"),
        (status = 422, description = "No reference given"),
    ),
    security(("bearer" = []))
)]
pub async fn record_payout(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, number)): Path<(String, String)>,
    ValidJson(body): ValidJson<PayoutBody>,
) -> Result<Json<RefundView>, ApiError> {
    user.require(&[Role::Admin])?;
    let view = visible_order(&state, &user, &id).await?;
    let number: u32 = number.parse().map_err(|_| ApiError::NotFound)?;
    let reference = body.reference.trim();
    if reference.is_empty() || reference.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::validation(
            "reference",
            format!("must be 1-{MAX_REASON_CHARS} characters"),
        ));
    }
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(view.id));
    within(
        &state,
        handle.execute_update(
            OrderWorkflow::record_payout,
            PayoutRecord {
                number,
                reference: reference.to_owned(),
            },
            WorkflowExecuteUpdateOptions::default(),
        ),
    )
    .await?
    .map(Json)
    .map_err(|err| closed_or_refused(err, &view))
}

/// A closed workflow takes no refund: its window has passed, or it ended
/// cancelled (and refunded what it had captured).
fn closed_or_refused(err: WorkflowUpdateError, order: &OrderView) -> ApiError {
    match err {
        WorkflowUpdateError::NotFound(_) => ApiError::Conflict(format!(
            "the order is {} and takes no more refunds: its refund window has closed",
            order.status
        )),
        other => update_refusal(other, order),
    }
}
