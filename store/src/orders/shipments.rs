//! Shipments booked with carriers, one per parcel of an order. The carrier simulator
//! reads the stored status to decide which event to send next, and the
//! shipment workflow writes the status it accepted.

use orderly_domain::{OrderId, ShipmentStatus, TrackingId, WarehouseId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Orders;
use crate::StoreError;
use crate::columns::{known, now_millis, parsed};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRecord {
    pub tracking_id: TrackingId,
    pub order_id: OrderId,
    pub carrier: String,
    pub status: ShipmentStatus,
    /// Which parcel of the order: 1, 2, …, or 0 for the only parcel of an
    /// order placed before orders were split.
    pub shipment_number: u32,
    /// The warehouse it leaves from, when known.
    pub warehouse_id: Option<WarehouseId>,
}

/// One parcel of an order to book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParcelBooking {
    pub order_id: OrderId,
    pub shipment_number: u32,
    pub warehouse_id: Option<WarehouseId>,
}

const COLUMNS: &str = "tracking_id, order_id, carrier, status, shipment_number, warehouse_id";

impl Orders {
    /// Books a parcel of an order, or returns the shipment it already has
    /// (then `tracking_id` is discarded), so a retried booking never ships
    /// twice.
    pub async fn book_shipment(
        &self,
        parcel: ParcelBooking,
        carrier: &str,
        tracking_id: TrackingId,
    ) -> Result<ShipmentRecord, StoreError> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO shipments (tracking_id, order_id, carrier, status, created_at, updated_at,
                                    shipment_number, warehouse_id)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
             ON CONFLICT (order_id, shipment_number) DO NOTHING",
        )
        .bind(tracking_id.to_string())
        .bind(parcel.order_id.to_string())
        .bind(carrier)
        .bind(ShipmentStatus::Booked.as_str())
        .bind(now)
        .bind(i64::from(parcel.shipment_number))
        .bind(parcel.warehouse_id.map(|w| w.to_string()))
        .execute(&self.db.pool)
        .await?;
        self.shipments_for_order(parcel.order_id)
            .await?
            .into_iter()
            .find(|s| s.shipment_number == parcel.shipment_number)
            .ok_or(StoreError::NotFound)
    }

    pub async fn shipment_by_tracking(
        &self,
        tracking_id: TrackingId,
    ) -> Result<Option<ShipmentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM shipments WHERE tracking_id = $1"
        ))
        .bind(tracking_id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(shipment_from).transpose()
    }

    /// An order's shipments, by number.
    pub async fn shipments_for_order(
        &self,
        order_id: OrderId,
    ) -> Result<Vec<ShipmentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM shipments WHERE order_id = $1 ORDER BY shipment_number"
        ))
        .bind(order_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(shipment_from).collect()
    }

    /// Stores the status as given; deciding whether a carrier event may
    /// move the shipment is the shipment workflow's job. `NotFound` for an
    /// unknown tracking id.
    pub async fn set_shipment_status(
        &self,
        tracking_id: TrackingId,
        status: ShipmentStatus,
    ) -> Result<(), StoreError> {
        let updated =
            sqlx::query("UPDATE shipments SET status = $1, updated_at = $2 WHERE tracking_id = $3")
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

    /// The carrier's shipments that are not delivered or returned yet,
    /// oldest first.
    pub async fn open_shipments(&self, carrier: &str) -> Result<Vec<ShipmentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM shipments
             WHERE carrier = $1 AND status NOT IN ('delivered', 'returned')
             ORDER BY created_at, tracking_id"
        ))
        .bind(carrier)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(shipment_from).collect()
    }
}

fn shipment_from(row: &AnyRow) -> Result<ShipmentRecord, StoreError> {
    Ok(ShipmentRecord {
        tracking_id: parsed(
            "shipments.tracking_id",
            &row.try_get::<String, _>("tracking_id")?,
            str::parse,
        )?,
        order_id: parsed(
            "shipments.order_id",
            &row.try_get::<String, _>("order_id")?,
            str::parse,
        )?,
        carrier: row.try_get("carrier")?,
        status: known(
            "shipments.status",
            &row.try_get::<String, _>("status")?,
            ShipmentStatus::parse,
        )?,
        shipment_number: u32::try_from(row.try_get::<i64, _>("shipment_number")?)
            .map_err(|_| StoreError::Corrupt("shipments.shipment_number out of range".into()))?,
        warehouse_id: row
            .try_get::<Option<String>, _>("warehouse_id")?
            .map(|raw| parsed("shipments.warehouse_id", &raw, str::parse))
            .transpose()?,
    })
}
