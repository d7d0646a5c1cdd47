//! Statistics (SPEC §2.8): per template, group, contact, salesperson and campaign, the number
//! of interactions, total cost, total duration and last interaction date, counting only
//! entries that are neither canceled nor postponed.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions};
use interlog::ops::interactions::{self, InteractionRequest};
use interlog::ops::segments::{self, InteractionChange, NoProgress, SegmentInput};
use interlog::ops::stats::{self, StatsBy, StatsRow};

/// The demo store with six interactions: four that count, one canceled (ONSITE) and one
/// postponed (INCOME).
///
/// | # | contact  | template | salesperson | date       | cost  | min | campaign |
/// |---|----------|----------|-------------|------------|-------|-----|----------|
/// | 1 | CT100239 | BUS      | HR          | 2025-03-10 |  8.00 |  30 |          |
/// | 2 | CT100239 | OUTGOING | HR          | 2025-03-14 |  1.00 |  15 | CP1001   |
/// | 3 | CT100125 | BUS      | JO          | 2025-03-12 |  5.50 |  10 | CP1001   |
/// | 4 | CT100240 | ONSITE   | LT          | 2025-03-30 | 45.00 | 180 | CP1002   | canceled
/// | 5 | CT100240 | INCOME   | LT          | 2025-03-31 |  0.00 |  15 | CP1002   | postponed
/// | 6 | CT100240 | INHOUSE  | LT          | 2025-03-05 | 25.00 | 120 | CP1002   |
fn history() -> TestStore {
    let t = TestStore::demo();
    let rows = [
        ("CT100239", "BUS", None, "2025-03-10", None, None),
        (
            "CT100239",
            "OUTGOING",
            None,
            "2025-03-14",
            None,
            Some("CP1001"),
        ),
        (
            "CT100125",
            "BUS",
            Some("JO"),
            "2025-03-12",
            Some(("5.50", 10)),
            Some("CP1001"),
        ),
        (
            "CT100240",
            "ONSITE",
            None,
            "2025-03-30",
            None,
            Some("CP1002"),
        ),
        (
            "CT100240",
            "INCOME",
            None,
            "2025-03-31",
            None,
            Some("CP1002"),
        ),
        (
            "CT100240",
            "INHOUSE",
            None,
            "2025-03-05",
            None,
            Some("CP1002"),
        ),
    ];
    for (i, (c, tpl, salesperson, d, cost_duration, camp)) in rows.into_iter().enumerate() {
        let req = InteractionRequest {
            contact: Some(contact(c)),
            template: Some(template(tpl)),
            salesperson: salesperson.map(sp),
            date: Some(date(d)),
            cost: cost_duration.map(|(c, _)| money(c)),
            duration_min: cost_duration.map(|(_, m)| m),
            campaign: camp.map(campaign),
            postpone: i == 4,
            ..Default::default()
        };
        let e = interactions::create(&t.store, &t.ctx, &req).expect("create");
        if i == 3 {
            interactions::switch_canceled(&t.store, &[e.entry.entry_no]).expect("cancel");
        }
    }
    t
}

#[test]
fn statistics_give_count_cost_duration_and_last_date_per_dimension() {
    let t = history();
    let row = |key: &str, interactions: u64, cost: &str, duration_min: u64, last: &str| StatsRow {
        key: key.into(),
        interactions,
        cost: money(cost).into(),
        duration_min,
        last_date: Some(date(last)),
    };
    let expected = [
        (
            StatsBy::Template,
            vec![
                row("BUS", 2, "13.50", 40, "2025-03-12"),
                row("INHOUSE", 1, "25.00", 120, "2025-03-05"),
                row("OUTGOING", 1, "1.00", 15, "2025-03-14"),
            ],
        ),
        (
            StatsBy::Group,
            vec![
                row("LETTER", 2, "13.50", 40, "2025-03-12"),
                row("MEETING", 1, "25.00", 120, "2025-03-05"),
                row("PHONE", 1, "1.00", 15, "2025-03-14"),
            ],
        ),
        (
            StatsBy::Contact,
            vec![
                row("CT100125", 1, "5.50", 10, "2025-03-12"),
                row("CT100239", 2, "9.00", 45, "2025-03-14"),
                row("CT100240", 1, "25.00", 120, "2025-03-05"),
            ],
        ),
        (
            StatsBy::Salesperson,
            vec![
                row("HR", 2, "9.00", 45, "2025-03-14"),
                row("JO", 1, "5.50", 10, "2025-03-12"),
                row("LT", 1, "25.00", 120, "2025-03-05"),
            ],
        ),
        (
            StatsBy::Campaign,
            vec![
                row("CP1001", 2, "6.50", 25, "2025-03-14"),
                row("CP1002", 1, "25.00", 120, "2025-03-05"),
            ],
        ),
    ];
    for (by, rows) in expected {
        assert_eq!(stats::stats(&t.store, by).expect("stats"), rows, "{by:?}");
    }
}

