//! Defaults BC applies when a record is made without them, and the user setup that feeds them:
//! * Contact `OnInsert`: a blank salesperson takes marketing setup's default, then the user's
//!   (User Setup, `SetDefaultSalesperson`); a blank language and correspondence type take
//!   marketing setup's defaults. Import keeps a file's blank fields (BC's `SetSkipDefaults`).
//! * Segment Header `OnInsert`: a segment made without a salesperson takes the user's.
//! * An interaction made without a salesperson (Segment Line, Contact No. `OnValidate` outside a
//!   segment): the user's, else the contact's; beyond BC, else marketing setup's default.

mod common;

use common::bin::Bin;
use common::*;
use interlog::domain::*;
use interlog::exchange::import::import_file;
use interlog::ops::interactions::{self, InteractionRequest};
use interlog::ops::master::{self, ContactInput, SetupChange};
use interlog::ops::segments::{self, SegmentInput};
use interlog::OpError;

fn user(s: &str) -> UserId {
    UserId::new(s).expect("user id")
}

/// The demo store, with work done as user `ALICE`.
fn as_alice() -> TestStore {
    let mut t = TestStore::demo();
    t.ctx.user = user("alice");
    t
}

fn set_setup(t: &TestStore, change: SetupChange) {
    master::set_setup(&t.store, change).expect("setup");
}

fn new_contact(t: &TestStore, no: &str, input: ContactInput) -> Contact {
    master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            no: Some(no.into()),
            name: format!("Contact {no}"),
            ..input
        },
    )
    .expect("add contact")
    .record
}

// ───────────────────────────── user setup ─────────────────────────────

#[test]
fn a_user_setup_names_the_salesperson_a_user_works_as() {
    let t = TestStore::demo();
    let u = master::set_user_setup(&t.store, &user("alice"), Some(sp("JO"))).expect("set");
    assert_eq!(
        u.user_id.as_str(),
        "ALICE",
        "user ids are codes: upper case"
    );
    assert_eq!(
        master::get_user_setup(&t.store, &user("ALICE")).expect("get"),
        u
    );
    assert_eq!(
        master::user_salesperson(&t.store, &user("Alice")).expect("lookup"),
        Some(sp("JO"))
    );
    master::set_user_setup(&t.store, &user("bob"), None).expect("set");
    let all = master::list_user_setups(&t.store).expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].salesperson_code, None);
    master::delete_user_setup(&t.store, &user("alice")).expect("delete");
    let err = master::get_user_setup(&t.store, &user("alice")).expect_err("gone");
    assert!(
        matches!(err, OpError::NoUserSetup { ref user } if user.as_str() == "ALICE"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("interlog user-setup set ALICE"),
        "{err}"
    );
}

#[test]
fn a_user_setup_refuses_an_unknown_or_blocked_salesperson() {
    let t = TestStore::demo();
    let err = master::set_user_setup(&t.store, &user("alice"), Some(sp("NOPE"))).expect_err("no");
    assert!(
        matches!(err, OpError::NotFound { what: "salesperson", ref key } if key == "NOPE"),
        "{err:?}"
    );
    master::add_salesperson(
        &t.store,
        Salesperson {
            code: sp("GONE"),
            name: "Gone".into(),
            email: String::new(),
            blocked: true,
            privacy_blocked: false,
        },
    )
    .expect("add");
    let err = master::set_user_setup(&t.store, &user("alice"), Some(sp("GONE"))).expect_err("no");
    assert!(matches!(err, OpError::SalespersonBlocked { .. }), "{err:?}");
    assert!(master::list_user_setups(&t.store).expect("list").is_empty());
}

// ───────────────────────────── Contact OnInsert ─────────────────────────────

#[test]
fn a_new_contact_takes_the_marketing_setups_default_correspondence_type() {
    let t = TestStore::demo();
    set_setup(
        &t,
        SetupChange {
            default_correspondence_type: Some(CorrespondenceType::HardCopy),
            ..SetupChange::default()
        },
    );
    let c = new_contact(&t, "C1", ContactInput::default());
    assert_eq!(c.correspondence_type, CorrespondenceType::HardCopy);
    let c = new_contact(
        &t,
        "C2",
        ContactInput {
            correspondence_type: Some(CorrespondenceType::Email),
            ..ContactInput::default()
        },
    );
    assert_eq!(c.correspondence_type, CorrespondenceType::Email);
    let c = new_contact(
        &t,
        "C3",
        ContactInput {
            correspondence_type: Some(CorrespondenceType::Blank),
            ..ContactInput::default()
        },
    );
    assert_eq!(
        c.correspondence_type,
        CorrespondenceType::Blank,
        "a type given as blank stays blank"
    );
}

