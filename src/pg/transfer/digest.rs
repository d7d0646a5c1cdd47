//! Per record kind, a count and a digest of the records in a normal form both backends share,
//! computed on each side: equal maps mean nothing was lost or changed on the way.
//!
//! The normal form of a record is its domain type's JSON (the dump's `data`) without the
//! embedded store's layout ([`rows::layout_free`] for segments, no `index_run` on logged
//! segments); a segment line is `{segment_no, removed_by_action, line}`, where
//! `removed_by_action` names the reduce / refine that removed a line kept for `go back`.
//! Counters are the three a company carries (`next_entry`, `next_logged`,
//! `next_campaign_entry`). Each record's normal form is hashed to 128 bits and the hashes of a
//! kind are added (mod 2¹²⁸), so the digest does not depend on the order records are read in.
//! The hash finds loss and damage, not tampering: it is not cryptographic.

use std::collections::BTreeMap;

use postgres::{Client, Transaction};
use serde::Serialize;

use super::bulk::parts;
use crate::batch::job::JobRecord;
use crate::domain::*;
use crate::exchange::dump::KINDS;
use crate::ops::requests::RequestRecord;
use crate::pg::copy::{entry_from_row, line_from_row, ENTRY_COLUMNS, LINE_COLUMNS};
use crate::pg::rows::{self, comment_from_row, contact_from_row, CONTACT_COLUMNS};
use crate::pg::PgError;
use crate::storage::lines::NO_GEN;
use crate::storage::{Counter, Store};

/// Rows fetched per round trip when streaming a table.
pub(super) const FETCH_ROWS: i32 = 10_000;

/// Records of one kind: how many, and the digest of their normal forms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KindDigest {
    /// Number of records.
    pub count: u64,
    /// Sum of the records' 128-bit hashes, hexadecimal.
    pub digest: String,
}

/// A segment line in its normal form.
#[derive(Serialize)]
struct NormalLine<'a> {
    segment_no: &'a SegmentNo,
    removed_by_action: Option<u32>,
    line: &'a SegmentLine,
}

struct Digests {
    sums: BTreeMap<&'static str, (u64, u128)>,
    buf: Vec<u8>,
}

impl Digests {
    fn new() -> Self {
        Digests {
            sums: KINDS.iter().map(|k| (*k, (0, 0))).collect(),
            buf: Vec::with_capacity(1024),
        }
    }

    fn add<T: Serialize>(&mut self, kind: &'static str, rec: &T) -> Result<(), PgError> {
        self.buf.clear();
        self.buf.extend_from_slice(kind.as_bytes());
        self.buf.push(0);
        serde_json::to_writer(&mut self.buf, rec)
            .map_err(|source| PgError::Encode { kind, source })?;
        let h = hash128(&self.buf);
        let e = self.sums.entry(kind).or_default();
        e.0 += 1;
        e.1 = e.1.wrapping_add(h);
        Ok(())
    }

    fn finish(self) -> BTreeMap<&'static str, KindDigest> {
        self.sums
            .into_iter()
            .map(|(k, (count, sum))| {
                (
                    k,
                    KindDigest {
                        count,
                        digest: format!("{sum:032x}"),
                    },
                )
            })
            .collect()
    }
}

/// A 128-bit hash of `bytes` (multiply–xorshift over 8-byte words; not cryptographic).
fn hash128(bytes: &[u8]) -> u128 {
    const P1: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835;
    const P2: u128 = 0xc2b2_ae3d_27d4_eb4f_1656_67b1_9e37_79f9;
    let mut h: u128 = P2 ^ bytes.len() as u128;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w) as u128).wrapping_mul(P1);
        h ^= h >> 64;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w) as u128 ^ (1u128 << 100)).wrapping_mul(P1);
        h ^= h >> 64;
    }
    h = h.wrapping_mul(P2);
    h ^ (h >> 67)
}

#[derive(Serialize)]
struct Keyed<'a, T: Serialize> {
    key: &'a str,
    record: &'a T,
}

#[derive(Serialize)]
struct Link<'a> {
    segment_no: &'a SegmentNo,
    logged_segment_no: LoggedSegmentNo,
}

#[derive(Serialize)]
struct CounterValue {
    name: &'static str,
    value: u64,
}

/// The counters a company carries, by their dump names.
const COUNTERS: [&str; 3] = ["next_entry", "next_logged", "next_campaign_entry"];

