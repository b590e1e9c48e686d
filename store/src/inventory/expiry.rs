//! What the expiry sweep reads and changes: batches about to spoil and
//! whether their seller and ops were told, writing off the free stock of
//! batches past their end, and moving orders' held stock off batches that
//! would spoil before the order arrives.
//!
//! Every change is one write transaction that takes the SKU's inventory
//! row first, as reservations do (so the two never deadlock), and then
//! reads again what it acts on: a sweep run twice, or two sweeps at once,
//! change stock once, because the second finds nothing left to do. Ledger
//! keys are derived from the batch (and the order), with a running number
//! for a batch that is written off, or left by the same order, again
//! later.
//!
//! Only an order's own holds (part 0) are moved: an exchange's
//! replacement is held only until its parcel is booked, moments later.
//!
//! The listings page by key (`after`, then at most `limit` rows in key
//! order), so a sweep over a large shop is many small reads.

use chrono::{DateTime, NaiveDate, Utc};
use orderly_domain::{BatchCode, OrderId, OrderStatus, Sku, StockReason, UserId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::Inventory;
use super::batches::{BatchKey, FIRST_TO_EXPIRE};
use super::low_stock::rearm_low_stock;
use super::movements::{Movement, record};
use super::stock::batch_key_from;
use crate::StoreError;
use crate::columns::{millis, now_millis, parsed};

const DATE: &str = "%Y-%m-%d";

/// A batch with stock that ends within the warning period (or has ended),
/// with what its alert says and whom it goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpoilingBatch {
    pub key: BatchKey,
    /// The product's name (its SKU when the product is gone).
    pub product: String,
    /// The product's seller; none for the shop's own products.
    pub seller_id: Option<UserId>,
    pub warehouse: String,
    pub expires_on: NaiveDate,
    pub on_hand: i64,
    pub reserved: i64,
}

/// Names the stock one order holds of one batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HoldKey {
    pub order_id: OrderId,
    pub batch: BatchKey,
}

/// An order's hold on a batch that ends before the order can arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleHold {
    pub key: HoldKey,
    pub quantity: i64,
    pub expires_on: NaiveDate,
}

/// What moving a stale hold came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HoldMove {
    /// Released from the old batch and held on these fresher ones of the
    /// same SKU in the same warehouse (batch, units), first to expire first.
    Moved(Vec<(BatchCode, i64)>),
    /// The warehouse has too little fresh enough free stock of the SKU:
    /// the hold stays where it is.
    NoFresherStock,
    /// Nothing to move any more: the hold was moved, released or committed
    /// since it was listed.
    Settled,
}

impl Inventory {
    /// Batches holding stock whose end of life comes before
    /// `spoils_before` and whose alert has not been recorded yet, in key
    /// order after `after`; at most `limit`.
    pub async fn spoiling_batches(
        &self,
        spoils_before: DateTime<Utc>,
        after: Option<&BatchKey>,
        limit: i64,
    ) -> Result<Vec<SpoilingBatch>, StoreError> {
        let (sku, warehouse, code) = batch_cursor(after);
        let rows = sqlx::query(
            "SELECT b.sku, b.warehouse_id, b.batch_code, b.expires_on, b.on_hand, b.reserved,
                    COALESCE(p.name, b.sku) AS product, p.seller_id, w.name AS warehouse
             FROM stock_batches b
             JOIN warehouses w ON w.id = b.warehouse_id
             LEFT JOIN products p ON p.sku = b.sku
             WHERE b.on_hand > 0 AND b.good_until IS NOT NULL AND b.good_until < $1
               AND NOT EXISTS (SELECT 1 FROM spoilage_alerts a
                               WHERE a.sku = b.sku AND a.warehouse_id = b.warehouse_id
                                 AND a.batch_code = b.batch_code)
               AND (b.sku, b.warehouse_id, b.batch_code) > ($2, $3, $4)
             ORDER BY b.sku, b.warehouse_id, b.batch_code
             LIMIT $5",
        )
        .bind(millis(spoils_before))
        .bind(sku)
        .bind(warehouse)
        .bind(code)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(spoiling_from).collect()
    }

