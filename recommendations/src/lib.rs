//! Recommendations: what is bought together, and what to show a customer.
//!
//! Everything is learnt from `received_lines`, the lines of delivered and
//! picked-up orders, through bounded queries in the store; the ranking
//! happens here, in plain Rust, where it can be tested without a database.
//!
//! **Bought together** (`for_product`). For a product X, every active
//! product Y that shared a received order with X is a candidate. Ranking
//! by the raw number of shared orders would recommend the staples in every
//! basket (milk, bananas) for everything, so a pair is scored by
//! [`affinity`]: the cosine similarity (Ochiai coefficient) of the two
//! products' sets of orders, `together / sqrt(orders(X) · orders(Y))`,
//! which is 1 when the two are always bought together and small when Y is
//! merely popular. It is multiplied by `together / (together + 1)`, so a
//! pair seen in one order ranks below a pair seen in many. The candidates
//! are the [`PAIR_CANDIDATES`] pairs with most shared orders; the best
//! [`LIMIT`] by score are returned (ties by more shared orders, then sku).
//!
//! **For a customer** (`for_customer`), at most [`LIMIT`] products the
//! customer has not received yet, from three sources:
//! 1. *Bought with what you bought*: the partners of the customer's
//!    [`HISTORY`] most recently received products, each scored by the sum
//!    of its affinities with them (a product that goes with several of
//!    their purchases ranks higher).
//! 2. *In season*: active products whose name matches this month's entries
//!    of the season table ([`seasons`]), at most [`SEASONAL_SLOTS`] of them
//!    (twice that, and shown first, for a customer who prefers seasonal
//!    produce), so even a regular sees what just came into season.
//! 3. *Best sellers*: active products in the most orders received over the
//!    last [`BEST_SELLER_DAYS`] days; they fill whatever room is left, which
//!    is everything for a new customer.
//!
//! Preferences re-rank within each source: every matching preference
//! (organic: the product's `organic` attribute; local: its `origin` names
//! [`LOCAL_ORIGIN`]) multiplies a partner's score by
//! [`PREFERENCE_BOOST`] and moves seasonal items and best sellers ahead of
//! those that do not match.

pub mod seasons;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc};
use orderly_domain::{Preferences, Sku, UserId};

use orderly_store::{CoPurchase, Product, Store, StoreError};

/// Most products one list recommends.
pub const LIMIT: usize = 10;
/// Co-purchase pairs read per request, the most frequent first.
pub const PAIR_CANDIDATES: u32 = 500;
/// How many of a customer's most recent purchases seed their list.
pub const HISTORY: u32 = 50;
/// Seasonal products in a customer's list (doubled for those who prefer
/// seasonal produce).
pub const SEASONAL_SLOTS: usize = 2;
/// The window best sellers are counted over.
pub const BEST_SELLER_DAYS: i64 = 90;
/// Score factor per preference a bought-together product matches.
pub const PREFERENCE_BOOST: f64 = 1.5;
/// An origin mentioning this is local produce.
pub const LOCAL_ORIGIN: &str = "india";

/// Why a product is recommended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    BoughtTogether,
    Seasonal,
    BestSeller,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BoughtTogether => "bought_together",
            Reason::Seasonal => "seasonal",
            Reason::BestSeller => "best_seller",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub product: Product,
    pub reason: Reason,
    /// Bought together: the affinity score (summed over the customer's
    /// purchases); best sellers: orders in the window; seasonal: 0.
    pub score: f64,
    /// Bought together: how many received orders held both products
    /// (summed over the customer's purchases); otherwise 0.
    pub bought_together: i64,
    /// Bought together for a customer: which of their purchases it goes
    /// with, best first.
    pub because_of: Vec<Sku>,
}

/// How strongly two products belong together: the cosine similarity of
/// their order sets, damped when they were seen together only a few times.
/// `together` orders held both; `orders_a`, `orders_b` held each.
pub fn affinity(together: i64, orders_a: i64, orders_b: i64) -> f64 {
    if together <= 0 || orders_a <= 0 || orders_b <= 0 {
        return 0.0;
    }
    let together = together as f64;
    let cosine = together / ((orders_a as f64) * (orders_b as f64)).sqrt();
    cosine * together / (together + 1.0)
}

