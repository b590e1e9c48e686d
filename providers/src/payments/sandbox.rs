//! The built-in sandbox payment gateway, so orderly runs end to end with no
//! account at a real provider.
//!
//! It behaves like a real gateway where that matters to the order
//! workflow: answers are final per idempotency key (persisted in the
//! `sandbox_payments` table, so a restarted worker retrying with the same
//! key gets the same outcome and reference and nothing is charged twice),
//! some failures are transient, and asynchronous methods answer later
//! through a signed webhook.
//!
//! The test instruments and their outcomes are in [`crate::sandbox_values`].
//!
//! Refunds succeed for every method. Reusing an idempotency key for a
//! different amount is declined, as real gateways refuse it.

use async_trait::async_trait;
use orderly_domain::{
    CardPayment, EventId, LedgerKind, Money, PaymentDetails, PaymentMethod, PaymentWebhook,
    PaymentWebhookStatus,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PaymentError, PaymentProvider, PaymentRequest, ProviderReceipt, WebhookTarget};
use orderly_store::Store;

use super::{CardBehaviour, SandboxVault};
use crate::sandbox_values::{BANK_FAILS, BANK_SUCCEEDS, FLAKY_ATTEMPTS, VPA_FAILS, VPA_SUCCEEDS};

/// Card payments: sales and refunds, of cards its vault tokenized.
pub struct SandboxCard {
    gateway: Gateway,
    vault: SandboxVault,
}

/// Cash on delivery: a promise at placement, collected by the courier.
pub struct SandboxCashOnDelivery {
    gateway: Gateway,
}

/// UPI and netbanking: collect requests answered by a later webhook.
pub struct SandboxCollect {
    gateway: Gateway,
    webhooks: Option<WebhookTarget>,
}

impl SandboxCard {
    pub fn new(store: Store) -> Self {
        Self {
            vault: SandboxVault::new(store.clone()),
            gateway: Gateway::new(store, "sandbox-card", PaymentMethod::Card),
        }
    }
}

impl SandboxCashOnDelivery {
    pub fn new(store: Store) -> Self {
        Self {
            gateway: Gateway::new(store, "sandbox-cod", PaymentMethod::Cod),
        }
    }
}

impl SandboxCollect {
    pub fn upi(store: Store, webhooks: Option<WebhookTarget>) -> Self {
        Self {
            gateway: Gateway::new(store, "sandbox-upi", PaymentMethod::Upi),
            webhooks,
        }
    }

    pub fn netbanking(store: Store, webhooks: Option<WebhookTarget>) -> Self {
        Self {
            gateway: Gateway::new(store, "sandbox-netbanking", PaymentMethod::Netbanking),
            webhooks,
        }
    }
}

#[async_trait]
impl PaymentProvider for SandboxCard {
    fn name(&self) -> &'static str {
        self.gateway.name
    }

    async fn charge(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        let behaviour = match &req.details {
            PaymentDetails::Card(CardPayment::Token(card)) => self
                .vault
                .behaviour(&card.token)
                .await
                .map_err(|e| PaymentError::Transient(e.to_string()))?
                .ok_or_else(|| {
                    PaymentError::Declined("the card token is not one this provider issued".into())
                })?,
            PaymentDetails::Card(CardPayment::Number { card_number }) => {
                CardBehaviour::of(card_number)
            }
            other => return Err(self.gateway.wrong_method(other)),
        };
        self.gateway
            .settle(Operation::Charge, req, |attempts| match behaviour {
                CardBehaviour::Decline => Decision::Decline("card declined by the issuer".into()),
                CardBehaviour::ShortCapture => Decision::ApproveLess,
                CardBehaviour::Flaky if attempts <= FLAKY_ATTEMPTS => {
                    Decision::Retry(format!("issuer unreachable (attempt {attempts})"))
                }
                _ => Decision::Approve,
            })
            .await
    }

    async fn authorize(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self
            .gateway
            .unsupported(Operation::Authorize, "cards are charged with charge"))
    }

    async fn capture(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self
            .gateway
            .unsupported(Operation::Capture, "cards are charged with charge"))
    }

    async fn initiate(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self
            .gateway
            .unsupported(Operation::Initiate, "cards are charged with charge"))
    }

    async fn void(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self
            .gateway
            .unsupported(Operation::Void, "a card sale is refunded, not voided"))
    }

    async fn refund(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.gateway.always(Operation::Refund, req).await
    }

    async fn lookup(
        &self,
        kind: LedgerKind,
        idempotency_key: &str,
    ) -> Result<Option<ProviderReceipt>, PaymentError> {
        match kind {
            LedgerKind::Capture => {
                self.gateway
                    .lookup(Operation::Charge, idempotency_key)
                    .await
            }
            LedgerKind::Refund => {
                self.gateway
                    .lookup(Operation::Refund, idempotency_key)
                    .await
            }
            LedgerKind::Authorize | LedgerKind::Void => Ok(None),
        }
    }
}

