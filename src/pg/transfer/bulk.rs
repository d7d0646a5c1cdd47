//! The kinds that grow by millions — contacts, segment lines, entries with their comments —
//! moved in batches, one transaction each, resuming after the last committed batch.

use postgres::Client;

use super::{State, Step, Transfer};
use crate::domain::*;
use crate::pg::copy::{copy_in, CopyRows, ENTRY_COLUMNS, LINE_COLUMNS};
use crate::pg::rows::{self, big, int};
use crate::pg::PgError;
use crate::storage::lines::NO_GEN;

/// Bytes to reserve per row of a COPY buffer.
const ROW_BYTES: usize = 256;

/// The parts of a segment's lines, in the order a transfer (and a dump) goes through them:
/// `(generation, last line number, removed by action)` — the segment's lines, then the lines
/// each reduce / refine removed (kept for `go back`).
pub(super) fn parts(s: &SegmentHeader) -> Result<Vec<(u64, u64, Option<i32>)>, PgError> {
    let mut v = vec![(s.lines_gen, s.last_line_no, None)];
    for a in &s.criteria {
        if let Some(g) = a.deleted_gen {
            v.push((
                g,
                u64::MAX,
                Some(int("segment_line", "removed_by_action", a.no)?),
            ));
        }
    }
    Ok(v)
}

impl Transfer<'_> {
    /// Contacts, in number order.
    pub(super) fn contacts(&mut self) -> Result<(), PgError> {
        const K: &str = "contact";
        let cur = self.state.cursor(K);
        if cur.done {
            return Ok(());
        }
        self.state.progress.start("contacts", 0);
        let n = self.state.opts.batch_rows.max(1);
        let mut batch: Vec<Contact> = Vec::with_capacity(n.min(1 << 16));
        let Transfer {
            store,
            shard,
            state,
        } = self;
        for c in store.contacts() {
            let c = c?;
            if cur.after_key.as_deref().is_some_and(|a| c.no.as_str() <= a) {
                continue;
            }
            batch.push(c);
            if batch.len() == n {
                contact_batch(shard, state, &mut batch, false)?;
            }
        }
        contact_batch(shard, state, &mut batch, true)?;
        state.progress.finish();
        Ok(())
    }

    /// Segment lines, segment by segment, each segment's parts in order.
    pub(super) fn lines(&mut self, segments: &[SegmentHeader]) -> Result<(), PgError> {
        const K: &str = "segment_line";
        let cur = self.state.cursor(K);
        if cur.done {
            return Ok(());
        }
        self.state.progress.start("segment lines", 0);
        let start = match &cur.after_key {
            Some(k) => segments
                .iter()
                .position(|s| s.no.as_str() == k)
                .ok_or_else(|| PgError::BadValue {
                    table: "transfer_progress",
                    column: "after_key",
                    value: k.clone(),
                    reason: "the store has no such segment: it changed since the transfer \
                             began"
                        .into(),
                })?,
            None => 0,
        };
        let n = self.state.opts.batch_rows.max(1);
        let Transfer {
            store,
            shard,
            state,
        } = self;
        let company = state.company;
        let mut b = LineBatch {
            rows: CopyRows::with_capacity(n.min(1 << 16) * ROW_BYTES),
            last: None,
        };
        for (si, s) in segments.iter().enumerate().skip(start) {
            for (pi, (gen, last, removed)) in parts(s)?.into_iter().enumerate() {
                let pi = pi as i32;
                let mut after = None;
                if si == start && cur.after_key.is_some() {
                    match cur.after_part {
                        Some(p) if pi < p => continue,
                        Some(p) if pi == p => after = cur.after_no,
                        _ => {}
                    }
                }
                if gen == NO_GEN {
                    continue;
                }
                store.for_each_line(gen, last, |l| {
                    if after.is_some_and(|a| l.line_no as i64 <= a) {
                        return Ok(true);
                    }
                    b.rows.line(company, &s.no, &l, removed);
                    b.last = Some((si, pi, l.line_no));
                    if b.rows.rows() as usize >= n {
                        line_batch(shard, state, segments, &mut b, false)?;
                    }
                    Ok::<_, PgError>(true)
                })?;
            }
        }
        line_batch(shard, state, segments, &mut b, true)?;
        state.progress.finish();
        Ok(())
    }

    /// Entries with their comments, in number order.
    pub(super) fn entries(&mut self) -> Result<(), PgError> {
        const K: &str = "entry";
        let cur = self.state.cursor(K);
        if cur.done {
            return Ok(());
        }
        self.state.progress.start("entries", 0);
        let from = match cur.after_no {
            Some(a) => EntryNo(u64::try_from(a).unwrap_or(0) + 1),
            None => EntryNo(1),
        };
        let n = self.state.opts.batch_rows.max(1);
        let Transfer {
            store,
            shard,
            state,
        } = self;
        let company = state.company;
        let mut b = EntryBatch {
            rows: CopyRows::with_capacity(n.min(1 << 16) * ROW_BYTES),
            comments: Vec::new(),
            last: None,
        };
        store.for_each_entry(&EntrySelection::all_in(from, None), |e| {
            let e = e.to_entry();
            b.rows.entry(company, &e);
            let no = big("interaction_log_entry", "entry_no", e.entry_no.0)?;
            for (i, c) in e.comments.into_iter().enumerate() {
                b.comments.push((no, i as i32 + 1, c.date, c.text));
            }
            b.last = Some(no);
            if b.rows.rows() as usize >= n {
                entry_batch(shard, state, &mut b, false)?;
            }
            Ok::<_, PgError>(true)
        })?;
        entry_batch(shard, state, &mut b, true)?;
        state.progress.finish();
        Ok(())
    }
}

