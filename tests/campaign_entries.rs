//! Campaign entries as records of their own, after BC's table *Campaign Entry* (5072), page
//! *Campaign Entries*, report *Delete Campaign Entries* (5189) and `SegManagement`'s
//! `GetCampaignEntryNo`:
//! * single interactions of a campaign share one campaign entry; a logged segment makes one
//!   per campaign;
//! * a campaign entry counts the interactions whose canceled flag equals its own;
//! * cancelling / un-cancelling a campaign entry reaches all of its interactions in one change,
//!   logged segment counts follow, and un-cancelling is refused while its logged segment is
//!   canceled;
//! * the clean-up deletes canceled campaign entries with their interactions;
//! * statistics per campaign leave out whatever is canceled.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions, LogOutcome};
use interlog::domain::*;
use interlog::ops::campaign_entries::{
    self, CampaignEntryFilter, CampaignEntryView, CampaignStats, CancelTo,
};
use interlog::ops::interactions::{self, EntryFilter, InteractionRequest};
use interlog::ops::logged;
use interlog::ops::master;
use interlog::ops::segments::NoProgress;
use interlog::ops::verify::verify;
use interlog::storage::{Change, UnitOfWork};
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Logs the spring mailing (template BUS: 8.00 and 30 minutes a line; campaign CP1001).
fn log_mailing(t: &TestStore, contacts: &[&str]) -> LogOutcome {
    let no = t.spring_mailing(contacts);
    log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap()
}

/// A phone call (OUTGOING: 1.00 and 15 minutes) for a campaign.
fn call(t: &TestStore, c: &str, campaign_no: &str) -> LogEntry {
    interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            contact: Some(contact(c)),
            template: Some(template("OUTGOING")),
            campaign: Some(campaign(campaign_no)),
            ..InteractionRequest::default()
        },
    )
    .unwrap()
    .entry
}

fn ce(n: u64) -> CampaignEntryNo {
    CampaignEntryNo(n)
}

fn show(t: &TestStore, n: u64) -> CampaignEntryView {
    campaign_entries::show(&t.store, ce(n)).unwrap()
}

fn counts(v: &CampaignEntryView) -> (bool, u64, Money, u64) {
    (
        v.entry.canceled,
        v.no_of_interactions,
        v.cost,
        v.duration_min,
    )
}

fn entries_of(t: &TestStore, n: u64) -> Vec<LogEntry> {
    interactions::list(
        &t.store,
        &EntryFilter {
            campaign_entry: Some(ce(n)),
            ..EntryFilter::default()
        },
    )
    .unwrap()
}

fn canceled_flags(t: &TestStore, n: u64) -> Vec<bool> {
    entries_of(t, n).iter().map(|e| e.canceled).collect()
}

fn set(t: &TestStore, nos: &[u64], to: CancelTo) -> Result<bool, OpError> {
    let nos: Vec<CampaignEntryNo> = nos.iter().map(|&n| ce(n)).collect();
    campaign_entries::set_canceled(&t.store, &nos, to).map(|r| r.canceled)
}

fn assert_consistent(t: &TestStore) {
    let r = verify(&t.store).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
}

/// Campaign entry 1: a logged mailing of CT100125, CT100124, CT100147 for CP1001 (logged
/// segment 1, entries 1..=3). Campaign entry 2: two calls for CP1002 (entries 4 and 5).
fn two_campaign_entries() -> (TestStore, LogOutcome) {
    let t = TestStore::demo();
    let out = log_mailing(&t, &["CT100125", "CT100124", "CT100147"]);
    call(&t, "CT100239", "CP1002");
    call(&t, "CT100240", "CP1002");
    (t, out)
}

// ---------------------------------------------------------------------------------------------
// One campaign entry per campaign (SegManagement.GetCampaignEntryNo)

#[test]
fn single_interactions_of_a_campaign_share_one_campaign_entry() {
    let (t, _) = two_campaign_entries();
    let all = campaign_entries::list(&t.store, &CampaignEntryFilter::default()).unwrap();
    assert_eq!(all.len(), 2);
    let calls = &all[1].entry;
    assert_eq!(calls.campaign_no, campaign("CP1002"));
    assert_eq!(calls.description, "Interactions");
    assert_eq!(
        (calls.segment_no.clone(), calls.logged_segment_entry_no),
        (None, None)
    );
    let nos: Vec<u64> = entries_of(&t, 2).iter().map(|e| e.entry_no.0).collect();
    assert_eq!(nos, vec![4, 5]);
}

