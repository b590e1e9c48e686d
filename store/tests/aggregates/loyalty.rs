//! Loyalty points: a received order's points follow what was paid for it,
//! entry by entry, and points spent at once are never spent twice.

use futures::future::join_all;

use crate::support::*;

fn received(customer: UserId, captured: i64, refunded: i64, version: u64) -> OrderView {
    let mut view = order_view(OrderId::new(), customer, OrderStatus::Delivered, version);
    view.payment.receipt.captured = inr(captured);
    view.payment.receipt.refunded = inr(refunded);
    view
}

#[tokio::test]
async fn a_received_order_s_points_follow_what_was_paid_and_old_views_change_nothing() {
    on_both(|store| async move {
        let customer = new_user(&store, "points@example.com").await;
        let loyalty = store.loyalty();
        let delivered = received(customer, 250_000, 0, 5);
        loyalty.settle_order(&delivered, 2).await.unwrap();
        loyalty.settle_order(&delivered, 2).await.unwrap();
        assert_eq!(loyalty.balance(customer).await.unwrap(), 50);
        let mut refunded = delivered.clone();
        refunded.version = 7;
        refunded.payment.receipt.refunded = inr(100_000);
        loyalty.settle_order(&refunded, 9).await.unwrap();
        assert_eq!(
            loyalty.balance(customer).await.unwrap(),
            30,
            "the first rate stays"
        );
        loyalty.settle_order(&delivered, 2).await.unwrap();
        assert_eq!(
            loyalty.balance(customer).await.unwrap(),
            30,
            "an older view is ignored"
        );
        let entries = loyalty.entries(customer).await.unwrap();
        let sum: i64 = entries.iter().map(|e| e.points).sum();
        assert_eq!(sum, 30, "the balance is the sum of the ledger");
    })
    .await;
}

#[tokio::test]
async fn points_spent_at_once_are_spent_once_and_come_back_once() {
    on_both(|store| async move {
        let customer = new_user(&store, "points@example.com").await;
        let loyalty = store.loyalty();
        loyalty
            .settle_order(&received(customer, 1_000_000, 0, 1), 1)
            .await
            .unwrap();
        assert_eq!(loyalty.balance(customer).await.unwrap(), 100);
        let orders: Vec<OrderId> = (0..6).map(|_| OrderId::new()).collect();
        let spent = join_all(
            orders
                .iter()
                .map(|order| loyalty.spend(customer, *order, 40)),
        )
        .await;
        let taken: Vec<OrderId> = orders
            .iter()
            .zip(&spent)
            .filter(|(_, spent)| matches!(spent, Ok(true)))
            .map(|(order, _)| *order)
            .collect();
        assert_eq!(taken.len(), 2, "{spent:?}");
        assert_eq!(loyalty.balance(customer).await.unwrap(), 20);
        assert!(
            loyalty.spend(customer, taken[0], 40).await.unwrap(),
            "a retry is the same spend"
        );
        assert_eq!(loyalty.balance(customer).await.unwrap(), 20);
        loyalty.give_back(taken[0]).await.unwrap();
        loyalty.give_back(taken[0]).await.unwrap();
        assert_eq!(loyalty.balance(customer).await.unwrap(), 60);
        let sum: i64 = loyalty
            .entries(customer)
            .await
            .unwrap()
            .iter()
            .map(|e| e.points)
            .sum();
        assert_eq!(sum, 60);
    })
    .await;
}
