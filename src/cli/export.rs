//! `interlog export entries|logged-segments|contacts|stats`: CSV or JSON to stdout or, through a
//! temporary file renamed at the end, to `--out FILE`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::interaction::EntryFilterArgs;
use super::output::{is_broken_pipe, Bar};
use super::Env;
use interlog::exchange::export::{self, ExportError, ExportReport, Format};
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
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Write to this file (through a temporary file renamed at the end) instead of stdout. It
    /// must be a regular file or not exist yet: directories, devices, FIFOs, sockets and
    /// symbolic links are refused, and so is a path inside the store's directory.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
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
            | ExportWhat::Stats { to, .. } => to,
        }
    }

    fn export(
        &self,
        store: &Store,
        out: &mut dyn Write,
        bar: &Bar,
    ) -> Result<ExportReport, ExportError> {
        let format = self.target().format;
        match self {
            ExportWhat::Entries { filter, .. } => {
                export::export_entries(store, &filter.filter(), format, out, bar)
            }
            ExportWhat::LoggedSegments { .. } => {
                export::export_logged_segments(store, format, out, bar)
            }
            ExportWhat::Contacts { .. } => export::export_contacts(store, format, out, bar),
            ExportWhat::Stats { by, .. } => export::export_stats(store, *by, format, out, bar),
        }
    }
}

pub fn run(env: &Env, a: ExportArgs) -> anyhow::Result<()> {
    let what = a.what;
    let store = env.open()?;
    let bar = Bar::new();
    let Some(path) = what.target().out.clone() else {
        let mut out = std::io::stdout().lock();
        return match what.export(&store, &mut out, &bar) {
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
    let r = export::export_to_file(&store, &path, |f| what.export(&store, f, &bar))
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
