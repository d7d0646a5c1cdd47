//! Number series (SPEC §2.1) through the library: BC's increment examples, increment-by, the
//! ending and warning numbers, lines chosen by starting date, peek without use, numbers never
//! handed out twice (also across reopen), default vs manual numbers, and the series `init` sets
//! up. Property tests compare drawing and `increment_no` with a reference.

mod common;

use common::bin::Bin;
use common::*;
use interlog::domain::number_series::{compare_nos, increment_no};
use interlog::domain::*;
use interlog::ops::master::{self, CampaignInput, ContactInput, SeriesChange, SetupChange};
use interlog::ops::segments::{self, SegmentInput};
use interlog::OpError;
use proptest::prelude::*;

/// A series code.
fn code(s: &str) -> SeriesCode {
    SeriesCode::new(s).expect("series code")
}

// ───────────────────────────── incrementing ─────────────────────────────

#[test]
fn the_last_run_of_digits_is_incremented_keeping_zeros_and_growing_on_carry() {
    let t = TestStore::new();
    for (series, start, second) in [
        ("SEG", "SEG009", "SEG010"),
        ("MIXED", "A12B99C", "A12B100C"),
        ("DASH", "CT-0999", "CT-1000"),
    ] {
        let s = NoSeries::simple(code(series), series, start, None);
        master::add_series(&t.store, s).expect("add series");
        let first = master::next_series(&t.store, &t.ctx, &code(series)).expect("first");
        let next = master::next_series(&t.store, &t.ctx, &code(series)).expect("second");
        assert_eq!((first.no.as_str(), next.no.as_str()), (start, second));
    }
}

#[test]
fn numbers_step_by_increment_by() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("TEN"), "Steps of ten", "X5", None);
    s.lines[0].increment_by = 10;
    master::add_series(&t.store, s).expect("add series");
    let nos: Vec<String> = (0..4)
        .map(|_| {
            master::next_series(&t.store, &t.ctx, &code("TEN"))
                .expect("draw")
                .no
        })
        .collect();
    assert_eq!(nos, ["X5", "X15", "X25", "X35"]);
}

#[test]
fn increment_by_zero_is_refused() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("ZERO"), "", "Z1", None);
    s.lines[0].increment_by = 0;
    let err = master::add_series(&t.store, s).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::BadLine { .. }))
        ),
        "{err:?}"
    );
}

#[test]
fn drawing_records_the_last_number_and_date_used() {
    let t = TestStore::new();
    master::add_series(&t.store, NoSeries::simple(code("S"), "", "S001", None)).expect("add");
    let ctx = t.ctx.clone().with_work_date(date("2025-05-02"));
    master::next_series(&t.store, &ctx, &code("S")).expect("draw");
    let s = master::list_series(&t.store)
        .expect("list")
        .into_iter()
        .find(|s| s.code == code("S"))
        .expect("series");
    assert_eq!(s.lines[0].last_no_used.as_deref(), Some("S001"));
    assert_eq!(s.lines[0].last_date_used, Some(date("2025-05-02")));
}

// ───────────────────────────── ending and warning ─────────────────────────────

#[test]
fn a_line_whose_next_number_would_pass_the_ending_number_closes() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("SHORT"), "", "SM99997", Some("SM99999"));
    s.lines[0].increment_by = 2;
    master::add_series(&t.store, s).expect("add series");
    let first = master::next_series(&t.store, &t.ctx, &code("SHORT")).expect("first");
    assert_eq!(first.no, "SM99997");
    let second = master::next_series(&t.store, &t.ctx, &code("SHORT")).expect("second");
    assert_eq!(second.no, "SM99999");
    let mut s = NoSeries::simple(code("SHAPE"), "", "SM99998", Some("SM99999"));
    s.lines[0].increment_by = 2;
    master::add_series(&t.store, s).expect("add series");
    master::next_series(&t.store, &t.ctx, &code("SHAPE")).expect("first");
    // SM100000 is longer than SM99999, so it is past the end (not before it as a string):
    // drawing SM99998 closed the line (BC's CalculateOpen), and the series has run out.
    let stored = master::get_series(&t.store, &code("SHAPE")).expect("series");
    assert!(!stored.lines[0].open);
    assert_eq!(stored.lines[0].last_no_used.as_deref(), Some("SM99998"));
    let err = master::next_series(&t.store, &t.ctx, &code("SHAPE")).expect_err("run out");
    let text = err.to_string();
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::NoOpenLine { ref series, .. })) if *series == code("SHAPE")),
        "{err:?}"
    );
    assert!(
        text.contains("SHAPE") && text.contains("series add-line"),
        "{text}"
    );
}

