//! Building segments by criteria (SPEC §2.6): adding contacts by filters in BC's filter syntax
//! with the add options, reducing and refining, going back exactly one action, and reusing a
//! logged segment's contacts.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions};
use interlog::domain::filter::FieldFilter;
use interlog::domain::*;
use interlog::ops::master::{self, ContactInput};
use interlog::ops::segments::{
    self, InteractionChange, LineChange, NarrowOptions, NoProgress, SegmentChange, SegmentInput,
    WhenEmptied,
};
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

fn filters(fs: &[&str]) -> Vec<FieldFilter> {
    fs.iter()
        .map(|f| FieldFilter::parse(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn create(t: &TestStore) -> SegmentNo {
    segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Criteria".into(),
            ..SegmentInput::default()
        },
    )
    .expect("create segment")
    .record
    .no
}

fn add_with(t: &TestStore, no: &SegmentNo, fs: &[&str], o: CriteriaOptions) -> SegmentChange {
    segments::add_contacts(&t.store, no, &filters(fs), o, &NoProgress).expect("add contacts")
}

fn add(t: &TestStore, no: &SegmentNo, fs: &[&str]) -> SegmentChange {
    add_with(t, no, fs, CriteriaOptions::default())
}

fn reduce(t: &TestStore, no: &SegmentNo, fs: &[&str], entire: bool) -> SegmentChange {
    segments::reduce(&t.store, no, &filters(fs), entire, &NoProgress).expect("reduce")
}

fn refine(t: &TestStore, no: &SegmentNo, fs: &[&str], entire: bool) -> SegmentChange {
    segments::refine(&t.store, no, &filters(fs), entire, &NoProgress).expect("refine")
}

fn go_back(t: &TestStore, no: &SegmentNo) -> SegmentChange {
    segments::go_back(&t.store, no, &NoProgress).expect("go back")
}

/// The contacts of the segment's lines, in line order.
fn contacts(t: &TestStore, no: &SegmentNo) -> Vec<String> {
    lines(t, no)
        .iter()
        .map(|l| l.contact_no.to_string())
        .collect()
}

/// Contacts a filter adds to an empty segment.
fn selected(fs: &[&str]) -> Vec<String> {
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, fs);
    contacts(&t, &no)
}

/// Adds a contact of our own.
fn add_contact(t: &TestStore, input: ContactInput) -> ContactNo {
    master::add_contact(&t.store, &t.ctx, input)
        .expect("add contact")
        .record
        .no
}

fn manchester_person(no: &str) -> ContactInput {
    ContactInput {
        no: Some(no.into()),
        name: format!("Person {no}"),
        kind: ContactKind::Person,
        company_no: Some(contact("CT100239")),
        city: "Manchester".into(),
        ..ContactInput::default()
    }
}

const GB: [&str; 16] = [
    "CT100013", "CT100124", "CT100125", "CT100126", "CT100127", "CT100129", "CT100131", "CT100134",
    "CT100142", "CT100143", "CT100147", "CT100239", "CT100240", "CT100242", "CT100243", "CT100245",
];

// ---------------------------------------------------------------------------------------------
// Filters: every operator of BC's syntax on the demo contacts

#[test]
fn equals_selects_contacts_whose_field_is_the_value() {
    assert_eq!(selected(&["City=Manchester"]), vec!["CT100125", "CT100239"]);
    assert_eq!(
        selected(&["Salesperson Code==HR"]),
        vec!["CT100125", "CT100129", "CT100143", "CT100239", "CT100245"]
    );
}

#[test]
fn not_equal_selects_every_other_contact() {
    assert_eq!(
        selected(&["Country/Region Code=<>GB"]),
        vec!["CT100001", "CT100002", "CT100005", "CT100136"]
    );
}

#[test]
fn less_and_greater_compare_as_text() {
    assert_eq!(
        selected(&["No.=<CT100100"]),
        vec!["CT100001", "CT100002", "CT100005", "CT100013"]
    );
    assert_eq!(
        selected(&["No.=>CT100239"]),
        vec!["CT100240", "CT100242", "CT100243", "CT100245"]
    );
}

#[test]
fn a_range_includes_both_ends() {
    assert_eq!(
        selected(&["No.=CT100124..CT100127"]),
        vec!["CT100124", "CT100125", "CT100126", "CT100127"]
    );
    assert_eq!(
        selected(&["No.=CT100243.."]),
        vec!["CT100243", "CT100245"],
        "an open range"
    );
}

#[test]
fn alternatives_select_contacts_matching_any_of_them() {
    assert_eq!(
        selected(&["City=Brixham|Newport"]),
        vec!["CT100124", "CT100126", "CT100127", "CT100147", "CT100240", "CT100243"]
    );
}

#[test]
fn a_wildcard_matches_any_run_of_characters() {
    assert_eq!(selected(&["Name=*Ltd"]), vec!["CT100243", "CT100245"]);
    assert_eq!(
        selected(&["E-Mail=j*@contoso.com"]),
        vec!["CT100134", "CT100147"]
    );
}

