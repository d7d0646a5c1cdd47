//! The progress record a job keeps in the store (tree `jobs`), read and written by the
//! runner.

use serde::{Deserialize, Serialize};

use crate::domain::*;
use crate::ops::logged::CleanupResult;
use crate::storage::{Change, StorageError, Store, UnitOfWork};

use super::*;

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
    pub(super) fn fresh(job: &Job) -> JobRecord {
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
    store.job_progress(id)
}

/// Every recorded job, by id (the store keeps no time of a run, so this is id order).
pub fn all_recorded(store: &Store) -> Result<Vec<(String, JobRecord)>, StorageError> {
    store.all_job_progress()
}

pub(super) fn save(store: &Store, id: &str, rec: &JobRecord) -> Result<(), StorageError> {
    let _w = store.writer();
    let mut ws = UnitOfWork::new();
    ws.change(Change::job_progress(id, rec)?);
    store.apply(ws)
}
