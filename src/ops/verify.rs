//! `verify`: checks the whole store and reports every problem found.
//!
//! The physical half — every stored value decodes, no staged data or garbage is left, the
//! counters lie above what is stored, the contact index and the postponed markers agree with
//! the entries, line blocks belong to their segments — is the backend's own integrity check
//! ([`crate::storage::check`]); it reports into the same [`VerifyReport`]. This module drives
//! it step by step and keeps the logical checks, which read only domain records and entries
//! (through [`EntryRead`], in the backend's one walk of the entries):
//!
//! * every logged segment's counts equal its entries, and referenced logged segments and
//!   campaign entries exist; logged segment and campaign entry numbers lie below their
//!   counters;
//! * campaign entries agree with their entries and logged segments: an entry's campaign entry
//!   is of the entry's campaign; the entries of a canceled campaign entry are canceled (the
//!   cancel cascade and the un-cancel guards keep it so); a canceled logged segment's campaign
//!   entries are canceled; a campaign entry's logged segment exists and lists it;
//! * every segment's line count equals its lines;
//! * saved criteria are stored under their code and every action can be replayed (filters
//!   that parse; a logged segment that is gone is a warning: reusing them will be refused);
//! * number series are consistent with the numbers in use (no record already holds a number the
//!   series will hand out next).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::OpError;
use crate::domain::entries::EntryRead;
use crate::domain::number_series::{compare_nos, increment_no};
use crate::domain::*;
use crate::storage::check::{CheckSink, StoredRecords};
use crate::storage::{Counter, Store};

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Which part of the store.
    pub area: &'static str,
    /// What is wrong.
    pub detail: String,
}

/// What `verify` checked and found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    /// Values decoded.
    pub values: u64,
    /// Interaction log entries.
    pub entries: u64,
    /// Contact index items (per-entry keys and run records).
    pub index_items: u64,
    /// Logged segments.
    pub logged_segments: u64,
    /// Campaign entries.
    pub campaign_entries: u64,
    /// Saved segment criteria.
    pub saved_criteria: u64,
    /// Segments.
    pub segments: u64,
    /// Segment lines.
    pub segment_lines: u64,
    /// Problems (empty = the store is consistent).
    pub problems: Vec<Problem>,
    /// Things that are not wrong yet but will be (e.g. a number series that will reach a
    /// number already in use after more draws). They do not fail `verify`.
    pub warnings: Vec<Problem>,
}

impl VerifyReport {
    /// Records a warning; like problems, at most 1,000 are kept.
    fn warning(&mut self, area: &'static str, detail: impl Into<String>) {
        const MAX: usize = 1000;
        if self.warnings.len() < MAX {
            self.warnings.push(Problem {
                area,
                detail: detail.into(),
            });
        }
    }

    fn problem(&mut self, area: &'static str, detail: impl Into<String>) {
        const MAX: usize = 1000;
        if self.problems.len() < MAX {
            self.problems.push(Problem {
                area,
                detail: detail.into(),
            });
        }
    }

    /// Adds what another part of the check found after what this one found (problems and
    /// warnings up to the same limits, as if that part had reported here after this one).
    fn absorb(&mut self, other: VerifyReport) {
        self.values += other.values;
        self.entries += other.entries;
        self.index_items += other.index_items;
        self.logged_segments += other.logged_segments;
        self.campaign_entries += other.campaign_entries;
        self.saved_criteria += other.saved_criteria;
        self.segments += other.segments;
        self.segment_lines += other.segment_lines;
        for p in other.problems {
            self.problem(p.area, p.detail);
        }
        for w in other.warnings {
            self.warning(w.area, w.detail);
        }
    }

    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The sled backend's layout check ([`crate::storage::check`]) reports into the report.
impl CheckSink for VerifyReport {
    fn values_read(&mut self, n: u64) {
        self.values += n;
    }

