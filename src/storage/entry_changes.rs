//! Interaction log entries behind the storage boundary: reads of an [`EntrySelection`] through
//! a borrowed row view ([`EntryView`], which implements [`EntryRead`]), and the changes the
//! operations make to entries, in domain terms, lowered here to today's entry blocks, contact
//! index items and index runs:
//!
//! * add one entry ([`Change::AddEntry`](super::Change::AddEntry): a block of its own);
//! * read entries for update, then replace or remove them ([`EntriesForUpdate`]: single
//!   interactions — cancel, edit, resume, delete postponed);
//! * set canceled on the entries selected ([`Store::set_canceled_where`]: the cancel cascade,
//!   with its in-place flag flips where a block belongs to the selection as a whole);
//! * delete the entries selected ([`Store::delete_entries_where`]: their rows, contact index
//!   items and run records);
//! * clear the logged segment of the entries selected ([`Store::clear_logged_segment_where`]).
//!
//! Each change adds its writes to the caller's unit of work ([`UnitOfWork`]) and returns what the
//! operation needs to know — the counts per logged segment, the numbers deleted — as an SQL
//! `UPDATE … RETURNING` would. Business rules (what may be canceled, the counts kept on logged
//! segments) stay in the operations. The bytes written are those the operations wrote before.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveTime};

use super::blocks::{set_flag_where, EntryBlock, EntryRef, FlagFlip, FLAG_CANCELED, FLAG_FAILED};
use super::index::{RunBuilder, RunInfo};
use super::{codec, keys, CodecError, StorageError, Store, TreeId, UnitOfWork, WriteItem};
use crate::domain::*;

/// One entry as the sled backend reads it: a borrowed row of a decoded entry block. Read it
/// through [`EntryRead`]; [`EntryRead::to_entry`] materializes it.
pub type EntryView<'a> = EntryRef<'a>;

impl EntryRead for EntryRef<'_> {
    #[inline]
    fn entry_no(&self) -> EntryNo {
        self.entry_no
    }
    #[inline]
    fn contact_no(&self) -> &ContactNo {
        &self.row.contact_no
    }
    #[inline]
    fn contact_company_no(&self) -> Option<ContactNo> {
        self.row.company.resolve(&self.row.contact_no)
    }
    #[inline]
    fn date(&self) -> NaiveDate {
        self.shared.date
    }
    #[inline]
    fn time_of_interaction(&self) -> NaiveTime {
        self.shared.time
    }
    #[inline]
    fn description(&self) -> &str {
        &self.shared.description
    }
    #[inline]
    fn subject(&self) -> &str {
        &self.shared.subject
    }
    #[inline]
    fn information_flow(&self) -> InformationFlow {
        self.shared.information_flow
    }
    #[inline]
    fn initiated_by(&self) -> InitiatedBy {
        self.shared.initiated_by
    }
    #[inline]
    fn cost(&self) -> Money {
        self.shared.cost
    }
    #[inline]
    fn duration_min(&self) -> u32 {
        self.shared.duration_min
    }
    #[inline]
    fn user_id(&self) -> &str {
        &self.shared.user_id
    }
    #[inline]
    fn group_code(&self) -> &GroupCode {
        &self.shared.group_code
    }
    #[inline]
    fn template_code(&self) -> &TemplateCode {
        &self.shared.template_code
    }
    #[inline]
    fn campaign_no(&self) -> Option<&CampaignNo> {
        self.shared.campaign_no.as_ref()
    }
    #[inline]
    fn campaign_entry_no(&self) -> Option<CampaignEntryNo> {
        self.shared.campaign_entry_no
    }
    #[inline]
    fn segment_no(&self) -> Option<&SegmentNo> {
        self.shared.segment_no.as_ref()
    }
    #[inline]
    fn logged_segment_entry_no(&self) -> Option<LoggedSegmentNo> {
        self.shared.logged_segment_entry_no
    }
    #[inline]
    fn salesperson_code(&self) -> &SalespersonCode {
        self.salesperson
    }
    #[inline]
    fn correspondence_type(&self) -> CorrespondenceType {
        self.row.correspondence_type
    }
    #[inline]
    fn language_code(&self) -> Option<&LanguageCode> {
        self.shared.language_code.as_ref()
    }
    #[inline]
    fn evaluation(&self) -> Evaluation {
        self.row.evaluation
    }
    #[inline]
    fn attempt_failed(&self) -> bool {
        self.row.flags & FLAG_FAILED != 0
    }
    #[inline]
    fn postponed(&self) -> bool {
        self.row.postponed()
    }
    #[inline]
    fn canceled(&self) -> bool {
        self.row.canceled()
    }
    #[inline]
    fn comments(&self) -> &[Comment] {
        &self.row.comments
    }
    fn to_entry(&self) -> LogEntry {
        EntryRef::to_entry(self)
    }
}

