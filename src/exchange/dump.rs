//! `interlog dump` / `interlog load`: a whole store as JSON Lines, so a store moves between
//! interlog versions and machines.
//!
//! The first line is a header `{"interlog_dump": 1, "format": ..., "kinds": [...]}`; every
//! further line is one record `{"kind": "...", "data": {...}}`, `data` in the domain types' own
//! serde form (nested, not inlined: a contact has a field `kind` of its own).
//! Records are written in a fixed order (setup, series, user setups, master data, segments with
//! their lines, saved criteria, entries, logged segments, campaign entries, jobs, idempotency
//! keys, counters), so dumping the same store twice gives the same bytes, and dump → load →
//! dump is identical.
//!
//! Both stream. `dump` reads entries block by block. `load` (see [`load`]) writes into a new
//! store only — the CLI builds it in a temporary directory and renames it to `--store` once it
//! loaded and verified, so a refused dump leaves nothing — staging records as they are read and
//! committing the counters last: master data through the typed [`Change`]s (contacts as contact
//! blocks, published with the counters), entries and segment
//! lines as blocks from the same block builders the batch writers use, the contact index as
//! per-entry index items and the postponed marks from the entries' flags.
//!
//! Not carried: the contact index *runs* a bulk log writes (a loaded store indexes every entry
//! by per-entry items, which reads the same), and line generations no segment refers to
//! (garbage).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::batch::job::JobRecord;
use crate::domain::*;
use crate::ops::requests::RequestRecord;
use crate::storage::load_sink::PushError;
use crate::storage::{Change, Counter, StorageError, Store, UnitOfWork};

/// The dump format version this build writes and reads.
pub const DUMP_VERSION: u64 = 1;

/// The `format` value of the header.
pub const FORMAT: &str = "interlog JSON Lines store dump";

/// Every record kind, in the order a dump writes them.
pub const KINDS: &[&str] = &[
    "setup",
    "series",
    "user_setup",
    "contact",
    "salesperson",
    "group",
    "template",
    "campaign",
    "segment",
    "segment_line",
    "saved_criteria",
    "entry",
    "logged_segment",
    "logged_segment_link",
    "campaign_entry",
    "job",
    "request",
    "counter",
];

/// The counters a dump carries, by name.
const COUNTERS: &[(&str, Counter)] = &[
    ("next_entry", Counter::NextEntry),
    ("next_logged", Counter::NextLogged),
    ("next_campaign_entry", Counter::NextCampaignEntry),
    ("next_gen", Counter::NextGen),
    ("next_run", Counter::NextRun),
    ("contacts_epoch", Counter::ContactsEpoch),
];

/// What went wrong dumping or loading.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// Reading the store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Writing or reading the dump file failed.
    #[error("dump file: {0}")]
    Io(#[from] std::io::Error),
    /// A line of the dump is not what a dump holds.
    #[error("line {line} of the dump: {msg} — the dump is damaged or not an interlog dump; nothing was loaded")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        msg: String,
    },
    /// A record could not be encoded as JSON.
    #[error("cannot encode a {kind} record as JSON: {cause}")]
    Encode {
        /// Record kind.
        kind: &'static str,
        /// The JSON error.
        cause: serde_json::Error,
    },
}

/// Records of each kind a dump or load handled.
#[derive(Debug, Default, Clone, Serialize)]
pub struct DumpCounts {
    /// Lines (header included).
    pub lines: u64,
    /// Records by kind.
    pub kinds: BTreeMap<String, u64>,
}

#[derive(Serialize)]
struct Header<'a> {
    interlog_dump: u64,
    format: &'a str,
    kinds: &'a [&'a str],
}

#[derive(Serialize)]
struct Rec<'a, T: Serialize> {
    kind: &'a str,
    data: &'a T,
}

#[derive(Serialize, serde::Deserialize)]
struct LineRec {
    gen: u64,
    line: SegmentLine,
}

