//! What operators and clients rely on across the API: probes, metrics, OpenAPI, request ids and every kind of refusal.

mod api_errors;
mod operations;
