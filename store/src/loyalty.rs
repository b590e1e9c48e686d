//! Loyalty points: an append-only ledger per customer. A received order
//! earns points on what was paid for it and loses them as it is refunded
//! (each time the order is recorded its points are brought to what it is
//! owed now, by an entry of the difference); points spent at checkout are
//! taken in one conditional update of the balance, so two checkouts cannot
//! spend the same points, and come back when the order places nothing or
//! is cancelled, and for the units of a received order that are refunded.

use chrono::{DateTime, Utc};
use orderly_domain::{OrderId, OrderStatus, OrderView, UserId, points_refunded};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::StoreError;
use crate::columns::{known, now_millis, parsed, timestamp};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Loyalty {
    pub(crate) db: Db,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointsKind {
    /// A received order earned them.
    Earned,
    /// A refund took back what they were earned on.
    Revoked,
    /// Spent at checkout.
    Redeemed,
    /// Spent on an order that was not placed or was cancelled, or on
    /// units of it that were refunded.
    Returned,
}

impl PointsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PointsKind::Earned => "earned",
            PointsKind::Revoked => "revoked",
            PointsKind::Redeemed => "redeemed",
            PointsKind::Returned => "returned",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [
            PointsKind::Earned,
            PointsKind::Revoked,
            PointsKind::Redeemed,
            PointsKind::Returned,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsEntry {
    pub order_id: Option<OrderId>,
    pub kind: PointsKind,
    /// Positive when points came in, negative when they went.
    pub points: i64,
    pub at: DateTime<Utc>,
}

/// Paise in the ₹100 a rate counts points for.
const PER: i64 = 100 * 100;

impl Loyalty {
    /// Brings the points `view`'s order earned to what it is owed now:
    /// `rate` points per ₹100 of what was paid less what was refunded, for a
    /// delivered or collected order (the rate of its first settlement
    /// stays); a cancelled order gives back the points spent on it. A view
    /// older than one already settled changes nothing.
    pub async fn settle_order(&self, view: &OrderView, rate: u32) -> Result<(), StoreError> {
        let received = matches!(view.status, OrderStatus::Delivered | OrderStatus::PickedUp);
        let cancelled = matches!(
            view.status,
            OrderStatus::Cancelled | OrderStatus::PaymentFailed
        );
        if !received && !cancelled {
            return Ok(());
        }
        let version = i64::try_from(view.version)
            .map_err(|_| StoreError::Invalid(format!("order version {}", view.version)))?;
        let order = view.id.to_string();
        let mut tx = self.db.begin_write().await?;
        lock_account(&mut tx, view.customer_id).await?;
        let settled = sqlx::query("SELECT version, rate FROM loyalty_orders WHERE order_id = $1")
            .bind(&order)
            .fetch_optional(&mut *tx)
            .await?;
        let (last, rate) = match settled {
            Some(row) => (
                Some(row.try_get::<i64, _>("version")?),
                row.try_get::<i64, _>("rate")?,
            ),
            None => (None, i64::from(rate)),
        };
        if last.is_some_and(|last| last >= version) {
            tx.rollback().await?;
            return Ok(());
        }
        if received {
            let receipt = &view.payment.receipt;
            let paid = (receipt.captured.amount - receipt.refunded.amount).max(0);
            let owed = i64::try_from(i128::from(paid) * i128::from(rate) / i128::from(PER))
                .unwrap_or(i64::MAX);
            let earned: i64 = sqlx::query(
                "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) AS earned FROM loyalty_points
                 WHERE order_id = $1 AND kind IN ('earned', 'revoked')",
            )
            .bind(&order)
            .fetch_one(&mut *tx)
            .await?
            .try_get("earned")?;
            let delta = owed - earned;
            if delta != 0 {
                let kind = if delta > 0 {
                    PointsKind::Earned
                } else {
                    PointsKind::Revoked
                };
                let key = format!("order:{order}:points:v{version}");
                append(&mut tx, view.customer_id, Some(view.id), kind, delta, &key).await?;
            }
            give_back_refunded(&mut tx, view, version).await?;
        } else {
            return_spend(&mut tx, view.id).await?;
        }
        sqlx::query(
            "INSERT INTO loyalty_orders (order_id, version, rate) VALUES ($1, $2, $3)
             ON CONFLICT (order_id) DO UPDATE SET version = excluded.version",
        )
        .bind(&order)
        .bind(version)
        .bind(rate)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spends `points` of `customer`'s on `order_id`, unless they have
    /// fewer. Idempotent per order.
    pub async fn spend(
        &self,
        customer: UserId,
        order_id: OrderId,
        points: i64,
    ) -> Result<bool, StoreError> {
        let key = spend_key(order_id);
        let mut tx = self.db.begin_write().await?;
        lock_account(&mut tx, customer).await?;
        let spent = sqlx::query("SELECT points FROM loyalty_points WHERE idempotency_key = $1")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        if spent.is_some() {
            tx.rollback().await?;
            return Ok(true);
        }
        let taken = sqlx::query(
            "UPDATE loyalty_accounts SET balance = balance - $1
             WHERE customer_id = $2 AND balance >= $1",
        )
        .bind(points)
        .bind(customer.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_entry(
            &mut tx,
            customer,
            Some(order_id),
            PointsKind::Redeemed,
            -points,
            &key,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Gives back the points spent on `order_id` (its checkout placed
    /// nothing); a repeat, or an order that spent none, changes nothing.
    pub async fn give_back(&self, order_id: OrderId) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        return_spend(&mut tx, order_id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn balance(&self, customer: UserId) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT balance FROM loyalty_accounts WHERE customer_id = $1")
            .bind(customer.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("balance")?,
            None => 0,
        })
    }

    /// The customer's entries, newest first.
    pub async fn entries(&self, customer: UserId) -> Result<Vec<PointsEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT order_id, kind, points, created_at FROM loyalty_points
             WHERE customer_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(customer.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(entry_from).collect()
    }
}

fn spend_key(order_id: OrderId) -> String {
    format!("order:{order_id}:points:spend")
}

/// Creates the customer's account if it is new, and holds its row until
/// the transaction ends (PostgreSQL; SQLite's write lock holds everything).
async fn lock_account(
    tx: &mut Transaction<'static, Any>,
    customer: UserId,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO loyalty_accounts (customer_id, balance) VALUES ($1, 0)
         ON CONFLICT (customer_id) DO NOTHING",
    )
    .bind(customer.to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE loyalty_accounts SET balance = balance WHERE customer_id = $1")
        .bind(customer.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Brings the points given back for the refunded units of a received
/// order to what those units carried of the points spent on it.
async fn give_back_refunded(
    tx: &mut Transaction<'static, Any>,
    view: &OrderView,
    version: i64,
) -> Result<(), StoreError> {
    let owed = points_refunded(&view.items, &view.discounts, &view.refunds, &view.shipments);
    if owed == 0 {
        return Ok(());
    }
    let given: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) AS given FROM loyalty_points
         WHERE order_id = $1 AND kind = 'returned'",
    )
    .bind(view.id.to_string())
    .fetch_one(&mut **tx)
    .await?
    .try_get("given")?;
    if owed <= given {
        return Ok(());
    }
    let key = format!("order:{}:points-back:v{version}", view.id);
    append(
        tx,
        view.customer_id,
        Some(view.id),
        PointsKind::Returned,
        owed - given,
        &key,
    )
    .await
}

async fn return_spend(
    tx: &mut Transaction<'static, Any>,
    order_id: OrderId,
) -> Result<(), StoreError> {
    let spent =
        sqlx::query("SELECT customer_id, points FROM loyalty_points WHERE idempotency_key = $1")
            .bind(spend_key(order_id))
            .fetch_optional(&mut **tx)
            .await?;
    let Some(spent) = spent else {
        return Ok(());
    };
    let customer = parsed(
        "loyalty_points.customer_id",
        &spent.try_get::<String, _>("customer_id")?,
        str::parse,
    )?;
    let points: i64 = spent.try_get("points")?;
    let key = format!("{}:returned", spend_key(order_id));
    lock_account(tx, customer).await?;
    append(
        tx,
        customer,
        Some(order_id),
        PointsKind::Returned,
        -points,
        &key,
    )
    .await
}

/// Records an entry, once per key, and moves the balance by it; the
/// customer's account is locked already.
async fn append(
    tx: &mut Transaction<'static, Any>,
    customer: UserId,
    order_id: Option<OrderId>,
    kind: PointsKind,
    points: i64,
    key: &str,
) -> Result<(), StoreError> {
    if insert_entry(tx, customer, order_id, kind, points, key).await? {
        sqlx::query("UPDATE loyalty_accounts SET balance = balance + $1 WHERE customer_id = $2")
            .bind(points)
            .bind(customer.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert_entry(
    tx: &mut Transaction<'static, Any>,
    customer: UserId,
    order_id: Option<OrderId>,
    kind: PointsKind,
    points: i64,
    key: &str,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO loyalty_points
             (id, customer_id, order_id, kind, points, idempotency_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(customer.to_string())
    .bind(order_id.map(|id| id.to_string()))
    .bind(kind.as_str())
    .bind(points)
    .bind(key)
    .bind(now_millis())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

fn entry_from(row: &AnyRow) -> Result<PointsEntry, StoreError> {
    Ok(PointsEntry {
        order_id: row
            .try_get::<Option<String>, _>("order_id")?
            .map(|id| parsed("loyalty_points.order_id", &id, str::parse))
            .transpose()?,
        kind: known(
            "loyalty_points.kind",
            &row.try_get::<String, _>("kind")?,
            PointsKind::parse,
        )?,
        points: row.try_get("points")?,
        at: timestamp("loyalty_points.created_at", row.try_get("created_at")?)?,
    })
}
