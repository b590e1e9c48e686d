//! Where card numbers go instead of orderly: the provider's vault, which
//! keeps the number and hands out a token. The API exchanges a number for
//! a token before anything durable happens, so orders, workflow histories,
//! logs and the database only ever see the token, the brand and the last
//! four digits.
//!
//! [`SandboxVault`] is the sandbox provider's: it keeps, instead of the
//! number, which test behaviour the number stood for (see
//! [`crate::sandbox_values`]), so the sandbox charges a token as it would
//! have charged the number.

use async_trait::async_trait;
use orderly_domain::{CardNumber, CardToken, card_brand};
use orderly_store::{SandboxCard, Store};
use uuid::Uuid;

use crate::sandbox_values::{CARD_DECLINED, CARD_FLAKY, CARD_SHORT_CAPTURE};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Worth retrying: the vault could not answer now.
    #[error("the card vault is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait CardVault: Send + Sync {
    /// Keeps the card and returns its token.
    async fn tokenize(&self, number: &CardNumber) -> Result<CardToken, VaultError>;
    /// The card behind a token, `None` when the vault never issued it.
    async fn card(&self, token: &str) -> Result<Option<CardToken>, VaultError>;
}

/// How the sandbox treats a card, remembered per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBehaviour {
    Approve,
    Decline,
    Flaky,
    ShortCapture,
}

impl CardBehaviour {
    pub fn of(number: &CardNumber) -> Self {
        match number.digits() {
            CARD_DECLINED => CardBehaviour::Decline,
            CARD_FLAKY => CardBehaviour::Flaky,
            CARD_SHORT_CAPTURE => CardBehaviour::ShortCapture,
            _ => CardBehaviour::Approve,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            CardBehaviour::Approve => "approve",
            CardBehaviour::Decline => "decline",
            CardBehaviour::Flaky => "flaky",
            CardBehaviour::ShortCapture => "short_capture",
        }
    }

    fn parse(raw: &str) -> Self {
        [
            CardBehaviour::Decline,
            CardBehaviour::Flaky,
            CardBehaviour::ShortCapture,
        ]
        .into_iter()
        .find(|b| b.as_str() == raw)
        .unwrap_or(CardBehaviour::Approve)
    }
}

/// The sandbox provider's vault.
pub struct SandboxVault {
    store: Store,
}

impl SandboxVault {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// How the sandbox treats the card behind `token`, if it issued it.
    pub async fn behaviour(&self, token: &str) -> Result<Option<CardBehaviour>, VaultError> {
        Ok(self
            .stored(token)
            .await?
            .map(|card| CardBehaviour::parse(&card.behaviour)))
    }

    async fn stored(&self, token: &str) -> Result<Option<SandboxCard>, VaultError> {
        self.store
            .sandbox()
            .sandbox_card(token)
            .await
            .map_err(|e| VaultError::Unavailable(e.to_string()))
    }
}

#[async_trait]
impl CardVault for SandboxVault {
    async fn tokenize(&self, number: &CardNumber) -> Result<CardToken, VaultError> {
        let card = SandboxCard {
            token: format!("tok_sandbox_{}", Uuid::new_v4().simple()),
            brand: card_brand(number).to_owned(),
            last4: number.last4().to_owned(),
            behaviour: CardBehaviour::of(number).as_str().to_owned(),
        };
        self.store
            .sandbox()
            .insert_sandbox_card(&card)
            .await
            .map_err(|e| VaultError::Unavailable(e.to_string()))?;
        Ok(CardToken {
            token: card.token,
            brand: card.brand,
            last4: card.last4,
        })
    }

    async fn card(&self, token: &str) -> Result<Option<CardToken>, VaultError> {
        Ok(self.stored(token).await?.map(|card| CardToken {
            token: card.token,
            brand: card.brand,
            last4: card.last4,
        }))
    }
}
