//! The activities the workflows call: their names, inputs and outputs.
//!
//! [`OrderActivities`] only declares them (`#[activity_definitions]`); the
//! worker registers implementations that name these declarations, and the
//! compiler checks that their inputs and outputs match. The activity type
//! names (`OrderActivities::reserve_stock`, …) are in every recorded
//! history, so they never change.

use serde::{Deserialize, Serialize};
use temporalio_macros::activity_definitions;
use temporalio_sdk::activities::ActivityError;

use super::edits::ReviseInput;
use super::returns::{PickupOutcome, ReturnPickupRequest, ReturnedStock};
use orderly_domain::{
    Address, LedgerKind, Money, NotificationKind, OrderId, OrderLine, OrderView, PaymentDetails,
    ReceiptEntry, ReserveOutcome, ShipmentStatus, StockSource, TrackingId, UserId, WarehouseId,
};

/// The declarations of every activity of the order, shipment and cart
/// reminder workflows.
pub struct OrderActivities;

#[activity_definitions]
impl OrderActivities {
    /// Holds stock for every line of an order, all or nothing, and tells
    /// the sellers of SKUs that fell below their low-stock threshold.
    #[activity]
    pub async fn reserve_stock(input: ReserveInput) -> Result<ReserveOutcome, ActivityError> {
        unimplemented!()
    }

    /// Holds the stock of an edited order's lines in place of what it held,
    /// all or nothing: an out-of-stock answer leaves the old reservation
    /// as it was. Once per revision.
    #[activity]
    pub async fn revise_stock(input: ReviseInput) -> Result<ReserveOutcome, ActivityError> {
        unimplemented!()
    }

    /// Gives held stock back (cancellation, failed payment).
    #[activity]
    pub async fn release_stock(order_id: OrderId) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Turns held stock into stock that has left the shelf.
    #[activity]
    pub async fn commit_stock(order_id: OrderId) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Puts stock that left the shelf back (a parcel returned by the carrier).
    #[activity]
    pub async fn restock(order_id: OrderId) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Gives one parcel's held stock back (it could not be sent).
    #[activity]
    pub async fn release_parcel(parcel: ParcelStock) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Turns one parcel's held stock into stock that left the shelf.
    #[activity]
    pub async fn commit_parcel(parcel: ParcelStock) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Puts one returned parcel's stock back on the shelf.
    #[activity]
    pub async fn restock_parcel(parcel: ParcelStock) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Writes the read model; only the highest version is kept.
    #[activity]
    pub async fn record_order(view: OrderView) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Moves money through the provider of the order's payment method,
    /// recording the movement in the ledger before the provider is asked
    /// and its outcome after, under the same idempotency key.
    #[activity]
    pub async fn move_money(step: PaymentStep) -> Result<PaymentOutcome, ActivityError> {
        unimplemented!()
    }

    /// Asks the providers what became of the order's movements whose
    /// answer was lost (still pending in the ledger), records it, and
    /// returns every settled movement of the order, so compensation gives
    /// back money the workflow never heard was taken.
    #[activity]
    pub async fn reconcile_payments(order_id: OrderId) -> Result<Vec<ReceiptEntry>, ActivityError> {
        unimplemented!()
    }

    /// Records money staff paid back by hand (a cash on delivery refund) in
    /// the ledger, once per key.
    #[activity]
    pub async fn record_payout(payout: Payout) -> Result<ReceiptEntry, ActivityError> {
        unimplemented!()
    }

    /// Books the parcel with the carrier; idempotent per order.
    #[activity]
    pub async fn book_shipment(request: BookingRequest) -> Result<BookingOutcome, ActivityError> {
        unimplemented!()
    }

    /// Calls off a booked parcel with its carrier (the order was cancelled
    /// before the parcel went out); idempotent.
    #[activity]
    pub async fn cancel_parcel(parcel: BookedShipment) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Books the carrier to collect a return from the customer;
    /// idempotent per return.
    #[activity]
    pub async fn book_return_pickup(
        request: ReturnPickupRequest,
    ) -> Result<PickupOutcome, ActivityError> {
        unimplemented!()
    }

    /// Records the status of a return pickup the return workflow accepted.
    #[activity]
    pub async fn record_pickup_status(input: ShipmentStatusInput) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Puts inspected returned goods back into the batches they came from
    /// or writes them off, through the stock ledger; once per return.
    #[activity]
    pub async fn take_back_return(stock: ReturnedStock) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Records the shipment status the shipment workflow accepted.
    #[activity]
    pub async fn record_shipment_status(input: ShipmentStatusInput) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Tells the customer, in-app always and on every other channel they
    /// chose that is configured and can reach them.
    #[activity]
    pub async fn notify(input: NotifyInput) -> Result<(), ActivityError> {
        unimplemented!()
    }

    /// Reminds a shopper of the cart they left, once per version of it;
    /// answers whether a reminder went out.
    #[activity]
    pub async fn remind_cart(request: CartReminderRequest) -> Result<bool, ActivityError> {
        unimplemented!()
    }

