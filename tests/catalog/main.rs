//! The catalogue through the REST API: products, stock, categories and sellers' listings.

mod catalog;
mod sellers;
mod split_fulfilment;
mod warehouses;
