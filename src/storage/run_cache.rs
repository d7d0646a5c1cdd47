//! The cached list of committed index runs, and the version that keeps it honest.
//!
//! Every commit that writes or removes a run info also moves the stored `runs_version` (the
//! store adds that write itself, in [`Store::apply`], so no caller can forget it). The cache
//! remembers the version it was read at and every [`Store::runs`] compares it with the stored
//! one — one small read — so a change made by anyone, another process included, is never
//! missed. A relational backend keeps the same counter in the transaction that changes its
//! runs table.

use std::sync::Arc;

use super::index::RunInfo;
use super::{codec, keys, StorageError, Store, TreeId, WriteItem};

/// `meta` key of the runs version (absent = 0: no run ever changed).
pub(super) const RUNS_VERSION: &[u8] = b"runs_version";

/// The cached runs and the version they were read at.
pub(super) type RunCache = Option<(u64, Arc<Vec<RunInfo>>)>;

impl Store {
    fn runs_version(&self) -> Result<u64, StorageError> {
        match self.t.meta.get(RUNS_VERSION)? {
            Some(v) => codec::decode("counter", &v)
                .map_err(|e| super::bad_value(TreeId::Meta, RUNS_VERSION, e)),
            None => Ok(0),
        }
    }

    /// Adds the move of the runs version to a change that writes or removes a run info.
    pub(super) fn version_runs(&self, items: &mut Vec<WriteItem>) -> Result<(), StorageError> {
        if items.iter().any(|(t, _, _)| *t == TreeId::IndexRuns) {
            let next = self.runs_version()? + 1;
            items.push((
                TreeId::Meta,
                RUNS_VERSION.to_vec(),
                Some(codec::encode("counter", &next)?),
            ));
        }
        Ok(())
    }

    /// Committed index runs, cached; the cache is checked against the stored runs version on
    /// every call.
    pub fn runs(&self) -> Result<Arc<Vec<RunInfo>>, StorageError> {
        let version = self.runs_version()?;
        if let Some((v, r)) = self.runs.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if *v == version {
                return Ok(r.clone());
            }
        }
        let next_run = self.counter(keys::meta::NEXT_RUN)?;
        let mut v: Vec<RunInfo> = Vec::new();
        for kv in self.t.index_runs.range(..keys::num(next_run).as_slice()) {
            let (_, val) = kv?;
            v.push(codec::decode("contact index run", &val)?);
        }
        let arc = Arc::new(v);
        *self.runs.write().unwrap_or_else(|p| p.into_inner()) = Some((version, arc.clone()));
        Ok(arc)
    }

    /// Drops the cached run list (no longer needed for correctness: [`Store::runs`] checks the
    /// stored version; kept so callers can free the memory).
    pub fn invalidate_runs(&self) {
        *self.runs.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntryNo;
    use crate::storage::bloom::Bloom;
    use crate::storage::{Change, Counter, WriteSet};

    fn run(id: u64) -> RunInfo {
        RunInfo {
            run_id: id,
            base: EntryNo(1),
            count: 0,
            width: 0,
            blocks: 0,
            logged_segment: None,
            bloom: Bloom::empty(),
            order: Some(Vec::new()),
        }
    }

    /// A commit that changes runs without anyone dropping the cache (as another process's
    /// would) is seen by the next `runs()`.
    #[test]
    fn the_cached_runs_follow_every_run_changing_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("s")).unwrap();
        let mut ws = WriteSet::new();
        ws.change(Change::SetCounter(Counter::NextRun, 3));
        store.apply(ws).unwrap();
        assert!(store.runs().unwrap().is_empty());
        let mut ws = WriteSet::new();
        for id in [1, 2] {
            ws.put_rec(
                TreeId::IndexRuns,
                keys::num(id),
                "contact index run",
                &run(id),
            )
            .unwrap();
        }
        store.apply(ws).unwrap();
        assert_eq!(store.runs().unwrap().len(), 2);
        assert_eq!(store.runs_version().unwrap(), 1);
        let mut ws = WriteSet::new();
        ws.del(TreeId::IndexRuns, keys::num(1));
        store.apply(ws).unwrap();
        let runs = store.runs().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].run_id, 2);
        // A commit that touches no run leaves the version (and the cache) alone.
        let mut ws = WriteSet::new();
        ws.change(Change::SetCounter(Counter::NextRun, 3));
        store.apply(ws).unwrap();
        assert_eq!(store.runs_version().unwrap(), 2);
    }
}
