//! `verify`: checks the whole store and reports every problem found.
//!
//! * every stored value decodes with this build's format version;
//! * no staged data is left above the committed counters, and no garbage generation remains;
//! * counters lie above every number in use;
//! * every entry is reachable through the contact index and every index item points at an
//!   entry with that contact (compared as a multiset hash over (contact, entry) pairs, so the
//!   check needs flat memory; a mismatch triggers a detailed pass that names the pairs);
//! * every logged segment's counts equal its entries, and referenced logged segments and
//!   campaign entries exist;
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
use crate::domain::number_series::{compare_nos, increment_no};
use crate::domain::*;
use crate::storage::blocks::{EntryBlock, LineBlock};
use crate::storage::index::{for_each_in_run, scan_run, RunInfo};
use crate::storage::lines::NO_GEN;
use crate::storage::{codec, keys, Store, TreeId, UntilErrorExt};

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

    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The multiset of (contact, entry) pairs is compared by the wrapping sum of these hashes
/// (two seeds).
fn pair_hash(contact: &[u8], entry: u64, seed: u64) -> u64 {
    crate::storage::bloom::hash64(&[contact, &entry.to_be_bytes()], seed)
}

#[derive(Default, PartialEq, Eq, Debug, Clone, Copy)]
struct PairSum {
    n: u64,
    a: u64,
    b: u64,
}

impl PairSum {
    fn add(&mut self, contact: &[u8], entry: u64) {
        self.n += 1;
        self.a = self.a.wrapping_add(pair_hash(contact, entry, 1));
        self.b = self.b.wrapping_add(pair_hash(contact, entry, 2));
    }
}

fn check_records<T: serde::de::DeserializeOwned>(
    store: &Store,
    r: &mut VerifyReport,
    tree: TreeId,
    what: &'static str,
) -> Vec<(Vec<u8>, T)> {
    let mut out = Vec::new();
    for kv in store.t.get(tree).iter().until_error() {
        match kv {
            Ok((k, v)) => {
                r.values += 1;
                match codec::decode::<T>(what, &v) {
                    Ok(x) => out.push((k.to_vec(), x)),
                    Err(e) => r.problem("codec", format!("{what} under key {}: {e}", show_key(&k))),
                }
            }
            Err(e) => r.problem("storage", format!("reading {what}s: {e}")),
        }
    }
    out
}