#[test]
fn after_the_ending_number_is_used_the_series_gives_no_more_numbers() {
    let t = TestStore::new();
    master::add_series(&t.store, NoSeries::simple(code("N"), "", "N1", Some("N3")))
        .expect("add series");
    for expected in ["N1", "N2", "N3"] {
        let d = master::next_series(&t.store, &t.ctx, &code("N")).expect("draw");
        assert_eq!(d.no, expected);
    }
    let err = master::next_series(&t.store, &t.ctx, &code("N")).expect_err("exhausted");
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::NoOpenLine { ref series, .. })) if *series == code("N")),
        "{err:?}"
    );
    // A refused draw changes nothing: the series still says N3 was the last.
    let err = master::peek_series(&t.store, &t.ctx, &code("N")).expect_err("exhausted");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NoOpenLine { .. }))
        ),
        "{err:?}"
    );
}

#[test]
fn reaching_the_warning_number_gives_a_warning_not_an_error() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("WARN"), "", "W01", Some("W05"));
    s.lines[0].warning_no = Some("W03".into());
    master::add_series(&t.store, s).expect("add series");
    let draws: Vec<Draw> = (0..5)
        .map(|_| master::next_series(&t.store, &t.ctx, &code("WARN")).expect("draw"))
        .collect();
    let warned: Vec<bool> = draws.iter().map(|d| d.warning.is_some()).collect();
    assert_eq!(warned, [false, false, true, true, true]);
    let w = draws[2].warning.as_deref().expect("warning");
    assert!(w.contains("WARN") && w.contains("W03"), "{w}");
}

#[test]
fn a_record_numbered_at_the_warning_number_is_stored_with_the_warning() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("CWARN"), "", "CW1", Some("CW3"));
    s.lines[0].warning_no = Some("CW1".into());
    master::add_series(&t.store, s).expect("add series");
    let change = SetupChange {
        contact_nos: Some(Some(code("CWARN"))),
        ..Default::default()
    };
    master::set_setup(&t.store, change).expect("setup");
    let input = ContactInput {
        name: "Warned Ltd".into(),
        ..Default::default()
    };
    let added = master::add_contact(&t.store, &t.ctx, input).expect("add contact");
    assert_eq!(added.record.no, contact("CW1"));
    assert!(added.warning.is_some());
}

#[test]
fn a_warning_number_needs_an_ending_number() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("NOEND"), "", "E1", None);
    s.lines[0].warning_no = Some("E5".into());
    let err = master::add_series(&t.store, s).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::BadLine { .. }))
        ),
        "{err:?}"
    );
}

// ───────────────────────────── starting dates ─────────────────────────────

#[test]
fn the_line_with_the_latest_starting_date_on_or_before_the_usage_date_gives_the_number() {
    let t = TestStore::new();
    master::add_series(&t.store, NoSeries::simple(code("YEAR"), "", "A0001", None))
        .expect("add series");
    let mut y2026 = SeriesLine::new("B0001");
    y2026.starting_date = Some(date("2026-01-01"));
    master::add_series_line(&t.store, &code("YEAR"), y2026).expect("add line");
    let mut y2027 = SeriesLine::new("C0001");
    y2027.starting_date = Some(date("2027-01-01"));
    master::add_series_line(&t.store, &code("YEAR"), y2027).expect("add line");
    let on = |d: &str| {
        let ctx = t.ctx.clone().with_work_date(date(d));
        master::next_series(&t.store, &ctx, &code("YEAR"))
            .expect("draw")
            .no
    };
    assert_eq!(on("2025-12-31"), "A0001");
    assert_eq!(on("2026-01-01"), "B0001");
    assert_eq!(on("2026-12-31"), "B0002");
    assert_eq!(on("2025-06-01"), "A0002");
    assert_eq!(on("2030-01-01"), "C0001");
}

#[test]
fn among_lines_with_the_same_date_the_first_open_one_gives_the_number() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("TWO"), "", "P1", Some("P2"));
    s.lines[0].starting_date = Some(date("2025-01-01"));
    let mut second = SeriesLine::new("Q1");
    second.starting_date = Some(date("2025-01-01"));
    s.lines.push(second);
    master::add_series(&t.store, s).expect("add series");
    let nos: Vec<String> = (0..4)
        .map(|_| {
            master::next_series(&t.store, &t.ctx, &code("TWO"))
                .expect("draw")
                .no
        })
        .collect();
    assert_eq!(nos, ["P1", "P2", "Q1", "Q2"]);
}

