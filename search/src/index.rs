//! The tantivy index itself: writing product documents and answering
//! searches and suggestions. Everything here is synchronous CPU and disk
//! work; async callers run it on the blocking pool.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use orderly_domain::{Currency, Money, Sku};
use tantivy::collector::sort_key::SortBySimilarityScore;
use tantivy::collector::{Count, TopDocs};
use tantivy::indexer::IndexWriterOptions;
use tantivy::schema::Value;
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

use super::SearchError;
use super::document::SearchDocument;
use super::facets::CategoryCounts;
use super::fields::{Fields, register_analyzers};
use super::query::{
    SearchQuery, SortOrder, filter_clauses, filtered, suggestion_query, text_query,
};
use tantivy::collector::sort_key::SortByStaticFastValue;

/// Memory the writer may fill before flushing a segment. Small: a live
/// index takes one product at a time; the bulk build passes its own.
const LIVE_WRITER_BYTES: usize = 32_000_000;
/// Suggestions look at this many best name matches to find ten distinct
/// names (generated catalogues repeat names across sizes and sellers).
const SUGGESTION_POOL: usize = 200;

/// One product in a result page.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub price: Money,
    /// Slug of the product's own category.
    pub category: Option<String>,
    pub origin: Option<String>,
    pub organic: bool,
    pub rating_average: f64,
    pub rating_count: u64,
    /// Relevance to the text (0 when there was no text).
    pub score: f32,
}

/// A page of results with the counts a result list shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Matches across all pages.
    pub total: u64,
    /// Matches per category slug for the text and every filter but the
    /// category itself, so picking another category shows what it holds.
    pub categories: BTreeMap<String, u64>,
}

/// A product search index in one folder.
pub struct ProductIndex {
    fields: Fields,
    reader: IndexReader,
    /// tantivy allows one writer per index; updates take turns.
    writer: Mutex<IndexWriter<TantivyDocument>>,
}

impl ProductIndex {
    /// A new, empty index in `dir` (which must exist and be empty).
    /// `writer_threads` and `writer_bytes` size the indexer: one thread
    /// and a small budget for a live shop, more for a bulk build.
    pub fn create(
        dir: &Path,
        writer_threads: usize,
        writer_bytes: usize,
    ) -> Result<Self, SearchError> {
        let (schema, fields) = Fields::schema();
        let index = Index::create_in_dir(dir, schema)?;
        Self::from_index(index, fields, writer_threads, writer_bytes)
    }

    /// The index already in `dir`, written with the current schema.
    pub fn open_existing(dir: &Path) -> Result<Self, SearchError> {
        let (_, fields) = Fields::schema();
        let index = Index::open_in_dir(dir)?;
        Self::from_index(index, fields, 1, LIVE_WRITER_BYTES)
    }

    /// The live writer's sizing, for [`Self::create`].
    pub fn live_create(dir: &Path) -> Result<Self, SearchError> {
        Self::create(dir, 1, LIVE_WRITER_BYTES)
    }

