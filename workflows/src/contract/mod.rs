//! The durable contract: every value that crosses a workflow's boundary.
//!
//! Workflow inputs and results, the payloads of updates, signals and
//! queries, and the inputs and outputs of activities are all serialized
//! into Temporal history, and a running order replays that history against
//! whatever code is deployed. So these types are defined here, once, and
//! nowhere else: never a database row or a provider's type, which change
//! for their own reasons. Changing the serialized shape of anything here
//! (a renamed field, a new required field, a re-shaped enum) breaks the
//! replay of orders already running; the recorded histories under
//! `tests/histories/` prove it does not.
//!
//! The API, which starts and talks to the workflows, and the activities,
//! which implement [`OrderActivities`] and [`ExpirySweepActivities`], share
//! these types.

mod activities;
mod cart_reminder;
mod edits;
mod expiry_sweep;
mod names;
mod order;
mod returns;
mod shipment;

pub use activities::{
    BookedShipment, BookingOutcome, BookingRequest, CartReminderRequest, NotifyInput,
    OpsAlertInput, OrderActivities, ParcelStock, PaymentOp, PaymentOutcome, PaymentStep, Payout,
    Recipient, ReserveInput, ShipmentStatusInput, definitions,
};
pub use cart_reminder::{CartReminderInput, CartReminderOutcome};
pub use edits::{EditOutcome, OrderEdit, ReviseInput};
pub use expiry_sweep::{
    AlertsRaised, BatchPage, BatchRef, ExpirySweepActivities, ExpirySweepReport, HoldPage, HoldRef,
    HoldsMoved, WrittenOff, expiry_definitions, expiry_sweep_schedule_id, expiry_sweep_workflow_id,
};
pub use names::{
    CUSTOMER_ID_ATTRIBUTE, ORDER_STATUS_ATTRIBUTE, ORDER_TASK_QUEUE, SEARCH_ATTRIBUTES,
    cart_reminder_workflow_id, order_workflow_id, return_workflow_id, shipment_workflow_id,
};
pub use order::{
    Admission, CancelRequest, Customer, OrderOutcome, OrderTimings, PaymentConfirmation,
    PayoutRecord, PlaceOrder, RefundOutcome, RefundRequest,
};
pub use orderly_domain::{Allocation, ReserveOutcome, Shortage, StockSource};
pub use returns::{
    BookedPickup, ExchangeRequest, PickupOutcome, ReturnDecision, ReturnInput, ReturnInspection,
    ReturnMove, ReturnPickupRequest, ReturnProgress, ReturnRequest, ReturnReview, ReturnedGoods,
    ReturnedStock,
};
pub use shipment::{
    DEFAULT_SHIPMENT_HISTORY_LIMIT, ShipmentInput, ShipmentProgress, ShipmentResume,
};
