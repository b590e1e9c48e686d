//! Stock the way a warehouse team books it: warehouses opened and batches
//! received through the REST API, and the stock ledger read back.

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::app::TestApp;

/// The warehouse every shop starts with (`orderly_domain::DEFAULT_WAREHOUSE`).
pub const MAIN_WAREHOUSE: &str = "00000000-0000-0000-0000-000000000001";

/// A date `days` from today (UTC), as the API writes dates.
pub fn in_days(days: u64) -> String {
    date_in(days).format("%Y-%m-%d").to_string()
}

fn date_in(days: u64) -> NaiveDate {
    Utc::now()
        .date_naive()
        .checked_add_days(Days::new(days))
        .expect("a date")
}

/// The body of a warehouse in `city`.
pub fn warehouse(name: &str, city: &str, postal_code: &str) -> Value {
    json!({
        "name": name,
        "address": {"name": name, "line1": "1 Market Yard", "city": city,
                    "postal_code": postal_code, "country": "IN"},
        "serves_pickup": true,
        "cold_storage": true,
    })
}

impl TestApp {
    /// Opens a warehouse as the admin; its id.
    pub async fn open_warehouse(&self, admin: &str, name: &str, city: &str) -> String {
        self.open_warehouse_at(admin, name, city, "411001").await
    }

    /// Opens a warehouse at `postal_code` as the admin; its id.
    pub async fn open_warehouse_at(
        &self,
        admin: &str,
        name: &str,
        city: &str,
        postal_code: &str,
    ) -> String {
        let answer = self
            .post(
                "/v1/warehouses",
                Some(admin),
                &warehouse(name, city, postal_code),
            )
            .await;
        assert_eq!(answer.status, 201, "opening {name}: {:#}", answer.body);
        answer.body["id"].as_str().expect("warehouse id").to_owned()
    }

    /// Receives a batch as `token`; the batch as the API shows it.
    pub async fn receive_batch(
        &self,
        token: &str,
        warehouse_id: &str,
        sku: &str,
        code: &str,
        quantity: i64,
        expires_in_days: u64,
    ) -> Value {
        let answer = self
            .post(
                &format!("/v1/warehouses/{warehouse_id}/receipts"),
                Some(token),
                &json!({
                    "sku": sku, "quantity": quantity, "batch_code": code,
                    "expires_on": in_days(expires_in_days),
                    "unit_cost": {"amount": 2_000, "currency": "INR"},
                }),
            )
            .await;
        assert_eq!(answer.status, 201, "receiving {code}: {:#}", answer.body);
        answer.body
    }

    /// Reads the stock ledger of a SKU and checks that its sums are the
    /// SKU's stock; the movements, newest first.
    pub async fn assert_stock_ledger_adds_up(&self, admin: &str, sku: &str) -> Vec<Value> {
        let stock = self.get(&format!("/v1/inventory/{sku}"), Some(admin)).await;
        let ledger = self
            .get(&format!("/v1/inventory/{sku}/movements"), Some(admin))
            .await;
        assert_eq!(stock.status, 200, "{:#}", stock.body);
        assert_eq!(ledger.status, 200, "{:#}", ledger.body);
        assert_eq!(
            (
                &ledger.body["ledger_on_hand"],
                &ledger.body["ledger_reserved"]
            ),
            (&stock.body["on_hand"], &stock.body["reserved"]),
            "the ledger of {sku} adds up to its stock: {:#}",
            stock.body
        );
        ledger.body["movements"]
            .as_array()
            .expect("movements")
            .clone()
    }
}