#[derive(Serialize, serde::Deserialize)]
struct LinkRec {
    segment_no: SegmentNo,
    logged_segment_no: LoggedSegmentNo,
}

#[derive(Serialize, serde::Deserialize)]
struct JobRec {
    id: String,
    record: JobRecord,
}

#[derive(Serialize, serde::Deserialize)]
struct RequestRec {
    key: String,
    record: RequestRecord,
}

#[derive(Serialize, serde::Deserialize)]
struct CounterRec {
    name: String,
    value: u64,
}

struct Writer<W: Write> {
    w: W,
    counts: DumpCounts,
}

impl<W: Write> Writer<W> {
    fn rec<T: Serialize>(&mut self, kind: &'static str, rec: &T) -> Result<(), DumpError> {
        serde_json::to_writer(&mut self.w, &Rec { kind, data: rec })
            .map_err(|cause| DumpError::Encode { kind, cause })?;
        self.w.write_all(b"\n")?;
        self.counts.lines += 1;
        *self.counts.kinds.entry(kind.to_string()).or_default() += 1;
        Ok(())
    }
}

/// Writes the whole store to `out` as JSON Lines.
pub fn dump(store: &Store, out: impl Write) -> Result<DumpCounts, DumpError> {
    let mut w = Writer {
        w: out,
        counts: DumpCounts::default(),
    };
    serde_json::to_writer(
        &mut w.w,
        &Header {
            interlog_dump: DUMP_VERSION,
            format: FORMAT,
            kinds: KINDS,
        },
    )
    .map_err(|cause| DumpError::Encode {
        kind: "header",
        cause,
    })?;
    w.w.write_all(b"\n")?;
    w.counts.lines += 1;
    for k in KINDS {
        w.counts.kinds.insert((*k).to_string(), 0);
    }
    if let Some(s) = store.setup()? {
        w.rec("setup", &s)?;
    }
    for r in store.all_series()? {
        w.rec("series", &r)?;
    }
    for r in store.all_user_setups()? {
        w.rec("user_setup", &r)?;
    }
    for r in store.contacts() {
        w.rec("contact", &r?)?;
    }
    for r in store.all_salespeople()? {
        w.rec("salesperson", &r)?;
    }
    for r in store.all_groups()? {
        w.rec("group", &r)?;
    }
    for r in store.all_templates()? {
        w.rec("template", &r)?;
    }
    for r in store.all_campaigns()? {
        w.rec("campaign", &r)?;
    }
    let segments = store.all_segments()?;
    for r in &segments {
        w.rec("segment", r)?;
    }
    // Lines: the visible generation of each segment, and the generation a "go back" restores.
    let mut gens = BTreeSet::new();
    for s in &segments {
        let deleted = s.criteria.iter().filter_map(|a| a.deleted_gen);
        let all =
            std::iter::once((s.lines_gen, s.last_line_no)).chain(deleted.map(|g| (g, u64::MAX)));
        for (gen, last) in all {
            if gen == crate::storage::lines::NO_GEN || !gens.insert(gen) {
                continue;
            }
            store.for_each_line(gen, last, |line| {
                w.rec("segment_line", &LineRec { gen, line })?;
                Ok::<_, DumpError>(true)
            })?;
        }
    }
    for r in store.all_saved_criteria()? {
        w.rec("saved_criteria", &r)?;
    }
    store.for_each_entry(&EntrySelection::all(), |e| {
        w.rec("entry", &e.to_entry())?;
        Ok::<_, DumpError>(true)
    })?;
    let logged = store.all_logged_segments()?;
    for r in &logged {
        w.rec("logged_segment", r)?;
    }
    for r in &logged {
        if store.logged_segment_of(&r.segment_no)? == Some(r.entry_no) {
            w.rec(
                "logged_segment_link",
                &LinkRec {
                    segment_no: r.segment_no.clone(),
                    logged_segment_no: r.entry_no,
                },
            )?;
        }
    }
    for r in store.all_campaign_entries()? {
        w.rec("campaign_entry", &r)?;
    }
    for (id, record) in store.all_job_progress::<JobRecord>()? {
        w.rec("job", &JobRec { id, record })?;
    }
    for (key, record) in store.all_idempotency_records::<RequestRecord>()? {
        w.rec("request", &RequestRec { key, record })?;
    }
    for (name, c) in COUNTERS {
        w.rec(
            "counter",
            &CounterRec {
                name: (*name).to_string(),
                value: store.get_counter(*c)?,
            },
        )?;
    }
    w.w.flush()?;
    Ok(w.counts)
}

