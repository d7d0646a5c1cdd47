//! Segments (SPEC §2.6): creating a segment, the interaction section of its header, what every
//! new line inherits from it, lines added and removed one by one, and how header changes reach
//! the lines.

mod common;

use common::*;
use interlog::domain::*;
use interlog::ops::master::{self, ContactInput, SetupChange};
use interlog::ops::segments::{
    self, InteractionChange, LineChange, NoProgress, SegmentChange, SegmentInput,
};
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

fn create(t: &TestStore, description: &str) -> SegmentHeader {
    segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: description.into(),
            ..SegmentInput::default()
        },
    )
    .expect("create segment")
    .record
}

fn set(t: &TestStore, no: &SegmentNo, change: InteractionChange) -> SegmentChange {
    segments::set_interaction(&t.store, no, &change, &NoProgress).expect("set interaction")
}

fn set_template(t: &TestStore, no: &SegmentNo, code: &str) -> SegmentChange {
    set(
        t,
        no,
        InteractionChange {
            template: Some(template(code)),
            ..InteractionChange::default()
        },
    )
}

fn add(t: &TestStore, no: &SegmentNo, c: &str) -> SegmentLine {
    segments::add_line(&t.store, no, &contact(c)).expect("add line")
}

fn set_line(t: &TestStore, no: &SegmentNo, line_no: u64, change: LineChange) -> SegmentLine {
    segments::set_line(&t.store, no, line_no, &change).expect("set line")
}

/// Adds a person without a company, with the given correspondence type and e-mail address.
fn person(t: &TestStore, no: &str, corr: CorrespondenceType, email: &str) -> ContactNo {
    master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            no: Some(no.into()),
            name: format!("Person {no}"),
            kind: ContactKind::Person,
            email: email.into(),
            correspondence_type: Some(corr),
            ..ContactInput::default()
        },
    )
    .expect("add contact")
    .record
    .no
}

/// Adds a template in group LETTER.
fn letter_template(
    t: &TestStore,
    code: &str,
    corr: CorrespondenceType,
    ignore_contact: bool,
) -> TemplateCode {
    master::add_template(
        &t.store,
        InteractionTemplate {
            code: template(code),
            group_code: GroupCode::new("LETTER").unwrap(),
            description: format!("Letter {code}"),
            unit_cost: money("2.50"),
            unit_duration_min: 5,
            information_flow: InformationFlow::Outbound,
            initiated_by: InitiatedBy::Us,
            correspondence_type_default: corr,
            ignore_contact_correspondence_type: ignore_contact,
            language_code_default: None,
            campaign_no: None,
        },
    )
    .expect("add template")
    .code
}

fn line_nos(ls: &[SegmentLine]) -> Vec<u64> {
    ls.iter().map(|l| l.line_no).collect()
}

fn contacts_of(ls: &[SegmentLine]) -> Vec<String> {
    ls.iter().map(|l| l.contact_no.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Creating a segment

#[test]
fn a_new_segment_is_numbered_from_the_segment_series() {
    let t = TestStore::demo();
    assert_eq!(create(&t, "First").no, seg("SM00001"));
    assert_eq!(create(&t, "Second").no, seg("SM00002"));
    let all: Vec<SegmentNo> = segments::list(&t.store)
        .unwrap()
        .into_iter()
        .map(|h| h.no)
        .collect();
    assert_eq!(all, vec![seg("SM00001"), seg("SM00002")]);
}

#[test]
fn a_typed_number_is_used_when_the_series_accepts_typed_numbers() {
    let t = TestStore::demo();
    let h = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            no: Some("spring25".into()),
            description: "Spring mailing".into(),
            ..SegmentInput::default()
        },
    )
    .unwrap()
    .record;
    assert_eq!(
        h.no,
        seg("SPRING25"),
        "segment numbers are codes (upper case)"
    );
    // A typed number does not use up a number of the series.
    assert_eq!(create(&t, "Next").no, seg("SM00001"));
}

#[test]
fn a_typed_number_is_refused_when_the_series_only_gives_numbers_automatically() {
    let t = TestStore::demo();
    let mut s = NoSeries::simple(
        SeriesCode::new("SEGAUTO").unwrap(),
        "Automatic only",
        "SA001",
        None,
    );
    s.manual_nos = false;
    master::add_series(&t.store, s).unwrap();
    master::set_setup(
        &t.store,
        SetupChange {
            segment_nos: Some(Some(SeriesCode::new("SEGAUTO").unwrap())),
            ..SetupChange::default()
        },
    )
    .unwrap();
    let err = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            no: Some("MINE".into()),
            description: "Typed".into(),
            ..SegmentInput::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::Series(SeriesError::ManualNotAllowed { .. }))
        ),
        "{err:?}"
    );
    assert!(segments::list(&t.store).unwrap().is_empty());
    assert_eq!(create(&t, "Automatic").no, seg("SA001"));
}