#[async_trait]
impl PaymentProvider for SandboxCashOnDelivery {
    fn name(&self) -> &'static str {
        self.gateway.name
    }

    async fn charge(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self.gateway.unsupported(
            Operation::Charge,
            "cash is authorized, then captured on delivery",
        ))
    }

    async fn authorize(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.gateway.always(Operation::Authorize, req).await
    }

    async fn capture(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.gateway.always(Operation::Capture, req).await
    }

    async fn initiate(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self.gateway.unsupported(
            Operation::Initiate,
            "cash is authorized, then captured on delivery",
        ))
    }

    async fn void(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.gateway.always(Operation::Void, req).await
    }

    async fn refund(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.gateway.always(Operation::Refund, req).await
    }

    async fn lookup(
        &self,
        kind: LedgerKind,
        idempotency_key: &str,
    ) -> Result<Option<ProviderReceipt>, PaymentError> {
        self.gateway
            .lookup(Operation::of(kind), idempotency_key)
            .await
    }
}

#[async_trait]
impl PaymentProvider for SandboxCollect {
    fn name(&self) -> &'static str {
        self.gateway.name
    }

    async fn charge(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self.gateway.unsupported(
            Operation::Charge,
            "collect requests are started with initiate",
        ))
    }

    async fn authorize(&self, _: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        Err(self.gateway.unsupported(
            Operation::Authorize,
            "collect requests are started with initiate",
        ))
    }

    /// Confirms the money of a collect request, as a merchant asks a real
    /// provider to confirm a payment its webhook announced before shipping
    /// anything: a mistaken `succeeded` webhook for a request the simulated
    /// customer refused does not become captured money. A request the
    /// simulator leaves pending is answered by whoever posts the signed
    /// webhook (a test, a developer), so its capture follows that answer.
    async fn capture(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        let refused = matches!(
            collect_verdict(&req.details),
            Some(PaymentWebhookStatus::Failed)
        );
        if refused && req.details.method() == self.gateway.method {
            return Err(PaymentError::Declined(format!(
                "{} has no approved collect request for order {}",
                self.gateway.name, req.order_id
            )));
        }
        self.gateway.always(Operation::Capture, req).await
    }

    async fn initiate(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        let verdict = collect_verdict(&req.details);
        let receipt = self.gateway.always(Operation::Initiate, req).await?;
        // Announced on every call, replays included: if the worker died
        // after the first call the webhook may never have left, and the
        // event id is derived from the reference so the receiver drops
        // the copies.
        if let (Some(status), Some(target)) = (verdict, &self.webhooks) {
            let event_id = EventId::parse(&format!("evt-{}", receipt.reference))
                .map_err(|e| PaymentError::Transient(format!("sandbox event id: {e}")))?;
            target.announce(PaymentWebhook {
                event_id,
                order_id: req.order_id,
                status,
            });
        }
        Ok(receipt)
    }

    async fn void(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.gateway.always(Operation::Void, req).await
    }

    async fn refund(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.gateway.always(Operation::Refund, req).await
    }

    async fn lookup(
        &self,
        kind: LedgerKind,
        idempotency_key: &str,
    ) -> Result<Option<ProviderReceipt>, PaymentError> {
        self.gateway
            .lookup(Operation::of(kind), idempotency_key)
            .await
    }
}

/// What the simulated customer will answer to a collect request, if
/// anything.
fn collect_verdict(details: &PaymentDetails) -> Option<PaymentWebhookStatus> {
    match details {
        PaymentDetails::Upi { vpa } => match vpa.as_str() {
            VPA_SUCCEEDS => Some(PaymentWebhookStatus::Succeeded),
            VPA_FAILS => Some(PaymentWebhookStatus::Failed),
            _ => None,
        },
        PaymentDetails::Netbanking { bank_code } => match bank_code.as_str() {
            BANK_SUCCEEDS => Some(PaymentWebhookStatus::Succeeded),
            BANK_FAILS => Some(PaymentWebhookStatus::Failed),
            _ => None,
        },
        PaymentDetails::Card(_) | PaymentDetails::Cod => None,
    }
}

#[derive(Debug, Clone, Copy)]
enum Operation {
    Charge,
    Authorize,
    Capture,
    Initiate,
    Void,
    Refund,
}

impl Operation {
    /// The operation that moves money of `kind` for cash and collect
    /// payments (cards capture with a charge).
    fn of(kind: LedgerKind) -> Self {
        match kind {
            LedgerKind::Authorize => Operation::Authorize,
            LedgerKind::Capture => Operation::Capture,
            LedgerKind::Void => Operation::Void,
            LedgerKind::Refund => Operation::Refund,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Operation::Charge => "charge",
            Operation::Authorize => "authorize",
            Operation::Capture => "capture",
            Operation::Initiate => "initiate",
            Operation::Void => "void",
            Operation::Refund => "refund",
        }
    }
}

/// What the simulated bank says to one attempt.
enum Decision {
    Approve,
    /// Approved for one minor unit less than asked.
    ApproveLess,
    Decline(String),
    /// Not an answer: nothing is stored, so the next attempt decides again.
    Retry(String),
}

/// A final answer as persisted in `sandbox_payments.outcome`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum Settled {
    Approved {
        reference: String,
        amount: Money,
        /// What was asked, when it differs from what was taken.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requested: Option<Money>,
    },
    Declined {
        reason: String,
        amount: Money,
    },
}

