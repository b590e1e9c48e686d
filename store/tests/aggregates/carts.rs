//! Carts: one active cart per user, lines limited by available stock, an
//! add replayed with its `Idempotency-Key` adding nothing, and checkout
//! closing the cart.

use orderly_store::{CartAdd, CartChange, CartRequestKey, CheckoutClaimOutcome};

use crate::support::*;

async fn apples_in_stock(store: &Store, on_hand: i64) {
    store
        .catalog()
        .upsert_product(&Product {
            sku: sku("APPLE"),
            name: "Apples".into(),
            unit: "kg".into(),
            price: inr(12_000),
            active: true,
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .inventory()
        .set_on_hand(&sku("APPLE"), on_hand)
        .await
        .unwrap();
}

fn changed(add: CartAdd) -> orderly_store::Cart {
    match add {
        CartAdd::Done(CartChange::Changed(cart)) => cart,
        other => panic!("the add did not change the cart: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_add_replayed_with_its_key_adds_nothing() {
    on_both(|store| async move {
        apples_in_stock(&store, 10).await;
        let user = new_user(&store, "cart@example.com").await;
        let key = CartRequestKey {
            key: "tap-1".into(),
            request_hash: "hash-1".into(),
        };
        let carts = store.carts();
        let first = changed(
            carts
                .add_to_cart(user, &sku("APPLE"), qty(2), inr(12_000), Some(&key))
                .await
                .unwrap(),
        );
        let again = carts
            .add_to_cart(user, &sku("APPLE"), qty(2), inr(12_000), Some(&key))
            .await
            .unwrap();
        let CartAdd::Replayed { request_hash, cart } = again else {
            panic!("the replay changed the cart: {again:?}");
        };
        assert_eq!(request_hash, "hash-1");
        assert_eq!(cart.id, first.id);
        assert_eq!(cart.items[0].quantity, qty(2));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_line_never_holds_more_than_is_available() {
    on_both(|store| async move {
        apples_in_stock(&store, 3).await;
        let user = new_user(&store, "cart@example.com").await;
        let carts = store.carts();
        changed(
            carts
                .add_to_cart(user, &sku("APPLE"), qty(2), inr(12_000), None)
                .await
                .unwrap(),
        );
        let refused = carts
            .add_to_cart(user, &sku("APPLE"), qty(2), inr(12_000), None)
            .await
            .unwrap();
        assert_eq!(
            refused,
            CartAdd::Done(CartChange::Unavailable(Shortage {
                sku: sku("APPLE"),
                requested: 4,
                available: 3,
            }))
        );
        let cart = carts.active_cart(user).await.unwrap().unwrap();
        assert_eq!(cart.items[0].quantity, qty(2), "a refusal changes nothing");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checking_out_closes_the_cart_and_the_next_change_opens_a_new_one() {
    on_both(|store| async move {
        apples_in_stock(&store, 10).await;
        let user = new_user(&store, "cart@example.com").await;
        let carts = store.carts();
        let cart = changed(
            carts
                .add_to_cart(user, &sku("APPLE"), qty(1), inr(12_000), None)
                .await
                .unwrap(),
        );
        let order = OrderId::new();
        assert_eq!(
            carts.claim_checkout(cart.id, order).await.unwrap(),
            CheckoutClaimOutcome::Claimed
        );
        assert_eq!(carts.finish_checkout(order).await.unwrap(), Some(cart.id));
        assert_eq!(carts.finish_checkout(order).await.unwrap(), None);
        assert!(carts.active_cart(user).await.unwrap().is_none());
        let next = changed(
            carts
                .add_to_cart(user, &sku("APPLE"), qty(1), inr(12_000), None)
                .await
                .unwrap(),
        );
        assert_ne!(next.id, cart.id);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_checkout_claims_on_one_cart_exactly_one_wins() {
    on_both(|store| async move {
        apples_in_stock(&store, 10).await;
        let user = new_user(&store, "cart@example.com").await;
        let cart = changed(
            store
                .carts()
                .add_to_cart(user, &sku("APPLE"), qty(1), inr(12_000), None)
                .await
                .unwrap(),
        );
        let claims = futures::future::join_all((0..10).map(|_| {
            let store = store.clone();
            async move {
                store
                    .carts()
                    .claim_checkout(cart.id, OrderId::new())
                    .await
                    .unwrap()
            }
        }))
        .await;
        let won = claims
            .iter()
            .filter(|claim| **claim == CheckoutClaimOutcome::Claimed)
            .count();
        assert_eq!(won, 1, "{claims:?}");
        assert!(claims.iter().all(|claim| matches!(
            claim,
            CheckoutClaimOutcome::Claimed | CheckoutClaimOutcome::HeldBy(_)
        )));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claimed_cart_refuses_changes_until_its_checkout_gives_it_back() {
    on_both(|store| async move {
        apples_in_stock(&store, 10).await;
        let user = new_user(&store, "cart@example.com").await;
        let carts = store.carts();
        let cart = changed(
            carts
                .add_to_cart(user, &sku("APPLE"), qty(1), inr(12_000), None)
                .await
                .unwrap(),
        );
        let order = OrderId::new();
        carts.claim_checkout(cart.id, order).await.unwrap();
        let refused = carts
            .add_to_cart(user, &sku("APPLE"), qty(1), inr(12_000), None)
            .await
            .unwrap();
        let CartAdd::Done(CartChange::CheckoutInProgress(claim)) = refused else {
            panic!("a change went through a checkout's claim: {refused:?}");
        };
        assert_eq!(claim.order_id, order);
        assert!(matches!(
            carts.empty_cart(user).await.unwrap(),
            CartChange::CheckoutInProgress(_)
        ));
        // The same order claims it again; another order does not.
        assert_eq!(
            carts.claim_checkout(cart.id, order).await.unwrap(),
            CheckoutClaimOutcome::Claimed
        );
        assert!(matches!(
            carts.claim_checkout(cart.id, OrderId::new()).await.unwrap(),
            CheckoutClaimOutcome::HeldBy(_)
        ));
        carts.release_checkout(order).await.unwrap();
        let cart = changed(
            carts
                .add_to_cart(user, &sku("APPLE"), qty(1), inr(12_000), None)
                .await
                .unwrap(),
        );
        assert_eq!(cart.items[0].quantity, qty(2));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_checkouts_cart_is_taken_over_only_from_that_checkout() {
    on_both(|store| async move {
        apples_in_stock(&store, 10).await;
        let user = new_user(&store, "cart@example.com").await;
        let carts = store.carts();
        let cart = changed(
            carts
                .add_to_cart(user, &sku("APPLE"), qty(1), inr(12_000), None)
                .await
                .unwrap(),
        );
        let dead = OrderId::new();
        carts.claim_checkout(cart.id, dead).await.unwrap();
        let next = OrderId::new();
        assert!(matches!(
            carts
                .take_over_checkout(cart.id, OrderId::new(), next)
                .await
                .unwrap(),
            CheckoutClaimOutcome::HeldBy(_)
        ));
        assert_eq!(
            carts.take_over_checkout(cart.id, dead, next).await.unwrap(),
            CheckoutClaimOutcome::Claimed
        );
        let claim = carts
            .cart(cart.id)
            .await
            .unwrap()
            .unwrap()
            .checkout
            .unwrap();
        assert_eq!(claim.order_id, next);
    })
    .await;
}
