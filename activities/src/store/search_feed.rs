//! What the product search index reads from the database besides products
//! and categories: the products changed since the index last caught up,
//! and live stock for the in-stock filter and the result page.

use orderly_domain::Sku;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::columns::parsed;
use super::{StockLevel, Store, StoreError};

impl Store {
    /// SKUs of the products written, or reviewed, at or after `since_ms`
    /// (unix ms): a review changes the rating the index sorts by.
    pub async fn products_changed_since(&self, since_ms: i64) -> Result<Vec<Sku>, StoreError> {
        let rows = sqlx::query(
            "SELECT sku FROM products WHERE updated_at >= $1
             UNION
             SELECT sku FROM reviews WHERE updated_at >= $1
             ORDER BY sku",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sku_from).collect()
    }

    /// Active products nothing can be ordered of: no stock row, or all of
    /// it reserved. Small in a working shop, which is why the search's
    /// in-stock filter excludes these rather than including the rest.
    pub async fn unavailable_skus(&self) -> Result<Vec<Sku>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.sku FROM products p LEFT JOIN inventory i ON i.sku = p.sku
             WHERE p.active = 1 AND (i.sku IS NULL OR i.on_hand - i.reserved <= 0)
             ORDER BY p.sku",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sku_from).collect()
    }

    /// Stock of those of `skus` that have a stock row, in one round trip.
    pub async fn stock_levels(&self, skus: &[Sku]) -> Result<Vec<StockLevel>, StoreError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=skus.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT sku, on_hand, reserved FROM inventory WHERE sku IN ({}) ORDER BY sku",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for sku in skus {
            query = query.bind(sku.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(StockLevel {
                    sku: sku_from(row)?,
                    on_hand: row.try_get("on_hand")?,
                    reserved: row.try_get("reserved")?,
                })
            })
            .collect()
    }
}

fn sku_from(row: &AnyRow) -> Result<Sku, StoreError> {
    parsed("sku", &row.try_get::<String, _>("sku")?, Sku::parse)
}
