//! The HTTP resources, one module per area. Each exposes `router()`, and
//! `crate::app` merges them; authentication lives in `crate::auth`.

pub mod catalog;
pub mod inbox;
pub mod ops;
pub mod orders;
pub mod webhooks;
pub mod addresses;
pub mod cart;
pub mod checkout;
pub mod search;
pub mod recommendations;
pub mod reviews;
pub mod categories;
pub mod listings;
