//! The shipment workflow's input, and what it tells its parent order.

use serde::{Deserialize, Serialize};

use orderly_domain::{CarrierEvent, OrderId, ShipmentStatus, TrackingId};

/// The input of a [`crate::ShipmentWorkflow`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentInput {
    pub order_id: OrderId,
    /// Which parcel of the order (0: the only one, from before orders
    /// were split).
    #[serde(default)]
    pub shipment_number: u32,
    pub tracking_id: TrackingId,
    pub carrier: String,
    pub carrier_silence_secs: u64,
    /// History events a run may reach before it continues as a new run,
    /// so a parcel with many (or spammed) carrier events never grows one
    /// history without bound.
    #[serde(default = "default_history_limit")]
    pub history_limit: u32,
    /// Where the previous run left off, for a run continued as new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<ShipmentResume>,
}

/// The shipment as a run hands it to the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentResume {
    pub status: ShipmentStatus,
    /// The latest carrier event ids, so a resend across runs is still
    /// recognised.
    pub recent_event_ids: Vec<String>,
}

/// A run's history budget, well under the server's own limits.
pub const DEFAULT_SHIPMENT_HISTORY_LIMIT: u32 = 2000;

fn default_history_limit() -> u32 {
    DEFAULT_SHIPMENT_HISTORY_LIMIT
}

/// A shipment change the shipment workflow accepted, sent to its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentProgress {
    pub event: CarrierEvent,
    /// Which parcel of the order moved (0: the only one, from before
    /// orders were split).
    #[serde(default)]
    pub shipment_number: u32,
}

impl ShipmentProgress {
    pub fn status(&self) -> ShipmentStatus {
        self.event.status
    }
}
