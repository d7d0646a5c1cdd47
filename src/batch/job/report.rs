//! The report of a run: each step's status, result and timing, the summary, the exit code.

use std::time::Instant;

use serde::Serialize;

use crate::domain::*;
use crate::exit;

use super::*;

/// A step's status in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Ran now and succeeded.
    Done,
    /// Done by an earlier run (or found done in the store).
    AlreadyDone,
    /// Ran now and failed.
    Failed,
    /// Not run: it depends on a step that failed or was skipped.
    Skipped,
    /// Not run: the job stopped on a storage failure.
    NotRun,
}

impl StepStatus {
    /// The status in words.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Done => "done",
            StepStatus::AlreadyDone => "already done",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::NotRun => "not run",
        }
    }
}

/// One step of a report.
#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    /// Step number, from 1.
    pub index: usize,
    /// `log`, `follow_up_from` or `cleanup`.
    pub kind: &'static str,
    /// What the step works on (see [`Step::target`]).
    pub target: String,
    /// Options in words (see [`Step::options`]).
    /// (`options_summary` in JSON: `options` is an object of flags elsewhere.)
    #[serde(skip_serializing_if = "String::is_empty", rename = "options_summary")]
    pub options: String,
    /// Status.
    pub status: StepStatus,
    /// Interaction log entries (a `log` step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    /// Lines of the follow-up segment (a `follow_up_from` step).
    /// (`line_count` in JSON: `lines` is a list of lines elsewhere.)
    #[serde(skip_serializing_if = "Option::is_none", rename = "line_count")]
    pub lines: Option<u64>,
    /// The logged segment made or followed up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged_segment: Option<LoggedSegmentNo>,
    /// The follow-up segment made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up_segment: Option<SegmentNo>,
    /// What a clean-up did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<CleanupCounts>,
    /// Number series warnings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why it failed or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall time, milliseconds (`elapsed_ms` in JSON, as every timing is `*_ms`).
    #[serde(rename = "elapsed_ms")]
    pub ms: f64,
}

impl StepReport {
    pub(super) fn new(index: usize, step: &Step, status: StepStatus) -> StepReport {
        StepReport {
            index,
            kind: step.kind(),
            target: step.target(),
            options: step.options(),
            status,
            entries: None,
            lines: None,
            logged_segment: None,
            follow_up_segment: None,
            cleanup: None,
            warnings: Vec::new(),
            error: None,
            ms: 0.0,
        }
    }

    pub(super) fn with_result(mut self, r: &StepResult) -> StepReport {
        self.entries = r.entries;
        self.lines = r.lines;
        self.logged_segment = r.logged_segment;
        self.follow_up_segment = r.follow_up_segment.clone();
        self.cleanup = r.cleanup;
        self
    }

    pub(super) fn result(&self) -> StepResult {
        StepResult {
            entries: self.entries,
            lines: self.lines,
            logged_segment: self.logged_segment,
            follow_up_segment: self.follow_up_segment.clone(),
            cleanup: self.cleanup,
        }
    }
}

/// Totals of a report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct JobSummary {
    /// Steps in the job (`step_count` in JSON: `steps` is the list of step reports).
    #[serde(rename = "step_count")]
    pub steps: usize,
    /// Steps that ran now and succeeded.
    pub done: usize,
    /// Steps done before.
    pub already_done: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Steps skipped.
    pub skipped: usize,
    /// Steps not run because the job stopped.
    pub not_run: usize,
    /// Interaction log entries written by this run.
    pub entries_logged: u64,
    /// True when the job was already finished: nothing ran and nothing was written.
    pub nothing_to_do: bool,
    /// True when `restart` forgot an earlier record.
    pub restarted: bool,
    /// The storage failure that stopped the job, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
    /// The exit code `interlog batch run` gives.
    pub exit_code: u8,
    /// Wall time, milliseconds (`elapsed_ms` in JSON, as every timing is `*_ms`).
    #[serde(rename = "elapsed_ms")]
    pub ms: f64,
}

/// What running a job did.
#[derive(Clone, Debug, Serialize)]
pub struct JobReport {
    /// The job id.
    pub job: String,
    /// Every step, in order.
    pub steps: Vec<StepReport>,
    /// Totals.
    pub summary: JobSummary,
}

impl JobReport {
    /// `0` all done, [`exit::STEPS_FAILED`] when steps failed or were skipped,
    /// [`exit::STORE_UNAVAILABLE`] when a storage failure stopped the job.
    pub fn exit_code(&self) -> u8 {
        self.summary.exit_code
    }

    pub(super) fn finish(mut self, t0: Instant) -> JobReport {
        let mut s = JobSummary {
            steps: self.steps.len(),
            nothing_to_do: self.summary.nothing_to_do,
            restarted: self.summary.restarted,
            aborted: self.summary.aborted.take(),
            ms: ms(t0),
            ..JobSummary::default()
        };
        for st in &self.steps {
            match st.status {
                StepStatus::Done => {
                    s.done += 1;
                    s.entries_logged += st.entries.unwrap_or(0);
                }
                StepStatus::AlreadyDone => s.already_done += 1,
                StepStatus::Failed => s.failed += 1,
                StepStatus::Skipped => s.skipped += 1,
                StepStatus::NotRun => s.not_run += 1,
            }
        }
        s.exit_code = if s.aborted.is_some() {
            exit::STORE_UNAVAILABLE
        } else if s.failed + s.skipped > 0 {
            exit::STEPS_FAILED
        } else {
            0
        };
        self.summary = s;
        self
    }
}
