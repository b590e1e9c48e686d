//! Exchanging a card for its provider's token at the edge, before anything
//! durable happens: the order, its workflow history, the logs and the
//! database only ever carry the token, the brand and the last four digits.
//!
//! A client may send the card number (the API tokenizes it with the
//! provider's vault at once) or, as a real storefront would, a token it got
//! from the provider directly (`{"method": "card", "token": "…"}`), which
//! is checked with the vault and never seen as a number here at all.

use orderly_domain::{CardInstruction, CardPayment, PaymentDetails, PaymentInstruction};
use orderly_providers::payments::VaultError;

use crate::problem::ApiError;
use crate::state::AppState;

/// The payment an order keeps for `instruction`.
pub(crate) async fn payment_details(
    state: &AppState,
    instruction: &PaymentInstruction,
) -> Result<PaymentDetails, ApiError> {
    if let Some(details) = instruction.without_card() {
        return Ok(details);
    }
    let PaymentInstruction::Card(card) = instruction else {
        return Err(ApiError::internal(
            anyhow::anyhow!("a payment without a card kept its card"),
            "tokenizing",
        ));
    };
    let token = match card {
        CardInstruction::Number(number) => state
            .card_vault
            .tokenize(number)
            .await
            .map_err(vault_unavailable)?,
        CardInstruction::Token(token) => state
            .card_vault
            .card(token)
            .await
            .map_err(vault_unavailable)?
            .ok_or_else(|| {
                ApiError::validation("payment.token", "is not a card token the provider issued")
            })?,
    };
    Ok(PaymentDetails::Card(CardPayment::Token(token)))
}

pub(crate) fn vault_unavailable(error: VaultError) -> ApiError {
    tracing::warn!(%error, "the card vault did not answer");
    ApiError::ServiceUnavailable("the payment provider is unavailable; retry shortly".into())
}
