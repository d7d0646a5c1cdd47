//! Business Central filter expressions over contact fields.
//!
//! A filter is written `FIELD=EXPR` (e.g. `City=London|Paris`, `No.=CT1*`,
//! `Salesperson Code=<>''`). [`FieldFilter::parse`] splits it at the first `=`, resolves the
//! field with [`ContactField::parse`] (BC captions or Rust field names) and parses the rest with
//! the grammar below. [`matches_all`] ANDs a list of filters, as a segment's criteria do.
//!
//! # Grammar
//!
//! ```text
//! expr    = and { "|" and }               alternatives (OR)
//! and     = unary { "&" unary }           conjunction (AND), binds tighter than "|"
//! unary   = "(" expr ")" | term
//! term    = ["@"] [op] ["@"] value        "@" makes the term case-insensitive
//!         | ["@"] [value] ".." [value]    range, both ends included; one end may be left out
//! op      = "=" | "<>" | "<" | "<=" | ">" | ">="
//! value   = { char | "*" | "?" | "'" { char | "''" } "'" }
//! ```
//!
//! * A plain value or `=v` means *equals*; `<>v` means *not equal*; `<`, `<=`, `>`, `>=`
//!   compare; `a..b` is `a ≤ x ≤ b`, `..b` is `x ≤ b`, `a..` is `x ≥ a`.
//! * `*` matches any run of characters (also none), `?` exactly one character. A value with
//!   wildcards means *matches the pattern* (with `=` or no operator) or *does not match* (with
//!   `<>`). Wildcards in a range or with `<`, `<=`, `>`, `>=` are an error.
//! * `'…'` makes everything inside literal (`'a|b'`, `'x..y'`, `'50*'`); `''` inside quotes
//!   is one quote; a value of just `''` is the empty text, so `<>''` means *not empty*. A quote
//!   inside a word (`O'Brien`) opens a quoted part, so such text must be quoted:
//!   `'O''Brien'`.
//! * Unquoted whitespace around terms, after an operator and around `..` is ignored.
//! * Comparisons and ranges use Unicode code point order (the byte order of UTF-8). Without
//!   `@` everything is case-sensitive; with `@` both sides are lower-cased.
//!
//! # Field rules ([`FieldFilter`])
//!
//! * Code fields (No., Company No., Salesperson Code, Country/Region Code, Language Code):
//!   every literal, quoted or not, is upper-cased when parsed, because codes are stored in upper
//!   case (`No.=ct1*` finds `CT100001`).
//! * Exclude from Segment / Privacy Blocked show as `Yes`/`No`; an exact `=`/`<>` literal must
//!   be one of yes/no/true/false/1/0 (any case) and is normalised to `Yes`/`No`.
//! * Type shows as `Company`/`Person`; exact literals company/person (any case) are normalised.
//! * Correspondence Type shows as empty text, `Hard Copy` or `Email`; exact literals `''`,
//!   none, blank, hard copy, hard-copy, hardcopy, email, e-mail (any case) are normalised.
//! * Other exact literals in those three fields are an error, so a typo cannot silently match
//!   nothing. Ranges, comparisons and wildcards are allowed and left as typed.
//!
//! # Guarantees
//!
//! Parsing never panics; every error is a [`FilterError`] that names the problem and points
//! at the offending characters. Matching never fails and does not allocate unless a term uses
//! `@`. Nesting of parentheses is limited to [`MAX_DEPTH`] levels. A [`FieldFilter`]'s text is
//! stored with the segment's criteria and printed again, so it is at most [`MAX_FILTER_LEN`]
//! characters and holds no character that [`breaks_text`](crate::domain::breaks_text)
//! (control characters such as a terminal escape, bidi controls, line separators).

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::ops::Bound;
use std::str::FromStr;

use crate::domain::enums::{ContactKind, CorrespondenceType as Correspondence};
use crate::domain::master::Contact;

/// Deepest nesting of parentheses a filter may use.
pub const MAX_DEPTH: usize = 64;

/// Longest `FIELD=EXPR` filter, in characters (BC keeps a segment criteria line's filters in a
/// `Text[2048]` field). A longer one is refused, never cut.
pub const MAX_FILTER_LEN: usize = 2048;

/// A contact field that a filter can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactField {
    /// `No.`: the contact number (a code).
    No,
    /// `Name`.
    Name,
    /// `Type`: `Company` or `Person`.
    Kind,
    /// `Company No.` (a code).
    CompanyNo,
    /// `Salesperson Code` (a code).
    SalespersonCode,
    /// `City`.
    City,
    /// `Post Code`.
    PostCode,
    /// `Country/Region Code` (a code).
    Country,
    /// `E-Mail`.
    Email,
    /// `Exclude from Segment`: `Yes` or `No`.
    ExcludeFromSegment,
    /// `Privacy Blocked`: `Yes` or `No`.
    PrivacyBlocked,
    /// `Language Code` (a code).
    LanguageCode,
    /// `Phone No.`.
    Phone,
    /// `Correspondence Type`: blank, `Hard Copy` or `Email`.
    CorrespondenceType,
}

/// How a field's literals are checked and normalised when a filter is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Domain {
    /// Free text: kept as typed.
    Text,
    /// A code: literals are upper-cased.
    Code,
    /// Yes/No.
    YesNo,
    /// Company/Person.
    ContactType,
    /// Blank/Hard Copy/Email.
    Correspondence,
}

impl ContactField {
    /// Every field, in the order of BC's Contact card.
    pub const ALL: &'static [ContactField] = &[
        ContactField::No,
        ContactField::Name,
        ContactField::Kind,
        ContactField::CompanyNo,
        ContactField::SalespersonCode,
        ContactField::City,
        ContactField::PostCode,
        ContactField::Country,
        ContactField::Email,
        ContactField::ExcludeFromSegment,
        ContactField::PrivacyBlocked,
        ContactField::LanguageCode,
        ContactField::Phone,
        ContactField::CorrespondenceType,
    ];

    /// Finds a field by its BC caption or its Rust name (`"Company No."`, `"company_no"`).
    ///
    /// Case does not matter, and spaces, `.`, `_`, `-` and `/` are ignored.
    pub fn parse(name: &str) -> Option<ContactField> {
        let key: String = name
            .chars()
            .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '_' | '-' | '/')))
            .flat_map(char::to_lowercase)
            .collect();
        let field = match key.as_str() {
            "no" | "contactno" => ContactField::No,
            "name" => ContactField::Name,
            "type" | "kind" => ContactField::Kind,
            "companyno" => ContactField::CompanyNo,
            "salespersoncode" | "salesperson" => ContactField::SalespersonCode,
            "city" => ContactField::City,
            "postcode" => ContactField::PostCode,
            "country" | "countrycode" | "countryregion" | "countryregioncode" => {
                ContactField::Country
            }
            "email" => ContactField::Email,
            "excludefromsegment" => ContactField::ExcludeFromSegment,
            "privacyblocked" => ContactField::PrivacyBlocked,
            "languagecode" | "language" => ContactField::LanguageCode,
            "phone" | "phoneno" => ContactField::Phone,
            "correspondencetype" => ContactField::CorrespondenceType,
            _ => return None,
        };
        Some(field)
    }

    /// The field's caption in Business Central, e.g. `"Company No."`.
    pub fn caption(self) -> &'static str {
        match self {
            ContactField::No => "No.",
            ContactField::Name => "Name",
            ContactField::Kind => "Type",
            ContactField::CompanyNo => "Company No.",
            ContactField::SalespersonCode => "Salesperson Code",
            ContactField::City => "City",
            ContactField::PostCode => "Post Code",
            ContactField::Country => "Country/Region Code",
            ContactField::Email => "E-Mail",
            ContactField::ExcludeFromSegment => "Exclude from Segment",
            ContactField::PrivacyBlocked => "Privacy Blocked",
            ContactField::LanguageCode => "Language Code",
            ContactField::Phone => "Phone No.",
            ContactField::CorrespondenceType => "Correspondence Type",
        }
    }

    /// The text a filter on this field sees for contact `c`: codes as their text (`""` when
    /// blank), booleans as `"Yes"`/`"No"`, the type as `"Company"`/`"Person"`, the
    /// correspondence type as `""`, `"Hard Copy"` or `"Email"`.
    pub fn value_of(self, c: &Contact) -> Cow<'_, str> {
        fn yes_no(b: bool) -> &'static str {
            if b {
                "Yes"
            } else {
                "No"
            }
        }
        let text: &str = match self {
            ContactField::No => c.no.as_str(),
            ContactField::Name => &c.name,
            ContactField::Kind => match c.kind {
                ContactKind::Company => "Company",
                ContactKind::Person => "Person",
            },
            ContactField::CompanyNo => c.company_no.as_ref().map_or("", |x| x.as_str()),
            ContactField::SalespersonCode => c.salesperson_code.as_ref().map_or("", |x| x.as_str()),
            ContactField::City => &c.city,
            ContactField::PostCode => &c.post_code,
            ContactField::Country => c.country_code.as_ref().map_or("", |x| x.as_str()),
            ContactField::Email => &c.email,
            ContactField::ExcludeFromSegment => yes_no(c.exclude_from_segment),
            ContactField::PrivacyBlocked => yes_no(c.privacy_blocked),
            ContactField::LanguageCode => c.language_code.as_ref().map_or("", |x| x.as_str()),
            ContactField::Phone => &c.phone,
            ContactField::CorrespondenceType => match c.correspondence_type {
                Correspondence::Blank => "",
                Correspondence::HardCopy => "Hard Copy",
                Correspondence::Email => "Email",
            },
        };
        Cow::Borrowed(text)
    }

    /// How this field's literals are normalised.
    fn domain(self) -> Domain {
        match self {
            ContactField::No
            | ContactField::CompanyNo
            | ContactField::SalespersonCode
            | ContactField::Country
            | ContactField::LanguageCode => Domain::Code,
            ContactField::ExcludeFromSegment | ContactField::PrivacyBlocked => Domain::YesNo,
            ContactField::Kind => Domain::ContactType,
            ContactField::CorrespondenceType => Domain::Correspondence,
            ContactField::Name
            | ContactField::City
            | ContactField::PostCode
            | ContactField::Email
            | ContactField::Phone => Domain::Text,
        }
    }
}

