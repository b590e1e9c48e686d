//! Developer tooling, kept out of the API and worker libraries: `orderly
//! dev` (the whole platform on one machine, with a Temporal dev server as a
//! child process and demo data), `orderly bench` and `orderly bench-search`
//! (the README's performance figures) and the ceiling workflows the
//! benchmark compares orders against.

pub mod bench;
pub mod bench_search;
pub mod ceiling;
pub mod demo_data;
pub mod dev;
pub mod dev_server;
