//! Stock and per-order reservations.
//!
//! `inventory` holds each SKU's totals, the sums of its batches; a
//! reservation holds stock of particular batches (`reservation_batches`),
//! picked first-expiry-first-out among those fresh enough for the order.
//! `inventory.reserved` is the sum of the `held` reservations of a SKU, and
//! every change to one goes with the matching change to the other, to the
//! batches and to the stock ledger in one transaction. A reservation row's
//! state only ever moves forward (held → committed → restocked, or held →
//! released), and each move is a conditional update of that row, so
//! repeating a move changes nothing.
//!
//! Locks are always taken on inventory rows in sku order, and on a SKU's
//! inventory row before its batches, so concurrent orders sharing SKUs
//! cannot deadlock on PostgreSQL.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use orderly_domain::{
    BatchCode, DEFAULT_WAREHOUSE, OrderId, Quantity, ReserveOutcome, Shortage, Sku, StockReason,
    WarehouseId, new_v7,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::Inventory;
use super::allocation::{Shelves, Sourcing, allocation_of};
use super::batches::{BatchKey, FIRST_TO_EXPIRE};
use super::low_stock::rearm_low_stock;
use super::movements::{Movement, record};
use crate::StoreError;
use crate::columns::{millis, now_millis, parsed, placeholders};

/// Who holds a reservation: an order itself (part 0), or the replacement
/// an exchange ships from it (part n, for the order's return n). An order
/// holds stock once per part, and each part moves its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub order_id: OrderId,
    pub part: u32,
}

impl Holder {
    /// The replacement shipped for return `number` of an order.
    pub fn exchange(order_id: OrderId, number: u32) -> Self {
        Self {
            order_id,
            part: number,
        }
    }

    /// The start of the keys of the part's stock movements. The order's
    /// own are the keys they always were.
    fn stamp(&self) -> String {
        match self.part {
            0 => format!("order:{}", self.order_id),
            n => format!("order:{}:exchange-{n}", self.order_id),
        }
    }
}

impl From<OrderId> for Holder {
    fn from(order_id: OrderId) -> Self {
        Self { order_id, part: 0 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub sku: Sku,
    pub on_hand: i64,
    pub reserved: i64,
}

impl StockLevel {
    /// What a new order may still reserve.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }
}

/// How a reservation state move changes the SKU's totals, its batches,
/// and which reason the ledger gives.
struct StockMove {
    inventory: &'static str,
    batch: &'static str,
    reason: StockReason,
    on_hand_sign: i64,
    reserved_sign: i64,
}

const RELEASE: StockMove = StockMove {
    inventory: "UPDATE inventory SET reserved = reserved - $1 WHERE sku = $2",
    batch: "UPDATE stock_batches SET reserved = reserved - $1
            WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4",
    reason: StockReason::Released,
    on_hand_sign: 0,
    reserved_sign: -1,
};
const COMMIT: StockMove = StockMove {
    inventory: "UPDATE inventory SET on_hand = on_hand - $1, reserved = reserved - $1 WHERE sku = $2",
    batch: "UPDATE stock_batches SET on_hand = on_hand - $1, reserved = reserved - $1
            WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4",
    reason: StockReason::Committed,
    on_hand_sign: -1,
    reserved_sign: -1,
};
const RESTOCK: StockMove = StockMove {
    inventory: "UPDATE inventory SET on_hand = on_hand + $1 WHERE sku = $2",
    batch: "UPDATE stock_batches SET on_hand = on_hand + $1
            WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4",
    reason: StockReason::Returned,
    on_hand_sign: 1,
    reserved_sign: 0,
};

/// The batch stock counted without naming a batch is kept in, in the
/// default warehouse.
const COUNTED_BATCH: &str = "counted";

impl Inventory {
    /// Stock of those of `skus` that have a stock row, in one round trip.
    pub async fn stock_levels(&self, skus: &[Sku]) -> Result<Vec<StockLevel>, StoreError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT sku, on_hand, reserved FROM inventory WHERE sku IN ({}) ORDER BY sku",
            placeholders(1, skus.len())
        );
        let mut query = sqlx::query(&sql);
        for sku in skus {
            query = query.bind(sku.as_str());
        }
        let rows = query.fetch_all(&self.db.pool).await?;
        rows.iter().map(stock_from).collect()
    }