#[test]
fn a_used_up_line_does_not_fall_back_to_an_earlier_dated_line() {
    let t = TestStore::new();
    master::add_series(&t.store, NoSeries::simple(code("OLD"), "", "O1", None))
        .expect("add series");
    let mut dated = SeriesLine::new("D1");
    dated.starting_date = Some(date("2025-01-01"));
    dated.ending_no = Some("D1".into());
    master::add_series_line(&t.store, &code("OLD"), dated).expect("add line");
    let d = master::next_series(&t.store, &t.ctx, &code("OLD")).expect("draw");
    assert_eq!(d.no, "D1");
    // As in BC: the latest starting date decides; its lines are used up, so no number.
    let err = master::next_series(&t.store, &t.ctx, &code("OLD")).expect_err("used up");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NoOpenLine { .. }))
        ),
        "{err:?}"
    );
}

#[test]
fn a_number_longer_than_twenty_characters_is_refused() {
    let t = TestStore::new();
    let start = "A9999999999999999999";
    assert_eq!(start.len(), 20);
    master::add_series(&t.store, NoSeries::simple(code("LONG"), "", start, None))
        .expect("add series");
    master::next_series(&t.store, &t.ctx, &code("LONG")).expect("first");
    let err = master::next_series(&t.store, &t.ctx, &code("LONG")).expect_err("too long");
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::TooLong { ref no, .. })) if no == "A10000000000000000000"),
        "{err:?}"
    );
}

#[test]
fn no_line_starting_on_or_before_the_usage_date_is_an_error() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("LATER"), "", "L1", None);
    s.lines[0].starting_date = Some(date("2026-01-01"));
    master::add_series(&t.store, s).expect("add series");
    let err = master::next_series(&t.store, &t.ctx, &code("LATER")).expect_err("no line");
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::NoOpenLine { date: d, .. })) if d == day()),
        "{err:?}"
    );
}

// ───────────────────────────── peek, never twice ─────────────────────────────

#[test]
fn peeking_uses_no_number() {
    let t = TestStore::new();
    master::add_series(&t.store, NoSeries::simple(code("PEEK"), "", "K001", None))
        .expect("add series");
    let before = master::list_series(&t.store).expect("list");
    let a = master::peek_series(&t.store, &t.ctx, &code("PEEK")).expect("peek");
    let b = master::peek_series(&t.store, &t.ctx, &code("PEEK")).expect("peek");
    assert_eq!(a, b);
    assert_eq!(master::list_series(&t.store).expect("list"), before);
    let drawn = master::next_series(&t.store, &t.ctx, &code("PEEK")).expect("draw");
    assert_eq!(drawn, a);
    let after = master::peek_series(&t.store, &t.ctx, &code("PEEK")).expect("peek");
    assert_eq!(after.no, "K002");
}

#[test]
fn a_number_is_never_handed_out_twice_even_across_reopen() {
    let t = TestStore::new();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let d = master::next_series(&t.store, &t.ctx, &code("CONT")).expect("draw");
        assert!(seen.insert(d.no.clone()), "{} handed out twice", d.no);
    }
    for _ in 0..5 {
        let input = ContactInput {
            name: "Numbered".into(),
            ..Default::default()
        };
        let c = master::add_contact(&t.store, &t.ctx, input).expect("add contact");
        assert!(
            seen.insert(c.record.no.to_string()),
            "{} handed out twice",
            c.record.no
        );
    }
    let t = t.reopen();
    for _ in 0..5 {
        let d = master::next_series(&t.store, &t.ctx, &code("CONT")).expect("draw");
        assert!(seen.insert(d.no.clone()), "{} handed out twice", d.no);
    }
    assert_eq!(seen.len(), 15);
    assert_eq!(seen.last().map(String::as_str), Some("CT000015"));
}

#[test]
fn a_refused_record_uses_no_number() {
    let t = TestStore::new();
    let bad = ContactInput {
        name: "Bad Salesperson Ltd".into(),
        salesperson_code: Some(sp("NOBODY")),
        ..Default::default()
    };
    let err = master::add_contact(&t.store, &t.ctx, bad).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "salesperson",
                ..
            }
        ),
        "{err:?}"
    );
    let next = master::peek_series(&t.store, &t.ctx, &code("CONT")).expect("peek");
    assert_eq!(next.no, "CT000001");
}

