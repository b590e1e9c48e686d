//! `OrderWorkflow`: one per order, workflow id `order-{order_id}`.
//!
//! Messages it takes:
//! - update `admit`, sent with the start (update-with-start): answers
//!   synchronously whether stock was reserved, so `POST /orders` can say 409
//!   at once while the order is already durable;
//! - update `cancel` (validated: refused once the parcel is with the carrier);
//! - updates `pack`, `ready_for_pickup`, `picked_up` (warehouse, validated
//!   against the current status) and `release_hold` (an operator lets an
//!   order whose payment did not match its total go on);
//! - update `pack_shipment` (one parcel of an order filled from several
//!   warehouses; `pack` packs all of them);
//! - updates `refund` (part of the order, by line and/or amount, while the
//!   workflow is open: until its refund window after completion ends) and
//!   `record_payout` (a cash on delivery refund paid back by hand);
//! - updates `request_return` (a customer sends delivered lines back,
//!   starting a child `ReturnWorkflow`), `review_return`, `receive_return`
//!   and `inspect_return` (staff move a return on, validated against its
//!   status);
//! - update `edit` (the customer or staff change lines or the delivery
//!   address between payment and packing; validated against the status
//!   and the version the edit was priced from);
//! - signal `return_progress` (a step a return workflow took);
//! - signal `payment_result` (a provider's webhook) and `shipment_progress`
//!   (from the child shipment workflow);
//! - query `order` returning the full view with its timeline.

mod after_sale;
mod edits;
mod exchanges;
mod lifecycle;
mod options;
mod parcels;
mod refunds;
mod returns;
mod state;

use chrono::{DateTime, Utc};
use temporalio_macros::workflow_methods;
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

use std::collections::BTreeSet;

use orderly_domain::{
    OrderAction, OrderStatus, OrderView, ParcelStatus, RefundView, ReturnView,
    pack_shipment_refusal,
};

use crate::contract::{
    Admission, CUSTOMER_ID_ATTRIBUTE, CancelRequest, EditOutcome, ORDER_STATUS_ATTRIBUTE,
    OrderEdit, OrderOutcome, PaymentConfirmation, PayoutRecord, PlaceOrder, RefundOutcome,
    RefundRequest, ReturnDecision, ReturnInspection, ReturnProgress, ReturnRequest, ReturnedGoods,
    ShipmentProgress,
};
pub use state::OrderWorkflow;

type Refusal = Box<dyn std::error::Error + Send + Sync>;

/// Patch: a payment verdict that arrives before the order awaits payment is
/// kept instead of dropped (orders started before it dropped it).
const KEEP_EARLY_PAYMENT_RESULTS: &str = "keep-early-payment-results";

fn time_of(view: &WorkflowContextView) -> DateTime<Utc> {
    view.start_time()
        .map(DateTime::<Utc>::from)
        .unwrap_or_default()
}

/// The status the start request already published, when it set both
/// search attributes to this order's values (the API does, saving the
/// first upsert); `None` makes the first transition publish them.
fn started_with_status(ctx: &WorkflowContextView, workflow: &OrderWorkflow) -> Option<OrderStatus> {
    let attributes = ctx.search_attributes()?;
    let customer = attributes.get(&CUSTOMER_ID_ATTRIBUTE)?;
    if customer != workflow.order.customer.id.to_string() {
        return None;
    }
    attributes
        .get(&ORDER_STATUS_ATTRIBUTE)
        .and_then(|status| OrderStatus::parse(&status))
        .filter(|status| *status == workflow.status)
}

