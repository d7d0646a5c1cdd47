//! The sled backend's own integrity check: the physical half of `verify`.
//!
//! What is checked here is about how this backend lays data out, not about business rules:
//!
//! * every stored value decodes with this build's format version (records, markers, meta
//!   keys, contact blocks and their directory, entry blocks, line blocks, index runs);
//! * an entry block's key is its first entry number; no staged data lies above the committed
//!   counters (`next_entry`, `next_gen`, `next_run`) and no garbage generation remains; the
//!   entry counter lies above every stored entry;
//! * the postponed markers agree with the entries' postponed flags;
//! * every entry is reachable through the contact index and every index item points at an
//!   entry with that contact (compared as a multiset hash over (contact, entry) pairs, so the
//!   check needs flat memory; a mismatch triggers a detailed pass that names the pairs); the
//!   Bloom filters hold their contacts and runs hold what their run info says;
//! * the segment → logged segment links agree with the logged segments; line blocks belong to
//!   a segment's generation and lie within its lines.
//!
//! `ops::verify` keeps the logical checks (campaign entries against their interactions,
//! logged segments' counts, number series, saved criteria …) and drives these steps in order,
//! so problems come out in one order whatever the backend: [`Store::check_records`] first
//! (the decoded records it returns are what the logical checks read), then
//! [`Store::check_entries`] (one walk of the entries; a visitor sees each decoded entry so the
//! logical checks run in the same pass), [`Store::check_segment_links`],
//! [`Store::check_segment_lines`] per segment and [`Store::check_line_blocks`]. A relational
//! backend would check its own layout (constraints, sequences) behind the same steps.

use std::collections::{HashMap, HashSet};

use super::blocks::{EntryBlock, LineBlock};
use super::index::{for_each_in_run, scan_run, RunInfo};
use super::lines::NO_GEN;
use super::{codec, keys, EntryView, StorageError, Store, TreeId, UntilErrorExt};
use crate::domain::*;

/// Where a layout check reports: values read and problems found (`ops::verify`'s report).
pub trait CheckSink {
    /// `n` more stored values were read.
    fn values_read(&mut self, n: u64);
    /// A problem: the part of the store (`"codec"`, `"staging"`, `"contact index"` …) and
    /// what is wrong.
    fn problem(&mut self, area: &'static str, detail: String);
}

/// The records [`Store::check_records`] decoded, for the logical checks: those that failed to
/// decode were reported and are left out.
#[derive(Debug, Default)]
pub struct StoredRecords {
    /// Campaigns, by number.
    pub campaigns: Vec<Campaign>,
    /// Number series, by code.
    pub series: Vec<NoSeries>,
    /// Marketing setup (the first, should there be more: that is reported).
    pub setup: Option<MarketingSetup>,
    /// Segments, by number.
    pub segments: Vec<SegmentHeader>,
    /// Logged segments, by number.
    pub logged_segments: Vec<LoggedSegment>,
    /// Campaign entries, by number.
    pub campaign_entries: Vec<CampaignEntry>,
    /// Saved criteria, by the code they are stored under.
    pub saved_criteria: Vec<StoredCriteria>,
}

/// Saved criteria as found.
#[derive(Debug)]
pub struct StoredCriteria {
    /// The record.
    pub criteria: SavedCriteria,
    /// The code it is stored under (as text or hex) when that is not its own code.
    pub misfiled_under: Option<String>,
}

/// What the first step learned that the later steps need.
#[derive(Debug)]
pub struct LayoutCheck {
    next_entry: u64,
    next_gen: u64,
    next_run: u64,
    runs: Vec<RunInfo>,
    postponed: Vec<Vec<u8>>,
    by_segment: Vec<(Vec<u8>, LoggedSegmentNo)>,
    live_gens: HashSet<u64>,
}

/// What [`Store::check_entries`] counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct EntriesChecked {
    /// Contact index items (per-entry keys and run records).
    pub index_items: u64,
}

