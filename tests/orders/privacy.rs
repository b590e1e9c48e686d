//! Card data and customer details never reach Temporal, the logs or the
//! database in the clear: cards are exchanged for the provider's token at
//! the edge, every Temporal payload is encrypted (and readable by admins
//! through the codec server), and the idempotency table keeps a keyed
//! fingerprint, not the request.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use orderly_providers::sandbox_values::{CARD_APPROVED, CARD_DECLINED};
use serde_json::{Value, json};
use sqlx::{Connection, Row};
use temporalio_client::UntypedWorkflow;

use orderly_tests::app::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app};
use orderly_tests::database::uses_postgres;
use orderly_tests::shopper::{card, delivery_order, placed_id};
use orderly_workflows::{order_workflow_id, shipment_workflow_id};

const NAME: &str = "Zubeida Quartermaine";
const STREET: &str = "41 Kalyani Nagar Lane";

fn order_to_street(payment: Value) -> Value {
    json!({
        "items": [{"sku": "APPLE-1KG", "quantity": 1}],
        "payment": payment,
        "fulfillment": {"type": "delivery", "address": {
            "name": NAME, "line1": STREET, "city": "Pune",
            "postal_code": "411006", "country": "IN"}},
    })
}

async fn history_json(app: &TestApp, workflow_id: &str) -> String {
    let bytes = app
        .temporal
        .get_workflow_handle::<UntypedWorkflow>(workflow_id)
        .fetch_history(Default::default())
        .to_json()
        .await
        .expect("the history");
    String::from_utf8(bytes).expect("a history is text")
}

