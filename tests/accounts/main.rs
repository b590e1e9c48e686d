//! Accounts and sessions through the REST API: registration, logins, tokens, profiles, addresses, password resets, rate limits and login throttling.

mod accounts;
mod auth;
mod staff;
mod throttling;
