//! The activities the order and shipment workflows call, as one struct that
//! holds its dependencies (the store, the payment providers, the carrier and
//! the notifier), as in Temporal's reference order app.
//!
//! Each activity is safe to run more than once: Temporal retries activities,
//! and a worker may crash after an effect but before reporting it. Stock moves
//! are idempotent per order in the store; money moves carry an idempotency key
//! derived from the order and the operation, honoured by the provider and by
//! the ledger's unique key; notifications carry a dedupe key per (order,
//! event, channel).
//!
//! Outcomes the workflow must branch on (a declined card, an undeliverable
//! address, no stock) are ordinary return values, not errors: errors are kept
//! for what a retry may fix.

mod io;

use std::sync::Arc;

use chrono::Utc;
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::carriers::{BookingRequest, Carrier, CarrierError};
use crate::notifications::Notifier;
use crate::payments::{PaymentError, PaymentProviders, PaymentRequest};
use crate::store::{LedgerEntry, Store};

pub use io::{
    BookingOutcome, CartReminderRequest, NotifyInput, OpsAlertInput, PaymentOp, PaymentOutcome,
    PaymentStep, ReserveInput, ShipmentStatusInput,
};
use orderly_domain::{OrderId, ReceiptEntry};

pub struct OrderActivities {
    store: Store,
    payments: PaymentProviders,
    carrier: Arc<dyn Carrier>,
    notifier: Notifier,
}

impl OrderActivities {
    pub fn new(
        store: Store,
        payments: PaymentProviders,
        carrier: Arc<dyn Carrier>,
        notifier: Notifier,
    ) -> Self {
        Self {
            store,
            payments,
            carrier,
            notifier,
        }
    }
}

fn retryable(err: impl std::fmt::Display) -> ActivityError {
    ActivityError::from(anyhow::anyhow!("{err}"))
}

