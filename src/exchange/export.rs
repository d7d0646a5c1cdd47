//! Export of interaction log entries, logged segments, contacts and statistics as CSV (any
//! delimiter), TSV, JSON or JSON Lines, optionally with a byte-order mark and BC's captions.
//!
//! Every kind has one fixed list of columns ([`ENTRY_COLUMNS`], [`LOGGED_SEGMENT_COLUMNS`],
//! [`CONTACT_COLUMNS`], [`STATS_COLUMNS`]): it is the CSV header, the order of every CSV row and
//! the field names (and order) of every JSON object. Values are written the same way in both
//! formats: dates ISO-8601 (`2025-03-14`), times `HH:MM:SS`, money with two decimals (`12.34`,
//! a string in JSON), booleans `true`/`false`, options by their kebab-case names, a missing
//! value as an empty CSV cell or JSON `null`.
//!
//! Output is streamed: entries are written one by one as [`interactions::for_each`] hands them
//! out, through a buffered writer, so memory stays flat whatever the number of entries. JSON is
//! an array written piece by piece (`[`, objects separated by `,\n`, `]`).
//!
//! CSV and TSV cells that a spreadsheet would read as a formula — starting with `=`, `+`, `-`,
//! `@`, a tab, a carriage return, a full-width `＝` or a byte-order mark, or with one or more `'`
//! followed by one of these — get one more leading single quote `'` ([`neutralize_formula`],
//! OWASP's advice against CSV injection); the importer removes exactly that quote again
//! ([`restore_formula`]), so interlog's own export imports with the original values. `--raw`
//! ([`ExportOptions::raw`]) writes cells as they are. Amounts are never negative, so no numeric
//! column is affected. JSON and JSON Lines are never altered.
//!
//! [`export_to_file`] writes to a temporary file next to the target and renames it at the end,
//! so a failed export never leaves a partial file under the final name. The temporary file gets
//! an unpredictable name and is created exclusively (`O_EXCL`, [`tempfile`]), so nothing planted
//! in the directory beforehand can redirect the write. The target must be a regular file or
//! not exist yet: a directory, device, FIFO or socket is refused, and so is a symbolic link
//! (interlog does not write through links: a link planted where the export goes would send
//! it anywhere — give the real path). The target may not lie in the store's directory.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use serde::{Serialize, Serializer};

use crate::domain::*;
use crate::ops::interactions::{self, EntryFilter};
use crate::ops::stats::{self, StatsBy, StatsRow};
use crate::ops::{logged, master, OpError};
use crate::progress::Progress;
use crate::storage::Store;

/// Columns of an interaction log entry export.
pub const ENTRY_COLUMNS: [&str; 25] = [
    "entry_no",
    "contact_no",
    "contact_company_no",
    "date",
    "time_of_interaction",
    "description",
    "subject",
    "information_flow",
    "initiated_by",
    "cost",
    "duration_min",
    "user_id",
    "group_code",
    "template_code",
    "campaign_no",
    "campaign_entry_no",
    "segment_no",
    "logged_segment_entry_no",
    "salesperson_code",
    "correspondence_type",
    "language_code",
    "evaluation",
    "attempt_failed",
    "canceled",
    "comments",
];

/// Columns of a logged segment export (BC's counts included).
pub const LOGGED_SEGMENT_COLUMNS: [&str; 14] = [
    "entry_no",
    "segment_no",
    "description",
    "creation_date",
    "user_id",
    "canceled",
    "first_entry_no",
    "entries_written",
    "entries",
    "canceled_entries",
    "no_of_interactions",
    "no_of_campaign_entries",
    "campaign_entry_nos",
    "follow_up_segment",
];

/// Columns of a contact export: the importer's own column names, so the file imports again.
pub const CONTACT_COLUMNS: [&str; 14] = [
    "no",
    "name",
    "kind",
    "company_no",
    "salesperson_code",
    "language_code",
    "email",
    "correspondence_type",
    "exclude_from_segment",
    "privacy_blocked",
    "city",
    "post_code",
    "country_code",
    "phone",
];

/// Columns of a statistics export; `key` is the template, group, contact, salesperson or
/// campaign the row is about.
pub const STATS_COLUMNS: [&str; 5] = ["key", "interactions", "cost", "duration_min", "last_date"];

/// Separator of list values (comments, campaign entries) inside one CSV cell.
pub const LIST_SEPARATOR: &str = " | ";

/// BC's captions of the entry columns (table Interaction Log Entry), in [`ENTRY_COLUMNS`] order.
pub const ENTRY_CAPTIONS: [&str; 25] = [
    "Entry No.",
    "Contact No.",
    "Contact Company No.",
    "Date",
    "Time of Interaction",
    "Description",
    "Subject",
    "Information Flow",
    "Initiated By",
    "Cost (LCY)",
    "Duration (Min.)",
    "User ID",
    "Interaction Group Code",
    "Interaction Template Code",
    "Campaign No.",
    "Campaign Entry No.",
    "Segment No.",
    "Logged Segment Entry No.",
    "Salesperson Code",
    "Correspondence Type",
    "Interaction Language Code",
    "Evaluation",
    "Attempt Failed",
    "Canceled",
    "Comments",
];

/// BC's captions of the logged segment columns (table Logged Segment; interlog's own counts
/// keep their names), in [`LOGGED_SEGMENT_COLUMNS`] order.
pub const LOGGED_SEGMENT_CAPTIONS: [&str; 14] = [
    "Entry No.",
    "Segment No.",
    "Description",
    "Creation Date",
    "User ID",
    "Canceled",
    "first_entry_no",
    "entries_written",
    "entries",
    "canceled_entries",
    "No. of Interactions",
    "No. of Campaign Entries",
    "campaign_entry_nos",
    "follow_up_segment",
];

/// BC's captions of the contact columns (table Contact), in [`CONTACT_COLUMNS`] order; the
/// importer takes them, so a file exported with them imports again and loads into BC.
pub const CONTACT_CAPTIONS: [&str; 14] = [
    "No.",
    "Name",
    "Type",
    "Company No.",
    "Salesperson Code",
    "Language Code",
    "E-Mail",
    "Correspondence Type",
    "Exclude from Segment",
    "Privacy Blocked",
    "City",
    "Post Code",
    "Country/Region Code",
    "Phone No.",
];

