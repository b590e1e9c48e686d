//! `orderly bench-search`: the search figures of the README, measured.
//!
//! Generates a deterministic catalogue (produce names with adjectives,
//! categories two levels deep, origins, prices, ratings; the same catalogue
//! on every run), indexes it into a temporary folder with the same code the
//! API uses, then times searches in-process: two-word queries with one
//! filter (the target: p99 under 10 ms on 100,000 products), the same with
//! a typo, filtered browsing sorted by price, and search-box suggestions.
//! HTTP and the database are left out on purpose: they are measured by
//! `orderly bench`, and would hide the index's own cost.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use orderly_domain::{Currency, Money, Sku};
use orderly_search::{
    CategoryPath, Filters, ProductIndex, RatingSummary, SearchDocument, SearchQuery, SortOrder,
};

#[derive(Debug, Clone, Args)]
pub struct BenchSearchArgs {
    /// Products in the generated catalogue.
    #[arg(long, default_value_t = 100_000)]
    pub products: usize,
    /// Timed searches per kind of query (after 100 untimed warm-up ones).
    #[arg(long, default_value_t = 2_000)]
    pub queries: usize,
    /// Indexing threads for the build (the live index uses one).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// (name, category slug, parent slug)
const PRODUCE: [(&str, &str, &str); 40] = [
    ("apple", "apples", "fruit"),
    ("pear", "orchard-fruit", "fruit"),
    ("plum", "orchard-fruit", "fruit"),
    ("peach", "orchard-fruit", "fruit"),
    ("cherry", "berries", "fruit"),
    ("strawberry", "berries", "fruit"),
    ("blueberry", "berries", "fruit"),
    ("raspberry", "berries", "fruit"),
    ("orange", "citrus", "fruit"),
    ("lemon", "citrus", "fruit"),
    ("lime", "citrus", "fruit"),
    ("grapefruit", "citrus", "fruit"),
    ("mango", "tropical-fruit", "fruit"),
    ("banana", "tropical-fruit", "fruit"),
    ("pineapple", "tropical-fruit", "fruit"),
    ("papaya", "tropical-fruit", "fruit"),
    ("guava", "tropical-fruit", "fruit"),
    ("kiwi", "tropical-fruit", "fruit"),
    ("grape", "vine-fruit", "fruit"),
    ("melon", "vine-fruit", "fruit"),
    ("watermelon", "vine-fruit", "fruit"),
    ("carrot", "root-vegetables", "vegetables"),
    ("potato", "root-vegetables", "vegetables"),
    ("beetroot", "root-vegetables", "vegetables"),
    ("radish", "root-vegetables", "vegetables"),
    ("onion", "alliums", "vegetables"),
    ("garlic", "alliums", "vegetables"),
    ("leek", "alliums", "vegetables"),
    ("spinach", "leafy-greens", "vegetables"),
    ("lettuce", "leafy-greens", "vegetables"),
    ("cabbage", "leafy-greens", "vegetables"),
    ("kale", "leafy-greens", "vegetables"),
    ("tomato", "fruiting-vegetables", "vegetables"),
    ("cucumber", "fruiting-vegetables", "vegetables"),
    ("pepper", "fruiting-vegetables", "vegetables"),
    ("aubergine", "fruiting-vegetables", "vegetables"),
    ("pumpkin", "gourds", "vegetables"),
    ("okra", "gourds", "vegetables"),
    ("broccoli", "brassicas", "vegetables"),
    ("cauliflower", "brassicas", "vegetables"),
];

const ADJECTIVES: [&str; 24] = [
    "fresh", "ripe", "sweet", "crisp", "juicy", "golden", "red", "green", "baby", "heirloom",
    "wild", "seedless", "giant", "tender", "farm", "hill", "valley", "sunny", "winter", "summer",
    "royal", "premium", "classic", "tangy",
];

const ORIGINS: [&str; 16] = [
    "Nashik, India",
    "Shimla, India",
    "Ratnagiri, India",
    "Ooty, India",
    "Kerala, India",
    "Punjab, India",
    "Kashmir, India",
    "Assam, India",
    "Kenya",
    "Spain",
    "Chile",
    "New Zealand",
    "Italy",
    "Peru",
    "Thailand",
    "Egypt",
];

const PACKS: [&str; 6] = ["250 g", "500 g", "1 kg", "2 kg", "bunch", "box"];

const DESCRIPTIONS: [&str; 6] = [
    "Picked at dawn and packed the same day",
    "Grown without shortcuts by a family farm",
    "Hand sorted for size and colour",
    "A kitchen staple with a long shelf life",
    "Best eaten within a few days of delivery",
    "Sourced from a cooperative of small growers",
];

/// A fixed-seed generator (SplitMix64): the same catalogue and queries on
/// every run, so figures from two runs compare.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).unwrap_or(u64::MAX).max(1);
        let at = usize::try_from(self.next() % len).unwrap_or(0);
        &items[at]
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn catalogue(products: usize) -> anyhow::Result<Vec<SearchDocument>> {
    let mut dice = Dice(0x0D0E_5EED);
    (0..products)
        .map(|i| {
            let (produce, category, parent) = *dice.pick(&PRODUCE);
            let adjective = dice.pick(&ADJECTIVES);
            let organic = dice.below(10) < 3;
            let pack = dice.pick(&PACKS);
            let name = format!(
                "{}{} {} {pack}",
                if organic { "Organic " } else { "" },
                capitalised(adjective),
                plural(produce),
            );
            Ok(SearchDocument {
                sku: Sku::parse(&format!("GEN-{i:07}"))?,
                name,
                description: dice.pick(&DESCRIPTIONS).to_string(),
                unit: "each".into(),
                price: Money::new(
                    i64::try_from(2_000 + dice.below(98_000)).unwrap_or(2_000),
                    Currency::INR,
                ),
                category: Some(CategoryPath {
                    slugs: vec![parent.to_owned(), category.to_owned()],
                    names: vec![
                        capitalised(parent),
                        capitalised(&category.replace('-', " ")),
                    ],
                }),
                origin: Some(dice.pick(&ORIGINS).to_string()),
                organic,
                rating: RatingSummary {
                    average: f64::from(u32::try_from(dice.below(41)).unwrap_or(0)) / 10.0 + 1.0,
                    count: dice.below(500),
                },
            })
        })
        .collect()
}

fn plural(word: &str) -> String {
    if let Some(stem) = word.strip_suffix('y') {
        format!("{stem}ies")
    } else if word.ends_with('o') || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Two words and one filter, like a shopper's search with a facet picked.
fn two_word_query(dice: &mut Dice, typo: bool) -> SearchQuery {
    let (produce, category, parent) = *dice.pick(&PRODUCE);
    let first = if dice.below(2) == 0 {
        "organic"
    } else {
        dice.pick(&ADJECTIVES)
    };
    let second = if typo {
        misspelt(produce)
    } else {
        produce.to_owned()
    };
    let mut query = SearchQuery::text(format!("{first} {second}"));
    query.filters = match dice.below(4) {
        0 => Filters {
            category: Some(category.to_owned()),
            ..Filters::default()
        },
        1 => Filters {
            category: Some(parent.to_owned()),
            ..Filters::default()
        },
        2 => Filters {
            max_price: Some(50_000),
            ..Filters::default()
        },
        _ => Filters {
            origin: Some("india".into()),
            ..Filters::default()
        },
    };
    query
}

/// The word with its second letter doubled ("mango" → "maango"): one edit.
fn misspelt(word: &str) -> String {
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        out.push(c);
        if i == 1 {
            out.push(c);
        }
    }
    out
}

fn browse_query(dice: &mut Dice) -> SearchQuery {
    let (_, category, _) = *dice.pick(&PRODUCE);
    let mut query = SearchQuery::text("");
    query.filters.category = Some(category.to_owned());
    query.sort = if dice.below(2) == 0 {
        SortOrder::PriceAscending
    } else {
        SortOrder::Rating
    };
    query
}

struct Timings {
    label: &'static str,
    latencies: Vec<Duration>,
    hits: u64,
}

impl Timings {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    fn row(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let n = self.latencies.len().max(1) as u64;
        format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            self.label,
            self.latencies.len(),
            ms(self.percentile(50.0)),
            ms(self.percentile(95.0)),
            ms(self.percentile(99.0)),
            ms(self.percentile(100.0)),
            self.hits / n,
        )
    }
}