#[test]
fn without_a_segment_series_a_number_must_be_typed_and_the_error_names_segment_nos() {
    let t = TestStore::demo();
    master::set_setup(
        &t.store,
        SetupChange {
            segment_nos: Some(None),
            ..SetupChange::default()
        },
    )
    .unwrap();
    let err = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "No series".into(),
            ..SegmentInput::default()
        },
    )
    .unwrap_err();
    match &err {
        OpError::Missing { hint, .. } => assert!(hint.contains("segment_nos"), "{hint}"),
        other => panic!("expected Missing, got {other:?}"),
    }
    assert!(err.to_string().contains("segment_nos"), "{err}");
    assert!(segments::list(&t.store).unwrap().is_empty());

    let typed = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            no: Some("TYPED1".into()),
            description: "Typed".into(),
            ..SegmentInput::default()
        },
    )
    .unwrap()
    .record;
    assert_eq!(typed.no, seg("TYPED1"));
}

#[test]
fn a_new_segment_is_dated_with_the_work_date() {
    let mut t = TestStore::demo();
    t.ctx = ctx().with_work_date(date("2025-06-30"));
    let h = create(&t, "Summer");
    assert_eq!(h.date, date("2025-06-30"));
    assert_eq!(h.description, "Summer");
    assert_eq!(h.interaction, SegmentInteraction::default());
    assert_eq!(h.line_count, 0);
}

#[test]
fn a_segment_number_in_use_is_refused() {
    let t = TestStore::demo();
    let input = SegmentInput {
        no: Some("DUP".into()),
        description: "One".into(),
        ..SegmentInput::default()
    };
    segments::create(&t.store, &t.ctx, &input).unwrap();
    let err = segments::create(&t.store, &t.ctx, &input).unwrap_err();
    assert!(
        matches!(err, OpError::AlreadyExists { what: "segment", ref key } if key == "DUP"),
        "{err:?}"
    );
}

#[test]
fn a_description_longer_than_100_characters_is_refused() {
    let t = TestStore::demo();
    let err = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "x".repeat(101),
            ..SegmentInput::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::TextTooLong {
                max: 100,
                len: 101,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(create(&t, &"x".repeat(100)).description.len(), 100);
}

#[test]
fn a_refused_create_does_not_use_up_a_number() {
    let t = TestStore::demo();
    let err = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Bad salesperson".into(),
            salesperson: Some(sp("NOBODY")),
            ..SegmentInput::default()
        },
    )
    .unwrap_err();
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
    let err = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Bad campaign".into(),
            campaign: Some(campaign("CP9999")),
            ..SegmentInput::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "campaign",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(segments::list(&t.store).unwrap().is_empty());
    assert_eq!(create(&t, "Good").no, seg("SM00001"));
}

// ---------------------------------------------------------------------------------------------
// The interaction section

#[test]
fn setting_a_template_copies_its_defaults_into_the_header() {
    let t = TestStore::demo();
    let h = create(&t, "Letters");
    let changed = set_template(&t, &h.no, "BUS");
    let i = &changed.segment.interaction;
    assert_eq!(i.template_code, Some(template("BUS")));
    assert_eq!(i.group_code, Some(GroupCode::new("LETTER").unwrap()));
    assert_eq!(i.unit_cost, money("8.00"));
    assert_eq!(i.unit_duration_min, 30);
    assert_eq!(i.information_flow, InformationFlow::Outbound);
    assert_eq!(i.initiated_by, InitiatedBy::Us);
    assert_eq!(i.correspondence_type_default, CorrespondenceType::HardCopy);
    assert!(i.ignore_contact_correspondence_type);
    assert_eq!(i.language_code_default, None);
    assert_eq!(changed.lines_changed, 0, "the segment has no lines yet");
    // Stored, not only returned.
    assert_eq!(header(&t, &h.no).interaction, *i);

    // Another template replaces every copied default.
    let changed = set_template(&t, &h.no, "INCOME");
    let i = &changed.segment.interaction;
    assert_eq!(i.template_code, Some(template("INCOME")));
    assert_eq!(i.group_code, Some(GroupCode::new("PHONE").unwrap()));
    assert_eq!(i.unit_cost, money("0.00"));
    assert_eq!(i.unit_duration_min, 15);
    assert_eq!(i.information_flow, InformationFlow::Inbound);
    assert_eq!(i.initiated_by, InitiatedBy::Them);
    assert_eq!(i.correspondence_type_default, CorrespondenceType::Blank);
}

