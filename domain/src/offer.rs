//! Price rules that need no code from the shopper: bulk tiers per SKU
//! ("5 kg or more: 10% off") and festival offers over categories or SKUs
//! for a window of time. A rule is judged at the moment the order is
//! priced, and a window includes its start and excludes its end, so an
//! order priced at 23:59:59 on the last day gets the offer and one at
//! 00:00:00 does not. Each line gets the best one rule gives it; rules do
//! not stack (a coupon then applies to what is left).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DiscountLine, DiscountShare, Money, OrderLine, Sku};

/// Loyalty points a received order earns per ₹100 paid, unless configured.
pub const DEFAULT_POINTS_PER_100: u32 = 1;
/// What one loyalty point is worth at checkout, in paise.
pub const POINT_VALUE_PAISE: i64 = 100;
/// The `source` of the discount line that loyalty points paid.
pub const POINTS_SOURCE: &str = "points";

/// The loyalty points to give back for the units of an order that were
/// refunded: what of the points spent at checkout those units carried (as
/// refunds prorate every discount), in whole points. The units are those
/// of refunds that went through and of shipments that came back and were
/// refunded (`parcels`), never more than the order had of a line.
pub fn points_refunded(
    items: &[OrderLine],
    discounts: &[DiscountLine],
    refunds: &[crate::RefundView],
    parcels: &[crate::ParcelView],
) -> i64 {
    let points: Vec<DiscountLine> = discounts
        .iter()
        .filter(|d| d.source == POINTS_SOURCE)
        .cloned()
        .collect();
    if points.is_empty() {
        return 0;
    }
    let mut units: std::collections::BTreeMap<&Sku, u32> = Default::default();
    let refunded = refunds
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                crate::RefundStatus::Refunded | crate::RefundStatus::PaidOut
            )
        })
        .flat_map(|r| r.lines.iter().map(|line| (&line.sku, line.quantity)));
    let came_back = parcels
        .iter()
        .filter(|p| p.refunded.is_some_and(|amount| amount.amount > 0))
        .flat_map(|p| p.items.iter().map(|line| (&line.sku, line.quantity)));
    for (sku, quantity) in refunded.chain(came_back) {
        let counted = units.entry(sku).or_default();
        *counted = counted.saturating_add(quantity);
    }
    let paise: i64 = units
        .into_iter()
        .filter_map(|(sku, refunded)| {
            let item = items.iter().find(|i| &i.sku == sku)?;
            let ordered = item.quantity.get();
            Some(crate::discount_on_units(
                &points,
                sku,
                ordered,
                0,
                refunded.min(ordered),
            ))
        })
        .sum();
    paise / POINT_VALUE_PAISE
}

/// From `min_quantity` units of a SKU on one line, `percent_off` its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BulkTier {
    pub min_quantity: u32,
    /// Whole percent, 1-90.
    pub percent_off: u32,
}

/// A named offer over categories or SKUs between two moments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FestivalOffer {
    pub name: String,
    /// Whole percent, 1-90.
    pub percent_off: u32,
    pub skus: Vec<Sku>,
    pub categories: Vec<String>,
    pub starts_at: DateTime<Utc>,
    /// The first moment the offer is over.
    pub ends_at: DateTime<Utc>,
}