fn time_searches(
    index: &ProductIndex,
    label: &'static str,
    count: usize,
    mut make: impl FnMut() -> SearchQuery,
) -> anyhow::Result<Timings> {
    for _ in 0..100 {
        index.search(&make())?;
    }
    let mut timings = Timings {
        label,
        latencies: Vec::with_capacity(count),
        hits: 0,
    };
    for _ in 0..count {
        let query = make();
        let started = Instant::now();
        let results = index.search(&query)?;
        timings.latencies.push(started.elapsed());
        timings.hits += results.total;
    }
    Ok(timings)
}

fn time_suggestions(index: &ProductIndex, count: usize) -> anyhow::Result<Timings> {
    let mut dice = Dice(0x5A6E_5700);
    let mut timings = Timings {
        label: "suggestions for a 3-letter prefix",
        latencies: Vec::with_capacity(count),
        hits: 0,
    };
    for _ in 0..count {
        let (produce, _, _) = *dice.pick(&PRODUCE);
        let prefix: String = produce.chars().take(3).collect();
        let started = Instant::now();
        let names = index.suggest(&prefix, 10)?;
        timings.latencies.push(started.elapsed());
        timings.hits += u64::try_from(names.len()).unwrap_or(0);
    }
    Ok(timings)
}

fn folder_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .filter(|meta| meta.is_file())
                .map(|meta| meta.len())
                .sum()
        })
        .unwrap_or(0)
}

