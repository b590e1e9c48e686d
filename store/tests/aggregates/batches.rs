//! Batches and the stock ledger: receipts, first-expiry-first-out
//! reservations that skip stock too close to its end, write-offs, counts,
//! and the rule that every SKU's stock is the sum of its ledger.

use chrono::{Days, NaiveDate};
use orderly_domain::{BatchCode, DEFAULT_WAREHOUSE, SupplierId, WarehouseId};
use orderly_store::{BatchKey, GoodsReceipt, Warehouse, WarehouseSetup};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::support::*;

pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub(crate) fn in_days(days: u64) -> NaiveDate {
    today().checked_add_days(Days::new(days)).unwrap()
}

pub(crate) async fn second_warehouse(store: &Store, name: &str) -> Warehouse {
    store
        .warehouses()
        .create(&WarehouseSetup {
            name: name.into(),
            address: orderly_domain::Address {
                name: name.into(),
                line1: "Plot 7, APMC Market".into(),
                line2: None,
                city: "Pune".into(),
                postal_code: "411037".into(),
                country: "IN".into(),
            },
            serves_pickup: true,
            cold_storage: true,
            active: true,
        })
        .await
        .expect("warehouse")
}

pub(crate) fn batch(raw_sku: &str, warehouse: WarehouseId, code: &str) -> BatchKey {
    BatchKey {
        sku: sku(raw_sku),
        warehouse_id: warehouse,
        batch_code: BatchCode::parse(code).unwrap(),
    }
}

pub(crate) async fn receive(
    store: &Store,
    key: BatchKey,
    quantity: i64,
    expires_on: Option<NaiveDate>,
    supplier_id: Option<SupplierId>,
) {
    store
        .inventory()
        .receive(&GoodsReceipt {
            key,
            supplier_id,
            received_on: today(),
            expires_on,
            unit_cost: inr(4000),
            quantity,
        })
        .await
        .expect("receipt");
}

