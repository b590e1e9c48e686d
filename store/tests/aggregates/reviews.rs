//! Reviews and rating totals.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_review_writes_keep_one_review_per_author_and_exact_rating_totals() {
    use orderly_domain::Rating;
    use orderly_store::{ReviewDraft, ReviewOrder};
    on_both(|store| async move {
        let product = sku("MANGO-1KG");
        let mut authors = Vec::new();
        for n in 0..8 {
            authors.push(new_user(&store, &format!("reviewer{n}@example.test")).await);
        }
        // Every author writes three times at once: one create, two edits,
        // racing each other and the other authors.
        let writes = authors.iter().flat_map(|author| {
            let store = store.clone();
            let product = product.clone();
            (1..=3).map(move |stars| {
                let store = store.clone();
                let draft = ReviewDraft {
                    sku: product.clone(),
                    author_id: *author,
                    rating: Rating::parse(stars).expect("a rating"),
                    title: None,
                    text: None,
                };
                async move {
                    store
                        .reviews()
                        .upsert_review(&draft)
                        .await
                        .expect("a review write")
                }
            })
        });
        futures::future::join_all(writes).await;

        let reviews = store
            .reviews()
            .reviews_for_product(&product, ReviewOrder::Newest { before: None }, 100)
            .await
            .unwrap();
        assert_eq!(reviews.len(), authors.len(), "one review per author");
        let stored_sum: i64 = reviews.iter().map(|r| i64::from(r.rating.get())).sum();
        let ratings = store
            .reviews()
            .product_ratings(std::slice::from_ref(&product))
            .await
            .unwrap();
        assert_eq!(ratings.len(), 1);
        let (_, average, count) = &ratings[0];
        assert_eq!(*count, authors.len() as i64);
        assert_eq!(*average, stored_sum as f64 / authors.len() as f64);
    })
    .await;
}
