//! The HTTP resources, one module per area. Each exposes `router()`, and
//! `crate::app` merges them; authentication lives in `crate::auth`.

pub mod addresses;
pub mod cart;
pub mod catalog;
pub mod categories;
pub mod checkout;
pub mod inbox;
pub mod listings;
pub mod ops;
pub mod orders;
pub mod push_devices;
pub mod recommendations;
pub mod reviews;
pub mod sandbox_outbox;
pub mod search;
pub mod webhooks;
