//! Shipping activities: booking the parcel (or a return's pickup) with the
//! carrier and recording the status the shipment (or return) workflow
//! accepted.

use std::sync::Arc;

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use orderly_providers::carriers::{self, Carrier, CarrierError};
use orderly_store::Store;
use orderly_workflows::contract::definitions::{
    BookReturnPickup, BookShipment, CancelParcel, RecordPickupStatus, RecordShipmentStatus,
};
use orderly_workflows::contract::{
    BookedPickup, BookedShipment, BookingOutcome, BookingRequest, PickupOutcome,
    ReturnPickupRequest, ShipmentStatusInput,
};

use crate::retryable;

pub struct ShippingActivities {
    store: Store,
    carrier: Arc<dyn Carrier>,
}

impl ShippingActivities {
    pub fn new(store: Store, carrier: Arc<dyn Carrier>) -> Self {
        Self { store, carrier }
    }
}

#[activities]
impl ShippingActivities {
    #[activity(definition = BookShipment)]
    pub async fn book_shipment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: BookingRequest,
    ) -> Result<BookingOutcome, ActivityError> {
        let request = carriers::BookingRequest {
            order_id: request.order_id,
            shipment_number: request.shipment_number,
            warehouse_id: request.warehouse_id,
            address: request.address,
            idempotency_key: request.idempotency_key,
        };
        match self.carrier.book(&request).await {
            Ok(shipment) => Ok(BookingOutcome::Booked(BookedShipment {
                tracking_id: shipment.tracking_id,
                order_id: shipment.order_id,
                carrier: shipment.carrier,
                status: shipment.status,
            })),
            Err(CarrierError::Rejected(reason)) => Ok(BookingOutcome::Rejected { reason }),
            Err(CarrierError::Transient(reason)) => Err(retryable(reason)),
        }
    }

    #[activity(definition = CancelParcel)]
    pub async fn cancel_parcel(
        self: Arc<Self>,
        _ctx: ActivityContext,
        parcel: BookedShipment,
    ) -> Result<(), ActivityError> {
        match self.carrier.cancel(parcel.tracking_id).await {
            Ok(()) => Ok(()),
            // Already out of the carrier's hands to call off: the parcel
            // comes back as a return, which the shipment reports.
            Err(CarrierError::Rejected(reason)) => {
                tracing::warn!(tracking_id = %parcel.tracking_id, %reason, "the carrier would not call off the parcel");
                Ok(())
            }
            Err(CarrierError::Transient(reason)) => Err(retryable(reason)),
        }
    }

    /// Also where the carrier simulator reads a parcel's progress from.
    #[activity(definition = RecordShipmentStatus)]
    pub async fn record_shipment_status(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: ShipmentStatusInput,
    ) -> Result<(), ActivityError> {
        self.store
            .orders()
            .set_shipment_status(input.tracking_id, input.status)
            .await
            .map_err(retryable)
    }

    #[activity(definition = BookReturnPickup)]
    pub async fn book_return_pickup(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: ReturnPickupRequest,
    ) -> Result<PickupOutcome, ActivityError> {
        let request = carriers::PickupRequest {
            order_id: request.order_id,
            return_number: request.number,
            warehouse_id: request.warehouse_id,
            address: request.address,
            idempotency_key: request.idempotency_key,
        };
        match self.carrier.book_return(&request).await {
            Ok(pickup) => Ok(PickupOutcome::Booked(BookedPickup {
                tracking_id: pickup.tracking_id,
                carrier: pickup.carrier,
            })),
            Err(CarrierError::Rejected(reason)) => Ok(PickupOutcome::Rejected { reason }),
            Err(CarrierError::Transient(reason)) => Err(retryable(reason)),
        }
    }

    #[activity(definition = RecordPickupStatus)]
    pub async fn record_pickup_status(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: ShipmentStatusInput,
    ) -> Result<(), ActivityError> {
        self.store
            .orders()
            .set_return_pickup_status(input.tracking_id, input.status)
            .await
            .map_err(retryable)
    }
}
