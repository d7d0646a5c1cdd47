//! Line overrides (SPEC §2.6): a segment line may override any interaction field; re-setting a
//! line's template re-copies what comes from the template; and whatever a line says is exactly
//! what its logged interaction log entry says (SPEC §2.7 step 5).

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions};
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryFilter};
use interlog::ops::master::{self, ContactInput};
use interlog::ops::segments::{self, InteractionChange, LineChange, NoProgress};
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

/// A segment "Spring mailing" on template BUS with campaign CP1001 and lines for the given
/// contacts.
fn segment_with(t: &TestStore, contacts: &[&str]) -> SegmentNo {
    let change = InteractionChange {
        subject: Some("Spring offers".into()),
        ..bus()
    };
    t.segment(&spring_input(), Some(&change), contacts)
}

fn line(t: &TestStore, no: &SegmentNo, line_no: u64) -> SegmentLine {
    lines(t, no)
        .into_iter()
        .find(|l| l.line_no == line_no)
        .expect("line")
}

fn set_line(t: &TestStore, no: &SegmentNo, line_no: u64, change: LineChange) -> SegmentLine {
    segments::set_line(&t.store, no, line_no, &change).expect("set line")
}

fn tpl(code: &str) -> LineChange {
    LineChange {
        template: Some(template(code)),
        ..LineChange::default()
    }
}

fn lang(s: &str) -> LanguageCode {
    LanguageCode::new(s).unwrap()
}

fn group(s: &str) -> GroupCode {
    GroupCode::new(s).unwrap()
}

/// Checks that an entry carries exactly its line's fields.
fn assert_entry_is_line(e: &LogEntry, l: &SegmentLine, t: &TestStore) {
    let at = format!("entry {} / line {}", e.entry_no, l.line_no);
    assert_eq!(e.contact_no, l.contact_no, "{at}");
    assert_eq!(e.contact_company_no, l.contact_company_no, "{at}");
    assert_eq!(Some(e.template_code.clone()), l.template_code, "{at}");
    assert_eq!(Some(e.group_code.clone()), l.group_code, "{at}");
    assert_eq!(e.description, l.description, "{at}");
    assert_eq!(e.subject, l.subject, "{at}");
    assert_eq!(e.cost, l.cost, "{at}");
    assert_eq!(e.duration_min, l.duration_min, "{at}");
    assert_eq!(e.date, l.date, "{at}");
    assert_eq!(e.time_of_interaction, l.time.unwrap_or(t.ctx.time), "{at}");
    assert_eq!(Some(e.salesperson_code.clone()), l.salesperson_code, "{at}");
    assert_eq!(e.correspondence_type, l.correspondence_type, "{at}");
    assert_eq!(e.language_code, l.language_code, "{at}");
    assert_eq!(e.campaign_no, l.campaign_no, "{at}");
    assert_eq!(e.evaluation, l.evaluation, "{at}");
    assert_eq!(e.information_flow, l.information_flow, "{at}");
    assert_eq!(e.initiated_by, l.initiated_by, "{at}");
    assert_eq!(e.attempt_failed, l.attempt_failed, "{at}");
    assert!(!e.postponed && !e.canceled, "{at}");
}

// ---------------------------------------------------------------------------------------------
// Overriding fields