// ───────────────────────────── default and manual numbers ─────────────────────────────

#[test]
fn a_typed_number_is_refused_when_the_series_takes_no_manual_numbers() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("AUTO"), "Automatic only", "AU001", None);
    s.manual_nos = false;
    master::add_series(&t.store, s).expect("add series");
    let change = SetupChange {
        contact_nos: Some(Some(code("AUTO"))),
        ..Default::default()
    };
    master::set_setup(&t.store, change).expect("setup");
    let typed = ContactInput {
        no: Some("MY-OWN-1".into()),
        name: "Typed Ltd".into(),
        ..Default::default()
    };
    let err = master::add_contact(&t.store, &t.ctx, typed).expect_err("refused");
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::ManualNotAllowed { ref series })) if *series == code("AUTO")),
        "{err:?}"
    );
    assert!(master::list_contacts(&t.store).expect("list").is_empty());
    let automatic = ContactInput {
        name: "Automatic Ltd".into(),
        ..Default::default()
    };
    let c = master::add_contact(&t.store, &t.ctx, automatic).expect("add contact");
    assert_eq!(c.record.no, contact("AU001"));
}

#[test]
fn an_automatic_number_is_refused_when_the_series_gives_no_default_numbers() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("MANUAL"), "Typed only", "MA001", None);
    s.default_nos = false;
    master::add_series(&t.store, s).expect("add series");
    let change = SetupChange {
        contact_nos: Some(Some(code("MANUAL"))),
        ..Default::default()
    };
    master::set_setup(&t.store, change).expect("setup");
    let automatic = ContactInput {
        name: "Automatic Ltd".into(),
        ..Default::default()
    };
    let err = master::add_contact(&t.store, &t.ctx, automatic).expect_err("refused");
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::NotAutomatic { ref series })) if *series == code("MANUAL")),
        "{err:?}"
    );
    let err = master::next_series(&t.store, &t.ctx, &code("MANUAL")).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NotAutomatic { .. }))
        ),
        "{err:?}"
    );
    let typed = ContactInput {
        no: Some("MY-OWN-1".into()),
        name: "Typed Ltd".into(),
        ..Default::default()
    };
    let c = master::add_contact(&t.store, &t.ctx, typed).expect("add contact");
    assert_eq!(c.record.no, contact("MY-OWN-1"));
}

#[test]
fn a_series_must_allow_default_or_manual_numbers() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("NEITHER"), "", "NE1", None);
    s.default_nos = false;
    s.manual_nos = false;
    let err = master::add_series(&t.store, s).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NoNumberingAllowed { .. }))
        ),
        "{err:?}"
    );
}

#[test]
fn without_a_series_numbers_must_be_typed() {
    let t = TestStore::new();
    let change = SetupChange {
        contact_nos: Some(None),
        ..Default::default()
    };
    master::set_setup(&t.store, change).expect("setup");
    let automatic = ContactInput {
        name: "Automatic Ltd".into(),
        ..Default::default()
    };
    let err = master::add_contact(&t.store, &t.ctx, automatic).expect_err("refused");
    assert!(
        matches!(err, OpError::Missing { what: "number", ref hint } if hint.contains("contact_nos") || hint.contains("contact-nos")),
        "{err:?}"
    );
    let typed = ContactInput {
        no: Some("ANY1".into()),
        name: "Typed Ltd".into(),
        ..Default::default()
    };
    master::add_contact(&t.store, &t.ctx, typed).expect("typed number");
}

#[test]
fn a_starting_number_without_digits_is_refused() {
    let t = TestStore::new();
    let err = master::add_series(&t.store, NoSeries::simple(code("ABC"), "", "ABC", None))
        .expect_err("refused");
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::NoDigits { ref value })) if value == "ABC"),
        "{err:?}"
    );
    let before = master::list_series(&t.store).expect("list");
    let err = master::add_series_line(&t.store, &code("CONT"), SeriesLine::new("XYZ"))
        .expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NoDigits { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(master::list_series(&t.store).expect("list"), before);
}

#[test]
fn a_series_code_is_added_once() {
    let t = TestStore::new();
    let err = master::add_series(&t.store, NoSeries::simple(code("CONT"), "", "X1", None))
        .expect_err("refused");
    assert!(
        matches!(err, OpError::AlreadyExists { what: "number series", ref key } if key == "CONT"),
        "{err:?}"
    );
}

