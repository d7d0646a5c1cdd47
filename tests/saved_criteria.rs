//! Saved segment criteria, after BC's *Saved Segment Criteria* (5098/5099), page *Save Segment
//! Criteria* (5142) and *Segment Header* `SaveCriteria` / `ReuseCriteria` (BC's test
//! `SegmentSaveCriteriaAndReuse` in *Marketing Campaign Segments*):
//! * a segment's criteria actions — by filter, and lines added or removed by hand — are saved
//!   under a code with a description, listed, shown and deleted;
//! * reusing them replays each action in order on a segment, the same or another, whose own
//!   header (template …) the new lines take;
//! * saving needs an action and an unused code; reusing on a segment that has actions needs
//!   consent; a refused save or reuse writes nothing.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions};
use interlog::domain::filter::FieldFilter;
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryEdit};
use interlog::ops::logged::{self, OutcomeFilter};
use interlog::ops::saved_criteria::{self, SavedCriteriaView};
use interlog::ops::segments::{
    self, InteractionChange, NarrowOptions, NoProgress, SegmentInput, WhenEmptied,
};
use interlog::ops::verify::verify;
use interlog::OpError;

// ---------------------------------------------------------------------------------------------
// Helpers

fn filters(fs: &[&str]) -> Vec<FieldFilter> {
    fs.iter().map(|f| FieldFilter::parse(f).unwrap()).collect()
}

fn code(s: &str) -> CriteriaCode {
    CriteriaCode::new(s).unwrap()
}

/// A new segment with `template` set on its header.
fn segment(t: &TestStore, description: &str, template_code: &str) -> SegmentNo {
    let no = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: description.into(),
            ..SegmentInput::default()
        },
    )
    .unwrap()
    .record
    .no;
    segments::set_interaction(
        &t.store,
        &no,
        &InteractionChange {
            template: Some(template(template_code)),
            ..InteractionChange::default()
        },
        &NoProgress,
    )
    .unwrap();
    no
}

fn add(t: &TestStore, no: &SegmentNo, fs: &[&str], o: CriteriaOptions) {
    segments::add_contacts(&t.store, no, &filters(fs), o, &NoProgress).unwrap();
}

fn contacts(t: &TestStore, no: &SegmentNo) -> Vec<String> {
    lines(t, no)
        .iter()
        .map(|l| l.contact_no.to_string())
        .collect()
}

fn actions(t: &TestStore, no: &SegmentNo) -> Vec<String> {
    header(t, no)
        .criteria
        .iter()
        .map(|a| a.describe())
        .collect()
}

/// Segment 1 on template BUS, built by every kind of action: persons of Manchester, Newport and
/// Brixham added, Brixham's entire company reduced (so its company goes too), refined to
/// salespeople LT and HR, CT100245 added by hand and CT100147 removed by hand.
fn built(t: &TestStore) -> SegmentNo {
    let no = segment(t, "Built", "BUS");
    add(
        t,
        &no,
        &["City=Manchester|Newport|Brixham", "Type=Person"],
        CriteriaOptions {
            related_companies: true,
            ..CriteriaOptions::default()
        },
    );
    segments::reduce(
        &t.store,
        &no,
        &filters(&["City=Brixham"]),
        true,
        &NoProgress,
    )
    .unwrap();
    segments::refine(
        &t.store,
        &no,
        &filters(&["Salesperson Code=LT|HR"]),
        false,
        &NoProgress,
    )
    .unwrap();
    segments::add_line(&t.store, &no, &contact("CT100245")).unwrap();
    let ct100147 = lines(t, &no)
        .iter()
        .find(|l| l.contact_no == contact("CT100147"))
        .unwrap()
        .line_no;
    segments::remove_line(&t.store, &no, ct100147).unwrap();
    no
}

