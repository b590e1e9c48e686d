//! Reviews, ratings and recommendations through the REST API.

mod recommendations;
mod reviews;
