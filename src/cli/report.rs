//! `interlog report`: one self-contained HTML page to stdout (also `--out -`) or, through a
//! temporary file renamed at the end, to `--out FILE` — the same safe target rules as `export`.

use std::path::PathBuf;

use clap::Args;

use super::output::is_broken_pipe;
use super::Env;
use interlog::exchange::export::{self, ExportError};
use interlog::exchange::report::{self, ReportData};

/// `interlog report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Write the page to this file (through a temporary file renamed at the end) instead of
    /// stdout; `-` is stdout. It must be a regular file or not exist yet: directories, devices,
    /// FIFOs, sockets and symbolic links are refused, and so is a path inside the store's
    /// directory. With `--json` and a file, a summary (counts, the path written) is printed.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn report_error(e: ExportError) -> anyhow::Error {
    match e {
        ExportError::Op(op) => op.into(),
        other => other.into(),
    }
}

fn summary(r: &ReportData, out: Option<&PathBuf>) -> serde_json::Value {
    serde_json::json!({
        "entries": r.entries,
        "canceled_left_out": r.canceled_left_out,
        "postponed_left_out": r.postponed_left_out,
        "period": r.period,
        "periods": r.over_time.len(),
        "salespeople": r.by_salesperson.len(),
        "campaigns": r.by_campaign.len(),
        "logged_segments": r.logged.len(),
        "jobs": r.jobs.len(),
        "out": out,
    })
}

pub fn run(env: &Env, a: ReportArgs) -> anyhow::Result<()> {
    let store = env.open()?;
    let date = env.ctx.work_date.to_string();
    let path = a.out.filter(|p| p.as_os_str() != "-");
    let Some(path) = path else {
        let mut out = std::io::stdout().lock();
        return match report::write_report(&store, &date, &mut out) {
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
    let r = export::export_to_file(&store, &path, |f| report::write_report(&store, &date, f))
        .map_err(report_error)?;
    if env.out.json {
        env.out.json(&summary(&r, Some(&path)))
    } else {
        env.out.line(format!(
            "wrote the report ({} entries counted, {} canceled left out, {} logged segment(s), {} job(s)) to {}",
            r.entries,
            r.canceled_left_out,
            r.logged.len(),
            r.jobs.len(),
            path.display()
        ))
    }
}
