//! The order workflow's state and the pure functions over it: recording a
//! transition and rendering the [`OrderView`] that the read model, the query
//! and notifications all share.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};

use orderly_domain::{
    EditSettlement, LedgerKind, Money, OrderAction, OrderStage, OrderStatus, OrderVersion,
    OrderView, ParcelStatus, ParcelView, PaymentStatus, PaymentView, Receipt, ReceiptEntry,
    RefundStatus, RefundView, ReturnView, ShipmentView, TimelineEntry, discount_on_units,
    refunded_units,
};

use temporalio_macros::workflow;

use crate::contract::{
    Admission, PaymentConfirmation, PlaceOrder, ReturnProgress, ShipmentProgress,
};

/// An order in flight. The fields are the workflow's state; Temporal
/// rebuilds them by replay.
#[workflow]
pub struct OrderWorkflow {
    pub(crate) order: PlaceOrder,
    pub(crate) status: OrderStatus,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) timeline: Vec<TimelineEntry>,
    pub(crate) payment_status: PaymentStatus,
    pub(crate) entries: Vec<ReceiptEntry>,
    pub(crate) shipment: Option<ShipmentView>,
    pub(crate) version: u64,
    pub(crate) admission: Option<Admission>,
    pub(crate) admission_answered: bool,
    pub(crate) cancel_reason: Option<String>,
    /// Set while the shipment is being booked: too late to cancel.
    pub(crate) dispatching: bool,
    /// A warehouse step (or the release of a hold) an admin asked for,
    /// waiting for the workflow to take it.
    pub(crate) warehouse_request: Option<OrderAction>,
    pub(crate) payment_confirmation: Option<PaymentConfirmation>,
    pub(crate) seen_payment_events: BTreeSet<String>,
    pub(crate) shipment_updates: VecDeque<ShipmentProgress>,
    /// The parcels of a delivered order, one per warehouse it was filled
    /// from; empty for pickup orders and orders from before the split.
    pub(crate) parcels: Vec<ParcelView>,
    /// Parcels the warehouse asked to pack, not yet taken.
    pub(crate) pack_requests: BTreeSet<u32>,
    /// The status last written to the search attributes: timeline entries
    /// that do not change the status leave visibility alone.
    pub(crate) published_status: Option<OrderStatus>,
    /// Refunds staff made of part of the order.
    pub(crate) refunds: Vec<RefundView>,
    /// Each refund's idempotency key: its number and request fingerprint.
    pub(crate) refund_keys: BTreeMap<String, (u32, String)>,
    /// Minor units asked of the provider as refunds, not answered yet.
    pub(crate) refunding: i64,
    /// Set once the order takes no more refunds (its refund window ended).
    pub(crate) refunds_closed: bool,
    /// Refund and payout updates still running.
    pub(crate) refund_handlers: u32,
    /// Returns the customer asked for.
    pub(crate) returns: Vec<ReturnView>,
    /// Steps the return workflows reported, not taken in yet.
    pub(crate) return_updates: VecDeque<ReturnProgress>,
    /// Returns a staff update is moving on, not answered yet.
    pub(crate) return_requests: BTreeSet<u32>,
    /// Set once the order takes no more return requests.
    pub(crate) returns_closed: bool,
    /// The order's versions once it was edited: as placed, then one per
    /// edit. Empty for an order never edited.
    pub(crate) versions: Vec<OrderVersion>,
    /// Each applied edit's idempotency key and request fingerprint.
    pub(crate) edit_keys: BTreeMap<String, String>,
    /// Set while an edit is being applied.
    pub(crate) editing: bool,
    /// Revisions of the order's reservation asked for so far (an edit, and
    /// the undoing of one whose difference could not be charged).
    pub(crate) stock_revisions: u32,
}

impl OrderWorkflow {
    pub(crate) fn with_order(order: PlaceOrder, now: DateTime<Utc>) -> Self {
        Self {
            order,
            status: OrderStatus::Placed,
            created_at: now,
            updated_at: now,
            timeline: Vec::new(),
            payment_status: PaymentStatus::Pending,
            entries: Vec::new(),
            shipment: None,
            version: 0,
            admission: None,
            admission_answered: false,
            cancel_reason: None,
            dispatching: false,
            warehouse_request: None,
            payment_confirmation: None,
            seen_payment_events: BTreeSet::new(),
            shipment_updates: VecDeque::new(),
            parcels: Vec::new(),
            pack_requests: BTreeSet::new(),
            published_status: None,
            refunds: Vec::new(),
            refund_keys: BTreeMap::new(),
            refunding: 0,
            refunds_closed: false,
            refund_handlers: 0,
            returns: Vec::new(),
            return_updates: VecDeque::new(),
            return_requests: BTreeSet::new(),
            returns_closed: false,
            versions: Vec::new(),
            edit_keys: BTreeMap::new(),
            editing: false,
            stock_revisions: 0,
        }
    }

    /// The order as it was placed: its first version.
    pub(crate) fn placed_version(&self) -> OrderVersion {
        OrderVersion {
            number: 1,
            at: self.created_at,
            items: self.order.items.clone(),
            discounts: self.order.discounts.clone(),
            total: self.order.total,
            fulfillment: self.order.fulfillment.clone(),
            difference: Money::zero(self.order.total.currency),
            settlement: EditSettlement::Placed,
            change: "placed".into(),
        }
    }

    /// The number of the order's current version.
    pub(crate) fn current_version(&self) -> u32 {
        self.versions.last().map_or(1, |v| v.number)
    }

