//! The bare ceiling `orderly bench` compares orders against: no-op
//! workflows with an order's messages and activities, and the worker that
//! hosts them. Benchmark tooling only: the product's workers never
//! register these.

mod activities;
mod worker;
mod workflows;

pub use activities::CeilingActivities;
pub use worker::CeilingWorker;
pub use workflows::{
    CARRIER_EVENTS, CeilingActivityKind, CeilingChildWorkflow, CeilingWorkflow, ceiling_child_id,
};
