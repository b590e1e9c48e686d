//! Coupons and their redemptions. A checkout redeems its cart's coupon for
//! the order it is placing in one transaction that takes a use from the
//! coupon's count only while uses are left (one conditional update: the row
//! lock on PostgreSQL, the write lock on SQLite), so concurrent checkouts
//! with the last use left place one order with it. A checkout that placed
//! nothing releases its redemption and the use comes back.

use orderly_domain::{Coupon, CouponCode, OrderId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;
use crate::columns::now_millis;
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Coupons {
    pub(crate) db: Db,
}

/// A coupon with how often it was redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRecord {
    pub coupon: Coupon,
    pub uses: i64,
}

/// What redeeming a coupon for an order came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// The order holds a use (also when it already did).
    Redeemed,
    /// No coupon has this code.
    Unknown,
    /// Every use is taken.
    UsedUp,
    /// The customer used it as often as one customer may.
    CustomerLimit,
}

impl Coupons {
    /// Stores a new coupon; `Conflict` when the code is taken.
    pub async fn create_coupon(&self, coupon: &Coupon) -> Result<CouponRecord, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO coupons (code, rules, total_uses, per_customer, uses, created_at)
             VALUES ($1, $2, $3, $4, 0, $5)
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(coupon.code.as_str())
        .bind(rules_json(coupon)?)
        .bind(coupon.total_uses.map(i64::from))
        .bind(coupon.per_customer.map(i64::from))
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "a coupon with the code {} exists already",
                coupon.code
            )));
        }
        Ok(CouponRecord {
            coupon: coupon.clone(),
            uses: 0,
        })
    }

    pub async fn coupon(&self, code: &CouponCode) -> Result<Option<CouponRecord>, StoreError> {
        let row = sqlx::query("SELECT rules, uses FROM coupons WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(record_from).transpose()
    }

    /// Every coupon, by code.
    pub async fn list_coupons(&self) -> Result<Vec<CouponRecord>, StoreError> {
        let rows = sqlx::query("SELECT rules, uses FROM coupons ORDER BY code")
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(record_from).collect()
    }

    /// Takes one use of `code` for `order_id`, placed by `customer`, unless
    /// its uses (overall or the customer's) are all taken. Idempotent per
    /// order.
    pub async fn redeem(
        &self,
        code: &CouponCode,
        order_id: OrderId,
        customer: UserId,
    ) -> Result<Redemption, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let held = sqlx::query(
            "SELECT code FROM coupon_redemptions WHERE order_id = $1 AND state = 'redeemed'",
        )
        .bind(order_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_some() {
            tx.rollback().await?;
            return Ok(Redemption::Redeemed);
        }
        let taken = sqlx::query(
            "UPDATE coupons SET uses = uses + 1
             WHERE code = $1 AND (total_uses IS NULL OR uses < total_uses)",
        )
        .bind(code.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            let exists = sqlx::query("SELECT code FROM coupons WHERE code = $1")
                .bind(code.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Ok(if exists.is_some() {
                Redemption::UsedUp
            } else {
                Redemption::Unknown
            });
        }
        let limit: Option<i64> = sqlx::query("SELECT per_customer FROM coupons WHERE code = $1")
            .bind(code.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get("per_customer")?;
        if let Some(limit) = limit {
            let used: i64 = sqlx::query(
                "SELECT COUNT(*) AS used FROM coupon_redemptions
                 WHERE code = $1 AND customer_id = $2 AND state = 'redeemed'",
            )
            .bind(code.as_str())
            .bind(customer.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get("used")?;
            if used >= limit {
                tx.rollback().await?;
                return Ok(Redemption::CustomerLimit);
            }
        }
        sqlx::query(
            "INSERT INTO coupon_redemptions (order_id, code, customer_id, state, created_at)
             VALUES ($1, $2, $3, 'redeemed', $4)
             ON CONFLICT (order_id) DO UPDATE SET
                 code = excluded.code, customer_id = excluded.customer_id,
                 state = 'redeemed', created_at = excluded.created_at",
        )
        .bind(order_id.to_string())
        .bind(code.as_str())
        .bind(customer.to_string())
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Redemption::Redeemed)
    }

    /// Gives back the use `order_id` held (its checkout placed nothing).
    /// Returns whether there was one; a repeat changes nothing.
    pub async fn release_redemption(&self, order_id: OrderId) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let row = sqlx::query(
            "SELECT code FROM coupon_redemptions WHERE order_id = $1 AND state = 'redeemed'",
        )
        .bind(order_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(false);
        };
        let code: String = row.try_get("code")?;
        sqlx::query("UPDATE coupon_redemptions SET state = 'released' WHERE order_id = $1")
            .bind(order_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE coupons SET uses = uses - 1 WHERE code = $1 AND uses > 0")
            .bind(&code)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn rules_json(coupon: &Coupon) -> Result<String, StoreError> {
    serde_json::to_string(coupon).map_err(|e| StoreError::Invalid(format!("coupon rules: {e}")))
}

fn record_from(row: &AnyRow) -> Result<CouponRecord, StoreError> {
    let rules: String = row.try_get("rules")?;
    let coupon = serde_json::from_str(&rules)
        .map_err(|e| StoreError::Corrupt(format!("coupons.rules: {e}")))?;
    Ok(CouponRecord {
        coupon,
        uses: row.try_get("uses")?,
    })
}