/// Counts and digests of every kind of an embedded store.
pub fn digests_of_store(store: &Store) -> Result<BTreeMap<&'static str, KindDigest>, PgError> {
    let mut d = Digests::new();
    if let Some(s) = store.setup()? {
        d.add("setup", &s)?;
    }
    for r in store.all_series()? {
        d.add("series", &r)?;
    }
    for r in store.all_user_setups()? {
        d.add("user_setup", &r)?;
    }
    for r in store.contacts() {
        d.add("contact", &r?)?;
    }
    for r in store.all_salespeople()? {
        d.add("salesperson", &r)?;
    }
    for r in store.all_groups()? {
        d.add("group", &r)?;
    }
    for r in store.all_templates()? {
        d.add("template", &r)?;
    }
    for r in store.all_campaigns()? {
        d.add("campaign", &r)?;
    }
    for s in store.all_segments()? {
        for (gen, last, removed) in parts(&s)? {
            if gen == NO_GEN {
                continue;
            }
            let removed = removed.map(|a| a as u32);
            store.for_each_line(gen, last, |line| {
                d.add(
                    "segment_line",
                    &NormalLine {
                        segment_no: &s.no,
                        removed_by_action: removed,
                        line: &line,
                    },
                )?;
                Ok::<_, PgError>(true)
            })?;
        }
        d.add("segment", &rows::layout_free(s))?;
    }
    for r in store.all_saved_criteria()? {
        d.add("saved_criteria", &r)?;
    }
    store.for_each_entry(&EntrySelection::all(), |e| {
        d.add("entry", &e.to_entry())?;
        Ok::<_, PgError>(true)
    })?;
    for mut r in store.all_logged_segments()? {
        if store.logged_segment_of(&r.segment_no)? == Some(r.entry_no) {
            d.add(
                "logged_segment_link",
                &Link {
                    segment_no: &r.segment_no,
                    logged_segment_no: r.entry_no,
                },
            )?;
        }
        r.index_run = None;
        d.add("logged_segment", &r)?;
    }
    for r in store.all_campaign_entries()? {
        d.add("campaign_entry", &r)?;
    }
    for (key, record) in store.all_job_progress::<JobRecord>()? {
        d.add(
            "job",
            &Keyed {
                key: &key,
                record: &record,
            },
        )?;
    }
    for (key, record) in store.all_idempotency_records::<RequestRecord>()? {
        d.add(
            "request",
            &Keyed {
                key: &key,
                record: &record,
            },
        )?;
    }
    for (name, c) in COUNTERS.into_iter().zip([
        Counter::NextEntry,
        Counter::NextLogged,
        Counter::NextCampaignEntry,
    ]) {
        d.add(
            "counter",
            &CounterValue {
                name,
                value: store.get_counter(c)?,
            },
        )?;
    }
    Ok(d.finish())
}

/// Streams the rows `sql` (one parameter: the company) selects, `FETCH_ROWS` at a time.
pub(super) fn stream(
    tx: &mut Transaction<'_>,
    what: &'static str,
    sql: &str,
    company: i32,
    mut f: impl FnMut(&postgres::Row) -> Result<(), PgError>,
) -> Result<(), PgError> {
    let portal = tx.bind(sql, &[&company]).map_err(PgError::sql(what))?;
    loop {
        let rows = tx
            .query_portal(&portal, FETCH_ROWS)
            .map_err(PgError::sql(what))?;
        if rows.is_empty() {
            return Ok(());
        }
        for r in &rows {
            f(r)?;
        }
    }
}

/// A read-only transaction that sees one snapshot of the shard.
pub(super) fn snapshot(shard: &mut Client) -> Result<Transaction<'_>, PgError> {
    shard
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(PgError::sql("starting a read-only snapshot"))
}

