//! COPY BINARY for the two tables that grow by millions: `interaction_log_entry` and
//! `segment_line`, and reading their rows back as domain records.
//!
//! [`CopyRows`] encodes rows into a plain byte buffer in PostgreSQL's binary COPY tuple format,
//! so rayon workers can encode chunks in parallel and one connection streams the buffers into a
//! `COPY … FROM STDIN (FORMAT binary)` ([`copy_in`]). The column lists ([`ENTRY_COLUMNS`],
//! [`LINE_COLUMNS`]) are the single source of the column order for both writing and reading.

use std::io::Write;

use chrono::{NaiveDate, NaiveTime, Timelike};
use postgres::{GenericClient, Row};

use super::money::numeric_digits;
use super::value::{bad, code, get, opt_code};
use super::PgError;
use crate::domain::*;

/// The binary COPY header (signature, flags, header extension length).
pub const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The binary COPY trailer (a tuple with field count -1).
pub const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Columns of `interaction_log_entry`, in COPY and SELECT order.
pub const ENTRY_COLUMNS: &str = "company_id, entry_no, contact_no, contact_company_no, date, \
    time_of_interaction, description, subject, information_flow, initiated_by, cost, \
    duration_min, user_id, group_code, template_code, campaign_no, campaign_entry_no, \
    segment_no, logged_segment_entry_no, salesperson_code, correspondence_type, language_code, \
    evaluation, attempt_failed, postponed, canceled";

/// Columns of `segment_line`, in COPY and SELECT order.
pub const LINE_COLUMNS: &str = "company_id, segment_no, line_no, contact_no, \
    contact_company_no, contact_correspondence_type, contact_has_email, template_code, \
    group_code, description, description_typed, subject, cost, duration_min, date, time, \
    salesperson_code, correspondence_type, language_code, campaign_no, evaluation, \
    information_flow, initiated_by, attempt_failed, removed_by_action";

const ENTRY_FIELDS: i16 = 26;
const LINE_FIELDS: i16 = 25;

fn pg_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// Rows in binary COPY tuple format (without header or trailer).
#[derive(Debug, Default)]
pub struct CopyRows {
    buf: Vec<u8>,
    rows: u64,
}

