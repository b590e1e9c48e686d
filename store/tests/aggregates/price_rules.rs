//! Price rules: bulk tiers replaced as a whole, and festival offers found
//! by the moment of pricing, their start included and their end not.

use orderly_domain::{BulkTier, FestivalOffer};

use crate::support::*;

async fn rice(store: &Store) {
    store
        .catalog()
        .upsert_product(&Product {
            sku: sku("RICE"),
            name: "Rice".into(),
            unit: "kg".into(),
            price: inr(9_000),
            active: true,
            ..Default::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn bulk_tiers_are_replaced_as_a_whole() {
    on_both(|store| async move {
        rice(&store).await;
        let rules = store.price_rules();
        let five = BulkTier {
            min_quantity: 5,
            percent_off: 10,
        };
        let ten = BulkTier {
            min_quantity: 10,
            percent_off: 15,
        };
        rules
            .set_bulk_tiers(&sku("RICE"), &[five, ten])
            .await
            .unwrap();
        rules.set_bulk_tiers(&sku("RICE"), &[ten]).await.unwrap();
        let tiers = rules.bulk_tiers(&[sku("RICE"), sku("NONE")]).await.unwrap();
        assert_eq!(tiers.get(&sku("RICE")), Some(&vec![ten]));
        assert!(!tiers.contains_key(&sku("NONE")));
    })
    .await;
}

#[tokio::test]
async fn an_offer_holds_from_its_start_until_just_before_its_end() {
    on_both(|store| async move {
        let starts_at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let ends_at = Utc.with_ymd_and_hms(2026, 11, 6, 0, 0, 0).unwrap();
        let diwali = FestivalOffer {
            name: "Diwali".into(),
            percent_off: 15,
            skus: Vec::new(),
            categories: vec!["Fruit".into()],
            starts_at,
            ends_at,
        };
        let rules = store.price_rules();
        rules.create_offer(&diwali).await.unwrap();
        assert!(
            rules.create_offer(&diwali).await.is_err(),
            "names are unique"
        );
        let at = |moment| rules.offers_at(moment);
        assert_eq!(at(starts_at).await.unwrap(), std::slice::from_ref(&diwali));
        assert_eq!(
            at(ends_at - Duration::milliseconds(1)).await.unwrap(),
            std::slice::from_ref(&diwali)
        );
        assert!(at(ends_at).await.unwrap().is_empty());
        assert!(
            at(starts_at - Duration::milliseconds(1))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(rules.list_offers().await.unwrap().len(), 1);
    })
    .await;
}
