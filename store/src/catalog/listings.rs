//! Catalogue management as sellers and admins do it: creating a product
//! together with its stock record, editing some of its fields, and listing
//! a branch of the category tree.
//!
//! Edits name only the fields that change and are applied in one UPDATE,
//! so two sellers' assistants editing different fields of one product at
//! the same time do not undo each other.

use orderly_domain::{CategorySlug, Money, ProductAttributes, Sku, UserId};
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::Catalog;
use super::categories::SUBTREE;
use super::products::{COLUMNS, INSERT, Product, bind_product, json, product_from};
use crate::StoreError;
use crate::columns::{now_millis, parsed};
use crate::inventory::{count_stock, rearm_low_stock};

/// The `Idempotency-Key` a product creation was sent with.
#[derive(Debug, Clone, Copy)]
pub struct CreationKey<'a> {
    pub user_id: UserId,
    pub key: &'a str,
    /// Hash of the request, to tell a retry from a different request that
    /// reuses the key.
    pub request_hash: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductCreation {
    Created(Box<Product>),
    /// The key was used before: for `sku`, by a request hashing to
    /// `request_hash`. Nothing was written.
    Replayed {
        sku: Sku,
        request_hash: String,
    },
}

/// The fields of a product to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub price: Option<Money>,
    /// The category's id and its name (kept in `products.category` for
    /// readers of the plain-text category).
    pub category: Option<(Uuid, String)>,
    pub images: Option<Vec<String>>,
    pub attributes: Option<ProductAttributes>,
    pub active: Option<bool>,
    pub low_stock_threshold: Option<i64>,
}

impl Catalog {
    /// Creates a product and its stock record (`on_hand` units) in one
    /// transaction. `Conflict` when the SKU exists. With a `key` already
    /// used by the same user, nothing is written and the earlier creation
    /// is reported instead.
    pub async fn create_product(
        &self,
        product: &Product,
        on_hand: i64,
        key: Option<CreationKey<'_>>,
    ) -> Result<ProductCreation, StoreError> {
        if on_hand < 0 {
            return Err(StoreError::Invalid(format!(
                "on_hand of {} cannot be negative ({on_hand})",
                product.sku
            )));
        }
        let mut tx = self.db.begin_write().await?;
        if let Some(key) = key
            && let Some(replayed) = earlier_creation(&mut tx, key).await?
        {
            tx.rollback().await?;
            return Ok(replayed);
        }
        let row = bind_product(
            sqlx::query(&format!(
                "{INSERT} ON CONFLICT (sku) DO NOTHING RETURNING {COLUMNS}"
            )),
            product,
        )?
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "a product with SKU {} already exists",
                product.sku
            )));
        };
        let created = product_from(&row)?;
        // A count recorded for the SKU before the product existed would be
        // stale; the creator's count is the truth, unless stock is held.
        if let Err(error) = count_stock(&mut tx, &product.sku, on_hand).await {
            tx.rollback().await?;
            return Err(error);
        }
        if let Some(key) = key {
            let claimed = sqlx::query(
                "INSERT INTO product_creation_keys (user_id, key, request_hash, sku, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id, key) DO NOTHING",
            )
            .bind(key.user_id.to_string())
            .bind(key.key)
            .bind(key.request_hash)
            .bind(product.sku.as_str())
            .bind(now_millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                // A concurrent retry with the same key won (PostgreSQL).
                tx.rollback().await?;
                let mut tx = self.db.begin_write().await?;
                let replayed = earlier_creation(&mut tx, key).await?;
                tx.rollback().await?;
                return replayed.ok_or_else(|| {
                    StoreError::Conflict(format!("Idempotency-Key {} is in use", key.key))
                });
            }
        }
        tx.commit().await?;
        Ok(ProductCreation::Created(Box::new(created)))
    }

    /// Applies `changes` to the product and returns it as it now is;
    /// `NotFound` when there is no such SKU. A threshold change re-arms the
    /// low-stock notice when stock is no longer below the new threshold.
    pub async fn update_product(
        &self,
        sku: &Sku,
        changes: &ProductChanges,
    ) -> Result<Product, StoreError> {
        let images = changes.images.as_ref().map(json).transpose()?;
        let attributes = changes.attributes.as_ref().map(json).transpose()?;
        let mut tx = self.db.begin_write().await?;
        let row = sqlx::query(&format!(
            "UPDATE products SET
                 name = COALESCE($2, name),
                 description = COALESCE($3, description),
                 unit = COALESCE($4, unit),
                 price_amount = COALESCE($5, price_amount),
                 currency = COALESCE($6, currency),
                 category_id = COALESCE($7, category_id),
                 category = COALESCE($8, category),
                 images = COALESCE($9, images),
                 attributes = COALESCE($10, attributes),
                 active = COALESCE($11, active),
                 low_stock_threshold = COALESCE($12, low_stock_threshold),
                 updated_at = $13
             WHERE sku = $1
             RETURNING {COLUMNS}"
        ))
        .bind(sku.as_str())
        .bind(changes.name.clone())
        .bind(changes.description.clone())
        .bind(changes.unit.clone())
        .bind(changes.price.map(|price| price.amount))
        .bind(
            changes
                .price
                .map(|price| price.currency.as_str().to_owned()),
        )
        .bind(changes.category.as_ref().map(|(id, _)| id.to_string()))
        .bind(changes.category.as_ref().map(|(_, name)| name.clone()))
        .bind(images)
        .bind(attributes)
        .bind(changes.active.map(i64::from))
        .bind(changes.low_stock_threshold)
        .bind(now_millis())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        let product = product_from(&row)?;
        rearm_low_stock(&mut tx, sku).await?;
        tx.commit().await?;
        Ok(product)
    }

    /// One page, in sku order after `after`, of the products filed under
    /// the category `slug` or any category below it.
    pub async fn list_products_in_category(
        &self,
        slug: &CategorySlug,
        after: Option<&Sku>,
        limit: u32,
    ) -> Result<Vec<Product>, StoreError> {
        let rows = sqlx::query(&format!(
            "{SUBTREE}
             SELECT {COLUMNS} FROM products
             WHERE category_id IN (SELECT id FROM subtree) AND sku > $2
             ORDER BY sku LIMIT $3"
        ))
        .bind(slug.as_str())
        // No SKU is empty, so "" stands for "from the start".
        .bind(after.map_or("", Sku::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(product_from).collect()
    }
}

async fn earlier_creation(
    tx: &mut Transaction<'static, Any>,
    key: CreationKey<'_>,
) -> Result<Option<ProductCreation>, StoreError> {
    let row = sqlx::query(
        "SELECT sku, request_hash FROM product_creation_keys WHERE user_id = $1 AND key = $2",
    )
    .bind(key.user_id.to_string())
    .bind(key.key)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        Ok(ProductCreation::Replayed {
            sku: parsed(
                "product_creation_keys.sku",
                &row.try_get::<String, _>("sku")?,
                Sku::parse,
            )?,
            request_hash: row.try_get("request_hash")?,
        })
    })
    .transpose()
}
