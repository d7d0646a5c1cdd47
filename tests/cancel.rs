//! Cancelling entries (SPEC §2.4): *switch canceled* takes the opposite of the first selected
//! entry's value for the whole selection; un-cancelling is refused while the entry's logged
//! segment or campaign entry is canceled; logged segment counts follow; canceled entries drop
//! out of the statistics.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions, LogOutcome};
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryFilter, InteractionRequest};
use interlog::ops::logged;
use interlog::ops::segments::{InteractionChange, NoProgress, SegmentInput};
use interlog::ops::stats::{self, StatsBy};
use interlog::OpError;

/// Logs a segment "Golf day" (campaign CP1002, template GOLF, salesperson BC) with lines for
/// CT100239 and CT100125, giving two entries with one campaign entry.
fn logged_segment(t: &TestStore) -> LogOutcome {
    let input = SegmentInput {
        description: "Golf day".into(),
        salesperson: Some(sp("BC")),
        campaign: Some(campaign("CP1002")),
        ..Default::default()
    };
    let change = InteractionChange {
        template: Some(template("GOLF")),
        ..Default::default()
    };
    let no = t.segment(&input, Some(&change), &["CT100239", "CT100125"]);
    let out = log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress)
        .expect("log segment");
    assert_eq!(out.entries, 2);
    assert_eq!(out.campaign_entries.len(), 1);
    out
}

#[test]
fn switching_cancels_an_entry_and_switching_again_uncancels_it() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let r = interactions::switch_canceled(&t.store, &[e.entry_no]).expect("cancel");
    assert!(r.canceled);
    assert_eq!(r.entries, vec![e.entry_no]);
    assert_eq!(
        interactions::get(&t.store, e.entry_no).expect("get"),
        LogEntry {
            canceled: true,
            ..e.clone()
        }
    );
    let r = interactions::switch_canceled(&t.store, &[e.entry_no]).expect("uncancel");
    assert!(!r.canceled);
    assert_eq!(interactions::get(&t.store, e.entry_no).expect("get"), e);
}

#[test]
fn switching_a_mixed_selection_applies_the_opposite_of_the_first_entry_to_all() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let nos: Vec<EntryNo> = (0..3)
        .map(|_| {
            interactions::create(&t.store, &t.ctx, &req)
                .expect("create")
                .entry
                .entry_no
        })
        .collect();
    let canceled = |n: EntryNo| interactions::get(&t.store, n).expect("get").canceled;
    interactions::switch_canceled(&t.store, &[nos[1]]).expect("cancel the middle one");

    // First selected is not canceled: all become canceled (the canceled one stays canceled).
    let r = interactions::switch_canceled(&t.store, &[nos[0], nos[1], nos[2]]).expect("switch");
    assert!(r.canceled);
    assert_eq!(r.entries, nos);
    assert!(nos.iter().all(|&n| canceled(n)));

    // First selected is canceled: all become not canceled.
    interactions::switch_canceled(&t.store, &[nos[0]]).expect("uncancel the first");
    let r = interactions::switch_canceled(&t.store, &[nos[2], nos[0], nos[1]]).expect("switch");
    assert!(!r.canceled);
    assert!(nos.iter().all(|&n| !canceled(n)));
}

#[test]
fn an_entry_selected_twice_is_switched_once() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let r = interactions::switch_canceled(&t.store, &[e.entry_no, e.entry_no]).expect("switch");
    assert!(r.canceled);
    assert_eq!(r.entries, vec![e.entry_no]);
    assert!(
        interactions::get(&t.store, e.entry_no)
            .expect("get")
            .canceled
    );
}

#[test]
fn switching_nothing_or_an_unknown_entry_is_refused_and_changes_nothing() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let e = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let err = interactions::switch_canceled(&t.store, &[]).expect_err("empty");
    assert!(matches!(err, OpError::Missing { .. }), "{err:?}");
    let err =
        interactions::switch_canceled(&t.store, &[e.entry_no, EntryNo(77)]).expect_err("unknown");
    assert!(
        matches!(err, OpError::NotFound { what: "interaction log entry", ref key } if key == "77"),
        "{err:?}"
    );
    assert_eq!(interactions::get(&t.store, e.entry_no).expect("get"), e);
}

#[test]
fn canceled_entries_are_listed_only_when_asked_for() {
    let t = TestStore::demo();
    let req = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let a = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    let b = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    interactions::switch_canceled(&t.store, &[a.entry_no]).expect("cancel");
    let nos = |f: EntryFilter| -> Vec<EntryNo> {
        interactions::list(&t.store, &f)
            .expect("list")
            .iter()
            .map(|e| e.entry_no)
            .collect()
    };
    assert_eq!(nos(EntryFilter::default()), vec![a.entry_no, b.entry_no]);
    let only_canceled = EntryFilter {
        canceled: Some(true),
        ..Default::default()
    };
    assert_eq!(nos(only_canceled), vec![a.entry_no]);
    let not_canceled = EntryFilter {
        canceled: Some(false),
        contact: Some(contact("CT100239")),
        ..Default::default()
    };
    assert_eq!(nos(not_canceled), vec![b.entry_no]);
}

