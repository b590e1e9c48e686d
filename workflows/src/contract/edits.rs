//! Order edits before packing (the `edit` update and the `revise_stock`
//! activity it runs).
//!
//! The API prices an edit from the order as it read it (`base_version`):
//! the workflow refuses it when the order has changed since, so two edits
//! sent together cannot both be priced from the same version.

use serde::{Deserialize, Serialize};

use orderly_domain::{
    Address, DiscountLine, Money, OrderId, OrderLine, OrderView, Shortage, StockSource,
};

/// A change to an order before it is packed: the lines, discounts and total
/// it will have, and its new delivery address, if that changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEdit {
    /// The client's idempotency key: a retry of an applied edit answers
    /// the order as it stands.
    pub key: String,
    /// Tells a retry of the same edit from another edit under a reused key.
    pub fingerprint: String,
    /// The version (`OrderView.versions`' last number) the edit was priced
    /// from.
    pub base_version: u32,
    pub items: Vec<OrderLine>,
    pub discounts: Vec<DiscountLine>,
    pub total: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// What changed, in words, for the order's versions and timeline.
    pub change: String,
}

/// How an edit ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EditOutcome {
    /// The order as it stands now, at its new version.
    Applied(Box<OrderView>),
    /// A line could not be reserved; nothing changed.
    OutOfStock(Shortage),
    /// The edit could not be carried out (the card declined the
    /// difference, the order was cancelled meanwhile); nothing changed.
    Refused(String),
}

/// Holds the stock of an order's edited lines in place of what it held
/// (the `revise_stock` activity). `revision` numbers the order's stock
/// revisions, so a retry of one changes nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviseInput {
    pub order_id: OrderId,
    pub revision: u32,
    pub lines: Vec<OrderLine>,
    pub source: StockSource,
}
