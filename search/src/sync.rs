//! Keeping the index in step with the database, which stays the source of
//! truth: the index can always be thrown away and rebuilt from it.
//!
//! On disk, `<root>/v<SCHEMA_VERSION>/` holds the tantivy index and
//! `<root>/v<SCHEMA_VERSION>.ready` the time (unix ms) up to which it is
//! known to reflect the products table. The marker is written only after a
//! rebuild has committed, so a build cut short, a missing folder or an
//! index of another schema version all lead to a full rebuild. An index
//! that is ready catches up at start-up with the products written since
//! its mark (changes made while this process was not running), and then,
//! with [`ProductIndex::follow`], every few seconds: each API process keeps
//! its own index, so a product edited through one replica reaches the
//! search of every other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use orderly_domain::Sku;
use uuid::Uuid;

use super::SearchError;
use super::document::{CategoryPath, RatingSummary, SearchDocument};
use super::fields::SCHEMA_VERSION;
use super::index::ProductIndex;
use orderly_store::{Category, Product, Store};

/// Products read from the database per query while rebuilding.
const PAGE: u32 = 500;
/// Catch-up starts this long before the mark, so a product written by a
/// machine whose clock runs behind ours is not missed.
const CLOCK_MARGIN_MS: i64 = 5 * 60 * 1000;

impl ProductIndex {
    /// Opens the index under `root` (`<data_dir>/search-index`), building it
    /// from `store` when it is missing, unfinished or of an older schema,
    /// and catching it up with products changed since it was last in step.
    pub async fn open(root: &Path, store: &Store) -> Result<Arc<ProductIndex>, SearchError> {
        let dir = root.join(format!("v{SCHEMA_VERSION}"));
        let marker = root.join(format!("v{SCHEMA_VERSION}.ready"));
        let started = chrono::Utc::now().timestamp_millis();
        if let Some(mark) = read_mark(&marker).await {
            let existing = dir.clone();
            match blocking(move || ProductIndex::open_existing(&existing)).await {
                Ok(index) => {
                    let index = Arc::new(index);
                    index.catch_up(store, mark - CLOCK_MARGIN_MS).await?;
                    write_mark(&marker, started).await?;
                    return Ok(index);
                }
                Err(error) => {
                    tracing::warn!(%error, dir = %dir.display(), "search index unreadable; rebuilding it");
                }
            }
        }
        let index = Arc::new(rebuild(root, &dir, store).await?);
        write_mark(&marker, started).await?;
        Ok(index)
    }

    /// Re-reads `sku` from the database and indexes it as it now is: call
    /// after a product is created or edited. An inactive or missing
    /// product leaves the index.
    pub async fn refresh(self: &Arc<Self>, store: &Store, sku: &Sku) -> Result<(), SearchError> {
        let product = store.catalog().product(sku).await?;
        let index = Arc::clone(self);
        match product.filter(|product| product.active) {
            Some(product) => {
                let categories = CategoryPaths::load(store).await?;
                let ratings = ratings(store, std::slice::from_ref(sku)).await?;
                let document = categories.document(&product, &ratings);
                blocking(move || index.upsert(&document)).await
            }
            None => {
                let sku = sku.clone();
                blocking(move || index.remove(&sku)).await
            }
        }
    }

    /// Catches up with the database every `every`, for as long as the
    /// process runs: products (and ratings) changed through another API
    /// process reach this index within about `every`. A failed round is
    /// logged and retried at the next one; the mark only moves forward once
    /// a round succeeded.
    pub async fn follow(self: Arc<Self>, store: Store, root: PathBuf, every: Duration) {
        let marker = root.join(format!("v{SCHEMA_VERSION}.ready"));
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let started = chrono::Utc::now().timestamp_millis();
            let mark = read_mark(&marker).await.unwrap_or(started);
            let caught_up = match self.catch_up(&store, mark - CLOCK_MARGIN_MS).await {
                Ok(()) => write_mark(&marker, started).await,
                Err(error) => Err(error),
            };
            if let Err(error) = caught_up {
                tracing::warn!(%error, "search index could not catch up; trying again");
            }
        }
    }

    async fn catch_up(self: &Arc<Self>, store: &Store, since_ms: i64) -> Result<(), SearchError> {
        let changed = store.catalog().products_changed_since(since_ms).await?;
        if !changed.is_empty() {
            tracing::info!(products = changed.len(), "search index catching up");
        }
        for sku in changed {
            self.refresh(store, &sku).await?;
        }
        Ok(())
    }
}

/// A fresh index of every active product.
async fn rebuild(root: &Path, dir: &Path, store: &Store) -> Result<ProductIndex, SearchError> {
    tracing::info!(dir = %dir.display(), "building the search index from the database");
    remove_dir(root).await?;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| SearchError::io(dir, source))?;
    let documents = all_documents(store).await?;
    let count = documents.len();
    let dir = dir.to_path_buf();
    let index = blocking(move || {
        let index = ProductIndex::live_create(&dir)?;
        index.add_all(documents)?;
        Ok(index)
    })
    .await?;
    tracing::info!(products = count, "search index built");
    Ok(index)
}