/// Whether the ledger, the batches and the SKU's totals agree.
pub(crate) async fn assert_ledger_matches(store: &Store, raw_sku: &str) {
    let (on_hand, reserved) = stock_of(store, raw_sku).await;
    let totals = store
        .inventory()
        .ledger_totals(&sku(raw_sku))
        .await
        .unwrap();
    assert_eq!(
        (totals.on_hand, totals.reserved),
        (on_hand, reserved),
        "the ledger of {raw_sku} must add up to its stock"
    );
    let batches = store.inventory().batches(&sku(raw_sku)).await.unwrap();
    let batch_on_hand: i64 = batches.iter().map(|b| b.on_hand).sum();
    let batch_reserved: i64 = batches.iter().map(|b| b.reserved).sum();
    assert_eq!((batch_on_hand, batch_reserved), (on_hand, reserved));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reservations_take_the_batch_that_expires_first_in_the_warehouse_that_fills_the_order() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        receive(
            &store,
            batch("MANGO", DEFAULT_WAREHOUSE, "LATE"),
            5,
            Some(in_days(20)),
            None,
        )
        .await;
        receive(
            &store,
            batch("MANGO", pune.id, "EARLY"),
            3,
            Some(in_days(6)),
            None,
        )
        .await;
        receive(
            &store,
            batch("MANGO", DEFAULT_WAREHOUSE, "MIDDLE"),
            2,
            Some(in_days(10)),
            None,
        )
        .await;
        let order = OrderId::new();

        let outcome = store
            .inventory()
            .reserve(
                order,
                &[(sku("MANGO"), qty(4))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        assert!(outcome.is_held(), "{outcome:?}");
        let held = store.inventory().reserved_batches(order).await.unwrap();
        // The default warehouse (first among equals) holds all four; the
        // batch expiring earlier in Pune is not the one this order ships.
        assert_eq!(
            held,
            vec![
                (batch("MANGO", DEFAULT_WAREHOUSE, "LATE"), 2),
                (batch("MANGO", DEFAULT_WAREHOUSE, "MIDDLE"), 2),
            ]
        );
        assert_ledger_matches(&store, "MANGO").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_that_would_expire_before_the_order_is_fresh_enough_is_never_reserved() {
    on_both(|store| async move {
        receive(
            &store,
            batch("SPINACH", DEFAULT_WAREHOUSE, "OLD"),
            10,
            Some(in_days(1)),
            None,
        )
        .await;
        receive(
            &store,
            batch("SPINACH", DEFAULT_WAREHOUSE, "NEW"),
            2,
            Some(in_days(5)),
            None,
        )
        .await;
        let fresh_until = Utc::now() + Duration::days(3);

        let refused = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("SPINACH"), qty(3))],
                fresh_until,
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        let order = OrderId::new();
        let held = store
            .inventory()
            .reserve(
                order,
                &[(sku("SPINACH"), qty(2))],
                fresh_until,
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        assert_eq!(
            refused,
            ReserveOutcome::OutOfStock(Shortage {
                sku: sku("SPINACH"),
                requested: 3,
                available: 2,
            })
        );
        assert!(held.is_held(), "{held:?}");
        assert_eq!(
            store.inventory().reserved_batches(order).await.unwrap(),
            vec![(batch("SPINACH", DEFAULT_WAREHOUSE, "NEW"), 2)]
        );
        assert_eq!(stock_of(&store, "SPINACH").await, (12, 2));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stock_of_an_inactive_warehouse_is_not_reserved() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        receive(&store, batch("OKRA", pune.id, "P1"), 5, None, None).await;
        let mut setup = WarehouseSetup {
            name: pune.name.clone(),
            address: pune.address.clone(),
            serves_pickup: pune.serves_pickup,
            cold_storage: pune.cold_storage,
            active: false,
        };
        store.warehouses().update(pune.id, &setup).await.unwrap();

        let outcome = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("OKRA"), qty(1))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        setup.active = true;
        store.warehouses().update(pune.id, &setup).await.unwrap();
        let again = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("OKRA"), qty(1))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        assert!(matches!(
            outcome,
            ReserveOutcome::OutOfStock(Shortage { available: 0, .. })
        ));
        assert!(again.is_held(), "{again:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_is_received_once_and_only_its_free_stock_is_written_off() {
    on_both(|store| async move {
        let key = batch("GUAVA", DEFAULT_WAREHOUSE, "G-1");
        receive(&store, key.clone(), 5, Some(in_days(9)), None).await;
        let twice = store
            .inventory()
            .receive(&GoodsReceipt {
                key: key.clone(),
                supplier_id: None,
                received_on: today(),
                expires_on: None,
                unit_cost: inr(1),
                quantity: 5,
            })
            .await;
        store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("GUAVA"), qty(3))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        let too_much = store.inventory().write_off(&key, 3).await;
        let written_off = store.inventory().write_off(&key, 2).await.unwrap();
        let unknown = store
            .inventory()
            .write_off(&batch("GUAVA", DEFAULT_WAREHOUSE, "NOPE"), 1)
            .await;

        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        assert!(
            matches!(too_much, Err(StoreError::Conflict(_))),
            "{too_much:?}"
        );
        assert_eq!((written_off.on_hand, written_off.reserved), (3, 3));
        assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
        assert_eq!(stock_of(&store, "GUAVA").await, (3, 3));
        assert_ledger_matches(&store, "GUAVA").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_count_adjusts_only_the_default_warehouse() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        receive(&store, batch("LIME", pune.id, "P1"), 4, None, None).await;
        receive(
            &store,
            batch("LIME", DEFAULT_WAREHOUSE, "D1"),
            3,
            None,
            None,
        )
        .await;

        let raised = store
            .inventory()
            .set_on_hand(&sku("LIME"), 10)
            .await
            .unwrap();
        let lowered = store
            .inventory()
            .set_on_hand(&sku("LIME"), 5)
            .await
            .unwrap();
        let below_pune = store.inventory().set_on_hand(&sku("LIME"), 3).await;

        assert_eq!(raised.on_hand, 10);
        assert_eq!(lowered.on_hand, 5);
        assert!(
            matches!(below_pune, Err(StoreError::Conflict(_))),
            "{below_pune:?}"
        );
        let batches = store.inventory().batches(&sku("LIME")).await.unwrap();
        let in_pune: i64 = batches
            .iter()
            .filter(|b| b.key.warehouse_id == pune.id)
            .map(|b| b.on_hand)
            .sum();
        assert_eq!(in_pune, 4);
        assert_ledger_matches(&store, "LIME").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_orders_across_warehouses_and_batches_take_exactly_the_stock() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        for (warehouse, code, units, days) in [
            (DEFAULT_WAREHOUSE, "A", 7, 5),
            (DEFAULT_WAREHOUSE, "B", 8, 9),
            (pune.id, "C", 6, 4),
            (pune.id, "D", 9, 12),
        ] {
            receive(
                &store,
                batch("HOT-MANGO", warehouse, code),
                units,
                Some(in_days(days)),
                None,
            )
            .await;
        }
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .inventory()
                        .reserve(
                            OrderId::new(),
                            &[(sku("HOT-MANGO"), qty(1))],
                            Utc::now(),
                            &Sourcing::anywhere(),
                        )
                        .await
                })
            })
            .collect();
        let mut reserved = 0;
        for task in tasks {
            if task
                .await
                .expect("task")
                .expect("reserve must not fail")
                .is_held()
            {
                reserved += 1;
            }
        }
        assert_eq!(reserved, 30);
        assert_eq!(stock_of(&store, "HOT-MANGO").await, (30, 30));
        assert_ledger_matches(&store, "HOT-MANGO").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ledger_adds_up_to_the_stock_after_any_sequence_of_operations() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        let mut rng = StdRng::seed_from_u64(9);
        let mut orders: Vec<OrderId> = Vec::new();
        let mut codes = 0;
        for _ in 0..120 {
            match rng.gen_range(0..7) {
                0 => {
                    codes += 1;
                    let warehouse = if rng.gen_bool(0.5) {
                        pune.id
                    } else {
                        DEFAULT_WAREHOUSE
                    };
                    let expires = Some(in_days(rng.gen_range(1..30)));
                    receive(
                        &store,
                        batch("PAPAYA", warehouse, &format!("B{codes}")),
                        rng.gen_range(1..20),
                        expires,
                        None,
                    )
                    .await;
                }
                1 => {
                    let order = OrderId::new();
                    let wanted = qty(rng.gen_range(1..6));
                    store
                        .inventory()
                        .reserve(
                            order,
                            &[(sku("PAPAYA"), wanted)],
                            Utc::now(),
                            &Sourcing::anywhere(),
                        )
                        .await
                        .unwrap();
                    orders.push(order);
                }
                2 if !orders.is_empty() => {
                    let order = orders[rng.gen_range(0..orders.len())];
                    store
                        .inventory()
                        .release_reservation(order, None)
                        .await
                        .unwrap();
                }
                3 if !orders.is_empty() => {
                    let order = orders[rng.gen_range(0..orders.len())];
                    store
                        .inventory()
                        .commit_reservation(order, None)
                        .await
                        .unwrap();
                }
                4 if !orders.is_empty() => {
                    let order = orders[rng.gen_range(0..orders.len())];
                    store
                        .inventory()
                        .restock_reservation(order, None)
                        .await
                        .unwrap();
                }
                5 => {
                    let target = rng.gen_range(0..60);
                    let _ = store.inventory().set_on_hand(&sku("PAPAYA"), target).await;
                }
                _ => {
                    let batches = store.inventory().batches(&sku("PAPAYA")).await.unwrap();
                    if let Some(b) = batches.iter().find(|b| b.on_hand > b.reserved) {
                        store.inventory().write_off(&b.key, 1).await.unwrap();
                    }
                }
            }
            if stock_of_opt(&store, "PAPAYA").await {
                assert_ledger_matches(&store, "PAPAYA").await;
            }
        }
        let movements = store.inventory().movements(&sku("PAPAYA")).await.unwrap();
        assert!(
            movements.len() > 50,
            "the sequence moved stock {} times",
            movements.len()
        );
    })
    .await;
}

async fn stock_of_opt(store: &Store, raw: &str) -> bool {
    store.inventory().stock(&sku(raw)).await.unwrap().is_some()
}