#[test]
fn an_unknown_series_is_refused() {
    let t = TestStore::new();
    let err = master::peek_series(&t.store, &t.ctx, &code("NOPE")).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "number series", ref key } if key == "NOPE"),
        "{err:?}"
    );
    let err = master::add_series_line(&t.store, &code("NOPE"), SeriesLine::new("N1"))
        .expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "number series",
                ..
            }
        ),
        "{err:?}"
    );
}

// ───────────────────────────── setup ─────────────────────────────

#[test]
fn init_wires_bcs_contact_segment_and_campaign_series() {
    let t = TestStore::new();
    let setup = master::set_setup(&t.store, SetupChange::default()).expect("setup");
    assert_eq!(setup.contact_nos, Some(code("CONT")));
    assert_eq!(setup.segment_nos, Some(code("SEGM")));
    assert_eq!(setup.campaign_nos, Some(code("CAMP")));
    for (series, first) in [
        ("CONT", "CT000001"),
        ("SEGM", "SM00001"),
        ("CAMP", "CP0001"),
    ] {
        let d = master::peek_series(&t.store, &t.ctx, &code(series)).expect("peek");
        assert_eq!(d.no, first, "{series}");
    }
    let c = master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            name: "First Contact".into(),
            ..Default::default()
        },
    )
    .expect("add contact");
    assert_eq!(c.record.no, contact("CT000001"));
    let s = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "First segment".into(),
            ..Default::default()
        },
    )
    .expect("create segment");
    assert_eq!(s.record.no, seg("SM00001"));
    let k = master::add_campaign(
        &t.store,
        &t.ctx,
        CampaignInput {
            description: "First campaign".into(),
            ..Default::default()
        },
    )
    .expect("add campaign");
    assert_eq!(k.record.no, campaign("CP0001"));
    let d = master::peek_series(&t.store, &t.ctx, &code("CONT")).expect("peek");
    assert_eq!(d.no, "CT000002");
}

#[test]
fn setup_refuses_an_unknown_series_and_stays_as_it_was() {
    let t = TestStore::new();
    let before = master::set_setup(&t.store, SetupChange::default()).expect("setup");
    let change = SetupChange {
        segment_nos: Some(Some(code("NOPE"))),
        default_salesperson: Some(None),
        ..Default::default()
    };
    let err = master::set_setup(&t.store, change).expect_err("refused");
    assert!(
        matches!(err, OpError::NotFound { what: "number series", ref key } if key == "NOPE"),
        "{err:?}"
    );
    let after = master::set_setup(&t.store, SetupChange::default()).expect("setup");
    assert_eq!(after, before);
}

#[test]
fn setup_takes_a_known_series() {
    let t = TestStore::new();
    master::add_series(&t.store, NoSeries::simple(code("SEG2"), "", "SG001", None))
        .expect("add series");
    let change = SetupChange {
        segment_nos: Some(Some(code("SEG2"))),
        ..Default::default()
    };
    let s = master::set_setup(&t.store, change).expect("setup");
    assert_eq!(s.segment_nos, Some(code("SEG2")));
    let created = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Numbered by SEG2".into(),
            ..Default::default()
        },
    )
    .expect("create segment");
    assert_eq!(created.record.no, seg("SG001"));
}

// ───────────────────────────── BC's No. Series tests ─────────────────────────────
// After codeunit 134530 "No. Series Tests" (Business Foundation), normal implementation.

/// A series with the given lines (`(starting, ending, increment-by)`), all without a
/// starting date, added through the library.
fn series_with_lines(t: &TestStore, c: &str, lines: &[(&str, &str, u32)]) {
    let mut s = NoSeries::simple(code(c), c, lines[0].0, Some(lines[0].1));
    s.lines[0].increment_by = lines[0].2;
    for &(start, end, by) in &lines[1..] {
        let mut l = SeriesLine::new(start);
        l.ending_no = Some(end.into());
        l.increment_by = by;
        s.lines.push(l);
    }
    master::add_series(&t.store, s).expect("add series");
}

fn draw(t: &TestStore, c: &str) -> Result<String, OpError> {
    master::next_series(&t.store, &t.ctx, &code(c)).map(|d| d.no)
}

