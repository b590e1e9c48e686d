//! The inbox and its dedupe keys.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_notification_exists_once_per_dedupe_key() {
    on_both(|store| async move {
        let user = UserId::new();
        let order = OrderId::new();
        let note = |channel: &str, key: &str| NewNotification {
            user_id: user,
            order_id: Some(order),
            kind: NotificationKind::Shipped,
            channel: channel.into(),
            subject: "Your order has shipped".into(),
            body: "It is on its way.".into(),
            dedupe_key: key.into(),
        };
        assert!(
            store
                .notifications()
                .insert_notification(&note("in_app", "k1"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .notifications()
                .insert_notification(&note("in_app", "k1"))
                .await
                .unwrap()
        );
        assert!(
            store
                .notifications()
                .insert_notification(&note("email", "k2"))
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .notifications()
                .count_notifications(order, NotificationKind::Shipped, "in_app")
                .await
                .unwrap(),
            1
        );

        assert!(
            !store
                .notifications()
                .notification_delivered("k1")
                .await
                .unwrap()
        );
        store
            .notifications()
            .mark_notification_delivered("k1")
            .await
            .unwrap();
        assert!(
            store
                .notifications()
                .notification_delivered("k1")
                .await
                .unwrap()
        );
        assert!(
            !store
                .notifications()
                .notification_delivered("missing")
                .await
                .unwrap()
        );

        let inbox = store
            .notifications()
            .notifications_for_user(user, "in_app", None, 10)
            .await
            .unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].kind, NotificationKind::Shipped);
        assert_eq!(inbox[0].order_id, Some(order));
        assert!(inbox[0].delivered_at.is_some());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_inbox_is_paged_newest_first() {
    on_both(|store| async move {
        let user = UserId::new();
        for i in 0..5 {
            store
                .notifications()
                .insert_notification(&NewNotification {
                    user_id: user,
                    order_id: None,
                    kind: NotificationKind::OrderConfirmed,
                    channel: "in_app".into(),
                    subject: format!("note {i}"),
                    body: String::new(),
                    dedupe_key: format!("inbox-{i}"),
                })
                .await
                .unwrap();
        }
        let first = store
            .notifications()
            .notifications_for_user(user, "in_app", None, 3)
            .await
            .unwrap();
        let second = store
            .notifications()
            .notifications_for_user(user, "in_app", first.last().map(|n| n.id), 3)
            .await
            .unwrap();
        let subjects: Vec<String> = first
            .iter()
            .chain(&second)
            .map(|n| n.subject.clone())
            .collect();
        assert_eq!(subjects, ["note 4", "note 3", "note 2", "note 1", "note 0"]);
        assert!(
            store
                .notifications()
                .notifications_for_user(user, "email", None, 3)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}
