//! Recommendations: `/v1/products/{sku}/recommendations` (bought together)
//! and `/v1/me/recommendations` (for the caller). The ranking is
//! `orderly_recommendations`, documented there; this module
//! only checks who may ask and shapes the answer.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Serialize;

use orderly_domain::{Money, Role, Sku};
use orderly_recommendations::{self as recommendations, Recommendation};

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};
use crate::routes::reviews::{RatingSummary, rating_summaries};
use crate::routes::sku_in_path;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/products/{sku}/recommendations",
        get(product_recommendations),
    )
}

/// A recommended product and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecommendationBody {
    pub sku: Sku,
    pub name: String,
    /// What one unit is: `each`, `kg`, `100g` or `litre`.
    pub unit: String,
    pub price: Money,
    pub category: String,
    pub rating: RatingSummary,
    /// `bought_together`, `seasonal` or `best_seller`.
    pub reason: String,
    /// Bought together: affinity (cosine similarity of the products' order
    /// sets, damped for few shared orders; summed over the caller's
    /// purchases). Best sellers: orders in the last 90 days. Seasonal: 0.
    pub score: f64,
    /// Bought together: received orders that held both.
    pub bought_together: i64,
    /// For the caller's list: which of their purchases it goes with.
    pub because_of: Vec<Sku>,
}

/// At most 10 recommendations, best first; not paginated.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecommendationList {
    pub items: Vec<RecommendationBody>,
}

/// Products bought together with this one in delivered and picked-up orders.
#[utoipa::path(
    get,
    path = "/v1/products/{sku}/recommendations",
    tag = "recommendations",
    params(("sku" = String, Path, description = "The product's SKU", example = "APPLE-1KG")),
    responses(
        (status = 200, description = "Up to 10 products, most strongly bought together first", body = RecommendationList),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed SKU", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn product_recommendations(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<RecommendationList>, ApiError> {
    let sku = sku_in_path(&sku)?;
    state
        .store
        .catalog()
        .product(&sku)
        .await?
        .filter(|product| product.active)
        .ok_or(ApiError::NotFound)?;
    let found = recommendations::for_product(&state.store, &sku).await?;
    Ok(Json(list(&state, found).await?))
}

/// The caller's recommendations: partners of what they bought, what is in
/// season, and best sellers, ranked by their preferences.
#[utoipa::path(
    get,
    path = "/v1/me/recommendations",
    tag = "recommendations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Up to 10 products the caller has not bought yet", body = RecommendationList),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn my_recommendations(
    State(state): State<AppState>,
    caller: AuthUser,
) -> Result<Json<RecommendationList>, ApiError> {
    caller.require(&[Role::Customer])?;
    let preferences = state
        .store
        .accounts()
        .profile(caller.id)
        .await?
        .map(|profile| profile.preferences)
        .unwrap_or_default();
    let found =
        recommendations::for_customer(&state.store, caller.id, preferences, Utc::now()).await?;
    Ok(Json(list(&state, found).await?))
}

async fn list(
    state: &AppState,
    found: Vec<Recommendation>,
) -> Result<RecommendationList, ApiError> {
    let skus: Vec<Sku> = found.iter().map(|r| r.product.sku.clone()).collect();
    let ratings = rating_summaries(&state.store, &skus).await?;
    let items = found
        .into_iter()
        .map(|found| RecommendationBody {
            rating: ratings.get(&found.product.sku).copied().unwrap_or_default(),
            reason: found.reason.as_str().to_owned(),
            score: found.score,
            bought_together: found.bought_together,
            because_of: found.because_of,
            sku: found.product.sku,
            name: found.product.name,
            unit: found.product.unit,
            price: found.product.price,
            category: found.product.category,
        })
        .collect();
    Ok(RecommendationList { items })
}