#[test]
fn an_empty_log_has_no_statistics() {
    let t = TestStore::demo();
    for by in [
        StatsBy::Template,
        StatsBy::Group,
        StatsBy::Contact,
        StatsBy::Salesperson,
        StatsBy::Campaign,
    ] {
        assert!(
            stats::stats(&t.store, by).expect("stats").is_empty(),
            "{by:?}"
        );
    }
}

#[test]
fn the_last_date_is_the_latest_interaction_date_not_the_latest_entry() {
    let t = history();
    // A newer entry dated before the others must not move the last date back.
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        date: Some(date("2025-01-01")),
        ..Default::default()
    };
    interactions::create(&t.store, &t.ctx, &req).expect("create");
    let rows = stats::stats(&t.store, StatsBy::Contact).expect("stats");
    let ct100239 = rows.iter().find(|r| r.key == "CT100239").expect("row");
    assert_eq!(ct100239.interactions, 3);
    assert_eq!(ct100239.last_date, Some(date("2025-03-14")));
}

#[test]
fn cancelling_and_resuming_move_entries_out_of_and_into_the_statistics() {
    let t = history();
    let income = interactions::postponed(&t.store).expect("postponed")[0].entry_no;
    let later = t.ctx.clone().with_work_date(date("2025-04-02"));
    interactions::resume(&t.store, &later, income, &InteractionRequest::default()).expect("resume");
    let onsite = interactions::list(
        &t.store,
        &interactions::EntryFilter {
            canceled: Some(true),
            ..Default::default()
        },
    )
    .expect("list")[0]
        .entry_no;
    interactions::switch_canceled(&t.store, &[onsite]).expect("uncancel");
    let rows = stats::stats(&t.store, StatsBy::Contact).expect("stats");
    let ct100240 = rows.iter().find(|r| r.key == "CT100240").expect("row");
    assert_eq!(
        ct100240,
        &StatsRow {
            key: "CT100240".into(),
            interactions: 3,
            cost: money("70.00").into(),
            duration_min: 315,
            last_date: Some(date("2025-04-02")),
        }
    );
}

#[test]
fn entries_logged_from_a_segment_count_one_each() {
    let t = TestStore::demo();
    let input = SegmentInput {
        description: "Golf day".into(),
        salesperson: Some(sp("BC")),
        campaign: Some(campaign("CP1002")),
        ..Default::default()
    };
    let no = segments::create(&t.store, &t.ctx, &input)
        .expect("create segment")
        .record
        .no;
    let change = InteractionChange {
        template: Some(template("GOLF")),
        ..Default::default()
    };
    segments::set_interaction(&t.store, &no, &change, &NoProgress).expect("set template");
    for c in ["CT100239", "CT100125", "CT100240"] {
        segments::add_line(&t.store, &no, &contact(c)).expect("add line");
    }
    let out = log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress)
        .expect("log segment");
    interactions::switch_canceled(&t.store, &[out.first_entry_no]).expect("cancel one");
    let expected = |key: &str| {
        vec![StatsRow {
            key: key.into(),
            interactions: 2,
            cost: money("16.00").into(),
            duration_min: 2,
            last_date: Some(day()),
        }]
    };
    assert_eq!(
        stats::stats(&t.store, StatsBy::Template).expect("stats"),
        expected("GOLF")
    );
    assert_eq!(
        stats::stats(&t.store, StatsBy::Salesperson).expect("stats"),
        expected("BC")
    );
    assert_eq!(
        stats::stats(&t.store, StatsBy::Campaign).expect("stats"),
        expected("CP1002")
    );
    let per_contact: Vec<String> = stats::stats(&t.store, StatsBy::Contact)
        .expect("stats")
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(per_contact, ["CT100125", "CT100240"]);
}

#[test]
fn statistics_are_the_same_after_reopening_the_store() {
    let t = history();
    let before = stats::stats(&t.store, StatsBy::Template).expect("stats");
    let t = t.reopen();
    assert_eq!(
        stats::stats(&t.store, StatsBy::Template).expect("stats"),
        before
    );
}