/// Entries with their comments, in number order: two streams merged by entry number.
pub(super) fn for_each_entry(
    tx: &mut Transaction<'_>,
    company: i32,
    mut f: impl FnMut(LogEntry) -> Result<(), PgError>,
) -> Result<(), PgError> {
    let entries = tx
        .bind(
            format!(
                "SELECT {ENTRY_COLUMNS} FROM interaction_log_entry WHERE company_id = $1 \
                 ORDER BY entry_no"
            )
            .as_str(),
            &[&company],
        )
        .map_err(PgError::sql("reading interaction_log_entry"))?;
    let comments = tx
        .bind(
            "SELECT entry_no, date, text FROM interaction_comment WHERE company_id = $1
              ORDER BY entry_no, line_no",
            &[&company],
        )
        .map_err(PgError::sql("reading interaction_comment"))?;
    let mut pending: std::collections::VecDeque<(u64, Comment)> = Default::default();
    let mut comments_done = false;
    loop {
        let rows = tx
            .query_portal(&entries, FETCH_ROWS)
            .map_err(PgError::sql("reading interaction_log_entry"))?;
        if rows.is_empty() {
            return Ok(());
        }
        for r in &rows {
            let mut e = entry_from_row(r)?;
            loop {
                // Comments of earlier entries cannot be (the foreign key); skip any.
                while pending.front().is_some_and(|(n, _)| *n < e.entry_no.0) {
                    pending.pop_front();
                }
                match pending.front() {
                    Some((n, _)) if *n == e.entry_no.0 => {
                        if let Some((_, c)) = pending.pop_front() {
                            e.comments.push(c);
                        }
                    }
                    Some(_) => break,
                    None if comments_done => break,
                    None => {
                        let more = tx
                            .query_portal(&comments, FETCH_ROWS)
                            .map_err(PgError::sql("reading interaction_comment"))?;
                        comments_done = more.is_empty();
                        for c in &more {
                            pending.push_back(comment_from_row(c)?);
                        }
                    }
                }
            }
            f(e)?;
        }
    }
}

/// Counts and digests of every kind of company `company_id` on `shard`, read in one snapshot.
pub fn digests_of_company(
    shard: &mut Client,
    company_id: i32,
) -> Result<BTreeMap<&'static str, KindDigest>, PgError> {
    let c = company_id;
    let mut d = Digests::new();
    let mut tx = snapshot(shard)?;
    let counters = rows::read_counters(&mut tx, c)?;
    if let Some(s) = rows::read_setup(&mut tx, c)? {
        d.add("setup", &s)?;
    }
    for r in rows::read_series(&mut tx, c)? {
        d.add("series", &r)?;
    }
    for r in rows::read_user_setups(&mut tx, c)? {
        d.add("user_setup", &r)?;
    }
    stream(
        &mut tx,
        "reading contact",
        &format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE company_id = $1"),
        c,
        |r| d.add("contact", &contact_from_row(r)?),
    )?;
    for r in rows::read_salespeople(&mut tx, c)? {
        d.add("salesperson", &r)?;
    }
    for r in rows::read_groups(&mut tx, c)? {
        d.add("group", &r)?;
    }
    for r in rows::read_templates(&mut tx, c)? {
        d.add("template", &r)?;
    }
    for r in rows::read_campaigns(&mut tx, c)? {
        d.add("campaign", &r)?;
    }
    for r in rows::read_segments(&mut tx, c)? {
        d.add("segment", &r)?;
    }
    stream(
        &mut tx,
        "reading segment_line",
        &format!("SELECT {LINE_COLUMNS} FROM segment_line WHERE company_id = $1"),
        c,
        |r| {
            let seg: String = r
                .try_get("segment_no")
                .map_err(PgError::sql("reading segment_line.segment_no"))?;
            let seg: SegmentNo = seg.parse().map_err(|e: DomainError| PgError::BadValue {
                table: "segment_line",
                column: "segment_no",
                value: seg.clone(),
                reason: e.to_string(),
            })?;
            let (line, removed) = line_from_row(r)?;
            d.add(
                "segment_line",
                &NormalLine {
                    segment_no: &seg,
                    removed_by_action: rows::action_no(removed)?,
                    line: &line,
                },
            )
        },
    )?;
    for r in rows::read_saved_criteria(&mut tx, c)? {
        d.add("saved_criteria", &r)?;
    }
    for_each_entry(&mut tx, c, |e| d.add("entry", &e))?;
    for r in rows::read_logged_segments(&mut tx, c)? {
        d.add(
            "logged_segment_link",
            &Link {
                segment_no: &r.segment_no,
                logged_segment_no: r.entry_no,
            },
        )?;
        d.add("logged_segment", &r)?;
    }
    for r in rows::read_campaign_entries(&mut tx, c)? {
        d.add("campaign_entry", &r)?;
    }
    for (key, record) in rows::read_jobs(&mut tx, c)? {
        d.add(
            "job",
            &Keyed {
                key: &key,
                record: &record,
            },
        )?;
    }
    for (key, record) in rows::read_requests(&mut tx, c)? {
        d.add(
            "request",
            &Keyed {
                key: &key,
                record: &record,
            },
        )?;
    }
    for (name, value) in COUNTERS.into_iter().zip(counters) {
        d.add("counter", &CounterValue { name, value })?;
    }
    tx.commit()
        .map_err(PgError::sql("ending the read-only snapshot"))?;
    Ok(d.finish())
}
