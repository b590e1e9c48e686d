//! Refunds of part of an order: what staff may give back, by line and by
//! amount, and how each refund stands. The order workflow prices a refund
//! with [`price_refund`] against its own state, so the rule that no more is
//! ever given back than was taken lives in one place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DiscountLine, Money, OrderLine, Quantity, Sku, discount_on_units};

/// A line of an order given back in a refund, with what it was paid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefundLine {
    pub sku: Sku,
    pub quantity: u32,
    pub amount: Money,
}

/// A line staff ask to refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefundLineRequest {
    pub sku: Sku,
    pub quantity: Quantity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Asked of the payment provider, no answer yet.
    Pending,
    /// The provider gave the money back.
    Refunded,
    /// The provider refused; nothing was given back.
    Failed,
    /// Cash on delivery: the money is to be paid back by hand.
    PayoutDue,
    /// Cash on delivery: staff paid it back.
    PaidOut,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Refunded => "refunded",
            RefundStatus::Failed => "failed",
            RefundStatus::PayoutDue => "payout_due",
            RefundStatus::PaidOut => "paid_out",
        }
    }

    /// Whether this refund holds part of what may be given back.
    pub fn counts(self) -> bool {
        self != RefundStatus::Failed
    }
}

/// One refund of an order, as the order shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefundView {
    /// 1 for the order's first refund, and so on.
    pub number: u32,
    pub amount: Money,
    /// The lines given back; empty for a refund of an amount only.
    pub lines: Vec<RefundLine>,
    /// Of `amount`, what is not for lines (a goodwill gesture, a fee).
    pub extra: Money,
    pub reason: String,
    pub status: RefundStatus,
    pub requested_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    /// The provider's reference, or the payout's, once money moved.
    pub reference: Option<String>,
    /// Why the provider refused it.
    pub failure: Option<String>,
}

/// Why a refund cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RefundProblem {
    #[error("nothing to refund: give lines, an amount, or both")]
    Nothing,
    #[error("{0} is not a line of this order")]
    NotInOrder(Sku),
    #[error("{sku} is listed twice; give each line once")]
    Repeated { sku: Sku },
    #[error("only {left} of {sku} are left to refund")]
    MoreThanOrdered { sku: Sku, left: u32 },
    #[error(
        "only {left} of {sku} are left to refund; the others are in a return still open, which refunds them"
    )]
    InOpenReturn { sku: Sku, left: u32 },
    #[error("the amount must be positive")]
    NotPositive,
    #[error("{asked} is more than the {left} that was captured and not yet refunded")]
    MoreThanCaptured { asked: Money, left: Money },
}

/// How many units of `sku` the refunds that did not fail gave back.
pub fn refunded_units(refunds: &[RefundView], sku: &Sku) -> u32 {
    refunds
        .iter()
        .filter(|refund| refund.status.counts())
        .flat_map(|refund| &refund.lines)
        .filter(|refunded| &refunded.sku == sku)
        .map(|refunded| refunded.quantity)
        .sum()
}

