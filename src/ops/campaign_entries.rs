//! Campaign entries as records of their own: list and show them with BC's counts, switch or
//! set their canceled flag with the cascade to their interaction log entries, delete the
//! canceled ones with their entries, and statistics per campaign.
//!
//! Reference: BC's table *Campaign Entry* (5072: FlowFields *No. of Interactions*, *Cost
//! (LCY)*, *Duration (Min.)* over the entries with the same campaign and campaign entry number
//! whose `Canceled` equals the campaign entry's; `ToggleCanceledCheckmark` /
//! `SetCanceledCheckmark`; `OnDelete` deletes the entries), page *Campaign Entries*, report
//! *Delete Campaign Entries* (5189) and table *Campaign* (its cost and duration FlowFields count
//! entries neither canceled nor postponed).
//!
//! Every change is one write set applied once: the campaign entries, every entry block the
//! cascade or the deletion touches, the contact index and the logged segments' counts commit
//! together or not at all.

use crate::ops::found;
use crate::storage::Change;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::logged::{apply_logged_counts, selected_entry_nos, CleanupResult};
use super::OpError;
use crate::domain::*;
use crate::storage::{Store, UnitOfWork};

/// A campaign entry with BC's FlowFields: its interactions whose canceled flag equals its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignEntryView {
    /// The record.
    #[serde(flatten)]
    pub entry: CampaignEntry,
    /// Interactions whose canceled flag equals the campaign entry's.
    pub no_of_interactions: u64,
    /// Their total cost.
    pub cost: Money,
    /// Their total duration in minutes.
    pub duration_min: u64,
}

/// Which campaign entries a listing or the clean-up takes (BC: the request filter fields of
/// *Delete Campaign Entries* — Entry No., Campaign No., Date, Salesperson Code — and the
/// canceled flag).
#[derive(Clone, Debug, Default)]
pub struct CampaignEntryFilter {
    /// Only campaign entries whose number passes this filter.
    pub entry_nos: Option<NumberFilter>,
    /// Only this campaign.
    pub campaign: Option<CampaignNo>,
    /// Only these dates.
    pub date: DateFilter,
    /// Only this salesperson.
    pub salesperson: Option<SalespersonCode>,
    /// Only canceled (`Some(true)`) or only not canceled (`Some(false)`).
    pub canceled: Option<bool>,
}

impl CampaignEntryFilter {
    /// Does the campaign entry pass?
    pub fn matches(&self, c: &CampaignEntry) -> bool {
        self.entry_nos
            .as_ref()
            .is_none_or(|f| f.contains(c.entry_no.0))
            && self.campaign.as_ref().is_none_or(|x| *x == c.campaign_no)
            && self.date.contains(c.date)
            && self
                .salesperson
                .as_ref()
                .is_none_or(|s| Some(s) == c.salesperson_code.as_ref())
            && self.canceled.is_none_or(|x| x == c.canceled)
    }
}

/// Per campaign entry and canceled flag: (count, cost, duration) of its entries.
type Tally = HashMap<(CampaignEntryNo, bool), (u64, Money, u64)>;

/// Counts the entries of every campaign entry in `[from, to)` (BC's filter: the same campaign
/// and campaign entry number).
fn tally(
    store: &Store,
    campaigns: &HashMap<CampaignEntryNo, CampaignNo>,
    from: EntryNo,
    to: Option<EntryNo>,
) -> Result<Tally, OpError> {
    let mut t: Tally = HashMap::new();
    store.for_each_entry(&EntrySelection::all_in(from, to), |e| {
        let Some(ce) = e.campaign_entry_no() else {
            return Ok::<bool, OpError>(true);
        };
        if e.postponed() || campaigns.get(&ce) != e.campaign_no() {
            return Ok(true);
        }
        let x = t.entry((ce, e.canceled())).or_insert((0, Money::ZERO, 0));
        x.0 += 1;
        x.1 = Money(x.1 .0.saturating_add(e.cost().0));
        x.2 += e.duration_min() as u64;
        Ok(true)
    })?;
    Ok(t)
}

fn view_of(c: CampaignEntry, t: &Tally) -> CampaignEntryView {
    let (n, cost, dur) = t
        .get(&(c.entry_no, c.canceled))
        .copied()
        .unwrap_or((0, Money::ZERO, 0));
    CampaignEntryView {
        entry: c,
        no_of_interactions: n,
        cost,
        duration_min: dur,
    }
}

/// The entry numbers a campaign entry's entries can lie in: its logged segment's range, or
/// every entry for the campaign entry of single interactions.
fn span_of(store: &Store, c: &CampaignEntry) -> Result<(EntryNo, Option<EntryNo>), OpError> {
    if let Some(ls) = c.logged_segment_entry_no {
        if let Some(l) = store.logged_segment(ls)? {
            return Ok((l.first_entry_no, Some(l.end_entry_no())));
        }
    }
    Ok((EntryNo(1), None))
}

