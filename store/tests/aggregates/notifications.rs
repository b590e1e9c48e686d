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
            recipient: None,
            recipient_name: None,
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
                    recipient: None,
                    recipient_name: None,
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

async fn queue_emails(store: &Store, user: UserId, n: usize) {
    for i in 0..n {
        store
            .notifications()
            .insert_notification(&NewNotification {
                user_id: user,
                order_id: None,
                kind: NotificationKind::OrderConfirmed,
                channel: "email".into(),
                subject: format!("mail {i}"),
                body: String::new(),
                dedupe_key: format!("mail-{i}"),
                recipient: Some("asha@example.com".into()),
                recipient_name: Some("Asha".into()),
            })
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relays_claiming_at_once_never_hold_the_same_delivery() {
    on_both(|store| async move {
        let user = new_user(&store, "asha@example.com").await;
        queue_emails(&store, user, 30).await;
        let now = Utc::now();
        let lease = now + Duration::seconds(60);
        let claims = futures::future::join_all((0..6).map(|_| {
            let store = store.clone();
            async move {
                store
                    .notifications()
                    .claim_due_deliveries(now, lease, 10)
                    .await
                    .unwrap()
            }
        }))
        .await;
        let mut held: Vec<String> = claims
            .iter()
            .flatten()
            .map(|n| n.dedupe_key.clone())
            .collect();
        // A claimer that lost a race for rows finds them held and takes
        // none of them; the rest are there for the next pass.
        loop {
            let more = store
                .notifications()
                .claim_due_deliveries(now, lease, 10)
                .await
                .unwrap();
            if more.is_empty() {
                break;
            }
            held.extend(more.into_iter().map(|n| n.dedupe_key));
        }
        let total = held.len();
        held.sort();
        held.dedup();
        assert_eq!(held.len(), total, "a delivery was held twice");
        assert_eq!(total, 30, "every due delivery was claimed once");
        // Held rows are not due again until the lease ends.
        assert!(
            store
                .notifications()
                .claim_due_deliveries(now, lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_is_retried_when_due_and_a_given_up_one_never_again() {
    on_both(|store| async move {
        let user = new_user(&store, "asha@example.com").await;
        queue_emails(&store, user, 2).await;
        let notifications = store.notifications();
        let now = Utc::now();
        let claimed = notifications
            .claim_due_deliveries(now, now + Duration::seconds(60), 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 2);
        let (retried, refused) = (&claimed[0], &claimed[1]);
        notifications
            .retry_delivery_at(retried.id, now + Duration::seconds(5), "server busy")
            .await
            .unwrap();
        notifications
            .give_up_delivery(refused.id, now, "no such mailbox")
            .await
            .unwrap();
        assert!(
            notifications
                .claim_due_deliveries(now, now + Duration::seconds(60), 10)
                .await
                .unwrap()
                .is_empty(),
            "nothing is due before the retry time"
        );
        let later = now + Duration::seconds(6);
        let due = notifications
            .claim_due_deliveries(later, later + Duration::seconds(60), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].id, retried.id);
        assert_eq!(due[0].attempts, 1);
        assert_eq!(due[0].last_error.as_deref(), Some("server busy"));
        notifications.delivered(retried.id, later).await.unwrap();
        let delivered = notifications
            .notification(&retried.dedupe_key)
            .await
            .unwrap()
            .unwrap();
        assert!(delivered.delivered_at.is_some());
        let given_up = notifications
            .notification(&refused.dedupe_key)
            .await
            .unwrap()
            .unwrap();
        assert!(given_up.failed_at.is_some());
        assert_eq!(given_up.last_error.as_deref(), Some("no such mailbox"));
    })
    .await;
}