impl CopyRows {
    /// An empty buffer with room for about `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        CopyRows {
            buf: Vec::with_capacity(bytes),
            rows: 0,
        }
    }

    /// The encoded rows.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Number of rows encoded.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
        self.rows += 1;
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    fn int4(&mut self, v: i32) {
        self.buf.extend_from_slice(&4i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn int8(&mut self, v: i64) {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn opt_int8(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int8(v),
            None => self.null(),
        }
    }

    fn text(&mut self, s: &str) {
        self.buf.extend_from_slice(&(s.len() as i32).to_be_bytes());
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.null(),
        }
    }

    fn bool(&mut self, b: bool) {
        self.buf.extend_from_slice(&1i32.to_be_bytes());
        self.buf.push(b as u8);
    }

    fn date(&mut self, d: NaiveDate) {
        self.int4((d - pg_epoch()).num_days() as i32);
    }

    fn time(&mut self, t: NaiveTime) {
        let micros =
            t.num_seconds_from_midnight() as i64 * 1_000_000 + (t.nanosecond() / 1000) as i64;
        self.int8(micros);
    }

    fn money(&mut self, m: Money) {
        let (weight, digits) = numeric_digits(m.0);
        let len = 8 + 2 * digits.len() as i32;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf
            .extend_from_slice(&(digits.len() as i16).to_be_bytes());
        self.buf.extend_from_slice(&weight.to_be_bytes());
        self.buf.extend_from_slice(&0u16.to_be_bytes());
        self.buf.extend_from_slice(&2u16.to_be_bytes());
        for d in digits {
            self.buf.extend_from_slice(&d.to_be_bytes());
        }
    }

    /// Appends one `interaction_log_entry` row (comments go to `interaction_comment`).
    pub fn entry(&mut self, company_id: i32, e: &LogEntry) {
        self.row(ENTRY_FIELDS);
        self.int4(company_id);
        self.int8(e.entry_no.0 as i64);
        self.text(e.contact_no.as_str());
        self.opt_text(e.contact_company_no.as_ref().map(|c| c.as_str()));
        self.date(e.date);
        self.time(e.time_of_interaction);
        self.text(&e.description);
        self.text(&e.subject);
        self.text(e.information_flow.as_str());
        self.text(e.initiated_by.as_str());
        self.money(e.cost);
        self.int4(e.duration_min as i32);
        self.text(&e.user_id);
        self.text(e.group_code.as_str());
        self.text(e.template_code.as_str());
        self.opt_text(e.campaign_no.as_ref().map(|c| c.as_str()));
        self.opt_int8(e.campaign_entry_no.map(|c| c.0 as i64));
        self.opt_text(e.segment_no.as_ref().map(|c| c.as_str()));
        self.opt_int8(e.logged_segment_entry_no.map(|c| c.0 as i64));
        self.text(e.salesperson_code.as_str());
        self.text(e.correspondence_type.as_str());
        self.opt_text(e.language_code.as_ref().map(|c| c.as_str()));
        self.text(e.evaluation.as_str());
        self.bool(e.attempt_failed);
        self.bool(e.postponed);
        self.bool(e.canceled);
    }

    /// Appends one `segment_line` row of segment `segment`; `removed_by_action` marks a line
    /// a reduce / refine removed (kept for `go back`).
    pub fn line(
        &mut self,
        company_id: i32,
        segment: &SegmentNo,
        l: &SegmentLine,
        removed_by_action: Option<i32>,
    ) {
        self.row(LINE_FIELDS);
        self.int4(company_id);
        self.text(segment.as_str());
        self.int8(l.line_no as i64);
        self.text(l.contact_no.as_str());
        self.opt_text(l.contact_company_no.as_ref().map(|c| c.as_str()));
        self.text(l.contact_profile.correspondence_type.as_str());
        self.bool(l.contact_profile.has_email);
        self.opt_text(l.template_code.as_ref().map(|c| c.as_str()));
        self.opt_text(l.group_code.as_ref().map(|c| c.as_str()));
        self.text(&l.description);
        self.bool(l.description_typed);
        self.text(&l.subject);
        self.money(l.cost);
        self.int4(l.duration_min as i32);
        self.date(l.date);
        match l.time {
            Some(t) => self.time(t),
            None => self.null(),
        }
        self.opt_text(l.salesperson_code.as_ref().map(|c| c.as_str()));
        self.text(l.correspondence_type.as_str());
        self.opt_text(l.language_code.as_ref().map(|c| c.as_str()));
        self.opt_text(l.campaign_no.as_ref().map(|c| c.as_str()));
        self.text(l.evaluation.as_str());
        self.text(l.information_flow.as_str());
        self.text(l.initiated_by.as_str());
        self.bool(l.attempt_failed);
        match removed_by_action {
            Some(a) => self.int4(a),
            None => self.null(),
        }
    }
}

/// Streams encoded rows into `COPY table (columns) FROM STDIN (FORMAT binary)`: the header,
/// every buffer `next` yields, the trailer. Returns the number of rows the server counted.
pub fn copy_in<C: GenericClient>(
    client: &mut C,
    table: &str,
    columns: &str,
    mut next: impl FnMut() -> Result<Option<CopyRows>, PgError>,
) -> Result<u64, PgError> {
    let what = format!("COPY into {table}");
    let sql = format!("COPY {table} ({columns}) FROM STDIN (FORMAT binary)");
    let mut w = client
        .copy_in(sql.as_str())
        .map_err(PgError::sql(what.clone()))?;
    let io = |e: std::io::Error| PgError::Local(format!("{what}: {e}"));
    w.write_all(COPY_HEADER).map_err(io)?;
    while let Some(rows) = next()? {
        w.write_all(rows.bytes()).map_err(io)?;
    }
    w.write_all(COPY_TRAILER).map_err(io)?;
    w.finish().map_err(PgError::sql(what))
}

