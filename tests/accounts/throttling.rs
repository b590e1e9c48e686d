//! Rate limits and login throttling, as an attacker meets them: guesses in
//! parallel, from one address or many, against one replica or two sharing
//! Redis; floods of registrations, writes and webhooks.

use std::time::Duration;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use orderly_api::rate_limits::RateLimitSettings;
use orderly_api::state::AccountSettings;
use orderly_rate_limits::Quota;
use orderly_tests::app::{TestApp, TestOptions, spawn_app_with};
use orderly_tests::shopper::Answer;

const PASSWORD: &str = "correct horse battery";

fn options(rate_limits: RateLimitSettings) -> TestOptions {
    TestOptions {
        rate_limits,
        worker: false,
        ..TestOptions::default()
    }
}

/// Clients are told apart by `X-Forwarded-For`, as behind a proxy.
fn behind_a_proxy(rate_limits: RateLimitSettings) -> TestOptions {
    TestOptions {
        accounts: AccountSettings {
            trust_forwarded_for: true,
            ..AccountSettings::default()
        },
        ..options(rate_limits)
    }
}

/// The defaults with logins slowed after `free` failures, by `delay` at first.
fn logins(free: u32, delay: Duration) -> RateLimitSettings {
    let mut limits = RateLimitSettings::default();
    limits.login.per_client.free = free;
    limits.login.per_client.first_delay = delay;
    limits
}

async fn register(app: &TestApp, email: &str) -> Answer {
    app.post(
        "/v1/auth/register",
        None,
        &json!({"email": email, "password": PASSWORD, "name": "Asha Rao"}),
    )
    .await
}

