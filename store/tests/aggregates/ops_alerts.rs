//! Alerts for operators.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ops_alert_is_raised_once_per_dedupe_key() {
    on_both(|store| async move {
        let order = OrderId::new();
        assert!(
            store
                .ops_alerts()
                .insert_ops_alert(order, "refund_failed", "gateway down", "a1")
                .await
                .unwrap()
        );
        assert!(
            !store
                .ops_alerts()
                .insert_ops_alert(order, "refund_failed", "gateway still down", "a1")
                .await
                .unwrap()
        );
        let alerts = store
            .ops_alerts()
            .ops_alerts_for_order(order)
            .await
            .unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            (alerts[0].kind.as_str(), alerts[0].detail.as_str()),
            ("refund_failed", "gateway down")
        );
    })
    .await;
}
