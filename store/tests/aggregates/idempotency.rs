//! `Idempotency-Key`s of API requests.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_is_claimed_once_and_then_names_the_first_order() {
    on_both(|store| async move {
        let user = UserId::new();
        let first = OrderId::new();
        assert_eq!(
            store
                .idempotency()
                .claim_idempotency_key(user, "key-1", "hash-a", first)
                .await
                .unwrap(),
            IdempotencyClaim::Claimed
        );
        assert_eq!(
            store
                .idempotency()
                .claim_idempotency_key(user, "key-1", "hash-b", OrderId::new())
                .await
                .unwrap(),
            IdempotencyClaim::Existing {
                request_hash: "hash-a".into(),
                order_id: first
            }
        );
        assert_eq!(
            store
                .idempotency()
                .claim_idempotency_key(UserId::new(), "key-1", "hash-c", OrderId::new())
                .await
                .unwrap(),
            IdempotencyClaim::Claimed,
            "keys are per user"
        );

        store
            .idempotency()
            .forget_idempotency_key(user, "key-1")
            .await
            .unwrap();
        assert_eq!(
            store
                .idempotency()
                .claim_idempotency_key(user, "key-1", "hash-d", OrderId::new())
                .await
                .unwrap(),
            IdempotencyClaim::Claimed
        );
    })
    .await;
}