#[test]
fn a_new_contact_takes_the_setups_default_salesperson_and_language() {
    let t = TestStore::demo();
    set_setup(
        &t,
        SetupChange {
            default_salesperson: Some(Some(sp("LT"))),
            default_language: Some(Some(LanguageCode::new("ENU").expect("lang"))),
            ..SetupChange::default()
        },
    );
    let c = new_contact(&t, "C1", ContactInput::default());
    assert_eq!(c.salesperson_code, Some(sp("LT")));
    assert_eq!(c.language_code.as_ref().map(|l| l.as_str()), Some("ENU"));
    let c = new_contact(
        &t,
        "C2",
        ContactInput {
            salesperson_code: Some(sp("BC")),
            language_code: Some(LanguageCode::new("ENG").expect("lang")),
            ..ContactInput::default()
        },
    );
    assert_eq!(c.salesperson_code, Some(sp("BC")));
    assert_eq!(c.language_code.as_ref().map(|l| l.as_str()), Some("ENG"));
}

#[test]
fn the_users_salesperson_wins_over_the_setups_default_for_a_new_contact() {
    let t = as_alice();
    set_setup(
        &t,
        SetupChange {
            default_salesperson: Some(Some(sp("LT"))),
            ..SetupChange::default()
        },
    );
    master::set_user_setup(&t.store, &user("ALICE"), Some(sp("JO"))).expect("user setup");
    let c = new_contact(&t, "C1", ContactInput::default());
    assert_eq!(c.salesperson_code, Some(sp("JO")));
    let c = new_contact(
        &t,
        "C2",
        ContactInput {
            salesperson_code: Some(sp("OF")),
            ..ContactInput::default()
        },
    );
    assert_eq!(
        c.salesperson_code,
        Some(sp("OF")),
        "a given salesperson stays"
    );
}

#[test]
fn imported_contacts_keep_their_blank_fields() {
    let t = TestStore::new();
    import_file(&t.store, &t.ctx, &fixture("demo/salespeople.csv"), None).expect("import");
    set_setup(
        &t,
        SetupChange {
            default_correspondence_type: Some(CorrespondenceType::HardCopy),
            default_salesperson: Some(Some(sp("LT"))),
            ..SetupChange::default()
        },
    );
    import_file(&t.store, &t.ctx, &fixture("demo/contacts.csv"), None).expect("import");
    let c = master::get_contact(&t.store, &contact("CT100125")).expect("contact");
    assert_eq!(c.correspondence_type, CorrespondenceType::Blank);
    assert_eq!(c.salesperson_code, Some(sp("HR")));
}

// ───────────────────────────── Segment Header OnInsert ─────────────────────────────

#[test]
fn a_new_segment_takes_the_users_salesperson() {
    let t = as_alice();
    master::set_user_setup(&t.store, &user("alice"), Some(sp("JO"))).expect("user setup");
    let s = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Alice's mailing".into(),
            ..SegmentInput::default()
        },
    )
    .expect("create")
    .record;
    assert_eq!(s.salesperson_code, Some(sp("JO")));
    let given = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "For Helena".into(),
            salesperson: Some(sp("HR")),
            ..SegmentInput::default()
        },
    )
    .expect("create")
    .record;
    assert_eq!(given.salesperson_code, Some(sp("HR")));
    // Lines take the header's salesperson (the user's) rather than each contact's.
    segments::add_line(&t.store, &s.no, &contact("CT100124")).expect("line");
    let h = segments::get(&t.store, &s.no).expect("segment");
    let lines = segments::lines(&t.store, &h).expect("lines");
    assert_eq!(lines[0].salesperson_code, Some(sp("JO")));
}

#[test]
fn without_a_user_setup_a_segment_has_no_salesperson_and_lines_take_the_contacts() {
    let t = as_alice();
    let s = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Nobody's".into(),
            ..SegmentInput::default()
        },
    )
    .expect("create")
    .record;
    assert_eq!(s.salesperson_code, None);
    segments::add_line(&t.store, &s.no, &contact("CT100124")).expect("line");
    let lines =
        segments::lines(&t.store, &segments::get(&t.store, &s.no).expect("get")).expect("lines");
    assert_eq!(lines[0].salesperson_code, Some(sp("LT")));
}

// ───────────────────────────── interactions ─────────────────────────────

