//! Nightly batch jobs: a job file lists steps — log a segment, make a follow-up segment from a
//! logged segment's outcome, run a clean-up job — that run in order, each atomic, with their
//! progress recorded in the store so that running the same job again after a crash or a failure
//! skips what is done and continues (`interlog batch run JOB_FILE`).
//!
//! # The job file
//!
//! JSON, or TOML when the file name ends in `.toml` (same fields). Examples and a field-by-field
//! description: `fixtures/jobs/`.
//!
//! ```json
//! { "id": "nightly",
//!   "steps": [
//!     { "log": "SM00001", "follow_up": true },
//!     { "follow_up_from": { "segment": "SM00001" }, "evaluation": "positive" },
//!     { "follow_up_from": 7, "attempt_failed": true },
//!     { "cleanup": "canceled-entries" } ] }
//! ```
//!
//! * `id` (required, 1–100 characters): progress is recorded under it.
//! * `steps` (required, at least one), each exactly one of:
//!   * `log` = segment number, `follow_up` = true|false (default false): logs the segment
//!     ([`log_segment`]), optionally with a follow-up segment.
//!   * `follow_up_from` = a logged segment entry number, or `{ segment = "SM00001" }` for the
//!     logged segment of a segment logged earlier (by a step of this job or before the job),
//!     with the outcome filter `evaluation` (`none`, `very-positive`, `positive`, `neutral`,
//!     `negative`, `very-negative`), `attempt_failed` and `canceled` (true|false), each optional
//!     ([`logged::follow_up`]).
//!   * `cleanup` = `canceled-entries` | `canceled-logged-segments`
//!     ([`logged::delete_canceled_entries`], [`logged::delete_canceled_logged_segments`]).
//!
//! Unknown keys, bad values, a step with no action or two, a segment logged by two steps and a
//! `follow_up_from` placed before the step that logs its segment are refused before anything
//! runs ([`JobError::Invalid`]); the message names the file and the field, and the line and
//! column where the parser knows them (syntax, keys, values) or the step number (rules that span
//! steps). Steps are numbered from 1 in messages and reports.
//!
//! # Progress record
//!
//! Tree `jobs`, key = the job id, value = [`JobRecord`]: a hash of the job (FNV-1a 64 over a
//! canonical text of the parsed job, so reformatting the file or converting it between JSON and
//! TOML is not a change) and one [`StepState`] per step (pending, started, done with its
//! result, failed with the error). It is written in its own small transaction when the run
//! starts, before a follow-up step (the *intent*), and after every step. Running a job whose
//! recorded hash differs is refused ([`JobError::Changed`]) unless `restart` is given, which
//! forgets the old record (log steps are still protected by the store itself, see below;
//! follow-up and clean-up steps run again).
//!
//! # Exactly once, across crashes
//!
//! A step's effect and its completion record are two transactions (the operations in `ops` and
//! `batch::log_segment` commit on their own and take no extra writes), so each kind of step
//! finds out by itself whether a crash fell between the two:
//!
//! * **log** — logging commits `logged_by_segment[segment] = logged segment` with the entries.
//!   Before logging, the runner looks there: present means the step is done (status
//!   `already-done`, counts read from the logged segment). So a segment logged outside the job
//!   also counts as done (with no follow-up segment if it was logged without one). Should a
//!   clean-up delete that record in between, the segment still cannot be logged twice: logging
//!   removed its header, so the step fails instead.
//! * **follow_up_from** — before running, the runner records an intent: the step is *started*,
//!   with the numbers of the segments that already look like its result (description
//!   `Follow-up on segment X` and a first criteria action *reuse logged segment N* — the
//!   follow-up made while logging X looks the same, hence the list). On the next run, a started
//!   step whose look-alike segment is not in that list is done (that segment is its result);
//!   otherwise it runs. Trade-off: one extra fsynced transaction per follow-up
//!   step, and the detection is fooled only if, between the crash and the re-run, someone logs
//!   or deletes the new follow-up segment (then it runs again) or makes the same follow-up by
//!   hand (then that one is taken as the step's). A hook in `ops::logged::follow_up` taking
//!   extra writes for its commit would close this window.
//! * **cleanup** — naturally idempotent: run again, it deletes only what became deletable since.
//!
//! [`JobObserver::checkpoint`] is asked at both ends of every such window (after the intent,
//! after the effect); `tests/batch_job.rs` stops a run at each of them and checks that the
//! resumed run ends with the same store as an uninterrupted one, and does the same with real
//! SIGKILLs of `interlog batch run` at random moments.
//!
//! # Failures
//!
//! A step refused by a business rule (invalid lines, an empty segment, nothing matching the
//! outcome filter, …) is recorded as *failed* and the next steps still run, except a
//! `follow_up_from { segment }` whose segment's `log` step in this job failed or was skipped:
//! it is *skipped*. Failed and skipped steps run again on the next run. A storage failure (disk
//! full, damaged store) stops the job: the remaining steps are *not-run* and
//! [`JobSummary::aborted`] holds the error.
//!
//! Exit codes of `interlog batch run` ([`JobReport::exit_code`]): `0` every step done (now or
//! before), `4` some steps failed or were skipped ([`EXIT_STEPS_FAILED`]), `5` could not run —
//! the job file is missing, unreadable or invalid, or changed since its recorded progress
//! ([`EXIT_COULD_NOT_RUN`]) — and `3` the store is unavailable, as for every command.
//!
//! One job runner per store at a time: the steps take the store's writer lock one by one, and
//! two runners of the same job in one process would both run its pending steps.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Instant;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::batch::log_segment::{log_segment, LogOptions};
use crate::domain::*;
use crate::ops::logged::{self, CleanupResult, OutcomeFilter};
use crate::ops::segments::{self, NoProgress, Progress};
use crate::ops::{Ctx, OpError};
use crate::storage::{StorageError, Store, TreeId, WriteSet};

