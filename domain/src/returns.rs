//! Returns: delivered lines a customer sends back, and how each return
//! stands on its way from the request to the refund. The order workflow
//! checks a return against its own lines with [`return_refusal`], so no
//! unit is ever returned (or returned and refunded) twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ExchangeView, ImageUrl, OrderLine, RefundView, Sku, TrackingId, refunded_units};

/// A line of an order being returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnLine {
    pub sku: Sku,
    pub quantity: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// The customer asked; staff have not decided.
    Requested,
    /// Staff accepted it; the goods are to be collected.
    Approved,
    /// Staff refused it, with a reason.
    Rejected,
    /// The carrier will collect the goods.
    PickupBooked,
    /// The goods reached the warehouse.
    Received,
    /// Staff looked at the goods: restocked or written off.
    Inspected,
    /// The returned lines were refunded (or, cash on delivery, a payout
    /// of them is owed).
    Refunded,
    /// The refund could not be made; ops were alerted.
    RefundFailed,
    /// A replacement went out instead of a refund, and the returned goods
    /// are settled (inspected, or perishables not collected).
    Exchanged,
}

impl ReturnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Requested => "requested",
            ReturnStatus::Approved => "approved",
            ReturnStatus::Rejected => "rejected",
            ReturnStatus::PickupBooked => "pickup_booked",
            ReturnStatus::Received => "received",
            ReturnStatus::Inspected => "inspected",
            ReturnStatus::Refunded => "refunded",
            ReturnStatus::RefundFailed => "refund_failed",
            ReturnStatus::Exchanged => "exchanged",
        }
    }

    /// Whether the return still waits for something to happen.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            ReturnStatus::Rejected
                | ReturnStatus::Refunded
                | ReturnStatus::RefundFailed
                | ReturnStatus::Exchanged
        )
    }

    /// Whether the return's units are given back by it (or were, by a
    /// replacement): no other refund or return may take them. A refunded
    /// return's units count through its refund instead.
    pub fn holds_units(self) -> bool {
        self.is_open() || matches!(self, ReturnStatus::RefundFailed | ReturnStatus::Exchanged)
    }
}

/// How many units of `sku` are in returns still open (or exchanged),
/// other than return `except`: units a return will refund, or a
/// replacement paid for, which no other refund may take.
pub fn units_in_open_returns(returns: &[ReturnView], sku: &Sku, except: Option<u32>) -> u32 {
    returns
        .iter()
        .filter(|r| {
            (r.status.is_open() || r.status == ReturnStatus::Exchanged) && Some(r.number) != except
        })
        .flat_map(|r| &r.lines)
        .filter(|returned| &returned.sku == sku)
        .map(|returned| returned.quantity)
        .sum()
}

/// What staff found of one returned line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InspectedLine {
    pub sku: Sku,
    /// Units put back on the shelf, into the batch they came from.
    pub restocked: u32,
    /// Units thrown away as damaged.
    pub written_off: u32,
}

/// One step of a return, as the customer and staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnStep {
    pub status: ReturnStatus,
    pub at: DateTime<Utc>,
    pub detail: String,
}

/// One return of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnView {
    /// 1 for the order's first return, and so on.
    pub number: u32,
    pub lines: Vec<ReturnLine>,
    pub reason: String,
    /// Pictures the customer sent of what is wrong.
    pub photos: Vec<ImageUrl>,
    pub status: ReturnStatus,
    /// Whether the goods are collected; perishables are not, and are
    /// refunded on approval.
    pub collect: bool,
    pub tracking_id: Option<TrackingId>,
    pub carrier: Option<String>,
    /// Staff's reason for approving or rejecting it.
    pub decision: Option<String>,
    /// What inspection found, once the goods came back.
    pub inspection: Vec<InspectedLine>,
    /// The refund that paid the return back, by its number.
    pub refund: Option<u32>,
    pub steps: Vec<ReturnStep>,
    /// The replacement the customer takes instead of a refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeView>,
}

impl ReturnView {
    pub fn requested_at(&self) -> Option<DateTime<Utc>> {
        self.steps.first().map(|step| step.at)
    }
}

/// How long after delivery a line may be returned: the shop's window, or
/// its category's own (fresh fruit: 48 hours).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnWindows {
    pub default_secs: u64,
    /// Category names with a window of their own, lower case.
    pub by_category: BTreeMap<String, u64>,
}

impl ReturnWindows {
    /// The window of a line of `category`.
    pub fn for_category(&self, category: Option<&str>) -> u64 {
        category
            .and_then(|name| self.by_category.get(&name.to_lowercase()))
            .copied()
            .unwrap_or(self.default_secs)
    }

    /// The longest window of any line: how long a delivered order takes
    /// return requests at all.
    pub fn longest(&self) -> u64 {
        self.by_category
            .values()
            .copied()
            .fold(self.default_secs, u64::max)
    }
}

