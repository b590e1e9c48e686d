//! The Temporal activities of orderly's workflows, and nothing else.
//!
//! Each activity implements a declaration of
//! [`orderly_workflows::contract::OrderActivities`] or
//! [`orderly_workflows::contract::ExpirySweepActivities`]
//! (`#[activity(definition = ...)]`, so the compiler checks inputs and
//! outputs against the contract) and is thin: it maps the contract's types to calls into the
//! store, the providers and the notifier. The activities are grouped into
//! structs by the dependencies they hold, as in Temporal's reference order
//! app; [`Activities`] is all of them, ready to register on a worker.
//!
//! Each activity is safe to run more than once: Temporal retries
//! activities, and a worker may crash after an effect but before reporting
//! it. Stock moves are idempotent per order in the store; money moves carry
//! an idempotency key derived from the order and the operation, honoured by
//! the provider and by the ledger's unique key; notifications carry a
//! dedupe key per (order, event, channel); the expiry sweep's changes are
//! keyed by batch and order.
//!
//! Outcomes the workflow must branch on (a declined card, an undeliverable
//! address, no stock) are ordinary return values, not errors: errors are
//! kept for what a retry may fix.

mod expiry;
mod notifications;
mod payments;
mod records;
mod shipping;
mod stock;

use std::sync::Arc;
use std::time::Duration;

use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::WorkerOptions;
use temporalio_sdk::activities::ActivityError;

use orderly_domain::DEFAULT_EXPIRY_WARNING;
use orderly_notifications::Notifier;
use orderly_providers::carriers::Carrier;
use orderly_providers::payments::PaymentProviders;
use orderly_store::Store;

pub use expiry::ExpiryActivities;
pub use notifications::NotificationActivities;
pub use payments::PaymentActivities;
pub use records::RecordActivities;
pub use shipping::ShippingActivities;
pub use stock::{StockActivities, StockPolicy};

/// Every activity of the order, shipment, cart reminder and expiry sweep
/// workflows, with its dependencies.
pub struct Activities {
    stock: StockActivities,
    payments: PaymentActivities,
    shipping: ShippingActivities,
    records: RecordActivities,
    notifications: NotificationActivities,
    expiry: ExpiryActivities,
}

impl Activities {
    pub fn new(
        store: Store,
        payments: PaymentProviders,
        carrier: Arc<dyn Carrier>,
        notifier: Notifier,
        stock: StockPolicy,
    ) -> Self {
        let stock_freshness = stock.freshness;
        Self {
            stock: StockActivities::new(store.clone(), notifier.clone(), stock),
            payments: PaymentActivities::new(store.clone(), payments),
            shipping: ShippingActivities::new(store.clone(), carrier),
            records: RecordActivities::new(store.clone()),
            notifications: NotificationActivities::new(store.clone(), notifier.clone()),
            expiry: ExpiryActivities::new(store, notifier, stock_freshness, DEFAULT_EXPIRY_WARNING),
        }
    }

    /// Alerts batches `warning` before their end instead of the default
    /// three days (`ORDERLY_EXPIRY_WARNING`).
    pub fn with_expiry_warning(mut self, warning: Duration) -> Self {
        self.expiry.warning = warning;
        self
    }

    /// Gives received orders `points` loyalty points per ₹100 paid instead
    /// of the default (`ORDERLY_LOYALTY_POINTS_PER_100`).
    pub fn with_loyalty_rate(mut self, points: u32) -> Self {
        self.records.points_per_100 = points;
        self
    }

    /// Registers every activity on a worker's options.
    pub fn register(self, options: &mut WorkerOptions) {
        options
            .register_activities(self.stock)
            .register_activities(self.payments)
            .register_activities(self.shipping)
            .register_activities(self.records)
            .register_activities(self.notifications)
            .register_activities(self.expiry);
    }
}

/// A failure worth retrying: the database or a provider blinked.
fn retryable(err: impl std::fmt::Display) -> ActivityError {
    ActivityError::from(anyhow::anyhow!("{err}"))
}

/// A failure no retry can fix: Temporal records it and stops.
fn final_failure(err: impl std::fmt::Display) -> ActivityError {
    ActivityError::application(ApplicationFailure::non_retryable(err.to_string()))
}
