//! Conversions between column values and domain types.
//!
//! The Any driver only carries integers, text and blobs, so ids travel as
//! UUID text, timestamps as unix milliseconds and enums as their wire names.
//! Reading them back parses again: a row that no longer parses is reported
//! as `Corrupt` with the column that broke, instead of panicking.

use std::fmt::Display;

use chrono::{DateTime, Utc};
use orderly_domain::{Currency, Money};

use crate::StoreError;

pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The current time as stored, so a value handed back to a caller equals
/// the one a later read returns.
pub(crate) fn now_millis() -> i64 {
    millis(Utc::now())
}

pub(crate) fn timestamp(column: &str, ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("{column}: {ms} is not a valid timestamp")))
}

pub(crate) fn optional_timestamp(
    column: &str,
    ms: Option<i64>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(|ms| timestamp(column, ms)).transpose()
}

/// Parses `raw` with a fallible domain parser.
pub(crate) fn parsed<T, E: Display>(
    column: &str,
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(raw).map_err(|e| StoreError::Corrupt(format!("{column}: {raw:?}: {e}")))
}

/// Parses `raw` with a domain parser that only says yes or no (enums).
pub(crate) fn known<T>(
    column: &str,
    raw: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| StoreError::Corrupt(format!("{column}: unknown value {raw:?}")))
}

pub(crate) fn money(amount: i64, currency: &str) -> Result<Money, StoreError> {
    let currency = parsed("currency", currency, Currency::parse)?;
    Ok(Money::new(amount, currency))
}

/// `$first, …` for `count` values: the placeholders of an `IN (…)` list
/// whose values are bound in order.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
