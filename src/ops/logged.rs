//! Logged segments: list and show with BC's counts, switching canceled with the cascade to
//! entries and campaign entries (SPEC §2.4), the two clean-up jobs, and follow-up segments made
//! later from a logged segment, filtered by outcome (SPEC §2.7 *beyond*).
//!
//! Two pieces of machinery here serve every record that owns entries: `cascade_canceled`
//! (flip the canceled flag of a logged segment's or a campaign entry's entries, in the encoded
//! blocks where possible) and `delete_entries` (remove entries with their contact index items
//! and keep logged segment counts right), so that every record owning entries —
//! logged segments here, campaign entries in `ops::campaign_entries` — runs on the same code.
//!
//! Reference: BC's table *Logged Segment* (`ToggleCanceledCheckmark`), reports *Delete
//! Interaction Log Entries* (5190) and *Delete Logged Segments* (5191).

use crate::ops::found;
use crate::storage::Change;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use super::interactions::EntryFilter;
use super::master::Added;
use super::segments::{append_lines, new_header, next_action, SegmentInput};
use super::{Ctx, OpError};
use crate::domain::*;
use crate::progress::Progress;
use crate::storage::blocks::{
    set_flag_where, EntryBlock, EntryRef, EntryShared, FlagFlip, FLAG_CANCELED,
};
use crate::storage::index::{RunBuilder, RunInfo};
use crate::storage::{keys, Store, TreeId, WriteSet};

/// A logged segment with BC's derived counts.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedSegmentView {
    /// The record.
    #[serde(flatten)]
    pub logged: LoggedSegment,
    /// Interactions whose canceled flag equals the logged segment's.
    pub no_of_interactions: u64,
    /// Campaign entries whose canceled flag equals the logged segment's.
    pub no_of_campaign_entries: u64,
}

fn view(store: &Store, logged: LoggedSegment) -> Result<LoggedSegmentView, OpError> {
    let mut n = 0;
    for ce in &logged.campaign_entries {
        let c: Option<CampaignEntry> = store.campaign_entry(*ce)?;
        if c.is_some_and(|c| c.canceled == logged.canceled) {
            n += 1;
        }
    }
    Ok(LoggedSegmentView {
        no_of_interactions: logged.no_of_interactions(),
        no_of_campaign_entries: n,
        logged,
    })
}

fn load(store: &Store, no: LoggedSegmentNo) -> Result<LoggedSegment, OpError> {
    found(store.logged_segment(no)?, "logged segment", &no)
}

/// Every logged segment, by number.
pub fn list(store: &Store) -> Result<Vec<LoggedSegmentView>, OpError> {
    store
        .all_logged_segments()?
        .into_iter()
        .map(|l| view(store, l))
        .collect()
}

/// One logged segment.
pub fn show(store: &Store, no: LoggedSegmentNo) -> Result<LoggedSegmentView, OpError> {
    let l = load(store, no)?;
    view(store, l)
}

/// Whose entries a cancel cascade reaches.
#[derive(Clone, Debug)]
pub(crate) enum CascadeOf {
    /// The entries of a logged segment (BC: `Logged Segment Entry No.`).
    LoggedSegment(LoggedSegmentNo),
    /// The entries of a campaign entry (BC: `Campaign No.` and `Campaign Entry No.`).
    CampaignEntry(CampaignNo, CampaignEntryNo),
}

impl CascadeOf {
    fn selects(&self, s: &EntryShared) -> bool {
        match self {
            CascadeOf::LoggedSegment(l) => s.logged_segment_entry_no == Some(*l),
            CascadeOf::CampaignEntry(c, ce) => {
                s.campaign_entry_no == Some(*ce) && s.campaign_no.as_ref() == Some(c)
            }
        }
    }
}

/// What a cancel cascade reached and changed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cascaded {
    /// Entries reached (whatever their flag was).
    pub reached: u64,
    /// Entries whose canceled flag changed.
    pub changed: u64,
    /// Entries whose canceled flag changed, per logged segment they belong to.
    pub changed_per_logged: BTreeMap<LoggedSegmentNo, u64>,
}