fn show_key(k: &[u8]) -> String {
    match std::str::from_utf8(k) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => format!("{s:?}"),
        _ => k.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

fn check_markers(
    store: &Store,
    r: &mut VerifyReport,
    tree: TreeId,
    what: &'static str,
) -> Vec<Vec<u8>> {
    let mut keys_out = Vec::new();
    for kv in store.t.get(tree).iter().until_error() {
        match kv {
            Ok((k, v)) => {
                r.values += 1;
                if let Err(e) = codec::check_marker(what, &v) {
                    r.problem("codec", format!("{what} under key {}: {e}", show_key(&k)));
                }
                keys_out.push(k.to_vec());
            }
            Err(e) => r.problem("storage", format!("reading {what}s: {e}")),
        }
    }
    keys_out
}

/// Checks the whole store (see the module docs).
pub fn verify(store: &Store) -> Result<VerifyReport, OpError> {
    let _w = store.writer(); // a consistent picture: no change runs meanwhile
    let mut r = VerifyReport::default();
    let counter = |name: &[u8]| store.counter(name);
    let next_entry = counter(keys::meta::NEXT_ENTRY)?;
    let next_logged = counter(keys::meta::NEXT_LOGGED)?;
    let next_ce = counter(keys::meta::NEXT_CAMPAIGN_ENTRY)?;
    let next_gen = counter(keys::meta::NEXT_GEN)?;
    let next_run = counter(keys::meta::NEXT_RUN)?;

    // Master data and single records: every value decodes.
    // Contacts: the delta's records decode; every block decodes and matches its directory
    // entry, ranges sorted and disjoint; then the merged contacts read in order.
    let delta = check_records::<Contact>(store, &mut r, TreeId::Contacts, "contact");
    drop(delta);
    let (block_problems, blocks) = store.check_contact_blocks();
    r.values += blocks;
    let blocks_ok = block_problems.is_empty();
    for (area, detail) in block_problems {
        r.problem(area, detail);
    }
    // The merged contacts are read once, as a stream, by the number-series check below.
    check_records::<Salesperson>(store, &mut r, TreeId::Salespeople, "salesperson");
    check_records::<InteractionGroup>(store, &mut r, TreeId::Groups, "interaction group");
    check_records::<InteractionTemplate>(store, &mut r, TreeId::Templates, "interaction template");
    let campaigns = check_records::<Campaign>(store, &mut r, TreeId::Campaigns, "campaign");
    let series = check_records::<NoSeries>(store, &mut r, TreeId::Series, "number series");
    let setup = check_records::<MarketingSetup>(store, &mut r, TreeId::Setup, "marketing setup");
    check_records::<UserSetup>(store, &mut r, TreeId::UserSetup, "user setup");
    let segments = check_records::<SegmentHeader>(store, &mut r, TreeId::Segments, "segment");
    let logged =
        check_records::<LoggedSegment>(store, &mut r, TreeId::LoggedSegments, "logged segment");
    let by_segment = check_records::<LoggedSegmentNo>(
        store,
        &mut r,
        TreeId::LoggedBySegment,
        "logged segment number",
    );
    let campaign_entries =
        check_records::<CampaignEntry>(store, &mut r, TreeId::CampaignEntries, "campaign entry");
    let saved =
        check_records::<SavedCriteria>(store, &mut r, TreeId::SavedCriteria, "saved criteria");
    let runs = check_records::<RunInfo>(store, &mut r, TreeId::IndexRuns, "contact index run");
    let postponed = check_markers(store, &mut r, TreeId::Postponed, "postponed marker");
    let garbage = check_markers(store, &mut r, TreeId::Garbage, "garbage marker");
    for (k, v) in store.t.meta.iter().until_error().flatten() {
        r.values += 1;
        let res = if &k[..] == keys::meta::LAYOUT {
            codec::decode::<u32>("layout", &v).map(|_| ())
        } else if &k[..] == keys::meta::CONTACT_DIR {
            // Decoded (and checked) with the contact blocks above.
            Ok(())
        } else {
            codec::decode::<u64>("counter", &v).map(|_| ())
        };
        if let Err(e) = res {
            r.problem("codec", format!("meta {}: {e}", show_key(&k)));
        }
    }
    if setup.len() > 1 {
        r.problem("setup", "more than one marketing setup record");
    }
    if !garbage.is_empty() {
        r.problem(
            "staging",
            format!(
                "{} replaced line generation(s) not yet deleted",
                garbage.len()
            ),
        );
    }

    // Entries: decode every block; collect what the other checks need.
    let ce_info: HashMap<CampaignEntryNo, (&CampaignNo, bool)> = campaign_entries
        .iter()
        .map(|(_, c)| (c.entry_no, (&c.campaign_no, c.canceled)))
        .collect();
    let mut from_entries = PairSum::default();
    let mut per_logged: BTreeMap<LoggedSegmentNo, (u64, u64)> = BTreeMap::new();
    let mut ce_refs: HashSet<CampaignEntryNo> = HashSet::new();
    let mut postponed_seen: HashSet<u64> = HashSet::new();
    let mut max_entry = 0u64;
    for kv in store.t.entries.iter().until_error() {
        let (k, v) = match kv {
            Ok(kv) => kv,
            Err(e) => {
                r.problem("storage", format!("reading entries: {e}"));
                continue;
            }
        };
        r.values += 1;
        let key = keys::read_num(&k).unwrap_or(0);
        if key >= next_entry {
            r.problem(
                "staging",
                format!(
                    "entry block {key} lies at or above next_entry {next_entry} (staged data left)"
                ),
            );
            continue;
        }
        let block = match EntryBlock::decode(&v) {
            Ok(b) => b,
            Err(e) => {
                r.problem("codec", format!("entry block {key}: {e}"));
                continue;
            }
        };
        if block.first.0 != key {
            r.problem(
                "entries",
                format!(
                    "entry block under key {key} says it starts at {}",
                    block.first
                ),
            );
        }
        for e in block.iter() {
            r.entries += 1;
            let n = e.entry_no.0;
            max_entry = max_entry.max(n);
            from_entries.add(e.row.contact_no.as_bytes(), n);
            if let Some(ls) = e.shared.logged_segment_entry_no {
                let c = per_logged.entry(ls).or_default();
                c.0 += 1;
                if e.row.canceled() {
                    c.1 += 1;
                }
            }
            if let Some(ce) = e.shared.campaign_entry_no {
                ce_refs.insert(ce);
                if let Some(&(campaign, ce_canceled)) = ce_info.get(&ce) {
                    if e.shared.campaign_no.as_ref() != Some(campaign) {
                        r.problem(
                            "campaign entries",
                            format!(
                                "entry {n} refers to campaign entry {ce} of campaign {campaign} but is for campaign {}",
                                e.shared.campaign_no.as_ref().map_or("(none)", |c| c.as_str())
                            ),
                        );
                    }
                    if ce_canceled && !e.row.canceled() {
                        r.problem(
                            "campaign entries",
                            format!("entry {n} is not canceled but its campaign entry {ce} is"),
                        );
                    }
                }
            }
            if e.row.postponed() {
                postponed_seen.insert(n);
            }
        }
    }
    if max_entry >= next_entry {
        r.problem(
            "counters",
            format!("entry {max_entry} exists but next_entry is {next_entry}"),
        );
    }
    for k in &postponed {
        let n = keys::read_num(k).unwrap_or(0);
        if !postponed_seen.remove(&n) {
            r.problem(
                "postponed",
                format!("postponed marker for entry {n}, which is not a postponed entry"),
            );
        }
    }
    for n in postponed_seen {
        r.problem(
            "postponed",
            format!("entry {n} is postponed but not listed as postponed"),
        );
    }

    // Contact index: per-entry keys and runs against the entries.
    // Per-entry items (one per entry written on its own: millions on a busy store) are
    // streamed, not collected.
    let mut from_index = PairSum::default();
    for kv in store.t.get(TreeId::ContactIndex).iter().until_error() {
        let (k, v) = match kv {
            Ok(kv) => kv,
            Err(e) => {
                r.problem("storage", format!("reading contact index items: {e}"));
                continue;
            }
        };
        r.values += 1;
        if let Err(e) = codec::check_marker("contact index item", &v) {
            r.problem(
                "codec",
                format!("contact index item under key {}: {e}", show_key(&k)),
            );
        }
        let Some(sep) = k.len().checked_sub(9).filter(|&i| k[i] == 0) else {
            r.problem(
                "contact index",
                format!("malformed index key {}", show_key(&k)),
            );
            continue;
        };
        let entry = keys::read_num(&k[sep + 1..]).unwrap_or(0);
        from_index.add(&k[..sep], entry);
    }
    let run_infos: Vec<RunInfo> = runs.iter().map(|(_, i)| i.clone()).collect();
    for info in &run_infos {
        if info.run_id >= next_run {
            r.problem(
                "staging",
                format!(
                    "index run {} lies at or above next_run {next_run}",
                    info.run_id
                ),
            );
            continue;
        }
        // Streamed, one block at a time: a run holds up to one pair per logged line (10M in
        // one segment), so collecting them cost ~0.5 GiB at 10M.
        let mut count = 0u64;
        let mut in_order = true;
        let mut prev: Vec<u8> = Vec::new();
        let scanned = for_each_in_run(&store.t.entries, &store.t.index_run_blocks, info, |c, e| {
            count += 1;
            from_index.add(c, e.0);
            let in_filter = match &info.order {
                None => info.bloom.may_contain(c),
                Some(order) => {
                    if count > 1 && prev.as_slice() > c {
                        in_order = false;
                    }
                    prev.clear();
                    prev.extend_from_slice(c);
                    // The block whose entry range holds this entry.
                    let i = order.partition_point(|b| b.key <= e.0).saturating_sub(1);
                    order.get(i).is_some_and(|b| b.bloom.may_contain(c))
                }
            };
            if !in_filter {
                r.problem(
                    "contact index",
                    format!(
                        "run {}: Bloom filter misses contact {}",
                        info.run_id,
                        String::from_utf8_lossy(c)
                    ),
                );
            }
        });
        match scanned {
            Ok(()) => {
                if info.order.is_some() {
                    if !in_order {
                        r.problem(
                            "contact index",
                            format!(
                                "run {} says its entries are in contact order but they are not",
                                info.run_id
                            ),
                        );
                    }
                } else if count != info.count {
                    r.problem(
                        "contact index",
                        format!(
                            "run {} says {} records but holds {}",
                            info.run_id, info.count, count
                        ),
                    );
                }
            }
            Err(e) => r.problem("codec", format!("index run {}: {e}", info.run_id)),
        }
    }
    for k in store
        .t
        .index_run_blocks
        .iter()
        .keys()
        .until_error()
        .flatten()
    {
        r.values += 1;
        let id = keys::read_num(&k).unwrap_or(0);
        if !run_infos.iter().any(|i| i.run_id == id) {
            r.problem(
                "staging",
                format!("index run block of run {id}, which has no run info"),
            );
        }
    }
    r.index_items = from_index.n;
    if from_index != from_entries {
        detail_index_mismatch(store, &run_infos, &mut r)?;
    }

    // Logged segments.
    r.logged_segments = logged.len() as u64;
    let ce_numbers: HashMap<CampaignEntryNo, &CampaignEntry> = campaign_entries
        .iter()
        .map(|(_, c)| (c.entry_no, c))
        .collect();
    for (_, l) in &logged {
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
    for (k, ls) in &by_segment {
        if !logged
            .iter()
            .any(|(_, l)| l.entry_no == *ls && l.segment_no.as_bytes() == &k[..])
        {
            r.problem(
                "logged segments",
                format!(
                    "segment {} is marked as logged by {ls}, which does not match",
                    show_key(k)
                ),
            );
        }
    }
    for ce in ce_refs {
        if !ce_numbers.contains_key(&ce) {
            r.problem(
                "entries",
                format!("an entry refers to campaign entry {ce}, which does not exist"),
            );
        }
    }
    r.campaign_entries = campaign_entries.len() as u64;
    for (_, c) in &campaign_entries {
        if let Some(ls) = c.logged_segment_entry_no {
            let listed = logged
                .iter()
                .find(|(_, l)| l.entry_no == ls)
                .map(|(_, l)| l.campaign_entries.contains(&c.entry_no));
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
        if !campaigns.iter().any(|(_, x)| x.no == c.campaign_no) {
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
    for (k, c) in &saved {
        if c.code.as_bytes() != &k[..] {
            r.problem(
                "saved criteria",
                format!("saved criteria {} are stored under {}", c.code, show_key(k)),
            );
        }
        for (a, i) in c.actions.iter().zip(1..) {
            match a.kind {
                CriteriaKind::ReuseLogged => match a.logged_segment {
                    None => r.problem(
                        "saved criteria",
                        format!("saved criteria {} action {i} reuses no logged segment", c.code),
                    ),
                    Some(ls) if !logged.iter().any(|(_, l)| l.entry_no == ls) => {
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
    let mut live_gens: HashSet<u64> = HashSet::new();
    for (_, h) in &segments {
        live_gens.insert(h.lines_gen);
        live_gens.extend(h.criteria.iter().filter_map(|a| a.deleted_gen));
        if h.lines_gen != NO_GEN && h.lines_gen >= next_gen {
            r.problem(
                "staging",
                format!(
                    "segment {} uses line generation {} at or above next_gen {next_gen}",
                    h.no, h.lines_gen
                ),
            );
        }
        let mut n = 0u64;
        let res = store.for_each_line_block(h.lines_gen, h.last_line_no, |_, b| {
            n += b.rows.len() as u64;
            Ok(true)
        });
        if let Err(e) = res {
            r.problem("codec", format!("lines of segment {}: {e}", h.no));
        }
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
    for kv in store.t.lines.iter().until_error() {
        let (k, v) = match kv {
            Ok(kv) => kv,
            Err(e) => {
                r.problem("storage", format!("reading segment lines: {e}"));
                continue;
            }
        };
        r.values += 1;
        let (gen, first) = keys::read_num2(&k).unwrap_or((0, 0));
        if let Err(e) = LineBlock::decode(&v) {
            r.problem("codec", format!("line block ({gen}, {first}): {e}"));
        }
        if !live_gens.contains(&gen) {
            r.problem(
                "staging",
                format!("line block ({gen}, {first}) belongs to no segment"),
            );
        } else if let Some((_, h)) = segments.iter().find(|(_, h)| h.lines_gen == gen) {
            if first > h.last_line_no {
                r.problem(
                    "staging",
                    format!(
                        "line block ({gen}, {first}) of segment {} lies above its last line {}",
                        h.no, h.last_line_no
                    ),
                );
            }
        }
    }

    // Number series against the numbers in use.
    let setup = setup.into_iter().next().map(|(_, s)| s).unwrap_or_default();
    let series: HashMap<SeriesCode, NoSeries> = series
        .into_iter()
        .map(|(_, s)| (s.code.clone(), s))
        .collect();
    let check_series = |r: &mut VerifyReport,
                        code: &Option<SeriesCode>,
                        what: &'static str,
                        numbers: &mut dyn Iterator<Item = String>| {
        let Some(code) = code else { return };
        let Some(s) = series.get(code) else {
            r.problem(
                "setup",
                format!("marketing setup names number series {code}, which does not exist"),
            );
            return;
        };
        for no in numbers {
            let no = &no;
            for line in &s.lines {
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
                if next.as_deref() == Some(no.as_str()) {
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
    };
    let mut contact_error = None;
    let mut contact_nos = store.contacts().map_while(|c| match c {
        Ok(c) => Some(c.no.to_string()),
        Err(e) => {
            contact_error = Some(e);
            None
        }
    });
    check_series(&mut r, &setup.contact_nos, "contact", &mut contact_nos);
    // Without a contact series nothing was read yet: read to the end for errors.
    contact_nos.for_each(drop);
    match contact_error {
        Some(e) if blocks_ok => r.problem("contacts", format!("reading contacts: {e}")),
        _ => {}
    }
    check_series(
        &mut r,
        &setup.campaign_nos,
        "campaign",
        &mut campaigns.iter().map(|(_, c)| c.no.to_string()),
    );
    check_series(
        &mut r,
        &setup.segment_nos,
        "segment",
        &mut segments
            .iter()
            .map(|(_, h)| h.no.to_string())
            .chain(logged.iter().map(|(_, l)| l.segment_no.to_string())),
    );
    Ok(r)
}

/// Finds which (contact, entry) pairs differ between the entries and the index.
fn detail_index_mismatch(
    store: &Store,
    runs: &[RunInfo],
    r: &mut VerifyReport,
) -> Result<(), OpError> {
    let mut index: HashMap<(Vec<u8>, u64), u32> = HashMap::new();
    let per_entry = store
        .t
        .get(TreeId::ContactIndex)
        .iter()
        .keys()
        .until_error()
        .flatten();
    for k in per_entry {
        if k.len() >= 9 {
            let sep = k.len() - 9;
            *index
                .entry((
                    k[..sep].to_vec(),
                    keys::read_num(&k[sep + 1..]).unwrap_or(0),
                ))
                .or_default() += 1;
        }
    }
    for info in runs {
        if let Ok(pairs) = scan_run(&store.t.entries, &store.t.index_run_blocks, info) {
            for (c, e) in pairs {
                *index.entry((c, e.0)).or_default() += 1;
            }
        }
    }
    // Undecodable blocks were reported already; their entries are skipped here.
    for b in store
        .t
        .entries
        .iter()
        .values()
        .until_error()
        .flatten()
        .filter_map(|v| EntryBlock::decode(&v).ok())
    {
        for e in b.iter() {
            let key = (e.row.contact_no.as_bytes().to_vec(), e.entry_no.0);
            match index.get_mut(&key) {
                Some(n) if *n > 0 => *n -= 1,
                _ => r.problem(
                    "contact index",
                    format!(
                        "entry {} (contact {}) is not reachable through the contact index",
                        e.entry_no, e.row.contact_no
                    ),
                ),
            }
        }
    }
    for ((c, e), n) in index {
        if n > 0 {
            r.problem(
                "contact index",
                format!(
                    "index item (contact {}, entry {e}) points at no such entry",
                    String::from_utf8_lossy(&c)
                ),
            );
        }
    }
    Ok(())
}
