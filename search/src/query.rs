//! Turning what a shopper typed and picked into tantivy queries.
//!
//! Each typed word must match (so "organic apple" narrows rather than
//! widens), in any of the text fields. A word matches exactly (BM25, the
//! name weighing most) or, from four letters on, within one edit (two from
//! eight letters) of an indexed word; typo matches score a small constant,
//! so a product that has the word as typed always ranks above one that only
//! has something close to it.

use std::ops::Bound;

use orderly_domain::Sku;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery,
    TermQuery, TermSetQuery,
};
use tantivy::schema::IndexRecordOption;

use super::fields::{Fields, MAX_PREFIX_CHARS, text_analyzer, tokens, word_analyzer};

/// How much a name match outweighs the same match elsewhere.
const NAME_BOOST: f32 = 3.0;
/// A typo match scores this much of the field's weight, whatever BM25 would
/// say: always less than an exact match in the same field plus this.
const FUZZY_SCORE: f32 = 0.2;

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortOrder {
    #[default]
    Relevance,
    PriceAscending,
    PriceDescending,
    /// Best average rating first.
    Rating,
}

impl SortOrder {
    pub const NAMES: [&'static str; 4] = ["relevance", "price_asc", "price_desc", "rating"];

    pub fn parse(raw: &str) -> Option<SortOrder> {
        match raw {
            "relevance" => Some(SortOrder::Relevance),
            "price_asc" => Some(SortOrder::PriceAscending),
            "price_desc" => Some(SortOrder::PriceDescending),
            "rating" => Some(SortOrder::Rating),
            _ => None,
        }
    }
}

/// Narrowing of the results; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// A category slug; its sub-categories are included.
    pub category: Option<String>,
    /// Lowest price in minor units, inclusive.
    pub min_price: Option<u64>,
    /// Highest price in minor units, inclusive.
    pub max_price: Option<u64>,
    /// The whole origin or one of its comma-separated parts, any case.
    pub origin: Option<String>,
    pub organic: Option<bool>,
    /// SKUs left out, whatever else matches: the ones with nothing in stock
    /// when the shopper asks for in-stock products only.
    pub excluded: Vec<Sku>,
}

/// One search: text, filters, order and the page wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Free text; empty lists everything that passes the filters.
    pub text: String,
    pub filters: Filters,
    pub sort: SortOrder,
    /// Results skipped (the page's cursor).
    pub offset: usize,
    /// Results returned, at least 1.
    pub limit: usize,
}

impl SearchQuery {
    pub fn text(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            filters: Filters::default(),
            sort: SortOrder::Relevance,
            offset: 0,
            limit: 20,
        }
    }
}