#[test]
fn canceled_entries_are_left_out_of_statistics() {
    let t = TestStore::demo();
    let bus = InteractionRequest {
        contact: Some(contact("CT100239")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let a = interactions::create(&t.store, &t.ctx, &bus)
        .expect("create")
        .entry;
    let later = InteractionRequest {
        date: Some(date("2025-03-20")),
        cost: Some(money("100.00")),
        ..bus.clone()
    };
    let b = interactions::create(&t.store, &t.ctx, &later)
        .expect("create")
        .entry;
    interactions::switch_canceled(&t.store, &[b.entry_no]).expect("cancel");
    for by in [
        StatsBy::Template,
        StatsBy::Group,
        StatsBy::Contact,
        StatsBy::Salesperson,
    ] {
        let rows = stats::stats(&t.store, by).expect("stats");
        assert_eq!(rows.len(), 1, "{by:?}");
        assert_eq!(rows[0].interactions, 1, "{by:?}");
        assert_eq!(rows[0].cost, a.cost.into(), "{by:?}");
        assert_eq!(rows[0].duration_min, 30, "{by:?}");
        assert_eq!(rows[0].last_date, Some(day()), "{by:?}");
    }
    interactions::switch_canceled(&t.store, &[a.entry_no]).expect("cancel");
    assert!(stats::stats(&t.store, StatsBy::Template)
        .expect("stats")
        .is_empty());
}

#[test]
fn logged_segment_counts_follow_switched_entries() {
    let t = TestStore::demo();
    let out = logged_segment(&t);
    let ls = out.logged_segment_entry_no;
    let count = || logged::show(&t.store, ls).expect("show").no_of_interactions;
    assert_eq!(count(), 2);
    interactions::switch_canceled(&t.store, &[out.first_entry_no]).expect("cancel");
    assert_eq!(count(), 1);
    // The first selected is not canceled, so both end up canceled.
    interactions::switch_canceled(&t.store, &[out.last_entry_no, out.first_entry_no])
        .expect("cancel the other one too");
    assert_eq!(count(), 0);
    interactions::switch_canceled(&t.store, &[out.last_entry_no]).expect("uncancel");
    assert_eq!(count(), 1);
}

#[test]
fn uncancelling_is_refused_while_the_logged_segment_is_canceled() {
    let t = TestStore::demo();
    let out = logged_segment(&t);
    let ls = out.logged_segment_entry_no;
    let view = logged::switch_canceled(&t.store, ls).expect("cancel logged segment");
    assert!(view.logged.canceled);
    assert_eq!(view.no_of_interactions, 2);
    let entry = out.first_entry_no;
    assert!(interactions::get(&t.store, entry).expect("get").canceled);
    let before = interactions::list(&t.store, &EntryFilter::default()).expect("list");

    let err = interactions::switch_canceled(&t.store, &[entry]).expect_err("refused");
    assert!(
        matches!(err, OpError::CannotUncancel { entry: e, .. } if e == entry),
        "{err:?}"
    );
    assert_eq!(
        interactions::list(&t.store, &EntryFilter::default()).expect("list"),
        before
    );
    assert_eq!(
        logged::show(&t.store, ls).expect("show").no_of_interactions,
        2
    );
}

#[test]
fn uncancelling_is_refused_while_the_campaign_entry_is_canceled() {
    let t = TestStore::demo();
    let out = logged_segment(&t);
    logged::switch_canceled(&t.store, out.logged_segment_entry_no).expect("cancel logged segment");
    // Deleting the canceled logged segment detaches its entries, which stay canceled along with
    // their (now detached) campaign entry: only the campaign entry guard is left.
    logged::delete_canceled_logged_segments(&t.store).expect("clean up");
    let entry = interactions::get(&t.store, out.first_entry_no).expect("get");
    assert_eq!(entry.logged_segment_entry_no, None);
    assert!(entry.canceled);
    let ce = entry.campaign_entry_no.expect("campaign entry");

    let err = interactions::switch_canceled(&t.store, &[entry.entry_no]).expect_err("refused");
    assert!(
        matches!(err, OpError::CannotUncancel { entry: e, ref reason } if e == entry.entry_no && reason.contains(&ce.to_string())),
        "{err:?}"
    );
    assert_eq!(
        interactions::get(&t.store, entry.entry_no).expect("get"),
        entry
    );
}

#[test]
fn a_refused_uncancel_changes_no_entry_of_the_selection() {
    let t = TestStore::demo();
    let out = logged_segment(&t);
    let req = InteractionRequest {
        contact: Some(contact("CT100240")),
        template: Some(template("BUS")),
        ..Default::default()
    };
    let single = interactions::create(&t.store, &t.ctx, &req)
        .expect("create")
        .entry;
    interactions::switch_canceled(&t.store, &[single.entry_no]).expect("cancel");
    logged::switch_canceled(&t.store, out.logged_segment_entry_no).expect("cancel logged segment");
    let before = interactions::list(&t.store, &EntryFilter::default()).expect("list");

    // The single entry comes first and could be un-cancelled; the segment entry cannot.
    let err = interactions::switch_canceled(&t.store, &[single.entry_no, out.first_entry_no])
        .expect_err("refused");
    assert!(matches!(err, OpError::CannotUncancel { .. }), "{err:?}");
    assert_eq!(
        interactions::list(&t.store, &EntryFilter::default()).expect("list"),
        before
    );
}

#[test]
fn cancelling_a_logged_segments_entry_needs_no_guard() {
    let t = TestStore::demo();
    let out = logged_segment(&t);
    let r = interactions::switch_canceled(&t.store, &[out.last_entry_no]).expect("cancel");
    assert!(r.canceled);
    let uncanceled = interactions::switch_canceled(&t.store, &[out.last_entry_no])
        .expect("uncancel while the logged segment is not canceled");
    assert!(!uncanceled.canceled);
}
