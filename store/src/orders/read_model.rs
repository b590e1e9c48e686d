//! The orders read model: the `OrderView` each order workflow writes at
//! every transition, kept so the API can list and show orders without
//! asking Temporal. Versions only go up, so a late or replayed write of an
//! older view is ignored instead of moving an order backwards.

use orderly_domain::{OrderId, OrderStatus, OrderView, UserId, WarehouseId};
use sqlx::Row;

use super::{Orders, received};
use crate::StoreError;
use crate::columns::millis;

/// Which orders to list. `before` is the cursor: the id of the last order
/// of the previous page (ids are UUIDv7, so id order is creation order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub customer: Option<UserId>,
    /// Only orders holding (or having held) stock of this warehouse.
    pub warehouse: Option<WarehouseId>,
    pub status: Option<OrderStatus>,
    /// Only orders with a return still in progress.
    pub open_returns: bool,
    pub before: Option<OrderId>,
    pub limit: u32,
}

impl Orders {
    /// Inserts the view, or replaces the stored one if `view.version` is
    /// greater; an equal or older version changes nothing. A delivered or
    /// picked-up order's lines also go to `received_lines`.
    pub async fn upsert_order(&self, view: &OrderView) -> Result<(), StoreError> {
        let version = i64::try_from(view.version).map_err(|_| {
            StoreError::Invalid(format!("order version {} is out of range", view.version))
        })?;
        let body = serde_json::to_string(view)
            .map_err(|e| StoreError::Invalid(format!("encoding order {}: {e}", view.id)))?;
        let open_returns = view.returns.iter().filter(|r| r.status.is_open()).count() as i64;
        let write = sqlx::query(
            "INSERT INTO orders (id, customer_id, status, version, created_at, updated_at, body,
                                 open_returns)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET
                 status = excluded.status,
                 open_returns = excluded.open_returns,
                 version = excluded.version,
                 updated_at = excluded.updated_at,
                 body = excluded.body
             WHERE orders.version < excluded.version",
        )
        .bind(view.id.to_string())
        .bind(view.customer_id.to_string())
        .bind(view.status.as_str())
        .bind(version)
        .bind(millis(view.created_at))
        .bind(millis(view.updated_at))
        .bind(body)
        .bind(open_returns);
        if !received::is_received(view.status) {
            write.execute(&self.db.pool).await?;
            return Ok(());
        }
        // A received order also indexes its lines for reviews and
        // recommendations; both writes land together or not at all.
        let mut tx = self.db.begin_write().await?;
        write.execute(&mut *tx).await?;
        received::record_lines(&mut tx, view).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn order(&self, id: OrderId) -> Result<Option<OrderView>, StoreError> {
        let row = sqlx::query("SELECT body FROM orders WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|row| view_from(&row.try_get::<String, _>("body")?))
            .transpose()
    }

    /// Newest first, at most `filter.limit` orders.
    pub async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<OrderView>, StoreError> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(customer) = filter.customer {
            values.push(customer.to_string());
            conditions.push(format!("customer_id = ${}", values.len()));
        }
        if let Some(warehouse) = filter.warehouse {
            values.push(warehouse.to_string());
            conditions.push(format!(
                "id IN (SELECT order_id FROM reservation_batches WHERE warehouse_id = ${})",
                values.len()
            ));
        }
        if let Some(status) = filter.status {
            values.push(status.as_str().to_owned());
            conditions.push(format!("status = ${}", values.len()));
        }
        if filter.open_returns {
            conditions.push("open_returns > 0".to_owned());
        }
        if let Some(before) = filter.before {
            values.push(before.to_string());
            conditions.push(format!("id < ${}", values.len()));
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT body FROM orders {filter_sql} ORDER BY id DESC LIMIT ${}",
            values.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for value in values {
            query = query.bind(value);
        }
        let rows = query
            .bind(i64::from(filter.limit))
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|row| view_from(&row.try_get::<String, _>("body")?))
            .collect()
    }
}

fn view_from(body: &str) -> Result<OrderView, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("orders.body: {e}")))
}
