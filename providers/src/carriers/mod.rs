//! Getting parcels to customers: the [`Carrier`] trait, the built-in
//! sandbox carrier and the [`CarrierSimulator`] that plays the sandbox
//! carrier's side of the conversation.
//!
//! Booking happens in an activity, so it is retried: a carrier must book at
//! most one shipment per parcel, and one pickup per return, however often
//! it is asked. What happens to
//! the parcel afterwards arrives as signed webhooks, never as return values,
//! because in reality it takes days.

mod sandbox;
mod simulator;

use async_trait::async_trait;
use orderly_domain::{Address, OrderId, TrackingId, WarehouseId};
use serde::{Deserialize, Serialize};

use orderly_store::{ReturnPickupRecord, ShipmentRecord};

pub use sandbox::SandboxCarrier;
pub use simulator::CarrierSimulator;

/// A request to collect an order's parcel and deliver it to `address`.
/// Serde data because the booking activity receives it from the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRequest {
    pub order_id: OrderId,
    /// Which parcel of the order (1, 2, …; 0 for an order from before
    /// orders were split): an order may ship as several.
    pub shipment_number: u32,
    /// The warehouse the parcel is collected from, when known.
    pub warehouse_id: Option<WarehouseId>,
    pub address: Address,
    /// Passed on to carriers whose API takes one; the sandbox carrier is
    /// idempotent per order instead.
    pub idempotency_key: String,
}

/// A request to collect the goods of a return from `address` and bring
/// them to the warehouse they left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupRequest {
    pub order_id: OrderId,
    /// Which return of the order (1, 2, …).
    pub return_number: u32,
    pub warehouse_id: Option<WarehouseId>,
    pub address: Address,
    /// Passed on to carriers whose API takes one; the sandbox carrier is
    /// idempotent per return instead.
    pub idempotency_key: String,
}

/// How a carrier call failed, which decides whether the workflow retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    /// Final: retrying gives the same answer.
    #[error("carrier refused: {0}")]
    Rejected(String),
    /// The carrier (or our database) could not answer now.
    #[error("carrier temporarily unavailable: {0}")]
    Transient(String),
}

#[async_trait]
pub trait Carrier: Send + Sync {
    /// The name stored with each shipment, e.g. `"sandbox"`.
    fn name(&self) -> &'static str;
    /// Books the order's shipment, or returns the one already booked.
    async fn book(&self, req: &BookingRequest) -> Result<ShipmentRecord, CarrierError>;
    /// Books the pickup of a return, or returns the one already booked.
    async fn book_return(&self, req: &PickupRequest) -> Result<ReturnPickupRecord, CarrierError>;
    /// Calls off a shipment that has not left the warehouse yet.
    async fn cancel(&self, tracking_id: TrackingId) -> Result<(), CarrierError>;
}