fn create(t: &TestStore, contact_no: &str, salesperson: Option<&str>) -> Result<LogEntry, OpError> {
    interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            contact: Some(contact(contact_no)),
            template: Some(template("BUS")),
            salesperson: salesperson.map(sp),
            ..InteractionRequest::default()
        },
    )
    .map(|c| c.entry)
}

#[test]
fn an_interactions_salesperson_is_the_given_then_the_users_then_the_contacts_then_the_setups() {
    let t = as_alice();
    new_contact(&t, "NOSP", ContactInput::default());
    set_setup(
        &t,
        SetupChange {
            default_salesperson: Some(Some(sp("RB"))),
            ..SetupChange::default()
        },
    );
    // No user setup: the contact's, and for a contact without one, the setup's default.
    assert_eq!(
        create(&t, "CT100125", None)
            .expect("create")
            .salesperson_code,
        sp("HR")
    );
    assert_eq!(
        create(&t, "NOSP", None).expect("create").salesperson_code,
        sp("RB")
    );
    // With a user setup: the user's comes before the contact's.
    master::set_user_setup(&t.store, &user("alice"), Some(sp("JO"))).expect("user setup");
    assert_eq!(
        create(&t, "CT100125", None)
            .expect("create")
            .salesperson_code,
        sp("JO")
    );
    // A salesperson given always wins.
    assert_eq!(
        create(&t, "CT100125", Some("EH"))
            .expect("create")
            .salesperson_code,
        sp("EH")
    );
    // A user setup without a salesperson gives none.
    master::set_user_setup(&t.store, &user("alice"), None).expect("user setup");
    assert_eq!(
        create(&t, "CT100125", None)
            .expect("create")
            .salesperson_code,
        sp("HR")
    );
}

// ───────────────────────────── through the binary ─────────────────────────────

#[test]
fn user_setup_commands_through_the_binary() {
    let b = Bin::demo();
    let u = b.json(&["user-setup", "set", "tester", "--salesperson", "jo"]);
    assert_eq!(u["user_id"], "TESTER");
    assert_eq!(u["salesperson_code"], "JO");
    // `show` without a user shows the current one (--user TESTER).
    assert_eq!(b.json(&["user-setup", "show"]), u);
    let text = b.ok(&["user-setup", "show", "TESTER"]);
    assert!(text.contains("TESTER") && text.contains("JO"), "{text}");
    b.ok(&["user-setup", "set", "bob", "--salesperson", "none"]);
    let all = b.json(&["user-setup", "list"]);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    assert_eq!(all[0]["salesperson_code"], serde_json::Value::Null);
    // New records take the user's salesperson.
    let c = b.json(&["contact", "add", "--no", "NEW1", "--name", "New Ltd"]);
    assert_eq!(c["salesperson_code"], "JO");
    let s = b.json(&["segment", "create", "--description", "Mine"]);
    assert_eq!(s["salesperson_code"], "JO");
    let e = b.json(&[
        "interaction",
        "create",
        "--contact",
        "CT100124",
        "--template",
        "BUS",
    ]);
    assert_eq!(e["salesperson_code"], "JO");
    // Refusals write nothing.
    let err = b.fails(&["user-setup", "set", "tester", "--salesperson", "XX"], 1);
    assert!(err.contains("salesperson XX does not exist"), "{err}");
    assert_eq!(
        b.json(&["user-setup", "show", "tester"])["salesperson_code"],
        "JO"
    );
    let d = b.json(&["user-setup", "delete", "tester"]);
    assert_eq!(d["deleted"]["user_id"], "TESTER");
    let err = b.fails(&["user-setup", "show"], 1);
    assert!(err.contains("user TESTER has no user setup"), "{err}");
    let err = b.fails(&["user-setup", "delete", "tester"], 1);
    assert!(err.contains("interlog user-setup set TESTER"), "{err}");
    b.fails(&["user-setup", "set", "tester"], 2);
}

#[test]
fn contact_add_through_the_binary_takes_marketing_setups_defaults() {
    let b = Bin::demo();
    b.ok(&[
        "setup",
        "set",
        "--default-correspondence-type",
        "hard-copy",
        "--default-salesperson",
        "LT",
        "--default-language",
        "ENU",
    ]);
    let c = b.json(&["contact", "add", "--name", "Defaults Ltd"]);
    assert_eq!(c["no"], "CT000001");
    assert_eq!(c["correspondence_type"], "hard-copy");
    assert_eq!(c["salesperson_code"], "LT");
    assert_eq!(c["language_code"], "ENU");
    let c = b.json(&[
        "contact",
        "add",
        "--name",
        "Plain Ltd",
        "--correspondence-type",
        "none",
    ]);
    assert_eq!(c["correspondence_type"], "none");
}
