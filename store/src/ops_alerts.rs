//! Alerts for operators: things a workflow could not fix by itself (a
//! refund that keeps failing, a carrier that rejected a paid order, a
//! batch about to spoil). The dedupe key keeps a retried activity from
//! raising the same alert twice.

use chrono::{DateTime, Utc};
use orderly_domain::OrderId;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::StoreError;
use crate::columns::{now_millis, optional_timestamp, parsed, timestamp};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct OpsAlerts {
    pub(crate) db: Db,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsAlert {
    pub id: Uuid,
    /// The order it is about; `None` for an alert about stock.
    pub order_id: Option<OrderId>,
    pub kind: String,
    pub detail: String,
    pub dedupe_key: String,
    pub created_at: DateTime<Utc>,
    /// When an operator closed it; `None` while open.
    pub resolved_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, order_id, kind, detail, dedupe_key, created_at, resolved_at";

impl OpsAlerts {
    /// Raises an alert; `false` when one with `dedupe_key` exists already.
    pub async fn insert_ops_alert(
        &self,
        order_id: OrderId,
        kind: &str,
        detail: &str,
        dedupe_key: &str,
    ) -> Result<bool, StoreError> {
        self.insert(Some(order_id), kind, detail, dedupe_key).await
    }

    /// Raises an alert that is about no order (a batch about to spoil);
    /// `false` when one with `dedupe_key` exists already.
    pub async fn insert_stock_alert(
        &self,
        kind: &str,
        detail: &str,
        dedupe_key: &str,
    ) -> Result<bool, StoreError> {
        self.insert(None, kind, detail, dedupe_key).await
    }

    async fn insert(
        &self,
        order_id: Option<OrderId>,
        kind: &str,
        detail: &str,
        dedupe_key: &str,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO ops_alerts (id, order_id, kind, detail, created_at, dedupe_key)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(order_id.map(|id| id.to_string()))
        .bind(kind)
        .bind(detail)
        .bind(now_millis())
        .bind(dedupe_key)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// The order's alerts, oldest first.
    pub async fn ops_alerts_for_order(
        &self,
        order_id: OrderId,
    ) -> Result<Vec<OpsAlert>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM ops_alerts WHERE order_id = $1 ORDER BY created_at, id"
        ))
        .bind(order_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(alert_from).collect()
    }

    /// Alerts nobody has resolved, newest first; `before` is the id of the
    /// last alert of the previous page (ids are UUIDv7, so in time order).
    pub async fn open_alerts(
        &self,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<OpsAlert>, StoreError> {
        let rows = match before {
            Some(before) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM ops_alerts WHERE resolved_at IS NULL AND id < $1
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(before.to_string())
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM ops_alerts WHERE resolved_at IS NULL
                     ORDER BY id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        rows.iter().map(alert_from).collect()
    }

    /// Closes an alert; `None` when there is no such alert. Resolving twice
    /// keeps the first time.
    pub async fn resolve_alert(&self, id: Uuid) -> Result<Option<OpsAlert>, StoreError> {
        sqlx::query("UPDATE ops_alerts SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL")
            .bind(now_millis())
            .bind(id.to_string())
            .execute(&self.db.pool)
            .await?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM ops_alerts WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(alert_from).transpose()
    }
}

fn alert_from(row: &AnyRow) -> Result<OpsAlert, StoreError> {
    let order_id: Option<String> = row.try_get("order_id")?;
    Ok(OpsAlert {
        id: parsed(
            "ops_alerts.id",
            &row.try_get::<String, _>("id")?,
            Uuid::parse_str,
        )?,
        order_id: order_id
            .map(|id| parsed("ops_alerts.order_id", &id, str::parse))
            .transpose()?,
        kind: row.try_get("kind")?,
        detail: row.try_get("detail")?,
        dedupe_key: row.try_get("dedupe_key")?,
        created_at: timestamp("ops_alerts.created_at", row.try_get("created_at")?)?,
        resolved_at: optional_timestamp("ops_alerts.resolved_at", row.try_get("resolved_at")?)?,
    })
}
