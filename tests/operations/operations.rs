//! What operators and machines rely on: liveness and readiness probes,
//! Prometheus metrics, the OpenAPI document, and a request id on every
//! answer so a client's report can be matched with the logs.

use serde_json::{Value, json};

use orderly_tests::app::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probes_say_the_process_is_alive_and_can_reach_the_database_and_temporal() {
    let app = spawn_app().await;

    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, 200, "{:#}", health.body);
    assert_eq!(health.body, json!({"status": "ok"}));

    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "{:#}", ready.body);
    assert_eq!(ready.body, json!({"status": "ok"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_with_a_503_naming_the_database_once_it_is_gone() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz", None).await.status, 200);

    app.store.close().await;

    let ready = app.get("/readyz", None).await;
    ready.assert_complete_problem(503);
    let detail = ready.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("database"), "{detail}");
    assert!(!detail.contains("temporal"), "{detail}");
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_method_and_status() {
    let app = spawn_app().await;
    let customer = app.customer("Asha").await;
    app.get("/v1/orders", Some(&customer)).await;
    app.get("/v1/orders", None).await;

    let response = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("GET /metrics");

    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.expect("the metrics text");
    assert!(text.contains("http_requests_total"), "{text}");
    // Every app of the test process shares one recorder, so only the
    // presence of the series is certain, not its count.
    for series in [
        r#"http_requests_total{method="GET",route="/v1/orders",status="200"}"#,
        r#"http_requests_total{method="GET",route="/v1/orders",status="401"}"#,
        r#"http_requests_total{method="POST",route="/v1/auth/register",status="201"}"#,
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
    assert!(text.contains("http_request_duration_seconds"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_orders_and_the_webhooks() {
    let app = spawn_app().await;

    let response = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("GET /openapi.json");

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value =
        serde_json::from_str(&response.text().await.expect("the document")).expect("valid JSON");
    assert!(
        document["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3."),
        "{:#}",
        document["openapi"]
    );
    let paths = &document["paths"];
    for (path, method) in [
        ("/v1/orders", "post"),
        ("/v1/orders", "get"),
        ("/v1/orders/{id}", "get"),
        ("/v1/orders/{id}/cancel", "post"),
        ("/v1/webhooks/carriers/{carrier}", "post"),
        ("/v1/webhooks/payments/{provider}", "post"),
        ("/v1/auth/register", "post"),
        ("/v1/inventory/{sku}", "put"),
    ] {
        assert!(
            paths[path].get(method).is_some(),
            "{method} {path} is not documented"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id_and_echoes_the_clients_own() {
    let app = spawn_app().await;
    let customer = app.customer("Asha").await;

    let requests = [
        app.http.get(app.url("/healthz")),
        app.http.get(app.url("/v1/products")),
        app.http.get(app.url("/v1/orders")),
        app.http.get(app.url("/v1/orders")).bearer_auth(&customer),
        app.http.get(app.url("/v1/nowhere")),
        app.http.delete(app.url("/v1/orders")),
        app.http
            .post(app.url("/v1/orders"))
            .bearer_auth(&customer)
            .header("content-type", "application/json")
            .body("{not json"),
        app.http
            .post(app.url("/v1/auth/login"))
            .json(&json!({"email": "nobody@example.test", "password": "whatever1"})),
    ];
    let mut seen = Vec::new();
    for request in requests {
        let response = request.send().await.expect("a response");
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| {
                panic!(
                    "no x-request-id on {} {}",
                    response.status(),
                    response.url()
                )
            })
            .to_str()
            .expect("a printable id")
            .to_owned();
        let parsed = uuid::Uuid::parse_str(&id).expect("a UUID request id");
        assert_eq!(parsed.get_version_num(), 7);
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8, "request ids must be unique");

    let echoed = app
        .http
        .get(app.url("/v1/orders"))
        .header("x-request-id", "support-ticket-4711")
        .send()
        .await
        .expect("a response");
    assert_eq!(echoed.headers()["x-request-id"], "support-ticket-4711");
}
