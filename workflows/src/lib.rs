//! orderly's workflows: deterministic code only.
//!
//! An order's whole life is one [`OrderWorkflow`]; its parcel is a child
//! [`ShipmentWorkflow`], and each return of it a child [`ReturnWorkflow`]; a cart left alone gets a [`CartReminderWorkflow`];
//! perishable stock is swept by [`ExpirySweepWorkflow`] on a schedule.
//! Nothing here reads a clock, a random number generator, the network or
//! the database: time comes from `ctx.workflow_time()`, and every effect is
//! an activity declared in [`contract::OrderActivities`] (or
//! [`contract::ExpirySweepActivities`]) and implemented in
//! the `orderly-activities` crate. That is what lets Temporal replay an
//! order after a crash and land in exactly the same state. This crate
//! depends on the domain and the Temporal SDK only.
//!
//! [`contract`] holds every type that crosses a workflow's boundary.

mod cart_reminder;
pub mod contract;
mod expiry_sweep;
mod order;
mod returns;
mod shipment;

pub use cart_reminder::CartReminderWorkflow;
pub use contract::*;
pub use expiry_sweep::ExpirySweepWorkflow;
pub use order::OrderWorkflow;
pub use returns::ReturnWorkflow;
pub use shipment::ShipmentWorkflow;