/// A login from `address` (`X-Forwarded-For`), with a device token or not.
async fn login_from(
    app: &TestApp,
    address: &str,
    email: &str,
    password: &str,
    device_token: Option<&str>,
) -> Answer {
    let mut body = json!({"email": email, "password": password});
    if let Some(device) = device_token {
        body["device_token"] = Value::from(device);
    }
    app.request_with(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(&body),
        &[("x-forwarded-for", address)],
    )
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Answer {
    login_from(app, "192.0.2.1", email, password, None).await
}

fn statuses(answers: &[Answer]) -> (usize, usize) {
    let refused = answers.iter().filter(|a| a.status == 429).count();
    let checked = answers.iter().filter(|a| a.status == 401).count();
    assert_eq!(refused + checked, answers.len(), "only 401s and 429s");
    (checked, refused)
}

fn assert_throttled(answer: &Answer) {
    answer.assert_complete_problem(429);
    assert_eq!(
        answer.body["type"],
        "https://orderly.dev/problems/too-many-requests"
    );
    let retry_after = answer.number_header("retry-after").expect("Retry-After");
    assert!(retry_after >= 1, "{retry_after}");
    assert_eq!(answer.number_header("ratelimit-remaining"), Some(0));
    assert!(answer.number_header("ratelimit-limit").is_some());
    assert!(answer.headers.contains_key("ratelimit-policy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_parallel_wrong_logins_for_one_account_check_only_five_passwords() {
    let app = spawn_app_with(options(RateLimitSettings::default())).await;
    register(&app, "asha@example.test").await;

    let guesses: Vec<String> = (0..60).map(|n| format!("guess number {n}")).collect();
    let answers = join_all(
        guesses
            .iter()
            .map(|guess| login(&app, "asha@example.test", guess)),
    )
    .await;

    let (checked, refused) = statuses(&answers);
    assert_eq!(checked, 5, "the free failures of one client");
    assert_eq!(refused, 55);
    assert_throttled(answers.iter().find(|a| a.status == 429).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_redis_count_parallel_guesses_together() {
    let prefix = format!("orderly-test-{}", uuid::Uuid::now_v7().simple());
    let replica = || async {
        spawn_app_with(TestOptions {
            redis_prefix: Some(prefix.clone()),
            ..behind_a_proxy(RateLimitSettings::default())
        })
        .await
    };
    let (one, other) = (replica().await, replica().await);
    // Each replica has its own database here; the account exists in both.
    register(&one, "asha@example.test").await;
    register(&other, "asha@example.test").await;

    let answers = join_all((0..60).map(|n| {
        let app = if n % 2 == 0 { &one } else { &other };
        login_from(app, "203.0.113.9", "asha@example.test", "wrong", None)
    }))
    .await;

    let (checked, _) = statuses(&answers);
    assert_eq!(checked, 5, "five guesses over both replicas, not five each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_password_gets_in_after_the_wait_and_ends_the_streak() {
    let app = spawn_app_with(options(logins(2, Duration::from_secs(1)))).await;
    register(&app, "asha@example.test").await;

    login(&app, "asha@example.test", "wrong 1")
        .await
        .assert_problem(401);
    login(&app, "asha@example.test", "wrong 2")
        .await
        .assert_problem(401);
    let early = login(&app, "asha@example.test", PASSWORD).await;
    assert_throttled(&early);
    assert_eq!(early.number_header("retry-after"), Some(1));

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(login(&app, "asha@example.test", PASSWORD).await.status, 200);
    // A fresh streak: two more free failures.
    login(&app, "asha@example.test", "wrong 3")
        .await
        .assert_problem(401);
    login(&app, "asha@example.test", "wrong 4")
        .await
        .assert_problem(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_past_the_free_ones_doubles_the_wait() {
    let app = spawn_app_with(options(logins(1, Duration::from_secs(1)))).await;
    register(&app, "asha@example.test").await;

    let mut waits = Vec::new();
    for _ in 0..3 {
        login(&app, "asha@example.test", "wrong")
            .await
            .assert_problem(401);
        let refused = login(&app, "asha@example.test", "wrong").await;
        assert_throttled(&refused);
        let wait = refused.number_header("retry-after").unwrap();
        waits.push(wait);
        tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(50)).await;
    }
    assert_eq!(waits, [1, 2, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_from_one_address_does_not_slow_the_owner_on_another() {
    let app = spawn_app_with(behind_a_proxy(RateLimitSettings::default())).await;
    register(&app, "admin-like@example.test").await;

    let guesses = join_all(
        (0..20).map(|_| login_from(&app, "203.0.113.9", "admin-like@example.test", "x", None)),
    )
    .await;
    assert!(guesses.iter().any(|a| a.status == 429));

    let owner = login_from(
        &app,
        "198.51.100.4",
        "admin-like@example.test",
        PASSWORD,
        None,
    )
    .await;
    assert_eq!(owner.status, 200, "{:#}", owner.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_token_lets_the_owner_in_while_guesses_from_the_same_address_are_slowed() {
    // Everyone shares the proxy's address, as without ORDERLY_TRUST_FORWARDED_FOR.
    let app = spawn_app_with(options(RateLimitSettings::default())).await;
    register(&app, "asha@example.test").await;
    let first = login(&app, "asha@example.test", PASSWORD).await;
    let device = first.body["device_token"]
        .as_str()
        .expect("a device token")
        .to_owned();

    let guesses = join_all((0..20).map(|_| login(&app, "asha@example.test", "guess"))).await;
    assert!(guesses.iter().any(|a| a.status == 429));
    assert_throttled(&login(&app, "asha@example.test", PASSWORD).await);

    let owner = login_from(
        &app,
        "192.0.2.1",
        "asha@example.test",
        PASSWORD,
        Some(&device),
    )
    .await;
    assert_eq!(owner.status, 200, "{:#}", owner.body);

    // A forged token proves nothing, and a token is for its own account only.
    let forged = "forged.1764600000.c2lnbmF0dXJl";
    assert_throttled(
        &login_from(
            &app,
            "192.0.2.1",
            "asha@example.test",
            PASSWORD,
            Some(forged),
        )
        .await,
    );
    register(&app, "ravi@example.test").await;
    join_all((0..20).map(|_| login(&app, "ravi@example.test", "guess"))).await;
    assert_throttled(
        &login_from(
            &app,
            "192.0.2.1",
            "ravi@example.test",
            PASSWORD,
            Some(&device),
        )
        .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_spread_over_many_addresses_slow_the_account_but_not_a_client_that_never_failed() {
    let mut limits = logins(5, Duration::from_secs(30));
    limits.login.free_per_account = 2;
    let app = spawn_app_with(behind_a_proxy(limits)).await;
    register(&app, "asha@example.test").await;

    // Each address's first guess is its own; its second counts for the account.
    for address in ["203.0.113.1", "203.0.113.2"] {
        for _ in 0..2 {
            login_from(&app, address, "asha@example.test", "guess", None)
                .await
                .assert_problem(401);
        }
    }
    let refused = login_from(&app, "203.0.113.1", "asha@example.test", PASSWORD, None).await;
    assert_throttled(&refused);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("to this account"),
        "{:#}",
        refused.body
    );
    let fresh = login_from(&app, "198.51.100.4", "asha@example.test", PASSWORD, None).await;
    assert_eq!(fresh.status, 200, "{:#}", fresh.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_failures_from_one_address_slow_it_for_every_account_but_its_successes_do_not() {
    let mut limits = logins(5, Duration::from_secs(30));
    limits.login.free_per_address = 4;
    let app = spawn_app_with(behind_a_proxy(limits)).await;
    register(&app, "asha@example.test").await;

    // Successes from the address do not count towards its failures.
    for _ in 0..6 {
        assert_eq!(
            login_from(&app, "203.0.113.7", "asha@example.test", PASSWORD, None)
                .await
                .status,
            200
        );
    }
    for n in 0..4 {
        login_from(
            &app,
            "203.0.113.7",
            &format!("guess{n}@example.test"),
            PASSWORD,
            None,
        )
        .await
        .assert_problem(401);
    }
    let refused = login_from(&app, "203.0.113.7", "asha@example.test", PASSWORD, None).await;
    assert_throttled(&refused);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("from this address"),
        "{:#}",
        refused.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_requests_past_the_address_quota_are_429_and_every_answer_says_what_is_left() {
    let limits = RateLimitSettings {
        auth_per_address: Quota::per_minute(3),
        ..RateLimitSettings::default()
    };
    let app = spawn_app_with(behind_a_proxy(limits)).await;

    let mut remaining = Vec::new();
    for n in 0..3 {
        let answer = login_from(
            &app,
            "203.0.113.5",
            &format!("u{n}@example.test"),
            "pw",
            None,
        )
        .await;
        answer.assert_problem(401);
        remaining.push(answer.number_header("ratelimit-remaining").unwrap());
        assert_eq!(answer.number_header("ratelimit-limit"), Some(3));
    }
    assert_eq!(remaining, [2, 1, 0]);

    let refused = login_from(&app, "203.0.113.5", "u9@example.test", "pw", None).await;
    assert_throttled(&refused);
    assert_eq!(refused.headers["ratelimit-policy"], "3;w=60");
    let retry_after = refused.number_header("retry-after").unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    // Registration is an auth route too; another address is not affected.
    register_from(&app, "203.0.113.5", "new@example.test")
        .await
        .assert_problem(429);
    assert_eq!(
        register_from(&app, "198.51.100.1", "new@example.test")
            .await
            .status,
        201
    );
}

async fn register_from(app: &TestApp, address: &str, email: &str) -> Answer {
    app.request_with(
        Method::POST,
        "/v1/auth/register",
        None,
        Some(&json!({"email": email, "password": PASSWORD, "name": "Asha Rao"})),
        &[("x-forwarded-for", address)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_flood_from_one_address_creates_only_the_quota_of_accounts() {
    let limits = RateLimitSettings {
        auth_per_address: Quota::per_minute(8),
        ..RateLimitSettings::default()
    };
    let app = spawn_app_with(options(limits)).await;

    let emails: Vec<String> = (0..30).map(|n| format!("bot{n}@example.test")).collect();
    let answers = join_all(emails.iter().map(|email| register(&app, email))).await;

    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 8);
    assert_eq!(answers.iter().filter(|a| a.status == 429).count(), 22);
    for (email, answer) in emails.iter().zip(&answers) {
        let stored = app.store.accounts().user_by_email(email).await.unwrap();
        assert_eq!(stored.is_some(), answer.status == 201, "{email}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_one_email_again_and_again_is_limited_per_email() {
    let limits = RateLimitSettings {
        auth_per_account: Quota::per_minute(3),
        ..RateLimitSettings::default()
    };
    let app = spawn_app_with(behind_a_proxy(limits)).await;
    assert_eq!(
        register_from(&app, "203.0.113.1", "asha@example.test")
            .await
            .status,
        201
    );
    for address in ["203.0.113.2", "203.0.113.3"] {
        register_from(&app, address, "asha@example.test")
            .await
            .assert_problem(409);
    }
    assert_throttled(&register_from(&app, "203.0.113.4", "asha@example.test").await);
    assert_eq!(
        register_from(&app, "203.0.113.4", "ravi@example.test")
            .await
            .status,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_that_cannot_get_a_turn_at_the_password_hasher_is_503_and_creates_nothing() {
    let app = spawn_app_with(options(RateLimitSettings::default())).await;
    let busy = app.passwords.occupy().await;

    let answer = register(&app, "asha@example.test").await;

    answer.assert_complete_problem(503);
    assert!(answer.number_header("retry-after").is_some());
    assert!(
        app.store
            .accounts()
            .user_by_email("asha@example.test")
            .await
            .unwrap()
            .is_none()
    );
    drop(busy);
    assert_eq!(register(&app, "asha@example.test").await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_reset_code_is_refused_without_waiting_for_the_password_hasher() {
    let app = spawn_app_with(options(RateLimitSettings::default())).await;
    let _busy = app.passwords.occupy().await;

    let started = std::time::Instant::now();
    let answer = app
        .post(
            "/v1/auth/password-reset/confirm",
            None,
            &json!({"token": "bm90LWEtcmVhbC1jb2Rl", "password": "a brand new passphrase"}),
        )
        .await;

    // With the hasher busy, hashing first would have waited its turn and
    // answered 503; the code is checked first and is simply wrong.
    answer.assert_complete_problem(422);
    assert_eq!(answer.fields(), ["token"]);
    assert!(started.elapsed() < orderly_api::auth::password::QUEUE_WAIT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_of_one_account_past_its_quota_are_refused_without_spending_the_token() {
    let limits = RateLimitSettings {
        auth_per_account: Quota::new(2, Duration::from_secs(2)),
        ..RateLimitSettings::default()
    };
    let app = spawn_app_with(options(limits)).await;
    // Registering took one of the account's two for this email; refreshes
    // count per account separately.
    let registered = register(&app, "asha@example.test").await;
    let mut refresh_token = registered.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let answer = app
            .post(
                "/v1/auth/refresh",
                None,
                &json!({"refresh_token": refresh_token}),
            )
            .await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
        refresh_token = answer.body["refresh_token"].as_str().unwrap().to_owned();
    }
    let refused = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": refresh_token}),
        )
        .await;
    assert_throttled(&refused);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": refresh_token}),
        )
        .await;
    assert_eq!(
        later.status, 200,
        "the refused refresh did not spend the token: {:#}",
        later.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_past_an_accounts_quota_are_429_while_reads_and_other_accounts_go_on() {
    let limits = RateLimitSettings {
        writes_per_account: Quota::per_minute(3),
        ..RateLimitSettings::default()
    };
    let app = spawn_app_with(options(limits)).await;
    let asha = app.customer("Asha").await;
    let ravi = app.customer("Ravi").await;
    let edit = |token: &str, n: u32| {
        let body = json!({"name": format!("Asha {n}")});
        let token = token.to_owned();
        let app = &app;
        async move {
            app.request_with(Method::PATCH, "/v1/me", Some(&token), Some(&body), &[])
                .await
        }
    };

    let answers = join_all((0..10).map(|n| edit(&asha, n))).await;

    assert_eq!(answers.iter().filter(|a| a.status == 200).count(), 3);
    let refused = answers.iter().find(|a| a.status == 429).expect("a refusal");
    assert_throttled(refused);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("from this account"),
        "{:#}",
        refused.body
    );
    assert_eq!(app.get("/v1/me", Some(&asha)).await.status, 200);
    assert_eq!(edit(&ravi, 1).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_past_an_addresss_quota_are_429_before_their_signature_is_checked() {
    let limits = RateLimitSettings {
        webhooks_per_address: Quota::per_minute(3),
        ..RateLimitSettings::default()
    };
    let app = spawn_app_with(options(limits)).await;
    let forged = || {
        app.post_raw(
            "/v1/webhooks/payments/sandbox",
            None,
            "application/json",
            br#"{"event_id":"e","order_id":"o","status":"captured"}"#.to_vec(),
            &[],
        )
    };
    for _ in 0..3 {
        assert_eq!(forged().await.status, 401);
    }
    assert_throttled(&forged().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_emails_past_an_emails_quota_are_answered_alike_and_not_sent() {
    let limits = RateLimitSettings {
        reset_emails_per_account: Quota::new(2, Duration::from_secs(3600)),
        ..RateLimitSettings::default()
    };
    let app = spawn_app_with(TestOptions {
        smtp: true,
        ..options(limits)
    })
    .await;
    let sink = app.smtp.as_ref().expect("the SMTP sink");
    register(&app, "asha@example.test").await;

    for _ in 0..4 {
        let answer = app
            .post(
                "/v1/auth/password-reset",
                None,
                &json!({"email": "asha@example.test"}),
            )
            .await;
        assert_eq!(answer.status, 202);
    }

    let mails = sink.wait_for(3, Duration::from_secs(3)).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
}
