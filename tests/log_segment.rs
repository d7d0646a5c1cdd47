//! Logging a segment (SPEC §2.7, §3): one entry per line, a campaign entry per campaign and
//! date, the logged segment record, the segment gone; every refusal writes nothing; all failing
//! lines reported at once; dry runs; contiguous entry numbers; the contact history; and the
//! determinism of the parallel build.

mod common;

use common::*;
use interlog::batch::log_segment::{plan_only, Built};
use interlog::batch::{log_segment, LogOptions, LogOutcome};
use interlog::datagen::{self, generate, GenOptions};
use interlog::domain::filter::FieldFilter;
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryFilter, InteractionRequest};
use interlog::ops::master::{self, ContactInput};
use interlog::ops::segments::{self, InteractionChange, LineChange, NoProgress, SegmentInput};
use interlog::ops::{logged, OpError};
use interlog::storage::TreeId;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Helpers

fn create(t: &TestStore, input: SegmentInput) -> SegmentNo {
    segments::create(&t.store, &t.ctx, &input)
        .expect("create")
        .record
        .no
}

/// A segment "Spring mailing" on template BUS with campaign CP1001 and lines for `contacts`.
fn mailing(t: &TestStore, contacts: &[&str]) -> SegmentNo {
    t.spring_mailing(contacts)
}

fn set(t: &TestStore, no: &SegmentNo, change: InteractionChange) {
    segments::set_interaction(&t.store, no, &change, &NoProgress).expect("set interaction");
}

fn set_line(t: &TestStore, no: &SegmentNo, line_no: u64, change: LineChange) {
    segments::set_line(&t.store, no, line_no, &change).expect("set line");
}

fn log(t: &TestStore, no: &SegmentNo) -> LogOutcome {
    log_segment(&t.store, &t.ctx, no, LogOptions::default(), &NoProgress).expect("log segment")
}

fn try_log(t: &TestStore, no: &SegmentNo, opts: LogOptions) -> Result<LogOutcome, OpError> {
    log_segment(&t.store, &t.ctx, no, opts, &NoProgress)
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
    .expect("create interaction")
    .entry
}

/// Everything logging may write, to show that a refusal wrote nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    horizon: EntryNo,
    entries: Vec<LogEntry>,
    segments: Vec<(SegmentHeader, Vec<SegmentLine>)>,
    logged: Vec<LoggedSegment>,
    campaign_entries: Vec<CampaignEntry>,
    next_segment_no: String,
}

fn snapshot(t: &TestStore) -> Snapshot {
    let segs = segments::list(&t.store).unwrap();
    Snapshot {
        horizon: t.store.entry_horizon().unwrap(),
        entries: all_entries(t),
        segments: segs
            .into_iter()
            .map(|h| {
                let ls = segments::lines(&t.store, &h).unwrap();
                (h, ls)
            })
            .collect(),
        logged: logged::list(&t.store)
            .unwrap()
            .into_iter()
            .map(|v| v.logged)
            .collect(),
        campaign_entries: master::list_campaign_entries(&t.store).unwrap(),
        next_segment_no: master::peek_series(&t.store, &t.ctx, &SeriesCode::new("SEGM").unwrap())
            .unwrap()
            .no,
    }
}

fn filters(fs: &[&str]) -> Vec<FieldFilter> {
    fs.iter().map(|f| FieldFilter::parse(f).unwrap()).collect()
}

// ---------------------------------------------------------------------------------------------
// What logging writes

#[test]
fn logging_makes_one_entry_per_line_carrying_the_lines_fields() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100125", "CT100124", "CT100134"]);
    let ls = lines(&t, &no);
    let out = log(&t, &no);
    assert!(!out.dry_run);
    assert_eq!(out.entries, 3);
    assert_eq!(out.logged_segment_entry_no, LoggedSegmentNo(1));
    let es = logged_entries(&t, out.logged_segment_entry_no);
    assert_eq!(es.len(), 3);
    for (e, l) in es.iter().zip(&ls) {
        assert_eq!(e.contact_no, l.contact_no);
        assert_eq!(e.contact_company_no, l.contact_company_no);
        assert_eq!(e.template_code, template("BUS"));
        assert_eq!(e.group_code, GroupCode::new("LETTER").unwrap());
        assert_eq!(e.description, "Spring mailing");
        assert_eq!(e.cost, money("8.00"));
        assert_eq!(e.duration_min, 30);
        assert_eq!(e.information_flow, InformationFlow::Outbound);
        assert_eq!(e.initiated_by, InitiatedBy::Us);
        assert_eq!(e.correspondence_type, CorrespondenceType::HardCopy);
        assert_eq!(Some(e.salesperson_code.clone()), l.salesperson_code);
        assert_eq!(e.date, day());
        assert_eq!(e.time_of_interaction, t.ctx.time);
        assert_eq!(e.user_id, "TEST");
        assert_eq!(e.segment_no, Some(no.clone()));
        assert_eq!(e.logged_segment_entry_no, Some(LoggedSegmentNo(1)));
        assert_eq!(e.campaign_no, Some(campaign("CP1001")));
        assert!(!e.postponed);
        assert!(!e.canceled);
        assert!(!e.attempt_failed);
        assert!(e.comments.is_empty());
    }
    let salespeople: Vec<String> = es.iter().map(|e| e.salesperson_code.to_string()).collect();
    assert_eq!(salespeople, vec!["HR", "LT", "JO"], "each contact's own");
}