#[test]
fn each_override_changes_only_its_own_field_on_only_its_line() {
    type Expect = fn(&mut SegmentLine);
    let cases: Vec<(LineChange, Expect)> = vec![
        (
            LineChange {
                description: Some("Personal letter".into()),
                ..LineChange::default()
            },
            |l| {
                l.description = "Personal letter".into();
                l.description_typed = true;
            },
        ),
        (
            LineChange {
                subject: Some("Just for you".into()),
                ..LineChange::default()
            },
            |l| l.subject = "Just for you".into(),
        ),
        (
            LineChange {
                cost: Some(money("12.34")),
                ..LineChange::default()
            },
            |l| l.cost = money("12.34"),
        ),
        (
            LineChange {
                duration_min: Some(75),
                ..LineChange::default()
            },
            |l| l.duration_min = 75,
        ),
        (
            LineChange {
                salesperson: Some(sp("RB")),
                ..LineChange::default()
            },
            |l| l.salesperson_code = Some(sp("RB")),
        ),
        (
            LineChange {
                date: Some(date("2025-04-15")),
                ..LineChange::default()
            },
            |l| l.date = date("2025-04-15"),
        ),
        (
            LineChange {
                evaluation: Some(Evaluation::VeryNegative),
                ..LineChange::default()
            },
            |l| l.evaluation = Evaluation::VeryNegative,
        ),
        (
            LineChange {
                correspondence_type: Some(CorrespondenceType::Email),
                ..LineChange::default()
            },
            |l| l.correspondence_type = CorrespondenceType::Email,
        ),
        (
            LineChange {
                attempt_failed: Some(true),
                ..LineChange::default()
            },
            |l| l.attempt_failed = true,
        ),
        (
            LineChange {
                language: Some(lang("DEU")),
                ..LineChange::default()
            },
            |l| l.language_code = Some(lang("DEU")),
        ),
    ];
    for (change, expect) in cases {
        let t = TestStore::demo();
        let no = segment_with(&t, &["CT100125", "CT100124", "CT100147"]);
        let before = lines(&t, &no);
        let returned = set_line(&t, &no, 20_000, change.clone());
        let mut expected = before.clone();
        expect(&mut expected[1]);
        assert_eq!(returned, expected[1], "{change:?}");
        assert_eq!(lines(&t, &no), expected, "{change:?}");
    }
}

#[test]
fn a_line_may_override_several_fields_at_once_and_its_template_comes_first() {
    let t = TestStore::demo();
    let no = segment_with(&t, &["CT100125"]);
    let l = set_line(
        &t,
        &no,
        10_000,
        LineChange {
            template: Some(template("ONSITE")),
            description: Some("Visit at Cane Showroom".into()),
            cost: Some(money("99.00")),
            duration_min: Some(240),
            correspondence_type: Some(CorrespondenceType::HardCopy),
            ..LineChange::default()
        },
    );
    assert_eq!(l.template_code, Some(template("ONSITE")));
    assert_eq!(l.group_code, Some(group("MEETING")));
    assert_eq!(l.description, "Visit at Cane Showroom");
    assert_eq!(l.cost, money("99.00"), "the typed cost, not ONSITE's 45.00");
    assert_eq!(l.duration_min, 240);
    assert_eq!(l.correspondence_type, CorrespondenceType::HardCopy);
    assert_eq!(line(&t, &no, 10_000), l);
}

