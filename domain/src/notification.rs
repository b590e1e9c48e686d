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
    /// A cart left untouched for the configured time (not about an order).
    CartReminder,
    /// A seller's SKU fell below its low-stock threshold (not about an order).
    LowStock,
}

impl NotificationKind {
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
            NotificationKind::CartReminder => "cart_reminder",
            NotificationKind::LowStock => "low_stock",
        }
    }
}