/// Columns of a salespeople export (the importer's names; BC's captions below).
pub const SALESPERSON_COLUMNS: [&str; 5] = ["code", "name", "email", "blocked", "privacy_blocked"];
/// BC's captions of [`SALESPERSON_COLUMNS`].
pub const SALESPERSON_CAPTIONS: [&str; 5] =
    ["Code", "Name", "E-Mail", "Blocked", "Privacy Blocked"];
/// Columns of an interaction groups export.
pub const GROUP_COLUMNS: [&str; 2] = ["code", "description"];
/// BC's captions of [`GROUP_COLUMNS`].
pub const GROUP_CAPTIONS: [&str; 2] = ["Code", "Description"];
/// Columns of an interaction templates export.
pub const TEMPLATE_COLUMNS: [&str; 11] = [
    "code",
    "group_code",
    "description",
    "unit_cost",
    "unit_duration_min",
    "information_flow",
    "initiated_by",
    "correspondence_type_default",
    "ignore_contact_correspondence_type",
    "language_code_default",
    "campaign_no",
];
/// BC's captions of [`TEMPLATE_COLUMNS`].
pub const TEMPLATE_CAPTIONS: [&str; 11] = [
    "Code",
    "Interaction Group Code",
    "Description",
    "Unit Cost (LCY)",
    "Unit Duration (Min.)",
    "Information Flow",
    "Initiated By",
    "Correspondence Type (Default)",
    "Ignore Contact Corres. Type",
    "Language Code (Default)",
    "Campaign No.",
];
/// Columns of a campaigns export.
pub const CAMPAIGN_COLUMNS: [&str; 5] = [
    "no",
    "description",
    "starting_date",
    "ending_date",
    "salesperson_code",
];
/// BC's captions of [`CAMPAIGN_COLUMNS`].
pub const CAMPAIGN_CAPTIONS: [&str; 5] = [
    "No.",
    "Description",
    "Starting Date",
    "Ending Date",
    "Salesperson Code",
];

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Comma-separated values with a header row (another separator with `--delimiter`).
    #[default]
    Csv,
    /// Tab-separated values with a header row (CSV quoting where a cell needs it).
    Tsv,
    /// A JSON array of objects.
    Json,
    /// JSON Lines: one JSON object per line, no array around them.
    Jsonl,
}

impl Format {
    /// True for the formats meant for spreadsheets (CSV, TSV), whose cells are neutralised.
    pub fn is_delimited(self) -> bool {
        matches!(self, Format::Csv | Format::Tsv)
    }
}

/// The header row of a delimited export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Headers {
    /// interlog's column names (`contact_no`), the same as the JSON field names.
    #[default]
    Names,
    /// Business Central's captions (`Contact No.`) where BC has the field.
    Bc,
}

/// How an export is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The format.
    pub format: Format,
    /// The separator of CSV cells (default `,`; TSV always uses a tab).
    pub delimiter: Option<u8>,
    /// Start the output with a UTF-8 byte-order mark (what Excel needs to read UTF-8 CSV).
    pub bom: bool,
    /// Write cells as they are: no formula neutralisation ([`neutralize_formula`]).
    pub raw: bool,
    /// Which header row CSV and TSV get.
    pub headers: Headers,
}

impl From<Format> for ExportOptions {
    fn from(format: Format) -> Self {
        ExportOptions {
            format,
            ..ExportOptions::default()
        }
    }
}

/// What is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportKind {
    /// Interaction log entries.
    Entries,
    /// Logged segments.
    LoggedSegments,
    /// Contacts.
    Contacts,
    /// Statistics.
    Stats,
    /// Salespeople.
    Salespeople,
    /// Interaction groups.
    Groups,
    /// Interaction templates.
    Templates,
    /// Campaigns.
    Campaigns,
}

impl ExportKind {
    /// BC's captions of this kind's columns (interlog's names where BC has no such field).
    pub fn captions(self) -> &'static [&'static str] {
        match self {
            ExportKind::Entries => &ENTRY_CAPTIONS,
            ExportKind::LoggedSegments => &LOGGED_SEGMENT_CAPTIONS,
            ExportKind::Contacts => &CONTACT_CAPTIONS,
            ExportKind::Stats => &STATS_COLUMNS,
            ExportKind::Salespeople => &SALESPERSON_CAPTIONS,
            ExportKind::Groups => &GROUP_CAPTIONS,
            ExportKind::Templates => &TEMPLATE_CAPTIONS,
            ExportKind::Campaigns => &CAMPAIGN_CAPTIONS,
        }
    }

    /// The columns of this kind.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ExportKind::Entries => &ENTRY_COLUMNS,
            ExportKind::LoggedSegments => &LOGGED_SEGMENT_COLUMNS,
            ExportKind::Contacts => &CONTACT_COLUMNS,
            ExportKind::Stats => &STATS_COLUMNS,
            ExportKind::Salespeople => &SALESPERSON_COLUMNS,
            ExportKind::Groups => &GROUP_COLUMNS,
            ExportKind::Templates => &TEMPLATE_COLUMNS,
            ExportKind::Campaigns => &CAMPAIGN_COLUMNS,
        }
    }

    /// The kebab-case name (`logged-segments`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Entries => "entries",
            ExportKind::LoggedSegments => "logged-segments",
            ExportKind::Contacts => "contacts",
            ExportKind::Stats => "stats",
            ExportKind::Salespeople => "salespeople",
            ExportKind::Groups => "groups",
            ExportKind::Templates => "templates",
            ExportKind::Campaigns => "campaigns",
        }
    }
}

impl fmt::Display for ExportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        })
    }
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// What was exported.
    pub kind: ExportKind,
    /// In which format.
    pub format: Format,
    /// Rows (CSV lines after the header, JSON objects) written.
    pub rows: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing the output failed (a closed pipe, a full disk, a missing directory…).
    #[error("cannot write {}", .path.as_ref().map_or_else(|| "the export".to_string(), |p| p.display().to_string()))]
    Io {
        /// The file being written, when exporting to a file.
        path: Option<PathBuf>,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// Reading the store failed, or a filter names a record that does not exist.
    #[error(transparent)]
    Op(#[from] OpError),
    /// The file to write is not one an export may replace (see [`export_to_file`]).
    #[error("cannot export to {}: {problem}", .path.display())]
    Target {
        /// The file given.
        path: PathBuf,
        /// Why it is refused, and what to do instead.
        problem: String,
    },
}

impl From<io::Error> for ExportError {
    fn from(source: io::Error) -> Self {
        ExportError::Io { path: None, source }
    }
}

impl From<serde_json::Error> for ExportError {
    fn from(e: serde_json::Error) -> Self {
        ExportError::Io {
            path: None,
            source: e.into(),
        }
    }
}

/// True when a spreadsheet would read a cell starting with `c` as a formula, or would alter it
/// (OWASP, "CSV Injection"): `=`, `+`, `-`, `@`, a tab, a carriage return, the full-width `＝`
/// (which Excel reads as `=` under some input methods) or a byte-order mark.
fn is_trigger(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FEFF}'
    )
}