    /// Records a step of the order's history, with or without a status change.
    pub(crate) fn record(&mut self, status: OrderStatus, at: DateTime<Utc>, detail: String) {
        self.status = status;
        self.updated_at = at;
        self.version += 1;
        self.timeline.push(TimelineEntry { status, at, detail });
    }

    /// Adds the ledger's settled movements the order has not heard of:
    /// money taken by an answer that was lost, or by an attempt that
    /// finished after the order had stopped waiting for it.
    pub(crate) fn take_in_settled(&mut self, settled: Vec<ReceiptEntry>) {
        for entry in settled {
            if !self.entries.contains(&entry) {
                self.entries.push(entry);
            }
        }
    }

    fn sum(&self, kind: LedgerKind) -> Money {
        let currency = self.order.total.currency;
        let amount = self
            .entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.amount.amount)
            .sum();
        Money::new(amount, currency)
    }

    pub(crate) fn captured(&self) -> Money {
        self.sum(LedgerKind::Capture)
    }

    pub(crate) fn refunded(&self) -> Money {
        self.sum(LedgerKind::Refund)
    }

    /// What was captured and not refunded yet.
    pub(crate) fn refundable(&self) -> Money {
        let (captured, refunded) = (self.captured(), self.refunded());
        Money::new(
            captured.amount.saturating_sub(refunded.amount).max(0),
            captured.currency,
        )
    }

    /// What may still be given back: captured, less what was refunded,
    /// what is being refunded now, and cash payouts still owed.
    pub(crate) fn refundable_now(&self) -> Money {
        let owed: i64 = self
            .refunds
            .iter()
            .filter(|r| r.status == RefundStatus::PayoutDue)
            .map(|r| r.amount.amount)
            .sum();
        let left = self.refundable();
        Money::new(
            left.amount
                .saturating_sub(self.refunding)
                .saturating_sub(owed)
                .max(0),
            left.currency,
        )
    }

    /// Whether a refund is waiting for its provider's answer.
    pub(crate) fn refund_in_flight(&self) -> bool {
        self.refunding > 0
            || self
                .refunds
                .iter()
                .any(|r| r.status == RefundStatus::Pending)
    }

    pub(crate) fn refund_by_number(&self, number: u32) -> Option<&RefundView> {
        self.refunds.iter().find(|r| r.number == number)
    }

    pub(crate) fn refund_by_number_mut(&mut self, number: u32) -> Option<&mut RefundView> {
        self.refunds.iter_mut().find(|r| r.number == number)
    }

    pub(crate) fn parcel(&self, number: u32) -> Option<&ParcelView> {
        self.parcels.iter().find(|p| p.id == number)
    }

    pub(crate) fn parcel_mut(&mut self, number: u32) -> Option<&mut ParcelView> {
        self.parcels.iter_mut().find(|p| p.id == number)
    }

    /// Parcels asked to be packed that have not left yet.
    pub(crate) fn packing_pending(&self, numbers: &BTreeSet<u32>) -> bool {
        numbers.iter().any(|n| {
            self.parcel(*n)
                .is_some_and(|p| p.status == ParcelStatus::AwaitingPacking)
        })
    }

    /// What a parcel's lines cost the customer, less units of them staff
    /// already refunded.
    pub(crate) fn parcel_value(&self, parcel: &ParcelView) -> Money {
        let currency = self.order.total.currency;
        let amount = parcel
            .items
            .iter()
            .filter_map(|line| {
                let item = self.order.items.iter().find(|i| i.sku == line.sku)?;
                let refunded = refunded_units(&self.refunds, &line.sku);
                let units = line.quantity.saturating_sub(refunded);
                let discount = discount_on_units(
                    &self.order.discounts,
                    &line.sku,
                    item.quantity.get(),
                    refunded,
                    units,
                );
                item.unit_price
                    .amount
                    .checked_mul(i64::from(units))
                    .map(|price| price - discount)
            })
            .sum();
        Money::new(amount, currency)
    }

    pub(crate) fn authorized_uncaptured(&self) -> bool {
        self.payment_status == PaymentStatus::Authorized
    }

    /// What the rules about actions need to know of this order.
    pub(crate) fn stage(&self) -> OrderStage {
        OrderStage {
            status: self.status,
            pickup: self.order.fulfillment.is_pickup(),
            handing_over: self.dispatching
                || !self.pack_requests.is_empty()
                || self.parcels.iter().any(|p| p.status.has_left()),
            cancel_requested: self.cancel_reason.is_some(),
            pending_step: self.warehouse_request,
        }
    }

    pub(crate) fn view(&self) -> OrderView {
        OrderView {
            id: self.order.order_id,
            customer_id: self.order.customer.id,
            status: self.status,
            items: self.order.items.clone(),
            total: self.order.total,
            payment: PaymentView {
                method: self.order.payment.method(),
                status: self.payment_status,
                instrument: self.order.payment.display_hint(),
                receipt: Receipt {
                    authorized: self.sum(LedgerKind::Authorize),
                    captured: self.captured(),
                    refunded: self.refunded(),
                    entries: self.entries.clone(),
                },
            },
            fulfillment: self.order.fulfillment.clone(),
            shipment: self.shipment.clone(),
            shipments: self.parcels.clone(),
            timeline: self.timeline.clone(),
            discounts: self.order.discounts.clone(),
            refunds: self.refunds.clone(),
            returns: self.returns.clone(),
            versions: self.versions.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}
