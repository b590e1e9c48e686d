//! The cart and checkout through the REST API.

mod cart;
mod coupons;
mod points;
