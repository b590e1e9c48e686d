//! The catalogue: products and their listing by sellers, the category
//! tree, and the change feed the search index follows.

mod categories;
mod changes;
mod listings;
mod products;

pub use categories::{Category, NewCategory};
pub use listings::{CreationKey, ProductChanges, ProductCreation};
pub use products::{Product, ProductAttributes};

use crate::database::Db;

#[derive(Debug, Clone)]
pub struct Catalog {
    pub(crate) db: Db,
}
