//! Price rules without a code: bulk tiers per SKU (admin, or the product's
//! seller) and festival offers (admin). Orders are priced against the rules
//! in force at the moment they are placed (see `crate::pricing`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use orderly_domain::{BulkTier, FestivalOffer, Role, Sku};
use orderly_store::OfferRecord;

use crate::auth::AuthUser;
use crate::json::ValidJson;
use crate::problem::{ApiError, FieldError};
use crate::routes::{managed_product, sku_in_path};
use crate::state::AppState;

/// The largest percentage a rule may take off.
const MAX_PERCENT_OFF: u32 = 90;
const MAX_TIERS: usize = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/products/{sku}/bulk-tiers",
            get(get_bulk_tiers).put(set_bulk_tiers),
        )
        .route("/v1/offers", post(create_offer).get(list_offers))
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTiers {
    /// From `min_quantity` units on one line, `percent_off` (1-90) the price.
    pub tiers: Vec<BulkTier>,
}

/// A SKU's bulk tiers.
#[utoipa::path(
    get, path = "/v1/products/{sku}/bulk-tiers", tag = "offers",
    params(("sku" = String, Path, description = "SKU")),
    responses((status = 200, body = BulkTiers), (status = 404, description = "No such product"))
)]
pub async fn get_bulk_tiers(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<BulkTiers>, ApiError> {
    let sku = sku_in_path(&sku)?;
    state
        .store
        .catalog()
        .product(&sku)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tiers = state
        .store
        .price_rules()
        .bulk_tiers(std::slice::from_ref(&sku))
        .await?;
    Ok(Json(BulkTiers {
        tiers: tiers.remove(&sku).unwrap_or_default(),
    }))
}

/// Replace a SKU's bulk tiers (admin, or the product's seller).
#[utoipa::path(
    put, path = "/v1/products/{sku}/bulk-tiers", tag = "offers",
    request_body = BulkTiers,
    params(("sku" = String, Path, description = "SKU")),
    responses(
        (status = 200, body = BulkTiers),
        (status = 404, description = "No such product"),
        (status = 422, description = "Invalid tiers"),
    ),
    security(("bearer" = []))
)]
pub async fn set_bulk_tiers(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(sku): Path<String>,
    ValidJson(body): ValidJson<BulkTiers>,
) -> Result<Json<BulkTiers>, ApiError> {
    caller.require(&[Role::Admin, Role::Seller])?;
    let sku = sku_in_path(&sku)?;
    managed_product(&state, &caller, &sku).await?;
    let mut problems = Vec::new();
    if body.tiers.len() > MAX_TIERS {
        problems.push(FieldError::new(
            "tiers",
            format!("at most {MAX_TIERS} tiers"),
        ));
    }
    for (at, tier) in body.tiers.iter().enumerate() {
        if tier.min_quantity < 2 {
            problems.push(FieldError::new(
                format!("tiers[{at}].min_quantity"),
                "must be at least 2",
            ));
        }
        if !(1..=MAX_PERCENT_OFF).contains(&tier.percent_off) {
            problems.push(FieldError::new(
                format!("tiers[{at}].percent_off"),
                format!("must be 1-{MAX_PERCENT_OFF}"),
            ));
        }
        if body.tiers[..at]
            .iter()
            .any(|earlier| earlier.min_quantity == tier.min_quantity)
        {
            problems.push(FieldError::new(
                format!("tiers[{at}].min_quantity"),
                "is given twice",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let mut tiers = body.tiers;
    tiers.sort_by_key(|tier| tier.min_quantity);
    state
        .store
        .price_rules()
        .set_bulk_tiers(&sku, &tiers)
        .await?;
    Ok(Json(BulkTiers { tiers }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferBody {
    pub name: String,
    pub percent_off: u32,
    #[serde(default)]
    pub skus: Vec<Sku>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub starts_at: DateTime<Utc>,
    /// The first moment the offer is over.
    pub ends_at: DateTime<Utc>,
}

impl OfferBody {
    fn parse(self) -> Result<FestivalOffer, ApiError> {
        let mut problems = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            problems.push(FieldError::new("name", "must be 1-100 characters"));
        }
        if !(1..=MAX_PERCENT_OFF).contains(&self.percent_off) {
            problems.push(FieldError::new(
                "percent_off",
                format!("must be 1-{MAX_PERCENT_OFF}"),
            ));
        }
        if self.skus.is_empty() && self.categories.is_empty() {
            problems.push(FieldError::new(
                "categories",
                "name the categories or skus the offer covers",
            ));
        }
        if self.ends_at <= self.starts_at {
            problems.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        Ok(FestivalOffer {
            name,
            percent_off: self.percent_off,
            skus: self.skus,
            categories: self.categories,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferView {
    pub id: Uuid,
    #[serde(flatten)]
    pub offer: FestivalOffer,
    /// Whether it holds now.
    pub on: bool,
}

impl OfferView {
    fn at(record: OfferRecord, now: DateTime<Utc>) -> Self {
        Self {
            id: record.id,
            on: record.offer.is_on(now),
            offer: record.offer,
        }
    }
}

/// Create a festival offer (admin).
#[utoipa::path(
    post, path = "/v1/offers", tag = "offers",
    request_body = OfferBody,
    responses(
        (status = 201, body = OfferView),
        (status = 409, description = "An offer has this name"),
        (status = 422, description = "Invalid offer"),
    ),
    security(("bearer" = []))
)]
pub async fn create_offer(
    State(state): State<AppState>,
    caller: AuthUser,
    ValidJson(body): ValidJson<OfferBody>,
) -> Result<(StatusCode, Json<OfferView>), ApiError> {
    caller.require(&[Role::Admin])?;
    let offer = body.parse()?;
    let record = state.store.price_rules().create_offer(&offer).await?;
    Ok((StatusCode::CREATED, Json(OfferView::at(record, Utc::now()))))
}

/// Festival offers that hold now or are to come (anyone).
#[utoipa::path(
    get, path = "/v1/offers", tag = "offers",
    responses((status = 200, body = [OfferView]))
)]
pub async fn list_offers(State(state): State<AppState>) -> Result<Json<Vec<OfferView>>, ApiError> {
    let now = Utc::now();
    let offers = state.store.price_rules().list_offers().await?;
    Ok(Json(
        offers
            .into_iter()
            .filter(|record| record.offer.ends_at > now)
            .map(|record| OfferView::at(record, now))
            .collect(),
    ))
}
