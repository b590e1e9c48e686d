//! What carriers and payment providers tell us through webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{EventId, OrderId, ShipmentStatus, TrackingId};

/// A carrier's report about one shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CarrierEvent {
    pub event_id: EventId,
    pub tracking_id: TrackingId,
    pub status: ShipmentStatus,
    pub occurred_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentWebhookStatus {
    Succeeded,
    Failed,
}

/// A payment provider confirming or failing an asynchronous payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentWebhook {
    pub event_id: EventId,
    pub order_id: OrderId,
    pub status: PaymentWebhookStatus,
}