/// Sets canceled to `target` on every entry in `[from, to)` that `of` reaches, adding the changed
/// blocks to `ws`. Blocks whose rows all share one logged segment / campaign entry flip their
/// flags in the encoded bytes; blocks that do not concern `of` are skipped without decoding
/// their rows; the rest are decoded.
pub(crate) fn cascade_canceled(
    store: &Store,
    of: &CascadeOf,
    from: EntryNo,
    to: EntryNo,
    target: bool,
    ws: &mut WriteSet,
) -> Result<Cascaded, OpError> {
    let mut out = Cascaded::default();
    let end = to.min(store.entry_horizon()?);
    if from >= end {
        return Ok(out);
    }
    // The block holding `from` may start before it (the store visits it too).
    store.for_each_encoded_block(from, end, |first, v| {
        let k = first.to_key();
        let mut block_logged = None;
        let flip = set_flag_where(
            v,
            |s| {
                block_logged = s.logged_segment_entry_no;
                of.selects(s)
            },
            FLAG_CANCELED,
            target,
        )?;
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
                let shared = block.shared.clone();
                let mut changed = false;
                for (_, row) in block.rows.iter_mut() {
                    let s = row.shared.as_deref().unwrap_or(&shared);
                    if !of.selects(s) {
                        continue;
                    }
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
        Ok::<bool, OpError>(true)
    })?;
    Ok(out)
}

/// Switches canceled on a logged segment: the logged segment, all of its interaction log
/// entries and its campaign entries get the new value, in one atomic change (BC: *Logged
/// Segment* `SetCanceledCheckmark` — campaign entries by *Register No.*, entries by *Logged
/// Segment Entry No.*).
pub fn switch_canceled(store: &Store, no: LoggedSegmentNo) -> Result<LoggedSegmentView, OpError> {
    set_canceled(store, no, None)
}

/// Sets canceled on a logged segment (and, as [`switch_canceled`], on its entries and campaign
/// entries) to `to`, or — `None` — to the opposite of its value. Setting the value it already
/// has still sets it on every entry and campaign entry, so running it again after a failure
/// finishes the job instead of undoing it.
pub fn set_canceled(
    store: &Store,
    no: LoggedSegmentNo,
    to: Option<bool>,
) -> Result<LoggedSegmentView, OpError> {
    let _w = store.writer();
    let mut logged = load(store, no)?;
    let target = to.unwrap_or(!logged.canceled);
    let mut ws = WriteSet::new();
    let reached = cascade_canceled(
        store,
        &CascadeOf::LoggedSegment(no),
        logged.first_entry_no,
        logged.end_entry_no(),
        target,
        &mut ws,
    )?
    .reached;
    for ce in &logged.campaign_entries {
        let c: Option<CampaignEntry> = store.campaign_entry(*ce)?;
        if let Some(mut c) = c {
            c.canceled = target;
            ws.change(Change::PutCampaignEntry(c.clone()));
        }
    }
    logged.canceled = target;
    logged.entries = reached;
    logged.canceled_entries = if target { reached } else { 0 };
    ws.change(Change::PutLoggedSegment(logged.clone()));
    store.apply(ws)?;
    view(store, logged)
}

/// What a clean-up job did — or, in a dry run, would do. The numbers name every record
/// deleted (or that would be).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CleanupResult {
    /// Nothing was written: this is what the job would do.
    pub dry_run: bool,
    /// Interaction log entries deleted.
    pub entries_deleted: u64,
    /// Logged segments deleted.
    pub logged_segments_deleted: u64,
    /// Campaign entries deleted.
    pub campaign_entries_deleted: u64,
    /// Entries detached from deleted logged segments.
    pub entries_detached: u64,
    /// Campaign entries detached from deleted logged segments.
    pub campaign_entries_detached: u64,
    /// The entries deleted.
    pub deleted_entry_nos: Vec<EntryNo>,
    /// The logged segments deleted.
    pub deleted_logged_segment_nos: Vec<LoggedSegmentNo>,
    /// The campaign entries deleted.
    pub deleted_campaign_entry_nos: Vec<CampaignEntryNo>,
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

/// Entries removed by [`delete_entries`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Deleted {
    /// Their numbers, ascending.
    pub entry_nos: Vec<EntryNo>,
    /// Per logged segment: how many of its entries went, and how many of those were canceled.
    pub per_logged: BTreeMap<LoggedSegmentNo, (u64, u64)>,
}