/// BC: `SegManagement.LogSegment` walks the lines with a campaign by campaign and date and asks
/// `GetCampaignEntryNo` for each, which finds the entry of the same campaign and segment — so
/// one campaign entry per campaign, dated by the campaign's first (earliest) line.
#[test]
fn one_campaign_entry_is_made_per_campaign_and_the_entries_refer_to_it() {
    let t = TestStore::demo();
    let no = mailing(
        &t,
        &["CT100125", "CT100124", "CT100147", "CT100134", "CT100001"],
    );
    // Line 20000 moves to GOLF, so the header's next campaign does not reach it.
    set_line(
        &t,
        &no,
        20_000,
        LineChange {
            template: Some(template("GOLF")),
            ..LineChange::default()
        },
    );
    set(
        &t,
        &no,
        InteractionChange {
            campaign: Some(campaign("CP1002")),
            salesperson: Some(sp("BC")),
            ..InteractionChange::default()
        },
    );
    // Lines of CP1002 on two dates still share one campaign entry.
    set_line(
        &t,
        &no,
        30_000,
        LineChange {
            date: Some(date("2025-03-20")),
            ..LineChange::default()
        },
    );
    set_line(
        &t,
        &no,
        10_000,
        LineChange {
            date: Some(date("2025-03-12")),
            ..LineChange::default()
        },
    );
    let out = log(&t, &no);
    assert_eq!(out.campaign_entries.len(), 2);
    let ces = master::list_campaign_entries(&t.store).unwrap();
    assert_eq!(ces.len(), 2);
    let keys: Vec<(String, String)> = ces
        .iter()
        .map(|c| (c.campaign_no.to_string(), c.date.to_string()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("CP1001".to_string(), "2025-03-14".to_string()),
            ("CP1002".to_string(), "2025-03-12".to_string()),
        ],
        "numbered by campaign; CP1002's entry has its earliest line's date"
    );
    for ce in &ces {
        assert_eq!(ce.description, "Spring mailing");
        assert_eq!(ce.user_id, "TEST");
        assert_eq!(ce.segment_no, Some(no.clone()));
        assert_eq!(ce.salesperson_code, Some(sp("BC")));
        assert_eq!(
            ce.logged_segment_entry_no,
            Some(out.logged_segment_entry_no)
        );
        assert!(!ce.canceled);
        assert!(out.campaign_entries.contains(&ce.entry_no));
    }
    for e in logged_entries(&t, out.logged_segment_entry_no) {
        let ce_no = e.campaign_entry_no.expect("every entry has a campaign");
        let ce = ces.iter().find(|c| c.entry_no == ce_no).expect("exists");
        assert_eq!(Some(&ce.campaign_no), e.campaign_no.as_ref());
    }
}

#[test]
fn lines_without_a_campaign_make_no_campaign_entry() {
    let t = TestStore::demo();
    let no = create(
        &t,
        SegmentInput {
            description: "No campaign".into(),
            ..SegmentInput::default()
        },
    );
    set(
        &t,
        &no,
        InteractionChange {
            template: Some(template("BUS")),
            ..InteractionChange::default()
        },
    );
    segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
    let out = log(&t, &no);
    assert!(out.campaign_entries.is_empty());
    assert!(master::list_campaign_entries(&t.store).unwrap().is_empty());
    let es = logged_entries(&t, out.logged_segment_entry_no);
    assert_eq!(es[0].campaign_no, None);
    assert_eq!(es[0].campaign_entry_no, None);
}

