//! A parcel's progress as reported by its carrier.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    Booked,
    InTransit,
    OutForDelivery,
    FailedAttempt,
    Delivered,
    Returned,
}

impl ShipmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Booked => "booked",
            ShipmentStatus::InTransit => "in_transit",
            ShipmentStatus::OutForDelivery => "out_for_delivery",
            ShipmentStatus::FailedAttempt => "failed_attempt",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Returned => "returned",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            ShipmentStatus::Booked,
            ShipmentStatus::InTransit,
            ShipmentStatus::OutForDelivery,
            ShipmentStatus::FailedAttempt,
            ShipmentStatus::Delivered,
            ShipmentStatus::Returned,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// Position on the way to the customer. A failed attempt sits beside
    /// out-for-delivery: the courier tries again from there.
    fn progress(self) -> u8 {
        match self {
            ShipmentStatus::Booked => 0,
            ShipmentStatus::InTransit => 1,
            ShipmentStatus::OutForDelivery | ShipmentStatus::FailedAttempt => 2,
            ShipmentStatus::Delivered | ShipmentStatus::Returned => 3,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, ShipmentStatus::Delivered | ShipmentStatus::Returned)
    }

    /// Whether a carrier event with status `next` moves the shipment on.
    /// Events that would move it backwards (late, out-of-order deliveries of
    /// webhooks) are ignored; a failed attempt may be followed by another
    /// attempt.
    pub fn accepts(self, next: ShipmentStatus) -> bool {
        if self.is_final() {
            return false;
        }
        match (self, next) {
            (ShipmentStatus::OutForDelivery, ShipmentStatus::FailedAttempt)
            | (ShipmentStatus::FailedAttempt, ShipmentStatus::OutForDelivery) => true,
            _ => next.progress() > self.progress(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ShipmentStatus::*;

    #[test]
    fn a_shipment_never_moves_backwards() {
        assert!(InTransit.accepts(OutForDelivery));
        assert!(!OutForDelivery.accepts(InTransit));
        assert!(!Delivered.accepts(OutForDelivery));
        assert!(!InTransit.accepts(InTransit));
    }

    #[test]
    fn a_failed_attempt_may_be_retried() {
        assert!(OutForDelivery.accepts(FailedAttempt));
        assert!(FailedAttempt.accepts(OutForDelivery));
        assert!(FailedAttempt.accepts(Delivered));
        assert!(FailedAttempt.accepts(Returned));
    }
}