/// Exit code: some steps failed or were skipped.
pub const EXIT_STEPS_FAILED: u8 = 4;
/// Exit code: the job could not run (bad, unreadable or changed job file).
pub const EXIT_COULD_NOT_RUN: u8 = 5;
/// Exit code: the store is unavailable (the same as every command).
pub const EXIT_STORE_UNAVAILABLE: u8 = 3;

/// Longest job id.
pub const JOB_ID_LEN: usize = 100;

// ---------------------------------------------------------------------------------------------
// The job file

/// A checked job: its id and its steps, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Job id; progress is recorded under it.
    pub id: String,
    /// Steps, run in order.
    pub steps: Vec<Step>,
}

/// One step of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Log a segment.
    Log {
        /// The segment.
        segment: SegmentNo,
        /// Create a follow-up segment while logging.
        follow_up: bool,
    },
    /// Make a follow-up segment from a logged segment's entries that match an outcome.
    FollowUpFrom {
        /// Which logged segment.
        from: FollowUpSource,
        /// Only entries with this evaluation.
        evaluation: Option<Evaluation>,
        /// Only failed (`true`) or only successful (`false`) attempts.
        attempt_failed: Option<bool>,
        /// Only canceled (`true`) or only not canceled (`false`) entries.
        canceled: Option<bool>,
    },
    /// Run a clean-up job.
    Cleanup(CleanupKind),
}

/// The logged segment a follow-up step starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUpSource {
    /// A logged segment entry number.
    Logged(LoggedSegmentNo),
    /// The logged segment of this segment (logged earlier in this job or before it).
    Segment(SegmentNo),
}

/// The clean-up jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CleanupKind {
    /// Delete canceled interaction log entries.
    CanceledEntries,
    /// Delete canceled logged segments (their entries are detached first).
    CanceledLoggedSegments,
}

impl CleanupKind {
    /// The name used in job files.
    pub fn as_str(self) -> &'static str {
        match self {
            CleanupKind::CanceledEntries => "canceled-entries",
            CleanupKind::CanceledLoggedSegments => "canceled-logged-segments",
        }
    }
}

impl<'de> Deserialize<'de> for FollowUpSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FollowUpSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a logged segment entry number (1, 2, …) or { \"segment\": \"SM00001\" }",
                )
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<FollowUpSource, E> {
                if n == 0 {
                    return Err(E::custom(
                        "invalid value for `follow_up_from`: logged segment entry numbers start at 1",
                    ));
                }
                Ok(FollowUpSource::Logged(LoggedSegmentNo(n)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<FollowUpSource, E> {
                if n < 1 {
                    return Err(E::custom(
                        "invalid value for `follow_up_from`: logged segment entry numbers start at 1",
                    ));
                }
                self.visit_u64(n as u64)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FollowUpSource, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct SegmentRef {
                    segment: SegmentNo,
                }
                let r = SegmentRef::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(FollowUpSource::Segment(r.segment))
            }
        }
        d.deserialize_any(V)
    }
}

/// A step as written: every key any step may have, checked by `TryFrom`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    log: Option<SegmentNo>,
    follow_up: Option<bool>,
    follow_up_from: Option<FollowUpSource>,
    evaluation: Option<Evaluation>,
    attempt_failed: Option<bool>,
    canceled: Option<bool>,
    cleanup: Option<CleanupKind>,
}