#[test]
fn the_logged_segment_is_recorded_with_todays_date_and_the_user() {
    let mut t = TestStore::demo();
    t.ctx = ctx().with_work_date(date("2025-02-03"));
    let no = mailing(&t, &["CT100125", "CT100124"]);
    let out = log(&t, &no);
    let v = logged::show(&t.store, out.logged_segment_entry_no).unwrap();
    assert_eq!(v.logged.entry_no, LoggedSegmentNo(1));
    assert_eq!(v.logged.segment_no, no);
    assert_eq!(v.logged.description, "Spring mailing");
    assert_eq!(
        v.logged.creation_date, t.ctx.today,
        "today, not the work date"
    );
    assert_eq!(v.logged.creation_date, date("2025-03-14"));
    assert_eq!(v.logged.user_id, "TEST");
    assert!(!v.logged.canceled);
    assert_eq!(v.no_of_interactions, 2);
    assert_eq!(v.no_of_campaign_entries, 1);
    // The entries carry the segment's date, which was the work date.
    assert!(logged_entries(&t, v.logged.entry_no)
        .iter()
        .all(|e| e.date == date("2025-02-03")));

    let second = mailing(&t, &["CT100001"]);
    assert_eq!(log(&t, &second).logged_segment_entry_no, LoggedSegmentNo(2));
}

#[test]
fn a_logged_segment_and_its_lines_are_removed() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100125", "CT100124"]);
    segments::add_contacts(
        &t.store,
        &no,
        &filters(&["City=Newport"]),
        CriteriaOptions::default(),
        &NoProgress,
    )
    .unwrap();
    segments::reduce(
        &t.store,
        &no,
        &filters(&["No.=CT100240"]),
        false,
        &NoProgress,
    )
    .unwrap();
    let other = mailing(&t, &["CT100001"]);
    log(&t, &no);
    let err = segments::get(&t.store, &no).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "segment",
                ..
            }
        ),
        "{err:?}"
    );
    let left: Vec<SegmentNo> = segments::list(&t.store)
        .unwrap()
        .into_iter()
        .map(|h| h.no)
        .collect();
    assert_eq!(left, vec![other.clone()], "other segments stay");
    assert_eq!(lines(&t, &other).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn a_segment_number_that_was_logged_cannot_be_logged_again() {
    let t = TestStore::demo();
    let typed = |description: &str| SegmentInput {
        no: Some("MAILING1".into()),
        description: description.into(),
        ..SegmentInput::default()
    };
    let first = create(&t, typed("First"));
    set(
        &t,
        &first,
        InteractionChange {
            template: Some(template("BUS")),
            ..InteractionChange::default()
        },
    );
    segments::add_line(&t.store, &first, &contact("CT100125")).unwrap();
    let out = log(&t, &first);

    let again = create(&t, typed("Second with the same number"));
    assert_eq!(again, first);
    set(
        &t,
        &again,
        InteractionChange {
            template: Some(template("BUS")),
            ..InteractionChange::default()
        },
    );
    segments::add_line(&t.store, &again, &contact("CT100124")).unwrap();
    let before = snapshot(&t);
    let err = try_log(&t, &again, LogOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::AlreadyLogged { ref segment, logged }
                if *segment == again && logged == out.logged_segment_entry_no
        ),
        "{err:?}"
    );
    assert_eq!(snapshot(&t), before);
}

#[test]
fn a_segment_without_a_description_is_refused() {
    let t = TestStore::demo();
    for description in ["", "   "] {
        let no = create(
            &t,
            SegmentInput {
                description: description.into(),
                ..SegmentInput::default()
            },
        );
        set(
            &t,
            &no,
            InteractionChange {
                template: Some(template("BUS")),
                ..InteractionChange::default()
            },
        );
        segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
        let before = snapshot(&t);
        let err = try_log(&t, &no, LogOptions::default()).unwrap_err();
        assert!(
            matches!(err, OpError::Missing { what, .. } if what.contains("description")),
            "{err:?}"
        );
        assert_eq!(snapshot(&t), before);
    }
}

#[test]
fn an_empty_segment_is_refused() {
    let t = TestStore::demo();
    let no = mailing(&t, &[]);
    let err = try_log(&t, &no, LogOptions::default()).unwrap_err();
    assert!(
        matches!(err, OpError::SegmentEmpty { ref segment } if *segment == no),
        "{err:?}"
    );
    // Also once every line has been removed again.
    segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
    segments::remove_line(&t.store, &no, 10_000).unwrap();
    let before = snapshot(&t);
    let err = try_log(&t, &no, LogOptions::default()).unwrap_err();
    assert!(matches!(err, OpError::SegmentEmpty { .. }), "{err:?}");
    assert_eq!(snapshot(&t), before, "nothing written");
    // And after a refine that kept nothing.
    segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
    segments::refine(
        &t.store,
        &no,
        &filters(&["City=Nowhere"]),
        false,
        &NoProgress,
    )
    .unwrap();
    let err = try_log(&t, &no, LogOptions::default()).unwrap_err();
    assert!(matches!(err, OpError::SegmentEmpty { .. }), "{err:?}");
}