fn load(store: &Store, no: CampaignEntryNo) -> Result<CampaignEntry, OpError> {
    found(store.campaign_entry(no)?, "campaign entry", &no)
}

/// The campaign entries `filter` selects, by number, with their counts.
pub fn list(
    store: &Store,
    filter: &CampaignEntryFilter,
) -> Result<Vec<CampaignEntryView>, OpError> {
    let ces: Vec<CampaignEntry> = store
        .all_campaign_entries()?
        .into_iter()
        .filter(|c| filter.matches(c))
        .collect();
    if ces.is_empty() {
        return Ok(Vec::new());
    }
    let campaigns = ces
        .iter()
        .map(|c| (c.entry_no, c.campaign_no.clone()))
        .collect();
    let t = tally(store, &campaigns, EntryNo(1), None)?;
    Ok(ces.into_iter().map(|c| view_of(c, &t)).collect())
}

/// One campaign entry with its counts.
pub fn show(store: &Store, no: CampaignEntryNo) -> Result<CampaignEntryView, OpError> {
    let c = load(store, no)?;
    let (from, to) = span_of(store, &c)?;
    let campaigns = HashMap::from([(c.entry_no, c.campaign_no.clone())]);
    let t = tally(store, &campaigns, from, to)?;
    Ok(view_of(c, &t))
}

/// How a cancel command chooses the new value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelTo {
    /// BC's *Switch Check&mark in Canceled*: the opposite of the first selected campaign
    /// entry's value, applied to all selected.
    Switch,
    /// Set this value (beyond BC, for scripts that must not depend on the current state).
    Set(bool),
}

/// What a cancel command did.
#[derive(Clone, Debug, Serialize)]
pub struct CampaignCancelResult {
    /// The value now set on every selected campaign entry and on its interactions.
    pub canceled: bool,
    /// The campaign entries (`campaign_entry_nos` in JSON: `campaign_entries` is a count).
    #[serde(rename = "campaign_entry_nos")]
    pub campaign_entries: Vec<CampaignEntryNo>,
    /// Interaction log entries reached (their flag is now `canceled`).
    pub entries: u64,
    /// Of those, how many changed.
    pub entries_changed: u64,
}

/// Sets canceled on campaign entries and on every interaction log entry of each (BC: *Campaign
/// Entry* `SetCanceledCheckmark`: `Canceled`, then `ModifyAll(Canceled)` on the entries with
/// the same campaign and campaign entry number), in one atomic change. Logged segment counts
/// follow.
///
/// Un-cancelling is refused while a campaign entry's logged segment is canceled: it would
/// un-cancel entries of a canceled logged segment, which BC's *Interaction Log Entry*
/// `SetCanceledCheckmark` refuses for each entry (`LoggedSegment.TestField(Canceled, false)`);
/// BC's `ModifyAll` bypasses that check, interlog does not. Nothing is written when any
/// selected campaign entry is refused or unknown.
pub fn set_canceled(
    store: &Store,
    nos: &[CampaignEntryNo],
    to: CancelTo,
) -> Result<CampaignCancelResult, OpError> {
    let _w = store.writer();
    if nos.is_empty() {
        return Err(OpError::Missing {
            what: "campaign entry numbers",
            hint: "give at least one campaign entry number (`interlog campaign-entry list`)".into(),
        });
    }
    let mut seen = BTreeSet::new();
    let mut ces = Vec::new();
    for &n in nos {
        if seen.insert(n) {
            ces.push(load(store, n)?);
        }
    }
    let target = match to {
        CancelTo::Set(v) => v,
        // `ces[0]` is the first campaign entry given, loaded above.
        CancelTo::Switch => !ces.first().is_some_and(|c| c.canceled),
    };
    if !target {
        for c in &ces {
            if let Some(ls) = c.logged_segment_entry_no {
                let l = store.logged_segment(ls)?;
                if l.is_some_and(|l| l.canceled) {
                    return Err(OpError::CampaignEntryOfCanceledLoggedSegment {
                        campaign_entry: c.entry_no,
                        logged: ls,
                    });
                }
            }
        }
    }
    let mut ws = UnitOfWork::new();
    let mut result = CampaignCancelResult {
        canceled: target,
        campaign_entries: seen.into_iter().collect(),
        entries: 0,
        entries_changed: 0,
    };
    let mut changed_per_logged: BTreeMap<LoggedSegmentNo, u64> = BTreeMap::new();
    for mut c in ces {
        let (from, to) = span_of(store, &c)?;
        let done = store.set_canceled_where(
            &mut ws,
            &EntrySelection::owned_by(
                EntryOwner::CampaignEntry(c.campaign_no.clone(), c.entry_no),
                from,
                to,
            ),
            target,
        )?;
        result.entries += done.reached;
        result.entries_changed += done.changed;
        for (l, n) in done.changed_per_logged {
            *changed_per_logged.entry(l).or_default() += n;
        }
        c.canceled = target;
        ws.change(Change::PutCampaignEntry(c.clone()));
    }
    for (ls, n) in changed_per_logged {
        if let Some(mut l) = store.logged_segment(ls)? {
            l.canceled_entries = if target {
                (l.canceled_entries + n).min(l.entries)
            } else {
                l.canceled_entries.saturating_sub(n)
            };
            ws.change(Change::PutLoggedSegment(l.clone()));
        }
    }
    store.apply(ws)?;
    Ok(result)
}

