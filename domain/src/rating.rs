//! A customer's rating of a product: one to five stars.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Stars in `1..=5`. Half stars do not exist, so a rating is a whole number;
/// averages are computed from the stored integers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(try_from = "i64", into = "u8")]
#[schema(value_type = u8, example = 4)]
pub struct Rating(u8);

impl Rating {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn parse(raw: i64) -> Result<Self, DomainError> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&raw) {
            Ok(Self(raw as u8))
        } else {
            Err(DomainError::new(
                "rating",
                "must be a whole number from 1 to 5",
            ))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Rating {
    type Error = DomainError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Rating> for u8 {
    fn from(value: Rating) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_five_stars_are_ratings_and_nothing_else_is() {
        for stars in 1..=5 {
            assert_eq!(Rating::parse(stars).map(Rating::get), Ok(stars as u8));
        }
        for wrong in [0, 6, -1, 500] {
            assert_eq!(Rating::parse(wrong).unwrap_err().field, "rating");
        }
    }

    #[test]
    fn a_fractional_rating_is_refused_when_deserialized() {
        assert!(serde_json::from_str::<Rating>("4").is_ok());
        assert!(serde_json::from_str::<Rating>("4.5").is_err());
        assert!(serde_json::from_str::<Rating>("\"4\"").is_err());
    }
}
