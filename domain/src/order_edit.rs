//! Order edits before packing: what a customer or staff may change (a
//! line's quantity, a line removed, a line added, the delivery address),
//! how the edited lines are worked out from the order's own, and the
//! versions an edited order keeps.
//!
//! Lines already on the order keep the unit price the customer was given
//! at placement, whatever the catalogue says now: an edit changes how much
//! of something is bought, not what it costs. A line added by an edit is
//! priced from the catalogue when the edit is made.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DiscountLine, Fulfillment, Money, OrderLine, Quantity, Sku};

/// One line of an edit: the quantity `sku` should have from now on; 0
/// takes the line off the order, a SKU the order does not have adds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditLine {
    pub sku: Sku,
    pub quantity: u32,
}

/// How the difference an edit made to the total was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EditSettlement {
    /// The order as it was placed.
    Placed,
    /// The total did not change.
    Unchanged,
    /// The difference was charged to the order's card.
    Charged,
    /// The difference was refunded.
    Refunded,
    /// The refund of the difference failed; ops were alerted to pay it.
    RefundFailed,
    /// Cash on delivery: the new total is collected at the door.
    OnDelivery,
}

/// One version of an order: the lines, discounts, total and fulfilment it
/// had from `at`, and how it came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderVersion {
    /// 1 is the order as placed; each edit adds one.
    pub number: u32,
    pub at: DateTime<Utc>,
    pub items: Vec<OrderLine>,
    pub discounts: Vec<DiscountLine>,
    pub total: Money,
    pub fulfillment: Fulfillment,
    /// What the edit added to the total (negative when it took off).
    pub difference: Money,
    pub settlement: EditSettlement,
    /// What changed, in words: `MANGO-1KG 2 → 3; BANANA-DOZEN removed`.
    pub change: String,
}

/// Why an edit cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditProblem {
    #[error("{0} is named twice")]
    Duplicate(Sku),
    #[error("{0} is not for sale")]
    NotForSale(Sku),
    #[error("{sku}: quantity must be at most {max}")]
    TooMany { sku: Sku, max: u32 },
    #[error("{0} is not on the order; there is nothing to remove")]
    NotOnOrder(Sku),
    #[error("{0} is priced in another currency than the order")]
    Currency(Sku),
    #[error("{0}: the line total is too large")]
    TooLarge(Sku),
    #[error("an edit cannot take every line off the order; cancel it instead")]
    Empty,
}

impl EditProblem {
    /// The SKU the problem is about, if any.
    pub fn sku(&self) -> Option<&Sku> {
        match self {
            EditProblem::Duplicate(sku)
            | EditProblem::NotForSale(sku)
            | EditProblem::TooMany { sku, .. }
            | EditProblem::NotOnOrder(sku)
            | EditProblem::Currency(sku)
            | EditProblem::TooLarge(sku) => Some(sku),
            EditProblem::Empty => None,
        }
    }
}

