//! The shopping cart's vocabulary: where a cart is in its life, and what a
//! checkout reports when a price moved while an item sat in the cart.

use serde::{Deserialize, Serialize};

use crate::{Money, Sku};

/// A user has at most one `Active` cart; checking out closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CartStatus {
    Active,
    CheckedOut,
}

impl CartStatus {
    const ALL: [CartStatus; 2] = [CartStatus::Active, CartStatus::CheckedOut];

    pub fn as_str(self) -> &'static str {
        match self {
            CartStatus::Active => "active",
            CartStatus::CheckedOut => "checked_out",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A cart line whose catalogue price is no longer the one the shopper saw
/// when adding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriceChange {
    pub sku: Sku,
    /// The unit price when the item went into the cart.
    pub was: Money,
    /// The unit price now.
    pub now: Money,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cart_status_reads_back_from_its_wire_name() {
        for status in CartStatus::ALL {
            assert_eq!(CartStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::from(status.as_str())
            );
        }
        assert_eq!(CartStatus::parse("open"), None);
    }
}
