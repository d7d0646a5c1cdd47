//! Reads in domain terms: does a contact (template, campaign, …) exist, which logged segment
//! logged a segment, the postponed entries, every contact or logged segment streamed, the
//! encoded entry blocks of a range, the records of an index run.
//!
//! Operations ask these instead of opening sled trees, so they name what they want to know,
//! not where it lies: a relational backend answers the same questions with `SELECT EXISTS`,
//! an index scan or a cursor.

use super::index::{self, RunInfo};
use super::{bad_value, codec, keys, StorageError, Store, TreeId, UntilErrorExt};
use crate::domain::*;

macro_rules! has {
    ($($(#[$doc:meta])* $name:ident($ty:ty) => $tree:ident),+ $(,)?) => {
        impl Store {
            $(
                $(#[$doc])*
                pub fn $name(&self, key: &$ty) -> Result<bool, StorageError> {
                    Ok(self.t.get(TreeId::$tree).contains_key(key.as_bytes())?)
                }
            )+
        }
    };
}

has! {
    /// True when the salesperson exists.
    has_salesperson(SalespersonCode) => Salespeople,
    /// True when the interaction group exists.
    has_group(GroupCode) => Groups,
    /// True when the interaction template exists.
    has_template(TemplateCode) => Templates,
    /// True when the campaign exists.
    has_campaign(CampaignNo) => Campaigns,
    /// True when the number series exists.
    has_series(SeriesCode) => Series,
    /// True when the segment exists (logged segments' headers are removed).
    has_segment(SegmentNo) => Segments,
    /// True when saved criteria of this code exist.
    has_saved_criteria(CriteriaCode) => SavedCriteria,
}

impl Store {
    /// True when the logged segment exists.
    pub fn has_logged_segment(&self, no: LoggedSegmentNo) -> Result<bool, StorageError> {
        Ok(self.t.logged_segments.contains_key(no.to_key())?)
    }

    /// The logged segment that logged segment `no`, if it was logged.
    pub fn logged_segment_of(
        &self,
        no: &SegmentNo,
    ) -> Result<Option<LoggedSegmentNo>, StorageError> {
        match self.t.logged_by_segment.get(no.as_bytes())? {
            Some(v) => codec::decode("logged segment number", &v)
                .map(Some)
                .map_err(|e| bad_value(TreeId::LoggedBySegment, no.as_bytes(), e)),
            None => Ok(None),
        }
    }

    /// Numbers of the postponed entries, ascending (markers above the entry horizon included:
    /// callers skip them).
    pub fn postponed_entry_nos(&self) -> Result<Vec<EntryNo>, StorageError> {
        let mut out = Vec::new();
        for k in self.t.postponed.iter().keys() {
            out.push(EntryNo(keys::read_num(&k?).unwrap_or(0)));
        }
        Ok(out)
    }

    /// Visits every contact in number order until `f` returns `false`.
    pub fn for_each_contact<E: From<StorageError>>(
        &self,
        mut f: impl FnMut(Contact) -> Result<bool, E>,
    ) -> Result<(), E> {
        for c in self.contacts() {
            if !f(c?)? {
                break;
            }
        }
        Ok(())
    }

    /// Every logged segment in number order; stops after the first error.
    pub fn logged_segments(
        &self,
    ) -> impl Iterator<Item = Result<LoggedSegment, StorageError>> + '_ {
        self.recs(TreeId::LoggedSegments, "logged segment")
    }

    fn recs<T: serde::de::DeserializeOwned>(
        &self,
        tree: TreeId,
        what: &'static str,
    ) -> impl Iterator<Item = Result<T, StorageError>> + '_ {
        self.t
            .get(tree)
            .iter()
            .map(move |kv| {
                let (k, v) = kv?;
                codec::decode(what, &v).map_err(|e| bad_value(tree, &k, e))
            })
            .until_error()
    }

    /// Visits the encoded entry blocks whose entries may fall in `[from, to)` — the block
    /// holding `from` included — as (first entry, bytes), in order, until `f` returns `false`.
    /// For changes made on the encoded bytes (the cancel cascade's flag flips).
    pub(crate) fn for_each_encoded_block<E: From<StorageError>>(
        &self,
        from: EntryNo,
        to: EntryNo,
        mut f: impl FnMut(EntryNo, &[u8]) -> Result<bool, E>,
    ) -> Result<(), E> {
        if from >= to {
            return Ok(());
        }
        let start = match self.t.entries.range(..=from.to_key()).next_back() {
            Some(kv) => kv.map_err(StorageError::from)?.0.to_vec(),
            None => from.to_key().to_vec(),
        };
        for kv in self
            .t
            .entries
            .range(start.as_slice()..to.to_key().as_slice())
        {
            let (k, v) = kv.map_err(StorageError::from)?;
            if !f(EntryNo(keys::read_num(&k).unwrap_or(0)), &v)? {
                break;
            }
        }
        Ok(())
    }

    /// Every (contact, entry) record of an index run, in (contact, entry) order.
    pub fn run_records(&self, run: &RunInfo) -> Result<Vec<(Vec<u8>, EntryNo)>, StorageError> {
        index::scan_run(&self.t.entries, &self.t.index_run_blocks, run)
    }

    /// Appends to `out` the entries of `contact` that the index run holds.
    pub fn run_entries_of(
        &self,
        run: &RunInfo,
        contact: &ContactNo,
        out: &mut Vec<EntryNo>,
    ) -> Result<(), StorageError> {
        index::lookup_run(
            &self.t.entries,
            &self.t.index_run_blocks,
            run,
            &index::ContactProbe::new(contact),
            out,
        )
    }

    /// The keys of a run's own blocks (none for an entry-ordered run).
    pub(crate) fn run_block_keys(&self, run_id: u64) -> Result<Vec<Vec<u8>>, StorageError> {
        let mut out = Vec::new();
        for k in self
            .t
            .index_run_blocks
            .scan_prefix(keys::num(run_id))
            .keys()
        {
            out.push(k?.to_vec());
        }
        Ok(out)
    }
}