impl TryFrom<RawStep> for Step {
    type Error = String;
    fn try_from(r: RawStep) -> Result<Step, String> {
        let actions: Vec<&str> = [
            r.log.as_ref().map(|_| "log"),
            r.follow_up_from.as_ref().map(|_| "follow_up_from"),
            r.cleanup.as_ref().map(|_| "cleanup"),
        ]
        .into_iter()
        .flatten()
        .collect();
        match actions.as_slice() {
            [] => {
                return Err(
                    "a step needs one of the fields `log`, `follow_up_from` or `cleanup`".into(),
                )
            }
            [_] => {}
            [a, b, ..] => {
                return Err(format!(
                    "a step has both `{a}` and `{b}` — give each action its own step"
                ))
            }
        }
        let outcome = [
            r.evaluation.map(|_| "evaluation"),
            r.attempt_failed.map(|_| "attempt_failed"),
            r.canceled.map(|_| "canceled"),
        ];
        if r.follow_up_from.is_none() {
            if let Some(f) = outcome.into_iter().flatten().next() {
                return Err(format!(
                    "field `{f}` belongs to a `follow_up_from` step (an outcome filter), not to `{}`",
                    actions[0]
                ));
            }
        }
        if r.follow_up.is_some() && r.log.is_none() {
            return Err(format!(
                "field `follow_up` belongs to a `log` step, not to `{}` (a `follow_up_from` step always makes a follow-up segment)",
                actions[0]
            ));
        }
        Ok(if let Some(segment) = r.log {
            Step::Log {
                segment,
                follow_up: r.follow_up.unwrap_or(false),
            }
        } else if let Some(from) = r.follow_up_from {
            Step::FollowUpFrom {
                from,
                evaluation: r.evaluation,
                attempt_failed: r.attempt_failed,
                canceled: r.canceled,
            }
        } else {
            Step::Cleanup(r.cleanup.expect("one action is present"))
        })
    }
}

/// A job id as written: 1–100 characters, no control characters nor any other character that
/// [`breaks_text`](crate::domain::breaks_text) (it is printed in reports).
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct JobId(String);

impl TryFrom<String> for JobId {
    type Error = String;
    fn try_from(s: String) -> Result<JobId, String> {
        check_id(&s).map(|()| JobId(s))
    }
}

fn check_id(s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if s.trim().is_empty() {
        Err("invalid value for `id`: the job id is empty".into())
    } else if n > JOB_ID_LEN {
        Err(format!(
            "invalid value for `id`: the job id has {n} characters, at most {JOB_ID_LEN} are allowed"
        ))
    } else if let Some(c) = s.chars().find(|&c| crate::domain::breaks_text(c)) {
        Err(format!(
            "invalid value for `id`: the job id contains the {} {c:?}",
            crate::domain::char_kind(c)
        ))
    } else {
        Ok(())
    }
}

/// The steps as written: each checked as it is read, so an error carries the step number and
/// the parser's position.
struct Steps(Vec<Step>);

impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Steps;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of steps")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Steps, A::Error> {
                let mut steps = Vec::new();
                while let Some(raw) = seq.next_element::<RawStep>()? {
                    let n = steps.len() + 1;
                    let step = Step::try_from(raw)
                        .map_err(|m| <A::Error as de::Error>::custom(format!("step {n}: {m}")))?;
                    steps.push(step);
                }
                Ok(Steps(steps))
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    id: JobId,
    steps: Steps,
}

/// The syntax of a job file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFormat {
    /// JSON.
    Json,
    /// TOML.
    Toml,
}

impl JobFormat {
    /// TOML for a name ending in `.toml`, JSON otherwise.
    pub fn for_path(path: &Path) -> JobFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => JobFormat::Toml,
            _ => JobFormat::Json,
        }
    }
}

/// Why a job could not run.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job file cannot be read.
    #[error("cannot read job file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The job file is not a valid job.
    #[error("job file {origin}: {detail}")]
    Invalid {
        /// The file (or another name for the text).
        origin: String,
        /// What is wrong, with line and column or step number.
        detail: String,
    },
    /// The job changed since its progress was recorded.
    #[error("job {id} has changed since its progress was recorded ({done} of {steps} step(s) done) — run it with --restart to forget that progress, or give the job a new id")]
    Changed {
        /// The job id.
        id: String,
        /// Steps of the recorded job that are done.
        done: usize,
        /// Steps of the recorded job.
        steps: usize,
    },
    /// A [`JobObserver::checkpoint`] asked to stop (tests use it to simulate a crash).
    #[error("job stopped at step {step} ({at:?}) as asked")]
    Stopped {
        /// The step (from 1).
        step: usize,
        /// Where.
        at: Checkpoint,
    },
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl JobError {
    /// The exit code `interlog batch run` gives for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            JobError::Storage(_) => EXIT_STORE_UNAVAILABLE,
            _ => EXIT_COULD_NOT_RUN,
        }
    }
}

