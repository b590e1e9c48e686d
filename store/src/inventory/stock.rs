//! Stock and per-order reservations.
//!
//! `inventory.reserved` is the sum of the `held` reservations of a SKU, and
//! every change to one goes with the matching change to the other in one
//! transaction. A reservation row's state only ever moves forward
//! (held → committed → restocked, or held → released), and each move is a
//! conditional update of that row, so repeating a move changes nothing.
//!
//! Locks are always taken on inventory rows in sku order, so concurrent
//! orders sharing SKUs cannot deadlock on PostgreSQL.

use std::collections::BTreeMap;

use orderly_domain::{OrderId, Quantity, ReserveOutcome, Shortage, Sku};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::Inventory;
use super::low_stock::rearm_low_stock;
use crate::StoreError;
use crate::columns::{now_millis, parsed, placeholders};

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

/// The inventory change that goes with each reservation state move.
const RELEASE: &str = "UPDATE inventory SET reserved = reserved - $1 WHERE sku = $2";
const COMMIT: &str =
    "UPDATE inventory SET on_hand = on_hand - $1, reserved = reserved - $1 WHERE sku = $2";
const RESTOCK: &str = "UPDATE inventory SET on_hand = on_hand + $1 WHERE sku = $2";

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

    /// Sets the counted stock of a SKU, creating its row if needed.
    /// `Conflict` when `on_hand` is negative or below what is reserved:
    /// held stock has been promised to orders and cannot be counted away.
    pub async fn set_on_hand(&self, sku: &Sku, on_hand: i64) -> Result<StockLevel, StoreError> {
        if on_hand < 0 {
            return Err(StoreError::Conflict(format!(
                "on_hand of {sku} cannot be negative ({on_hand})"
            )));
        }
        let row = sqlx::query(
            "INSERT INTO inventory (sku, on_hand, reserved) VALUES ($1, $2, 0)
             ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand
                 WHERE inventory.reserved <= excluded.on_hand
             RETURNING sku, on_hand, reserved",
        )
        .bind(sku.as_str())
        .bind(on_hand)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(row) => {
                let mut conn = self.db.pool.acquire().await?;
                rearm_low_stock(&mut conn, sku).await?;
                stock_from(&row)
            }
            None => {
                let reserved = self.stock(sku).await?.map_or(0, |s| s.reserved);
                Err(StoreError::Conflict(format!(
                    "on_hand of {sku} cannot drop to {on_hand}: {reserved} are reserved"
                )))
            }
        }
    }

    /// Holds stock for every line of an order, or for none.
    ///
    /// Idempotent per order: once reservation rows exist for it, this
    /// returns `Reserved` without touching stock, even if the stock has run
    /// out since. Lines with the same SKU are added up. An order without
    /// lines holds nothing and is `Reserved`.
    pub async fn reserve(
        &self,
        order_id: OrderId,
        lines: &[(Sku, Quantity)],
    ) -> Result<ReserveOutcome, StoreError> {
        let mut wanted: BTreeMap<&Sku, u32> = BTreeMap::new();
        for (sku, quantity) in lines {
            let total = wanted.entry(sku).or_default();
            *total = total.saturating_add(quantity.get());
        }
        let order = order_id.to_string();
        let now = now_millis();
        let mut tx = self.db.begin_write().await?;
        let existing = sqlx::query("SELECT sku FROM reservations WHERE order_id = $1 LIMIT 1")
            .bind(&order)
            .fetch_optional(&mut *tx)
            .await?;
        if existing.is_some() {
            tx.rollback().await?;
            return Ok(ReserveOutcome::Reserved);
        }
        for (sku, requested) in wanted {
            // Check and take in one statement: the row lock (PostgreSQL) or
            // the write lock (SQLite) makes it impossible to oversell.
            let taken = sqlx::query(
                "UPDATE inventory SET reserved = reserved + $1
                 WHERE sku = $2 AND on_hand - reserved >= $1",
            )
            .bind(i64::from(requested))
            .bind(sku.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken == 0 {
                let available = available(&mut tx, sku).await?;
                tx.rollback().await?;
                return Ok(ReserveOutcome::OutOfStock(Shortage {
                    sku: sku.clone(),
                    requested,
                    available,
                }));
            }
            let recorded = sqlx::query(
                "INSERT INTO reservations (order_id, sku, quantity, state, created_at, updated_at)
                 VALUES ($1, $2, $3, 'held', $4, $4)
                 ON CONFLICT (order_id, sku) DO NOTHING",
            )
            .bind(&order)
            .bind(sku.as_str())
            .bind(i64::from(requested))
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if recorded == 0 {
                // A concurrent call for the same order committed first
                // (PostgreSQL); its reservation stands, ours is undone.
                tx.rollback().await?;
                return Ok(ReserveOutcome::Reserved);
            }
        }
        tx.commit().await?;
        Ok(ReserveOutcome::Reserved)
    }

    /// Gives an order's held stock back. Returns how many lines changed;
    /// 0 on a repeat.
    pub async fn release_reservation(&self, order_id: OrderId) -> Result<u64, StoreError> {
        self.move_reservations(order_id, "held", "released", RELEASE)
            .await
    }

    /// Turns an order's held stock into stock that left the shelf.
    /// Returns how many lines changed; 0 on a repeat.
    pub async fn commit_reservation(&self, order_id: OrderId) -> Result<u64, StoreError> {
        self.move_reservations(order_id, "held", "committed", COMMIT)
            .await
    }

    /// Puts an order's committed stock back on the shelf (a returned
    /// parcel). Returns how many lines changed; 0 on a repeat.
    pub async fn restock_reservation(&self, order_id: OrderId) -> Result<u64, StoreError> {
        self.move_reservations(order_id, "committed", "restocked", RESTOCK)
            .await
    }

    async fn move_reservations(
        &self,
        order_id: OrderId,
        from: &str,
        to: &str,
        inventory_change: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE reservations SET state = $1, updated_at = $2
             WHERE order_id = $3 AND state = $4
             RETURNING sku, quantity",
        )
        .bind(to)
        .bind(now_millis())
        .bind(order_id.to_string())
        .bind(from)
        .fetch_all(&mut *tx)
        .await?;
        let mut lines = Vec::with_capacity(moved.len());
        for row in &moved {
            lines.push((
                row.try_get::<String, _>("sku")?,
                row.try_get::<i64, _>("quantity")?,
            ));
        }
        lines.sort();
        for (sku, quantity) in &lines {
            sqlx::query(inventory_change)
                .bind(*quantity)
                .bind(sku.as_str())
                .execute(&mut *tx)
                .await?;
            let sku = parsed("reservations.sku", sku, Sku::parse)?;
            rearm_low_stock(&mut tx, &sku).await?;
        }
        tx.commit().await?;
        Ok(lines.len() as u64)
    }
}

async fn available(tx: &mut Transaction<'static, Any>, sku: &Sku) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT on_hand - reserved AS available FROM inventory WHERE sku = $1")
        .bind(sku.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("available")?,
        None => 0,
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