impl fmt::Display for ContactField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.caption())
    }
}

/// A filter that could not be parsed, with the place it went wrong.
///
/// Displays as three lines: the problem, the input, and carets under the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FilterError {
    /// The text that was parsed (the whole `FIELD=EXPR` for a [`FieldFilter`]).
    pub input: String,
    /// Where the problem starts, as a character (not byte) index into `input`.
    pub position: usize,
    /// How many characters the problem spans (the caret line shows at least one).
    pub len: usize,
    /// What is wrong, in words.
    pub problem: String,
}

impl FilterError {
    fn new(input: &str, position: usize, len: usize, problem: impl Into<String>) -> Self {
        FilterError {
            input: input.to_string(),
            position,
            len,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bad filter {:?}: {} (at character {})",
            self.input,
            self.problem,
            self.position + 1
        )?;
        // Control characters (tabs, newlines, escapes) and bidi controls would break the
        // alignment of the carets, or the terminal.
        let shown: String = self
            .input
            .chars()
            .map(|c| {
                if crate::domain::breaks_text(c) {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        writeln!(f, "  {shown}")?;
        write!(
            f,
            "  {}{}",
            " ".repeat(self.position),
            "^".repeat(self.len.max(1))
        )
    }
}

/// A parsed filter expression, matched against a field's text with [`FilterExpr::matches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterExpr {
    root: Node,
}

/// A node of the expression tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// At least one must match (`|`).
    Any(Vec<Node>),
    /// All must match (`&`).
    All(Vec<Node>),
    /// A single test.
    Term(Term),
}

/// One test, optionally case-insensitive (its literals are then already lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    test: Test,
    ignore_case: bool,
}

/// What a term checks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    Equal(String),
    NotEqual(String),
    Like(Pattern),
    NotLike(Pattern),
    Less(String),
    LessOrEqual(String),
    Greater(String),
    GreaterOrEqual(String),
    Range {
        from: Option<String>,
        to: Option<String>,
    },
}

/// A wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern(Vec<Segment>);

/// A piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Literal text.
    Text(String),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters.
    Any,
}

impl FilterExpr {
    /// Parses a filter expression such as `A*|B..D&<>BX`; literals are kept as typed.
    pub fn parse(text: &str) -> Result<FilterExpr, FilterError> {
        Parser::new(text, Domain::Text, "").run()
    }

    /// Parses with a field's normalisation rules; error positions are relative to `text`.
    fn parse_for(text: &str, field: ContactField) -> Result<FilterExpr, FilterError> {
        Parser::new(text, field.domain(), field.caption()).run()
    }

    /// True if `value` passes the filter.
    pub fn matches(&self, value: &str) -> bool {
        let subject = Subject {
            raw: value,
            lower: OnceCell::new(),
        };
        self.root.eval(&subject)
    }
}

impl FromStr for FilterExpr {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FilterExpr::parse(s)
    }
}

/// The value being matched, lower-cased at most once and only if a term needs it.
struct Subject<'a> {
    raw: &'a str,
    lower: OnceCell<String>,
}

impl Subject<'_> {
    fn text(&self, ignore_case: bool) -> &str {
        if ignore_case {
            self.lower.get_or_init(|| self.raw.to_lowercase())
        } else {
            self.raw
        }
    }
}

impl Node {
    fn eval(&self, s: &Subject<'_>) -> bool {
        match self {
            Node::Any(nodes) => nodes.iter().any(|n| n.eval(s)),
            Node::All(nodes) => nodes.iter().all(|n| n.eval(s)),
            Node::Term(t) => t.test.eval(s.text(t.ignore_case)),
        }
    }
}

impl Test {
    fn eval(&self, v: &str) -> bool {
        match self {
            Test::Equal(x) => v == x,
            Test::NotEqual(x) => v != x,
            Test::Like(p) => p.matches(v),
            Test::NotLike(p) => !p.matches(v),
            Test::Less(x) => v < x.as_str(),
            Test::LessOrEqual(x) => v <= x.as_str(),
            Test::Greater(x) => v > x.as_str(),
            Test::GreaterOrEqual(x) => v >= x.as_str(),
            Test::Range { from, to } => {
                from.as_deref().is_none_or(|f| v >= f) && to.as_deref().is_none_or(|t| v <= t)
            }
        }
    }
}

impl Pattern {
    /// Wildcard match with backtracking to the last `*` only (enough, because every other
    /// segment has a fixed length): O(pattern × value) at worst.
    fn matches(&self, v: &str) -> bool {
        let p = &self.0;
        let (mut pi, mut vi) = (0usize, 0usize);
        // After the last `*` seen: (segment index after it, value index it currently absorbs to).
        let mut star: Option<(usize, usize)> = None;
        loop {
            let advanced = match p.get(pi) {
                Some(Segment::Any) => {
                    star = Some((pi + 1, vi));
                    pi += 1;
                    continue;
                }
                Some(Segment::One) => match v[vi..].chars().next() {
                    Some(ch) => {
                        vi += ch.len_utf8();
                        true
                    }
                    None => false,
                },
                Some(Segment::Text(t)) => {
                    if v[vi..].starts_with(t.as_str()) {
                        vi += t.len();
                        true
                    } else {
                        false
                    }
                }
                None => {
                    if vi == v.len() {
                        return true;
                    }
                    false
                }
            };
            if advanced {
                pi += 1;
                continue;
            }
            // Mismatch: let the last `*` absorb one more character and retry after it.
            let Some((sp, sv)) = star else { return false };
            let Some(ch) = v[sv..].chars().next() else {
                return false;
            };
            let nv = sv + ch.len_utf8();
            star = Some((sp, nv));
            pi = sp;
            vi = nv;
        }
    }
}

/// A filter on one contact field, as typed by the user (`City=London|Paris`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFilter {
    /// The field filtered on.
    pub field: ContactField,
    /// The parsed expression, with the field's normalisation applied to its literals.
    pub expr: FilterExpr,
    /// The filter exactly as typed, `FIELD=EXPR`.
    pub text: String,
}

