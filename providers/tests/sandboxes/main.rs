//! The sandbox payment gateway and the sandbox carrier, end to end against
//! a real database (SQLite and PostgreSQL) and a real HTTP listener, as the
//! order workflow and the API will meet them.

mod carriers;
mod databases;
mod listener;
mod payment_webhooks;
mod payments;