/// Why `lines` cannot be returned from an order with `items`, earlier
/// `refunds` and `returns`, if they cannot. A unit counts as given back
/// once it is in a refund that holds, in a return that was not rejected
/// and whose refund has not been made yet, or in an exchanged return.
pub fn return_refusal(
    items: &[OrderLine],
    refunds: &[RefundView],
    returns: &[ReturnView],
    lines: &[ReturnLine],
) -> Option<String> {
    if lines.is_empty() {
        return Some("name the lines to return".into());
    }
    for (at, line) in lines.iter().enumerate() {
        if lines[..at].iter().any(|earlier| earlier.sku == line.sku) {
            return Some(format!("{} is listed twice; give each line once", line.sku));
        }
        let Some(item) = items.iter().find(|item| item.sku == line.sku) else {
            return Some(format!("{} is not a line of this order", line.sku));
        };
        if line.quantity == 0 {
            return Some(format!("the quantity of {} must be at least 1", line.sku));
        }
        let refunded = refunded_units(refunds, &line.sku);
        let returning: u32 = returns
            .iter()
            .filter(|r| r.status.holds_units())
            .flat_map(|r| &r.lines)
            .filter(|returned| returned.sku == line.sku)
            .map(|returned| returned.quantity)
            .sum();
        let left = item
            .quantity
            .get()
            .saturating_sub(refunded)
            .saturating_sub(returning);
        if line.quantity > left {
            return Some(format!("only {left} of {} are left to return", line.sku));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{inr, line};
    use crate::{RefundLine, RefundStatus};

    fn ask(sku: &str, quantity: u32) -> ReturnLine {
        ReturnLine {
            sku: Sku::parse(sku).unwrap(),
            quantity,
        }
    }

    fn a_return(lines: Vec<ReturnLine>, status: ReturnStatus) -> ReturnView {
        ReturnView {
            number: 1,
            lines,
            reason: "bruised".into(),
            photos: Vec::new(),
            status,
            collect: true,
            tracking_id: None,
            carrier: None,
            decision: None,
            inspection: Vec::new(),
            refund: None,
            steps: Vec::new(),
            exchange: None,
        }
    }

    #[test]
    fn a_unit_in_an_open_return_cannot_be_returned_again() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        let open = [a_return(vec![ask("MANGO-1KG", 2)], ReturnStatus::Requested)];
        assert_eq!(
            return_refusal(&items, &[], &open, &[ask("MANGO-1KG", 1)]),
            None
        );
        assert_eq!(
            return_refusal(&items, &[], &open, &[ask("MANGO-1KG", 2)]).as_deref(),
            Some("only 1 of MANGO-1KG are left to return")
        );
    }

    #[test]
    fn a_rejected_return_frees_its_units_and_a_refund_takes_them() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        let rejected = [a_return(vec![ask("MANGO-1KG", 3)], ReturnStatus::Rejected)];
        let refund = RefundView {
            number: 1,
            amount: inr(12_000),
            lines: vec![RefundLine {
                sku: Sku::parse("MANGO-1KG").unwrap(),
                quantity: 1,
                amount: inr(12_000),
            }],
            extra: inr(0),
            reason: "late".into(),
            status: RefundStatus::Refunded,
            requested_at: DateTime::<Utc>::default(),
            settled_at: None,
            reference: None,
            failure: None,
        };
        assert_eq!(
            return_refusal(&items, &[refund], &rejected, &[ask("MANGO-1KG", 3)]).as_deref(),
            Some("only 2 of MANGO-1KG are left to return")
        );
    }

    #[test]
    fn a_category_with_its_own_window_keeps_it_and_the_order_stays_open_for_the_longest() {
        let windows = ReturnWindows {
            default_secs: 7 * 86_400,
            by_category: BTreeMap::from([("fruit".to_owned(), 2 * 86_400)]),
        };
        assert_eq!(windows.for_category(Some("Fruit")), 2 * 86_400);
        assert_eq!(windows.for_category(Some("dairy")), 7 * 86_400);
        assert_eq!(windows.for_category(None), 7 * 86_400);
        assert_eq!(windows.longest(), 7 * 86_400);
    }

    #[test]
    fn lines_not_in_the_order_repeated_or_empty_are_refused() {
        let items = [line("MANGO-1KG", 3, 12_000)];
        assert!(return_refusal(&items, &[], &[], &[]).is_some());
        assert!(return_refusal(&items, &[], &[], &[ask("OKRA-500G", 1)]).is_some());
        assert!(
            return_refusal(
                &items,
                &[],
                &[],
                &[ask("MANGO-1KG", 1), ask("MANGO-1KG", 1)]
            )
            .is_some()
        );
        assert!(return_refusal(&items, &[], &[], &[ask("MANGO-1KG", 0)]).is_some());
    }
}
