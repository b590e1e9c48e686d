//! Activities that record what the workflows decided: the orders read
//! model and alerts for operators.

use std::sync::Arc;

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use orderly_domain::{DEFAULT_POINTS_PER_100, OrderView};
use orderly_store::Store;
use orderly_workflows::contract::OpsAlertInput;
use orderly_workflows::contract::definitions::{AlertOps, RecordOrder};

use crate::retryable;

pub struct RecordActivities {
    store: Store,
    /// Loyalty points a received order earns per ₹100 paid.
    pub(crate) points_per_100: u32,
}

impl RecordActivities {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            points_per_100: DEFAULT_POINTS_PER_100,
        }
    }
}

#[activities]
impl RecordActivities {
    /// The store keeps only the highest version, so a retried or replayed
    /// write never moves an order backwards. A received order's loyalty
    /// points follow what was paid for it, and a cancelled one gives back
    /// the points spent on it.
    #[activity(definition = RecordOrder)]
    pub async fn record_order(
        self: Arc<Self>,
        _ctx: ActivityContext,
        view: OrderView,
    ) -> Result<(), ActivityError> {
        self.store
            .orders()
            .upsert_order(&view)
            .await
            .map_err(retryable)?;
        self.store
            .loyalty()
            .settle_order(&view, self.points_per_100)
            .await
            .map_err(retryable)
    }

    #[activity(definition = AlertOps)]
    pub async fn alert_ops(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: OpsAlertInput,
    ) -> Result<(), ActivityError> {
        tracing::warn!(order_id = %input.order_id, kind = %input.kind, detail = %input.detail, "ops alert");
        self.store
            .ops_alerts()
            .insert_ops_alert(
                input.order_id,
                &input.kind,
                &input.detail,
                &input.dedupe_key,
            )
            .await
            .map(drop)
            .map_err(retryable)
    }
}
