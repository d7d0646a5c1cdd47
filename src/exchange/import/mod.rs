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

use std::fmt;
use std::path::{Path, PathBuf};

use crate::domain::*;
use crate::exchange::export::{restore_formula, Format};
use crate::ops::master::{CampaignInput, ContactInput, MasterBatch};
use crate::ops::{Ctx, OpError};
use crate::storage::Store;

mod columns;
mod delimited;
mod json;
mod record;

use columns::*;
use delimited::*;
use json::*;
use record::*;

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
    let batch = if opts.mode == ImportMode::Upsert {
        MasterBatch::replacing(store)
    } else {
        MasterBatch::new(store)
    };
    let mut adder = Adder {
        file: path,
        spec,
        batch,
        ctx,
        mode: opts.mode,
        skipped: 0,
        refused: Vec::new(),
        count_refused: 0,
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
        Format::Json | Format::Jsonl => {
            let read = if format == Format::Json {
                read_json
            } else {
                read_jsonl
            };
            read(path, text()?, spec, &mut ignored_columns, &mut |rec| {
                adder.take(rec.line, rec.input(), &|i| rec.written(i))
            })?
        }
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
                &mut |rec| adder.take(rec.line, rec.input(), &|i| rec.written(i)),
            )?
        }
    };
    let Adder {
        batch,
        skipped,
        mut refused,
        count_refused,
        ..
    } = adder;
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

/// Takes a file's records, in file order, into the batch: refusals are collected (the batch
/// is left as it was by a refused record), so one run lists every problem of the file.
struct Adder<'a, 's> {
    file: &'a Path,
    spec: &'static KindSpec,
    batch: MasterBatch<'s>,
    ctx: &'a Ctx,
    mode: ImportMode,
    skipped: usize,
    refused: Vec<ImportError>,
    count_refused: usize,
}

impl Adder<'_, '_> {
    /// Takes the record at `line`, read into `input` (or refused while read); `written` names
    /// a field's column as the file wrote it. Errs only when the import must stop.
    fn take(
        &mut self,
        line: u64,
        input: Result<Input, ImportError>,
        written: Written<'_>,
    ) -> Result<(), ImportError> {
        let added = input.and_then(|input| {
            input
                .add_to(&mut self.batch, self.ctx)
                .map_err(|e| refusal(self.file, line, self.spec, written, e))
        });
        match added {
            Ok(()) => Ok(()),
            Err(ImportError::Record { cause, .. })
                if self.mode == ImportMode::SkipExisting
                    && matches!(*cause, OpError::AlreadyExists { .. }) =>
            {
                self.skipped += 1;
                Ok(())
            }
            Err(e @ ImportError::Record { .. }) => {
                self.count_refused += 1;
                if self.refused.len() < MAX_LISTED {
                    self.refused.push(e);
                }
                Ok(())
            }
            Err(other) => Err(other),
        }
    }
}

/// 1-based line number of the position right after `before`.
fn line_of(before: &[u8]) -> u64 {
    1 + before.iter().filter(|&&b| b == b'\n').count() as u64
}
