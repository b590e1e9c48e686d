//! Batches: stock of one SKU in one warehouse from one delivery, with its
//! supplier, dates and cost. Goods receipts create them, write-offs and
//! stock counts change them; reservations (in `stock`) hold them.
//!
//! Every change here also changes the SKU's `inventory` row (the total the
//! oversell check locks) and writes its movement, in one transaction, and
//! takes the inventory row first, as reservations do, so the two never
//! deadlock.

use chrono::NaiveDate;
use orderly_domain::{
    BatchCode, MAX_ON_HAND, Money, Sku, StockReason, SupplierId, WarehouseId, expiry_end, new_v7,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::Inventory;
use super::low_stock::rearm_low_stock;
use super::movements::{Movement, record};
use crate::StoreError;
use crate::columns::{millis, money, now_millis, parsed};

const DATE: &str = "%Y-%m-%d";

/// Names one batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BatchKey {
    pub sku: Sku,
    pub warehouse_id: WarehouseId,
    pub batch_code: BatchCode,
}

/// A batch and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub key: BatchKey,
    pub supplier_id: Option<SupplierId>,
    pub received_on: NaiveDate,
    /// None for stock that does not spoil.
    pub expires_on: Option<NaiveDate>,
    /// What one unit cost; unknown for stock found by a count.
    pub unit_cost: Option<Money>,
    pub on_hand: i64,
    pub reserved: i64,
}

/// A delivery being booked in.
#[derive(Debug, Clone)]
pub struct GoodsReceipt {
    pub key: BatchKey,
    pub supplier_id: Option<SupplierId>,
    pub received_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub unit_cost: Money,
    pub quantity: i64,
}

pub(crate) const BATCH_COLUMNS: &str = "b.sku, b.warehouse_id, b.batch_code, b.supplier_id, \
     b.received_on, b.expires_on, b.unit_cost, b.currency, b.on_hand, b.reserved";

impl Inventory {
    /// Books a delivery in as a new batch. `Conflict` when the warehouse
    /// already has a batch of that code for the SKU (a receipt sent twice),
    /// or when the SKU would hold more than [`MAX_ON_HAND`].
    pub async fn receive(&self, receipt: &GoodsReceipt) -> Result<Batch, StoreError> {
        let key = &receipt.key;
        let mut tx = self.db.begin_write().await?;
        let counted = sqlx::query(
            "INSERT INTO inventory (sku, on_hand, reserved) VALUES ($1, $2, 0)
             ON CONFLICT (sku) DO UPDATE SET on_hand = inventory.on_hand + excluded.on_hand
                 WHERE inventory.on_hand + excluded.on_hand <= $3",
        )
        .bind(key.sku.as_str())
        .bind(receipt.quantity)
        .bind(MAX_ON_HAND)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if counted == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "{} would hold more than {MAX_ON_HAND} units",
                key.sku
            )));
        }
        let inserted = sqlx::query(
            "INSERT INTO stock_batches (sku, warehouse_id, batch_code, supplier_id, received_on,
                 expires_on, good_until, unit_cost, currency, on_hand, reserved, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11)
             ON CONFLICT (sku, warehouse_id, batch_code) DO NOTHING",
        )
        .bind(key.sku.as_str())
        .bind(key.warehouse_id.to_string())
        .bind(key.batch_code.as_str())
        .bind(receipt.supplier_id.map(|id| id.to_string()))
        .bind(receipt.received_on.format(DATE).to_string())
        .bind(receipt.expires_on.map(|d| d.format(DATE).to_string()))
        .bind(receipt.expires_on.map(|d| millis(expiry_end(d))))
        .bind(receipt.unit_cost.amount)
        .bind(receipt.unit_cost.currency.as_str())
        .bind(receipt.quantity)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "batch {} of {} was already received at this warehouse",
                key.batch_code, key.sku
            )));
        }
        record(
            &mut tx,
            Movement {
                key: format!(
                    "receipt:{}:{}:{}",
                    key.sku, key.warehouse_id, key.batch_code
                ),
                batch: key,
                reason: StockReason::Received,
                on_hand_change: receipt.quantity,
                reserved_change: 0,
                order_id: None,
            },
        )
        .await?;
        rearm_low_stock(&mut tx, &key.sku).await?;
        let batch = batch_in(&mut tx, key).await?;
        tx.commit().await?;
        batch.ok_or_else(|| StoreError::Corrupt(format!("batch {} vanished", key.batch_code)))
    }

    /// Throws away `quantity` free units of a batch (expired, spoiled,
    /// damaged). `NotFound` for an unknown batch, `Conflict` when fewer than
    /// `quantity` of it are free (held stock is promised to orders).
    pub async fn write_off(&self, key: &BatchKey, quantity: i64) -> Result<Batch, StoreError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE inventory SET on_hand = on_hand - $1 WHERE sku = $2 AND on_hand - reserved >= $1")
            .bind(quantity)
            .bind(key.sku.as_str())
            .execute(&mut *tx)
            .await?;
        let taken = sqlx::query(
            "UPDATE stock_batches SET on_hand = on_hand - $1
             WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4 AND on_hand - reserved >= $1",
        )
        .bind(quantity)
        .bind(key.sku.as_str())
        .bind(key.warehouse_id.to_string())
        .bind(key.batch_code.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            let batch = batch_in(&mut tx, key).await?;
            tx.rollback().await?;
            return Err(match batch {
                None => StoreError::NotFound,
                Some(batch) => StoreError::Conflict(format!(
                    "only {} units of batch {} are free to write off ({} are reserved)",
                    batch.on_hand - batch.reserved,
                    key.batch_code,
                    batch.reserved
                )),
            });
        }
        record(
            &mut tx,
            Movement {
                key: format!("write_off:{}", new_v7()),
                batch: key,
                reason: StockReason::WrittenOff,
                on_hand_change: -quantity,
                reserved_change: 0,
                order_id: None,
            },
        )
        .await?;
        rearm_low_stock(&mut tx, &key.sku).await?;
        let batch = batch_in(&mut tx, key).await?;
        tx.commit().await?;
        batch.ok_or(StoreError::NotFound)
    }

    /// Every batch of a SKU that still holds stock, first to expire first.
    pub async fn batches(&self, sku: &Sku) -> Result<Vec<Batch>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM stock_batches b
             WHERE b.sku = $1 AND b.on_hand > 0
             ORDER BY {FIRST_TO_EXPIRE}"
        ))
        .bind(sku.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(batch_from).collect()
    }
}