/// How many typos a word of `chars` letters may carry.
pub fn allowed_edits(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The scored part: every word of `text`, each in any text field.
pub(super) fn text_query(fields: &Fields, text: &str) -> Box<dyn Query> {
    let mut stemmer = text_analyzer();
    let words: Vec<Box<dyn Query>> = tokens(&mut word_analyzer(), text)
        .into_iter()
        .filter_map(|word| {
            let stem = tokens(&mut stemmer, &word).pop()?;
            Some(word_query(
                fields,
                &stem,
                allowed_edits(word.chars().count()),
            ))
        })
        .collect();
    if words.is_empty() {
        return Box::new(AllQuery);
    }
    must_all(words)
}

fn word_query(fields: &Fields, stem: &str, edits: u8) -> Box<dyn Query> {
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let weighted = [
        (fields.name, NAME_BOOST),
        (fields.description, 1.0),
        (fields.category_text, 1.0),
        (fields.origin_text, 1.0),
        (fields.labels, 1.0),
    ];
    for (field, weight) in weighted {
        let term = Term::from_field_text(field, stem);
        let exact = TermQuery::new(term, IndexRecordOption::WithFreqs);
        alternatives.push((Occur::Should, boosted(Box::new(exact), weight)));
    }
    if edits > 0 {
        for (field, weight) in [(fields.name, NAME_BOOST), (fields.description, 1.0)] {
            let term = Term::from_field_text(field, stem);
            let fuzzy = FuzzyTermQuery::new(term, edits, true);
            alternatives.push((
                Occur::Should,
                boosted(Box::new(fuzzy), weight * FUZZY_SCORE),
            ));
        }
    }
    Box::new(BooleanQuery::new(alternatives))
}

/// The search box: the last word, as typed so far, is a name prefix; the
/// words before it must be in the name (typos allowed).
pub(super) fn suggestion_query(fields: &Fields, text: &str) -> Option<Box<dyn Query>> {
    let mut words = tokens(&mut word_analyzer(), text);
    let last = words.pop()?;
    let prefix: String = last.chars().take(MAX_PREFIX_CHARS).collect();
    let mut stemmer = text_analyzer();
    let mut clauses: Vec<Box<dyn Query>> = vec![Box::new(TermQuery::new(
        Term::from_field_text(fields.name_prefixes, &prefix),
        IndexRecordOption::WithFreqs,
    ))];
    for word in words {
        if let Some(stem) = tokens(&mut stemmer, &word).pop() {
            let term = Term::from_field_text(fields.name, &stem);
            let edits = allowed_edits(word.chars().count());
            clauses.push(Box::new(FuzzyTermQuery::new(term, edits, true)));
        }
    }
    Some(must_all(clauses))
}

/// The filters as unscored clauses. `with_category` is false for the
/// category counts, which show what each category would hold if picked.
pub(super) fn filter_clauses(
    fields: &Fields,
    filters: &Filters,
    with_category: bool,
) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(category) = filters.category.as_deref().filter(|_| with_category) {
        clauses.push((Occur::Must, exact(fields.category_path, category)));
    }
    if let Some(origin) = &filters.origin {
        clauses.push((
            Occur::Must,
            exact(fields.origin, &origin.trim().to_lowercase()),
        ));
    }
    if let Some(organic) = filters.organic {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_bool(fields.organic, organic),
                IndexRecordOption::Basic,
            )),
        ));
    }
    if filters.min_price.is_some() || filters.max_price.is_some() {
        let bound = |value: Option<u64>| match value {
            Some(value) => Bound::Included(Term::from_field_u64(fields.price, value)),
            None => Bound::Unbounded,
        };
        clauses.push((
            Occur::Must,
            Box::new(RangeQuery::new(
                bound(filters.min_price),
                bound(filters.max_price),
            )),
        ));
    }
    if !filters.excluded.is_empty() {
        let terms = filters
            .excluded
            .iter()
            .map(|sku| Term::from_field_text(fields.sku, sku.as_str()));
        clauses.push((Occur::MustNot, Box::new(TermSetQuery::new(terms))));
    }
    clauses
}

/// `scored` restricted by `filters`; the filters do not change the score.
pub(super) fn filtered(
    scored: Box<dyn Query>,
    filters: Vec<(Occur, Box<dyn Query>)>,
) -> Box<dyn Query> {
    if filters.is_empty() {
        return scored;
    }
    let mut clauses = vec![(Occur::Must, scored)];
    clauses.extend(
        filters
            .into_iter()
            .map(|(occur, query)| (occur, unscored(query))),
    );
    Box::new(BooleanQuery::new(clauses))
}

fn exact(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn unscored(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

fn must_all(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Must, q)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_words_must_be_exact_and_long_ones_may_carry_two_typos() {
        assert_eq!(allowed_edits(3), 0);
        assert_eq!(allowed_edits(4), 1);
        assert_eq!(allowed_edits(7), 1);
        assert_eq!(allowed_edits(8), 2);
    }

    #[test]
    fn every_sort_name_parses_and_nothing_else_does() {
        for name in SortOrder::NAMES {
            assert!(SortOrder::parse(name).is_some(), "{name}");
        }
        assert_eq!(SortOrder::parse("cheapest"), None);
    }
}
