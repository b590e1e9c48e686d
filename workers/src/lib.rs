//! The Temporal side of orderly: connecting to a Temporal server, running
//! the worker that hosts the workflows and their activities, and keeping the
//! schedule of the expiry sweep, kept apart from the workflow and activity
//! code itself so that the `orderly` command and the tests share one way of
//! doing it.

pub mod expiry_schedule;
pub mod order_worker;
pub mod payload_codec;