#[workflow_methods]
impl OrderWorkflow {
    #[init]
    pub fn new(ctx: &WorkflowContextView, order: PlaceOrder) -> Self {
        let mut workflow = Self::with_order(order, time_of(ctx));
        workflow.published_status = started_with_status(ctx, &workflow);
        workflow
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<OrderOutcome> {
        lifecycle::run(ctx).await
    }

    /// The synchronous answer to placing the order.
    #[update]
    pub async fn admit(ctx: &mut WorkflowContext<Self>, _input: ()) -> Result<Admission, Refusal> {
        ctx.wait_condition(|s: &Self| s.admission.is_some())
            .await
            .map_err(|_| "the order workflow was cancelled before it admitted the order")?;
        ctx.state_mut(|s| {
            s.admission_answered = true;
            s.admission.clone()
        })
        .ok_or_else(|| "the order was not admitted".into())
    }

    #[update_validator(cancel)]
    fn validate_cancel(
        &self,
        _ctx: &WorkflowContextView,
        _input: &CancelRequest,
    ) -> Result<(), Refusal> {
        self.allows(OrderAction::Cancel)
    }

    /// Cancels the order; answers once the compensations have run.
    #[update]
    pub async fn cancel(
        ctx: &mut WorkflowContext<Self>,
        input: CancelRequest,
    ) -> Result<OrderView, Refusal> {
        ctx.state_mut(|s| {
            if s.cancel_reason.is_none() {
                s.cancel_reason = Some(input.reason);
            }
        });
        ctx.wait_condition(|s: &Self| s.status.is_final())
            .await
            .map_err(|_| "the order workflow was cancelled")?;
        Ok(ctx.state(|s| s.view()))
    }

    #[update_validator(release_hold)]
    fn validate_release_hold(
        &self,
        _ctx: &WorkflowContextView,
        _input: &(),
    ) -> Result<(), Refusal> {
        self.allows(OrderAction::ReleaseHold)
    }

    /// Lets an order on hold go on to fulfilment with what was captured.
    #[update]
    pub async fn release_hold(
        ctx: &mut WorkflowContext<Self>,
        _input: (),
    ) -> Result<OrderView, Refusal> {
        Self::warehouse_step(ctx, OrderAction::ReleaseHold, OrderStatus::OnHold).await
    }

    #[update_validator(pack)]
    fn validate_pack(&self, _ctx: &WorkflowContextView, _input: &()) -> Result<(), Refusal> {
        self.not_editing()?;
        self.allows(OrderAction::Pack)
    }

    #[update]
    pub async fn pack(ctx: &mut WorkflowContext<Self>, _input: ()) -> Result<OrderView, Refusal> {
        if ctx.state(|s| s.parcels.is_empty()) {
            return Self::warehouse_step(ctx, OrderAction::Pack, OrderStatus::Paid).await;
        }
        let waiting = ctx.state_mut(|s| {
            let waiting: BTreeSet<u32> = s
                .parcels
                .iter()
                .filter(|p| p.status == ParcelStatus::AwaitingPacking)
                .map(|p| p.id)
                .collect();
            s.pack_requests.extend(waiting.iter().copied());
            waiting
        });
        Self::packing(ctx, waiting).await
    }

    #[update_validator(pack_shipment)]
    fn validate_pack_shipment(
        &self,
        _ctx: &WorkflowContextView,
        number: &u32,
    ) -> Result<(), Refusal> {
        self.not_editing()?;
        let parcel = self.parcel(*number).map(|p| p.status);
        let requested = self.pack_requests.contains(number);
        match pack_shipment_refusal(&self.stage(), *number, parcel, requested) {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }

    /// Packs one parcel of an order filled from several warehouses.
    #[update]
    pub async fn pack_shipment(
        ctx: &mut WorkflowContext<Self>,
        number: u32,
    ) -> Result<OrderView, Refusal> {
        ctx.state_mut(|s| s.pack_requests.insert(number));
        Self::packing(ctx, BTreeSet::from([number])).await
    }

    #[update_validator(ready_for_pickup)]
    fn validate_ready_for_pickup(
        &self,
        _ctx: &WorkflowContextView,
        _input: &(),
    ) -> Result<(), Refusal> {
        self.allows(OrderAction::ReadyForPickup)
    }

    #[update]
    pub async fn ready_for_pickup(
        ctx: &mut WorkflowContext<Self>,
        _input: (),
    ) -> Result<OrderView, Refusal> {
        Self::warehouse_step(ctx, OrderAction::ReadyForPickup, OrderStatus::Packed).await
    }

    #[update_validator(picked_up)]
    fn validate_picked_up(&self, _ctx: &WorkflowContextView, _input: &()) -> Result<(), Refusal> {
        self.allows(OrderAction::PickedUp)
    }

    #[update]
    pub async fn picked_up(
        ctx: &mut WorkflowContext<Self>,
        _input: (),
    ) -> Result<OrderView, Refusal> {
        Self::warehouse_step(ctx, OrderAction::PickedUp, OrderStatus::ReadyForPickup).await
    }

    #[update_validator(refund)]
    fn validate_refund(
        &self,
        _ctx: &WorkflowContextView,
        _input: &RefundRequest,
    ) -> Result<(), Refusal> {
        match self.refund_refusal() {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }

    /// Staff refund part of the order; answers once the provider did.
    #[update]
    pub async fn refund(
        ctx: &mut WorkflowContext<Self>,
        input: RefundRequest,
    ) -> Result<RefundOutcome, Refusal> {
        refunds::refund(ctx, input).await
    }

    #[update_validator(record_payout)]
    fn validate_record_payout(
        &self,
        _ctx: &WorkflowContextView,
        input: &PayoutRecord,
    ) -> Result<(), Refusal> {
        match self.payout_refusal(input) {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }

    /// Staff paid a cash on delivery refund back.
    #[update]
    pub async fn record_payout(
        ctx: &mut WorkflowContext<Self>,
        input: PayoutRecord,
    ) -> Result<RefundView, Refusal> {
        refunds::record_payout(ctx, input).await
    }

    #[update_validator(edit)]
    fn validate_edit(&self, _ctx: &WorkflowContextView, input: &OrderEdit) -> Result<(), Refusal> {
        match self.edit_refusal(input) {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }

    /// Changes the order's lines or delivery address before packing;
    /// answers once its stock and money have moved.
    #[update]
    pub async fn edit(
        ctx: &mut WorkflowContext<Self>,
        input: OrderEdit,
    ) -> Result<EditOutcome, Refusal> {
        edits::edit(ctx, input).await
    }

    #[update_validator(request_return)]
    fn validate_request_return(
        &self,
        _ctx: &WorkflowContextView,
        input: &ReturnRequest,
    ) -> Result<(), Refusal> {
        match self.return_refusal(input) {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }

    /// A customer asks to send delivered lines back.
    #[update]
    pub async fn request_return(
        ctx: &mut WorkflowContext<Self>,
        input: ReturnRequest,
    ) -> Result<ReturnView, Refusal> {
        returns::request(ctx, input).await
    }

    #[update_validator(review_return)]
    fn validate_review_return(
        &self,
        _ctx: &WorkflowContextView,
        input: &ReturnDecision,
    ) -> Result<(), Refusal> {
        self.return_step_allowed(input.number, &returns::StaffStep::Review)
    }

    /// Staff approve or reject a return.
    #[update]
    pub async fn review_return(
        ctx: &mut WorkflowContext<Self>,
        input: ReturnDecision,
    ) -> Result<ReturnView, Refusal> {
        returns::review(ctx, input).await
    }

    #[update_validator(receive_return)]
    fn validate_receive_return(
        &self,
        _ctx: &WorkflowContextView,
        input: &ReturnedGoods,
    ) -> Result<(), Refusal> {
        self.return_step_allowed(input.number, &returns::StaffStep::Receive)
    }

    /// The warehouse has a return's goods back.
    #[update]
    pub async fn receive_return(
        ctx: &mut WorkflowContext<Self>,
        input: ReturnedGoods,
    ) -> Result<ReturnView, Refusal> {
        returns::receive(ctx, input).await
    }

    #[update_validator(inspect_return)]
    fn validate_inspect_return(
        &self,
        _ctx: &WorkflowContextView,
        input: &ReturnInspection,
    ) -> Result<(), Refusal> {
        self.return_step_allowed(input.number, &returns::StaffStep::Inspect(input))
    }

    /// Staff record what a return's goods were found to be; answers once
    /// the returned lines were refunded.
    #[update]
    pub async fn inspect_return(
        ctx: &mut WorkflowContext<Self>,
        input: ReturnInspection,
    ) -> Result<ReturnView, Refusal> {
        returns::inspect(ctx, input).await
    }

    /// A step a child return workflow took.
    #[signal]
    pub fn return_progress(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        progress: ReturnProgress,
    ) {
        self.return_updates.push_back(progress);
    }

    /// A payment provider's verdict, from its webhook. Duplicate event ids
    /// change nothing. A verdict that arrives before the order awaits it
    /// (the provider was faster than the collect request's bookkeeping) is
    /// kept for when it does; one that arrives after the payment settled
    /// changes nothing.
    #[signal]
    pub fn payment_result(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        confirmation: PaymentConfirmation,
    ) {
        if !self
            .seen_payment_events
            .insert(confirmation.event_id.clone())
        {
            return;
        }
        let awaited = match self.status {
            OrderStatus::AwaitingPayment => true,
            OrderStatus::Placed => {
                self.order.payment.method().is_asynchronous()
                    && ctx.patched(KEEP_EARLY_PAYMENT_RESULTS)
            }
            _ => false,
        };
        if awaited && self.payment_confirmation.is_none() {
            self.payment_confirmation = Some(confirmation);
        }
    }

    /// A shipment change accepted by the child shipment workflow.
    #[signal]
    pub fn shipment_progress(
        &mut self,
        _ctx: &mut SyncWorkflowContext<Self>,
        progress: ShipmentProgress,
    ) {
        self.shipment_updates.push_back(progress);
    }

    #[query]
    pub fn order(&self, _ctx: &WorkflowContextView) -> OrderView {
        self.view()
    }
}

impl OrderWorkflow {
    fn return_step_allowed(&self, number: u32, step: &returns::StaffStep) -> Result<(), Refusal> {
        match self.return_step_refusal(number, step) {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }

    /// Packing waits for an edit being applied: what is packed is the
    /// edited order.
    fn not_editing(&self) -> Result<(), Refusal> {
        if self.editing {
            return Err("the order is being edited; pack it once the edit is done".into());
        }
        Ok(())
    }

    fn allows(&self, action: OrderAction) -> Result<(), Refusal> {
        match action.refusal(&self.stage()) {
            Some(refusal) => Err(refusal.into()),
            None => Ok(()),
        }
    }

    /// Answers once none of `numbers` waits to be packed any more.
    async fn packing(
        ctx: &mut WorkflowContext<Self>,
        numbers: BTreeSet<u32>,
    ) -> Result<OrderView, Refusal> {
        let waited = numbers.clone();
        ctx.wait_condition(move |s: &Self| !s.packing_pending(&waited) || s.status.is_final())
            .await
            .map_err(|_| "the order workflow was cancelled")?;
        // A cancel that reached the workflow in the same moment as the
        // pack request won: the shipment was dropped, never packed.
        let dropped = ctx.state(|s| {
            !numbers.is_empty()
                && numbers.iter().all(|n| {
                    s.parcel(*n)
                        .is_some_and(|p| p.status == ParcelStatus::Cancelled)
                })
        });
        if dropped {
            return Err("the order was cancelled before it was packed".into());
        }
        Ok(ctx.state(|s| s.view()))
    }

    async fn warehouse_step(
        ctx: &mut WorkflowContext<Self>,
        step: OrderAction,
        from: OrderStatus,
    ) -> Result<OrderView, Refusal> {
        ctx.state_mut(|s| s.warehouse_request = Some(step));
        ctx.wait_condition(|s: &Self| s.status != from)
            .await
            .map_err(|_| "the order workflow was cancelled")?;
        Ok(ctx.state(|s| s.view()))
    }
}

/// The retry policy of database activities, shared with the shipment and
/// return workflows.
pub(crate) fn database_options() -> temporalio_sdk::LocalActivityOptions {
    options::database()
}

/// The retry policy of carrier bookings, shared with the return workflow.
pub(crate) fn booking_options(
    timings: &crate::contract::OrderTimings,
) -> temporalio_sdk::LocalActivityOptions {
    options::booking(timings)
}