/// Deletes every visible entry that `select` picks, with its contact index items (per-entry
/// keys and index runs), adding the writes to `ws`. In a dry run only the numbers are
/// collected. The caller updates the logged segments' counts from [`Deleted::per_logged`]
/// (see [`apply_logged_counts`]) in the same write set.
pub(crate) fn delete_entries(
    store: &Store,
    ws: &mut WriteSet,
    from: EntryNo,
    mut select: impl FnMut(&EntryRef<'_>) -> bool,
    dry_run: bool,
) -> Result<Deleted, OpError> {
    let runs = store.runs()?;
    // Run id by base entry, with the span of entry numbers it covers. The span is known from
    // the logged segment the run was written for; once that record is gone (deleted canceled
    // logged segment) it is not, and `count` is no substitute: it shrinks as earlier clean-ups
    // rewrite the run, while the entry numbers it covers stay where they were.
    let mut spans: BTreeMap<u64, (u64, Option<u64>)> = BTreeMap::new();
    // Entry-ordered runs need nothing: their index is the entry blocks themselves.
    for r in runs.iter().filter(|r| r.order.is_none()) {
        let span = match r.logged_segment {
            Some(ls) => store
                .logged_segment(ls)?
                .map(|l| l.entries_written.max(r.count)),
            None => None,
        };
        spans.insert(r.base.0, (r.run_id, span));
    }
    let mut out = Deleted::default();
    let mut per_run: BTreeMap<u64, HashSet<EntryNo>> = BTreeMap::new();
    store.for_each_block(from, None, |key, mut block| {
        let mut removed: Vec<(EntryNo, ContactNo, Option<LoggedSegmentNo>, bool)> = Vec::new();
        for e in block.iter() {
            if select(&e) {
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
        if dry_run {
            return Ok(true);
        }
        for (n, contact, ls, canceled) in &removed {
            block.remove(*n);
            ws.change(Change::UnindexContactEntry(contact.clone(), *n));
            if let Some((run, certain)) = run_of(&spans, *n) {
                // Without a known span, only the run's own records tell whether it holds `n`.
                let holds = certain || {
                    let info = runs.iter().find(|r| r.run_id == run);
                    let mut found = Vec::new();
                    if let Some(info) = info {
                        store.run_entries_of(info, contact, &mut found)?;
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
        rewrite_run_without(store, info, &gone, ws)?;
    }
    Ok(out)
}

/// Writes the logged segments that lost entries with their counts lowered; `edit` may change
/// each of them further before it is written (every logged segment in `per_logged` and in
/// `also` is passed to it once).
pub(crate) fn apply_logged_counts(
    store: &Store,
    ws: &mut WriteSet,
    per_logged: &BTreeMap<LoggedSegmentNo, (u64, u64)>,
    also: &BTreeSet<LoggedSegmentNo>,
    mut edit: impl FnMut(&mut LoggedSegment),
) -> Result<(), OpError> {
    let all: BTreeSet<LoggedSegmentNo> = per_logged.keys().chain(also).copied().collect();
    for ls in all {
        if let Some(mut l) = store.logged_segment(ls)? {
            if let Some((n, canceled)) = per_logged.get(&ls) {
                l.entries = l.entries.saturating_sub(*n);
                l.canceled_entries = l.canceled_entries.saturating_sub(*canceled);
            }
            edit(&mut l);
            ws.change(Change::PutLoggedSegment(l.clone()));
        }
    }
    Ok(())
}

/// Deletes every canceled interaction log entry (SPEC §2.4 clean-up), with its contact index
/// items, in one atomic change. Logged segment counts follow.
pub fn delete_canceled_entries(store: &Store) -> Result<CleanupResult, OpError> {
    delete_canceled_entries_where(store, &EntryFilter::default(), false)
}

/// Deletes the canceled interaction log entries that `filter` selects (its `canceled` field is
/// ignored: only canceled entries go), with their contact index items, in one atomic change;
/// logged segment counts follow. With `dry_run` nothing is written and the result says what
/// would go.
///
/// BC: report *Delete Interaction Log Entries* (5190) — `where(Canceled = const(true))`, request
/// filter fields Entry No., Contact No., Date, Campaign No., Interaction Group Code,
/// Interaction Template Code, Salesperson Code.
pub fn delete_canceled_entries_where(
    store: &Store,
    filter: &EntryFilter,
    dry_run: bool,
) -> Result<CleanupResult, OpError> {
    let _w = store.writer();
    let filter = EntryFilter {
        canceled: None,
        ..filter.clone()
    };
    let mut ws = WriteSet::new();
    let from = filter.entry_nos.as_ref().map_or(1, |f| f.min().max(1));
    let d = delete_entries(
        store,
        &mut ws,
        EntryNo(from),
        |e| e.row.canceled() && filter.matches(e),
        dry_run,
    )?;
    let result = CleanupResult {
        dry_run,
        entries_deleted: d.entry_nos.len() as u64,
        deleted_entry_nos: d.entry_nos,
        ..CleanupResult::default()
    };
    if dry_run {
        return Ok(result);
    }
    apply_logged_counts(store, &mut ws, &d.per_logged, &BTreeSet::new(), |_| {})?;
    store.apply(ws)?;
    store.invalidate_runs();
    Ok(result)
}

/// Rewrites a run without the pairs of `gone` (drops it when nothing is left).
fn rewrite_run_without(
    store: &Store,
    info: &RunInfo,
    gone: &HashSet<EntryNo>,
    ws: &mut WriteSet,
) -> Result<(), OpError> {
    let pairs = store.run_records(info)?;
    for k in store.run_block_keys(info.run_id)? {
        ws.del(TreeId::IndexRunBlocks, k);
    }
    let kept: Vec<&(Vec<u8>, EntryNo)> = pairs.iter().filter(|(_, e)| !gone.contains(e)).collect();
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
    ws.put_rec(
        TreeId::IndexRuns,
        keys::num(info.run_id),
        "contact index run",
        &new_info,
    )?;
    Ok(())
}

/// Which canceled logged segments a clean-up deletes (BC: report *Delete Logged Segments*
/// (5191), request filter fields Entry No. and Segment No.).
#[derive(Clone, Debug, Default)]
pub struct LoggedSegmentFilter {
    /// Only logged segments whose entry number passes this filter.
    pub entry_nos: Option<NumberFilter>,
    /// Only the logged segment of this segment.
    pub segment: Option<SegmentNo>,
}

impl LoggedSegmentFilter {
    /// Does the logged segment pass?
    pub fn matches(&self, l: &LoggedSegment) -> bool {
        self.entry_nos
            .as_ref()
            .is_none_or(|f| f.contains(l.entry_no.0))
            && self.segment.as_ref().is_none_or(|s| *s == l.segment_no)
    }
}

/// Deletes every canceled logged segment (SPEC §2.4 clean-up): their entries and campaign
/// entries are detached first (they keep existing, without a logged segment), all in one
/// atomic change.
pub fn delete_canceled_logged_segments(store: &Store) -> Result<CleanupResult, OpError> {
    delete_canceled_logged_segments_where(store, &LoggedSegmentFilter::default(), false)
}

/// Deletes the canceled logged segments that `filter` selects, detaching their entries and
/// campaign entries first, in one atomic change. With `dry_run` nothing is written and the
/// result says what would go.
///
/// BC: report *Delete Logged Segments* (5191) — `where(Canceled = const(true))`; entries and
/// campaign entries get `Logged Segment Entry No.` / `Register No.` 0.
pub fn delete_canceled_logged_segments_where(
    store: &Store,
    filter: &LoggedSegmentFilter,
    dry_run: bool,
) -> Result<CleanupResult, OpError> {
    let _w = store.writer();
    let mut ws = WriteSet::new();
    let mut result = CleanupResult {
        dry_run,
        ..CleanupResult::default()
    };
    for l in store.all_logged_segments()? {
        if !l.canceled || !filter.matches(&l) {
            continue;
        }
        let no = l.entry_no;
        store.for_each_block(l.first_entry_no, Some(l.end_entry_no()), |key, block| {
            let mut entries = block.entries();
            let mut changed = false;
            for e in entries.iter_mut() {
                if e.logged_segment_entry_no == Some(no) {
                    e.logged_segment_entry_no = None;
                    changed = true;
                    result.entries_detached += 1;
                }
            }
            if changed && !dry_run {
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
        for ce in &l.campaign_entries {
            if let Some(mut c) = store.campaign_entry(*ce)? {
                c.logged_segment_entry_no = None;
                ws.change(Change::PutCampaignEntry(c.clone()));
                result.campaign_entries_detached += 1;
            }
        }
        ws.change(Change::RemoveLoggedSegment(no));
        if store.logged_segment_of(&l.segment_no)? == Some(no) {
            ws.change(Change::UnlinkLoggedSegment(l.segment_no.clone()));
        }
        result.logged_segments_deleted += 1;
        result.deleted_logged_segment_nos.push(no);
    }
    if !dry_run {
        store.apply(ws)?;
    }
    Ok(result)
}

/// Which entries of a logged segment a follow-up takes.
#[derive(Clone, Debug, Default)]
pub struct OutcomeFilter {
    /// Only entries with this evaluation.
    pub evaluation: Option<Evaluation>,
    /// Only failed (`Some(true)`) or only successful (`Some(false)`) attempts.
    pub attempt_failed: Option<bool>,
    /// Only canceled (`Some(true)`) or only not canceled (`Some(false)`) entries.
    pub canceled: Option<bool>,
}

impl OutcomeFilter {
    /// The filter as the criteria action records it: `Evaluation=positive`, `Attempt
    /// Failed=Yes`, `Canceled=No` (nothing for no filter).
    pub fn describe(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(e) = self.evaluation {
            v.push(format!("Evaluation={e}"));
        }
        if let Some(f) = self.attempt_failed {
            v.push(format!("Attempt Failed={}", if f { "Yes" } else { "No" }));
        }
        if let Some(c) = self.canceled {
            v.push(format!("Canceled={}", if c { "Yes" } else { "No" }));
        }
        v
    }

    /// Reads back what [`OutcomeFilter::describe`] wrote; `None` for anything else.
    pub fn from_descriptions(parts: &[String]) -> Option<OutcomeFilter> {
        let yes_no = |v: &str| match v {
            "Yes" => Some(true),
            "No" => Some(false),
            _ => None,
        };
        let mut f = OutcomeFilter::default();
        for p in parts {
            let (k, v) = p.split_once('=')?;
            match k {
                "Evaluation" if f.evaluation.is_none() => f.evaluation = Some(v.parse().ok()?),
                "Attempt Failed" if f.attempt_failed.is_none() => {
                    f.attempt_failed = Some(yes_no(v)?)
                }
                "Canceled" if f.canceled.is_none() => f.canceled = Some(yes_no(v)?),
                _ => return None,
            }
        }
        Some(f)
    }

    fn passes(&self, e: &EntryRef<'_>) -> bool {
        self.evaluation.is_none_or(|v| v == e.row.evaluation)
            && self
                .attempt_failed
                .is_none_or(|f| f == (e.row.flags & crate::storage::blocks::FLAG_FAILED != 0))
            && self.canceled.is_none_or(|c| c == e.row.canceled())
    }
}

/// The contacts a logged segment's entries give a segment.
pub(crate) struct LoggedContacts {
    /// Distinct contacts whose entries pass the filter (and were not skipped).
    pub matched: u64,
    /// Those contacts as new lines, in entry order, without contacts blocked for privacy.
    pub contacts: Vec<LineContact>,
}

/// The contacts of the logged segment's entries that pass `filter`, each once in entry order,
/// leaving out those already in `skip` (which grows with them). Shared by reusing a logged
/// segment, follow-ups and replaying saved criteria.
pub(crate) fn logged_contacts(
    store: &Store,
    l: &LoggedSegment,
    filter: &OutcomeFilter,
    skip: &mut HashSet<ContactNo>,
) -> Result<LoggedContacts, OpError> {
    let no = l.entry_no;
    let mut order: Vec<ContactNo> = Vec::new();
    store.for_each_block(l.first_entry_no, Some(l.end_entry_no()), |_, block| {
        for e in block.iter() {
            if e.shared.logged_segment_entry_no == Some(no)
                && filter.passes(&e)
                && skip.insert(e.row.contact_no.clone())
            {
                order.push(e.row.contact_no.clone());
            }
        }
        Ok(true)
    })?;
    let mut contacts = Vec::with_capacity(order.len());
    for c in &order {
        if let Some(c) = store.contact(c)? {
            if !c.privacy_blocked {
                contacts.push(LineContact::from(&c));
            }
        }
    }
    Ok(LoggedContacts {
        matched: order.len() as u64,
        contacts,
    })
}

/// Creates a follow-up segment from a logged segment's entries that match the outcome filter:
/// one line per contact (first occurrence, entry order), numbered from setup's segment series.
pub fn follow_up(
    store: &Store,
    ctx: &Ctx,
    no: LoggedSegmentNo,
    filter: &OutcomeFilter,
    progress: &dyn Progress,
) -> Result<Added<SegmentHeader>, OpError> {
    let writer = store.writer();
    let l = load(store, no)?;
    let found = logged_contacts(store, &l, filter, &mut HashSet::new())?;
    if found.matched == 0 {
        return Err(OpError::Refused {
            reason: format!("no interaction of logged segment {no} matches the outcome filter — nothing to follow up"),
        });
    }
    let contacts = found.contacts;
    let campaign = l
        .campaign_entries
        .first()
        .and_then(|ce| store.campaign_entry(*ce).ok().flatten())
        .map(|c| c.campaign_no);
    let mut ws = WriteSet::new();
    let input = SegmentInput {
        no: None,
        description: follow_up_description(&l.segment_no),
        salesperson: None,
        campaign,
    };
    let (header, warning) = new_header(store, ctx, &input, &mut ws)?;
    let mut action = next_action(
        &header,
        CriteriaKind::ReuseLogged,
        &[],
        CriteriaOptions::default(),
    );
    action.logged_segment = Some(no);
    action.filters = filter.describe();
    progress.start("adding lines", contacts.len() as u64);
    let change = append_lines(store, &writer, ws, header, contacts, action, progress)?;
    progress.finish();
    Ok(Added {
        record: change.segment,
        warning,
    })
}
