//! Where an order goes: a delivery address, or collection at the store.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A postal address. Every field is trimmed and bounded when parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `IN`.
    pub country: String,
}

impl Address {
    /// Checks every field and returns the first problem per field.
    pub fn validate(&self) -> Vec<DomainError> {
        let mut errors = Vec::new();
        let mut required = |field: &str, value: &str, max: usize| {
            let value = value.trim();
            if value.is_empty() {
                errors.push(DomainError::new(
                    format!("fulfillment.address.{field}"),
                    "must not be empty",
                ));
            } else if value.chars().count() > max {
                errors.push(DomainError::new(
                    format!("fulfillment.address.{field}"),
                    format!("must be at most {max} characters"),
                ));
            }
        };
        required("name", &self.name, 200);
        required("line1", &self.line1, 200);
        required("city", &self.city, 100);
        required("postal_code", &self.postal_code, 20);
        if let Some(line2) = &self.line2
            && line2.chars().count() > 200
        {
            errors.push(DomainError::new(
                "fulfillment.address.line2",
                "must be at most 200 characters",
            ));
        }
        let country = self.country.as_bytes();
        if !(country.len() == 2 && country.iter().all(u8::is_ascii_uppercase)) {
            errors.push(DomainError::new(
                "fulfillment.address.country",
                "must be an ISO 3166-1 alpha-2 code such as IN",
            ));
        }
        errors
    }
}

/// How the customer receives the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fulfillment {
    Delivery { address: Address },
    Pickup,
}

impl Fulfillment {
    pub fn is_pickup(&self) -> bool {
        matches!(self, Fulfillment::Pickup)
    }
}
