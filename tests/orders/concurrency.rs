//! Many shoppers at once: stock is reserved by one conditional update per
//! line and per batch, so however the requests interleave the shop never
//! sells more than it has, across warehouses and batches, on SQLite as on
//! PostgreSQL.

use orderly_providers::sandbox_values::CARD_APPROVED;
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use orderly_domain::LedgerKind;
use orderly_tests::app::spawn_app;
use orderly_tests::shopper::{card, delivery_order};
use orderly_tests::stockroom::MAIN_WAREHOUSE;

const SKU: &str = "MANGO-BOX";
const PRICE: i64 = 50_000;
const IN_STOCK: i64 = 30;
/// The thirty items: (in the second warehouse?, batch, units, days to expiry).
const BATCHES: [(bool, &str, i64, u64); 4] = [
    (false, "A", 7, 6),
    (false, "B", 8, 12),
    (true, "C", 6, 5),
    (true, "D", 9, 15),
];
const SHOPPERS: usize = 100;
const CUSTOMERS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_shoppers_racing_for_thirty_items_across_warehouses_and_batches_never_oversell() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.stock_product(SKU, PRICE, 0).await;
    let pune = app.open_warehouse(&admin, "Pune hub", "Pune").await;
    for (second, code, units, days) in BATCHES {
        let warehouse = if second {
            pune.as_str()
        } else {
            MAIN_WAREHOUSE
        };
        app.receive_batch(&admin, warehouse, SKU, code, units, days)
            .await;
    }
    let names: Vec<String> = (0..CUSTOMERS).map(|n| format!("Racer{n}")).collect();
    let customers = join_all(names.iter().map(|name| app.customer(name))).await;
    let order = delivery_order(json!([{"sku": SKU, "quantity": 1}]), card(CARD_APPROVED));

    let answers =
        join_all((0..SHOPPERS).map(|n| app.place(&customers[n % CUSTOMERS], &order))).await;

    let mut placed = Vec::new();
    let mut refused = 0;
    for (n, answer) in answers.iter().enumerate() {
        match answer.status {
            201 => placed.push((
                &customers[n % CUSTOMERS],
                answer.body["id"].as_str().expect("order id").to_owned(),
            )),
            409 => {
                answer.assert_problem(409);
                assert_eq!(answer.body["sku"], SKU, "{:#}", answer.body);
                refused += 1;
            }
            other => panic!("unexpected {other}: {:#}", answer.body),
        }
    }
    assert_eq!(placed.len(), 30, "orders accepted");
    assert_eq!(refused, 70, "orders refused");

    join_all(placed.iter().map(|(customer, id)| {
        app.wait_for(customer, id, Duration::from_secs(120), |o| {
            o["status"] == "paid"
        })
    }))
    .await;

    assert_eq!(app.stock_levels(SKU).await, (IN_STOCK, IN_STOCK));
    app.assert_stock_ledger_adds_up(&admin, SKU).await;
    let stock = app.get(&format!("/v1/inventory/{SKU}"), Some(&admin)).await;
    for warehouse in stock.body["warehouses"].as_array().expect("warehouses") {
        for batch in warehouse["batches"].as_array().expect("batches") {
            assert_eq!(batch["available"], 0, "every batch is taken: {batch:#}");
        }
    }
    assert_eq!(
        app.store
            .ledger()
            .count_ledger_entries(LedgerKind::Capture)
            .await
            .expect("counting captures"),
        30
    );
    for (_, id) in &placed {
        let captures = app
            .ledger(id)
            .await
            .iter()
            .filter(|e| e.kind == LedgerKind::Capture)
            .count();
        assert_eq!(captures, 1, "captures of order {id}");
    }
}