fn save(t: &TestStore, no: &SegmentNo, c: &str) -> SavedCriteriaView {
    saved_criteria::save(
        &t.store,
        &t.ctx,
        no,
        &code(c),
        "Manchester and Newport persons",
    )
    .unwrap()
}

fn reuse(t: &TestStore, no: &SegmentNo, c: &str) -> saved_criteria::ReuseResult {
    saved_criteria::reuse(&t.store, no, &code(c), false, &NoProgress).unwrap()
}

fn assert_consistent(t: &TestStore) {
    let r = verify(&t.store).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
}

// ---------------------------------------------------------------------------------------------
// Save Criteria

#[test]
fn a_segments_criteria_are_saved_with_every_action_and_its_options() {
    let t = TestStore::demo();
    let no = built(&t);
    let v = save(&t, &no, "mannew");
    assert_eq!(v.criteria.code, code("MANNEW"), "codes are upper case");
    assert_eq!(v.criteria.description, "Manchester and Newport persons");
    assert_eq!(v.criteria.user_id.as_str(), "TEST");
    assert_eq!(v.no_of_actions, 5);
    let h = header(&t, &no);
    let expected: Vec<SavedCriteriaAction> =
        h.criteria.iter().map(SavedCriteriaAction::from).collect();
    assert_eq!(v.criteria.actions, expected);
    assert!(v.criteria.actions[0].options.related_companies);
    assert!(v.criteria.actions[1].options.entire_companies);
    assert_eq!(
        v.criteria.actions[3].filters,
        vec!["No.=CT100245".to_string()]
    );
    assert_eq!(
        saved_criteria::get(&t.store, &code("MANNEW")).unwrap(),
        v,
        "stored as returned"
    );
    assert_consistent(&t);
}

#[test]
fn saving_a_segment_without_criteria_actions_is_refused() {
    // BC: SaveCriteria — TestField("No. of Criteria Actions").
    let t = TestStore::demo();
    let no = segment(&t, "Empty", "BUS");
    let err = saved_criteria::save(&t.store, &t.ctx, &no, &code("NONE"), "").unwrap_err();
    assert!(
        matches!(err, OpError::NoCriteriaToSave { ref segment } if *segment == no),
        "{err:?}"
    );
    assert!(saved_criteria::list(&t.store).unwrap().is_empty());
}

#[test]
fn saving_under_a_code_in_use_is_refused_and_keeps_the_first() {
    // BC: the Save Segment Criteria page inserts a record with the code to check it is new.
    let t = TestStore::demo();
    let no = built(&t);
    let first = save(&t, &no, "MANNEW");
    let other = segment(&t, "Other", "BUS");
    add(&t, &other, &["City=Newquay"], CriteriaOptions::default());
    let err = saved_criteria::save(&t.store, &t.ctx, &other, &code("MANNEW"), "x").unwrap_err();
    assert!(
        matches!(err, OpError::AlreadyExists { what: "saved criteria", ref key } if key == "MANNEW"),
        "{err:?}"
    );
    assert_eq!(
        saved_criteria::get(&t.store, &code("MANNEW")).unwrap(),
        first
    );
}

#[test]
fn a_blank_or_overlong_code_or_description_is_refused() {
    assert!(matches!(
        CriteriaCode::new(" "),
        Err(DomainError::EmptyCode { .. })
    ));
    assert!(matches!(
        CriteriaCode::new("ELEVENCHARS"),
        Err(DomainError::CodeTooLong { max: 10, .. })
    ));
    let t = TestStore::demo();
    let no = built(&t);
    let err =
        saved_criteria::save(&t.store, &t.ctx, &no, &code("LONG"), &"x".repeat(101)).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::Domain(DomainError::TextTooLong { max: 100, .. })
        ),
        "{err:?}"
    );
    assert!(saved_criteria::list(&t.store).unwrap().is_empty());
}

