//! Taking money: one [`PaymentProvider`] per payment method.
//!
//! Each method moves money differently (a card is charged at once, cash on
//! delivery is only a promise until the courier collects, UPI and
//! netbanking are confirmed later by a webhook), so the order workflow asks
//! [`PaymentProviders::for_method`] for the strategy of the order's method
//! and calls only the operations that method supports; the others answer
//! [`PaymentError::Unsupported`].
//!
//! Every request carries an idempotency key. Temporal retries activities,
//! and a retried capture must return the first capture's answer instead of
//! charging twice; providers (real ones and the sandbox) guarantee that per
//! key.
//!
//! The sandbox providers are documented in [`sandbox`]; their test values
//! are in [`crate::sandbox_values`].

pub mod sandbox;
mod vault;
mod webhook;

use std::sync::Arc;

use async_trait::async_trait;
use orderly_domain::{LedgerKind, Money, OrderId, PaymentDetails, PaymentMethod};

use orderly_store::Store;

pub use sandbox::{SandboxCard, SandboxCashOnDelivery, SandboxCollect};
pub use vault::{CardBehaviour, CardVault, SandboxVault, VaultError};
pub use webhook::WebhookTarget;

/// What a provider is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    pub order_id: OrderId,
    pub amount: Money,
    pub details: PaymentDetails,
    /// Unique per operation (e.g. `"{order}:capture"`): the provider returns
    /// the stored answer for a key it has seen.
    pub idempotency_key: String,
}

/// A provider's acknowledgement of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderReceipt {
    /// The provider's handle on this operation, shown on receipts.
    pub reference: String,
    pub amount: Money,
}

/// How an operation failed, which decides whether the workflow retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// Final: the provider said no. Retrying gives the same answer.
    #[error("payment declined: {0}")]
    Declined(String),
    /// The provider could not answer now (outage, timeout, our database
    /// unavailable); the same request may succeed later.
    #[error("payment provider temporarily unavailable: {0}")]
    Transient(String),
    /// The provider does not offer this operation for this method; a bug in
    /// the caller, never worth retrying.
    #[error("operation not supported: {0}")]
    Unsupported(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// A stable name recorded in the ledger, e.g. `"sandbox-card"`.
    fn name(&self) -> &'static str;
    /// Card: authorize and capture at once (a sale).
    async fn charge(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError>;
    /// Cash on delivery: authorize at placement (a promise to collect).
    async fn authorize(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError>;
    /// Cash on delivery: capture when the courier has collected.
    async fn capture(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError>;
    /// UPI / netbanking: start a collect request; the answer arrives later
    /// as a signed webhook.
    async fn initiate(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError>;
    /// Withdraws an authorization or a pending collect request.
    async fn void(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError>;
    /// Returns captured money.
    async fn refund(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError>;
    /// What the provider holds for the operation that moves money of `kind`
    /// under `idempotency_key`: its receipt when it went through, `None`
    /// when it never did (never seen, declined, still undecided). Asked
    /// when the answer to the operation itself was lost.
    async fn lookup(
        &self,
        kind: LedgerKind,
        idempotency_key: &str,
    ) -> Result<Option<ProviderReceipt>, PaymentError>;
}

/// The provider to use for each payment method.
#[derive(Clone)]
pub struct PaymentProviders {
    card: Arc<dyn PaymentProvider>,
    upi: Arc<dyn PaymentProvider>,
    netbanking: Arc<dyn PaymentProvider>,
    cod: Arc<dyn PaymentProvider>,
}

impl PaymentProviders {
    /// The built-in sandbox gateway for every method. Without `webhooks`,
    /// UPI and netbanking payments stay pending forever (nothing calls back).
    pub fn sandbox(store: Store, webhooks: Option<WebhookTarget>) -> Self {
        Self {
            card: Arc::new(SandboxCard::new(store.clone())),
            upi: Arc::new(SandboxCollect::upi(store.clone(), webhooks.clone())),
            netbanking: Arc::new(SandboxCollect::netbanking(store.clone(), webhooks)),
            cod: Arc::new(SandboxCashOnDelivery::new(store)),
        }
    }

    /// The same providers with `provider` in place of the one for `method`
    /// (a real gateway's, or one wrapped to inject faults).
    pub fn with(mut self, method: PaymentMethod, provider: Arc<dyn PaymentProvider>) -> Self {
        let slot = match method {
            PaymentMethod::Card => &mut self.card,
            PaymentMethod::Upi => &mut self.upi,
            PaymentMethod::Netbanking => &mut self.netbanking,
            PaymentMethod::Cod => &mut self.cod,
        };
        *slot = provider;
        self
    }

    /// The provider that calls itself `name` in the ledger.
    pub fn named(&self, name: &str) -> Option<Arc<dyn PaymentProvider>> {
        [&self.card, &self.upi, &self.netbanking, &self.cod]
            .into_iter()
            .find(|provider| provider.name() == name)
            .map(Arc::clone)
    }

    pub fn for_method(&self, method: PaymentMethod) -> Arc<dyn PaymentProvider> {
        match method {
            PaymentMethod::Card => Arc::clone(&self.card),
            PaymentMethod::Upi => Arc::clone(&self.upi),
            PaymentMethod::Netbanking => Arc::clone(&self.netbanking),
            PaymentMethod::Cod => Arc::clone(&self.cod),
        }
    }
}
