//! Coupons and the discounts they give: which lines of a basket a coupon
//! covers, what it takes off, and how that discount is spread over the
//! lines so that a refund of part of a line gives back what was paid for
//! it, to the paisa.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DomainError, Money, OrderLine, Sku};

/// A coupon's code as shoppers type it: 3-32 letters, digits, `-` or `_`,
/// kept in capitals so `diwali10` and `DIWALI10` are one coupon.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "MANGO10")]
pub struct CouponCode(String);

impl CouponCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_uppercase();
        let ok = (3..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(code))
        } else {
            Err(DomainError::new(
                "code",
                "must be 3-32 letters, digits, '-' or '_'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CouponCode {
    type Error = DomainError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<CouponCode> for String {
    fn from(code: CouponCode) -> Self {
        code.0
    }
}

impl std::fmt::Display for CouponCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a coupon takes off the lines it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponValue {
    /// Whole percent, 1-100.
    Percent(u32),
    /// At most this much, never more than the covered lines cost.
    Fixed(Money),
}

/// A coupon and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Coupon {
    pub code: CouponCode,
    pub value: CouponValue,
    /// The covered lines must cost at least this.
    pub min_basket: Option<Money>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Orders one customer may place with it.
    pub per_customer: Option<u32>,
    /// Orders anyone may place with it.
    pub total_uses: Option<u32>,
    /// Only these SKUs and categories are covered; both empty: every line.
    pub skus: Vec<Sku>,
    pub categories: Vec<String>,
    pub active: bool,
}

/// Why a coupon does not apply to a basket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CouponProblem {
    #[error("coupon {0} is not active")]
    Inactive(CouponCode),
    #[error("coupon {0} is not valid yet")]
    NotYet(CouponCode),
    #[error("coupon {0} has expired")]
    Expired(CouponCode),
    #[error("coupon {0} covers nothing in this basket")]
    NothingCovered(CouponCode),
    #[error("coupon {code} needs {min} of covered items; the basket has {has}")]
    BelowMinimum {
        code: CouponCode,
        min: Money,
        has: Money,
    },
}

/// One discount of an order, where it came from, and how much of it each
/// line carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DiscountLine {
    /// `coupon:MANGO10`.
    pub source: String,
    pub amount: Money,
    pub lines: Vec<DiscountShare>,
}

