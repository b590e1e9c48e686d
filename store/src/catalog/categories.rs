//! The category tree. Each category names its parent; the tree is small
//! (tens to hundreds of rows), so readers load it whole and the only
//! query that walks it in SQL is the product filter, which needs a
//! category and everything below it.

use chrono::{DateTime, Utc};
use orderly_domain::CategorySlug;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::Catalog;
use crate::StoreError;
use crate::columns::{now_millis, parsed, timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub slug: CategorySlug,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCategory {
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub slug: CategorySlug,
}

const COLUMNS: &str = "id, parent_id, name, slug, created_at";

/// The ids of the category with `$1` as its slug and of all its
/// descendants, as a recursive CTE named `subtree (id)` that SQLite and
/// PostgreSQL both run.
pub(super) const SUBTREE: &str = "WITH RECURSIVE subtree (id) AS (
         SELECT id FROM categories WHERE slug = $1
         UNION ALL
         SELECT c.id FROM categories c JOIN subtree s ON c.parent_id = s.id
     )";

impl Catalog {
    /// Adds a category. `Conflict` when the slug is taken, `NotFound` when
    /// the parent does not exist; either way nothing is written.
    pub async fn insert_category(&self, new: &NewCategory) -> Result<Category, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(parent) = new.parent_id {
            let exists = sqlx::query("SELECT id FROM categories WHERE id = $1")
                .bind(parent.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                tx.rollback().await?;
                return Err(StoreError::NotFound);
            }
        }
        let row = sqlx::query(&format!(
            "INSERT INTO categories (id, parent_id, name, slug, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (slug) DO NOTHING
             RETURNING {COLUMNS}"
        ))
        .bind(Uuid::now_v7().to_string())
        .bind(new.parent_id.map(|id| id.to_string()))
        .bind(&new.name)
        .bind(new.slug.as_str())
        .bind(now_millis())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "a category with slug {} already exists",
                new.slug
            )));
        };
        let category = category_from(&row)?;
        tx.commit().await?;
        Ok(category)
    }

    /// Every category, ordered by name then id (so a child may come
    /// before its parent).
    pub async fn categories(&self) -> Result<Vec<Category>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM categories ORDER BY name, id"
        ))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(category_from).collect()
    }

    pub async fn category_by_slug(
        &self,
        slug: &CategorySlug,
    ) -> Result<Option<Category>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM categories WHERE slug = $1"))
            .bind(slug.as_str())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(category_from).transpose()
    }
}

fn category_from(row: &AnyRow) -> Result<Category, StoreError> {
    Ok(Category {
        id: parsed(
            "categories.id",
            &row.try_get::<String, _>("id")?,
            Uuid::parse_str,
        )?,
        parent_id: row
            .try_get::<Option<String>, _>("parent_id")?
            .map(|raw| parsed("categories.parent_id", &raw, Uuid::parse_str))
            .transpose()?,
        name: row.try_get("name")?,
        slug: parsed(
            "categories.slug",
            &row.try_get::<String, _>("slug")?,
            CategorySlug::parse,
        )?,
        created_at: timestamp("categories.created_at", row.try_get("created_at")?)?,
    })
}
