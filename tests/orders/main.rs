//! Order lifecycle tests through the REST API, against a real Temporal dev
//! server, a real database and real HTTP.

mod accounts;
mod api_errors;
mod auth;
mod bench_ceiling;
mod cancellation;
mod cart;
mod catalog;
mod channels;
mod concurrency;
mod crash;
mod lifecycle;
mod notifications;
mod operations;
mod payments;
mod pickup;
mod placement;
mod recommendations;
mod replay;
mod reviews;
mod search;
mod sellers;
mod shipping;