    pub async fn stock(&self, sku: &Sku) -> Result<Option<StockLevel>, StoreError> {
        let row = sqlx::query("SELECT sku, on_hand, reserved FROM inventory WHERE sku = $1")
            .bind(sku.as_str())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(stock_from).transpose()
    }

    /// Sets the counted stock of a SKU, creating its row if needed: the
    /// difference is a stock-count adjustment of the default warehouse.
    /// `Conflict` when `on_hand` is negative, below what is reserved (held
    /// stock has been promised to orders and cannot be counted away), or
    /// below what other warehouses hold.
    pub async fn set_on_hand(&self, sku: &Sku, on_hand: i64) -> Result<StockLevel, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let stock = count_stock(&mut tx, sku, on_hand).await;
        match stock {
            Ok(stock) => {
                rearm_low_stock(&mut tx, sku).await?;
                tx.commit().await?;
                Ok(stock)
            }
            Err(error) => {
                tx.rollback().await?;
                Err(error)
            }
        }
    }

    /// Holds stock for every line of an order, or for none, from batches
    /// that are still good at `fresh_until`, first to expire first within
    /// a warehouse, and answers which warehouse holds what.
    ///
    /// The order goes to the first warehouse of `sourcing` that can fill
    /// all of it; when none can (and the sourcing allows it) each line goes
    /// to the first warehouse that can fill that line, preferring one the
    /// order already uses, and a line no single warehouse can fill is
    /// spread over them in order.
    ///
    /// Idempotent per holder: once reservation rows exist for it, this
    /// answers the allocation they hold without touching stock, even if the
    /// stock has run out since. Lines with the same SKU are added up. An
    /// order without lines holds nothing. A shortage reports what the order
    /// could have had: the free stock of fresh enough batches in the
    /// warehouses it may come from.
    pub async fn reserve(
        &self,
        holder: impl Into<Holder>,
        lines: &[(Sku, Quantity)],
        fresh_until: DateTime<Utc>,
        sourcing: &Sourcing,
    ) -> Result<ReserveOutcome, StoreError> {
        let holder = holder.into();
        let wanted = wanted_units(lines);
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let existing =
            sqlx::query("SELECT sku FROM reservations WHERE order_id = $1 AND part = $2 LIMIT 1")
                .bind(holder.order_id.to_string())
                .bind(i64::from(holder.part))
                .fetch_optional(&mut *tx)
                .await?;
        if existing.is_some() {
            tx.rollback().await?;
            return self.allocation(holder, sourcing).await;
        }
        match hold_lines(
            &mut tx,
            holder,
            &holder.stamp(),
            &wanted,
            fresh_until,
            sourcing,
            now,
        )
        .await?
        {
            Held::Planned(plan) => {
                tx.commit().await?;
                Ok(ReserveOutcome::Allocated(allocation_of(
                    plan.iter().map(|(batch, units)| (batch, *units)),
                    sourcing,
                )))
            }
            Held::Short(shortage) => {
                tx.rollback().await?;
                Ok(ReserveOutcome::OutOfStock(shortage))
            }
            Held::Raced => {
                // A concurrent call for the same order committed first
                // (PostgreSQL); its reservation stands, ours is undone.
                tx.rollback().await?;
                self.allocation(holder, sourcing).await
            }
        }
    }

    /// Holds the stock of an edited order's `lines` in place of what it
    /// holds, in one transaction: the old holds are given back and the new
    /// ones taken as [`Inventory::reserve`] takes them, so a SKU the edit
    /// keeps can use its own stock again, and when any line cannot be had
    /// nothing changes. Once per (`order_id`, `revision`): a repeat answers
    /// the allocation the order holds. `Conflict` once any of the order's
    /// stock is no longer merely held (packed, released).
    pub async fn revise(
        &self,
        order_id: OrderId,
        revision: u32,
        lines: &[(Sku, Quantity)],
        fresh_until: DateTime<Utc>,
        sourcing: &Sourcing,
    ) -> Result<ReserveOutcome, StoreError> {
        let wanted = wanted_units(lines);
        let order = order_id.to_string();
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let first = sqlx::query(
            "INSERT INTO reservation_revisions (order_id, revision, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (order_id, revision) DO NOTHING",
        )
        .bind(&order)
        .bind(i64::from(revision))
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if first == 0 {
            tx.rollback().await?;
            return self.allocation(order_id.into(), sourcing).await;
        }
        let rows = sqlx::query(
            "SELECT sku, warehouse_id, batch_code, quantity, state FROM reservation_batches
             WHERE order_id = $1 AND part = 0 ORDER BY sku, warehouse_id, batch_code",
        )
        .bind(&order)
        .fetch_all(&mut *tx)
        .await?;
        let mut held = Vec::with_capacity(rows.len());
        for row in &rows {
            if row.try_get::<String, _>("state")? != "held" {
                tx.rollback().await?;
                return Err(StoreError::Conflict(format!(
                    "the stock of order {order_id} is no longer only held; it cannot be revised"
                )));
            }
            held.push((batch_key_from(row)?, row.try_get::<i64, _>("quantity")?));
        }
        let mut skus: Vec<Sku> = held.iter().map(|(batch, _)| batch.sku.clone()).collect();
        skus.extend(wanted.keys().map(|sku| (*sku).clone()));
        skus.sort();
        skus.dedup();
        // Every SKU's lock first, in sku order, as every other writer
        // takes them: the release below and the holds after it then wait
        // on nobody.
        for sku in &skus {
            sqlx::query("UPDATE inventory SET on_hand = on_hand WHERE sku = $1")
                .bind(sku.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let stamp = format!("order:{order_id}:r{revision}");
        for (batch, units) in &held {
            sqlx::query(RELEASE.inventory)
                .bind(*units)
                .bind(batch.sku.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(RELEASE.batch)
                .bind(*units)
                .bind(batch.sku.as_str())
                .bind(batch.warehouse_id.to_string())
                .bind(batch.batch_code.as_str())
                .execute(&mut *tx)
                .await?;
            record(
                &mut tx,
                Movement {
                    key: format!(
                        "{stamp}:released:{}:{}:{}",
                        batch.sku, batch.warehouse_id, batch.batch_code
                    ),
                    batch,
                    reason: StockReason::Released,
                    on_hand_change: 0,
                    reserved_change: -units,
                    order_id: Some(order_id),
                },
            )
            .await?;
        }
        for table in ["reservation_batches", "reservations"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE order_id = $1 AND part = 0"
            ))
            .bind(&order)
            .execute(&mut *tx)
            .await?;
        }
        match hold_lines(
            &mut tx,
            order_id.into(),
            &stamp,
            &wanted,
            fresh_until,
            sourcing,
            now,
        )
        .await?
        {
            Held::Planned(plan) => {
                for sku in &skus {
                    rearm_low_stock(&mut tx, sku).await?;
                }
                tx.commit().await?;
                Ok(ReserveOutcome::Allocated(allocation_of(
                    plan.iter().map(|(batch, units)| (batch, *units)),
                    sourcing,
                )))
            }
            Held::Short(shortage) => {
                tx.rollback().await?;
                Ok(ReserveOutcome::OutOfStock(shortage))
            }
            Held::Raced => {
                tx.rollback().await?;
                Err(StoreError::Conflict(format!(
                    "the reservation of order {order_id} changed while it was revised"
                )))
            }
        }
    }

    /// What an order's reservation holds, by warehouse, in the order of
    /// `sourcing` (warehouses it does not list last).
    async fn allocation(
        &self,
        holder: Holder,
        sourcing: &Sourcing,
    ) -> Result<ReserveOutcome, StoreError> {
        let held = self.reserved_batches(holder).await?;
        Ok(ReserveOutcome::Allocated(allocation_of(
            held.iter().map(|(batch, units)| (batch, *units)),
            sourcing,
        )))
    }

    /// Gives an order's held stock back, of one warehouse's parcel or
    /// (`None`) of all of them. Returns how many lines changed; 0 on a
    /// repeat.
    pub async fn release_reservation(
        &self,
        holder: impl Into<Holder>,
        warehouse: Option<WarehouseId>,
    ) -> Result<u64, StoreError> {
        self.move_reservations(holder.into(), warehouse, "held", "released", &RELEASE)
            .await
    }

    /// Turns an order's held stock into stock that left the shelf, of one
    /// warehouse's parcel or (`None`) of all of them. Returns how many
    /// lines changed; 0 on a repeat.
    pub async fn commit_reservation(
        &self,
        holder: impl Into<Holder>,
        warehouse: Option<WarehouseId>,
    ) -> Result<u64, StoreError> {
        self.move_reservations(holder.into(), warehouse, "held", "committed", &COMMIT)
            .await
    }

    /// Puts an order's committed stock back on the shelf, into the batches
    /// it came from (a returned parcel), of one warehouse's parcel or
    /// (`None`) of all of them. Returns how many lines changed; 0 on a
    /// repeat.
    pub async fn restock_reservation(
        &self,
        holder: impl Into<Holder>,
        warehouse: Option<WarehouseId>,
    ) -> Result<u64, StoreError> {
        self.move_reservations(holder.into(), warehouse, "committed", "restocked", &RESTOCK)
            .await
    }

    /// The batches an order's reservation holds, by SKU.
    pub async fn reserved_batches(
        &self,
        holder: impl Into<Holder>,
    ) -> Result<Vec<(BatchKey, i64)>, StoreError> {
        let holder = holder.into();
        let rows = sqlx::query(
            "SELECT sku, warehouse_id, batch_code, quantity FROM reservation_batches
             WHERE order_id = $1 AND part = $2 ORDER BY sku, warehouse_id, batch_code",
        )
        .bind(holder.order_id.to_string())
        .bind(i64::from(holder.part))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((batch_key_from(row)?, row.try_get("quantity")?)))
            .collect()
    }

    async fn move_reservations(
        &self,
        holder: Holder,
        warehouse: Option<WarehouseId>,
        from: &str,
        to: &str,
        change: &StockMove,
    ) -> Result<u64, StoreError> {
        let Holder { order_id, part } = holder;
        let order = order_id.to_string();
        let part = i64::from(part);
        let stamp = holder.stamp();
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let scope = match warehouse {
            Some(_) => " AND warehouse_id = $5",
            None => "",
        };
        let sql = format!(
            "UPDATE reservation_batches SET state = $1
             WHERE order_id = $2 AND part = $3 AND state = $4{scope}
             RETURNING sku, warehouse_id, batch_code, quantity"
        );
        let mut query = sqlx::query(&sql)
            .bind(to)
            .bind(&order)
            .bind(part)
            .bind(from);
        if let Some(warehouse) = warehouse {
            query = query.bind(warehouse.to_string());
        }
        let moved = query.fetch_all(&mut *tx).await?;
        let mut by_sku: BTreeMap<Sku, Vec<(BatchKey, i64)>> = BTreeMap::new();
        for row in &moved {
            let batch = batch_key_from(row)?;
            let units: i64 = row.try_get("quantity")?;
            by_sku
                .entry(batch.sku.clone())
                .or_default()
                .push((batch, units));
        }
        for (sku, batches) in &mut by_sku {
            batches.sort_by(|a, b| {
                (a.0.warehouse_id, a.0.batch_code.as_str())
                    .cmp(&(b.0.warehouse_id, b.0.batch_code.as_str()))
            });
            let quantity: i64 = batches.iter().map(|(_, units)| units).sum();
            sqlx::query(change.inventory)
                .bind(quantity)
                .bind(sku.as_str())
                .execute(&mut *tx)
                .await?;
            for (batch, units) in batches.iter() {
                sqlx::query(change.batch)
                    .bind(*units)
                    .bind(batch.sku.as_str())
                    .bind(batch.warehouse_id.to_string())
                    .bind(batch.batch_code.as_str())
                    .execute(&mut *tx)
                    .await?;
                record(
                    &mut tx,
                    Movement {
                        key: format!(
                            "{stamp}:{}:{}:{}:{}",
                            change.reason.as_str(),
                            batch.sku,
                            batch.warehouse_id,
                            batch.batch_code
                        ),
                        batch,
                        reason: change.reason,
                        on_hand_change: change.on_hand_sign * units,
                        reserved_change: change.reserved_sign * units,
                        order_id: Some(order_id),
                    },
                )
                .await?;
            }
            // The line's own state follows once none of its batches is
            // left behind.
            sqlx::query(
                "UPDATE reservations SET state = $1, updated_at = $2
                 WHERE order_id = $3 AND part = $4 AND sku = $5 AND state = $6
                   AND NOT EXISTS (SELECT 1 FROM reservation_batches b
                                   WHERE b.order_id = $3 AND b.part = $4 AND b.sku = $5
                                     AND b.state = $6)",
            )
            .bind(to)
            .bind(now)
            .bind(&order)
            .bind(part)
            .bind(sku.as_str())
            .bind(from)
            .execute(&mut *tx)
            .await?;
            rearm_low_stock(&mut tx, sku).await?;
        }
        tx.commit().await?;
        Ok(by_sku.len() as u64)
    }
}

