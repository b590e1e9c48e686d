//! How many units of a SKU an order line asks for.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A quantity in `1..=1000`; larger orders go through sales, not checkout.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(try_from = "i64", into = "u32")]
#[schema(value_type = u32, example = 2)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 1000;

    pub fn parse(raw: i64) -> Result<Self, DomainError> {
        if (1..=i64::from(Self::MAX)).contains(&raw) {
            Ok(Self(raw as u32))
        } else {
            Err(DomainError::new("quantity", "must be between 1 and 1000"))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = DomainError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Quantity> for u32 {
    fn from(value: Quantity) -> Self {
        value.0
    }
}
