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

/// A card as orderly keeps it: the provider's token for it, with what may
/// be shown back (the brand and the last four digits), never its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardToken {
    pub token: String,
    pub brand: String,
    pub last4: String,
}

/// How an order carries its card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CardPayment {
    Token(CardToken),
    /// Orders placed before cards were tokenized carried the number
    /// itself; only their histories hold one.
    Number {
        card_number: CardNumber,
    },
}

impl CardPayment {
    pub fn last4(&self) -> &str {
        match self {
            CardPayment::Token(token) => &token.last4,
            CardPayment::Number { card_number } => card_number.last4(),
        }
    }
}

/// The method with the details the provider needs: what an order carries
/// into its workflow, so never a card number (see [`PaymentInstruction`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PaymentDetails {
    Card(CardPayment),
    Upi { vpa: String },
    Netbanking { bank_code: String },
    Cod,
}

impl PaymentDetails {
    pub fn method(&self) -> PaymentMethod {
        match self {
            PaymentDetails::Card(_) => PaymentMethod::Card,
            PaymentDetails::Upi { .. } => PaymentMethod::Upi,
            PaymentDetails::Netbanking { .. } => PaymentMethod::Netbanking,
            PaymentDetails::Cod => PaymentMethod::Cod,
        }
    }

    /// What may be shown back to the customer: never a full card number.
    pub fn display_hint(&self) -> Option<String> {
        match self {
            PaymentDetails::Card(card) => Some(format!("card ending {}", card.last4())),
            PaymentDetails::Upi { vpa } => Some(vpa.clone()),
            PaymentDetails::Netbanking { bank_code } => Some(bank_code.clone()),
            PaymentDetails::Cod => None,
        }
    }
}

/// How a client asks to pay: a card as its number (exchanged for the
/// provider's token before anything is kept) or as a token it got from the
/// provider itself, or the details of another method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PaymentInstruction {
    Card(CardInstruction),
    Upi { vpa: String },
    Netbanking { bank_code: String },
    Cod,
}

/// A card as the client gives it: exactly one of its number or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "CardFields", into = "CardFields")]
pub enum CardInstruction {
    Number(CardNumber),
    Token(String),
}

/// The fields of [`CardInstruction`] as they arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_number: Option<CardNumber>,
    /// A token of the provider's, e.g. from `POST /v1/sandbox/card-tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl TryFrom<CardFields> for CardInstruction {
    type Error = DomainError;
    fn try_from(fields: CardFields) -> Result<Self, Self::Error> {
        match (fields.card_number, fields.token) {
            (Some(number), None) => Ok(CardInstruction::Number(number)),
            (None, Some(token)) if (1..=200).contains(&token.len()) => {
                Ok(CardInstruction::Token(token))
            }
            (None, Some(_)) => Err(DomainError::new(
                "payment.token",
                "must be 1-200 characters",
            )),
            (None, None) => Err(DomainError::new(
                "payment.card_number",
                "is required, unless a token from the provider is given",
            )),
            (Some(_), Some(_)) => Err(DomainError::new(
                "payment",
                "give either card_number or token, not both",
            )),
        }
    }
}

impl From<CardInstruction> for CardFields {
    fn from(card: CardInstruction) -> Self {
        match card {
            CardInstruction::Number(number) => CardFields {
                card_number: Some(number),
                token: None,
            },
            CardInstruction::Token(token) => CardFields {
                card_number: None,
                token: Some(token),
            },
        }
    }
}

impl PaymentInstruction {
    pub fn method(&self) -> PaymentMethod {
        match self {
            PaymentInstruction::Card(_) => PaymentMethod::Card,
            PaymentInstruction::Upi { .. } => PaymentMethod::Upi,
            PaymentInstruction::Netbanking { .. } => PaymentMethod::Netbanking,
            PaymentInstruction::Cod => PaymentMethod::Cod,
        }
    }

    /// Checks the free-text details that serde cannot.
    pub fn validate(&self) -> Vec<DomainError> {
        match self {
            PaymentInstruction::Upi { vpa } => {
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
            PaymentInstruction::Netbanking { bank_code } => {
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
            PaymentInstruction::Card(_) | PaymentInstruction::Cod => vec![],
        }
    }

    /// The details to keep, once a card is a token. `None` for a card,
    /// which only its provider can turn into a token.
    pub fn without_card(&self) -> Option<PaymentDetails> {
        match self {
            PaymentInstruction::Card(_) => None,
            PaymentInstruction::Upi { vpa } => Some(PaymentDetails::Upi { vpa: vpa.clone() }),
            PaymentInstruction::Netbanking { bank_code } => Some(PaymentDetails::Netbanking {
                bank_code: bank_code.clone(),
            }),
            PaymentInstruction::Cod => Some(PaymentDetails::Cod),
        }
    }
}

/// The brand of a card from its leading digits, as providers report it.
pub fn card_brand(number: &CardNumber) -> &'static str {
    let digits = number.digits();
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4)) {
        (Some(4), _, _) => "visa",
        (_, Some(34 | 37), _) => "amex",
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => "mastercard",
        (_, Some(60 | 65 | 81 | 82), _) => "rupay",
        _ => "card",
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
    fn an_order_started_before_tokenization_still_reads_its_card() {
        let legacy: PaymentDetails =
            serde_json::from_str(r#"{"method":"card","card_number":"4242424242424242"}"#).unwrap();
        assert_eq!(legacy.display_hint().as_deref(), Some("card ending 4242"));
        assert_eq!(
            serde_json::to_value(&legacy).unwrap(),
            serde_json::json!({"method": "card", "card_number": "4242424242424242"}),
            "it serializes back as it was recorded"
        );
    }

    #[test]
    fn a_tokenized_card_carries_no_number() {
        let card = PaymentDetails::Card(CardPayment::Token(CardToken {
            token: "tok_1".into(),
            brand: "visa".into(),
            last4: "4242".into(),
        }));
        let json = serde_json::to_value(&card).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"method": "card", "token": "tok_1", "brand": "visa", "last4": "4242"})
        );
        assert_eq!(
            serde_json::from_value::<PaymentDetails>(json).unwrap(),
            card
        );
    }

    #[test]
    fn a_card_instruction_takes_a_number_or_a_token_but_not_both() {
        let parse = |json: &str| serde_json::from_str::<PaymentInstruction>(json);
        assert!(matches!(
            parse(r#"{"method":"card","card_number":"4242424242424242"}"#).unwrap(),
            PaymentInstruction::Card(CardInstruction::Number(_))
        ));
        assert!(matches!(
            parse(r#"{"method":"card","token":"tok_1"}"#).unwrap(),
            PaymentInstruction::Card(CardInstruction::Token(_))
        ));
        assert!(
            parse(r#"{"method":"card","card_number":"4242424242424242","token":"t"}"#).is_err()
        );
        assert!(parse(r#"{"method":"card"}"#).is_err());
    }

    #[test]
    fn brands_are_told_by_the_leading_digits() {
        let brand = |raw: &str| card_brand(&CardNumber::parse(raw).unwrap());
        assert_eq!(brand("4242424242424242"), "visa");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("378282246310005"), "amex");
    }

    #[test]
    fn card_debug_output_never_shows_the_full_number() {
        let card = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(format!("{card:?}"), "CardNumber(**** 4242)");
    }
}
