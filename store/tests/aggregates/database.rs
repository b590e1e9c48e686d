//! Connecting, migrating, and many writers at once on one database.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_can_run_again_without_error() {
    on_both(|store| async move {
        store.migrate().await.expect("second migration run");
        store.ping().await.expect("ping");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_backend_is_reported() {
    let (sqlite, scratch) = Scratch::create(Backend::Sqlite).await;
    assert!(!sqlite.is_postgres());
    sqlite.close().await;
    scratch.remove().await;
    let (postgres, scratch) = Scratch::create(Backend::Postgres).await;
    assert!(postgres.is_postgres());
    postgres.close().await;
    scratch.remove().await;
}

/// Writers of every kind at once: on SQLite they share one write lock, and
/// none may fail with SQLITE_BUSY; on both, counters must not lose updates.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed_and_lose_nothing() {
    on_both(|store| async move {
        store
            .inventory()
            .set_on_hand(&sku("APPLE"), 1000)
            .await
            .unwrap();
        let order = OrderId::new();
        let customer = UserId::new();
        let tasks: Vec<_> = (1..=100u64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store.sandbox().sandbox_attempt("shared").await?;
                    store
                        .orders()
                        .upsert_order(&order_view(order, customer, OrderStatus::Paid, i))
                        .await?;
                    let own = OrderId::new();
                    store
                        .inventory()
                        .reserve(
                            own,
                            &[(sku("APPLE"), qty(2))],
                            Utc::now(),
                            &Sourcing::anywhere(),
                        )
                        .await?;
                    store.inventory().commit_reservation(own, None).await?;
                    store
                        .ledger()
                        .record_ledger_entry(&LedgerEntry {
                            order_id: own,
                            kind: LedgerKind::Capture,
                            amount: inr(100),
                            provider: "sandbox-card".into(),
                            reference: format!("ref-{i}"),
                            idempotency_key: format!("capture-{i}"),
                            at: Utc::now(),
                            status: LedgerStatus::Settled,
                        })
                        .await?;
                    store
                        .notifications()
                        .insert_notification(&NewNotification {
                            user_id: customer,
                            order_id: Some(own),
                            kind: NotificationKind::PaymentReceipt,
                            channel: "in_app".into(),
                            subject: String::new(),
                            body: String::new(),
                            dedupe_key: format!("receipt-{i}"),
                            recipient: None,
                            recipient_name: None,
                        })
                        .await?;
                    Ok::<(), StoreError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("concurrent write");
        }
        assert_eq!(
            store
                .sandbox()
                .sandbox_attempt("shared")
                .await
                .unwrap()
                .attempts,
            101
        );
        assert_eq!(
            store.orders().order(order).await.unwrap().unwrap().version,
            100
        );
        assert_eq!(stock_of(&store, "APPLE").await, (800, 0));
        assert_eq!(
            store
                .ledger()
                .count_ledger_entries(LedgerKind::Capture)
                .await
                .unwrap(),
            100
        );
        assert_eq!(
            store
                .notifications()
                .notifications_for_user(customer, "in_app", None, 1000)
                .await
                .unwrap()
                .len(),
            100
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_in_memory_sqlite_store_keeps_its_data_across_calls() {
    let store = Store::connect("sqlite::memory:").await.expect("connect");
    store.migrate().await.expect("migrate");
    store
        .inventory()
        .set_on_hand(&sku("APPLE"), 3)
        .await
        .unwrap();
    let order = OrderId::new();
    store
        .inventory()
        .reserve(
            order,
            &[(sku("APPLE"), qty(2))],
            Utc::now(),
            &Sourcing::anywhere(),
        )
        .await
        .unwrap();
    assert_eq!(stock_of(&store, "APPLE").await, (3, 2));
    store.close().await;
}
