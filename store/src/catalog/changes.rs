//! What the product search index reads from the database besides products
//! and categories: the products changed since the index last caught up,
//! and live stock for the in-stock filter and the result page.

use orderly_domain::Sku;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Catalog;
use crate::StoreError;
use crate::columns::parsed;

impl Catalog {
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
        .fetch_all(&self.db.pool)
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
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(sku_from).collect()
    }
}

fn sku_from(row: &AnyRow) -> Result<Sku, StoreError> {
    parsed("sku", &row.try_get::<String, _>("sku")?, Sku::parse)
}