/// True when `cell` is one or more `'` followed by nothing but… a trigger: `'=1`, `''+1`.
fn quotes_then_trigger(cell: &str) -> bool {
    let rest = cell.trim_start_matches('\'');
    rest.len() < cell.len() && rest.chars().next().is_some_and(is_trigger)
}

/// Makes a CSV cell safe to open in a spreadsheet, reversibly: a cell that starts with a
/// formula trigger (`=`, `+`, `-`, `@`, tab, carriage return, full-width `＝`,
/// byte-order mark) — or with one or more `'` followed by one — gets one more leading `'`.
/// So `=1` → `'=1` and `'=1` → `''=1`, and [`restore_formula`] undoes exactly this. Every
/// other cell (`'abc`, `a=b`) is returned as it is.
pub fn neutralize_formula(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if is_trigger(c) => Cow::Owned(format!("'{cell}")),
        Some('\'') if quotes_then_trigger(cell) => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Undoes [`neutralize_formula`] on a CSV cell being imported: a cell made of one or more `'`
/// followed by a formula trigger loses one `'` (`'=1` → `=1`, `''=1` → `'=1`); every other
/// cell is returned as it is.
pub fn restore_formula(cell: &str) -> &str {
    if quotes_then_trigger(cell) {
        &cell[1..]
    } else {
        cell
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

/// The cells of one CSV row, written into one reused buffer.
#[derive(Default)]
struct Cells {
    buf: String,
    ends: Vec<usize>,
}

impl Cells {
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    fn end(&mut self) {
        self.ends.push(self.buf.len());
    }

    fn text(&mut self, s: &str) {
        self.buf.push_str(s);
        self.end();
    }

    fn val(&mut self, v: impl fmt::Display) {
        write!(self.buf, "{v}").expect("writing to a String");
        self.end();
    }

    fn opt<T: fmt::Display>(&mut self, v: &Option<T>) {
        if let Some(v) = v {
            write!(self.buf, "{v}").expect("writing to a String");
        }
        self.end();
    }

    fn opt_text(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            self.buf.push_str(s);
        }
        self.end();
    }

    fn flag(&mut self, b: bool) {
        self.text(if b { "true" } else { "false" });
    }

    /// An unsigned number, without `fmt`'s machinery (10M rows: every cell counts).
    fn num(&mut self, n: u64) {
        push_u64(&mut self.buf, n);
        self.end();
    }

    fn opt_num(&mut self, n: Option<u64>) {
        if let Some(n) = n {
            push_u64(&mut self.buf, n);
        }
        self.end();
    }

    /// A date, `YYYY-MM-DD` (what `NaiveDate`'s `Display` prints for years 0–9999).
    fn date(&mut self, d: chrono::NaiveDate) {
        use chrono::Datelike;
        match u32::try_from(d.year()) {
            Ok(y) if y <= 9999 => {
                push_digits(&mut self.buf, y, 4);
                self.buf.push('-');
                push_digits(&mut self.buf, d.month(), 2);
                self.buf.push('-');
                push_digits(&mut self.buf, d.day(), 2);
            }
            _ => write!(self.buf, "{d}").expect("writing to a String"),
        }
        self.end();
    }

    /// A time, `HH:MM:SS` (as `format("%H:%M:%S")`, without parsing the format per row).
    fn hms(&mut self, t: NaiveTime) {
        use chrono::Timelike;
        push_digits(&mut self.buf, t.hour(), 2);
        self.buf.push(':');
        push_digits(&mut self.buf, t.minute(), 2);
        self.buf.push(':');
        push_digits(&mut self.buf, t.second(), 2);
        self.end();
    }

    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut String, &T)) {
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push_str(LIST_SEPARATOR);
            }
            each(&mut self.buf, x);
        }
        self.end();
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = &self.buf[start..end];
            start = end;
            s
        })
    }
}

/// Appends `n` in decimal.
fn push_u64(buf: &mut String, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.push_str(std::str::from_utf8(&tmp[i..]).expect("ASCII digits"));
}

/// Appends `n` zero-padded to `width` digits (`n` has at most `width` digits).
fn push_digits(buf: &mut String, n: u32, width: u32) {
    for p in (0..width).rev() {
        let d = (n / 10u32.pow(p)) % 10;
        buf.push(char::from(b'0' + d as u8));
    }
}

/// One exported row: its CSV cells and its JSON object (same names, same order).
trait Row: Serialize {
    fn cells(&self, c: &mut Cells);
}

fn hms<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.format("%H:%M:%S"))
}

/// An entry as exported; fields in [`ENTRY_COLUMNS`] order.
#[derive(Serialize)]
struct EntryRow<'a> {
    entry_no: EntryNo,
    contact_no: &'a ContactNo,
    contact_company_no: Option<ContactNo>,
    date: chrono::NaiveDate,
    #[serde(serialize_with = "hms")]
    time_of_interaction: NaiveTime,
    description: &'a str,
    subject: &'a str,
    information_flow: InformationFlow,
    initiated_by: InitiatedBy,
    cost: Money,
    duration_min: u32,
    user_id: &'a str,
    group_code: &'a GroupCode,
    template_code: &'a TemplateCode,
    campaign_no: Option<&'a CampaignNo>,
    campaign_entry_no: Option<CampaignEntryNo>,
    segment_no: Option<&'a SegmentNo>,
    logged_segment_entry_no: Option<LoggedSegmentNo>,
    salesperson_code: &'a SalespersonCode,
    correspondence_type: CorrespondenceType,
    language_code: Option<&'a LanguageCode>,
    evaluation: Evaluation,
    attempt_failed: bool,
    canceled: bool,
    comments: &'a [Comment],
}