async fn all_documents(store: &Store) -> Result<Vec<SearchDocument>, SearchError> {
    let categories = CategoryPaths::load(store).await?;
    let mut documents = Vec::new();
    let mut after: Option<Sku> = None;
    loop {
        let page = store.catalog().list_products(after.as_ref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.sku.clone());
        let active: Vec<Product> = page.into_iter().filter(|p| p.active).collect();
        let skus: Vec<Sku> = active.iter().map(|p| p.sku.clone()).collect();
        let ratings = ratings(store, &skus).await?;
        documents.extend(active.iter().map(|p| categories.document(p, &ratings)));
    }
    Ok(documents)
}

async fn ratings(store: &Store, skus: &[Sku]) -> Result<HashMap<Sku, RatingSummary>, SearchError> {
    Ok(store
        .reviews()
        .product_ratings(skus)
        .await?
        .into_iter()
        .map(|(sku, average, count)| {
            let count = u64::try_from(count).unwrap_or(0);
            (sku, RatingSummary { average, count })
        })
        .collect())
}

/// Each category's path from the root of the tree, by id.
struct CategoryPaths(HashMap<Uuid, CategoryPath>);

impl CategoryPaths {
    async fn load(store: &Store) -> Result<Self, SearchError> {
        Ok(Self::from_nodes(store.catalog().categories().await?))
    }

    fn from_nodes(nodes: Vec<Category>) -> Self {
        let by_id: HashMap<Uuid, &Category> = nodes.iter().map(|n| (n.id, n)).collect();
        let mut paths = HashMap::new();
        for node in &nodes {
            let mut chain: Vec<&Category> = vec![node];
            // Bounded by the number of nodes, so a cycle (which the API
            // never creates) cannot loop forever.
            while let Some(parent) = chain
                .last()
                .and_then(|n| n.parent_id)
                .and_then(|id| by_id.get(&id))
                .filter(|_| chain.len() <= nodes.len())
            {
                chain.push(*parent);
            }
            chain.reverse();
            paths.insert(
                node.id,
                CategoryPath {
                    slugs: chain.iter().map(|n| n.slug.as_str().to_owned()).collect(),
                    names: chain.iter().map(|n| n.name.clone()).collect(),
                },
            );
        }
        CategoryPaths(paths)
    }

    fn document(&self, product: &Product, ratings: &HashMap<Sku, RatingSummary>) -> SearchDocument {
        let category = product.category_id.and_then(|id| self.0.get(&id).cloned());
        let rating = ratings.get(&product.sku).copied().unwrap_or_default();
        SearchDocument::new(product, category, rating)
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, SearchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SearchError::Corrupt(format!("search index task failed: {e}")))?
}

async fn read_mark(marker: &Path) -> Option<i64> {
    let raw = tokio::fs::read_to_string(marker).await.ok()?;
    raw.trim().parse().ok()
}

async fn write_mark(marker: &Path, at_ms: i64) -> Result<(), SearchError> {
    // Written beside and renamed over, so a crash never leaves half a number.
    let partial = PathBuf::from(format!("{}.partial", marker.display()));
    tokio::fs::write(&partial, at_ms.to_string())
        .await
        .map_err(|source| SearchError::io(&partial, source))?;
    tokio::fs::rename(&partial, marker)
        .await
        .map_err(|source| SearchError::io(marker, source))
}

async fn remove_dir(dir: &Path) -> Result<(), SearchError> {
    match tokio::fs::remove_dir_all(dir).await {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SearchError::io(dir, source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u128, parent: Option<u128>, slug: &str) -> Category {
        Category {
            id: Uuid::from_u128(id),
            parent_id: parent.map(Uuid::from_u128),
            slug: orderly_domain::CategorySlug::parse(slug).expect("a valid slug"),
            name: slug.to_uppercase(),
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_category_path_runs_from_the_root_down() {
        let paths = CategoryPaths::from_nodes(vec![
            node(1, None, "fruit"),
            node(2, Some(1), "citrus"),
            node(3, Some(2), "lemons"),
        ]);
        let lemons = &paths.0[&Uuid::from_u128(3)];
        assert_eq!(lemons.slugs, ["fruit", "citrus", "lemons"]);
        assert_eq!(lemons.names, ["FRUIT", "CITRUS", "LEMONS"]);
    }

    #[test]
    fn a_cycle_in_the_tree_does_not_hang() {
        let paths = CategoryPaths::from_nodes(vec![node(1, Some(2), "a"), node(2, Some(1), "b")]);
        assert!(paths.0[&Uuid::from_u128(1)].slugs.len() <= 3);
    }
}