impl FestivalOffer {
    pub fn is_on(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    fn covers(&self, sku: &Sku, category: Option<&str>) -> bool {
        self.skus.contains(sku) || category.is_some_and(|c| self.categories.iter().any(|o| o == c))
    }
}

/// The discounts the price rules give `lines` at `now`: per line the
/// largest of its SKU's bulk tier (`tiers`) and the festival offers on at
/// `now` that cover it (`category` tells each SKU's category), one
/// discount line per rule that gave any.
pub fn offer_discounts(
    lines: &[OrderLine],
    tiers: impl Fn(&Sku) -> Vec<BulkTier>,
    offers: &[FestivalOffer],
    category: impl Fn(&Sku) -> Option<String>,
    now: DateTime<Utc>,
) -> Vec<DiscountLine> {
    let mut discounts: Vec<DiscountLine> = Vec::new();
    for line in lines {
        let quantity = line.quantity.get();
        let tier = tiers(&line.sku)
            .into_iter()
            .filter(|tier| quantity >= tier.min_quantity)
            .map(|tier| (tier.percent_off, format!("bulk:{}", line.sku)))
            .max_by_key(|(percent, _)| *percent);
        let sku_category = category(&line.sku);
        let festival = offers
            .iter()
            .filter(|offer| offer.is_on(now) && offer.covers(&line.sku, sku_category.as_deref()))
            .map(|offer| (offer.percent_off, format!("offer:{}", offer.name)))
            .max_by_key(|(percent, _)| *percent);
        let best = [tier, festival]
            .into_iter()
            .flatten()
            .max_by_key(|(percent, _)| *percent);
        let Some((percent, source)) = best else {
            continue;
        };
        let off =
            i64::try_from(i128::from(line.subtotal.amount) * i128::from(percent.min(90)) / 100)
                .unwrap_or(0);
        if off == 0 {
            continue;
        }
        let share = DiscountShare {
            sku: line.sku.clone(),
            amount: Money::new(off, line.subtotal.currency),
        };
        match discounts.iter_mut().find(|d| d.source == source) {
            Some(discount) => {
                discount.amount.amount += off;
                discount.lines.push(share);
            }
            None => discounts.push(DiscountLine {
                source,
                amount: share.amount,
                lines: vec![share],
            }),
        }
    }
    discounts
}

/// `lines` with what `discounts` took off each line's subtotal removed:
/// what a coupon applies to.
pub fn after_discounts(lines: &[OrderLine], discounts: &[DiscountLine]) -> Vec<OrderLine> {
    lines
        .iter()
        .map(|line| {
            let off: i64 = discounts
                .iter()
                .flat_map(|d| &d.lines)
                .filter(|share| share.sku == line.sku)
                .map(|share| share.amount.amount)
                .sum();
            OrderLine {
                subtotal: Money::new((line.subtotal.amount - off).max(0), line.subtotal.currency),
                ..line.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::samples::line;

    fn diwali() -> FestivalOffer {
        FestivalOffer {
            name: "Diwali".into(),
            percent_off: 15,
            skus: Vec::new(),
            categories: vec!["fruit".into()],
            starts_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2026, 11, 6, 0, 0, 0).unwrap(),
        }
    }

    fn fruit(_: &Sku) -> Option<String> {
        Some("fruit".into())
    }

    #[test]
    fn a_shipment_that_came_back_refunded_gives_back_its_share_of_the_points_once() {
        let items = [line("MANGO-1KG", 3, 10_000)];
        // 30 points (₹30) spent on the order, ₹10 a box.
        let spent = DiscountLine::spread(POINTS_SOURCE.into(), crate::samples::inr(3_000), &items);
        let parcel = crate::ParcelView {
            id: 1,
            warehouse_id: crate::DEFAULT_WAREHOUSE,
            items: vec![crate::ParcelLine {
                sku: Sku::parse("MANGO-1KG").unwrap(),
                quantity: 2,
            }],
            status: crate::ParcelStatus::Returned,
            tracking_id: None,
            carrier: None,
            last_location: None,
            refunded: Some(crate::samples::inr(18_000)),
        };
        let discounts = [spent];
        assert_eq!(points_refunded(&items, &discounts, &[], &[]), 0);
        assert_eq!(
            points_refunded(&items, &discounts, &[], std::slice::from_ref(&parcel)),
            20
        );
        let not_refunded = crate::ParcelView {
            refunded: None,
            ..parcel.clone()
        };
        assert_eq!(points_refunded(&items, &discounts, &[], &[not_refunded]), 0);
        // Two refunded shipments of one line never count past the line.
        let twice = [parcel.clone(), crate::ParcelView { id: 2, ..parcel }];
        assert_eq!(points_refunded(&items, &discounts, &[], &twice), 30);
    }

    #[test]
    fn an_offer_holds_at_23_59_of_its_last_day_and_not_at_midnight() {
        let lines = [line("MANGO-1KG", 1, 10_000)];
        let last_minute = Utc.with_ymd_and_hms(2026, 11, 5, 23, 59, 59).unwrap();
        let midnight = Utc.with_ymd_and_hms(2026, 11, 6, 0, 0, 0).unwrap();
        let on = offer_discounts(&lines, |_| Vec::new(), &[diwali()], fruit, last_minute);
        assert_eq!(on[0].amount.amount, 1_500);
        assert_eq!(on[0].source, "offer:Diwali");
        let off = offer_discounts(&lines, |_| Vec::new(), &[diwali()], fruit, midnight);
        assert!(off.is_empty());
        let first_moment = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        assert_eq!(
            offer_discounts(&lines, |_| Vec::new(), &[diwali()], fruit, first_moment).len(),
            1
        );
    }

    #[test]
    fn a_bulk_tier_applies_from_its_quantity_and_the_best_rule_wins() {
        let tiers = |_: &Sku| {
            vec![
                BulkTier {
                    min_quantity: 5,
                    percent_off: 10,
                },
                BulkTier {
                    min_quantity: 10,
                    percent_off: 20,
                },
            ]
        };
        let before = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        let four = offer_discounts(&[line("RICE-1KG", 4, 1_000)], tiers, &[], fruit, before);
        assert!(four.is_empty());
        let five = offer_discounts(&[line("RICE-1KG", 5, 1_000)], tiers, &[], fruit, before);
        assert_eq!(five[0].amount.amount, 500);
        assert_eq!(five[0].source, "bulk:RICE-1KG");
        let twelve = offer_discounts(&[line("RICE-1KG", 12, 1_000)], tiers, &[], fruit, before);
        assert_eq!(twelve[0].amount.amount, 2_400);
        let during = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        let both = offer_discounts(
            &[line("RICE-1KG", 5, 1_000)],
            tiers,
            &[diwali()],
            fruit,
            during,
        );
        assert_eq!(both.len(), 1, "rules do not stack");
        assert_eq!(both[0].source, "offer:Diwali");
    }

    #[test]
    fn a_coupon_applies_to_what_the_offers_left() {
        let lines = [line("MANGO-1KG", 2, 10_000)];
        let during = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        let offers = offer_discounts(&lines, |_| Vec::new(), &[diwali()], fruit, during);
        let left = after_discounts(&lines, &offers);
        assert_eq!(left[0].subtotal.amount, 17_000);
        assert_eq!(left[0].unit_price.amount, 10_000);
    }
}