impl<'a> EntryRow<'a> {
    /// The row of an entry read through the storage boundary's view — a [`LogEntry`], or a
    /// row read in place from the store without materializing the entry (a dozen strings
    /// per row).
    fn of<E: EntryRead + ?Sized>(e: &'a E) -> Self {
        EntryRow {
            entry_no: e.entry_no(),
            contact_no: e.contact_no(),
            contact_company_no: e.contact_company_no(),
            date: e.date(),
            time_of_interaction: e.time_of_interaction(),
            description: e.description(),
            subject: e.subject(),
            information_flow: e.information_flow(),
            initiated_by: e.initiated_by(),
            cost: e.cost(),
            duration_min: e.duration_min(),
            user_id: e.user_id(),
            group_code: e.group_code(),
            template_code: e.template_code(),
            campaign_no: e.campaign_no(),
            campaign_entry_no: e.campaign_entry_no(),
            segment_no: e.segment_no(),
            logged_segment_entry_no: e.logged_segment_entry_no(),
            salesperson_code: e.salesperson_code(),
            correspondence_type: e.correspondence_type(),
            language_code: e.language_code(),
            evaluation: e.evaluation(),
            attempt_failed: e.attempt_failed(),
            canceled: e.canceled(),
            comments: e.comments(),
        }
    }
}

impl Row for EntryRow<'_> {
    fn cells(&self, c: &mut Cells) {
        // Texts as they are, not through `Display` (10M rows: every cell counts).
        c.num(self.entry_no.0);
        c.text(self.contact_no.as_str());
        c.opt_text(self.contact_company_no.as_ref().map(ContactNo::as_str));
        c.date(self.date);
        c.hms(self.time_of_interaction);
        c.text(self.description);
        c.text(self.subject);
        c.text(self.information_flow.as_str());
        c.text(self.initiated_by.as_str());
        c.val(self.cost);
        c.num(u64::from(self.duration_min));
        c.text(self.user_id);
        c.text(self.group_code.as_str());
        c.text(self.template_code.as_str());
        c.opt_text(self.campaign_no.map(CampaignNo::as_str));
        c.opt_num(self.campaign_entry_no.map(|n| n.0));
        c.opt_text(self.segment_no.map(SegmentNo::as_str));
        c.opt_num(self.logged_segment_entry_no.map(|n| n.0));
        c.text(self.salesperson_code.as_str());
        c.text(self.correspondence_type.as_str());
        c.opt_text(self.language_code.map(LanguageCode::as_str));
        c.text(self.evaluation.as_str());
        c.flag(self.attempt_failed);
        c.flag(self.canceled);
        c.list(self.comments, |b, k| {
            write!(b, "{} {}", k.date, k.text).expect("writing to a String")
        });
    }
}

/// A logged segment as exported; fields in [`LOGGED_SEGMENT_COLUMNS`] order.
#[derive(Serialize)]
struct LoggedRow<'a> {
    entry_no: LoggedSegmentNo,
    segment_no: &'a SegmentNo,
    description: &'a str,
    creation_date: chrono::NaiveDate,
    user_id: &'a str,
    canceled: bool,
    first_entry_no: EntryNo,
    entries_written: u64,
    entries: u64,
    canceled_entries: u64,
    no_of_interactions: u64,
    no_of_campaign_entries: u64,
    campaign_entry_nos: &'a [CampaignEntryNo],
    follow_up_segment: &'a Option<SegmentNo>,
}

impl<'a> From<&'a logged::LoggedSegmentView> for LoggedRow<'a> {
    fn from(v: &'a logged::LoggedSegmentView) -> Self {
        let l = &v.logged;
        LoggedRow {
            entry_no: l.entry_no,
            segment_no: &l.segment_no,
            description: &l.description,
            creation_date: l.creation_date,
            user_id: &l.user_id,
            canceled: l.canceled,
            first_entry_no: l.first_entry_no,
            entries_written: l.entries_written,
            entries: l.entries,
            canceled_entries: l.canceled_entries,
            no_of_interactions: v.no_of_interactions,
            no_of_campaign_entries: v.no_of_campaign_entries,
            campaign_entry_nos: &l.campaign_entries,
            follow_up_segment: &l.follow_up_segment,
        }
    }
}

impl Row for LoggedRow<'_> {
    fn cells(&self, c: &mut Cells) {
        c.val(self.entry_no);
        c.val(self.segment_no);
        c.text(self.description);
        c.val(self.creation_date);
        c.text(self.user_id);
        c.val(self.canceled);
        c.val(self.first_entry_no);
        c.val(self.entries_written);
        c.val(self.entries);
        c.val(self.canceled_entries);
        c.val(self.no_of_interactions);
        c.val(self.no_of_campaign_entries);
        c.list(self.campaign_entry_nos, |b, n| {
            write!(b, "{n}").expect("writing to a String")
        });
        c.opt(self.follow_up_segment);
    }
}

/// A contact as exported; fields in [`CONTACT_COLUMNS`] order.
#[derive(Serialize)]
struct ContactRow<'a> {
    no: &'a ContactNo,
    name: &'a str,
    kind: ContactKind,
    company_no: &'a Option<ContactNo>,
    salesperson_code: &'a Option<SalespersonCode>,
    language_code: &'a Option<LanguageCode>,
    email: &'a str,
    correspondence_type: CorrespondenceType,
    exclude_from_segment: bool,
    privacy_blocked: bool,
    city: &'a str,
    post_code: &'a str,
    country_code: &'a Option<CountryCode>,
    phone: &'a str,
}

impl<'a> From<&'a Contact> for ContactRow<'a> {
    fn from(c: &'a Contact) -> Self {
        ContactRow {
            no: &c.no,
            name: &c.name,
            kind: c.kind,
            company_no: &c.company_no,
            salesperson_code: &c.salesperson_code,
            language_code: &c.language_code,
            email: &c.email,
            correspondence_type: c.correspondence_type,
            exclude_from_segment: c.exclude_from_segment,
            privacy_blocked: c.privacy_blocked,
            city: &c.city,
            post_code: &c.post_code,
            country_code: &c.country_code,
            phone: &c.phone,
        }
    }
}

impl Row for ContactRow<'_> {
    fn cells(&self, c: &mut Cells) {
        c.val(self.no);
        c.text(self.name);
        c.val(self.kind);
        c.opt(self.company_no);
        c.opt(self.salesperson_code);
        c.opt(self.language_code);
        c.text(self.email);
        c.val(self.correspondence_type);
        c.val(self.exclude_from_segment);
        c.val(self.privacy_blocked);
        c.text(self.city);
        c.text(self.post_code);
        c.opt(self.country_code);
        c.text(self.phone);
    }
}

