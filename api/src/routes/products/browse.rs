//! Browsing the catalogue: `GET /v1/products` and `GET /v1/products/{sku}`.
//!
//! Products are public and show how many units can still be ordered;
//! inactive products are hidden as if they did not exist; `?category=`
//! narrows the list to a branch of the category tree. The page of a
//! product shown as organic also says whether its stock on sale comes
//! from a supplier certified organic.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use futures::future::try_join_all;
use orderly_domain::{CategorySlug, Sku};
use orderly_store::Product;
use serde::Deserialize;

use super::ProductBody;
use crate::pagination::{PageQuery, PageRequest, Paginated};
use crate::problem::{ApiError, Problem};
use crate::routes::reviews::rating_summaries;
use crate::routes::sku_in_path;
use crate::state::AppState;

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

/// One active product; an organic one with its `certification`.
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
    let sku = sku_in_path(&sku)?;
    let product = state
        .store
        .catalog()
        .product(&sku)
        .await?
        .filter(|product| product.active)
        .ok_or(ApiError::NotFound)?;
    let stock = state.store.inventory().stock(&sku).await?;
    let organic = product.attributes.organic;
    let mut body = ProductBody::new(product, stock);
    if organic {
        let certification = state
            .store
            .suppliers()
            .organic_certification(&sku, Utc::now())
            .await?;
        body.certification = Some(certification.into());
    }
    body.rating = rating_summaries(&state.store, std::slice::from_ref(&sku))
        .await?
        .remove(&sku)
        .unwrap_or_default();
    Ok(Json(body))
}
