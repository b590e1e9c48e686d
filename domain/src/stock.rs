//! What reserving stock for an order can come to.

use serde::{Deserialize, Serialize};

use crate::Sku;

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
    Reserved,
    /// The first SKU (in sku order) that could not be held; nothing was.
    OutOfStock(Shortage),
}
