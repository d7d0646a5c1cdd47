//! Number series (BC table "No. Series" / "No. Series Line") and their rules (SPEC §2.1).
//!
//! Pure logic, no IO. A [`NoSeries`] is stored as one record with its lines; drawing a number
//! returns the new number and updates the series in memory — the caller stores the series in
//! the same atomic write that uses the number, so a number is never handed out twice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::SeriesCode;
use super::DomainError;

/// Longest number a series may produce, in characters.
pub const MAX_NO_LEN: usize = 20;

/// One line of a number series. Stored as part of [`NoSeries`]; its encoding is part of the
/// on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesLine {
    /// First usage date this line applies to; `None` = from the beginning of time.
    pub starting_date: Option<NaiveDate>,
    /// First number the line hands out.
    pub starting_no: String,
    /// Last number allowed, if any.
    pub ending_no: Option<String>,
    /// Numbers from this one on give a warning.
    pub warning_no: Option<String>,
    /// Step between numbers (≥ 1).
    pub increment_by: u32,
    /// Last number handed out.
    pub last_no_used: Option<String>,
    /// Usage date of the last number handed out.
    pub last_date_used: Option<NaiveDate>,
    /// False once the ending number has been used.
    pub open: bool,
}

/// A number series. Its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoSeries {
    /// Series code.
    pub code: SeriesCode,
    /// Free text.
    pub description: String,
    /// The series may give numbers automatically.
    pub default_nos: bool,
    /// The series accepts typed numbers.
    pub manual_nos: bool,
    /// Lines, in insertion order.
    pub lines: Vec<SeriesLine>,
}

/// The outcome of drawing (or peeking at) a number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Draw {
    /// The number.
    pub no: String,
    /// Set when the number reached the line's warning number.
    pub warning: Option<String>,
}

/// Why a series cannot give a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    /// No line applies on the usage date.
    #[error("number series {series} has no open line for {date} — add one with `interlog series add-line {series} --starting-no ...`")]
    NoOpenLine {
        /// Series code.
        series: SeriesCode,
        /// Usage date.
        date: NaiveDate,
    },
    /// The next number would pass the ending number.
    #[error("number series {series} cannot give {no}: the ending number is {limit} — add a line or raise the ending number")]
    LimitReached {
        /// Series code.
        series: SeriesCode,
        /// The ending number.
        limit: String,
        /// The number that would have been given.
        no: String,
    },
    /// A starting number without digits cannot be incremented.
    #[error("{value:?} cannot be a starting number: it contains no digit")]
    NoDigits {
        /// The offending value.
        value: String,
    },
    /// The series is not set up to give numbers automatically.
    #[error("number series {series} does not give numbers automatically (default nos. is off) — type a number or turn default numbers on")]
    NotAutomatic {
        /// Series code.
        series: SeriesCode,
    },
    /// The series does not accept typed numbers.
    #[error("number series {series} does not accept typed numbers (manual nos. is off) — leave the number empty to get the next one")]
    ManualNotAllowed {
        /// Series code.
        series: SeriesCode,
    },
    /// A series must allow at least one way of numbering.
    #[error("number series {series} must allow default or manual numbers (or both)")]
    NoNumberingAllowed {
        /// Series code.
        series: SeriesCode,
    },
    /// Incoherent line values.
    #[error("number series {series}: {problem}")]
    BadLine {
        /// Series code.
        series: SeriesCode,
        /// What is wrong.
        problem: String,
    },
    /// A number grew past the longest allowed length.
    #[error("number series {series}: {no} is longer than {MAX_NO_LEN} characters")]
    TooLong {
        /// Series code.
        series: SeriesCode,
        /// The number.
        no: String,
    },
}

