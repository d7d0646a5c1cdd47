//! Running a job: resolving each step's segment, running the steps in order, each atomic,
//! recording progress after each, and reporting to an observer.

use std::time::Instant;

use crate::batch::log_segment::{log_segment, LogOptions};
use crate::domain::*;
use crate::ops::logged::{self, OutcomeFilter};
use crate::ops::segments;
use crate::ops::{Ctx, OpError};
use crate::progress::{NoProgress, Progress};
use crate::storage::{StorageError, Store};

use super::*;

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

pub(super) fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// How a step ended.
pub(super) enum Ran {
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
            // `rec.done() == total`: every step is done.
            let StepState::Done(r) = st else { continue };
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
pub(super) fn resolve_segment(
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
    match store.logged_segment_of(seg)? {
        Some(n) => Ok(Ok(n)),
        None => Ok(Err((
            StepStatus::Failed,
            format!("segment {seg} has not been logged — there is nothing to follow up"),
        ))),
    }
}

/// Segments that look like a follow-up made from logged segment `logged`.
pub(super) fn look_alikes(
    store: &Store,
    logged: LoggedSegmentNo,
) -> Result<Vec<SegmentNo>, OpError> {
    let Some(l) = store.logged_segment(logged)? else {
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

pub(super) fn storage_of(e: OpError) -> Result<StorageError, OpError> {
    match e {
        OpError::Storage(s) => Ok(s),
        other => Err(other),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn run_step(
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
                if let Some(l) = store.logged_segment(logged)? {
                    r.entries = Some(l.entries_written);
                    r.follow_up_segment = l.follow_up_segment;
                }
                Ok(())
            };
            let found = store.logged_segment_of(segment)?;
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
