//! Stock: batches per SKU and warehouse with their totals, the stock
//! ledger that explains every change, the reservations orders hold, the
//! low-stock crossings sellers are told about, and what the expiry sweep
//! does to batches about to spoil.

mod allocation;
mod batches;
mod expiry;
mod low_stock;
mod movements;
mod reports;
mod returns;
mod stock;

pub use allocation::Sourcing;
pub(crate) use batches::{BATCH_COLUMNS, batch_from};
pub use batches::{Batch, BatchKey, GoodsReceipt};
pub use expiry::{HoldKey, HoldMove, SpoilingBatch, StaleHold};
pub use low_stock::LowStockAlert;
pub(crate) use low_stock::rearm_low_stock;
pub use movements::{LedgerTotals, StockMovement};
pub use reports::WriteOff;
pub use returns::ReturnedLine;
pub(crate) use stock::count_stock;
pub use stock::{Holder, StockLevel};

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Inventory {
    pub(crate) db: Db,
}
