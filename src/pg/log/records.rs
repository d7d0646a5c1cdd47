//! The few records a segment log reads and writes besides entries and lines, as rows of a
//! shard: the segment header with its criteria actions, marketing setup's segment series, a
//! number series with its lines, a user's salesperson, the codes lines refer to, the logged
//! segment and its campaign entries.
//!
//! Columns are read with [`col`], which names the table and column of a value it cannot read
//! instead of panicking.

use std::collections::HashSet;
use std::hash::Hash;
use std::str::FromStr;

use postgres::types::FromSql;
use postgres::{GenericClient, Row};

use crate::domain::*;
use crate::pg::PgError;

/// Column `i` of `row` (named `table.column` in the error when it cannot be read as `T`).
pub(crate) fn col<'a, T: FromSql<'a>>(
    row: &'a Row,
    i: usize,
    table: &'static str,
    column: &'static str,
) -> Result<T, PgError> {
    row.try_get(i).map_err(|e| PgError::BadValue {
        table,
        column,
        value: "?".into(),
        reason: e.to_string(),
    })
}

/// A text column parsed as a domain value.
fn parsed<T: FromStr>(
    row: &Row,
    i: usize,
    table: &'static str,
    column: &'static str,
) -> Result<T, PgError>
where
    T::Err: std::fmt::Display,
{
    let s: String = col(row, i, table, column)?;
    s.parse().map_err(|e: T::Err| PgError::BadValue {
        table,
        column,
        value: s.clone(),
        reason: e.to_string(),
    })
}