impl DiscountLine {
    /// `amount` from `source`, spread over `lines` by what they cost.
    pub fn spread(source: String, amount: Money, lines: &[OrderLine]) -> Self {
        let lines: Vec<&OrderLine> = lines.iter().collect();
        Self {
            source,
            amount,
            lines: spread(amount.amount, &lines),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DiscountShare {
    pub sku: Sku,
    pub amount: Money,
}

impl Coupon {
    /// The discount this coupon gives `lines` at `now`, where `category`
    /// tells each SKU's category.
    pub fn discount(
        &self,
        lines: &[OrderLine],
        category: impl Fn(&Sku) -> Option<String>,
        now: DateTime<Utc>,
    ) -> Result<DiscountLine, CouponProblem> {
        let code = self.code.clone();
        if !self.active {
            return Err(CouponProblem::Inactive(code));
        }
        if self.starts_at.is_some_and(|start| now < start) {
            return Err(CouponProblem::NotYet(code));
        }
        if self.ends_at.is_some_and(|end| now >= end) {
            return Err(CouponProblem::Expired(code));
        }
        self.kept_on(lines, category)
    }

    /// The discount this coupon gives `lines` of an order that already
    /// redeemed it (an edited order): its window and whether it is still
    /// offered no longer matter, what it covers and its minimum basket do.
    pub fn kept_on(
        &self,
        lines: &[OrderLine],
        category: impl Fn(&Sku) -> Option<String>,
    ) -> Result<DiscountLine, CouponProblem> {
        let code = self.code.clone();
        let covers = |line: &OrderLine| {
            (self.skus.is_empty() && self.categories.is_empty())
                || self.skus.contains(&line.sku)
                || category(&line.sku).is_some_and(|c| self.categories.contains(&c))
        };
        let covered: Vec<&OrderLine> = lines.iter().filter(|l| covers(l)).collect();
        let Some(first) = covered.first() else {
            return Err(CouponProblem::NothingCovered(code));
        };
        let currency = first.subtotal.currency;
        let base: i64 = covered.iter().map(|l| l.subtotal.amount).sum();
        if let Some(min) = self.min_basket
            && base < min.amount
        {
            return Err(CouponProblem::BelowMinimum {
                code,
                min,
                has: Money::new(base, currency),
            });
        }
        let amount = match self.value {
            CouponValue::Percent(percent) => {
                i64::try_from(i128::from(base) * i128::from(percent.min(100)) / 100).unwrap_or(base)
            }
            CouponValue::Fixed(off) => off.amount.clamp(0, base),
        };
        Ok(DiscountLine {
            source: format!("coupon:{}", self.code),
            amount: Money::new(amount, currency),
            lines: spread(amount, &covered),
        })
    }
}

/// Spreads `amount` over `lines` by their cost, largest remainders first,
/// so the shares add up to `amount` exactly.
fn spread(amount: i64, lines: &[&OrderLine]) -> Vec<DiscountShare> {
    let base: i128 = lines.iter().map(|l| i128::from(l.subtotal.amount)).sum();
    if base == 0 {
        return Vec::new();
    }
    let exact: Vec<(i64, i128)> = lines
        .iter()
        .map(|l| {
            let product = i128::from(amount) * i128::from(l.subtotal.amount);
            (i64::try_from(product / base).unwrap_or(0), product % base)
        })
        .collect();
    let mut shares: Vec<i64> = exact.iter().map(|(floor, _)| *floor).collect();
    let mut left = amount - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for index in order {
        if left == 0 {
            break;
        }
        shares[index] += 1;
        left -= 1;
    }
    lines
        .iter()
        .zip(shares)
        .map(|(line, share)| DiscountShare {
            sku: line.sku.clone(),
            amount: Money::new(share, line.subtotal.currency),
        })
        .collect()
}

/// Of the discounts on a line of `ordered` units, what `units` more units
/// carry once `before` units were refunded: each unit's part rounded so
/// that refunding every unit gives back exactly the line's discount.
pub fn discount_on_units(
    discounts: &[DiscountLine],
    sku: &Sku,
    ordered: u32,
    before: u32,
    units: u32,
) -> i64 {
    if ordered == 0 {
        return 0;
    }
    let on_line: i128 = discounts
        .iter()
        .flat_map(|d| &d.lines)
        .filter(|share| &share.sku == sku)
        .map(|share| i128::from(share.amount.amount))
        .sum();
    let upto = |n: u32| on_line * i128::from(n.min(ordered)) / i128::from(ordered);
    i64::try_from(upto(before.saturating_add(units)) - upto(before)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{inr, line};

    fn coupon(value: CouponValue) -> Coupon {
        Coupon {
            code: CouponCode::parse("mango10").unwrap(),
            value,
            min_basket: None,
            starts_at: None,
            ends_at: None,
            per_customer: None,
            total_uses: None,
            skus: Vec::new(),
            categories: Vec::new(),
            active: true,
        }
    }

    #[test]
    fn codes_are_kept_in_capitals_and_nonsense_is_refused() {
        assert_eq!(CouponCode::parse(" mango10 ").unwrap().as_str(), "MANGO10");
        assert!(CouponCode::parse("no").is_err());
        assert!(CouponCode::parse("MANGO 10").is_err());
    }

    #[test]
    fn a_percent_coupon_is_spread_over_the_lines_and_adds_up_exactly() {
        let lines = [line("MANGO-1KG", 3, 33_333), line("OKRA-500G", 1, 1)];
        let discount = coupon(CouponValue::Percent(10))
            .discount(&lines, |_| None, Utc::now())
            .unwrap();
        assert_eq!(discount.amount, inr(10_000));
        let shares: i64 = discount.lines.iter().map(|s| s.amount.amount).sum();
        assert_eq!(shares, 10_000);
        assert_eq!(discount.source, "coupon:MANGO10");
    }

    #[test]
    fn a_coupon_covers_only_its_skus_and_categories() {
        let lines = [line("MANGO-1KG", 1, 10_000), line("OKRA-500G", 1, 5_000)];
        let mut fruit = coupon(CouponValue::Fixed(inr(2_000)));
        fruit.categories = vec!["fruit".into()];
        let discount = fruit
            .discount(
                &lines,
                |sku| (sku.as_str() == "MANGO-1KG").then(|| "fruit".to_owned()),
                Utc::now(),
            )
            .unwrap();
        assert_eq!(discount.lines.len(), 1);
        assert_eq!(discount.lines[0].sku.as_str(), "MANGO-1KG");
        let mut okra_only = coupon(CouponValue::Fixed(inr(99_999)));
        okra_only.skus = vec![Sku::parse("OKRA-500G").unwrap()];
        let capped = okra_only.discount(&lines, |_| None, Utc::now()).unwrap();
        assert_eq!(capped.amount, inr(5_000), "never more than the lines cost");
    }

    #[test]
    fn windows_minimums_and_inactive_coupons_are_refused() {
        let lines = [line("MANGO-1KG", 1, 10_000)];
        let now = Utc::now();
        let mut late = coupon(CouponValue::Percent(5));
        late.ends_at = Some(now);
        assert!(matches!(
            late.discount(&lines, |_| None, now),
            Err(CouponProblem::Expired(_))
        ));
        let mut early = coupon(CouponValue::Percent(5));
        early.starts_at = Some(now + chrono::Duration::seconds(1));
        assert!(matches!(
            early.discount(&lines, |_| None, now),
            Err(CouponProblem::NotYet(_))
        ));
        let mut big = coupon(CouponValue::Percent(5));
        big.min_basket = Some(inr(10_001));
        assert!(matches!(
            big.discount(&lines, |_| None, now),
            Err(CouponProblem::BelowMinimum { .. })
        ));
        let mut off = coupon(CouponValue::Percent(5));
        off.active = false;
        assert!(off.discount(&lines, |_| None, now).is_err());
    }

    #[test]
    fn refunding_every_unit_one_by_one_gives_back_exactly_the_line_s_discount() {
        let discounts = [DiscountLine {
            source: "coupon:X".into(),
            amount: inr(10_001),
            lines: vec![DiscountShare {
                sku: Sku::parse("MANGO-1KG").unwrap(),
                amount: inr(10_001),
            }],
        }];
        let sku = Sku::parse("MANGO-1KG").unwrap();
        let parts: Vec<i64> = (0..3)
            .map(|before| discount_on_units(&discounts, &sku, 3, before, 1))
            .collect();
        assert_eq!(parts, [3_333, 3_334, 3_334]);
        assert_eq!(discount_on_units(&discounts, &sku, 3, 1, 2), 6_668);
    }
}
