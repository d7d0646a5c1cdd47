//! Follow-up segments (SPEC §2.7 step 7 and *beyond*): made while logging, or later from a
//! logged segment filtered by outcome.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions, LogOutcome};
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryEdit, EntryFilter};
use interlog::ops::logged::{self, OutcomeFilter};
use interlog::ops::master::{self, SetupChange};
use interlog::ops::segments::{self, InteractionChange, LineChange, NoProgress, SegmentInput};
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

fn create(t: &TestStore, input: SegmentInput) -> SegmentNo {
    segments::create(&t.store, &t.ctx, &input)
        .expect("create")
        .record
        .no
}

/// A segment "Spring mailing" on template BUS with campaign CP1001 and lines for `contacts`.
fn mailing_with(t: &TestStore, input: SegmentInput, contacts: &[&str]) -> SegmentNo {
    let input = SegmentInput {
        description: "Spring mailing".into(),
        campaign: Some(campaign("CP1001")),
        ..input
    };
    t.segment(&input, Some(&bus()), contacts)
}

fn mailing(t: &TestStore, contacts: &[&str]) -> SegmentNo {
    mailing_with(t, SegmentInput::default(), contacts)
}

fn log_with_follow_up(t: &TestStore, no: &SegmentNo) -> Result<LogOutcome, OpError> {
    log_segment(
        &t.store,
        &t.ctx,
        no,
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
        &NoProgress,
    )
}

fn contacts(t: &TestStore, no: &SegmentNo) -> Vec<String> {
    lines(t, no)
        .iter()
        .map(|l| l.contact_no.to_string())
        .collect()
}

fn segment_nos(t: &TestStore) -> Vec<SegmentNo> {
    segments::list(&t.store)
        .unwrap()
        .into_iter()
        .map(|h| h.no)
        .collect()
}

