//! The catalogue. Prices here are the current ones; an order keeps the
//! price it was placed at in its own lines.

pub use orderly_domain::ProductAttributes;
use orderly_domain::{Currency, Money, Sku, UserId};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};
use uuid::Uuid;

use super::Catalog;
use crate::StoreError;
use crate::columns::{money, now_millis, parsed, placeholders};

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
    /// The seller who owns the product; `None` for the house catalogue,
    /// which only admins edit.
    pub seller_id: Option<UserId>,
    /// A node of the category tree (`categories.id`).
    pub category_id: Option<Uuid>,
    /// Image URLs, in display order.
    pub images: Vec<String>,
    pub attributes: ProductAttributes,
    /// Available stock below this sends the seller a low-stock notice;
    /// 0 never does.
    pub low_stock_threshold: i64,
}

/// A template for struct-update syntax (`..Default::default()`): callers
/// always set at least the sku, name and price; everything a seller adds
/// later (images, attributes, threshold) starts empty.
impl Default for Product {
    fn default() -> Self {
        Product {
            sku: Sku::parse("UNNAMED").expect("a constant, valid sku"),
            name: String::new(),
            description: String::new(),
            unit: "each".into(),
            price: Money::new(0, Currency::INR),
            category: String::new(),
            active: true,
            seller_id: None,
            category_id: None,
            images: Vec::new(),
            attributes: ProductAttributes::default(),
            low_stock_threshold: 0,
        }
    }
}

pub(super) const COLUMNS: &str = "sku, name, description, unit, price_amount, currency, category, active, \
                       seller_id, category_id, images, attributes, low_stock_threshold";

impl Catalog {
    /// Creates the product or replaces everything but its creation time.
    pub async fn upsert_product(&self, product: &Product) -> Result<(), StoreError> {
        bind_product(
            sqlx::query(&format!(
                "{INSERT}
                 ON CONFLICT (sku) DO UPDATE SET
                     name = excluded.name,
                     description = excluded.description,
                     unit = excluded.unit,
                     price_amount = excluded.price_amount,
                     currency = excluded.currency,
                     category = excluded.category,
                     active = excluded.active,
                     seller_id = excluded.seller_id,
                     category_id = excluded.category_id,
                     images = excluded.images,
                     attributes = excluded.attributes,
                     low_stock_threshold = excluded.low_stock_threshold,
                     updated_at = excluded.updated_at"
            )),
            product,
        )?
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    pub async fn product(&self, sku: &Sku) -> Result<Option<Product>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM products WHERE sku = $1"))
            .bind(sku.as_str())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(product_from).transpose()
    }

    /// The products among `skus` that exist, ordered by sku.
    pub async fn products_by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM products WHERE sku IN ({}) ORDER BY sku",
            placeholders(1, skus.len())
        );
        let mut query = sqlx::query(&sql);
        for sku in skus {
            query = query.bind(sku.as_str());
        }
        let rows = query.fetch_all(&self.db.pool).await?;
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
                .fetch_all(&self.db.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM products ORDER BY sku LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        rows.iter().map(product_from).collect()
    }
}

/// Inserting a whole product; callers add the `ON CONFLICT` they need and
/// bind with [`bind_product`].
pub(super) const INSERT: &str = "INSERT INTO products
         (sku, name, description, unit, price_amount, currency, category, active,
          seller_id, category_id, images, attributes, low_stock_threshold,
          created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)";

/// Binds every column of [`INSERT`], stamping both times with now.
pub(super) fn bind_product<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    product: &'q Product,
) -> Result<Query<'q, Any, AnyArguments<'q>>, StoreError> {
    Ok(query
        .bind(product.sku.as_str())
        .bind(&product.name)
        .bind(&product.description)
        .bind(&product.unit)
        .bind(product.price.amount)
        .bind(product.price.currency.as_str())
        .bind(&product.category)
        .bind(i64::from(product.active))
        .bind(product.seller_id.map(|id| id.to_string()))
        .bind(product.category_id.map(|id| id.to_string()))
        .bind(json(&product.images)?)
        .bind(json(&product.attributes)?)
        .bind(product.low_stock_threshold)
        .bind(now_millis()))
}

pub(super) fn product_from(row: &AnyRow) -> Result<Product, StoreError> {
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
        seller_id: row
            .try_get::<Option<String>, _>("seller_id")?
            .map(|raw| parsed("products.seller_id", &raw, str::parse))
            .transpose()?,
        category_id: row
            .try_get::<Option<String>, _>("category_id")?
            .map(|raw| parsed("products.category_id", &raw, Uuid::parse_str))
            .transpose()?,
        images: parsed(
            "products.images",
            &row.try_get::<String, _>("images")?,
            |raw| serde_json::from_str(raw),
        )?,
        attributes: parsed(
            "products.attributes",
            &row.try_get::<String, _>("attributes")?,
            |raw| serde_json::from_str(raw),
        )?,
        low_stock_threshold: row.try_get("low_stock_threshold")?,
    })
}

pub(super) fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("unserialisable: {e}")))
}
