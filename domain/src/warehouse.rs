//! Where stock is and how fresh it is: batch codes, the reasons stock
//! moves, and the rule that decides whether a batch is fresh enough to be
//! promised to an order.
//!
//! Stock is kept per (SKU, warehouse, batch). Every change to it is a
//! movement with one of the [`StockReason`]s, so the stock of a batch is
//! always the sum of its movements.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainError, WarehouseId};

/// The warehouse every shop starts with: stock counted with
/// `PUT /v1/inventory/{sku}` and stock from before warehouses existed is
/// kept here.
pub const DEFAULT_WAREHOUSE: WarehouseId = WarehouseId(Uuid::from_u128(1));

/// A supplier's or the warehouse's label for one delivery of a SKU: 1 to 64
/// characters of letters, digits, `-`, `_`, `.` and `/`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "NSK-2026-11-30")]
pub struct BatchCode(String);

impl BatchCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::new(
                "batch_code",
                "must be 1-64 characters of letters, digits, '-', '_', '.' or '/'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BatchCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<BatchCode> for String {
    fn from(value: BatchCode) -> Self {
        value.0
    }
}

impl fmt::Display for BatchCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why stock of a batch changed: one entry of the stock ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockReason {
    /// A delivery arrived (goods receipt).
    Received,
    /// Held for an order.
    Reserved,
    /// An order's hold given back (cancelled, failed, moved to another batch).
    Released,
    /// Left the shelf with an order's shipment.
    Committed,
    /// Expired, spoiled or damaged, and thrown away.
    WrittenOff,
    /// A stock count found more or fewer than recorded.
    Adjusted,
    /// Came back from a customer and went back on the shelf.
    Returned,
}