#[test]
fn every_failing_line_is_reported_together_and_nothing_is_written() {
    let t = TestStore::demo();
    master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            no: Some("CT900001".into()),
            name: "No salesperson".into(),
            kind: ContactKind::Person,
            ..ContactInput::default()
        },
    )
    .unwrap();
    // No template on the header: each line gets its own, except line 40000.
    let no = create(
        &t,
        SegmentInput {
            description: "Problems".into(),
            campaign: Some(campaign("CP1002")),
            ..SegmentInput::default()
        },
    );
    for c in ["CT100125", "CT100124", "CT900001", "CT100147"] {
        segments::add_line(&t.store, &no, &contact(c)).unwrap();
    }
    for line_no in [10_000, 20_000, 30_000] {
        set_line(
            &t,
            &no,
            line_no,
            LineChange {
                template: Some(template("BUS")),
                ..LineChange::default()
            },
        );
    }
    // Reaches only line 40000 (still on the header's empty template), then line 50000.
    set(
        &t,
        &no,
        InteractionChange {
            campaign: Some(campaign("CP1003")),
            ..InteractionChange::default()
        },
    );
    segments::add_line(&t.store, &no, &contact("CT100129")).unwrap();
    set_line(
        &t,
        &no,
        50_000,
        LineChange {
            template: Some(template("BUS")),
            ..LineChange::default()
        },
    );
    // interlog has no way to delete master data, but a store may still refer to records that
    // are gone (an older store, a repaired one): remove two underneath the segment.
    t.store.raw(TreeId::Salespeople).remove("LT").unwrap();
    t.store.raw(TreeId::Campaigns).remove("CP1003").unwrap();

    let before = snapshot(&t);
    for opts in [
        LogOptions::default(),
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
        LogOptions {
            follow_up: false,
            dry_run: true,
        },
    ] {
        let err = try_log(&t, &no, opts).unwrap_err();
        let OpError::LinesInvalid { segment, problems } = &err else {
            panic!("expected LinesInvalid, got {err:?}");
        };
        assert_eq!(segment, &no);
        let got: Vec<(u64, String, String)> = problems
            .iter()
            .map(|p| {
                (
                    p.line_no,
                    p.contact_no.as_ref().unwrap().to_string(),
                    p.problem.clone(),
                )
            })
            .collect();
        let expected: [(u64, &str, &str); 6] = [
            (20_000, "CT100124", "salesperson LT does not exist"),
            (30_000, "CT900001", "no salesperson"),
            (40_000, "CT100147", "salesperson LT does not exist"),
            (40_000, "CT100147", "no interaction template"),
            (40_000, "CT100147", "campaign CP1003 does not exist"),
            (50_000, "CT100129", "campaign CP1003 does not exist"),
        ];
        assert_eq!(got.len(), expected.len(), "{got:#?}");
        for (g, e) in got.iter().zip(expected) {
            assert_eq!((g.0, g.1.as_str()), (e.0, e.1), "{got:#?}");
            assert!(
                g.2.starts_with(e.2),
                "{:?} should start with {:?}",
                g.2,
                e.2
            );
        }
        let shown = err.to_string();
        assert!(shown.contains("6 line(s)"), "{shown}");
        assert!(shown.contains("line 40000 (contact CT100147)"), "{shown}");
        assert_eq!(snapshot(&t), before, "nothing written ({opts:?})");
    }
}

#[test]
fn a_refused_segment_can_be_logged_once_its_lines_are_fixed() {
    let t = TestStore::demo();
    let no = create(
        &t,
        SegmentInput {
            description: "Fix me".into(),
            ..SegmentInput::default()
        },
    );
    segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
    segments::add_line(&t.store, &no, &contact("CT100124")).unwrap();
    let err = try_log(&t, &no, LogOptions::default()).unwrap_err();
    assert!(
        matches!(err, OpError::LinesInvalid { ref problems, .. } if problems.len() == 2),
        "{err:?}"
    );
    set(
        &t,
        &no,
        InteractionChange {
            template: Some(template("BUS")),
            ..InteractionChange::default()
        },
    );
    assert_eq!(log(&t, &no).entries, 2);
}

