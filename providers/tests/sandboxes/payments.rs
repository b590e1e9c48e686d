//! Card and cash-on-delivery outcomes of the sandbox gateway, and its
//! promise that one idempotency key is one answer.

use orderly_domain::{
    CardNumber, CardPayment, Currency, Money, OrderId, PaymentDetails, PaymentMethod,
};
use orderly_providers::payments::{
    CardVault, PaymentError, PaymentProviders, PaymentRequest, SandboxVault,
};
use orderly_providers::sandbox_values::{CARD_APPROVED, CARD_DECLINED, CARD_FLAKY};
use orderly_store::Store;

use crate::databases::on_every_backend;

fn inr(amount: i64) -> Money {
    Money::new(amount, Currency::INR)
}

fn number(raw: &str) -> CardNumber {
    CardNumber::parse(raw).expect("a Luhn-valid test card")
}

/// A card as orders placed before tokenization carried it: by number.
fn card(raw: &str) -> PaymentDetails {
    PaymentDetails::Card(CardPayment::Number {
        card_number: number(raw),
    })
}

/// A card as orders carry it: the sandbox vault's token.
async fn tokenized(store: &Store, raw: &str) -> PaymentDetails {
    let token = SandboxVault::new(store.clone())
        .tokenize(&number(raw))
        .await
        .expect("tokenized");
    PaymentDetails::Card(CardPayment::Token(token))
}

fn request(details: PaymentDetails, amount: i64, key: &str) -> PaymentRequest {
    PaymentRequest {
        order_id: OrderId::new(),
        amount: inr(amount),
        details,
        idempotency_key: key.to_owned(),
    }
}

fn sandbox(store: &Store) -> PaymentProviders {
    PaymentProviders::sandbox(store.clone(), None)
}

#[tokio::test]
async fn the_approved_test_card_is_charged_the_requested_amount() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        assert_eq!(provider.name(), "sandbox-card");
        let receipt = provider
            .charge(&request(card(CARD_APPROVED), 30_900, "order:1:capture"))
            .await
            .expect("the approved card is charged");
        assert_eq!(receipt.amount, inr(30_900));
        assert!(
            receipt.reference.starts_with("sandbox-card-charge-"),
            "{}",
            receipt.reference
        );
    })
    .await;
}

#[tokio::test]
async fn any_other_valid_card_is_charged() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let receipt = provider
            .charge(&request(card("5555555555554444"), 100, "order:2:capture"))
            .await;
        assert!(receipt.is_ok(), "{receipt:?}");
    })
    .await;
}

#[tokio::test]
async fn the_declined_test_card_is_declined_on_every_attempt() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let req = request(card(CARD_DECLINED), 30_900, "order:3:capture");
        for _ in 0..3 {
            assert!(matches!(
                provider.charge(&req).await,
                Err(PaymentError::Declined(_))
            ));
        }
    })
    .await;
}

