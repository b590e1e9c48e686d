//! Slowing down password guessing without locking out the account's owner.
//!
//! Every login is counted before its password is checked, atomically, in
//! failure streaks (see `orderly_rate_limits::FailurePolicy`); a success
//! clears them. Which streaks a login counts in depends on who is asking:
//!
//! - a client holding a device token for the account (it logged in
//!   before): only that device's streak. Nobody else's guessing reaches it.
//! - any other client: the streak of the account from its address, the
//!   streak of its address over all accounts, and, once this client has
//!   failed on the account, the account's streak over all addresses.
//!
//! So guesses from one place slow down exponentially after a few, guesses
//! spread over many addresses slow down after the account's allowance, and a
//! client that has not failed on the account is never slowed by others'
//! failures on it. A lock that refuses the right password to everyone, as
//! the fixed lockout did, is exactly what this avoids.

use chrono::Utc;
use orderly_rate_limits::FailurePolicy;

use super::device_token::{self, Device};
use crate::client_address::ClientAddress;
use crate::problem::ApiError;
use crate::rate_limits::Throttled;
use crate::state::AppState;

/// A login attempt that has been counted and may now check its password.
pub struct LoginAttempt {
    /// The streaks a success clears.
    clears: Vec<String>,
    /// The shared streak a success is refunded to (the address's).
    refunds: Option<(String, FailurePolicy)>,
    device: Option<Device>,
}

impl LoginAttempt {
    /// Counts a login to `email` (normalized) from `client`, or refuses it
    /// with 429 while one of its streaks must wait.
    pub async fn begin(
        state: &AppState,
        email: &str,
        client: ClientAddress,
        device_token: Option<&str>,
    ) -> Result<Self, ApiError> {
        let limits = &state.settings.rate_limits.login;
        let device = device_token.and_then(|token| {
            device_token::verify(&state.settings.device_key, email, token, Utc::now())
        });
        let account = account_key(email);
        if let Some(device) = device {
            let key = format!("login:device:{email}:{}", device.0);
            count(
                state,
                &key,
                &limits.per_client,
                "failed logins on this device",
            )
            .await?;
            return Ok(Self {
                clears: vec![key, account],
                refunds: None,
                device: Some(device),
            });
        }
        let address = client.key().unwrap_or_else(|| "unknown".to_owned());
        let pair = format!("login:pair:{email}:{address}");
        let failed_before = count(
            state,
            &pair,
            &limits.per_client,
            "failed logins to this account from this address",
        )
        .await?;
        let from_address = limits.with_free(limits.free_per_address);
        let address_key = format!("login:address:{address}");
        count(
            state,
            &address_key,
            &from_address,
            "failed logins from this address",
        )
        .await?;
        if failed_before > 0 {
            let on_account = limits.with_free(limits.free_per_account);
            count(
                state,
                &account,
                &on_account,
                "failed logins to this account",
            )
            .await?;
        }
        Ok(Self {
            clears: vec![pair, account],
            refunds: Some((address_key, from_address)),
            device: None,
        })
    }

    /// The right password: this client's and the account's streaks end; the
    /// address's only uncounts this attempt (were it cleared, one account an
    /// attacker owns would reset their guessing of others). Returns the
    /// device token to hand the client.
    pub async fn succeeded(self, state: &AppState, email: &str) -> String {
        for key in &self.clears {
            state.limiter.forget(key).await;
        }
        if let Some((key, policy)) = &self.refunds {
            state.limiter.refund_attempt(key, policy).await;
        }
        device_token::issue(
            &state.settings.device_key,
            email,
            self.device.as_ref(),
            Utc::now(),
        )
    }

    /// A device token for a client that has just proven the account is
    /// theirs another way (registering it).
    pub fn trusted_device(state: &AppState, email: &str) -> String {
        device_token::issue(&state.settings.device_key, email, None, Utc::now())
    }

    /// Ends the account's streak over all addresses: whoever reset the
    /// password controls the mailbox, so the failures no longer say anything.
    pub async fn forgive_account(state: &AppState, email: &str) {
        state.limiter.forget(&account_key(email)).await;
    }
}

fn account_key(email: &str) -> String {
    format!("login:account:{email}")
}

/// Begins an attempt in one streak: how many it had before, or the 429.
async fn count(
    state: &AppState,
    key: &str,
    policy: &FailurePolicy,
    what: &str,
) -> Result<u32, ApiError> {
    state
        .limiter
        .begin_attempt(key, policy)
        .await
        .map_err(|refusal| ApiError::TooManyRequests(Throttled::by_streak(refusal, policy, what)))
}
