//! Importing master data from CSV and JSON files: contacts, salespeople, interaction groups,
//! interaction templates and campaigns.
//!
//! What an import guarantees:
//! - **All or nothing per file.** Every record of a file goes through one [`MasterBatch`], which
//!   checks it against the store and against the records before it in the same file (so a file
//!   may hold a company and its persons). The batch is committed only when every record was
//!   accepted; a refused file writes nothing, not even a number drawn from a series. A file of
//!   more than [`BULK_CONTACTS`](crate::storage::contacts::BULK_CONTACTS) contacts is written as
//!   new contact blocks (staged, then one small commit: `storage::contacts`), so its size does
//!   not make the commit big.
//! - **Errors name the place.** Every problem with a record names the file, the line (CSV: the
//!   physical line where the record starts, the header being line 1; JSON: the line of the
//!   record's opening `{`) and, where it can be told, the column as it is written in the file.
//! - **Nothing is dropped silently.** A column that is neither one of interlog's fields nor one
//!   of the few Business Central columns that interlog deliberately does not store (listed per
//!   kind, e.g. `Address`, `Salutation Code`, which are named in [`ImportReport::ignored_columns`])
//!   is refused, and so is a file that names a field twice.
//! - **Every problem at once.** Every record is checked; all refused records are reported
//!   together ([`ImportError::Records`]) and nothing is written.
//! - **Re-runnable.** [`ImportMode`] says what a stored key means: refuse (insert), replace
//!   (upsert) or skip (skip-existing); [`ImportOptions::dry_run`] checks without writing. A file without records is refused too: in a nightly job it is a mistake.
//!
//! Column names are interlog's own (the Rust field names, `company_no`) or Business Central's
//! captions (`Company No.`), matched case-insensitively, ignoring spaces and punctuation, so a
//! list exported from BC loads as it is. Each kind has one table of its columns below.
//!
//! Values: CSV cells are trimmed; JSON values may be strings, numbers or booleans (an amount may
//! be `12.5` or `"12.50"`, a flag `true` or `"Yes"`); dates are ISO `YYYY-MM-DD`. An empty cell,
//! `""` or `null` means *not given*: a number is then drawn from the number series, a flag is
//! off, an option is BC's blank option. One deliberate exception: a template whose file has no
//! `correspondence_type_default` column at all gets the default of a new template (Email), while
//! an empty cell in that column is BC's blank option — which is how BC exports write it.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::domain::*;
use crate::exchange::export::{restore_formula, Format};
use crate::ops::master::{CampaignInput, ContactInput, MasterBatch};
use crate::ops::{Ctx, OpError};
use crate::storage::Store;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    /// Contacts (companies and persons).
    Contacts,
    /// Salespeople.
    Salespeople,
    /// Interaction groups.
    Groups,
    /// Interaction templates.
    Templates,
    /// Campaigns.
    Campaigns,
}

impl ImportKind {
    /// Tells the kind from a file name: its stem contains `contact`, `salesp`, `group`,
    /// `template` or `campaign` (case-insensitive), e.g. `contacts.csv`, `bc-templates.json`.
    /// A name that fits none, or more than one, gives `None`.
    pub fn from_file_name(path: &Path) -> Option<ImportKind> {
        let stem = path.file_stem()?.to_string_lossy().to_lowercase();
        let mut fits = SPECS
            .iter()
            .filter(|s| stem.contains(s.name_hint))
            .map(|s| s.kind);
        let first = fits.next()?;
        fits.next().is_none().then_some(first)
    }

    /// The kind's name, as given to `--kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Contacts => "contacts",
            ImportKind::Salespeople => "salespeople",
            ImportKind::Groups => "groups",
            ImportKind::Templates => "templates",
            ImportKind::Campaigns => "campaigns",
        }
    }

    fn spec(self) -> &'static KindSpec {
        match self {
            ImportKind::Contacts => &CONTACTS,
            ImportKind::Salespeople => &SALESPEOPLE,
            ImportKind::Groups => &GROUPS,
            ImportKind::Templates => &TEMPLATES,
            ImportKind::Campaigns => &CAMPAIGNS,
        }
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an import wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportReport {
    /// The file imported.
    pub file: PathBuf,
    /// What it held.
    pub kind: ImportKind,
    /// Number of records written (with `--dry-run`: that would be written).
    pub records: usize,
    /// Records skipped because their key was stored already (`--mode skip-existing`).
    pub skipped: usize,
    /// Business Central columns of the file that interlog does not store (e.g. `Address`).
    pub ignored_columns: Vec<String>,
    /// Nothing was written: the file was only checked.
    pub dry_run: bool,
}