/// The products most often bought with `sku`, best first.
pub async fn for_product(store: &Store, sku: &Sku) -> Result<Vec<Recommendation>, StoreError> {
    let pairs = store
        .orders()
        .co_purchases(std::slice::from_ref(sku), PAIR_CANDIDATES)
        .await?;
    let counts = purchase_counts(store, &pairs).await?;
    let mut scored: Vec<Candidate> = pairs
        .iter()
        .map(|pair| Candidate {
            sku: pair.partner.clone(),
            score: pair_affinity(pair, &counts),
            together: pair.together,
            because_of: Vec::new(),
        })
        .collect();
    scored.sort_by(Candidate::best_first);
    scored.truncate(LIMIT);
    let products = products_of(store, scored.iter().map(|c| c.sku.clone())).await?;
    Ok(scored
        .into_iter()
        .filter_map(|candidate| {
            let product = products.get(&candidate.sku)?.clone();
            Some(candidate.into_recommendation(product, Reason::BoughtTogether))
        })
        .collect())
}

/// A customer's list: see the module documentation. `now` decides the
/// season and the best-seller window.
pub async fn for_customer(
    store: &Store,
    customer: UserId,
    preferences: Preferences,
    now: DateTime<Utc>,
) -> Result<Vec<Recommendation>, StoreError> {
    let bought = store.orders().customer_purchases(customer, HISTORY).await?;
    let owned: BTreeSet<Sku> = bought.iter().cloned().collect();

    let pairs = store
        .orders()
        .co_purchases(&bought, PAIR_CANDIDATES)
        .await?;
    let counts = purchase_counts(store, &pairs).await?;
    let mut partners: BTreeMap<Sku, Candidate> = BTreeMap::new();
    for pair in pairs.iter().filter(|pair| !owned.contains(&pair.partner)) {
        let candidate = partners
            .entry(pair.partner.clone())
            .or_insert_with(|| Candidate::new(pair.partner.clone()));
        candidate.score += pair_affinity(pair, &counts);
        candidate.together += pair.together;
        candidate.because_of.push(pair.source.clone());
    }

    let seasonal = store
        .orders()
        .active_skus_named(&seasons::in_season(now.month()), 4 * LIMIT as u32)
        .await?;
    let best_sellers = store
        .orders()
        .best_sellers(now - Duration::days(BEST_SELLER_DAYS), 4 * LIMIT as u32)
        .await?;

    let products = products_of(
        store,
        partners
            .keys()
            .cloned()
            .chain(seasonal.iter().cloned())
            .chain(best_sellers.iter().map(|(sku, _)| sku.clone())),
    )
    .await?;
    let matches = |sku: &Sku| {
        products
            .get(sku)
            .map_or(0, |p| preference_matches(p, preferences))
    };

    let mut partners: Vec<Candidate> = partners
        .into_values()
        .map(|mut candidate| {
            candidate.score *= PREFERENCE_BOOST.powi(matches(&candidate.sku));
            candidate.because_of.sort();
            candidate
        })
        .collect();
    partners.sort_by(Candidate::best_first);

    let mut seasonal: Vec<Candidate> = seasonal
        .into_iter()
        .filter(|sku| !owned.contains(sku))
        .map(Candidate::new)
        .collect();
    seasonal.sort_by_key(|candidate| std::cmp::Reverse(matches(&candidate.sku)));
    let seasonal_slots = if preferences.seasonal {
        2 * SEASONAL_SLOTS
    } else {
        SEASONAL_SLOTS
    };
    seasonal.truncate(seasonal_slots);

    let mut best_sellers: Vec<Candidate> = best_sellers
        .into_iter()
        .filter(|(sku, _)| !owned.contains(sku))
        .map(|(sku, orders)| Candidate {
            score: orders as f64,
            ..Candidate::new(sku)
        })
        .collect();
    best_sellers.sort_by_key(|candidate| std::cmp::Reverse(matches(&candidate.sku)));

    let partner_room = LIMIT - seasonal.len().min(LIMIT);
    partners.truncate(partner_room);
    let mut groups = vec![
        (Reason::BoughtTogether, partners),
        (Reason::Seasonal, seasonal),
    ];
    if preferences.seasonal {
        groups.reverse();
    }
    groups.push((Reason::BestSeller, best_sellers));

    let mut chosen = BTreeSet::new();
    let mut list = Vec::new();
    for (reason, candidates) in groups {
        for candidate in candidates {
            if list.len() == LIMIT {
                return Ok(list);
            }
            let Some(product) = products.get(&candidate.sku) else {
                continue;
            };
            if chosen.insert(candidate.sku.clone()) {
                list.push(candidate.into_recommendation(product.clone(), reason));
            }
        }
    }
    Ok(list)
}

/// How many of the customer's preferences the product satisfies.
fn preference_matches(product: &Product, preferences: Preferences) -> i32 {
    let organic = preferences.organic && product.attributes.organic;
    let local = preferences.local
        && product
            .attributes
            .origin
            .as_deref()
            .is_some_and(|origin| origin.to_lowercase().contains(LOCAL_ORIGIN));
    i32::from(organic) + i32::from(local)
}