#[test]
fn refusals_and_dry_runs_leave_nothing_behind_for_recovery() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100125", "CT100124"]);
    let empty = mailing(&t, &[]);
    let no_template = create(
        &t,
        SegmentInput {
            description: "No template".into(),
            ..SegmentInput::default()
        },
    );
    segments::add_line(&t.store, &no_template, &contact("CT100125")).unwrap();
    let dry = LogOptions {
        follow_up: true,
        dry_run: true,
    };
    try_log(&t, &no, dry).unwrap();
    assert!(try_log(&t, &empty, LogOptions::default()).is_err());
    assert!(try_log(&t, &no_template, LogOptions::default()).is_err());
    let before = snapshot(&t);
    let t = t.reopen();
    assert!(t.store.recovery().is_clean(), "{:?}", t.store.recovery());
    assert_eq!(snapshot(&t), before);
    assert_eq!(log(&t, &no).entries, 2);
}

#[test]
fn a_dry_run_writes_nothing_and_reports_what_logging_would_do() {
    let t = TestStore::demo();
    single(&t, "CT100001");
    let no = mailing(&t, &["CT100125", "CT100124", "CT100147"]);
    let before = snapshot(&t);
    let dry = try_log(
        &t,
        &no,
        LogOptions {
            follow_up: true,
            dry_run: true,
        },
    )
    .unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.entries, 3);
    assert_eq!(dry.first_entry_no, EntryNo(2));
    assert_eq!(dry.last_entry_no, EntryNo(4));
    assert_eq!(dry.logged_segment_entry_no, LoggedSegmentNo(1));
    assert_eq!(dry.campaign_entries.len(), 1);
    assert_eq!(dry.follow_up_segment_no, Some(seg("SM00002")));
    assert_eq!(snapshot(&t), before, "a dry run writes nothing");

    let real = try_log(
        &t,
        &no,
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
    )
    .unwrap();
    assert!(!real.dry_run);
    assert_eq!(
        (
            real.entries,
            real.first_entry_no,
            real.last_entry_no,
            real.logged_segment_entry_no,
            &real.campaign_entries,
            &real.follow_up_segment_no
        ),
        (
            dry.entries,
            dry.first_entry_no,
            dry.last_entry_no,
            dry.logged_segment_entry_no,
            &dry.campaign_entries,
            &dry.follow_up_segment_no
        ),
        "the dry run told the truth"
    );
}

// ---------------------------------------------------------------------------------------------
// Entry numbers and the contact history

#[test]
fn entry_numbers_are_contiguous_and_follow_the_existing_ones() {
    let t = TestStore::demo();
    assert_eq!(single(&t, "CT100001").entry_no, EntryNo(1));
    let a = mailing(&t, &["CT100125", "CT100124", "CT100147", "CT100134"]);
    let b = mailing(&t, &["CT100129", "CT100143"]);
    let out_a = log(&t, &a);
    assert_eq!(
        (out_a.first_entry_no, out_a.last_entry_no),
        (EntryNo(2), EntryNo(5))
    );
    let nos: Vec<u64> = logged_entries(&t, out_a.logged_segment_entry_no)
        .iter()
        .map(|e| e.entry_no.0)
        .collect();
    assert_eq!(nos, vec![2, 3, 4, 5]);
    let out_b = log(&t, &b);
    assert_eq!(
        (out_b.first_entry_no, out_b.last_entry_no),
        (EntryNo(6), EntryNo(7))
    );
    assert_eq!(single(&t, "CT100002").entry_no, EntryNo(8));
    assert_eq!(t.store.entry_horizon().unwrap(), EntryNo(9));
    let all: Vec<u64> = all_entries(&t).iter().map(|e| e.entry_no.0).collect();
    assert_eq!(all, (1..=8).collect::<Vec<_>>());
}

#[test]
fn the_contact_history_merges_logged_and_single_interactions_in_order() {
    let t = TestStore::demo();
    let e1 = single(&t, "CT100125");
    let a = mailing(&t, &["CT100124", "CT100125", "CT100147"]);
    let out_a = log(&t, &a);
    let e2 = single(&t, "CT100125");
    let b = mailing(&t, &["CT100125"]);
    let out_b = log(&t, &b);
    let e3 = single(&t, "CT100125");

    let history = t.store.contact_entries(&contact("CT100125")).unwrap();
    let nos: Vec<EntryNo> = history.iter().map(|e| e.entry_no).collect();
    assert_eq!(
        nos,
        vec![
            e1.entry_no,
            EntryNo(out_a.first_entry_no.0 + 1),
            e2.entry_no,
            out_b.first_entry_no,
            e3.entry_no
        ]
    );
    assert!(history.iter().all(|e| e.contact_no == contact("CT100125")));
    assert_eq!(history[1].segment_no, Some(a));
    assert_eq!(history[3].segment_no, Some(b));
    // The listing by contact says the same.
    let listed = interactions::list(
        &t.store,
        &EntryFilter {
            contact: Some(contact("CT100125")),
            ..EntryFilter::default()
        },
    )
    .unwrap();
    assert_eq!(listed, history);
    // Other contacts only have their own.
    let evans = t.store.contact_entries(&contact("CT100147")).unwrap();
    assert_eq!(evans.len(), 1);
    assert_eq!(evans[0].entry_no, EntryNo(out_a.first_entry_no.0 + 2));
    assert!(t
        .store
        .contact_entries(&contact("CT100001"))
        .unwrap()
        .is_empty());
}