#[test]
fn setting_an_unknown_template_or_salesperson_on_the_header_is_refused() {
    let t = TestStore::demo();
    let h = create(&t, "Letters");
    let err = segments::set_interaction(
        &t.store,
        &h.no,
        &InteractionChange {
            template: Some(template("NOPE")),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "interaction template",
                ..
            }
        ),
        "{err:?}"
    );
    let err = segments::set_interaction(
        &t.store,
        &h.no,
        &InteractionChange {
            salesperson: Some(sp("NOBODY")),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap_err();
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
    assert_eq!(header(&t, &h.no), h, "a refused change writes nothing");
}

#[test]
fn every_new_line_inherits_the_headers_interaction_fields() {
    let t = TestStore::demo();
    let h = create(&t, "Spring visits");
    set_template(&t, &h.no, "ONSITE");
    set(
        &t,
        &h.no,
        InteractionChange {
            subject: Some("Quarterly review".into()),
            language: Some(LanguageCode::new("ENU").unwrap()),
            salesperson: Some(sp("JO")),
            campaign: Some(campaign("CP1002")),
            date: Some(date("2025-03-20")),
            unit_cost: Some(money("50.00")),
            unit_duration_min: Some(200),
            ..InteractionChange::default()
        },
    );
    let l = add(&t, &h.no, "CT100125");
    assert_eq!(l.line_no, 10_000);
    assert_eq!(l.contact_no, contact("CT100125"));
    assert_eq!(l.contact_company_no, Some(contact("CT100239")));
    assert_eq!(l.template_code, Some(template("ONSITE")));
    assert_eq!(l.group_code, Some(GroupCode::new("MEETING").unwrap()));
    assert_eq!(l.cost, money("50.00"));
    assert_eq!(l.duration_min, 200);
    assert_eq!(l.information_flow, InformationFlow::Outbound);
    assert_eq!(l.initiated_by, InitiatedBy::Us);
    assert_eq!(l.correspondence_type, CorrespondenceType::Blank);
    assert_eq!(l.language_code, Some(LanguageCode::new("ENU").unwrap()));
    assert_eq!(l.subject, "Quarterly review");
    assert_eq!(l.salesperson_code, Some(sp("JO")), "the header's, not HR");
    assert_eq!(l.campaign_no, Some(campaign("CP1002")));
    assert_eq!(l.date, date("2025-03-20"));
    assert_eq!(l.description, "Spring visits");
    assert!(!l.description_typed);
    assert_eq!(l.evaluation, Evaluation::Blank);
    assert!(!l.attempt_failed);
    assert_eq!(lines(&t, &h.no), vec![l.clone()], "stored as returned");

    // Lines added by criteria inherit exactly the same way.
    let f = interlog::domain::filter::FieldFilter::parse("No.=CT100124").unwrap();
    segments::add_contacts(
        &t.store,
        &h.no,
        &[f],
        CriteriaOptions::default(),
        &NoProgress,
    )
    .unwrap();
    let by_criteria = lines(&t, &h.no).pop().unwrap();
    assert_eq!(by_criteria.line_no, 20_000);
    let expected = SegmentLine {
        line_no: 20_000,
        contact_no: contact("CT100124"),
        contact_company_no: Some(contact("CT100240")),
        ..l
    };
    assert_eq!(by_criteria, expected);
}

#[test]
fn a_line_takes_the_contacts_salesperson_when_the_header_has_none() {
    let t = TestStore::demo();
    let h = create(&t, "No salesperson on the header");
    assert_eq!(add(&t, &h.no, "CT100125").salesperson_code, Some(sp("HR")));
    assert_eq!(add(&t, &h.no, "CT100124").salesperson_code, Some(sp("LT")));
    let nobody = person(&t, "CT900001", CorrespondenceType::Blank, "");
    assert_eq!(add(&t, &h.no, nobody.as_str()).salesperson_code, None);
}

#[test]
fn a_line_starts_with_the_headers_description_and_a_header_without_template_gives_none() {
    let t = TestStore::demo();
    let h = create(&t, "Only a description");
    let l = add(&t, &h.no, "CT100125");
    assert_eq!(l.description, "Only a description");
    assert_eq!(l.template_code, None);
    assert_eq!(l.group_code, None);
    assert_eq!(l.cost, Money::ZERO);
    assert_eq!(l.date, day());
}

// ---------------------------------------------------------------------------------------------
// Correspondence type of a new line (SPEC §2.5)

#[test]
fn a_line_takes_the_headers_correspondence_type_when_the_header_ignores_the_contacts() {
    let t = TestStore::demo();
    let c = person(&t, "CT900001", CorrespondenceType::Email, "p1@example.com");
    let h = create(&t, "Header decides");
    set_template(&t, &h.no, "INCOME"); // template default blank
    set(
        &t,
        &h.no,
        InteractionChange {
            correspondence_type: Some(CorrespondenceType::HardCopy),
            ignore_contact_correspondence_type: Some(true),
            ..InteractionChange::default()
        },
    );
    assert_eq!(
        add(&t, &h.no, c.as_str()).correspondence_type,
        CorrespondenceType::HardCopy
    );
}

#[test]
fn a_headers_default_does_not_count_unless_it_ignores_the_contacts_type() {
    let t = TestStore::demo();
    let c = person(&t, "CT900001", CorrespondenceType::Email, "p1@example.com");
    let h = create(&t, "Contact decides");
    set_template(&t, &h.no, "INHOUSE"); // blank default, does not ignore the contact
    set(
        &t,
        &h.no,
        InteractionChange {
            correspondence_type: Some(CorrespondenceType::HardCopy),
            ignore_contact_correspondence_type: Some(false),
            ..InteractionChange::default()
        },
    );
    assert_eq!(
        add(&t, &h.no, c.as_str()).correspondence_type,
        CorrespondenceType::Email
    );
}

#[test]
fn a_line_takes_the_templates_default_when_the_template_ignores_the_contacts_type() {
    let t = TestStore::demo();
    let c = person(
        &t,
        "CT900001",
        CorrespondenceType::HardCopy,
        "p1@example.com",
    );
    let h = create(&t, "Template decides");
    set_template(&t, &h.no, "GOLF"); // Email, ignores the contact
    assert_eq!(
        add(&t, &h.no, c.as_str()).correspondence_type,
        CorrespondenceType::Email
    );
}

#[test]
fn a_line_takes_the_templates_default_when_the_contact_has_none_else_the_contacts() {
    let t = TestStore::demo();
    let code = letter_template(&t, "LETTER2", CorrespondenceType::HardCopy, false);
    let none = person(&t, "CT900001", CorrespondenceType::Blank, "p1@example.com");
    let own = person(&t, "CT900002", CorrespondenceType::Email, "p2@example.com");
    let h = create(&t, "Template or contact");
    set_template(&t, &h.no, code.as_str());
    assert_eq!(
        add(&t, &h.no, none.as_str()).correspondence_type,
        CorrespondenceType::HardCopy
    );
    assert_eq!(
        add(&t, &h.no, own.as_str()).correspondence_type,
        CorrespondenceType::Email
    );
}

#[test]
fn email_becomes_blank_for_a_contact_without_an_email_address() {
    let t = TestStore::demo();
    let c = person(&t, "CT900001", CorrespondenceType::Email, "");
    let h = create(&t, "No address");
    set_template(&t, &h.no, "GOLF");
    assert_eq!(
        add(&t, &h.no, c.as_str()).correspondence_type,
        CorrespondenceType::Blank
    );
}

// ---------------------------------------------------------------------------------------------
// Lines one by one

#[test]
fn lines_added_one_by_one_are_numbered_in_steps_of_10000() {
    let t = TestStore::demo();
    let h = create(&t, "One by one");
    for c in ["CT100125", "CT100124", "CT100147"] {
        add(&t, &h.no, c);
    }
    let ls = lines(&t, &h.no);
    assert_eq!(line_nos(&ls), vec![10_000, 20_000, 30_000]);
    assert_eq!(contacts_of(&ls), vec!["CT100125", "CT100124", "CT100147"]);
    assert_eq!(header(&t, &h.no).line_count, 3);
    // BC's Segment Subform records each as an Add Contacts action with a No. filter.
    let actions: Vec<String> = header(&t, &h.no)
        .criteria
        .iter()
        .map(|a| a.describe())
        .collect();
    assert_eq!(
        actions,
        vec![
            "1. add No.=CT100125",
            "2. add No.=CT100124",
            "3. add No.=CT100147"
        ]
    );
}

#[test]
fn adding_a_line_for_an_unknown_contact_is_refused() {
    let t = TestStore::demo();
    let h = create(&t, "Unknown");
    let err = segments::add_line(&t.store, &h.no, &contact("CT999999")).unwrap_err();
    assert!(
        matches!(err, OpError::NotFound { what: "contact", ref key } if key == "CT999999"),
        "{err:?}"
    );
    assert!(lines(&t, &h.no).is_empty());
}

#[test]
fn adding_a_line_for_a_privacy_blocked_contact_is_refused() {
    let t = TestStore::demo();
    master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            no: Some("CT900009".into()),
            name: "Blocked Person".into(),
            kind: ContactKind::Person,
            privacy_blocked: true,
            ..ContactInput::default()
        },
    )
    .unwrap();
    let h = create(&t, "Blocked");
    let err = segments::add_line(&t.store, &h.no, &contact("CT900009")).unwrap_err();
    assert!(
        matches!(err, OpError::PrivacyBlocked { ref contact } if contact.as_str() == "CT900009"),
        "{err:?}"
    );
    assert!(err.to_string().contains("blocked for privacy"), "{err}");
    assert!(lines(&t, &h.no).is_empty());
    assert_eq!(header(&t, &h.no).line_count, 0);
}