/// A key as `verify` shows it: quoted text when printable, else hex.
fn show_key(k: &[u8]) -> String {
    match std::str::from_utf8(k) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => format!("{s:?}"),
        _ => k.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// The multiset of (contact, entry) pairs is compared by the wrapping sum of these hashes
/// (two seeds).
fn pair_hash(contact: &[u8], entry: u64, seed: u64) -> u64 {
    super::bloom::hash64(&[contact, &entry.to_be_bytes()], seed)
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

fn bloom_misses(info: &RunInfo, contact: &[u8]) -> String {
    format!(
        "run {}: Bloom filter misses contact {}",
        info.run_id,
        String::from_utf8_lossy(contact)
    )
}

/// An index run whose entries are in contact order, checked pair by pair as the entry walk
/// meets its entries: the contacts do not go back, and each is in the Bloom filter of the
/// block that held it when the run was written.
struct OrderedRunCheck<'a> {
    info: &'a RunInfo,
    /// First entry number past the run.
    end: u64,
    in_order: bool,
    /// The contact of the pair before (none yet when empty: contact numbers are never empty).
    prev: Vec<u8>,
}

impl OrderedRunCheck<'_> {
    fn pair<S: CheckSink + ?Sized>(&mut self, contact: &[u8], entry: u64, r: &mut S) {
        if !self.prev.is_empty() && self.prev.as_slice() > contact {
            self.in_order = false;
        }
        self.prev.clear();
        self.prev.extend_from_slice(contact);
        let order = self.info.order.as_deref().unwrap_or_default();
        // The block whose entry range held this entry.
        let i = order.partition_point(|b| b.key <= entry).saturating_sub(1);
        if !order.get(i).is_some_and(|b| b.bloom.may_contain(contact)) {
            r.problem("contact index", bloom_misses(self.info, contact));
        }
    }
}

impl Store {
    fn check_tree<T: serde::de::DeserializeOwned>(
        &self,
        r: &mut dyn CheckSink,
        tree: TreeId,
        what: &'static str,
    ) -> Vec<(Vec<u8>, T)> {
        let mut out = Vec::new();
        for kv in self.t.get(tree).iter().until_error() {
            match kv {
                Ok((k, v)) => {
                    r.values_read(1);
                    match codec::decode::<T>(what, &v) {
                        Ok(x) => out.push((k.to_vec(), x)),
                        Err(e) => {
                            r.problem("codec", format!("{what} under key {}: {e}", show_key(&k)))
                        }
                    }
                }
                Err(e) => r.problem("storage", format!("reading {what}s: {e}")),
            }
        }
        out
    }