impl FieldFilter {
    /// Parses `"FIELD=EXPR"`: split at the FIRST '='; field name per [`ContactField::parse`];
    /// the rest is the expression (may itself start with '<', '>', '=' ...).
    ///
    /// Literals are normalised for the field (see the module docs). Error positions count
    /// characters in the whole `text`.
    pub fn parse(text: &str) -> Result<FieldFilter, FilterError> {
        let len = text.chars().count();
        if len > MAX_FILTER_LEN {
            return Err(FilterError::new(
                text,
                MAX_FILTER_LEN,
                len - MAX_FILTER_LEN,
                format!("too long: {len} characters, at most {MAX_FILTER_LEN} allowed"),
            ));
        }
        if let Some((at, c)) = text
            .chars()
            .enumerate()
            .find(|&(_, c)| crate::domain::breaks_text(c))
        {
            return Err(FilterError::new(
                text,
                at,
                1,
                format!(
                    "the {} {c:?} cannot be part of a filter",
                    crate::domain::char_kind(c)
                ),
            ));
        }
        let Some(eq) = text.find('=') else {
            return Err(FilterError::new(
                text,
                0,
                text.chars().count(),
                "missing '=': a filter is FIELD=EXPR, e.g. City=London",
            ));
        };
        let name_part = &text[..eq];
        let eq_pos = name_part.chars().count();
        let name = name_part.trim();
        if name.is_empty() {
            return Err(FilterError::new(
                text,
                eq_pos,
                1,
                "missing field name before '=' (a filter is FIELD=EXPR)",
            ));
        }
        let Some(field) = ContactField::parse(name) else {
            let lead = name_part.chars().take_while(|c| c.is_whitespace()).count();
            let known: Vec<&str> = ContactField::ALL.iter().map(|f| f.caption()).collect();
            return Err(FilterError::new(
                text,
                lead,
                name.chars().count(),
                format!("unknown field {name:?}; known fields: {}", known.join(", ")),
            ));
        };
        let expr = FilterExpr::parse_for(&text[eq + 1..], field).map_err(|mut e| {
            e.position += eq_pos + 1;
            e.input = text.to_string();
            e
        })?;
        Ok(FieldFilter {
            field,
            expr,
            text: text.to_string(),
        })
    }

    /// The filter `FIELD=value` that passes exactly `value` (quoted when it holds anything the
    /// grammar would read as an operator, a wildcard or a range) — what BC's `SetRange(field,
    /// value)` records, e.g. for a contact added to a segment by hand (`No.=CT100125`).
    pub fn equals(field: ContactField, value: &str) -> FieldFilter {
        let plain = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '+' | '#'));
        let literal = if plain {
            value.to_string()
        } else {
            format!("'{}'", value.replace('\'', "''"))
        };
        let text = format!("{}={literal}", field.caption());
        FieldFilter::parse(&text).expect("a quoted literal always parses")
    }

    /// True if the contact's value of the field passes the expression.
    pub fn matches(&self, c: &Contact) -> bool {
        self.expr.matches(&self.field.value_of(c))
    }
}

impl FromStr for FieldFilter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldFilter::parse(s)
    }
}

impl fmt::Display for FieldFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// All filters must match (AND) — empty slice matches everything.
pub fn matches_all(filters: &[FieldFilter], c: &Contact) -> bool {
    filters.iter().all(|f| f.matches(c))
}

/// A range of values in byte order (the order of UTF-8 text, the order contacts are stored
/// in) that holds every value a filter can pass: what a scan may skip, never what it must
/// return — the filter itself still decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRange {
    /// Lower end.
    pub from: Bound<Vec<u8>>,
    /// Upper end.
    pub to: Bound<Vec<u8>>,
}

impl ValueRange {
    /// Every value.
    pub fn all() -> ValueRange {
        ValueRange {
            from: Bound::Unbounded,
            to: Bound::Unbounded,
        }
    }

    /// True when the range holds every value (nothing to skip).
    pub fn is_all(&self) -> bool {
        matches!((&self.from, &self.to), (Bound::Unbounded, Bound::Unbounded))
    }

    /// True when `v` lies below the range.
    pub fn is_below(&self, v: &[u8]) -> bool {
        match &self.from {
            Bound::Included(f) => v < f.as_slice(),
            Bound::Excluded(f) => v <= f.as_slice(),
            Bound::Unbounded => false,
        }
    }

    /// True when `v` lies above the range.
    pub fn is_above(&self, v: &[u8]) -> bool {
        match &self.to {
            Bound::Included(t) => v > t.as_slice(),
            Bound::Excluded(t) => v >= t.as_slice(),
            Bound::Unbounded => false,
        }
    }

    /// True when `v` lies in the range.
    pub fn contains(&self, v: &[u8]) -> bool {
        !self.is_below(v) && !self.is_above(v)
    }

    /// True when no value lies in the range.
    pub fn is_empty(&self) -> bool {
        match (&self.from, &self.to) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
            (Bound::Included(f), Bound::Included(t)) => f > t,
            (Bound::Included(f) | Bound::Excluded(f), Bound::Excluded(t))
            | (Bound::Excluded(f), Bound::Included(t)) => f >= t,
        }
    }

    fn exactly(v: &str) -> ValueRange {
        ValueRange {
            from: Bound::Included(v.as_bytes().to_vec()),
            to: Bound::Included(v.as_bytes().to_vec()),
        }
    }

    /// The smallest range holding both (for `|`).
    fn hull(self, o: ValueRange) -> ValueRange {
        ValueRange {
            from: looser_from(self.from, o.from),
            to: looser_to(self.to, o.to),
        }
    }

    /// The values in both (for `&`, and for several filters on one field).
    pub fn meet(self, o: ValueRange) -> ValueRange {
        ValueRange {
            from: tighter_from(self.from, o.from),
            to: tighter_to(self.to, o.to),
        }
    }
}

/// Of two lower ends, the one that lets more values in.
fn looser_from(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => Bound::Unbounded,
        (a, b) => {
            if tighter_from(a.clone(), b.clone()) == a {
                b
            } else {
                a
            }
        }
    }
}

/// Of two lower ends, the one that lets fewer values in.
fn tighter_from(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x,
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.max(y)),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.max(y)),
        (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
            if i > e {
                Bound::Included(i)
            } else {
                Bound::Excluded(e)
            }
        }
    }
}

/// Of two upper ends, the one that lets more values in.
fn looser_to(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => Bound::Unbounded,
        (a, b) => {
            if tighter_to(a.clone(), b.clone()) == a {
                b
            } else {
                a
            }
        }
    }
}

/// Of two upper ends, the one that lets fewer values in.
fn tighter_to(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x,
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.min(y)),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.min(y)),
        (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
            if i < e {
                Bound::Included(i)
            } else {
                Bound::Excluded(e)
            }
        }
    }
}

/// The range of contact numbers `filters` (all must match) can pass: the meet of their
/// filters on `No.`; every number when there is none.
pub fn contact_no_range(filters: &[FieldFilter]) -> ValueRange {
    filters
        .iter()
        .filter(|f| f.field == ContactField::No)
        .fold(ValueRange::all(), |r, f| r.meet(f.expr.value_range()))
}

impl FilterExpr {
    /// A range holding every value this expression passes ([`ValueRange`]).
    pub fn value_range(&self) -> ValueRange {
        self.root.value_range()
    }
}

impl Node {
    fn value_range(&self) -> ValueRange {
        match self {
            Node::Any(nodes) => {
                let mut it = nodes.iter().map(Node::value_range);
                let first = it.next().unwrap_or_else(ValueRange::all);
                it.fold(first, ValueRange::hull)
            }
            Node::All(nodes) => nodes
                .iter()
                .map(Node::value_range)
                .fold(ValueRange::all(), ValueRange::meet),
            // Lower-cased comparisons do not follow the stored order.
            Node::Term(t) if t.ignore_case => ValueRange::all(),
            Node::Term(t) => t.test.value_range(),
        }
    }
}