fn bad(line: u64, msg: impl Into<String>) -> DumpError {
    DumpError::Line {
        line,
        msg: msg.into(),
    }
}

fn typed<T: DeserializeOwned>(line: u64, kind: &str, v: Value) -> Result<T, DumpError> {
    serde_json::from_value(v).map_err(|e| bad(line, format!("not a valid {kind} record: {e}")))
}

/// Streams a dump into `store`, which must be new and empty (`interlog load` makes it in a
/// temporary directory and gives it its name only once this returned and `verify` passed).
///
/// Records are written as they are read — master data through the typed [`Change`]s, entries
/// and segment lines as blocks from the block builders, the contact index as per-entry items
/// and postponed marks from the entries' flags — as staged writes nothing reads yet: entries
/// stay above the `next_entry` counter, and the counters are set last, by one unit of work.
/// A damaged or truncated dump is refused with the number of its first bad line.
pub fn load(store: &Store, input: impl BufRead) -> Result<DumpCounts, DumpError> {
    let w = store.writer();
    let mut sink = store.load_sink(&w)?;
    let mut counts = DumpCounts::default();
    for k in KINDS {
        counts.kinds.insert((*k).to_string(), 0);
    }
    let mut ws = UnitOfWork::new();
    let mut last_contact: Option<crate::domain::ContactNo> = None;
    let mut seen_header = false;
    let mut last_entry: Option<EntryNo> = None;
    let mut last_line: BTreeMap<u64, u64> = BTreeMap::new();
    for (i, l) in input.lines().enumerate() {
        let n = i as u64 + 1;
        let l = l?;
        counts.lines = n;
        let v: Value = serde_json::from_str(&l).map_err(|e| bad(n, format!("not JSON: {e}")))?;
        let Value::Object(mut m) = v else {
            return Err(bad(n, "not a JSON object"));
        };
        if !seen_header {
            match m.get("interlog_dump").and_then(Value::as_u64) {
                Some(DUMP_VERSION) => {}
                Some(other) => {
                    return Err(bad(
                        n,
                        format!(
                        "dump format version {other}; this interlog reads version {DUMP_VERSION}"
                    ),
                    ))
                }
                None => return Err(bad(n, "no header {\"interlog_dump\": 1, ...}")),
            }
            seen_header = true;
            continue;
        }
        let kind = match m.remove("kind") {
            Some(Value::String(k)) => k,
            _ => return Err(bad(n, "no \"kind\"")),
        };
        let Some(m) = m.remove("data") else {
            return Err(bad(n, "no \"data\""));
        };
        match kind.as_str() {
            "setup" => sink.stage(Change::PutSetup(typed(n, &kind, m)?))?,
            "series" => sink.stage(Change::PutSeries(typed(n, &kind, m)?))?,
            "user_setup" => sink.stage(Change::PutUserSetup(typed(n, &kind, m)?))?,
            "contact" => {
                let c: crate::domain::Contact = typed(n, &kind, m)?;
                if last_contact.as_ref().is_some_and(|p| *p >= c.no) {
                    return Err(bad(n, "contact numbers must increase"));
                }
                sink.push_contact(&c)?;
                last_contact = Some(c.no);
            }
            "salesperson" => sink.stage(Change::PutSalesperson(typed(n, &kind, m)?))?,
            "group" => sink.stage(Change::PutGroup(typed(n, &kind, m)?))?,
            "template" => sink.stage(Change::PutTemplate(typed(n, &kind, m)?))?,
            "campaign" => sink.stage(Change::PutCampaign(typed(n, &kind, m)?))?,
            "segment" => sink.stage(Change::PutSegment(typed(n, &kind, m)?))?,
            "saved_criteria" => sink.stage(Change::PutSavedCriteria(typed(n, &kind, m)?))?,
            "segment_line" => {
                let r: LineRec = typed(n, &kind, m)?;
                if r.gen == crate::storage::lines::NO_GEN {
                    return Err(bad(n, "a segment line in generation 0"));
                }
                let prev = last_line.insert(r.gen, r.line.line_no);
                if prev.is_some_and(|p| p >= r.line.line_no) {
                    return Err(bad(n, "segment line numbers must increase"));
                }
                sink.push_line(r.gen, &r.line).map_err(|e| pushed(n, e))?;
            }
            "entry" => {
                let e: LogEntry = typed(n, &kind, m)?;
                if last_entry.is_some_and(|p| p >= e.entry_no) {
                    return Err(bad(n, "entry numbers must increase"));
                }
                last_entry = Some(e.entry_no);
                sink.push_entry(&e).map_err(|x| pushed(n, x))?;
                sink.stage(Change::IndexContactEntry(e.contact_no.clone(), e.entry_no))?;
                if e.postponed {
                    sink.stage(Change::MarkPostponed(e.entry_no))?;
                }
            }
            "logged_segment" => sink.stage(Change::PutLoggedSegment(typed(n, &kind, m)?))?,
            "logged_segment_link" => {
                let r: LinkRec = typed(n, &kind, m)?;
                sink.stage(Change::LinkLoggedSegment(r.segment_no, r.logged_segment_no))?;
            }
            "campaign_entry" => sink.stage(Change::PutCampaignEntry(typed(n, &kind, m)?))?,
            "job" => {
                let r: JobRec = typed(n, &kind, m)?;
                sink.stage(Change::job_progress(&r.id, &r.record).map_err(StorageError::from)?)?;
            }
            "request" => {
                let r: RequestRec = typed(n, &kind, m)?;
                sink.stage(
                    Change::idempotency_record(&r.key, &r.record).map_err(StorageError::from)?,
                )?;
            }
            "counter" => {
                let r: CounterRec = typed(n, &kind, m)?;
                let Some((_, c)) = COUNTERS.iter().find(|(name, _)| *name == r.name) else {
                    return Err(bad(n, format!("unknown counter {:?}", r.name)));
                };
                ws.change(Change::SetCounter(*c, r.value));
            }
            other => return Err(bad(n, format!("unknown record kind {other:?}"))),
        }
        *counts.kinds.entry(kind).or_default() += 1;
    }
    if !seen_header {
        return Err(bad(1, "the dump is empty"));
    }
    if counts.kinds.get("counter").copied().unwrap_or(0) != COUNTERS.len() as u64 {
        return Err(bad(
            counts.lines,
            "the dump ends before its counters — it is truncated",
        ));
    }
    // The commit: the counters, which publish the entries (and are what continues numbering),
    // and the contact directory, which publishes the contact blocks.
    sink.finish(ws)?;
    Ok(counts)
}

/// A record the sink refused: a bad line of the dump, or a failure of the store.
fn pushed(line: u64, e: PushError) -> DumpError {
    match e {
        PushError::Invalid(e) => bad(line, e.to_string()),
        PushError::Storage(e) => e.into(),
    }
}

impl From<DumpError> for crate::exchange::export::ExportError {
    fn from(e: DumpError) -> Self {
        use crate::exchange::export::ExportError;
        match e {
            DumpError::Storage(s) => ExportError::Op(s.into()),
            DumpError::Io(source) => ExportError::Io { path: None, source },
            DumpError::Encode { cause, .. } => cause.into(),
            DumpError::Line { .. } => ExportError::Io {
                path: None,
                source: std::io::Error::other(e.to_string()),
            },
        }
    }
}
