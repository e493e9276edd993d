//! A small calendar date (proleptic Gregorian) and a timestamp, without any
//! time-zone machinery: the domain only needs "+30 days", "+N years" and an
//! orderable submission time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::BiddingError;

/// A calendar date, stored as days since 1970-01-01. Serialized as `"YYYY-MM-DD"`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    days: i32,
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // Ranges are guaranteed by the algorithm and by the i32 day count.
    (y as i32, m as u32, d as u32)
}

impl Date {
    /// Builds a date, checking month and day (February 29 only in leap years).
    /// Years 1..=9999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self, BiddingError> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return Err(BiddingError::InvalidDate(format!(
                "{year:04}-{month:02}-{day:02}"
            )));
        }
        let days = days_from_civil(year, month, day);
        Ok(Date {
            // years 1..=9999 fit comfortably in i32 days
            days: days as i32,
        })
    }

    /// Days since 1970-01-01.
    #[must_use]
    pub fn days_since_epoch(self) -> i32 {
        self.days
    }

    /// (year, month, day).
    #[must_use]
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(i64::from(self.days))
    }

    /// The date `n` days later (or earlier when negative).
    pub fn add_days(self, n: i32) -> Result<Self, BiddingError> {
        let days = self.days.checked_add(n).ok_or(BiddingError::Overflow)?;
        let (y, _, _) = civil_from_days(i64::from(days));
        if !(1..=9999).contains(&y) {
            return Err(BiddingError::Overflow);
        }
        Ok(Date { days })
    }

    /// The same day `n` years later; February 29 becomes February 28 in a
    /// non-leap target year.
    pub fn add_years(self, n: i32) -> Result<Self, BiddingError> {
        let (y, m, d) = self.ymd();
        let ty = y.checked_add(n).ok_or(BiddingError::Overflow)?;
        let d = d.min(days_in_month(ty, m));
        Date::from_ymd(ty, m, d).map_err(|_| BiddingError::Overflow)
    }

    /// Whole days from `self` to `other` (positive when `other` is later).
    #[must_use]
    pub fn days_until(self, other: Date) -> i32 {
        other.days - self.days
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = BiddingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BiddingError::InvalidDate(s.to_owned());
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let y: i32 = s[0..4].parse().map_err(|_| bad())?;
        let m: u32 = s[5..7].parse().map_err(|_| bad())?;
        let d: u32 = s[8..10].parse().map_err(|_| bad())?;
        if !s[0..4].bytes().all(|c| c.is_ascii_digit())
            || !s[5..7].bytes().all(|c| c.is_ascii_digit())
            || !s[8..10].bytes().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        Date::from_ymd(y, m, d)
    }
}

impl TryFrom<String> for Date {
    type Error = BiddingError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

/// A point in time as microseconds since the Unix epoch (UTC). Used for the
/// final submission time of a bid; only its order matters here.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn epoch_and_roundtrip() {
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("2000-03-01").days_since_epoch(), 11_017);
        for s in [
            "0001-01-01",
            "1600-02-29",
            "2024-02-29",
            "9999-12-31",
            "2026-07-15",
        ] {
            assert_eq!(d(s).to_string(), s);
        }
    }

    #[test]
    fn rejects_invalid_dates() {
        for s in [
            "2023-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-04-31",
            "2026-1-01",
            "abcd-01-01",
            "2026-00-10",
        ] {
            assert!(s.parse::<Date>().is_err(), "{s}");
        }
        assert!(d("2000-02-29").ymd() == (2000, 2, 29));
    }

    #[test]
    fn thirty_days_after_acceptance() {
        assert_eq!(d("2026-01-15").add_days(30).unwrap(), d("2026-02-14"));
        assert_eq!(d("2026-02-01").add_days(30).unwrap(), d("2026-03-03"));
        assert_eq!(d("2024-02-01").add_days(30).unwrap(), d("2024-03-02"));
        assert_eq!(d("2026-12-15").add_days(30).unwrap(), d("2027-01-14"));
        assert_eq!(d("2026-01-15").days_until(d("2026-02-14")), 30);
    }

    #[test]
    fn years_later() {
        assert_eq!(d("2026-01-01").add_years(3).unwrap(), d("2029-01-01"));
        assert_eq!(d("2024-02-29").add_years(1).unwrap(), d("2025-02-28"));
        assert_eq!(d("2024-02-29").add_years(4).unwrap(), d("2028-02-29"));
        assert!(d("9999-01-01").add_years(1).is_err());
    }

    #[test]
    fn serde_as_string() {
        let x = d("2026-03-01");
        assert_eq!(serde_json::to_string(&x).unwrap(), "\"2026-03-01\"");
        assert_eq!(serde_json::from_str::<Date>("\"2026-03-01\"").unwrap(), x);
        assert!(serde_json::from_str::<Date>("\"2026-02-30\"").is_err());
    }

    #[test]
    fn every_day_roundtrips_over_four_centuries() {
        let start = d("1900-01-01").days_since_epoch();
        for days in start..start + 146_097 {
            let (y, m, dd) = civil_from_days(i64::from(days));
            assert_eq!(Date::from_ymd(y, m, dd).unwrap().days_since_epoch(), days);
        }
    }
}