fn contact_batch(
    shard: &mut Client,
    state: &mut State<'_>,
    batch: &mut Vec<Contact>,
    done: bool,
) -> Result<(), PgError> {
    const K: &str = "contact";
    let mut tx = shard
        .transaction()
        .map_err(PgError::sql("starting a batch of contacts"))?;
    let rows = if batch.is_empty() {
        0
    } else {
        rows::put_contacts(&mut tx, state.company, batch)?
    };
    let last = match batch.last() {
        Some(c) => Some(c.no.as_str().to_string()),
        None => state.cursor(K).after_key,
    };
    state.commit(
        tx,
        K,
        Step {
            rows,
            done,
            after_key: last.as_deref(),
            after_no: None,
            after_part: None,
        },
    )?;
    batch.clear();
    Ok(())
}

struct LineBatch {
    rows: CopyRows,
    /// (segment index, part, line number) of the last line in `rows`.
    last: Option<(usize, i32, u64)>,
}

fn line_batch(
    shard: &mut Client,
    state: &mut State<'_>,
    segments: &[SegmentHeader],
    b: &mut LineBatch,
    done: bool,
) -> Result<(), PgError> {
    const K: &str = "segment_line";
    let mut tx = shard
        .transaction()
        .map_err(PgError::sql("starting a batch of segment lines"))?;
    let cap = b.rows.bytes().len();
    let rows = std::mem::replace(&mut b.rows, CopyRows::with_capacity(cap));
    let n = rows.rows();
    if n > 0 {
        let mut once = Some(rows);
        copy_in(&mut tx, "segment_line", LINE_COLUMNS, || Ok(once.take()))?;
    }
    let cur = state.cursor(K);
    let (key, part, no) = match b.last.take() {
        Some((si, pi, line)) => (
            segments.get(si).map(|s| s.no.as_str().to_string()),
            Some(pi),
            Some(big(K, "line_no", line)?),
        ),
        None => (cur.after_key, cur.after_part, cur.after_no),
    };
    state.commit(
        tx,
        K,
        Step {
            rows: n,
            done,
            after_key: key.as_deref(),
            after_no: no,
            after_part: part,
        },
    )
}

struct EntryBatch {
    rows: CopyRows,
    comments: Vec<(i64, i32, chrono::NaiveDate, String)>,
    last: Option<i64>,
}

fn entry_batch(
    shard: &mut Client,
    state: &mut State<'_>,
    b: &mut EntryBatch,
    done: bool,
) -> Result<(), PgError> {
    const K: &str = "entry";
    let mut tx = shard
        .transaction()
        .map_err(PgError::sql("starting a batch of entries"))?;
    let cap = b.rows.bytes().len();
    let rows = std::mem::replace(&mut b.rows, CopyRows::with_capacity(cap));
    let n = rows.rows();
    if n > 0 {
        let mut once = Some(rows);
        copy_in(&mut tx, "interaction_log_entry", ENTRY_COLUMNS, || {
            Ok(once.take())
        })?;
    }
    rows::put_comments(&mut tx, state.company, &b.comments)?;
    b.comments.clear();
    let after_no = match b.last.take() {
        Some(l) => Some(l),
        None => state.cursor(K).after_no,
    };
    state.commit(
        tx,
        K,
        Step {
            rows: n,
            done,
            after_key: None,
            after_no,
            after_part: None,
        },
    )
}
