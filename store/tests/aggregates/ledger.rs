//! The payments ledger: one entry per idempotency key.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ledger_entry_recorded_twice_returns_the_first() {
    on_both(|store| async move {
        let order = OrderId::new();
        let at = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
        let authorize = LedgerEntry {
            order_id: order,
            kind: LedgerKind::Authorize,
            amount: inr(50_000),
            provider: "sandbox-card".into(),
            reference: "ref-1".into(),
            idempotency_key: "order:x:authorize".into(),
            at,
            status: LedgerStatus::Settled,
        };
        assert_eq!(
            store
                .ledger()
                .record_ledger_entry(&authorize)
                .await
                .unwrap(),
            authorize
        );
        let retry = LedgerEntry {
            reference: "ref-2".into(),
            amount: inr(1),
            at: at + Duration::seconds(5),
            ..authorize.clone()
        };
        assert_eq!(
            store.ledger().record_ledger_entry(&retry).await.unwrap(),
            authorize
        );

        let capture = LedgerEntry {
            kind: LedgerKind::Capture,
            idempotency_key: "order:x:capture".into(),
            at: at + Duration::seconds(1),
            status: LedgerStatus::Settled,
            ..authorize.clone()
        };
        store.ledger().record_ledger_entry(&capture).await.unwrap();

        assert_eq!(
            store.ledger().ledger_for_order(order).await.unwrap(),
            vec![authorize, capture]
        );
        assert_eq!(
            store
                .ledger()
                .count_ledger_entries(LedgerKind::Authorize)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .ledger()
                .count_ledger_entries(LedgerKind::Refund)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_movement_is_pending_until_the_provider_answers_and_settles_once() {
    on_both(|store| async move {
        let order = OrderId::new();
        let at = Utc.timestamp_millis_opt(1_700_000_000_000).unwrap();
        let intent = LedgerEntry {
            order_id: order,
            kind: LedgerKind::Capture,
            amount: inr(50_000),
            provider: "sandbox-card".into(),
            reference: String::new(),
            idempotency_key: "order:y:capture".into(),
            at,
            status: LedgerStatus::Pending,
        };
        let ledger = store.ledger();
        ledger.record_ledger_entry(&intent).await.unwrap();
        assert_eq!(
            ledger.pending_for_order(order).await.unwrap(),
            vec![intent.clone()]
        );
        assert_eq!(
            ledger
                .count_ledger_entries(LedgerKind::Capture)
                .await
                .unwrap(),
            0
        );

        let settled = ledger
            .settle_ledger_entry("order:y:capture", "ref-1", inr(49_999), at)
            .await
            .unwrap();
        assert_eq!(settled.status, LedgerStatus::Settled);
        assert_eq!(settled.amount, inr(49_999), "what the provider took");
        let again = ledger
            .settle_ledger_entry("order:y:capture", "ref-2", inr(1), at)
            .await
            .unwrap();
        assert_eq!(again, settled, "the first answer stands");
        assert!(
            ledger
                .fail_ledger_entry("order:y:capture", "late")
                .await
                .unwrap()
                .status
                == LedgerStatus::Settled
        );
        assert!(ledger.pending_for_order(order).await.unwrap().is_empty());
        assert_eq!(
            ledger
                .count_ledger_entries(LedgerKind::Capture)
                .await
                .unwrap(),
            1
        );
        // Recording the intent again (a retried activity) finds the answer.
        assert_eq!(ledger.record_ledger_entry(&intent).await.unwrap(), settled);

        let refund = LedgerEntry {
            kind: LedgerKind::Refund,
            idempotency_key: "order:y:refund".into(),
            ..intent
        };
        ledger.record_ledger_entry(&refund).await.unwrap();
        let failed = ledger
            .fail_ledger_entry("order:y:refund", "declined")
            .await
            .unwrap();
        assert_eq!(failed.status, LedgerStatus::Failed);
        assert_eq!(failed.reference, "declined");
        assert_eq!(
            ledger
                .count_ledger_entries(LedgerKind::Refund)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}
