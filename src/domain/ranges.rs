//! Business Central filters on numbers and dates, as the clean-up jobs and listings take them:
//! `--entry 1..100|205` (BC's *Entry No.* filter on a request page) and
//! `--date 2025-03-01..2025-03-31`.
//!
//! A number filter is one or more alternatives separated by `|`; each is a number (`205`) or a
//! range with both ends included, either end left out (`1..100`, `..100`, `500..`). Numbers are
//! compared as numbers, not as text (`9 < 10`), unlike the contact filters of
//! [`super::filter`]. A date filter is one date or one such range of ISO dates.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use super::DomainError;

/// One alternative of a [`NumberFilter`]: `lo..=hi`, an end left out is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberRange {
    /// Lowest number included.
    pub lo: Option<u64>,
    /// Highest number included.
    pub hi: Option<u64>,
}

impl NumberRange {
    /// Does `n` lie in the range?
    pub fn contains(&self, n: u64) -> bool {
        self.lo.is_none_or(|lo| n >= lo) && self.hi.is_none_or(|hi| n <= hi)
    }
}

/// A BC filter on a number field: alternatives of numbers and ranges (`1..100|205|500..`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberFilter {
    text: String,
    ranges: Vec<NumberRange>,
}

fn bad(field: &'static str, value: &str, reason: impl Into<String>) -> DomainError {
    DomainError::Invalid {
        field,
        value: value.to_string(),
        reason: reason.into(),
    }
}

const NUMBER_HINT: &str = "write numbers and ranges separated by |, e.g. 1..100|205|500..";

impl NumberFilter {
    /// Parses `text`; `field` names the filter in errors (e.g. `entry number filter`).
    pub fn parse(field: &'static str, text: &str) -> Result<NumberFilter, DomainError> {
        let number = |part: &str| -> Result<Option<u64>, DomainError> {
            let part = part.trim();
            if part.is_empty() {
                return Ok(None);
            }
            part.parse::<u64>().map(Some).map_err(|_| {
                bad(
                    field,
                    text,
                    format!("{part:?} is not a whole number — {NUMBER_HINT}"),
                )
            })
        };
        let mut ranges = Vec::new();
        for alt in text.split('|') {
            let alt = alt.trim();
            if alt.is_empty() {
                return Err(bad(
                    field,
                    text,
                    format!("an alternative is empty — {NUMBER_HINT}"),
                ));
            }
            let range = match alt.split_once("..") {
                Some((lo, hi)) => {
                    if hi.contains("..") {
                        return Err(bad(
                            field,
                            text,
                            format!("{alt:?} has more than one `..` — {NUMBER_HINT}"),
                        ));
                    }
                    let r = NumberRange {
                        lo: number(lo)?,
                        hi: number(hi)?,
                    };
                    if let (Some(lo), Some(hi)) = (r.lo, r.hi) {
                        if lo > hi {
                            return Err(bad(
                                field,
                                text,
                                format!("the range {alt:?} is empty (its start is above its end)"),
                            ));
                        }
                    }
                    r
                }
                None => {
                    let n = number(alt)?;
                    NumberRange { lo: n, hi: n }
                }
            };
            ranges.push(range);
        }
        Ok(NumberFilter {
            text: text.trim().to_string(),
            ranges,
        })
    }

    /// Does `n` pass the filter?
    pub fn contains(&self, n: u64) -> bool {
        self.ranges.iter().any(|r| r.contains(n))
    }

    /// The alternatives.
    pub fn ranges(&self) -> &[NumberRange] {
        &self.ranges
    }

    /// The lowest number that can pass (for scans that may start late).
    pub fn min(&self) -> u64 {
        self.ranges
            .iter()
            .map(|r| r.lo.unwrap_or(0))
            .min()
            .unwrap_or(0)
    }

    /// The filter as typed.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for NumberFilter {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NumberFilter::parse("number filter", s)
    }
}

impl fmt::Display for NumberFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for NumberFilter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A BC filter on a date field: one date or one range of dates, either end left out
/// (`2025-03-14`, `2025-03-01..2025-03-31`, `..2025-03-31`, `2025-03-01..`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DateFilter {
    /// First day included.
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
}

impl DateFilter {
    /// Parses `text`; `field` names the filter in errors.
    pub fn parse(field: &'static str, text: &str) -> Result<DateFilter, DomainError> {
        let hint = "write a date or a range of dates, e.g. 2025-03-01..2025-03-31 (either end may be left out)";
        let date = |part: &str| -> Result<Option<NaiveDate>, DomainError> {
            let part = part.trim();
            if part.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(part, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    bad(
                        field,
                        text,
                        format!("{part:?} is not a date (YYYY-MM-DD) — {hint}"),
                    )
                })
        };
        let f = match text.split_once("..") {
            Some((lo, hi)) => {
                if hi.contains("..") {
                    return Err(bad(field, text, format!("more than one `..` — {hint}")));
                }
                DateFilter {
                    from: date(lo)?,
                    to: date(hi)?,
                }
            }
            None => {
                let d = date(text)?
                    .ok_or_else(|| bad(field, text, format!("no date given — {hint}")))?;
                DateFilter {
                    from: Some(d),
                    to: Some(d),
                }
            }
        };
        if let (Some(a), Some(b)) = (f.from, f.to) {
            if a > b {
                return Err(bad(
                    field,
                    text,
                    "the range is empty (its start is after its end)",
                ));
            }
        }
        Ok(f)
    }

    /// Does `d` pass the filter?
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }
}

impl FromStr for DateFilter {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateFilter::parse("date filter", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> NumberFilter {
        NumberFilter::parse("entry number filter", s).unwrap()
    }

    #[test]
    fn numbers_and_ranges_compare_as_numbers() {
        let x = f("1..3|10|20..");
        let got: Vec<u64> = (0..25).filter(|&n| x.contains(n)).collect();
        assert_eq!(got, vec![1, 2, 3, 10, 20, 21, 22, 23, 24]);
        assert!(f("..9").contains(9) && !f("..9").contains(10));
        assert_eq!(
            f(" 5 .. 7 ").ranges(),
            &[NumberRange {
                lo: Some(5),
                hi: Some(7)
            }]
        );
        assert_eq!(f("7|3..").min(), 3);
    }

    #[test]
    fn bad_number_filters_say_what_to_write() {
        for s in ["", "a", "1..b", "1|", "5..3", "1..2..3", "-1"] {
            let e = NumberFilter::parse("entry number filter", s).unwrap_err();
            assert!(
                matches!(
                    e,
                    DomainError::Invalid {
                        field: "entry number filter",
                        ..
                    }
                ),
                "{s}: {e:?}"
            );
            assert!(
                e.to_string().contains('|') || e.to_string().contains("empty"),
                "{s}: {e}"
            );
        }
    }

    #[test]
    fn date_filters_are_a_day_or_a_range() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let one = DateFilter::parse("date", "2025-03-14").unwrap();
        assert!(one.contains(d("2025-03-14")) && !one.contains(d("2025-03-15")));
        let open = DateFilter::parse("date", "2025-03-10..").unwrap();
        assert!(open.contains(d("2030-01-01")) && !open.contains(d("2025-03-09")));
        assert!(DateFilter::parse("date", "2025-03-14..2025-03-01").is_err());
        assert!(DateFilter::parse("date", "14.03.2025").is_err());
        assert!(DateFilter::parse("date", "").is_err());
    }
}
