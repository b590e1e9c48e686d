//! `/v1/me`: everything that belongs to the logged-in caller, listed in
//! one router: the profile, the address book, the devices to push to, the
//! in-app inbox, the loyalty points and the recommendations made for them.

pub mod addresses;
pub mod notifications;
pub mod points;
pub mod profile;
pub mod push_devices;

use axum::Router;
use axum::routing::get;

use crate::routes::recommendations::my_recommendations;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/me", get(profile::me).patch(profile::update_me))
        .route("/v1/me/recommendations", get(my_recommendations))
        .route("/v1/me/points", get(points::my_points))
        .merge(addresses::router())
        .merge(push_devices::router())
        .merge(notifications::router())
}
