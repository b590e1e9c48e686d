//! Sellers' listings: creating products (`POST /v1/products`) and editing
//! them (`PATCH /v1/products/{sku}`).
//!
//! A seller lists and edits only their own products; an admin edits every
//! product and may list one on a seller's behalf. Creating a product
//! creates its stock record in the same transaction, so a listed product
//! always has a count (zero unless `stock` says otherwise). Price edits
//! change the catalogue only: placed orders keep the prices in their lines.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderly_domain::{
    CategorySlug, Currency, ImageUrl, Money, ProductAttributes, Role, Sku, UnitOfSale, UserId,
};
use orderly_store::{CreationKey, Product, ProductChanges, ProductCreation, StoreError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ProductBody;
use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::order_placement::idempotency_key;
use crate::problem::{ApiError, FieldError, Problem};
use crate::routes::{managed_product, sku_in_path};
use crate::state::AppState;

const MAX_NAME_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 5000;
const MAX_IMAGES: usize = 10;
const MAX_THRESHOLD: i64 = 1_000_000;

/// A product as its seller sees it: the public page plus what only staff
/// manage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingBody {
    #[serde(flatten)]
    pub product: ProductBody,
    /// Whether shoppers can see and order it.
    pub active: bool,
    /// Available stock below this sends the seller a low-stock notice; 0
    /// never does.
    pub low_stock_threshold: i64,
}

impl ListingBody {
    /// The listing of `product` with its current stock and rating.
    async fn of(state: &AppState, product: Product) -> Result<Self, ApiError> {
        let stock = state.store.inventory().stock(&product.sku).await?;
        let active = product.active;
        let low_stock_threshold = product.low_stock_threshold;
        let bodies =
            ProductBody::with_ratings(&state.store, vec![ProductBody::new(product, stock)]).await?;
        let product = bodies
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a rated product went missing")))?;
        Ok(Self {
            product,
            active,
            low_stock_threshold,
        })
    }
}

/// A new product.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    pub sku: Sku,
    /// 1-200 characters.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub unit: UnitOfSale,
    /// Price of one unit, in INR minor units (paise).
    pub price: Money,
    /// Slug of the category to file it under.
    #[serde(default)]
    pub category: Option<String>,
    /// Up to 10 absolute http(s) image URLs, in display order.
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub attributes: ProductAttributes,
    /// Whether shoppers can see it at once; `true` when absent.
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub low_stock_threshold: i64,
    /// Units in stock at creation; 0 when absent.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub stock: i64,
    /// Admins only: the seller who will own the product. A seller's own
    /// products are always theirs.
    #[serde(default)]
    pub seller_id: Option<UserId>,
}

/// Changes to a product; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub unit: Option<UnitOfSale>,
    /// The new price of one unit; orders already placed keep theirs.
    pub price: Option<Money>,
    /// Slug of the category to file it under.
    pub category: Option<String>,
    /// Replaces the image list.
    pub images: Option<Vec<String>>,
    /// Replaces all attributes.
    pub attributes: Option<ProductAttributes>,
    pub active: Option<bool>,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub low_stock_threshold: Option<i64>,
}