fn number(row: &Row, table: &'static str, column: &'static str) -> Result<u64, PgError> {
    let v: i64 = get(row, table, column)?;
    u64::try_from(v).map_err(|e| bad(table, column, &v.to_string(), e))
}

fn opt_number(
    row: &Row,
    table: &'static str,
    column: &'static str,
) -> Result<Option<u64>, PgError> {
    let v: Option<i64> = get(row, table, column)?;
    v.map(|v| u64::try_from(v).map_err(|e| bad(table, column, &v.to_string(), e)))
        .transpose()
}

fn minutes(row: &Row, table: &'static str, column: &'static str) -> Result<u32, PgError> {
    let v: i32 = get(row, table, column)?;
    u32::try_from(v).map_err(|e| bad(table, column, &v.to_string(), e))
}

/// An entry from a row selected with [`ENTRY_COLUMNS`] (comments not included).
pub fn entry_from_row(row: &Row) -> Result<LogEntry, PgError> {
    const T: &str = "interaction_log_entry";
    Ok(LogEntry {
        entry_no: EntryNo(number(row, T, "entry_no")?),
        contact_no: code(row, T, "contact_no")?,
        contact_company_no: opt_code(row, T, "contact_company_no")?,
        date: get(row, T, "date")?,
        time_of_interaction: get(row, T, "time_of_interaction")?,
        description: get(row, T, "description")?,
        subject: get(row, T, "subject")?,
        information_flow: code(row, T, "information_flow")?,
        initiated_by: code(row, T, "initiated_by")?,
        cost: get(row, T, "cost")?,
        duration_min: minutes(row, T, "duration_min")?,
        user_id: get(row, T, "user_id")?,
        group_code: code(row, T, "group_code")?,
        template_code: code(row, T, "template_code")?,
        campaign_no: opt_code(row, T, "campaign_no")?,
        campaign_entry_no: opt_number(row, T, "campaign_entry_no")?.map(CampaignEntryNo),
        segment_no: opt_code(row, T, "segment_no")?,
        logged_segment_entry_no: opt_number(row, T, "logged_segment_entry_no")?
            .map(LoggedSegmentNo),
        salesperson_code: code(row, T, "salesperson_code")?,
        correspondence_type: code(row, T, "correspondence_type")?,
        language_code: opt_code(row, T, "language_code")?,
        evaluation: code(row, T, "evaluation")?,
        attempt_failed: get(row, T, "attempt_failed")?,
        postponed: get(row, T, "postponed")?,
        canceled: get(row, T, "canceled")?,
        comments: Vec::new(),
    })
}

/// A segment line from a row selected with [`LINE_COLUMNS`], with its `removed_by_action`.
pub fn line_from_row(row: &Row) -> Result<(SegmentLine, Option<i32>), PgError> {
    const T: &str = "segment_line";
    let line = SegmentLine {
        line_no: number(row, T, "line_no")?,
        contact_no: code(row, T, "contact_no")?,
        contact_company_no: opt_code(row, T, "contact_company_no")?,
        contact_profile: ContactProfile {
            correspondence_type: code(row, T, "contact_correspondence_type")?,
            has_email: get(row, T, "contact_has_email")?,
        },
        template_code: opt_code(row, T, "template_code")?,
        group_code: opt_code(row, T, "group_code")?,
        description: get(row, T, "description")?,
        description_typed: get(row, T, "description_typed")?,
        subject: get(row, T, "subject")?,
        cost: get(row, T, "cost")?,
        duration_min: minutes(row, T, "duration_min")?,
        date: get(row, T, "date")?,
        time: get::<Option<NaiveTime>>(row, T, "time")?,
        salesperson_code: opt_code(row, T, "salesperson_code")?,
        correspondence_type: code(row, T, "correspondence_type")?,
        language_code: opt_code(row, T, "language_code")?,
        campaign_no: opt_code(row, T, "campaign_no")?,
        evaluation: code(row, T, "evaluation")?,
        information_flow: code(row, T, "information_flow")?,
        initiated_by: code(row, T, "initiated_by")?,
        attempt_failed: get(row, T, "attempt_failed")?,
    };
    Ok((line, get(row, T, "removed_by_action")?))
}
