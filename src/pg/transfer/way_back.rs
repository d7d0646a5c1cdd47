//! The way back: a company's data written as the embedded store's dump (`exchange::dump`'s
//! JSON Lines, record for record in its order), so `interlog load` makes an embedded store of
//! it. The layout the dump carries and a shard does not is recomputed (see the parent
//! module's docs): line generations numbered in dump order, `next_run` 0, `contacts_epoch` 1.

use std::io::Write;

use postgres::Client;
use serde::Serialize;

use super::digest::{for_each_entry, snapshot, stream};
use crate::batch::job::JobRecord;
use crate::domain::*;
use crate::exchange::dump::{DumpCounts, DUMP_VERSION, FORMAT, KINDS};
use crate::ops::requests::RequestRecord;
use crate::pg::copy::{line_from_row, LINE_COLUMNS};
use crate::pg::rows::{self, contact_from_row, removes_lines, CONTACT_COLUMNS};
use crate::pg::PgError;

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

#[derive(Serialize)]
struct LineRec<'a> {
    gen: u64,
    line: &'a SegmentLine,
}

#[derive(Serialize)]
struct LinkRec<'a> {
    segment_no: &'a SegmentNo,
    logged_segment_no: LoggedSegmentNo,
}

#[derive(Serialize)]
struct JobRec<'a> {
    id: &'a str,
    record: &'a JobRecord,
}

#[derive(Serialize)]
struct RequestRec<'a> {
    key: &'a str,
    record: &'a RequestRecord,
}

#[derive(Serialize)]
struct CounterRec<'a> {
    name: &'a str,
    value: u64,
}

struct Writer<'w> {
    w: &'w mut dyn Write,
    counts: DumpCounts,
}

impl Writer<'_> {
    fn rec<T: Serialize>(&mut self, kind: &'static str, rec: &T) -> Result<(), PgError> {
        serde_json::to_writer(&mut *self.w, &Rec { kind, data: rec })
            .map_err(|source| PgError::Encode { kind, source })?;
        self.w.write_all(b"\n")?;
        self.counts.lines += 1;
        *self.counts.kinds.entry(kind.to_string()).or_default() += 1;
        Ok(())
    }
}

/// The company's data as the embedded store's dump, read in one snapshot of the shard.
pub fn pg_to_dump(
    shard: &mut Client,
    company_id: i32,
    out: &mut dyn Write,
) -> Result<DumpCounts, PgError> {
    let c = company_id;
    let mut tx = snapshot(shard)?;
    let counters = rows::read_counters(&mut tx, c)?;
    let mut w = Writer {
        w: out,
        counts: DumpCounts::default(),
    };
    serde_json::to_writer(
        &mut *w.w,
        &Header {
            interlog_dump: DUMP_VERSION,
            format: FORMAT,
            kinds: KINDS,
        },
    )
    .map_err(|source| PgError::Encode {
        kind: "header",
        source,
    })?;
    w.w.write_all(b"\n")?;
    w.counts.lines += 1;
    for k in KINDS {
        w.counts.kinds.insert((*k).to_string(), 0);
    }
    if let Some(s) = rows::read_setup(&mut tx, c)? {
        w.rec("setup", &s)?;
    }
    for r in rows::read_series(&mut tx, c)? {
        w.rec("series", &r)?;
    }
    for r in rows::read_user_setups(&mut tx, c)? {
        w.rec("user_setup", &r)?;
    }
    stream(
        &mut tx,
        "reading contact",
        &format!(
            r#"SELECT {CONTACT_COLUMNS} FROM contact WHERE company_id = $1 ORDER BY no COLLATE "C""#
        ),
        c,
        |r| w.rec("contact", &contact_from_row(r)?),
    )?;
    for r in rows::read_salespeople(&mut tx, c)? {
        w.rec("salesperson", &r)?;
    }
    for r in rows::read_groups(&mut tx, c)? {
        w.rec("group", &r)?;
    }
    for r in rows::read_templates(&mut tx, c)? {
        w.rec("template", &r)?;
    }
    for r in rows::read_campaigns(&mut tx, c)? {
        w.rec("campaign", &r)?;
    }
    // Generations in dump order: a segment's lines (when it has any), then one per reduce /
    // refine action (the lines it removed, possibly none).
    let mut segments = rows::read_segments(&mut tx, c)?;
    let mut next_gen = 1u64;
    let mut parts: Vec<Vec<(u64, Option<i32>)>> = Vec::with_capacity(segments.len());
    for s in &mut segments {
        let mut p = Vec::new();
        if s.line_count > 0 {
            s.lines_gen = next_gen;
            p.push((next_gen, None));
            next_gen += 1;
        }
        for a in &mut s.criteria {
            if removes_lines(a.kind) {
                a.deleted_gen = Some(next_gen);
                p.push((
                    next_gen,
                    Some(rows::int("segment_line", "removed_by_action", a.no)?),
                ));
                next_gen += 1;
            } else {
                a.deleted_gen = None;
            }
        }
        parts.push(p);
    }
    for s in &segments {
        w.rec("segment", s)?;
    }
    for (s, p) in segments.iter().zip(&parts) {
        for (gen, removed) in p {
            let gen = *gen;
            let portal = tx
                .bind(
                    format!(
                        "SELECT {LINE_COLUMNS} FROM segment_line
                          WHERE company_id = $1 AND segment_no = $2
                            AND removed_by_action IS NOT DISTINCT FROM $3
                          ORDER BY line_no"
                    )
                    .as_str(),
                    &[&c, &s.no.as_str(), removed],
                )
                .map_err(PgError::sql("reading segment_line"))?;
            loop {
                let rows = tx
                    .query_portal(&portal, super::digest::FETCH_ROWS)
                    .map_err(PgError::sql("reading segment_line"))?;
                if rows.is_empty() {
                    break;
                }
                for r in &rows {
                    let (line, _) = line_from_row(r)?;
                    w.rec("segment_line", &LineRec { gen, line: &line })?;
                }
            }
        }
    }
    drop(segments);
    for r in rows::read_saved_criteria(&mut tx, c)? {
        w.rec("saved_criteria", &r)?;
    }
    for_each_entry(&mut tx, c, |e| w.rec("entry", &e))?;
    let logged = rows::read_logged_segments(&mut tx, c)?;
    for r in &logged {
        w.rec("logged_segment", r)?;
    }
    for r in &logged {
        w.rec(
            "logged_segment_link",
            &LinkRec {
                segment_no: &r.segment_no,
                logged_segment_no: r.entry_no,
            },
        )?;
    }
    for r in rows::read_campaign_entries(&mut tx, c)? {
        w.rec("campaign_entry", &r)?;
    }
    for (id, record) in rows::read_jobs(&mut tx, c)? {
        w.rec(
            "job",
            &JobRec {
                id: &id,
                record: &record,
            },
        )?;
    }
    for (key, record) in rows::read_requests(&mut tx, c)? {
        w.rec(
            "request",
            &RequestRec {
                key: &key,
                record: &record,
            },
        )?;
    }
    for (name, value) in [
        ("next_entry", counters[0]),
        ("next_logged", counters[1]),
        ("next_campaign_entry", counters[2]),
        ("next_gen", next_gen),
        ("next_run", 0),
        ("contacts_epoch", 1),
    ] {
        w.rec("counter", &CounterRec { name, value })?;
    }
    w.w.flush()?;
    tx.commit()
        .map_err(PgError::sql("ending the read-only snapshot"))?;
    Ok(w.counts)
}