/// The units wanted of each SKU, lines of one SKU added up.
fn wanted_units(lines: &[(Sku, Quantity)]) -> BTreeMap<&Sku, u32> {
    let mut wanted: BTreeMap<&Sku, u32> = BTreeMap::new();
    for (sku, quantity) in lines {
        let total = wanted.entry(sku).or_default();
        *total = total.saturating_add(quantity.get());
    }
    wanted
}

/// What holding an order's lines came to.
enum Held {
    /// Held, from these batches.
    Planned(Vec<(BatchKey, i64)>),
    /// A line could not be had; the caller rolls back.
    Short(Shortage),
    /// Another call for the same order recorded its reservation first; the
    /// caller rolls back.
    Raced,
}

/// Holds `wanted` for an order inside `tx`, taking each SKU's total and its
/// lock in one conditional statement (the row lock on PostgreSQL, the
/// write lock on SQLite: it is impossible to oversell), then the batches
/// the plan picks. `stamp` starts the keys of the stock movements, one per
/// reservation of the order.
async fn hold_lines(
    tx: &mut Transaction<'static, Any>,
    holder: Holder,
    stamp: &str,
    wanted: &BTreeMap<&Sku, u32>,
    fresh_until: DateTime<Utc>,
    sourcing: &Sourcing,
    now: i64,
) -> Result<Held, StoreError> {
    let mut shelves = Shelves::default();
    for (sku, requested) in wanted {
        let requested_units = i64::from(*requested);
        let taken = sqlx::query(
            "UPDATE inventory SET reserved = reserved + $1
             WHERE sku = $2 AND on_hand - reserved >= $1",
        )
        .bind(requested_units)
        .bind(sku.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        let fresh = fresh_batches(tx, sku, fresh_until, sourcing).await?;
        if taken == 0 {
            let available = fresh.iter().map(|(_, free)| free).sum();
            return Ok(Held::Short(Shortage {
                sku: (*sku).clone(),
                requested: *requested,
                available,
            }));
        }
        shelves.batches.insert((*sku).clone(), fresh);
    }
    let plan = match shelves.plan(wanted, sourcing) {
        Ok(plan) => plan,
        Err(shortage) => return Ok(Held::Short(shortage)),
    };
    for (sku, requested) in wanted {
        let recorded = sqlx::query(
            "INSERT INTO reservations (order_id, part, sku, quantity, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'held', $5, $5)
             ON CONFLICT (order_id, part, sku) DO NOTHING",
        )
        .bind(holder.order_id.to_string())
        .bind(i64::from(holder.part))
        .bind(sku.as_str())
        .bind(i64::from(*requested))
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            return Ok(Held::Raced);
        }
    }
    for (batch, units) in &plan {
        hold_batch(tx, holder, stamp, batch, *units).await?;
    }
    Ok(Held::Planned(plan))
}

