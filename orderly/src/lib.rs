//! The `orderly` command's logic: reading settings, and starting the parts
//! of the platform (API, worker, carrier simulator, a Temporal dev server)
//! alone or together.

pub mod bench;
pub mod bench_search;
pub mod cli;
pub mod components;
pub mod demo_data;
pub mod dev;
pub mod settings;
pub mod telemetry;
