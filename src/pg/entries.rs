//! Reading interaction log entries on a shard as domain [`LogEntry`]s: a contact's history
//! (BC's *Interaction Log Entries* of a contact, through the `(company_id, contact_no,
//! entry_no)` index) and the entries of a logged segment (a range of the primary key).
//!
//! Rows are turned into entries by [`super::copy::entry_from_row`], the same column list COPY
//! writes, and each entry gets its comments from `interaction_comment`.

use std::collections::BTreeMap;

use postgres::GenericClient;

use super::copy::{entry_from_row, ENTRY_COLUMNS};
use super::log::col;
use super::PgError;
use crate::domain::*;

/// A contact's interaction log entries in company `company_id`, by entry number, with their
/// comments.
pub fn contact_entries<C: GenericClient>(
    shard: &mut C,
    company_id: i32,
    contact: &ContactNo,
) -> Result<Vec<LogEntry>, PgError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM interaction_log_entry \
         WHERE company_id = $1 AND contact_no = $2 ORDER BY entry_no"
    );
    let rows = shard
        .query(sql.as_str(), &[&company_id, &contact.as_str()])
        .map_err(PgError::sql(format!(
            "reading the entries of contact {contact}"
        )))?;
    let mut entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    add_comments(shard, company_id, &mut entries)?;
    Ok(entries)
}

/// The entries still attached to logged segment `logged` of company `company_id`, by entry
/// number, with their comments (empty when there is no such logged segment).
pub fn logged_segment_entries<C: GenericClient>(
    shard: &mut C,
    company_id: i32,
    logged: LoggedSegmentNo,
) -> Result<Vec<LogEntry>, PgError> {
    let what = format!("reading the entries of logged segment {logged}");
    let logged_no = logged.0 as i64;
    let Some(range) = shard
        .query_opt(
            "SELECT first_entry_no, entries_written FROM logged_segment \
             WHERE company_id = $1 AND entry_no = $2",
            &[&company_id, &logged_no],
        )
        .map_err(PgError::sql(what.clone()))?
    else {
        return Ok(Vec::new());
    };
    let first: i64 = col(&range, 0, "logged_segment", "first_entry_no")?;
    let written: i64 = col(&range, 1, "logged_segment", "entries_written")?;
    // The run's entries are one range of the primary key; entries detached since are skipped.
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM interaction_log_entry \
         WHERE company_id = $1 AND entry_no >= $2 AND entry_no < $3 \
           AND logged_segment_entry_no = $4 ORDER BY entry_no"
    );
    let end = first.saturating_add(written);
    let rows = shard
        .query(sql.as_str(), &[&company_id, &first, &end, &logged_no])
        .map_err(PgError::sql(what))?;
    let mut entries = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    add_comments(shard, company_id, &mut entries)?;
    Ok(entries)
}

/// Fills in the comments of `entries` (one query for all of them).
fn add_comments<C: GenericClient>(
    shard: &mut C,
    company_id: i32,
    entries: &mut [LogEntry],
) -> Result<(), PgError> {
    if entries.is_empty() {
        return Ok(());
    }
    let nos: Vec<i64> = entries.iter().map(|e| e.entry_no.0 as i64).collect();
    let rows = shard
        .query(
            "SELECT entry_no, date, text FROM interaction_comment \
             WHERE company_id = $1 AND entry_no = ANY($2) ORDER BY entry_no, line_no",
            &[&company_id, &nos],
        )
        .map_err(PgError::sql("reading interaction comments"))?;
    let mut by_entry: BTreeMap<i64, Vec<Comment>> = BTreeMap::new();
    for r in &rows {
        const T: &str = "interaction_comment";
        let no: i64 = col(r, 0, T, "entry_no")?;
        by_entry.entry(no).or_default().push(Comment {
            date: col(r, 1, T, "date")?,
            text: col(r, 2, T, "text")?,
        });
    }
    for e in entries {
        if let Some(c) = by_entry.remove(&(e.entry_no.0 as i64)) {
            e.comments = c;
        }
    }
    Ok(())
}