/// BC's TestGetNextNoAdvancedOverFlow.
#[test]
fn lines_a1_a10_and_b1_b10_with_increment_7_give_a01_a08_b01_b08_then_run_out() {
    let t = TestStore::new();
    series_with_lines(&t, "ADV", &[("A1", "A10", 7), ("B1", "B10", 7)]);
    let nos: Vec<String> = (0..4).map(|_| draw(&t, "ADV").expect("draw")).collect();
    assert_eq!(nos, ["A01", "A08", "B01", "B08"]);
    let err = draw(&t, "ADV").expect_err("run out");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NoOpenLine { .. }))
        ),
        "{err:?}"
    );
    // The closed lines stay, each with the last number it gave.
    let s = master::get_series(&t.store, &code("ADV")).expect("series");
    let lines: Vec<(&str, Option<&str>, bool)> = s
        .lines
        .iter()
        .map(|l| (l.starting_no.as_str(), l.last_no_used.as_deref(), l.open))
        .collect();
    assert_eq!(
        lines,
        [("A01", Some("A08"), false), ("B01", Some("B08"), false)]
    );
}

/// BC's TestGetNextNoDefaultOverFlow.
#[test]
fn a_used_up_line_hands_over_to_the_next_line_of_the_same_date() {
    let t = TestStore::new();
    series_with_lines(&t, "OVER", &[("A1", "A5", 1), ("B1", "B5", 1)]);
    let nos: Vec<String> = (0..10).map(|_| draw(&t, "OVER").expect("draw")).collect();
    assert_eq!(
        nos,
        ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]
    );
    assert!(draw(&t, "OVER").is_err());
}

/// BC's TestGetNextNo: digits only set no width, and 1 + 7 = 8 ≤ 10 but 8 + 7 > 10.
#[test]
fn lines_of_digits_only_are_not_padded_and_close_before_passing_the_end() {
    let t = TestStore::new();
    series_with_lines(&t, "DIGITS", &[("1", "10", 7)]);
    assert_eq!(draw(&t, "DIGITS").expect("first"), "1");
    assert_eq!(draw(&t, "DIGITS").expect("second"), "8");
    assert!(draw(&t, "DIGITS").is_err());
}

/// BC's TestGetNextNoWithLastNoUsed.
#[test]
fn numbering_continues_after_the_last_number_used() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("LAST"), "", "1", Some("10"));
    s.lines[0].increment_by = 2;
    s.lines[0].last_no_used = Some("3".into());
    master::add_series(&t.store, s).expect("add series");
    let nos: Vec<String> = (0..3).map(|_| draw(&t, "LAST").expect("draw")).collect();
    assert_eq!(nos, ["5", "7", "9"]);
    assert!(draw(&t, "LAST").is_err());
}

/// BC's TestPeekNextNoDefaultRunOut: A1Test with ending A10Test is stored as A01TEST.
#[test]
fn a_starting_number_is_padded_to_the_ending_numbers_width_and_upper_cased() {
    let t = TestStore::new();
    series_with_lines(&t, "PAD", &[("A1Test", "A10Test", 1)]);
    let s = master::get_series(&t.store, &code("PAD")).expect("series");
    assert_eq!(s.lines[0].starting_no, "A01TEST");
    assert_eq!(s.lines[0].ending_no.as_deref(), Some("A10TEST"));
    let peek = master::peek_series(&t.store, &t.ctx, &code("PAD")).expect("peek");
    assert_eq!(peek.no, "A01TEST");
    for _ in 0..10 {
        let p = master::peek_series(&t.store, &t.ctx, &code("PAD")).expect("peek");
        assert_eq!(p.no, draw(&t, "PAD").expect("draw"));
    }
    assert!(master::peek_series(&t.store, &t.ctx, &code("PAD")).is_err());
}

#[test]
fn every_number_of_a_line_takes_the_common_width() {
    let t = TestStore::new();
    let mut l = SeriesLine::new("inv1");
    l.ending_no = Some("INV999".into());
    l.warning_no = Some("inv900".into());
    l.last_no_used = Some("INV12".into());
    let mut s = NoSeries::simple(code("INV"), "", "INV1", None);
    s.lines = vec![l];
    let s = master::add_series(&t.store, s).expect("add series");
    let l = &s.lines[0];
    assert_eq!(l.starting_no, "INV001");
    assert_eq!(l.ending_no.as_deref(), Some("INV999"));
    assert_eq!(l.warning_no.as_deref(), Some("INV900"));
    assert_eq!(l.last_no_used.as_deref(), Some("INV012"));
    assert_eq!(draw(&t, "INV").expect("draw"), "INV013");
}