/// Why a file was not imported. Nothing of the file was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file's extension is none of `.csv`, `.tsv`, `.json`, `.jsonl`.
    #[error("cannot import {}: unknown file type — accepted are .csv, .tsv, .json and .jsonl files, or give --format", .file.display())]
    UnsupportedFormat {
        /// The file.
        file: PathBuf,
    },
    /// No kind was given and the file name does not tell it.
    #[error("cannot tell what {} holds — name it contacts.csv/salespeople.csv/groups.csv/templates.csv/campaigns.csv (or .json) or pass --kind", .file.display())]
    UnknownKind {
        /// The file.
        file: PathBuf,
    },
    /// The file could not be read.
    #[error("cannot read {}: {source}", .file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file holds no record (empty, a CSV header only, or an empty JSON array).
    #[error("{} holds no records", .file.display())]
    Empty {
        /// The file.
        file: PathBuf,
    },
    /// The file is not well-formed CSV or JSON, or not UTF-8.
    #[error("{} line {line}{}: {message}", .file.display(), column_part(*.column))]
    Syntax {
        /// The file.
        file: PathBuf,
        /// Line of the problem (1-based).
        line: u64,
        /// Column of the problem, when the parser tells it.
        column: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// Columns (CSV header) or keys (JSON record) that interlog does not know.
    #[error("{} line {line}: unknown column(s) {} — accepted columns: {}", .file.display(), quote_all(.columns), .accepted.join(", "))]
    UnknownColumns {
        /// The file.
        file: PathBuf,
        /// The header line (CSV) or the record's line (JSON).
        line: u64,
        /// The unknown columns, as written.
        columns: Vec<String>,
        /// Every accepted column: interlog's name with BC's caption, then the ignored ones.
        accepted: Vec<String>,
    },
    /// Two columns that give the same field.
    #[error("{} line {line}: columns {first:?} and {second:?} give the same field `{field}` — keep one", .file.display())]
    DuplicateColumn {
        /// The file.
        file: PathBuf,
        /// The header line (CSV) or the record's line (JSON).
        line: u64,
        /// The first column, as written.
        first: String,
        /// The repeated column, as written.
        second: String,
        /// interlog's name of the field.
        field: String,
    },
    /// A record was refused: a value is invalid, a reference does not exist, the record exists.
    #[error("{} line {line}{}: {message}", .file.display(), field_part(.field.as_deref()))]
    Record {
        /// The file.
        file: PathBuf,
        /// Line where the record starts.
        line: u64,
        /// The column (as written in the file) the problem is in, when it can be told.
        field: Option<String>,
        /// What is wrong.
        message: String,
        /// The refusal, as the operation or the domain gave it.
        cause: Box<OpError>,
    },
    /// Several records were refused; each is listed (up to a limit).
    #[error("{} was not imported: {} record(s) refused{}:\n{}", .file.display(), .count, if *.count > .errors.len() { format!(" (the first {} listed)", .errors.len()) } else { String::new() }, .errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Records {
        /// The file.
        file: PathBuf,
        /// How many records were refused.
        count: usize,
        /// The first refusals, in file order.
        errors: Vec<ImportError>,
    },
    /// The store failed while reading or writing (not a problem of the file).
    #[error("{} was not imported: {source}", .file.display())]
    Store {
        /// The file.
        file: PathBuf,
        /// The store's error.
        source: Box<OpError>,
    },
}

impl ImportError {
    /// The file the error is about.
    pub fn file(&self) -> &Path {
        match self {
            ImportError::UnsupportedFormat { file }
            | ImportError::UnknownKind { file }
            | ImportError::Read { file, .. }
            | ImportError::Empty { file }
            | ImportError::Syntax { file, .. }
            | ImportError::UnknownColumns { file, .. }
            | ImportError::DuplicateColumn { file, .. }
            | ImportError::Record { file, .. }
            | ImportError::Records { file, .. }
            | ImportError::Store { file, .. } => file,
        }
    }

    /// The line the error is about, if it is about one.
    pub fn line(&self) -> Option<u64> {
        match self {
            ImportError::Syntax { line, .. }
            | ImportError::UnknownColumns { line, .. }
            | ImportError::DuplicateColumn { line, .. }
            | ImportError::Record { line, .. } => Some(*line),
            ImportError::Records { errors, .. } => errors.first().and_then(ImportError::line),
            _ => None,
        }
    }

    /// The column (as written in the file) the error is about, if it can be told.
    pub fn field(&self) -> Option<&str> {
        match self {
            ImportError::Record { field, .. } => field.as_deref(),
            ImportError::UnknownColumns { columns, .. } => columns.first().map(String::as_str),
            ImportError::DuplicateColumn { second, .. } => Some(second),
            ImportError::Records { errors, .. } => errors.first().and_then(ImportError::field),
            _ => None,
        }
    }
}

fn column_part(column: Option<u64>) -> String {
    column.map_or_else(String::new, |c| format!(", column {c}"))
}

fn field_part(field: Option<&str>) -> String {
    field.map_or_else(String::new, |f| format!(", field {f:?}"))
}

fn quote_all(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a file is read.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// What the file holds (default: from its name).
    pub kind: Option<ImportKind>,
    /// Its format (default: from its extension; CSV for standard input).
    pub format: Option<Format>,
    /// The cell separator of a CSV file (default `,`).
    pub delimiter: Option<u8>,
    /// Take CSV/TSV cells as written: do not remove the `'` that interlog's export puts before
    /// a cell a spreadsheet would read as a formula ([`restore_formula`]).
    pub raw: bool,
    /// What to do with a record whose key is already stored.
    pub mode: ImportMode,
    /// Check everything, write nothing.
    pub dry_run: bool,
}

/// What an import does with a record whose key (number or code) is already in the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ImportMode {
    /// Refuse the file (nothing is written).
    #[default]
    Insert,
    /// Replace the stored record with the file's (a contact keeps its type).
    Upsert,
    /// Keep the stored record and skip the file's.
    SkipExisting,
}

/// At most this many refused records are listed in one error.
const MAX_LISTED: usize = 50;

/// True for the paths that mean standard input: `-` and `/dev/stdin`.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-" || path == Path::new("/dev/stdin")
}

/// Imports one file into the store, all or nothing. The format comes from the extension
/// (`.csv`, `.json`); the kind from `kind`, else from the file name
/// ([`ImportKind::from_file_name`]). `ctx` gives the work date used to draw numbers.
pub fn import_file(
    store: &Store,
    ctx: &Ctx,
    path: &Path,
    kind: Option<ImportKind>,
) -> Result<ImportReport, ImportError> {
    import_file_with(
        store,
        ctx,
        path,
        ImportOptions {
            kind,
            ..ImportOptions::default()
        },
    )
}

