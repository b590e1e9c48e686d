//! Product search: `/v1/search` and the search box's `/v1/search/suggest`.
//!
//! Both are public and read the tantivy index (see
//! `orderly_search`). Stock is the exception: the in-stock
//! filter and each result's `available` come from the database at query
//! time, because orders change stock in the worker, out of the index's
//! reach. Pages are offsets handed out as opaque cursors: results are
//! ranked, not keyed, so there is no last key to continue after.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::routing::get;
use axum::{Json, Router};
use orderly_domain::{CategorySlug, Money, Sku};
use orderly_search::{Filters, ProductIndex, SearchError, SearchHit, SearchQuery, SortOrder};
use serde::{Deserialize, Serialize};

use crate::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;

/// Deepest result a cursor may reach: nobody pages past this, and it
/// bounds what one request can make the index collect.
const MAX_OFFSET: usize = 10_000;
const MAX_QUERY_CHARS: usize = 200;
const MAX_ORIGIN_CHARS: usize = 64;
/// Names offered under a search box.
const SUGGESTIONS: usize = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/search", get(search))
        .route("/v1/search/suggest", get(suggest))
}

/// Tells the search index that `sku` was created or changed, so the change
/// is searchable when this returns. Call after the database write has
/// committed. A failure is logged and not returned: the product is saved,
/// and the index catches up with it at the next start.
pub async fn reindex(state: &AppState, sku: &Sku) {
    if let Some(index) = &state.search
        && let Err(error) = index.refresh(&state.store, sku).await
    {
        tracing::error!(%sku, %error, "updating the search index failed");
    }
}

/// `GET /v1/search` parameters, read as text so that a bad value is a 422
/// naming it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to look for; typos are forgiven. Empty or absent lists every
    /// product that passes the filters.
    q: Option<String>,
    /// A category slug; its sub-categories are included.
    category: Option<String>,
    /// Lowest price in minor units (paise), inclusive.
    #[param(value_type = Option<u64>)]
    min_price: Option<String>,
    /// Highest price in minor units, inclusive.
    #[param(value_type = Option<u64>)]
    max_price: Option<String>,
    /// Country or region of origin, any case.
    origin: Option<String>,
    /// `true` for organic products only, `false` for the others.
    #[param(value_type = Option<bool>)]
    organic: Option<String>,
    /// `true` for products that can be ordered right now.
    #[param(value_type = Option<bool>)]
    in_stock: Option<String>,
    /// `relevance` (default), `price_asc`, `price_desc` or `rating`.
    sort: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Results per page, 1 to 100; 20 when absent.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

/// `GET /v1/search/suggest` parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What the search box holds so far; the last word may be unfinished.
    q: Option<String>,
}

/// A product in the results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchItem {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub price: Money,
    /// Slug of the product's category.
    pub category: Option<String>,
    pub origin: Option<String>,
    pub organic: bool,
    pub rating: RatingBody,
    /// Units that can be ordered right now.
    pub available: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingBody {
    /// Average stars, 0 without reviews.
    pub average: f64,
    pub count: u64,
}

/// How many results a category holds for this search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryCount {
    pub category: String,
    pub count: u64,
}

/// One page of results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    pub items: Vec<SearchItem>,
    /// Pass as `?cursor=` (with the same parameters) for the next page;
    /// `null` on the last page.
    pub next_cursor: Option<String>,
    /// Results across all pages.
    pub total: u64,
    /// Results per category, most first, counted with every filter except
    /// `category`, so a client can offer the other categories.
    pub categories: Vec<CategoryCount>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    /// Up to 10 product names, best match first.
    pub suggestions: Vec<String>,
}

/// Searches the catalogue.
#[utoipa::path(
    get,
    path = "/v1/search",
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of results with counts per category", body = SearchPage),
        (status = 422, description = "A parameter is malformed; `errors` names it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Search is not available", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(State(state): State<AppState>, uri: Uri) -> Result<Json<SearchPage>, ApiError> {
    let params: SearchParams = query_params(&uri)?;
    let (mut query, in_stock) = params.validate()?;
    let index = index(&state)?;
    if in_stock {
        query.filters.excluded = state.store.catalog().unavailable_skus().await?;
    }
    let offset = query.offset;
    let results = on_blocking_pool(move || index.search(&query)).await?;
    let skus: Vec<Sku> = results.hits.iter().map(|hit| hit.sku.clone()).collect();
    let stock = state.store.inventory().stock_levels(&skus).await?;
    let available = |sku: &Sku| {
        stock
            .iter()
            .find(|level| &level.sku == sku)
            .map_or(0, |level| level.available().max(0))
    };
    let shown = offset + results.hits.len();
    let next_cursor = (u64::try_from(shown).unwrap_or(u64::MAX) < results.total
        && shown < MAX_OFFSET)
        .then(|| shown.to_string());
    let mut categories: Vec<CategoryCount> = results
        .categories
        .into_iter()
        .map(|(category, count)| CategoryCount { category, count })
        .collect();
    categories.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.category.cmp(&b.category))
    });
    let items = results
        .hits
        .into_iter()
        .map(|hit| {
            let available = available(&hit.sku);
            SearchItem::new(hit, available)
        })
        .collect();
    Ok(Json(SearchPage {
        items,
        next_cursor,
        total: results.total,
        categories,
    }))
}