    /// Records that the alert about a batch was raised; `false` when it
    /// had been already (by another sweep).
    pub async fn record_spoilage_alert(
        &self,
        key: &BatchKey,
        expires_on: NaiveDate,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO spoilage_alerts (sku, warehouse_id, batch_code, expires_on, raised_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (sku, warehouse_id, batch_code) DO NOTHING",
        )
        .bind(key.sku.as_str())
        .bind(key.warehouse_id.to_string())
        .bind(key.batch_code.as_str())
        .bind(expires_on.format(DATE).to_string())
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// Batches whose end of life is at or before `now` and that still have
    /// free stock, in key order after `after`; at most `limit`.
    pub async fn expired_batches(
        &self,
        now: DateTime<Utc>,
        after: Option<&BatchKey>,
        limit: i64,
    ) -> Result<Vec<BatchKey>, StoreError> {
        let (sku, warehouse, code) = batch_cursor(after);
        let rows = sqlx::query(
            "SELECT b.sku, b.warehouse_id, b.batch_code FROM stock_batches b
             WHERE b.on_hand > b.reserved AND b.good_until IS NOT NULL AND b.good_until <= $1
               AND (b.sku, b.warehouse_id, b.batch_code) > ($2, $3, $4)
             ORDER BY b.sku, b.warehouse_id, b.batch_code
             LIMIT $5",
        )
        .bind(millis(now))
        .bind(sku)
        .bind(warehouse)
        .bind(code)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(batch_key_from).collect()
    }

    /// Writes off all free stock of a batch that has ended by `now`, under
    /// the movement key `expiry:{sku}:{warehouse}:{batch}` (`…:{n}` for the
    /// n-th time, when stock an order held comes back later). Returns the
    /// units written off: 0 for a batch with no free stock, one not ended
    /// yet, or an unknown one. Held stock stays: it is promised to orders,
    /// and the sweep moves or reports those holds.
    pub async fn write_off_expired(
        &self,
        key: &BatchKey,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.db.begin_write().await?;
        lock_stock(&mut tx, &key.sku).await?;
        let row = sqlx::query(
            "SELECT on_hand - reserved AS free FROM stock_batches
             WHERE sku = $1 AND warehouse_id = $2 AND batch_code = $3
               AND good_until IS NOT NULL AND good_until <= $4",
        )
        .bind(key.sku.as_str())
        .bind(key.warehouse_id.to_string())
        .bind(key.batch_code.as_str())
        .bind(millis(now))
        .fetch_optional(&mut *tx)
        .await?;
        let free = match row {
            Some(row) => row.try_get::<i64, _>("free")?,
            None => 0,
        };
        if free <= 0 {
            tx.rollback().await?;
            return Ok(0);
        }
        let earlier: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM stock_movements
             WHERE sku = $1 AND warehouse_id = $2 AND batch_code = $3 AND reason = $4
               AND substr(movement_key, 1, 7) = 'expiry:'",
        )
        .bind(key.sku.as_str())
        .bind(key.warehouse_id.to_string())
        .bind(key.batch_code.as_str())
        .bind(StockReason::WrittenOff.as_str())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        sqlx::query(
            "UPDATE stock_batches SET on_hand = on_hand - $1
             WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4",
        )
        .bind(free)
        .bind(key.sku.as_str())
        .bind(key.warehouse_id.to_string())
        .bind(key.batch_code.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE inventory SET on_hand = on_hand - $1 WHERE sku = $2")
            .bind(free)
            .bind(key.sku.as_str())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            Movement {
                key: format!(
                    "expiry:{}:{}:{}{}",
                    key.sku,
                    key.warehouse_id,
                    key.batch_code,
                    occurrence(earlier)
                ),
                batch: key,
                reason: StockReason::WrittenOff,
                on_hand_change: -free,
                reserved_change: 0,
                order_id: None,
            },
        )
        .await?;
        rearm_low_stock(&mut tx, &key.sku).await?;
        tx.commit().await?;
        Ok(free)
    }

    /// Stock held for orders not packed yet on batches whose end of life
    /// comes before `fresh_until` (the order would arrive too late to use
    /// it), in key order after `after`; at most `limit`. A packed order's
    /// goods are in its parcel: which batch they came from is settled.
    pub async fn stale_holds(
        &self,
        fresh_until: DateTime<Utc>,
        after: Option<&HoldKey>,
        limit: i64,
    ) -> Result<Vec<StaleHold>, StoreError> {
        let order = after
            .map(|hold| hold.order_id.to_string())
            .unwrap_or_default();
        let (sku, warehouse, code) = batch_cursor(after.map(|hold| &hold.batch));
        let rows = sqlx::query(
            "SELECT rb.order_id, rb.sku, rb.warehouse_id, rb.batch_code, rb.quantity, b.expires_on
             FROM reservation_batches rb
             JOIN reservations r
               ON r.order_id = rb.order_id AND r.part = rb.part AND r.sku = rb.sku
             JOIN stock_batches b
               ON b.sku = rb.sku AND b.warehouse_id = rb.warehouse_id
              AND b.batch_code = rb.batch_code
             WHERE rb.part = 0 AND rb.state = 'held'
               AND b.good_until IS NOT NULL AND b.good_until < $1
               AND NOT EXISTS (SELECT 1 FROM orders o
                               WHERE o.id = rb.order_id AND o.status IN ($2, $3))
               AND (rb.order_id, rb.sku, rb.warehouse_id, rb.batch_code) > ($4, $5, $6, $7)
             ORDER BY rb.order_id, rb.sku, rb.warehouse_id, rb.batch_code
             LIMIT $8",
        )
        .bind(millis(fresh_until))
        .bind(OrderStatus::Packed.as_str())
        .bind(OrderStatus::ReadyForPickup.as_str())
        .bind(order)
        .bind(sku)
        .bind(warehouse)
        .bind(code)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(stale_hold_from).collect()
    }