/// [`import_file`] with every option: `-` (or `/dev/stdin`) reads standard input, whose kind
/// must be given and whose format is CSV unless given.
pub fn import_file_with(
    store: &Store,
    ctx: &Ctx,
    path: &Path,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let (format, kind) = format_and_kind(path, opts)?;
    let read_err = |source| ImportError::Read {
        file: path.to_path_buf(),
        source,
    };
    let reader: Box<dyn std::io::Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(read_err)?)
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, reader);
    if matches!(format, Format::Csv | Format::Tsv) {
        // Streamed: a file of any size is read in constant memory.
        let head = std::io::BufRead::fill_buf(&mut reader).map_err(read_err)?;
        if head.starts_with(b"\xEF\xBB\xBF") {
            std::io::BufRead::consume(&mut reader, 3);
        }
        return import_read(
            store,
            ctx,
            path,
            Source::Stream(&mut reader),
            format,
            kind,
            opts,
        );
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut bytes).map_err(read_err)?;
    import_read(store, ctx, path, Source::Bytes(&bytes), format, kind, opts)
}

/// Where an import's records come from.
enum Source<'a> {
    /// The whole file in memory.
    Bytes(&'a [u8]),
    /// A CSV/TSV stream, byte-order mark already skipped.
    Stream(&'a mut dyn std::io::Read),
}

/// Imports `bytes` as the contents of a file named `name` — for data that is not in a file,
/// such as the demo data built into the binary. Exactly [`import_file`] otherwise: `name`
/// gives the format, the kind unless `kind` does, and the file named in errors.
pub fn import_bytes(
    store: &Store,
    ctx: &Ctx,
    name: &Path,
    bytes: &[u8],
    kind: Option<ImportKind>,
) -> Result<ImportReport, ImportError> {
    let opts = ImportOptions {
        kind,
        ..ImportOptions::default()
    };
    let (format, kind) = format_and_kind(name, opts)?;
    import_read(store, ctx, name, Source::Bytes(bytes), format, kind, opts)
}

/// The format, from the options, else from the file name's extension (`.csv`, `.tsv`,
/// `.json`, `.jsonl`/`.ndjson`), else CSV for standard input; and the kind.
fn format_and_kind(path: &Path, opts: ImportOptions) -> Result<(Format, ImportKind), ImportError> {
    let file = path.to_path_buf();
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    let format = match (opts.format, ext.as_deref()) {
        (Some(f), _) => f,
        (None, Some("csv")) => Format::Csv,
        (None, Some("tsv" | "tab")) => Format::Tsv,
        (None, Some("json")) => Format::Json,
        (None, Some("jsonl" | "ndjson")) => Format::Jsonl,
        (None, _) if is_stdin(path) => Format::Csv,
        _ => return Err(ImportError::UnsupportedFormat { file }),
    };
    let Some(kind) = opts.kind.or_else(|| ImportKind::from_file_name(path)) else {
        return Err(ImportError::UnknownKind { file });
    };
    Ok((format, kind))
}

fn import_read(
    store: &Store,
    ctx: &Ctx,
    path: &Path,
    source: Source<'_>,
    format: Format,
    kind: ImportKind,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let file = path.to_path_buf();
    let source = match source {
        Source::Bytes(bytes) => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(ImportError::Empty { file });
            }
            Source::Bytes(bytes)
        }
        stream => stream,
    };
    let spec = kind.spec();
    let mut batch = if opts.mode == ImportMode::Upsert {
        MasterBatch::replacing(store)
    } else {
        MasterBatch::new(store)
    };
    let mut skipped = 0;
    let mut refused = Vec::new();
    let mut count_refused = 0;
    // Every record is checked: refusals are collected (the batch is left as it was by a
    // refused record), so one run lists every problem of the file.
    let mut add = |rec: Record<'_>| match rec.add_to(&mut batch, ctx) {
        Ok(()) => Ok(()),
        Err(ImportError::Record { cause, .. })
            if opts.mode == ImportMode::SkipExisting
                && matches!(*cause, OpError::AlreadyExists { .. }) =>
        {
            skipped += 1;
            Ok(())
        }
        Err(e @ ImportError::Record { .. }) => {
            count_refused += 1;
            if refused.len() < MAX_LISTED {
                refused.push(e);
            }
            Ok(())
        }
        Err(other) => Err(other),
    };
    let mut ignored_columns = Vec::new();
    let bytes: &[u8] = match &source {
        Source::Bytes(b) => b,
        Source::Stream(_) => &[],
    };
    let text = || {
        std::str::from_utf8(bytes).map_err(|e| ImportError::Syntax {
            file: file.clone(),
            line: line_of(&bytes[..e.valid_up_to()]),
            column: None,
            message: "not valid UTF-8 text".into(),
        })
    };
    let records = match format {
        Format::Json => read_json(path, text()?, spec, &mut ignored_columns, &mut add)?,
        Format::Jsonl => read_jsonl(path, text()?, spec, &mut ignored_columns, &mut add)?,
        Format::Csv | Format::Tsv => {
            let delimiter = match format {
                Format::Tsv => b'\t',
                _ => opts.delimiter.unwrap_or(b','),
            };
            let input: Box<dyn std::io::Read + '_> = match source {
                Source::Bytes(b) => Box::new(b),
                Source::Stream(r) => Box::new(r),
            };
            read_csv(
                path,
                input,
                spec,
                delimiter,
                !opts.raw,
                &mut ignored_columns,
                &mut add,
            )?
        }
    };
    if records == 0 {
        return Err(ImportError::Empty { file });
    }
    match refused.len() {
        0 => {}
        1 if count_refused == 1 => return Err(refused.remove(0)),
        _ => {
            return Err(ImportError::Records {
                file,
                count: count_refused,
                errors: refused,
            })
        }
    }
    if !opts.dry_run {
        batch.commit().map_err(|e| ImportError::Store {
            file: file.clone(),
            source: Box::new(e),
        })?;
    }
    Ok(ImportReport {
        file,
        kind,
        records: records - skipped,
        skipped,
        ignored_columns,
        dry_run: opts.dry_run,
    })
}

