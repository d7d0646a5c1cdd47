//! The domain model: pure types and rules of Relationship Management, no IO.
//!
//! Nothing in here knows about sled, files or the command line. Types validate themselves when
//! built (codes, money, texts), and the rules of SPEC.md that need no store — number series,
//! correspondence type resolution, filter expressions — live here as plain functions.

pub mod codes;
pub mod entries;
pub mod enums;
pub mod filter;
pub mod interaction;
pub mod master;
pub mod money;
pub mod number_series;
pub mod ranges;
pub mod segment;

pub use codes::*;
pub use entries::*;
pub use enums::*;
pub use interaction::*;
pub use master::*;
pub use money::{Money, MoneySum};
pub use number_series::{Draw, NoSeries, SeriesError, SeriesLine};
pub use ranges::{DateFilter, NumberFilter, NumberRange};
pub use segment::*;

/// A value that breaks a domain rule. Each variant carries the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A code was empty.
    #[error("{kind} must not be empty")]
    EmptyCode {
        /// What the code names.
        kind: &'static str,
    },
    /// A code is longer than its field.
    #[error("{kind} {value:?} is too long: {len} characters, at most {max} allowed")]
    CodeTooLong {
        /// What the code names.
        kind: &'static str,
        /// The offending value.
        value: String,
        /// Longest allowed.
        max: usize,
        /// Actual length.
        len: usize,
    },
    /// A text is longer than its field.
    #[error("{field} is too long: {len} characters, at most {max} allowed")]
    TextTooLong {
        /// Field name.
        field: &'static str,
        /// Longest allowed.
        max: usize,
        /// Actual length.
        len: usize,
    },
    /// A control character in a code or text, or an invisible or combining one in a code.
    #[error("{field} {value:?} contains the {} {ch:?}", char_kind(*ch))]
    BadCharacter {
        /// Field name.
        field: &'static str,
        /// The offending value.
        value: String,
        /// The character.
        ch: char,
    },
    /// Not a valid number.
    #[error("{field}: {value:?} is not a valid number (expected a whole number of at least 1)")]
    BadNumber {
        /// Field name.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// Not a valid amount.
    #[error("{value:?} is not a valid amount: {reason}")]
    BadMoney {
        /// The offending value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// Not one of an option field's values.
    #[error("{value:?} is not a valid {field}; use one of: {}", allowed.join(", "))]
    BadOption {
        /// Field name.
        field: &'static str,
        /// The offending value.
        value: String,
        /// Accepted names.
        allowed: &'static [&'static str],
    },
    /// Not a valid date, or one outside Business Central's range ([`MIN_DATE`]..=[`MAX_DATE`]).
    #[error("{field}: {value:?} is not a valid date (expected {DATE_FORMAT_HINT})")]
    BadDate {
        /// Field name.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// A field value that breaks a rule.
    #[error("{field} {value:?}: {reason}")]
    Invalid {
        /// Field name.
        field: &'static str,
        /// The offending value.
        value: String,
        /// Why.
        reason: String,
    },
    /// Number series rule.
    #[error(transparent)]
    Series(SeriesError),
    /// Bad filter expression.
    #[error(transparent)]
    Filter(#[from] filter::FilterError),
}

/// How a refused character is named in messages.
pub fn char_kind(ch: char) -> &'static str {
    if ch.is_control() {
        "control character"
    } else if matches!(ch, '\u{2028}' | '\u{2029}') {
        "line or paragraph separator"
    } else if ch.is_whitespace() {
        "whitespace character other than a space"
    } else {
        "invisible or combining character"
    }
}

/// The earliest date interlog accepts, Business Central's first date.
pub const MIN_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => panic!("0001-01-01 is a date"),
};

/// The latest date interlog accepts, Business Central's last date.
pub const MAX_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("9999-12-31 is a date"),
};

/// How a date must be written, for messages.
pub const DATE_FORMAT_HINT: &str = "YYYY-MM-DD, from 0001-01-01 to 9999-12-31";

/// Parses a date written exactly `YYYY-MM-DD` (four-digit year, two-digit month and day, ASCII
/// digits, no sign; surrounding whitespace is ignored) within Business Central's range
/// [`MIN_DATE`]..=[`MAX_DATE`], naming the field in the error. Every date interlog reads from a
/// user — options, import files — goes through here; chrono's own parsers accept signs, years
/// 0 and below and more than four digits.
pub fn parse_date(field: &'static str, value: &str) -> Result<chrono::NaiveDate, DomainError> {
    let bad = || DomainError::BadDate {
        field,
        value: value.to_string(),
    };
    let t = value.trim().as_bytes();
    let shaped = t.len() == 10
        && t.iter().enumerate().all(|(i, &b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(bad());
    }
    let num =
        |r: std::ops::Range<usize>| t[r].iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
    let year = i32::try_from(num(0..4)).map_err(|_| bad())?;
    chrono::NaiveDate::from_ymd_opt(year, num(5..7), num(8..10))
        .filter(|d| (MIN_DATE..=MAX_DATE).contains(d))
        .ok_or_else(bad)
}

/// Parses a boolean the way BC and spreadsheets write them.
pub fn parse_bool(field: &'static str, value: &str) -> Result<bool, DomainError> {
    // As written by interlog itself (its exports): no normalising needed.
    match value {
        "true" => return Ok(true),
        "false" => return Ok(false),
        _ => {}
    }
    match value.trim().to_lowercase().as_str() {
        "true" | "yes" | "1" | "y" | "x" => Ok(true),
        "false" | "no" | "0" | "n" | "" => Ok(false),
        _ => Err(DomainError::Invalid {
            field,
            value: value.to_string(),
            reason: "expected yes/no (true/false, 1/0)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn dates_are_exactly_yyyy_mm_dd_within_bc_range() {
        for (text, date) in [
            ("2025-03-14", ymd(2025, 3, 14)),
            (" 2025-03-14 ", ymd(2025, 3, 14)),
            ("0001-01-01", MIN_DATE),
            ("9999-12-31", MAX_DATE),
            ("2024-02-29", ymd(2024, 2, 29)),
        ] {
            assert_eq!(parse_date("date", text), Ok(date), "{text}");
        }
    }

    #[test]
    fn dates_out_of_range_or_out_of_shape_are_refused() {
        for text in [
            "0000-01-01",
            "-0001-01-01",
            "+2025-03-14",
            "+002025-03-14",
            "10000-01-01",
            "02025-03-14",
            "2025-3-14",
            "2025-03-4",
            "2025-03-014",
            "2025/03/14",
            "2025-02-30",
            "2025-13-01",
            "2025-00-10",
            "2025-01-00",
            "2025-03-14T00:00",
            "2025-03-14x",
            "２０２５-03-14",
            "2025-0３-14",
            "",
            "yesterday",
        ] {
            let e = parse_date("work date", text).expect_err(text);
            assert_eq!(
                e,
                DomainError::BadDate {
                    field: "work date",
                    value: text.to_string()
                }
            );
            assert!(e.to_string().contains("0001-01-01 to 9999-12-31"), "{e}");
        }
    }
}
