//! The index's behaviour on a small, known catalogue: ranking, typos,
//! suggestions, filters, counts and orderings.

use std::path::PathBuf;

use orderly_domain::{Currency, Money, Sku};

use super::*;

/// An index in a temporary folder, removed when dropped.
struct Scratch {
    dir: PathBuf,
    index: ProductIndex,
}

impl Scratch {
    fn with(documents: Vec<SearchDocument>) -> Scratch {
        let dir = std::env::temp_dir().join(format!("orderly-search-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let index = ProductIndex::live_create(&dir).expect("an index");
        index.add_all(documents).expect("indexing");
        Scratch { dir, index }
    }

    fn skus(&self, query: &SearchQuery) -> Vec<String> {
        let results = self.index.search(query).expect("a search");
        results
            .hits
            .into_iter()
            .map(|hit| hit.sku.to_string())
            .collect()
    }

    fn find(&self, text: &str) -> Vec<String> {
        self.skus(&SearchQuery::text(text))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn product(sku: &str, name: &str, description: &str, category: &str, price: i64) -> SearchDocument {
    SearchDocument {
        sku: Sku::parse(sku).expect("a valid sku"),
        name: name.into(),
        description: description.into(),
        unit: "kg".into(),
        price: Money::new(price, Currency::INR),
        category: CategoryPath::from_name(category),
        origin: None,
        organic: false,
        rating: RatingSummary::default(),
    }
}

fn catalogue() -> Vec<SearchDocument> {
    let mut shimla = product(
        "APPLE-SHIMLA",
        "Shimla apples",
        "Crisp red apples from the hills",
        "Fruit",
        18_000,
    );
    shimla.origin = Some("India".into());
    shimla.rating = RatingSummary {
        average: 4.1,
        count: 12,
    };
    let mut fuji = product(
        "APPLE-FUJI",
        "Organic Fuji apple",
        "Sweet and juicy",
        "Fruit",
        32_000,
    );
    fuji.origin = Some("Japan".into());
    fuji.organic = true;
    fuji.rating = RatingSummary {
        average: 4.8,
        count: 3,
    };
    let mut bananas = product(
        "BANANA-ROBUSTA",
        "Robusta bananas",
        "Ripe yellow bananas",
        "Fruit",
        6_000,
    );
    bananas.rating = RatingSummary {
        average: 3.5,
        count: 40,
    };
    vec![
        shimla,
        fuji,
        bananas,
        product(
            "MANGO-ALPHONSO",
            "Alphonso mangoes",
            "The king of mangoes",
            "Fruit",
            60_000,
        ),
        product(
            "JAM-MIXED",
            "Mixed fruit jam",
            "Made with apple and mango pulp",
            "Pantry",
            25_000,
        ),
        product(
            "CARROT-ORANGE",
            "Orange carrots",
            "Crunchy and sweet",
            "Vegetables",
            4_000,
        ),
    ]
}

#[test]
fn a_name_match_ranks_above_a_description_match() {
    let scratch = Scratch::with(catalogue());
    let found = scratch.find("apple");
    assert!(found.len() >= 3, "{found:?}");
    assert_eq!(
        found.last().map(String::as_str),
        Some("JAM-MIXED"),
        "{found:?}"
    );
}

#[test]
fn a_doubled_letter_typo_still_finds_bananas() {
    let scratch = Scratch::with(catalogue());
    assert_eq!(scratch.find("bananna"), ["BANANA-ROBUSTA"]);
}

#[test]
fn a_word_missing_a_letter_finds_apples() {
    let scratch = Scratch::with(catalogue());
    let found = scratch.find("aple");
    assert!(found.contains(&"APPLE-SHIMLA".to_owned()), "{found:?}");
    assert!(found.contains(&"APPLE-FUJI".to_owned()), "{found:?}");
}

#[test]
fn an_exact_word_ranks_above_a_word_one_typo_away() {
    let scratch = Scratch::with(vec![
        product("PEAS-1", "Peas", "Peas", "Vegetables", 5_000),
        product(
            "PEAR-1",
            "Green Anjou pears from the valley orchards",
            "Picked late",
            "Fruit",
            9_000,
        ),
    ]);
    // "pears" is one edit from "peas", whose short name would otherwise
    // score higher.
    assert_eq!(scratch.find("pears"), ["PEAR-1", "PEAS-1"]);
}

#[test]
fn short_words_allow_no_typos() {
    let scratch = Scratch::with(catalogue());
    assert!(scratch.find("jan").is_empty());
}

#[test]
fn every_word_typed_must_match() {
    let scratch = Scratch::with(catalogue());
    assert_eq!(scratch.find("organic apple"), ["APPLE-FUJI"]);
}

#[test]
fn suggestions_complete_the_last_word_of_a_name() {
    let scratch = Scratch::with(catalogue());
    assert_eq!(
        scratch.index.suggest("man", 10).expect("suggestions"),
        ["Alphonso mangoes"]
    );
    let apples = scratch.index.suggest("shimla ap", 10).expect("suggestions");
    assert_eq!(apples, ["Shimla apples"]);
    assert!(
        scratch
            .index
            .suggest("   ", 10)
            .expect("suggestions")
            .is_empty()
    );
}

#[test]
fn filters_narrow_the_results_and_counts_ignore_only_the_category_filter() {
    let scratch = Scratch::with(catalogue());
    let mut query = SearchQuery::text("");
    query.filters.category = Some("fruit".into());
    query.filters.max_price = Some(20_000);
    let results = scratch.index.search(&query).expect("a search");
    let mut skus: Vec<_> = results.hits.iter().map(|h| h.sku.to_string()).collect();
    skus.sort();
    assert_eq!(skus, ["APPLE-SHIMLA", "BANANA-ROBUSTA"]);
    assert_eq!(results.total, 2);
    // Within the price limit, whatever the category.
    assert_eq!(results.categories.get("fruit"), Some(&2));
    assert_eq!(results.categories.get("vegetables"), Some(&1));
    assert_eq!(results.categories.get("pantry"), None);

    let mut organic = SearchQuery::text("apple");
    organic.filters.organic = Some(true);
    assert_eq!(scratch.skus(&organic), ["APPLE-FUJI"]);

    let mut origin = SearchQuery::text("");
    origin.filters.origin = Some("INDIA".into());
    assert_eq!(scratch.skus(&origin), ["APPLE-SHIMLA"]);

    let mut excluded = SearchQuery::text("apples");
    excluded.filters.excluded = vec![Sku::parse("APPLE-SHIMLA").expect("sku")];
    assert!(!scratch.skus(&excluded).contains(&"APPLE-SHIMLA".to_owned()));
}

#[test]
fn results_sort_by_price_either_way_and_by_rating() {
    let scratch = Scratch::with(catalogue());
    let mut query = SearchQuery::text("");
    query.filters.category = Some("fruit".into());
    query.sort = SortOrder::PriceAscending;
    assert_eq!(
        scratch.skus(&query),
        [
            "BANANA-ROBUSTA",
            "APPLE-SHIMLA",
            "APPLE-FUJI",
            "MANGO-ALPHONSO"
        ]
    );
    query.sort = SortOrder::PriceDescending;
    assert_eq!(
        scratch.skus(&query),
        [
            "MANGO-ALPHONSO",
            "APPLE-FUJI",
            "APPLE-SHIMLA",
            "BANANA-ROBUSTA"
        ]
    );
    query.sort = SortOrder::Rating;
    assert_eq!(
        scratch.skus(&query)[..3],
        ["APPLE-FUJI", "APPLE-SHIMLA", "BANANA-ROBUSTA"]
    );
}

#[test]
fn pages_follow_each_other_without_overlap() {
    let scratch = Scratch::with(catalogue());
    let mut query = SearchQuery::text("");
    query.sort = SortOrder::PriceAscending;
    query.limit = 4;
    let first = scratch.skus(&query);
    query.offset = 4;
    let second = scratch.skus(&query);
    assert_eq!(first.len(), 4);
    assert_eq!(second.len(), 2);
    assert!(second.iter().all(|sku| !first.contains(sku)));
}

#[test]
fn an_upsert_replaces_the_product_and_a_removal_drops_it() {
    let scratch = Scratch::with(catalogue());
    let mut carrots = product(
        "CARROT-ORANGE",
        "Purple carrots",
        "Heirloom",
        "Vegetables",
        4_500,
    );
    carrots.organic = true;
    scratch.index.upsert(&carrots).expect("upsert");
    assert_eq!(scratch.find("purple"), ["CARROT-ORANGE"]);
    assert!(scratch.find("orange").is_empty());
    assert_eq!(scratch.index.len(), 6);
    scratch
        .index
        .remove(&Sku::parse("CARROT-ORANGE").expect("sku"))
        .expect("removal");
    assert!(scratch.find("carrots").is_empty());
}