#[test]
fn at_makes_the_match_case_insensitive() {
    assert!(selected(&["City=manchester"]).is_empty(), "case matters");
    assert_eq!(
        selected(&["City=@manchester"]),
        vec!["CT100125", "CT100239"]
    );
    assert_eq!(
        selected(&["Name=@*OFFICE*"]),
        vec!["CT100001", "CT100005"],
        "Eco Office Inc. and Taylor\"s Office Warehouse"
    );
}

#[test]
fn several_filters_must_all_match() {
    assert_eq!(
        selected(&["Type=Person", "City=Newport|Brixham", "No.=<>CT100127"]),
        vec!["CT100124", "CT100126", "CT100147"]
    );
}

#[test]
fn contacts_are_added_in_contact_number_order_after_existing_lines() {
    let t = TestStore::demo();
    let no = create(&t);
    segments::add_line(&t.store, &no, &contact("CT100245")).unwrap();
    let change = add(&t, &no, &["City=Manchester|Newport"]);
    assert_eq!(change.lines_changed, 5);
    let ls = lines(&t, &no);
    let got: Vec<(u64, String)> = ls
        .iter()
        .map(|l| (l.line_no, l.contact_no.to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            (10_000, "CT100245".into()),
            (20_000, "CT100124".into()),
            (30_000, "CT100125".into()),
            (40_000, "CT100147".into()),
            (50_000, "CT100239".into()),
            (60_000, "CT100240".into()),
        ]
    );
    let action = header(&t, &no).criteria.last().cloned().unwrap();
    assert_eq!(action.kind, CriteriaKind::Add);
    assert_eq!(action.filters, vec!["City=Manchester|Newport".to_string()]);
    assert_eq!(action.inserted_count, 5);
}

// ---------------------------------------------------------------------------------------------
// Add options

#[test]
fn contacts_already_in_the_segment_are_skipped_unless_allowed() {
    let t = TestStore::demo();
    let no = create(&t);
    assert_eq!(add(&t, &no, &["City=Manchester"]).lines_changed, 2);
    assert_eq!(add(&t, &no, &["City=Manchester|Newquay"]).lines_changed, 3);
    assert_eq!(
        contacts(&t, &no),
        vec!["CT100125", "CT100239", "CT100129", "CT100143", "CT100245"]
    );
    let again = add_with(
        &t,
        &no,
        &["City=Manchester"],
        CriteriaOptions {
            allow_existing: true,
            ..CriteriaOptions::default()
        },
    );
    assert_eq!(again.lines_changed, 2);
    assert_eq!(
        contacts(&t, &no),
        vec!["CT100125", "CT100239", "CT100129", "CT100143", "CT100245", "CT100125", "CT100239"]
    );
}

#[test]
fn expand_companies_adds_the_persons_of_each_matching_company() {
    let t = TestStore::demo();
    let no = create(&t);
    add_with(
        &t,
        &no,
        &["No.=CT100243|CT100240"],
        CriteriaOptions {
            expand_companies: true,
            ..CriteriaOptions::default()
        },
    );
    assert_eq!(
        contacts(&t, &no),
        vec!["CT100124", "CT100126", "CT100127", "CT100147", "CT100240", "CT100243"]
    );
}

#[test]
fn related_companies_adds_each_matching_persons_company() {
    let t = TestStore::demo();
    let no = create(&t);
    add_with(
        &t,
        &no,
        &["No.=CT100125|CT100131"],
        CriteriaOptions {
            related_companies: true,
            ..CriteriaOptions::default()
        },
    );
    assert_eq!(
        contacts(&t, &no),
        vec!["CT100013", "CT100125", "CT100131", "CT100239"]
    );
}

#[test]
fn contacts_excluded_from_segments_are_skipped_unless_the_exclusion_is_ignored() {
    let t = TestStore::demo();
    add_contact(
        &t,
        ContactInput {
            exclude_from_segment: true,
            ..manchester_person("CT900001")
        },
    );
    let no = create(&t);
    add(&t, &no, &["City=Manchester"]);
    assert_eq!(contacts(&t, &no), vec!["CT100125", "CT100239"]);
    // Expanding the company does not bring the excluded person in either.
    add_with(
        &t,
        &no,
        &["No.=CT100239"],
        CriteriaOptions {
            expand_companies: true,
            allow_existing: true,
            ..CriteriaOptions::default()
        },
    );
    assert_eq!(
        contacts(&t, &no),
        vec!["CT100125", "CT100239", "CT100125", "CT100239"]
    );

    let other = create(&t);
    add_with(
        &t,
        &other,
        &["City=Manchester"],
        CriteriaOptions {
            ignore_exclusion: true,
            ..CriteriaOptions::default()
        },
    );
    assert_eq!(
        contacts(&t, &other),
        vec!["CT100125", "CT100239", "CT900001"]
    );
}

