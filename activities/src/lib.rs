//! Everything in orderly that touches the outside world.
//!
//! Workflows stay deterministic by doing nothing but decide; every read or
//! write of the database, every call to a payment provider or carrier and
//! every message to a customer happens here, behind idempotency keys, because
//! Temporal retries activities.

pub mod bench_activities;
pub mod carriers;
pub mod notifications;
pub mod order_activities;
pub mod payments;
pub mod recommendations;
pub mod search;
pub mod signature;
pub mod store;
mod webhook_delivery;