impl Test {
    fn value_range(&self) -> ValueRange {
        let b = |s: &String| s.as_bytes().to_vec();
        match self {
            Test::Equal(x) => ValueRange::exactly(x),
            Test::Less(x) => ValueRange {
                from: Bound::Unbounded,
                to: Bound::Excluded(b(x)),
            },
            Test::LessOrEqual(x) => ValueRange {
                from: Bound::Unbounded,
                to: Bound::Included(b(x)),
            },
            Test::Greater(x) => ValueRange {
                from: Bound::Excluded(b(x)),
                to: Bound::Unbounded,
            },
            Test::GreaterOrEqual(x) => ValueRange {
                from: Bound::Included(b(x)),
                to: Bound::Unbounded,
            },
            Test::Range { from, to } => ValueRange {
                from: from
                    .as_ref()
                    .map_or(Bound::Unbounded, |f| Bound::Included(b(f))),
                to: to
                    .as_ref()
                    .map_or(Bound::Unbounded, |t| Bound::Included(b(t))),
            },
            // A pattern with a literal start passes only values with that prefix.
            Test::Like(Pattern(segs)) => match segs.first() {
                Some(Segment::Text(t)) if !t.is_empty() => ValueRange {
                    from: Bound::Included(b(t)),
                    to: prefix_end(t.as_bytes()),
                },
                _ => ValueRange::all(),
            },
            Test::NotEqual(_) | Test::NotLike(_) => ValueRange::all(),
        }
    }
}

