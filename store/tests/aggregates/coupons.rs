//! Coupons: a use is taken once per order, never past the coupon's limits
//! however many orders ask at once, and given back once by a checkout that
//! placed nothing.

use futures::future::join_all;
use orderly_domain::{Coupon, CouponCode, CouponValue};
use orderly_store::Redemption;

use crate::support::*;

fn coupon(code: &str, total_uses: Option<u32>, per_customer: Option<u32>) -> Coupon {
    Coupon {
        code: CouponCode::parse(code).unwrap(),
        value: CouponValue::Percent(10),
        min_basket: None,
        starts_at: None,
        ends_at: None,
        per_customer,
        total_uses,
        skus: Vec::new(),
        categories: Vec::new(),
        active: true,
    }
}

#[tokio::test]
async fn concurrent_redemptions_take_no_more_uses_than_the_coupon_has() {
    on_both(|store| async move {
        let last = coupon("LAST3", Some(3), None);
        store.coupons().create_coupon(&last).await.unwrap();
        let customer = new_user(&store, "coupon@example.com").await;
        let coupons = store.coupons();
        let outcomes =
            join_all((0..10).map(|_| coupons.redeem(&last.code, OrderId::new(), customer))).await;
        let redeemed = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Redemption::Redeemed)))
            .count();
        assert_eq!(redeemed, 3, "{outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Ok(Redemption::Redeemed | Redemption::UsedUp)))
        );
        let stored = coupons.coupon(&last.code).await.unwrap().unwrap();
        assert_eq!(stored.uses, 3);
    })
    .await;
}

#[tokio::test]
async fn a_redemption_is_taken_once_per_order_and_given_back_once() {
    on_both(|store| async move {
        let once = coupon("ONCE", None, Some(1));
        let coupons = store.coupons();
        coupons.create_coupon(&once).await.unwrap();
        assert!(
            coupons.create_coupon(&once).await.is_err(),
            "codes are unique"
        );
        let customer = new_user(&store, "coupon@example.com").await;
        let order = OrderId::new();
        assert_eq!(
            coupons.redeem(&once.code, order, customer).await.unwrap(),
            Redemption::Redeemed
        );
        assert_eq!(
            coupons.redeem(&once.code, order, customer).await.unwrap(),
            Redemption::Redeemed,
            "a retry of the same order takes no second use"
        );
        assert_eq!(
            coupons
                .redeem(&once.code, OrderId::new(), customer)
                .await
                .unwrap(),
            Redemption::CustomerLimit
        );
        assert_eq!(coupons.coupon(&once.code).await.unwrap().unwrap().uses, 1);
        assert!(coupons.release_redemption(order).await.unwrap());
        assert!(!coupons.release_redemption(order).await.unwrap());
        assert_eq!(coupons.coupon(&once.code).await.unwrap().unwrap().uses, 0);
        assert_eq!(
            coupons
                .redeem(&once.code, OrderId::new(), customer)
                .await
                .unwrap(),
            Redemption::Redeemed,
            "the use given back can be taken again"
        );
        let unknown = CouponCode::parse("NOSUCH").unwrap();
        assert_eq!(
            coupons
                .redeem(&unknown, OrderId::new(), customer)
                .await
                .unwrap(),
            Redemption::Unknown
        );
    })
    .await;
}
