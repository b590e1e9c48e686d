//! The catalogue. Prices here are the current ones; an order keeps the
//! price it was placed at in its own lines.

use orderly_domain::{Money, Sku};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::columns::{money, now_millis, parsed};
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    /// What one unit of quantity means: `each`, `kg`, `100g` or `litre`
    /// (the schema refuses anything else).
    pub unit: String,
    pub price: Money,
    pub category: String,
    pub active: bool,
}

const COLUMNS: &str = "sku, name, description, unit, price_amount, currency, category, active";

impl Store {
    /// Creates the product or replaces everything but its creation time.
    pub async fn upsert_product(&self, product: &Product) -> Result<(), StoreError> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO products
                 (sku, name, description, unit, price_amount, currency, category, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (sku) DO UPDATE SET
                 name = excluded.name,
                 description = excluded.description,
                 unit = excluded.unit,
                 price_amount = excluded.price_amount,
                 currency = excluded.currency,
                 category = excluded.category,
                 active = excluded.active,
                 updated_at = excluded.updated_at",
        )
        .bind(product.sku.as_str())
        .bind(&product.name)
        .bind(&product.description)
        .bind(&product.unit)
        .bind(product.price.amount)
        .bind(product.price.currency.as_str())
        .bind(&product.category)
        .bind(i64::from(product.active))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn product(&self, sku: &Sku) -> Result<Option<Product>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM products WHERE sku = $1"))
            .bind(sku.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(product_from).transpose()
    }

    /// The products among `skus` that exist, ordered by sku.
    pub async fn products_by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=skus.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM products WHERE sku IN ({}) ORDER BY sku",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for sku in skus {
            query = query.bind(sku.as_str());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(product_from).collect()
    }

    /// One page of the catalogue in sku order, starting after `after`.
    pub async fn list_products(
        &self,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<Product>, StoreError> {
        let rows = match after {
            Some(after) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM products WHERE sku > $1 ORDER BY sku LIMIT $2"
                ))
                .bind(after.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM products ORDER BY sku LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(product_from).collect()
    }
}

fn product_from(row: &AnyRow) -> Result<Product, StoreError> {
    Ok(Product {
        sku: parsed(
            "products.sku",
            &row.try_get::<String, _>("sku")?,
            Sku::parse,
        )?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        unit: row.try_get("unit")?,
        price: money(
            row.try_get("price_amount")?,
            &row.try_get::<String, _>("currency")?,
        )?,
        category: row.try_get("category")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}
