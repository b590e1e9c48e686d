//! `POST /v1/sandbox/card-tokens`: the sandbox payment provider's
//! tokenization endpoint, as a storefront's browser would call a real
//! provider's (Stripe.js, Razorpay Checkout) so that the card number never
//! reaches the shop's own servers. Public, like a provider's publishable
//! key; the token it answers is what `{"method": "card", "token": …}` takes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use orderly_domain::{CardNumber, CardToken};
use serde::Deserialize;

use crate::card_tokens::vault_unavailable;
use crate::json::ValidJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/sandbox/card-tokens", post(tokenize_card))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenizeCard {
    pub card_number: CardNumber,
}

/// Exchanges a card number for a token of the sandbox provider.
#[utoipa::path(
    post, path = "/v1/sandbox/card-tokens", tag = "payments",
    request_body = TokenizeCard,
    responses(
        (status = 201, description = "The card's token, brand and last four digits", body = CardToken),
        (status = 422, description = "Not a valid card number", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tokenize_card(
    State(state): State<AppState>,
    ValidJson(request): ValidJson<TokenizeCard>,
) -> Result<(StatusCode, Json<CardToken>), ApiError> {
    let token = state
        .card_vault
        .tokenize(&request.card_number)
        .await
        .map_err(vault_unavailable)?;
    Ok((StatusCode::CREATED, Json(token)))
}
