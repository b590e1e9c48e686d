//! The shipment workflow's input, and what it tells its parent order.

use serde::{Deserialize, Serialize};

use orderly_domain::{CarrierEvent, OrderId, ShipmentStatus, TrackingId};

/// The input of a [`crate::ShipmentWorkflow`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentInput {
    pub order_id: OrderId,
    pub tracking_id: TrackingId,
    pub carrier: String,
    pub carrier_silence_secs: u64,
}

/// A shipment change the shipment workflow accepted, sent to its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentProgress {
    pub event: CarrierEvent,
}

impl ShipmentProgress {
    pub fn status(&self) -> ShipmentStatus {
        self.event.status
    }
}
