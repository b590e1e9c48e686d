//! Users and refresh tokens.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_token_rotates_into_the_next_one_of_its_family() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let now = Utc::now();
        let later = now + Duration::days(30);
        let family = Uuid::now_v7();
        store
            .accounts()
            .insert_refresh_token("t1", user, family, later)
            .await
            .unwrap();

        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("t1", "t2", later, now)
                .await
                .unwrap(),
            Some(RefreshedSession {
                user_id: user,
                session_id: family
            })
        );
        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("t2", "t3", later, now)
                .await
                .unwrap()
                .map(|session| session.user_id),
            Some(user)
        );
        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("unknown", "t9", later, now)
                .await
                .unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replaying_a_rotated_refresh_token_revokes_its_family() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let now = Utc::now();
        let later = now + Duration::days(30);
        store
            .accounts()
            .insert_refresh_token("t1", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store
            .accounts()
            .insert_refresh_token("other-device", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store
            .accounts()
            .rotate_refresh_token("t1", "t2", later, now)
            .await
            .unwrap();

        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("t1", "stolen", later, now)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("t2", "t3", later, now)
                .await
                .unwrap(),
            None,
            "the live token of the family is revoked too"
        );
        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("other-device", "od2", later, now)
                .await
                .unwrap()
                .map(|session| session.user_id),
            Some(user),
            "other families are untouched"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_and_revoked_refresh_tokens_do_not_rotate() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let now = Utc::now();
        let later = now + Duration::days(30);
        store
            .accounts()
            .insert_refresh_token("old", user, Uuid::now_v7(), now - Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("old", "new", later, now)
                .await
                .unwrap(),
            None
        );

        store
            .accounts()
            .insert_refresh_token("a1", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store
            .accounts()
            .rotate_refresh_token("a1", "a2", later, now)
            .await
            .unwrap();
        assert!(
            store
                .accounts()
                .revoke_refresh_token("a1")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .accounts()
                .revoke_refresh_token("a1")
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store
                .accounts()
                .revoke_refresh_token("nobody's")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("a2", "a3", later, now)
                .await
                .unwrap(),
            None,
            "logging out with any token of a family ends the family"
        );

        store
            .accounts()
            .insert_refresh_token("b1", user, Uuid::now_v7(), later)
            .await
            .unwrap();
        store
            .accounts()
            .revoke_all_refresh_tokens(user)
            .await
            .unwrap();
        assert_eq!(
            store
                .accounts()
                .rotate_refresh_token("b1", "b2", later, now)
                .await
                .unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_stays_live_through_refreshes_and_ends_with_its_revocation() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let other = new_user(&store, "b@example.com").await;
        let now = Utc::now();
        let later = now + Duration::days(30);
        let accounts = store.accounts();
        let (one, two, three) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        accounts
            .insert_refresh_token("s1", user, one, later)
            .await
            .unwrap();
        accounts
            .insert_refresh_token("s2", user, two, later)
            .await
            .unwrap();
        accounts
            .insert_refresh_token("s3", user, three, later)
            .await
            .unwrap();
        accounts
            .rotate_refresh_token("s1", "s1b", later, now)
            .await
            .unwrap();
        assert!(accounts.session_is_live(user, one).await.unwrap());
        assert!(
            !accounts.session_is_live(other, one).await.unwrap(),
            "a session is only its own user's"
        );

        assert_eq!(
            accounts.revoke_refresh_token("s1").await.unwrap(),
            Some(one)
        );
        assert!(!accounts.session_is_live(user, one).await.unwrap());
        assert!(accounts.session_is_live(user, two).await.unwrap());

        accounts.revoke_session(other, two).await.unwrap();
        assert!(
            accounts.session_is_live(user, two).await.unwrap(),
            "another user cannot end it"
        );
        accounts.revoke_session(user, two).await.unwrap();
        assert!(!accounts.session_is_live(user, two).await.unwrap());

        assert_eq!(
            accounts.refresh_token_owner("s3").await.unwrap(),
            Some(user)
        );
        assert_eq!(accounts.refresh_token_owner("nope").await.unwrap(), None);
        accounts.revoke_all_refresh_tokens(user).await.unwrap();
        assert!(!accounts.session_is_live(user, three).await.unwrap());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checking_a_reset_code_tells_its_state_and_redeems_nothing() {
    on_both(|store| async move {
        let user = new_user(&store, "a@example.com").await;
        let now = Utc::now();
        let accounts = store.accounts();
        accounts
            .insert_password_reset("code", user, now + Duration::minutes(30))
            .await
            .unwrap();
        accounts
            .insert_password_reset("stale", user, now - Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(
            accounts.check_reset_code("code", now).await.unwrap(),
            ResetCode::Valid(user)
        );
        assert_eq!(
            accounts.check_reset_code("code", now).await.unwrap(),
            ResetCode::Valid(user)
        );
        assert_eq!(
            accounts.check_reset_code("stale", now).await.unwrap(),
            ResetCode::Expired
        );
        assert_eq!(
            accounts.check_reset_code("other", now).await.unwrap(),
            ResetCode::Unknown
        );

        assert_eq!(
            accounts
                .reset_password("code", "new-hash", now)
                .await
                .unwrap(),
            ResetCode::Valid(user)
        );
        assert_eq!(
            accounts.check_reset_code("code", now).await.unwrap(),
            ResetCode::AlreadyUsed
        );
        assert_eq!(
            accounts
                .reset_password("code", "newer-hash", now)
                .await
                .unwrap(),
            ResetCode::AlreadyUsed
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registered_email_is_unique_in_any_case() {
    on_both(|store| async move {
        let created = store
            .accounts()
            .insert_user(&NewUser {
                email: "Asha@Example.com".into(),
                name: "Asha".into(),
                password_hash: "h1".into(),
                role: Role::Seller,
            })
            .await
            .unwrap();
        assert_eq!(created.email, "asha@example.com");

        let again = store
            .accounts()
            .insert_user(&NewUser {
                email: "ASHA@example.COM".into(),
                name: "Impostor".into(),
                password_hash: "h2".into(),
                role: Role::Admin,
            })
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

        let found = store
            .accounts()
            .user_by_email("asha@EXAMPLE.com")
            .await
            .unwrap()
            .expect("found by email");
        assert_eq!(found.user, created);
        assert_eq!(found.password_hash, "h1");
        assert_eq!(
            store.accounts().user_by_id(created.id).await.unwrap(),
            Some(created.clone())
        );
        assert!(
            store
                .accounts()
                .user_by_id(UserId::new())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .accounts()
                .user_by_email("nobody@example.com")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}
