//! `interlog export entries|logged-segments|contacts|stats`: CSV, TSV, JSON or JSON Lines to
//! stdout (also `--out -`) or, through a temporary file renamed at the end, to `--out FILE`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::interaction::EntryFilterArgs;
use super::output::{is_broken_pipe, Bar};
use super::Env;
use interlog::exchange::export::{
    self, ExportError, ExportKind, ExportOptions, ExportReport, Format, Headers,
};
use interlog::ops::stats::StatsBy;
use interlog::storage::Store;

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(subcommand)]
    what: ExportWhat,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum ExportWhat {
    /// Interaction log entries (the filters of `interaction list`; postponed entries are never
    /// exported).
    Entries {
        #[command(flatten)]
        to: Target,
        #[command(flatten)]
        filter: EntryFilterArgs,
    },
    /// Logged segments with their counts.
    LoggedSegments {
        #[command(flatten)]
        to: Target,
    },
    /// Contacts, with the importer's column names.
    Contacts {
        #[command(flatten)]
        to: Target,
    },
    /// Salespeople, with the importer's column names (the file imports again).
    Salespeople {
        #[command(flatten)]
        to: Target,
    },
    /// Interaction groups, with the importer's column names.
    Groups {
        #[command(flatten)]
        to: Target,
    },
    /// Interaction templates, with the importer's column names.
    Templates {
        #[command(flatten)]
        to: Target,
    },
    /// Campaigns, with the importer's column names.
    Campaigns {
        #[command(flatten)]
        to: Target,
    },
    /// Interaction statistics.
    Stats {
        #[command(flatten)]
        to: Target,
        /// Group by.
        #[arg(long, default_value = "template")]
        by: StatsBy,
    },
}

#[derive(Args, Debug)]
struct Target {
    /// Output format: csv (spreadsheets), tsv, json (one array), jsonl (JSON Lines, one
    /// object per line).
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Cell separator of CSV, one ASCII character, e.g. ';' (what Excel writes where the
    /// decimal separator is a comma).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Start with a UTF-8 byte-order mark, so Excel reads the file as UTF-8.
    #[arg(long)]
    bom: bool,
    /// Write CSV/TSV cells as they are: no leading `'` before cells a spreadsheet would read as
    /// a formula (JSON and JSON Lines are never altered).
    #[arg(long)]
    raw: bool,
    /// Header row of CSV/TSV: interlog's names, or Business Central's captions (`bc`).
    #[arg(long, value_enum, default_value = "names")]
    headers: Headers,
    /// Write to this file (through a temporary file renamed at the end) instead of stdout; `-`
    /// is stdout. It must be a regular file or not exist yet: directories, devices, FIFOs,
    /// sockets and symbolic links are refused, and so is a path inside the store's directory.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// A one-character ASCII delimiter that cannot be confused with a quote or a line end.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    let s = if s == "\\t" { "\t" } else { s };
    match s.as_bytes() {
        [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') && !b.is_ascii_alphanumeric() => {
            Ok(*b)
        }
        _ => Err(format!(
            "{s:?} is not one ASCII punctuation or space character (e.g. ';', '|', or \\t for a tab)"
        )),
    }
}

impl Target {
    fn options(&self) -> anyhow::Result<ExportOptions> {
        if self.delimiter.is_some() && self.format != Format::Csv {
            anyhow::bail!("--delimiter applies to --format csv only");
        }
        if !self.format.is_delimited() && (self.raw || self.headers != Headers::Names) {
            anyhow::bail!(
                "--raw and --headers apply to --format csv and tsv only (JSON is never altered)"
            );
        }
        Ok(ExportOptions {
            format: self.format,
            delimiter: self.delimiter,
            bom: self.bom,
            raw: self.raw,
            headers: self.headers,
        })
    }
}

/// An export error as the CLI reports it: store and rule errors keep their own type so the
/// exit code (3 for the store, 1 otherwise) is found.
fn report_error(e: ExportError) -> anyhow::Error {
    match e {
        ExportError::Op(op) => op.into(),
        other => other.into(),
    }
}

impl ExportWhat {
    fn target(&self) -> &Target {
        match self {
            ExportWhat::Entries { to, .. }
            | ExportWhat::LoggedSegments { to }
            | ExportWhat::Contacts { to }
            | ExportWhat::Salespeople { to }
            | ExportWhat::Groups { to }
            | ExportWhat::Templates { to }
            | ExportWhat::Campaigns { to }
            | ExportWhat::Stats { to, .. } => to,
        }
    }

    fn export(
        &self,
        store: &Store,
        out: &mut dyn Write,
        format: ExportOptions,
        bar: &Bar,
    ) -> Result<ExportReport, ExportError> {
        match self {
            ExportWhat::Entries { filter, .. } => {
                export::export_entries(store, &filter.filter(), format, out, bar)
            }
            ExportWhat::LoggedSegments { .. } => {
                export::export_logged_segments(store, format, out, bar)
            }
            ExportWhat::Contacts { .. } => export::export_contacts(store, format, out, bar),
            ExportWhat::Salespeople { .. } => {
                export::export_master(store, ExportKind::Salespeople, format, out, bar)
            }
            ExportWhat::Groups { .. } => {
                export::export_master(store, ExportKind::Groups, format, out, bar)
            }
            ExportWhat::Templates { .. } => {
                export::export_master(store, ExportKind::Templates, format, out, bar)
            }
            ExportWhat::Campaigns { .. } => {
                export::export_master(store, ExportKind::Campaigns, format, out, bar)
            }
            ExportWhat::Stats { by, .. } => export::export_stats(store, *by, format, out, bar),
        }
    }
}

pub fn run(env: &Env, a: ExportArgs) -> anyhow::Result<()> {
    let what = a.what;
    let opts = what.target().options()?;
    let store = env.open()?;
    let bar = Bar::new();
    let path = what.target().out.clone().filter(|p| p.as_os_str() != "-");
    let Some(path) = path else {
        let mut out = std::io::stdout().lock();
        return match what.export(&store, &mut out, opts, &bar) {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = report_error(e);
                if is_broken_pipe(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        };
    };
    let r = export::export_to_file(&store, &path, |f| what.export(&store, f, opts, &bar))
        .map_err(report_error)?;
    if env.out.json {
        env.out.json(&serde_json::json!({
            "kind": r.kind,
            "format": r.format,
            "rows": r.rows,
            "out": path,
        }))
    } else {
        env.out.line(format!(
            "exported {} row(s) of {} as {} to {}",
            r.rows,
            r.kind,
            r.format,
            path.display()
        ))
    }
}
