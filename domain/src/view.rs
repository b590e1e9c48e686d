//! The order as clients see it. The order workflow builds this value from its
//! own state, writes it to the read model at every transition and returns it
//! from its query, so the API and Temporal can never disagree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    Fulfillment, Money, OrderId, OrderLine, OrderStatus, PaymentMethod, PaymentStatus,
    ShipmentStatus, TimelineEntry, TrackingId, UserId,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: OrderId,
    pub customer_id: UserId,
    pub status: OrderStatus,
    pub items: Vec<OrderLine>,
    pub total: Money,
    pub payment: PaymentView,
    pub fulfillment: Fulfillment,
    /// The first shipment that went out, as the carrier reports it.
    #[serde(default)]
    pub shipment: Option<ShipmentView>,
    /// Every shipment of a delivered order, one per warehouse it was filled
    /// from (empty for pickup orders and for orders placed before orders
    /// were split).
    #[serde(default)]
    pub shipments: Vec<crate::ParcelView>,
    pub timeline: Vec<TimelineEntry>,
    /// What was taken off the lines' prices, and where it came from.
    #[serde(default)]
    pub discounts: Vec<crate::DiscountLine>,
    /// Refunds staff made of part of the order, oldest first.
    #[serde(default)]
    pub refunds: Vec<crate::RefundView>,
    /// Returns the customer asked for, oldest first.
    #[serde(default)]
    pub returns: Vec<crate::ReturnView>,
    /// Once the order was edited, its versions, oldest first: the order as
    /// placed, then one per edit; the last is the order as it stands.
    /// Empty for an order never edited (it is at version 1).
    #[serde(default)]
    pub versions: Vec<crate::OrderVersion>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every transition; the read model keeps the highest.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    /// `card ending 4242`, the VPA or the bank code; never a full card number.
    #[serde(default)]
    pub instrument: Option<String>,
    pub receipt: Receipt,
}

/// What moved: amounts captured and refunded, and each ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    pub authorized: Money,
    pub captured: Money,
    pub refunded: Money,
    pub entries: Vec<ReceiptEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceiptEntry {
    /// `authorize`, `capture`, `void` or `refund`.
    pub kind: LedgerKind,
    pub amount: Money,
    /// The provider's reference for this operation.
    pub reference: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Authorize,
    Capture,
    Void,
    Refund,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Authorize => "authorize",
            LedgerKind::Capture => "capture",
            LedgerKind::Void => "void",
            LedgerKind::Refund => "refund",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            LedgerKind::Authorize,
            LedgerKind::Capture,
            LedgerKind::Void,
            LedgerKind::Refund,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShipmentView {
    pub tracking_id: TrackingId,
    pub carrier: String,
    pub status: ShipmentStatus,
    #[serde(default)]
    pub last_location: Option<String>,
}