/// Product names for a search box, completing the last word typed.
#[utoipa::path(
    get,
    path = "/v1/search/suggest",
    tag = "search",
    params(SuggestParams),
    responses(
        (status = 200, description = "Up to 10 product names", body = Suggestions),
        (status = 422, description = "`q` is missing, blank or too long", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Search is not available", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn suggest(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Json<Suggestions>, ApiError> {
    let params: SuggestParams = query_params(&uri)?;
    let typed = params.q.unwrap_or_default();
    if typed.trim().is_empty() {
        return Err(ApiError::validation("q", "is required"));
    }
    if typed.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::validation(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let index = index(&state)?;
    let suggestions = on_blocking_pool(move || index.suggest(&typed, SUGGESTIONS)).await?;
    Ok(Json(Suggestions { suggestions }))
}

impl SearchItem {
    fn new(hit: SearchHit, available: i64) -> Self {
        SearchItem {
            sku: hit.sku,
            name: hit.name,
            description: hit.description,
            unit: hit.unit,
            price: hit.price,
            category: hit.category,
            origin: hit.origin,
            organic: hit.organic,
            rating: RatingBody {
                average: hit.rating_average,
                count: hit.rating_count,
            },
            available,
        }
    }
}

impl SearchParams {
    /// The search, and whether only products in stock are wanted. Every
    /// bad parameter is reported at once.
    fn validate(self) -> Result<(SearchQuery, bool), ApiError> {
        let mut errors = Vec::new();
        let text = self.q.unwrap_or_default();
        if text.chars().count() > MAX_QUERY_CHARS {
            errors.push(FieldError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let category = present(self.category).and_then(|raw| {
            CategorySlug::parse(&raw)
                .map(|slug| slug.as_str().to_owned())
                .map_err(|e| errors.push(FieldError::new("category", e.message)))
                .ok()
        });
        let mut price = |name: &str, raw: Option<String>| {
            present(raw).and_then(|raw| {
                raw.parse::<u64>()
                    .map_err(|_| {
                        errors.push(FieldError::new(
                            name,
                            "must be a whole number of minor units, 0 or more",
                        ))
                    })
                    .ok()
            })
        };
        let min_price = price("min_price", self.min_price);
        let max_price = price("max_price", self.max_price);
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min > max
        {
            errors.push(FieldError::new("max_price", "must be at least min_price"));
        }
        let origin = present(self.origin).map(|raw| raw.trim().to_owned());
        if origin
            .as_ref()
            .is_some_and(|o| o.chars().count() > MAX_ORIGIN_CHARS)
        {
            errors.push(FieldError::new(
                "origin",
                format!("must be at most {MAX_ORIGIN_CHARS} characters"),
            ));
        }
        let organic = flag("organic", self.organic, &mut errors);
        let in_stock = flag("in_stock", self.in_stock, &mut errors).unwrap_or(false);
        let sort = match present(self.sort) {
            None => SortOrder::Relevance,
            Some(raw) => SortOrder::parse(&raw).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "sort",
                    format!("must be one of {}", SortOrder::NAMES.join(", ")),
                ));
                SortOrder::Relevance
            }),
        };
        let offset = match present(self.cursor) {
            None => 0,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|offset| *offset <= MAX_OFFSET)
                .unwrap_or_else(|| {
                    errors.push(FieldError::new(
                        "cursor",
                        "is not a cursor this search handed out",
                    ));
                    0
                }),
        };
        let limit = match present(self.limit) {
            None => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .unwrap_or_else(|| {
                    errors.push(FieldError::new(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                    DEFAULT_LIMIT
                }),
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let query = SearchQuery {
            text,
            filters: Filters {
                category,
                min_price,
                max_price,
                origin,
                organic,
                excluded: Vec::new(),
            },
            sort,
            offset,
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        };
        Ok((query, in_stock))
    }
}

/// A parameter given a non-blank value.
fn present(raw: Option<String>) -> Option<String> {
    raw.filter(|raw| !raw.trim().is_empty())
}

fn flag(name: &str, raw: Option<String>, errors: &mut Vec<FieldError>) -> Option<bool> {
    match present(raw)?.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            errors.push(FieldError::new(name, "must be true or false"));
            None
        }
    }
}

fn query_params<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    Query::<T>::try_from_uri(uri)
        .map(|Query(params)| params)
        .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
}

fn index(state: &AppState) -> Result<Arc<ProductIndex>, ApiError> {
    state
        .search
        .clone()
        .ok_or_else(|| ApiError::ServiceUnavailable("search is not enabled on this server".into()))
}

/// Runs index work off the async threads: a search is CPU-bound, and a
/// commit waits for the disk.
async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::internal(error, "search task"))?
        .map_err(|error| match error {
            SearchError::Store(error) => ApiError::from(error),
            other => ApiError::internal(other, "searching"),
        })
}
