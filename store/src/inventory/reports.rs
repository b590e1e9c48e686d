//! What the stock reports read: the write-offs of a period with what the
//! stock cost and whose it was, and every batch still on a shelf.

use chrono::{DateTime, Utc};
use orderly_domain::{Money, Sku, StockReason, UserId};
use sqlx::Row;

use super::Inventory;
use super::batches::{BATCH_COLUMNS, Batch, batch_from};
use crate::StoreError;
use crate::columns::{millis, money, parsed, timestamp};

/// Stock thrown away, with what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOff {
    pub sku: Sku,
    /// The product's seller; none for the shop's own products.
    pub seller_id: Option<UserId>,
    pub at: DateTime<Utc>,
    pub units: i64,
    /// What one unit cost; unknown for stock found by a count.
    pub unit_cost: Option<Money>,
}

impl Inventory {
    /// Every write-off from `from` until before `until`, oldest first.
    pub async fn write_offs_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<WriteOff>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.sku, p.seller_id, m.created_at, m.on_hand_change, b.unit_cost, b.currency
             FROM stock_movements m
             JOIN stock_batches b
               ON b.sku = m.sku AND b.warehouse_id = m.warehouse_id AND b.batch_code = m.batch_code
             LEFT JOIN products p ON p.sku = m.sku
             WHERE m.reason = $1 AND m.created_at >= $2 AND m.created_at < $3
             ORDER BY m.created_at, m.movement_key",
        )
        .bind(StockReason::WrittenOff.as_str())
        .bind(millis(from))
        .bind(millis(until))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let seller: Option<String> = row.try_get("seller_id")?;
                let cost: Option<i64> = row.try_get("unit_cost")?;
                let currency: Option<String> = row.try_get("currency")?;
                Ok(WriteOff {
                    sku: parsed(
                        "stock_movements.sku",
                        &row.try_get::<String, _>("sku")?,
                        Sku::parse,
                    )?,
                    seller_id: seller
                        .map(|id| parsed("products.seller_id", &id, str::parse))
                        .transpose()?,
                    at: timestamp("stock_movements.created_at", row.try_get("created_at")?)?,
                    units: -row.try_get::<i64, _>("on_hand_change")?,
                    unit_cost: match (cost, currency) {
                        (Some(amount), Some(currency)) => Some(money(amount, &currency)?),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// Every batch that still holds stock, by SKU and receipt date.
    pub async fn stock_on_shelves(&self) -> Result<Vec<Batch>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM stock_batches b WHERE b.on_hand > 0
             ORDER BY b.sku, b.received_on, b.warehouse_id, b.batch_code"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(batch_from).collect()
    }
}