/// 1-based line number of the position right after `before`.
fn line_of(before: &[u8]) -> u64 {
    1 + before.iter().filter(|&&b| b == b'\n').count() as u64
}

// ---------------------------------------------------------------------------------------------
// Column tables

/// One field of a kind: interlog's name, BC's captions, and the names the domain and the
/// operations use for it in their errors (to tell which column an error is about).
struct Column {
    name: &'static str,
    captions: &'static [&'static str],
    error_names: &'static [&'static str],
}

const fn col(
    name: &'static str,
    captions: &'static [&'static str],
    error_names: &'static [&'static str],
) -> Column {
    Column {
        name,
        captions,
        error_names,
    }
}

/// Everything the importer knows about one kind of file.
struct KindSpec {
    kind: ImportKind,
    /// What a file name of this kind contains.
    name_hint: &'static str,
    columns: &'static [Column],
    /// BC columns interlog does not store; accepted and skipped.
    ignored: &'static [&'static str],
    /// The field an "already exists" refusal is about.
    key: &'static str,
    /// The field a plain refusal (`OpError::Refused`) is about, if any.
    refused: Option<&'static str>,
}

const SPECS: [&KindSpec; 5] = [&CONTACTS, &SALESPEOPLE, &GROUPS, &TEMPLATES, &CAMPAIGNS];

static CONTACTS: KindSpec = KindSpec {
    kind: ImportKind::Contacts,
    name_hint: "contact",
    columns: &[
        col(
            "no",
            &["No."],
            &["contact number", "number", "number series"],
        ),
        col("name", &["Name"], &["name"]),
        col("kind", &["Type"], &["contact type"]),
        col(
            "company_no",
            &["Company No."],
            &["company no.", "company contact"],
        ),
        col("email", &["E-Mail"], &["e-mail"]),
        col(
            "salesperson_code",
            &["Salesperson Code"],
            &["salesperson", "salesperson code"],
        ),
        col("language_code", &["Language Code"], &["language code"]),
        col(
            "correspondence_type",
            &["Correspondence Type"],
            &["correspondence type"],
        ),
        col("privacy_blocked", &["Privacy Blocked"], &[]),
        col("exclude_from_segment", &["Exclude from Segment"], &[]),
        col("city", &["City"], &["city"]),
        col("post_code", &["Post Code"], &["post code"]),
        col(
            "country_code",
            &["Country/Region Code"],
            &["country/region code"],
        ),
        col("phone", &["Phone No."], &["phone"]),
    ],
    ignored: &[
        "Address",
        "Address 2",
        "Salutation Code",
        "Search Name",
        "Company Name",
        "Territory Code",
        "Currency Code",
        "Mobile Phone No.",
        "Job Title",
    ],
    key: "no",
    refused: Some("company_no"),
};

static SALESPEOPLE: KindSpec = KindSpec {
    kind: ImportKind::Salespeople,
    name_hint: "salesp",
    columns: &[
        col("code", &["Code"], &["salesperson code"]),
        col("name", &["Name"], &["name"]),
        col("email", &["E-Mail"], &["e-mail"]),
        col("blocked", &["Blocked"], &[]),
        col("privacy_blocked", &["Privacy Blocked"], &[]),
    ],
    ignored: &["Commission %", "Job Title", "Phone No."],
    key: "code",
    refused: None,
};

static GROUPS: KindSpec = KindSpec {
    kind: ImportKind::Groups,
    name_hint: "group",
    columns: &[
        col("code", &["Code"], &["interaction group code"]),
        col("description", &["Description"], &["description"]),
    ],
    // Flow fields shown on BC's Interaction Groups page.
    ignored: &["No. of Interactions", "Cost (LCY)", "Duration (Min.)"],
    key: "code",
    refused: None,
};

static TEMPLATES: KindSpec = KindSpec {
    kind: ImportKind::Templates,
    name_hint: "template",
    columns: &[
        col("code", &["Code"], &["interaction template code"]),
        col(
            "group_code",
            &["Interaction Group Code"],
            &["interaction group", "interaction group code"],
        ),
        col("description", &["Description"], &["description"]),
        col("unit_cost", &["Unit Cost (LCY)"], &["amount"]),
        col("unit_duration_min", &["Unit Duration (Min.)"], &[]),
        col(
            "information_flow",
            &["Information Flow"],
            &["information flow"],
        ),
        col("initiated_by", &["Initiated By"], &["initiated by"]),
        col(
            "correspondence_type_default",
            &["Correspondence Type (Default)"],
            &["correspondence type"],
        ),
        col(
            "ignore_contact_correspondence_type",
            &["Ignore Contact Corres. Type"],
            &[],
        ),
        col(
            "language_code_default",
            &["Language Code (Default)"],
            &["language code"],
        ),
        col(
            "campaign_no",
            &["Campaign No."],
            &["campaign", "campaign number"],
        ),
    ],
    ignored: &[
        "Wizard Action",
        "Attachment No.",
        "Campaign Target",
        "Campaign Response",
        "No. of Interactions",
        "Cost (LCY)",
        "Duration (Min.)",
    ],
    key: "code",
    refused: None,
};