/// A contact's history takes the entries of runs in contact order from the blocks its lookup
/// reads; it must equal the entries found by number one by one, whatever mix of single
/// interactions, runs in contact order, runs out of it and canceled entries the store holds.
#[test]
fn the_contact_history_equals_its_entries_read_one_by_one() {
    let t = TestStore::demo();
    let people = ["CT100001", "CT100124", "CT100125", "CT100134", "CT100147"];
    single(&t, "CT100125");
    let ordered = mailing(&t, &people);
    let first = log(&t, &ordered);
    // Lines out of contact order: the run gets its own sorted index blocks.
    let shuffled = mailing(&t, &["CT100134", "CT100125", "CT100124", "CT100147"]);
    let out = log(&t, &shuffled);
    single(&t, "CT100147");
    interactions::switch_canceled(&t.store, &[out.first_entry_no]).unwrap();
    // Line 2 of the ordered run is CT100124's entry.
    interactions::switch_canceled(&t.store, &[EntryNo(first.first_entry_no.0 + 1)]).unwrap();
    let runs = t.store.runs().unwrap();
    assert!(
        runs.iter().any(|r| r.order.is_some()),
        "a run in contact order"
    );
    assert!(
        runs.iter().any(|r| r.order.is_none()),
        "a run out of contact order"
    );
    for c in people.iter().chain(&["CT100002"]) {
        let history = t.store.contact_entries(&contact(c)).unwrap();
        let one_by_one: Vec<LogEntry> = t
            .store
            .contact_entry_nos(&contact(c))
            .unwrap()
            .into_iter()
            .filter_map(|n| t.store.entry(n).unwrap())
            .collect();
        assert_eq!(history, one_by_one, "{c}");
    }
    assert_eq!(
        t.store.contact_entries(&contact("CT100125")).unwrap().len(),
        3
    );
    assert!(
        t.store.contact_entries(&contact("CT100134")).unwrap()[1].canceled,
        "the canceled entry is read as it is now"
    );
    let ct100124 = t.store.contact_entries(&contact("CT100124")).unwrap();
    assert!(
        ct100124[0].canceled && !ct100124[1].canceled,
        "{ct100124:?}"
    );
}

#[test]
fn the_contact_history_survives_reopening_the_store() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100124", "CT100125"]);
    let out = log(&t, &no);
    single(&t, "CT100125");
    let t = t.reopen();
    assert!(t.store.recovery().is_clean(), "{:?}", t.store.recovery());
    let history = t.store.contact_entries(&contact("CT100125")).unwrap();
    let nos: Vec<u64> = history.iter().map(|e| e.entry_no.0).collect();
    assert_eq!(nos, vec![out.first_entry_no.0 + 1, out.last_entry_no.0 + 1]);
}

// ---------------------------------------------------------------------------------------------
// Determinism of the parallel build (SPEC §3)

fn assert_parallel_equals_sequential(t: &TestStore, no: &SegmentNo, follow_up: bool) -> usize {
    let plan = plan_only(
        &t.store,
        &t.ctx,
        no,
        LogOptions {
            follow_up,
            dry_run: false,
        },
    )
    .expect("plan");
    let seq: Vec<Built> = plan.build_sequential(&t.store).expect("sequential");
    let par: Vec<Built> = plan.build_parallel(&t.store).expect("parallel");
    assert_eq!(seq.len(), plan.units());
    assert_eq!(par.len(), seq.len());
    for (i, (p, s)) in par.iter().zip(&seq).enumerate() {
        assert!(
            p == s,
            "unit {i} differs between the parallel and the sequential build"
        );
    }
    let again = plan.build_parallel(&t.store).expect("parallel again");
    assert!(again == par, "two parallel builds differ");
    let blocks: usize = seq.iter().map(|b| b.entry_blocks.len()).sum();
    assert!(
        blocks >= plan.units(),
        "every unit makes at least one entry block"
    );
    plan.units()
}