/// Every row of every table, as text.
async fn database_text(app: &TestApp) -> String {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .expect("a connection");
    let tables_sql = if uses_postgres() {
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    };
    let tables: Vec<String> = sqlx::query(tables_sql)
        .fetch_all(&mut conn)
        .await
        .expect("the tables")
        .iter()
        .map(|row| row.try_get("name").expect("a name"))
        .collect();
    let mut text = String::new();
    for table in tables {
        let columns_sql = if uses_postgres() {
            format!(
                "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = '{table}'"
            )
        } else {
            format!("SELECT name FROM pragma_table_info('{table}')")
        };
        let columns: Vec<String> = sqlx::query(&columns_sql)
            .fetch_all(&mut conn)
            .await
            .expect("the columns")
            .iter()
            .map(|row| row.try_get("name").expect("a name"))
            .collect();
        for column in columns {
            let sql = format!("SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\"");
            for row in sqlx::query(&sql)
                .fetch_all(&mut conn)
                .await
                .unwrap_or_default()
            {
                if let Ok(Some(value)) = row.try_get::<Option<String>, _>("v") {
                    text.push_str(&value);
                    text.push('\n');
                }
            }
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_orders_history_and_database_hold_no_card_number_and_no_customer_details() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Zubeida").await;
    let admin = app.admin().await;
    let email = app.get("/v1/me", Some(&customer)).await.body["email"]
        .as_str()
        .expect("an email")
        .to_owned();
    let placed = app
        .place_with_key(
            &customer,
            "private-1",
            &order_to_street(card(CARD_APPROVED)),
        )
        .await;
    assert_eq!(placed.status, 201, "{:#}", placed.body);
    assert_eq!(placed.body["payment"]["instrument"], "card ending 4242");
    let id = placed_id(&placed);
    app.wait_for_status(&customer, &id, "paid").await;
    app.ship(&admin, &customer, &id).await;

    let order_id = id.parse().expect("an order id");
    let histories = [
        history_json(&app, &order_workflow_id(order_id)).await,
        history_json(&app, &shipment_workflow_id(order_id, 1)).await,
    ];
    for history in &histories {
        for secret in [CARD_APPROVED, email.as_str(), NAME, STREET] {
            assert!(
                !history.contains(secret),
                "{secret:?} is in a Temporal history"
            );
        }
    }
    let sealed = STANDARD.encode("binary/encrypted");
    assert!(
        histories[0].contains(&sealed),
        "the order's payloads are not encrypted"
    );

    let database = database_text(&app).await;
    assert!(
        !database.contains(CARD_APPROVED),
        "the card number is in the database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_read_encrypted_payloads_through_the_codec_server_and_nobody_else_does() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Zubeida").await;
    let admin = app.admin().await;
    let id = placed_id(
        &app.place(&customer, &order_to_street(card(CARD_APPROVED)))
            .await,
    );
    app.wait_for_status(&customer, &id, "paid").await;

    let history: Value = serde_json::from_str(
        &history_json(&app, &order_workflow_id(id.parse().expect("an order id"))).await,
    )
    .expect("JSON");
    let input =
        history["events"][0]["attributes"]["WorkflowExecutionStartedEventAttributes"]["input"]
            .clone();
    let payloads = json!({"payloads": input["payloads"]});

    let decoded = app.post("/codec/decode", Some(&admin), &payloads).await;
    assert_eq!(decoded.status, 200, "{:#}", decoded.body);
    let data = decoded.body["payloads"][0]["data"].as_str().expect("data");
    let plain = String::from_utf8(STANDARD.decode(data).expect("base64")).expect("text");
    assert!(plain.contains(STREET), "{plain}");
    assert!(
        !plain.contains(CARD_APPROVED),
        "the card reached the workflow: {plain}"
    );
    assert!(plain.contains("tok_sandbox_"), "{plain}");

    let encoded = app.post("/codec/encode", Some(&admin), &decoded.body).await;
    assert_eq!(encoded.status, 200, "{:#}", encoded.body);
    let round_trip = app.post("/codec/decode", Some(&admin), &encoded.body).await;
    assert_eq!(round_trip.body, decoded.body);

    assert_eq!(
        app.post("/codec/decode", Some(&customer), &payloads)
            .await
            .status,
        403
    );
    assert_eq!(app.post("/codec/decode", None, &payloads).await.status, 401);
}

/// Signs in at the codec's login form as a browser would; the answer and
/// its `Set-Cookie`.
async fn codec_login(app: &TestApp, email: &str, password: &str) -> (u16, Option<String>) {
    let response = app
        .http
        .post(app.url("/codec/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("POST /codec/login");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), cookie)
}

/// A codec call from the Web UI: the cookie, no `Authorization`.
async fn decode_with_cookie(app: &TestApp, cookie: &str, payloads: &Value) -> u16 {
    app.http
        .post(app.url("/codec/decode"))
        .header("cookie", cookie)
        .header("origin", "http://127.0.0.1:8233")
        .json(payloads)
        .send()
        .await
        .expect("POST /codec/decode")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_ui_decodes_with_the_cookie_of_an_admin_who_signed_in_at_the_codec() {
    let app = spawn_app().await;
    let page = app.http.get(app.url("/codec/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form"));
    let payloads = json!({"payloads": []});

    let (status, cookie) = codec_login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 200);
    let set_cookie = cookie.expect("a Set-Cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/codec", "Max-Age=900"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert_eq!(decode_with_cookie(&app, &cookie, &payloads).await, 200);
    // The cookie is for the codec only: it logs nobody in to the rest of the API.
    let me = app
        .http
        .get(app.url("/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);

    let out = app
        .http
        .post(app.url("/codec/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(decode_with_cookie(&app, &cookie, &payloads).await, 401);

    // A customer's right password still signs nobody in to the codec.
    let customer_email = "zubeida@example.test";
    app.post(
        "/v1/auth/register",
        None,
        &json!({"email": customer_email, "password": "correct horse battery", "name": "Zubeida"}),
    )
    .await;
    let (status, cookie) = codec_login(&app, customer_email, "correct horse battery").await;
    assert_eq!(status, 403);
    assert!(cookie.is_none());
    assert_eq!(codec_login(&app, ADMIN_EMAIL, "wrong").await.0, 401);
    assert_eq!(
        decode_with_cookie(&app, "orderly_codec=forged", &payloads).await,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_the_provider_pays_for_an_order_and_a_made_up_one_is_refused() {
    let app = spawn_app().await;
    app.stock_product("APPLE-1KG", 18_000, 10).await;
    let customer = app.customer("Asha").await;

    let tokenized = app
        .post(
            "/v1/sandbox/card-tokens",
            None,
            &json!({"card_number": CARD_APPROVED}),
        )
        .await;
    assert_eq!(tokenized.status, 201, "{:#}", tokenized.body);
    assert_eq!(tokenized.body["last4"], "4242");
    assert_eq!(tokenized.body["brand"], "visa");
    let token = tokenized.body["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let paid = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "APPLE-1KG", "quantity": 1}]),
                json!({"method": "card", "token": token}),
            ),
        )
        .await;
    assert_eq!(paid.status, 201, "{:#}", paid.body);
    app.wait_for_status(&customer, &placed_id(&paid), "paid")
        .await;

    let declined_token = app
        .post(
            "/v1/sandbox/card-tokens",
            None,
            &json!({"card_number": CARD_DECLINED}),
        )
        .await
        .body["token"]
        .clone();
    let declined = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "APPLE-1KG", "quantity": 1}]),
                json!({"method": "card", "token": declined_token}),
            ),
        )
        .await;
    app.wait_for_status(&customer, &placed_id(&declined), "payment_failed")
        .await;

    let forged = app
        .place(
            &customer,
            &delivery_order(
                json!([{"sku": "APPLE-1KG", "quantity": 1}]),
                json!({"method": "card", "token": "tok_sandbox_made_up"}),
            ),
        )
        .await;
    assert_eq!(forged.status, 422, "{:#}", forged.body);
    assert_eq!(forged.body["errors"][0]["field"], "payment.token");
    assert_eq!(app.stock_levels("APPLE-1KG").await, (10, 1));
}
