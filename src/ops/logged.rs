//! Logged segments: list and show with BC's counts, switching canceled with the cascade to
//! entries and campaign entries (SPEC §2.4), the two clean-up jobs, and follow-up segments made
//! later from a logged segment, filtered by outcome (SPEC §2.7 *beyond*).
//!
//! Every record that owns entries — logged segments here, campaign entries in
//! `ops::campaign_entries` — changes them through the same changes of the storage boundary:
//! `Store::set_canceled_where` (the cancel cascade) and `Store::delete_entries_where` (entries
//! with their contact index items), given an `EntrySelection`; the counts they return keep the
//! logged segments right (`apply_logged_counts`). The rules — what may be canceled, what
//! the counts become — stay here.
//!
//! Reference: BC's table *Logged Segment* (`ToggleCanceledCheckmark`), reports *Delete
//! Interaction Log Entries* (5190) and *Delete Logged Segments* (5191).

use crate::ops::found;
use crate::storage::Change;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use super::master::Added;
use super::segments::{append_lines, new_header, next_action, SegmentInput};
use super::{Ctx, OpError};
use crate::domain::*;
use crate::progress::Progress;
use crate::storage::{Store, UnitOfWork};

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
    let mut ws = UnitOfWork::new();
    let reached = store
        .set_canceled_where(
            &mut ws,
            &EntrySelection::owned_by(
                EntryOwner::LoggedSegment(no),
                logged.first_entry_no,
                Some(logged.end_entry_no()),
            ),
            target,
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

/// Writes the logged segments that lost entries with their counts lowered; `edit` may change
/// each of them further before it is written (every logged segment in `per_logged` and in
/// `also` is passed to it once).
pub(crate) fn apply_logged_counts(
    store: &Store,
    ws: &mut UnitOfWork,
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
    // Only canceled entries go.
    let selection = EntrySelection::listed(EntryFilter {
        canceled: Some(true),
        ..filter.clone()
    });
    if dry_run {
        let deleted_entry_nos = selected_entry_nos(store, &selection)?;
        return Ok(CleanupResult {
            dry_run,
            entries_deleted: deleted_entry_nos.len() as u64,
            deleted_entry_nos,
            ..CleanupResult::default()
        });
    }
    let mut ws = UnitOfWork::new();
    let d = store.delete_entries_where(&mut ws, &selection)?;
    let result = CleanupResult {
        dry_run,
        entries_deleted: d.entry_nos.len() as u64,
        deleted_entry_nos: d.entry_nos,
        ..CleanupResult::default()
    };
    apply_logged_counts(store, &mut ws, &d.per_logged, &BTreeSet::new(), |_| {})?;
    store.apply(ws)?;
    Ok(result)
}

/// The numbers of the entries `selection` picks, ascending (what a dry run reports).
pub(crate) fn selected_entry_nos(
    store: &Store,
    selection: &EntrySelection,
) -> Result<Vec<EntryNo>, OpError> {
    let mut out = Vec::new();
    store.for_each_entry(selection, |e| {
        out.push(e.entry_no());
        Ok::<bool, OpError>(true)
    })?;
    Ok(out)
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
    let mut ws = UnitOfWork::new();
    let mut result = CleanupResult {
        dry_run,
        ..CleanupResult::default()
    };
    for l in store.all_logged_segments()? {
        if !l.canceled || !filter.matches(&l) {
            continue;
        }
        let no = l.entry_no;
        let of_l = EntrySelection::owned_by(
            EntryOwner::LoggedSegment(no),
            l.first_entry_no,
            Some(l.end_entry_no()),
        );
        result.entries_detached += if dry_run {
            selected_entry_nos(store, &of_l)?.len() as u64
        } else {
            store.clear_logged_segment_where(&mut ws, &of_l)?
        };
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

    fn passes<E: EntryRead + ?Sized>(&self, e: &E) -> bool {
        self.evaluation.is_none_or(|v| v == e.evaluation())
            && self.attempt_failed.is_none_or(|f| f == e.attempt_failed())
            && self.canceled.is_none_or(|c| c == e.canceled())
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
    let mut order: Vec<ContactNo> = Vec::new();
    let of_l = EntrySelection::owned_by(
        EntryOwner::LoggedSegment(l.entry_no),
        l.first_entry_no,
        Some(l.end_entry_no()),
    );
    store.for_each_entry(&of_l, |e| {
        if filter.passes(e) && skip.insert(e.contact_no().clone()) {
            order.push(e.contact_no().clone());
        }
        Ok::<bool, OpError>(true)
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
    let mut ws = UnitOfWork::new();
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
