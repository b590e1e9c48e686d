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