/// A statistics line as exported; fields in [`STATS_COLUMNS`] order.
#[derive(Serialize)]
struct StatsOut<'a> {
    key: &'a str,
    interactions: u64,
    cost: MoneySum,
    duration_min: u64,
    last_date: Option<chrono::NaiveDate>,
}

impl<'a> From<&'a StatsRow> for StatsOut<'a> {
    fn from(r: &'a StatsRow) -> Self {
        StatsOut {
            key: &r.key,
            interactions: r.interactions,
            cost: r.cost,
            duration_min: r.duration_min,
            last_date: r.last_date,
        }
    }
}

impl Row for StatsOut<'_> {
    fn cells(&self, c: &mut Cells) {
        c.text(self.key);
        c.val(self.interactions);
        c.val(self.cost);
        c.val(self.duration_min);
        c.opt(&self.last_date);
    }
}

// Master records export as they are stored (their serde names are the importer's columns).

impl Row for Salesperson {
    fn cells(&self, c: &mut Cells) {
        c.val(&self.code);
        c.text(&self.name);
        c.text(&self.email);
        c.val(self.blocked);
        c.val(self.privacy_blocked);
    }
}

impl Row for InteractionGroup {
    fn cells(&self, c: &mut Cells) {
        c.val(&self.code);
        c.text(&self.description);
    }
}

impl Row for InteractionTemplate {
    fn cells(&self, c: &mut Cells) {
        c.val(&self.code);
        c.val(&self.group_code);
        c.text(&self.description);
        c.val(self.unit_cost);
        c.val(self.unit_duration_min);
        c.val(self.information_flow);
        c.val(self.initiated_by);
        c.val(self.correspondence_type_default);
        c.val(self.ignore_contact_correspondence_type);
        c.opt(&self.language_code_default);
        c.opt(&self.campaign_no);
    }
}

impl Row for Campaign {
    fn cells(&self, c: &mut Cells) {
        c.val(&self.no);
        c.text(&self.description);
        c.opt(&self.starting_date);
        c.opt(&self.ending_date);
        c.opt(&self.salesperson_code);
    }
}

// ---------------------------------------------------------------------------------------------
// The writer

/// Rows between two progress reports.
const PROGRESS_STEP: u64 = 1024;

enum Sink<W: Write> {
    Csv(CsvOut<BufWriter<W>>),
    Json(BufWriter<W>),
    Jsonl(BufWriter<W>),
}

/// Writes CSV records exactly as the csv crate's writer does with interlog's settings
/// (`QuoteStyle::Necessary`, `"` doubled inside quotes, `\n` after each record): a field is
/// quoted when it holds the delimiter, `"`, `\r` or `\n`. Written here because the crate's
/// writer, which serves every setting and output buffers of any size, took a quarter of an
/// export of 10M entries; a property test holds the two to the same bytes.
struct CsvOut<W: Write> {
    w: W,
    delimiter: u8,
    /// The bytes that make a field quoted: the delimiter, `"`, `\r`, `\n`.
    quoted: Box<[bool; 256]>,
    line: Vec<u8>,
}

impl<W: Write> CsvOut<W> {
    fn new(w: W, delimiter: u8) -> Self {
        let mut quoted = Box::new([false; 256]);
        for b in [delimiter, b'"', b'\n', b'\r'] {
            quoted[usize::from(b)] = true;
        }
        CsvOut {
            w,
            delimiter,
            quoted,
            line: Vec::with_capacity(512),
        }
    }

    /// Writes one record (of at least two fields: a lone empty field would need quotes).
    fn record<F: AsRef<[u8]>>(&mut self, fields: impl Iterator<Item = F>) -> io::Result<()> {
        let (line, d, quoted) = (&mut self.line, self.delimiter, &self.quoted);
        line.clear();
        for (i, field) in fields.enumerate() {
            if i > 0 {
                line.push(d);
            }
            let f = field.as_ref();
            if f.iter().any(|&b| quoted[usize::from(b)]) {
                line.push(b'"');
                for &b in f {
                    if b == b'"' {
                        line.push(b'"');
                    }
                    line.push(b);
                }
                line.push(b'"');
            } else {
                line.extend_from_slice(f);
            }
        }
        line.push(b'\n');
        self.w.write_all(line)
    }
}

/// Writes `r` as one CSV record through `cells` (cleared first), neutralising formulas
/// unless `raw`.
fn csv_record<W: Write, R: Row + ?Sized>(
    w: &mut CsvOut<W>,
    cells: &mut Cells,
    raw: bool,
    r: &R,
) -> io::Result<()> {
    cells.clear();
    r.cells(cells);
    w.record(cells.iter().map(|cell| {
        if raw {
            Cow::Borrowed(cell.as_bytes())
        } else {
            match neutralize_formula(cell) {
                Cow::Borrowed(c) => Cow::Borrowed(c.as_bytes()),
                Cow::Owned(c) => Cow::Owned(c.into_bytes()),
            }
        }
    }))
}

/// Streams rows of one kind to `W` in one format.
struct Exporter<'p, W: Write> {
    kind: ExportKind,
    format: Format,
    raw: bool,
    sink: Sink<W>,
    cells: Cells,
    rows: u64,
    reported: u64,
    progress: &'p dyn Progress,
    _done: FinishOnDrop<'p>,
}

/// Ends the progress display however the export ends.
struct FinishOnDrop<'p>(&'p dyn Progress);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

impl<'p, W: Write> Exporter<'p, W> {
    fn start(
        kind: ExportKind,
        opts: ExportOptions,
        out: W,
        progress: &'p dyn Progress,
    ) -> Result<Self, ExportError> {
        progress.start(&format!("exporting {kind}"), 0);
        let done = FinishOnDrop(progress);
        let mut buf = BufWriter::with_capacity(256 * 1024, out);
        if opts.bom {
            buf.write_all(b"\xEF\xBB\xBF")?;
        }
        let format = opts.format;
        let sink = match format {
            Format::Csv | Format::Tsv => {
                let delimiter = match format {
                    Format::Tsv => b'\t',
                    _ => opts.delimiter.unwrap_or(b','),
                };
                let mut w = CsvOut::new(buf, delimiter);
                let header = match opts.headers {
                    Headers::Names => kind.columns(),
                    Headers::Bc => kind.captions(),
                };
                w.record(header.iter().map(|h| h.as_bytes()))?;
                Sink::Csv(w)
            }
            Format::Json => {
                let mut w = buf;
                w.write_all(b"[")?;
                Sink::Json(w)
            }
            Format::Jsonl => Sink::Jsonl(buf),
        };
        Ok(Exporter {
            kind,
            format,
            raw: opts.raw,
            sink,
            cells: Cells::default(),
            rows: 0,
            reported: 0,
            progress,
            _done: done,
        })
    }