#[test]
fn the_exclusion_flag_can_itself_be_filtered_on() {
    let t = TestStore::demo();
    add_contact(
        &t,
        ContactInput {
            exclude_from_segment: true,
            ..manchester_person("CT900001")
        },
    );
    let no = create(&t);
    assert_eq!(add(&t, &no, &["Exclude from Segment=Yes"]).lines_changed, 0);
    add_with(
        &t,
        &no,
        &["Exclude from Segment=yes"],
        CriteriaOptions {
            ignore_exclusion: true,
            ..CriteriaOptions::default()
        },
    );
    assert_eq!(contacts(&t, &no), vec!["CT900001"]);
}

#[test]
fn adding_contacts_to_an_unknown_segment_is_refused() {
    let t = TestStore::demo();
    let err = segments::add_contacts(
        &t.store,
        &seg("NOSUCH"),
        &filters(&["City=Manchester"]),
        CriteriaOptions::default(),
        &NoProgress,
    )
    .unwrap_err();
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
}

#[test]
fn privacy_blocked_contacts_are_never_added() {
    let t = TestStore::demo();
    add_contact(
        &t,
        ContactInput {
            privacy_blocked: true,
            ..manchester_person("CT900002")
        },
    );
    add_contact(
        &t,
        ContactInput {
            no: Some("CT900010".into()),
            name: "Blocked Company".into(),
            kind: ContactKind::Company,
            city: "Manchester".into(),
            privacy_blocked: true,
            ..ContactInput::default()
        },
    );
    add_contact(
        &t,
        ContactInput {
            no: Some("CT900011".into()),
            name: "Person of a blocked company".into(),
            kind: ContactKind::Person,
            company_no: Some(contact("CT900010")),
            city: "Leeds".into(),
            ..ContactInput::default()
        },
    );
    let no = create(&t);
    let every_option = CriteriaOptions {
        allow_existing: true,
        expand_companies: true,
        related_companies: true,
        ignore_exclusion: true,
        entire_companies: true,
    };
    add_with(&t, &no, &["City=Manchester|Leeds"], every_option);
    add_with(&t, &no, &["No.=CT9*"], every_option);
    let got = contacts(&t, &no);
    assert!(!got.contains(&"CT900002".to_string()), "{got:?}");
    assert!(!got.contains(&"CT900010".to_string()), "{got:?}");
    assert_eq!(
        got,
        vec!["CT100125", "CT100239", "CT900011", "CT900011"],
        "the blocked company is not added as the related company of its person"
    );
}

// ---------------------------------------------------------------------------------------------
// Reduce and refine

#[test]
fn reduce_removes_the_matching_contacts() {
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, &["Country/Region Code=GB"]);
    assert_eq!(contacts(&t, &no), GB.to_vec());
    let change = reduce(&t, &no, &["Type=Company"], false);
    assert_eq!(change.lines_changed, 6);
    assert_eq!(
        contacts(&t, &no),
        vec![
            "CT100124", "CT100125", "CT100126", "CT100127", "CT100129", "CT100131", "CT100134",
            "CT100142", "CT100143", "CT100147"
        ]
    );
    assert_eq!(header(&t, &no).line_count, 10);
}

#[test]
fn reduce_with_entire_companies_removes_the_whole_company_of_a_match() {
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, &["Country/Region Code=GB"]);
    let change = reduce(&t, &no, &["No.=CT100125|CT100126"], true);
    // Andrew Lan's company CT100239; Tracy Tallman's company CT100243 with Barbara Moreland.
    assert_eq!(change.lines_changed, 5);
    assert_eq!(
        contacts(&t, &no),
        vec![
            "CT100013", "CT100124", "CT100129", "CT100131", "CT100134", "CT100142", "CT100143",
            "CT100147", "CT100240", "CT100242", "CT100245"
        ]
    );
}

#[test]
fn refine_keeps_only_the_matching_contacts() {
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, &["Country/Region Code=GB"]);
    let change = refine(&t, &no, &["City=Newport"], false);
    assert_eq!(change.lines_changed, 13);
    assert_eq!(contacts(&t, &no), vec!["CT100124", "CT100147", "CT100240"]);
}

#[test]
fn refine_with_entire_companies_keeps_the_whole_company_of_a_match() {
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, &["Country/Region Code=GB"]);
    refine(&t, &no, &["No.=CT100124|CT100134"], true);
    assert_eq!(
        contacts(&t, &no),
        vec!["CT100124", "CT100134", "CT100142", "CT100147", "CT100240", "CT100242"]
    );
    // Without entire companies only the matching persons stay.
    refine(&t, &no, &["No.=CT100124|CT100134"], false);
    assert_eq!(contacts(&t, &no), vec!["CT100124", "CT100134"]);
}

