//! No-op activities for `orderly bench`'s ceiling run: the same number of
//! activity executions as an order, with none of the work, so the benchmark
//! can tell what the Temporal server alone allows.

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct CeilingActivities;

#[activities]
impl CeilingActivities {
    #[activity]
    pub async fn noop(_ctx: ActivityContext, step: u32) -> Result<u32, ActivityError> {
        Ok(step)
    }
}
