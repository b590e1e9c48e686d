//! Goods customers sent back, after inspection: restocked units go back
//! into the batch the order took them from, and damaged ones are written
//! off, each through the stock ledger under a key of the return, so a
//! retried activity changes nothing the second time.

use orderly_domain::{OrderId, Sku, StockReason};

use super::Inventory;
use super::low_stock::rearm_low_stock;
use super::movements::{Movement, record};
use super::stock::batch_key_from;
use crate::StoreError;

/// What inspection found of one returned line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedLine {
    pub sku: Sku,
    pub restocked: u32,
    pub written_off: u32,
}

impl Inventory {
    /// Takes the inspected goods of return `number` of an order back.
    /// Restocked units go on the shelf again; written-off units are
    /// recorded as returned and thrown away, which leaves the batch as it
    /// was. `NotFound` when the order never took stock of a line's SKU.
    pub async fn take_back_return(
        &self,
        order_id: OrderId,
        number: u32,
        lines: &[ReturnedLine],
    ) -> Result<(), StoreError> {
        let mut sorted: Vec<&ReturnedLine> = lines.iter().collect();
        sorted.sort_by(|a, b| a.sku.cmp(&b.sku));
        let mut tx = self.db.begin_write().await?;
        for line in sorted {
            let key = |what: &str| format!("return:{order_id}:{number}:{}:{what}", line.sku);
            let done = sqlx::query("SELECT 1 AS done FROM stock_movements WHERE movement_key = $1")
                .bind(key("returned"))
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            let row = sqlx::query(
                "SELECT sku, warehouse_id, batch_code FROM reservation_batches
                 WHERE order_id = $1 AND part = 0 AND sku = $2
                 ORDER BY warehouse_id, batch_code LIMIT 1",
            )
            .bind(order_id.to_string())
            .bind(line.sku.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let batch = batch_key_from(&row)?;
            let back = i64::from(line.restocked) + i64::from(line.written_off);
            let restocked = i64::from(line.restocked);
            sqlx::query("UPDATE inventory SET on_hand = on_hand + $1 WHERE sku = $2")
                .bind(restocked)
                .bind(line.sku.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE stock_batches SET on_hand = on_hand + $1
                 WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4",
            )
            .bind(restocked)
            .bind(batch.sku.as_str())
            .bind(batch.warehouse_id.to_string())
            .bind(batch.batch_code.as_str())
            .execute(&mut *tx)
            .await?;
            record(
                &mut tx,
                Movement {
                    key: key("returned"),
                    batch: &batch,
                    reason: StockReason::Returned,
                    on_hand_change: back,
                    reserved_change: 0,
                    order_id: Some(order_id),
                },
            )
            .await?;
            if line.written_off > 0 {
                record(
                    &mut tx,
                    Movement {
                        key: key("written_off"),
                        batch: &batch,
                        reason: StockReason::WrittenOff,
                        on_hand_change: -i64::from(line.written_off),
                        reserved_change: 0,
                        order_id: Some(order_id),
                    },
                )
                .await?;
            }
            if restocked > 0 {
                rearm_low_stock(&mut tx, &line.sku).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
