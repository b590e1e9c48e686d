//! What the sandbox providers remember.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sandbox_key_counts_attempts_and_keeps_its_first_outcome() {
    on_both(|store| async move {
        let first = store.sandbox().sandbox_attempt("k").await.unwrap();
        assert_eq!((first.attempts, first.outcome), (1, None));
        assert_eq!(
            store.sandbox().sandbox_attempt("k").await.unwrap().attempts,
            2
        );

        assert_eq!(
            store
                .sandbox()
                .sandbox_settle("k", r#"{"ok":1}"#)
                .await
                .unwrap(),
            r#"{"ok":1}"#
        );
        assert_eq!(
            store
                .sandbox()
                .sandbox_settle("k", r#"{"ok":2}"#)
                .await
                .unwrap(),
            r#"{"ok":1}"#
        );
        let third = store.sandbox().sandbox_attempt("k").await.unwrap();
        assert_eq!(
            (third.attempts, third.outcome.as_deref()),
            (3, Some(r#"{"ok":1}"#))
        );
    })
    .await;
}