#[test]
fn numbers_of_one_line_that_differ_outside_their_digits_are_refused() {
    let t = TestStore::new();
    let s = NoSeries::simple(code("MIX"), "", "A1", Some("B10"));
    let err = master::add_series(&t.store, s).expect_err("refused");
    let text = err.to_string();
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::NumberFormat { ref other_value, .. })) if other_value == "B10"),
        "{err:?}"
    );
    assert!(text.contains("B10") && text.contains("A1"), "{text}");
    assert!(master::list_series(&t.store)
        .expect("list")
        .iter()
        .all(|s| s.code != code("MIX")));
    let mut l = SeriesLine::new("C1");
    l.ending_no = Some("C99".into());
    l.last_no_used = Some("X5".into());
    let err = master::add_series_line(&t.store, &code("CONT"), l).expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NumberFormat { .. }))
        ),
        "{err:?}"
    );
}

#[test]
fn every_number_of_a_line_needs_a_digit() {
    let t = TestStore::new();
    let s = NoSeries::simple(code("NODIG"), "", "N1", Some("NINE"));
    let err = master::add_series(&t.store, s).expect_err("refused");
    assert!(
        matches!(err, OpError::Domain(DomainError::Series(SeriesError::NoDigits { ref value })) if value == "NINE"),
        "{err:?}"
    );
}

// ───────────────────────────── default and manual numbers ─────────────────────────────

#[test]
fn turning_default_nos_off_while_manual_nos_is_off_turns_manual_nos_on() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("AUTO"), "", "AU1", None);
    s.manual_nos = false;
    master::add_series(&t.store, s).expect("add series");
    let c = master::set_series(
        &t.store,
        &code("AUTO"),
        &SeriesChange {
            default_nos: Some(false),
            ..SeriesChange::default()
        },
    )
    .expect("set");
    assert!(!c.series.default_nos);
    assert!(c.series.manual_nos);
    assert_eq!(c.notes.len(), 1);
    assert!(
        c.notes[0].contains("manual nos. turned on"),
        "{:?}",
        c.notes
    );
    let stored = master::get_series(&t.store, &code("AUTO")).expect("series");
    assert_eq!((stored.default_nos, stored.manual_nos), (false, true));
}

#[test]
fn turning_manual_nos_off_while_default_nos_is_off_turns_default_nos_on() {
    let t = TestStore::new();
    let mut s = NoSeries::simple(code("HAND"), "", "HA1", None);
    s.default_nos = false;
    master::add_series(&t.store, s).expect("add series");
    let c = master::set_series(
        &t.store,
        &code("HAND"),
        &SeriesChange {
            manual_nos: Some(false),
            ..SeriesChange::default()
        },
    )
    .expect("set");
    assert_eq!((c.series.default_nos, c.series.manual_nos), (true, false));
    assert!(
        c.notes[0].contains("default nos. turned on"),
        "{:?}",
        c.notes
    );
    // Turning a flag off while the other is on changes nothing else.
    let c = master::set_series(
        &t.store,
        &code("CONT"),
        &SeriesChange {
            manual_nos: Some(false),
            description: Some("Contacts".into()),
            ..SeriesChange::default()
        },
    )
    .expect("set");
    assert_eq!((c.series.default_nos, c.series.manual_nos), (true, false));
    assert_eq!(c.series.description, "Contacts");
    assert!(c.notes.is_empty());
}

#[test]
fn turning_both_flags_off_at_once_is_refused() {
    let t = TestStore::new();
    let err = master::set_series(
        &t.store,
        &code("CONT"),
        &SeriesChange {
            default_nos: Some(false),
            manual_nos: Some(false),
            ..SeriesChange::default()
        },
    )
    .expect_err("refused");
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::NoNumberingAllowed { .. }))
        ),
        "{err:?}"
    );
    let stored = master::get_series(&t.store, &code("CONT")).expect("series");
    assert_eq!((stored.default_nos, stored.manual_nos), (true, true));
}

// ───────────────────────────── through the binary ─────────────────────────────

