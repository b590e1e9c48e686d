//! Inputs and outputs of the order activities. They travel through Temporal
//! payloads, so they are plain serde data shared by workflows and activities.

use serde::{Deserialize, Serialize};

use orderly_domain::{
    LedgerKind, Money, NotificationKind, OrderId, OrderLine, OrderView, PaymentDetails,
    ReceiptEntry, ShipmentStatus, TrackingId,
};

use crate::notifications::Recipient;
use crate::store::ShipmentRecord;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReserveInput {
    pub order_id: OrderId,
    pub lines: Vec<OrderLine>,
}

/// What the workflow asks of the payment provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOp {
    Charge,
    Authorize,
    Capture,
    Initiate,
    Void,
    Refund,
}

impl PaymentOp {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOp::Charge => "charge",
            PaymentOp::Authorize => "authorize",
            PaymentOp::Capture => "capture",
            PaymentOp::Initiate => "initiate",
            PaymentOp::Void => "void",
            PaymentOp::Refund => "refund",
        }
    }

    /// The ledger row an operation leaves. A charge is a sale: money is
    /// captured at once. Initiating a collect request moves no money.
    pub fn ledger_kind(self) -> Option<LedgerKind> {
        match self {
            PaymentOp::Charge | PaymentOp::Capture => Some(LedgerKind::Capture),
            PaymentOp::Authorize => Some(LedgerKind::Authorize),
            PaymentOp::Void => Some(LedgerKind::Void),
            PaymentOp::Refund => Some(LedgerKind::Refund),
            PaymentOp::Initiate => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentStep {
    pub order_id: OrderId,
    pub op: PaymentOp,
    pub amount: Money,
    pub details: PaymentDetails,
}

impl PaymentStep {
    /// One key per (order, operation): an order is charged, captured or
    /// refunded at most once, however often the activity runs. A charge and
    /// the capture that follows a collect request share the key because they
    /// are the same money.
    pub fn idempotency_key(&self) -> String {
        let op = match self.op {
            PaymentOp::Charge | PaymentOp::Capture => "capture",
            other => other.as_str(),
        };
        format!("order:{}:{}", self.order_id, op)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PaymentOutcome {
    Done(ReceiptEntry),
    /// A collect request was raised; the provider's webhook will settle it.
    Pending {
        reference: String,
    },
    Declined {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum BookingOutcome {
    Booked(ShipmentRecord),
    Rejected { reason: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShipmentStatusInput {
    pub tracking_id: TrackingId,
    pub status: ShipmentStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyInput {
    pub kind: NotificationKind,
    pub order: OrderView,
    pub recipient: Recipient,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpsAlertInput {
    pub order_id: OrderId,
    pub kind: String,
    pub detail: String,
    pub dedupe_key: String,
}

/// The cart reminder workflow asks for a reminder about `version` of a cart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CartReminderRequest {
    pub cart_id: uuid::Uuid,
    pub user_id: orderly_domain::UserId,
    /// The cart's version the last touch reported.
    pub version: i64,
}
