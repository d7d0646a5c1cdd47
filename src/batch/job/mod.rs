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
//! before), `4` some steps failed or were skipped ([`exit::STEPS_FAILED`]), `5` could not run —
//! the job file is missing, unreadable or invalid, or changed since its recorded progress
//! ([`exit::COULD_NOT_RUN`]) — and `3` the store is unavailable, as for every command.
//!
//! One job runner per store at a time: the steps take the store's writer lock one by one, and
//! two runners of the same job in one process would both run its pending steps.

#[allow(unused_imports)] // named by the links of the module documentation
use crate::{batch::log_segment::log_segment, exit, ops::logged};

mod file;
mod record;
mod report;
mod run;

pub use file::*;
pub use record::*;
pub use report::*;
pub use run::*;

/// Longest job id.
pub const JOB_ID_LEN: usize = 100;