/// First expiry first out; stock that does not spoil last, oldest first.
pub(crate) const FIRST_TO_EXPIRE: &str = "CASE WHEN b.good_until IS NULL THEN 1 ELSE 0 END, \
     b.good_until, b.received_on, b.warehouse_id, b.batch_code";

async fn batch_in(
    tx: &mut Transaction<'static, Any>,
    key: &BatchKey,
) -> Result<Option<Batch>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {BATCH_COLUMNS} FROM stock_batches b
         WHERE b.sku = $1 AND b.warehouse_id = $2 AND b.batch_code = $3"
    ))
    .bind(key.sku.as_str())
    .bind(key.warehouse_id.to_string())
    .bind(key.batch_code.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(batch_from).transpose()
}

pub(crate) fn batch_from(row: &AnyRow) -> Result<Batch, StoreError> {
    let supplier: Option<String> = row.try_get("supplier_id")?;
    let expires: Option<String> = row.try_get("expires_on")?;
    let unit_cost: Option<i64> = row.try_get("unit_cost")?;
    let currency: Option<String> = row.try_get("currency")?;
    let date =
        |column: &str, raw: &str| parsed(column, raw, |raw| NaiveDate::parse_from_str(raw, DATE));
    Ok(Batch {
        key: BatchKey {
            sku: parsed(
                "stock_batches.sku",
                &row.try_get::<String, _>("sku")?,
                Sku::parse,
            )?,
            warehouse_id: parsed(
                "stock_batches.warehouse_id",
                &row.try_get::<String, _>("warehouse_id")?,
                str::parse,
            )?,
            batch_code: parsed(
                "stock_batches.batch_code",
                &row.try_get::<String, _>("batch_code")?,
                BatchCode::parse,
            )?,
        },
        supplier_id: supplier
            .map(|id| parsed("stock_batches.supplier_id", &id, str::parse))
            .transpose()?,
        received_on: date(
            "stock_batches.received_on",
            &row.try_get::<String, _>("received_on")?,
        )?,
        expires_on: expires
            .map(|raw| date("stock_batches.expires_on", &raw))
            .transpose()?,
        unit_cost: match (unit_cost, currency) {
            (Some(amount), Some(currency)) => Some(money(amount, &currency)?),
            _ => None,
        },
        on_hand: row.try_get("on_hand")?,
        reserved: row.try_get("reserved")?,
    })
}
