//! The shipments of an order as the order shows them: one per warehouse
//! the order was filled from, each packed, booked and tracked on its own.

use serde::{Deserialize, Serialize};

use crate::{AllocatedLine, Money, ShipmentStatus, Sku, TrackingId, WarehouseId};

/// Where one shipment of an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParcelStatus {
    /// Waiting for the warehouse to pack it.
    AwaitingPacking,
    /// Packed; being booked with the carrier.
    Packed,
    /// With the carrier, as the carrier last reported it.
    Booked,
    InTransit,
    OutForDelivery,
    FailedAttempt,
    Delivered,
    /// Came back (the carrier returned it, or it could not be booked):
    /// its lines were refunded and its stock released or restocked.
    Returned,
    /// The order was cancelled before this shipment left.
    Cancelled,
}

impl ParcelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ParcelStatus::AwaitingPacking => "awaiting_packing",
            ParcelStatus::Packed => "packed",
            ParcelStatus::Booked => "booked",
            ParcelStatus::InTransit => "in_transit",
            ParcelStatus::OutForDelivery => "out_for_delivery",
            ParcelStatus::FailedAttempt => "failed_attempt",
            ParcelStatus::Delivered => "delivered",
            ParcelStatus::Returned => "returned",
            ParcelStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            ParcelStatus::AwaitingPacking,
            ParcelStatus::Packed,
            ParcelStatus::Booked,
            ParcelStatus::InTransit,
            ParcelStatus::OutForDelivery,
            ParcelStatus::FailedAttempt,
            ParcelStatus::Delivered,
            ParcelStatus::Returned,
            ParcelStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            ParcelStatus::Delivered | ParcelStatus::Returned | ParcelStatus::Cancelled
        )
    }

    /// Has left the warehouse (or is leaving it): too late to cancel.
    pub fn has_left(self) -> bool {
        !matches!(
            self,
            ParcelStatus::AwaitingPacking | ParcelStatus::Cancelled
        )
    }
}

impl From<ShipmentStatus> for ParcelStatus {
    fn from(status: ShipmentStatus) -> Self {
        match status {
            ShipmentStatus::Booked => ParcelStatus::Booked,
            ShipmentStatus::InTransit => ParcelStatus::InTransit,
            ShipmentStatus::OutForDelivery => ParcelStatus::OutForDelivery,
            ShipmentStatus::FailedAttempt => ParcelStatus::FailedAttempt,
            ShipmentStatus::Delivered => ParcelStatus::Delivered,
            ShipmentStatus::Returned => ParcelStatus::Returned,
        }
    }
}

/// One line of a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParcelLine {
    pub sku: Sku,
    pub quantity: u32,
}

impl From<AllocatedLine> for ParcelLine {
    fn from(line: AllocatedLine) -> Self {
        ParcelLine {
            sku: line.sku,
            quantity: line.quantity,
        }
    }
}

/// One shipment of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParcelView {
    /// 1, 2, …: the `{shipment_id}` of
    /// `POST /v1/orders/{id}/shipments/{shipment_id}/pack`.
    pub id: u32,
    pub warehouse_id: WarehouseId,
    pub items: Vec<ParcelLine>,
    pub status: ParcelStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_id: Option<TrackingId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_location: Option<String>,
    /// What was refunded for this shipment's lines when it came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<Money>,
}
