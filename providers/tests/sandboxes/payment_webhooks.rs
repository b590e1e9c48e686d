//! UPI and netbanking in the sandbox: the collect request returns pending at
//! once and the verdict arrives later as a signed webhook over HTTP.

use std::time::Duration;

use orderly_domain::{
    Currency, Money, OrderId, PaymentDetails, PaymentMethod, PaymentWebhook, PaymentWebhookStatus,
};
use orderly_providers::payments::{PaymentError, PaymentProviders, PaymentRequest, WebhookTarget};
use orderly_providers::sandbox_values::{BANK_FAILS, BANK_SUCCEEDS, VPA_FAILS, VPA_SUCCEEDS};
use orderly_store::Store;

use crate::databases::on_every_backend;
use crate::listener::{Listener, SECRET};

const PATIENCE: Duration = Duration::from_secs(10);

fn sandbox(store: &Store, listener: &Listener) -> PaymentProviders {
    PaymentProviders::sandbox(
        store.clone(),
        Some(WebhookTarget {
            url: listener.url(),
            secret: SECRET.to_owned(),
            delay: Duration::from_millis(20),
        }),
    )
}

fn upi(vpa: &str) -> PaymentDetails {
    PaymentDetails::Upi {
        vpa: vpa.to_owned(),
    }
}

fn netbanking(bank_code: &str) -> PaymentDetails {
    PaymentDetails::Netbanking {
        bank_code: bank_code.to_owned(),
    }
}

fn request(details: PaymentDetails) -> PaymentRequest {
    let order_id = OrderId::new();
    PaymentRequest {
        order_id,
        amount: Money::new(30_900, Currency::INR),
        details,
        idempotency_key: format!("order:{order_id}:initiate"),
    }
}

/// Initiates `details` and returns the one webhook that follows.
async fn initiate_and_receive(
    store: &Store,
    details: PaymentDetails,
) -> (PaymentRequest, PaymentWebhook) {
    let listener = Listener::start().await;
    let provider = sandbox(store, &listener).for_method(details.method());
    let req = request(details);
    provider
        .initiate(&req)
        .await
        .expect("the collect request is raised");
    let received = listener.wait_for(1, PATIENCE).await;
    assert_eq!(received.len(), 1, "exactly one webhook arrives");
    assert!(
        received[0].is_signed_with(SECRET),
        "the webhook signature does not verify: {:?}",
        received[0].signature
    );
    assert!(!received[0].is_signed_with("another-secret"));
    let webhook: PaymentWebhook =
        serde_json::from_slice(&received[0].body).expect("a payment webhook body");
    (req, webhook)
}

#[tokio::test]
async fn the_succeeding_vpa_is_confirmed_by_a_signed_succeeded_webhook() {
    on_every_backend(|store| async move {
        let (req, webhook) = initiate_and_receive(&store, upi(VPA_SUCCEEDS)).await;
        assert_eq!(webhook.order_id, req.order_id);
        assert_eq!(webhook.status, PaymentWebhookStatus::Succeeded);
    })
    .await;
}

#[tokio::test]
async fn the_failing_vpa_is_answered_by_a_signed_failed_webhook() {
    on_every_backend(|store| async move {
        let (req, webhook) = initiate_and_receive(&store, upi(VPA_FAILS)).await;
        assert_eq!(webhook.order_id, req.order_id);
        assert_eq!(webhook.status, PaymentWebhookStatus::Failed);
    })
    .await;
}

#[tokio::test]
async fn netbanking_bank_codes_succeed_or_fail_by_webhook() {
    on_every_backend(|store| async move {
        let (_, webhook) = initiate_and_receive(&store, netbanking(BANK_SUCCEEDS)).await;
        assert_eq!(webhook.status, PaymentWebhookStatus::Succeeded);
        let (_, webhook) = initiate_and_receive(&store, netbanking(BANK_FAILS)).await;
        assert_eq!(webhook.status, PaymentWebhookStatus::Failed);
    })
    .await;
}

#[tokio::test]
async fn any_other_vpa_stays_pending_with_no_webhook() {
    on_every_backend(|store| async move {
        let listener = Listener::start().await;
        let provider = sandbox(&store, &listener).for_method(PaymentMethod::Upi);
        let receipt = provider
            .initiate(&request(upi("someone@bank")))
            .await
            .expect("the collect request is raised");
        assert!(receipt.reference.starts_with("sandbox-upi-initiate-"));
        let received = listener.wait_for(1, Duration::from_millis(500)).await;
        assert!(received.is_empty(), "{received:?}");
        assert_eq!(listener.attempts(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_replayed_initiate_returns_the_same_reference_and_resends_the_same_event() {
    on_every_backend(|store| async move {
        let listener = Listener::start().await;
        let provider = sandbox(&store, &listener).for_method(PaymentMethod::Upi);
        let req = request(upi(VPA_SUCCEEDS));
        let first = provider.initiate(&req).await.expect("raised");
        let again = provider.initiate(&req).await.expect("raised again");
        assert_eq!(first, again);
        let received = listener.wait_for(2, PATIENCE).await;
        assert_eq!(received.len(), 2);
        assert_eq!(
            received[0].json()["event_id"],
            received[1].json()["event_id"],
            "a resend must be recognisable as a duplicate"
        );
    })
    .await;
}

#[tokio::test]
async fn a_webhook_refused_by_a_starting_api_is_retried_until_accepted() {
    on_every_backend(|store| async move {
        let listener = Listener::refusing_first(2).await;
        let provider = sandbox(&store, &listener).for_method(PaymentMethod::Upi);
        provider
            .initiate(&request(upi(VPA_SUCCEEDS)))
            .await
            .expect("raised");
        let received = listener.wait_for(1, PATIENCE).await;
        assert_eq!(received.len(), 1);
        assert_eq!(listener.attempts(), 3);
        assert!(received[0].is_signed_with(SECRET));
    })
    .await;
}

#[tokio::test]
async fn a_refused_collect_request_cannot_be_captured() {
    on_every_backend(|store| async move {
        let provider =
            PaymentProviders::sandbox(store.clone(), None).for_method(PaymentMethod::Upi);
        // A pending request is settled by whoever posts its signed webhook,
        // so its capture follows that webhook's answer.
        for (n, vpa) in [VPA_SUCCEEDS, "someone@bank"].into_iter().enumerate() {
            let approved = PaymentRequest {
                idempotency_key: format!("order:{n}:capture"),
                ..request(upi(vpa))
            };
            let captured = provider.capture(&approved).await.expect("captured");
            assert_eq!(captured.amount, approved.amount, "{vpa}");
        }
        let answer = provider.capture(&request(upi(VPA_FAILS))).await;
        assert!(
            matches!(answer, Err(PaymentError::Declined(_))),
            "{answer:?}"
        );
    })
    .await;
}
