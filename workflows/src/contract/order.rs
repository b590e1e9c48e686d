//! The order workflow's input, the payloads of its updates and signals,
//! and its result.

use serde::{Deserialize, Serialize};

use orderly_domain::{
    DiscountLine, Fulfillment, Money, OrderId, OrderLine, OrderView, PaymentDetails,
    PaymentWebhookStatus, RefundLineRequest, RefundProblem, RefundView, Shortage, UserId,
};

/// The customer an order belongs to, as notifications address them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// Waiting periods and retry pacing of an order. They are inputs, not
/// workflow-side settings, so that a running order keeps the rules it
/// started with and tests can shorten them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTimings {
    /// How long a UPI or netbanking payment may stay unconfirmed.
    pub payment_timeout_secs: u64,
    /// How long a pickup order waits to be collected once ready.
    pub pickup_window_secs: u64,
    /// How long a shipment may go without a carrier event before ops are alerted.
    pub carrier_silence_secs: u64,
    /// First retry interval of payment and carrier calls; doubles each attempt.
    pub retry_initial_millis: u64,
    /// Attempts at booking a shipment before the order is cancelled.
    pub booking_attempts: u32,
    /// Pause between rounds of a refund or void that keeps failing
    /// (orders started before it was an input pause a minute).
    #[serde(default = "default_settle_pause_secs")]
    pub settle_pause_secs: u64,
    /// History events a shipment run may reach before continuing as new.
    #[serde(default = "default_shipment_history_limit")]
    pub shipment_history_limit: u32,
    /// How long a delivered or collected order stays open for refunds
    /// (orders started before it was an input close at once).
    #[serde(default)]
    pub refund_window_secs: u64,
    /// How long a delivered or collected order takes return requests: the
    /// longest return window of its lines (orders started before returns
    /// take none).
    #[serde(default)]
    pub return_window_secs: u64,
}

fn default_shipment_history_limit() -> u32 {
    crate::contract::DEFAULT_SHIPMENT_HISTORY_LIMIT
}

fn default_settle_pause_secs() -> u64 {
    60
}

impl Default for OrderTimings {
    fn default() -> Self {
        Self {
            payment_timeout_secs: 15 * 60,
            pickup_window_secs: 3 * 24 * 60 * 60,
            carrier_silence_secs: 48 * 60 * 60,
            retry_initial_millis: 1000,
            booking_attempts: 6,
            settle_pause_secs: default_settle_pause_secs(),
            shipment_history_limit: default_shipment_history_limit(),
            refund_window_secs: 30 * 24 * 60 * 60,
            return_window_secs: 7 * 24 * 60 * 60,
        }
    }
}

/// The input of an [`crate::OrderWorkflow`]: an order priced and validated by
/// the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub order_id: OrderId,
    pub customer: Customer,
    pub items: Vec<OrderLine>,
    pub total: Money,
    pub payment: PaymentDetails,
    pub fulfillment: Fulfillment,
    pub timings: OrderTimings,
    /// Discounts taken off `total` (coupons), each spread over its lines.
    #[serde(default)]
    pub discounts: Vec<DiscountLine>,
}

/// The synchronous answer to placing an order (the `admit` update sent with
/// the workflow's start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Admission {
    Accepted(Box<OrderView>),
    OutOfStock(Shortage),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    pub reason: String,
}

/// Staff refund part of an order (the `refund` update), or the order
/// refunds a return's lines. `key` is the
/// client's idempotency key; `fingerprint` tells a retry of the same refund
/// from another refund under a reused key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub key: String,
    pub fingerprint: String,
    pub lines: Vec<RefundLineRequest>,
    /// Minor units of the order's currency, on top of the lines.
    pub extra: i64,
    pub reason: String,
    /// The return this refund is for; absent for a staff refund, which may
    /// not take units an open return is to refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_return: Option<u32>,
}

/// Staff paid a cash on delivery refund back by hand (the `record_payout`
/// update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutRecord {
    pub number: u32,
    pub reference: String,
}

/// The answer to a `refund` update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefundOutcome {
    /// The refund as it ended (refunded, failed, or a payout due).
    Made(Box<RefundView>),
    /// Not made: it asks for more than the order allows.
    Refused(RefundProblem),
    /// The key was used before for a different refund.
    KeyReused,
}

/// A payment provider's verdict on a collect request, from its webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentConfirmation {
    pub event_id: String,
    pub status: PaymentWebhookStatus,
}

/// How an order ended; the workflow's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderOutcome {
    /// Turned away at placement (out of stock); nothing was kept.
    Rejected,
    Completed(Box<OrderView>),
}
