//! Products.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn products_are_upserted_and_listed_in_sku_order() {
    on_both(|store| async move {
        let product = |raw: &str, price: i64| Product {
            sku: sku(raw),
            name: format!("{raw} name"),
            description: "fresh".into(),
            unit: "kg".into(),
            price: inr(price),
            category: "fruit".into(),
            active: true,
            ..Default::default()
        };
        for raw in ["C-1", "A-1", "B-1", "D-1"] {
            store
                .catalog()
                .upsert_product(&product(raw, 100))
                .await
                .unwrap();
        }
        let repriced = Product {
            active: false,
            ..product("B-1", 250)
        };
        store.catalog().upsert_product(&repriced).await.unwrap();
        assert_eq!(
            store.catalog().product(&sku("B-1")).await.unwrap(),
            Some(repriced.clone())
        );
        assert!(
            store
                .catalog()
                .product(&sku("Z-9"))
                .await
                .unwrap()
                .is_none()
        );

        let first: Vec<Sku> = store
            .catalog()
            .list_products(None, 2)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.sku)
            .collect();
        assert_eq!(first, vec![sku("A-1"), sku("B-1")]);
        let second: Vec<Sku> = store
            .catalog()
            .list_products(Some(&sku("B-1")), 2)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.sku)
            .collect();
        assert_eq!(second, vec![sku("C-1"), sku("D-1")]);

        let some = store
            .catalog()
            .products_by_skus(&[sku("D-1"), sku("B-1"), sku("Z-9")])
            .await
            .unwrap();
        assert_eq!(some, vec![repriced, product("D-1", 100)]);
        assert!(
            store
                .catalog()
                .products_by_skus(&[])
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}
