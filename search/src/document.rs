//! What the index knows of one product: the catalogue row flattened with
//! its category path and rating, since an index cannot join.

use orderly_domain::{Money, Sku};
use tantivy::TantivyDocument;

use super::fields::{Fields, name_prefixes};
use orderly_store::Product;

/// A product's category as the index sees it: slugs and names from the
/// root of the tree down to the product's own category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryPath {
    pub slugs: Vec<String>,
    pub names: Vec<String>,
}

impl CategoryPath {
    /// A category known only by its free-text name (products created
    /// before the category tree): one level, its slug made from the name.
    pub fn from_name(name: &str) -> Option<CategoryPath> {
        let slug = slugify(name);
        (!slug.is_empty()).then(|| CategoryPath {
            slugs: vec![slug],
            names: vec![name.trim().to_owned()],
        })
    }

    /// The product's own category.
    pub fn leaf(&self) -> Option<&str> {
        self.slugs.last().map(String::as_str)
    }
}

/// "Exotic Fruit" → "exotic-fruit".
pub fn slugify(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Average stars and how many reviews they come from.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RatingSummary {
    pub average: f64,
    pub count: u64,
}

/// One product as indexed.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDocument {
    pub sku: Sku,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub price: Money,
    pub category: Option<CategoryPath>,
    pub origin: Option<String>,
    pub organic: bool,
    pub rating: RatingSummary,
}

impl SearchDocument {
    pub fn new(product: &Product, category: Option<CategoryPath>, rating: RatingSummary) -> Self {
        SearchDocument {
            sku: product.sku.clone(),
            name: product.name.clone(),
            description: product.description.clone(),
            unit: product.unit.clone(),
            price: product.price,
            category: category.or_else(|| CategoryPath::from_name(&product.category)),
            origin: product
                .attributes
                .origin
                .as_deref()
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(str::to_owned),
            organic: product.attributes.organic,
            rating,
        }
    }

    pub(super) fn to_tantivy(&self, fields: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(fields.sku, self.sku.as_str());
        doc.add_text(fields.name, &self.name);
        doc.add_text(fields.description, &self.description);
        doc.add_text(fields.name_prefixes, name_prefixes(&self.name));
        if let Some(category) = &self.category {
            for name in &category.names {
                doc.add_text(fields.category_text, name);
            }
            for slug in &category.slugs {
                doc.add_text(fields.category_path, slug);
            }
            if let Some(leaf) = category.leaf() {
                doc.add_text(fields.category, leaf);
            }
        }
        if let Some(origin) = &self.origin {
            doc.add_text(fields.origin_text, origin);
            for value in origin_values(origin) {
                doc.add_text(fields.origin, value);
            }
        }
        if self.organic {
            doc.add_text(fields.labels, "organic");
        }
        doc.add_bool(fields.organic, self.organic);
        // Prices are never negative (the catalogue refuses them); a corrupt
        // one sorts as free rather than wrapping to the most expensive.
        doc.add_u64(fields.price, u64::try_from(self.price.amount).unwrap_or(0));
        doc.add_text(fields.currency, self.price.currency.as_str());
        doc.add_text(fields.unit, &self.unit);
        doc.add_f64(fields.rating, self.rating.average);
        doc.add_u64(fields.rating_count, self.rating.count);
        doc
    }
}

/// What the origin filter matches an origin by: the whole of it and each
/// comma-separated part, lower-cased, so "Nashik, India" is found by
/// `origin=india`, `origin=nashik` and `origin=nashik, india`.
pub(super) fn origin_values(origin: &str) -> Vec<String> {
    let whole = origin.trim().to_lowercase();
    let mut values: Vec<String> = whole
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect();
    if !values.contains(&whole) {
        values.push(whole);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_matched_whole_or_by_any_of_its_parts() {
        assert_eq!(
            origin_values(" Nashik, India "),
            ["nashik", "india", "nashik, india"]
        );
        assert_eq!(origin_values("Kenya"), ["kenya"]);
    }

    #[test]
    fn a_category_name_becomes_a_lowercase_hyphenated_slug() {
        assert_eq!(slugify("  Exotic Fruit & Nuts "), "exotic-fruit-nuts");
        assert_eq!(CategoryPath::from_name("   "), None);
    }
}