/// Parses and checks a job from text; `origin` names it in errors.
pub fn parse_job(text: &str, format: JobFormat, origin: &str) -> Result<Job, JobError> {
    let invalid = |detail: String| JobError::Invalid {
        origin: origin.to_string(),
        detail,
    };
    let raw: RawJob = match format {
        JobFormat::Json => serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?,
        JobFormat::Toml => toml::from_str(text).map_err(|e| invalid(e.to_string()))?,
    };
    let job = Job {
        id: raw.id.0,
        steps: raw.steps.0,
    };
    job.check().map_err(invalid)?;
    Ok(job)
}

/// Reads, parses and checks a job file (TOML when its name ends in `.toml`, else JSON).
pub fn load_job(path: &Path) -> Result<Job, JobError> {
    let text = std::fs::read_to_string(path).map_err(|source| JobError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_job(
        &text,
        JobFormat::for_path(path),
        &path.display().to_string(),
    )
}

impl Job {
    /// Checks the rules that span steps (see the module docs).
    pub fn check(&self) -> Result<(), String> {
        check_id(&self.id)?;
        if self.steps.is_empty() {
            return Err("field `steps`: a job needs at least one step".into());
        }
        let mut logged_by: HashMap<&SegmentNo, usize> = HashMap::new();
        for (i, s) in self.steps.iter().enumerate() {
            let n = i + 1;
            match s {
                Step::Log { segment, .. } => {
                    if let Some(first) = logged_by.insert(segment, n) {
                        return Err(format!(
                            "step {n}, field `log`: segment {segment} is already logged by step {first} — a segment is logged once"
                        ));
                    }
                }
                Step::FollowUpFrom {
                    from: FollowUpSource::Segment(seg),
                    ..
                } => {
                    let later = self.steps[i + 1..]
                        .iter()
                        .position(|t| matches!(t, Step::Log { segment, .. } if segment == seg));
                    if let Some(p) = later {
                        return Err(format!(
                            "step {n}, field `follow_up_from`: segment {seg} is logged by a later step ({}) — move the follow-up after it",
                            n + 1 + p
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The hash recorded with the job's progress: FNV-1a 64 over a canonical text of the job.
    pub fn hash(&self) -> u64 {
        let mut text = format!("interlog job v1\nid {}\n", self.id);
        for s in &self.steps {
            text.push_str(&s.canonical());
            text.push('\n');
        }
        fnv1a(text.as_bytes())
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn opt_bool(b: Option<bool>) -> &'static str {
    match b {
        None => "-",
        Some(true) => "yes",
        Some(false) => "no",
    }
}

impl Step {
    /// The step's kind as named in job files: `log`, `follow_up_from` or `cleanup`.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Log { .. } => "log",
            Step::FollowUpFrom { .. } => "follow_up_from",
            Step::Cleanup(_) => "cleanup",
        }
    }

    /// What the step works on: a segment, `logged segment N`, `segment X` or a clean-up name.
    pub fn target(&self) -> String {
        match self {
            Step::Log { segment, .. } => segment.to_string(),
            Step::FollowUpFrom {
                from: FollowUpSource::Logged(n),
                ..
            } => format!("logged segment {n}"),
            Step::FollowUpFrom {
                from: FollowUpSource::Segment(s),
                ..
            } => format!("segment {s}"),
            Step::Cleanup(k) => k.as_str().to_string(),
        }
    }

    /// The step's options in words (`follow-up`, `evaluation=positive`, …), maybe empty.
    pub fn options(&self) -> String {
        match self {
            Step::Log { follow_up, .. } => {
                if *follow_up {
                    "follow-up".into()
                } else {
                    String::new()
                }
            }
            Step::FollowUpFrom {
                evaluation,
                attempt_failed,
                canceled,
                ..
            } => {
                let mut v = Vec::new();
                if let Some(e) = evaluation {
                    v.push(format!("evaluation={e}"));
                }
                if let Some(f) = attempt_failed {
                    v.push(format!("attempt_failed={f}"));
                }
                if let Some(c) = canceled {
                    v.push(format!("canceled={c}"));
                }
                v.join(", ")
            }
            Step::Cleanup(_) => String::new(),
        }
    }

    fn canonical(&self) -> String {
        match self {
            Step::Log { segment, follow_up } => {
                format!("log {segment} follow_up={}", opt_bool(Some(*follow_up)))
            }
            Step::FollowUpFrom {
                from,
                evaluation,
                attempt_failed,
                canceled,
            } => format!(
                "follow_up_from {} evaluation={} attempt_failed={} canceled={}",
                match from {
                    FollowUpSource::Logged(n) => format!("logged:{n}"),
                    FollowUpSource::Segment(s) => format!("segment:{s}"),
                },
                evaluation.map_or("-", |e| e.as_str()),
                opt_bool(*attempt_failed),
                opt_bool(*canceled)
            ),
            Step::Cleanup(k) => format!("cleanup {}", k.as_str()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The progress record

/// What a clean-up step did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupCounts {
    /// Interaction log entries deleted.
    pub entries_deleted: u64,
    /// Logged segments deleted.
    pub logged_segments_deleted: u64,
    /// Entries detached from deleted logged segments.
    pub entries_detached: u64,
    /// Campaign entries detached from deleted logged segments.
    pub campaign_entries_detached: u64,
}

impl From<CleanupResult> for CleanupCounts {
    fn from(r: CleanupResult) -> Self {
        CleanupCounts {
            entries_deleted: r.entries_deleted,
            logged_segments_deleted: r.logged_segments_deleted,
            entries_detached: r.entries_detached,
            campaign_entries_detached: r.campaign_entries_detached,
        }
    }
}

/// What a step produced. Stored inside [`JobRecord`]: its encoding is part of the on-disk
/// format (append fields only with a format change).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    /// Interaction log entries written by a `log` step.
    pub entries: Option<u64>,
    /// Lines of the follow-up segment made by a `follow_up_from` step.
    pub lines: Option<u64>,
    /// The logged segment a `log` step made or a `follow_up_from` step started from.
    pub logged_segment: Option<LoggedSegmentNo>,
    /// The follow-up segment made.
    pub follow_up_segment: Option<SegmentNo>,
    /// What a `cleanup` step did.
    pub cleanup: Option<CleanupCounts>,
}

/// A step's recorded state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepState {
    /// Not run yet.
    Pending,
    /// A `follow_up_from` step is about to run from this logged segment; these segments looked
    /// like its result before it ran (see the module docs).
    Started {
        /// The logged segment.
        logged: LoggedSegmentNo,
        /// Look-alike segments that existed before.
        existing: Vec<SegmentNo>,
    },
    /// Done.
    Done(StepResult),
    /// Failed (runs again next time).
    Failed {
        /// Why.
        error: String,
    },
}

/// A job's recorded progress (tree `jobs`, key = job id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// [`Job::hash`] of the job the progress belongs to.
    pub hash: u64,
    /// One state per step.
    pub steps: Vec<StepState>,
}

impl JobRecord {
    fn fresh(job: &Job) -> JobRecord {
        JobRecord {
            hash: job.hash(),
            steps: vec![StepState::Pending; job.steps.len()],
        }
    }

    /// Number of steps done.
    pub fn done(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, StepState::Done(_)))
            .count()
    }
}

/// The recorded progress of a job, if any.
pub fn recorded(store: &Store, id: &str) -> Result<Option<JobRecord>, StorageError> {
    store.get_rec(TreeId::Jobs, id.as_bytes(), "job progress")
}

fn save(store: &Store, id: &str, rec: &JobRecord) -> Result<(), StorageError> {
    let _w = store.writer();
    let mut ws = WriteSet::new();
    ws.put_rec(TreeId::Jobs, id.as_bytes(), "job progress", rec)?;
    store.apply(ws)
}

// ---------------------------------------------------------------------------------------------
// The report

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
    #[serde(skip_serializing_if = "String::is_empty")]
    pub options: String,
    /// Status.
    pub status: StepStatus,
    /// Interaction log entries (a `log` step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    /// Lines of the follow-up segment (a `follow_up_from` step).
    #[serde(skip_serializing_if = "Option::is_none")]
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
    /// Wall time, milliseconds.
    pub ms: f64,
}

impl StepReport {
    fn new(index: usize, step: &Step, status: StepStatus) -> StepReport {
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

    fn with_result(mut self, r: &StepResult) -> StepReport {
        self.entries = r.entries;
        self.lines = r.lines;
        self.logged_segment = r.logged_segment;
        self.follow_up_segment = r.follow_up_segment.clone();
        self.cleanup = r.cleanup;
        self
    }

    fn result(&self) -> StepResult {
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
    /// Steps in the job.
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
    /// Wall time, milliseconds.
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
    /// `0` all done, [`EXIT_STEPS_FAILED`] when steps failed or were skipped,
    /// [`EXIT_STORE_UNAVAILABLE`] when a storage failure stopped the job.
    pub fn exit_code(&self) -> u8 {
        self.summary.exit_code
    }

    fn finish(mut self, t0: Instant) -> JobReport {
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
            EXIT_STORE_UNAVAILABLE
        } else if s.failed + s.skipped > 0 {
            EXIT_STEPS_FAILED
        } else {
            0
        };
        self.summary = s;
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Running

/// How to run a job.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Forget recorded progress whose job hash differs instead of refusing.
    pub restart: bool,
}

/// Points between two commits where [`JobObserver::checkpoint`] is asked whether to go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// The step's intent (if any) is durable; its operation has not started.
    BeforeEffect,
    /// The step's operation has committed; its completion is not recorded yet.
    AfterEffect,
}

/// Watches a run: the CLI prints a line per step and shows a progress bar; tests stop the run
/// at checkpoints to simulate crashes.
pub trait JobObserver {
    /// Step `index` (from 1) of `total` starts.
    fn step_started(&self, _index: usize, _total: usize, _step: &Step) {}
    /// Progress of the running step's operation.
    fn progress(&self) -> &dyn Progress {
        &NoProgress
    }
    /// A step ended (also called for steps done before, skipped or not run).
    fn step_finished(&self, _report: &StepReport, _total: usize) {}
    /// Return false to stop right there, as if the process died ([`JobError::Stopped`]).
    fn checkpoint(&self, _index: usize, _at: Checkpoint) -> bool {
        true
    }
}

/// An observer that shows nothing and never stops.
pub struct Quiet;
impl JobObserver for Quiet {}

fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// How a step ended.
enum Ran {
    Done(StepReport),
    Failed(StepReport),
    Abort(StepReport, StorageError),
}

/// Runs a job (see the module docs). Errors mean "could not run": an invalid job, a changed
/// job without `restart`, a store that fails before the first step — or a stop asked by a
/// checkpoint. Step failures, and a storage failure once steps run, are in the report.
pub fn run_job(
    store: &Store,
    ctx: &Ctx,
    job: &Job,
    opts: RunOptions,
    obs: &dyn JobObserver,
) -> Result<JobReport, JobError> {
    let t0 = Instant::now();
    job.check().map_err(|detail| JobError::Invalid {
        origin: format!("job {}", job.id),
        detail,
    })?;
    let total = job.steps.len();
    let hash = job.hash();
    let mut restarted = false;
    let mut rec = match recorded(store, &job.id)? {
        Some(r) if r.hash == hash && r.steps.len() == total => r,
        Some(r) if !opts.restart => {
            return Err(JobError::Changed {
                id: job.id.clone(),
                done: r.done(),
                steps: r.steps.len(),
            })
        }
        Some(_) => {
            restarted = true;
            JobRecord::fresh(job)
        }
        None => JobRecord::fresh(job),
    };
    let mut report = JobReport {
        job: job.id.clone(),
        steps: Vec::with_capacity(total),
        summary: JobSummary {
            restarted,
            ..JobSummary::default()
        },
    };
    if !restarted && rec.done() == total {
        // Finished before: report, write nothing.
        for (i, (step, st)) in job.steps.iter().zip(&rec.steps).enumerate() {
            let r = match st {
                StepState::Done(r) => r,
                _ => unreachable!("every step is done"),
            };
            report
                .steps
                .push(StepReport::new(i + 1, step, StepStatus::AlreadyDone).with_result(r));
        }
        report.summary.nothing_to_do = true;
        return Ok(report.finish(t0));
    }
    // The record exists from the start, so a changed job is noticed even after a crash in
    // the first step.
    save(store, &job.id, &rec)?;
    for (i, step) in job.steps.iter().enumerate() {
        let index = i + 1;
        if let Some(msg) = &report.summary.aborted {
            let mut r = StepReport::new(index, step, StepStatus::NotRun);
            r.error = Some(format!(
                "not run: the job stopped on a storage failure: {msg}"
            ));
            obs.step_finished(&r, total);
            report.steps.push(r);
            continue;
        }
        if let StepState::Done(res) = &rec.steps[i] {
            let r = StepReport::new(index, step, StepStatus::AlreadyDone).with_result(res);
            obs.step_finished(&r, total);
            report.steps.push(r);
            continue;
        }
        obs.step_started(index, total, step);
        let t = Instant::now();
        let ran = match run_step(store, ctx, job, &mut rec, &report.steps, index, step, obs) {
            Ok(ran) => ran,
            Err(JobError::Storage(e)) => {
                let mut r = StepReport::new(index, step, StepStatus::Failed);
                r.error = Some(e.to_string());
                Ran::Abort(r, e)
            }
            Err(e) => return Err(e),
        };
        let (mut r, state, abort) = match ran {
            Ran::Done(r) => {
                let state = StepState::Done(r.result());
                (r, Some(state), None)
            }
            Ran::Failed(r) if r.status == StepStatus::Skipped => (r, None, None),
            Ran::Failed(r) => {
                let state = StepState::Failed {
                    error: r.error.clone().unwrap_or_default(),
                };
                (r, Some(state), None)
            }
            Ran::Abort(r, e) => (r, None, Some(e)),
        };
        r.ms = ms(t);
        if let Some(state) = state {
            if !obs.checkpoint(index, Checkpoint::AfterEffect) {
                return Err(JobError::Stopped {
                    step: index,
                    at: Checkpoint::AfterEffect,
                });
            }
            rec.steps[i] = state;
            if let Err(e) = save(store, &job.id, &rec) {
                report.summary.aborted = Some(e.to_string());
            }
        }
        if let Some(e) = abort {
            report.summary.aborted = Some(e.to_string());
        }
        obs.step_finished(&r, total);
        report.steps.push(r);
    }
    Ok(report.finish(t0))
}

/// The logged segment a `follow_up_from { segment }` step starts from, or why it cannot run:
/// `Err(Some(report))` skipped or failed, resolved from this run's steps or the store.
fn resolve_segment(
    store: &Store,
    job: &Job,
    done: &[StepReport],
    seg: &SegmentNo,
) -> Result<Result<LoggedSegmentNo, (StepStatus, String)>, StorageError> {
    let own = job
        .steps
        .iter()
        .position(|s| matches!(s, Step::Log { segment, .. } if segment == seg));
    if let Some(j) = own {
        let r = &done[j];
        match r.status {
            StepStatus::Done | StepStatus::AlreadyDone => {
                if let Some(n) = r.logged_segment {
                    return Ok(Ok(n));
                }
            }
            _ => {
                return Ok(Err((
                    StepStatus::Skipped,
                    format!("step {} (log {seg}) {}", j + 1, r.status.as_str()),
                )))
            }
        }
    }
    match store.get_rec::<LoggedSegmentNo>(
        TreeId::LoggedBySegment,
        seg.as_bytes(),
        "logged segment number",
    )? {
        Some(n) => Ok(Ok(n)),
        None => Ok(Err((
            StepStatus::Failed,
            format!("segment {seg} has not been logged — there is nothing to follow up"),
        ))),
    }
}

/// Segments that look like a follow-up made from logged segment `logged`.
fn look_alikes(store: &Store, logged: LoggedSegmentNo) -> Result<Vec<SegmentNo>, OpError> {
    let Some(l) = store.get_rec::<LoggedSegment>(
        TreeId::LoggedSegments,
        logged.to_key(),
        "logged segment",
    )?
    else {
        return Ok(Vec::new());
    };
    let description = follow_up_description(&l.segment_no);
    Ok(segments::list(store)?
        .into_iter()
        .filter(|h| {
            h.description == description
                && h.criteria.first().is_some_and(|a| {
                    a.kind == CriteriaKind::ReuseLogged && a.logged_segment == Some(logged)
                })
        })
        .map(|h| h.no)
        .collect())
}

fn storage_of(e: OpError) -> Result<StorageError, OpError> {
    match e {
        OpError::Storage(s) => Ok(s),
        other => Err(other),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_step(
    store: &Store,
    ctx: &Ctx,
    job: &Job,
    rec: &mut JobRecord,
    done: &[StepReport],
    index: usize,
    step: &Step,
    obs: &dyn JobObserver,
) -> Result<Ran, JobError> {
    let i = index - 1;
    let mut r = StepReport::new(index, step, StepStatus::Done);
    let stop = |at| -> Result<(), JobError> {
        if obs.checkpoint(index, at) {
            Ok(())
        } else {
            Err(JobError::Stopped { step: index, at })
        }
    };
    // An operation's error: a business rule fails the step, a storage failure stops the job.
    let fail = |mut r: StepReport, e: OpError| -> Ran {
        match storage_of(e) {
            Ok(s) => {
                r.status = StepStatus::Failed;
                r.error = Some(s.to_string());
                Ran::Abort(r, s)
            }
            Err(e) => {
                r.status = StepStatus::Failed;
                r.error = Some(e.to_string());
                Ran::Failed(r)
            }
        }
    };
    match step {
        Step::Log { segment, follow_up } => {
            let already = |r: &mut StepReport, logged: LoggedSegmentNo| -> Result<(), OpError> {
                r.status = StepStatus::AlreadyDone;
                r.logged_segment = Some(logged);
                if let Some(l) = store.get_rec::<LoggedSegment>(
                    TreeId::LoggedSegments,
                    logged.to_key(),
                    "logged segment",
                )? {
                    r.entries = Some(l.entries_written);
                    r.follow_up_segment = l.follow_up_segment;
                }
                Ok(())
            };
            let found = store.get_rec::<LoggedSegmentNo>(
                TreeId::LoggedBySegment,
                segment.as_bytes(),
                "logged segment number",
            )?;
            if let Some(logged) = found {
                return Ok(match already(&mut r, logged) {
                    Ok(()) => Ran::Done(r),
                    Err(e) => fail(r, e),
                });
            }
            stop(Checkpoint::BeforeEffect)?;
            let res = log_segment(
                store,
                ctx,
                segment,
                LogOptions {
                    follow_up: *follow_up,
                    dry_run: false,
                },
                obs.progress(),
            );
            Ok(match res {
                Ok(o) => {
                    r.entries = Some(o.entries);
                    r.logged_segment = Some(o.logged_segment_entry_no);
                    r.follow_up_segment = o.follow_up_segment_no;
                    r.warnings = o.warnings;
                    Ran::Done(r)
                }
                Err(OpError::AlreadyLogged { logged, .. }) => match already(&mut r, logged) {
                    Ok(()) => Ran::Done(r),
                    Err(e) => fail(r, e),
                },
                Err(e) => fail(r, e),
            })
        }
        Step::FollowUpFrom {
            from,
            evaluation,
            attempt_failed,
            canceled,
        } => {
            let logged = match from {
                FollowUpSource::Logged(n) => *n,
                FollowUpSource::Segment(seg) => match resolve_segment(store, job, done, seg)? {
                    Ok(n) => n,
                    Err((status, why)) => {
                        r.status = status;
                        r.error = Some(why);
                        return Ok(Ran::Failed(r));
                    }
                },
            };
            r.logged_segment = Some(logged);
            let alikes = match look_alikes(store, logged) {
                Ok(a) => a,
                Err(e) => return Ok(fail(r, e)),
            };
            // A crash after the follow-up committed and before it was recorded?
            if let StepState::Started {
                logged: l,
                existing,
            } = &rec.steps[i]
            {
                if *l == logged {
                    if let Some(made) = alikes.iter().find(|s| !existing.contains(s)) {
                        r.status = StepStatus::AlreadyDone;
                        match segments::get(store, made) {
                            Ok(h) => r.lines = Some(h.line_count),
                            Err(e) => return Ok(fail(r, e)),
                        }
                        r.follow_up_segment = Some(made.clone());
                        return Ok(Ran::Done(r));
                    }
                }
            }
            rec.steps[i] = StepState::Started {
                logged,
                existing: alikes,
            };
            if let Err(e) = save(store, &job.id, rec) {
                r.status = StepStatus::Failed;
                r.error = Some(e.to_string());
                return Ok(Ran::Abort(r, e));
            }
            stop(Checkpoint::BeforeEffect)?;
            let filter = OutcomeFilter {
                evaluation: *evaluation,
                attempt_failed: *attempt_failed,
                canceled: *canceled,
            };
            Ok(
                match logged::follow_up(store, ctx, logged, &filter, obs.progress()) {
                    Ok(added) => {
                        r.lines = Some(added.record.line_count);
                        r.follow_up_segment = Some(added.record.no);
                        r.warnings = added.warning.into_iter().collect();
                        Ran::Done(r)
                    }
                    Err(e) => fail(r, e),
                },
            )
        }
        Step::Cleanup(kind) => {
            stop(Checkpoint::BeforeEffect)?;
            let res = match kind {
                CleanupKind::CanceledEntries => logged::delete_canceled_entries(store),
                CleanupKind::CanceledLoggedSegments => {
                    logged::delete_canceled_logged_segments(store)
                }
            };
            Ok(match res {
                Ok(c) => {
                    r.cleanup = Some(c.into());
                    Ran::Done(r)
                }
                Err(e) => fail(r, e),
            })
        }
    }
}