/// Builds a segment from generated contacts with several criteria actions (each its own block)
/// and random overrides, as a proptest case describes it.
fn random_segment(
    seed: u64,
    contacts: u64,
    gen_lines: u64,
    adds: &[(u64, u64)],
    overrides: &[(usize, u8)],
) -> (TestStore, SegmentNo) {
    let t = TestStore::new();
    let report = generate(
        &t.store,
        &t.ctx,
        GenOptions {
            contacts,
            segment_size: gen_lines,
            seed,
        },
        &NoProgress,
    )
    .unwrap();
    let no = match report.segment_no {
        Some(no) => no,
        None => {
            let no = create(
                &t,
                SegmentInput {
                    description: "Random".into(),
                    campaign: Some(report.campaign.clone()),
                    ..SegmentInput::default()
                },
            );
            set(
                &t,
                &no,
                InteractionChange {
                    template: Some(report.template.clone()),
                    ..InteractionChange::default()
                },
            );
            no
        }
    };
    for &(from, len) in adds {
        let a = from % contacts;
        let b = (a + len).min(contacts - 1);
        segments::add_contacts(
            &t.store,
            &no,
            &filters(&[&format!(
                "No.={}..{}",
                datagen::contact_no(a),
                datagen::contact_no(b)
            )]),
            CriteriaOptions {
                allow_existing: true,
                ..CriteriaOptions::default()
            },
            &NoProgress,
        )
        .unwrap();
    }
    let ls = lines(&t, &no);
    if !ls.is_empty() {
        for (i, kind) in overrides {
            let l = &ls[i % ls.len()];
            let change = match kind % 8 {
                0 => LineChange {
                    cost: Some(Money(u64::from(*kind) * 7)),
                    ..LineChange::default()
                },
                1 => LineChange {
                    date: Some(date("2025-03-20")),
                    ..LineChange::default()
                },
                2 => LineChange {
                    salesperson: Some(sp("BC")),
                    ..LineChange::default()
                },
                3 => LineChange {
                    evaluation: Some(Evaluation::Positive),
                    attempt_failed: Some(true),
                    ..LineChange::default()
                },
                4 => LineChange {
                    description: Some(format!("Typed for {}", l.contact_no)),
                    ..LineChange::default()
                },
                5 => LineChange {
                    correspondence_type: Some(CorrespondenceType::Email),
                    ..LineChange::default()
                },
                6 => LineChange {
                    subject: Some("Subject".into()),
                    duration_min: Some(9),
                    ..LineChange::default()
                },
                _ => LineChange {
                    language: Some(LanguageCode::new("DEU").unwrap()),
                    ..LineChange::default()
                },
            };
            set_line(&t, &no, l.line_no, change);
        }
    }
    (t, no)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn the_parallel_build_equals_the_sequential_build_byte_for_byte(
        seed in any::<u64>(),
        contacts in 1u64..1_500,
        gen_share in 0u64..=100,
        adds in prop::collection::vec((any::<u64>(), 0u64..600), 0..5),
        overrides in prop::collection::vec((any::<usize>(), any::<u8>()), 0..10),
        follow_up in any::<bool>(),
    ) {
        let gen_lines = contacts * gen_share / 100;
        let (t, no) = random_segment(seed, contacts, gen_lines, &adds, &overrides);
        if lines(&t, &no).is_empty() {
            return Ok(());
        }
        assert_parallel_equals_sequential(&t, &no, follow_up);
    }
}

#[test]
fn the_parallel_build_equals_the_sequential_build_for_a_segment_of_many_blocks() {
    let adds = [(0, 3_000), (100, 2_000), (5_000, 4_500), (9_000, 10)];
    let overrides: Vec<(usize, u8)> = (0..16u8).map(|k| (usize::from(k) * 997, k)).collect();
    let (t, no) = random_segment(42, 10_000, 9_000, &adds, &overrides);
    let units = assert_parallel_equals_sequential(&t, &no, true);
    assert!(units >= 6, "{units} units");
}

// ---------------------------------------------------------------------------------------------
// A larger segment