    fn from_index(
        index: Index,
        fields: Fields,
        writer_threads: usize,
        writer_bytes: usize,
    ) -> Result<Self, SearchError> {
        register_analyzers(&index);
        let threads = writer_threads.max(1);
        // One merge thread, not tantivy's default four: a catalogue's
        // segments are small, and the machine's cores serve requests.
        let options = IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(writer_bytes / threads)
            .num_merge_threads(1)
            .build();
        let writer = index.writer_with_options(options)?;
        // Reloaded by hand after each commit, so a change is searchable as
        // soon as `upsert` returns instead of after a file-watch delay.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(ProductIndex {
            fields,
            reader,
            writer: Mutex::new(writer),
        })
    }

    /// Adds many documents (none of which may be indexed yet) and commits
    /// once: the bulk path of a rebuild and the benchmark.
    pub fn add_all(
        &self,
        documents: impl IntoIterator<Item = SearchDocument>,
    ) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        for document in documents {
            writer.add_document(document.to_tantivy(&self.fields))?;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Indexes `document`, replacing what the index had for its SKU.
    pub fn upsert(&self, document: &SearchDocument) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        writer.delete_term(self.sku_term(&document.sku));
        writer.add_document(document.to_tantivy(&self.fields))?;
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Drops `sku` from the index (a deactivated or deleted product).
    pub fn remove(&self, sku: &Sku) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        writer.delete_term(self.sku_term(sku));
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// How many products are indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One page of results for `query`.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let text = text_query(&self.fields, &query.text);
        let filters = filter_clauses(&self.fields, &query.filters, true);
        let page = filtered(text.box_clone(), filters);
        let limit = query.limit.max(1);
        let top = TopDocs::with_limit(limit).and_offset(query.offset);
        let addresses: Vec<(f32, DocAddress)> = match query.sort {
            SortOrder::Relevance => searcher.search(&page, &top.order_by_score())?,
            SortOrder::PriceAscending | SortOrder::PriceDescending => {
                let order = if query.sort == SortOrder::PriceAscending {
                    Order::Asc
                } else {
                    Order::Desc
                };
                let by = (
                    (SortByStaticFastValue::<u64>::for_field("price"), order),
                    (SortBySimilarityScore, Order::Desc),
                );
                scored(searcher.search(&page, &top.order_by(by))?)
            }
            SortOrder::Rating => {
                let by = (
                    (
                        SortByStaticFastValue::<f64>::for_field("rating"),
                        Order::Desc,
                    ),
                    (SortBySimilarityScore, Order::Desc),
                );
                scored(searcher.search(&page, &top.order_by(by))?)
            }
        };
        let counter = CategoryCounts { field: "category" };
        let (total, categories) = if query.filters.category.is_some() {
            let total = searcher.search(&page, &Count)?;
            let others = filtered(text, filter_clauses(&self.fields, &query.filters, false));
            (total, searcher.search(&others, &counter)?)
        } else {
            searcher.search(&page, &(Count, counter))?
        };
        let hits = addresses
            .into_iter()
            .map(|(score, address)| self.hit(&searcher, address, score))
            .collect::<Result<_, _>>()?;
        Ok(SearchResults {
            hits,
            total: total as u64,
            categories,
        })
    }

    /// Up to `limit` distinct product names for a search box holding
    /// `typed`: names with the earlier words, and a word starting with the
    /// last one.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<String>, SearchError> {
        let Some(query) = suggestion_query(&self.fields, typed) else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(SUGGESTION_POOL).order_by_score();
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        for (_, address) in searcher.search(&query, &top)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let name = text_of(&doc, self.fields.name);
            if seen.insert(name.to_lowercase()) {
                names.push(name);
                if names.len() == limit {
                    break;
                }
            }
        }
        Ok(names)
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: f32,
    ) -> Result<SearchHit, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let f = &self.fields;
        let sku = text_of(&doc, f.sku);
        let currency = text_of(&doc, f.currency);
        let amount = doc.get_first(f.price).and_then(|v| v.as_u64()).unwrap_or(0);
        Ok(SearchHit {
            sku: Sku::parse(&sku)
                .map_err(|e| SearchError::Corrupt(format!("indexed sku {sku:?}: {e}")))?,
            name: text_of(&doc, f.name),
            description: text_of(&doc, f.description),
            unit: text_of(&doc, f.unit),
            price: Money::new(
                i64::try_from(amount).unwrap_or(i64::MAX),
                Currency::parse(&currency)
                    .map_err(|e| SearchError::Corrupt(format!("indexed currency: {e}")))?,
            ),
            category: optional_text(&doc, f.category),
            origin: optional_text(&doc, f.origin_text),
            organic: doc
                .get_first(f.organic)
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            rating_average: doc
                .get_first(f.rating)
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0),
            rating_count: doc
                .get_first(f.rating_count)
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            score,
        })
    }

    fn sku_term(&self, sku: &Sku) -> Term {
        Term::from_field_text(self.fields.sku, sku.as_str())
    }

    fn writer(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, IndexWriter<TantivyDocument>>, SearchError> {
        // A panic while holding the writer leaves it usable: tantivy rolls
        // back to the last commit on the next one.
        Ok(self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

/// Results ordered by (field, score), reduced to their score.
fn scored<K>(docs: Vec<((K, f32), DocAddress)>) -> Vec<(f32, DocAddress)> {
    docs.into_iter()
        .map(|((_, score), address)| (score, address))
        .collect()
}

fn text_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    optional_text(doc, field).unwrap_or_default()
}

fn optional_text(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|value| value.as_str())
        .map(str::to_owned)
}
