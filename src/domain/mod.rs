//! The domain model: pure types and rules of Relationship Management, no IO.
//!
//! Nothing in here knows about sled, files or the command line. Types validate themselves when
//! built (codes, money, texts), and the rules of SPEC.md that need no store — number series,
//! correspondence type resolution, filter expressions — live here as plain functions.

pub mod codes;
pub mod enums;
pub mod filter;
pub mod interaction;
pub mod master;
pub mod money;
pub mod number_series;
pub mod ranges;
pub mod segment;

pub use codes::*;
pub use enums::*;
pub use interaction::*;
pub use master::*;
pub use money::Money;
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
    /// Not a valid date.
    #[error("{field}: {value:?} is not a valid date (expected YYYY-MM-DD)")]
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
    } else {
        "invisible or combining character"
    }
}

/// Parses an ISO date (`YYYY-MM-DD`), naming the field in the error.
pub fn parse_date(field: &'static str, value: &str) -> Result<chrono::NaiveDate, DomainError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| DomainError::BadDate {
        field,
        value: value.to_string(),
    })
}

/// Parses a boolean the way BC and spreadsheets write them.
pub fn parse_bool(field: &'static str, value: &str) -> Result<bool, DomainError> {
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
