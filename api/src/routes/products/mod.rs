//! Products: `/v1/products` and `/v1/products/{sku}`, browsed by anyone
//! ([`browse`]) and listed and edited by sellers and admins ([`listing`]).
//! Reviews and recommendations of a product are their own resources.

mod browse;
mod listing;

use axum::Router;
use axum::routing::get;
use orderly_domain::{Money, ProductAttributes, Sku, UserId};
use orderly_store::{Product, StockLevel, Store};
use serde::Serialize;

use crate::problem::ApiError;
use crate::routes::reviews::{RatingSummary, rating_summaries};
use crate::state::AppState;

pub use browse::{
    __path_get_product, __path_list_products, CatalogFilter, get_product, list_products,
};
pub use listing::{
    __path_create_product, __path_update_product, ListingBody, create_product, update_product,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", get(list_products).post(create_product))
        .route("/v1/products/{sku}", get(get_product).patch(update_product))
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
