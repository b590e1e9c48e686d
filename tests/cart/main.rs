//! The cart and checkout through the REST API.

mod cart;
mod children;
mod coupons;
mod points;