#[test]
fn resuming_a_postponed_interaction_joins_the_campaigns_campaign_entry() {
    let (t, _) = two_campaign_entries();
    let postponed = interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            contact: Some(contact("CT100147")),
            template: Some(template("OUTGOING")),
            campaign: Some(campaign("CP1002")),
            postpone: true,
            ..InteractionRequest::default()
        },
    )
    .unwrap();
    assert_eq!(
        postponed.entry.campaign_entry_no, None,
        "postponed: no campaign entry yet"
    );
    let resumed = interactions::resume(
        &t.store,
        &t.ctx,
        postponed.entry.entry_no,
        &InteractionRequest::default(),
    )
    .unwrap();
    assert_eq!(resumed.entry.campaign_entry_no, Some(ce(2)));
    assert_eq!(show(&t, 2).no_of_interactions, 3);
}

#[test]
fn a_canceled_campaign_entry_is_not_joined_by_a_new_interaction() {
    // Beyond BC: BC's lookup ignores Canceled, so the new interaction would sit, not canceled,
    // under a canceled campaign entry that Delete Campaign Entries then deletes with it.
    let (t, _) = two_campaign_entries();
    set(&t, &[2], CancelTo::Set(true)).unwrap();
    let e = call(&t, "CT100239", "CP1002");
    assert_eq!(e.campaign_entry_no, Some(ce(3)));
    assert_eq!(counts(&show(&t, 3)), (false, 1, money("1.00"), 15));
    assert_eq!(canceled_flags(&t, 2), vec![true, true]);
    assert_consistent(&t);
}

// ---------------------------------------------------------------------------------------------
// Counts (FlowFields No. of Interactions, Cost (LCY), Duration (Min.))

#[test]
fn a_campaign_entry_counts_the_interactions_whose_canceled_flag_equals_its_own() {
    let (t, out) = two_campaign_entries();
    assert_eq!(counts(&show(&t, 1)), (false, 3, money("24.00"), 90));
    assert_eq!(counts(&show(&t, 2)), (false, 2, money("2.00"), 30));

    interactions::switch_canceled(&t.store, &[out.first_entry_no]).unwrap();
    assert_eq!(counts(&show(&t, 1)), (false, 2, money("16.00"), 60));

    set(&t, &[1], CancelTo::Set(true)).unwrap();
    assert_eq!(counts(&show(&t, 1)), (true, 3, money("24.00"), 90));
    let listed = campaign_entries::list(&t.store, &CampaignEntryFilter::default()).unwrap();
    assert_eq!(
        listed,
        vec![show(&t, 1), show(&t, 2)],
        "list and show agree"
    );
}

