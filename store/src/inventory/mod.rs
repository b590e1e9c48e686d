//! Stock: what is on hand and reserved per SKU, the reservations orders
//! hold, and the low-stock crossings sellers are told about.

mod low_stock;
mod stock;

pub use low_stock::LowStockAlert;
pub(crate) use low_stock::rearm_low_stock;
pub use stock::StockLevel;

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Inventory {
    pub(crate) db: Db,
}