/// The free stock of each batch of `sku` in an active warehouse that
/// `sourcing` allows and that is still good at `fresh_until`, first to
/// expire first.
async fn fresh_batches(
    tx: &mut Transaction<'static, Any>,
    sku: &Sku,
    fresh_until: DateTime<Utc>,
    sourcing: &Sourcing,
) -> Result<Vec<(BatchKey, i64)>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT b.sku, b.warehouse_id, b.batch_code, b.on_hand - b.reserved AS free
         FROM stock_batches b JOIN warehouses w ON w.id = b.warehouse_id
         WHERE b.sku = $1 AND w.active = 1 AND b.on_hand > b.reserved
           AND (b.good_until IS NULL OR b.good_until >= $2)
         ORDER BY {FIRST_TO_EXPIRE}"
    ))
    .bind(sku.as_str())
    .bind(millis(fresh_until))
    .fetch_all(&mut **tx)
    .await?;
    let mut fresh = Vec::with_capacity(rows.len());
    for row in &rows {
        let batch = batch_key_from(row)?;
        if sourcing.allows(batch.warehouse_id) {
            fresh.push((batch, row.try_get("free")?));
        }
    }
    Ok(fresh)
}

/// Holds `units` of a batch for an order: one conditional statement, which
/// cannot take more than the batch has free.
async fn hold_batch(
    tx: &mut Transaction<'static, Any>,
    holder: Holder,
    stamp: &str,
    batch: &BatchKey,
    units: i64,
) -> Result<(), StoreError> {
    let held = sqlx::query(
        "UPDATE stock_batches SET reserved = reserved + $1
         WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4 AND on_hand - reserved >= $1",
    )
    .bind(units)
    .bind(batch.sku.as_str())
    .bind(batch.warehouse_id.to_string())
    .bind(batch.batch_code.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if held == 0 {
        return Err(StoreError::Conflict(format!(
            "batch {} of {} changed while it was being reserved",
            batch.batch_code, batch.sku
        )));
    }
    sqlx::query(
        "INSERT INTO reservation_batches (order_id, part, sku, warehouse_id, batch_code, quantity)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(holder.order_id.to_string())
    .bind(i64::from(holder.part))
    .bind(batch.sku.as_str())
    .bind(batch.warehouse_id.to_string())
    .bind(batch.batch_code.as_str())
    .bind(units)
    .execute(&mut **tx)
    .await?;
    record(
        tx,
        Movement {
            key: format!(
                "{stamp}:reserved:{}:{}:{}",
                batch.sku, batch.warehouse_id, batch.batch_code
            ),
            batch,
            reason: StockReason::Reserved,
            on_hand_change: 0,
            reserved_change: units,
            order_id: Some(holder.order_id),
        },
    )
    .await
}

/// Makes the stock of `sku` `on_hand` by adjusting the default warehouse:
/// more goes into its counted batch, less comes out of its free stock,
/// first to expire first. Creates the SKU's inventory row if needed. The
/// caller holds a write transaction and rearms the low-stock flag.
pub(crate) async fn count_stock(
    tx: &mut Transaction<'static, Any>,
    sku: &Sku,
    on_hand: i64,
) -> Result<StockLevel, StoreError> {
    if on_hand < 0 {
        return Err(StoreError::Conflict(format!(
            "on_hand of {sku} cannot be negative ({on_hand})"
        )));
    }
    sqlx::query("INSERT INTO inventory (sku, on_hand, reserved) VALUES ($1, 0, 0) ON CONFLICT (sku) DO NOTHING")
        .bind(sku.as_str())
        .execute(&mut **tx)
        .await?;
    // A no-op update takes the row lock on PostgreSQL, portably.
    let row = sqlx::query(
        "UPDATE inventory SET on_hand = on_hand WHERE sku = $1 RETURNING sku, on_hand, reserved",
    )
    .bind(sku.as_str())
    .fetch_one(&mut **tx)
    .await?;
    let before = stock_from(&row)?;
    if on_hand < before.reserved {
        return Err(StoreError::Conflict(format!(
            "{} units of {sku} are reserved for open orders; on_hand cannot drop to {on_hand}",
            before.reserved
        )));
    }
    let change = on_hand - before.on_hand;
    let count_key = format!("count:{}", new_v7());
    if change > 0 {
        let batch = BatchKey {
            sku: sku.clone(),
            warehouse_id: DEFAULT_WAREHOUSE,
            batch_code: BatchCode::parse(COUNTED_BATCH).expect("a valid batch code"),
        };
        sqlx::query(
            "INSERT INTO stock_batches (sku, warehouse_id, batch_code, supplier_id, received_on,
                 expires_on, good_until, unit_cost, currency, on_hand, reserved, created_at)
             VALUES ($1, $2, $3, NULL, $4, NULL, NULL, NULL, NULL, $5, 0, $6)
             ON CONFLICT (sku, warehouse_id, batch_code)
                 DO UPDATE SET on_hand = stock_batches.on_hand + excluded.on_hand",
        )
        .bind(sku.as_str())
        .bind(DEFAULT_WAREHOUSE.to_string())
        .bind(COUNTED_BATCH)
        .bind(Utc::now().date_naive().format("%Y-%m-%d").to_string())
        .bind(change)
        .bind(now_millis())
        .execute(&mut **tx)
        .await?;
        record(
            tx,
            Movement {
                key: count_key,
                batch: &batch,
                reason: StockReason::Adjusted,
                on_hand_change: change,
                reserved_change: 0,
                order_id: None,
            },
        )
        .await?;
    } else if change < 0 {
        let rows = sqlx::query(&format!(
            "SELECT b.sku, b.warehouse_id, b.batch_code, b.on_hand - b.reserved AS free
             FROM stock_batches b
             WHERE b.sku = $1 AND b.warehouse_id = $2 AND b.on_hand > b.reserved
             ORDER BY {FIRST_TO_EXPIRE}"
        ))
        .bind(sku.as_str())
        .bind(DEFAULT_WAREHOUSE.to_string())
        .fetch_all(&mut **tx)
        .await?;
        let mut free = Vec::with_capacity(rows.len());
        for row in &rows {
            free.push((batch_key_from(row)?, row.try_get::<i64, _>("free")?));
        }
        let countable: i64 = free.iter().map(|(_, units)| units).sum();
        if countable < -change {
            return Err(StoreError::Conflict(format!(
                "the default warehouse has only {countable} free units of {sku}; a count can remove at most that (on_hand cannot drop to {on_hand})"
            )));
        }
        let mut left = -change;
        for (index, (batch, units)) in free.into_iter().enumerate() {
            if left == 0 {
                break;
            }
            let take = left.min(units);
            sqlx::query(
                "UPDATE stock_batches SET on_hand = on_hand - $1
                 WHERE sku = $2 AND warehouse_id = $3 AND batch_code = $4 AND on_hand - reserved >= $1",
            )
            .bind(take)
            .bind(batch.sku.as_str())
            .bind(batch.warehouse_id.to_string())
            .bind(batch.batch_code.as_str())
            .execute(&mut **tx)
            .await?;
            record(
                tx,
                Movement {
                    key: format!("{count_key}:{index}"),
                    batch: &batch,
                    reason: StockReason::Adjusted,
                    on_hand_change: -take,
                    reserved_change: 0,
                    order_id: None,
                },
            )
            .await?;
            left -= take;
        }
    }
    let row = sqlx::query(
        "UPDATE inventory SET on_hand = $1 WHERE sku = $2 RETURNING sku, on_hand, reserved",
    )
    .bind(on_hand)
    .bind(sku.as_str())
    .fetch_one(&mut **tx)
    .await?;
    stock_from(&row)
}

pub(super) fn batch_key_from(row: &AnyRow) -> Result<BatchKey, StoreError> {
    Ok(BatchKey {
        sku: parsed("sku", &row.try_get::<String, _>("sku")?, Sku::parse)?,
        warehouse_id: parsed(
            "warehouse_id",
            &row.try_get::<String, _>("warehouse_id")?,
            str::parse,
        )?,
        batch_code: parsed(
            "batch_code",
            &row.try_get::<String, _>("batch_code")?,
            BatchCode::parse,
        )?,
    })
}

fn stock_from(row: &AnyRow) -> Result<StockLevel, StoreError> {
    Ok(StockLevel {
        sku: parsed(
            "inventory.sku",
            &row.try_get::<String, _>("sku")?,
            Sku::parse,
        )?,
        on_hand: row.try_get("on_hand")?,
        reserved: row.try_get("reserved")?,
    })
}
