//! Products: `/v1/products` and `/v1/products/{sku}`, browsed by anyone
//! ([`browse`]) and listed and edited by sellers and admins ([`listing`]).
//! Reviews and recommendations of a product are their own resources.

mod browse;
mod listing;

use axum::Router;
use axum::routing::get;
use chrono::NaiveDate;
use orderly_domain::{Money, ProductAttributes, Sku, SupplierId, UserId};
use orderly_store::{OrganicCertificate, OrganicCertification, Product, StockLevel, Store};
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
    /// Only on the page of a product shown as organic
    /// (`attributes.organic`): whether the stock on sale comes from a
    /// supplier with a valid organic certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification: Option<CertificationBody>,
}

/// Where an organic product's certification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganicStatus {
    /// Stock on sale comes from a supplier whose organic certificate is
    /// valid today.
    Verified,
    /// Its organic suppliers' certificates have all run out.
    Expired,
    /// No stock on sale comes from a supplier with an organic certificate.
    Missing,
}

/// The supplier a certificate belongs to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertifiedSupplier {
    pub id: SupplierId,
    pub name: String,
}

/// An organic product's certification, computed from its batches with free
/// stock and their suppliers' certificates.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificationBody {
    pub organic: OrganicStatus,
    /// The certified supplier (the one whose certificate runs longest);
    /// absent when `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<CertifiedSupplier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
    /// The last day the certificate is (or was) valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

impl From<OrganicCertification> for CertificationBody {
    fn from(certification: OrganicCertification) -> Self {
        let (organic, certificate) = match certification {
            OrganicCertification::Verified(certificate) => {
                (OrganicStatus::Verified, Some(certificate))
            }
            OrganicCertification::Expired(certificate) => {
                (OrganicStatus::Expired, Some(certificate))
            }
            OrganicCertification::Missing => (OrganicStatus::Missing, None),
        };
        let (supplier, certificate_number, valid_until) = match certificate {
            Some(OrganicCertificate {
                supplier_id,
                supplier_name,
                certificate_number,
                valid_until,
            }) => (
                Some(CertifiedSupplier {
                    id: supplier_id,
                    name: supplier_name,
                }),
                Some(certificate_number),
                Some(valid_until),
            ),
            None => (None, None, None),
        };
        Self {
            organic,
            supplier,
            certificate_number,
            valid_until,
        }
    }
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
            certification: None,
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
