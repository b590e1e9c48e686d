//! Purchase statistics over `received_lines`, the raw material of
//! recommendations: what is bought together, how often each product is
//! bought, what a customer bought, and the best sellers.
//!
//! Only received (delivered or picked-up) orders count: a cancelled basket
//! says little about what belongs together. Every query is bounded by a
//! `LIMIT`, and products off sale never come back as candidates.

use chrono::{DateTime, Utc};
use orderly_domain::{Sku, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Orders;
use crate::StoreError;
use crate::columns::{millis, parsed, placeholders};

/// `partner` was in `together` received orders that also held `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoPurchase {
    pub source: Sku,
    pub partner: Sku,
    pub together: i64,
}

impl Orders {
    /// For each of `sources`, the active products bought in the same orders
    /// and how many orders they shared; the `limit` pairs with the most
    /// shared orders (ties by sku). Sources are never their own partners.
    pub async fn co_purchases(
        &self,
        sources: &[Sku],
        limit: u32,
    ) -> Result<Vec<CoPurchase>, StoreError> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = placeholders(1, sources.len());
        let sql = format!(
            "SELECT a.sku AS source, b.sku AS partner, COUNT(*) AS together
             FROM received_lines a
             JOIN received_lines b ON b.order_id = a.order_id AND b.sku <> a.sku
             JOIN products p ON p.sku = b.sku AND p.active = 1
             WHERE a.sku IN ({placeholders})
             GROUP BY a.sku, b.sku
             ORDER BY together DESC, b.sku, a.sku
             LIMIT ${}",
            sources.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for sku in sources {
            query = query.bind(sku.as_str());
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(CoPurchase {
                    source: sku_column(row, "source")?,
                    partner: sku_column(row, "partner")?,
                    together: row.try_get("together")?,
                })
            })
            .collect()
    }

    /// How many received orders held each of `skus` (those never received
    /// are left out).
    pub async fn purchase_counts(&self, skus: &[Sku]) -> Result<Vec<(Sku, i64)>, StoreError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT sku, COUNT(*) AS orders FROM received_lines
             WHERE sku IN ({}) GROUP BY sku ORDER BY sku",
            placeholders(1, skus.len())
        );
        let mut query = sqlx::query(&sql);
        for sku in skus {
            query = query.bind(sku.as_str());
        }
        let rows = query.fetch_all(&self.db.pool).await?;
        rows.iter()
            .map(|row| Ok((sku_column(row, "sku")?, row.try_get("orders")?)))
            .collect()
    }

    /// The distinct products `customer` has received, most recently
    /// received first, at most `limit`.
    pub async fn customer_purchases(
        &self,
        customer: UserId,
        limit: u32,
    ) -> Result<Vec<Sku>, StoreError> {
        let rows = sqlx::query(
            "SELECT sku, MAX(received_at) AS last_received FROM received_lines
             WHERE customer_id = $1
             GROUP BY sku
             ORDER BY last_received DESC, sku
             LIMIT $2",
        )
        .bind(customer.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(|row| sku_column(row, "sku")).collect()
    }

    /// Active products by the number of orders received since `since` that
    /// held them, most first (ties by sku).
    pub async fn best_sellers(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Sku, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.sku, COUNT(*) AS orders
             FROM received_lines r
             JOIN products p ON p.sku = r.sku AND p.active = 1
             WHERE r.received_at >= $1
             GROUP BY r.sku
             ORDER BY orders DESC, r.sku
             LIMIT $2",
        )
        .bind(millis(since))
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((sku_column(row, "sku")?, row.try_get("orders")?)))
            .collect()
    }

    /// Active products whose name contains any of `words` (matched without
    /// regard to case), in sku order, at most `limit`.
    pub async fn active_skus_named(
        &self,
        words: &[&str],
        limit: u32,
    ) -> Result<Vec<Sku>, StoreError> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let matches: Vec<String> = (1..=words.len())
            .map(|i| format!("LOWER(name) LIKE ${i}"))
            .collect();
        let sql = format!(
            "SELECT sku FROM products WHERE active = 1 AND ({}) ORDER BY sku LIMIT ${}",
            matches.join(" OR "),
            words.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for word in words {
            query = query.bind(format!("%{}%", like_literal(&word.to_lowercase())));
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(|row| sku_column(row, "sku")).collect()
    }
}

/// Drops LIKE's wildcards from a word: season words are plain text, and a
/// stray `%` must not match everything.
fn like_literal(word: &str) -> String {
    word.chars().filter(|c| !matches!(c, '%' | '_')).collect()
}

fn sku_column(row: &AnyRow, column: &str) -> Result<Sku, StoreError> {
    parsed(
        &format!("received_lines.{column}"),
        &row.try_get::<String, _>(column)?,
        Sku::parse,
    )
}