static CAMPAIGNS: KindSpec = KindSpec {
    kind: ImportKind::Campaigns,
    name_hint: "campaign",
    columns: &[
        col(
            "no",
            &["No."],
            &["campaign number", "number", "number series"],
        ),
        col("description", &["Description"], &["description"]),
        col("starting_date", &["Starting Date"], &["starting date"]),
        col("ending_date", &["Ending Date"], &["ending date"]),
        col(
            "salesperson_code",
            &["Salesperson Code"],
            &["salesperson", "salesperson code"],
        ),
    ],
    ignored: &["Status Code", "Last Date Modified", "No. Series"],
    key: "no",
    refused: None,
};

/// Lower case, letters and digits only: `Country/Region Code` → `countryregioncode`,
/// `company_no` and `Company No.` → `companyno`.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

enum Resolved {
    Field(usize),
    Ignored(usize),
    Unknown,
}

impl KindSpec {
    fn resolve(&self, written: &str) -> Resolved {
        let n = normalize(written);
        if let Some(i) = self.columns.iter().position(|c| {
            normalize(c.name) == n || c.captions.iter().any(|cap| normalize(cap) == n)
        }) {
            return Resolved::Field(i);
        }
        match self.ignored.iter().position(|i| normalize(i) == n) {
            Some(i) => Resolved::Ignored(i),
            None => Resolved::Unknown,
        }
    }

    fn accepted(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} ({})", c.name, c.captions.join(", ")))
            .collect();
        all.extend(self.ignored.iter().map(|i| format!("{i} (ignored)")));
        all
    }

    fn index(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("column {name} is not in the table of {}", self.kind))
    }

    /// The field an operation's error is about, if it can be told.
    fn field_of(&self, e: &OpError) -> Option<usize> {
        let name: &str = match e {
            OpError::AlreadyExists { .. } => return Some(self.index(self.key)),
            OpError::Refused { .. } => return self.refused.map(|f| self.index(f)),
            OpError::NotFound { what, .. } | OpError::Missing { what, .. } => what,
            OpError::Domain(d) => domain_field(d)?,
            _ => return None,
        };
        self.columns
            .iter()
            .position(|c| c.error_names.contains(&name))
    }
}

fn domain_field(e: &DomainError) -> Option<&'static str> {
    match e {
        DomainError::EmptyCode { kind } | DomainError::CodeTooLong { kind, .. } => Some(kind),
        DomainError::TextTooLong { field, .. }
        | DomainError::BadCharacter { field, .. }
        | DomainError::BadNumber { field, .. }
        | DomainError::BadOption { field, .. }
        | DomainError::BadDate { field, .. }
        | DomainError::Invalid { field, .. } => Some(field),
        DomainError::BadMoney { .. } => Some("amount"),
        DomainError::Series(_) => Some("number series"),
        _ => None,
    }
}

