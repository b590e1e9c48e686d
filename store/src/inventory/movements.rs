//! The stock ledger: one row per change to a batch, under a unique key,
//! with the reason. Every write to `stock_batches` goes with the movement
//! that explains it, in the same transaction, so a batch's stock is always
//! the sum of its movements; [`Inventory::ledger_totals`] adds them up.

use chrono::{DateTime, Utc};
use orderly_domain::{BatchCode, OrderId, Sku, StockReason, WarehouseId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Inventory;
use super::batches::BatchKey;
use crate::StoreError;
use crate::columns::{known, now_millis, parsed, timestamp};

/// The most movements one listing returns, newest first.
const MOVEMENTS_LISTED: i64 = 500;

/// One change to one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMovement {
    pub key: String,
    pub warehouse_id: WarehouseId,
    pub batch_code: BatchCode,
    pub reason: StockReason,
    pub on_hand_change: i64,
    pub reserved_change: i64,
    pub order_id: Option<OrderId>,
    pub at: DateTime<Utc>,
}

/// What the ledger says a SKU's stock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTotals {
    pub on_hand: i64,
    pub reserved: i64,
}

/// A change about to be written, and why.
pub(crate) struct Movement<'a> {
    pub key: String,
    pub batch: &'a BatchKey,
    pub reason: StockReason,
    pub on_hand_change: i64,
    pub reserved_change: i64,
    pub order_id: Option<OrderId>,
}

/// Writes one movement. A key written before is an error: every caller
/// derives its key from a change that can only happen once.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    movement: Movement<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO stock_movements (movement_key, sku, warehouse_id, batch_code, reason,
                                      on_hand_change, reserved_change, order_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(movement.key)
    .bind(movement.batch.sku.as_str())
    .bind(movement.batch.warehouse_id.to_string())
    .bind(movement.batch.batch_code.as_str())
    .bind(movement.reason.as_str())
    .bind(movement.on_hand_change)
    .bind(movement.reserved_change)
    .bind(movement.order_id.map(|id| id.to_string()))
    .bind(now_millis())
    .execute(conn)
    .await?;
    Ok(())
}

impl Inventory {
    /// The latest movements of a SKU, newest first.
    pub async fn movements(&self, sku: &Sku) -> Result<Vec<StockMovement>, StoreError> {
        let rows = sqlx::query(
            "SELECT movement_key, warehouse_id, batch_code, reason, on_hand_change,
                    reserved_change, order_id, created_at
             FROM stock_movements WHERE sku = $1
             ORDER BY created_at DESC, movement_key DESC LIMIT $2",
        )
        .bind(sku.as_str())
        .bind(MOVEMENTS_LISTED)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(movement_from).collect()
    }

    /// The sums of every movement of a SKU: what its stock must be.
    pub async fn ledger_totals(&self, sku: &Sku) -> Result<LedgerTotals, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(on_hand_change), 0) AS BIGINT) AS on_hand,
                    CAST(COALESCE(SUM(reserved_change), 0) AS BIGINT) AS reserved
             FROM stock_movements WHERE sku = $1",
        )
        .bind(sku.as_str())
        .fetch_one(&self.db.pool)
        .await?;
        Ok(LedgerTotals {
            on_hand: row.try_get("on_hand")?,
            reserved: row.try_get("reserved")?,
        })
    }
}

fn movement_from(row: &AnyRow) -> Result<StockMovement, StoreError> {
    let order_id: Option<String> = row.try_get("order_id")?;
    Ok(StockMovement {
        key: row.try_get("movement_key")?,
        warehouse_id: parsed(
            "stock_movements.warehouse_id",
            &row.try_get::<String, _>("warehouse_id")?,
            str::parse,
        )?,
        batch_code: parsed(
            "stock_movements.batch_code",
            &row.try_get::<String, _>("batch_code")?,
            BatchCode::parse,
        )?,
        reason: known(
            "stock_movements.reason",
            &row.try_get::<String, _>("reason")?,
            StockReason::parse,
        )?,
        on_hand_change: row.try_get("on_hand_change")?,
        reserved_change: row.try_get("reserved_change")?,
        order_id: order_id
            .map(|id| parsed("stock_movements.order_id", &id, str::parse))
            .transpose()?,
        at: timestamp("stock_movements.created_at", row.try_get("created_at")?)?,
    })
}
