//! A rate written as people say it: `30/min`, `5/s`, `3/15m`, `1000/h`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// `count` requests per `period`, all of which may come at once (the burst
/// is the whole quota); after that one more each `period / count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    count: u32,
    period: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a rate such as 30/min, 5/s, 3/15m or 1000/h")]
pub struct QuotaError(String);

impl Quota {
    /// `None` when `count` is zero or the period is under a millisecond:
    /// such a quota would refuse everything, which is what `off` is not.
    pub fn new(count: u32, period: Duration) -> Option<Self> {
        (count > 0 && period >= Duration::from_millis(1)).then_some(Self { count, period })
    }

    pub fn per_minute(count: u32) -> Option<Self> {
        Self::new(count, Duration::from_secs(60))
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    pub(crate) fn period_millis(&self) -> i64 {
        i64::try_from(self.period.as_millis()).unwrap_or(i64::MAX)
    }

    /// The spacing of requests at the sustained rate, at least 1 ms.
    pub(crate) fn interval_millis(&self) -> i64 {
        (self.period_millis() / i64::from(self.count)).max(1)
    }
}

impl FromStr for Quota {
    type Err = QuotaError;

    fn from_str(raw: &str) -> Result<Self, QuotaError> {
        let error = || QuotaError(raw.to_owned());
        let (count, period) = raw.trim().split_once('/').ok_or_else(error)?;
        let count: u32 = count.trim().parse().map_err(|_| error())?;
        let period = period_of(period.trim()).ok_or_else(error)?;
        Quota::new(count, period).ok_or_else(error)
    }
}

/// `s`, `min`, `h`, `d`, optionally preceded by a number (`15m`, `90s`).
fn period_of(raw: &str) -> Option<Duration> {
    let split = raw.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = raw.split_at(split);
    let number: u64 = if number.is_empty() {
        1
    } else {
        number.parse().ok()?
    };
    let unit_secs = match unit {
        "ms" => return Some(Duration::from_millis(number)),
        "s" | "sec" | "second" => 1,
        "m" | "min" | "minute" => 60,
        "h" | "hour" => 3600,
        "d" | "day" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(number.checked_mul(unit_secs)?))
}

impl fmt::Display for Quota {
    /// The form [`FromStr`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.period.as_secs();
        if self.period.subsec_millis() != 0 || secs == 0 {
            return write!(f, "{}/{}ms", self.count, self.period.as_millis());
        }
        match secs {
            1 => write!(f, "{}/s", self.count),
            60 => write!(f, "{}/min", self.count),
            3600 => write!(f, "{}/h", self.count),
            86_400 => write!(f, "{}/d", self.count),
            _ if secs.is_multiple_of(3600) => write!(f, "{}/{}h", self.count, secs / 3600),
            _ if secs.is_multiple_of(60) => write!(f, "{}/{}m", self.count, secs / 60),
            _ => write!(f, "{}/{}s", self.count, secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_written() {
        let quota = |raw: &str| raw.parse::<Quota>().unwrap();
        assert_eq!(quota("30/min"), Quota::per_minute(30).unwrap());
        assert_eq!(
            quota(" 5 / s "),
            Quota::new(5, Duration::from_secs(1)).unwrap()
        );
        assert_eq!(
            quota("3/15m"),
            Quota::new(3, Duration::from_secs(900)).unwrap()
        );
        assert_eq!(quota("1000/h").period(), Duration::from_secs(3600));
        assert_eq!(quota("2/d").period(), Duration::from_secs(86_400));
        assert_eq!(quota("10/250ms").period(), Duration::from_millis(250));
    }

    #[test]
    fn nonsense_zero_and_overflowing_rates_are_refused() {
        for raw in [
            "",
            "30",
            "x/min",
            "30/",
            "30/fortnight",
            "0/min",
            "-1/s",
            "5/0s",
            "1/99999999999999999999d",
        ] {
            assert!(raw.parse::<Quota>().is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn a_quota_prints_in_the_form_it_is_read() {
        for raw in [
            "30/min", "5/s", "3/15m", "1000/h", "2/d", "10/250ms", "7/90s", "4/2h",
        ] {
            assert_eq!(raw.parse::<Quota>().unwrap().to_string(), raw);
        }
    }

    #[test]
    fn the_interval_spreads_the_quota_over_its_period() {
        assert_eq!(Quota::per_minute(600).unwrap().interval_millis(), 100);
        assert_eq!(Quota::per_minute(7).unwrap().interval_millis(), 8571);
        assert_eq!(
            Quota::new(5000, Duration::from_secs(1))
                .unwrap()
                .interval_millis(),
            1
        );
    }
}