/// Deletes the canceled campaign entries that `filter` selects (its `canceled` field is
/// ignored) with all of their interaction log entries and those entries' contact index items,
/// in one atomic change; logged segments lose the campaign entry and the entries from their
/// counts. With `dry_run` nothing is written and the result says what would go.
///
/// BC: report *Delete Campaign Entries* (5189) — `SetRange(Canceled, true)` within the request
/// filters, `Delete(true)`, whose `OnDelete` deletes every entry with the campaign entry's
/// campaign and number.
pub fn delete_canceled(
    store: &Store,
    filter: &CampaignEntryFilter,
    dry_run: bool,
) -> Result<CleanupResult, OpError> {
    let _w = store.writer();
    let gone: Vec<CampaignEntry> = store
        .all_campaign_entries()?
        .into_iter()
        .filter(|c| c.canceled && filter.matches(c))
        .collect();
    let mut result = CleanupResult {
        dry_run,
        ..CleanupResult::default()
    };
    if gone.is_empty() {
        return Ok(result);
    }
    let campaigns: HashMap<CampaignEntryNo, CampaignNo> = gone
        .iter()
        .map(|c| (c.entry_no, c.campaign_no.clone()))
        .collect();
    let mut from = EntryNo(u64::MAX);
    for c in &gone {
        from = from.min(span_of(store, c)?.0);
    }
    let selection = EntrySelection::of_campaign_entries(campaigns.clone(), from);
    result.campaign_entries_deleted = gone.len() as u64;
    result.deleted_campaign_entry_nos = gone.iter().map(|c| c.entry_no).collect();
    if dry_run {
        result.deleted_entry_nos = selected_entry_nos(store, &selection)?;
        result.entries_deleted = result.deleted_entry_nos.len() as u64;
        return Ok(result);
    }
    let mut ws = UnitOfWork::new();
    let d = store.delete_entries_where(&mut ws, &selection)?;
    result.entries_deleted = d.entry_nos.len() as u64;
    result.deleted_entry_nos = d.entry_nos;
    let owners: BTreeSet<LoggedSegmentNo> = gone
        .iter()
        .filter_map(|c| c.logged_segment_entry_no)
        .collect();
    apply_logged_counts(store, &mut ws, &d.per_logged, &owners, |l| {
        l.campaign_entries.retain(|ce| !campaigns.contains_key(ce));
    })?;
    for c in &gone {
        ws.change(Change::RemoveCampaignEntry(c.entry_no));
    }
    store.apply(ws)?;
    Ok(result)
}

/// One line of campaign statistics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignStats {
    /// The campaign.
    pub campaign_no: CampaignNo,
    /// Its description.
    pub description: String,
    /// Campaign entries that are not canceled.
    pub campaign_entries: u64,
    /// Interactions neither canceled nor postponed.
    pub interactions: u64,
    /// Their total cost.
    pub cost: Money,
    /// Their total duration in minutes.
    pub duration_min: u64,
    /// Date of the last of them.
    pub last_date: Option<NaiveDate>,
}

/// Statistics per campaign, every campaign in number order, leaving out whatever is canceled:
/// campaign entries not canceled, and the cost and duration of the campaign's interactions
/// neither canceled nor postponed (BC: *Campaign* FlowFields *Cost (LCY)* and *Duration (Min.)*,
/// `Canceled = const(false)`, `Postponed = const(false)`).
pub fn stats(store: &Store) -> Result<Vec<CampaignStats>, OpError> {
    let mut rows: BTreeMap<CampaignNo, CampaignStats> = store
        .all_campaigns()?
        .into_iter()
        .map(|c| {
            (
                c.no.clone(),
                CampaignStats {
                    campaign_no: c.no,
                    description: c.description,
                    campaign_entries: 0,
                    interactions: 0,
                    cost: Money::ZERO,
                    duration_min: 0,
                    last_date: None,
                },
            )
        })
        .collect();
    for c in store.all_campaign_entries()? {
        if let (false, Some(r)) = (c.canceled, rows.get_mut(&c.campaign_no)) {
            r.campaign_entries += 1;
        }
    }
    store.for_each_entry(&EntrySelection::all(), |e| {
        if e.canceled() || e.postponed() {
            return Ok::<bool, OpError>(true);
        }
        let Some(r) = e.campaign_no().and_then(|c| rows.get_mut(c)) else {
            return Ok(true);
        };
        r.interactions += 1;
        r.cost = Money(r.cost.0.saturating_add(e.cost().0));
        r.duration_min += e.duration_min() as u64;
        r.last_date = r.last_date.max(Some(e.date()));
        Ok(true)
    })?;
    Ok(rows.into_values().collect())
}
