//! Which warehouses fill an order: the nearest that can fill all of it,
//! else a split by line; pickup orders from one counter only; and each
//! parcel's stock moving on its own.

use orderly_domain::{AllocatedLine, Allocation, DEFAULT_WAREHOUSE};

use crate::batches::{assert_ledger_matches, batch, in_days, receive, second_warehouse};
use crate::support::*;

fn line(raw_sku: &str, quantity: u32) -> AllocatedLine {
    AllocatedLine {
        sku: sku(raw_sku),
        quantity,
    }
}

fn allocated(outcome: ReserveOutcome) -> Vec<Allocation> {
    match outcome {
        ReserveOutcome::Allocated(allocations) => allocations,
        other => panic!("expected an allocation, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_goes_whole_to_the_nearest_warehouse_that_can_fill_it() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        for warehouse in [DEFAULT_WAREHOUSE, pune.id] {
            receive(
                &store,
                batch("OKRA", warehouse, "B1"),
                5,
                Some(in_days(9)),
                None,
            )
            .await;
            receive(
                &store,
                batch("LIME", warehouse, "B1"),
                5,
                Some(in_days(9)),
                None,
            )
            .await;
        }
        let nearest_first = Sourcing {
            warehouses: vec![pune.id, DEFAULT_WAREHOUSE],
            one_warehouse: false,
        };

        let outcome = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("OKRA"), qty(3)), (sku("LIME"), qty(2))],
                Utc::now(),
                &nearest_first,
            )
            .await
            .unwrap();

        assert_eq!(
            allocated(outcome),
            vec![Allocation {
                warehouse_id: pune.id,
                lines: vec![line("LIME", 2), line("OKRA", 3)],
            }]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_no_single_warehouse_can_fill_is_split_nearest_first() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        receive(
            &store,
            batch("OKRA", pune.id, "B1"),
            5,
            Some(in_days(9)),
            None,
        )
        .await;
        receive(
            &store,
            batch("LIME", DEFAULT_WAREHOUSE, "B1"),
            5,
            Some(in_days(9)),
            None,
        )
        .await;
        // Both have guava: it rides with the nearest parcel.
        receive(
            &store,
            batch("GUAVA", pune.id, "B1"),
            5,
            Some(in_days(9)),
            None,
        )
        .await;
        receive(
            &store,
            batch("GUAVA", DEFAULT_WAREHOUSE, "B1"),
            5,
            Some(in_days(9)),
            None,
        )
        .await;
        let nearest_first = Sourcing {
            warehouses: vec![pune.id, DEFAULT_WAREHOUSE],
            one_warehouse: false,
        };
        let order = OrderId::new();

        let outcome = store
            .inventory()
            .reserve(
                order,
                &[
                    (sku("OKRA"), qty(2)),
                    (sku("LIME"), qty(1)),
                    (sku("GUAVA"), qty(4)),
                ],
                Utc::now(),
                &nearest_first,
            )
            .await
            .unwrap();

        let split = vec![
            Allocation {
                warehouse_id: pune.id,
                lines: vec![line("GUAVA", 4), line("OKRA", 2)],
            },
            Allocation {
                warehouse_id: DEFAULT_WAREHOUSE,
                lines: vec![line("LIME", 1)],
            },
        ];
        assert_eq!(allocated(outcome), split);
        // Asked again (a retried activity), the same answer and no more stock.
        let again = store
            .inventory()
            .reserve(order, &[(sku("OKRA"), qty(2))], Utc::now(), &nearest_first)
            .await
            .unwrap();
        assert_eq!(allocated(again), split);
        assert_eq!(stock_of(&store, "GUAVA").await, (10, 4));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_line_no_warehouse_holds_whole_is_spread_over_them() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        receive(
            &store,
            batch("MANGO", pune.id, "B1"),
            3,
            Some(in_days(9)),
            None,
        )
        .await;
        receive(
            &store,
            batch("MANGO", DEFAULT_WAREHOUSE, "B1"),
            3,
            Some(in_days(9)),
            None,
        )
        .await;
        let nearest_first = Sourcing {
            warehouses: vec![DEFAULT_WAREHOUSE, pune.id],
            one_warehouse: false,
        };

        let outcome = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("MANGO"), qty(5))],
                Utc::now(),
                &nearest_first,
            )
            .await
            .unwrap();

        assert_eq!(
            allocated(outcome),
            vec![
                Allocation {
                    warehouse_id: DEFAULT_WAREHOUSE,
                    lines: vec![line("MANGO", 3)],
                },
                Allocation {
                    warehouse_id: pune.id,
                    lines: vec![line("MANGO", 2)],
                },
            ]
        );
        assert_ledger_matches(&store, "MANGO").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pickup_order_is_filled_only_from_its_counter() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        receive(
            &store,
            batch("OKRA", pune.id, "B1"),
            2,
            Some(in_days(9)),
            None,
        )
        .await;
        receive(
            &store,
            batch("OKRA", DEFAULT_WAREHOUSE, "B1"),
            9,
            Some(in_days(9)),
            None,
        )
        .await;
        let at_pune = Sourcing {
            warehouses: vec![pune.id],
            one_warehouse: true,
        };

        let short = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("OKRA"), qty(3))],
                Utc::now(),
                &at_pune,
            )
            .await
            .unwrap();
        assert_eq!(
            short,
            ReserveOutcome::OutOfStock(Shortage {
                sku: sku("OKRA"),
                requested: 3,
                available: 2,
            })
        );
        assert_eq!(stock_of(&store, "OKRA").await, (11, 0));

        let fits = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("OKRA"), qty(2))],
                Utc::now(),
                &at_pune,
            )
            .await
            .unwrap();
        assert_eq!(
            allocated(fits),
            vec![Allocation {
                warehouse_id: pune.id,
                lines: vec![line("OKRA", 2)],
            }]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_parcel_is_committed_released_and_restocked_on_its_own() {
    on_both(|store| async move {
        let pune = second_warehouse(&store, "Pune").await;
        receive(
            &store,
            batch("MANGO", pune.id, "B1"),
            3,
            Some(in_days(9)),
            None,
        )
        .await;
        receive(
            &store,
            batch("MANGO", DEFAULT_WAREHOUSE, "B1"),
            3,
            Some(in_days(9)),
            None,
        )
        .await;
        let order = OrderId::new();
        store
            .inventory()
            .reserve(
                order,
                &[(sku("MANGO"), qty(5))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        assert_eq!(stock_of(&store, "MANGO").await, (6, 5));

        let inventory = store.inventory();
        assert_eq!(
            inventory
                .commit_reservation(order, Some(pune.id))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            inventory
                .commit_reservation(order, Some(pune.id))
                .await
                .unwrap(),
            0
        );
        // The default warehouse comes first among equals: it holds 3, Pune 2.
        assert_eq!(stock_of(&store, "MANGO").await, (4, 3));
        assert_ledger_matches(&store, "MANGO").await;

        assert_eq!(
            inventory
                .restock_reservation(order, Some(pune.id))
                .await
                .unwrap(),
            1
        );
        assert_eq!(stock_of(&store, "MANGO").await, (6, 3));
        // Releasing the whole order now gives back only what is still held.
        assert_eq!(inventory.release_reservation(order, None).await.unwrap(), 1);
        assert_eq!(stock_of(&store, "MANGO").await, (6, 0));
        assert_eq!(inventory.release_reservation(order, None).await.unwrap(), 0);
        assert_ledger_matches(&store, "MANGO").await;
    })
    .await;
}