#[test]
fn a_segment_built_from_a_list_of_contacts_cannot_be_saved() {
    // A list given contact by contact (e.g. from a file) records no filter to run again.
    let t = TestStore::demo();
    let no = segment(&t, "From a file", "BUS");
    segments::add_contact_list(
        &t.store,
        &no,
        &[contact("CT100125"), contact("CT100124")],
        &NoProgress,
    )
    .unwrap();
    let err = saved_criteria::save(&t.store, &t.ctx, &no, &code("LIST"), "").unwrap_err();
    match &err {
        OpError::CriteriaNotReplayable { action, .. } => {
            assert_eq!(action, "1. add (a list of 2 contacts)")
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("go back over it"), "{err}");
    assert!(saved_criteria::list(&t.store).unwrap().is_empty());
}

#[test]
fn saved_criteria_are_listed_by_code_and_deleted_with_their_actions() {
    let t = TestStore::demo();
    let no = built(&t);
    save(&t, &no, "B");
    save(&t, &no, "A");
    let codes: Vec<String> = saved_criteria::list(&t.store)
        .unwrap()
        .iter()
        .map(|v| format!("{} {}", v.criteria.code, v.no_of_actions))
        .collect();
    assert_eq!(codes, vec!["A 5", "B 5"]);
    let gone = saved_criteria::delete(&t.store, &code("A")).unwrap();
    assert_eq!(gone.criteria.code, code("A"));
    let err = saved_criteria::get(&t.store, &code("A")).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "saved criteria",
                ..
            }
        ),
        "{err:?}"
    );
    let err = saved_criteria::delete(&t.store, &code("A")).unwrap_err();
    assert!(matches!(err, OpError::NotFound { .. }), "{err:?}");
    assert_eq!(saved_criteria::list(&t.store).unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Reuse Criteria

#[test]
fn reused_criteria_give_a_new_segment_the_same_contacts_on_its_own_template() {
    // BC: SegmentSaveCriteriaAndReuse.
    let t = TestStore::demo();
    let first = built(&t);
    save(&t, &first, "MANNEW");
    let second = segment(&t, "Golf invitations", "GOLF");

    let r = reuse(&t, &second, "MANNEW");
    assert_eq!(r.actions_replayed, 5);
    assert_eq!(contacts(&t, &second), contacts(&t, &first));
    assert!(lines(&t, &second)
        .iter()
        .all(|l| l.template_code == Some(template("GOLF")) && l.description == "Golf invitations"));
    // Each replayed action is recorded as the segment's own, so go back works on them.
    assert_eq!(actions(&t, &second), actions(&t, &first));
    assert_eq!(r.segment, header(&t, &second));
    assert_eq!(
        (r.lines_added, r.lines_removed),
        (
            header(&t, &second)
                .criteria
                .iter()
                .map(|a| a.inserted_count)
                .sum(),
            header(&t, &second)
                .criteria
                .iter()
                .map(|a| a.deleted_count)
                .sum()
        )
    );
    segments::go_back(&t.store, &second, &NoProgress).unwrap();
    assert!(contacts(&t, &second).contains(&"CT100147".to_string()));
    assert_consistent(&t);
}

#[test]
fn criteria_are_replayed_against_the_contacts_as_they_are_now() {
    use interlog::ops::master::{self, ContactInput};
    let t = TestStore::demo();
    let first = segment(&t, "Newport", "BUS");
    add(&t, &first, &["City=Newport"], CriteriaOptions::default());
    save(&t, &first, "NEWPORT");
    master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            no: Some("CT900001".into()),
            name: "New in Newport".into(),
            kind: ContactKind::Person,
            city: "Newport".into(),
            ..ContactInput::default()
        },
    )
    .unwrap();
    let second = segment(&t, "Newport again", "BUS");
    reuse(&t, &second, "NEWPORT");
    assert_eq!(contacts(&t, &second).len(), contacts(&t, &first).len() + 1);
    assert!(contacts(&t, &second).contains(&"CT900001".to_string()));
}

