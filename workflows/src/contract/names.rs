//! Names that workers, the API and operators must agree on, in one place.

use orderly_domain::OrderId;
use temporalio_common::search_attributes::SearchAttributeKey;
use uuid::Uuid;

/// The task queue of the order, shipment and return workflows and their activities.
pub const ORDER_TASK_QUEUE: &str = "orderly-orders";

/// Search attribute an operator filters on in the Web UI:
/// `OrderStatus = "awaiting_payment"`.
pub const ORDER_STATUS_ATTRIBUTE: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("OrderStatus");

/// Search attribute with the customer's user id: `CustomerId = "0193…"`.
pub const CUSTOMER_ID_ATTRIBUTE: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("CustomerId");

/// Custom search attributes a Temporal namespace must have registered
/// (name, type) before orders run: an upsert of an unregistered attribute
/// fails the workflow task.
pub const SEARCH_ATTRIBUTES: [(&str, &str); 2] =
    [("OrderStatus", "Keyword"), ("CustomerId", "Keyword")];

pub fn order_workflow_id(order_id: OrderId) -> String {
    format!("order-{order_id}")
}

/// The workflow id of parcel `shipment_number` of an order: `shipment-{order}-{n}`,
/// or `shipment-{order}` for shipment 0, the only parcel of an order placed
/// before orders were split.
pub fn shipment_workflow_id(order_id: OrderId, shipment_number: u32) -> String {
    match shipment_number {
        0 => format!("shipment-{order_id}"),
        n => format!("shipment-{order_id}-{n}"),
    }
}

/// The workflow id of return `number` of an order: `return-{order}-{n}`.
pub fn return_workflow_id(order_id: OrderId, number: u32) -> String {
    format!("return-{order_id}-{number}")
}

pub fn cart_reminder_workflow_id(cart_id: Uuid) -> String {
    format!("cart-reminder-{cart_id}")
}
