//! Suppliers, farmers and importers: who batches come from, the
//! certifications they hold (organic, with a certificate number and the
//! date it is valid through), what their batches came to (procurement
//! cost and how much of what they delivered was written off), and whether
//! the stock on sale of a product comes from a certified organic supplier.

use chrono::{DateTime, NaiveDate, Utc};
use orderly_domain::{Money, Sku, StockReason, SupplierId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;
use crate::columns::{millis, money, now_millis, parsed, timestamp};
use crate::database::Db;
use crate::inventory::{BATCH_COLUMNS, Batch, batch_from};

#[derive(Debug, Clone)]
pub struct Suppliers {
    pub(crate) db: Db,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    /// What is certified, such as `organic`.
    pub kind: String,
    pub certificate_number: String,
    /// The last day the certificate is valid.
    pub valid_until: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplier {
    pub id: SupplierId,
    pub name: String,
    pub contact_email: String,
    pub region: String,
    pub certifications: Vec<Certification>,
    pub created_at: DateTime<Utc>,
}

/// What a supplier is set up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierSetup {
    pub name: String,
    pub contact_email: String,
    pub region: String,
    pub certifications: Vec<Certification>,
}

/// A supplier's batches and what they came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierRecord {
    pub supplier: Supplier,
    /// Batches still holding stock, first to expire first.
    pub batches: Vec<Batch>,
    pub received_units: i64,
    pub written_off_units: i64,
    /// What the received units cost, one total per currency.
    pub procurement_cost: Vec<Money>,
}

/// The certification kind a product shown as organic needs.
const ORGANIC: &str = "organic";

/// A supplier's organic certificate, as a product page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganicCertificate {
    pub supplier_id: SupplierId,
    pub supplier_name: String,
    pub certificate_number: String,
    pub valid_until: NaiveDate,
}

/// Whether the stock on sale of a product comes from a certified organic
/// supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrganicCertification {
    /// Stock on sale comes from a supplier whose organic certificate is
    /// valid today.
    Verified(OrganicCertificate),
    /// Only suppliers whose organic certificate has run out (the latest
    /// of them).
    Expired(OrganicCertificate),
    /// No stock on sale comes from a supplier with an organic certificate.
    Missing,
}

const DATE: &str = "%Y-%m-%d";

impl Suppliers {
    pub async fn create(&self, setup: &SupplierSetup) -> Result<Supplier, StoreError> {
        let id = SupplierId::new();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO suppliers (id, name, contact_email, region, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(&setup.name)
        .bind(&setup.contact_email)
        .bind(&setup.region)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        write_certifications(&mut tx, id, &setup.certifications).await?;
        tx.commit().await?;
        self.get(id).await?.ok_or(StoreError::NotFound)
    }

    /// Replaces a supplier's certifications. `NotFound` for an unknown id.
    pub async fn set_certifications(
        &self,
        id: SupplierId,
        certifications: &[Certification],
    ) -> Result<Supplier, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let known = sqlx::query("SELECT id FROM suppliers WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM supplier_certifications WHERE supplier_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        write_certifications(&mut tx, id, certifications).await?;
        tx.commit().await?;
        self.get(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn get(&self, id: SupplierId) -> Result<Option<Supplier>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, contact_email, region, created_at FROM suppliers WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let certifications = self.certifications(id).await?;
        Ok(Some(supplier_from(&row, certifications)?))
    }

    /// Every supplier by name.
    pub async fn list(&self) -> Result<Vec<Supplier>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, contact_email, region, created_at FROM suppliers ORDER BY name, id",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut suppliers = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = parsed("suppliers.id", &row.try_get::<String, _>("id")?, str::parse)?;
            suppliers.push(supplier_from(row, self.certifications(id).await?)?);
        }
        Ok(suppliers)
    }

