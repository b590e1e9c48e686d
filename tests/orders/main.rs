//! Order lifecycle tests through the REST API, against a real Temporal dev
//! server, a real database and real HTTP.

mod api_errors;
mod auth;
mod cancellation;
mod catalog;
mod concurrency;
mod crash;
mod lifecycle;
mod notifications;
mod operations;
mod payments;
mod pickup;
mod placement;
mod replay;
mod shipping;
mod cart;
mod accounts;
mod search;
mod reviews;
mod recommendations;
mod sellers;