/// The order's lines after `changes`, in the order's own order with added
/// lines last, and the change in words. `catalogue` gives the name and
/// current price of a SKU the order does not have yet (`None`: not for
/// sale).
pub fn edited_lines(
    current: &[OrderLine],
    changes: &[EditLine],
    catalogue: impl Fn(&Sku) -> Option<(String, Money)>,
) -> Result<(Vec<OrderLine>, String), EditProblem> {
    for (at, change) in changes.iter().enumerate() {
        if changes[..at].iter().any(|c| c.sku == change.sku) {
            return Err(EditProblem::Duplicate(change.sku.clone()));
        }
        if change.quantity > Quantity::MAX {
            return Err(EditProblem::TooMany {
                sku: change.sku.clone(),
                max: Quantity::MAX,
            });
        }
    }
    let mut lines = Vec::with_capacity(current.len() + changes.len());
    let mut said = Vec::new();
    for line in current {
        let Some(change) = changes.iter().find(|c| c.sku == line.sku) else {
            lines.push(line.clone());
            continue;
        };
        if change.quantity == line.quantity.get() {
            lines.push(line.clone());
            continue;
        }
        if change.quantity == 0 {
            said.push(format!("{} removed", line.sku));
            continue;
        }
        said.push(format!(
            "{} {} → {}",
            line.sku,
            line.quantity.get(),
            change.quantity
        ));
        lines.push(priced(
            line.sku.clone(),
            line.name.clone(),
            line.unit_price,
            change.quantity,
        )?);
    }
    let currency = current.first().map(|line| line.unit_price.currency);
    for change in changes {
        if current.iter().any(|line| line.sku == change.sku) {
            continue;
        }
        if change.quantity == 0 {
            return Err(EditProblem::NotOnOrder(change.sku.clone()));
        }
        let (name, price) =
            catalogue(&change.sku).ok_or_else(|| EditProblem::NotForSale(change.sku.clone()))?;
        if currency.is_some_and(|currency| currency != price.currency) {
            return Err(EditProblem::Currency(change.sku.clone()));
        }
        said.push(format!("{} added ({})", change.sku, change.quantity));
        lines.push(priced(change.sku.clone(), name, price, change.quantity)?);
    }
    if lines.is_empty() {
        return Err(EditProblem::Empty);
    }
    Ok((lines, said.join("; ")))
}

fn priced(sku: Sku, name: String, price: Money, quantity: u32) -> Result<OrderLine, EditProblem> {
    let subtotal = price
        .times(quantity)
        .ok_or_else(|| EditProblem::TooLarge(sku.clone()))?;
    let quantity = Quantity::parse(i64::from(quantity)).map_err(|_| EditProblem::TooMany {
        sku: sku.clone(),
        max: Quantity::MAX,
    })?;
    Ok(OrderLine {
        sku,
        name,
        quantity,
        unit_price: price,
        subtotal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn line(sku: &str, quantity: u32, price: i64) -> OrderLine {
        priced(
            Sku::parse(sku).unwrap(),
            sku.to_lowercase(),
            Money::new(price, Currency::INR),
            quantity,
        )
        .unwrap()
    }

    fn change(sku: &str, quantity: u32) -> EditLine {
        EditLine {
            sku: Sku::parse(sku).unwrap(),
            quantity,
        }
    }

    fn catalogue(sku: &Sku) -> Option<(String, Money)> {
        (sku.as_str() == "KIWI").then(|| ("kiwi".into(), Money::new(4_000, Currency::INR)))
    }

    #[test]
    fn a_changed_line_keeps_the_price_it_was_placed_at_and_an_added_one_takes_the_catalogues() {
        let order = [line("MANGO", 2, 10_000), line("BANANA", 1, 5_000)];
        let (lines, said) = edited_lines(
            &order,
            &[change("MANGO", 3), change("BANANA", 0), change("KIWI", 2)],
            catalogue,
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].subtotal.amount, 30_000);
        assert_eq!(lines[1].sku.as_str(), "KIWI");
        assert_eq!(lines[1].subtotal.amount, 8_000);
        assert_eq!(said, "MANGO 2 → 3; BANANA removed; KIWI added (2)");
    }

    #[test]
    fn an_edit_that_takes_every_line_off_or_names_a_sku_twice_is_refused() {
        let order = [line("MANGO", 2, 10_000)];
        assert_eq!(
            edited_lines(&order, &[change("MANGO", 0)], catalogue),
            Err(EditProblem::Empty)
        );
        assert!(matches!(
            edited_lines(&order, &[change("KIWI", 1), change("KIWI", 2)], catalogue),
            Err(EditProblem::Duplicate(_))
        ));
        assert!(matches!(
            edited_lines(&order, &[change("PAPAYA", 1)], catalogue),
            Err(EditProblem::NotForSale(_))
        ));
        assert!(matches!(
            edited_lines(&order, &[change("PAPAYA", 0)], catalogue),
            Err(EditProblem::NotOnOrder(_))
        ));
    }
}