    /// A supplier with its batches, what they cost and how much of them
    /// was written off.
    pub async fn record(&self, id: SupplierId) -> Result<Option<SupplierRecord>, StoreError> {
        let Some(supplier) = self.get(id).await? else {
            return Ok(None);
        };
        let batches = sqlx::query(&format!(
            "SELECT {BATCH_COLUMNS} FROM stock_batches b
             WHERE b.supplier_id = $1 AND b.on_hand > 0
             ORDER BY CASE WHEN b.good_until IS NULL THEN 1 ELSE 0 END, b.good_until, b.sku"
        ))
        .bind(id.to_string())
        .fetch_all(&self.db.pool)
        .await?
        .iter()
        .map(batch_from)
        .collect::<Result<Vec<_>, _>>()?;
        let moved = sqlx::query(
            "SELECT m.reason, CAST(SUM(m.on_hand_change) AS BIGINT) AS units
             FROM stock_movements m JOIN stock_batches b
               ON b.sku = m.sku AND b.warehouse_id = m.warehouse_id AND b.batch_code = m.batch_code
             WHERE b.supplier_id = $1 AND m.reason IN ($2, $3)
             GROUP BY m.reason",
        )
        .bind(id.to_string())
        .bind(StockReason::Received.as_str())
        .bind(StockReason::WrittenOff.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        let (mut received_units, mut written_off_units) = (0, 0);
        for row in &moved {
            let units: i64 = row.try_get("units")?;
            match StockReason::parse(&row.try_get::<String, _>("reason")?) {
                Some(StockReason::Received) => received_units = units,
                Some(StockReason::WrittenOff) => written_off_units = -units,
                _ => {}
            }
        }
        let costs = sqlx::query(
            "SELECT b.currency, CAST(SUM(m.on_hand_change * b.unit_cost) AS BIGINT) AS cost
             FROM stock_movements m JOIN stock_batches b
               ON b.sku = m.sku AND b.warehouse_id = m.warehouse_id AND b.batch_code = m.batch_code
             WHERE b.supplier_id = $1 AND m.reason = $2 AND b.currency IS NOT NULL
             GROUP BY b.currency ORDER BY b.currency",
        )
        .bind(id.to_string())
        .bind(StockReason::Received.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        let mut procurement_cost = Vec::with_capacity(costs.len());
        for row in &costs {
            procurement_cost.push(money(
                row.try_get("cost")?,
                &row.try_get::<String, _>("currency")?,
            )?);
        }
        Ok(Some(SupplierRecord {
            supplier,
            batches,
            received_units,
            written_off_units,
            procurement_cost,
        }))
    }

    /// Whether the free stock of `sku` that is still good at `now`, in
    /// active warehouses, comes from a supplier with an organic
    /// certificate valid today: the one valid longest, or else the one
    /// that ran out last.
    pub async fn organic_certification(
        &self,
        sku: &Sku,
        now: DateTime<Utc>,
    ) -> Result<OrganicCertification, StoreError> {
        let today = now.date_naive().format(DATE).to_string();
        let row = sqlx::query(
            "SELECT s.id, s.name, c.certificate_number, c.valid_until,
                    CASE WHEN c.valid_until >= $1 THEN 1 ELSE 0 END AS valid
             FROM stock_batches b
             JOIN warehouses w ON w.id = b.warehouse_id
             JOIN suppliers s ON s.id = b.supplier_id
             JOIN supplier_certifications c ON c.supplier_id = s.id AND c.kind = $2
             WHERE b.sku = $3 AND w.active = 1 AND b.on_hand > b.reserved
               AND (b.good_until IS NULL OR b.good_until > $4)
             ORDER BY valid DESC, c.valid_until DESC, s.id
             LIMIT 1",
        )
        .bind(&today)
        .bind(ORGANIC)
        .bind(sku.as_str())
        .bind(millis(now))
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            return Ok(OrganicCertification::Missing);
        };
        let certificate = OrganicCertificate {
            supplier_id: parsed("suppliers.id", &row.try_get::<String, _>("id")?, str::parse)?,
            supplier_name: row.try_get("name")?,
            certificate_number: row.try_get("certificate_number")?,
            valid_until: parsed(
                "supplier_certifications.valid_until",
                &row.try_get::<String, _>("valid_until")?,
                |raw| NaiveDate::parse_from_str(raw, DATE),
            )?,
        };
        Ok(if row.try_get::<i64, _>("valid")? == 1 {
            OrganicCertification::Verified(certificate)
        } else {
            OrganicCertification::Expired(certificate)
        })
    }

    async fn certifications(&self, id: SupplierId) -> Result<Vec<Certification>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, certificate_number, valid_until FROM supplier_certifications
             WHERE supplier_id = $1 ORDER BY kind",
        )
        .bind(id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Certification {
                    kind: row.try_get("kind")?,
                    certificate_number: row.try_get("certificate_number")?,
                    valid_until: parsed(
                        "supplier_certifications.valid_until",
                        &row.try_get::<String, _>("valid_until")?,
                        |raw| NaiveDate::parse_from_str(raw, DATE),
                    )?,
                })
            })
            .collect()
    }
}

async fn write_certifications(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: SupplierId,
    certifications: &[Certification],
) -> Result<(), StoreError> {
    for certification in certifications {
        sqlx::query(
            "INSERT INTO supplier_certifications (supplier_id, kind, certificate_number, valid_until)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.to_string())
        .bind(&certification.kind)
        .bind(&certification.certificate_number)
        .bind(certification.valid_until.format(DATE).to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn supplier_from(row: &AnyRow, certifications: Vec<Certification>) -> Result<Supplier, StoreError> {
    Ok(Supplier {
        id: parsed("suppliers.id", &row.try_get::<String, _>("id")?, str::parse)?,
        name: row.try_get("name")?,
        contact_email: row.try_get("contact_email")?,
        region: row.try_get("region")?,
        certifications,
        created_at: timestamp("suppliers.created_at", row.try_get("created_at")?)?,
    })
}
