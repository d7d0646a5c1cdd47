//! `interlog batch run JOB_FILE [--restart] [--json]`: runs a nightly job file (see
//! `interlog::batch::job` and `fixtures/jobs/README.md`).
//!
//! Output: a line per step on stdout as it ends and a summary line (or, with `--json`, the
//! whole report at the end); on a terminal a progress bar on stderr while a step runs. Exit
//! codes: 0 every step done (now or before), 4 some steps failed or were skipped, 5 the job
//! could not run (job file missing, invalid or changed), 3 the store is unavailable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Args, Subcommand};

use super::output::Bar;
use super::{Env, ExitWith};
use interlog::batch::job::{self, JobError, JobObserver, JobReport, RunOptions, Step, StepReport};
use interlog::progress::Progress;

const RUN_AFTER_HELP: &str = "Exit codes: 0 every step done (now or by an earlier run) · \
4 some steps failed or were skipped (run again after fixing: done steps are skipped) · \
5 could not run (job file missing, invalid, or changed since its recorded progress) · \
3 store unavailable";

/// `interlog batch …`.
#[derive(Subcommand, Debug)]
pub enum BatchCmd {
    /// Run a job file (JSON, or TOML for *.toml): steps run in order, progress is recorded in
    /// the store, and running the job again skips what is done.
    #[command(after_help = RUN_AFTER_HELP)]
    Run(RunArgs),
}

/// Arguments of `batch run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The job file (format: fixtures/jobs/README.md).
    job_file: PathBuf,
    /// Forget the recorded progress when the job changed since it was recorded (log steps are
    /// still never logged twice; follow-up and clean-up steps run again).
    #[arg(long)]
    restart: bool,
}

/// Runs a `batch` command.
pub fn run(env: &Env, c: BatchCmd) -> anyhow::Result<ExitCode> {
    match c {
        BatchCmd::Run(a) => run_file(env, a),
    }
}

fn could_not_run(e: JobError) -> anyhow::Error {
    match e {
        JobError::Storage(s) => s.into(),
        other => ExitWith(other.exit_code(), format!("could not run: {other}")).into(),
    }
}

fn run_file(env: &Env, a: RunArgs) -> anyhow::Result<ExitCode> {
    // The file is checked before the store is opened: a bad job writes nothing.
    let job = job::load_job(&a.job_file).map_err(could_not_run)?;
    let store = env.open()?;
    let obs = Lines {
        print: !env.out.json,
        bar: StepBar {
            bar: Bar::new(),
            label: Mutex::new(String::new()),
        },
    };
    let report = job::run_job(
        &store,
        &env.ctx,
        &job,
        RunOptions { restart: a.restart },
        &obs,
    )
    .map_err(could_not_run)?;
    for s in &report.steps {
        for w in &s.warnings {
            eprintln!("warning: step {}: {w}", s.index);
        }
    }
    if env.out.json {
        env.out.json(&report)?;
    } else {
        env.out.line(summary_line(&report))?;
    }
    if let Some(e) = &report.summary.aborted {
        eprintln!("error: job {} stopped: {e}", report.job);
    } else if report.exit_code() != 0 {
        eprintln!(
            "error: job {}: {} step(s) failed, {} skipped — fix and run the job again (done steps are skipped)",
            report.job, report.summary.failed, report.summary.skipped
        );
    }
    Ok(ExitCode::from(report.exit_code()))
}

fn summary_line(r: &JobReport) -> String {
    let s = &r.summary;
    if s.nothing_to_do {
        return format!(
            "job {}: already finished — nothing to do ({} step(s) done by earlier runs; nothing logged)",
            r.job, s.steps
        );
    }
    format!(
        "job {}: {} done, {} already done, {} failed, {} skipped{} — {} entries logged ({:.0} ms){}",
        r.job,
        s.done,
        s.already_done,
        s.failed,
        s.skipped,
        if s.not_run > 0 {
            format!(", {} not run", s.not_run)
        } else {
            String::new()
        },
        s.entries_logged,
        s.ms,
        if s.restarted {
            "; earlier progress forgotten (--restart)"
        } else {
            ""
        }
    )
}

/// The line printed for a step.
fn step_line(r: &StepReport, total: usize) -> String {
    let mut what = format!("step {}/{total} {} {}", r.index, r.kind, r.target);
    if !r.options.is_empty() {
        what.push_str(&format!(" ({})", r.options));
    }
    let mut facts = Vec::new();
    if let Some(e) = &r.error {
        // The first lines of the error; the JSON report has all of it.
        const SHOWN: usize = 4;
        let lines: Vec<&str> = e.lines().collect();
        let mut text = lines
            .iter()
            .take(SHOWN)
            .copied()
            .collect::<Vec<_>>()
            .join("\n    ");
        if lines.len() > SHOWN {
            text.push_str(&format!(
                "\n    … {} more line(s) (use --json)",
                lines.len() - SHOWN
            ));
        }
        facts.push(text);
    } else {
        if let Some(n) = r.entries {
            facts.push(format!("{n} entries"));
        }
        if let Some(n) = r.logged_segment {
            facts.push(format!("logged segment {n}"));
        }
        if let Some(f) = &r.follow_up_segment {
            match r.lines {
                Some(n) => facts.push(format!("follow-up segment {f} ({n} lines)")),
                None => facts.push(format!("follow-up segment {f}")),
            }
        }
        if let Some(c) = &r.cleanup {
            let counts = [
                (c.entries_deleted, "entries deleted"),
                (c.logged_segments_deleted, "logged segments deleted"),
                (c.entries_detached, "entries detached"),
                (c.campaign_entries_detached, "campaign entries detached"),
            ];
            let parts: Vec<String> = counts
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
            facts.push(if parts.is_empty() {
                "nothing to delete".to_string()
            } else {
                parts.join(", ")
            });
        }
    }
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!(" — {}", facts.join(", "))
    };
    format!("{what}: {}{facts} ({:.0} ms)", r.status.as_str(), r.ms)
}

/// A progress bar whose phase names carry the step number.
struct StepBar {
    bar: Bar,
    label: Mutex<String>,
}

impl Progress for StepBar {
    fn start(&self, phase: &str, total: u64) {
        let label = self.label.lock().unwrap_or_else(|p| p.into_inner()).clone();
        self.bar.start(&format!("{label} {phase}"), total);
    }
    fn advance(&self, n: u64) {
        self.bar.advance(n);
    }
    fn finish(&self) {
        self.bar.finish();
    }
}

/// Prints a line per step (unless `--json`) and feeds the bar.
struct Lines {
    print: bool,
    bar: StepBar,
}

impl JobObserver for Lines {
    fn step_started(&self, index: usize, total: usize, _step: &Step) {
        *self.bar.label.lock().unwrap_or_else(|p| p.into_inner()) = format!("{index}/{total}");
    }
    fn progress(&self) -> &dyn Progress {
        &self.bar
    }
    fn step_finished(&self, r: &StepReport, total: usize) {
        self.bar.finish();
        if self.print {
            // A closed stdout is not the job's problem; the summary reports it.
            let _ = super::output::Out { json: false }.line(step_line(r, total));
        }
    }
}
