//! The expiry sweep's contract: the report [`ExpirySweepWorkflow`] returns,
//! the activities it calls with their inputs and outputs, and the names of
//! its schedule and runs.
//!
//! Each activity handles one page of what it works through and names where
//! the next page starts, so one sweep over a large shop is a short
//! sequence of bounded steps; the activities' own keys (a row per alerted
//! batch, ledger keys per batch and order) make every step safe to repeat.
//!
//! [`ExpirySweepWorkflow`]: crate::ExpirySweepWorkflow

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use temporalio_macros::activity_definitions;
use temporalio_sdk::activities::ActivityError;

use orderly_domain::{BatchCode, OrderId, Sku, WarehouseId};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpirySweepReport {
    /// Batches whose seller and ops were told, for the first time, that
    /// they are about to spoil (or have).
    pub alerts_raised: u32,
    /// Expired batches whose free stock was written off.
    pub batches_written_off: u32,
    /// The units those write-offs took off the shelves.
    pub units_written_off: i64,
    /// Orders' holds moved off a batch that would spoil before the order
    /// arrives, onto fresher batches in the same warehouse.
    pub reservations_moved: u32,
    /// Holds that could not be moved (no fresher stock in that warehouse)
    /// and were reported to ops for the first time.
    pub reservations_alerted: u32,
}

/// Names one batch: stock of a SKU in a warehouse from one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRef {
    pub sku: Sku,
    pub warehouse_id: WarehouseId,
    pub batch_code: BatchCode,
}

/// Names the stock one order holds of one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldRef {
    pub order_id: OrderId,
    pub batch: BatchRef,
}

/// One page of batches to work through, as of the sweep's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPage {
    pub as_of: DateTime<Utc>,
    /// The last batch of the previous page; none for the first page.
    pub after: Option<BatchRef>,
}

/// One page of orders' holds to work through, as of the sweep's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldPage {
    pub as_of: DateTime<Utc>,
    /// The last hold of the previous page; none for the first page.
    pub after: Option<HoldRef>,
}

/// What one page of spoilage alerts came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertsRaised {
    pub raised: u32,
    /// Where the next page starts; none when this was the last.
    pub next: Option<BatchRef>,
}

/// What one page of write-offs came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenOff {
    pub batches: u32,
    pub units: i64,
    /// Where the next page starts; none when this was the last.
    pub next: Option<BatchRef>,
}

/// What one page of stale holds came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldsMoved {
    pub moved: u32,
    pub alerted: u32,
    /// Where the next page starts; none when this was the last.
    pub next: Option<HoldRef>,
}

/// The declarations of the expiry sweep's activities. Their type names
/// (`ExpirySweepActivities::alert_spoiling_batches`, …) are in every
/// recorded history, so they never change.
pub struct ExpirySweepActivities;

#[activity_definitions]
impl ExpirySweepActivities {
    /// Tells the seller and ops (in-app, by email and as an ops alert)
    /// about each batch of one page that ends within the warning period or
    /// has ended, once per batch ever.
    #[activity]
    pub async fn alert_spoiling_batches(page: BatchPage) -> Result<AlertsRaised, ActivityError> {
        unimplemented!()
    }

    /// Moves each hold of one page that sits on a batch ending before its
    /// order could arrive to fresher batches of the same SKU in the same
    /// warehouse, or reports it to ops once when there are none.
    #[activity]
    pub async fn move_stale_holds(page: HoldPage) -> Result<HoldsMoved, ActivityError> {
        unimplemented!()
    }

    /// Writes off, through the stock ledger, the free stock of each batch
    /// of one page that has ended.
    #[activity]
    pub async fn write_off_expired_batches(page: BatchPage) -> Result<WrittenOff, ActivityError> {
        unimplemented!()
    }
}

/// The marker types of the declarations above, which implementations name
/// in `#[activity(definition = ...)]`.
pub mod expiry_definitions {
    pub use super::expiry_sweep_activities::*;
}

/// The schedule that runs the sweep for the workers of `task_queue`: one
/// per task queue, so every deployment (and every test app) has its own.
pub fn expiry_sweep_schedule_id(task_queue: &str) -> String {
    format!("expiry-sweep-{task_queue}")
}

/// The id of a sweep run on demand; the schedule's runs are named by the
/// server after the schedule.
pub fn expiry_sweep_workflow_id(task_queue: &str, run: uuid::Uuid) -> String {
    format!("expiry-sweep-{task_queue}-{run}")
}