/// The message of an error whose field is named separately (so it does not repeat the
/// field's internal name): `"bob@" is not an e-mail address (expected name@domain)`.
fn describe(e: &OpError, field_named: bool) -> String {
    let OpError::Domain(d) = e else {
        return e.to_string();
    };
    if !field_named {
        return d.to_string();
    }
    match d {
        DomainError::EmptyCode { kind } => format!("is empty — the {kind} is required"),
        DomainError::CodeTooLong {
            value, max, len, ..
        } => format!("{value:?} is too long: {len} characters, at most {max} allowed"),
        DomainError::TextTooLong { max, len, .. } => {
            format!("is too long: {len} characters, at most {max} allowed")
        }
        DomainError::BadCharacter { value, ch, .. } => {
            format!(
                "{value:?} contains the {} {ch:?}",
                crate::domain::char_kind(*ch)
            )
        }
        DomainError::BadDate { value, .. } => {
            format!(
                "{value:?} is not a valid date (expected {})",
                crate::domain::DATE_FORMAT_HINT
            )
        }
        DomainError::Invalid { value, reason, .. } => {
            if value.trim().is_empty() {
                format!("is empty — {reason}")
            } else if reason.starts_with("not ") {
                format!("{value:?} is {reason}")
            } else if reason.starts_with("is ") {
                format!("{value:?} {reason}")
            } else {
                format!("{value:?}: {reason}")
            }
        }
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// A value as read from the file; empty texts and JSON nulls are never stored (not given).
enum Raw {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
    /// A JSON array or object, kept as its JSON text for the message.
    Nested(String),
}

#[derive(Default)]
struct Cell {
    /// The column as written in the file, when the file has it (shared by every record of a
    /// file: a million records do not copy the header a million times).
    written: Option<std::rc::Rc<str>>,
    /// The value, when given.
    value: Option<Raw>,
}

/// One record of a file, its values placed by field.
struct Record<'a> {
    spec: &'static KindSpec,
    file: &'a Path,
    line: u64,
    cells: Vec<Cell>,
}

impl Record<'_> {
    fn new<'a>(spec: &'static KindSpec, file: &'a Path, line: u64) -> Record<'a> {
        Record {
            spec,
            file,
            line,
            cells: spec.columns.iter().map(|_| Cell::default()).collect(),
        }
    }

    fn cell(&self, name: &str) -> &Cell {
        &self.cells[self.spec.index(name)]
    }

    fn failed_at(&self, field: Option<usize>, cause: OpError) -> ImportError {
        let field = field.map(|i| {
            self.cells[i]
                .written
                .as_deref()
                .map_or_else(|| self.spec.columns[i].name.to_string(), str::to_string)
        });
        ImportError::Record {
            file: self.file.to_path_buf(),
            line: self.line,
            message: describe(&cause, field.is_some()),
            field,
            cause: Box::new(cause),
        }
    }

    /// A value of field `name` is invalid.
    fn invalid(&self, name: &str, e: DomainError) -> ImportError {
        self.failed_at(Some(self.spec.index(name)), OpError::Domain(e))
    }

    /// The operation refused the record (or the store failed).
    fn refused(&self, e: OpError) -> ImportError {
        if let OpError::Storage(_) = e {
            return ImportError::Store {
                file: self.file.to_path_buf(),
                source: Box::new(e),
            };
        }
        self.failed_at(self.spec.field_of(&e), e)
    }

    /// The value as text: texts as they are, numbers as written; yes/no and nested values are
    /// refused.
    fn raw_text(&self, name: &'static str) -> Result<Option<String>, ImportError> {
        let bad = |value: String, reason: &str| {
            self.invalid(
                name,
                DomainError::Invalid {
                    field: name,
                    value,
                    reason: reason.into(),
                },
            )
        };
        match &self.cell(name).value {
            None => Ok(None),
            Some(Raw::Text(s)) => Ok(Some(s.clone())),
            Some(Raw::Number(n)) => Ok(Some(n.to_string())),
            Some(Raw::Bool(b)) => Err(bad(
                b.to_string(),
                "is a yes/no value where text is expected",
            )),
            Some(Raw::Nested(j)) => Err(bad(
                j.clone(),
                "expected text, a number or true/false, not a list or an object",
            )),
        }
    }

    fn text(&self, name: &'static str) -> Result<String, ImportError> {
        Ok(self.raw_text(name)?.unwrap_or_default())
    }

    /// An optional value parsed into its type (codes, options).
    fn parse<T: FromStr<Err = DomainError>>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, ImportError> {
        self.raw_text(name)?
            .map(|s| s.parse().map_err(|e| self.invalid(name, e)))
            .transpose()
    }

    /// A required code: not given is refused by the type's own check.
    fn required<T: FromStr<Err = DomainError>>(
        &self,
        name: &'static str,
    ) -> Result<T, ImportError> {
        let s = self.raw_text(name)?.unwrap_or_default();
        s.parse().map_err(|e| self.invalid(name, e))
    }

    /// An option field; not given is BC's blank option.
    fn option<T: FromStr<Err = DomainError> + Default>(
        &self,
        name: &'static str,
    ) -> Result<T, ImportError> {
        Ok(self.parse(name)?.unwrap_or_default())
    }

    fn flag(&self, name: &'static str) -> Result<bool, ImportError> {
        match &self.cell(name).value {
            Some(Raw::Bool(b)) => Ok(*b),
            _ => match self.raw_text(name)? {
                Some(s) => parse_bool(name, &s).map_err(|e| self.invalid(name, e)),
                None => Ok(false),
            },
        }
    }

    fn money(&self, name: &'static str) -> Result<Money, ImportError> {
        Ok(self.parse(name)?.unwrap_or(Money::ZERO))
    }

    fn minutes(&self, name: &'static str) -> Result<u32, ImportError> {
        match self.raw_text(name)? {
            None => Ok(0),
            Some(s) => s.parse().map_err(|_| {
                self.invalid(
                    name,
                    DomainError::Invalid {
                        field: name,
                        value: s.clone(),
                        reason: "is not a whole number of minutes (0 or more)".into(),
                    },
                )
            }),
        }
    }

    fn date(&self, name: &'static str) -> Result<Option<NaiveDate>, ImportError> {
        self.raw_text(name)?
            .map(|s| parse_date(name, &s).map_err(|e| self.invalid(name, e)))
            .transpose()
    }

    /// Builds the record's input and adds it to the batch.
    fn add_to(&self, batch: &mut MasterBatch<'_>, ctx: &Ctx) -> Result<(), ImportError> {
        match self.spec.kind {
            ImportKind::Contacts => {
                let input = ContactInput {
                    no: self.parse::<ContactNo>("no")?.map(|n| n.to_string()),
                    name: self.text("name")?,
                    kind: self.option("kind")?,
                    company_no: self.parse("company_no")?,
                    email: self.text("email")?,
                    salesperson_code: self.parse("salesperson_code")?,
                    language_code: self.parse("language_code")?,
                    correspondence_type: Some(self.option("correspondence_type")?),
                    privacy_blocked: self.flag("privacy_blocked")?,
                    exclude_from_segment: self.flag("exclude_from_segment")?,
                    city: self.text("city")?,
                    post_code: self.text("post_code")?,
                    country_code: self.parse("country_code")?,
                    phone: self.text("phone")?,
                    // A file holds records as they are (an export from BC went through
                    // OnInsert already): a blank cell stays blank.
                    skip_defaults: true,
                };
                batch.add_contact(ctx, input).map_err(|e| self.refused(e))?;
            }
            ImportKind::Salespeople => {
                let s = Salesperson {
                    code: self.required("code")?,
                    name: self.text("name")?,
                    email: self.text("email")?,
                    blocked: self.flag("blocked")?,
                    privacy_blocked: self.flag("privacy_blocked")?,
                };
                batch.add_salesperson(s).map_err(|e| self.refused(e))?;
            }
            ImportKind::Groups => {
                let g = InteractionGroup {
                    code: self.required("code")?,
                    description: self.text("description")?,
                };
                batch.add_group(g).map_err(|e| self.refused(e))?;
            }
            ImportKind::Templates => {
                let ctd = "correspondence_type_default";
                let correspondence_type_default = match self.parse(ctd)? {
                    Some(t) => t,
                    // An empty cell is BC's blank; no column at all is a new template's default.
                    None if self.cell(ctd).written.is_some() => CorrespondenceType::Blank,
                    None => CorrespondenceType::Email,
                };
                let t = InteractionTemplate {
                    code: self.required("code")?,
                    group_code: self.required("group_code")?,
                    description: self.text("description")?,
                    unit_cost: self.money("unit_cost")?,
                    unit_duration_min: self.minutes("unit_duration_min")?,
                    information_flow: self.option("information_flow")?,
                    initiated_by: self.option("initiated_by")?,
                    correspondence_type_default,
                    ignore_contact_correspondence_type: self
                        .flag("ignore_contact_correspondence_type")?,
                    language_code_default: self.parse("language_code_default")?,
                    campaign_no: self.parse("campaign_no")?,
                };
                batch.add_template(t).map_err(|e| self.refused(e))?;
            }
            ImportKind::Campaigns => {
                let input = CampaignInput {
                    no: self.parse::<CampaignNo>("no")?.map(|n| n.to_string()),
                    description: self.text("description")?,
                    starting_date: self.date("starting_date")?,
                    ending_date: self.date("ending_date")?,
                    salesperson_code: self.parse("salesperson_code")?,
                };
                batch
                    .add_campaign(ctx, input)
                    .map_err(|e| self.refused(e))?;
            }
        }
        Ok(())
    }
}

