//! The HTTP resources, one module per area. Each exposes `router()`, and
//! `crate::app` merges them; authentication lives in `crate::auth`.

pub mod cart;
pub mod categories;
pub mod checkout;
pub mod codec;
pub mod codec_session;
pub mod coupons;
pub mod edits;
pub mod expiry_sweep;
pub mod inventory;
pub mod me;
pub mod offers;
pub mod ops;
pub mod ops_alerts;
pub mod orders;
pub mod products;
pub mod recommendations;
pub mod refunds;
pub mod reports;
pub mod returns;
pub mod reviews;
pub mod sandbox_cards;
pub mod sandbox_outbox;
pub mod search;
pub mod staff;
pub mod suppliers;
pub mod warehouse_shipments;
pub mod warehouses;
pub mod webhooks;

use orderly_domain::Sku;
use orderly_store::Product;

use crate::auth::AuthUser;
use crate::problem::{ApiError, FieldError};
use crate::state::AppState;

/// The SKU named in a path; a malformed one is a 422 naming the problem.
pub(crate) fn sku_in_path(raw: &str) -> Result<Sku, ApiError> {
    Sku::parse(raw).map_err(|error| ApiError::Validation(vec![FieldError::from(error)]))
}

/// The product `sku`, if `caller` manages it (an admin, or the product's
/// seller): a missing one is 404, another seller's 403.
pub(crate) async fn managed_product(
    state: &AppState,
    caller: &AuthUser,
    sku: &Sku,
) -> Result<Product, ApiError> {
    let product = state
        .store
        .catalog()
        .product(sku)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller.ensure_manages(&product)?;
    Ok(product)
}
