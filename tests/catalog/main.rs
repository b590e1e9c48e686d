//! The catalogue through the REST API: products, stock, categories,
//! sellers' listings, warehouses and the expiry sweep.

mod catalog;
mod expiry;
mod offers;
mod sellers;
mod split_fulfilment;
mod warehouses;
