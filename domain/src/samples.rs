//! Order lines for the unit tests of the pricing rules (refunds, coupons,
//! offers), in rupees as the shop prices them.

use crate::{Currency, Money, OrderLine, Quantity, Sku};

pub(crate) fn inr(amount: i64) -> Money {
    Money::new(amount, Currency::INR)
}

/// `quantity` units of `sku` at `unit` paise each.
pub(crate) fn line(sku: &str, quantity: u32, unit: i64) -> OrderLine {
    OrderLine {
        sku: Sku::parse(sku).unwrap(),
        name: sku.to_owned(),
        quantity: Quantity::parse(i64::from(quantity)).unwrap(),
        unit_price: inr(unit),
        subtotal: inr(unit * i64::from(quantity)),
    }
}
