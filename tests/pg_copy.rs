//! COPY BINARY of entries and segment lines (feature `pg`): what interlog encodes is what the
//! server stores, and reading the rows back gives the same domain records.
#![cfg(feature = "pg")]

mod common;

use common::pg::fresh_db;
use common::*;
use interlog::batch::log_segment::{log_segment, LogOptions};
use interlog::ops::segments::NoProgress;
use interlog::pg::copy::{
    copy_in, entry_from_row, line_from_row, CopyRows, ENTRY_COLUMNS, LINE_COLUMNS,
};
use interlog::pg::{self, schema};

#[test]
fn entries_and_lines_come_back_as_they_were_copied() {
    let t = TestStore::demo();
    let logged = t.spring_mailing(&["CT100239", "CT100125", "CT100240"]);
    log_segment(
        &t.store,
        &t.ctx,
        &logged,
        LogOptions::default(),
        &NoProgress,
    )
    .unwrap();
    let open = t.spring_mailing(&["CT100239", "CT100125"]);
    let entries = all_entries(&t);
    let lines = lines(&t, &open);
    assert_eq!(entries.len(), 3);

    let url = fresh_db(1, "copy");
    let mut c = pg::connect(&url).unwrap();
    pg::migrate_schema(&mut c, &url, schema::SHARD).unwrap();
    c.batch_execute(
        "INSERT INTO company (company_id, code) VALUES (7, 'CRONUS');
         INSERT INTO segment_header (company_id, no, date) VALUES (7, 'SEG1', '2025-03-14')",
    )
    .unwrap();

    let mut rows = CopyRows::default();
    for e in &entries {
        rows.entry(7, e);
    }
    let mut once = Some(rows);
    let n = copy_in(&mut c, "interaction_log_entry", ENTRY_COLUMNS, || {
        Ok(once.take())
    })
    .unwrap();
    assert_eq!(n, 3);
    let seg = seg("SEG1");
    let mut rows = CopyRows::default();
    rows.line(7, &seg, &lines[0], None);
    rows.line(7, &seg, &lines[1], Some(2));
    let mut once = Some(rows);
    copy_in(&mut c, "segment_line", LINE_COLUMNS, || Ok(once.take())).unwrap();

    let back: Vec<_> = c
        .query(
            &format!("SELECT {ENTRY_COLUMNS} FROM interaction_log_entry WHERE company_id = 7 ORDER BY entry_no"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| entry_from_row(r).unwrap())
        .collect();
    assert_eq!(back, entries);
    let back: Vec<_> = c
        .query(
            &format!(
                "SELECT {LINE_COLUMNS} FROM segment_line WHERE company_id = 7 ORDER BY line_no"
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| line_from_row(r).unwrap())
        .collect();
    assert_eq!(
        back,
        vec![(lines[0].clone(), None), (lines[1].clone(), Some(2))]
    );
    // SQL readers see the values a person expects.
    let cost: String = c
        .query_one(
            "SELECT cost::text FROM interaction_log_entry WHERE company_id = 7 LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cost, entries[0].cost.to_string());
}

#[test]
fn a_hand_edited_value_is_refused_by_name() {
    let url = fresh_db(2, "badrow");
    let mut c = pg::connect(&url).unwrap();
    pg::migrate_schema(&mut c, &url, schema::SHARD).unwrap();
    c.batch_execute(
        "INSERT INTO interaction_log_entry (company_id, entry_no, contact_no, date, time_of_interaction,
             user_id, group_code, template_code, salesperson_code)
         VALUES (1, 1, 'a contact number far longer than twenty characters', '2025-01-01', '10:00',
             'U', 'G', 'T', 'S')",
    )
    .unwrap();
    let row = c
        .query_one(
            &format!("SELECT {ENTRY_COLUMNS} FROM interaction_log_entry"),
            &[],
        )
        .unwrap();
    let err = entry_from_row(&row).unwrap_err().to_string();
    assert!(err.contains("interaction_log_entry.contact_no"), "{err}");
}