    /// Moves an order's hold on a batch that ends before `fresh_until` to
    /// batches of the same SKU in the same warehouse that last at least
    /// until then, first to expire first, all or nothing: released from
    /// the old batch (`order:{id}:moved:{sku}:{warehouse}:{batch}`) and
    /// held on each new one (that key plus `:to:{new batch}`), in one
    /// transaction. The SKU's reserved total does not change. The same
    /// warehouse, because the order was allocated to it (and its shipment
    /// leaves from there), active or not.
    pub async fn move_stale_hold(
        &self,
        hold: &HoldKey,
        fresh_until: DateTime<Utc>,
    ) -> Result<HoldMove, StoreError> {
        let HoldKey { order_id, batch } = hold;
        let order = order_id.to_string();
        let mut tx = self.db.begin_write().await?;
        lock_stock(&mut tx, &batch.sku).await?;
        let held = sqlx::query(
            "SELECT rb.quantity FROM reservation_batches rb
             JOIN reservations r
               ON r.order_id = rb.order_id AND r.part = rb.part AND r.sku = rb.sku
             JOIN stock_batches b
               ON b.sku = rb.sku AND b.warehouse_id = rb.warehouse_id
              AND b.batch_code = rb.batch_code
             WHERE rb.order_id = $1 AND rb.part = 0 AND rb.sku = $2 AND rb.warehouse_id = $3
               AND rb.batch_code = $4 AND rb.state = 'held'
               AND b.good_until IS NOT NULL AND b.good_until < $5",
        )
        .bind(&order)
        .bind(batch.sku.as_str())
        .bind(batch.warehouse_id.to_string())
        .bind(batch.batch_code.as_str())
        .bind(millis(fresh_until))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(held) = held else {
            tx.rollback().await?;
            return Ok(HoldMove::Settled);
        };
        let quantity: i64 = held.try_get("quantity")?;
        let rows = sqlx::query(&format!(
            "SELECT b.batch_code, b.on_hand - b.reserved AS free FROM stock_batches b
             WHERE b.sku = $1 AND b.warehouse_id = $2 AND b.batch_code <> $3
               AND b.on_hand > b.reserved AND (b.good_until IS NULL OR b.good_until >= $4)
             ORDER BY {FIRST_TO_EXPIRE}"
        ))
        .bind(batch.sku.as_str())
        .bind(batch.warehouse_id.to_string())
        .bind(batch.batch_code.as_str())
        .bind(millis(fresh_until))
        .fetch_all(&mut *tx)
        .await?;
        let mut targets = Vec::new();
        let mut left = quantity;
        for row in &rows {
            if left == 0 {
                break;
            }
            let code = parsed(
                "stock_batches.batch_code",
                &row.try_get::<String, _>("batch_code")?,
                BatchCode::parse,
            )?;
            let take = left.min(row.try_get::<i64, _>("free")?);
            targets.push((code, take));
            left -= take;
        }
        if left > 0 {
            tx.rollback().await?;
            return Ok(HoldMove::NoFresherStock);
        }
        let earlier: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM stock_movements
             WHERE order_id = $1 AND sku = $2 AND warehouse_id = $3 AND batch_code = $4
               AND reason = $5 AND substr(movement_key, 1, length($6)) = $6",
        )
        .bind(&order)
        .bind(batch.sku.as_str())
        .bind(batch.warehouse_id.to_string())
        .bind(batch.batch_code.as_str())
        .bind(StockReason::Released.as_str())
        .bind(moved_prefix(*order_id))
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        let released_key = format!(
            "{}{}:{}:{}{}",
            moved_prefix(*order_id),
            batch.sku,
            batch.warehouse_id,
            batch.batch_code,
            occurrence(earlier)
        );
        sqlx::query(
            "UPDATE stock_batches SET reserved = reserved - $1
             WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4",
        )
        .bind(quantity)
        .bind(batch.sku.as_str())
        .bind(batch.warehouse_id.to_string())
        .bind(batch.batch_code.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM reservation_batches
             WHERE order_id = $1 AND part = 0 AND sku = $2 AND warehouse_id = $3
               AND batch_code = $4",
        )
        .bind(&order)
        .bind(batch.sku.as_str())
        .bind(batch.warehouse_id.to_string())
        .bind(batch.batch_code.as_str())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            Movement {
                key: released_key.clone(),
                batch,
                reason: StockReason::Released,
                on_hand_change: 0,
                reserved_change: -quantity,
                order_id: Some(*order_id),
            },
        )
        .await?;
        for (code, units) in &targets {
            let target = BatchKey {
                sku: batch.sku.clone(),
                warehouse_id: batch.warehouse_id,
                batch_code: code.clone(),
            };
            // Read under the SKU's lock, so the free stock is still there.
            sqlx::query(
                "UPDATE stock_batches SET reserved = reserved + $1
                 WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4",
            )
            .bind(*units)
            .bind(target.sku.as_str())
            .bind(target.warehouse_id.to_string())
            .bind(target.batch_code.as_str())
            .execute(&mut *tx)
            .await?;
            // The order may already hold some of the new batch.
            sqlx::query(
                "INSERT INTO reservation_batches (order_id, sku, warehouse_id, batch_code, quantity)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (order_id, part, sku, warehouse_id, batch_code)
                     DO UPDATE SET quantity = reservation_batches.quantity + excluded.quantity",
            )
            .bind(&order)
            .bind(target.sku.as_str())
            .bind(target.warehouse_id.to_string())
            .bind(target.batch_code.as_str())
            .bind(*units)
            .execute(&mut *tx)
            .await?;
            record(
                &mut tx,
                Movement {
                    key: format!("{released_key}:to:{code}"),
                    batch: &target,
                    reason: StockReason::Reserved,
                    on_hand_change: 0,
                    reserved_change: *units,
                    order_id: Some(*order_id),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(HoldMove::Moved(targets))
    }
}

/// Takes the SKU's inventory row lock (PostgreSQL; SQLite's write
/// transaction already excludes every other writer) with a no-op update,
/// before any of its batches, as every change to stock does.
async fn lock_stock(tx: &mut Transaction<'static, Any>, sku: &Sku) -> Result<(), StoreError> {
    sqlx::query("UPDATE inventory SET on_hand = on_hand WHERE sku = $1")
        .bind(sku.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The start of the keys of an order's moves off a batch.
fn moved_prefix(order_id: OrderId) -> String {
    format!("order:{order_id}:moved:")
}

/// Nothing for the first time a key is used, `:{n}` for the n-th.
fn occurrence(earlier: i64) -> String {
    if earlier == 0 {
        String::new()
    } else {
        format!(":{}", earlier + 1)
    }
}

/// The keyset cursor of a batch listing: before every key when none.
fn batch_cursor(after: Option<&BatchKey>) -> (String, String, String) {
    after.map_or_else(Default::default, |key| {
        (
            key.sku.to_string(),
            key.warehouse_id.to_string(),
            key.batch_code.to_string(),
        )
    })
}

fn spoiling_from(row: &AnyRow) -> Result<SpoilingBatch, StoreError> {
    let seller: Option<String> = row.try_get("seller_id")?;
    Ok(SpoilingBatch {
        key: batch_key_from(row)?,
        product: row.try_get("product")?,
        seller_id: seller
            .map(|id| parsed("products.seller_id", &id, str::parse))
            .transpose()?,
        warehouse: row.try_get("warehouse")?,
        expires_on: expiry_date(row)?,
        on_hand: row.try_get("on_hand")?,
        reserved: row.try_get("reserved")?,
    })
}

fn stale_hold_from(row: &AnyRow) -> Result<StaleHold, StoreError> {
    Ok(StaleHold {
        key: HoldKey {
            order_id: parsed(
                "reservation_batches.order_id",
                &row.try_get::<String, _>("order_id")?,
                str::parse,
            )?,
            batch: batch_key_from(row)?,
        },
        quantity: row.try_get("quantity")?,
        expires_on: expiry_date(row)?,
    })
}

/// The expiry date of a batch the sweep listed: only batches with one are.
fn expiry_date(row: &AnyRow) -> Result<NaiveDate, StoreError> {
    let raw: Option<String> = row.try_get("expires_on")?;
    let raw = raw.ok_or_else(|| {
        StoreError::Corrupt("stock_batches.expires_on: missing beside good_until".into())
    })?;
    parsed("stock_batches.expires_on", &raw, |raw| {
        NaiveDate::parse_from_str(raw, DATE)
    })
}