#[test]
fn reduce_and_refine_keep_the_line_numbers_and_values_of_the_lines_they_keep() {
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, &["City=Newport|Manchester"]);
    segments::set_line(
        &t.store,
        &no,
        40_000,
        &LineChange {
            cost: Some(money("3.21")),
            evaluation: Some(Evaluation::Neutral),
            ..LineChange::default()
        },
    )
    .unwrap();
    let before = lines(&t, &no);
    reduce(&t, &no, &["City=Manchester"], false);
    let kept: Vec<SegmentLine> = before
        .iter()
        .filter(|l| !["CT100125", "CT100239"].contains(&l.contact_no.as_str()))
        .cloned()
        .collect();
    assert_eq!(lines(&t, &no), kept);
}

// ---------------------------------------------------------------------------------------------
// Go back

/// A segment with a template, the ten GB persons and some overridden lines.
fn built_segment(t: &TestStore) -> SegmentNo {
    let no = create(t);
    segments::set_interaction(
        &t.store,
        &no,
        &InteractionChange {
            template: Some(template("BUS")),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap();
    add(t, &no, &["Country/Region Code=GB", "Type=Person"]);
    segments::set_line(
        &t.store,
        &no,
        20_000,
        &LineChange {
            template: Some(template("GOLF")),
            description: Some("Typed".into()),
            evaluation: Some(Evaluation::VeryPositive),
            ..LineChange::default()
        },
    )
    .unwrap();
    segments::set_line(
        &t.store,
        &no,
        50_000,
        &LineChange {
            cost: Some(money("0.99")),
            salesperson: Some(sp("BC")),
            date: Some(date("2025-05-01")),
            attempt_failed: Some(true),
            ..LineChange::default()
        },
    )
    .unwrap();
    no
}

#[test]
fn go_back_removes_the_lines_an_add_inserted() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = lines(&t, &no);
    let criteria_before = header(&t, &no).criteria;
    let change = add(&t, &no, &["Type=Company"]);
    assert_eq!(change.lines_changed, 8);
    let back = go_back(&t, &no);
    assert_eq!(back.lines_changed, 8);
    assert_eq!(lines(&t, &no), before);
    assert_eq!(header(&t, &no).criteria, criteria_before);
    assert_eq!(header(&t, &no).line_count, before.len() as u64);
}

#[test]
fn go_back_restores_the_lines_a_reduce_removed() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = lines(&t, &no);
    // Removes the overridden lines 20000 and 50000 among others (filters look at the
    // contact's fields, not at the line's overridden salesperson).
    let change = reduce(&t, &no, &["Salesperson Code=HR|JO"], false);
    assert_eq!(change.lines_changed, 5);
    assert_eq!(lines(&t, &no).len(), before.len() - 5);
    let back = go_back(&t, &no);
    assert_eq!(back.lines_changed, 5);
    assert_eq!(
        lines(&t, &no),
        before,
        "line numbers and overrides are back"
    );
    assert_eq!(header(&t, &no).line_count, before.len() as u64);
}

#[test]
fn go_back_restores_the_lines_a_refine_removed() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = lines(&t, &no);
    refine(&t, &no, &["City=Newport"], true);
    assert_eq!(
        lines(&t, &no)
            .iter()
            .map(|l| l.contact_no.to_string())
            .collect::<Vec<_>>(),
        vec!["CT100124", "CT100147"]
    );
    go_back(&t, &no);
    assert_eq!(lines(&t, &no), before);
}

#[test]
fn go_back_after_a_refine_that_removed_every_line_restores_them_when_the_criteria_are_kept() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = lines(&t, &no);
    let change = segments::refine_with(
        &t.store,
        &no,
        &filters(&["City=Nowhere"]),
        NarrowOptions {
            when_emptied: WhenEmptied::KeepCriteria,
            ..NarrowOptions::default()
        },
        &NoProgress,
    )
    .unwrap();
    assert!(!change.criteria_reset);
    assert_eq!(change.lines_changed, before.len() as u64);
    assert!(lines(&t, &no).is_empty());
    assert_eq!(header(&t, &no).line_count, 0);
    go_back(&t, &no);
    assert_eq!(lines(&t, &no), before);
}

#[test]
fn repeated_go_backs_undo_the_actions_one_at_a_time_newest_first() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let s0 = lines(&t, &no);
    add(&t, &no, &["Type=Company"]);
    let s1 = lines(&t, &no);
    reduce(&t, &no, &["City=Brixham"], true);
    let s2 = lines(&t, &no);
    add(&t, &no, &["Country/Region Code=US"]);
    let s3 = lines(&t, &no);
    refine(&t, &no, &["Salesperson Code=<>OF"], false);
    let s4 = lines(&t, &no);
    assert_ne!(s3, s4);
    assert_eq!(header(&t, &no).criteria.len(), 5);

    for (expected, criteria_left) in [(&s3, 4), (&s2, 3), (&s1, 2), (&s0, 1)] {
        go_back(&t, &no);
        assert_eq!(&lines(&t, &no), expected);
        assert_eq!(header(&t, &no).criteria.len(), criteria_left);
    }
    go_back(&t, &no);
    assert!(lines(&t, &no).is_empty(), "the first add is undone too");
    let err = segments::go_back(&t.store, &no, &NoProgress).unwrap_err();
    assert!(matches!(err, OpError::Refused { .. }), "{err:?}");
}

