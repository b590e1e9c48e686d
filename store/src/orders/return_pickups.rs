//! Carrier pickups that bring returned goods back, one per return. The
//! carrier webhook finds a pickup by its tracking id when it is not a
//! shipment's, and the return workflow writes the status it accepted.

use orderly_domain::{OrderId, ShipmentStatus, TrackingId, WarehouseId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Orders;
use crate::StoreError;
use crate::columns::{known, now_millis, parsed};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnPickupRecord {
    pub tracking_id: TrackingId,
    pub order_id: OrderId,
    pub return_number: u32,
    pub carrier: String,
    pub status: ShipmentStatus,
    /// The warehouse the goods go back to, when known.
    pub warehouse_id: Option<WarehouseId>,
}

/// One return pickup to book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickupBooking {
    pub order_id: OrderId,
    pub return_number: u32,
    pub warehouse_id: Option<WarehouseId>,
}

const COLUMNS: &str = "tracking_id, order_id, return_number, carrier, status, warehouse_id";

impl Orders {
    /// Books the pickup of a return, or returns the one it already has
    /// (then `tracking_id` is discarded), so a retried booking never sends
    /// two couriers.
    pub async fn book_return_pickup(
        &self,
        pickup: PickupBooking,
        carrier: &str,
        tracking_id: TrackingId,
    ) -> Result<ReturnPickupRecord, StoreError> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO return_pickups (tracking_id, order_id, return_number, carrier, status,
                                         warehouse_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             ON CONFLICT (order_id, return_number) DO NOTHING",
        )
        .bind(tracking_id.to_string())
        .bind(pickup.order_id.to_string())
        .bind(i64::from(pickup.return_number))
        .bind(carrier)
        .bind(ShipmentStatus::Booked.as_str())
        .bind(pickup.warehouse_id.map(|w| w.to_string()))
        .bind(now)
        .execute(&self.db.pool)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM return_pickups WHERE order_id = $1 AND return_number = $2"
        ))
        .bind(pickup.order_id.to_string())
        .bind(i64::from(pickup.return_number))
        .fetch_one(&self.db.pool)
        .await?;
        pickup_from(&row)
    }

    /// Pickups of `carrier` still on their way to the warehouse, oldest
    /// first (the carrier simulator moves them on).
    pub async fn open_return_pickups(
        &self,
        carrier: &str,
    ) -> Result<Vec<ReturnPickupRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM return_pickups
             WHERE carrier = $1 AND status NOT IN ('delivered', 'returned')
             ORDER BY created_at, tracking_id"
        ))
        .bind(carrier)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(pickup_from).collect()
    }

    pub async fn return_pickup_by_tracking(
        &self,
        tracking_id: TrackingId,
    ) -> Result<Option<ReturnPickupRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM return_pickups WHERE tracking_id = $1"
        ))
        .bind(tracking_id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(pickup_from).transpose()
    }

    /// Stores the status as given (the return workflow decides whether a
    /// carrier event moves the pickup). `NotFound` for an unknown tracking id.
    pub async fn set_return_pickup_status(
        &self,
        tracking_id: TrackingId,
        status: ShipmentStatus,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE return_pickups SET status = $1, updated_at = $2 WHERE tracking_id = $3",
        )
        .bind(status.as_str())
        .bind(now_millis())
        .bind(tracking_id.to_string())
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

fn pickup_from(row: &AnyRow) -> Result<ReturnPickupRecord, StoreError> {
    Ok(ReturnPickupRecord {
        tracking_id: parsed(
            "return_pickups.tracking_id",
            &row.try_get::<String, _>("tracking_id")?,
            str::parse,
        )?,
        order_id: parsed(
            "return_pickups.order_id",
            &row.try_get::<String, _>("order_id")?,
            str::parse,
        )?,
        return_number: u32::try_from(row.try_get::<i64, _>("return_number")?)
            .map_err(|_| StoreError::Corrupt("return_pickups.return_number out of range".into()))?,
        carrier: row.try_get("carrier")?,
        status: known(
            "return_pickups.status",
            &row.try_get::<String, _>("status")?,
            ShipmentStatus::parse,
        )?,
        warehouse_id: row
            .try_get::<Option<String>, _>("warehouse_id")?
            .map(|raw| parsed("return_pickups.warehouse_id", &raw, str::parse))
            .transpose()?,
    })
}
