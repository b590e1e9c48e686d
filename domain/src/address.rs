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
    /// The address as it is kept: every field trimmed, a blank second
    /// line dropped, the country in capitals.
    pub fn normalized(self) -> Address {
        Address {
            name: self.name.trim().to_owned(),
            line1: self.line1.trim().to_owned(),
            line2: self
                .line2
                .map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty()),
            city: self.city.trim().to_owned(),
            postal_code: self.postal_code.trim().to_owned(),
            country: self.country.trim().to_ascii_uppercase(),
        }
    }

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
///
/// Read through [`FulfillmentFields`] rather than as a tagged enum: serde
/// buffers a tagged enum's content before choosing the variant, which loses
/// the path of an error inside it, so a missing `city` would be reported as
/// `fulfillment.city` instead of `fulfillment.address.city`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    try_from = "FulfillmentFields"
)]
pub enum Fulfillment {
    Delivery {
        address: Address,
    },
    /// Collected at a warehouse's counter: the one named, or (when none
    /// is) the first pickup counter that holds the whole order.
    Pickup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warehouse_id: Option<crate::WarehouseId>,
    },
}

/// The wire shape of a [`Fulfillment`], read field by field.
#[derive(Deserialize)]
struct FulfillmentFields {
    #[serde(rename = "type")]
    kind: FulfillmentKind,
    #[serde(default)]
    address: Option<Address>,
    #[serde(default)]
    warehouse_id: Option<crate::WarehouseId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FulfillmentKind {
    Delivery,
    Pickup,
}

impl TryFrom<FulfillmentFields> for Fulfillment {
    type Error = DomainError;
    fn try_from(fields: FulfillmentFields) -> Result<Self, Self::Error> {
        match (fields.kind, fields.address) {
            (FulfillmentKind::Delivery, Some(address)) => Ok(Fulfillment::Delivery { address }),
            (FulfillmentKind::Delivery, None) => Err(DomainError::new(
                "fulfillment.address",
                "is required for delivery",
            )),
            // A pickup has nowhere to go; an address sent along is ignored,
            // as it always was.
            (FulfillmentKind::Pickup, _) => Ok(Fulfillment::Pickup {
                warehouse_id: fields.warehouse_id,
            }),
        }
    }
}

impl Fulfillment {
    pub fn is_pickup(&self) -> bool {
        matches!(self, Fulfillment::Pickup { .. })
    }

    /// Which warehouses may fill the order.
    pub fn stock_source(&self) -> crate::StockSource {
        match self {
            Fulfillment::Delivery { address } => crate::StockSource::NearestTo {
                postal_code: address.postal_code.clone(),
            },
            Fulfillment::Pickup { warehouse_id } => crate::StockSource::Pickup {
                warehouse_id: *warehouse_id,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn address() -> serde_json::Value {
        json!({"name": "Asha", "line1": "12 MG Road", "city": "Pune",
               "postal_code": "411001", "country": "IN"})
    }

    #[test]
    fn a_fulfillment_reads_back_what_it_writes() {
        for fulfillment in [
            Fulfillment::Pickup { warehouse_id: None },
            serde_json::from_value(json!({"type": "delivery", "address": address()})).unwrap(),
        ] {
            let written = serde_json::to_value(&fulfillment).unwrap();
            assert_eq!(
                serde_json::from_value::<Fulfillment>(written).unwrap(),
                fulfillment
            );
        }
        assert_eq!(
            serde_json::to_value(Fulfillment::Pickup { warehouse_id: None }).unwrap(),
            json!({"type": "pickup"})
        );
    }

    #[test]
    fn a_delivery_needs_an_address() {
        let error = serde_json::from_value::<Fulfillment>(json!({"type": "delivery"})).unwrap_err();
        assert!(
            error.to_string().starts_with("fulfillment.address: "),
            "{error}"
        );
    }
}
