//! The Temporal side of orderly: connecting to a Temporal server and running
//! the worker that hosts the workflows and their activities, kept apart from
//! the workflow and activity code itself so that the `orderly` command and
//! the tests share one way of doing it.

pub mod order_worker;
pub mod payload_codec;
