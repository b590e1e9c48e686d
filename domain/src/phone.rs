//! A customer's phone number, kept in one canonical E.164-like form.
//!
//! People type numbers with spaces, dashes and brackets; the stored form is
//! `+` followed by 8 to 15 digits so SMS gateways and comparisons see one
//! spelling of each number.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// `+` and 8 to 15 digits, the first not zero (a country code), e.g. `+919876543210`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "+919876543210")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub const MIN_DIGITS: usize = 8;
    pub const MAX_DIGITS: usize = 15;

    /// Accepts spaces, dashes, dots and brackets between the digits and
    /// drops them.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let refuse = || {
            DomainError::new(
                "phone",
                format!(
                    "must be + and a country code, {} to {} digits in all, e.g. +919876543210",
                    Self::MIN_DIGITS,
                    Self::MAX_DIGITS
                ),
            )
        };
        let digits = raw.trim().strip_prefix('+').ok_or_else(refuse)?;
        let digits: String = digits
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let valid = (Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(format!("+{digits}")))
        } else {
            Err(refuse())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_dropped_from_the_stored_form() {
        let phone = PhoneNumber::parse(" +91 98765-43210 ").unwrap();
        assert_eq!(phone.as_str(), "+919876543210");
        assert_eq!(
            PhoneNumber::parse("+1 (415) 555.0100").unwrap().as_str(),
            "+14155550100"
        );
    }

    #[test]
    fn numbers_without_plus_or_of_the_wrong_length_are_refused() {
        for bad in [
            "",
            "9876543210",
            "+",
            "+1234567",
            "+1234567890123456",
            "+0123456789",
            "+91 98765 4321x",
            "++919876543210",
        ] {
            let error = PhoneNumber::parse(bad).unwrap_err();
            assert_eq!(error.field, "phone", "{bad:?}");
        }
    }

    #[test]
    fn a_phone_number_reads_back_what_it_writes() {
        let phone = PhoneNumber::parse("+4915112345678").unwrap();
        let json = serde_json::to_value(&phone).unwrap();
        assert_eq!(json, "+4915112345678");
        assert_eq!(serde_json::from_value::<PhoneNumber>(json).unwrap(), phone);
        assert!(serde_json::from_value::<PhoneNumber>("12345".into()).is_err());
    }
}
