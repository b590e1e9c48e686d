//! The payment ledger: every movement of money, once. The provider call and
//! its ledger entry share one idempotency key, so a retried activity finds
//! the entry of its first attempt instead of recording the money twice.
//!
//! An entry is written `pending` before the provider is called, and moved
//! to `settled` (with the provider's reference and the amount it took) or
//! `failed` once the provider answered. A pending entry is money whose fate
//! the provider knows and we do not yet; [`Ledger::pending_for_order`] is
//! how compensation finds it, asks the provider, and gives it back.

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

/// Where a money movement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// About to be asked of the provider, or asked without an answer.
    Pending,
    /// The provider moved the money.
    Settled,
    /// The provider refused it, or never received it.
    Failed,
}

impl LedgerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerStatus::Pending => "pending",
            LedgerStatus::Settled => "settled",
            LedgerStatus::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [
            LedgerStatus::Pending,
            LedgerStatus::Settled,
            LedgerStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
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
    /// `reference` is the provider's once settled, the reason once failed,
    /// and empty while pending.
    pub status: LedgerStatus,
}

const COLUMNS: &str =
    "order_id, kind, amount, currency, provider, reference, idempotency_key, created_at, status";

impl Ledger {
    /// Records `entry` (normally `pending`, before the provider is asked)
    /// unless its idempotency key is already in the ledger; either way
    /// returns the stored entry, which is the first one.
    pub async fn record_ledger_entry(
        &self,
        entry: &LedgerEntry,
    ) -> Result<LedgerEntry, StoreError> {
        sqlx::query(
            "INSERT INTO payment_ledger
                 (id, order_id, kind, amount, currency, provider, reference, idempotency_key,
                  created_at, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
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
        .bind(entry.status.as_str())
        .execute(&self.db.pool)
        .await?;
        self.entry(&entry.idempotency_key).await
    }

    /// The provider moved the money of the entry `key`: `amount` (which may
    /// differ from what was asked) under `reference`. A settled entry stays
    /// as it is; a failed one is settled, since the provider's word wins
    /// over a reconciliation that asked before the provider had answered.
    /// Returns the stored entry.
    pub async fn settle_ledger_entry(
        &self,
        key: &str,
        reference: &str,
        amount: Money,
        at: DateTime<Utc>,
    ) -> Result<LedgerEntry, StoreError> {
        sqlx::query(
            "UPDATE payment_ledger SET status = 'settled', reference = $1, amount = $2,
                 currency = $3, created_at = $4
             WHERE idempotency_key = $5 AND status <> 'settled'",
        )
        .bind(reference)
        .bind(amount.amount)
        .bind(amount.currency.as_str())
        .bind(millis(at))
        .bind(key)
        .execute(&self.db.pool)
        .await?;
        self.entry(key).await
    }

    /// The provider refused the pending entry `key`, or never received it.
    pub async fn fail_ledger_entry(
        &self,
        key: &str,
        reason: &str,
    ) -> Result<LedgerEntry, StoreError> {
        sqlx::query(
            "UPDATE payment_ledger SET status = 'failed', reference = $1
             WHERE idempotency_key = $2 AND status = 'pending'",
        )
        .bind(reason)
        .bind(key)
        .execute(&self.db.pool)
        .await?;
        self.entry(key).await
    }

    /// An order's money movements that were asked of a provider without an
    /// answer yet.
    pub async fn pending_for_order(
        &self,
        order_id: OrderId,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payment_ledger
             WHERE status = 'pending' AND order_id = $1 ORDER BY created_at, id"
        ))
        .bind(order_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(entry_from).collect()
    }

    async fn entry(&self, key: &str) -> Result<LedgerEntry, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payment_ledger WHERE idempotency_key = $1"
        ))
        .bind(key)
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

    /// How many movements of `kind` the providers settled, across orders.
    pub async fn count_ledger_entries(&self, kind: LedgerKind) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM payment_ledger WHERE kind = $1 AND status = 'settled'",
        )
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
        status: known(
            "payment_ledger.status",
            &row.try_get::<String, _>("status")?,
            LedgerStatus::parse,
        )?,
    })
}