#[test]
fn reusing_on_a_segment_that_has_criteria_actions_needs_append() {
    // BC: ReuseCriteria asks "Segment %1 already contains %2 No. of Criteria Actions. Are you
    // sure you want to reuse a Saved Segment Criteria?" — default No.
    let t = TestStore::demo();
    let first = built(&t);
    save(&t, &first, "MANNEW");
    let second = segment(&t, "Newquay first", "BUS");
    add(&t, &second, &["City=Newquay"], CriteriaOptions::default());
    let before = (header(&t, &second), lines(&t, &second));
    let err =
        saved_criteria::reuse(&t.store, &second, &code("MANNEW"), false, &NoProgress).unwrap_err();
    assert!(
        matches!(err, OpError::SegmentHasCriteria { ref segment, actions: 1 } if *segment == second),
        "{err:?}"
    );
    assert!(err.to_string().contains("--append"), "{err}");
    assert_eq!((header(&t, &second), lines(&t, &second)), before);

    let r = saved_criteria::reuse(&t.store, &second, &code("MANNEW"), true, &NoProgress).unwrap();
    assert_eq!(r.actions_replayed, 5);
    assert_eq!(actions(&t, &second).len(), 6);
    assert_eq!(actions(&t, &second)[0], "1. add City=Newquay");
}

#[test]
fn a_segment_emptied_with_its_criteria_reset_is_rebuilt_from_its_saved_criteria() {
    let t = TestStore::demo();
    let no = built(&t);
    let before = contacts(&t, &no);
    save(&t, &no, "MANNEW");
    let change = segments::reduce_with(
        &t.store,
        &no,
        &[],
        NarrowOptions {
            all: true,
            ..NarrowOptions::default()
        },
        &NoProgress,
    )
    .unwrap();
    assert!(change.criteria_reset);
    reuse(&t, &no, "MANNEW");
    assert_eq!(contacts(&t, &no), before);
    assert_consistent(&t);
}

#[test]
fn a_replayed_refine_keeps_entire_companies() {
    // BC's ReuseCriteria sets the option of a refine on the reduce report's variable, so the
    // refine runs without it; interlog replays the option as saved.
    let t = TestStore::demo();
    let first = segment(&t, "Companies", "BUS");
    add(
        &t,
        &first,
        &["City=Newport|Manchester"],
        CriteriaOptions::default(),
    );
    segments::refine(
        &t.store,
        &first,
        &filters(&["No.=CT100124"]),
        true,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        contacts(&t, &first),
        vec!["CT100124", "CT100147", "CT100240"]
    );
    save(&t, &first, "REFINE");
    let second = segment(&t, "Again", "BUS");
    reuse(&t, &second, "REFINE");
    assert_eq!(contacts(&t, &second), contacts(&t, &first));
}

#[test]
fn a_reduce_of_every_line_and_an_emptying_refine_are_replayed_without_resetting() {
    let t = TestStore::demo();
    let first = segment(&t, "Twice", "BUS");
    add(&t, &first, &["City=Newport"], CriteriaOptions::default());
    segments::reduce_with(
        &t.store,
        &first,
        &[],
        NarrowOptions {
            all: true,
            when_emptied: WhenEmptied::KeepCriteria,
            ..NarrowOptions::default()
        },
        &NoProgress,
    )
    .unwrap();
    add(&t, &first, &["City=Newquay"], CriteriaOptions::default());
    save(&t, &first, "TWICE");
    let second = segment(&t, "Again", "BUS");
    reuse(&t, &second, "TWICE");
    assert_eq!(contacts(&t, &second), contacts(&t, &first));
    assert_eq!(
        actions(&t, &second).len(),
        3,
        "the emptying reduce kept the criteria"
    );
}

