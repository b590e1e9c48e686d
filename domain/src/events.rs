//! What carriers and payment providers tell us through webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DomainError, EventId, OrderId, ShipmentStatus, TrackingId};

/// Where a parcel was, as the carrier names it: 1 to 200 printable
/// characters, so a carrier (or someone with its secret) cannot grow an
/// order's history and timeline without bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "Pune hub")]
pub struct Location(String);

impl Location {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty()
            || trimmed.chars().count() > Self::MAX_CHARS
            || trimmed.chars().any(char::is_control)
        {
            return Err(DomainError::new(
                "location",
                "must be 1-200 printable characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Location {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Location> for String {
    fn from(value: Location) -> Self {
        value.0
    }
}

/// A carrier's report about one shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CarrierEvent {
    pub event_id: EventId,
    pub tracking_id: TrackingId,
    pub status: ShipmentStatus,
    pub occurred_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl CarrierEvent {
    /// Where it happened, as the tail of a timeline entry (" at Pune hub"),
    /// or nothing when the carrier did not say.
    pub fn place(&self) -> String {
        self.location
            .as_ref()
            .map(|l| format!(" at {}", l.as_str()))
            .unwrap_or_default()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_bounded_and_printable() {
        assert_eq!(Location::parse("  Pune hub ").unwrap().as_str(), "Pune hub");
        assert!(Location::parse(&"x".repeat(201)).is_err());
        assert!(Location::parse("hub\u{0}").is_err());
        assert!(Location::parse("   ").is_err());
    }
}
