//! Low-stock crossings: the moments a SKU's available stock (on hand minus
//! reserved) falls below its product's threshold.
//!
//! A seller wants one notice per crossing, not one per order that keeps
//! stock low. `inventory.low_stock_notified` is set when a crossing is
//! recorded and cleared when available stock is back at or above the
//! threshold (a recount, a released reservation, a returned parcel, a
//! lower threshold); `low_stock_crossings` counts the recordings and so
//! names each crossing. Both are changed by conditional updates of one
//! row, so concurrent orders record a crossing once.

use orderly_domain::{Sku, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Inventory;
use crate::StoreError;
use crate::columns::parsed;

/// A SKU below its threshold, with whom to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockAlert {
    pub sku: Sku,
    pub name: String,
    pub seller_id: UserId,
    pub available: i64,
    pub threshold: i64,
    /// Which crossing of this SKU this is (1 for the first).
    pub crossing: i64,
}

impl LowStockAlert {
    /// Names the crossing, so however often it is reported, it is
    /// notified once.
    pub fn dedupe_key(&self) -> String {
        format!("lowstock:{}:{}", self.sku, self.crossing)
    }
}

impl Inventory {
    /// Records a crossing for each of `skus` that is now below its
    /// threshold and was not before, then returns every one of `skus` that
    /// is below its threshold (crossed now or earlier) and has a seller.
    ///
    /// Reporting earlier crossings again is what makes a retried caller
    /// safe: a crash after recording but before notifying is repaired by
    /// the retry, and the crossing's dedupe key keeps it to one notice.
    pub async fn low_stock_alerts(&self, skus: &[Sku]) -> Result<Vec<LowStockAlert>, StoreError> {
        let mut skus: Vec<&Sku> = skus.iter().collect();
        skus.sort();
        skus.dedup();
        let mut alerts = Vec::new();
        // One autocommitted single-row statement per SKU, in sku order: no
        // lock is held across SKUs, so this cannot deadlock with a
        // reservation.
        for sku in skus {
            sqlx::query(
                "UPDATE inventory
                 SET low_stock_notified = 1, low_stock_crossings = low_stock_crossings + 1
                 WHERE sku = $1 AND low_stock_notified = 0
                   AND on_hand - reserved <
                       (SELECT low_stock_threshold FROM products WHERE products.sku = inventory.sku)",
            )
            .bind(sku.as_str())
            .execute(&self.db.pool)
            .await?;
            let row = sqlx::query(
                "SELECT i.sku, p.name, p.seller_id, i.on_hand - i.reserved AS available,
                        p.low_stock_threshold, i.low_stock_crossings
                 FROM inventory i JOIN products p ON p.sku = i.sku
                 WHERE i.sku = $1 AND i.low_stock_notified = 1 AND p.seller_id IS NOT NULL",
            )
            .bind(sku.as_str())
            .fetch_optional(&self.db.pool)
            .await?;
            if let Some(row) = row {
                alerts.push(alert_from(&row)?);
            }
        }
        Ok(alerts)
    }
}

/// Clears the crossing of `sku` if its available stock is no longer below
/// its threshold; part of every change that can raise available stock.
pub(crate) async fn rearm_low_stock(conn: &mut AnyConnection, sku: &Sku) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE inventory SET low_stock_notified = 0
         WHERE sku = $1 AND low_stock_notified = 1
           AND on_hand - reserved >= COALESCE(
               (SELECT low_stock_threshold FROM products WHERE products.sku = inventory.sku), 0)",
    )
    .bind(sku.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

fn alert_from(row: &AnyRow) -> Result<LowStockAlert, StoreError> {
    Ok(LowStockAlert {
        sku: parsed(
            "inventory.sku",
            &row.try_get::<String, _>("sku")?,
            Sku::parse,
        )?,
        name: row.try_get("name")?,
        seller_id: parsed(
            "products.seller_id",
            &row.try_get::<String, _>("seller_id")?,
            str::parse,
        )?,
        available: row.try_get("available")?,
        threshold: row.try_get("low_stock_threshold")?,
        crossing: row.try_get("low_stock_crossings")?,
    })
}
