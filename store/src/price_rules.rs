//! Bulk tiers and festival offers, as the pricing of an order reads them:
//! the tiers of the SKUs being priced, and the offers whose window holds
//! the moment of pricing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use orderly_domain::{BulkTier, FestivalOffer, Sku};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::StoreError;
use crate::columns::{millis, now_millis, parsed};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct PriceRules {
    pub(crate) db: Db,
}

/// A festival offer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRecord {
    pub id: Uuid,
    pub offer: FestivalOffer,
}

impl PriceRules {
    /// Replaces the bulk tiers of `sku` with `tiers`.
    pub async fn set_bulk_tiers(&self, sku: &Sku, tiers: &[BulkTier]) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM bulk_tiers WHERE sku = $1")
            .bind(sku.as_str())
            .execute(&mut *tx)
            .await?;
        for tier in tiers {
            sqlx::query(
                "INSERT INTO bulk_tiers (sku, min_quantity, percent_off) VALUES ($1, $2, $3)",
            )
            .bind(sku.as_str())
            .bind(i64::from(tier.min_quantity))
            .bind(i64::from(tier.percent_off))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The bulk tiers of each of `skus` that has any, smallest quantity first.
    pub async fn bulk_tiers(
        &self,
        skus: &[Sku],
    ) -> Result<BTreeMap<Sku, Vec<BulkTier>>, StoreError> {
        let mut tiers: BTreeMap<Sku, Vec<BulkTier>> = BTreeMap::new();
        if skus.is_empty() {
            return Ok(tiers);
        }
        let placeholders: Vec<String> = (1..=skus.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT sku, min_quantity, percent_off FROM bulk_tiers
             WHERE sku IN ({}) ORDER BY sku, min_quantity",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for sku in skus {
            query = query.bind(sku.as_str());
        }
        for row in query.fetch_all(&self.db.pool).await? {
            let sku = parsed(
                "bulk_tiers.sku",
                &row.try_get::<String, _>("sku")?,
                Sku::parse,
            )?;
            tiers.entry(sku).or_default().push(BulkTier {
                min_quantity: count(&row, "min_quantity")?,
                percent_off: count(&row, "percent_off")?,
            });
        }
        Ok(tiers)
    }

    /// Stores a festival offer; `Conflict` when one has the same name.
    pub async fn create_offer(&self, offer: &FestivalOffer) -> Result<OfferRecord, StoreError> {
        let id = Uuid::now_v7();
        let rules = serde_json::to_string(offer)
            .map_err(|e| StoreError::Invalid(format!("offer rules: {e}")))?;
        let inserted = sqlx::query(
            "INSERT INTO festival_offers (id, name, rules, starts_at, ends_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(&offer.name)
        .bind(rules)
        .bind(millis(offer.starts_at))
        .bind(millis(offer.ends_at))
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "an offer named {:?} exists already",
                offer.name
            )));
        }
        Ok(OfferRecord {
            id,
            offer: offer.clone(),
        })
    }

    /// The offers whose window holds `at`.
    pub async fn offers_at(&self, at: DateTime<Utc>) -> Result<Vec<FestivalOffer>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, rules FROM festival_offers
             WHERE starts_at <= $1 AND ends_at > $1 ORDER BY starts_at, name",
        )
        .bind(millis(at))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| record_from(row).map(|record| record.offer))
            .collect()
    }

    /// Every offer, the latest to end first.
    pub async fn list_offers(&self) -> Result<Vec<OfferRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, rules FROM festival_offers ORDER BY ends_at DESC, name")
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(record_from).collect()
    }
}

fn count(row: &AnyRow, column: &str) -> Result<u32, StoreError> {
    let raw: i64 = row.try_get(column)?;
    u32::try_from(raw).map_err(|_| StoreError::Corrupt(format!("bulk_tiers.{column}: {raw}")))
}

fn record_from(row: &AnyRow) -> Result<OfferRecord, StoreError> {
    let id = parsed(
        "festival_offers.id",
        &row.try_get::<String, _>("id")?,
        Uuid::parse_str,
    )?;
    let rules: String = row.try_get("rules")?;
    let offer = serde_json::from_str(&rules)
        .map_err(|e| StoreError::Corrupt(format!("festival_offers.rules: {e}")))?;
    Ok(OfferRecord { id, offer })
}
