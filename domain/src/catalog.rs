//! The catalogue's vocabulary: category slugs, units of sale, image URLs and
//! the attributes a shopper filters on.
//!
//! Sellers type these in, so each is parsed once at the edge and every later
//! reader (the store, search, the product page) can trust it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A category's name in URLs and filters (`?category=fruit`): 1 to 64
/// characters of `a-z`, `0-9` and `-`, neither starting nor ending with `-`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "citrus-fruit")]
pub struct CategorySlug(String);

impl CategorySlug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::new(
                "slug",
                "must be 1-64 characters of a-z, 0-9 and '-', not starting or ending with '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CategorySlug {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CategorySlug> for String {
    fn from(value: CategorySlug) -> Self {
        value.0
    }
}

impl fmt::Display for CategorySlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one unit of quantity of a product is; a price is per one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum UnitOfSale {
    #[serde(rename = "each")]
    Each,
    #[serde(rename = "kg")]
    Kg,
    #[serde(rename = "100g")]
    Grams100,
    #[serde(rename = "litre")]
    Litre,
}

impl UnitOfSale {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitOfSale::Each => "each",
            UnitOfSale::Kg => "kg",
            UnitOfSale::Grams100 => "100g",
            UnitOfSale::Litre => "litre",
        }
    }
}

/// An image shown on a product page: an absolute `http` or `https` URL with
/// a host, at most 2048 characters, without spaces or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "https://cdn.example.com/apple.jpg")]
pub struct ImageUrl(String);

impl ImageUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let rest = raw
            .strip_prefix("https://")
            .or_else(|| raw.strip_prefix("http://"));
        let host = rest.and_then(|rest| rest.split(['/', '?', '#']).next());
        let ok = raw.len() <= Self::MAX_LEN
            && host.is_some_and(|host| !host.is_empty())
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::new(
                "images",
                "must be an absolute http(s) URL of at most 2048 characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ImageUrl {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ImageUrl> for String {
    fn from(value: ImageUrl) -> Self {
        value.0
    }
}

/// What a shopper reads and filters on besides name and price. Stored as
/// one JSON document, so adding an attribute needs no migration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawAttributes")]
pub struct ProductAttributes {
    /// Where it was grown or made, e.g. `Nashik, India`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    pub organic: bool,
    /// Free-form nutrition facts, a JSON object (`{"kcal_per_100g": 52}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub nutrition: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3650)]
    pub shelf_life_days: Option<u32>,
}

impl ProductAttributes {
    pub const MAX_ORIGIN_LEN: usize = 100;
    pub const MAX_SHELF_LIFE_DAYS: u32 = 3650;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttributes {
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    organic: bool,
    #[serde(default)]
    nutrition: Option<serde_json::Value>,
    #[serde(default)]
    shelf_life_days: Option<u32>,
}

impl TryFrom<RawAttributes> for ProductAttributes {
    type Error = DomainError;
    fn try_from(raw: RawAttributes) -> Result<Self, Self::Error> {
        let origin = raw.origin.map(|origin| origin.trim().to_owned());
        if origin
            .as_deref()
            .is_some_and(|o| o.is_empty() || o.chars().count() > Self::MAX_ORIGIN_LEN)
        {
            return Err(DomainError::new(
                "attributes.origin",
                "must be 1-100 characters",
            ));
        }
        // `null` means "no nutrition facts", like leaving the key out.
        let nutrition = raw.nutrition.filter(|n| !n.is_null());
        if nutrition.as_ref().is_some_and(|n| !n.is_object()) {
            return Err(DomainError::new(
                "attributes.nutrition",
                "must be a JSON object",
            ));
        }
        if raw
            .shelf_life_days
            .is_some_and(|days| days == 0 || days > Self::MAX_SHELF_LIFE_DAYS)
        {
            return Err(DomainError::new(
                "attributes.shelf_life_days",
                "must be between 1 and 3650",
            ));
        }
        Ok(Self {
            origin,
            organic: raw.organic,
            nutrition,
            shelf_life_days: raw.shelf_life_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_lower_case_words_joined_by_dashes() {
        assert!(CategorySlug::parse("citrus-fruit").is_ok());
        for bad in [
            "",
            "Fruit",
            "-fruit",
            "fruit-",
            "fruit salad",
            &"a".repeat(65),
        ] {
            assert!(CategorySlug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn units_of_sale_use_their_wire_names() {
        let unit: UnitOfSale = serde_json::from_str("\"100g\"").unwrap();
        assert_eq!(unit, UnitOfSale::Grams100);
        assert_eq!(unit.as_str(), "100g");
        assert!(serde_json::from_str::<UnitOfSale>("\"dozen\"").is_err());
    }

    #[test]
    fn an_image_must_be_an_absolute_web_url() {
        assert!(ImageUrl::parse("https://cdn.example.com/a.jpg").is_ok());
        for bad in [
            "ftp://cdn.example.com/a.jpg",
            "https://",
            "/a.jpg",
            "https://cdn.example.com/a b.jpg",
        ] {
            assert!(ImageUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn attributes_are_checked_while_parsing() {
        let good: ProductAttributes = serde_json::from_str(
            r#"{"origin": " Nashik ", "organic": true, "nutrition": {"kcal": 52}, "shelf_life_days": 14}"#,
        )
        .unwrap();
        assert_eq!(good.origin.as_deref(), Some("Nashik"));
        assert!(good.organic);
        assert_eq!(good.shelf_life_days, Some(14));
        let empty: ProductAttributes = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, ProductAttributes::default());

        for (bad, field) in [
            (r#"{"origin": ""}"#, "attributes.origin"),
            (r#"{"nutrition": [1]}"#, "attributes.nutrition"),
            (r#"{"shelf_life_days": 0}"#, "attributes.shelf_life_days"),
            (r#"{"colour": "red"}"#, "colour"),
        ] {
            let error = serde_json::from_str::<ProductAttributes>(bad).unwrap_err();
            assert!(error.to_string().contains(field), "{bad}: {error}");
        }
    }
}
