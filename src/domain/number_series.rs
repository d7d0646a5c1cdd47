//! Number series (BC table "No. Series" / "No. Series Line") and their rules (SPEC §2.1).
//!
//! Pure logic, no IO. A [`NoSeries`] is stored as one record with its lines; drawing a number
//! returns the new number and updates the series in memory — the caller stores the series in
//! the same atomic write that uses the number, so a number is never handed out twice.
//!
//! The rules follow BC's No. Series module (Business Foundation):
//! * **Which line** (codeunit "No. Series - Impl.", `GetNoSeriesLine`): among the lines whose
//!   starting date is on or before the usage date, the latest such date; among the lines with
//!   that date, the first *open* one. Earlier-dated lines are never fallen back to.
//! * **When a line closes** ("No. Series - Setup Impl.", `CalculateOpen`, run through
//!   `Validate(Open)` each time a number is drawn): when its last number used reaches the ending
//!   number, or when the *next* number (last + increment-by) would pass it. The closed line
//!   keeps its last number used; the next draw takes the next open line of the same date
//!   (A1..A10 and B1..B10 with increment 7 give A01, A08, B01, B08, then the run-out error).
//! * **Line numbers** ("No. Series - Setup Impl.", `UpdateNoSeriesLine`, run when a line's
//!   starting, ending, last-used or warning number is validated): numbers are codes, so they
//!   are upper-cased; each must hold a digit; when the validated number has letters around its
//!   digits, every number of the line gets its digit run zero-padded to a common width (the
//!   validated number's, or more when another number needs more digits): A1 with ending A10
//!   becomes A01. [`SeriesLine::normalize`] validates the four numbers in the page's field order.
//! * **Default / manual numbers** (table "No. Series", `ValidateDefaultNos` /
//!   `ValidateManualNos`): turning one off while the other is off turns the other on.

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
    /// No line applies on the usage date: none starts on or before it, or every line with the
    /// latest such starting date is used up (BC: "You cannot assign new numbers from the number
    /// series …").
    #[error("number series {series} cannot give a number on {date}: no open line starts on or before that date (the lines that apply are used up) — add one with `interlog series add-line {series} --starting-no ...`")]
    NoOpenLine {
        /// Series code.
        series: SeriesCode,
        /// Usage date.
        date: NaiveDate,
    },
    /// The next number would pass the ending number. A line closes before this can happen
    /// (see [`SeriesLine::calculate_open`]); kept as a guard.
    #[error("number series {series} cannot give {no}: the ending number is {limit} — add a line or raise the ending number")]
    LimitReached {
        /// Series code.
        series: SeriesCode,
        /// The ending number.
        limit: String,
        /// The number that would have been given.
        no: String,
    },
    /// A number without digits cannot be incremented (BC: "The value in the … field must have
    /// a number so that we can assign the next number in the series").
    #[error("{value:?} cannot be a number of a series line: it contains no digit to count with")]
    NoDigits {
        /// The offending value.
        value: String,
    },
    /// Two numbers of one line differ outside their last run of digits (BC's "The number
    /// format in … must be the same as the number format in …"; BC rewrites the other numbers
    /// to the last one typed, interlog, given all numbers at once, refuses).
    #[error("number series {series}: the number format of {field} {value} differs from {other_field} {other_value} — a line's numbers differ only in their last run of digits")]
    NumberFormat {
        /// Series code.
        series: SeriesCode,
        /// The number being validated.
        field: &'static str,
        /// Its value.
        value: String,
        /// The number it does not match.
        other_field: &'static str,
        /// Its value.
        other_value: String,
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
    #[error("number series {series} must allow default or manual numbers (or both) — turn one of them on")]
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

/// The last run of digits of `no` as (start, end) character positions, if any.
fn last_digit_run(chars: &[char]) -> Option<(usize, usize)> {
    let end = chars.iter().rposition(|c| c.is_ascii_digit())? + 1;
    let start = chars[..end]
        .iter()
        .rposition(|c| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    Some((start, end))
}

/// `no` split around its last run of digits: (prefix, digits, suffix).
fn split_no(no: &str) -> Option<(String, String, String)> {
    let chars: Vec<char> = no.chars().collect();
    let (start, end) = last_digit_run(&chars)?;
    Some((
        chars[..start].iter().collect(),
        chars[start..end].iter().collect(),
        chars[end..].iter().collect(),
    ))
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

    /// BC's `CalculateOpen`: a line is open unless its last number used reached the ending
    /// number, or the next number (last + increment-by) would pass it. A line without an
    /// ending number, or that has given nothing yet, is open.
    pub fn calculate_open(&self) -> bool {
        let (Some(end), Some(last)) = (&self.ending_no, &self.last_no_used) else {
            return true;
        };
        if compare_nos(last, end).is_ge() {
            return false;
        }
        if self.increment_by != 1 {
            match increment_no(last, self.increment_by) {
                Ok(next) if compare_nos(&next, end).is_le() => {}
                _ => return false,
            }
        }
        true
    }

    /// Open as stored and by [`SeriesLine::calculate_open`] (stores written before lines were
    /// closed early may say open for a line whose next number would pass its end).
    pub fn is_open(&self) -> bool {
        self.open && self.calculate_open()
    }

    /// BC's validation of a line's numbers (`UpdateNoSeriesLine`), applied to the starting,
    /// ending, last-used and warning numbers in the order the No. Series Lines page shows them:
    /// each is upper-cased and must hold a digit; when it has letters around its last run of
    /// digits, the digit runs of all the line's numbers are zero-padded to its width (or to
    /// the most significant digits any of them has): starting `A1` with ending `A10` becomes
    /// `A01`. Numbers that differ outside their digit run are refused. Then `open` is set.
    pub fn normalize(&mut self, series: &SeriesCode) -> Result<(), SeriesError> {
        for v in [
            Some(&mut self.starting_no),
            self.ending_no.as_mut(),
            self.last_no_used.as_mut(),
            self.warning_no.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            *v = v.trim().to_uppercase();
        }
        const NAMES: [&str; 4] = ["starting no.", "ending no.", "last no. used", "warning no."];
        for validated in 0..4 {
            let fields = [
                Some(&self.starting_no),
                self.ending_no.as_ref(),
                self.last_no_used.as_ref(),
                self.warning_no.as_ref(),
            ];
            let Some(new_no) = fields[validated].cloned() else {
                continue;
            };
            let Some((prefix, digits, suffix)) = split_no(&new_no) else {
                return Err(SeriesError::NoDigits { value: new_no });
            };
            if prefix.is_empty() && suffix.is_empty() {
                // An all-digit number sets no width (BC: `Length := 0`).
                continue;
            }
            let significant = |d: &str| d.trim_start_matches('0').chars().count();
            let mut width = digits.chars().count();
            let mut parts = Vec::new();
            for (i, f) in fields.iter().enumerate() {
                let Some(f) = f else {
                    parts.push(None);
                    continue;
                };
                let Some((p, d, x)) = split_no(f) else {
                    return Err(SeriesError::NoDigits {
                        value: (*f).clone(),
                    });
                };
                if p != prefix || x != suffix {
                    return Err(SeriesError::NumberFormat {
                        series: series.clone(),
                        field: NAMES[validated],
                        value: new_no,
                        other_field: NAMES[i],
                        other_value: (*f).clone(),
                    });
                }
                width = width.max(significant(&d));
                parts.push(Some(d));
            }
            let padded: Vec<Option<String>> = parts
                .into_iter()
                .map(|d| {
                    d.map(|d| {
                        let sig = d.trim_start_matches('0');
                        format!("{prefix}{sig:0>width$}{suffix}")
                    })
                })
                .collect();
            let mut padded = padded.into_iter();
            let mut next = || padded.next().flatten();
            // The starting number is always among the four (it is required).
            self.starting_no = next().unwrap_or_else(|| self.starting_no.clone());
            self.ending_no = next();
            self.last_no_used = next();
            self.warning_no = next();
        }
        self.open = self.calculate_open();
        Ok(())
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
                .position(|l| l.starting_date == latest && l.is_open())
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
        // BC's `Validate(Open)` after each number: the line closes as soon as its next number
        // would pass the ending number, and the next draw moves on to the next open line.
        line.open = line.calculate_open();
        Ok(draw)
    }

    /// Turns *Default Nos.* on or off (BC's `ValidateDefaultNos`): turning it off while *Manual
    /// Nos.* is off turns *Manual Nos.* on, so the series can still be used. Returns a note
    /// saying so when that happened.
    pub fn set_default_nos(&mut self, on: bool) -> Option<String> {
        let changed = self.default_nos != on;
        self.default_nos = on;
        if changed && !on && !self.manual_nos {
            self.manual_nos = true;
            return Some(format!(
                "number series {}: manual nos. turned on, because default nos. was turned off and a series must allow one of them",
                self.code
            ));
        }
        None
    }

    /// Turns *Manual Nos.* on or off (BC's `ValidateManualNos`): turning it off while *Default
    /// Nos.* is off turns *Default Nos.* on. Returns a note saying so when that happened.
    pub fn set_manual_nos(&mut self, on: bool) -> Option<String> {
        let changed = self.manual_nos != on;
        self.manual_nos = on;
        if changed && !on && !self.default_nos {
            self.default_nos = true;
            return Some(format!(
                "number series {}: default nos. turned on, because manual nos. was turned off and a series must allow one of them",
                self.code
            ));
        }
        None
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

    fn line(start: &str, end: &str, by: u32) -> SeriesLine {
        let mut l = SeriesLine::new(start);
        l.ending_no = Some(end.into());
        l.increment_by = by;
        l
    }

    #[test]
    fn a_line_closes_when_its_next_number_would_pass_the_end() {
        let code = SeriesCode::new("S").unwrap();
        let mut a = line("A1", "A10", 7);
        a.normalize(&code).unwrap();
        let mut b = line("B1", "B10", 7);
        b.normalize(&code).unwrap();
        let mut s = NoSeries::simple(code, "", "X1", None);
        s.lines = vec![a, b];
        let day = d("2025-03-14");
        let nos: Vec<String> = (0..4).map(|_| s.draw(day).unwrap().no).collect();
        assert_eq!(nos, ["A01", "A08", "B01", "B08"]);
        assert!(!s.lines[0].open && !s.lines[1].open);
        assert_eq!(s.lines[0].last_no_used.as_deref(), Some("A08"));
        assert!(matches!(s.draw(day), Err(SeriesError::NoOpenLine { .. })));
    }

    #[test]
    fn normalizing_pads_digit_runs_and_upper_cases() {
        let code = SeriesCode::new("S").unwrap();
        let mut l = line("a1test", "A10Test", 1);
        l.normalize(&code).unwrap();
        assert_eq!(
            (l.starting_no.as_str(), l.ending_no.as_deref()),
            ("A01TEST", Some("A10TEST"))
        );
        let mut l = line("1", "10", 1);
        l.normalize(&code).unwrap();
        assert_eq!(l.starting_no, "1", "all-digit numbers set no width");
        let mut l = line("A1", "B10", 1);
        assert!(matches!(
            l.normalize(&code),
            Err(SeriesError::NumberFormat { .. })
        ));
    }

    #[test]
    fn limit_is_shape_aware() {
        let code = SeriesCode::new("S").unwrap();
        let mut s = NoSeries::simple(code, "", "SM99998", Some("SM99999"));
        s.lines[0].increment_by = 2;
        assert_eq!(s.draw(d("2026-01-01")).unwrap().no, "SM99998");
        // SM100000 is past SM99999 (longer), so the line closed with SM99998.
        assert!(!s.lines[0].open);
        assert!(matches!(
            s.draw(d("2026-01-01")),
            Err(SeriesError::NoOpenLine { .. })
        ));
    }
}
