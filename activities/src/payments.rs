//! The payment activity: one money movement through the provider of the
//! order's payment method, recorded in the ledger under the same
//! idempotency key.

use std::sync::Arc;

use chrono::Utc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use orderly_domain::ReceiptEntry;
use orderly_providers::payments::{PaymentError, PaymentProviders, PaymentRequest};
use orderly_store::{LedgerEntry, Store};
use orderly_workflows::contract::definitions::MoveMoney;
use orderly_workflows::contract::{PaymentOp, PaymentOutcome, PaymentStep};

use crate::retryable;

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
            .ledger()
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
}