    /// Raises an alert for operators, once per dedupe key.
    #[activity]
    pub async fn alert_ops(input: OpsAlertInput) -> Result<(), ActivityError> {
        unimplemented!()
    }
}

/// The marker types of the declarations above, which implementations name
/// in `#[activity(definition = ...)]`.
pub mod definitions {
    pub use super::order_activities::*;
}

/// Money paid back outside any provider, under the key of the refund it
/// settles.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payout {
    pub order_id: OrderId,
    pub idempotency_key: String,
    pub amount: Money,
    /// The payout's reference (a cash voucher, a bank transfer id).
    pub reference: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReserveInput {
    pub order_id: OrderId,
    pub lines: Vec<OrderLine>,
    /// Which warehouses may fill the order; absent in histories from
    /// before warehouses were ranked (any warehouse then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<StockSource>,
    /// 0 for the order's own stock; n for the replacement of its return n.
    #[serde(default, skip_serializing_if = "is_the_order")]
    pub part: u32,
}

/// The stock of one parcel of an order: what one warehouse holds for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParcelStock {
    pub order_id: OrderId,
    pub warehouse_id: WarehouseId,
    /// 0 for a parcel of the order; n for the replacement of its return n.
    #[serde(default, skip_serializing_if = "is_the_order")]
    pub part: u32,
}

/// Part 0: the order's own stock, left out of payloads as it always was.
fn is_the_order(part: &u32) -> bool {
    *part == 0
}

/// What the workflow asks of the payment provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOp {
    Charge,
    Authorize,
    Capture,
    Initiate,
    Void,
    Refund,
}

impl PaymentOp {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOp::Charge => "charge",
            PaymentOp::Authorize => "authorize",
            PaymentOp::Capture => "capture",
            PaymentOp::Initiate => "initiate",
            PaymentOp::Void => "void",
            PaymentOp::Refund => "refund",
        }
    }

    /// The ledger row an operation leaves. A charge is a sale: money is
    /// captured at once. Initiating a collect request moves no money.
    pub fn ledger_kind(self) -> Option<LedgerKind> {
        match self {
            PaymentOp::Charge | PaymentOp::Capture => Some(LedgerKind::Capture),
            PaymentOp::Authorize => Some(LedgerKind::Authorize),
            PaymentOp::Void => Some(LedgerKind::Void),
            PaymentOp::Refund => Some(LedgerKind::Refund),
            PaymentOp::Initiate => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentStep {
    pub order_id: OrderId,
    pub op: PaymentOp,
    pub amount: Money,
    pub details: PaymentDetails,
    /// The part of the order this money is for, when not all of it: a
    /// refund of one returned shipment is `shipment-2`. Each part is its
    /// own movement with its own key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl PaymentStep {
    /// One key per (order, operation): an order is charged, captured or
    /// refunded at most once, however often the activity runs. A charge and
    /// the capture that follows a collect request share the key because they
    /// are the same money.
    pub fn idempotency_key(&self) -> String {
        let op = match self.op {
            PaymentOp::Charge | PaymentOp::Capture => "capture",
            other => other.as_str(),
        };
        match &self.part {
            Some(part) => format!("order:{}:{}:{part}", self.order_id, op),
            None => format!("order:{}:{}", self.order_id, op),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PaymentOutcome {
    Done(ReceiptEntry),
    /// A collect request was raised; the provider's webhook will settle it.
    Pending {
        reference: String,
    },
    Declined {
        reason: String,
    },
}

/// A request to collect an order's parcel and deliver it to `address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRequest {
    pub order_id: OrderId,
    /// Which parcel of the order (0: the only one, from before orders
    /// were split).
    #[serde(default)]
    pub shipment_number: u32,
    /// The warehouse the parcel leaves from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<WarehouseId>,
    pub address: Address,
    /// Passed on to carriers whose API takes one.
    pub idempotency_key: String,
}

/// The parcel a carrier booked for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookedShipment {
    pub tracking_id: TrackingId,
    pub order_id: OrderId,
    pub carrier: String,
    pub status: ShipmentStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum BookingOutcome {
    Booked(BookedShipment),
    Rejected { reason: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShipmentStatusInput {
    pub tracking_id: TrackingId,
    pub status: ShipmentStatus,
}

/// Who a notification is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyInput {
    pub kind: NotificationKind,
    pub order: OrderView,
    pub recipient: Recipient,
    /// The shipment of a split order the news is about; absent in
    /// histories from before shipments were told apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<u32>,
    /// The refund the news is about (by its number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<u32>,
    /// The return the news is about (by its number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_number: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpsAlertInput {
    pub order_id: OrderId,
    pub kind: String,
    pub detail: String,
    pub dedupe_key: String,
}

/// The cart reminder workflow asks for a reminder about `version` of a cart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CartReminderRequest {
    pub cart_id: uuid::Uuid,
    pub user_id: UserId,
    /// The cart's version the last touch reported.
    pub version: i64,
}