    fn problem(&mut self, area: &'static str, detail: String) {
        VerifyReport::problem(self, area, detail);
    }
}

/// Checks the whole store (see the module docs).
pub fn verify(store: &Store) -> Result<VerifyReport, OpError> {
    let _w = store.writer(); // a consistent picture: no change runs meanwhile
    let mut r = VerifyReport::default();
    let next_logged = store.get_counter(Counter::NextLogged)?;
    let next_ce = store.get_counter(Counter::NextCampaignEntry)?;

    // Every stored value decodes (the backend's layout check); the records it decoded are
    // what the checks below read.
    let (mut layout, records) = store.check_records(&mut r)?;
    let StoredRecords {
        campaigns,
        series,
        setup,
        segments,
        logged_segments: logged,
        campaign_entries,
        saved_criteria: saved,
    } = records;
    let setup = setup.unwrap_or_default();
    let series: HashMap<SeriesCode, NoSeries> =
        series.into_iter().map(|s| (s.code.clone(), s)).collect();

    // Contacts: one walk; the backend checks their storage, every number goes through the
    // contact number series' check. It runs beside the walk of the entries (the two largest
    // parts, independent); its report comes first, as if it had run first.
    let contact_series = SeriesCheck::new(&mut r, &series, &setup.contact_nos, "contact");
    let check_contacts = || {
        let mut rc = VerifyReport::default();
        store.check_contacts(&mut rc, |rc, no| {
            if let Some(c) = &contact_series {
                c.check(rc, no);
            }
        });
        rc
    };

    // Entries: one walk; the backend checks their layout and the contact index, the visitor
    // what the entries say about campaign entries and logged segments.
    let ce_info: HashMap<CampaignEntryNo, (&CampaignNo, bool)> = campaign_entries
        .iter()
        .map(|c| (c.entry_no, (&c.campaign_no, c.canceled)))
        .collect();
    let mut per_logged: BTreeMap<LoggedSegmentNo, (u64, u64)> = BTreeMap::new();
    let mut ce_refs: HashSet<CampaignEntryNo> = HashSet::new();
    let check_entries = || {
        let mut re = VerifyReport::default();
        let checked = store.check_entries(&layout, &mut re, |r, e| {
            r.entries += 1;
            let n = e.entry_no().0;
            if let Some(ls) = e.logged_segment_entry_no() {
                let c = per_logged.entry(ls).or_default();
                c.0 += 1;
                if e.canceled() {
                    c.1 += 1;
                }
            }
            if let Some(ce) = e.campaign_entry_no() {
                ce_refs.insert(ce);
                if let Some(&(campaign, ce_canceled)) = ce_info.get(&ce) {
                    if e.campaign_no() != Some(campaign) {
                        r.problem(
                            "campaign entries",
                            format!(
                                "entry {n} refers to campaign entry {ce} of campaign {campaign} but is for campaign {}",
                                e.campaign_no().map_or("(none)", |c| c.as_str())
                            ),
                        );
                    }
                    if ce_canceled && !e.canceled() {
                        r.problem(
                            "campaign entries",
                            format!("entry {n} is not canceled but its campaign entry {ce} is"),
                        );
                    }
                }
            }
        });
        (re, checked)
    };
    let (rc, (re, checked)) = rayon::join(check_contacts, check_entries);
    r.absorb(rc);
    r.absorb(re);
    r.index_items = checked?.index_items;

    // Logged segments.
    r.logged_segments = logged.len() as u64;
    let ce_numbers: HashMap<CampaignEntryNo, &CampaignEntry> =
        campaign_entries.iter().map(|c| (c.entry_no, c)).collect();
    for l in &logged {
        if l.entry_no.0 >= next_logged {
            r.problem(
                "counters",
                format!(
                    "logged segment {} exists but next_logged is {next_logged}",
                    l.entry_no
                ),
            );
        }
        let (n, c) = per_logged.remove(&l.entry_no).unwrap_or((0, 0));
        if n != l.entries || c != l.canceled_entries {
            r.problem(
                "logged segments",
                format!(
                    "logged segment {} records {} entries ({} canceled) but {} entries ({} canceled) belong to it",
                    l.entry_no, l.entries, l.canceled_entries, n, c
                ),
            );
        }
        for ce in &l.campaign_entries {
            match ce_numbers.get(ce) {
                None => r.problem(
                    "logged segments",
                    format!(
                        "logged segment {} names campaign entry {ce}, which does not exist",
                        l.entry_no
                    ),
                ),
                Some(c) if l.canceled && !c.canceled => r.problem(
                    "campaign entries",
                    format!(
                        "logged segment {} is canceled but its campaign entry {ce} is not",
                        l.entry_no
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    for (ls, (n, _)) in per_logged {
        r.problem(
            "entries",
            format!("{n} entries belong to logged segment {ls}, which does not exist"),
        );
    }
    store.check_segment_links(&layout, &logged, &mut r);
    for ce in ce_refs {
        if !ce_numbers.contains_key(&ce) {
            r.problem(
                "entries",
                format!("an entry refers to campaign entry {ce}, which does not exist"),
            );
        }
    }
    r.campaign_entries = campaign_entries.len() as u64;
    for c in &campaign_entries {
        if let Some(ls) = c.logged_segment_entry_no {
            let listed = logged
                .iter()
                .find(|l| l.entry_no == ls)
                .map(|l| l.campaign_entries.contains(&c.entry_no));
            match listed {
                None => r.problem(
                    "campaign entries",
                    format!(
                        "campaign entry {} belongs to logged segment {ls}, which does not exist",
                        c.entry_no
                    ),
                ),
                Some(false) => r.problem(
                    "campaign entries",
                    format!(
                        "campaign entry {} belongs to logged segment {ls}, which does not list it",
                        c.entry_no
                    ),
                ),
                Some(true) => {}
            }
        }
        if c.entry_no.0 >= next_ce {
            r.problem(
                "counters",
                format!(
                    "campaign entry {} exists but next_campaign_entry is {next_ce}",
                    c.entry_no
                ),
            );
        }
        if !campaigns.iter().any(|x| x.no == c.campaign_no) {
            r.problem(
                "campaign entries",
                format!(
                    "campaign entry {} names campaign {}, which does not exist",
                    c.entry_no, c.campaign_no
                ),
            );
        }
    }

    // Saved criteria.
    r.saved_criteria = saved.len() as u64;
    for stored in &saved {
        let c = &stored.criteria;
        if let Some(k) = &stored.misfiled_under {
            r.problem(
                "saved criteria",
                format!("saved criteria {} are stored under {k}", c.code),
            );
        }
        for (a, i) in c.actions.iter().zip(1..) {
            match a.kind {
                CriteriaKind::ReuseLogged => match a.logged_segment {
                    None => r.problem(
                        "saved criteria",
                        format!("saved criteria {} action {i} reuses no logged segment", c.code),
                    ),
                    Some(ls) if !logged.iter().any(|l| l.entry_no == ls) => {
                        r.warnings.push(Problem {
                            area: "saved criteria",
                            detail: format!(
                                "saved criteria {} action {i} reuses logged segment {ls}, which no longer exists: reusing them will be refused",
                                c.code
                            ),
                        })
                    }
                    Some(_) => {}
                },
                _ => {
                    for f in &a.filters {
                        if crate::domain::filter::FieldFilter::parse(f).is_err() {
                            r.problem(
                                "saved criteria",
                                format!(
                                    "saved criteria {} action {i}: {f:?} is not a contact filter",
                                    c.code
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    // Segments and their lines.
    r.segments = segments.len() as u64;
    for h in &segments {
        let n = store.check_segment_lines(&mut layout, h, &mut r);
        r.segment_lines += n;
        if n != h.line_count {
            r.problem(
                "segments",
                format!(
                    "segment {} records {} lines but holds {n}",
                    h.no, h.line_count
                ),
            );
        }
    }
    store.check_line_blocks(&layout, &segments, &mut r);

    // Number series against the numbers in use (the contacts' were checked in their walk).
    if let Some(c) = SeriesCheck::new(&mut r, &series, &setup.campaign_nos, "campaign") {
        for campaign in &campaigns {
            c.check(&mut r, campaign.no.as_str());
        }
    }
    if let Some(c) = SeriesCheck::new(&mut r, &series, &setup.segment_nos, "segment") {
        let numbers = segments.iter().map(|h| h.no.as_str());
        for no in numbers.chain(logged.iter().map(|l| l.segment_no.as_str())) {
            c.check(&mut r, no);
        }
    }
    Ok(r)
}

/// The check of one number series against numbers in use: no record may hold the number the
/// series hands out next (a problem), nor one it will reach later (a warning).
struct SeriesCheck<'a> {
    code: &'a SeriesCode,
    series: &'a NoSeries,
    what: &'static str,
}

impl<'a> SeriesCheck<'a> {
    /// The check of the series the setup names for `what`, if it names one; a series that
    /// does not exist is reported.
    fn new(
        r: &mut VerifyReport,
        series: &'a HashMap<SeriesCode, NoSeries>,
        code: &'a Option<SeriesCode>,
        what: &'static str,
    ) -> Option<Self> {
        let code = code.as_ref()?;
        let Some(s) = series.get(code) else {
            r.problem(
                "setup",
                format!("marketing setup names number series {code}, which does not exist"),
            );
            return None;
        };
        Some(SeriesCheck {
            code,
            series: s,
            what,
        })
    }

    fn check(&self, r: &mut VerifyReport, no: &str) {
        let (code, what) = (self.code, self.what);
        for line in &self.series.lines {
            let last = line.last_no_used.as_deref();
            let same_shape = no.chars().count() == line.starting_no.chars().count()
                && no.chars().zip(line.starting_no.chars()).all(|(a, b)| {
                    a.is_ascii_digit() == b.is_ascii_digit() && (a.is_ascii_digit() || a == b)
                });
            let in_range = compare_nos(no, &line.starting_no).is_ge()
                && line
                    .ending_no
                    .as_deref()
                    .is_none_or(|e| compare_nos(no, e).is_le());
            if !(same_shape && in_range && line.is_open()) {
                continue;
            }
            let ahead = match last {
                None => true,
                Some(l) => compare_nos(no, l).is_gt(),
            };
            let next = match last {
                None => Some(line.starting_no.clone()),
                Some(l) => increment_no(l, line.increment_by).ok(),
            };
            if next.as_deref() == Some(no) {
                r.problem(
                    "number series",
                    format!(
                        "{what} {no} exists and is the next number series {code} will hand out — drawing it will fail; raise the series' last no. used"
                    ),
                );
            } else if ahead {
                r.warning(
                    "number series",
                    format!(
                        "{what} {no} exists in the range of series {code}, which has used up to {}: drawing will fail when the series reaches it",
                        last.unwrap_or("(nothing)")
                    ),
                );
            }
        }
    }
}