fn unset_segment_series(t: &TestStore) {
    master::set_setup(
        &t.store,
        SetupChange {
            segment_nos: Some(None),
            ..SetupChange::default()
        },
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Follow-up while logging

#[test]
fn logging_with_follow_up_makes_a_segment_with_the_same_contacts_in_the_same_order() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100147", "CT100125", "CT100001", "CT100243"]);
    assert_eq!(no, seg("SM00001"));
    let out = log_with_follow_up(&t, &no).unwrap();
    let fu = out
        .follow_up_segment_no
        .clone()
        .expect("a follow-up segment");
    assert_eq!(fu, seg("SM00002"), "numbered from the segment series");

    let h = header(&t, &fu);
    assert_eq!(h.description, "Follow-up on segment SM00001");
    assert_eq!(h.campaign_no, Some(campaign("CP1001")));
    assert_eq!(h.date, day());
    assert_eq!(h.line_count, 4);
    assert_eq!(
        contacts(&t, &fu),
        vec!["CT100147", "CT100125", "CT100001", "CT100243"]
    );
    let ls = lines(&t, &fu);
    let nos: Vec<u64> = ls.iter().map(|l| l.line_no).collect();
    assert_eq!(nos, vec![10_000, 20_000, 30_000, 40_000]);
    assert_eq!(ls[1].contact_company_no, Some(contact("CT100239")));
    for l in &ls {
        assert_eq!(l.description, "Follow-up on segment SM00001");
        assert_eq!(l.campaign_no, Some(campaign("CP1001")));
        assert_eq!(
            l.template_code, None,
            "the follow-up gets its own template later"
        );
    }
    let salespeople: Vec<Option<SalespersonCode>> =
        ls.iter().map(|l| l.salesperson_code.clone()).collect();
    assert_eq!(
        salespeople,
        vec![
            Some(sp("LT")),
            Some(sp("HR")),
            Some(sp("EH")),
            Some(sp("RB"))
        ]
    );

    // The criteria record says where the contacts came from.
    assert_eq!(h.criteria.len(), 1);
    let a = &h.criteria[0];
    assert_eq!(a.kind, CriteriaKind::ReuseLogged);
    assert_eq!(a.logged_segment, Some(out.logged_segment_entry_no));
    assert_eq!(a.inserted_count, 4);

    // The logged segment knows its follow-up; the original is gone; the series moved on.
    let v = logged::show(&t.store, out.logged_segment_entry_no).unwrap();
    assert_eq!(v.logged.follow_up_segment, Some(fu.clone()));
    assert_eq!(segment_nos(&t), vec![fu]);
    assert_eq!(mailing(&t, &[]), seg("SM00003"));
}

#[test]
fn a_follow_up_takes_the_segments_salesperson() {
    let t = TestStore::demo();
    let no = mailing_with(
        &t,
        SegmentInput {
            salesperson: Some(sp("JO")),
            ..SegmentInput::default()
        },
        &["CT100125", "CT100124"],
    );
    let fu = log_with_follow_up(&t, &no)
        .unwrap()
        .follow_up_segment_no
        .unwrap();
    assert_eq!(header(&t, &fu).salesperson_code, Some(sp("JO")));
    assert!(lines(&t, &fu)
        .iter()
        .all(|l| l.salesperson_code == Some(sp("JO"))));
}

#[test]
fn a_follow_up_is_a_normal_segment_that_can_be_logged_and_gone_back_from() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100125", "CT100124"]);
    let fu = log_with_follow_up(&t, &no)
        .unwrap()
        .follow_up_segment_no
        .unwrap();
    segments::set_interaction(
        &t.store,
        &fu,
        &InteractionChange {
            template: Some(template("OUTGOING")),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap();
    segments::add_line(&t.store, &fu, &contact("CT100001")).unwrap();
    let before = lines(&t, &fu);
    assert_eq!(before.len(), 3);
    assert!(before
        .iter()
        .all(|l| l.template_code == Some(template("OUTGOING"))));

    // Its criteria actions can be gone back from: first the line added by hand (BC records it
    // as an Add Contacts action), then the reuse of the logged segment …
    segments::go_back(&t.store, &fu, &NoProgress).unwrap();
    assert_eq!(contacts(&t, &fu), vec!["CT100125", "CT100124"]);
    segments::go_back(&t.store, &fu, &NoProgress).unwrap();
    assert!(contacts(&t, &fu).is_empty());
    segments::add_line(&t.store, &fu, &contact("CT100001")).unwrap();
    // … and the follow-up can itself be logged with a follow-up.
    let out = log_with_follow_up(&t, &fu).unwrap();
    assert_eq!(out.entries, 1);
    let next = out.follow_up_segment_no.unwrap();
    assert_eq!(
        header(&t, &next).description,
        format!("Follow-up on segment {fu}")
    );
}

#[test]
fn a_follow_up_description_is_at_most_50_characters() {
    let t = TestStore::demo();
    let no = mailing_with(
        &t,
        SegmentInput {
            no: Some("ABCDEFGHIJKLMNOPQRST".into()),
            ..SegmentInput::default()
        },
        &["CT100125"],
    );
    let fu = log_with_follow_up(&t, &no)
        .unwrap()
        .follow_up_segment_no
        .unwrap();
    let d = header(&t, &fu).description;
    assert_eq!(d, "Follow-up on segment ABCDEFGHIJKLMNOPQRST");
    assert!(d.chars().count() <= 50);
    assert_eq!(
        follow_up_description(&seg("ABCDEFGHIJKLMNOPQRST")),
        d,
        "the domain rule gives the same text"
    );
}

#[test]
fn a_follow_up_without_a_segment_series_is_refused_and_nothing_is_written() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100125", "CT100124"]);
    let before_header = header(&t, &no);
    let before_lines = lines(&t, &no);
    let horizon = t.store.entry_horizon().unwrap();
    unset_segment_series(&t);

    let err = log_with_follow_up(&t, &no).unwrap_err();
    assert!(matches!(err, OpError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("segment"), "{err}");

    assert_eq!(header(&t, &no), before_header, "the segment is intact");
    assert_eq!(lines(&t, &no), before_lines);
    assert_eq!(t.store.entry_horizon().unwrap(), horizon);
    assert!(interactions::list(&t.store, &EntryFilter::default())
        .unwrap()
        .is_empty());
    assert!(logged::list(&t.store).unwrap().is_empty());
    assert!(master::list_campaign_entries(&t.store).unwrap().is_empty());
    assert_eq!(segment_nos(&t), vec![no.clone()]);

    // Without a follow-up the same segment logs fine.
    let out = log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap();
    assert_eq!(out.entries, 2);
    assert_eq!(out.follow_up_segment_no, None);
}

#[test]
fn a_follow_up_needs_a_series_that_gives_numbers_automatically() {
    let t = TestStore::demo();
    let no = mailing(&t, &["CT100125"]);
    let mut s = NoSeries::simple(
        SeriesCode::new("SEGMAN").unwrap(),
        "Typed only",
        "SX001",
        None,
    );
    s.default_nos = false;
    master::add_series(&t.store, s).unwrap();
    master::set_setup(
        &t.store,
        SetupChange {
            segment_nos: Some(Some(SeriesCode::new("SEGMAN").unwrap())),
            ..SetupChange::default()
        },
    )
    .unwrap();
    let before = lines(&t, &no);
    let err = log_with_follow_up(&t, &no).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NotAutomatic { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(lines(&t, &no), before);
    assert!(logged::list(&t.store).unwrap().is_empty());
    assert_eq!(t.store.entry_horizon().unwrap(), EntryNo(1));
}

// ---------------------------------------------------------------------------------------------
// Follow-up later, filtered by outcome

/// Logs SM00001 with five lines and outcomes:
/// CT100125 positive; CT100124 failed; CT100147 positive and failed; CT100134 negative (edited
/// after logging); CT100001 canceled after logging.
fn logged_with_outcomes(t: &TestStore) -> LoggedSegmentNo {
    let no = mailing(
        t,
        &["CT100125", "CT100124", "CT100147", "CT100134", "CT100001"],
    );
    let set = |line_no: u64, change: LineChange| {
        segments::set_line(&t.store, &no, line_no, &change).unwrap();
    };
    set(
        10_000,
        LineChange {
            evaluation: Some(Evaluation::Positive),
            ..LineChange::default()
        },
    );
    set(
        20_000,
        LineChange {
            attempt_failed: Some(true),
            ..LineChange::default()
        },
    );
    set(
        30_000,
        LineChange {
            evaluation: Some(Evaluation::Positive),
            attempt_failed: Some(true),
            ..LineChange::default()
        },
    );
    let out = log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap();
    let e = |i: u64| EntryNo(out.first_entry_no.0 + i);
    interactions::edit(
        &t.store,
        &t.ctx,
        e(3),
        &EntryEdit {
            evaluation: Some(Evaluation::Negative),
            ..EntryEdit::default()
        },
    )
    .unwrap();
    interactions::switch_canceled(&t.store, &[e(4)]).unwrap();
    out.logged_segment_entry_no
}

fn follow_up(t: &TestStore, l: LoggedSegmentNo, f: OutcomeFilter) -> Result<SegmentNo, OpError> {
    logged::follow_up(&t.store, &t.ctx, l, &f, &NoProgress).map(|a| a.record.no)
}

#[test]
fn a_follow_up_made_later_takes_the_contacts_whose_outcome_matches() {
    let t = TestStore::demo();
    let l = logged_with_outcomes(&t);
    let cases: Vec<(OutcomeFilter, Vec<&str>)> = vec![
        (
            OutcomeFilter {
                evaluation: Some(Evaluation::Positive),
                ..OutcomeFilter::default()
            },
            vec!["CT100125", "CT100147"],
        ),
        (
            OutcomeFilter {
                evaluation: Some(Evaluation::Negative),
                ..OutcomeFilter::default()
            },
            vec!["CT100134"],
        ),
        (
            OutcomeFilter {
                attempt_failed: Some(true),
                ..OutcomeFilter::default()
            },
            vec!["CT100124", "CT100147"],
        ),
        (
            OutcomeFilter {
                attempt_failed: Some(false),
                ..OutcomeFilter::default()
            },
            vec!["CT100125", "CT100134", "CT100001"],
        ),
        (
            OutcomeFilter {
                canceled: Some(true),
                ..OutcomeFilter::default()
            },
            vec!["CT100001"],
        ),
        (
            OutcomeFilter {
                evaluation: Some(Evaluation::Positive),
                attempt_failed: Some(true),
                canceled: Some(false),
            },
            vec!["CT100147"],
        ),
        (
            OutcomeFilter::default(),
            vec!["CT100125", "CT100124", "CT100147", "CT100134", "CT100001"],
        ),
    ];
    for (expected_no, (f, expected)) in (2..).zip(cases) {
        let fu = follow_up(&t, l, f.clone()).unwrap();
        assert_eq!(fu, seg(&format!("SM{expected_no:05}")), "{f:?}");
        assert_eq!(contacts(&t, &fu), expected, "{f:?}");
        let h = header(&t, &fu);
        assert_eq!(h.description, "Follow-up on segment SM00001");
        assert_eq!(h.campaign_no, Some(campaign("CP1001")));
        let a = h.criteria.last().unwrap();
        assert_eq!(a.kind, CriteriaKind::ReuseLogged);
        assert_eq!(a.logged_segment, Some(l));
    }
}

#[test]
fn a_follow_up_later_records_its_outcome_filter() {
    let t = TestStore::demo();
    let l = logged_with_outcomes(&t);
    let fu = follow_up(
        &t,
        l,
        OutcomeFilter {
            evaluation: Some(Evaluation::Positive),
            attempt_failed: Some(false),
            canceled: None,
        },
    )
    .unwrap();
    let filters = &header(&t, &fu).criteria[0].filters;
    assert_eq!(filters.len(), 2, "{filters:?}");
    assert!(filters[0].starts_with("Evaluation="), "{filters:?}");
    assert_eq!(filters[1], "Attempt Failed=No");
}

#[test]
fn a_follow_up_later_with_no_matching_entry_is_refused() {
    let t = TestStore::demo();
    let l = logged_with_outcomes(&t);
    let before = segment_nos(&t);
    let err = follow_up(
        &t,
        l,
        OutcomeFilter {
            evaluation: Some(Evaluation::VeryNegative),
            ..OutcomeFilter::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, OpError::Refused { .. }), "{err:?}");
    assert!(err.to_string().contains("nothing to follow up"), "{err}");
    assert_eq!(segment_nos(&t), before, "no segment made");
    // The number was not used up.
    let fu = follow_up(&t, l, OutcomeFilter::default()).unwrap();
    assert_eq!(fu, seg("SM00002"));
}

#[test]
fn a_follow_up_later_needs_an_existing_logged_segment_and_a_segment_series() {
    let t = TestStore::demo();
    let l = logged_with_outcomes(&t);
    let err = follow_up(&t, LoggedSegmentNo(42), OutcomeFilter::default()).unwrap_err();
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
    unset_segment_series(&t);
    let err = follow_up(&t, l, OutcomeFilter::default()).unwrap_err();
    assert!(matches!(err, OpError::Missing { .. }), "{err:?}");
    assert!(segment_nos(&t).is_empty());
}

#[test]
fn follow_up_lines_are_what_adding_the_contacts_by_hand_would_give() {
    let t = TestStore::demo();
    for (no, corr, email) in [
        ("CT900001", CorrespondenceType::Email, "a@example.com"),
        ("CT900002", CorrespondenceType::HardCopy, ""),
        ("CT900003", CorrespondenceType::Email, ""),
    ] {
        master::add_contact(
            &t.store,
            &t.ctx,
            master::ContactInput {
                no: Some(no.into()),
                name: format!("Person {no}"),
                kind: ContactKind::Person,
                company_no: Some(contact("CT100239")),
                email: email.into(),
                correspondence_type: Some(corr),
                salesperson_code: Some(sp("OF")),
                ..master::ContactInput::default()
            },
        )
        .unwrap();
    }
    let cs = ["CT900001", "CT100125", "CT900002", "CT900003", "CT100001"];
    let no = mailing(&t, &cs);
    // Outcomes and overrides of the logged lines do not carry over.
    segments::set_line(
        &t.store,
        &no,
        20_000,
        &LineChange {
            evaluation: Some(Evaluation::Positive),
            attempt_failed: Some(true),
            salesperson: Some(sp("BC")),
            description: Some("Typed".into()),
            cost: Some(money("3.00")),
            ..LineChange::default()
        },
    )
    .unwrap();
    let fu = log_with_follow_up(&t, &no)
        .unwrap()
        .follow_up_segment_no
        .unwrap();

    let by_hand = create(
        &t,
        SegmentInput {
            no: Some("BYHAND".into()),
            description: header(&t, &fu).description,
            campaign: Some(campaign("CP1001")),
            ..SegmentInput::default()
        },
    );
    for c in cs {
        segments::add_line(&t.store, &by_hand, &contact(c)).unwrap();
    }
    let mut expected = lines(&t, &by_hand);
    // The follow-up line keeps the salesperson the logged line had.
    expected[1].salesperson_code = Some(sp("BC"));
    assert_eq!(lines(&t, &fu), expected);
}