#[test]
fn a_reused_logged_segment_is_replayed_with_its_outcome_filter() {
    let t = TestStore::demo();
    let mailing = t.spring_mailing(&["CT100125", "CT100124", "CT100147"]);
    let out = log_segment(
        &t.store,
        &t.ctx,
        &mailing,
        LogOptions::default(),
        &NoProgress,
    )
    .unwrap();
    for e in [out.first_entry_no, out.last_entry_no] {
        interactions::edit(
            &t.store,
            &t.ctx,
            e,
            &EntryEdit {
                evaluation: Some(Evaluation::Positive),
                ..EntryEdit::default()
            },
        )
        .unwrap();
    }
    let follow_up = logged::follow_up(
        &t.store,
        &t.ctx,
        out.logged_segment_entry_no,
        &OutcomeFilter {
            evaluation: Some(Evaluation::Positive),
            ..OutcomeFilter::default()
        },
        &NoProgress,
    )
    .unwrap()
    .record
    .no;
    assert_eq!(contacts(&t, &follow_up), vec!["CT100125", "CT100147"]);
    save(&t, &follow_up, "POSITIVE");
    let second = segment(&t, "Positive ones", "GOLF");
    reuse(&t, &second, "POSITIVE");
    assert_eq!(contacts(&t, &second), vec!["CT100125", "CT100147"]);
    assert_eq!(
        actions(&t, &second),
        vec!["1. reuse-logged Evaluation=positive logged segment 1"]
    );
}

#[test]
fn criteria_reusing_a_deleted_logged_segment_are_refused_before_anything_is_written() {
    let t = TestStore::demo();
    let mailing = t.spring_mailing(&["CT100125"]);
    let out = log_segment(
        &t.store,
        &t.ctx,
        &mailing,
        LogOptions::default(),
        &NoProgress,
    )
    .unwrap();
    let no = segment(&t, "Reused", "BUS");
    add(&t, &no, &["City=Newport"], CriteriaOptions::default());
    segments::reuse_logged(&t.store, &no, out.logged_segment_entry_no, &NoProgress).unwrap();
    save(&t, &no, "GONE");
    logged::switch_canceled(&t.store, out.logged_segment_entry_no).unwrap();
    logged::delete_canceled_logged_segments(&t.store).unwrap();
    let w = verify(&t.store).unwrap();
    assert!(w.is_ok(), "a warning, not a problem: {:#?}", w.problems);
    assert!(
        w.warnings.iter().any(|p| p
            .detail
            .contains("saved criteria GONE action 2 reuses logged segment 1")),
        "{:#?}",
        w.warnings
    );

    let second = segment(&t, "Again", "BUS");
    let err =
        saved_criteria::reuse(&t.store, &second, &code("GONE"), false, &NoProgress).unwrap_err();
    assert!(
        matches!(err, OpError::SavedCriteriaBroken { action: 2, ref problem, .. } if problem.contains("logged segment 1")),
        "{err:?}"
    );
    assert!(
        lines(&t, &second).is_empty(),
        "the first action did not run either"
    );
    assert!(header(&t, &second).criteria.is_empty());
}