/// The first byte string above every string that starts with `prefix`.
fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Bound::Excluded(end);
        }
    }
    Bound::Unbounded
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/// One character of a term after quote processing.
#[derive(Clone, Copy, Debug)]
struct Unit {
    /// Character index in the input.
    pos: usize,
    kind: UnitKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnitKind {
    /// A character outside quotes (may be special).
    Plain(char),
    /// A character inside quotes (always literal; `''` gives one `'`).
    Quoted(char),
    /// An opening or closing quote: no character, but it makes `''` a value.
    QuoteMark,
}

impl Unit {
    fn is_plain(&self, c: char) -> bool {
        self.kind == UnitKind::Plain(c)
    }
    fn is_blank(&self) -> bool {
        matches!(self.kind, UnitKind::Plain(c) if c.is_whitespace())
    }
}

/// Drops unquoted whitespace at both ends.
fn trim(units: &[Unit]) -> &[Unit] {
    let start = units
        .iter()
        .position(|u| !u.is_blank())
        .unwrap_or(units.len());
    let end = units
        .iter()
        .rposition(|u| !u.is_blank())
        .map_or(start, |i| i + 1);
    &units[start..end]
}

/// The character span `[first, last]` of some units, as (position, len).
fn span(units: &[Unit]) -> (usize, usize) {
    match (units.first(), units.last()) {
        (Some(a), Some(b)) => (a.pos, b.pos + 1 - a.pos),
        _ => (0, 1),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A value after quote and wildcard processing.
struct Value {
    segments: Vec<Segment>,
    /// Position of the first unquoted `*` or `?`.
    wildcard: Option<usize>,
    /// (position, len) of the value, for messages.
    span: (usize, usize),
}

impl Value {
    /// The literal text (meaningful when there is no wildcard).
    fn into_text(self) -> String {
        self.segments
            .into_iter()
            .filter_map(|s| match s {
                Segment::Text(t) => Some(t),
                _ => None,
            })
            .collect()
    }
}

/// The operator or bracket just before the current term, for messages about empty terms.
type Prev = Option<(usize, char)>;

struct Parser<'a> {
    input: &'a str,
    chars: Vec<char>,
    pos: usize,
    domain: Domain,
    caption: &'static str,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, domain: Domain, caption: &'static str) -> Self {
        Parser {
            input,
            chars: input.chars().collect(),
            pos: 0,
            domain,
            caption,
        }
    }

    fn err(&self, position: usize, len: usize, problem: impl Into<String>) -> FilterError {
        FilterError::new(self.input, position, len, problem)
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn run(mut self) -> Result<FilterExpr, FilterError> {
        let root = self.or(0, None)?;
        self.skip_ws();
        if let Some(c) = self.peek() {
            return Err(self.unexpected(c));
        }
        Ok(FilterExpr { root })
    }

    /// Error for a character that cannot follow a complete term or group.
    fn unexpected(&self, c: char) -> FilterError {
        let problem = match c {
            ')' => "unbalanced parentheses: this ')' has no matching '('",
            '(' => "unexpected '(': put '|' or '&' before it, or quote the text ('(x)')",
            _ => "unexpected text after ')': put '|' or '&' before it",
        };
        self.err(self.pos, 1, problem)
    }

    fn or(&mut self, depth: usize, prev: Prev) -> Result<Node, FilterError> {
        let mut nodes = vec![self.and(depth, prev)?];
        loop {
            self.skip_ws();
            if self.peek() != Some('|') {
                break;
            }
            let at = self.pos;
            self.pos += 1;
            nodes.push(self.and(depth, Some((at, '|')))?);
        }
        Ok(if nodes.len() == 1 {
            nodes.swap_remove(0)
        } else {
            Node::Any(nodes)
        })
    }

    fn and(&mut self, depth: usize, prev: Prev) -> Result<Node, FilterError> {
        let mut nodes = vec![self.unary(depth, prev)?];
        loop {
            self.skip_ws();
            if self.peek() != Some('&') {
                break;
            }
            let at = self.pos;
            self.pos += 1;
            nodes.push(self.unary(depth, Some((at, '&')))?);
        }
        Ok(if nodes.len() == 1 {
            nodes.swap_remove(0)
        } else {
            Node::All(nodes)
        })
    }

    fn unary(&mut self, depth: usize, prev: Prev) -> Result<Node, FilterError> {
        self.skip_ws();
        if self.peek() != Some('(') {
            return self.term(prev).map(Node::Term);
        }
        let open = self.pos;
        if depth >= MAX_DEPTH {
            return Err(self.err(
                open,
                1,
                format!("parentheses nested too deeply (at most {MAX_DEPTH} levels)"),
            ));
        }
        self.pos += 1;
        let inner = self.or(depth + 1, Some((open, '(')))?;
        self.skip_ws();
        match self.peek() {
            Some(')') => {
                self.pos += 1;
                Ok(inner)
            }
            None => Err(self.err(open, 1, "unbalanced parentheses: this '(' is never closed")),
            Some(c) => Err(self.unexpected(c)),
        }
    }

    /// Reads one term up to an unquoted `|`, `&`, `(`, `)` or the end, and parses it.
    fn term(&mut self, prev: Prev) -> Result<Term, FilterError> {
        let mut units = Vec::new();
        let mut open_quote: Option<usize> = None;
        while let Some(c) = self.peek() {
            let pos = self.pos;
            match open_quote {
                None => {
                    if matches!(c, '|' | '&' | '(' | ')') {
                        break;
                    }
                    if c == '\'' {
                        open_quote = Some(pos);
                        units.push(Unit {
                            pos,
                            kind: UnitKind::QuoteMark,
                        });
                    } else {
                        units.push(Unit {
                            pos,
                            kind: UnitKind::Plain(c),
                        });
                    }
                }
                Some(_) if c == '\'' => {
                    if self.chars.get(pos + 1) == Some(&'\'') {
                        units.push(Unit {
                            pos,
                            kind: UnitKind::Quoted('\''),
                        });
                        self.pos += 1;
                    } else {
                        open_quote = None;
                        units.push(Unit {
                            pos,
                            kind: UnitKind::QuoteMark,
                        });
                    }
                }
                Some(_) => units.push(Unit {
                    pos,
                    kind: UnitKind::Quoted(c),
                }),
            }
            self.pos += 1;
        }
        if let Some(q) = open_quote {
            return Err(self.err(q, 1, "unbalanced quote: this ' is never closed"));
        }
        let units = trim(&units);
        if units.is_empty() {
            return Err(self.empty_term(prev));
        }
        self.parse_term(units)
    }

    /// Error for a term with nothing in it, named after what surrounds it.
    fn empty_term(&self, prev: Prev) -> FilterError {
        let next = self.peek();
        match (prev, next) {
            (Some((p, c @ ('|' | '&'))), _) => {
                self.err(p, 1, format!("'{c}' has no value after it"))
            }
            (_, Some(c @ ('|' | '&'))) => {
                self.err(self.pos, 1, format!("'{c}' has no value before it"))
            }
            (Some((p, '(')), Some(')')) => self.err(
                p,
                self.pos + 1 - p,
                "empty parentheses (use '' for the empty value)",
            ),
            (Some((p, '(')), _) => {
                self.err(p, 1, "unbalanced parentheses: this '(' is never closed")
            }
            (_, Some(')')) => self.err(
                self.pos,
                1,
                "unbalanced parentheses: this ')' has no matching '('",
            ),
            _ => self.err(
                0,
                self.chars.len(),
                "empty filter expression (use '' for the empty value)",
            ),
        }
    }

    /// Parses a trimmed, non-empty term.
    fn parse_term(&self, units: &[Unit]) -> Result<Term, FilterError> {
        let skip_blanks = |mut i: usize| {
            while units.get(i).is_some_and(Unit::is_blank) {
                i += 1;
            }
            i
        };
        let mut i = 0;
        let mut at: Option<usize> = None;
        if units[0].is_plain('@') {
            at = Some(units[0].pos);
            i = skip_blanks(1);
        }
        let mut op: Option<(Op, usize, usize)> = None;
        if let Some(u) = units.get(i) {
            let next = units.get(i + 1).map(|n| n.kind);
            let found = match (u.kind, next) {
                (UnitKind::Plain('<'), Some(UnitKind::Plain('>'))) => Some((Op::Ne, 2)),
                (UnitKind::Plain('<'), Some(UnitKind::Plain('='))) => Some((Op::Le, 2)),
                (UnitKind::Plain('<'), _) => Some((Op::Lt, 1)),
                (UnitKind::Plain('>'), Some(UnitKind::Plain('='))) => Some((Op::Ge, 2)),
                (UnitKind::Plain('>'), _) => Some((Op::Gt, 1)),
                (UnitKind::Plain('='), _) => Some((Op::Eq, 1)),
                _ => None,
            };
            if let Some((o, n)) = found {
                op = Some((o, u.pos, n));
                i = skip_blanks(i + n);
            }
        }
        if let Some(u) = units.get(i).filter(|u| u.is_plain('@')) {
            if at.is_some() {
                return Err(self.err(u.pos, 1, "'@' given twice in one term"));
            }
            at = Some(u.pos);
            i = skip_blanks(i + 1);
        }
        let ignore_case = at.is_some();
        let rest = &units[i..];
        if rest.is_empty() {
            return Err(match (op, at) {
                (Some((o, p, n)), _) => self.err(
                    p,
                    n,
                    format!(
                        "'{}' needs a value after it (write '' for the empty value)",
                        o.text()
                    ),
                ),
                (None, Some(p)) => self.err(p, 1, "'@' needs a value after it"),
                (None, None) => self.err(span(units).0, 1, "a value is missing"),
            });
        }

        let mut dots = Vec::new();
        let mut j = 0;
        while j + 1 < rest.len() {
            if rest[j].is_plain('.') && rest[j + 1].is_plain('.') {
                dots.push(j);
                j += 2;
            } else {
                j += 1;
            }
        }
        if let Some(&second) = dots.get(1) {
            return Err(self.err(rest[second].pos, 2, "a range may have only one \"..\""));
        }
        let test = if let Some(&d) = dots.first() {
            if let Some((o, p, n)) = op {
                return Err(self.err(
                    p,
                    n,
                    format!(
                        "'{}' cannot be combined with a range (write A..B, ..B or A..)",
                        o.text()
                    ),
                ));
            }
            let from = self.bound(trim(&rest[..d]), ignore_case)?;
            let to = self.bound(trim(&rest[d + 2..]), ignore_case)?;
            if from.is_none() && to.is_none() {
                return Err(self.err(
                    rest[d].pos,
                    2,
                    "a range needs a start, an end or both (A..B, ..B or A..)",
                ));
            }
            Test::Range { from, to }
        } else {
            let value = self.value(rest);
            let op = op.map_or(Op::Eq, |(o, ..)| o);
            match (op, value.wildcard) {
                (Op::Eq | Op::Ne, Some(_)) => {
                    let segments = value
                        .segments
                        .into_iter()
                        .map(|s| match s {
                            Segment::Text(t) => Segment::Text(self.fold(t, ignore_case)),
                            other => other,
                        })
                        .collect();
                    let pattern = Pattern(segments);
                    if op == Op::Eq {
                        Test::Like(pattern)
                    } else {
                        Test::NotLike(pattern)
                    }
                }
                (_, Some(w)) => {
                    return Err(self.err(
                        w,
                        1,
                        format!(
                            "wildcards ('*', '?') cannot be used with '{}' (quote them to mean the character)",
                            op.text()
                        ),
                    ))
                }
                (_, None) => {
                    let span = value.span;
                    let text = self.code_case(value.into_text());
                    let text = if matches!(op, Op::Eq | Op::Ne) {
                        self.normalise(text, span)?
                    } else {
                        text
                    };
                    let text = lower_if(ignore_case, text);
                    match op {
                        Op::Eq => Test::Equal(text),
                        Op::Ne => Test::NotEqual(text),
                        Op::Lt => Test::Less(text),
                        Op::Le => Test::LessOrEqual(text),
                        Op::Gt => Test::Greater(text),
                        Op::Ge => Test::GreaterOrEqual(text),
                    }
                }
            }
        };
        Ok(Term { test, ignore_case })
    }

    /// One end of a range: `None` when left out; wildcards are an error.
    fn bound(&self, units: &[Unit], ignore_case: bool) -> Result<Option<String>, FilterError> {
        if units.is_empty() {
            return Ok(None);
        }
        let value = self.value(units);
        if let Some(w) = value.wildcard {
            return Err(self.err(
                w,
                1,
                "wildcards ('*', '?') cannot be used in a range (quote them to mean the character)",
            ));
        }
        Ok(Some(self.fold(value.into_text(), ignore_case)))
    }

    /// Turns units into pattern segments, noting the first wildcard.
    fn value(&self, units: &[Unit]) -> Value {
        let mut segments = Vec::new();
        let mut text = String::new();
        let mut wildcard = None;
        for u in units {
            let wild = match u.kind {
                UnitKind::Plain('*') => Segment::Any,
                UnitKind::Plain('?') => Segment::One,
                UnitKind::Plain(c) | UnitKind::Quoted(c) => {
                    text.push(c);
                    continue;
                }
                UnitKind::QuoteMark => continue,
            };
            wildcard.get_or_insert(u.pos);
            if !text.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut text)));
            }
            // `**` is the same as `*`.
            if !(wild == Segment::Any && segments.last() == Some(&Segment::Any)) {
                segments.push(wild);
            }
        }
        if !text.is_empty() {
            segments.push(Segment::Text(text));
        }
        Value {
            segments,
            wildcard,
            span: span(units),
        }
    }

    /// Upper-cases literals of code fields.
    fn code_case(&self, text: String) -> String {
        if self.domain == Domain::Code {
            text.to_uppercase()
        } else {
            text
        }
    }

    /// Code upper-casing, then lower-casing for `@` terms.
    fn fold(&self, text: String, ignore_case: bool) -> String {
        lower_if(ignore_case, self.code_case(text))
    }

    /// Normalises an exact `=`/`<>` literal of an option-like field to the text
    /// [`ContactField::value_of`] shows; other fields keep it as typed.
    fn normalise(&self, text: String, span: (usize, usize)) -> Result<String, FilterError> {
        let key = text.trim().to_lowercase();
        let (found, allowed) = match self.domain {
            Domain::Text | Domain::Code => return Ok(text),
            Domain::YesNo => (
                match key.as_str() {
                    "yes" | "true" | "1" => Some("Yes"),
                    "no" | "false" | "0" => Some("No"),
                    _ => None,
                },
                "Yes or No (also true/false, 1/0)",
            ),
            Domain::ContactType => (
                match key.as_str() {
                    "company" => Some("Company"),
                    "person" => Some("Person"),
                    _ => None,
                },
                "Company or Person",
            ),
            Domain::Correspondence => (
                match key.as_str() {
                    "" | "none" | "blank" => Some(""),
                    "hard copy" | "hard-copy" | "hardcopy" | "hard_copy" => Some("Hard Copy"),
                    "email" | "e-mail" => Some("Email"),
                    _ => None,
                },
                "'' (none), Hard Copy or Email",
            ),
        };
        match found {
            Some(v) => Ok(v.to_string()),
            None => Err(self.err(
                span.0,
                span.1,
                format!("{} is {allowed}, not {text:?}", self.caption),
            )),
        }
    }
}

