//! How an order is paid for.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The payment methods orderly supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Upi,
    Netbanking,
    Cod,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Upi => "upi",
            PaymentMethod::Netbanking => "netbanking",
            PaymentMethod::Cod => "cod",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "card" => Some(PaymentMethod::Card),
            "upi" => Some(PaymentMethod::Upi),
            "netbanking" => Some(PaymentMethod::Netbanking),
            "cod" => Some(PaymentMethod::Cod),
            _ => None,
        }
    }

    /// UPI and netbanking are confirmed later by the provider's webhook.
    pub fn is_asynchronous(self) -> bool {
        matches!(self, PaymentMethod::Upi | PaymentMethod::Netbanking)
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A card number that passed the Luhn check, 12 to 19 digits.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "4242424242424242")]
pub struct CardNumber(String);

impl CardNumber {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
        let well_formed = (12..=19).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && luhn_valid(&digits);
        if well_formed {
            Ok(Self(digits))
        } else {
            Err(DomainError::new(
                "payment.card_number",
                "must be a valid card number (12-19 digits, Luhn check)",
            ))
        }
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(**** {})", self.last4())
    }
}

impl TryFrom<String> for CardNumber {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CardNumber> for String {
    fn from(value: CardNumber) -> Self {
        value.0
    }
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The method with the details the provider needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PaymentDetails {
    Card { card_number: CardNumber },
    Upi { vpa: String },
    Netbanking { bank_code: String },
    Cod,
}

impl PaymentDetails {
    pub fn method(&self) -> PaymentMethod {
        match self {
            PaymentDetails::Card { .. } => PaymentMethod::Card,
            PaymentDetails::Upi { .. } => PaymentMethod::Upi,
            PaymentDetails::Netbanking { .. } => PaymentMethod::Netbanking,
            PaymentDetails::Cod => PaymentMethod::Cod,
        }
    }

    /// Checks the free-text details that serde cannot.
    pub fn validate(&self) -> Vec<DomainError> {
        match self {
            PaymentDetails::Upi { vpa } => {
                let valid = vpa.len() <= 100
                    && vpa
                        .split_once('@')
                        .is_some_and(|(user, handle)| !user.is_empty() && !handle.is_empty());
                if valid {
                    vec![]
                } else {
                    vec![DomainError::new(
                        "payment.vpa",
                        "must be a UPI address such as name@bank",
                    )]
                }
            }
            PaymentDetails::Netbanking { bank_code } => {
                let valid = (2..=16).contains(&bank_code.len())
                    && bank_code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                if valid {
                    vec![]
                } else {
                    vec![DomainError::new(
                        "payment.bank_code",
                        "must be 2-16 characters of A-Z and 0-9",
                    )]
                }
            }
            PaymentDetails::Card { .. } | PaymentDetails::Cod => vec![],
        }
    }

    /// What may be shown back to the customer: never a full card number.
    pub fn display_hint(&self) -> Option<String> {
        match self {
            PaymentDetails::Card { card_number } => {
                Some(format!("card ending {}", card_number.last4()))
            }
            PaymentDetails::Upi { vpa } => Some(vpa.clone()),
            PaymentDetails::Netbanking { bank_code } => Some(bank_code.clone()),
            PaymentDetails::Cod => None,
        }
    }
}

/// Where the money of an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Authorized,
    Captured,
    Voided,
    Refunded,
    Failed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
            PaymentStatus::Voided => "voided",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            PaymentStatus::Pending,
            PaymentStatus::Authorized,
            PaymentStatus::Captured,
            PaymentStatus::Voided,
            PaymentStatus::Refunded,
            PaymentStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_test_cards_pass_the_luhn_check() {
        for number in ["4242424242424242", "4000000000000002", "4000000000000119"] {
            assert!(CardNumber::parse(number).is_ok(), "{number}");
        }
    }

    #[test]
    fn a_mistyped_card_number_is_rejected() {
        assert!(CardNumber::parse("4242424242424241").is_err());
        assert!(CardNumber::parse("42424242abcd4242").is_err());
    }

    #[test]
    fn card_debug_output_never_shows_the_full_number() {
        let card = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(format!("{card:?}"), "CardNumber(**** 4242)");
    }
}
