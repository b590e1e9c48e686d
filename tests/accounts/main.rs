//! Accounts and sessions through the REST API: registration, logins, tokens, profiles, addresses, password resets and throttling.

mod accounts;
mod auth;
