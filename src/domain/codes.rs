//! Newtypes for codes, numbers and bounded texts.
//!
//! Every code is validated when it is built: not empty, at most N characters, no control
//! characters, upper-cased (Business Central stores codes in upper case). Decoding from disk or
//! JSON goes through the same check, so an invalid code cannot exist in memory.
//!
//! On-disk format: codes serialize as plain strings; [`EntryNo`] as a `u64`. Changing either is
//! a format change (see `storage::codec`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DomainError;

/// Characters a code may not hold although they are not control characters: invisible format
/// characters (Unicode category Cf: zero-width spaces and joiners, bidi overrides and
/// isolates, the BOM, tag characters …, plus the fillers that render as nothing) and combining
/// marks, which make two codes look alike while they differ.
fn invisible_or_combining(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890 | 0x0891
        | 0x08E2 | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFEFF | 0xFFA0
        | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F | 0xE0000..=0xE007F)
}

/// True for a character no code (nor a number typed for a number series) may hold: a control
/// character, an invisible or combining one, or whitespace other than a plain space.
pub fn refused_in_code(c: char) -> bool {
    c.is_control() || invisible_or_combining(c) || (c.is_whitespace() && c != ' ')
}

/// Checks that `value` is a valid code of at most `max` characters and returns it upper-cased.
/// The length is checked after upper-casing (`ß` becomes `SS`).
fn check_code(kind: &'static str, max: usize, value: &str) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::EmptyCode { kind });
    }
    // Checked on the upper-cased text: upper-casing may add characters (`ǰ` → `J` + U+030C).
    let upper = trimmed.to_uppercase();
    if let Some(c) = upper.chars().find(|&c| refused_in_code(c)) {
        return Err(DomainError::BadCharacter {
            field: kind,
            value: trimmed.to_string(),
            ch: c,
        });
    }
    let len = upper.chars().count();
    if len > max {
        return Err(DomainError::CodeTooLong {
            kind,
            value: upper,
            max,
            len,
        });
    }
    Ok(upper)
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Longest code allowed, in characters.
            pub const MAX_LEN: usize = $max;
            /// What this code names, for messages.
            pub const KIND: &'static str = $kind;

            /// Builds the code, upper-casing it; refuses empty, overlong or control characters.
            pub fn new(value: &str) -> Result<Self, DomainError> {
                if Self::is_canonical(value) {
                    // What `check_code` would return unchanged (a file's codes mostly are).
                    return Ok($name(value.to_string()));
                }
                check_code($kind, $max, value).map($name)
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The code's bytes, as used in storage keys.
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }

            /// The code as text, without a copy.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl $name {
            /// True when `s` is already a valid code as it is (what [`Self::new`] would
            /// return unchanged): everything read from disk.
            fn is_canonical(s: &str) -> bool {
                // Fast path: printable ASCII without lower-case letters or spaces at either end.
                let b = s.as_bytes();
                if !b.is_empty()
                    && b.len() <= $max
                    && b[0] != b' '
                    && b[b.len() - 1] != b' '
                    && b.iter().all(|&c| (0x20..0x7f).contains(&c) && !c.is_ascii_lowercase())
                {
                    return true;
                }
                !s.is_empty()
                    && s.chars().count() <= $max
                    && s.trim() == s
                    && !s.chars().any(|c| c.is_lowercase() || refused_in_code(c))
            }

            /// Checks a stored code as reading it would, without building it (the same
            /// refusal as `TryFrom<String>`).
            pub fn check_stored(s: &str) -> Result<(), DomainError> {
                if Self::is_canonical(s) {
                    Ok(())
                } else {
                    Self::new(s).map(drop)
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                if Self::is_canonical(&s) {
                    return Ok($name(s));
                }
                Self::new(&s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::try_from(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

code_type!(
    /// Contact number (`No.` of table Contact), at most 20 characters.
    ContactNo, "contact number", 20
);
code_type!(
    /// Segment number, at most 20 characters.
    SegmentNo, "segment number", 20
);
code_type!(
    /// Number series code, at most 20 characters.
    SeriesCode, "number series code", 20
);
code_type!(
    /// Interaction template code, at most 10 characters.
    TemplateCode, "interaction template code", 10
);
code_type!(
    /// Interaction group code, at most 10 characters.
    GroupCode, "interaction group code", 10
);
code_type!(
    /// Salesperson code, at most 20 characters.
    SalespersonCode, "salesperson code", 20
);
code_type!(
    /// Campaign number, at most 20 characters.
    CampaignNo, "campaign number", 20
);
code_type!(
    /// Language code, at most 10 characters.
    LanguageCode, "language code", 10
);
code_type!(
    /// Country/region code, at most 10 characters.
    CountryCode, "country/region code", 10
);
code_type!(
    /// Saved segment criteria code, at most 10 characters.
    CriteriaCode, "criteria code", 10
);
code_type!(
    /// Company code on the PostgreSQL backend (`--company`): the key a catalog maps to a shard,
    /// at most 30 characters like BC's company name, upper-cased like every code.
    CompanyCode, "company code", 30
);
code_type!(
    /// User id written on entries, logged segments and campaign entries (BC's `User ID`,
    /// `Code[50]`): at most 50 characters, upper-cased, no control, invisible, bidi or combining
    /// characters. Built from `--user` or `$USER`; an invalid one is refused, never cut or
    /// cleaned up. Also the key of a user setup (BC's User Setup), so `alice` and `ALICE` are
    /// one user.
    UserId, "user id", 50
);

/// A number drawn from or typed for a number series, at most 20 characters. Kept as typed
/// (numbers such as `CT000001` are already upper case; no case folding happens here).
pub type SeriesNo = String;

macro_rules! entry_number {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// Big-endian bytes: byte order equals numeric order.
            pub fn to_key(self) -> [u8; 8] {
                self.0.to_be_bytes()
            }
            /// The number after this one.
            pub fn next(self) -> Self {
                $name(self.0 + 1)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok($name(n)),
                    _ => Err(DomainError::BadNumber {
                        field: stringify!($name),
                        value: s.to_string(),
                    }),
                }
            }
        }
    };
}

entry_number!(
    /// Interaction log entry number: strictly increasing, never reused, starts at 1.
    EntryNo
);
entry_number!(
    /// Logged segment entry number.
    LoggedSegmentNo
);
entry_number!(
    /// Campaign entry number.
    CampaignEntryNo
);

/// Characters a free text may not hold: control characters (terminal escapes start with one),
/// the bidi embedding, override and isolate controls (they reorder whatever a listing prints
/// after them) and the line and paragraph separators (they break a listing's lines). Other
/// invisible or combining characters are fine in a text: they are part of ordinary writing.
pub fn breaks_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// Checks a free text field: at most `max` characters (a longer text is refused, never cut)
/// and no character that [`breaks_text`].
pub fn check_text(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    check_text_only(field, value, max)?;
    Ok(value.to_string())
}

/// [`check_text`] without the copy: for a text that is already where it is kept.
pub fn check_text_only(field: &'static str, value: &str, max: usize) -> Result<(), DomainError> {
    // Fast path: printable ASCII (most texts) has one character per byte and none that breaks.
    let b = value.as_bytes();
    if b.len() <= max && b.iter().all(|&c| (0x20..0x7f).contains(&c)) {
        return Ok(());
    }
    let len = value.chars().count();
    if len > max {
        return Err(DomainError::TextTooLong { field, max, len });
    }
    if let Some(c) = value.chars().find(|&c| breaks_text(c)) {
        return Err(DomainError::BadCharacter {
            field,
            value: value.to_string(),
            ch: c,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts at the edges of the fast paths: length at and past the limit, spaces at either
    /// end and inside, lower case, tabs, DEL, non-ASCII, an empty text.
    const EDGES: &[&str] = &[
        "",
        " ",
        "A",
        "ABCDEFGHIJKLMNOPQRST",
        "ABCDEFGHIJKLMNOPQRSTU",
        " A",
        "A ",
        "A B",
        "a",
        "Ab",
        "A\tB",
        "A\u{7f}",
        "ÄB",
        "äb",
        "ß",
        "A\u{200B}",
        "~!@#$%^&*()_+",
        "A\u{1}",
    ];

    #[test]
    fn a_code_taken_as_it_is_is_what_the_full_check_gives() {
        for s in EDGES {
            let fast = ContactNo::new(s).map(|c| c.0);
            let full = check_code(ContactNo::KIND, ContactNo::MAX_LEN, s);
            assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{s:?}");
        }
    }

    #[test]
    fn a_text_checked_in_place_is_refused_as_the_copying_check_refuses_it() {
        for s in EDGES {
            for max in [0, 1, 20, 21] {
                let slow = s.chars().count() <= max && !s.chars().any(breaks_text);
                assert_eq!(
                    check_text_only("t", s, max).is_ok(),
                    slow,
                    "{s:?} max {max}"
                );
                assert_eq!(check_text("t", s, max).ok().as_deref(), slow.then_some(*s));
            }
        }
    }

    #[test]
    fn codes_are_upper_cased_and_length_checked() {
        assert_eq!(ContactNo::new(" ct001 ").unwrap().as_str(), "CT001");
        assert!(matches!(
            TemplateCode::new("ABCDEFGHIJK"),
            Err(DomainError::CodeTooLong {
                max: 10,
                len: 11,
                ..
            })
        ));
        assert!(matches!(
            ContactNo::new(""),
            Err(DomainError::EmptyCode { .. })
        ));
        assert!(matches!(
            ContactNo::new("A\u{7}B"),
            Err(DomainError::BadCharacter { .. })
        ));
    }

    #[test]
    fn a_code_is_checked_after_upper_casing() {
        // `ß` upper-cases to two characters, `ǰ` to `J` and a combining caron.
        assert!(matches!(
            GroupCode::new("ßßßßßß"),
            Err(DomainError::CodeTooLong { len: 12, .. })
        ));
        assert!(matches!(
            GroupCode::new("ǰ1"),
            Err(DomainError::BadCharacter { .. })
        ));
        assert!(matches!(
            ContactNo::new("J\u{200B}O"),
            Err(DomainError::BadCharacter { .. })
        ));
    }

    #[test]
    fn decoding_revalidates() {
        let bad: Result<ContactNo, _> = serde_json::from_str("\"\"");
        assert!(bad.is_err());
        let ok: ContactNo = serde_json::from_str("\"ct1\"").unwrap();
        assert_eq!(ok.as_str(), "CT1");
    }

    #[test]
    fn user_ids_are_checked_like_codes_and_never_cut() {
        assert_eq!(UserId::new(" alice ").unwrap().as_str(), "ALICE");
        assert_eq!(
            UserId::new("CRONUS\\jane doe").unwrap().as_str(),
            "CRONUS\\JANE DOE"
        );
        let fifty = "u".repeat(50);
        assert_eq!(UserId::new(&fifty).unwrap().as_str().len(), 50);
        assert!(matches!(
            UserId::new(&"u".repeat(51)),
            Err(DomainError::CodeTooLong {
                kind: "user id",
                max: 50,
                len: 51,
                ..
            })
        ));
        assert!(matches!(
            UserId::new(""),
            Err(DomainError::EmptyCode { kind: "user id" })
        ));
        for bad in [
            "\u{1b}[31mEVIL\u{1b}[0m",
            "A\u{9b}2J",
            "TAB\tBED",
            "NEW\nLINE",
            "CR\rHIDE",
            "BIDI\u{202e}DI",
            "ISO\u{2066}LATE",
            "ZERO\u{200b}WIDTH",
            "LINE\u{2028}SEP",
            "NBSP\u{a0}X",
            "A\u{301}",
            "TAG\u{e0041}",
        ] {
            assert!(
                matches!(
                    UserId::new(bad),
                    Err(DomainError::BadCharacter {
                        field: "user id",
                        ..
                    })
                ),
                "{bad:?} should be refused"
            );
        }
        let decoded: Result<UserId, _> = serde_json::from_str("\"A\\u001bB\"");
        assert!(decoded.is_err());
    }

    #[test]
    fn texts_refuse_escapes_bidi_controls_and_line_separators_but_keep_writing() {
        for ok in [
            "Café au lait",
            "שלום",
            "Ünïcödé ✓",
            "a\u{301}",
            "zero\u{200d}joiner",
        ] {
            assert_eq!(check_text("description", ok, 100).as_deref(), Ok(ok));
        }
        for bad in [
            "\u{1b}[2J",
            "\u{9b}31m",
            "a\tb",
            "a\nb",
            "a\u{7f}",
            "\u{202e}txt.exe",
            "\u{2067}x",
            "a\u{2029}b",
        ] {
            assert!(
                matches!(
                    check_text("description", bad, 100),
                    Err(DomainError::BadCharacter {
                        field: "description",
                        ..
                    })
                ),
                "{bad:?} should be refused"
            );
        }
        assert_eq!(
            check_text("description", &"x".repeat(101), 100),
            Err(DomainError::TextTooLong {
                field: "description",
                max: 100,
                len: 101
            })
        );
    }

    #[test]
    fn entry_numbers_parse_positive_only() {
        assert_eq!("7".parse::<EntryNo>().unwrap(), EntryNo(7));
        assert!("0".parse::<EntryNo>().is_err());
        assert!("x".parse::<EntryNo>().is_err());
    }
}