fn lower_if(ignore_case: bool, text: String) -> String {
    if ignore_case {
        text.to_lowercase()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::{ContactNo, CountryCode, LanguageCode, SalespersonCode};
    use crate::domain::enums::{ContactKind, CorrespondenceType};

    /// Does `expr` accept `value`? Panics (test failure) if `expr` does not parse.
    fn accepts(expr: &str, value: &str) -> bool {
        match FilterExpr::parse(expr) {
            Ok(e) => e.matches(value),
            Err(e) => panic!("{expr:?} should parse:\n{e}"),
        }
    }

    fn expr_error(expr: &str) -> FilterError {
        match FilterExpr::parse(expr) {
            Ok(e) => panic!("{expr:?} should not parse, got {e:?}"),
            Err(e) => e,
        }
    }

    fn field_error(filter: &str) -> FilterError {
        match FieldFilter::parse(filter) {
            Ok(f) => panic!("{filter:?} should not parse, got {f:?}"),
            Err(e) => e,
        }
    }

    /// Checks position and span, and that the message's caret line points there.
    fn assert_points_at(e: &FilterError, position: usize, len: usize) {
        assert_eq!((e.position, e.len), (position, len), "{e}");
        let caret_line = format!("\n  {}{}", " ".repeat(position), "^".repeat(len.max(1)));
        let shown = e.to_string();
        assert!(shown.ends_with(&caret_line), "{shown}");
        assert!(
            shown.contains(&format!("(at character {})", position + 1)),
            "{shown}"
        );
    }

    fn field(filter: &str) -> FieldFilter {
        match FieldFilter::parse(filter) {
            Ok(f) => f,
            Err(e) => panic!("{filter:?} should parse:\n{e}"),
        }
    }

    fn contact() -> Contact {
        let no = ContactNo::new("CT100001").expect("valid contact number");
        let mut c = Contact::new(no, "Cronus Ltd", ContactKind::Company);
        c.salesperson_code = Some(SalespersonCode::new("JR").expect("valid code"));
        c.country_code = Some(CountryCode::new("GB").expect("valid code"));
        c.language_code = Some(LanguageCode::new("ENU").expect("valid code"));
        c.city = "London".into();
        c.post_code = "W1 4AB".into();
        c.email = "info@cronus.example".into();
        c.phone = "+44 20 1234".into();
        c.correspondence_type = CorrespondenceType::Email;
        c.privacy_blocked = true;
        c
    }

    // ----- terms -----

    #[test]
    fn an_equals_filter_passes_exactly_its_value() {
        assert_eq!(
            FieldFilter::equals(ContactField::No, "CT100125").text,
            "No.=CT100125"
        );
        for v in [
            "CT100125", "A|B", "A..B", "X*", "O'BRIEN", "<>1", "@CT", "(A)", "A&B", "ä1", "A B",
            "?",
        ] {
            let f = FieldFilter::equals(ContactField::City, v);
            assert!(f.expr.matches(v), "{v:?} → {}", f.text);
            for other in ["", "CT1001", "A", "B", "XY", "O", "1", "CT", "AB"] {
                if other != v {
                    assert!(!f.expr.matches(other), "{} must not pass {other:?}", f.text);
                }
            }
        }
    }

    #[test]
    fn a_plain_value_or_equals_sign_means_equality() {
        assert!(accepts("London", "London"));
        assert!(!accepts("London", "Londonderry"));
        assert!(accepts("=London", "London"));
        assert!(!accepts("=London", "Paris"));
    }

    #[test]
    fn angle_brackets_mean_not_equal() {
        assert!(accepts("<>London", "Paris"));
        assert!(!accepts("<>London", "London"));
    }

    #[test]
    fn comparisons_use_strict_and_inclusive_bounds() {
        assert!(accepts("<B", "A") && !accepts("<B", "B"));
        assert!(accepts("<=B", "B") && !accepts("<=B", "C"));
        assert!(accepts(">B", "C") && !accepts(">B", "B"));
        assert!(accepts(">=B", "B") && !accepts(">=B", "A"));
    }

    #[test]
    fn comparison_uses_code_point_order() {
        assert!(accepts("<a", "Z"), "upper case sorts before lower case");
        assert!(accepts(">z", "é"), "non-ASCII sorts after ASCII");
        assert!(accepts("<B", "AZZZ"), "text, not numbers");
        assert!(accepts(">10", "9"));
    }

    #[test]
    fn a_range_includes_both_ends() {
        assert!(accepts("B..D", "B"));
        assert!(accepts("B..D", "C"));
        assert!(accepts("B..D", "D"));
        assert!(!accepts("B..D", "DA"));
        assert!(!accepts("B..D", "A"));
    }

    #[test]
    fn a_range_without_start_means_up_to() {
        assert!(accepts("..D", "") && accepts("..D", "D"));
        assert!(!accepts("..D", "E"));
    }

    #[test]
    fn a_range_without_end_means_from() {
        assert!(accepts("D..", "D") && accepts("D..", "ZZZ"));
        assert!(!accepts("D..", "C"));
    }

    #[test]
    fn bar_means_or() {
        assert!(accepts("London|Paris|Rome", "Paris"));
        assert!(!accepts("London|Paris|Rome", "Berlin"));
    }

    #[test]
    fn ampersand_means_and() {
        assert!(accepts("A..M&<>London", "Berlin"));
        assert!(!accepts("A..M&<>London", "London"));
        assert!(!accepts("A..M&<>London", "Paris"));
    }

    #[test]
    fn ampersand_binds_tighter_than_bar() {
        // X | (A..C & <>B)
        assert!(accepts("X|A..C&<>B", "X"));
        assert!(accepts("X|A..C&<>B", "A"));
        assert!(!accepts("X|A..C&<>B", "B"));
    }

    #[test]
    fn parentheses_group() {
        // (X | A..C) & <>B
        assert!(accepts("(X|A..C)&<>B", "X"));
        assert!(accepts("(X|A..C)&<>B", "A"));
        assert!(!accepts("(X|A..C)&<>B", "B"));
        assert!(accepts("((A))", "A"));
    }

    #[test]
    fn star_matches_any_run_including_none() {
        assert!(accepts("Lon*", "London"));
        assert!(accepts("Lon*", "Lon"));
        assert!(accepts("*don", "London"));
        assert!(accepts("L*d*n", "London"));
        assert!(accepts("*", ""));
        assert!(!accepts("Lon*", "Berlin"));
        assert!(accepts("a*b*c", "aXbYbc"), "needs backtracking");
        assert!(!accepts("a*b*c", "aXbYbcd"));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        assert!(accepts("L?ndon", "London"));
        assert!(accepts("Caf?", "Café"), "one character, not one byte");
        assert!(!accepts("L?ndon", "Lndon"));
        assert!(!accepts("L?ndon", "Loondon"));
    }

    #[test]
    fn not_equal_with_wildcards_means_does_not_match() {
        assert!(accepts("<>Lon*", "Paris"));
        assert!(!accepts("<>Lon*", "London"));
        assert!(accepts("=Lon*", "London"));
    }

    #[test]
    fn without_at_sign_terms_are_case_sensitive() {
        assert!(!accepts("london", "London"));
        assert!(!accepts("lon*", "London"));
    }

    #[test]
    fn at_sign_makes_a_term_case_insensitive() {
        assert!(accepts("@london", "LONDON"));
        assert!(accepts("@lon*", "London"));
        assert!(accepts("<>@lon*", "Paris"));
        assert!(!accepts("<>@lon*", "LONDON"));
        assert!(
            !accepts("@lon*|paris", "Paris"),
            "only the @ term ignores case"
        );
    }

    #[test]
    fn at_sign_works_with_ranges_and_comparisons() {
        assert!(accepts("@a..c", "B"));
        assert!(!accepts("@a..c", "D"));
        assert!(accepts("@<b", "A"));
        assert!(accepts("<@b", "A"));
    }

    #[test]
    fn quotes_make_special_characters_literal() {
        assert!(accepts("'a|b'", "a|b"));
        assert!(!accepts("'a|b'", "a"));
        assert!(accepts("'x..y'", "x..y"));
        assert!(!accepts("'x..y'", "x"));
        assert!(accepts("'50*'", "50*"));
        assert!(!accepts("'50*'", "500"));
        assert!(accepts("'(a)'&<>''", "(a)"));
        assert!(accepts("'<>x'", "<>x"));
        assert!(accepts("'A*'*", "A*B"), "quoted and wildcard parts mix");
        assert!(!accepts("'A*'*", "AB"));
    }

    #[test]
    fn a_doubled_quote_inside_quotes_is_one_quote() {
        assert!(accepts("'O''Brien'", "O'Brien"));
        assert!(accepts("''''", "'"));
    }

    #[test]
    fn empty_quotes_mean_the_empty_value() {
        assert!(accepts("''", ""));
        assert!(!accepts("''", "x"));
        assert!(accepts("<>''", "x"));
        assert!(!accepts("<>''", ""));
        assert!(accepts("''|London", ""));
    }

    #[test]
    fn whitespace_around_terms_is_ignored_but_not_inside_quotes() {
        assert!(accepts("  London | Paris ", "Paris"));
        assert!(accepts("<> London", "Paris") && !accepts("<> London", "London"));
        assert!(accepts("A .. C", "B"));
        assert!(accepts("New York", "New York"));
        assert!(accepts("' x '", " x "));
        assert!(!accepts("' x '", "x"));
    }

    #[test]
    fn equivalent_spellings_parse_to_the_same_expression() {
        assert_eq!(
            FilterExpr::parse("A|B").ok(),
            FilterExpr::parse(" A | B ").ok()
        );
        assert_eq!(FilterExpr::parse("A").ok(), FilterExpr::parse("=A").ok());
        assert_eq!(
            FilterExpr::parse("A").ok(),
            "'A'".parse::<FilterExpr>().ok()
        );
    }

    // ----- fields -----

    #[test]
    fn fields_are_found_by_caption_or_rust_name() {
        for f in ContactField::ALL {
            assert_eq!(
                ContactField::parse(f.caption()),
                Some(*f),
                "{}",
                f.caption()
            );
            assert_eq!(ContactField::parse(&format!("{f:?}")), Some(*f), "{f:?}");
        }
        let names = [
            ("No.", ContactField::No),
            ("no", ContactField::No),
            ("Type", ContactField::Kind),
            ("kind", ContactField::Kind),
            ("company_no", ContactField::CompanyNo),
            ("salesperson", ContactField::SalespersonCode),
            ("post_code", ContactField::PostCode),
            ("Country", ContactField::Country),
            ("country_code", ContactField::Country),
            ("E-Mail", ContactField::Email),
            ("email", ContactField::Email),
            ("exclude_from_segment", ContactField::ExcludeFromSegment),
            ("PRIVACY BLOCKED", ContactField::PrivacyBlocked),
            ("language", ContactField::LanguageCode),
            ("Phone", ContactField::Phone),
            ("correspondence_type", ContactField::CorrespondenceType),
        ];
        for (name, f) in names {
            assert_eq!(ContactField::parse(name), Some(f), "{name}");
        }
        assert_eq!(ContactField::parse("Colour"), None);
    }

    #[test]
    fn value_of_shows_what_a_filter_sees() {
        let mut c = contact();
        let seen = |c: &Contact, f: ContactField| f.value_of(c).into_owned();
        assert_eq!(seen(&c, ContactField::No), "CT100001");
        assert_eq!(seen(&c, ContactField::Kind), "Company");
        assert_eq!(seen(&c, ContactField::CompanyNo), "CT100001");
        assert_eq!(seen(&c, ContactField::SalespersonCode), "JR");
        assert_eq!(seen(&c, ContactField::PrivacyBlocked), "Yes");
        assert_eq!(seen(&c, ContactField::ExcludeFromSegment), "No");
        assert_eq!(seen(&c, ContactField::CorrespondenceType), "Email");
        c.correspondence_type = CorrespondenceType::HardCopy;
        assert_eq!(seen(&c, ContactField::CorrespondenceType), "Hard Copy");
        c.correspondence_type = CorrespondenceType::Blank;
        c.salesperson_code = None;
        c.kind = ContactKind::Person;
        assert_eq!(seen(&c, ContactField::CorrespondenceType), "");
        assert_eq!(seen(&c, ContactField::SalespersonCode), "");
        assert_eq!(seen(&c, ContactField::Kind), "Person");
    }

    #[test]
    fn a_field_filter_splits_at_the_first_equals_sign() {
        let c = contact();
        let f = field("City==London");
        assert_eq!(f.field, ContactField::City);
        assert_eq!(f.text, "City==London");
        assert!(f.matches(&c));
        assert!(field(" Post Code = W1* ").matches(&c));
        assert!(field("City=<>Paris").matches(&c));
        assert!(!field("City=<>London").matches(&c));
        assert!(field("Name=<=D").matches(&c));
        assert!(field("E-Mail=@*@CRONUS.EXAMPLE").matches(&c));
        assert!(field("Phone No.=+44*").matches(&c));
    }

    #[test]
    fn code_fields_upper_case_quoted_and_unquoted_literals() {
        let c = contact();
        assert!(field("No.=ct1*").matches(&c));
        assert!(field("Salesperson Code='jr'").matches(&c));
        assert!(field("Country=gb|us").matches(&c));
        assert!(field("Language Code=a..f").matches(&c));
        assert!(field("Company No.=<>ct2").matches(&c));
        assert!(!field("Salesperson Code=''").matches(&c));
        assert!(field("Salesperson Code=<>''").matches(&c));
    }

    #[test]
    fn text_fields_keep_literals_as_typed() {
        let c = contact();
        assert!(!field("Name=cronus*").matches(&c));
        assert!(field("Name=@cronus*").matches(&c));
    }

    #[test]
    fn yes_no_fields_accept_common_spellings() {
        let c = contact();
        for yes in ["Yes", "yes", "TRUE", "1"] {
            assert!(
                field(&format!("Privacy Blocked={yes}")).matches(&c),
                "{yes}"
            );
            assert!(
                !field(&format!("Exclude from Segment={yes}")).matches(&c),
                "{yes}"
            );
        }
        for no in ["No", "no", "false", "0"] {
            assert!(!field(&format!("Privacy Blocked={no}")).matches(&c), "{no}");
            assert!(
                field(&format!("Exclude from Segment={no}")).matches(&c),
                "{no}"
            );
        }
        assert!(field("privacy_blocked=<>no").matches(&c));
        let e = field_error("Privacy Blocked=maybe");
        assert_points_at(&e, 16, 5);
        assert!(e.problem.contains("Yes or No"), "{e}");
    }

    #[test]
    fn type_and_correspondence_type_are_normalised() {
        let mut c = contact();
        assert!(field("Type=company").matches(&c));
        assert!(field("Type=<>PERSON").matches(&c));
        assert!(field("Correspondence Type=e-mail").matches(&c));
        c.correspondence_type = CorrespondenceType::HardCopy;
        assert!(field("Correspondence Type=hard-copy").matches(&c));
        assert!(field("Correspondence Type=hard copy").matches(&c));
        assert!(field("Correspondence Type=<>none").matches(&c));
        c.correspondence_type = CorrespondenceType::Blank;
        assert!(field("Correspondence Type=''").matches(&c));
        assert!(field("Correspondence Type=none").matches(&c));
        assert!(field("Type=C*").matches(&c), "wildcards are kept as typed");
        assert_points_at(&field_error("Type=robot"), 5, 5);
        assert_points_at(&field_error("Correspondence Type=fax"), 20, 3);
    }

    #[test]
    fn all_filters_must_match() {
        let c = contact();
        let both = [field("City=London"), field("No.=CT*")];
        assert!(matches_all(&both, &c));
        let one_fails = [field("City=London"), field("No.=XX*")];
        assert!(!matches_all(&one_fails, &c));
        assert!(matches_all(&[], &c), "no filters match everything");
    }

    // ----- errors -----

    #[test]
    fn escapes_bidi_controls_and_overlong_filters_are_refused() {
        for (filter, at) in [
            ("City=\u{1b}[31mRed", 5),
            ("Name=A\u{202e}B", 6),
            ("City=Lon\ndon", 8),
            ("City\u{9b}=x", 4),
        ] {
            let e = FieldFilter::parse(filter).expect_err(filter);
            assert_eq!(e.position, at, "{filter:?}: {e}");
            assert!(e.problem.contains("cannot be part of a filter"), "{e}");
            assert!(
                !e.to_string().contains(['\u{1b}', '\u{202e}', '\u{9b}']),
                "{e}"
            );
        }
        let long = format!("Name={}", "x".repeat(MAX_FILTER_LEN - 4));
        let e = FieldFilter::parse(&long).expect_err("too long");
        assert!(e.problem.contains("at most 2048"), "{e}");
        let longest = format!("Name={}", "x".repeat(MAX_FILTER_LEN - 5));
        assert!(FieldFilter::parse(&longest).is_ok());
    }

    #[test]
    fn error_display_points_at_the_problem() {
        let e = field_error("Name=A..B..C");
        assert_eq!(
            e.to_string(),
            "bad filter \"Name=A..B..C\": a range may have only one \"..\" (at character 10)\n  \
             Name=A..B..C\n           ^^"
        );
    }

    #[test]
    fn an_empty_expression_is_an_error() {
        assert_points_at(&expr_error(""), 0, 0);
        assert_points_at(&expr_error("   "), 0, 3);
        let e = field_error("City=");
        assert_points_at(&e, 5, 0);
        assert!(e.problem.contains("empty"), "{e}");
    }

    #[test]
    fn unbalanced_parentheses_are_errors() {
        assert_points_at(&expr_error("(A|B"), 0, 1);
        assert_points_at(&expr_error("A|B)"), 3, 1);
        assert_points_at(&expr_error(")"), 0, 1);
        assert_points_at(&expr_error("(A)B"), 3, 1);
        assert_points_at(&expr_error("A(B)"), 1, 1);
        assert_points_at(&expr_error("A|( )"), 2, 3);
    }

    #[test]
    fn an_unclosed_quote_is_an_error() {
        let e = expr_error("A|'B|C");
        assert_points_at(&e, 2, 1);
        assert!(e.problem.contains("quote"), "{e}");
        assert_points_at(&expr_error("O'Brien"), 1, 1);
        assert_points_at(&expr_error("'''"), 0, 1);
    }

    #[test]
    fn two_ranges_in_one_term_are_an_error() {
        assert_points_at(&expr_error("A..B..C"), 4, 2);
    }

    #[test]
    fn a_range_needs_at_least_one_end() {
        assert_points_at(&expr_error(" .. "), 1, 2);
    }

    #[test]
    fn an_operator_cannot_be_combined_with_a_range() {
        assert_points_at(&expr_error("<>A..B"), 0, 2);
    }

    #[test]
    fn an_operator_needs_a_value() {
        let e = expr_error("<>");
        assert_points_at(&e, 0, 2);
        assert!(e.problem.contains("''"), "suggests the empty value: {e}");
        assert_points_at(&expr_error("A|>="), 2, 2);
        assert_points_at(&expr_error("<|A"), 0, 1);
        assert_points_at(&expr_error("@"), 0, 1);
        assert_points_at(&expr_error("@<>@x"), 3, 1);
    }

    #[test]
    fn wildcards_in_ranges_and_comparisons_are_errors() {
        assert_points_at(&expr_error("A*..C"), 1, 1);
        assert_points_at(&expr_error("A..C?"), 4, 1);
        assert_points_at(&expr_error("<A*"), 2, 1);
        assert_points_at(&expr_error(">= ?"), 3, 1);
    }

    #[test]
    fn dangling_bar_or_ampersand_is_an_error() {
        assert_points_at(&expr_error("A|"), 1, 1);
        assert_points_at(&expr_error("|A"), 0, 1);
        assert_points_at(&expr_error("A||B"), 1, 1);
        assert_points_at(&expr_error("A& "), 1, 1);
        assert_points_at(&expr_error("(A&)"), 2, 1);
        assert!(expr_error("A&").problem.contains('&'));
    }

    #[test]
    fn an_unknown_field_is_an_error_listing_the_known_ones() {
        let e = field_error(" Colour =Red");
        assert_points_at(&e, 1, 6);
        assert!(e.problem.contains("Company No.") && e.problem.contains("Privacy Blocked"));
    }

    #[test]
    fn a_missing_equals_sign_is_an_error() {
        let e = field_error("City London");
        assert_points_at(&e, 0, 11);
        assert!(e.problem.contains("missing '='"), "{e}");
        assert_points_at(&field_error("=London"), 0, 1);
    }

    #[test]
    fn expression_errors_point_into_the_whole_field_filter() {
        assert_points_at(&field_error("City=A|"), 6, 1);
        assert_points_at(&field_error("Name=<>"), 5, 2);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}A{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_points_at(&expr_error(&deep), MAX_DEPTH, 1);
        let ok = format!("{}A{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(accepts(&ok, "A"));
    }

    #[test]
    fn control_characters_do_not_break_the_caret_line() {
        let e = expr_error("A|\t|B");
        assert_points_at(&e, 1, 1);
        assert!(e.to_string().contains("\n  A| |B\n"), "{e}");
    }

    fn range_of(expr: &str) -> ValueRange {
        FilterExpr::parse(expr).unwrap().value_range()
    }

    fn inc(v: &str) -> Bound<Vec<u8>> {
        Bound::Included(v.as_bytes().to_vec())
    }

    fn exc(v: &str) -> Bound<Vec<u8>> {
        Bound::Excluded(v.as_bytes().to_vec())
    }

    #[test]
    fn value_ranges_bound_what_an_expression_can_pass() {
        let r = |from, to| ValueRange { from, to };
        use Bound::Unbounded as U;
        assert_eq!(range_of("CT100..CT200"), r(inc("CT100"), inc("CT200")));
        assert_eq!(range_of("CT1*"), r(inc("CT1"), exc("CT2")));
        assert_eq!(range_of("CT100|CT300"), r(inc("CT100"), inc("CT300")));
        assert_eq!(range_of(">CT1&<CT5"), r(exc("CT1"), exc("CT5")));
        assert_eq!(range_of(">=CT1&<=CT5&CT3*"), r(inc("CT3"), exc("CT4")));
        assert_eq!(range_of("..CT5"), r(U, inc("CT5")));
        assert!(range_of("<>CT1").is_all());
        assert!(range_of("*1").is_all());
        assert!(
            range_of("@ct1").is_all(),
            "case-insensitive terms do not follow byte order"
        );
        assert!(range_of("CT1|<>CT2").is_all());
        assert!(range_of("CT5..CT1").is_empty());
        assert!(range_of("CT1&CT2").is_empty());
        assert!(!range_of("CT1..CT1").is_empty());
        // Several filters on No. meet; filters on other fields leave the range alone.
        let fs = [
            FieldFilter::parse("No.=CT1*").unwrap(),
            FieldFilter::parse("City=London").unwrap(),
            FieldFilter::parse("No.=>=CT15").unwrap(),
        ];
        assert_eq!(contact_no_range(&fs), r(inc("CT15"), exc("CT2")));
        assert!(contact_no_range(&fs[1..2]).is_all());
    }

    proptest::proptest! {
        /// Whatever the expression, every value it passes lies in its range.
        #[test]
        fn every_value_an_expression_passes_lies_in_its_range(
            terms in proptest::collection::vec(
                (0usize..9, "[A-C]{0,3}", "[A-C]{0,3}", proptest::bool::ANY), 1..4),
            values in proptest::collection::vec("[A-C]{0,4}", 1..30),
        ) {
            let term = |(op, a, b, wild): &(usize, String, String, bool)| {
                let a = if a.is_empty() { "A".to_string() } else { a.clone() };
                let b = if b.is_empty() { "C".to_string() } else { b.clone() };
                match op {
                    0 => a,
                    1 => format!("<>{a}"),
                    2 => format!("<{a}"),
                    3 => format!("<={a}"),
                    4 => format!(">{a}"),
                    5 => format!(">={a}"),
                    6 => format!("{a}..{b}"),
                    7 => if *wild { format!("{a}*") } else { format!("{a}?") },
                    _ => format!("@{a}"),
                }
            };
            let mut expr = String::new();
            for (i, t) in terms.iter().enumerate() {
                if i > 0 {
                    expr.push(if t.3 { '|' } else { '&' });
                }
                expr.push_str(&term(t));
            }
            let e = FilterExpr::parse(&expr).unwrap();
            let r = e.value_range();
            for v in &values {
                if e.matches(v) {
                    proptest::prop_assert!(r.contains(v.as_bytes()), "{expr:?} passes {v:?} outside {r:?}");
                }
            }
        }
    }
}
