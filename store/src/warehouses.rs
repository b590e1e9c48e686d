//! Warehouses: where stock is kept, whether customers may collect orders
//! there, and whether it can keep produce cold. A warehouse is never
//! deleted (its batches and movements name it); it is deactivated, and an
//! inactive warehouse's stock is not reserved.

use chrono::{DateTime, Utc};
use orderly_domain::{Address, WarehouseId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;
use crate::columns::{now_millis, parsed, timestamp};
use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Warehouses {
    pub(crate) db: Db,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warehouse {
    pub id: WarehouseId,
    pub name: String,
    pub address: Address,
    pub serves_pickup: bool,
    pub cold_storage: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// What a warehouse is set up with, or changed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseSetup {
    pub name: String,
    pub address: Address,
    pub serves_pickup: bool,
    pub cold_storage: bool,
    pub active: bool,
}

const COLUMNS: &str = "id, name, address, serves_pickup, cold_storage, active, created_at";

impl Warehouses {
    /// Opens a warehouse. `Conflict` when another has the same name.
    pub async fn create(&self, setup: &WarehouseSetup) -> Result<Warehouse, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO warehouses ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
        ))
        .bind(WarehouseId::new().to_string())
        .bind(&setup.name)
        .bind(address_json(&setup.address)?)
        .bind(i64::from(setup.serves_pickup))
        .bind(i64::from(setup.cold_storage))
        .bind(i64::from(setup.active))
        .bind(now_millis())
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(row) => warehouse_from(&row),
            None => Err(name_taken(&setup.name)),
        }
    }

    /// Replaces a warehouse's set-up. `NotFound` for an unknown id,
    /// `Conflict` when another warehouse has the new name.
    pub async fn update(
        &self,
        id: WarehouseId,
        setup: &WarehouseSetup,
    ) -> Result<Warehouse, StoreError> {
        let taken = sqlx::query("SELECT id FROM warehouses WHERE name = $1 AND id <> $2")
            .bind(&setup.name)
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        if taken.is_some() {
            return Err(name_taken(&setup.name));
        }
        let row = sqlx::query(&format!(
            "UPDATE warehouses SET name = $1, address = $2, serves_pickup = $3,
                 cold_storage = $4, active = $5
             WHERE id = $6 RETURNING {COLUMNS}"
        ))
        .bind(&setup.name)
        .bind(address_json(&setup.address)?)
        .bind(i64::from(setup.serves_pickup))
        .bind(i64::from(setup.cold_storage))
        .bind(i64::from(setup.active))
        .bind(id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref()
            .map(warehouse_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    pub async fn get(&self, id: WarehouseId) -> Result<Option<Warehouse>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM warehouses WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref().map(warehouse_from).transpose()
    }

    /// Every warehouse by name; only the active ones unless `with_inactive`.
    pub async fn list(&self, with_inactive: bool) -> Result<Vec<Warehouse>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM warehouses WHERE active = 1 OR $1 = 1 ORDER BY name"
        ))
        .bind(i64::from(with_inactive))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(warehouse_from).collect()
    }
}

fn name_taken(name: &str) -> StoreError {
    StoreError::Conflict(format!("a warehouse named {name:?} exists already"))
}

fn address_json(address: &Address) -> Result<String, StoreError> {
    serde_json::to_string(address).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn warehouse_from(row: &AnyRow) -> Result<Warehouse, StoreError> {
    Ok(Warehouse {
        id: parsed(
            "warehouses.id",
            &row.try_get::<String, _>("id")?,
            str::parse,
        )?,
        name: row.try_get("name")?,
        address: parsed(
            "warehouses.address",
            &row.try_get::<String, _>("address")?,
            |raw| serde_json::from_str::<Address>(raw),
        )?,
        serves_pickup: row.try_get::<i64, _>("serves_pickup")? != 0,
        cold_storage: row.try_get::<i64, _>("cold_storage")? != 0,
        active: row.try_get::<i64, _>("active")? != 0,
        created_at: timestamp("warehouses.created_at", row.try_get("created_at")?)?,
    })
}