pub fn run(args: BenchSearchArgs) -> anyhow::Result<()> {
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "orderly-bench-search-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let outcome = measure(&args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{}", outcome?);
    Ok(())
}

fn measure(args: &BenchSearchArgs, dir: &std::path::Path) -> anyhow::Result<String> {
    eprintln!("bench-search: generating {} products", args.products);
    let documents = catalogue(args.products)?;
    eprintln!("bench-search: indexing");
    let started = Instant::now();
    let index = ProductIndex::create(dir, args.threads.max(1), 256_000_000)?;
    index.add_all(documents)?;
    let build = started.elapsed();
    let size_mib = folder_size(dir) as f64 / (1024.0 * 1024.0);

    let queries = args.queries.max(1);
    eprintln!("bench-search: timing {queries} searches of each kind");
    let mut dice = Dice(0xBE4C_0001);
    let plain = time_searches(&index, "two words + one filter", queries, || {
        two_word_query(&mut dice, false)
    })?;
    let typo = time_searches(
        &index,
        "two words (one misspelt) + one filter",
        queries,
        || two_word_query(&mut dice, true),
    )?;
    let browse = time_searches(
        &index,
        "category browse sorted by price or rating",
        queries,
        || browse_query(&mut dice),
    )?;
    let suggest = time_suggestions(&index, queries)?;

    let verdict = if plain.percentile(99.0) < Duration::from_millis(10) {
        "met"
    } else {
        "MISSED"
    };
    Ok(format!(
        "Search over {} products ({} indexing threads): built in {:.2} s, index {:.1} MiB on disk\n\n\
         | query | n | p50 ms | p95 ms | p99 ms | max ms | mean matches |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n{}\n{}\n{}\n{}\n\n\
         Target p99 < 10 ms for two words + one filter: {verdict}",
        index.len(),
        args.threads.max(1),
        build.as_secs_f64(),
        size_mib,
        plain.row(),
        typo.row(),
        browse.row(),
        suggest.row(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_catalogue_is_the_same_on_every_run() {
        let first = catalogue(50).expect("a catalogue");
        assert_eq!(first, catalogue(50).expect("a catalogue"));
        assert!(
            first
                .iter()
                .all(|p| p.category.is_some() && p.price.amount >= 2_000)
        );
    }

    #[test]
    fn produce_names_take_their_english_plurals() {
        assert_eq!(plural("cherry"), "cherries");
        assert_eq!(plural("peach"), "peaches");
        assert_eq!(plural("mango"), "mangoes");
        assert_eq!(plural("apple"), "apples");
        assert_eq!(misspelt("mango"), "maango");
    }

    #[test]
    fn an_organic_apple_search_on_the_generated_catalogue_finds_organic_apples() {
        let dir = std::env::temp_dir().join(format!("orderly-bench-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let index = ProductIndex::create(&dir, 1, 32_000_000).expect("an index");
        index
            .add_all(catalogue(2_000).expect("a catalogue"))
            .expect("indexing");
        let mut query = SearchQuery::text("organic aple");
        query.filters.category = Some("fruit".into());
        let results = index.search(&query).expect("a search");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(results.total > 0);
        for hit in results.hits {
            assert!(hit.organic && hit.name.contains("apples"), "{}", hit.name);
        }
    }
}
