//! The catalogue and its stock: `/v1/products` and `/v1/inventory`.
//!
//! Products are public and show how many units can still be ordered;
//! inactive products are hidden as if they did not exist; `?category=`
//! narrows the list to a branch of the category tree. Stock counts are
//! staff business: sellers may read them; admins, and the seller of a
//! product, may correct them.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use futures::future::try_join_all;
use orderly_domain::{CategorySlug, Money, ProductAttributes, Role, Sku, UserId};
use orderly_store::{Product, StockLevel, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, FieldError, Problem};
use crate::routes::listings::ensure_may_manage;
use crate::routes::reviews::{RatingSummary, rating_summaries};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", get(list_products))
        .route("/v1/products/{sku}", get(get_product))
        .route("/v1/inventory/{sku}", get(get_inventory).put(set_inventory))
}

/// A product as customers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductBody {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    /// What one unit is: `each`, `kg`, `100g` or `litre`.
    pub unit: String,
    /// Price of one unit.
    pub price: Money,
    /// The category's name; empty when it is not filed under one.
    pub category: String,
    /// The category's node in `GET /v1/categories`; `null` when unfiled.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub category_id: Option<uuid::Uuid>,
    /// Image URLs, in display order.
    pub images: Vec<String>,
    pub attributes: ProductAttributes,
    /// The seller who lists it; `null` for the shop's own products.
    pub seller_id: Option<UserId>,
    /// Units that can be ordered right now (on hand minus reserved).
    pub available: i64,
    /// Customers' average rating and how many rated it.
    pub rating: RatingSummary,
}

impl ProductBody {
    pub(crate) fn new(product: Product, stock: Option<StockLevel>) -> Self {
        Self {
            sku: product.sku,
            name: product.name,
            description: product.description,
            unit: product.unit,
            price: product.price,
            category: product.category,
            category_id: product.category_id,
            images: product.images,
            attributes: product.attributes,
            seller_id: product.seller_id,
            available: stock.map_or(0, |stock| stock.available().max(0)),
            rating: RatingSummary::default(),
        }
    }

    /// Fills in each body's rating, with one query for all of them.
    pub(crate) async fn with_ratings(
        store: &Store,
        mut bodies: Vec<ProductBody>,
    ) -> Result<Vec<ProductBody>, ApiError> {
        let skus: Vec<Sku> = bodies.iter().map(|body| body.sku.clone()).collect();
        let ratings = rating_summaries(store, &skus).await?;
        for body in &mut bodies {
            body.rating = ratings.get(&body.sku).copied().unwrap_or_default();
        }
        Ok(bodies)
    }
}

/// The stock of one SKU.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockBody {
    pub sku: Sku,
    /// Units physically in the warehouse.
    pub on_hand: i64,
    /// Units promised to orders that have not shipped yet.
    pub reserved: i64,
    /// `on_hand - reserved`: what new orders may take.
    pub available: i64,
}

impl From<StockLevel> for StockBody {
    fn from(stock: StockLevel) -> Self {
        Self {
            available: stock.available(),
            sku: stock.sku,
            on_hand: stock.on_hand,
            reserved: stock.reserved,
        }
    }
}

/// A stock count correction.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SetStockRequest {
    /// Units now in the warehouse; at least what is reserved.
    #[schema(minimum = 0)]
    pub on_hand: i64,
}

/// `?category=`: a branch of the category tree.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogFilter {
    /// A category slug: only products filed under it or any category
    /// below it.
    category: Option<String>,
}

