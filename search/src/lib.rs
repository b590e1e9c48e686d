//! Full-text product search: a tantivy index on disk
//! (`<data_dir>/search-index`) beside the database it is derived from.
//!
//! Ranking is BM25 over the name (weighted 3×), description, category
//! names, origin and labels such as "organic"; words may carry typos (one
//! edit from 4 letters, two from 8) but exact words always rank first.
//! Filters (category with its sub-categories, price range, origin, organic)
//! and the per-category counts are answered by the index. Stock is not in
//! the index: it changes with every order, and orders reserve stock in the
//! worker process, which cannot write the API's index. The in-stock filter
//! therefore asks the database at query time for the SKUs with nothing
//! available and excludes them, so it is exact the moment stock changes.
//!
//! The index is rebuilt from the database when missing or of an older
//! schema, caught up with products changed while the process was down, and
//! updated by [`ProductIndex::refresh`] whenever the API changes a product.

mod document;
mod facets;
mod fields;
mod index;
mod query;
mod sync;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use document::{CategoryPath, RatingSummary, SearchDocument, slugify};
pub use index::{ProductIndex, SearchHit, SearchResults};
pub use query::{Filters, SearchQuery, SortOrder, allowed_edits};

use orderly_store::StoreError;

/// The index's folder under the data directory.
pub const INDEX_FOLDER: &str = "search-index";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: reading the catalogue: {0}")]
    Store(#[from] StoreError),
    #[error("search index: {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("search index: {0}")]
    Corrupt(String),
}

impl SearchError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        SearchError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