/// Places the columns (CSV header) or keys (JSON record) of a file: each column's field, or
/// `None` for an ignored column. Unknown and repeated columns are refused.
fn place_columns<'h>(
    file: &Path,
    line: u64,
    spec: &'static KindSpec,
    columns: impl IntoIterator<Item = &'h str>,
    ignored: &mut Vec<String>,
) -> Result<Vec<Option<usize>>, ImportError> {
    let mut placed = Vec::new();
    let mut unknown = Vec::new();
    let mut seen: HashMap<(bool, usize), &'h str> = HashMap::new();
    for written in columns {
        let (slot, key) = match spec.resolve(written) {
            Resolved::Field(i) => (Some(i), (true, i)),
            Resolved::Ignored(i) => {
                if !ignored.iter().any(|c| c == written) {
                    ignored.push(written.to_string());
                }
                (None, (false, i))
            }
            Resolved::Unknown => {
                unknown.push(written.to_string());
                continue;
            }
        };
        if let Some(first) = seen.insert(key, written) {
            return Err(ImportError::DuplicateColumn {
                file: file.to_path_buf(),
                line,
                first: first.to_string(),
                second: written.to_string(),
                field: match key {
                    (true, i) => spec.columns[i].name.to_string(),
                    (false, i) => spec.ignored[i].to_string(),
                },
            });
        }
        placed.push(slot);
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns {
            file: file.to_path_buf(),
            line,
            columns: unknown,
            accepted: spec.accepted(),
        });
    }
    Ok(placed)
}

// ---------------------------------------------------------------------------------------------
// CSV

fn read_csv(
    file: &Path,
    bytes: impl std::io::Read,
    spec: &'static KindSpec,
    delimiter: u8,
    restore: bool,
    ignored: &mut Vec<String>,
    each: &mut dyn FnMut(Record<'_>) -> Result<(), ImportError>,
) -> Result<usize, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(bytes);
    let header = rdr.headers().map_err(|e| csv_error(file, e))?.clone();
    if header.iter().all(str::is_empty) {
        return Ok(0); // an empty (or blank) file
    }
    let header_line = header.position().map_or(1, |p| p.line());
    let placed = place_columns(file, header_line, spec, header.iter(), ignored)?;
    let names: Vec<std::rc::Rc<str>> = header.iter().map(std::rc::Rc::from).collect();
    let mut record = csv::StringRecord::new();
    let mut count = 0;
    while rdr
        .read_record(&mut record)
        .map_err(|e| csv_error(file, e))?
    {
        let line = record.position().map_or(0, |p| p.line());
        let mut rec = Record::new(spec, file, line);
        for (slot, (written, value)) in placed.iter().zip(names.iter().zip(record.iter())) {
            if let Some(i) = slot {
                let value = if restore {
                    restore_formula(value)
                } else {
                    value
                };
                rec.cells[*i] = Cell {
                    written: Some(written.clone()),
                    value: (!value.is_empty()).then(|| Raw::Text(value.to_string())),
                };
            }
        }
        each(rec)?;
        count += 1;
    }
    Ok(count)
}

