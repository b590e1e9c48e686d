//! An order no single warehouse can fill, the set-up every split
//! fulfilment test starts from: mangoes only in a Pune hub, okra only in
//! the main warehouse, and a customer in Pune ordering both, so the order
//! ships as shipment 1 (the mangoes, from Pune, nearest) and shipment 2
//! (the okra, from the main warehouse).

use serde_json::{Value, json};

use orderly_providers::sandbox_values::CARD_APPROVED;

use crate::app::TestApp;
use crate::shopper::{card, delivery_order, placed_id};
use crate::stockroom::MAIN_WAREHOUSE;

pub const MANGO: &str = "MANGO-1KG";
pub const OKRA: &str = "OKRA-500G";
pub const MANGO_PRICE: i64 = 24_000;
pub const OKRA_PRICE: i64 = 6_000;
/// What a split order charges: 2 mangoes and 1 okra.
pub const SPLIT_ORDER_TOTAL: i64 = 2 * MANGO_PRICE + OKRA_PRICE;

/// The shop the split orders are placed in.
pub struct SplitShop {
    pub admin: String,
    pub customer: String,
    pub pune: String,
}

/// A delivery order to `postal_code`, paid by an approved card.
pub fn order_to(postal_code: &str, items: Value) -> Value {
    let mut order = delivery_order(items, card(CARD_APPROVED));
    order["fulfillment"]["address"]["postal_code"] = json!(postal_code);
    order
}

/// Where each shipment of an order leaves from, in shipment order.
pub fn shipment_warehouses(order: &Value) -> Vec<String> {
    order["shipments"]
        .as_array()
        .expect("shipments")
        .iter()
        .map(|s| s["warehouse_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Shipment `index`'s tracking id (0 for shipment 1).
pub fn tracking(order: &Value, index: usize) -> String {
    order["shipments"][index]["tracking_id"]
        .as_str()
        .expect("a tracking id")
        .to_owned()
}

/// The route that packs shipment `number` of order `id`.
pub fn pack_route(id: &str, number: u32) -> String {
    format!("/v1/orders/{id}/shipments/{number}/pack")
}

impl TestApp {
    /// `mangoes` in a new Pune hub, `okra` in the main warehouse.
    pub async fn split_shop(&self, mangoes: i64, okra: i64) -> SplitShop {
        let admin = self.admin().await;
        let customer = self.customer("Asha").await;
        self.stock_product(MANGO, MANGO_PRICE, 0).await;
        self.stock_product(OKRA, OKRA_PRICE, okra).await;
        let pune = self
            .open_warehouse_at(&admin, "Pune hub", "Pune", "411037")
            .await;
        self.receive_batch(&admin, &pune, MANGO, "M1", mangoes, 9)
            .await;
        SplitShop {
            admin,
            customer,
            pune,
        }
    }

    /// Places 2 mangoes and 1 okra to Pune and waits until they are paid;
    /// the order's id.
    pub async fn place_split_order(&self, shop: &SplitShop) -> String {
        let order = order_to(
            "411014",
            json!([{"sku": MANGO, "quantity": 2}, {"sku": OKRA, "quantity": 1}]),
        );
        let placed = self.place(&shop.customer, &order).await;
        let id = placed_id(&placed);
        assert_eq!(
            shipment_warehouses(&placed.body),
            vec![shop.pune.clone(), MAIN_WAREHOUSE.to_owned()],
            "nearest first: {:#}",
            placed.body
        );
        self.wait_for_status(&shop.customer, &id, "paid").await;
        id
    }
}