#[test]
fn series_set_changes_the_flags_and_says_what_else_changed() {
    let b = Bin::init();
    b.ok(&["series", "set", "CONT", "--manual-nos", "false"]);
    let out = b.run(&[
        "--json",
        "series",
        "set",
        "CONT",
        "--default-nos",
        "false",
        "--description",
        "Contacts, typed",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["default_nos"], false);
    assert_eq!(v["manual_nos"], true);
    assert_eq!(v["description"], "Contacts, typed");
    assert!(v["notes"][0]
        .as_str()
        .is_some_and(|n| n.contains("manual nos. turned on")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("note: number series CONT"));
    let err = b.fails(
        &[
            "series",
            "set",
            "CONT",
            "--default-nos",
            "false",
            "--manual-nos",
            "no",
        ],
        1,
    );
    assert!(
        err.contains("must allow default or manual numbers"),
        "{err}"
    );
    let err = b.fails(&["series", "set", "NOPE", "--manual-nos", "yes"], 1);
    assert!(err.contains("number series NOPE does not exist"), "{err}");
    b.fails(&["series", "set", "CONT", "--manual-nos", "maybe"], 2);
    let text = b.ok(&["series", "set", "CONT", "--default-nos", "true"]);
    assert!(text.contains("CONT"), "{text}");
}

#[test]
fn series_add_without_default_nos_turns_manual_nos_on_and_pads_numbers() {
    let b = Bin::init();
    let v = b.json(&[
        "series",
        "add",
        "TYPED",
        "--starting-no",
        "t1",
        "--ending-no",
        "T100",
        "--no-default-nos",
    ]);
    assert_eq!(v["default_nos"], false);
    assert_eq!(v["manual_nos"], true);
    assert_eq!(v["lines"][0]["starting_no"], "T001");
    b.ok(&[
        "series",
        "add",
        "ADV",
        "--starting-no",
        "A1",
        "--ending-no",
        "A10",
        "--increment-by",
        "7",
    ]);
    b.ok(&[
        "series",
        "add-line",
        "ADV",
        "--starting-no",
        "B1",
        "--ending-no",
        "B10",
        "--increment-by",
        "7",
    ]);
    let nos: Vec<String> = (0..4)
        .map(|_| {
            b.json(&["series", "next", "ADV"])["no"]
                .as_str()
                .expect("no")
                .to_string()
        })
        .collect();
    assert_eq!(nos, ["A01", "A08", "B01", "B08"]);
    let err = b.fails(&["series", "next", "ADV"], 1);
    assert!(
        err.contains("number series ADV cannot give a number"),
        "{err}"
    );
    let err = b.fails(
        &[
            "series",
            "add",
            "BAD",
            "--starting-no",
            "A1",
            "--ending-no",
            "B10",
        ],
        1,
    );
    assert!(err.contains("number format"), "{err}");
}

// ───────────────────────────── properties ─────────────────────────────

proptest! {
    #[test]
    fn increment_no_matches_u128_arithmetic_on_the_digit_run(
        prefix in "([A-Z0-9 -]{0,6}[A-Z -])?",
        digits in "[0-9]{1,30}",
        suffix in "[A-Z -]{0,4}",
        by in 1u32..,
    ) {
        // The reference: the digit run as a u128, plus `by`, at least as wide as before.
        let n: u128 = digits.parse().expect("digits");
        let width = digits.len();
        let expected = format!("{prefix}{:0width$}{suffix}", n + u128::from(by));
        let got = increment_no(&format!("{prefix}{digits}{suffix}"), by).expect("has digits");
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn increment_no_refuses_numbers_without_digits(no in "[A-Z -]{0,12}", by in 1u32..) {
        let refused = matches!(increment_no(&no, by), Err(SeriesError::NoDigits { .. }));
        prop_assert!(refused);
    }

    #[test]
    fn drawing_k_numbers_gives_k_distinct_increasing_numbers(
        prefix in "([A-Z0-9-]{0,3}[A-Z-])?",
        digits in "[0-9]{1,6}",
        suffix in "[A-Z]{0,2}",
        increment_by in 1u32..1000,
        k in 1usize..40,
    ) {
        let start = format!("{prefix}{digits}{suffix}");
        let mut s = NoSeries::simple(code("P"), "", &start, None);
        s.lines[0].increment_by = increment_by;
        let mut drawn: Vec<String> = Vec::new();
        for _ in 0..k {
            drawn.push(s.draw(day()).expect("draw").no);
        }
        prop_assert_eq!(&drawn[0], &start);
        for w in drawn.windows(2) {
            prop_assert_eq!(compare_nos(&w[0], &w[1]), std::cmp::Ordering::Less, "{} then {}", w[0], w[1]);
            prop_assert!(w[1].starts_with(&prefix) && w[1].ends_with(&suffix));
        }
        let distinct: std::collections::BTreeSet<&String> = drawn.iter().collect();
        prop_assert_eq!(distinct.len(), k);
    }
}
