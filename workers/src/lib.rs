//! The Temporal side of orderly: what it takes to have a Temporal server and
//! workers running, kept apart from the workflow and activity code itself so
//! that the API, the `orderly` command and the tests share one way of doing it.

pub mod dev_server;
pub mod order_worker;