#[tokio::test]
async fn the_flaky_test_card_fails_transiently_twice_then_succeeds_for_good() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let req = request(card(CARD_FLAKY), 30_900, "order:4:capture");
        for attempt in 1..=2 {
            let answer = provider.charge(&req).await;
            assert!(
                matches!(answer, Err(PaymentError::Transient(_))),
                "attempt {attempt}: {answer:?}"
            );
        }
        let first = provider
            .charge(&req)
            .await
            .expect("the third attempt succeeds");
        let again = provider
            .charge(&req)
            .await
            .expect("later attempts keep succeeding");
        assert_eq!(first, again);

        // The count is per key: another order with the same card starts over.
        let other = request(card(CARD_FLAKY), 30_900, "order:5:capture");
        assert!(matches!(
            provider.charge(&other).await,
            Err(PaymentError::Transient(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_repeated_charge_with_the_same_key_returns_the_first_receipt_without_charging_again() {
    on_every_backend(|store| async move {
        let req = request(card(CARD_APPROVED), 30_900, "order:6:capture");
        // Racing first attempts settle on one answer: the first stored wins.
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let racing = futures::future::join_all((0..10).map(|_| provider.charge(&req))).await;
        let first = racing[0].clone().expect("charged");
        for answer in &racing {
            assert_eq!(
                answer.as_ref(),
                Ok(&first),
                "a racing attempt made its own charge"
            );
        }

        // A restarted worker builds new providers over the same database.
        let restarted = sandbox(&store).for_method(PaymentMethod::Card);
        assert_eq!(restarted.charge(&req).await, Ok(first.clone()));

        let another_key = request(card(CARD_APPROVED), 30_900, "order:7:capture");
        let second = restarted.charge(&another_key).await.expect("charged");
        assert_ne!(second.reference, first.reference);
    })
    .await;
}

#[tokio::test]
async fn reusing_a_key_for_another_amount_is_refused() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        provider
            .charge(&request(card(CARD_APPROVED), 30_900, "order:8:capture"))
            .await
            .expect("charged");
        let answer = provider
            .charge(&request(card(CARD_APPROVED), 99_900, "order:8:capture"))
            .await;
        assert!(
            matches!(answer, Err(PaymentError::Declined(_))),
            "{answer:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn cash_on_delivery_is_authorized_then_captured_and_can_be_voided_or_refunded() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Cod);
        assert_eq!(provider.name(), "sandbox-cod");
        let authorized = provider
            .authorize(&request(PaymentDetails::Cod, 500, "order:9:authorize"))
            .await
            .expect("authorized");
        let captured = provider
            .capture(&request(PaymentDetails::Cod, 500, "order:9:capture"))
            .await
            .expect("captured");
        assert_ne!(authorized.reference, captured.reference);
        assert_eq!(captured.amount, inr(500));
        assert!(
            provider
                .void(&request(PaymentDetails::Cod, 500, "order:10:void"))
                .await
                .is_ok()
        );
        assert!(
            provider
                .refund(&request(PaymentDetails::Cod, 500, "order:9:refund"))
                .await
                .is_ok()
        );
        assert!(matches!(
            provider
                .charge(&request(PaymentDetails::Cod, 500, "order:9:charge"))
                .await,
            Err(PaymentError::Unsupported(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_card_sale_is_refunded_but_never_authorized_or_voided() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let refund = provider
            .refund(&request(card(CARD_APPROVED), 30_900, "order:11:refund"))
            .await
            .expect("refunded");
        assert!(refund.reference.starts_with("sandbox-card-refund-"));
        for answer in [
            provider
                .authorize(&request(card(CARD_APPROVED), 1, "k1"))
                .await,
            provider.void(&request(card(CARD_APPROVED), 1, "k2")).await,
        ] {
            assert!(
                matches!(answer, Err(PaymentError::Unsupported(_))),
                "{answer:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_provider_refuses_details_of_another_method() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let answer = provider
            .charge(&request(PaymentDetails::Cod, 500, "order:12:capture"))
            .await;
        assert!(
            matches!(answer, Err(PaymentError::Unsupported(_))),
            "{answer:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_tokenized_card_is_charged_as_its_number_would_be_and_the_vault_keeps_no_number() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let approved = tokenized(&store, CARD_APPROVED).await;
        let PaymentDetails::Card(CardPayment::Token(token)) = &approved else {
            panic!("not a token: {approved:?}");
        };
        assert_eq!(
            (token.brand.as_str(), token.last4.as_str()),
            ("visa", "4242")
        );
        assert!(!token.token.contains(CARD_APPROVED));
        assert!(
            provider
                .charge(&request(approved.clone(), 30_900, "order:13:capture"))
                .await
                .is_ok()
        );
        let declined = tokenized(&store, CARD_DECLINED).await;
        assert!(matches!(
            provider
                .charge(&request(declined, 30_900, "order:14:capture"))
                .await,
            Err(PaymentError::Declined(_))
        ));
        let vault = SandboxVault::new(store.clone());
        assert_eq!(
            vault.card(&token.token).await.unwrap().as_ref(),
            Some(token)
        );
        assert_eq!(vault.card("tok_made_up").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_token_the_vault_never_issued_is_declined() {
    on_every_backend(|store| async move {
        let provider = sandbox(&store).for_method(PaymentMethod::Card);
        let forged = PaymentDetails::Card(CardPayment::Token(orderly_domain::CardToken {
            token: "tok_sandbox_forged".into(),
            brand: "visa".into(),
            last4: "4242".into(),
        }));
        assert!(matches!(
            provider
                .charge(&request(forged, 30_900, "order:15:capture"))
                .await,
            Err(PaymentError::Declined(_))
        ));
    })
    .await;
}