/// Prices a refund of `lines` plus `extra` (minor units of the order's
/// currency) against the order's `items` and `discounts`, its `earlier`
/// refunds, and what is `left` to give back. Lines are refunded at the
/// price paid: their price less the part of the order's discounts the
/// refunded units carried.
pub fn price_refund(
    items: &[OrderLine],
    discounts: &[DiscountLine],
    earlier: &[RefundView],
    lines: &[RefundLineRequest],
    extra: i64,
    left: Money,
) -> Result<(Vec<RefundLine>, Money), RefundProblem> {
    if lines.is_empty() && extra == 0 {
        return Err(RefundProblem::Nothing);
    }
    if extra < 0 {
        return Err(RefundProblem::NotPositive);
    }
    let currency = left.currency;
    let too_much = |asked: i128| RefundProblem::MoreThanCaptured {
        asked: Money::new(i64::try_from(asked).unwrap_or(i64::MAX), currency),
        left,
    };
    let mut priced = Vec::with_capacity(lines.len());
    let mut total = i128::from(extra);
    for (at, line) in lines.iter().enumerate() {
        if lines[..at].iter().any(|earlier| earlier.sku == line.sku) {
            return Err(RefundProblem::Repeated {
                sku: line.sku.clone(),
            });
        }
        let item = items
            .iter()
            .find(|item| item.sku == line.sku)
            .ok_or_else(|| RefundProblem::NotInOrder(line.sku.clone()))?;
        let given_back = refunded_units(earlier, &line.sku);
        let left_of_line = item.quantity.get().saturating_sub(given_back);
        if line.quantity.get() > left_of_line {
            return Err(RefundProblem::MoreThanOrdered {
                sku: line.sku.clone(),
                left: left_of_line,
            });
        }
        let amount = i128::from(item.unit_price.amount) * i128::from(line.quantity.get())
            - i128::from(discount_on_units(
                discounts,
                &line.sku,
                item.quantity.get(),
                given_back,
                line.quantity.get(),
            ));
        total += amount;
        priced.push(RefundLine {
            sku: line.sku.clone(),
            quantity: line.quantity.get(),
            amount: Money::new(
                i64::try_from(amount).map_err(|_| too_much(amount))?,
                currency,
            ),
        });
    }
    if total > i128::from(left.amount) {
        return Err(too_much(total));
    }
    let total = i64::try_from(total).map_err(|_| too_much(total))?;
    Ok((priced, Money::new(total, currency)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{inr, line};

    fn ask(sku: &str, quantity: u32) -> RefundLineRequest {
        RefundLineRequest {
            sku: Sku::parse(sku).unwrap(),
            quantity: Quantity::parse(i64::from(quantity)).unwrap(),
        }
    }

    fn refunded(lines: Vec<RefundLine>, status: RefundStatus) -> RefundView {
        let amount = inr(lines.iter().map(|l| l.amount.amount).sum());
        RefundView {
            number: 1,
            amount,
            lines,
            extra: inr(0),
            reason: "bruised".into(),
            status,
            requested_at: DateTime::<Utc>::default(),
            settled_at: None,
            reference: None,
            failure: None,
        }
    }

    #[test]
    fn lines_are_refunded_at_the_price_paid_plus_the_extra_amount() {
        let items = [line("MANGO-1KG", 3, 12_000), line("OKRA-500G", 2, 4_000)];
        let (lines, total) =
            price_refund(&items, &[], &[], &[ask("MANGO-1KG", 1)], 550, inr(32_000)).unwrap();
        assert_eq!(lines[0].amount, inr(12_000));
        assert_eq!(total, inr(12_550));
    }

    #[test]
    fn a_line_is_never_refunded_more_often_than_it_was_ordered() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        let earlier = [refunded(
            vec![RefundLine {
                sku: Sku::parse("MANGO-1KG").unwrap(),
                quantity: 2,
                amount: inr(24_000),
            }],
            RefundStatus::Refunded,
        )];
        let refused = price_refund(
            &items,
            &[],
            &earlier,
            &[ask("MANGO-1KG", 2)],
            0,
            inr(36_000),
        );
        assert_eq!(
            refused,
            Err(RefundProblem::MoreThanOrdered {
                sku: Sku::parse("MANGO-1KG").unwrap(),
                left: 1
            })
        );
        let failed = [refunded(earlier[0].lines.clone(), RefundStatus::Failed)];
        assert!(price_refund(&items, &[], &failed, &[ask("MANGO-1KG", 2)], 0, inr(36_000)).is_ok());
    }

    #[test]
    fn more_than_is_left_to_give_back_is_refused() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        assert_eq!(
            price_refund(&items, &[], &[], &[], 10_001, inr(10_000)),
            Err(RefundProblem::MoreThanCaptured {
                asked: inr(10_001),
                left: inr(10_000)
            })
        );
        assert!(price_refund(&items, &[], &[], &[], 10_000, inr(10_000)).is_ok());
    }

    #[test]
    fn unknown_repeated_and_empty_refunds_are_refused() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        assert_eq!(
            price_refund(&items, &[], &[], &[], 0, inr(1)),
            Err(RefundProblem::Nothing)
        );
        assert!(matches!(
            price_refund(&items, &[], &[], &[ask("OKRA-500G", 1)], 0, inr(99_999)),
            Err(RefundProblem::NotInOrder(_))
        ));
        assert!(matches!(
            price_refund(
                &items,
                &[],
                &[],
                &[ask("MANGO-1KG", 1), ask("MANGO-1KG", 1)],
                0,
                inr(99_999)
            ),
            Err(RefundProblem::Repeated { .. })
        ));
        assert_eq!(
            price_refund(&items, &[], &[], &[], -5, inr(99_999)),
            Err(RefundProblem::NotPositive)
        );
    }
}
