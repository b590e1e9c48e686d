//! The address book: a customer's saved delivery addresses, one of them the
//! default.
//!
//! Whenever a customer has addresses, exactly one is the default: the first
//! one saved becomes it, choosing another moves the mark, and deleting the
//! default hands it to the newest remaining address. Every change that
//! touches the mark runs in one transaction, and a partial unique index
//! refuses a second default should anything else try.

use chrono::{DateTime, Utc};
use orderly_domain::{Address, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use super::Accounts;
use crate::StoreError;
use crate::columns::{now_millis, parsed, timestamp};

/// How many addresses one customer may keep.
pub const MAX_ADDRESSES: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAddress {
    pub id: Uuid,
    pub user_id: UserId,
    /// The customer's name for it, e.g. "Home".
    pub label: Option<String>,
    pub address: Address,
    pub is_default: bool,
    /// Incremented by every edit; an edit names the version it started from.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddress {
    pub label: Option<String>,
    pub address: Address,
    /// Make it the default even if another address is.
    pub make_default: bool,
    /// The client's `Idempotency-Key` and the hash of its request.
    pub idempotency: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressCreation {
    Created(SavedAddress),
    /// An earlier request with the same idempotency key created this one.
    Existing {
        request_hash: String,
        address: SavedAddress,
    },
}

const COLUMNS: &str = "id, user_id, label, name, line1, line2, city, postal_code, country, \
                       is_default, version, created_at, updated_at";

impl Accounts {
    /// Saves an address. The customer's first address becomes the default.
    /// `Conflict` when the book is full.
    pub async fn insert_address(
        &self,
        user_id: UserId,
        new: &NewAddress,
    ) -> Result<AddressCreation, StoreError> {
        let user = user_id.to_string();
        let mut tx = self.db.begin_write().await?;
        if let Some((key, _)) = &new.idempotency {
            let earlier = sqlx::query(&format!(
                "SELECT {COLUMNS}, request_hash FROM addresses
                 WHERE user_id = $1 AND idempotency_key = $2"
            ))
            .bind(&user)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = earlier {
                return Ok(AddressCreation::Existing {
                    request_hash: row
                        .try_get::<Option<String>, _>("request_hash")?
                        .unwrap_or_default(),
                    address: address_from(&row)?,
                });
            }
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM addresses WHERE user_id = $1")
            .bind(&user)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if count >= MAX_ADDRESSES {
            return Err(StoreError::Conflict(format!(
                "an address book holds at most {MAX_ADDRESSES} addresses; delete one first"
            )));
        }
        let is_default = new.make_default || count == 0;
        if is_default {
            clear_default(&mut tx, &user).await?;
        }
        let now = now_millis();
        let saved = SavedAddress {
            id: Uuid::now_v7(),
            user_id,
            label: new.label.clone(),
            address: new.address.clone(),
            is_default,
            version: 1,
            created_at: timestamp("created_at", now)?,
            updated_at: timestamp("updated_at", now)?,
        };
        let (key, hash) = new.idempotency.clone().unzip();
        sqlx::query(
            "INSERT INTO addresses
                 (id, user_id, label, name, line1, line2, city, postal_code, country,
                  is_default, version, idempotency_key, request_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $13, $13)",
        )
        .bind(saved.id.to_string())
        .bind(&user)
        .bind(saved.label.clone())
        .bind(&saved.address.name)
        .bind(&saved.address.line1)
        .bind(saved.address.line2.clone())
        .bind(&saved.address.city)
        .bind(&saved.address.postal_code)
        .bind(&saved.address.country)
        .bind(i64::from(is_default))
        .bind(key)
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(AddressCreation::Created(saved))
    }

    /// One page of the customer's addresses in the order they were saved.
    pub async fn addresses_for_user(
        &self,
        user_id: UserId,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<SavedAddress>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM addresses
             WHERE user_id = $1 AND id > $2
             ORDER BY id LIMIT $3"
        ))
        .bind(user_id.to_string())
        // Every id sorts after the empty string: the first page.
        .bind(after.map(|id| id.to_string()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(address_from).collect()
    }

    /// The customer's saved address `id`; `None` also when it belongs to
    /// someone else.
    pub async fn saved_address(
        &self,
        user_id: UserId,
        id: Uuid,
    ) -> Result<Option<SavedAddress>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM addresses WHERE user_id = $1 AND id = $2"
        ))
        .bind(user_id.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(address_from).transpose()
    }

    /// Where to deliver when a customer picks saved address `address_id`
    /// (checkout); `None` when it is not theirs.
    pub async fn address_for_user(
        &self,
        user_id: UserId,
        address_id: Uuid,
    ) -> Result<Option<Address>, StoreError> {
        Ok(self
            .saved_address(user_id, address_id)
            .await?
            .map(|saved| saved.address))
    }

    /// Replaces the label and address of `edited.id`, provided it is still
    /// at `edited.version`. `NotFound` when it is not the customer's,
    /// `Conflict` when someone else changed it meanwhile.
    pub async fn update_address(&self, edited: &SavedAddress) -> Result<SavedAddress, StoreError> {
        let now = now_millis();
        let row = sqlx::query(&format!(
            "UPDATE addresses SET label = $1, name = $2, line1 = $3, line2 = $4, city = $5,
                 postal_code = $6, country = $7, version = version + 1, updated_at = $8
             WHERE user_id = $9 AND id = $10 AND version = $11
             RETURNING {COLUMNS}"
        ))
        .bind(edited.label.clone())
        .bind(&edited.address.name)
        .bind(&edited.address.line1)
        .bind(edited.address.line2.clone())
        .bind(&edited.address.city)
        .bind(&edited.address.postal_code)
        .bind(&edited.address.country)
        .bind(now)
        .bind(edited.user_id.to_string())
        .bind(edited.id.to_string())
        .bind(edited.version)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(row) => address_from(&row),
            None => match self.saved_address(edited.user_id, edited.id).await? {
                Some(_) => Err(StoreError::Conflict(
                    "the address changed while it was being edited; read it again".to_owned(),
                )),
                None => Err(StoreError::NotFound),
            },
        }
    }

    /// Deletes the customer's address `id`; `false` when there is none. If
    /// it was the default, the newest remaining address becomes the default.
    pub async fn delete_address(&self, user_id: UserId, id: Uuid) -> Result<bool, StoreError> {
        let user = user_id.to_string();
        let mut tx = self.db.begin_write().await?;
        let deleted = sqlx::query(
            "DELETE FROM addresses WHERE user_id = $1 AND id = $2 RETURNING is_default",
        )
        .bind(&user)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(deleted) = deleted else {
            return Ok(false);
        };
        if deleted.try_get::<i64, _>("is_default")? != 0 {
            sqlx::query(
                "UPDATE addresses SET is_default = 1
                 WHERE id = (SELECT id FROM addresses WHERE user_id = $1 ORDER BY id DESC LIMIT 1)",
            )
            .bind(&user)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Makes the customer's address `id` the default; `None` when there is
    /// no such address of theirs.
    pub async fn set_default_address(
        &self,
        user_id: UserId,
        id: Uuid,
    ) -> Result<Option<SavedAddress>, StoreError> {
        let user = user_id.to_string();
        let mut tx = self.db.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM addresses WHERE user_id = $1 AND id = $2")
            .bind(&user)
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Ok(None);
        }
        clear_default(&mut tx, &user).await?;
        let row = sqlx::query(&format!(
            "UPDATE addresses SET is_default = 1, updated_at = $1 WHERE id = $2
             RETURNING {COLUMNS}"
        ))
        .bind(now_millis())
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let saved = address_from(&row)?;
        tx.commit().await?;
        Ok(Some(saved))
    }
}

async fn clear_default(tx: &mut Transaction<'static, Any>, user: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE addresses SET is_default = 0 WHERE user_id = $1 AND is_default = 1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn address_from(row: &AnyRow) -> Result<SavedAddress, StoreError> {
    Ok(SavedAddress {
        id: parsed("addresses.id", &row.try_get::<String, _>("id")?, str::parse)?,
        user_id: parsed(
            "addresses.user_id",
            &row.try_get::<String, _>("user_id")?,
            str::parse,
        )?,
        label: row.try_get("label")?,
        address: Address {
            name: row.try_get("name")?,
            line1: row.try_get("line1")?,
            line2: row.try_get("line2")?,
            city: row.try_get("city")?,
            postal_code: row.try_get("postal_code")?,
            country: row.try_get("country")?,
        },
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        version: row.try_get("version")?,
        created_at: timestamp("addresses.created_at", row.try_get("created_at")?)?,
        updated_at: timestamp("addresses.updated_at", row.try_get("updated_at")?)?,
    })
}