#[test]
fn campaign_entries_are_listed_within_bcs_filters() {
    let (t, _) = two_campaign_entries();
    set(&t, &[1], CancelTo::Set(true)).unwrap();
    let nos = |f: CampaignEntryFilter| -> Vec<u64> {
        campaign_entries::list(&t.store, &f)
            .unwrap()
            .iter()
            .map(|v| v.entry.entry_no.0)
            .collect()
    };
    let f = CampaignEntryFilter::default;
    assert_eq!(nos(f()), vec![1, 2]);
    assert_eq!(
        nos(CampaignEntryFilter {
            campaign: Some(campaign("CP1002")),
            ..f()
        }),
        vec![2]
    );
    assert_eq!(
        nos(CampaignEntryFilter {
            canceled: Some(true),
            ..f()
        }),
        vec![1]
    );
    assert_eq!(
        nos(CampaignEntryFilter {
            entry_nos: Some(NumberFilter::parse("entry", "2..").unwrap()),
            ..f()
        }),
        vec![2]
    );
    assert_eq!(
        nos(CampaignEntryFilter {
            date: DateFilter::parse("date", "..2025-03-13").unwrap(),
            ..f()
        }),
        Vec::<u64>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// Cancelling (Campaign Entry.ToggleCanceledCheckmark / SetCanceledCheckmark)

#[test]
fn cancelling_a_campaign_entry_cancels_all_of_its_interactions_and_nothing_else() {
    let (t, out) = two_campaign_entries();
    let others = (show(&t, 2), entries_of(&t, 2));

    let r = campaign_entries::set_canceled(&t.store, &[ce(1)], CancelTo::Switch).unwrap();
    assert!(r.canceled);
    assert_eq!((r.entries, r.entries_changed), (3, 3));
    assert_eq!(canceled_flags(&t, 1), vec![true; 3]);
    assert!(show(&t, 1).entry.canceled);
    assert_eq!((show(&t, 2), entries_of(&t, 2)), others);
    // The logged segment itself stays, but counts its canceled entries.
    let l = logged::show(&t.store, out.logged_segment_entry_no).unwrap();
    assert!(!l.logged.canceled);
    assert_eq!((l.logged.canceled_entries, l.no_of_interactions), (3, 0));
    assert_consistent(&t);
}

#[test]
fn switching_twice_restores_the_campaign_entry_and_its_interactions() {
    let (t, out) = two_campaign_entries();
    let before = (show(&t, 1), entries_of(&t, 1));
    let l_before = logged::show(&t.store, out.logged_segment_entry_no)
        .unwrap()
        .logged;
    assert!(set(&t, &[1], CancelTo::Switch).unwrap());
    assert!(!set(&t, &[1], CancelTo::Switch).unwrap());
    assert_eq!((show(&t, 1), entries_of(&t, 1)), before);
    assert_eq!(
        logged::show(&t.store, out.logged_segment_entry_no)
            .unwrap()
            .logged,
        l_before
    );
}

#[test]
fn switching_several_takes_the_opposite_of_the_first_selected() {
    let (t, _) = two_campaign_entries();
    set(&t, &[2], CancelTo::Set(true)).unwrap();
    assert!(
        set(&t, &[1, 2], CancelTo::Switch).unwrap(),
        "1 was not canceled"
    );
    assert_eq!(
        (show(&t, 1).entry.canceled, show(&t, 2).entry.canceled),
        (true, true)
    );
    assert!(!set(&t, &[2, 1], CancelTo::Switch).unwrap());
    assert_eq!(
        (show(&t, 1).entry.canceled, show(&t, 2).entry.canceled),
        (false, false)
    );
    assert_eq!(canceled_flags(&t, 1), vec![false; 3]);
}

#[test]
fn setting_a_state_does_not_depend_on_the_current_one() {
    let (t, _) = two_campaign_entries();
    for _ in 0..2 {
        assert!(set(&t, &[2], CancelTo::Set(true)).unwrap());
        assert_eq!(canceled_flags(&t, 2), vec![true, true]);
    }
    // Setting "not canceled" also reaches an interaction canceled on its own (BC's
    // SetCanceledCheckmark modifies all of them).
    set(&t, &[2], CancelTo::Set(false)).unwrap();
    interactions::switch_canceled(&t.store, &[EntryNo(4)]).unwrap();
    assert_eq!(canceled_flags(&t, 2), vec![true, false]);
    let r = campaign_entries::set_canceled(&t.store, &[ce(2)], CancelTo::Set(false)).unwrap();
    assert_eq!((r.entries, r.entries_changed), (2, 1));
    assert_eq!(canceled_flags(&t, 2), vec![false, false]);
    assert_consistent(&t);
}

#[test]
fn an_interaction_cannot_be_uncanceled_while_its_campaign_entry_is_canceled() {
    // BC: Interaction Log Entry.SetCanceledCheckmark — CampaignEntry.TestField(Canceled, false).
    let (t, _) = two_campaign_entries();
    set(&t, &[2], CancelTo::Set(true)).unwrap();
    let err = interactions::switch_canceled(&t.store, &[EntryNo(4)]).unwrap_err();
    assert!(
        matches!(err, OpError::CannotUncancel { entry: EntryNo(4), ref reason } if reason.contains("campaign entry 2")),
        "{err:?}"
    );
    assert_eq!(canceled_flags(&t, 2), vec![true, true]);
}

#[test]
fn a_campaign_entry_cannot_be_uncanceled_while_its_logged_segment_is_canceled() {
    let (t, out) = two_campaign_entries();
    let l = out.logged_segment_entry_no;
    logged::switch_canceled(&t.store, l).unwrap();
    assert!(
        show(&t, 1).entry.canceled,
        "the logged segment's cascade reached it"
    );
    set(&t, &[2], CancelTo::Set(true)).unwrap();
    let before = (
        show(&t, 1),
        show(&t, 2),
        interactions::list(&t.store, &EntryFilter::default()).unwrap(),
    );

    for (to, nos) in [
        (CancelTo::Switch, [ce(1), ce(2)]),
        (CancelTo::Set(false), [ce(2), ce(1)]),
    ] {
        let err = campaign_entries::set_canceled(&t.store, &nos, to).unwrap_err();
        match &err {
            OpError::CampaignEntryOfCanceledLoggedSegment {
                campaign_entry,
                logged,
            } => {
                assert_eq!((*campaign_entry, *logged), (ce(1), l));
                assert!(
                    err.to_string().contains("logged-segment cancel 1"),
                    "the fix: {err}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        (
            show(&t, 1),
            show(&t, 2),
            interactions::list(&t.store, &EntryFilter::default()).unwrap()
        ),
        before,
        "nothing was written, not even for campaign entry 2"
    );
    // Un-cancelling the logged segment brings its campaign entry back.
    logged::switch_canceled(&t.store, l).unwrap();
    assert!(!show(&t, 1).entry.canceled);
    assert_consistent(&t);
}

#[test]
fn cancelling_an_unknown_campaign_entry_is_refused_and_writes_nothing() {
    let (t, _) = two_campaign_entries();
    let before = (show(&t, 1), show(&t, 2));
    let err = set(&t, &[1, 99], CancelTo::Switch).unwrap_err();
    assert!(
        matches!(err, OpError::NotFound { what: "campaign entry", ref key } if key == "99"),
        "{err:?}"
    );
    assert_eq!((show(&t, 1), show(&t, 2)), before);
    let err = campaign_entries::set_canceled(&t.store, &[], CancelTo::Switch).unwrap_err();
    assert!(matches!(err, OpError::Missing { .. }), "{err:?}");
}

#[test]
fn the_cascade_reaches_interactions_across_many_entry_blocks() {
    const N: u64 = 10_000;
    let (t, no) = TestStore::generated(N, 5);
    let out = log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap();
    let ce_no = out.campaign_entries[0];
    // One entry canceled on its own, in the middle of a block.
    interactions::switch_canceled(&t.store, &[EntryNo(5_000)]).unwrap();
    let r = campaign_entries::set_canceled(&t.store, &[ce_no], CancelTo::Switch).unwrap();
    assert_eq!((r.entries, r.entries_changed), (N, N - 1));
    let v = campaign_entries::show(&t.store, ce_no).unwrap();
    assert_eq!((v.entry.canceled, v.no_of_interactions), (true, N));
    let l = logged::show(&t.store, out.logged_segment_entry_no).unwrap();
    assert_eq!(l.logged.canceled_entries, N);
    assert_consistent(&t);
}

// ---------------------------------------------------------------------------------------------
// Delete Campaign Entries (report 5189)

#[test]
fn deleting_canceled_campaign_entries_deletes_their_interactions_too() {
    let (t, out) = two_campaign_entries();
    let l = out.logged_segment_entry_no;
    set(&t, &[1], CancelTo::Set(true)).unwrap();
    let kept = entries_of(&t, 2);

    let r = campaign_entries::delete_canceled(&t.store, &CampaignEntryFilter::default(), false)
        .unwrap();
    assert_eq!((r.campaign_entries_deleted, r.entries_deleted), (1, 3));
    assert_eq!(r.deleted_campaign_entry_nos, vec![ce(1)]);
    assert_eq!(
        r.deleted_entry_nos,
        vec![EntryNo(1), EntryNo(2), EntryNo(3)]
    );

    let err = campaign_entries::show(&t.store, ce(1)).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "campaign entry",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        interactions::list(&t.store, &EntryFilter::default()).unwrap(),
        kept
    );
    assert!(t
        .store
        .contact_entries(&contact("CT100124"))
        .unwrap()
        .is_empty());
    assert!(t
        .store
        .contact_entry_nos(&contact("CT100124"))
        .unwrap()
        .is_empty());
    // The logged segment lost its entries and no longer names the campaign entry.
    let v = logged::show(&t.store, l).unwrap();
    assert_eq!((v.logged.entries, v.logged.canceled_entries), (0, 0));
    assert!(v.logged.campaign_entries.is_empty());
    assert_consistent(&t);
}

#[test]
fn deleting_canceled_campaign_entries_leaves_the_not_canceled_ones_alone() {
    let (t, _) = two_campaign_entries();
    // An interaction canceled on its own does not make its campaign entry canceled.
    interactions::switch_canceled(&t.store, &[EntryNo(4)]).unwrap();
    let before = (
        campaign_entries::list(&t.store, &CampaignEntryFilter::default()).unwrap(),
        interactions::list(&t.store, &EntryFilter::default()).unwrap(),
    );
    let r = campaign_entries::delete_canceled(&t.store, &CampaignEntryFilter::default(), false)
        .unwrap();
    assert_eq!((r.campaign_entries_deleted, r.entries_deleted), (0, 0));
    assert_eq!(
        (
            campaign_entries::list(&t.store, &CampaignEntryFilter::default()).unwrap(),
            interactions::list(&t.store, &EntryFilter::default()).unwrap()
        ),
        before
    );
}

#[test]
fn deleting_canceled_campaign_entries_takes_bcs_request_filters_and_a_dry_run() {
    let (t, _) = two_campaign_entries();
    set(&t, &[1, 2], CancelTo::Set(true)).unwrap();
    let would = |f: CampaignEntryFilter| {
        let r = campaign_entries::delete_canceled(&t.store, &f, true).unwrap();
        assert!(r.dry_run);
        (
            r.deleted_campaign_entry_nos
                .iter()
                .map(|c| c.0)
                .collect::<Vec<_>>(),
            r.deleted_entry_nos.iter().map(|e| e.0).collect::<Vec<_>>(),
        )
    };
    let f = CampaignEntryFilter::default;
    assert_eq!(would(f()), (vec![1, 2], vec![1, 2, 3, 4, 5]));
    assert_eq!(
        would(CampaignEntryFilter {
            campaign: Some(campaign("CP1002")),
            ..f()
        }),
        (vec![2], vec![4, 5])
    );
    assert_eq!(
        would(CampaignEntryFilter {
            entry_nos: Some(NumberFilter::parse("entry", "1").unwrap()),
            ..f()
        }),
        (vec![1], vec![1, 2, 3])
    );
    assert_eq!(
        would(CampaignEntryFilter {
            salesperson: Some(sp("JO")),
            ..f()
        }),
        (vec![], vec![])
    );
    assert_eq!(
        would(CampaignEntryFilter {
            date: DateFilter::parse("date", "2025-03-14").unwrap(),
            ..f()
        }),
        (vec![1, 2], vec![1, 2, 3, 4, 5])
    );
    assert_eq!(
        master::list_campaign_entries(&t.store).unwrap().len(),
        2,
        "dry runs wrote nothing"
    );
    assert_eq!(
        interactions::list(&t.store, &EntryFilter::default())
            .unwrap()
            .len(),
        5
    );
}

// ---------------------------------------------------------------------------------------------
// Statistics per campaign (table Campaign: Cost (LCY), Duration (Min.) without canceled and
// postponed interactions)

#[test]
fn campaign_statistics_leave_out_whatever_is_canceled() {
    let (t, _) = two_campaign_entries();
    call(&t, "CT100147", "CP1003");
    interactions::switch_canceled(&t.store, &[EntryNo(6)]).unwrap();
    interactions::switch_canceled(&t.store, &[EntryNo(2)]).unwrap();
    set(&t, &[2], CancelTo::Set(true)).unwrap();
    let row = |c: &str, entries, n, cost: &str, min| CampaignStats {
        campaign_no: campaign(c),
        description: match c {
            "CP1001" => "Increase sale",
            "CP1002" => "Event",
            _ => "Working place arrangement",
        }
        .into(),
        campaign_entries: entries,
        interactions: n,
        cost: money(cost),
        duration_min: min,
        last_date: (n > 0).then(day),
    };
    assert_eq!(
        campaign_entries::stats(&t.store).unwrap(),
        vec![
            row("CP1001", 1, 2, "16.00", 60),
            row("CP1002", 0, 0, "0.00", 0),
            row("CP1003", 1, 0, "0.00", 0),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// verify

#[test]
fn verify_finds_an_interaction_left_not_canceled_under_a_canceled_campaign_entry() {
    let (t, _) = two_campaign_entries();
    assert_consistent(&t);
    // Cancel campaign entry 2 behind the cascade's back.
    let mut c = show(&t, 2).entry;
    c.canceled = true;
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutCampaignEntry(c));
    t.store.apply(ws).unwrap();
    let r = verify(&t.store).unwrap();
    let found: Vec<&str> = r.problems.iter().map(|p| p.detail.as_str()).collect();
    assert_eq!(
        found,
        vec![
            "entry 4 is not canceled but its campaign entry 2 is",
            "entry 5 is not canceled but its campaign entry 2 is"
        ]
    );
}

#[test]
fn verify_finds_a_canceled_logged_segment_with_a_campaign_entry_that_is_not() {
    let (t, out) = two_campaign_entries();
    logged::switch_canceled(&t.store, out.logged_segment_entry_no).unwrap();
    assert_consistent(&t);
    let mut c = show(&t, 1).entry;
    c.canceled = false;
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutCampaignEntry(c));
    t.store.apply(ws).unwrap();
    let r = verify(&t.store).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.detail == "logged segment 1 is canceled but its campaign entry 1 is not"),
        "{:#?}",
        r.problems
    );
}

// ---------------------------------------------------------------------------------------------
// Through the binary

mod through_the_binary {
    use super::common::bin::Bin;
    use super::common::json_numbers;

    /// Campaign entry 1: the spring mailing logged for three contacts (CP1001); campaign entry 2:
    /// two calls for CP1002.
    fn store() -> Bin {
        let c = Bin::demo();
        c.ok(&[
            "segment",
            "create",
            "--description",
            "Spring mailing",
            "--campaign",
            "CP1001",
        ]);
        c.ok(&["segment", "set-interaction", "SM00001", "--template", "BUS"]);
        for contact in ["CT100125", "CT100124", "CT100147"] {
            c.ok(&["segment", "add-line", "SM00001", "--contact", contact]);
        }
        c.ok(&["segment", "log", "SM00001"]);
        for contact in ["CT100239", "CT100240"] {
            c.ok(&[
                "interaction",
                "create",
                "--contact",
                contact,
                "--template",
                "OUTGOING",
                "--campaign",
                "CP1002",
            ]);
        }
        c
    }

    #[test]
    fn campaign_entry_list_and_show_give_bcs_counts() {
        let c = store();
        let list = c.json(&["campaign-entry", "list"]);
        assert_eq!(json_numbers(&list, "entry_no"), vec![1, 2]);
        assert_eq!(list[0]["no_of_interactions"], 3);
        assert_eq!(list[0]["cost"], "24.00");
        assert_eq!(list[1]["description"], "Interactions");
        assert_eq!(list[1]["no_of_interactions"], 2);
        let one = c.json(&["campaign-entry", "show", "2"]);
        assert_eq!(one["duration_min"], 30);
        assert_eq!(one["campaign_no"], "CP1002");
        let filtered = c.json(&[
            "campaign-entry",
            "list",
            "--campaign",
            "CP1002",
            "--not-canceled",
        ]);
        assert_eq!(json_numbers(&filtered, "entry_no"), vec![2]);
        let text = c.ok(&["campaign-entry", "list", "--entry", "1"]);
        assert!(
            text.contains("Spring mailing") && !text.contains("Interactions"),
            "{text}"
        );
        let err = c.fails(&["campaign-entry", "show", "9"], 1);
        assert!(err.contains("campaign entry 9 does not exist"), "{err}");
    }

    #[test]
    fn campaign_entry_cancel_switches_or_sets_and_reaches_the_interactions() {
        let c = store();
        let r = c.json(&["campaign-entry", "cancel", "2"]);
        assert_eq!(r["canceled"], true);
        assert_eq!(r["entries"], 2);
        let canceled = c.json(&["interaction", "list", "--canceled"]);
        assert_eq!(json_numbers(&canceled, "entry_no"), vec![4, 5]);
        let r = c.json(&["campaign-entry", "cancel", "2", "--canceled", "true"]);
        assert_eq!(
            (r["canceled"].clone(), r["entries_changed"].clone()),
            (true.into(), 0.into())
        );
        let text = c.ok(&["campaign-entry", "cancel", "2", "--canceled", "false"]);
        assert!(text.contains("now not canceled"), "{text}");
        assert!(c
            .json(&["interaction", "list", "--canceled"])
            .as_array()
            .unwrap()
            .is_empty());
        c.fails(&["campaign-entry", "cancel", "2", "--canceled", "maybe"], 2);
    }

    #[test]
    fn campaign_entry_cancel_refusals_exit_1_and_write_nothing() {
        let c = store();
        c.ok(&["logged-segment", "cancel", "1"]);
        let before = c.json(&["campaign-entry", "list"]);
        let err = c.fails(
            &["campaign-entry", "cancel", "2", "1", "--canceled", "false"],
            1,
        );
        assert!(err.contains("logged segment 1 is canceled"), "{err}");
        assert!(err.contains("interlog logged-segment cancel 1"), "{err}");
        let err = c.fails(&["campaign-entry", "cancel", "1", "7"], 1);
        assert!(err.contains("campaign entry 7 does not exist"), "{err}");
        assert_eq!(c.json(&["campaign-entry", "list"]), before);
    }

    #[test]
    fn cleanup_canceled_campaign_entries_with_filters_and_a_dry_run() {
        let c = store();
        c.ok(&["campaign-entry", "cancel", "1", "2", "--canceled", "true"]);
        let dry = c.json(&[
            "cleanup",
            "canceled-campaign-entries",
            "--campaign",
            "CP1002",
            "--dry-run",
        ]);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["deleted_campaign_entry_nos"], serde_json::json!([2]));
        assert_eq!(dry["deleted_entry_nos"], serde_json::json!([4, 5]));
        assert_eq!(
            c.json(&["campaign-entry", "list"])
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let r = c.json(&[
            "cleanup",
            "canceled-campaign-entries",
            "--entry",
            "1",
            "--date",
            "2025-03-01..2025-03-31",
            "--salesperson",
            "HR",
        ]);
        assert_eq!(
            r["deleted_campaign_entry_nos"],
            serde_json::json!([]),
            "CE 1 has no salesperson"
        );
        let r = c.json(&["cleanup", "canceled-campaign-entries", "--entry", "1"]);
        assert_eq!(r["campaign_entries_deleted"], 1);
        assert_eq!(r["entries_deleted"], 3);
        assert_eq!(
            json_numbers(&c.json(&["campaign-entry", "list"]), "entry_no"),
            vec![2]
        );
        let v = c.ok(&["verify"]);
        assert!(v.contains("the store is consistent"), "{v}");
    }

    #[test]
    fn campaign_entry_list_takes_every_filter_and_interactions_list_by_campaign_entry() {
        let c = store();
        c.ok(&["campaign-entry", "cancel", "2"]);
        let nos = |v: serde_json::Value| json_numbers(&v, "entry_no");
        assert_eq!(
            nos(c.json(&["campaign-entry", "list", "--canceled"])),
            vec![2]
        );
        assert_eq!(
            nos(c.json(&["campaign-entry", "list", "--date", "2025-03-14"])),
            vec![1, 2]
        );
        assert_eq!(
            nos(c.json(&["campaign-entry", "list", "--date", "..2025-03-13"])),
            Vec::<u64>::new()
        );
        assert_eq!(
            nos(c.json(&["campaign-entry", "list", "--salesperson", "HR"])),
            vec![2],
            "the first call's salesperson"
        );
        assert_eq!(
            nos(c.json(&[
                "campaign-entry",
                "list",
                "--entry",
                "1..2",
                "--campaign",
                "CP1001"
            ])),
            vec![1]
        );
        let listed = c.json(&["interaction", "list", "--campaign-entry", "2"]);
        assert_eq!(json_numbers(&listed, "entry_no"), vec![4, 5]);
    }

    #[test]
    fn campaign_entry_stats_leave_out_canceled_ones() {
        let c = store();
        c.ok(&["campaign-entry", "cancel", "2"]);
        let s = c.json(&["campaign-entry", "stats"]);
        let rows = s.as_array().unwrap();
        assert_eq!(rows.len(), 3, "every campaign");
        assert_eq!(rows[0]["campaign_no"], "CP1001");
        assert_eq!(rows[0]["campaign_entries"], 1);
        assert_eq!(rows[0]["interactions"], 3);
        assert_eq!(rows[1]["campaign_entries"], 0);
        assert_eq!(rows[1]["interactions"], 0);
        let text = c.ok(&["campaign-entry", "stats"]);
        assert!(text.contains("CAMPAIGN ENTRIES"), "{text}");
    }
}
