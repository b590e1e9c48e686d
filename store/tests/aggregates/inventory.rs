//! Stock and reservations: all or nothing, idempotent per order, never oversold.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reservation_holds_every_line_or_none() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("APPLE"), 5)
            .await
            .unwrap();
        store
            .inventory()
            .set_on_hand(&sku("BANANA"), 1)
            .await
            .unwrap();
        let order = OrderId::new();

        let outcome = store
            .inventory()
            .reserve(
                order,
                &[(sku("APPLE"), qty(2)), (sku("BANANA"), qty(3))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        assert_eq!(
            outcome,
            ReserveOutcome::OutOfStock(Shortage {
                sku: sku("BANANA"),
                requested: 3,
                available: 1
            })
        );
        assert_eq!(stock_of(&store, "APPLE").await, (5, 0));
        assert_eq!(stock_of(&store, "BANANA").await, (1, 0));
        assert_eq!(
            store
                .inventory()
                .release_reservation(order, None)
                .await
                .unwrap(),
            0
        );

        let fits = store
            .inventory()
            .reserve(
                order,
                &[(sku("APPLE"), qty(2)), (sku("BANANA"), qty(1))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        assert!(fits.is_held(), "{fits:?}");
        assert_eq!(stock_of(&store, "APPLE").await, (5, 2));
        assert_eq!(stock_of(&store, "BANANA").await, (1, 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reserving_a_sku_without_stock_reports_nothing_available() {
    on_both(|store| async move {
        let outcome = store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("GHOST"), qty(1))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        assert_eq!(
            outcome,
            ReserveOutcome::OutOfStock(Shortage {
                sku: sku("GHOST"),
                requested: 1,
                available: 0
            })
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reserving_again_for_the_same_order_holds_stock_once() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("APPLE"), 3)
            .await
            .unwrap();
        let order = OrderId::new();
        let lines = [(sku("APPLE"), qty(1)), (sku("APPLE"), qty(1))];

        assert!(
            store
                .inventory()
                .reserve(order, &lines, Utc::now(), &Sourcing::anywhere())
                .await
                .unwrap()
                .is_held()
        );
        assert_eq!(
            stock_of(&store, "APPLE").await,
            (3, 2),
            "lines of one sku add up"
        );
        // Someone else takes the rest; a retry of the first order must
        // still succeed without taking more.
        store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("APPLE"), qty(1))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        assert!(
            store
                .inventory()
                .reserve(order, &lines, Utc::now(), &Sourcing::anywhere())
                .await
                .unwrap()
                .is_held()
        );
        assert_eq!(stock_of(&store, "APPLE").await, (3, 3));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_orders_never_oversell() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("HOT-ITEM"), 30)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .inventory()
                        .reserve(
                            OrderId::new(),
                            &[(sku("HOT-ITEM"), qty(1))],
                            Utc::now(),
                            &Sourcing::anywhere(),
                        )
                        .await
                })
            })
            .collect();
        let mut reserved = 0;
        let mut refused = 0;
        for task in tasks {
            match task.await.expect("task").expect("reserve must not fail") {
                ReserveOutcome::Allocated(_) | ReserveOutcome::Reserved => reserved += 1,
                ReserveOutcome::OutOfStock(Shortage { available, .. }) => {
                    assert_eq!(available, 0);
                    refused += 1;
                }
            }
        }
        assert_eq!((reserved, refused), (30, 70));
        assert_eq!(stock_of(&store, "HOT-ITEM").await, (30, 30));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn releasing_twice_gives_stock_back_once() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("APPLE"), 10)
            .await
            .unwrap();
        store
            .inventory()
            .set_on_hand(&sku("PEAR"), 10)
            .await
            .unwrap();
        let order = OrderId::new();
        store
            .inventory()
            .reserve(
                order,
                &[(sku("APPLE"), qty(4)), (sku("PEAR"), qty(2))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        assert_eq!(
            store
                .inventory()
                .release_reservation(order, None)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            store
                .inventory()
                .release_reservation(order, None)
                .await
                .unwrap(),
            0
        );
        assert_eq!(stock_of(&store, "APPLE").await, (10, 0));
        assert_eq!(stock_of(&store, "PEAR").await, (10, 0));
        assert_eq!(
            store
                .inventory()
                .commit_reservation(order, None)
                .await
                .unwrap(),
            0,
            "released stock cannot be committed"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (10, 0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committing_and_restocking_twice_move_stock_once() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("APPLE"), 10)
            .await
            .unwrap();
        let order = OrderId::new();
        store
            .inventory()
            .reserve(
                order,
                &[(sku("APPLE"), qty(4))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        assert_eq!(
            store
                .inventory()
                .commit_reservation(order, None)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .inventory()
                .commit_reservation(order, None)
                .await
                .unwrap(),
            0
        );
        assert_eq!(stock_of(&store, "APPLE").await, (6, 0));
        assert_eq!(
            store
                .inventory()
                .release_reservation(order, None)
                .await
                .unwrap(),
            0,
            "committed stock cannot be released"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (6, 0));

        assert_eq!(
            store
                .inventory()
                .restock_reservation(order, None)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .inventory()
                .restock_reservation(order, None)
                .await
                .unwrap(),
            0
        );
        assert_eq!(stock_of(&store, "APPLE").await, (10, 0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restocking_an_uncommitted_order_changes_nothing() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("APPLE"), 10)
            .await
            .unwrap();
        let order = OrderId::new();
        store
            .inventory()
            .reserve(
                order,
                &[(sku("APPLE"), qty(4))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .inventory()
                .restock_reservation(order, None)
                .await
                .unwrap(),
            0
        );
        assert_eq!(stock_of(&store, "APPLE").await, (10, 4));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setting_on_hand_below_reserved_is_a_conflict() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("APPLE"), 10)
            .await
            .unwrap();
        store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("APPLE"), qty(6))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        let below = store.inventory().set_on_hand(&sku("APPLE"), 5).await;
        assert!(matches!(below, Err(StoreError::Conflict(_))), "{below:?}");
        let negative = store.inventory().set_on_hand(&sku("PEAR"), -1).await;
        assert!(
            matches!(negative, Err(StoreError::Conflict(_))),
            "{negative:?}"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (10, 6));
        assert!(
            store
                .inventory()
                .stock(&sku("PEAR"))
                .await
                .unwrap()
                .is_none()
        );

        let level = store
            .inventory()
            .set_on_hand(&sku("APPLE"), 6)
            .await
            .unwrap();
        assert_eq!(
            (level.on_hand, level.reserved, level.available()),
            (6, 6, 0)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revising_a_reservation_swaps_its_holds_once_per_revision() {
    on_both(|store| async move {
        let inventory = store.inventory();
        inventory.set_on_hand(&sku("APPLE"), 5).await.unwrap();
        inventory.set_on_hand(&sku("PEAR"), 5).await.unwrap();
        let order = OrderId::new();
        inventory
            .reserve(
                order,
                &[(sku("APPLE"), qty(2)), (sku("PEAR"), qty(1))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        let edited = [(sku("APPLE"), qty(4))];
        for _ in 0..2 {
            assert!(
                inventory
                    .revise(order, 1, &edited, Utc::now(), &Sourcing::anywhere())
                    .await
                    .unwrap()
                    .is_held()
            );
        }
        assert_eq!(stock_of(&store, "APPLE").await, (5, 4));
        assert_eq!(stock_of(&store, "PEAR").await, (5, 0));
        // The SKU the order keeps counts its own holds as free: 5 of 5.
        assert!(
            inventory
                .revise(
                    order,
                    2,
                    &[(sku("APPLE"), qty(5))],
                    Utc::now(),
                    &Sourcing::anywhere()
                )
                .await
                .unwrap()
                .is_held()
        );
        assert_eq!(stock_of(&store, "APPLE").await, (5, 5));
        assert_eq!(inventory.commit_reservation(order, None).await.unwrap(), 1);
        assert_eq!(stock_of(&store, "APPLE").await, (0, 0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revision_that_cannot_be_had_leaves_the_old_reservation() {
    on_both(|store| async move {
        let inventory = store.inventory();
        inventory.set_on_hand(&sku("APPLE"), 5).await.unwrap();
        inventory.set_on_hand(&sku("PEAR"), 1).await.unwrap();
        let order = OrderId::new();
        inventory
            .reserve(
                order,
                &[(sku("APPLE"), qty(2))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        let outcome = inventory
            .revise(
                order,
                1,
                &[(sku("APPLE"), qty(1)), (sku("PEAR"), qty(2))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        assert!(!outcome.is_held(), "{outcome:?}");
        assert_eq!(stock_of(&store, "APPLE").await, (5, 2));
        assert_eq!(stock_of(&store, "PEAR").await, (1, 0));
        // The refused revision left no mark: the same number can be tried
        // again with what can be had.
        assert!(
            inventory
                .revise(
                    order,
                    1,
                    &[(sku("PEAR"), qty(1))],
                    Utc::now(),
                    &Sourcing::anywhere()
                )
                .await
                .unwrap()
                .is_held()
        );
        assert_eq!(stock_of(&store, "APPLE").await, (5, 0));
        assert_eq!(stock_of(&store, "PEAR").await, (1, 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revisions_of_orders_racing_for_the_last_units_never_oversell() {
    on_both(|store| async move {
        let inventory = store.inventory();
        inventory.set_on_hand(&sku("APPLE"), 6).await.unwrap();
        let orders: Vec<OrderId> = (0..4).map(|_| OrderId::new()).collect();
        for order in &orders {
            inventory
                .reserve(
                    *order,
                    &[(sku("APPLE"), qty(1))],
                    Utc::now(),
                    &Sourcing::anywhere(),
                )
                .await
                .unwrap();
        }
        // Each order wants 3: only one can have them (1 + 3 + 1 + 1 = 6).
        let revised = futures::future::join_all(orders.iter().map(|order| {
            let inventory = store.inventory();
            let order = *order;
            async move {
                inventory
                    .revise(
                        order,
                        1,
                        &[(sku("APPLE"), qty(3))],
                        Utc::now(),
                        &Sourcing::anywhere(),
                    )
                    .await
                    .unwrap()
                    .is_held()
            }
        }))
        .await;
        assert_eq!(
            revised.iter().filter(|held| **held).count(),
            1,
            "{revised:?}"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (6, 6));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_packed_reservation_cannot_be_revised() {
    on_both(|store| async move {
        let inventory = store.inventory();
        inventory.set_on_hand(&sku("APPLE"), 5).await.unwrap();
        let order = OrderId::new();
        inventory
            .reserve(
                order,
                &[(sku("APPLE"), qty(2))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        inventory.commit_reservation(order, None).await.unwrap();
        let refused = inventory
            .revise(
                order,
                1,
                &[(sku("APPLE"), qty(1))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        assert_eq!(stock_of(&store, "APPLE").await, (3, 0));
    })
    .await;
}
