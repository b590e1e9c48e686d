//! The order workflow's input, the payloads of its updates and signals,
//! and its result.

use serde::{Deserialize, Serialize};

use orderly_domain::{
    Fulfillment, Money, OrderId, OrderLine, OrderView, PaymentDetails, PaymentWebhookStatus,
    Shortage, UserId,
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