#[test]
fn an_override_naming_an_unknown_salesperson_or_template_is_refused() {
    let t = TestStore::demo();
    let no = segment_with(&t, &["CT100125"]);
    let before = lines(&t, &no);
    let err = segments::set_line(
        &t.store,
        &no,
        10_000,
        &LineChange {
            salesperson: Some(sp("NOBODY")),
            ..LineChange::default()
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
    let err = segments::set_line(&t.store, &no, 10_000, &tpl("NOPE")).unwrap_err();
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
    let err = segments::set_line(&t.store, &no, 20_000, &tpl("BUS")).unwrap_err();
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
    assert_eq!(lines(&t, &no), before, "nothing changed");
}

// ---------------------------------------------------------------------------------------------
// Re-setting a line's template

#[test]
fn re_setting_a_lines_template_re_copies_the_template_fields() {
    let t = TestStore::demo();
    let no = segment_with(&t, &["CT100125", "CT100124"]);
    set_line(
        &t,
        &no,
        10_000,
        LineChange {
            cost: Some(money("1.00")),
            duration_min: Some(1),
            salesperson: Some(sp("BC")),
            evaluation: Some(Evaluation::Positive),
            date: Some(date("2025-03-01")),
            language: Some(lang("ENU")),
            ..LineChange::default()
        },
    );
    let l = set_line(&t, &no, 10_000, tpl("INCOME"));
    assert_eq!(l.template_code, Some(template("INCOME")));
    assert_eq!(l.group_code, Some(group("PHONE")));
    assert_eq!(l.cost, money("0.00"));
    assert_eq!(l.duration_min, 15);
    assert_eq!(l.information_flow, InformationFlow::Inbound);
    assert_eq!(l.initiated_by, InitiatedBy::Them);
    assert_eq!(l.correspondence_type, CorrespondenceType::Blank);
    assert_eq!(l.description, "Incoming phone call", "the template's");
    // Not template-derived: kept.
    assert_eq!(l.subject, "Spring offers");
    assert_eq!(l.salesperson_code, Some(sp("BC")));
    assert_eq!(l.evaluation, Evaluation::Positive);
    assert_eq!(l.date, date("2025-03-01"));
    assert_eq!(l.language_code, Some(lang("ENU")));
    assert_eq!(l.campaign_no, Some(campaign("CP1001")));
    // The other line is untouched.
    assert_eq!(line(&t, &no, 20_000).template_code, Some(template("BUS")));
}

#[test]
fn a_description_typed_for_the_line_survives_a_template_change() {
    let t = TestStore::demo();
    let no = segment_with(&t, &["CT100125"]);
    set_line(
        &t,
        &no,
        10_000,
        LineChange {
            description: Some("Call Andrew about the offer".into()),
            ..LineChange::default()
        },
    );
    let l = set_line(&t, &no, 10_000, tpl("OUTGOING"));
    assert_eq!(l.description, "Call Andrew about the offer");
    assert!(l.description_typed);
    assert_eq!(l.group_code, Some(group("PHONE")));
    let l = set_line(&t, &no, 10_000, tpl("BUS"));
    assert_eq!(l.description, "Call Andrew about the offer");
}

// BC table "Segment Line", Interaction Template Code OnValidate: the description becomes the
// template's when it is blank or when the line had another template.

/// A segment without a template ("Spring mailing") with one line for Andrew Lan.
fn no_template_segment(t: &TestStore) -> SegmentNo {
    t.segment(&spring_input(), None, &["CT100125"])
}

fn typed(text: &str) -> LineChange {
    LineChange {
        description: Some(text.into()),
        ..LineChange::default()
    }
}

#[test]
fn a_blank_line_description_takes_the_templates() {
    let t = TestStore::demo();
    let no = no_template_segment(&t);
    set_line(&t, &no, 10_000, typed(""));
    let l = set_line(&t, &no, 10_000, tpl("BUS"));
    assert_eq!(l.description, "Business letter");
}

#[test]
fn the_old_templates_description_gives_way_to_the_new_templates() {
    let t = TestStore::demo();
    let no = no_template_segment(&t);
    set_line(&t, &no, 10_000, typed(""));
    set_line(&t, &no, 10_000, tpl("BUS"));
    let l = set_line(&t, &no, 10_000, tpl("OUTGOING"));
    assert_eq!(l.description, "Outgoing phone call");
    assert!(!l.description_typed);
}

#[test]
fn a_line_without_a_template_keeps_its_description_when_it_gets_one() {
    let t = TestStore::demo();
    let no = no_template_segment(&t);
    let l = set_line(&t, &no, 10_000, tpl("BUS"));
    assert_eq!(
        l.description, "Spring mailing",
        "the segment's description stays"
    );
    assert_eq!(l.template_code, Some(template("BUS")));
}

#[test]
fn the_segments_description_gives_way_when_the_line_moves_to_another_template() {
    let t = TestStore::demo();
    let no = segment_with(&t, &["CT100125"]);
    assert_eq!(line(&t, &no, 10_000).description, "Spring mailing");
    let l = set_line(&t, &no, 10_000, tpl("GOLF"));
    assert_eq!(l.description, "Golf event");
}

#[test]
fn setting_the_same_template_again_keeps_the_description() {
    let t = TestStore::demo();
    let no = segment_with(&t, &["CT100125"]);
    let l = set_line(&t, &no, 10_000, tpl("BUS"));
    assert_eq!(l.description, "Spring mailing");
}

#[test]
fn re_setting_a_lines_template_re_applies_the_correspondence_rule() {
    let t = TestStore::demo();
    master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            no: Some("CT900001".into()),
            name: "Prefers paper".into(),
            kind: ContactKind::Person,
            email: "paper@example.com".into(),
            correspondence_type: Some(CorrespondenceType::HardCopy),
            ..ContactInput::default()
        },
    )
    .unwrap();
    let no = segment_with(&t, &["CT900001"]);
    // The header (BUS) says Hard Copy and ignores the contact; make it say Email instead.
    segments::set_interaction(
        &t.store,
        &no,
        &InteractionChange {
            correspondence_type: Some(CorrespondenceType::Email),
            ignore_contact_correspondence_type: Some(true),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        line(&t, &no, 10_000).correspondence_type,
        CorrespondenceType::Email
    );
    // INHOUSE: blank default, does not ignore the contact → the contact's own type.
    let l = set_line(&t, &no, 10_000, tpl("INHOUSE"));
    assert_eq!(l.correspondence_type, CorrespondenceType::HardCopy);
    // GOLF: Email, ignores the contact → Email.
    let l = set_line(&t, &no, 10_000, tpl("GOLF"));
    assert_eq!(l.correspondence_type, CorrespondenceType::Email);
    // Back on the header's template: the header's override counts again.
    let l = set_line(&t, &no, 10_000, tpl("INCOME"));
    assert_eq!(l.correspondence_type, CorrespondenceType::Blank);
    let l = set_line(&t, &no, 10_000, tpl("BUS"));
    assert_eq!(l.correspondence_type, CorrespondenceType::Email);
}

#[test]
fn an_overridden_correspondence_type_is_kept_until_the_template_is_re_set() {
    let t = TestStore::demo();
    let no = segment_with(&t, &["CT100125"]);
    let l = set_line(
        &t,
        &no,
        10_000,
        LineChange {
            correspondence_type: Some(CorrespondenceType::Email),
            ..LineChange::default()
        },
    );
    assert_eq!(l.correspondence_type, CorrespondenceType::Email);
    let l = set_line(&t, &no, 10_000, tpl("BUS"));
    assert_eq!(l.correspondence_type, CorrespondenceType::HardCopy);
}

// ---------------------------------------------------------------------------------------------
// Overrides reach the log

#[test]
fn overridden_fields_end_up_in_the_logged_entries_exactly() {
    let t = TestStore::demo();
    let no = segment_with(
        &t,
        &["CT100125", "CT100124", "CT100147", "CT100134", "CT100001"],
    );
    set_line(
        &t,
        &no,
        10_000,
        LineChange {
            template: Some(template("ONSITE")),
            description: Some("Visit".into()),
            subject: Some("Showroom visit".into()),
            evaluation: Some(Evaluation::VeryPositive),
            ..LineChange::default()
        },
    );
    set_line(
        &t,
        &no,
        20_000,
        LineChange {
            cost: Some(money("0.01")),
            duration_min: Some(0),
            salesperson: Some(sp("EH")),
            date: Some(date("2025-03-01")),
            ..LineChange::default()
        },
    );
    set_line(
        &t,
        &no,
        30_000,
        LineChange {
            correspondence_type: Some(CorrespondenceType::Email),
            attempt_failed: Some(true),
            language: Some(lang("ENU")),
            evaluation: Some(Evaluation::Negative),
            ..LineChange::default()
        },
    );
    set_line(&t, &no, 40_000, tpl("INCOME"));
    let ls = lines(&t, &no);
    let out = log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap();
    assert_eq!(out.entries, 5);
    let es = interactions::list(
        &t.store,
        &EntryFilter {
            logged_segment: Some(out.logged_segment_entry_no),
            ..EntryFilter::default()
        },
    )
    .unwrap();
    assert_eq!(es.len(), ls.len());
    for (e, l) in es.iter().zip(&ls) {
        assert_entry_is_line(e, l, &t);
        // Reading one entry gives the same as the listing.
        assert_eq!(&interactions::get(&t.store, e.entry_no).unwrap(), e);
    }
    assert_eq!(es[0].description, "Visit");
    assert_eq!(es[1].salesperson_code, sp("EH"));
    assert!(es[2].attempt_failed);
    assert_eq!(es[3].template_code, template("INCOME"));
    assert_eq!(es[4].description, "Spring mailing");
}
