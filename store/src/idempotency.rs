//! Idempotency keys of order placement: a client that retries a request
//! with the same key gets the order its first request created, not a second
//! one; the same key with a different request is the client's mistake.

use orderly_domain::{OrderId, UserId};
use sqlx::Row;

use crate::StoreError;
use crate::columns::{now_millis, parsed};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct IdempotencyKeys {
    pub(crate) db: Db,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is now this request's.
    Claimed,
    /// An earlier request holds the key.
    Existing {
        request_hash: String,
        order_id: OrderId,
    },
}

impl IdempotencyKeys {
    pub async fn claim_idempotency_key(
        &self,
        user_id: UserId,
        key: &str,
        request_hash: &str,
        order_id: OrderId,
    ) -> Result<IdempotencyClaim, StoreError> {
        let user = user_id.to_string();
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, order_id, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(&user)
        .bind(key)
        .bind(request_hash)
        .bind(order_id.to_string())
        .bind(now_millis())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(IdempotencyClaim::Claimed);
        }
        let row = sqlx::query(
            "SELECT request_hash, order_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(&user)
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await?
        // Only a concurrent `forget_idempotency_key` of the holder gets here.
        .ok_or_else(|| {
            StoreError::Conflict(format!("idempotency key {key:?} changed hands; retry"))
        })?;
        Ok(IdempotencyClaim::Existing {
            request_hash: row.try_get("request_hash")?,
            order_id: parsed(
                "idempotency_keys.order_id",
                &row.try_get::<String, _>("order_id")?,
                str::parse,
            )?,
        })
    }

    /// Frees a key whose request did not produce an order, so the client
    /// may retry with it.
    pub async fn forget_idempotency_key(
        &self,
        user_id: UserId,
        key: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2")
            .bind(user_id.to_string())
            .bind(key)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}
