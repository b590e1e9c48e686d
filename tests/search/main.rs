//! Product search through the REST API.

mod search;