#[test]
fn a_segment_of_20000_lines_is_logged_completely_and_every_entry_is_found() {
    const N: u64 = 20_000;
    let t = TestStore::new();
    let report = generate(
        &t.store,
        &t.ctx,
        GenOptions {
            contacts: N,
            segment_size: N,
            seed: 3,
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(report.lines, N);
    let no = report.segment_no.unwrap();
    let out = try_log(
        &t,
        &no,
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
    )
    .unwrap();
    assert_eq!(out.entries, N);
    assert_eq!(
        (out.first_entry_no, out.last_entry_no),
        (EntryNo(1), EntryNo(N))
    );
    assert_eq!(t.store.entry_horizon().unwrap(), EntryNo(N + 1));

    let v = logged::show(&t.store, out.logged_segment_entry_no).unwrap();
    assert_eq!(v.no_of_interactions, N);
    assert_eq!(v.no_of_campaign_entries, 1);

    // Every entry is readable, streamed in number order.
    let mut count = 0u64;
    let mut next = 1u64;
    interactions::for_each(
        &t.store,
        &EntryFilter {
            logged_segment: Some(out.logged_segment_entry_no),
            ..EntryFilter::default()
        },
        |e| {
            assert_eq!(e.entry_no, EntryNo(next));
            assert_eq!(e.contact_no, datagen::contact_no(next - 1));
            next += 1;
            count += 1;
            Ok(true)
        },
    )
    .unwrap();
    assert_eq!(count, N);

    // The contact lookup finds the first, a middle and the last contact's entry.
    for i in [0, N / 2, N - 1] {
        let c = datagen::contact_no(i);
        let history = t.store.contact_entries(&c).unwrap();
        assert_eq!(history.len(), 1, "{c}");
        assert_eq!(history[0].entry_no, EntryNo(i + 1), "{c}");
        assert_eq!(history[0].contact_no, c);
        assert_eq!(
            interactions::get(&t.store, EntryNo(i + 1)).unwrap(),
            history[0]
        );
    }
    assert!(t
        .store
        .contact_entries(&datagen::contact_no(N))
        .unwrap()
        .is_empty());

    // The segment is gone; its follow-up holds every contact.
    assert!(segments::get(&t.store, &no).is_err());
    let fu = segments::get(&t.store, out.follow_up_segment_no.as_ref().unwrap()).unwrap();
    assert_eq!(fu.line_count, N);
}

#[test]
fn logging_the_same_segment_in_two_stores_writes_the_same_bytes() {
    let adds = [(0, 1_000), (4_000, 4_200)];
    let overrides: Vec<(usize, u8)> = (0..12u8).map(|k| (usize::from(k) * 611, k)).collect();
    let raw = |t: &TestStore| {
        let dump = |tree: TreeId| t.store.raw(tree).all().unwrap();
        (
            dump(TreeId::Entries),
            dump(TreeId::IndexRunBlocks),
            dump(TreeId::Lines),
        )
    };
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (t, no) = random_segment(5, 6_000, 3_000, &adds, &overrides);
        let out = try_log(
            &t,
            &no,
            LogOptions {
                follow_up: true,
                dry_run: false,
            },
        )
        .unwrap();
        assert!(out.entries > 5_000, "{}", out.entries);
        seen.push(raw(&t));
    }
    assert!(!seen[0].0.is_empty() && !seen[0].1.is_empty() && !seen[0].2.is_empty());
    assert!(seen[0] == seen[1], "the two stores hold different bytes");
}

#[test]
fn contact_history_finds_entries_of_batches_in_and_out_of_contact_order() {
    // Enough lines for several entry blocks and restart groups.
    const N: u64 = 20_000;
    let t = TestStore::new();
    datagen::generate(
        &t.store,
        &t.ctx,
        datagen::GenOptions {
            contacts: N,
            segment_size: 0,
            seed: 11,
        },
        &NoProgress,
    )
    .unwrap();
    let mut logged_runs = Vec::new();
    for reversed in [false, true] {
        let h = segments::create(
            &t.store,
            &t.ctx,
            &SegmentInput {
                description: format!("reversed={reversed}"),
                ..SegmentInput::default()
            },
        )
        .unwrap()
        .record;
        set(
            &t,
            &h.no,
            InteractionChange {
                template: Some(template("GENLETTER")),
                ..InteractionChange::default()
            },
        );
        let mut list: Vec<ContactNo> = (0..N).map(datagen::contact_no).collect();
        if reversed {
            list.reverse();
        }
        segments::add_contact_list(&t.store, &h.no, &list, &NoProgress).unwrap();
        let o = log_segment(&t.store, &t.ctx, &h.no, LogOptions::default(), &NoProgress).unwrap();
        logged_runs.push((reversed, o.first_entry_no));
    }
    let runs = t.store.runs().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(
        runs[0].order.is_some(),
        "the batch in contact order is its own index"
    );
    assert!(
        runs[1].order.is_none(),
        "the reversed batch has a sorted run of its own"
    );
    for i in (0..N).step_by(97).chain([0, N - 1]) {
        let c = datagen::contact_no(i);
        let found: Vec<EntryNo> = t.store.contact_entry_nos(&c).unwrap();
        let expected = vec![
            EntryNo(logged_runs[0].1 .0 + i),
            EntryNo(logged_runs[1].1 .0 + (N - 1 - i)),
        ];
        assert_eq!(found, expected, "contact {c}");
    }
    let unknown = ContactNo::new("NOSUCHCONTACT").unwrap();
    assert!(t.store.contact_entry_nos(&unknown).unwrap().is_empty());
    let report = interlog::ops::verify::verify(&t.store).unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
}