#[test]
fn reusing_unknown_criteria_or_on_an_unknown_segment_is_refused() {
    let t = TestStore::demo();
    let no = segment(&t, "Target", "BUS");
    let err = saved_criteria::reuse(&t.store, &no, &code("NOPE"), false, &NoProgress).unwrap_err();
    assert!(
        matches!(
            err,
            OpError::NotFound {
                what: "saved criteria",
                ..
            }
        ),
        "{err:?}"
    );
    let first = built(&t);
    save(&t, &first, "MANNEW");
    let err = saved_criteria::reuse(
        &t.store,
        &seg("SM99999"),
        &code("MANNEW"),
        false,
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

// ---------------------------------------------------------------------------------------------
// Through the binary

mod through_the_binary {
    use super::common::bin::Bin;

    /// S1 on BUS: Newport persons, then CT100239 by hand; S2 on GOLF, empty.
    fn store() -> Bin {
        let c = Bin::demo();
        for (no, template) in [("S1", "BUS"), ("S2", "GOLF")] {
            c.ok(&["segment", "create", "--no", no, "--description", "Mailing"]);
            c.ok(&["segment", "set-interaction", no, "--template", template]);
        }
        c.ok(&[
            "segment",
            "add-contacts",
            "S1",
            "--filter",
            "City=Newport",
            "--filter",
            "Type=Person",
        ]);
        c.ok(&["segment", "add-line", "S1", "--contact", "CT100239"]);
        c
    }

    fn contacts(c: &Bin, no: &str) -> Vec<String> {
        c.json(&["segment", "show", no])["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["contact_no"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn save_list_show_reuse_and_delete_criteria() {
        let c = store();
        let v = c.json(&[
            "segment",
            "save-criteria",
            "S1",
            "--code",
            "newport",
            "--description",
            "Newport persons",
        ]);
        assert_eq!(v["code"], "NEWPORT");
        assert_eq!(v["no_of_actions"], 2);
        assert_eq!(v["user_id"], "TESTER");
        let list = c.json(&["saved-criteria", "list"]);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["description"], "Newport persons");
        let shown = c.ok(&["saved-criteria", "show", "NEWPORT"]);
        assert!(
            shown.contains("1. add City=Newport & Type=Person"),
            "{shown}"
        );
        assert!(shown.contains("2. add No.=CT100239"), "{shown}");
        assert_eq!(
            c.json(&["saved-criteria", "show", "NEWPORT"])["actions"][1]["kind"],
            "add"
        );

        let r = c.json(&["segment", "reuse-criteria", "S2", "--code", "NEWPORT"]);
        assert_eq!(r["actions_replayed"], 2);
        assert_eq!(contacts(&c, "S2"), contacts(&c, "S1"));
        let s2 = c.json(&["segment", "show", "S2"]);
        assert!(s2["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["template_code"] == "GOLF"));
        let text = c.ok(&[
            "segment",
            "reuse-criteria",
            "S2",
            "--code",
            "NEWPORT",
            "--append",
        ]);
        assert!(text.contains("replayed 2 action(s) of NEWPORT"), "{text}");

        let d = c.json(&["saved-criteria", "delete", "NEWPORT"]);
        assert_eq!(d["code"], "NEWPORT");
        assert!(c
            .json(&["saved-criteria", "list"])
            .as_array()
            .unwrap()
            .is_empty());
        let v = c.ok(&["verify"]);
        assert!(v.contains("the store is consistent"), "{v}");
    }

    #[test]
    fn refusals_exit_1_and_write_nothing() {
        let c = store();
        c.ok(&["segment", "save-criteria", "S1", "--code", "NEWPORT"]);
        let err = c.fails(&["segment", "save-criteria", "S1", "--code", "NEWPORT"], 1);
        assert!(
            err.contains("saved criteria NEWPORT already exists"),
            "{err}"
        );
        let err = c.fails(&["segment", "save-criteria", "S2", "--code", "EMPTY"], 1);
        assert!(
            err.contains("segment S2 has no criteria actions to save"),
            "{err}"
        );
        let err = c.fails(&["segment", "reuse-criteria", "S1", "--code", "NEWPORT"], 1);
        assert!(err.contains("give --append"), "{err}");
        let err = c.fails(&["segment", "reuse-criteria", "S2", "--code", "NOPE"], 1);
        assert!(err.contains("saved criteria NOPE does not exist"), "{err}");
        c.fails(&["saved-criteria", "show", "NOPE"], 1);
        c.fails(&["saved-criteria", "delete", "NOPE"], 1);
        c.fails(
            &["segment", "save-criteria", "S1", "--code", "ELEVENCHARS"],
            2,
        );
        assert!(contacts(&c, "S2").is_empty());
        let list = c.json(&["saved-criteria", "list"]);
        assert_eq!(list.as_array().unwrap().len(), 1);
    }
}