/// Lists a new product with its stock (sellers and admins).
#[utoipa::path(
    post,
    path = "/v1/products",
    tag = "catalog",
    security(("bearer" = [])),
    request_body = CreateProductRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the product the first attempt created")),
    responses(
        (status = 201, description = "The new product", body = ListingBody),
        (status = 200, description = "The product an earlier request with this Idempotency-Key created", body = ListingBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a seller or admin, or a seller listing for someone else", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The SKU exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid product (names the fields), or the key was used for another request", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_product(
    State(state): State<AppState>,
    caller: AuthUser,
    headers: HeaderMap,
    ValidJson(request): ValidJson<CreateProductRequest>,
) -> Result<Response, ApiError> {
    caller.require(&[Role::Seller, Role::Admin])?;
    let key = idempotency_key(&headers)?;
    let seller_id = match (caller.role, request.seller_id) {
        (Role::Seller, Some(other)) if other != caller.id => {
            return Err(ApiError::Forbidden(
                "a seller lists products only for themselves".into(),
            ));
        }
        (Role::Seller, _) => Some(caller.id),
        (_, Some(seller)) => Some(seller),
        (_, None) => None,
    };
    let mut errors = Vec::new();
    let name = checked_name(&request.name, &mut errors);
    check_description(&request.description, &mut errors);
    check_price(&request.price, &mut errors);
    let images = checked_images(&request.images, &mut errors);
    check_threshold(request.low_stock_threshold, &mut errors);
    if let Err(message) = orderly_domain::check_on_hand(request.stock) {
        errors.push(FieldError::new("stock", message));
    }
    let category = match &request.category {
        Some(slug) => category_of(&state, slug, &mut errors).await?,
        None => None,
    };
    if caller.role == Role::Admin
        && let Some(seller) = seller_id
    {
        check_seller(&state, seller, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (category_id, category_name) = category.unzip();
    let product = Product {
        sku: request.sku.clone(),
        name,
        description: request.description.clone(),
        unit: request.unit.as_str().to_owned(),
        price: request.price,
        category: category_name.unwrap_or_default(),
        active: request.active.unwrap_or(true),
        seller_id,
        category_id,
        images,
        attributes: request.attributes.clone(),
        low_stock_threshold: request.low_stock_threshold,
    };
    let fingerprint = crate::order_placement::request_fingerprint(&state, &request);
    let creation_key = key.as_deref().map(|key| CreationKey {
        user_id: caller.id,
        key,
        request_hash: &fingerprint,
    });
    match state
        .store
        .catalog()
        .create_product(&product, request.stock, creation_key)
        .await?
    {
        ProductCreation::Created(created) => {
            crate::routes::search::reindex(&state, &created.sku).await;
            let location = format!("/v1/products/{}", created.sku);
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(ListingBody::of(&state, *created).await?),
            )
                .into_response())
        }
        ProductCreation::Replayed { sku, request_hash } if request_hash == fingerprint => {
            let product = state
                .store
                .catalog()
                .product(&sku)
                .await?
                .ok_or(ApiError::NotFound)?;
            Ok(Json(ListingBody::of(&state, product).await?).into_response())
        }
        ProductCreation::Replayed { .. } => Err(ApiError::IdempotencyMismatch),
    }
}

/// Edits a product (its seller, or an admin).
#[utoipa::path(
    patch,
    path = "/v1/products/{sku}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    request_body = UpdateProductRequest,
    responses(
        (status = 200, description = "The product as it now is", body = ListingBody),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the product's seller nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid changes (names the fields)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_product(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
    ValidJson(request): ValidJson<UpdateProductRequest>,
) -> Result<Json<ListingBody>, ApiError> {
    caller.require(&[Role::Seller, Role::Admin])?;
    let sku = sku_in_path(&sku)?;
    managed_product(&state, &caller, &sku).await?;

    let mut errors = Vec::new();
    let name = request
        .name
        .as_deref()
        .map(|name| checked_name(name, &mut errors));
    if let Some(description) = &request.description {
        check_description(description, &mut errors);
    }
    if let Some(price) = &request.price {
        check_price(price, &mut errors);
    }
    let images = request
        .images
        .as_deref()
        .map(|images| checked_images(images, &mut errors));
    if let Some(threshold) = request.low_stock_threshold {
        check_threshold(threshold, &mut errors);
    }
    let category = match &request.category {
        Some(slug) => category_of(&state, slug, &mut errors).await?,
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let changes = ProductChanges {
        name,
        description: request.description,
        unit: request.unit.map(|unit| unit.as_str().to_owned()),
        price: request.price,
        category,
        images,
        attributes: request.attributes,
        active: request.active,
        low_stock_threshold: request.low_stock_threshold,
    };
    let updated = match state.store.catalog().update_product(&sku, &changes).await {
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        other => other?,
    };
    crate::routes::search::reindex(&state, &sku).await;
    Ok(Json(ListingBody::of(&state, updated).await?))
}

fn checked_name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::new("name", "must be 1-200 characters"));
    }
    name.to_owned()
}

fn check_description(description: &str, errors: &mut Vec<FieldError>) {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            "description",
            "must be at most 5000 characters",
        ));
    }
}

fn check_price(price: &Money, errors: &mut Vec<FieldError>) {
    if price.amount < 0 {
        errors.push(FieldError::new("price.amount", "must be zero or more"));
    }
    // One currency for the whole shop, so carts and orders can add up.
    if price.currency != Currency::INR {
        errors.push(FieldError::new("price.currency", "must be INR"));
    }
}

fn check_threshold(threshold: i64, errors: &mut Vec<FieldError>) {
    if !(0..=MAX_THRESHOLD).contains(&threshold) {
        errors.push(FieldError::new(
            "low_stock_threshold",
            "must be 0 to 1000000",
        ));
    }
}

fn checked_images(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if raw.len() > MAX_IMAGES {
        errors.push(FieldError::new("images", "must list at most 10 images"));
    }
    raw.iter()
        .enumerate()
        .filter_map(|(i, url)| match ImageUrl::parse(url) {
            Ok(url) => Some(url.into()),
            Err(error) => {
                errors.push(FieldError::new(format!("images[{i}]"), error.message));
                None
            }
        })
        .collect()
}

/// The id and name of the category `slug`, or a field error.
async fn category_of(
    state: &AppState,
    slug: &str,
    errors: &mut Vec<FieldError>,
) -> Result<Option<(Uuid, String)>, ApiError> {
    let Ok(slug) = CategorySlug::parse(slug) else {
        errors.push(FieldError::new("category", "is not a category slug"));
        return Ok(None);
    };
    match state.store.catalog().category_by_slug(&slug).await? {
        Some(category) => Ok(Some((category.id, category.name))),
        None => {
            errors.push(FieldError::new("category", "is not an existing category"));
            Ok(None)
        }
    }
}

async fn check_seller(
    state: &AppState,
    seller: UserId,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    let user = state.store.accounts().user_by_id(seller).await?;
    if user.is_none_or(|user| user.role != Role::Seller) {
        errors.push(FieldError::new("seller_id", "is not a seller's account"));
    }
    Ok(())
}
