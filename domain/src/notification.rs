//! The customer-visible moments that produce a notification.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    OrderConfirmed,
    PaymentReceipt,
    ReadyForPickup,
    Shipped,
    OutForDelivery,
    Delivered,
    Cancelled,
    PaymentFailed,
    /// One shipment of a split order came back; its lines were refunded.
    ShipmentReturned,
    /// Staff refunded part of the order (or, cash on delivery, owe a payout).
    Refunded,
    /// A return moved on: requested, approved or rejected, pickup booked,
    /// received, inspected.
    ReturnUpdated,
    /// The order was edited before packing: its lines, total or address.
    OrderEdited,
    /// A cart left untouched for the configured time (not about an order).
    CartReminder,
    /// A seller's SKU fell below its low-stock threshold (not about an order).
    LowStock,
    /// A batch is about to spoil or has spoiled: to its seller and to ops
    /// (not about an order).
    SpoilageAlert,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 15] = [
        NotificationKind::OrderConfirmed,
        NotificationKind::PaymentReceipt,
        NotificationKind::ReadyForPickup,
        NotificationKind::Shipped,
        NotificationKind::OutForDelivery,
        NotificationKind::Delivered,
        NotificationKind::Cancelled,
        NotificationKind::PaymentFailed,
        NotificationKind::ShipmentReturned,
        NotificationKind::Refunded,
        NotificationKind::ReturnUpdated,
        NotificationKind::OrderEdited,
        NotificationKind::CartReminder,
        NotificationKind::LowStock,
        NotificationKind::SpoilageAlert,
    ];

    /// Whether this notification tells a customer about one of their orders.
    pub fn is_about_an_order(self) -> bool {
        !matches!(
            self,
            NotificationKind::CartReminder
                | NotificationKind::LowStock
                | NotificationKind::SpoilageAlert
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::OrderConfirmed => "order_confirmed",
            NotificationKind::PaymentReceipt => "payment_receipt",
            NotificationKind::ReadyForPickup => "ready_for_pickup",
            NotificationKind::Shipped => "shipped",
            NotificationKind::OutForDelivery => "out_for_delivery",
            NotificationKind::Delivered => "delivered",
            NotificationKind::Cancelled => "cancelled",
            NotificationKind::PaymentFailed => "payment_failed",
            NotificationKind::ShipmentReturned => "shipment_returned",
            NotificationKind::Refunded => "refunded",
            NotificationKind::ReturnUpdated => "return_updated",
            NotificationKind::OrderEdited => "order_edited",
            NotificationKind::CartReminder => "cart_reminder",
            NotificationKind::LowStock => "low_stock",
            NotificationKind::SpoilageAlert => "spoilage_alert",
        }
    }
}
