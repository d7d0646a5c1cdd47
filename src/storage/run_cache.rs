//! The cached list of committed index runs, and the version that keeps it honest.
//!
//! The runs change in two ways: a bulk log adds one, moving the `next_run` counter in the same
//! commit; a clean-up (or a cascade) rewrites or removes run infos without moving it. For the
//! second kind the store moves a stored `runs_version` itself, in [`Store::apply`] — added to
//! every change that writes or removes a run info without moving `next_run`, so no caller can
//! forget it (and a bulk log writes exactly what it wrote before). The cache remembers the pair
//! (`next_run`, `runs_version`) it was read at, and every [`Store::runs`] compares it with the
//! stored pair — two small reads — so a change made by anyone, another process included, is
//! never missed. A relational backend keeps the same version in the transaction that changes
//! its runs table.

use std::sync::Arc;

use super::index::RunInfo;
use super::{codec, keys, StorageError, Store, TreeId, WriteItem};

/// `meta` key of the runs version (absent = 0: no run was ever rewritten or removed).
pub(super) const RUNS_VERSION: &[u8] = b"runs_version";

/// What the cache was read at: `next_run` and the runs version. Both only grow.
type Version = (u64, u64);

/// The cached runs and the version they were read at.
pub(super) type RunCache = Option<(Version, Arc<Vec<RunInfo>>)>;

impl Store {
    fn runs_version(&self) -> Result<u64, StorageError> {
        match self.t.meta.get(RUNS_VERSION)? {
            Some(v) => codec::decode("counter", &v)
                .map_err(|e| super::bad_value(TreeId::Meta, RUNS_VERSION, e)),
            None => Ok(0),
        }
    }

    fn version(&self) -> Result<Version, StorageError> {
        Ok((self.counter(keys::meta::NEXT_RUN)?, self.runs_version()?))
    }

    /// Adds the move of the runs version to a change that writes or removes a run info
    /// without moving `next_run`.
    pub(super) fn version_runs(&self, items: &mut Vec<WriteItem>) -> Result<(), StorageError> {
        if !items.iter().any(|(t, _, _)| *t == TreeId::IndexRuns) {
            return Ok(());
        }
        let next_run = self.counter(keys::meta::NEXT_RUN)?;
        let moves_next_run = items.iter().any(|(t, k, v)| {
            *t == TreeId::Meta
                && k.as_slice() == keys::meta::NEXT_RUN
                && v.as_ref()
                    .and_then(|v| codec::decode::<u64>("counter", v).ok())
                    .is_some_and(|n| n != next_run)
        });
        if !moves_next_run {
            let next = self.runs_version()? + 1;
            items.push((
                TreeId::Meta,
                RUNS_VERSION.to_vec(),
                Some(codec::encode("counter", &next)?),
            ));
        }
        Ok(())
    }

    /// Committed index runs, cached; the cache is checked against the stored version on every
    /// call.
    pub fn runs(&self) -> Result<Arc<Vec<RunInfo>>, StorageError> {
        let version = self.version()?;
        if let Some((v, r)) = self.runs.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if *v == version {
                return Ok(r.clone());
            }
        }
        let mut v: Vec<RunInfo> = Vec::new();
        for kv in self.t.index_runs.range(..keys::num(version.0).as_slice()) {
            let (_, val) = kv?;
            v.push(codec::decode("contact index run", &val)?);
        }
        let arc = Arc::new(v);
        *self.runs.write().unwrap_or_else(|p| p.into_inner()) = Some((version, arc.clone()));
        Ok(arc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntryNo;
    use crate::storage::bloom::Bloom;
    use crate::storage::{Change, Counter, UnitOfWork};

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
        let first = store.get_counter(Counter::NextRun).unwrap();
        assert!(store.runs().unwrap().is_empty());
        // A bulk log's commit: a new run and `next_run` moved; no version write.
        let mut ws = UnitOfWork::new();
        ws.change(Change::PutIndexRun(Box::new(run(first))));
        ws.change(Change::SetCounter(Counter::NextRun, first + 1));
        store.apply(ws).unwrap();
        assert_eq!(store.runs().unwrap().len(), 1);
        assert_eq!(store.runs_version().unwrap(), 0);
        // A clean-up: a run info rewritten, then removed, `next_run` left alone.
        let mut changed = run(first);
        changed.count = 7;
        let mut ws = UnitOfWork::new();
        ws.put_rec(
            TreeId::IndexRuns,
            keys::num(first),
            "contact index run",
            &changed,
        )
        .unwrap();
        store.apply(ws).unwrap();
        assert_eq!(store.runs_version().unwrap(), 1);
        assert_eq!(store.runs().unwrap()[0].count, 7);
        let mut ws = UnitOfWork::new();
        ws.del(TreeId::IndexRuns, keys::num(first));
        store.apply(ws).unwrap();
        assert!(store.runs().unwrap().is_empty());
        assert_eq!(store.runs_version().unwrap(), 2);
        // A commit that touches no run leaves the version alone.
        let mut ws = UnitOfWork::new();
        ws.change(Change::SetCounter(Counter::NextRun, first + 1));
        store.apply(ws).unwrap();
        assert_eq!(store.runs_version().unwrap(), 2);
    }
}