    fn row<R: Row>(&mut self, r: &R) -> Result<(), ExportError> {
        match &mut self.sink {
            Sink::Csv(w) => {
                debug_assert!(self.kind.columns().len() > 1);
                csv_record(w, &mut self.cells, self.raw, r)?;
                debug_assert_eq!(self.cells.ends.len(), self.kind.columns().len());
            }
            Sink::Json(w) => {
                w.write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *w, r)?;
            }
            Sink::Jsonl(w) => {
                serde_json::to_writer(&mut *w, r)?;
                w.write_all(b"\n")?;
            }
        }
        self.counted(1);
        Ok(())
    }

    /// Counts `n` more rows written, and shows them every `PROGRESS_STEP`.
    fn counted(&mut self, n: u64) {
        self.rows += n;
        if self.rows - self.reported >= PROGRESS_STEP {
            self.progress.advance(self.rows - self.reported);
            self.reported = self.rows;
        }
    }

    /// The CSV settings (delimiter, raw) when the sink writes CSV or TSV.
    fn csv_settings(&self) -> Option<(u8, bool)> {
        match &self.sink {
            Sink::Csv(w) => Some((w.delimiter, self.raw)),
            _ => None,
        }
    }

    /// Writes `rows` records formatted elsewhere with [`Exporter::csv_settings`].
    fn formatted(&mut self, bytes: &[u8], rows: u64) -> Result<(), ExportError> {
        match &mut self.sink {
            Sink::Csv(w) => w.w.write_all(bytes)?,
            _ => unreachable!("formatted rows are CSV"),
        }
        self.counted(rows);
        Ok(())
    }

    fn finish(self) -> Result<ExportReport, ExportError> {
        match self.sink {
            Sink::Csv(mut w) => w.w.flush()?,
            Sink::Json(mut w) => {
                w.write_all(b"\n]\n")?;
                w.flush()?;
            }
            Sink::Jsonl(mut w) => w.flush()?,
        }
        self.progress.advance(self.rows - self.reported);
        Ok(ExportReport {
            kind: self.kind,
            format: self.format,
            rows: self.rows,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The exports

/// Refuses a filter that names a contact, template, salesperson, campaign or logged segment
/// that does not exist (a typo would otherwise export nothing, silently). Segments are not
/// checked: a logged segment's header is gone, yet its entries keep its number.
pub fn check_entry_filter(store: &Store, filter: &EntryFilter) -> Result<(), OpError> {
    if let Some(c) = &filter.contact {
        master::get_contact(store, c)?;
    }
    if let Some(t) = &filter.template {
        master::get_template(store, t)?;
    }
    if let Some(s) = &filter.salesperson {
        master::get_salesperson(store, s)?;
    }
    if let Some(c) = &filter.campaign {
        master::get_campaign(store, c)?;
    }
    if let Some(l) = filter.logged_segment {
        logged::show(store, l)?;
    }
    Ok(())
}

/// Entry blocks formatted at once by a CSV export (≤ 8192 rows each: ≈ 1.5 MB of CSV).
const EXPORT_WINDOW: usize = 8;

/// Exports the interaction log entries that pass `filter` (the rules of `interaction list`:
/// postponed entries are never exported), in entry number order, streaming. The filter is
/// checked first ([`check_entry_filter`]); nothing is written when it is refused.
pub fn export_entries<W: Write>(
    store: &Store,
    filter: &EntryFilter,
    format: impl Into<ExportOptions>,
    out: W,
    progress: &dyn Progress,
) -> Result<ExportReport, ExportError> {
    check_entry_filter(store, filter)?;
    let mut x = Exporter::start(ExportKind::Entries, format.into(), out, progress)?;
    let mut failed = None;
    if filter.contact.is_some() {
        // A contact's history comes from the contact index, entry by entry.
        interactions::for_each(store, filter, |e| match x.row(&EntryRow::of(&e)) {
            Ok(()) => Ok(true),
            Err(err) => {
                failed = Some(err);
                Ok(false)
            }
        })?;
    } else if let Some((delimiter, raw)) = x.csv_settings() {
        // CSV of a scan of the entry blocks: formatting costs several times reading, so the
        // blocks are formatted on rayon's threads, `EXPORT_WINDOW` at a time, and written in
        // entry order (10M entries: BENCHMARKS.md, "Export formatted in parallel").
        let sel = EntrySelection::listed(filter.clone());
        store.map_entry_blocks(
            &sel,
            EXPORT_WINDOW,
            |entries| {
                let mut w = CsvOut::new(Vec::with_capacity(2 << 20), delimiter);
                let mut cells = Cells::default();
                let mut n = 0u64;
                for e in entries {
                    csv_record(&mut w, &mut cells, raw, &EntryRow::of(&e))?;
                    n += 1;
                }
                Ok((w.w, n))
            },
            |formatted: io::Result<(Vec<u8>, u64)>| match formatted
                .map_err(ExportError::from)
                .and_then(|(bytes, n)| x.formatted(&bytes, n))
            {
                Ok(()) => Ok(true),
                Err(err) => {
                    failed = Some(err);
                    Ok::<bool, OpError>(false)
                }
            },
        )?;
    } else {
        // Everything else is a scan of the entry blocks (as `interactions::for_each` does),
        // rows written from the decoded block in place: one block in memory at a time.
        store.for_each_entry(&EntrySelection::listed(filter.clone()), |r| {
            match x.row(&EntryRow::of(r)) {
                Ok(()) => Ok(true),
                Err(err) => {
                    failed = Some(err);
                    Ok::<bool, OpError>(false)
                }
            }
        })?;
    }
    if let Some(err) = failed {
        return Err(err);
    }
    x.finish()
}

/// Exports every logged segment with BC's counts, by number.
pub fn export_logged_segments<W: Write>(
    store: &Store,
    format: impl Into<ExportOptions>,
    out: W,
    progress: &dyn Progress,
) -> Result<ExportReport, ExportError> {
    let mut x = Exporter::start(ExportKind::LoggedSegments, format.into(), out, progress)?;
    for l in store.logged_segments() {
        let l = l.map_err(OpError::from)?;
        let view = logged::show(store, l.entry_no)?;
        x.row(&LoggedRow::from(&view))?;
    }
    x.finish()
}

/// Exports every contact, streaming: the companies by number, then the persons by number, so
/// that a person's company always comes before it. With the importer's columns, the file
/// imports again (`interlog import contacts.csv`) unless a CSV cell had to be neutralized.
pub fn export_contacts<W: Write>(
    store: &Store,
    format: impl Into<ExportOptions>,
    out: W,
    progress: &dyn Progress,
) -> Result<ExportReport, ExportError> {
    let mut x = Exporter::start(ExportKind::Contacts, format.into(), out, progress)?;
    for companies in [true, false] {
        for c in store.contacts() {
            let c = c.map_err(OpError::from)?;
            if (c.kind == ContactKind::Company) == companies {
                x.row(&ContactRow::from(&c))?;
            }
        }
    }
    x.finish()
}

/// Exports the statistics grouped `by` (one row per key, sorted by key).
pub fn export_stats<W: Write>(
    store: &Store,
    by: StatsBy,
    format: impl Into<ExportOptions>,
    out: W,
    progress: &dyn Progress,
) -> Result<ExportReport, ExportError> {
    let rows = stats::stats(store, by)?;
    let mut x = Exporter::start(ExportKind::Stats, format.into(), out, progress)?;
    for r in &rows {
        x.row(&StatsOut::from(r))?;
    }
    x.finish()
}

/// Exports every record of a master data kind — salespeople, groups, templates or campaigns —
/// by code, streaming, with the importer's columns: the file imports again.
pub fn export_master<W: Write>(
    store: &Store,
    kind: ExportKind,
    format: impl Into<ExportOptions>,
    out: W,
    progress: &dyn Progress,
) -> Result<ExportReport, ExportError> {
    fn all<T: Row, W: Write>(
        records: Result<Vec<T>, crate::storage::StorageError>,
        x: &mut Exporter<'_, W>,
    ) -> Result<(), ExportError> {
        for r in records.map_err(OpError::from)? {
            x.row(&r)?;
        }
        Ok(())
    }
    let mut x = Exporter::start(kind, format.into(), out, progress)?;
    match kind {
        ExportKind::Salespeople => all(store.all_salespeople(), &mut x)?,
        ExportKind::Groups => all(store.all_groups(), &mut x)?,
        ExportKind::Templates => all(store.all_templates(), &mut x)?,
        ExportKind::Campaigns => all(store.all_campaigns(), &mut x)?,
        other => {
            return Err(ExportError::Op(OpError::Refused {
                reason: format!("{other} are not master data"),
            }))
        }
    }
    x.finish()
}

// ---------------------------------------------------------------------------------------------
// Files

/// Checks that an export may write `path`, and returns the directory its temporary file goes
/// to: `path` names a file (not `..` or a directory path), is a regular file or does not
/// exist (a symbolic link is refused, not followed), and its directory exists and is not the
/// store's directory `store_dir` or inside it.
pub fn check_target(path: &Path, store_dir: &Path) -> Result<PathBuf, ExportError> {
    let refuse = |problem: String| ExportError::Target {
        path: path.to_path_buf(),
        problem,
    };
    let io = |source: io::Error| ExportError::Io {
        path: Some(path.to_path_buf()),
        source,
    };
    if path.file_name().is_none() || path.as_os_str().to_string_lossy().ends_with('/') {
        return Err(refuse("it does not name a file".into()));
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let to = fs::read_link(path)
                .map(|t| format!(" (to {})", t.display()))
                .unwrap_or_default();
            return Err(refuse(format!(
                "it is a symbolic link{to}; exports do not write through links — give the path of the file itself"
            )));
        }
        Ok(m) if m.is_file() => {}
        Ok(m) => {
            return Err(refuse(format!(
                "it is {}; an export writes regular files only",
                crate::storage::files::file_kind(&m.file_type())
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let real_dir = fs::canonicalize(&dir).map_err(io)?;
    if let Ok(store) = fs::canonicalize(store_dir) {
        if real_dir.starts_with(&store) {
            return Err(refuse(format!(
                "it lies inside the store directory {} — write the export somewhere else",
                store_dir.display()
            )));
        }
    }
    Ok(dir)
}

fn sync_dir(dir: &Path) {
    // Best effort: makes the rename durable where directories can be opened (Unix).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Runs `write` on a new temporary file next to `path` and, when it succeeds, makes the file
/// durable and renames it to `path` (replacing an older regular file). The target is checked
/// first ([`check_target`], against `store`'s directory): a refused target is never touched.
/// When `write` or any step fails the temporary file is removed and `path` is left as it was.
/// IO errors name `path`.
pub fn export_to_file<T>(
    store: &Store,
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<T, ExportError>,
) -> Result<T, ExportError> {
    let named = |source: io::Error| ExportError::Io {
        path: Some(path.to_path_buf()),
        source,
    };
    let dir = check_target(path, store.path())?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".interlog-tmp");
    #[cfg(unix)]
    {
        // Like any new file (the umask applies), not tempfile's owner-only default.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(named)?;
    let result = write(tmp.as_file_mut()).and_then(|v| {
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(v)
    });
    match result {
        Ok(v) => {
            sync_dir(&dir);
            Ok(v)
        }
        // The temporary file, if not persisted, was removed when it was dropped.
        Err(ExportError::Io { path: None, source }) => Err(named(source)),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// interlog's CSV writer writes what the csv crate's writer writes.
        #[test]
        fn csv_records_are_written_as_the_csv_crate_writes_them(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-c,;\t\"\r\n '=é]{0,6}", 2..5), 1..6),
            delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
        ) {
            let mut ours = CsvOut::new(Vec::new(), delimiter);
            let mut theirs = csv::WriterBuilder::new()
                .flexible(true)
                .delimiter(delimiter)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            for row in &rows {
                ours.record(row.iter().map(|f| f.as_bytes())).unwrap();
                theirs.write_record(row).unwrap();
            }
            proptest::prop_assert_eq!(ours.w, theirs.into_inner().unwrap());
        }
    }

    #[test]
    fn formula_cells_get_a_leading_quote() {
        for s in [
            "=1+2",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
            "\u{FF1D}1",
            "\u{FEFF}x",
            "'=x",
            "''+1",
        ] {
            assert_eq!(neutralize_formula(s), format!("'{s}"), "{s:?}");
            assert_eq!(restore_formula(&neutralize_formula(s)), s, "{s:?}");
        }
    }

    #[test]
    fn restoring_is_the_exact_inverse() {
        for s in [
            "",
            "'",
            "''",
            "'abc",
            "a'=",
            "=",
            "'=",
            "''=",
            "x",
            "'\u{FF1D}",
        ] {
            assert_eq!(restore_formula(&neutralize_formula(s)), s, "{s:?}");
        }
        // A quote before anything but a trigger is data, kept on import.
        assert_eq!(restore_formula("'abc"), "'abc");
        assert_eq!(restore_formula("'=1"), "=1");
        assert_eq!(restore_formula("''=1"), "'=1");
    }

    #[test]
    fn other_cells_are_left_alone() {
        for s in [
            "",
            "12.34",
            "2025-03-14",
            "CT100125",
            "a=b",
            " =x",
            "'x",
            "x-1",
            "é",
        ] {
            assert!(
                matches!(neutralize_formula(s), Cow::Borrowed(b) if b == s),
                "{s:?}"
            );
        }
    }

    /// The JSON object's field names, in order.
    fn json_keys(v: &impl Serialize) -> Vec<String> {
        let text = serde_json::to_string(v).unwrap();
        let obj = serde_json::to_value(v).unwrap();
        let mut keys: Vec<(usize, String)> = obj
            .as_object()
            .unwrap()
            .keys()
            .map(|k| (text.find(&format!("\"{k}\":")).unwrap(), k.clone()))
            .collect();
        keys.sort();
        keys.into_iter().map(|(_, k)| k).collect()
    }

    fn cells_of(r: &impl Row) -> Vec<String> {
        let mut c = Cells::default();
        r.cells(&mut c);
        c.iter().map(str::to_string).collect()
    }

    fn sample_entry() -> LogEntry {
        LogEntry {
            entry_no: EntryNo(7),
            contact_no: ContactNo::new("CT100125").unwrap(),
            contact_company_no: None,
            date: "2025-03-14".parse().unwrap(),
            time_of_interaction: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            description: "Letter".into(),
            subject: "-subject".into(),
            information_flow: InformationFlow::default(),
            initiated_by: InitiatedBy::default(),
            cost: Money(1234),
            duration_min: 15,
            user_id: "TEST".into(),
            group_code: GroupCode::new("LETTER").unwrap(),
            template_code: TemplateCode::new("BUS").unwrap(),
            campaign_no: Some(CampaignNo::new("CP1001").unwrap()),
            campaign_entry_no: None,
            segment_no: None,
            logged_segment_entry_no: Some(LoggedSegmentNo(2)),
            salesperson_code: SalespersonCode::new("JO").unwrap(),
            correspondence_type: CorrespondenceType::Email,
            language_code: None,
            evaluation: Evaluation::default(),
            attempt_failed: false,
            postponed: false,
            canceled: true,
            comments: vec![
                Comment {
                    date: "2025-03-14".parse().unwrap(),
                    text: "one".into(),
                },
                Comment {
                    date: "2025-03-15".parse().unwrap(),
                    text: "two".into(),
                },
            ],
        }
    }

    #[test]
    fn entry_rows_follow_the_columns_in_both_formats() {
        let e = sample_entry();
        let r = EntryRow::of(&e);
        assert_eq!(json_keys(&r), ENTRY_COLUMNS);
        let cells = cells_of(&r);
        assert_eq!(cells.len(), ENTRY_COLUMNS.len());
        let cell = |name: &str| &cells[ENTRY_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(cell("entry_no"), "7");
        assert_eq!(cell("contact_company_no"), "");
        assert_eq!(cell("date"), "2025-03-14");
        assert_eq!(cell("time_of_interaction"), "09:30:00");
        assert_eq!(cell("cost"), "12.34");
        assert_eq!(cell("correspondence_type"), "email");
        assert_eq!(cell("canceled"), "true");
        assert_eq!(cell("attempt_failed"), "false");
        assert_eq!(cell("logged_segment_entry_no"), "2");
        assert_eq!(cell("comments"), "2025-03-14 one | 2025-03-15 two");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["cost"], "12.34");
        assert_eq!(v["time_of_interaction"], "09:30:00");
        assert_eq!(v["subject"], "-subject");
        assert_eq!(v["contact_company_no"], serde_json::Value::Null);
        assert_eq!(v["comments"][1]["text"], "two");
    }

    #[test]
    fn contact_logged_and_stats_rows_follow_their_columns() {
        let mut c = Contact::new(
            ContactNo::new("CT1").unwrap(),
            "=HYPERLINK(\"x\")",
            ContactKind::Company,
        );
        c.country_code = Some(CountryCode::new("GB").unwrap());
        let r = ContactRow::from(&c);
        assert_eq!(json_keys(&r), CONTACT_COLUMNS);
        assert_eq!(cells_of(&r).len(), CONTACT_COLUMNS.len());
        let view = logged::LoggedSegmentView {
            logged: LoggedSegment {
                entry_no: LoggedSegmentNo(1),
                segment_no: SegmentNo::new("SM00001").unwrap(),
                description: "d".into(),
                creation_date: "2025-03-14".parse().unwrap(),
                user_id: "U".into(),
                canceled: false,
                first_entry_no: EntryNo(1),
                entries_written: 3,
                entries: 3,
                canceled_entries: 0,
                campaign_entries: vec![CampaignEntryNo(4), CampaignEntryNo(5)],
                index_run: None,
                follow_up_segment: None,
            },
            no_of_interactions: 3,
            no_of_campaign_entries: 2,
        };
        let r = LoggedRow::from(&view);
        assert_eq!(json_keys(&r), LOGGED_SEGMENT_COLUMNS);
        let cells = cells_of(&r);
        assert_eq!(cells.len(), LOGGED_SEGMENT_COLUMNS.len());
        assert_eq!(cells[12], "4 | 5");
        let s = StatsRow {
            key: "BUS".into(),
            interactions: 2,
            cost: MoneySum(1350),
            duration_min: 40,
            last_date: None,
        };
        let r = StatsOut::from(&s);
        assert_eq!(json_keys(&r), STATS_COLUMNS);
        assert_eq!(cells_of(&r), ["BUS", "2", "13.50", "40", ""]);
    }
}
