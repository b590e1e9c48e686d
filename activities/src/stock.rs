//! Stock activities: holding, releasing, committing and restocking an
//! order's stock, and telling sellers when a reservation took a SKU below
//! its low-stock threshold.

use std::sync::Arc;

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use chrono::Utc;
use orderly_domain::{Freshness, OrderId, ReserveOutcome};
use orderly_notifications::Notifier;
use orderly_store::Store;
use orderly_workflows::contract::ReserveInput;
use orderly_workflows::contract::definitions::{CommitStock, ReleaseStock, ReserveStock, Restock};

use crate::retryable;

pub struct StockActivities {
    store: Store,
    notifier: Notifier,
    freshness: Freshness,
}

impl StockActivities {
    pub fn new(store: Store, notifier: Notifier, freshness: Freshness) -> Self {
        Self {
            store,
            notifier,
            freshness,
        }
    }
}

#[activities]
impl StockActivities {
    #[activity(definition = ReserveStock)]
    pub async fn reserve_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: ReserveInput,
    ) -> Result<ReserveOutcome, ActivityError> {
        let lines: Vec<_> = input
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        let outcome = self
            .store
            .inventory()
            .reserve(
                input.order_id,
                &lines,
                self.freshness.good_until(Utc::now()),
            )
            .await
            .map_err(retryable)?;
        if outcome == ReserveOutcome::Reserved {
            // Held stock may have taken SKUs below their threshold; each
            // crossing is told to its seller once, retries included.
            let skus: Vec<_> = lines.into_iter().map(|(sku, _)| sku).collect();
            let alerts = self
                .store
                .inventory()
                .low_stock_alerts(&skus)
                .await
                .map_err(retryable)?;
            for alert in &alerts {
                self.notifier
                    .notify_low_stock(alert)
                    .await
                    .map_err(retryable)?;
            }
        }
        Ok(outcome)
    }

    #[activity(definition = ReleaseStock)]
    pub async fn release_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .release_reservation(order_id)
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = CommitStock)]
    pub async fn commit_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .commit_reservation(order_id)
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = Restock)]
    pub async fn restock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .restock_reservation(order_id)
            .await
            .map(drop)
            .map_err(retryable)
    }
}
