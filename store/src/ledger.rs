//! The payment ledger: every movement of money, once. The provider call and
//! its ledger entry share one idempotency key, so a retried activity finds
//! the entry of its first attempt instead of recording the money twice.

use chrono::{DateTime, Utc};
use orderly_domain::{LedgerKind, Money, OrderId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::StoreError;
use crate::columns::{known, millis, money, parsed, timestamp};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) db: Db,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub order_id: OrderId,
    pub kind: LedgerKind,
    pub amount: Money,
    pub provider: String,
    pub reference: String,
    pub idempotency_key: String,
    /// Stored with millisecond precision.
    pub at: DateTime<Utc>,
}

const COLUMNS: &str =
    "order_id, kind, amount, currency, provider, reference, idempotency_key, created_at";

impl Ledger {
    /// Records `entry` unless its idempotency key is already in the ledger;
    /// either way returns the stored entry, which is the first one.
    pub async fn record_ledger_entry(
        &self,
        entry: &LedgerEntry,
    ) -> Result<LedgerEntry, StoreError> {
        sqlx::query(
            "INSERT INTO payment_ledger
                 (id, order_id, kind, amount, currency, provider, reference, idempotency_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(entry.order_id.to_string())
        .bind(entry.kind.as_str())
        .bind(entry.amount.amount)
        .bind(entry.amount.currency.as_str())
        .bind(&entry.provider)
        .bind(&entry.reference)
        .bind(&entry.idempotency_key)
        .bind(millis(entry.at))
        .execute(&self.db.pool)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payment_ledger WHERE idempotency_key = $1"
        ))
        .bind(&entry.idempotency_key)
        .fetch_one(&self.db.pool)
        .await?;
        entry_from(&row)
    }

    /// An order's entries in the order they happened.
    pub async fn ledger_for_order(
        &self,
        order_id: OrderId,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payment_ledger WHERE order_id = $1 ORDER BY created_at, id"
        ))
        .bind(order_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(entry_from).collect()
    }

    pub async fn count_ledger_entries(&self, kind: LedgerKind) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM payment_ledger WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&self.db.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

fn entry_from(row: &AnyRow) -> Result<LedgerEntry, StoreError> {
    Ok(LedgerEntry {
        order_id: parsed(
            "payment_ledger.order_id",
            &row.try_get::<String, _>("order_id")?,
            str::parse,
        )?,
        kind: known(
            "payment_ledger.kind",
            &row.try_get::<String, _>("kind")?,
            LedgerKind::parse,
        )?,
        amount: money(
            row.try_get("amount")?,
            &row.try_get::<String, _>("currency")?,
        )?,
        provider: row.try_get("provider")?,
        reference: row.try_get("reference")?,
        idempotency_key: row.try_get("idempotency_key")?,
        at: timestamp("payment_ledger.created_at", row.try_get("created_at")?)?,
    })
}