/// The sled write of [`Change::AddEntry`](super::Change::AddEntry): a new entry (numbered at
/// the entry horizon) in a block of its own under its number.
pub(crate) fn lower_add_entry(e: &LogEntry) -> Result<WriteItem, CodecError> {
    let block = EntryBlock::from_entries(std::slice::from_ref(e)).expect("one entry");
    Ok((
        TreeId::Entries,
        e.entry_no.to_key().to_vec(),
        Some(block.encode()?),
    ))
}

/// What [`Store::set_canceled_where`] reached and changed.
#[derive(Clone, Debug, Default)]
pub struct CanceledCounts {
    /// Entries reached (whatever their flag was).
    pub reached: u64,
    /// Entries whose canceled flag changed.
    pub changed: u64,
    /// Entries whose canceled flag changed, per logged segment they belong to.
    pub changed_per_logged: BTreeMap<LoggedSegmentNo, u64>,
}

/// What [`Store::delete_entries_where`] removed.
#[derive(Clone, Debug, Default)]
pub struct DeletedEntries {
    /// Their numbers, ascending.
    pub entry_nos: Vec<EntryNo>,
    /// Per logged segment: how many of its entries went, and how many of those were canceled.
    pub per_logged: BTreeMap<LoggedSegmentNo, (u64, u64)>,
}

/// The visible entries an operation read to change them (SQL: `SELECT … FOR UPDATE`); it
/// replaces or removes some of them, then [`EntriesForUpdate::write_to`] adds the writes to
/// the unit of work. The sled backend holds the blocks of those entries and writes each of
/// them again.
pub struct EntriesForUpdate {
    blocks: BTreeMap<EntryNo, EntryBlock>,
    missing: Option<EntryNo>,
}

impl EntriesForUpdate {
    /// The first of the requested numbers that is no visible entry, if any.
    pub fn missing(&self) -> Option<EntryNo> {
        self.missing
    }

    fn block(&self, n: EntryNo) -> Option<&EntryBlock> {
        self.blocks.range(..=n).next_back().map(|(_, b)| b)
    }

    fn block_mut(&mut self, n: EntryNo) -> Option<&mut EntryBlock> {
        self.blocks.range_mut(..=n).next_back().map(|(_, b)| b)
    }

    /// One of the entries read (`None` when it was not read or has been removed).
    pub fn get(&self, n: EntryNo) -> Option<LogEntry> {
        self.block(n)?.get(n)
    }

    /// Replaces one of the entries read; an entry that was not read is refused (the caller
    /// must read every entry it changes with [`Store::entries_for_update`]).
    pub fn put(&mut self, e: &LogEntry) -> Result<(), StorageError> {
        self.block_mut(e.entry_no)
            .ok_or_else(|| {
                StorageError::Inconsistent(format!(
                    "entry {} was changed without being read for update",
                    e.entry_no
                ))
            })?
            .put(e);
        Ok(())
    }

    /// Removes one of the entries read; true when it was there.
    pub fn remove(&mut self, n: EntryNo) -> bool {
        self.block_mut(n).is_some_and(|b| b.remove(n))
    }

    /// Adds the writes of the entries read, as they are now, to `ws`.
    pub fn write_to(self, ws: &mut UnitOfWork) -> Result<(), CodecError> {
        for (key, block) in self.blocks {
            let (vals, del_old) = block.encode_for(key)?;
            if del_old {
                ws.del(TreeId::Entries, key.to_key());
            }
            for (k, v) in vals {
                ws.put(TreeId::Entries, k.to_key(), v);
            }
        }
        Ok(())
    }
}