fn csv_error(file: &Path, e: csv::Error) -> ImportError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this record has {len} field{} but the header has {expected_len}",
            if *len == 1 { "" } else { "s" }
        ),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
        _ => e.to_string(),
    };
    if let csv::ErrorKind::Io(_) = e.kind() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return ImportError::Read {
                file: file.to_path_buf(),
                source: io,
            };
        }
    }
    ImportError::Syntax {
        file: file.to_path_buf(),
        line,
        column: None,
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// A JSON object with its keys in file order, repeated keys kept (so they can be refused).
struct JsonObject(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record (a JSON object such as {\"code\": \"X\"})")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(JsonObject(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

/// serde_json's message without its " at line L column C" suffix.
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn read_json(
    file: &Path,
    text: &str,
    spec: &'static KindSpec,
    ignored: &mut Vec<String>,
    each: &mut dyn FnMut(Record<'_>) -> Result<(), ImportError>,
) -> Result<usize, ImportError> {
    // Syntax first, over the whole text, so positions are the file's own.
    if let Err(e) = serde_json::from_str::<IgnoredAny>(text) {
        return Err(ImportError::Syntax {
            file: file.to_path_buf(),
            line: e.line() as u64,
            column: Some(e.column() as u64),
            message: json_message(&e),
        });
    }
    let bytes = text.as_bytes();
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    // Lines are counted incrementally: records come in file order.
    let mut counted = 0;
    let mut line = 1;
    let mut line_at = |pos: usize| {
        line += bytes[counted..pos].iter().filter(|&&b| b == b'\n').count() as u64;
        counted = pos;
        line
    };
    let mut pos = skip_ws(0);
    if bytes.get(pos) != Some(&b'[') {
        return Err(ImportError::Syntax {
            file: file.to_path_buf(),
            line: line_at(pos),
            column: None,
            message: "expected a JSON array of records: [{…}, {…}]".into(),
        });
    }
    pos = skip_ws(pos + 1);
    let mut count = 0;
    // The text is valid JSON, so after each element comes `,` or `]`.
    while bytes.get(pos) != Some(&b']') {
        let line = line_at(pos);
        let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<JsonObject>();
        let object = match stream.next() {
            Some(Ok(o)) => o,
            Some(Err(e)) => {
                return Err(ImportError::Syntax {
                    file: file.to_path_buf(),
                    line,
                    column: None,
                    message: json_message(&e),
                })
            }
            None => break,
        };
        pos = skip_ws(pos + stream.byte_offset());
        if bytes.get(pos) == Some(&b',') {
            pos = skip_ws(pos + 1);
        }
        let rec = json_record(file, line, spec, object, ignored)?;
        each(rec)?;
        count += 1;
    }
    Ok(count)
}

/// JSON Lines: one record (a JSON object) per non-blank line.
fn read_jsonl(
    file: &Path,
    text: &str,
    spec: &'static KindSpec,
    ignored: &mut Vec<String>,
    each: &mut dyn FnMut(Record<'_>) -> Result<(), ImportError>,
) -> Result<usize, ImportError> {
    let mut count = 0;
    for (i, l) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if l.trim().is_empty() {
            continue;
        }
        let object: JsonObject = serde_json::from_str(l).map_err(|e| ImportError::Syntax {
            file: file.to_path_buf(),
            line,
            column: Some(e.column() as u64),
            message: json_message(&e),
        })?;
        each(json_record(file, line, spec, object, ignored)?)?;
        count += 1;
    }
    Ok(count)
}

/// The record of one JSON object found at `line`.
fn json_record<'a>(
    file: &'a Path,
    line: u64,
    spec: &'static KindSpec,
    object: JsonObject,
    ignored: &mut Vec<String>,
) -> Result<Record<'a>, ImportError> {
    let placed = place_columns(
        file,
        line,
        spec,
        object.0.iter().map(|(k, _)| k.as_str()),
        ignored,
    )?;
    let mut rec = Record::new(spec, file, line);
    for (slot, (key, value)) in placed.into_iter().zip(object.0) {
        if let Some(i) = slot {
            let value = match value {
                Value::Null => None,
                Value::String(s) => {
                    let t = s.trim();
                    (!t.is_empty()).then(|| Raw::Text(t.to_string()))
                }
                Value::Number(n) => Some(Raw::Number(n)),
                Value::Bool(b) => Some(Raw::Bool(b)),
                nested => Some(Raw::Nested(nested.to_string().chars().take(60).collect())),
            };
            rec.cells[i] = Cell {
                written: Some(std::rc::Rc::from(key)),
                value,
            };
        }
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_name_and_caption_is_unique_within_its_kind() {
        for spec in SPECS {
            let mut seen = HashMap::new();
            for (i, c) in spec.columns.iter().enumerate() {
                for n in std::iter::once(c.name).chain(c.captions.iter().copied()) {
                    if let Some(j) = seen.insert(normalize(n), i) {
                        assert_eq!(i, j, "{} clashes in {}", n, spec.kind);
                    }
                }
            }
            for i in spec.ignored {
                assert!(
                    !seen.contains_key(&normalize(i)),
                    "ignored {i} is a field of {}",
                    spec.kind
                );
            }
        }
    }

    #[test]
    fn kinds_come_from_file_names() {
        let k = |n: &str| ImportKind::from_file_name(Path::new(n));
        assert_eq!(k("contacts.csv"), Some(ImportKind::Contacts));
        assert_eq!(k("dir/BC-Templates.json"), Some(ImportKind::Templates));
        assert_eq!(k("salespeople.csv"), Some(ImportKind::Salespeople));
        assert_eq!(k("Interaction Groups.csv"), Some(ImportKind::Groups));
        assert_eq!(k("campaigns.json"), Some(ImportKind::Campaigns));
        assert_eq!(k("data.csv"), None);
        assert_eq!(k("campaign-contacts.csv"), None);
    }

    #[test]
    fn captions_and_snake_names_meet() {
        assert_eq!(normalize("Country/Region Code"), "countryregioncode");
        assert_eq!(normalize("company_no"), normalize("Company No."));
        assert!(matches!(
            TEMPLATES.resolve("Ignore Contact Corres. Type"),
            Resolved::Field(_)
        ));
        assert!(matches!(CONTACTS.resolve("ADDRESS"), Resolved::Ignored(_)));
        assert!(matches!(CONTACTS.resolve("Fax"), Resolved::Unknown));
    }
}
