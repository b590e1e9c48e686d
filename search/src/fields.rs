//! The index's schema and text analysis, in one place so that the fields
//! written by the indexer and the fields read by queries cannot drift apart.
//!
//! Any change here changes what is on disk: bump [`SCHEMA_VERSION`] so an
//! index written by older code is rebuilt from the database at start-up
//! instead of being misread.

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    WhitespaceTokenizer,
};

/// Written next to the index; an index with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// Words of product text: split on non-alphanumerics, lower-cased, accents
/// folded ("Jalapeño" finds "jalapeno") and stemmed ("apples" finds
/// "apple"), so the typo tolerance measures edits against word stems.
pub const TEXT_ANALYZER: &str = "orderly_text";
/// The same without stemming: how query words are cut before their length
/// decides how many typos they may carry, and how name prefixes are made.
pub const WORD_ANALYZER: &str = "orderly_words";
/// Name prefixes are written out in full by the indexer, one per token.
const PREFIX_ANALYZER: &str = "orderly_prefixes";

/// Longest name prefix indexed; a longer typed word is cut to this length,
/// which still narrows the suggestions to names sharing those letters.
pub const MAX_PREFIX_CHARS: usize = 20;
/// Words longer than this are not words (pasted hashes, URLs) and are dropped.
const MAX_WORD_BYTES: usize = 40;

/// Handles to every field of a product document.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The SKU, exactly; the key updates and deletions go by.
    pub sku: Field,
    pub name: Field,
    pub description: Field,
    /// Names of the product's category and its ancestors.
    pub category_text: Field,
    /// The origin as the seller wrote it (searched and shown).
    pub origin_text: Field,
    /// Words a shopper types that are attributes, not text ("organic").
    pub labels: Field,
    /// Every prefix of every name word, for the search box's suggestions.
    pub name_prefixes: Field,
    /// Slug of the product's own category (facet counts).
    pub category: Field,
    /// Slugs of the category and all its ancestors (the category filter, so
    /// `fruit` also finds what sits in `fruit/citrus`).
    pub category_path: Field,
    /// Origin, lower-cased, whole and by comma-separated part, for the
    /// exact filter.
    pub origin: Field,
    pub organic: Field,
    /// Price in minor units.
    pub price: Field,
    pub currency: Field,
    pub unit: Field,
    pub rating: Field,
    pub rating_count: Field,
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let text = |analyzer: &str, stored: bool| {
            let options = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            );
            if stored {
                options.set_stored()
            } else {
                options
            }
        };
        let fields = Fields {
            sku: builder.add_text_field("sku", STRING | STORED),
            name: builder.add_text_field("name", text(TEXT_ANALYZER, true)),
            description: builder.add_text_field("description", text(TEXT_ANALYZER, true)),
            category_text: builder.add_text_field("category_text", text(TEXT_ANALYZER, false)),
            origin_text: builder.add_text_field("origin_text", text(TEXT_ANALYZER, true)),
            labels: builder.add_text_field("labels", text(TEXT_ANALYZER, false)),
            name_prefixes: builder.add_text_field(
                "name_prefixes",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(PREFIX_ANALYZER)
                        .set_index_option(IndexRecordOption::WithFreqs),
                ),
            ),
            category: builder.add_text_field("category", STRING | FAST | STORED),
            category_path: builder.add_text_field("category_path", STRING),
            origin: builder.add_text_field("origin", STRING),
            organic: builder.add_bool_field("organic", INDEXED | STORED),
            price: builder.add_u64_field("price", INDEXED | FAST | STORED),
            currency: builder.add_text_field("currency", STORED),
            unit: builder.add_text_field("unit", STORED),
            rating: builder.add_f64_field("rating", FAST | STORED),
            rating_count: builder.add_u64_field("rating_count", STORED),
        };
        (builder.build(), fields)
    }
}

/// Registers the analyzers the schema names; needed on every opened index.
pub fn register_analyzers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(TEXT_ANALYZER, text_analyzer());
    tokenizers.register(WORD_ANALYZER, word_analyzer());
    tokenizers.register(
        PREFIX_ANALYZER,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
    );
}

pub fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::default())
        .build()
}

pub fn word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The tokens `analyzer` makes of `text`, in order.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Every prefix of every word of `name` (up to [`MAX_PREFIX_CHARS`]),
/// space-separated: "Alphonso mangoes" gives "a al alp … m ma man …".
/// Written out here rather than by an n-gram tokenizer because tantivy's
/// n-grams span the whole text, not each word.
pub fn name_prefixes(name: &str) -> String {
    let mut out = String::new();
    for word in tokens(&mut word_analyzer(), name) {
        let mut prefix = String::new();
        for c in word.chars().take(MAX_PREFIX_CHARS) {
            prefix.push(c);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&prefix);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_and_singular_words_share_a_stem() {
        let mut analyzer = text_analyzer();
        assert_eq!(
            tokens(&mut analyzer, "Apples"),
            tokens(&mut analyzer, "apple")
        );
        assert_eq!(tokens(&mut analyzer, "Bananas"), vec!["banana"]);
    }

    #[test]
    fn accents_are_folded_away() {
        assert_eq!(tokens(&mut word_analyzer(), "Jalapeño"), vec!["jalapeno"]);
    }

    #[test]
    fn every_word_of_a_name_yields_all_its_prefixes() {
        assert_eq!(name_prefixes("Red Figs"), "r re red f fi fig figs");
    }
}