/// The run whose entry range may hold `e`: the run with the highest base at or below `e`, if
/// `e` lies within its span. A span is `None` when it is no longer known (the logged segment
/// the run was written for has been deleted); the caller must then ask the run itself.
fn run_of(spans: &BTreeMap<u64, (u64, Option<u64>)>, e: EntryNo) -> Option<(u64, bool)> {
    let (base, (id, span)) = spans.range(..=e.0).next_back()?;
    match span {
        Some(span) => (e.0 < base + span).then_some((*id, true)),
        None => Some((*id, false)),
    }
}

impl Store {
    /// Visits the visible entries `sel` picks, in number order, until `f` returns `false`.
    pub fn for_each_entry<E: From<StorageError>>(
        &self,
        sel: &EntrySelection,
        mut f: impl FnMut(&EntryView<'_>) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut stop = super::CallerStop::default();
        let visited = self.for_each_block(sel.from, sel.to, |_, block| {
            for e in block.iter() {
                if sel.matches(&e) && !stop.go_on(f(&e)) {
                    return Ok(false);
                }
            }
            Ok(true)
        });
        stop.finish(visited)
    }

    /// Visits the entries `sel` picks a block at a time: `map` turns the picked entries of one
    /// block into a `T` on rayon's threads, `window` blocks at once, and `out` receives the
    /// results in entry order (`Ok(false)` or an error stops the visit). For exports, whose
    /// per-entry formatting costs far more than reading the blocks: memory stays at `window`
    /// decoded blocks and their results.
    pub fn map_entry_blocks<T: Send, E: From<StorageError>>(
        &self,
        sel: &EntrySelection,
        window: usize,
        map: impl Fn(&mut dyn Iterator<Item = EntryView<'_>>) -> T + Sync,
        mut out: impl FnMut(T) -> Result<bool, E>,
    ) -> Result<(), E> {
        use rayon::prelude::*;
        let window = window.max(1);
        let mut stop = super::CallerStop::default();
        let mut pending: Vec<EntryBlock> = Vec::with_capacity(window);
        let mut emit = |pending: &mut Vec<EntryBlock>, stop: &mut super::CallerStop<E>| {
            let mapped: Vec<T> = pending
                .par_iter()
                .map(|b| map(&mut b.iter().filter(|e| sel.matches(e))))
                .collect();
            pending.clear();
            mapped.into_iter().all(|t| stop.go_on(out(t)))
        };
        let visited = self.for_each_block(sel.from, sel.to, |_, block| {
            pending.push(block);
            Ok(pending.len() < window || emit(&mut pending, &mut stop))
        });
        if visited.is_ok() && stop.0.is_none() && !pending.is_empty() {
            emit(&mut pending, &mut stop);
        }
        stop.finish(visited)
    }

    /// Reads the visible entries `nos` for update (see [`EntriesForUpdate::missing`] for a
    /// number that is none).
    pub fn entries_for_update(&self, nos: &[EntryNo]) -> Result<EntriesForUpdate, StorageError> {
        let mut blocks: BTreeMap<EntryNo, EntryBlock> = BTreeMap::new();
        for &n in nos {
            if blocks
                .range(..=n)
                .next_back()
                .is_some_and(|(_, b)| b.get(n).is_some())
            {
                continue;
            }
            match self.entry_block(n)? {
                Some((k, b)) if b.get(n).is_some() => {
                    blocks.insert(k, b);
                }
                _ => {
                    return Ok(EntriesForUpdate {
                        blocks,
                        missing: Some(n),
                    })
                }
            }
        }
        Ok(EntriesForUpdate {
            blocks,
            missing: None,
        })
    }

    /// Sets canceled to `target` on every visible entry `sel` picks, adding the changed
    /// blocks to `ws` (SQL: `UPDATE … SET canceled = $1 WHERE … RETURNING`). Blocks that
    /// belong to the selection as a whole flip their flags in the encoded bytes; blocks the
    /// selection does not concern are skipped without decoding their rows; the rest are
    /// decoded.
    pub fn set_canceled_where(
        &self,
        ws: &mut UnitOfWork,
        sel: &EntrySelection,
        target: bool,
    ) -> Result<CanceledCounts, StorageError> {
        let mut out = CanceledCounts::default();
        let end = sel
            .to
            .unwrap_or(EntryNo(u64::MAX))
            .min(self.entry_horizon()?);
        if sel.from >= end {
            return Ok(out);
        }
        // The block holding `from` may start before it (the store visits it too).
        self.for_each_encoded_block(sel.from, end, |first, v| {
            let k = first.to_key();
            let mut block_logged = None;
            let mut undecided = false;
            let flip = set_flag_where(
                v,
                |s| {
                    block_logged = s.logged_segment_entry_no;
                    match sel.decides_by(
                        s.logged_segment_entry_no,
                        s.campaign_no.as_ref(),
                        s.campaign_entry_no,
                    ) {
                        Some(d) => d,
                        None => {
                            undecided = true;
                            false
                        }
                    }
                },
                FLAG_CANCELED,
                target,
            )?;
            let flip = if undecided { FlagFlip::Mixed } else { flip };
            match flip {
                FlagFlip::Nothing => {}
                FlagFlip::All {
                    bytes,
                    rows,
                    changed,
                } => {
                    out.reached += rows;
                    out.changed += changed;
                    if changed > 0 {
                        if let Some(l) = block_logged {
                            *out.changed_per_logged.entry(l).or_default() += changed;
                        }
                        ws.put(TreeId::Entries, k, bytes);
                    }
                }
                FlagFlip::Mixed => {
                    let mut block = EntryBlock::decode(v)?;
                    let picked: Vec<bool> = block.iter().map(|e| sel.matches(&e)).collect();
                    let shared = block.shared.clone();
                    let mut changed = false;
                    for ((_, row), picked) in block.rows.iter_mut().zip(picked) {
                        if !picked {
                            continue;
                        }
                        let s = row.shared.as_deref().unwrap_or(&shared);
                        out.reached += 1;
                        if row.canceled() != target {
                            out.changed += 1;
                            if let Some(l) = s.logged_segment_entry_no {
                                *out.changed_per_logged.entry(l).or_default() += 1;
                            }
                            row.set_flag(FLAG_CANCELED, target);
                            changed = true;
                        }
                    }
                    if changed {
                        ws.put(TreeId::Entries, k, block.encode()?);
                    }
                }
            }
            Ok::<bool, StorageError>(true)
        })?;
        Ok(out)
    }

    /// Deletes every visible entry `sel` picks, with its contact index items (per-entry keys
    /// and index runs), adding the writes to `ws` (SQL: `DELETE … WHERE … RETURNING`). The
    /// caller updates the logged segments' counts from [`DeletedEntries::per_logged`] in the
    /// same write set.
    pub fn delete_entries_where(
        &self,
        ws: &mut UnitOfWork,
        sel: &EntrySelection,
    ) -> Result<DeletedEntries, StorageError> {
        let runs = self.runs()?;
        // Run id by base entry, with the span of entry numbers it covers. The span is known
        // from the logged segment the run was written for; once that record is gone (deleted
        // canceled logged segment) it is not, and `count` is no substitute: it shrinks as
        // earlier clean-ups rewrite the run, while the entry numbers it covers stay where they
        // were.
        let mut spans: BTreeMap<u64, (u64, Option<u64>)> = BTreeMap::new();
        // Entry-ordered runs need nothing: their index is the entry blocks themselves.
        for r in runs.iter().filter(|r| r.order.is_none()) {
            let span = match r.logged_segment {
                Some(ls) => self
                    .logged_segment(ls)?
                    .map(|l| l.entries_written.max(r.count)),
                None => None,
            };
            spans.insert(r.base.0, (r.run_id, span));
        }
        let mut out = DeletedEntries::default();
        let mut per_run: BTreeMap<u64, HashSet<EntryNo>> = BTreeMap::new();
        self.for_each_block(sel.from, sel.to, |key, mut block| {
            let mut removed: Vec<(EntryNo, ContactNo, Option<LoggedSegmentNo>, bool)> = Vec::new();
            for e in block.iter() {
                if sel.matches(&e) {
                    removed.push((
                        e.entry_no,
                        e.row.contact_no.clone(),
                        e.shared.logged_segment_entry_no,
                        e.row.canceled(),
                    ));
                }
            }
            if removed.is_empty() {
                return Ok(true);
            }
            out.entry_nos.extend(removed.iter().map(|r| r.0));
            for (n, contact, ls, canceled) in &removed {
                block.remove(*n);
                ws.change(super::Change::UnindexContactEntry(contact.clone(), *n));
                if let Some((run, certain)) = run_of(&spans, *n) {
                    // Without a known span, only the run's own records tell whether it holds
                    // `n`.
                    let holds = certain || {
                        let info = runs.iter().find(|r| r.run_id == run);
                        let mut found = Vec::new();
                        if let Some(info) = info {
                            self.run_entries_of(info, contact, &mut found)?;
                        }
                        found.contains(n)
                    };
                    if holds {
                        per_run.entry(run).or_default().insert(*n);
                    }
                }
                if let Some(ls) = ls {
                    let c = out.per_logged.entry(*ls).or_default();
                    c.0 += 1;
                    c.1 += u64::from(*canceled);
                }
            }
            let (vals, del_old) = block.encode_for(key)?;
            if del_old {
                ws.del(TreeId::Entries, key.to_key());
            }
            for (k, v) in vals {
                ws.put(TreeId::Entries, k.to_key(), v);
            }
            Ok(true)
        })?;
        for (run_id, gone) in per_run {
            let Some(info) = runs.iter().find(|r| r.run_id == run_id) else {
                continue;
            };
            self.rewrite_run_without(info, &gone, ws)?;
        }
        Ok(out)
    }

    /// Rewrites a run without the pairs of `gone` (drops it when nothing is left).
    fn rewrite_run_without(
        &self,
        info: &RunInfo,
        gone: &HashSet<EntryNo>,
        ws: &mut UnitOfWork,
    ) -> Result<(), StorageError> {
        let pairs = self.run_records(info)?;
        for k in self.run_block_keys(info.run_id)? {
            ws.del(TreeId::IndexRunBlocks, k);
        }
        let kept: Vec<&(Vec<u8>, EntryNo)> =
            pairs.iter().filter(|(_, e)| !gone.contains(e)).collect();
        if kept.is_empty() {
            ws.del(TreeId::IndexRuns, keys::num(info.run_id));
            return Ok(());
        }
        let mut b = RunBuilder::new(info.width as usize);
        for (c, e) in kept {
            b.push(c, (e.0 - info.base.0) as u32);
        }
        let (mut new_info, blocks) = b.finish(info.run_id, info.base, info.logged_segment, None);
        // Keep the original filter: a superset never hides a contact.
        new_info.bloom = info.bloom.clone();
        for (k, v) in blocks {
            ws.put(TreeId::IndexRunBlocks, k, v);
        }
        ws.put(
            TreeId::IndexRuns,
            keys::num(info.run_id),
            codec::encode("contact index run", &new_info)?,
        );
        Ok(())
    }

    /// Clears the logged segment of every visible entry `sel` picks that has one, adding the
    /// rewritten blocks to `ws` (SQL: `UPDATE … SET logged_segment = NULL WHERE …`); returns
    /// how many entries changed.
    pub fn clear_logged_segment_where(
        &self,
        ws: &mut UnitOfWork,
        sel: &EntrySelection,
    ) -> Result<u64, StorageError> {
        let mut n = 0;
        self.for_each_block(sel.from, sel.to, |key, block| {
            let mut entries = block.entries();
            let mut changed = false;
            for e in entries.iter_mut() {
                if e.logged_segment_entry_no.is_some() && sel.matches(&*e) {
                    e.logged_segment_entry_no = None;
                    changed = true;
                    n += 1;
                }
            }
            if changed {
                let nb = EntryBlock::from_entries(&entries).expect("non-empty block");
                let (vals, del_old) = nb.encode_for(key)?;
                if del_old {
                    ws.del(TreeId::Entries, key.to_key());
                }
                for (k, v) in vals {
                    ws.put(TreeId::Entries, k.to_key(), v);
                }
            }
            Ok(true)
        })?;
        Ok(n)
    }
}