    fn check_markers(
        &self,
        r: &mut dyn CheckSink,
        tree: TreeId,
        what: &'static str,
    ) -> Vec<Vec<u8>> {
        let mut keys_out = Vec::new();
        for kv in self.t.get(tree).iter().until_error() {
            match kv {
                Ok((k, v)) => {
                    r.values_read(1);
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

    /// Step 1: every record (contacts are step 2), marker and meta value decodes; one marketing
    /// setup; no garbage left. Returns what the later steps need and the records decoded.
    pub fn check_records(
        &self,
        r: &mut dyn CheckSink,
    ) -> Result<(LayoutCheck, StoredRecords), StorageError> {
        let next_entry = self.counter(keys::meta::NEXT_ENTRY)?;
        let next_gen = self.counter(keys::meta::NEXT_GEN)?;
        let next_run = self.counter(keys::meta::NEXT_RUN)?;

        self.check_tree::<Salesperson>(r, TreeId::Salespeople, "salesperson");
        self.check_tree::<InteractionGroup>(r, TreeId::Groups, "interaction group");
        self.check_tree::<InteractionTemplate>(r, TreeId::Templates, "interaction template");
        let campaigns = self.check_tree::<Campaign>(r, TreeId::Campaigns, "campaign");
        let series = self.check_tree::<NoSeries>(r, TreeId::Series, "number series");
        let setup = self.check_tree::<MarketingSetup>(r, TreeId::Setup, "marketing setup");
        self.check_tree::<UserSetup>(r, TreeId::UserSetup, "user setup");
        let segments = self.check_tree::<SegmentHeader>(r, TreeId::Segments, "segment");
        let logged = self.check_tree::<LoggedSegment>(r, TreeId::LoggedSegments, "logged segment");
        let by_segment =
            self.check_tree::<LoggedSegmentNo>(r, TreeId::LoggedBySegment, "logged segment number");
        let campaign_entries =
            self.check_tree::<CampaignEntry>(r, TreeId::CampaignEntries, "campaign entry");
        let saved = self.check_tree::<SavedCriteria>(r, TreeId::SavedCriteria, "saved criteria");
        let runs = self.check_tree::<RunInfo>(r, TreeId::IndexRuns, "contact index run");
        let postponed = self.check_markers(r, TreeId::Postponed, "postponed marker");
        let garbage = self.check_markers(r, TreeId::Garbage, "garbage marker");
        for (k, v) in self.t.meta.iter().until_error().flatten() {
            r.values_read(1);
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
            r.problem("setup", "more than one marketing setup record".into());
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
        let check = LayoutCheck {
            next_entry,
            next_gen,
            next_run,
            runs: runs.into_iter().map(|(_, i)| i).collect(),
            postponed,
            by_segment,
            live_gens: HashSet::new(),
        };
        let records = StoredRecords {
            campaigns: campaigns.into_iter().map(|(_, c)| c).collect(),
            series: series.into_iter().map(|(_, s)| s).collect(),
            setup: setup.into_iter().next().map(|(_, s)| s),
            segments: segments.into_iter().map(|(_, h)| h).collect(),
            logged_segments: logged.into_iter().map(|(_, l)| l).collect(),
            campaign_entries: campaign_entries.into_iter().map(|(_, c)| c).collect(),
            saved_criteria: saved
                .into_iter()
                .map(|(k, c)| StoredCriteria {
                    misfiled_under: (c.code.as_bytes() != &k[..]).then(|| show_key(&k)),
                    criteria: c,
                })
                .collect(),
        };
        Ok((check, records))
    }

    /// Step 2: the contacts. The delta's records decode; every block is checked as decoding
    /// it would and matches its directory entry, ranges sorted and disjoint. Every contact
    /// number (a delta record's instead of the block row it overrides) goes to `visit`, for
    /// the business checks; the contacts are never built (verify reads millions).
    pub fn check_contacts<S: CheckSink>(&self, r: &mut S, mut visit: impl FnMut(&mut S, &str)) {
        let delta = self.check_tree::<Contact>(r, TreeId::Contacts, "contact");
        let overridden: HashSet<&[u8]> = delta.iter().map(|(k, _)| k.as_slice()).collect();
        let (block_problems, blocks) = self.check_contact_blocks(&mut |no: &str| {
            if !overridden.contains(no.as_bytes()) {
                visit(r, no);
            }
        });
        r.values_read(blocks);
        for (area, detail) in block_problems {
            r.problem(area, detail);
        }
        for (_, c) in &delta {
            visit(r, c.no.as_str());
        }
    }

    /// Step 3: one walk of the entries. Every entry block decodes under its first entry
    /// number and lies below `next_entry`; `visit` sees every entry of the blocks that do, in
    /// number order (with the sink, for its own findings). Then the entry counter, the
    /// postponed markers and the contact index (per-entry items and runs) are checked against
    /// what the walk saw.
    pub fn check_entries<S: CheckSink + ?Sized>(
        &self,
        lc: &LayoutCheck,
        r: &mut S,
        mut visit: impl FnMut(&mut S, &EntryView<'_>),
    ) -> Result<EntriesChecked, StorageError> {
        let next_entry = lc.next_entry;
        let next_run = lc.next_run;
        let mut from_entries = PairSum::default();
        let mut from_index = PairSum::default();
        let mut postponed_seen: HashSet<u64> = HashSet::new();
        let mut max_entry = 0u64;
        // Runs whose index is the entry blocks themselves (entries in contact order) are
        // checked in this walk: reading those blocks again cost as much as the walk.
        let mut ordered: Vec<OrderedRunCheck<'_>> = lc
            .runs
            .iter()
            .filter(|i| i.order.is_some() && i.run_id < next_run)
            .map(|info| OrderedRunCheck {
                info,
                end: info.base.0.saturating_add(info.count),
                in_order: true,
                prev: Vec::new(),
            })
            .collect();
        ordered.sort_by_key(|o| o.info.base.0);
        let mut first_open = 0;
        for kv in self.t.entries.iter().until_error() {
            let (k, v) = match kv {
                Ok(kv) => kv,
                Err(e) => {
                    r.problem("storage", format!("reading entries: {e}"));
                    continue;
                }
            };
            r.values_read(1);
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
                let n = e.entry_no.0;
                max_entry = max_entry.max(n);
                let contact = e.row.contact_no.as_bytes();
                from_entries.add(contact, n);
                // Entries come in increasing number order: runs ending at or below this one
                // are done.
                while ordered.get(first_open).is_some_and(|o| o.end <= n) {
                    first_open += 1;
                }
                for o in ordered[first_open..].iter_mut() {
                    if o.info.base.0 > n {
                        break;
                    }
                    if n < o.end {
                        from_index.add(contact, n);
                        o.pair(contact, n, r);
                    }
                }
                visit(r, &e);
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
        for k in &lc.postponed {
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
        for kv in self.t.get(TreeId::ContactIndex).iter().until_error() {
            let (k, v) = match kv {
                Ok(kv) => kv,
                Err(e) => {
                    r.problem("storage", format!("reading contact index items: {e}"));
                    continue;
                }
            };
            r.values_read(1);
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
        for o in &ordered {
            if !o.in_order {
                r.problem(
                    "contact index",
                    format!(
                        "run {} says its entries are in contact order but they are not",
                        o.info.run_id
                    ),
                );
            }
        }
        for info in &lc.runs {
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
            if info.order.is_some() {
                continue; // checked in the walk above
            }
            // Streamed, one block at a time: a run holds up to one pair per logged line (10M
            // in one segment), so collecting them cost ~0.5 GiB at 10M.
            let mut count = 0u64;
            let scanned =
                for_each_in_run(&self.t.entries, &self.t.index_run_blocks, info, |c, e| {
                    count += 1;
                    from_index.add(c, e.0);
                    if !info.bloom.may_contain(c) {
                        r.problem("contact index", bloom_misses(info, c));
                    }
                });
            match scanned {
                Ok(()) if count != info.count => r.problem(
                    "contact index",
                    format!(
                        "run {} says {} records but holds {}",
                        info.run_id, info.count, count
                    ),
                ),
                Ok(()) => {}
                Err(e) => r.problem("codec", format!("index run {}: {e}", info.run_id)),
            }
        }
        for k in self
            .t
            .index_run_blocks
            .iter()
            .keys()
            .until_error()
            .flatten()
        {
            r.values_read(1);
            let id = keys::read_num(&k).unwrap_or(0);
            if !lc.runs.iter().any(|i| i.run_id == id) {
                r.problem(
                    "staging",
                    format!("index run block of run {id}, which has no run info"),
                );
            }
        }
        if from_index != from_entries {
            self.detail_index_mismatch(&lc.runs, r);
        }
        Ok(EntriesChecked {
            index_items: from_index.n,
        })
    }

    /// Finds which (contact, entry) pairs differ between the entries and the index.
    fn detail_index_mismatch<S: CheckSink + ?Sized>(&self, runs: &[RunInfo], r: &mut S) {
        let mut index: HashMap<(Vec<u8>, u64), u32> = HashMap::new();
        let per_entry = self
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
            if let Ok(pairs) = scan_run(&self.t.entries, &self.t.index_run_blocks, info) {
                for (c, e) in pairs {
                    *index.entry((c, e.0)).or_default() += 1;
                }
            }
        }
        // Undecodable blocks were reported already; their entries are skipped here.
        for b in self
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
    }

    /// Step 4: every "segment S was logged as L" link names a logged segment of segment S.
    pub fn check_segment_links(
        &self,
        lc: &LayoutCheck,
        logged: &[LoggedSegment],
        r: &mut dyn CheckSink,
    ) {
        for (k, ls) in &lc.by_segment {
            if !logged
                .iter()
                .any(|l| l.entry_no == *ls && l.segment_no.as_bytes() == &k[..])
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
    }

    /// Step 5, for each segment: its line generation is committed, its line blocks decode.
    /// Returns the number of lines it holds.
    pub fn check_segment_lines(
        &self,
        lc: &mut LayoutCheck,
        h: &SegmentHeader,
        r: &mut dyn CheckSink,
    ) -> u64 {
        lc.live_gens.insert(h.lines_gen);
        lc.live_gens
            .extend(h.criteria.iter().filter_map(|a| a.deleted_gen));
        let next_gen = lc.next_gen;
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
        let res = self.for_each_line_block(h.lines_gen, h.last_line_no, |_, b| {
            n += b.rows.len() as u64;
            Ok(true)
        });
        if let Err(e) = res {
            r.problem("codec", format!("lines of segment {}: {e}", h.no));
        }
        n
    }

    /// Step 6, after every segment went through step 5: every line block decodes and belongs
    /// to a segment's generation, within its lines.
    pub fn check_line_blocks(
        &self,
        lc: &LayoutCheck,
        segments: &[SegmentHeader],
        r: &mut dyn CheckSink,
    ) {
        for kv in self.t.lines.iter().until_error() {
            let (k, v) = match kv {
                Ok(kv) => kv,
                Err(e) => {
                    r.problem("storage", format!("reading segment lines: {e}"));
                    continue;
                }
            };
            r.values_read(1);
            let (gen, first) = keys::read_num2(&k).unwrap_or((0, 0));
            if let Err(e) = LineBlock::decode(&v) {
                r.problem("codec", format!("line block ({gen}, {first}): {e}"));
            }
            if !lc.live_gens.contains(&gen) {
                r.problem(
                    "staging",
                    format!("line block ({gen}, {first}) belongs to no segment"),
                );
            } else if let Some(h) = segments.iter().find(|h| h.lines_gen == gen) {
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
    }
}
