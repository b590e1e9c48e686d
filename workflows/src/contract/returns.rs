//! What the return workflow takes and tells its parent order, and the
//! messages customers and staff send a return.

use serde::{Deserialize, Serialize};

use super::OrderTimings;
use orderly_domain::{
    Address, ImageUrl, InspectedLine, Money, OrderId, OrderLine, ReturnLine, TrackingId,
    WarehouseId,
};

/// A customer asks to send lines of a delivered order back (the order's
/// `request_return` update). The API works out `collect`: perishables are
/// not collected, and are refunded once staff approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRequest {
    pub lines: Vec<ReturnLine>,
    pub reason: String,
    pub photos: Vec<ImageUrl>,
    pub collect: bool,
    /// The replacement the customer takes instead of a refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeRequest>,
}

/// A replacement asked for with a return, priced by the API: the lines at
/// today's catalogue price, and what the customer pays on top of what the
/// returned units were paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRequest {
    pub lines: Vec<OrderLine>,
    pub difference: Money,
}

/// The input of a [`crate::ReturnWorkflow`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnInput {
    pub order_id: OrderId,
    pub number: u32,
    pub lines: Vec<ReturnLine>,
    pub collect: bool,
    /// Where the carrier collects the goods.
    pub pickup_address: Option<Address>,
    /// Where the goods go back to: the warehouse they left from.
    pub warehouse_id: Option<WarehouseId>,
    /// The order's timings: how carrier calls are retried.
    pub timings: OrderTimings,
}

/// Staff decide on return `number` (the order's `review_return` update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnDecision {
    pub number: u32,
    pub approve: bool,
    pub reason: String,
}

/// Staff's decision as the return workflow gets it (its `review` signal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReview {
    pub approve: bool,
    pub reason: String,
}

/// The warehouse has the goods of return `number` back (the order's
/// `receive_return` update), by hand or from the carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedGoods {
    pub number: u32,
    pub note: String,
}

/// Staff record what the goods of return `number` were found to be (the
/// order's `inspect_return` update, passed on as the return's `inspect`
/// signal): every returned unit is either restocked or written off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnInspection {
    pub number: u32,
    pub lines: Vec<InspectedLine>,
}

/// A step a return took, sent to its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnProgress {
    pub number: u32,
    pub step: ReturnMove,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnMove {
    /// Approved; `refund_now` when nothing is collected (perishables).
    Approved {
        reason: String,
        refund_now: bool,
    },
    Rejected {
        reason: String,
    },
    PickupBooked {
        tracking_id: TrackingId,
        carrier: String,
    },
    /// The carrier would not collect; staff must take it from here.
    PickupFailed {
        reason: String,
    },
    Received {
        how: String,
    },
    /// Inspected: the returned lines are to be refunded.
    Inspected {
        lines: Vec<InspectedLine>,
    },
}

/// A return pickup to book with the carrier (the `book_return_pickup`
/// activity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnPickupRequest {
    pub order_id: OrderId,
    pub number: u32,
    pub address: Address,
    pub warehouse_id: Option<WarehouseId>,
    pub idempotency_key: String,
}

/// A booked return pickup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookedPickup {
    pub tracking_id: TrackingId,
    pub carrier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PickupOutcome {
    Booked(BookedPickup),
    Rejected { reason: String },
}

/// Returned goods going back on the shelf or written off (the
/// `take_back_return` activity); idempotent per return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedStock {
    pub order_id: OrderId,
    pub number: u32,
    pub lines: Vec<InspectedLine>,
}