/// Increments the last run of digits of `no` by `by`, keeping leading zeros and growing by one
/// character on carry: `SEG009`→`SEG010`, `A12B99C`→`A12B100C`, `CT-0999`→`CT-1000`.
pub fn increment_no(no: &str, by: u32) -> Result<String, SeriesError> {
    let chars: Vec<char> = no.chars().collect();
    let end = match chars.iter().rposition(|c| c.is_ascii_digit()) {
        Some(i) => i + 1,
        None => {
            return Err(SeriesError::NoDigits {
                value: no.to_string(),
            })
        }
    };
    let start = chars[..end]
        .iter()
        .rposition(|c| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits: Vec<u8> = chars[start..end].iter().map(|c| *c as u8 - b'0').collect();
    // Decimal addition on the digit run, so arbitrarily long runs never overflow.
    let mut out = digits.clone();
    let mut carry = by as u64;
    for d in out.iter_mut().rev() {
        if carry == 0 {
            break;
        }
        let sum = *d as u64 + carry % 10;
        *d = (sum % 10) as u8;
        carry = carry / 10 + sum / 10;
    }
    let mut prefix_digits = Vec::new();
    while carry > 0 {
        prefix_digits.push((carry % 10) as u8);
        carry /= 10;
    }
    prefix_digits.reverse();
    let mut result: String = chars[..start].iter().collect();
    result.extend(prefix_digits.iter().map(|d| (b'0' + d) as char));
    result.extend(out.iter().map(|d| (b'0' + d) as char));
    result.extend(chars[end..].iter());
    Ok(result)
}

/// Compares two numbers "of equal shape": a longer number is the greater one, numbers of equal
/// length compare as strings (this is how `SM99999` < `SM100000`).
pub fn compare_nos(a: &str, b: &str) -> std::cmp::Ordering {
    a.chars()
        .count()
        .cmp(&b.chars().count())
        .then_with(|| a.cmp(b))
}

impl SeriesLine {
    /// A new open line.
    pub fn new(starting_no: &str) -> Self {
        SeriesLine {
            starting_date: None,
            starting_no: starting_no.to_string(),
            ending_no: None,
            warning_no: None,
            increment_by: 1,
            last_no_used: None,
            last_date_used: None,
            open: true,
        }
    }

    /// Checks the line's values against each other.
    pub fn validate(&self, series: &SeriesCode) -> Result<(), SeriesError> {
        let bad = |problem: String| SeriesError::BadLine {
            series: series.clone(),
            problem,
        };
        for (what, v) in [
            ("starting no.", Some(&self.starting_no)),
            ("ending no.", self.ending_no.as_ref()),
            ("warning no.", self.warning_no.as_ref()),
            ("last no. used", self.last_no_used.as_ref()),
        ] {
            if let Some(v) = v {
                if v.chars().count() > MAX_NO_LEN {
                    return Err(bad(format!(
                        "{what} {v:?} is longer than {MAX_NO_LEN} characters"
                    )));
                }
                if v.chars().any(super::codes::refused_in_code) || v.trim() != v || v.is_empty() {
                    return Err(bad(format!("{what} {v:?} is not a valid number")));
                }
            }
        }
        if !self.starting_no.chars().any(|c| c.is_ascii_digit()) {
            return Err(SeriesError::NoDigits {
                value: self.starting_no.clone(),
            });
        }
        if self.increment_by == 0 {
            return Err(bad("increment-by must be at least 1".into()));
        }
        if let Some(end) = &self.ending_no {
            if compare_nos(end, &self.starting_no).is_lt() {
                return Err(bad(format!(
                    "ending no. {end} is lower than starting no. {}",
                    self.starting_no
                )));
            }
        }
        if let Some(w) = &self.warning_no {
            let Some(end) = &self.ending_no else {
                return Err(bad("a warning no. needs an ending no.".into()));
            };
            if compare_nos(w, &self.starting_no).is_lt() || compare_nos(w, end).is_gt() {
                return Err(bad(format!(
                    "warning no. {w} must lie between {} and {end}",
                    self.starting_no
                )));
            }
        }
        if let (Some(last), Some(end)) = (&self.last_no_used, &self.ending_no) {
            if compare_nos(last, end).is_gt() {
                return Err(bad(format!(
                    "last no. used {last} is past ending no. {end}"
                )));
            }
        }
        Ok(())
    }
}

impl NoSeries {
    /// A series with one line starting at `starting_no`, giving default and accepting manual
    /// numbers (BC's usual setup).
    pub fn simple(
        code: SeriesCode,
        description: &str,
        starting_no: &str,
        ending_no: Option<&str>,
    ) -> Self {
        let mut line = SeriesLine::new(starting_no);
        line.ending_no = ending_no.map(str::to_string);
        NoSeries {
            code,
            description: description.to_string(),
            default_nos: true,
            manual_nos: true,
            lines: vec![line],
        }
    }

    /// Checks the series and all of its lines.
    pub fn validate(&self) -> Result<(), SeriesError> {
        if !self.default_nos && !self.manual_nos {
            return Err(SeriesError::NoNumberingAllowed {
                series: self.code.clone(),
            });
        }
        self.lines.iter().try_for_each(|l| l.validate(&self.code))
    }

    /// Index of the line that gives numbers on `date`: among lines starting on or before the
    /// date take the latest starting date, then the first open line with that date.
    fn line_for(&self, date: NaiveDate) -> Result<usize, SeriesError> {
        let latest = self
            .lines
            .iter()
            .filter(|l| l.starting_date.is_none_or(|d| d <= date))
            .map(|l| l.starting_date)
            .max();
        let found = latest.and_then(|latest| {
            self.lines
                .iter()
                .position(|l| l.starting_date == latest && l.open)
        });
        found.ok_or_else(|| SeriesError::NoOpenLine {
            series: self.code.clone(),
            date,
        })
    }

    fn next_on_line(&self, i: usize) -> Result<Draw, SeriesError> {
        let line = &self.lines[i];
        let no = match &line.last_no_used {
            None => line.starting_no.clone(),
            Some(last) => increment_no(last, line.increment_by)?,
        };
        if no.chars().count() > MAX_NO_LEN {
            return Err(SeriesError::TooLong {
                series: self.code.clone(),
                no,
            });
        }
        if let Some(end) = &line.ending_no {
            if compare_nos(&no, end).is_gt() {
                return Err(SeriesError::LimitReached {
                    series: self.code.clone(),
                    limit: end.clone(),
                    no,
                });
            }
        }
        let warning = match &line.warning_no {
            Some(w) if compare_nos(&no, w).is_ge() => Some(format!(
                "number series {} gave {no}, at or past its warning number {w}{}",
                self.code,
                line.ending_no
                    .as_ref()
                    .map(|e| format!(" (ending number {e})"))
                    .unwrap_or_default()
            )),
            _ => None,
        };
        Ok(Draw { no, warning })
    }

    /// The next automatic number on `date`, without using it.
    pub fn peek(&self, date: NaiveDate) -> Result<Draw, SeriesError> {
        if !self.default_nos {
            return Err(SeriesError::NotAutomatic {
                series: self.code.clone(),
            });
        }
        self.next_on_line(self.line_for(date)?)
    }

    /// Draws the next automatic number on `date` and records it as used. The caller must store
    /// the updated series atomically with whatever uses the number.
    pub fn draw(&mut self, date: NaiveDate) -> Result<Draw, SeriesError> {
        if !self.default_nos {
            return Err(SeriesError::NotAutomatic {
                series: self.code.clone(),
            });
        }
        let i = self.line_for(date)?;
        let draw = self.next_on_line(i)?;
        let line = &mut self.lines[i];
        line.last_no_used = Some(draw.no.clone());
        line.last_date_used = Some(date);
        if line.ending_no.as_deref() == Some(draw.no.as_str()) {
            line.open = false;
        }
        Ok(draw)
    }

    /// Checks that a typed number may be used with this series.
    pub fn check_manual(&self) -> Result<(), SeriesError> {
        if self.manual_nos {
            Ok(())
        } else {
            Err(SeriesError::ManualNotAllowed {
                series: self.code.clone(),
            })
        }
    }
}

impl From<SeriesError> for DomainError {
    fn from(e: SeriesError) -> Self {
        DomainError::Series(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn increments_last_digit_run() {
        assert_eq!(increment_no("SEG009", 1).unwrap(), "SEG010");
        assert_eq!(increment_no("A12B99C", 1).unwrap(), "A12B100C");
        assert_eq!(increment_no("CT-0999", 1).unwrap(), "CT-1000");
        assert_eq!(increment_no("CT000001", 1).unwrap(), "CT000002");
        assert_eq!(increment_no("X5", 10).unwrap(), "X15");
        assert_eq!(increment_no("9", 1).unwrap(), "10");
        assert_eq!(increment_no("A98", 7).unwrap(), "A105");
        assert!(increment_no("ABC", 1).is_err());
    }

    #[test]
    fn lines_by_starting_date() {
        let code = SeriesCode::new("S").unwrap();
        let mut s = NoSeries::simple(code, "", "A0001", None);
        let mut l2 = SeriesLine::new("B0001");
        l2.starting_date = Some(d("2026-01-01"));
        s.lines.push(l2);
        assert_eq!(s.draw(d("2025-06-01")).unwrap().no, "A0001");
        assert_eq!(s.draw(d("2026-06-01")).unwrap().no, "B0001");
        assert_eq!(s.draw(d("2025-06-02")).unwrap().no, "A0002");
    }

    #[test]
    fn ending_and_warning() {
        let code = SeriesCode::new("S").unwrap();
        let mut s = NoSeries::simple(code, "", "N1", Some("N3"));
        s.lines[0].warning_no = Some("N2".into());
        let day = d("2026-01-01");
        assert_eq!(s.draw(day).unwrap().warning, None);
        assert!(s.draw(day).unwrap().warning.is_some());
        assert_eq!(s.draw(day).unwrap().no, "N3");
        assert!(!s.lines[0].open);
        assert!(matches!(s.draw(day), Err(SeriesError::NoOpenLine { .. })));
    }

    #[test]
    fn limit_is_shape_aware() {
        let code = SeriesCode::new("S").unwrap();
        let mut s = NoSeries::simple(code, "", "SM99998", Some("SM99999"));
        s.lines[0].increment_by = 2;
        assert_eq!(s.draw(d("2026-01-01")).unwrap().no, "SM99998");
        assert!(matches!(
            s.draw(d("2026-01-01")),
            Err(SeriesError::LimitReached { .. })
        ));
    }
}
