//! The store's behaviour, aggregate by aggregate, checked on both backends
//! it promises to support.
//!
//! Every scenario runs once on a fresh SQLite file and once on a fresh
//! PostgreSQL database (admin URL from `ORDERLY_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), because the store's
//! guarantees (no overselling, idempotent writes) rest on locking behaviour
//! that differs between the two.

mod support;

mod accounts;
mod allocation;
mod batches;
mod carts;
mod catalog;
mod coupons;
mod database;
mod expiry;
mod idempotency;
mod inventory;
mod ledger;
mod loyalty;
mod notifications;
mod ops_alerts;
mod orders;
mod price_rules;
mod reviews;
mod sandbox;
mod warehouses;
