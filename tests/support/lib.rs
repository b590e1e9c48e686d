//! Shared harness of orderly's integration tests: real servers on loopback.
//!
//! One Temporal dev server per test process (started through the SDK's
//! testing feature from the installed CLI), and per test: its own database
//! (SQLite file or PostgreSQL database, after `ORDERLY_TEST_DATABASE`), its
//! own task queue and worker, and the API on port 0.

pub mod app;
pub mod children;
pub mod database;
pub mod faults;
pub mod histories;
pub mod money;
pub mod shopper;
pub mod smtp_sink;
pub mod split_order;
pub mod stockroom;
pub mod temporal;