/// A nullable text column parsed as a domain value.
fn opt_parsed<T: FromStr>(
    row: &Row,
    i: usize,
    table: &'static str,
    column: &'static str,
) -> Result<Option<T>, PgError>
where
    T::Err: std::fmt::Display,
{
    let s: Option<String> = col(row, i, table, column)?;
    s.map(|s| {
        s.parse().map_err(|e: T::Err| PgError::BadValue {
            table,
            column,
            value: s.clone(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

/// A `bigint` column holding a count or number (≥ 0).
fn unsigned(
    row: &Row,
    i: usize,
    table: &'static str,
    column: &'static str,
) -> Result<u64, PgError> {
    let v: i64 = col(row, i, table, column)?;
    u64::try_from(v).map_err(|e| PgError::BadValue {
        table,
        column,
        value: v.to_string(),
        reason: e.to_string(),
    })
}

/// An `integer` column holding a count (≥ 0).
fn unsigned32(
    row: &Row,
    i: usize,
    table: &'static str,
    column: &'static str,
) -> Result<u32, PgError> {
    let v: i32 = col(row, i, table, column)?;
    u32::try_from(v).map_err(|e| PgError::BadValue {
        table,
        column,
        value: v.to_string(),
        reason: e.to_string(),
    })
}

/// A nullable `bigint` column holding a number (≥ 0).
fn opt_unsigned(
    row: &Row,
    i: usize,
    table: &'static str,
    column: &'static str,
) -> Result<Option<u64>, PgError> {
    let v: Option<i64> = col(row, i, table, column)?;
    v.map(|v| {
        u64::try_from(v).map_err(|e| PgError::BadValue {
            table,
            column,
            value: v.to_string(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

const HEADER_COLUMNS: &str = "no, description, date, salesperson_code, campaign_no, \
    template_code, group_code, unit_cost, unit_duration_min, subject_default, \
    language_code_default, correspondence_type_default, ignore_contact_correspondence_type, \
    information_flow, initiated_by, last_line_no";

fn header_from_row(r: &Row) -> Result<SegmentHeader, PgError> {
    const T: &str = "segment_header";
    Ok(SegmentHeader {
        no: parsed(r, 0, T, "no")?,
        description: col(r, 1, T, "description")?,
        date: col(r, 2, T, "date")?,
        salesperson_code: opt_parsed(r, 3, T, "salesperson_code")?,
        campaign_no: opt_parsed(r, 4, T, "campaign_no")?,
        interaction: SegmentInteraction {
            template_code: opt_parsed(r, 5, T, "template_code")?,
            group_code: opt_parsed(r, 6, T, "group_code")?,
            unit_cost: col(r, 7, T, "unit_cost")?,
            unit_duration_min: unsigned32(r, 8, T, "unit_duration_min")?,
            subject_default: col(r, 9, T, "subject_default")?,
            language_code_default: opt_parsed(r, 10, T, "language_code_default")?,
            correspondence_type_default: parsed(r, 11, T, "correspondence_type_default")?,
            ignore_contact_correspondence_type: col(
                r,
                12,
                T,
                "ignore_contact_correspondence_type",
            )?,
            information_flow: parsed(r, 13, T, "information_flow")?,
            initiated_by: parsed(r, 14, T, "initiated_by")?,
        },
        // Storage details of the embedded store: a shard has no line generations or
        // contact epochs.
        lines_gen: 0,
        line_count: 0,
        last_line_no: unsigned(r, 15, T, "last_line_no")?,
        contacts_epoch: 0,
        criteria: Vec::new(),
    })
}

/// The segment header row alone (no criteria, `line_count` 0), locked against other
/// writers' changes when `for_update`.
pub(crate) fn header_only<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    no: &SegmentNo,
) -> Result<Option<SegmentHeader>, PgError> {
    let sql =
        format!("SELECT {HEADER_COLUMNS} FROM segment_header WHERE company_id = $1 AND no = $2");
    c.query_opt(sql.as_str(), &[&company_id, &no.as_str()])
        .map_err(PgError::sql(format!("reading segment {no}")))?
        .map(|r| header_from_row(&r))
        .transpose()
}

fn kind_from_name(s: &str) -> Option<CriteriaKind> {
    [
        CriteriaKind::Add,
        CriteriaKind::Reduce,
        CriteriaKind::Refine,
        CriteriaKind::ReuseLogged,
    ]
    .into_iter()
    .find(|k| k.name() == s)
}

/// A segment header of company `company_id` as the domain sees it: its criteria actions in
/// order and `line_count` = the lines not removed by an action. `lines_gen` and
/// `contacts_epoch` (embedded-store details) are 0; an action's `deleted_gen` is `None`
/// (a shard marks removed lines with `removed_by_action` instead).
pub fn segment_header<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    no: &SegmentNo,
) -> Result<Option<SegmentHeader>, PgError> {
    let Some(mut h) = header_only(c, company_id, no)? else {
        return Ok(None);
    };
    let what = format!("reading segment {no}");
    let count = c
        .query_one(
            "SELECT count(*) FROM segment_line \
             WHERE company_id = $1 AND segment_no = $2 AND removed_by_action IS NULL",
            &[&company_id, &no.as_str()],
        )
        .map_err(PgError::sql(what.clone()))?;
    h.line_count = unsigned(&count, 0, "segment_line", "count(*)")?;
    let rows = c
        .query(
            "SELECT action_no, kind, filters, allow_existing, expand_companies, \
                 related_companies, ignore_exclusion, entire_companies, logged_segment, \
                 inserted_from, inserted_to, inserted_count, deleted_count \
             FROM segment_criteria WHERE company_id = $1 AND segment_no = $2 ORDER BY action_no",
            &[&company_id, &no.as_str()],
        )
        .map_err(PgError::sql(what))?;
    const T: &str = "segment_criteria";
    for r in &rows {
        let kind: String = col(r, 1, T, "kind")?;
        let inserted = match (
            opt_unsigned(r, 9, T, "inserted_from")?,
            opt_unsigned(r, 10, T, "inserted_to")?,
        ) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        h.criteria.push(CriteriaAction {
            no: unsigned32(r, 0, T, "action_no")?,
            kind: kind_from_name(&kind).ok_or_else(|| PgError::BadValue {
                table: T,
                column: "kind",
                value: kind.clone(),
                reason: "not a criteria action kind".into(),
            })?,
            filters: col(r, 2, T, "filters")?,
            options: CriteriaOptions {
                allow_existing: col(r, 3, T, "allow_existing")?,
                expand_companies: col(r, 4, T, "expand_companies")?,
                related_companies: col(r, 5, T, "related_companies")?,
                ignore_exclusion: col(r, 6, T, "ignore_exclusion")?,
                entire_companies: col(r, 7, T, "entire_companies")?,
            },
            logged_segment: opt_unsigned(r, 8, T, "logged_segment")?.map(LoggedSegmentNo),
            inserted,
            inserted_count: unsigned(r, 11, T, "inserted_count")?,
            deleted_gen: None,
            deleted_count: unsigned(r, 12, T, "deleted_count")?,
        });
    }
    Ok(Some(h))
}

/// Marketing setup's segment series (`None` when no setup row or no series is set).
pub(crate) fn segment_series<C: GenericClient>(
    c: &mut C,
    company_id: i32,
) -> Result<Option<SeriesCode>, PgError> {
    let row = c
        .query_opt(
            "SELECT segment_nos FROM marketing_setup WHERE company_id = $1",
            &[&company_id],
        )
        .map_err(PgError::sql("reading marketing setup"))?;
    match row {
        Some(r) => opt_parsed(&r, 0, "marketing_setup", "segment_nos"),
        None => Ok(None),
    }
}

/// A number series with its lines in line order, and each line's `line_no`.
pub(crate) fn series<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    code: &SeriesCode,
) -> Result<Option<(NoSeries, Vec<i32>)>, PgError> {
    let what = format!("reading number series {code}");
    let Some(r) = c
        .query_opt(
            "SELECT code, description, default_nos, manual_nos FROM no_series \
             WHERE company_id = $1 AND code = $2",
            &[&company_id, &code.as_str()],
        )
        .map_err(PgError::sql(what.clone()))?
    else {
        return Ok(None);
    };
    const S: &str = "no_series";
    let mut s = NoSeries {
        code: parsed(&r, 0, S, "code")?,
        description: col(&r, 1, S, "description")?,
        default_nos: col(&r, 2, S, "default_nos")?,
        manual_nos: col(&r, 3, S, "manual_nos")?,
        lines: Vec::new(),
    };
    let rows = c
        .query(
            "SELECT line_no, starting_date, starting_no, ending_no, warning_no, increment_by, \
                 last_no_used, last_date_used, open \
             FROM no_series_line WHERE company_id = $1 AND series_code = $2 ORDER BY line_no",
            &[&company_id, &code.as_str()],
        )
        .map_err(PgError::sql(what))?;
    const L: &str = "no_series_line";
    let mut line_nos = Vec::with_capacity(rows.len());
    for r in &rows {
        line_nos.push(col(r, 0, L, "line_no")?);
        s.lines.push(SeriesLine {
            starting_date: col(r, 1, L, "starting_date")?,
            starting_no: col(r, 2, L, "starting_no")?,
            ending_no: col(r, 3, L, "ending_no")?,
            warning_no: col(r, 4, L, "warning_no")?,
            increment_by: unsigned32(r, 5, L, "increment_by")?,
            last_no_used: col(r, 6, L, "last_no_used")?,
            last_date_used: col(r, 7, L, "last_date_used")?,
            open: col(r, 8, L, "open")?,
        });
    }
    Ok(Some((s, line_nos)))
}

/// Writes back what a draw changes on each line of a series (last number and date used,
/// open).
pub(crate) fn save_series_lines<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    s: &NoSeries,
    line_nos: &[i32],
) -> Result<(), PgError> {
    for (line, no) in s.lines.iter().zip(line_nos) {
        c.execute(
            "UPDATE no_series_line SET last_no_used = $4, last_date_used = $5, open = $6 \
             WHERE company_id = $1 AND series_code = $2 AND line_no = $3",
            &[
                &company_id,
                &s.code.as_str(),
                no,
                &line.last_no_used,
                &line.last_date_used,
                &line.open,
            ],
        )
        .map_err(PgError::sql(format!("updating number series {}", s.code)))?;
    }
    Ok(())
}

/// The salesperson of a user's user setup, if any.
pub(crate) fn user_salesperson<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    user: &UserId,
) -> Result<Option<SalespersonCode>, PgError> {
    let row = c
        .query_opt(
            "SELECT salesperson_code FROM user_setup WHERE company_id = $1 AND user_id = $2",
            &[&company_id, &user.as_str()],
        )
        .map_err(PgError::sql(format!("reading the user setup of {user}")))?;
    match row {
        Some(r) => opt_parsed(&r, 0, "user_setup", "salesperson_code"),
        None => Ok(None),
    }
}

/// Every code of a small table (templates, salespeople, campaigns) of company `company_id`;
/// `sql` selects one text column with `$1` = the company.
pub(crate) fn codes<C: GenericClient, T: FromStr + Eq + Hash>(
    c: &mut C,
    company_id: i32,
    sql: &str,
    table: &'static str,
) -> Result<HashSet<T>, PgError>
where
    T::Err: std::fmt::Display,
{
    c.query(sql, &[&company_id])
        .map_err(PgError::sql(format!("reading {table}")))?
        .iter()
        .map(|r| parsed(r, 0, table, "code"))
        .collect()
}

/// Whether `sql` (parameters: company, key) finds a row.
pub(crate) fn exists<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    sql: &str,
    key: &str,
) -> Result<bool, PgError> {
    Ok(c.query_opt(sql, &[&company_id, &key])
        .map_err(PgError::sql(format!("looking up {key}")))?
        .is_some())
}

/// The campaign entries made by logged segment `logged`, by number.
pub fn campaign_entries_of<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    logged: LoggedSegmentNo,
) -> Result<Vec<CampaignEntry>, PgError> {
    const T: &str = "campaign_entry";
    c.query(
        "SELECT entry_no, campaign_no, description, date, user_id, segment_no, \
             salesperson_code, logged_segment_entry_no, canceled \
         FROM campaign_entry WHERE company_id = $1 AND logged_segment_entry_no = $2 \
         ORDER BY entry_no",
        &[&company_id, &(logged.0 as i64)],
    )
    .map_err(PgError::sql(format!(
        "reading the campaign entries of logged segment {logged}"
    )))?
    .iter()
    .map(|r| {
        Ok(CampaignEntry {
            entry_no: CampaignEntryNo(unsigned(r, 0, T, "entry_no")?),
            campaign_no: parsed(r, 1, T, "campaign_no")?,
            description: col(r, 2, T, "description")?,
            date: col(r, 3, T, "date")?,
            user_id: col(r, 4, T, "user_id")?,
            segment_no: opt_parsed(r, 5, T, "segment_no")?,
            salesperson_code: opt_parsed(r, 6, T, "salesperson_code")?,
            logged_segment_entry_no: opt_unsigned(r, 7, T, "logged_segment_entry_no")?
                .map(LoggedSegmentNo),
            canceled: col(r, 8, T, "canceled")?,
        })
    })
    .collect()
}

/// A logged segment of company `company_id`, with the campaign entries it made. A shard keeps
/// no contact index runs: `index_run` is `None`.
pub fn logged_segment<C: GenericClient>(
    c: &mut C,
    company_id: i32,
    no: LoggedSegmentNo,
) -> Result<Option<LoggedSegment>, PgError> {
    const T: &str = "logged_segment";
    let Some(r) = c
        .query_opt(
            "SELECT entry_no, segment_no, description, creation_date, user_id, canceled, \
                 first_entry_no, entries_written, entries, canceled_entries, follow_up_segment \
             FROM logged_segment WHERE company_id = $1 AND entry_no = $2",
            &[&company_id, &(no.0 as i64)],
        )
        .map_err(PgError::sql(format!("reading logged segment {no}")))?
    else {
        return Ok(None);
    };
    let campaign_entries = campaign_entries_of(c, company_id, no)?
        .into_iter()
        .map(|ce| ce.entry_no)
        .collect();
    Ok(Some(LoggedSegment {
        entry_no: LoggedSegmentNo(unsigned(&r, 0, T, "entry_no")?),
        segment_no: parsed(&r, 1, T, "segment_no")?,
        description: col(&r, 2, T, "description")?,
        creation_date: col(&r, 3, T, "creation_date")?,
        user_id: col(&r, 4, T, "user_id")?,
        canceled: col(&r, 5, T, "canceled")?,
        first_entry_no: EntryNo(unsigned(&r, 6, T, "first_entry_no")?),
        entries_written: unsigned(&r, 7, T, "entries_written")?,
        entries: unsigned(&r, 8, T, "entries")?,
        canceled_entries: unsigned(&r, 9, T, "canceled_entries")?,
        campaign_entries,
        index_run: None,
        follow_up_segment: opt_parsed(&r, 10, T, "follow_up_segment")?,
    }))
}
