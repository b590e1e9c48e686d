//! orderly's workflows: deterministic code only.
//!
//! An order's whole life is one [`OrderWorkflow`]; its parcel is a child
//! [`ShipmentWorkflow`]. Nothing here reads a clock, a random number
//! generator, the network or the database: time comes from
//! `ctx.workflow_time()`, and every effect is an activity from
//! `orderly_activities::order_activities`. That is what lets Temporal replay
//! an order after a crash and land in exactly the same state.

mod ceiling;
mod constants;
mod messages;
mod order;
mod shipment;

pub use ceiling::{
    CARRIER_EVENTS, CeilingActivityKind, CeilingChildWorkflow, CeilingWorkflow, ceiling_child_id,
};
pub use constants::{
    CUSTOMER_ID_ATTRIBUTE, ORDER_STATUS_ATTRIBUTE, ORDER_TASK_QUEUE, SEARCH_ATTRIBUTES,
    order_workflow_id, shipment_workflow_id,
};
pub use messages::{
    Admission, CancelRequest, Customer, OrderOutcome, OrderTimings, PaymentConfirmation,
    PlaceOrder, ShipmentInput, ShipmentProgress,
};
pub use order::OrderWorkflow;
pub use shipment::ShipmentWorkflow;

mod cart_reminder;
pub use cart_reminder::{
    CartReminderInput, CartReminderOutcome, CartReminderWorkflow, cart_reminder_workflow_id,
};
