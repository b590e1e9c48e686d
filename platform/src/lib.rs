//! Assembling the platform from its settings: reading the environment,
//! building the store, providers, notifier, activities, worker and API from
//! it, and running them one at a time (`orderly api`, `orderly worker`,
//! `orderly migrate`) or together (`orderly dev` and the benchmark, in the
//! devtools crate, reuse the same parts).

pub mod components;
pub mod settings;
pub mod telemetry;