/// A product on its way into a list.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    sku: Sku,
    score: f64,
    together: i64,
    because_of: Vec<Sku>,
}

impl Candidate {
    fn new(sku: Sku) -> Self {
        Self {
            sku,
            score: 0.0,
            together: 0,
            because_of: Vec::new(),
        }
    }

    /// Higher score first, then more shared orders, then sku.
    fn best_first(a: &Candidate, b: &Candidate) -> Ordering {
        b.score
            .total_cmp(&a.score)
            .then(b.together.cmp(&a.together))
            .then(a.sku.cmp(&b.sku))
    }

    fn into_recommendation(self, product: Product, reason: Reason) -> Recommendation {
        Recommendation {
            product,
            reason,
            score: self.score,
            bought_together: self.together,
            because_of: self.because_of,
        }
    }
}

fn pair_affinity(pair: &CoPurchase, counts: &HashMap<Sku, i64>) -> f64 {
    let orders = |sku: &Sku| counts.get(sku).copied().unwrap_or(0);
    affinity(pair.together, orders(&pair.source), orders(&pair.partner))
}

/// Orders received per product, for every product in `pairs`.
async fn purchase_counts(
    store: &Store,
    pairs: &[CoPurchase],
) -> Result<HashMap<Sku, i64>, StoreError> {
    let skus: BTreeSet<Sku> = pairs
        .iter()
        .flat_map(|pair| [pair.source.clone(), pair.partner.clone()])
        .collect();
    let skus: Vec<Sku> = skus.into_iter().collect();
    Ok(store
        .orders()
        .purchase_counts(&skus)
        .await?
        .into_iter()
        .collect())
}

/// The active products among `skus`, by sku.
async fn products_of(
    store: &Store,
    skus: impl Iterator<Item = Sku>,
) -> Result<HashMap<Sku, Product>, StoreError> {
    let skus: Vec<Sku> = skus.collect::<BTreeSet<_>>().into_iter().collect();
    Ok(store
        .catalog()
        .products_by_skus(&skus)
        .await?
        .into_iter()
        .filter(|product| product.active)
        .map(|product| (product.sku.clone(), product))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_true_partner_outranks_a_staple_that_shares_more_orders() {
        // X is in 20 orders; its partner shares 12 of them and is bought
        // 15 times in all; a staple is in 280 of 300 orders and so shares 18.
        let partner = affinity(12, 20, 15);
        let staple = affinity(18, 20, 280);
        assert!(partner > 2.0 * staple, "partner {partner}, staple {staple}");
    }

    #[test]
    fn a_pair_seen_once_ranks_below_a_pair_seen_often_with_the_same_overlap() {
        // Both partners are always bought with X and never without it.
        assert!(affinity(1, 1, 1) < affinity(10, 10, 10));
        assert!(affinity(10, 10, 10) < 1.0);
    }

    #[test]
    fn nothing_shared_means_no_affinity() {
        assert_eq!(affinity(0, 10, 10), 0.0);
        assert_eq!(affinity(3, 0, 10), 0.0);
    }

    #[test]
    fn candidates_sort_by_score_then_shared_orders_then_sku() {
        let sku = |s: &str| Sku::parse(s).unwrap();
        let mut candidates = [
            Candidate {
                score: 0.5,
                together: 2,
                ..Candidate::new(sku("C"))
            },
            Candidate {
                score: 0.9,
                together: 1,
                ..Candidate::new(sku("D"))
            },
            Candidate {
                score: 0.5,
                together: 3,
                ..Candidate::new(sku("B"))
            },
            Candidate {
                score: 0.5,
                together: 3,
                ..Candidate::new(sku("A"))
            },
        ];
        candidates.sort_by(Candidate::best_first);
        let order: Vec<&str> = candidates.iter().map(|c| c.sku.as_str()).collect();
        assert_eq!(order, ["D", "A", "B", "C"]);
    }

    #[test]
    fn organic_and_local_preferences_count_matching_attributes() {
        let mut product = Product::default();
        product.attributes.organic = true;
        product.attributes.origin = Some("Ratnagiri, India".into());
        let both = Preferences {
            organic: true,
            seasonal: false,
            local: true,
        };
        assert_eq!(preference_matches(&product, both), 2);
        assert_eq!(preference_matches(&product, Preferences::default()), 0);
        product.attributes.origin = Some("New Zealand".into());
        assert_eq!(preference_matches(&product, both), 1);
    }
}
