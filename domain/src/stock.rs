//! Stock levels and what reserving stock for an order can come to.

use serde::{Deserialize, Serialize};

use crate::Sku;

/// The most units of one SKU a shop may hold: far past any warehouse, and
/// far enough below `i64::MAX` that sums of stock never overflow.
pub const MAX_ON_HAND: i64 = 1_000_000_000;

/// Whether `on_hand` is a stock level a shop may set: the message why not.
pub fn check_on_hand(on_hand: i64) -> Result<(), String> {
    if (0..=MAX_ON_HAND).contains(&on_hand) {
        Ok(())
    } else {
        Err(format!("must be 0 to {MAX_ON_HAND}"))
    }
}

/// Not enough of one SKU for an order: what was asked for and what was
/// left. The one description of "out of stock" that the store returns, the
/// order workflow answers placement with and the API shows as a 409.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortage {
    pub sku: Sku,
    pub requested: u32,
    pub available: i64,
}

/// The result of holding stock for every line of an order, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReserveOutcome {
    /// Held, in a history from before orders were allocated to warehouses.
    Reserved,
    /// The first SKU (in sku order) that could not be held; nothing was.
    OutOfStock(Shortage),
    /// Held, by these warehouses: one parcel each, nearest first.
    Allocated(Vec<crate::Allocation>),
}

impl ReserveOutcome {
    /// The stock is held (all of it, as reserving is all or nothing).
    pub fn is_held(&self) -> bool {
        !matches!(self, ReserveOutcome::OutOfStock(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_levels_run_from_zero_to_a_billion() {
        assert!(check_on_hand(0).is_ok());
        assert!(check_on_hand(MAX_ON_HAND).is_ok());
        assert_eq!(check_on_hand(-1).unwrap_err(), "must be 0 to 1000000000");
        assert!(check_on_hand(MAX_ON_HAND + 1).is_err());
        assert!(check_on_hand(i64::MAX).is_err());
    }
}
