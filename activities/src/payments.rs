//! The payment activities: one money movement through the provider of the
//! order's payment method, recorded in the ledger before the provider is
//! asked and after it answered, under the same idempotency key; and the
//! reconciliation of movements whose answer was lost.

use std::sync::Arc;

use chrono::Utc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use orderly_domain::{LedgerKind, OrderId, ReceiptEntry};
use orderly_providers::payments::{PaymentError, PaymentProviders, PaymentRequest};
use orderly_store::{LedgerEntry, LedgerStatus, Store};
use orderly_workflows::contract::definitions::{MoveMoney, ReconcilePayments, RecordPayout};
use orderly_workflows::contract::{PaymentOp, PaymentOutcome, PaymentStep, Payout};

use crate::{final_failure, retryable};

/// The ledger's provider name for money paid back by hand.
const CASH_PAYOUT: &str = "cash-payout";

pub struct PaymentActivities {
    store: Store,
    payments: PaymentProviders,
}

impl PaymentActivities {
    pub fn new(store: Store, payments: PaymentProviders) -> Self {
        Self { store, payments }
    }
}

#[activities]
impl PaymentActivities {
    #[activity(definition = MoveMoney)]
    pub async fn move_money(
        self: Arc<Self>,
        _ctx: ActivityContext,
        step: PaymentStep,
    ) -> Result<PaymentOutcome, ActivityError> {
        let key = step.idempotency_key();
        let provider = self.payments.for_method(step.details.method());
        let ledger = self.store.ledger();
        // The intent is recorded first: if the provider takes the money and
        // its answer never arrives, the ledger still knows to ask for it.
        let intent = match step.op.ledger_kind() {
            Some(kind) => Some(
                ledger
                    .record_ledger_entry(&LedgerEntry {
                        order_id: step.order_id,
                        kind,
                        amount: step.amount,
                        provider: provider.name().to_owned(),
                        reference: String::new(),
                        idempotency_key: key.clone(),
                        at: Utc::now(),
                        status: LedgerStatus::Pending,
                    })
                    .await
                    .map_err(retryable)?,
            ),
            None => None,
        };
        match intent.as_ref().map(|entry| entry.status) {
            Some(LedgerStatus::Settled) => {
                return Ok(PaymentOutcome::Done(receipt_entry(intent.unwrap())));
            }
            Some(LedgerStatus::Failed) => {
                return Ok(PaymentOutcome::Declined {
                    reason: intent.map(|entry| entry.reference).unwrap_or_default(),
                });
            }
            Some(LedgerStatus::Pending) | None => {}
        }
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
            Err(PaymentError::Declined(reason) | PaymentError::Unsupported(reason)) => {
                if intent.is_some() {
                    ledger
                        .fail_ledger_entry(&key, &reason)
                        .await
                        .map_err(retryable)?;
                }
                return Ok(PaymentOutcome::Declined { reason });
            }
            Err(PaymentError::Transient(reason)) => return Err(retryable(reason)),
        };
        if intent.is_none() {
            return Ok(PaymentOutcome::Pending {
                reference: receipt.reference,
            });
        }
        let entry = ledger
            .settle_ledger_entry(&key, &receipt.reference, receipt.amount, Utc::now())
            .await
            .map_err(retryable)?;
        Ok(PaymentOutcome::Done(receipt_entry(entry)))
    }

    /// Records a refund staff paid back by hand: money that moved outside
    /// any provider, settled in the ledger as it is recorded.
    #[activity(definition = RecordPayout)]
    pub async fn record_payout(
        self: Arc<Self>,
        _ctx: ActivityContext,
        payout: Payout,
    ) -> Result<ReceiptEntry, ActivityError> {
        let entry = self
            .store
            .ledger()
            .record_ledger_entry(&LedgerEntry {
                order_id: payout.order_id,
                kind: LedgerKind::Refund,
                amount: payout.amount,
                provider: CASH_PAYOUT.to_owned(),
                reference: payout.reference,
                idempotency_key: payout.idempotency_key,
                at: Utc::now(),
                status: LedgerStatus::Settled,
            })
            .await
            .map_err(retryable)?;
        Ok(receipt_entry(entry))
    }

    /// For each of the order's movements still pending in the ledger, asks
    /// its provider by idempotency key: money the provider holds is
    /// settled in the ledger, and a movement the provider never made is
    /// marked failed. Returns every settled movement of the order, so the
    /// workflow also learns of one an attempt settled after the workflow
    /// had stopped waiting for it (an attempt that overran its timeout).
    #[activity(definition = ReconcilePayments)]
    pub async fn reconcile_payments(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<Vec<ReceiptEntry>, ActivityError> {
        let ledger = self.store.ledger();
        for pending in ledger
            .pending_for_order(order_id)
            .await
            .map_err(retryable)?
        {
            let Some(provider) = self.payments.named(&pending.provider) else {
                return Err(final_failure(format!(
                    "the ledger names provider {:?}, which this worker does not have",
                    pending.provider
                )));
            };
            let held = provider
                .lookup(pending.kind, &pending.idempotency_key)
                .await
                .map_err(retryable)?;
            match held {
                Some(receipt) => {
                    tracing::warn!(
                        %order_id,
                        kind = pending.kind.as_str(),
                        "a money movement whose answer was lost went through; recording it"
                    );
                    ledger
                        .settle_ledger_entry(
                            &pending.idempotency_key,
                            &receipt.reference,
                            receipt.amount,
                            Utc::now(),
                        )
                        .await
                        .map_err(retryable)?;
                }
                None => {
                    ledger
                        .fail_ledger_entry(
                            &pending.idempotency_key,
                            "the provider has no record of it",
                        )
                        .await
                        .map_err(retryable)?;
                }
            }
        }
        let settled = ledger
            .ledger_for_order(order_id)
            .await
            .map_err(retryable)?
            .into_iter()
            .filter(|entry| entry.status == LedgerStatus::Settled)
            .map(receipt_entry)
            .collect();
        Ok(settled)
    }
}

fn receipt_entry(entry: LedgerEntry) -> ReceiptEntry {
    ReceiptEntry {
        kind: entry.kind,
        amount: entry.amount,
        reference: entry.reference,
        at: entry.at,
    }
}
