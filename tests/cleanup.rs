//! The clean-up jobs of SPEC §2.4: deleting canceled interaction log entries, and deleting
//! canceled logged segments (which detaches their entries and campaign entries first). Both
//! leave everything that is not canceled alone.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions, LogOutcome};
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryFilter, InteractionRequest};
use interlog::ops::logged::{self, LoggedSegmentFilter, LoggedSegmentView};
use interlog::ops::master;
use interlog::ops::segments::{self, InteractionChange, NoProgress, SegmentInput};
use interlog::ops::stats::{stats, StatsBy};
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

fn log_mailing(t: &TestStore, contacts: &[&str]) -> LogOutcome {
    let no = t.spring_mailing(contacts);
    log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap()
}

fn single(t: &TestStore, c: &str) -> LogEntry {
    interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            contact: Some(contact(c)),
            template: Some(template("OUTGOING")),
            ..InteractionRequest::default()
        },
    )
    .unwrap()
    .entry
}

fn cancel(t: &TestStore, e: EntryNo) {
    let r = interactions::switch_canceled(&t.store, &[e]).unwrap();
    assert!(r.canceled);
}

fn not_canceled(t: &TestStore) -> Vec<LogEntry> {
    all_entries(t).into_iter().filter(|e| !e.canceled).collect()
}

fn nos(es: &[LogEntry]) -> Vec<u64> {
    es.iter().map(|e| e.entry_no.0).collect()
}

fn show(t: &TestStore, l: LoggedSegmentNo) -> LoggedSegmentView {
    logged::show(&t.store, l).unwrap()
}

fn history(t: &TestStore, c: &str) -> Vec<u64> {
    nos(&t.store.contact_entries(&contact(c)).unwrap())
}