/// Lists active products in SKU order.
#[utoipa::path(
    get,
    path = "/v1/products",
    tag = "catalog",
    params(PageQuery, CatalogFilter),
    responses(
        (status = 200, description = "One page of products", body = Paginated<ProductBody>),
        (status = 422, description = "Bad `limit` or `cursor`, or no such `category`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_products(
    State(state): State<AppState>,
    page: PageRequest,
    Query(filter): Query<CatalogFilter>,
) -> Result<Json<Paginated<ProductBody>>, ApiError> {
    let after: Option<Sku> = page.cursor()?;
    let rows = match filter.category.as_deref() {
        Some(raw) => {
            let slug = CategorySlug::parse(raw)
                .map_err(|_| ApiError::validation("category", "is not a category slug"))?;
            if state
                .store
                .catalog()
                .category_by_slug(&slug)
                .await?
                .is_none()
            {
                return Err(ApiError::validation(
                    "category",
                    "is not an existing category",
                ));
            }
            state
                .store
                .catalog()
                .list_products_in_category(&slug, after.as_ref(), page.fetch_limit())
                .await?
        }
        None => {
            state
                .store
                .catalog()
                .list_products(after.as_ref(), page.fetch_limit())
                .await?
        }
    };
    // The cursor is taken before hiding inactive products, so a page of
    // hidden products does not end the listing early.
    let (rows, next_cursor) = page.split(rows, |product| product.sku.to_string());
    let active: Vec<Product> = rows.into_iter().filter(|product| product.active).collect();
    let stock = try_join_all(
        active
            .iter()
            .map(|product| state.store.inventory().stock(&product.sku)),
    )
    .await?;
    let items = active
        .into_iter()
        .zip(stock)
        .map(|(product, stock)| ProductBody::new(product, stock))
        .collect();
    let items = ProductBody::with_ratings(&state.store, items).await?;
    Ok(Json(Paginated { items, next_cursor }))
}

/// One active product.
#[utoipa::path(
    get,
    path = "/v1/products/{sku}",
    tag = "catalog",
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    responses(
        (status = 200, description = "The product", body = ProductBody),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_product(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<ProductBody>, ApiError> {
    let sku = parse_sku(&sku)?;
    let product = state
        .store
        .catalog()
        .product(&sku)
        .await?
        .filter(|product| product.active)
        .ok_or(ApiError::NotFound)?;
    let stock = state.store.inventory().stock(&sku).await?;
    let mut body = ProductBody::new(product, stock);
    body.rating = rating_summaries(&state.store, std::slice::from_ref(&sku))
        .await?
        .remove(&sku)
        .unwrap_or_default();
    Ok(Json(body))
}

/// Stock of one SKU (admins and sellers).
#[utoipa::path(
    get,
    path = "/v1/inventory/{sku}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    responses(
        (status = 200, description = "The stock level", body = StockBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin or seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_inventory(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
) -> Result<Json<StockBody>, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let sku = parse_sku(&sku)?;
    if let Some(stock) = state.store.inventory().stock(&sku).await? {
        return Ok(Json(stock.into()));
    }
    // A product that was never counted simply has nothing in stock.
    state
        .store
        .catalog()
        .product(&sku)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(StockBody::from(StockLevel {
        sku,
        on_hand: 0,
        reserved: 0,
    })))
}

/// Corrects the counted stock of a SKU (admins, and the product's seller).
#[utoipa::path(
    put,
    path = "/v1/inventory/{sku}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    request_body = SetStockRequest,
    responses(
        (status = 200, description = "The new stock level", body = StockBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor the product's seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Below what is reserved for open orders", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Negative count or malformed SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_inventory(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
    ValidJson(request): ValidJson<SetStockRequest>,
) -> Result<Json<StockBody>, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let sku = parse_sku(&sku)?;
    if request.on_hand < 0 {
        return Err(ApiError::validation("on_hand", "must be zero or more"));
    }
    let product = state
        .store
        .catalog()
        .product(&sku)
        .await?
        .ok_or(ApiError::NotFound)?;
    ensure_may_manage(&caller, &product)?;
    match state
        .store
        .inventory()
        .set_on_hand(&sku, request.on_hand)
        .await
    {
        Ok(stock) => Ok(Json(stock.into())),
        Err(StoreError::Conflict(detail)) => {
            let reserved = state
                .store
                .inventory()
                .stock(&sku)
                .await?
                .map_or(0, |stock| stock.reserved);
            Err(ApiError::Conflict(format!(
                "{reserved} units of {sku} are reserved for open orders; on_hand cannot go below that ({detail})"
            )))
        }
        Err(other) => Err(other.into()),
    }
}

fn parse_sku(raw: &str) -> Result<Sku, ApiError> {
    Sku::parse(raw).map_err(|error| ApiError::Validation(vec![FieldError::from(error)]))
}
