//! Product reviews, helpful votes and the rating totals product pages show.
//!
//! Each customer has at most one review per product (a unique key), edited
//! in place. `product_ratings` keeps a running count and sum per product,
//! changed in the same transaction as the review, so reading a product's
//! average never aggregates its reviews. Edits adjust the sum by the
//! difference from the rating they replace, read under the row's lock so two
//! concurrent edits cannot both subtract the same old rating.

use chrono::{DateTime, Utc};
use orderly_domain::{Rating, Sku, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::StoreError;
use crate::columns::{now_millis, parsed, placeholders, timestamp};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Reviews {
    pub(crate) db: Db,
}

/// A review as shown on a product page.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: Uuid,
    pub sku: Sku,
    pub author_id: UserId,
    pub author_name: String,
    pub rating: Rating,
    pub title: Option<String>,
    pub text: Option<String>,
    /// How many other users found it helpful.
    pub helpful: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a customer writes; the caller has checked they may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDraft {
    pub sku: Sku,
    pub author_id: UserId,
    pub rating: Rating,
    pub title: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReviewWrite {
    Created(Review),
    Updated(Review),
}

/// The order of a product's review list and where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOrder {
    /// Newest first; `before` is the id of the last review of the previous
    /// page (UUIDv7 ids sort by creation time).
    Newest { before: Option<Uuid> },
    /// Most helpful first, newest first among equals; `after` is the
    /// `(helpful, id)` of the last review of the previous page.
    MostHelpful { after: Option<(i64, Uuid)> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpfulVote {
    /// The vote was counted; the review's new total.
    Counted(i64),
    /// This user had already voted; nothing changed.
    AlreadyVoted(i64),
}

const REVIEW_COLUMNS: &str = "r.id, r.sku, r.author_id, u.name AS author_name, r.rating, r.title, \
                              r.body, r.helpful_count, r.created_at, r.updated_at";

impl Reviews {
    /// Creates the author's review of the product, or replaces its rating,
    /// title and text (keeping its id, creation time and votes).
    pub async fn upsert_review(&self, draft: &ReviewDraft) -> Result<ReviewWrite, StoreError> {
        let now = now_millis();
        let rating = i64::from(draft.rating.get());
        let mut tx = self.db.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO reviews
                 (id, sku, author_id, rating, title, body, helpful_count, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)
             ON CONFLICT (sku, author_id) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(draft.sku.as_str())
        .bind(draft.author_id.to_string())
        .bind(rating)
        .bind(draft.title.as_deref())
        .bind(draft.text.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            count_rating(&mut tx, &draft.sku, rating).await?;
        } else {
            // `SET rating = rating` changes nothing but takes the row lock
            // (PostgreSQL), so the old rating read here is the one replaced.
            let old: i64 = sqlx::query(
                "UPDATE reviews SET rating = rating WHERE sku = $1 AND author_id = $2
                 RETURNING rating",
            )
            .bind(draft.sku.as_str())
            .bind(draft.author_id.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get("rating")?;
            sqlx::query(
                "UPDATE reviews SET rating = $1, title = $2, body = $3, updated_at = $4
                 WHERE sku = $5 AND author_id = $6",
            )
            .bind(rating)
            .bind(draft.title.as_deref())
            .bind(draft.text.as_deref())
            .bind(now)
            .bind(draft.sku.as_str())
            .bind(draft.author_id.to_string())
            .execute(&mut *tx)
            .await?;
            // A plain UPDATE: the row exists since the review was counted,
            // and an upsert would CHECK its negative insert values first.
            sqlx::query("UPDATE product_ratings SET rating_sum = rating_sum + $1 WHERE sku = $2")
                .bind(rating - old)
                .bind(draft.sku.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let review = review_by_author(&mut tx, &draft.sku, draft.author_id).await?;
        tx.commit().await?;
        Ok(if inserted {
            ReviewWrite::Created(review)
        } else {
            ReviewWrite::Updated(review)
        })
    }

    /// The review `author` wrote of `sku`, if any.
    pub async fn author_review(
        &self,
        sku: &Sku,
        author: UserId,
    ) -> Result<Option<Review>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews r JOIN users u ON u.id = r.author_id
             WHERE r.sku = $1 AND r.author_id = $2"
        ))
        .bind(sku.as_str())
        .bind(author.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(review_from).transpose()
    }

    pub async fn review(&self, id: Uuid) -> Result<Option<Review>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews r JOIN users u ON u.id = r.author_id
             WHERE r.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(review_from).transpose()
    }

    /// One page of a product's reviews, at most `limit`.
    pub async fn reviews_for_product(
        &self,
        sku: &Sku,
        order: ReviewOrder,
        limit: u32,
    ) -> Result<Vec<Review>, StoreError> {
        let from = format!(
            "SELECT {REVIEW_COLUMNS} FROM reviews r JOIN users u ON u.id = r.author_id
             WHERE r.sku = $1"
        );
        let limit = i64::from(limit);
        let rows = match order {
            ReviewOrder::Newest { before: None } => {
                sqlx::query(&format!("{from} ORDER BY r.id DESC LIMIT $2"))
                    .bind(sku.as_str())
                    .bind(limit)
                    .fetch_all(&self.db.pool)
                    .await?
            }
            ReviewOrder::Newest {
                before: Some(before),
            } => {
                sqlx::query(&format!("{from} AND r.id < $2 ORDER BY r.id DESC LIMIT $3"))
                    .bind(sku.as_str())
                    .bind(before.to_string())
                    .bind(limit)
                    .fetch_all(&self.db.pool)
                    .await?
            }
            ReviewOrder::MostHelpful { after: None } => {
                sqlx::query(&format!(
                    "{from} ORDER BY r.helpful_count DESC, r.id DESC LIMIT $2"
                ))
                .bind(sku.as_str())
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
            }
            ReviewOrder::MostHelpful {
                after: Some((helpful, id)),
            } => {
                sqlx::query(&format!(
                    "{from} AND (r.helpful_count < $2 OR (r.helpful_count = $2 AND r.id < $3))
                     ORDER BY r.helpful_count DESC, r.id DESC LIMIT $4"
                ))
                .bind(sku.as_str())
                .bind(helpful)
                .bind(id.to_string())
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        rows.iter().map(review_from).collect()
    }

    /// Records that `voter` found the review helpful, once per voter.
    /// `NotFound` if the review does not exist.
    pub async fn vote_helpful(
        &self,
        review: Uuid,
        voter: UserId,
    ) -> Result<HelpfulVote, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let exists = sqlx::query("SELECT 1 AS found FROM reviews WHERE id = $1")
            .bind(review.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound);
        }
        let counted = sqlx::query(
            "INSERT INTO review_votes (review_id, voter_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (review_id, voter_id) DO NOTHING",
        )
        .bind(review.to_string())
        .bind(voter.to_string())
        .bind(now_millis())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let total: i64 = if counted {
            sqlx::query(
                "UPDATE reviews SET helpful_count = helpful_count + 1 WHERE id = $1
                 RETURNING helpful_count",
            )
            .bind(review.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get("helpful_count")?
        } else {
            sqlx::query("SELECT helpful_count FROM reviews WHERE id = $1")
                .bind(review.to_string())
                .fetch_one(&mut *tx)
                .await?
                .try_get("helpful_count")?
        };
        tx.commit().await?;
        Ok(if counted {
            HelpfulVote::Counted(total)
        } else {
            HelpfulVote::AlreadyVoted(total)
        })
    }

    /// `(sku, average rating, number of ratings)` of each of `skus` that has
    /// at least one review, ordered by sku. Products without reviews are
    /// left out rather than given an average of zero.
    pub async fn product_ratings(&self, skus: &[Sku]) -> Result<Vec<(Sku, f64, i64)>, StoreError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT sku, rating_count, rating_sum FROM product_ratings
             WHERE rating_count > 0 AND sku IN ({}) ORDER BY sku",
            placeholders(1, skus.len())
        );
        let mut query = sqlx::query(&sql);
        for sku in skus {
            query = query.bind(sku.as_str());
        }
        let rows = query.fetch_all(&self.db.pool).await?;
        rows.iter()
            .map(|row| {
                let sku = parsed(
                    "product_ratings.sku",
                    &row.try_get::<String, _>("sku")?,
                    Sku::parse,
                )?;
                let count: i64 = row.try_get("rating_count")?;
                let sum: i64 = row.try_get("rating_sum")?;
                // Both are small integers (sum ≤ 5 × count), exact in an f64.
                Ok((sku, sum as f64 / count as f64, count))
            })
            .collect()
    }
}

/// Adds one new rating to the product's totals.
async fn count_rating(
    tx: &mut Transaction<'static, Any>,
    sku: &Sku,
    rating: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO product_ratings (sku, rating_count, rating_sum) VALUES ($1, 1, $2)
         ON CONFLICT (sku) DO UPDATE SET
             rating_count = product_ratings.rating_count + excluded.rating_count,
             rating_sum = product_ratings.rating_sum + excluded.rating_sum",
    )
    .bind(sku.as_str())
    .bind(rating)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn review_by_author(
    tx: &mut Transaction<'static, Any>,
    sku: &Sku,
    author: UserId,
) -> Result<Review, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews r JOIN users u ON u.id = r.author_id
         WHERE r.sku = $1 AND r.author_id = $2"
    ))
    .bind(sku.as_str())
    .bind(author.to_string())
    .fetch_one(&mut **tx)
    .await?;
    review_from(&row)
}

fn review_from(row: &AnyRow) -> Result<Review, StoreError> {
    Ok(Review {
        id: parsed(
            "reviews.id",
            &row.try_get::<String, _>("id")?,
            Uuid::parse_str,
        )?,
        sku: parsed("reviews.sku", &row.try_get::<String, _>("sku")?, Sku::parse)?,
        author_id: parsed(
            "reviews.author_id",
            &row.try_get::<String, _>("author_id")?,
            str::parse,
        )?,
        author_name: row.try_get("author_name")?,
        rating: Rating::parse(row.try_get::<i64, _>("rating")?)
            .map_err(|e| StoreError::Corrupt(format!("reviews.rating: {e}")))?,
        title: row.try_get("title")?,
        text: row.try_get("body")?,
        helpful: row.try_get("helpful_count")?,
        created_at: timestamp("reviews.created_at", row.try_get("created_at")?)?,
        updated_at: timestamp("reviews.updated_at", row.try_get("updated_at")?)?,
    })
}