fn index(t: &TestStore, c: &str) -> Vec<u64> {
    t.store
        .contact_entry_nos(&contact(c))
        .unwrap()
        .iter()
        .map(|e| e.0)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Deleting canceled entries

/// Logged segment 1 = entries 1..=3 (CT100125, CT100124, CT100147), entry 4 single for
/// CT100124, entry 5 single for CT100124; entries 2 and 4 are canceled.
fn some_canceled() -> (TestStore, LogOutcome) {
    let t = TestStore::demo();
    let out = log_mailing(&t, &["CT100125", "CT100124", "CT100147"]);
    single(&t, "CT100124");
    single(&t, "CT100124");
    cancel(&t, EntryNo(2));
    cancel(&t, EntryNo(4));
    (t, out)
}

#[test]
fn deleting_canceled_entries_removes_them_from_listings_and_lookups() {
    let (t, out) = some_canceled();
    assert_eq!(history(&t, "CT100124"), vec![2, 4, 5]);
    let kept_before = not_canceled(&t);

    let r = logged::delete_canceled_entries(&t.store).unwrap();
    assert_eq!(r.entries_deleted, 2);

    assert_eq!(nos(&all_entries(&t)), vec![1, 3, 5]);
    assert_eq!(not_canceled(&t), kept_before, "the others are untouched");
    for e in [2, 4] {
        let err = interactions::get(&t.store, EntryNo(e)).unwrap_err();
        assert!(
            matches!(
                err,
                OpError::NotFound {
                    what: "interaction log entry",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(history(&t, "CT100124"), vec![5]);
    assert_eq!(
        index(&t, "CT100124"),
        vec![5],
        "the contact index forgot them"
    );
    assert_eq!(history(&t, "CT100125"), vec![1]);
    assert_eq!(history(&t, "CT100147"), vec![3]);
    let listed = interactions::list(
        &t.store,
        &EntryFilter {
            logged_segment: Some(out.logged_segment_entry_no),
            ..EntryFilter::default()
        },
    )
    .unwrap();
    assert_eq!(nos(&listed), vec![1, 3]);
}

#[test]
fn deleting_canceled_entries_keeps_statistics_and_logged_segment_counts_right() {
    let (t, out) = some_canceled();
    let by_contact = stats(&t.store, StatsBy::Contact).unwrap();
    let by_template = stats(&t.store, StatsBy::Template).unwrap();
    let l = out.logged_segment_entry_no;
    assert_eq!(show(&t, l).no_of_interactions, 2);

    logged::delete_canceled_entries(&t.store).unwrap();

    assert_eq!(stats(&t.store, StatsBy::Contact).unwrap(), by_contact);
    assert_eq!(stats(&t.store, StatsBy::Template).unwrap(), by_template);
    let v = show(&t, l);
    assert_eq!(v.no_of_interactions, 2);
    assert_eq!(v.no_of_campaign_entries, 1);
    // The logged segment still behaves: cancelling it now counts the two that are left.
    let v = logged::switch_canceled(&t.store, l).unwrap();
    assert_eq!((v.logged.canceled, v.no_of_interactions), (true, 2));
}

#[test]
fn deleting_the_entries_of_a_canceled_logged_segment_leaves_it_with_none() {
    let t = TestStore::demo();
    let a = log_mailing(&t, &["CT100125", "CT100124", "CT100147"]);
    let b = log_mailing(&t, &["CT100129", "CT100143"]);
    logged::switch_canceled(&t.store, a.logged_segment_entry_no).unwrap();
    let b_entries = interactions::list(
        &t.store,
        &EntryFilter {
            logged_segment: Some(b.logged_segment_entry_no),
            ..EntryFilter::default()
        },
    )
    .unwrap();

    let r = logged::delete_canceled_entries(&t.store).unwrap();
    assert_eq!(r.entries_deleted, 3);
    assert_eq!(r.logged_segments_deleted, 0, "that is the other job");

    assert_eq!(all_entries(&t), b_entries);
    let v = show(&t, a.logged_segment_entry_no);
    assert!(v.logged.canceled);
    assert_eq!(v.no_of_interactions, 0);
    assert_eq!(
        v.no_of_campaign_entries, 1,
        "campaign entries are not entries"
    );
    assert!(history(&t, "CT100125").is_empty());
    assert!(index(&t, "CT100125").is_empty());
    assert_eq!(history(&t, "CT100129"), vec![4]);
    assert_eq!(
        show(&t, b.logged_segment_entry_no).no_of_interactions,
        2,
        "untouched"
    );
}

#[test]
fn entry_numbers_are_never_reused_after_deleting_canceled_entries() {
    let (t, _) = some_canceled();
    let horizon = t.store.entry_horizon().unwrap();
    logged::delete_canceled_entries(&t.store).unwrap();
    assert_eq!(t.store.entry_horizon().unwrap(), horizon);
    assert_eq!(single(&t, "CT100124").entry_no, EntryNo(6));
    let out = log_mailing(&t, &["CT100124"]);
    assert_eq!(out.first_entry_no, EntryNo(7));
    assert_eq!(history(&t, "CT100124"), vec![5, 6, 7]);
}

#[test]
fn deleting_canceled_entries_twice_deletes_nothing_the_second_time() {
    let (t, _) = some_canceled();
    logged::delete_canceled_entries(&t.store).unwrap();
    let before = all_entries(&t);
    let r = logged::delete_canceled_entries(&t.store).unwrap();
    assert_eq!(r.entries_deleted, 0);
    assert_eq!(all_entries(&t), before);
}

#[test]
fn deleting_canceled_entries_survives_reopening_the_store() {
    let (t, _) = some_canceled();
    logged::delete_canceled_entries(&t.store).unwrap();
    let t = t.reopen();
    assert!(t.store.recovery().is_clean(), "{:?}", t.store.recovery());
    assert_eq!(nos(&all_entries(&t)), vec![1, 3, 5]);
    assert_eq!(history(&t, "CT100124"), vec![5]);
}

// ---------------------------------------------------------------------------------------------
// Deleting canceled logged segments

#[test]
fn deleting_canceled_logged_segments_detaches_their_entries_and_campaign_entries() {
    let t = TestStore::demo();
    let a = log_mailing(&t, &["CT100125", "CT100124", "CT100147"]);
    let b = log_mailing(&t, &["CT100129", "CT100143"]);
    let (la, lb) = (a.logged_segment_entry_no, b.logged_segment_entry_no);
    // Edits made after logging travel with a detached entry.
    interactions::edit(
        &t.store,
        &t.ctx,
        EntryNo(2),
        &interactions::EntryEdit {
            evaluation: Some(Evaluation::Negative),
            comments: vec!["Called back, not interested".into()],
            ..interactions::EntryEdit::default()
        },
    )
    .unwrap();
    logged::switch_canceled(&t.store, la).unwrap();
    let before = all_entries(&t);
    assert_eq!(before[1].comments.len(), 1);
    let b_view = show(&t, lb);
    let ces_before = master::list_campaign_entries(&t.store).unwrap();

    let r = logged::delete_canceled_logged_segments(&t.store).unwrap();
    assert_eq!(r.logged_segments_deleted, 1);
    assert_eq!(r.entries_detached, 3);
    assert_eq!(r.campaign_entries_detached, 1);

    // The logged segment is gone …
    let err = logged::show(&t.store, la).unwrap_err();
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
    let left: Vec<LoggedSegmentNo> = logged::list(&t.store)
        .unwrap()
        .iter()
        .map(|v| v.logged.entry_no)
        .collect();
    assert_eq!(left, vec![lb]);
    // … its entries stay, detached, still canceled, with everything else as it was.
    let after = all_entries(&t);
    assert_eq!(after.len(), before.len());
    for (b4, now) in before.iter().zip(&after) {
        if b4.logged_segment_entry_no == Some(la) {
            assert_eq!(now.logged_segment_entry_no, None);
            assert!(now.canceled);
            let expected = LogEntry {
                logged_segment_entry_no: None,
                ..b4.clone()
            };
            assert_eq!(now, &expected);
        } else {
            assert_eq!(now, b4, "not canceled: untouched");
        }
    }
    // … and so do its campaign entries.
    let ces_after = master::list_campaign_entries(&t.store).unwrap();
    assert_eq!(ces_after.len(), ces_before.len());
    for (b4, now) in ces_before.iter().zip(&ces_after) {
        if b4.logged_segment_entry_no == Some(la) {
            let expected = CampaignEntry {
                logged_segment_entry_no: None,
                ..b4.clone()
            };
            assert_eq!(now, &expected);
        } else {
            assert_eq!(now, b4);
        }
    }
    // The other logged segment is as it was.
    let b_now = show(&t, lb);
    assert_eq!(b_now.logged, b_view.logged);
    assert_eq!(b_now.no_of_interactions, 2);
    // The detached entries are still in the contact history.
    assert_eq!(history(&t, "CT100125"), vec![1]);
}

#[test]
fn deleting_canceled_logged_segments_leaves_not_canceled_ones_alone() {
    let t = TestStore::demo();
    let a = log_mailing(&t, &["CT100125", "CT100124"]);
    // One entry canceled on its own does not make the logged segment canceled.
    cancel(&t, a.first_entry_no);
    let before = (all_entries(&t), show(&t, a.logged_segment_entry_no).logged);
    let r = logged::delete_canceled_logged_segments(&t.store).unwrap();
    assert_eq!(r.logged_segments_deleted, 0);
    assert_eq!(r.entries_detached, 0);
    assert_eq!(
        (all_entries(&t), show(&t, a.logged_segment_entry_no).logged),
        before
    );
}

#[test]
fn the_two_jobs_together_remove_a_canceled_logged_segment_and_its_entries() {
    let t = TestStore::demo();
    let a = log_mailing(&t, &["CT100125", "CT100124"]);
    let keep = single(&t, "CT100125");
    logged::switch_canceled(&t.store, a.logged_segment_entry_no).unwrap();
    logged::delete_canceled_logged_segments(&t.store).unwrap();
    let r = logged::delete_canceled_entries(&t.store).unwrap();
    assert_eq!(r.entries_deleted, 2);
    assert_eq!(all_entries(&t), vec![keep.clone()]);
    assert_eq!(history(&t, "CT100125"), vec![keep.entry_no.0]);
    assert_eq!(index(&t, "CT100124"), Vec::<u64>::new());
    assert!(logged::list(&t.store).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Across many entry blocks

#[test]
fn the_clean_up_jobs_work_across_many_entry_blocks_and_index_runs() {
    use interlog::datagen::{self, generate, GenOptions};
    use interlog::domain::filter::FieldFilter;
    const N: u64 = 10_000;
    let t = TestStore::new();
    let report = generate(
        &t.store,
        &t.ctx,
        GenOptions {
            contacts: N,
            segment_size: N,
            seed: 11,
        },
        &NoProgress,
    )
    .unwrap();
    let first = log_segment(
        &t.store,
        &t.ctx,
        &report.segment_no.unwrap(),
        LogOptions::default(),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        (first.first_entry_no, first.last_entry_no),
        (EntryNo(1), EntryNo(N))
    );
    // A second logged segment with the first 100 contacts again (entries N+1 ..= N+100).
    let again = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Again".into(),
            ..SegmentInput::default()
        },
    )
    .unwrap()
    .record
    .no;
    segments::set_interaction(
        &t.store,
        &again,
        &InteractionChange {
            template: Some(report.template.clone()),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap();
    let f = FieldFilter::parse(&format!(
        "No.={}..{}",
        datagen::contact_no(0),
        datagen::contact_no(99)
    ))
    .unwrap();
    segments::add_contacts(
        &t.store,
        &again,
        &[f],
        CriteriaOptions {
            ignore_exclusion: true,
            ..CriteriaOptions::default()
        },
        &NoProgress,
    )
    .unwrap();
    let second = log_segment(&t.store, &t.ctx, &again, LogOptions::default(), &NoProgress).unwrap();
    assert_eq!(second.first_entry_no, EntryNo(N + 1));

    // Cancel entries at the start, around block edges, in the middle and at the end.
    let canceled: Vec<u64> = vec![1, 2, 4_095, 4_096, 4_097, 5_000, 8_192, 8_193, N - 1, N];
    let selection: Vec<EntryNo> = canceled.iter().map(|&n| EntryNo(n)).collect();
    interactions::switch_canceled(&t.store, &selection).unwrap();
    assert_eq!(
        show(&t, first.logged_segment_entry_no).no_of_interactions,
        N - canceled.len() as u64
    );

    let r = logged::delete_canceled_entries(&t.store).unwrap();
    assert_eq!(r.entries_deleted, canceled.len() as u64);

    let mut count = 0u64;
    interactions::for_each(&t.store, &EntryFilter::default(), |e| {
        assert!(!canceled.contains(&e.entry_no.0), "{}", e.entry_no);
        count += 1;
        Ok(true)
    })
    .unwrap();
    assert_eq!(count, N + 100 - canceled.len() as u64);
    for &n in &canceled {
        assert!(interactions::get(&t.store, EntryNo(n)).is_err(), "{n}");
        // Contact i had entry i + 1, and (for i < 100) entry N + 1 + i of the second run.
        let c = datagen::contact_no(n - 1);
        let expected: Vec<u64> = if n <= 100 { vec![N + n] } else { vec![] };
        assert_eq!(nos(&t.store.contact_entries(&c).unwrap()), expected, "{c}");
    }
    for n in [3, 100, 4_094, 4_098, 8_191, 8_194, N - 2] {
        let c = datagen::contact_no(n - 1);
        let mut expected = vec![n];
        if n <= 100 {
            expected.push(N + n);
        }
        assert_eq!(nos(&t.store.contact_entries(&c).unwrap()), expected, "{c}");
        assert_eq!(
            interactions::get(&t.store, EntryNo(n)).unwrap().contact_no,
            c
        );
    }
    let v = show(&t, first.logged_segment_entry_no);
    assert_eq!(v.no_of_interactions, N - canceled.len() as u64);

    // Now cancel the whole first logged segment and delete it: its remaining entries are
    // detached, and the second logged segment is untouched.
    logged::switch_canceled(&t.store, first.logged_segment_entry_no).unwrap();
    let r = logged::delete_canceled_logged_segments(&t.store).unwrap();
    assert_eq!(r.entries_detached, N - canceled.len() as u64);
    let mut detached = 0u64;
    interactions::for_each(&t.store, &EntryFilter::default(), |e| {
        if e.entry_no.0 <= N {
            assert_eq!(e.logged_segment_entry_no, None);
            assert!(e.canceled);
            detached += 1;
        } else {
            assert_eq!(
                e.logged_segment_entry_no,
                Some(second.logged_segment_entry_no)
            );
            assert!(!e.canceled);
        }
        Ok(true)
    })
    .unwrap();
    assert_eq!(detached, N - canceled.len() as u64);
    assert_eq!(
        nos(&t
            .store
            .contact_entries(&datagen::contact_no(N / 2))
            .unwrap()),
        vec![N / 2 + 1],
        "detached entries stay in the contact history"
    );
    assert_eq!(
        show(&t, second.logged_segment_entry_no).no_of_interactions,
        100
    );
}

#[test]
fn the_contact_index_forgets_deleted_entries_of_a_deleted_logged_segment_after_earlier_clean_ups() {
    let t = TestStore::demo();
    let cs = [
        "CT100125", "CT100124", "CT100147", "CT100134", "CT100142", "CT100126", "CT100127",
        "CT100129",
    ];
    let out = log_mailing(&t, &cs);
    let l = out.logged_segment_entry_no;
    // First clean-up: the first four entries, canceled one by one.
    let firsts: Vec<EntryNo> = (1..=4).map(EntryNo).collect();
    interactions::switch_canceled(&t.store, &firsts).unwrap();
    assert_eq!(
        logged::delete_canceled_entries(&t.store)
            .unwrap()
            .entries_deleted,
        4
    );
    // Then the whole logged segment is canceled, deleted, and its entries deleted.
    logged::switch_canceled(&t.store, l).unwrap();
    logged::delete_canceled_logged_segments(&t.store).unwrap();
    assert_eq!(
        logged::delete_canceled_entries(&t.store)
            .unwrap()
            .entries_deleted,
        4
    );
    assert!(all_entries(&t).is_empty());
    for c in cs {
        assert!(history(&t, c).is_empty(), "{c}");
        assert!(index(&t, c).is_empty(), "{c}: {:?}", index(&t, c));
    }
}

// ---------------------------------------------------------------------------------------------
// Request filters and dry runs. BC's *Delete Interaction Log Entries* (report 5190) deletes the
// canceled entries within the filters of its request page (Entry No., Contact No., Date,
// Campaign No., Interaction Group Code, Interaction Template Code, Salesperson Code); *Delete
// Logged Segments* (report 5191) takes Entry No. and Segment No.

fn single_on(t: &TestStore, c: &str, on: &str, campaign_no: Option<&str>) -> LogEntry {
    interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            contact: Some(contact(c)),
            template: Some(template("OUTGOING")),
            date: Some(date(on)),
            campaign: campaign_no.map(campaign),
            ..InteractionRequest::default()
        },
    )
    .unwrap()
    .entry
}

/// Entries 1..=4 canceled: 1 CT100124 on 03-01, 2 CT100125 on 03-10 for campaign CP1002,
/// 3 CT100124 on 03-14, 4 CT100147 on 03-14; entry 5 (CT100124, 03-01) is not canceled.
fn canceled_on_several_days() -> TestStore {
    let t = TestStore::demo();
    single_on(&t, "CT100124", "2025-03-01", None);
    single_on(&t, "CT100125", "2025-03-10", Some("CP1002"));
    single_on(&t, "CT100124", "2025-03-14", None);
    single_on(&t, "CT100147", "2025-03-14", None);
    single_on(&t, "CT100124", "2025-03-01", None);
    interactions::switch_canceled(&t.store, &[EntryNo(1), EntryNo(2), EntryNo(3), EntryNo(4)])
        .unwrap();
    t
}

fn would_delete(t: &TestStore, f: EntryFilter) -> Vec<u64> {
    let r = logged::delete_canceled_entries_where(&t.store, &f, true).unwrap();
    assert!(r.dry_run);
    assert_eq!(r.entries_deleted, r.deleted_entry_nos.len() as u64);
    r.deleted_entry_nos.iter().map(|e| e.0).collect()
}

#[test]
fn deleting_canceled_entries_takes_the_filters_of_bcs_request_page() {
    let t = canceled_on_several_days();
    let f = EntryFilter::default;
    assert_eq!(would_delete(&t, f()), vec![1, 2, 3, 4], "canceled only");
    assert_eq!(
        would_delete(
            &t,
            EntryFilter {
                entry_nos: Some(NumberFilter::parse("entry", "2..3|9").unwrap()),
                ..f()
            }
        ),
        vec![2, 3]
    );
    assert_eq!(
        would_delete(
            &t,
            EntryFilter {
                contact: Some(contact("CT100124")),
                ..f()
            }
        ),
        vec![1, 3],
        "entry 5 is CT100124's too, but not canceled"
    );
    assert_eq!(
        would_delete(
            &t,
            EntryFilter {
                from_date: Some(date("2025-03-01")),
                to_date: Some(date("2025-03-10")),
                ..f()
            }
        ),
        vec![1, 2]
    );
    assert_eq!(
        would_delete(
            &t,
            EntryFilter {
                campaign: Some(campaign("CP1002")),
                ..f()
            }
        ),
        vec![2]
    );
    assert_eq!(
        would_delete(
            &t,
            EntryFilter {
                group: Some(GroupCode::new("PHONE").unwrap()),
                ..f()
            }
        ),
        vec![1, 2, 3, 4],
        "OUTGOING is a PHONE template"
    );
    assert_eq!(
        would_delete(
            &t,
            EntryFilter {
                canceled: Some(false),
                ..f()
            }
        ),
        vec![1, 2, 3, 4],
        "the canceled field of the filter is not the job's to change"
    );
}

#[test]
fn deleting_canceled_entries_within_filters_leaves_the_rest_alone() {
    let t = canceled_on_several_days();
    let before = all_entries(&t);
    let r = logged::delete_canceled_entries_where(
        &t.store,
        &EntryFilter {
            contact: Some(contact("CT100124")),
            to_date: Some(date("2025-03-10")),
            ..EntryFilter::default()
        },
        false,
    )
    .unwrap();
    assert!(!r.dry_run);
    assert_eq!(r.deleted_entry_nos, vec![EntryNo(1)]);
    let expected: Vec<LogEntry> = before.into_iter().filter(|e| e.entry_no.0 != 1).collect();
    assert_eq!(all_entries(&t), expected);
    assert_eq!(history(&t, "CT100124"), vec![3, 5]);
    assert_eq!(index(&t, "CT100124"), vec![3, 5]);
}

#[test]
fn a_dry_run_writes_nothing_and_names_what_would_go() {
    let (t, out) = some_canceled();
    let before = (
        all_entries(&t),
        index(&t, "CT100124"),
        show(&t, out.logged_segment_entry_no).logged,
    );
    let dry =
        logged::delete_canceled_entries_where(&t.store, &EntryFilter::default(), true).unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.entries_deleted, 2);
    assert_eq!(dry.deleted_entry_nos, vec![EntryNo(2), EntryNo(4)]);
    assert_eq!(
        (
            all_entries(&t),
            index(&t, "CT100124"),
            show(&t, out.logged_segment_entry_no).logged
        ),
        before
    );
    // The real run deletes exactly what the dry run named.
    let real = logged::delete_canceled_entries(&t.store).unwrap();
    assert_eq!(real.deleted_entry_nos, dry.deleted_entry_nos);
    assert!(!real.dry_run);
}

#[test]
fn deleting_canceled_logged_segments_takes_entry_no_and_segment_no_filters() {
    let t = TestStore::demo();
    let outs: Vec<LogOutcome> = [["CT100125"], ["CT100124"], ["CT100147"]]
        .iter()
        .map(|c| log_mailing(&t, c))
        .collect();
    for o in &outs {
        logged::switch_canceled(&t.store, o.logged_segment_entry_no).unwrap();
    }
    let segment_of_2 = show(&t, LoggedSegmentNo(2)).logged.segment_no;
    let dry = logged::delete_canceled_logged_segments_where(
        &t.store,
        &LoggedSegmentFilter {
            entry_nos: Some(NumberFilter::parse("entry", "1|3").unwrap()),
            ..LoggedSegmentFilter::default()
        },
        true,
    )
    .unwrap();
    assert_eq!((dry.logged_segments_deleted, dry.entries_detached), (2, 2));
    assert_eq!(
        dry.deleted_logged_segment_nos,
        vec![LoggedSegmentNo(1), LoggedSegmentNo(3)]
    );
    assert_eq!(
        logged::list(&t.store).unwrap().len(),
        3,
        "a dry run writes nothing"
    );
    assert!(all_entries(&t)
        .iter()
        .all(|e| e.logged_segment_entry_no.is_some()));

    let r = logged::delete_canceled_logged_segments_where(
        &t.store,
        &LoggedSegmentFilter {
            segment: Some(segment_of_2),
            ..LoggedSegmentFilter::default()
        },
        false,
    )
    .unwrap();
    assert_eq!(r.deleted_logged_segment_nos, vec![LoggedSegmentNo(2)]);
    let left: Vec<LoggedSegmentNo> = logged::list(&t.store)
        .unwrap()
        .iter()
        .map(|v| v.logged.entry_no)
        .collect();
    assert_eq!(left, vec![LoggedSegmentNo(1), LoggedSegmentNo(3)]);
    assert_eq!(
        interactions::get(&t.store, EntryNo(2))
            .unwrap()
            .logged_segment_entry_no,
        None
    );
}

// ---------------------------------------------------------------------------------------------
// The same through the binary.

mod through_the_binary {
    use super::common::bin::Bin;
    use super::common::json_numbers;
    use serde_json::Value;

    fn nos(v: &Value) -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    }

    /// Entries 1..=4 as in `canceled_on_several_days`, made and canceled with the CLI.
    fn store() -> Bin {
        let c = Bin::demo();
        for (contact, day, campaign) in [
            ("CT100124", "2025-03-01", None),
            ("CT100125", "2025-03-10", Some("CP1002")),
            ("CT100124", "2025-03-14", None),
            ("CT100147", "2025-03-14", None),
            ("CT100124", "2025-03-01", None),
        ] {
            let mut args = vec![
                "--work-date",
                day,
                "interaction",
                "create",
                "--contact",
                contact,
                "--template",
                "OUTGOING",
            ];
            if let Some(cp) = campaign {
                args.extend(["--campaign", cp]);
            }
            c.ok(&args);
        }
        c.ok(&["interaction", "cancel", "1", "2", "3", "4"]);
        c
    }

    #[test]
    fn cleanup_canceled_entries_dry_run_names_the_entries_and_writes_nothing() {
        let c = store();
        let dry = c.json(&["cleanup", "canceled-entries", "--dry-run"]);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["entries_deleted"], 4);
        assert_eq!(nos(&dry["deleted_entry_nos"]), vec![1, 2, 3, 4]);
        let text = c.ok(&["cleanup", "canceled-entries", "--dry-run"]);
        assert!(
            text.lines()
                .any(|l| l.starts_with("entries would be deleted:") && l.ends_with(" 4")),
            "{text}"
        );
        assert!(text.contains("nothing was written"), "{text}");
        assert_eq!(
            json_numbers(&c.json(&["interaction", "list"]), "entry_no"),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn cleanup_canceled_entries_takes_entry_contact_date_and_campaign_filters() {
        let c = store();
        let dry = |v: Value| nos(&v["deleted_entry_nos"]);
        let json = |a: &[&str]| c.json(a);
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--entry",
                "2..3|9"
            ])),
            vec![2, 3]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--contact",
                "CT100124"
            ])),
            vec![1, 3]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--date",
                "2025-03-01..2025-03-10"
            ])),
            vec![1, 2]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--date",
                "2025-03-14"
            ])),
            vec![3, 4]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--campaign",
                "CP1002"
            ])),
            vec![2]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--group",
                "PHONE",
                "--to",
                "2025-03-10"
            ])),
            vec![1, 2]
        );
        // `interaction list` and `export entries` take the same filters and show the same
        // entries.
        let listed = c.json(&[
            "interaction",
            "list",
            "--canceled",
            "--entry",
            "2..3|9",
            "--date",
            "2025-03-01..",
        ]);
        assert_eq!(json_numbers(&listed, "entry_no"), vec![2, 3]);
        let listed = c.json(&[
            "interaction",
            "list",
            "--group",
            "PHONE",
            "--campaign-entry",
            "1",
        ]);
        assert_eq!(json_numbers(&listed, "entry_no"), vec![2]);
        let exported = c.ok(&[
            "export",
            "entries",
            "--format",
            "json",
            "--entry",
            "1..3",
            "--date",
            "2025-03-01..2025-03-10",
            "--group",
            "PHONE",
            "--campaign-entry",
            "1",
        ]);
        let exported: Value = serde_json::from_str(&exported).unwrap();
        assert_eq!(json_numbers(&exported, "entry_no"), vec![2]);

        let r = c.json(&[
            "cleanup",
            "canceled-entries",
            "--contact",
            "CT100124",
            "--date",
            "..2025-03-10",
        ]);
        assert_eq!(
            (r["dry_run"].clone(), nos(&r["deleted_entry_nos"])),
            (Value::Bool(false), vec![1])
        );
        assert_eq!(
            json_numbers(&c.json(&["interaction", "list"]), "entry_no"),
            vec![2, 3, 4, 5]
        );
    }

    #[test]
    fn cleanup_canceled_entries_takes_the_other_entry_filters_too() {
        let c = store();
        // A logged mailing of one contact, canceled: entry 6, segment SM00001, logged segment 1.
        c.ok(&[
            "segment",
            "create",
            "--description",
            "Mailing",
            "--campaign",
            "CP1001",
        ]);
        c.ok(&["segment", "set-interaction", "SM00001", "--template", "BUS"]);
        c.ok(&["segment", "add-line", "SM00001", "--contact", "CT100125"]);
        c.ok(&["segment", "log", "SM00001"]);
        c.ok(&["logged-segment", "cancel", "1"]);
        let dry = |v: Value| nos(&v["deleted_entry_nos"]);
        let json = |a: &[&str]| c.json(a);
        assert_eq!(
            dry(json(&["cleanup", "canceled-entries", "--dry-run"])),
            vec![1, 2, 3, 4, 6]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--template",
                "BUS"
            ])),
            vec![6]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--segment",
                "SM00001"
            ])),
            vec![6]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--logged-segment",
                "1"
            ])),
            vec![6]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--campaign-entry",
                "2"
            ])),
            vec![6],
            "CP1002's calls have campaign entry 1"
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--campaign-entry",
                "1"
            ])),
            vec![2]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--salesperson",
                "LT"
            ])),
            vec![1, 3, 4]
        );
        assert_eq!(
            dry(json(&[
                "cleanup",
                "canceled-entries",
                "--dry-run",
                "--from",
                "2025-03-10"
            ])),
            vec![2, 3, 4, 6]
        );
    }

    #[test]
    fn bad_cleanup_filters_are_refused_before_anything_is_written() {
        let c = store();
        let err = c.fails(&["cleanup", "canceled-entries", "--entry", "1..x"], 2);
        assert!(err.contains("1..100|205"), "the fix is shown: {err}");
        let err = c.fails(&["cleanup", "canceled-entries", "--date", "14.03.2025"], 2);
        assert!(err.contains("YYYY-MM-DD"), "{err}");
        c.fails(
            &[
                "cleanup",
                "canceled-entries",
                "--date",
                "2025-03-14",
                "--from",
                "2025-03-01",
            ],
            2,
        );
        assert_eq!(
            json_numbers(&c.json(&["interaction", "list", "--canceled"]), "entry_no"),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn cleanup_canceled_logged_segments_takes_entry_and_segment_filters_and_a_dry_run() {
        let c = Bin::demo();
        for contact in ["CT100125", "CT100124"] {
            let seg = c.json(&["segment", "create", "--description", "Mailing"])["no"]
                .as_str()
                .unwrap()
                .to_string();
            c.ok(&["segment", "set-interaction", &seg, "--template", "BUS"]);
            c.ok(&["segment", "add-line", &seg, "--contact", contact]);
            c.ok(&["segment", "log", &seg]);
        }
        c.ok(&["logged-segment", "cancel", "1"]);
        c.ok(&["logged-segment", "cancel", "2"]);
        let dry = c.json(&[
            "cleanup",
            "canceled-logged-segments",
            "--entry",
            "2",
            "--dry-run",
        ]);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(nos(&dry["deleted_logged_segment_nos"]), vec![2]);
        assert_eq!(dry["entries_detached"], 1);
        assert_eq!(
            c.json(&["logged-segment", "list"])
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let seg1 = c.json(&["logged-segment", "show", "1"])["segment_no"]
            .as_str()
            .unwrap()
            .to_string();
        let r = c.json(&["cleanup", "canceled-logged-segments", "--segment", &seg1]);
        assert_eq!(nos(&r["deleted_logged_segment_nos"]), vec![1]);
        let left = c.json(&["logged-segment", "list"]);
        assert_eq!(json_numbers(&left, "entry_no"), vec![2]);
    }
}
