//! The discounts an order gets when it is priced: the price rules in force
//! at that moment (bulk tiers, festival offers), then the cart's coupon on
//! what they left. `POST /v1/orders`, checkout and the cart's coupon
//! preview all price through here.

use chrono::{DateTime, Utc};

use orderly_domain::{DiscountLine, OrderLine, Sku, offer_discounts};
use orderly_store::Product;

use crate::problem::ApiError;
use crate::state::AppState;

/// What the price rules take off `lines` at `now`; `products` tells each
/// line's category.
pub(crate) async fn offers_on(
    state: &AppState,
    lines: &[OrderLine],
    products: &[Product],
    now: DateTime<Utc>,
) -> Result<Vec<DiscountLine>, ApiError> {
    let skus: Vec<Sku> = lines.iter().map(|line| line.sku.clone()).collect();
    let rules = state.store.price_rules();
    let tiers = rules.bulk_tiers(&skus).await?;
    let offers = rules.offers_at(now).await?;
    Ok(offer_discounts(
        lines,
        |sku| tiers.get(sku).cloned().unwrap_or_default(),
        &offers,
        category_of(products),
        now,
    ))
}

/// Each SKU's category, as coupons and offers cover them.
pub(crate) fn category_of(products: &[Product]) -> impl Fn(&Sku) -> Option<String> + '_ {
    |sku| {
        products
            .iter()
            .find(|product| &product.sku == sku)
            .map(|product| product.category.clone())
    }
}