impl Settled {
    fn requested(&self) -> Money {
        match self {
            Settled::Approved {
                amount, requested, ..
            } => requested.unwrap_or(*amount),
            Settled::Declined { amount, .. } => *amount,
        }
    }
}

/// The persisted state machine shared by every sandbox provider.
struct Gateway {
    store: Store,
    name: &'static str,
    method: PaymentMethod,
}

impl Gateway {
    fn new(store: Store, name: &'static str, method: PaymentMethod) -> Self {
        Self {
            store,
            name,
            method,
        }
    }

    async fn always(
        &self,
        operation: Operation,
        req: &PaymentRequest,
    ) -> Result<ProviderReceipt, PaymentError> {
        if req.details.method() != self.method {
            return Err(self.wrong_method(&req.details));
        }
        self.settle(operation, req, |_| Decision::Approve).await
    }

    /// Returns the stored answer for the request's key, or asks `decide`
    /// (given the 1-based attempt number of this key) and stores its answer
    /// unless it is a retry.
    async fn settle(
        &self,
        operation: Operation,
        req: &PaymentRequest,
        decide: impl FnOnce(i64) -> Decision + Send,
    ) -> Result<ProviderReceipt, PaymentError> {
        if req.amount.amount <= 0 {
            return Err(PaymentError::Declined(format!(
                "amount must be positive, got {}",
                req.amount
            )));
        }
        // Namespaced so a caller that reused one key for two operations
        // gets two answers instead of the first operation's.
        let key = format!(
            "{}:{}:{}",
            self.name,
            operation.as_str(),
            req.idempotency_key
        );
        let attempt = self
            .store
            .sandbox()
            .sandbox_attempt(&key)
            .await
            .map_err(|e| PaymentError::Transient(format!("sandbox gateway state: {e}")))?;
        let stored = match attempt.outcome {
            Some(stored) => stored,
            None => {
                let settled = match decide(attempt.attempts) {
                    Decision::Retry(reason) => return Err(PaymentError::Transient(reason)),
                    Decision::Approve => Settled::Approved {
                        reference: self.reference(operation),
                        amount: req.amount,
                        requested: None,
                    },
                    Decision::ApproveLess => Settled::Approved {
                        reference: self.reference(operation),
                        amount: Money::new(req.amount.amount - 1, req.amount.currency),
                        requested: Some(req.amount),
                    },
                    Decision::Decline(reason) => Settled::Declined {
                        reason,
                        amount: req.amount,
                    },
                };
                let json = serde_json::to_string(&settled).map_err(|e| {
                    PaymentError::Transient(format!("encoding sandbox outcome: {e}"))
                })?;
                // A concurrent attempt may have settled first; its answer wins.
                self.store
                    .sandbox()
                    .sandbox_settle(&key, &json)
                    .await
                    .map_err(|e| PaymentError::Transient(format!("sandbox gateway state: {e}")))?
            }
        };
        let settled: Settled = serde_json::from_str(&stored).map_err(|e| {
            PaymentError::Transient(format!(
                "stored sandbox outcome for {key} is unreadable: {e}"
            ))
        })?;
        if settled.requested() != req.amount {
            return Err(PaymentError::Declined(format!(
                "idempotency key {} was already used for {}, not {}",
                req.idempotency_key,
                settled.requested(),
                req.amount
            )));
        }
        match settled {
            Settled::Approved {
                reference, amount, ..
            } => Ok(ProviderReceipt { reference, amount }),
            Settled::Declined { reason, .. } => Err(PaymentError::Declined(reason)),
        }
    }

    fn reference(&self, operation: Operation) -> String {
        format!("{}-{}-{}", self.name, operation.as_str(), Uuid::now_v7())
    }

    /// The settled answer to `operation` under `idempotency_key`, without
    /// counting an attempt.
    async fn lookup(
        &self,
        operation: Operation,
        idempotency_key: &str,
    ) -> Result<Option<ProviderReceipt>, PaymentError> {
        let key = format!("{}:{}:{idempotency_key}", self.name, operation.as_str());
        let stored = self
            .store
            .sandbox()
            .sandbox_outcome(&key)
            .await
            .map_err(|e| PaymentError::Transient(format!("sandbox gateway state: {e}")))?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let settled: Settled = serde_json::from_str(&stored).map_err(|e| {
            PaymentError::Transient(format!(
                "stored sandbox outcome for {key} is unreadable: {e}"
            ))
        })?;
        Ok(match settled {
            Settled::Approved {
                reference, amount, ..
            } => Some(ProviderReceipt { reference, amount }),
            Settled::Declined { .. } => None,
        })
    }

    fn unsupported(&self, operation: Operation, why: &str) -> PaymentError {
        PaymentError::Unsupported(format!(
            "{} has no {}: {why}",
            self.name,
            operation.as_str()
        ))
    }

    fn wrong_method(&self, details: &PaymentDetails) -> PaymentError {
        PaymentError::Unsupported(format!(
            "{} handles {} payments, not {}",
            self.name,
            self.method,
            details.method()
        ))
    }
}
