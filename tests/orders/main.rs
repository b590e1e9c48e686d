//! Order lifecycle tests through the REST API, against a real Temporal dev
//! server, a real database and real HTTP.

mod lifecycle;
