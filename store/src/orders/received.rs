//! What each customer has received: one `received_lines` row per line of
//! every delivered or picked-up order.
//!
//! The orders read model keeps an order as one JSON document, which neither
//! "has this customer received this SKU?" (reviews) nor "what is bought
//! together?" (recommendations) can query with SQL that SQLite and
//! PostgreSQL share. So when `upsert_order` writes an order in a received
//! status it also writes its lines here, in the same transaction. Both
//! received statuses are final, so the lines never change afterwards and
//! writing them again is a no-op.

use orderly_domain::{OrderStatus, OrderView, Sku, UserId};
use sqlx::{Any, Row, Transaction};

use super::Orders;
use crate::StoreError;
use crate::columns::millis;

/// Orders backfilled per round trip when older orders are indexed.
const BACKFILL_BATCH: i64 = 500;

/// Whether an order in `status` is in its customer's hands.
pub(crate) fn is_received(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Delivered | OrderStatus::PickedUp)
}

/// Writes the lines of a received order; lines already written stay.
pub(crate) async fn record_lines(
    tx: &mut Transaction<'static, Any>,
    view: &OrderView,
) -> Result<(), StoreError> {
    for line in &view.items {
        sqlx::query(
            "INSERT INTO received_lines (order_id, customer_id, sku, quantity, received_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (order_id, sku) DO NOTHING",
        )
        .bind(view.id.to_string())
        .bind(view.customer_id.to_string())
        .bind(line.sku.as_str())
        .bind(i64::from(line.quantity.get()))
        .bind(millis(view.updated_at))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Orders {
    /// Whether `customer` has an order containing `sku` that was delivered
    /// or picked up.
    pub async fn customer_received(&self, customer: UserId, sku: &Sku) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS received FROM received_lines WHERE customer_id = $1 AND sku = $2 LIMIT 1",
        )
        .bind(customer.to_string())
        .bind(sku.as_str())
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Indexes the lines of received orders written before `received_lines`
    /// existed. An order always has lines, so "received and without lines"
    /// finds exactly the orders still to do; once none are left this is one
    /// cheap query. The id cursor guarantees progress whatever the rows hold.
    pub(crate) async fn backfill_received_lines(&self) -> Result<(), StoreError> {
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT o.id, o.body FROM orders o
                 WHERE o.status IN ($1, $2)
                   AND o.id > $3
                   AND NOT EXISTS (SELECT 1 FROM received_lines r WHERE r.order_id = o.id)
                 ORDER BY o.id
                 LIMIT $4",
            )
            .bind(OrderStatus::Delivered.as_str())
            .bind(OrderStatus::PickedUp.as_str())
            .bind(&after)
            .bind(BACKFILL_BATCH)
            .fetch_all(&self.db.pool)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.try_get("id")?;
            let mut tx = self.db.begin_write().await?;
            for row in &rows {
                let body: String = row.try_get("body")?;
                let view: OrderView = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("orders.body: {e}")))?;
                record_lines(&mut tx, &view).await?;
            }
            tx.commit().await?;
        }
    }
}