impl StockReason {
    pub const ALL: [StockReason; 7] = [
        StockReason::Received,
        StockReason::Reserved,
        StockReason::Released,
        StockReason::Committed,
        StockReason::WrittenOff,
        StockReason::Adjusted,
        StockReason::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StockReason::Received => "received",
            StockReason::Reserved => "reserved",
            StockReason::Released => "released",
            StockReason::Committed => "committed",
            StockReason::WrittenOff => "written_off",
            StockReason::Adjusted => "adjusted",
            StockReason::Returned => "returned",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// The last moment a batch is good: the end of its expiry date (UTC).
pub fn expiry_end(expires_on: NaiveDate) -> DateTime<Utc> {
    expires_on
        .checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// The expiry date of a batch received on `received_on` of a product that
/// keeps `shelf_life_days`; none for a product that does not spoil.
pub fn expiry_from_shelf_life(
    received_on: NaiveDate,
    shelf_life_days: Option<u32>,
) -> Option<NaiveDate> {
    let days = shelf_life_days?;
    received_on.checked_add_days(Days::new(u64::from(days)))
}

/// How fresh stock must be to be promised to an order: good until the
/// order can have arrived, and for `min_shelf_life` after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// How long an order takes to reach the customer at most.
    pub delivery_time: Duration,
    /// How long the customer must be able to keep it once it arrived.
    pub min_shelf_life: Duration,
}

impl Default for Freshness {
    /// Next-day delivery and two more days to use it up
    /// (`ORDERLY_DELIVERY_TIME`, `ORDERLY_MIN_SHELF_LIFE`).
    fn default() -> Self {
        Self {
            delivery_time: Duration::from_secs(86_400),
            min_shelf_life: Duration::from_secs(2 * 86_400),
        }
    }
}

impl Freshness {
    /// The earliest end of life a batch may have to be reserved at `now`.
    pub fn good_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let wait = self.delivery_time.saturating_add(self.min_shelf_life);
        chrono::Duration::from_std(wait)
            .ok()
            .and_then(|wait| now.checked_add_signed(wait))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Whether a batch that expires on `expires_on` may be reserved at
    /// `now`. A batch without an expiry date always may.
    pub fn allows(&self, expires_on: Option<NaiveDate>, now: DateTime<Utc>) -> bool {
        expires_on.is_none_or(|date| expiry_end(date) >= self.good_until(now))
    }
}

/// How long before a batch's end of life its seller and ops hear that it
/// is about to spoil (`ORDERLY_EXPIRY_WARNING`).
pub const DEFAULT_EXPIRY_WARNING: Duration = Duration::from_secs(3 * 86_400);

/// The end of life before which a batch is about to spoil at `now`: the
/// expiry sweep warns about every batch whose end comes before it.
pub fn spoils_before(now: DateTime<Utc>, warning: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(warning)
        .ok()
        .and_then(|warning| now.checked_add_signed(warning))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// How long stock has been on the shelf, as the inventory-aging report
/// groups it: whole days since receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
pub enum AgeBucket {
    #[serde(rename = "0-2")]
    UpToTwoDays,
    #[serde(rename = "3-5")]
    ThreeToFiveDays,
    #[serde(rename = "6-10")]
    SixToTenDays,
    #[serde(rename = "11+")]
    OverTenDays,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 4] = [
        AgeBucket::UpToTwoDays,
        AgeBucket::ThreeToFiveDays,
        AgeBucket::SixToTenDays,
        AgeBucket::OverTenDays,
    ];

    /// The bucket of stock received `days` ago (a receipt dated in the
    /// future counts as today's).
    pub fn of(days: i64) -> AgeBucket {
        match days {
            ..=2 => AgeBucket::UpToTwoDays,
            3..=5 => AgeBucket::ThreeToFiveDays,
            6..=10 => AgeBucket::SixToTenDays,
            _ => AgeBucket::OverTenDays,
        }
    }
}

/// The Monday that starts the ISO week of `date`: the spoilage report's
/// week.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    let back = u64::from(date.weekday().num_days_from_monday());
    date.checked_sub_days(Days::new(back)).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn batch_codes_are_short_printable_labels() {
        assert!(BatchCode::parse("NSK-2026/11.30_a").is_ok());
        for bad in ["", "has space", "ünïcode", &"x".repeat(65)] {
            assert!(BatchCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stock_reasons_round_trip_through_their_names() {
        for reason in StockReason::ALL {
            assert_eq!(StockReason::parse(reason.as_str()), Some(reason));
        }
        assert_eq!(StockReason::parse("stolen"), None);
    }

    #[test]
    fn a_batch_must_outlast_delivery_plus_the_minimum_shelf_life() {
        let rule = Freshness {
            delivery_time: DAY,
            min_shelf_life: 2 * DAY,
        };
        let now = date("2026-12-01").and_hms_opt(10, 0, 0).unwrap().and_utc();
        // Good through 3 December ends at 4 December 00:00, before
        // 4 December 10:00: too close.
        assert!(!rule.allows(Some(date("2026-12-03")), now));
        assert!(rule.allows(Some(date("2026-12-04")), now));
        assert!(rule.allows(None, now));
    }

    #[test]
    fn a_batch_is_about_to_spoil_when_its_end_comes_within_the_warning() {
        let now = date("2026-12-01").and_hms_opt(10, 0, 0).unwrap().and_utc();
        let before = spoils_before(now, 3 * DAY);
        // Good through 3 December ends on 4 December 00:00: within three
        // days; good through 4 December ends a day later: not yet.
        assert!(expiry_end(date("2026-12-03")) < before);
        assert!(expiry_end(date("2026-12-04")) >= before);
        assert_eq!(spoils_before(now, Duration::MAX), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn stock_ages_fall_into_the_report_buckets_without_gaps() {
        let buckets: Vec<AgeBucket> = (0..=12).map(AgeBucket::of).collect();
        use AgeBucket::*;
        assert_eq!(
            buckets,
            [
                UpToTwoDays,
                UpToTwoDays,
                UpToTwoDays,
                ThreeToFiveDays,
                ThreeToFiveDays,
                ThreeToFiveDays,
                SixToTenDays,
                SixToTenDays,
                SixToTenDays,
                SixToTenDays,
                SixToTenDays,
                OverTenDays,
                OverTenDays
            ]
        );
        assert_eq!(AgeBucket::of(-1), UpToTwoDays);
    }

    #[test]
    fn a_week_starts_on_its_monday() {
        // 2 December 2026 is a Wednesday.
        assert_eq!(week_start(date("2026-12-02")), date("2026-11-30"));
        assert_eq!(week_start(date("2026-11-30")), date("2026-11-30"));
        assert_eq!(week_start(date("2026-12-06")), date("2026-11-30"));
    }

    #[test]
    fn the_expiry_date_follows_from_the_shelf_life() {
        assert_eq!(
            expiry_from_shelf_life(date("2026-12-01"), Some(5)),
            Some(date("2026-12-06"))
        );
        assert_eq!(expiry_from_shelf_life(date("2026-12-01"), None), None);
    }
}
