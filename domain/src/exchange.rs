//! Exchanges: a return whose customer takes goods instead of money. The
//! replacement (the same SKU again, or others worth as much or more) goes
//! out as a new parcel of the same order once staff approve the return;
//! what it costs beyond what the returned units were paid is charged then.
//! When the replacement cannot be had or paid for, the return falls back
//! to the refund it would otherwise have been.

use serde::{Deserialize, Serialize};

use crate::{
    DiscountLine, Money, OrderLine, ParcelView, Quantity, RefundLineRequest, RefundView,
    ReturnLine, Sku, price_refund,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeStatus {
    /// Asked for with the return; nothing is sent before staff approve.
    Requested,
    /// The replacement is with the carrier.
    Shipped,
    /// The replacement arrived.
    Delivered,
    /// It could not be sent (out of stock, the difference declined, no
    /// carrier): the return is refunded instead.
    FellBack,
    /// The carrier brought the replacement back: it is refunded instead.
    CameBack,
}

impl ExchangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeStatus::Requested => "requested",
            ExchangeStatus::Shipped => "shipped",
            ExchangeStatus::Delivered => "delivered",
            ExchangeStatus::FellBack => "fell_back",
            ExchangeStatus::CameBack => "came_back",
        }
    }

    /// Whether the replacement stands in for a refund of the return.
    pub fn replaces_refund(self) -> bool {
        matches!(
            self,
            ExchangeStatus::Requested | ExchangeStatus::Shipped | ExchangeStatus::Delivered
        )
    }
}

/// What a return's customer takes instead of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExchangeView {
    /// The replacement, at the price it is valued at.
    pub lines: Vec<OrderLine>,
    /// What the customer pays on top; zero for the same lines again.
    pub difference: Money,
    pub status: ExchangeStatus,
    /// The replacement's parcel, once it was booked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parcel: Option<ParcelView>,
    /// Why it fell back to a refund or came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why an exchange cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeProblem {
    #[error("{0} is listed twice; give each replacement line once")]
    Repeated(Sku),
    #[error(
        "the replacement costs {replacement}, less than the {returned} the returned units were paid; ask for a refund instead"
    )]
    Cheaper { replacement: Money, returned: Money },
    #[error("the replacement is priced in another currency")]
    Currency,
    #[error("{0}")]
    Returned(String),
}

/// What the customer pays to take `replacement` for the `returned` units
/// of an order with `items`, `discounts` and `refunds`: nothing for the
/// same lines again (whatever their price now), else the replacement's
/// value less what the returned units were paid, net of discounts.
pub fn exchange_difference(
    items: &[OrderLine],
    discounts: &[DiscountLine],
    refunds: &[RefundView],
    returned: &[ReturnLine],
    replacement: &[OrderLine],
) -> Result<Money, ExchangeProblem> {
    for (at, line) in replacement.iter().enumerate() {
        if replacement[..at]
            .iter()
            .any(|earlier| earlier.sku == line.sku)
        {
            return Err(ExchangeProblem::Repeated(line.sku.clone()));
        }
    }
    let Some(currency) = items.first().map(|item| item.unit_price.currency) else {
        return Err(ExchangeProblem::Returned("the order has no lines".into()));
    };
    let same = replacement.len() == returned.len()
        && returned.iter().all(|back| {
            replacement
                .iter()
                .any(|line| line.sku == back.sku && line.quantity.get() == back.quantity)
        });
    if same {
        return Ok(Money::zero(currency));
    }
    if replacement
        .iter()
        .any(|line| line.subtotal.currency != currency)
    {
        return Err(ExchangeProblem::Currency);
    }
    let lines: Vec<RefundLineRequest> = returned
        .iter()
        .map(|back| {
            Quantity::parse(i64::from(back.quantity))
                .map(|quantity| RefundLineRequest {
                    sku: back.sku.clone(),
                    quantity,
                })
                .map_err(|err| ExchangeProblem::Returned(err.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let (_, paid) = price_refund(
        items,
        discounts,
        refunds,
        &lines,
        0,
        Money::new(i64::MAX, currency),
    )
    .map_err(|problem| ExchangeProblem::Returned(problem.to_string()))?;
    let value: i64 = replacement.iter().map(|line| line.subtotal.amount).sum();
    if value < paid.amount {
        return Err(ExchangeProblem::Cheaper {
            replacement: Money::new(value, currency),
            returned: paid,
        });
    }
    Ok(Money::new(value - paid.amount, currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{inr, line};

    fn back(sku: &str, quantity: u32) -> ReturnLine {
        ReturnLine {
            sku: Sku::parse(sku).unwrap(),
            quantity,
        }
    }

    #[test]
    fn the_same_lines_again_cost_nothing_even_when_the_price_rose() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        let dearer = [line("MANGO-1KG", 2, 15_000)];
        assert_eq!(
            exchange_difference(&items, &[], &[], &[back("MANGO-1KG", 2)], &dearer),
            Ok(inr(0))
        );
    }

    #[test]
    fn a_dearer_replacement_costs_its_value_less_what_was_paid() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        let alphonso = [line("ALPHONSO-1KG", 1, 20_000)];
        assert_eq!(
            exchange_difference(&items, &[], &[], &[back("MANGO-1KG", 1)], &alphonso),
            Ok(inr(8_000))
        );
    }

    #[test]
    fn a_cheaper_replacement_is_refused() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        let apples = [line("APPLE-1KG", 1, 9_000)];
        assert!(matches!(
            exchange_difference(&items, &[], &[], &[back("MANGO-1KG", 1)], &apples),
            Err(ExchangeProblem::Cheaper { .. })
        ));
    }
}