#[activities]
impl OrderActivities {
    /// Holds stock for every line of an order, all or nothing, and tells
    /// the sellers of SKUs that fell below their low-stock threshold.
    #[activity]
    pub async fn reserve_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: ReserveInput,
    ) -> Result<crate::store::ReserveOutcome, ActivityError> {
        let lines: Vec<_> = input
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        let outcome = self
            .store
            .reserve(input.order_id, &lines)
            .await
            .map_err(retryable)?;
        if outcome == crate::store::ReserveOutcome::Reserved {
            // Held stock may have taken SKUs below their threshold; each
            // crossing is told to its seller once, retries included.
            let skus: Vec<_> = lines.into_iter().map(|(sku, _)| sku).collect();
            let alerts = self
                .store
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

    /// Gives held stock back (cancellation, failed payment).
    #[activity]
    pub async fn release_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .release_reservation(order_id)
            .await
            .map(|_| ())
            .map_err(retryable)
    }

    /// Turns held stock into stock that has left the shelf.
    #[activity]
    pub async fn commit_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .commit_reservation(order_id)
            .await
            .map(|_| ())
            .map_err(retryable)
    }

    /// Puts stock that left the shelf back (a parcel returned by the carrier).
    #[activity]
    pub async fn restock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .restock_reservation(order_id)
            .await
            .map(|_| ())
            .map_err(retryable)
    }

    /// Writes the read model; the store keeps only the highest version, so a
    /// retried or replayed write never moves an order backwards.
    #[activity]
    pub async fn record_order(
        self: Arc<Self>,
        _ctx: ActivityContext,
        view: orderly_domain::OrderView,
    ) -> Result<(), ActivityError> {
        self.store.upsert_order(&view).await.map_err(retryable)
    }

    /// Moves money through the provider for the order's payment method and
    /// records it in the ledger under the same idempotency key.
    #[activity]
    pub async fn move_money(
        self: Arc<Self>,
        _ctx: ActivityContext,
        step: PaymentStep,
    ) -> Result<PaymentOutcome, ActivityError> {
        let key = step.idempotency_key();
        let provider = self.payments.for_method(step.details.method());
        let request = PaymentRequest {
            order_id: step.order_id,
            amount: step.amount,
            details: step.details.clone(),
            idempotency_key: key.clone(),
        };
        let answer = match step.op {
            PaymentOp::Charge => provider.charge(&request).await,
            PaymentOp::Authorize => provider.authorize(&request).await,
            PaymentOp::Capture => provider.capture(&request).await,
            PaymentOp::Initiate => provider.initiate(&request).await,
            PaymentOp::Void => provider.void(&request).await,
            PaymentOp::Refund => provider.refund(&request).await,
        };
        let receipt = match answer {
            Ok(receipt) => receipt,
            Err(PaymentError::Declined(reason)) => return Ok(PaymentOutcome::Declined { reason }),
            Err(PaymentError::Unsupported(reason)) => {
                return Ok(PaymentOutcome::Declined { reason });
            }
            Err(PaymentError::Transient(reason)) => return Err(retryable(reason)),
        };
        let Some(kind) = step.op.ledger_kind() else {
            return Ok(PaymentOutcome::Pending {
                reference: receipt.reference,
            });
        };
        let entry = self
            .store
            .record_ledger_entry(&LedgerEntry {
                order_id: step.order_id,
                kind,
                amount: receipt.amount,
                provider: provider.name().to_owned(),
                reference: receipt.reference,
                idempotency_key: key,
                at: Utc::now(),
            })
            .await
            .map_err(retryable)?;
        Ok(PaymentOutcome::Done(ReceiptEntry {
            kind: entry.kind,
            amount: entry.amount,
            reference: entry.reference,
            at: entry.at,
        }))
    }

    /// Books the parcel with the carrier; idempotent per order.
    #[activity]
    pub async fn book_shipment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: BookingRequest,
    ) -> Result<BookingOutcome, ActivityError> {
        match self.carrier.book(&request).await {
            Ok(shipment) => Ok(BookingOutcome::Booked(shipment)),
            Err(CarrierError::Rejected(reason)) => Ok(BookingOutcome::Rejected { reason }),
            Err(CarrierError::Transient(reason)) => Err(retryable(reason)),
        }
    }

    /// Records the shipment status the shipment workflow accepted, which is
    /// also where the carrier simulator reads its progress from.
    #[activity]
    pub async fn record_shipment_status(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: ShipmentStatusInput,
    ) -> Result<(), ActivityError> {
        self.store
            .set_shipment_status(input.tracking_id, input.status)
            .await
            .map_err(retryable)
    }

    /// Tells the customer, in-app always and on every other channel they
    /// chose that is configured and can reach them.
    #[activity]
    pub async fn notify(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: NotifyInput,
    ) -> Result<(), ActivityError> {
        match self
            .notifier
            .notify(input.kind, &input.order, &input.recipient)
            .await
        {
            Ok(()) => Ok(()),
            Err(err) if err.is_retryable() => Err(retryable(err)),
            // A refused recipient or a broken setting: retrying cannot help.
            Err(err) => Err(ActivityError::application(
                ApplicationFailure::non_retryable(err.to_string()),
            )),
        }
    }

    /// Reminds a shopper of the cart they left, once per version of it.
    /// Returns whether a reminder went out: none does for a cart that has
    /// been checked out, emptied or changed since the workflow's last touch
    /// (a touch on its way will start the wait again).
    #[activity]
    pub async fn remind_cart(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: CartReminderRequest,
    ) -> Result<bool, ActivityError> {
        let Some(cart) = self.store.cart(request.cart_id).await.map_err(retryable)? else {
            return Ok(false);
        };
        let current = cart.status == orderly_domain::CartStatus::Active
            && cart.version == request.version
            && !cart.items.is_empty();
        if !current {
            return Ok(false);
        }
        let Some(user) = self
            .store
            .user_by_id(request.user_id)
            .await
            .map_err(retryable)?
        else {
            return Ok(false);
        };
        let recipient = crate::notifications::Recipient {
            user_id: user.id,
            name: user.name,
            email: user.email,
        };
        match self.notifier.remind_cart(&cart, &recipient).await {
            Ok(()) => {}
            Err(err) if err.is_retryable() => return Err(retryable(err)),
            Err(err) => {
                return Err(ActivityError::application(
                    ApplicationFailure::non_retryable(err.to_string()),
                ));
            }
        }
        self.store
            .mark_cart_reminded(cart.id, cart.version)
            .await
            .map_err(retryable)?;
        Ok(true)
    }

    /// Raises an alert for operators, once per dedupe key.
    #[activity]
    pub async fn alert_ops(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: OpsAlertInput,
    ) -> Result<(), ActivityError> {
        tracing::warn!(order_id = %input.order_id, kind = %input.kind, detail = %input.detail, "ops alert");
        self.store
            .insert_ops_alert(
                input.order_id,
                &input.kind,
                &input.detail,
                &input.dedupe_key,
            )
            .await
            .map(|_| ())
            .map_err(retryable)
    }
}
