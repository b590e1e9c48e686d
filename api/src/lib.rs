//! orderly's HTTP API.
//!
//! The API is deliberately thin: it authenticates the caller, turns the
//! request into validated domain types, then either asks a workflow to act
//! (orders) or reads the read model (catalog, inbox, order views). It never
//! decides an order's fate itself, so nothing here needs to survive a crash.
//! Every error leaves through [`problem::ApiError`] as `application/problem+json`.

pub mod app;
pub mod auth;
mod card_tokens;
mod cart_reminders;
mod checkout_claims;
pub mod client_address;
pub mod http_metrics;
pub mod json;
pub mod openapi;
mod order_placement;
pub mod pagination;
mod pricing;
pub mod problem;
pub mod rate_limits;
pub mod rejections;
pub mod request_id;
pub mod routes;
pub mod state;
mod workflow_errors;

pub use app::{router, serve};
pub use auth::{AuthUser, ensure_admin};
pub use json::ValidJson;
pub use problem::{ApiError, FieldError};
pub use state::{ApiSettings, AppState};
