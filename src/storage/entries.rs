//! Reading interaction log entries: by number, by range of blocks, by contact.
//!
//! Only entries below the committed `next_entry` counter are visible; callers get that bound
//! once per read ([`Store::entry_horizon`]) so a listing sees one consistent prefix even while a
//! batch commits.

use super::blocks::EntryBlock;
use super::{index, keys, StorageError, Store};
use crate::domain::{ContactNo, EntryNo, LogEntry};

impl Store {
    /// One past the highest visible entry number.
    pub fn entry_horizon(&self) -> Result<EntryNo, StorageError> {
        Ok(EntryNo(self.counter(keys::meta::NEXT_ENTRY)?))
    }

    /// The block holding `entry_no` (key and decoded block), if the entry is visible.
    pub(crate) fn entry_block(
        &self,
        entry_no: EntryNo,
    ) -> Result<Option<(EntryNo, EntryBlock)>, StorageError> {
        if entry_no >= self.entry_horizon()? {
            return Ok(None);
        }
        match self.t.entries.range(..=entry_no.to_key()).next_back() {
            Some(kv) => {
                let (k, v) = kv?;
                let first = EntryNo(keys::read_num(&k).unwrap_or(0));
                let block = EntryBlock::decode(&v)?;
                if block.first != first {
                    return Err(StorageError::Inconsistent(format!(
                        "entry block under key {first} says it starts at {}",
                        block.first
                    )));
                }
                Ok(Some((first, block)))
            }
            None => Ok(None),
        }
    }

    /// One visible entry (decodes only its row).
    pub fn entry(&self, entry_no: EntryNo) -> Result<Option<LogEntry>, StorageError> {
        self.entry_below(entry_no, self.entry_horizon()?)
    }

    fn entry_below(
        &self,
        entry_no: EntryNo,
        horizon: EntryNo,
    ) -> Result<Option<LogEntry>, StorageError> {
        if entry_no >= horizon {
            return Ok(None);
        }
        match self.t.entries.range(..=entry_no.to_key()).next_back() {
            Some(kv) => {
                let (_, v) = kv?;
                Ok(EntryBlock::read_one(&v, entry_no)?)
            }
            None => Ok(None),
        }
    }

    /// Visits every visible block whose entries may fall in `[from, to)`, in order.
    pub(crate) fn for_each_block(
        &self,
        from: EntryNo,
        to: Option<EntryNo>,
        mut f: impl FnMut(EntryNo, EntryBlock) -> Result<bool, StorageError>,
    ) -> Result<(), StorageError> {
        let horizon = self.entry_horizon()?;
        let end = to.map_or(horizon, |t| t.min(horizon));
        if from >= end {
            return Ok(());
        }
        // The block holding `from` may start before it.
        let start = match self.t.entries.range(..=from.to_key()).next_back() {
            Some(kv) => kv?.0.to_vec(),
            None => from.to_key().to_vec(),
        };
        for kv in self
            .t
            .entries
            .range(start.as_slice()..end.to_key().as_slice())
        {
            let (k, v) = kv?;
            let first = EntryNo(keys::read_num(&k).unwrap_or(0));
            let block = EntryBlock::decode(&v)?;
            if !f(first, block)? {
                break;
            }
        }
        Ok(())
    }

    /// Appends the entry numbers of `contact`'s per-entry index keys (single interactions).
    fn per_entry_index_nos(
        &self,
        contact: &ContactNo,
        out: &mut Vec<EntryNo>,
    ) -> Result<(), StorageError> {
        let prefix = keys::contact_prefix(contact.as_bytes());
        for k in self.t.contact_index.scan_prefix(&prefix).keys() {
            let k = k?;
            if let Some(n) = keys::read_num(&k[prefix.len()..]) {
                out.push(EntryNo(n));
            }
        }
        Ok(())
    }

    /// Numbers of the visible entries of `contact`, ascending: per-entry index keys merged
    /// with every index run that may hold the contact.
    pub fn contact_entry_nos(&self, contact: &ContactNo) -> Result<Vec<EntryNo>, StorageError> {
        let horizon = self.entry_horizon()?;
        let mut out = Vec::new();
        self.per_entry_index_nos(contact, &mut out)?;
        let probe = index::ContactProbe::new(contact);
        for run in self.runs()?.iter() {
            index::lookup_run(
                &self.t.entries,
                &self.t.index_run_blocks,
                run,
                &probe,
                &mut out,
            )?;
        }
        out.retain(|e| *e < horizon);
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The visible entries of `contact`, ascending by number. Entries of entry-ordered runs
    /// are taken from the blocks the lookup reads anyway; the others (per-entry index keys,
    /// classic runs) are read by number.
    pub fn contact_entries(&self, contact: &ContactNo) -> Result<Vec<LogEntry>, StorageError> {
        let horizon = self.entry_horizon()?;
        let mut nos = Vec::new();
        self.per_entry_index_nos(contact, &mut nos)?;
        let mut out = Vec::new();
        let probe = index::ContactProbe::new(contact);
        for run in self.runs()?.iter() {
            if !index::ordered_run_entries(&self.t.entries, run, &probe, &mut out)? {
                index::lookup_run(
                    &self.t.entries,
                    &self.t.index_run_blocks,
                    run,
                    &probe,
                    &mut nos,
                )?;
            }
        }
        out.retain(|e| e.entry_no < horizon);
        out.sort_by_key(|e| e.entry_no);
        out.dedup_by_key(|e| e.entry_no);
        nos.retain(|e| *e < horizon);
        nos.sort_unstable();
        nos.dedup();
        let from_runs = out.len();
        for n in nos {
            if out[..from_runs]
                .binary_search_by_key(&n, |e| e.entry_no)
                .is_ok()
            {
                continue;
            }
            // An index item whose entry was deleted by a clean-up is skipped.
            if let Some(e) = self.entry_below(n, horizon)? {
                out.push(e);
            }
        }
        if out.len() > from_runs {
            out.sort_by_key(|e| e.entry_no);
        }
        Ok(out)
    }
}
