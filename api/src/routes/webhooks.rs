//! Signed webhooks from carriers and payment providers, turned into
//! workflow signals.
//!
//! The signature (`X-Orderly-Signature: t=<unix>,v1=<hmac>`) is checked on
//! the raw body before anything is parsed, and a timestamp older than the
//! tolerance is refused, so a captured request cannot be replayed later.
//! Duplicates are harmless: the workflows drop event ids they have seen.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::Utc;
use serde::Serialize;
use temporalio_client::WorkflowSignalOptions;

use orderly_domain::{CarrierEvent, PaymentWebhook};
use orderly_providers::signature::{self, SIGNATURE_HEADER};
use orderly_workflows::{
    OrderWorkflow, PaymentConfirmation, ReturnWorkflow, ShipmentWorkflow, order_workflow_id,
    return_workflow_id, shipment_workflow_id,
};

use crate::json::parse_json_bytes;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::workflow_errors::{is_closed, within, workflow_unavailable};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks/carriers/{carrier}", post(carrier_webhook))
        .route("/v1/webhooks/payments/{provider}", post(payment_webhook))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    /// `accepted`, or `ignored` when the shipment or order has already finished.
    pub status: &'static str,
}

fn verify(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    tolerance_secs: i64,
) -> Result<(), ApiError> {
    let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    signature::verify(
        secret.as_bytes(),
        header,
        body,
        Utc::now().timestamp(),
        tolerance_secs,
    )
    .map_err(|err| {
        tracing::warn!(error = %err, "webhook signature rejected");
        ApiError::Unauthorized
    })
}

/// The workflow a tracking id's carrier events go to.
enum Tracked {
    Shipment(String),
    ReturnPickup(String),
}

/// A carrier reports progress on a shipment, or on the pickup of a return.
#[utoipa::path(
    post, path = "/v1/webhooks/carriers/{carrier}", tag = "webhooks",
    params(("carrier" = String, Path, description = "Carrier name, e.g. sandbox"),
           ("X-Orderly-Signature" = String, Header, description = "t=<unix>,v1=<hex hmac-sha256 of \"<t>.<raw body>\">")),
    request_body = CarrierEvent,
    responses(
        (status = 200, body = WebhookAck),
        (status = 401, description = "Missing, wrong or expired signature"),
        (status = 404, description = "Unknown tracking id"),
    )
)]
pub async fn carrier_webhook(
    State(state): State<AppState>,
    Path(carrier): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAck>, ApiError> {
    let tolerance = state.settings.webhook_tolerance.as_secs() as i64;
    verify(&state.settings.carrier_secret, &headers, &body, tolerance)?;
    let event: CarrierEvent = parse_json_bytes(&body)?;
    let orders = state.store.orders();
    let (target, finished) = match orders.shipment_by_tracking(event.tracking_id).await? {
        Some(shipment) if shipment.carrier == carrier => (
            Tracked::Shipment(shipment_workflow_id(
                shipment.order_id,
                shipment.shipment_number,
            )),
            shipment.status.is_final(),
        ),
        Some(_) => return Err(ApiError::NotFound),
        // Not a shipment: the pickup of a return, on its way back.
        None => {
            let pickup = orders
                .return_pickup_by_tracking(event.tracking_id)
                .await?
                .filter(|p| p.carrier == carrier)
                .ok_or(ApiError::NotFound)?;
            (
                Tracked::ReturnPickup(return_workflow_id(pickup.order_id, pickup.return_number)),
                true,
            )
        }
    };
    let signalled = match target {
        Tracked::ReturnPickup(workflow_id) => {
            let handle = state
                .temporal
                .get_workflow_handle::<ReturnWorkflow>(workflow_id);
            within(
                &state,
                handle.signal(
                    ReturnWorkflow::carrier_event,
                    event,
                    WorkflowSignalOptions::default(),
                ),
            )
            .await?
        }
        Tracked::Shipment(workflow_id) => {
            let handle = state
                .temporal
                .get_workflow_handle::<ShipmentWorkflow>(workflow_id);
            within(
                &state,
                handle.signal(
                    ShipmentWorkflow::carrier_event,
                    event,
                    WorkflowSignalOptions::default(),
                ),
            )
            .await?
        }
    };
    match signalled {
        Ok(()) => Ok(Json(WebhookAck { status: "accepted" })),
        // A return's workflow ends once its goods were inspected, whatever
        // the carrier still reports.
        Err(err) if is_closed(&err) && finished => Ok(Json(WebhookAck { status: "ignored" })),
        Err(err) => Err(workflow_unavailable(err)),
    }
}

/// A payment provider confirms or fails a UPI or netbanking payment.
#[utoipa::path(
    post, path = "/v1/webhooks/payments/{provider}", tag = "webhooks",
    params(("provider" = String, Path, description = "Provider name, e.g. sandbox"),
           ("X-Orderly-Signature" = String, Header, description = "t=<unix>,v1=<hex hmac-sha256 of \"<t>.<raw body>\">")),
    request_body = PaymentWebhook,
    responses(
        (status = 200, body = WebhookAck),
        (status = 401, description = "Missing, wrong or expired signature"),
        (status = 404, description = "Unknown order"),
    )
)]
pub async fn payment_webhook(
    State(state): State<AppState>,
    Path(_provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAck>, ApiError> {
    let tolerance = state.settings.webhook_tolerance.as_secs() as i64;
    verify(
        &state.settings.payment_webhook_secret,
        &headers,
        &body,
        tolerance,
    )?;
    let webhook: PaymentWebhook = parse_json_bytes(&body)?;
    let order = state
        .store
        .orders()
        .order(webhook.order_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let handle = state
        .temporal
        .get_workflow_handle::<OrderWorkflow>(order_workflow_id(order.id));
    let confirmation = PaymentConfirmation {
        event_id: webhook.event_id.to_string(),
        status: webhook.status,
    };
    let signalled = within(
        &state,
        handle.signal(
            OrderWorkflow::payment_result,
            confirmation,
            WorkflowSignalOptions::default(),
        ),
    )
    .await?;
    match signalled {
        Ok(()) => Ok(Json(WebhookAck { status: "accepted" })),
        Err(err) if is_closed(&err) => Ok(Json(WebhookAck { status: "ignored" })),
        Err(err) => Err(workflow_unavailable(err)),
    }
}