#[test]
fn go_back_first_removes_a_line_added_by_hand_after_the_action() {
    // BC: a line added by hand is an Add Contacts action of its own (SegCriteriaManagement.
    // InsertContact), so go back undoes it before the action before it.
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, &["City=Newport"]);
    let newport = lines(&t, &no);
    segments::add_line(&t.store, &no, &contact("CT100001")).unwrap();
    go_back(&t, &no);
    assert_eq!(lines(&t, &no), newport);
    go_back(&t, &no);
    assert!(lines(&t, &no).is_empty());
}

#[test]
fn go_back_without_any_action_is_refused() {
    let t = TestStore::demo();
    let no = create(&t);
    let err = segments::go_back(&t.store, &no, &NoProgress).unwrap_err();
    assert!(matches!(err, OpError::Refused { .. }), "{err:?}");
    assert!(err.to_string().contains("go back"), "{err}");
    segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
    go_back(&t, &no);
    assert!(
        lines(&t, &no).is_empty(),
        "the line added by hand was an action"
    );
    let err = segments::go_back(&t.store, &no, &NoProgress).unwrap_err();
    assert!(matches!(err, OpError::Refused { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Reusing a logged segment

#[test]
fn a_logged_segments_contacts_can_be_reused_in_a_new_segment() {
    let t = TestStore::demo();
    let first = create(&t);
    segments::set_interaction(
        &t.store,
        &first,
        &InteractionChange {
            template: Some(template("BUS")),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap();
    for c in ["CT100143", "CT100125", "CT100002"] {
        segments::add_line(&t.store, &first, &contact(c)).unwrap();
    }
    let logged = log_segment(&t.store, &t.ctx, &first, LogOptions::default(), &NoProgress)
        .unwrap()
        .logged_segment_entry_no;

    let second = create(&t);
    segments::add_line(&t.store, &second, &contact("CT100125")).unwrap();
    let change = segments::reuse_logged(&t.store, &second, logged, &NoProgress).unwrap();
    assert_eq!(
        change.lines_changed, 2,
        "CT100125 is in the segment already"
    );
    assert_eq!(
        contacts(&t, &second),
        vec!["CT100125", "CT100143", "CT100002"],
        "in the logged segment's entry order"
    );
    let action = header(&t, &second).criteria.last().cloned().unwrap();
    assert_eq!(action.kind, CriteriaKind::ReuseLogged);
    assert_eq!(action.logged_segment, Some(logged));

    // It is a criteria action like any other.
    go_back(&t, &second);
    assert_eq!(contacts(&t, &second), vec!["CT100125"]);

    let err =
        segments::reuse_logged(&t.store, &second, LoggedSegmentNo(99), &NoProgress).unwrap_err();
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

// ---------------------------------------------------------------------------------------------
// Bad filters

fn bad(text: &str) -> interlog::domain::filter::FilterError {
    match FieldFilter::parse(text) {
        Ok(f) => panic!("{text} parsed: {f:?}"),
        Err(e) => e,
    }
}

/// The text the carets of a filter error point at.
fn pointed_at(e: &interlog::domain::filter::FilterError) -> String {
    e.input
        .chars()
        .skip(e.position)
        .take(e.len.max(1))
        .collect()
}

#[test]
fn an_unknown_field_is_pointed_at() {
    let e = bad("Cty=London");
    assert_eq!(e.position, 0);
    assert_eq!(pointed_at(&e), "Cty");
    assert!(e.problem.contains("unknown field"), "{}", e.problem);
}

#[test]
fn a_bad_value_is_pointed_at_where_it_stands_in_the_whole_filter() {
    let e = bad("Type=Persn");
    assert_eq!(e.position, 5);
    assert_eq!(pointed_at(&e), "Persn");

    let e = bad("No.=<CT1*");
    assert!(e.position >= 4, "{e}");
    assert!(
        pointed_at(&e).contains('*') || pointed_at(&e).contains('<'),
        "{e}"
    );
}

#[test]
fn a_filter_errors_display_shows_the_input_with_carets_under_the_offending_part() {
    let e = bad("City=London|(Paris");
    let shown = e.to_string();
    let rows: Vec<&str> = shown.lines().collect();
    assert_eq!(rows.len(), 3, "{shown}");
    assert!(rows[0].contains(&e.problem), "{shown}");
    assert_eq!(rows[1], "  City=London|(Paris");
    let carets = rows[2].trim_start();
    assert!(carets.chars().all(|c| c == '^'), "{shown}");
    let at = rows[2].len() - carets.len() - 2;
    assert_eq!(at, e.position, "{shown}");
    assert!(e.position >= "City=".len(), "{shown}");
}

#[test]
fn a_missing_equals_sign_is_an_error() {
    let e = bad("City London");
    assert_eq!(e.position, 0);
    assert!(e.problem.contains("missing '='"), "{}", e.problem);
}

#[test]
fn go_back_is_exact_across_many_line_blocks() {
    use interlog::datagen::{generate, GenOptions};
    let t = TestStore::new();
    generate(
        &t.store,
        &t.ctx,
        GenOptions {
            contacts: 10_000,
            segment_size: 0,
            seed: 7,
        },
        &NoProgress,
    )
    .unwrap();
    let no = create(&t);
    add(&t, &no, &["No.=GC00000001..GC00006000"]);
    add(&t, &no, &["No.=GC00006001..GC00010000"]);
    for line_no in [10_000, 40_960_000, 40_970_000, 60_000_000] {
        segments::set_line(
            &t.store,
            &no,
            line_no,
            &LineChange {
                subject: Some(format!("Override on {line_no}")),
                cost: Some(money("7.77")),
                ..LineChange::default()
            },
        )
        .unwrap();
    }
    let before = lines(&t, &no);
    assert!(before.len() > 9_000, "{}", before.len());

    let change = reduce(&t, &no, &["No.=*3|*7", "Type=Person"], false);
    assert!(change.lines_changed > 1_000);
    go_back(&t, &no);
    assert_eq!(lines(&t, &no), before);

    refine(&t, &no, &["City=London|Miami"], true);
    assert!(lines(&t, &no).len() < before.len());
    go_back(&t, &no);
    assert_eq!(lines(&t, &no), before);

    go_back(&t, &no);
    assert_eq!(lines(&t, &no), before[..lines(&t, &no).len()].to_vec());
    assert!(lines(&t, &no)
        .iter()
        .all(|l| l.contact_no.as_str() <= "GC00006000"));
}

#[test]
fn criteria_actions_and_go_backs_survive_reopening_and_leave_nothing_for_recovery() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    add(&t, &no, &["Type=Company"]);
    reduce(&t, &no, &["City=Brixham"], true);
    refine(&t, &no, &["Country/Region Code=GB"], false);
    go_back(&t, &no);
    let ls = lines(&t, &no);
    let h = header(&t, &no);
    let t = t.reopen();
    assert!(t.store.recovery().is_clean(), "{:?}", t.store.recovery());
    assert_eq!(lines(&t, &no), ls);
    assert_eq!(header(&t, &no), h);
    go_back(&t, &no);
    go_back(&t, &no);
    assert_eq!(lines(&t, &no).len(), 10, "back to the ten GB persons");
}

// ---------------------------------------------------------------------------------------------
// Criteria actions as BC counts them. A line added or removed by hand is an action of its own
// (page Segment Subform → SegCriteriaManagement.InsertContact / DeleteContact: an Add Contacts
// or Remove Contacts (Reduce) action with the filter No.=<contact>); when the last line goes and
// the segment has more than one action, BC asks "Your Segment is now empty. Do you want to
// reset number of criteria actions?" (Segment Line.OnDelete, default Yes); a reduce without a
// filter removes every line (Remove Contacts, 5186), which interlog wants said with --all.

fn actions(t: &TestStore, no: &SegmentNo) -> Vec<String> {
    header(t, no)
        .criteria
        .iter()
        .map(|a| a.describe())
        .collect()
}

fn reduce_with(t: &TestStore, no: &SegmentNo, fs: &[&str], o: NarrowOptions) -> SegmentChange {
    segments::reduce_with(&t.store, no, &filters(fs), o, &NoProgress).expect("reduce")
}

const ALL: NarrowOptions = NarrowOptions {
    entire_companies: false,
    all: true,
    when_emptied: WhenEmptied::ResetCriteria,
};

const ALL_KEEPING_CRITERIA: NarrowOptions = NarrowOptions {
    when_emptied: WhenEmptied::KeepCriteria,
    ..ALL
};

#[test]
fn a_line_added_by_hand_is_an_add_contacts_action_with_a_no_filter() {
    let t = TestStore::demo();
    let no = create(&t);
    add(&t, &no, &["City=Newport"]);
    let line = segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
    let a = header(&t, &no).criteria.last().cloned().unwrap();
    assert_eq!(a.no, 2);
    assert_eq!(a.kind, CriteriaKind::Add);
    assert_eq!(a.filters, vec!["No.=CT100125".to_string()]);
    assert_eq!(
        a.options,
        CriteriaOptions::default(),
        "every option off, as BC records it"
    );
    assert_eq!(a.inserted, Some((line.line_no, line.line_no)));
    assert_eq!(a.inserted_count, 1);
}

#[test]
fn a_line_removed_by_hand_is_a_reduce_action_with_a_no_filter_that_go_back_undoes() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = lines(&t, &no);
    let removed = segments::remove_line(&t.store, &no, 20_000).unwrap();
    let a = header(&t, &no).criteria.last().cloned().unwrap();
    assert_eq!(a.kind, CriteriaKind::Reduce);
    assert_eq!(a.filters, vec![format!("No.={}", removed.contact_no)]);
    assert_eq!(a.deleted_count, 1);
    assert_eq!(lines(&t, &no).len(), before.len() - 1);
    go_back(&t, &no);
    assert_eq!(
        lines(&t, &no),
        before,
        "the line is back with its overrides"
    );
}

#[test]
fn a_reduce_without_a_filter_is_refused_unless_all_lines_are_meant() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = (header(&t, &no), lines(&t, &no));
    let err = segments::reduce_with(&t.store, &no, &[], NarrowOptions::default(), &NoProgress)
        .unwrap_err();
    assert!(
        matches!(err, OpError::ReduceWithoutFilter { ref segment } if *segment == no),
        "{err:?}"
    );
    assert!(err.to_string().contains("--all"), "the fix is named: {err}");
    let err = segments::reduce(&t.store, &no, &[], false, &NoProgress).unwrap_err();
    assert!(
        matches!(err, OpError::ReduceWithoutFilter { .. }),
        "{err:?}"
    );
    let err = segments::reduce_with(&t.store, &no, &filters(&["City=Newport"]), ALL, &NoProgress)
        .unwrap_err();
    assert!(
        matches!(err, OpError::Refused { .. }),
        "filters and all: {err:?}"
    );
    assert_eq!((header(&t, &no), lines(&t, &no)), before, "nothing written");

    let change = reduce_with(&t, &no, &[], ALL_KEEPING_CRITERIA);
    assert_eq!(change.lines_changed, before.1.len() as u64);
    assert!(lines(&t, &no).is_empty());
    assert!(actions(&t, &no)
        .last()
        .unwrap()
        .ends_with("reduce (every contact)"));
}

#[test]
fn a_refine_without_a_filter_keeps_every_line() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = lines(&t, &no);
    let change =
        segments::refine_with(&t.store, &no, &[], NarrowOptions::default(), &NoProgress).unwrap();
    assert_eq!(change.lines_changed, 0);
    assert_eq!(lines(&t, &no), before);
}

#[test]
fn a_reduce_that_empties_the_segment_resets_its_criteria_by_default() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    assert_eq!(actions(&t, &no).len(), 1);
    let change = reduce_with(&t, &no, &[], ALL);
    assert!(change.criteria_reset);
    assert!(change.segment.criteria.is_empty());
    assert!(header(&t, &no).criteria.is_empty());
    assert!(lines(&t, &no).is_empty());
    let err = segments::go_back(&t.store, &no, &NoProgress).unwrap_err();
    assert!(
        matches!(err, OpError::Refused { .. }),
        "nothing to go back over: {err:?}"
    );
    // The lines the reduce kept for go back are gone with the criteria.
    let r = interlog::ops::verify::verify(&t.store).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    // The segment is built again from scratch.
    add(&t, &no, &["City=Newport"]);
    assert_eq!(actions(&t, &no), vec!["1. add City=Newport"]);
}

#[test]
fn keeping_the_criteria_of_an_emptied_segment_lets_go_back_restore_it() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let before = lines(&t, &no);
    let change = reduce_with(
        &t,
        &no,
        &["Country/Region Code=GB"],
        ALL_KEEPING_CRITERIA_FILTERED,
    );
    assert!(!change.criteria_reset);
    assert!(lines(&t, &no).is_empty());
    assert_eq!(actions(&t, &no).len(), 2);
    go_back(&t, &no);
    assert_eq!(lines(&t, &no), before);
}

const ALL_KEEPING_CRITERIA_FILTERED: NarrowOptions = NarrowOptions {
    all: false,
    ..ALL_KEEPING_CRITERIA
};

#[test]
fn a_refine_that_empties_the_segment_resets_its_criteria_too() {
    let t = TestStore::demo();
    let no = built_segment(&t);
    let change = refine(&t, &no, &["City=Nowhere"], false);
    assert!(change.criteria_reset);
    assert!(header(&t, &no).criteria.is_empty());
}

#[test]
fn the_reset_is_offered_only_when_the_segment_has_more_than_one_action() {
    // A segment whose lines came with no action (as stores made before lines added by hand
    // were recorded): the reduce that empties it is its only action, and BC asks only when
    // there are more ("No. of Criteria Actions" > 1).
    use interlog::storage::{Change, UnitOfWork};
    let t = TestStore::demo();
    let no = built_segment(&t);
    let mut h = header(&t, &no);
    h.criteria.clear();
    let mut ws = UnitOfWork::new();
    ws.change(Change::PutSegment(h));
    t.store.apply(ws).unwrap();
    let change = reduce_with(&t, &no, &[], ALL);
    assert!(!change.criteria_reset);
    assert_eq!(actions(&t, &no), vec!["1. reduce (every contact)"]);
}

#[test]
fn removing_the_last_line_by_hand_resets_the_criteria_or_keeps_them() {
    let t = TestStore::demo();
    let no = create(&t);
    segments::add_line(&t.store, &no, &contact("CT100125")).unwrap();
    let kept =
        segments::remove_line_with(&t.store, &no, 10_000, WhenEmptied::KeepCriteria).unwrap();
    assert!(!kept.criteria_reset);
    assert_eq!(
        actions(&t, &no),
        vec!["1. add No.=CT100125", "2. reduce No.=CT100125"]
    );
    go_back(&t, &no);
    assert_eq!(contacts(&t, &no), vec!["CT100125"]);

    let reset = segments::remove_line_with(&t.store, &no, 10_000, WhenEmptied::default()).unwrap();
    assert!(reset.criteria_reset);
    assert_eq!(reset.line.contact_no, contact("CT100125"));
    assert!(actions(&t, &no).is_empty());
    assert!(lines(&t, &no).is_empty());
    let r = interlog::ops::verify::verify(&t.store).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
}

mod through_the_binary {
    use super::common::bin::Bin;

    fn segment_with_lines(c: &Bin) {
        c.ok(&[
            "segment",
            "create",
            "--no",
            "S1",
            "--description",
            "Criteria",
        ]);
        c.ok(&["segment", "add-contacts", "S1", "--filter", "City=Newport"]);
        c.ok(&["segment", "add-line", "S1", "--contact", "CT100125"]);
    }

    #[test]
    fn lines_added_and_removed_by_hand_show_as_criteria_actions() {
        let c = Bin::demo();
        segment_with_lines(&c);
        let r = c.json(&[
            "segment",
            "remove-line",
            "S1",
            "10000",
            "--reset-criteria",
            "no",
        ]);
        assert_eq!(r["criteria_reset"], false);
        let h = c.json(&["segment", "show", "S1"])["segment"].clone();
        let kinds: Vec<&str> = h["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["add", "add", "reduce"]);
        assert_eq!(h["criteria"][1]["filters"][0], "No.=CT100125");
        let text = c.ok(&["segment", "show", "S1"]);
        assert!(text.contains("2. add No.=CT100125"), "{text}");
    }

    #[test]
    fn segment_reduce_needs_a_filter_or_all() {
        let c = Bin::demo();
        segment_with_lines(&c);
        let before = c.json(&["segment", "show", "S1"]);
        let err = c.fails(&["segment", "reduce", "S1"], 1);
        assert!(err.contains("--all to remove every line"), "{err}");
        c.fails(
            &[
                "segment",
                "reduce",
                "S1",
                "--all",
                "--filter",
                "City=Newport",
            ],
            2,
        );
        assert_eq!(
            c.json(&["segment", "show", "S1"]),
            before,
            "nothing written"
        );

        let r = c.json(&["segment", "reduce", "S1", "--all", "--reset-criteria", "no"]);
        assert_eq!(r["criteria_reset"], false);
        assert_eq!(r["segment"]["line_count"], 0);
        assert_eq!(r["segment"]["criteria"].as_array().unwrap().len(), 3);
        let back = c.json(&["segment", "go-back", "S1"]);
        assert_eq!(
            back["segment"]["line_count"],
            before["segment"]["line_count"]
        );
    }

    #[test]
    fn an_emptied_segment_has_its_criteria_reset_unless_told_otherwise() {
        let c = Bin::demo();
        segment_with_lines(&c);
        let text = c.ok(&[
            "segment",
            "refine",
            "S1",
            "--filter",
            "City=Nowhere",
            "--reset-criteria",
            "yes",
        ]);
        assert!(text.contains("criteria actions were reset"), "{text}");
        let h = c.json(&["segment", "show", "S1"]);
        assert!(h["segment"]["criteria"].as_array().unwrap().is_empty());
        c.fails(&["segment", "go-back", "S1"], 1);

        let line_no = |contact: &str| {
            c.json(&["segment", "add-line", "S1", "--contact", contact])["line_no"]
                .as_u64()
                .unwrap()
                .to_string()
        };
        let (first, second) = (line_no("CT100125"), line_no("CT100124"));
        let r = c.json(&["segment", "remove-line", "S1", &first]);
        assert_eq!(r["criteria_reset"], false, "a line is left");
        c.fails(
            &[
                "segment",
                "remove-line",
                "S1",
                &second,
                "--reset-criteria",
                "maybe",
            ],
            2,
        );
        let r = c.json(&[
            "segment",
            "remove-line",
            "S1",
            &second,
            "--reset-criteria",
            "yes",
        ]);
        assert_eq!(r["criteria_reset"], true);
        assert_eq!(r["contact_no"], "CT100124");
    }
}