#[test]
fn removing_a_line_removes_only_that_line() {
    let t = TestStore::demo();
    let h = create(&t, "Remove");
    for c in ["CT100125", "CT100124", "CT100147"] {
        add(&t, &h.no, c);
    }
    let removed = segments::remove_line(&t.store, &h.no, 20_000).unwrap();
    assert_eq!(removed.contact_no, contact("CT100124"));
    let ls = lines(&t, &h.no);
    assert_eq!(line_nos(&ls), vec![10_000, 30_000]);
    assert_eq!(contacts_of(&ls), vec!["CT100125", "CT100147"]);
    assert_eq!(header(&t, &h.no).line_count, 2);

    // The first line too; then a new line still goes to the end.
    segments::remove_line(&t.store, &h.no, 10_000).unwrap();
    let l = add(&t, &h.no, "CT100124");
    assert_eq!(l.line_no, 40_000);
    assert_eq!(line_nos(&lines(&t, &h.no)), vec![30_000, 40_000]);
}

#[test]
fn removing_a_line_that_does_not_exist_is_refused() {
    let t = TestStore::demo();
    let h = create(&t, "Remove");
    add(&t, &h.no, "CT100125");
    for line_no in [5_000, 20_000] {
        let err = segments::remove_line(&t.store, &h.no, line_no).unwrap_err();
        assert!(
            matches!(
                err,
                OpError::NotFound {
                    what: "segment line",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    segments::remove_line(&t.store, &h.no, 10_000).unwrap();
    let err = segments::remove_line(&t.store, &h.no, 10_000).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "segment line",
                ..
            }
        ),
        "{err:?}"
    );
    let err = segments::remove_line(&t.store, &seg("NOSUCH"), 10_000).unwrap_err();
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

// ---------------------------------------------------------------------------------------------
// Header changes and the lines

/// A BUS segment with three lines; line 20000 is moved to template GOLF.
fn three_lines_one_on_golf(t: &TestStore) -> SegmentNo {
    let h = create(t, "Letters");
    set_template(t, &h.no, "BUS");
    for c in ["CT100125", "CT100124", "CT100147"] {
        add(t, &h.no, c);
    }
    set_line(
        t,
        &h.no,
        20_000,
        LineChange {
            template: Some(template("GOLF")),
            ..LineChange::default()
        },
    );
    h.no
}

#[test]
fn a_header_change_reaches_only_lines_still_on_the_headers_template() {
    let t = TestStore::demo();
    let no = three_lines_one_on_golf(&t);
    let golf_before = lines(&t, &no)[1].clone();
    let change = set(
        &t,
        &no,
        InteractionChange {
            unit_duration_min: Some(45),
            unit_cost: Some(money("9.50")),
            subject: Some("New subject".into()),
            language: Some(LanguageCode::new("ENU").unwrap()),
            salesperson: Some(sp("BC")),
            campaign: Some(campaign("CP1001")),
            date: Some(date("2025-04-01")),
            description: Some("Renamed".into()),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 2);
    let ls = lines(&t, &no);
    for l in [&ls[0], &ls[2]] {
        assert_eq!(l.template_code, Some(template("BUS")));
        assert_eq!(l.duration_min, 45);
        assert_eq!(l.cost, money("9.50"));
        assert_eq!(l.subject, "New subject");
        assert_eq!(l.language_code, Some(LanguageCode::new("ENU").unwrap()));
        assert_eq!(l.salesperson_code, Some(sp("BC")));
        assert_eq!(l.campaign_no, Some(campaign("CP1001")));
        assert_eq!(l.date, date("2025-04-01"));
        assert_eq!(l.description, "Renamed");
    }
    assert_eq!(ls[1], golf_before, "the GOLF line is left alone");
}

#[test]
fn lines_changed_counts_only_lines_whose_values_changed() {
    let t = TestStore::demo();
    let h = create(&t, "Count");
    set_template(&t, &h.no, "BUS");
    for c in ["CT100125", "CT100124", "CT100147"] {
        add(&t, &h.no, c);
    }
    // Line 10000 already has the duration the header is about to get.
    set_line(
        &t,
        &h.no,
        10_000,
        LineChange {
            duration_min: Some(45),
            ..LineChange::default()
        },
    );
    let change = set(
        &t,
        &h.no,
        InteractionChange {
            unit_duration_min: Some(45),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 2);
    assert!(lines(&t, &h.no).iter().all(|l| l.duration_min == 45));

    // A change that leaves the header as it was changes nothing.
    let change = set(
        &t,
        &h.no,
        InteractionChange {
            unit_duration_min: Some(45),
            template: Some(template("BUS")),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 0);
}

#[test]
fn a_header_field_change_leaves_a_lines_other_overrides_alone() {
    let t = TestStore::demo();
    let h = create(&t, "Overrides");
    set_template(&t, &h.no, "BUS");
    add(&t, &h.no, "CT100125");
    set_line(
        &t,
        &h.no,
        10_000,
        LineChange {
            cost: Some(money("1.23")),
            evaluation: Some(Evaluation::Positive),
            ..LineChange::default()
        },
    );
    let change = set(
        &t,
        &h.no,
        InteractionChange {
            unit_duration_min: Some(60),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 1);
    let l = &lines(&t, &h.no)[0];
    assert_eq!(l.duration_min, 60);
    assert_eq!(l.cost, money("1.23"), "only the changed field is copied");
    assert_eq!(l.evaluation, Evaluation::Positive);
}

/// BC's Segment Header: a new template reaches every line as its code (`ModifyAll`, no
/// validation) and the header's new correspondence type default (`CopyFromTemplate`); cost,
/// duration, description, flow and initiated-by stay as the lines had them.
#[test]
fn changing_the_headers_template_reaches_every_line_as_its_code_and_correspondence_type() {
    let t = TestStore::demo();
    let no = three_lines_one_on_golf(&t);
    set_line(
        &t,
        &no,
        30_000,
        LineChange {
            description: Some("Typed for Evans".into()),
            ..LineChange::default()
        },
    );
    let change = set_template(&t, &no, "ABSTRACT");
    assert_eq!(change.lines_changed, 3);
    let ls = lines(&t, &no);
    for l in &ls {
        assert_eq!(l.template_code, Some(template("ABSTRACT")));
        assert_eq!(l.group_code, Some(GroupCode::new("LETTER").unwrap()));
        assert_eq!(l.correspondence_type, CorrespondenceType::HardCopy);
    }
    // What the lines had before stays: BUS and GOLF values, not ABSTRACT's (90 min, blank
    // initiated-by, "Abstracts of meeting").
    let kept: Vec<(u32, InitiatedBy, &str)> = ls
        .iter()
        .map(|l| (l.duration_min, l.initiated_by, l.description.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            (30, InitiatedBy::Us, "Letters"),
            (1, InitiatedBy::Us, "Golf event"),
            (30, InitiatedBy::Us, "Typed for Evans"),
        ]
    );
    assert!(ls.iter().all(|l| l.cost == money("8.00")));
    // The header took all of ABSTRACT's defaults.
    let h = header(&t, &no);
    assert_eq!(h.interaction.unit_duration_min, 90);

    // After the template change every line is on the header's template again, so a field
    // change reaches all of them.
    let change = set(
        &t,
        &no,
        InteractionChange {
            unit_duration_min: Some(10),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 3);
    assert!(lines(&t, &no).iter().all(|l| l.duration_min == 10));
}

#[test]
fn a_template_and_a_field_changed_together_reach_the_lines_as_two_changes() {
    let t = TestStore::demo();
    let no = three_lines_one_on_golf(&t);
    let change = set(
        &t,
        &no,
        InteractionChange {
            template: Some(template("INHOUSE")),
            unit_cost: Some(money("3.00")),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 3);
    for l in lines(&t, &no) {
        assert_eq!(l.template_code, Some(template("INHOUSE")));
        assert_eq!(l.group_code, Some(GroupCode::new("MEETING").unwrap()));
        assert_eq!(
            l.cost,
            money("3.00"),
            "the typed unit cost reaches every line"
        );
        assert_ne!(
            l.duration_min, 120,
            "INHOUSE's duration stays on the header"
        );
    }
}

#[test]
fn lines_added_before_the_header_had_a_template_keep_their_values_when_it_gets_one() {
    let t = TestStore::demo();
    let h = create(&t, "Template last");
    add(&t, &h.no, "CT100125");
    let change = set_template(&t, &h.no, "BUS");
    assert_eq!(change.lines_changed, 1);
    let l = &lines(&t, &h.no)[0];
    assert_eq!(l.template_code, Some(template("BUS")));
    assert_eq!(l.group_code, Some(GroupCode::new("LETTER").unwrap()));
    assert_eq!(l.correspondence_type, CorrespondenceType::HardCopy);
    assert_eq!(
        l.cost,
        Money::ZERO,
        "BC copies the unit cost to the header only"
    );
    assert_eq!(l.duration_min, 0);
    assert_eq!(l.description, "Template last");
}

#[test]
fn a_header_salesperson_change_reaches_lines_that_had_the_contacts_salesperson() {
    let t = TestStore::demo();
    let h = create(&t, "Salespeople");
    set_template(&t, &h.no, "BUS");
    add(&t, &h.no, "CT100125"); // HR
    add(&t, &h.no, "CT100124"); // LT
    let change = set(
        &t,
        &h.no,
        InteractionChange {
            salesperson: Some(sp("OF")),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 2);
    assert!(lines(&t, &h.no)
        .iter()
        .all(|l| l.salesperson_code == Some(sp("OF"))));
    assert_eq!(header(&t, &h.no).salesperson_code, Some(sp("OF")));
}

#[test]
fn a_header_correspondence_change_reaches_only_lines_on_the_headers_template() {
    let t = TestStore::demo();
    let no = three_lines_one_on_golf(&t);
    set_template(&t, &no, "INHOUSE"); // blank default, contact's type counts
    set_line(
        &t,
        &no,
        20_000,
        LineChange {
            template: Some(template("GOLF")),
            ..LineChange::default()
        },
    );
    let before = lines(&t, &no);
    assert_eq!(before[0].correspondence_type, CorrespondenceType::Blank);
    assert_eq!(before[1].correspondence_type, CorrespondenceType::Email);
    let change = set(
        &t,
        &no,
        InteractionChange {
            correspondence_type: Some(CorrespondenceType::HardCopy),
            ignore_contact_correspondence_type: Some(true),
            ..InteractionChange::default()
        },
    );
    assert_eq!(change.lines_changed, 2);
    let after = lines(&t, &no);
    assert_eq!(after[0].correspondence_type, CorrespondenceType::HardCopy);
    assert_eq!(after[1], before[1]);
    assert_eq!(after[2].correspondence_type, CorrespondenceType::HardCopy);
}

#[test]
fn a_template_change_counts_only_the_lines_that_end_up_different() {
    let t = TestStore::demo();
    let no = three_lines_one_on_golf(&t);
    // Line 20000 is already a GOLF line with GOLF's values.
    let golf_line = lines(&t, &no)[1].clone();
    let change = set_template(&t, &no, "GOLF");
    assert_eq!(change.lines_changed, 2);
    let ls = lines(&t, &no);
    assert_eq!(ls[1], golf_line);
    assert!(ls.iter().all(|l| l.template_code == Some(template("GOLF"))));
    let durations: Vec<u32> = ls.iter().map(|l| l.duration_min).collect();
    assert_eq!(
        durations,
        [30, 1, 30],
        "the template's duration stays on the header"
    );
}

// ---------------------------------------------------------------------------------------------
// A model check of header changes

mod model {
    use super::*;
    use interlog::domain::filter::FieldFilter;
    use proptest::prelude::*;

    const TEMPLATES: [&str; 4] = ["BUS", "GOLF", "INCOME", "ONSITE"];

    fn line_change(kind: u8, arg: u8) -> LineChange {
        match kind % 6 {
            0 => LineChange {
                template: Some(template(TEMPLATES[usize::from(arg) % 4])),
                ..LineChange::default()
            },
            1 => LineChange {
                cost: Some(Money(u64::from(arg))),
                ..LineChange::default()
            },
            2 => LineChange {
                duration_min: Some(u32::from(arg)),
                ..LineChange::default()
            },
            3 => LineChange {
                description: Some(format!("Typed {arg}")),
                ..LineChange::default()
            },
            4 => LineChange {
                salesperson: Some(sp(["BC", "EH", "OF"][usize::from(arg) % 3])),
                ..LineChange::default()
            },
            _ => LineChange {
                correspondence_type: Some(CorrespondenceType::Email),
                ..LineChange::default()
            },
        }
    }

    fn header_change(kind: u8, arg: u8) -> InteractionChange {
        match kind % 7 {
            0 => InteractionChange {
                template: Some(template(TEMPLATES[usize::from(arg) % 4])),
                ..InteractionChange::default()
            },
            1 => InteractionChange {
                unit_cost: Some(Money(u64::from(arg) * 3)),
                ..InteractionChange::default()
            },
            2 => InteractionChange {
                unit_duration_min: Some(u32::from(arg) % 5),
                ..InteractionChange::default()
            },
            3 => InteractionChange {
                description: Some(format!("Header {}", arg % 2)),
                ..InteractionChange::default()
            },
            4 => InteractionChange {
                salesperson: Some(sp(["BC", "HR"][usize::from(arg) % 2])),
                ..InteractionChange::default()
            },
            5 => InteractionChange {
                correspondence_type: Some(CorrespondenceType::HardCopy),
                ignore_contact_correspondence_type: Some(arg.is_multiple_of(2)),
                ..InteractionChange::default()
            },
            _ => InteractionChange {
                subject: Some(format!("Subject {}", arg % 2)),
                date: Some(date("2025-03-20")),
                ..InteractionChange::default()
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

        /// Whatever the lines' overrides, a header change touches exactly the lines it
        /// reports, leaves lines on another template alone (unless the template changes), and
        /// a template change puts every line on the new template.
        #[test]
        fn a_header_change_reports_exactly_the_lines_it_changed(
            adds in prop::collection::vec(0usize..4, 1..4),
            overrides in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..12),
            changes in prop::collection::vec((any::<u8>(), any::<u8>()), 1..4),
        ) {
            let t = TestStore::demo();
            let h = create(&t, "Model");
            set_template(&t, &h.no, "BUS");
            let groups = ["Type=Person", "Type=Company", "City=Newport|Manchester", "No.=CT1001*"];
            for g in adds {
                segments::add_contacts(
                    &t.store,
                    &h.no,
                    &[FieldFilter::parse(groups[g]).unwrap()],
                    CriteriaOptions { allow_existing: true, ..CriteriaOptions::default() },
                    &NoProgress,
                )
                .unwrap();
            }
            let ls = lines(&t, &h.no);
            for (i, kind, arg) in overrides {
                let l = &ls[i % ls.len()];
                set_line(&t, &h.no, l.line_no, line_change(kind, arg));
            }
            for (kind, arg) in changes {
                let old = header(&t, &h.no);
                let before = lines(&t, &h.no);
                let change = header_change(kind, arg);
                let result = set(&t, &h.no, change.clone());
                let after = lines(&t, &h.no);
                prop_assert_eq!(after.len(), before.len());
                let differing = before.iter().zip(&after).filter(|(b, a)| b != a).count() as u64;
                prop_assert_eq!(result.lines_changed, differing, "{:?}", change);
                let template_changed =
                    result.segment.interaction.template_code != old.interaction.template_code;
                for (b, a) in before.iter().zip(&after) {
                    prop_assert_eq!(a.line_no, b.line_no);
                    prop_assert_eq!(&a.contact_no, &b.contact_no);
                    if template_changed {
                        prop_assert_eq!(&a.template_code, &result.segment.interaction.template_code);
                    } else if b.template_code != old.interaction.template_code {
                        prop_assert_eq!(a, b, "a line on another template was changed");
                    }
                }
            }
        }
    }
}
