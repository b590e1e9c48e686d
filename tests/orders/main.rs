//! Orders through the REST API, from placement to delivery, collection or cancellation, against a real Temporal dev
//! server, a real database and real HTTP; crashes and replays included.

mod cancellation;
mod children;
mod concurrency;
mod crash;
mod edits;
mod exchanges;
mod faults;
mod lifecycle;
mod money_faults;
mod payments;
mod pickup;
mod placement;
mod privacy;
mod refunds;
mod replay;
mod replicas;
mod returns;
mod shipping;
