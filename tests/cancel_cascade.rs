//! Cancelling a logged segment (SPEC §2.4): the logged segment, all of its interaction log
//! entries and its campaign entries switch together; BC's counts on the logged segment; and
//! the guard on un-cancelling one entry of a canceled logged segment.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions, LogOutcome};
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryFilter, InteractionRequest};
use interlog::ops::logged::{self, LoggedSegmentView};
use interlog::ops::master;
use interlog::ops::segments::{self, InteractionChange, LineChange, NoProgress};
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Logs a BUS segment with campaign CP1001 for `contacts`. With `two_campaigns` the last line
/// moves to template GOLF and the header to campaign CP1002, which reaches only the lines still
/// on the header's template: the last line keeps CP1001, so the run makes two campaign entries
/// (one per campaign, as BC's `GetCampaignEntryNo` keys them).
fn log_mailing(t: &TestStore, contacts: &[&str], two_campaigns: bool) -> LogOutcome {
    let no = t.spring_mailing(contacts);
    if two_campaigns {
        segments::set_line(
            &t.store,
            &no,
            contacts.len() as u64 * 10_000,
            &LineChange {
                template: Some(template("GOLF")),
                ..LineChange::default()
            },
        )
        .unwrap();
        segments::set_interaction(
            &t.store,
            &no,
            &InteractionChange {
                campaign: Some(campaign("CP1002")),
                ..InteractionChange::default()
            },
            &NoProgress,
        )
        .unwrap();
    }
    log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap()
}

fn campaign_entries_of(t: &TestStore, l: LoggedSegmentNo) -> Vec<CampaignEntry> {
    master::list_campaign_entries(&t.store)
        .unwrap()
        .into_iter()
        .filter(|c| c.logged_segment_entry_no == Some(l))
        .collect()
}

fn show(t: &TestStore, l: LoggedSegmentNo) -> LoggedSegmentView {
    logged::show(&t.store, l).unwrap()
}

fn switch(t: &TestStore, l: LoggedSegmentNo) -> LoggedSegmentView {
    logged::switch_canceled(&t.store, l).unwrap()
}

fn counts(v: &LoggedSegmentView) -> (bool, u64, u64) {
    (
        v.logged.canceled,
        v.no_of_interactions,
        v.no_of_campaign_entries,
    )
}

/// The canceled flags of the logged segment's entries and campaign entries.
fn flags(t: &TestStore, l: LoggedSegmentNo) -> (Vec<bool>, Vec<bool>) {
    (
        logged_entries(t, l).iter().map(|e| e.canceled).collect(),
        campaign_entries_of(t, l)
            .iter()
            .map(|c| c.canceled)
            .collect(),
    )
}

/// A store with logged segment 1 (three entries, two campaign entries), logged segment 2 (two
/// entries) and a single interaction with a campaign.
struct Setup {
    t: TestStore,
    a: LogOutcome,
    b: LogOutcome,
    single: LogEntry,
}

fn setup() -> Setup {
    let t = TestStore::demo();
    let a = log_mailing(&t, &["CT100125", "CT100124", "CT100147"], true);
    let b = log_mailing(&t, &["CT100129", "CT100143"], false);
    let single = interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            contact: Some(contact("CT100125")),
            template: Some(template("OUTGOING")),
            campaign: Some(campaign("CP1001")),
            ..InteractionRequest::default()
        },
    )
    .unwrap()
    .entry;
    Setup { t, a, b, single }
}

// ---------------------------------------------------------------------------------------------
// The cascade

#[test]
fn switching_a_logged_segment_to_canceled_cancels_its_entries_and_campaign_entries() {
    let s = setup();
    let l = s.a.logged_segment_entry_no;
    assert_eq!(counts(&show(&s.t, l)), (false, 3, 2));
    let others_before = (
        logged_entries(&s.t, s.b.logged_segment_entry_no),
        campaign_entries_of(&s.t, s.b.logged_segment_entry_no),
        interactions::get(&s.t.store, s.single.entry_no).unwrap(),
    );

    let v = switch(&s.t, l);
    assert_eq!(counts(&v), (true, 3, 2));
    assert_eq!(counts(&show(&s.t, l)), (true, 3, 2), "stored as returned");
    assert_eq!(flags(&s.t, l), (vec![true; 3], vec![true; 2]));

    // Nothing else moved.
    let others_after = (
        logged_entries(&s.t, s.b.logged_segment_entry_no),
        campaign_entries_of(&s.t, s.b.logged_segment_entry_no),
        interactions::get(&s.t.store, s.single.entry_no).unwrap(),
    );
    assert_eq!(others_after, others_before);
    let single_ce = master::list_campaign_entries(&s.t.store)
        .unwrap()
        .into_iter()
        .find(|c| Some(c.entry_no) == s.single.campaign_entry_no)
        .unwrap();
    assert!(!single_ce.canceled);
}

