//! The built-in sandbox carrier: books shipments in orderly's own database
//! so orders can be shipped with no courier account.
//!
//! The test postal codes ([`crate::sandbox_values`]) are refused as
//! undeliverable, or fail transiently on every attempt, a carrier outage
//! that outlasts the workflow's retries; any other address is booked, for
//! a delivery or for the pickup of a return. The parcel's progress is then simulated by
//! [`super::CarrierSimulator`].

use async_trait::async_trait;
use orderly_domain::{Address, ShipmentStatus, TrackingId};

use super::{BookingRequest, Carrier, CarrierError, PickupRequest};
use orderly_store::{ParcelBooking, PickupBooking, ReturnPickupRecord, ShipmentRecord, Store};

use crate::sandbox_values::{POSTAL_CODE_OUTAGE, POSTAL_CODE_UNDELIVERABLE};

const NAME: &str = "sandbox";

pub struct SandboxCarrier {
    store: Store,
}

impl SandboxCarrier {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Carrier for SandboxCarrier {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn book(&self, req: &BookingRequest) -> Result<ShipmentRecord, CarrierError> {
        reachable(&req.address)?;
        // The store keeps one shipment per parcel, so a retried booking
        // gets the first tracking id back and the fresh one is discarded.
        let parcel = ParcelBooking {
            order_id: req.order_id,
            shipment_number: req.shipment_number,
            warehouse_id: req.warehouse_id,
        };
        let shipment = self
            .store
            .orders()
            .book_shipment(parcel, NAME, TrackingId::new())
            .await
            .map_err(|e| CarrierError::Transient(format!("booking shipment: {e}")))?;
        tracing::info!(order_id = %req.order_id, tracking_id = %shipment.tracking_id, idempotency_key = %req.idempotency_key, "sandbox shipment booked");
        Ok(shipment)
    }

    async fn book_return(&self, req: &PickupRequest) -> Result<ReturnPickupRecord, CarrierError> {
        reachable(&req.address)?;
        let pickup = PickupBooking {
            order_id: req.order_id,
            return_number: req.return_number,
            warehouse_id: req.warehouse_id,
        };
        let booked = self
            .store
            .orders()
            .book_return_pickup(pickup, NAME, TrackingId::new())
            .await
            .map_err(|e| CarrierError::Transient(format!("booking return pickup: {e}")))?;
        tracing::info!(order_id = %req.order_id, tracking_id = %booked.tracking_id, idempotency_key = %req.idempotency_key, "sandbox return pickup booked");
        Ok(booked)
    }

    async fn cancel(&self, tracking_id: TrackingId) -> Result<(), CarrierError> {
        let shipment = self
            .store
            .orders()
            .shipment_by_tracking(tracking_id)
            .await
            .map_err(|e| CarrierError::Transient(format!("reading shipment: {e}")))?
            .ok_or_else(|| CarrierError::Rejected(format!("no shipment {tracking_id}")))?;
        match shipment.status {
            // Nothing to undo: a second cancel is a success, not an error.
            ShipmentStatus::Returned => Ok(()),
            // "Returned" is the final state of a parcel that goes back to
            // the sender; it also takes the shipment off the simulator's
            // list of open shipments.
            ShipmentStatus::Booked => self
                .store
                .orders()
                .set_shipment_status(tracking_id, ShipmentStatus::Returned)
                .await
                .map_err(|e| CarrierError::Transient(format!("cancelling shipment: {e}"))),
            status => Err(CarrierError::Rejected(format!(
                "shipment {tracking_id} is already {}",
                status.as_str()
            ))),
        }
    }
}

/// The test postal codes: one the carrier refuses, one it never answers for.
fn reachable(address: &Address) -> Result<(), CarrierError> {
    match address.postal_code.trim() {
        POSTAL_CODE_UNDELIVERABLE => Err(CarrierError::Rejected("undeliverable address".into())),
        POSTAL_CODE_OUTAGE => Err(CarrierError::Transient(
            "sandbox carrier outage for this postal code".into(),
        )),
        _ => Ok(()),
    }
}