#[test]
fn switching_back_restores_the_logged_segment_its_entries_and_campaign_entries() {
    let s = setup();
    let l = s.a.logged_segment_entry_no;
    let entries_before = logged_entries(&s.t, l);
    let ces_before = campaign_entries_of(&s.t, l);
    switch(&s.t, l);
    let v = switch(&s.t, l);
    assert_eq!(counts(&v), (false, 3, 2));
    assert_eq!(logged_entries(&s.t, l), entries_before);
    assert_eq!(campaign_entries_of(&s.t, l), ces_before);
}

#[test]
fn canceled_entries_leave_the_listings_of_not_canceled_entries() {
    let s = setup();
    let l = s.a.logged_segment_entry_no;
    switch(&s.t, l);
    let not_canceled = interactions::list(
        &s.t.store,
        &EntryFilter {
            canceled: Some(false),
            ..EntryFilter::default()
        },
    )
    .unwrap();
    assert!(not_canceled
        .iter()
        .all(|e| e.logged_segment_entry_no != Some(l)));
    assert_eq!(not_canceled.len(), 3, "logged segment 2 and the single one");
}

// ---------------------------------------------------------------------------------------------
// BC's counts

#[test]
fn the_counts_are_of_entries_whose_canceled_flag_equals_the_logged_segments() {
    let s = setup();
    let l = s.a.logged_segment_entry_no;
    let first = s.a.first_entry_no;
    // One entry canceled on its own: the (not canceled) logged segment counts the other two.
    let r = interactions::switch_canceled(&s.t.store, &[first]).unwrap();
    assert!(r.canceled);
    assert_eq!(counts(&show(&s.t, l)), (false, 2, 2));
    // Canceling the logged segment cancels the rest: now all three count.
    assert_eq!(counts(&switch(&s.t, l)), (true, 3, 2));
    // Switching back un-cancels every entry, including the one canceled on its own.
    assert_eq!(counts(&switch(&s.t, l)), (false, 3, 2));
    assert_eq!(flags(&s.t, l).0, vec![false; 3]);
}

#[test]
fn the_list_of_logged_segments_shows_the_same_counts() {
    let s = setup();
    interactions::switch_canceled(&s.t.store, &[s.b.first_entry_no]).unwrap();
    switch(&s.t, s.a.logged_segment_entry_no);
    let got: Vec<(u64, bool, u64, u64)> = logged::list(&s.t.store)
        .unwrap()
        .iter()
        .map(|v| {
            (
                v.logged.entry_no.0,
                v.logged.canceled,
                v.no_of_interactions,
                v.no_of_campaign_entries,
            )
        })
        .collect();
    assert_eq!(got, vec![(1, true, 3, 2), (2, false, 1, 1)]);
}

// ---------------------------------------------------------------------------------------------
// The un-cancel guard

#[test]
fn un_cancelling_one_entry_is_refused_while_its_logged_segment_is_canceled() {
    let s = setup();
    let l = s.a.logged_segment_entry_no;
    switch(&s.t, l);
    let e = EntryNo(s.a.first_entry_no.0 + 1);
    let err = interactions::switch_canceled(&s.t.store, &[e]).unwrap_err();
    assert!(
        matches!(err, OpError::CannotUncancel { entry, .. } if entry == e),
        "{err:?}"
    );
    assert!(err.to_string().contains("logged segment"), "{err}");
    assert!(interactions::get(&s.t.store, e).unwrap().canceled);
    assert_eq!(counts(&show(&s.t, l)), (true, 3, 2));
}

#[test]
fn a_refused_un_cancel_changes_no_entry_of_the_selection() {
    let s = setup();
    let l = s.a.logged_segment_entry_no;
    // A canceled single entry first (so the selection is un-cancelled), then an entry of the
    // canceled logged segment.
    interactions::switch_canceled(&s.t.store, &[s.single.entry_no]).unwrap();
    switch(&s.t, l);
    let err = interactions::switch_canceled(&s.t.store, &[s.single.entry_no, s.a.first_entry_no])
        .unwrap_err();
    assert!(matches!(err, OpError::CannotUncancel { .. }), "{err:?}");
    assert!(
        interactions::get(&s.t.store, s.single.entry_no)
            .unwrap()
            .canceled,
        "all or nothing"
    );
    // Once the logged segment is switched back, its entries may be switched one by one again.
    switch(&s.t, l);
    interactions::switch_canceled(&s.t.store, &[s.a.first_entry_no]).unwrap();
    interactions::switch_canceled(&s.t.store, &[s.a.first_entry_no]).unwrap();
    assert!(
        !interactions::get(&s.t.store, s.a.first_entry_no)
            .unwrap()
            .canceled
    );
}

#[test]
fn switching_an_unknown_logged_segment_is_refused() {
    let s = setup();
    let err = logged::switch_canceled(&s.t.store, LoggedSegmentNo(9)).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "logged segment",
                ..
            }
        ),
        "{err:?}"
    );
}
