//! Every option of every command, run through the binary: each test gives a command the
//! options it takes (as literals, so the CLI contract in `src/cli/contract.rs` can see them)
//! and checks that each one did what its help says, in the `--json` output where there is one.
//! Rules themselves are tested per capability in the other files; here the point is that the
//! option reaches the rule and nothing panics or exits with the wrong code.

mod common;

use std::process::Command;

use common::bin::Bin;
use common::fixture;
use serde_json::Value;

fn len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

// ───────────────────────────── global options ─────────────────────────────

#[test]
fn global_options_name_the_store_the_work_date_and_the_user() {
    let b = Bin::demo();
    let out = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .env_remove("INTERLOG_STORE")
        .args(["--json", "--user", "alice", "--work-date", "2025-04-01"])
        .arg("--store")
        .arg(b.path())
        .args([
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
        ])
        .output()
        .expect("run interlog");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(e["user_id"], "ALICE", "user ids are codes: upper case");
    assert_eq!(e["date"], "2025-04-01");
    // Without --store, $INTERLOG_STORE names the store.
    let out = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .env("INTERLOG_STORE", b.path())
        .args(["--json", "interaction", "show", "1"])
        .output()
        .expect("run interlog");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(e["entry_no"], 1);
    // A bad work date is a usage error.
    let err = b.fails(&["--work-date", "2025-02-30", "contact", "list"], 2);
    assert!(err.contains("2025-02-30"), "{err}");
}

#[test]
fn init_reports_the_store_and_its_setup_as_json() {
    let b = Bin::new();
    let v = b.json(&["init"]);
    assert_eq!(v["setup"]["contact_nos"], "CONT");
    assert!(v["store"].as_str().is_some_and(|s| s.ends_with("store")));
}

// ───────────────────────────── setup and series ─────────────────────────────

/// The blocker of issue 9: every clearable setting used to panic (exit 101) in clap.
#[test]
fn setup_set_changes_and_clears_every_setting() {
    let b = Bin::demo();
    b.ok(&[
        "series",
        "add",
        "SEG2",
        "--starting-no",
        "SG001",
        "--description",
        "Second segment series",
    ]);
    let s = b.json(&[
        "setup",
        "set",
        "--contact-nos",
        "none",
        "--segment-nos",
        "SEG2",
        "--campaign-nos",
        "NONE",
        "--default-salesperson",
        "jo",
        "--default-correspondence-type",
        "hard-copy",
        "--default-language",
        "ENG",
    ]);
    assert_eq!(s["contact_nos"], Value::Null);
    assert_eq!(s["segment_nos"], "SEG2");
    assert_eq!(s["campaign_nos"], Value::Null);
    assert_eq!(s["default_salesperson"], "JO");
    assert_eq!(s["default_correspondence_type"], "hard-copy");
    assert_eq!(s["default_language"], "ENG");
    let s = b.json(&[
        "setup",
        "set",
        "--default-salesperson",
        "none",
        "--default-language",
        "none",
        "--contact-nos",
        "CONT",
    ]);
    assert_eq!(s["default_salesperson"], Value::Null);
    assert_eq!(s["default_language"], Value::Null);
    assert_eq!(s["contact_nos"], "CONT");
    assert_eq!(
        s["segment_nos"], "SEG2",
        "settings not named stay as they were"
    );
    // An unknown series or salesperson is refused and nothing changes.
    let err = b.fails(&["setup", "set", "--segment-nos", "NOPE"], 1);
    assert!(err.contains("NOPE"), "{err}");
    let err = b.fails(
        &[
            "setup",
            "set",
            "--contact-nos",
            "none",
            "--default-salesperson",
            "XX",
        ],
        1,
    );
    assert!(err.contains("salesperson XX does not exist"), "{err}");
    assert_eq!(b.json(&["setup", "show"])["contact_nos"], "CONT");
    // A bad code is a usage error, not a panic.
    b.fails(
        &["setup", "set", "--default-language", "WAY-TOO-LONG-CODE"],
        2,
    );
}

#[test]
fn series_add_and_add_line_take_every_option() {
    let b = Bin::init();
    let s = b.json(&[
        "series",
        "add",
        "INV",
        "--description",
        "Invoices",
        "--starting-no",
        "INV-0001",
        "--ending-no",
        "INV-0999",
        "--warning-no",
        "INV-0900",
        "--increment-by",
        "10",
        "--starting-date",
        "2025-01-01",
        "--manual-nos",
        "--no-default-nos",
    ]);
    assert_eq!(s["description"], "Invoices");
    assert_eq!(s["default_nos"], false);
    assert_eq!(s["manual_nos"], true);
    let l = &s["lines"][0];
    assert_eq!(
        l["starting_no"], "INV-0001",
        "numbers are stored upper-case"
    );
    assert_eq!(l["ending_no"], "INV-0999");
    assert_eq!(l["warning_no"], "INV-0900");
    assert_eq!(l["increment_by"], 10);
    assert_eq!(l["starting_date"], "2025-01-01");
    let s = b.json(&[
        "series",
        "add-line",
        "INV",
        "--starting-no",
        "INV-1001",
        "--ending-no",
        "INV-1999",
        "--warning-no",
        "INV-1900",
        "--increment-by",
        "2",
        "--starting-date",
        "2026-01-01",
        "--last-no-used",
        "INV-1011",
    ]);
    assert_eq!(len(&s["lines"]), 2);
    assert_eq!(s["lines"][1]["last_no_used"], "INV-1011");
    let err = b.fails(&["series", "peek", "INV"], 1);
    assert!(err.contains("default nos."), "{err}");
    let p = b.json(&["series", "peek", "CONT"]);
    assert_eq!(p["no"], "CT000001");
    assert_eq!(p["series"], "CONT");
}

// ───────────────────────────── master data ─────────────────────────────

#[test]
fn contact_add_takes_every_option() {
    let b = Bin::demo();
    let c = b.json(&[
        "contact",
        "add",
        "--no",
        "P100",
        "--name",
        "Paula Field",
        "--kind",
        "person",
        "--company-no",
        "CT100239",
        "--email",
        "paula@example.com",
        "--salesperson",
        "JO",
        "--correspondence-type",
        "email",
        "--privacy-blocked",
        "--exclude-from-segment",
        "--city",
        "Leeds",
        "--post-code",
        "LS1 4AP",
        "--country",
        "gb",
        "--phone",
        "+44 113 555 0100",
        "--language",
        "ENG",
    ]);
    for (k, v) in [
        ("no", "P100"),
        ("name", "Paula Field"),
        ("kind", "person"),
        ("company_no", "CT100239"),
        ("email", "paula@example.com"),
        ("salesperson_code", "JO"),
        ("correspondence_type", "email"),
        ("city", "Leeds"),
        ("post_code", "LS1 4AP"),
        ("country_code", "GB"),
        ("phone", "+44 113 555 0100"),
        ("language_code", "ENG"),
    ] {
        assert_eq!(c[k], v, "{k}");
    }
    assert_eq!(c["privacy_blocked"], true);
    assert_eq!(c["exclude_from_segment"], true);
    let shown = b.json(&["contact", "show", "P100"]);
    assert_eq!(shown, c);
    let text = b.ok(&["contact", "show", "P100"]);
    assert!(
        text.contains("Paula Field") && text.contains("Leeds"),
        "{text}"
    );
    let err = b.fails(&["contact", "show", "NOPE"], 1);
    assert!(err.contains("contact NOPE does not exist"), "{err}");
}

#[test]
fn salespeople_groups_and_templates_take_every_option() {
    let b = Bin::demo();
    let s = b.json(&[
        "salesperson",
        "add",
        "--code",
        "zz",
        "--name",
        "Zoe Zimmer",
        "--email",
        "zoe@example.com",
        "--blocked",
    ]);
    assert_eq!(s["code"], "ZZ");
    assert_eq!(s["email"], "zoe@example.com");
    assert_eq!(s["blocked"], true);
    assert_eq!(len(&b.json(&["salesperson", "list"])), 8);
    let g = b.json(&[
        "group",
        "add",
        "--code",
        "events",
        "--description",
        "Events",
    ]);
    assert_eq!(g["code"], "EVENTS");
    assert_eq!(len(&b.json(&["group", "list"])), 7);
    let t = b.json(&[
        "template",
        "add",
        "--code",
        "FAIR",
        "--group",
        "EVENTS",
        "--description",
        "Trade fair",
        "--unit-cost",
        "12.5",
        "--unit-duration",
        "240",
        "--flow",
        "inbound",
        "--initiated-by",
        "them",
        "--correspondence-type",
        "hard-copy",
        "--ignore-contact-correspondence-type",
        "--campaign",
        "CP1002",
        "--language",
        "ENU",
    ]);
    assert_eq!(t["unit_cost"], "12.50");
    assert_eq!(t["unit_duration_min"], 240);
    assert_eq!(t["information_flow"], "inbound");
    assert_eq!(t["initiated_by"], "them");
    assert_eq!(t["correspondence_type_default"], "hard-copy");
    assert_eq!(t["ignore_contact_correspondence_type"], true);
    assert_eq!(t["campaign_no"], "CP1002");
    assert_eq!(t["language_code_default"], "ENU");
    let err = b.fails(
        &[
            "template",
            "add",
            "--code",
            "X",
            "--group",
            "NOPE",
            "--description",
            "x",
        ],
        1,
    );
    assert!(
        err.contains("interaction group NOPE does not exist"),
        "{err}"
    );
}

#[test]
fn campaign_add_and_list_take_every_option() {
    let b = Bin::demo();
    let c = b.json(&[
        "campaign",
        "add",
        "--description",
        "Spring fair",
        "--salesperson",
        "HR",
        "--starting-date",
        "2025-04-01",
        "--ending-date",
        "2025-04-30",
    ]);
    assert_eq!(c["no"], "CP0001", "numbered from the CAMP series");
    assert_eq!(c["salesperson_code"], "HR");
    assert_eq!(c["starting_date"], "2025-04-01");
    assert_eq!(c["ending_date"], "2025-04-30");
    let typed = b.json(&[
        "campaign",
        "add",
        "--no",
        "CP9000",
        "--description",
        "Typed",
    ]);
    assert_eq!(typed["no"], "CP9000");
    assert_eq!(len(&b.json(&["campaign", "list"])), 5);
    let err = b.fails(
        &[
            "campaign",
            "add",
            "--description",
            "Backwards",
            "--starting-date",
            "2025-04-30",
            "--ending-date",
            "2025-04-01",
        ],
        1,
    );
    assert!(err.contains("2025-04-01"), "{err}");
}

#[test]
fn import_takes_a_kind_and_reports_json() {
    let b = Bin::init();
    let dir = b.dir().to_path_buf();
    let people = dir.join("people.csv");
    std::fs::copy(fixture("demo/salespeople.csv"), &people).expect("copy");
    let r = b.json(&[
        "import",
        "--kind",
        "salespeople",
        people.to_str().expect("utf-8"),
    ]);
    assert_eq!(r[0]["records"], 7);
    assert_eq!(r[0]["kind"], "salespeople");
    let err = b.fails(&["import", people.to_str().expect("utf-8")], 1);
    assert!(err.contains("people.csv"), "{err}");
}

// ───────────────────────────── interactions ─────────────────────────────

#[test]
fn interaction_create_takes_every_field() {
    let b = Bin::demo();
    let e = b.json(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "OUTGOING",
        "--salesperson",
        "JO",
        "--description",
        "Called about the order",
        "--subject",
        "Order 1001",
        "--cost",
        "2.5",
        "--duration",
        "20",
        "--evaluation",
        "positive",
        "--failed",
        "--campaign",
        "CP1001",
        "--correspondence-type",
        "email",
        "--comment",
        "asked for a quote",
        "--comment",
        "call again in May",
    ]);
    assert_eq!(e["salesperson_code"], "JO");
    assert_eq!(e["description"], "Called about the order");
    assert_eq!(e["subject"], "Order 1001");
    assert_eq!(e["cost"], "2.50");
    assert_eq!(e["duration_min"], 20);
    assert_eq!(e["evaluation"], "positive");
    assert_eq!(e["attempt_failed"], true);
    assert_eq!(e["campaign_no"], "CP1001");
    assert_eq!(e["correspondence_type"], "email");
    assert_eq!(len(&e["comments"]), 2);
    assert!(e["campaign_entry"]["entry_no"].is_number());
    // From an existing entry: contact, template and salesperson come from entry 1.
    let f = b.json(&["interaction", "create", "--from-entry", "1"]);
    assert_eq!(f["entry_no"], 2);
    assert_eq!(f["contact_no"], "CT100125");
    assert_eq!(f["template_code"], "OUTGOING");
    assert_eq!(f["salesperson_code"], "JO");
    let err = b.fails(&["interaction", "create", "--from-entry", "99"], 1);
    assert!(err.contains("99"), "{err}");
}

#[test]
fn interaction_list_filters_by_every_field() {
    let b = Bin::demo();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    b.ok(&[
        "--work-date",
        "2025-03-20",
        "interaction",
        "create",
        "--contact",
        "CT100002",
        "--template",
        "OUTGOING",
        "--salesperson",
        "EH",
        "--campaign",
        "CP1002",
    ]);
    b.ok(&[
        "segment",
        "create",
        "--description",
        "Mailing",
        "--salesperson",
        "LT",
    ]);
    b.ok(&[
        "segment",
        "set-interaction",
        "SM00001",
        "--template",
        "ABSTRACT",
    ]);
    b.ok(&["segment", "add-line", "SM00001", "--contact", "CT100124"]);
    b.ok(&["segment", "log", "SM00001"]);
    b.ok(&["interaction", "cancel", "1"]);
    let count = |extra: &[&str]| {
        let mut a = vec!["interaction", "list"];
        a.extend_from_slice(extra);
        len(&b.json(&a))
    };
    assert_eq!(count(&[]), 3);
    assert_eq!(
        len(&b.json(&["interaction", "list", "--template", "BUS"])),
        1
    );
    assert_eq!(
        len(&b.json(&["interaction", "list", "--salesperson", "EH"])),
        1
    );
    assert_eq!(
        len(&b.json(&["interaction", "list", "--campaign", "CP1002"])),
        1
    );
    assert_eq!(
        len(&b.json(&["interaction", "list", "--segment", "SM00001"])),
        1
    );
    assert_eq!(
        len(&b.json(&["interaction", "list", "--logged-segment", "1"])),
        1
    );
    assert_eq!(len(&b.json(&["interaction", "list", "--not-canceled"])), 2);
    assert_eq!(
        len(&b.json(&["interaction", "list", "--from", "2025-03-15"])),
        1
    );
    assert_eq!(
        len(&b.json(&["interaction", "list", "--to", "2025-03-14"])),
        2
    );
    b.fails(&["interaction", "list", "--canceled", "--not-canceled"], 2);
}

#[test]
fn resume_takes_every_field_and_delete_removes_postponed_entries() {
    let b = Bin::demo();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
        "--postpone",
    ]);
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100002",
        "--template",
        "BUS",
        "--postpone",
    ]);
    let r = b.json(&[
        "--work-date",
        "2025-03-21",
        "interaction",
        "resume",
        "1",
        "--template",
        "OUTGOING",
        "--salesperson",
        "BC",
        "--description",
        "Called instead",
        "--subject",
        "Follow-up",
        "--cost",
        "3",
        "--duration",
        "25",
        "--evaluation",
        "neutral",
        "--failed",
        "--campaign",
        "CP1003",
        "--correspondence-type",
        "hard-copy",
        "--comment",
        "no answer at first",
    ]);
    assert_eq!(r["entry_no"], 1);
    assert_eq!(r["date"], "2025-03-21");
    assert_eq!(r["template_code"], "OUTGOING");
    assert_eq!(r["salesperson_code"], "BC");
    assert_eq!(r["description"], "Called instead");
    assert_eq!(r["subject"], "Follow-up");
    assert_eq!(r["cost"], "3.00");
    assert_eq!(r["duration_min"], 25);
    assert_eq!(r["evaluation"], "neutral");
    assert_eq!(r["attempt_failed"], true);
    assert_eq!(r["campaign_no"], "CP1003");
    assert_eq!(r["correspondence_type"], "hard-copy");
    assert_eq!(r["comments"][0]["text"], "no answer at first");
    let d = b.json(&["interaction", "delete", "2"]);
    assert_eq!(d["deleted_entry_nos"], serde_json::json!([2]));
    assert_eq!(len(&b.json(&["interaction", "postponed"])), 0);
    let err = b.fails(&["interaction", "delete", "1"], 1);
    assert!(err.contains("not postponed"), "{err}");
}

#[test]
fn interaction_edit_show_and_stats_take_every_option() {
    let b = Bin::demo();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    let e = b.json(&[
        "interaction",
        "edit",
        "1",
        "--evaluation",
        "very-positive",
        "--cost",
        "9.99",
        "--duration",
        "45",
        "--description",
        "Letter with brochure",
        "--comment",
        "liked the brochure",
    ]);
    assert_eq!(e["evaluation"], "very-positive");
    assert_eq!(e["cost"], "9.99");
    assert_eq!(e["duration_min"], 45);
    assert_eq!(e["description"], "Letter with brochure");
    assert_eq!(e["comments"][0]["text"], "liked the brochure");
    let shown = b.json(&["interaction", "show", "1"]);
    assert_eq!(shown["description"], "Letter with brochure");
    let text = b.ok(&["interaction", "show", "1"]);
    assert!(text.contains("liked the brochure"), "{text}");
    let s = b.json(&["stats", "--by", "salesperson"]);
    assert_eq!(s[0]["key"], "HR");
    assert_eq!(s[0]["cost"], "9.99");
    let err = b.fails(&["interaction", "show", "7"], 1);
    assert!(err.contains("7"), "{err}");
}

// ───────────────────────────── segments ─────────────────────────────

#[test]
fn set_interaction_takes_every_option() {
    let b = Bin::demo();
    b.ok(&["segment", "create", "--no", "S1", "--description", "Spring"]);
    b.ok(&["segment", "add-line", "S1", "--contact", "CT100125"]);
    let c = b.json(&[
        "segment",
        "set-interaction",
        "S1",
        "--template",
        "BUS",
        "--description",
        "Spring letter",
        "--subject",
        "Our spring offers",
        "--unit-cost",
        "4.75",
        "--unit-duration",
        "12",
        "--correspondence-type",
        "email",
        "--ignore-contact-correspondence-type=false",
        "--language",
        "ENU",
        "--salesperson",
        "OF",
        "--campaign",
        "CP1003",
        "--date",
        "2025-03-31",
    ]);
    let h = &c["segment"];
    assert_eq!(h["description"], "Spring letter");
    assert_eq!(h["date"], "2025-03-31");
    assert_eq!(h["salesperson_code"], "OF");
    assert_eq!(h["campaign_no"], "CP1003");
    let i = &h["interaction"];
    assert_eq!(i["template_code"], "BUS");
    assert_eq!(i["subject_default"], "Our spring offers");
    assert_eq!(i["unit_cost"], "4.75");
    assert_eq!(i["unit_duration_min"], 12);
    assert_eq!(i["correspondence_type_default"], "email");
    assert_eq!(i["ignore_contact_correspondence_type"], false);
    assert_eq!(i["language_code_default"], "ENU");
    assert_eq!(c["lines_changed"], 1);
    let c = b.json(&[
        "segment",
        "set-interaction",
        "S1",
        "--ignore-contact-correspondence-type",
    ]);
    assert_eq!(
        c["segment"]["interaction"]["ignore_contact_correspondence_type"],
        true
    );
}

#[test]
fn building_a_segment_takes_every_criteria_option() {
    let b = Bin::demo();
    b.ok(&[
        "contact",
        "add",
        "--no",
        "EX1",
        "--name",
        "Excluded Ltd",
        "--city",
        "Leeds",
        "--exclude-from-segment",
    ]);
    b.ok(&["segment", "create", "--no", "S1", "--description", "Build"]);
    let a = b.json(&[
        "segment",
        "add-contacts",
        "S1",
        "--filter",
        "No.=CT100239",
        "--expand-companies",
    ]);
    assert_eq!(a["lines_changed"], 2, "Cane Showroom and Andrew Lan");
    let a = b.json(&[
        "segment",
        "add-contacts",
        "S1",
        "--filter",
        "No.=CT100124",
        "--related-companies",
    ]);
    assert_eq!(a["lines_changed"], 2, "Adam Barr and Lordship Lane");
    let a = b.json(&[
        "segment",
        "add-contacts",
        "S1",
        "--filter",
        "No.=CT100124",
        "--allow-existing",
    ]);
    assert_eq!(a["lines_changed"], 1);
    let a = b.json(&["segment", "add-contacts", "S1", "--filter", "City=Leeds"]);
    assert_eq!(a["lines_changed"], 0, "excluded contacts are skipped");
    let a = b.json(&[
        "segment",
        "add-contacts",
        "S1",
        "--filter",
        "City=Leeds",
        "--ignore-exclusion",
    ]);
    assert_eq!(a["lines_changed"], 1);
    let r = b.json(&[
        "segment",
        "reduce",
        "S1",
        "--filter",
        "No.=CT100125",
        "--entire-companies",
    ]);
    assert_eq!(r["lines_changed"], 2, "Andrew Lan's whole company goes");
    let r = b.json(&[
        "segment",
        "refine",
        "S1",
        "--filter",
        "City=Newport",
        "--entire-companies",
    ]);
    assert_eq!(r["segment"]["line_count"], 3);
    let r = b.json(&["segment", "refine", "S1", "--filter", "Type=Person"]);
    assert_eq!(r["segment"]["line_count"], 2);
    let g = b.json(&["segment", "go-back", "S1"]);
    assert_eq!(g["segment"]["line_count"], 3);
    let shown = b.json(&["segment", "show", "S1", "--limit", "1"]);
    assert_eq!(len(&shown["lines"]), 1);
    let text = b.ok(&["segment", "show", "S1"]);
    assert!(text.contains("criteria"), "{text}");
}

#[test]
fn lines_are_added_overridden_and_removed_one_by_one() {
    let b = Bin::demo();
    b.ok(&["segment", "create", "--no", "S1", "--description", "Lines"]);
    b.ok(&["segment", "set-interaction", "S1", "--template", "BUS"]);
    let l = b.json(&["segment", "add-line", "S1", "--contact", "CT100125"]);
    assert_eq!(l["line_no"], 10000);
    b.ok(&["segment", "add-line", "S1", "--contact", "CT100002"]);
    let l = b.json(&[
        "segment",
        "set-line",
        "S1",
        "10000",
        "--template",
        "OUTGOING",
        "--description",
        "Call Andrew",
        "--subject",
        "Spring",
        "--cost",
        "1.25",
        "--duration",
        "5",
        "--salesperson",
        "JO",
        "--evaluation",
        "negative",
        "--date",
        "2025-03-18",
        "--correspondence-type",
        "hard-copy",
        "--failed",
        "--language",
        "ENU",
    ]);
    assert_eq!(l["template_code"], "OUTGOING");
    assert_eq!(l["description"], "Call Andrew");
    assert_eq!(l["subject"], "Spring");
    assert_eq!(l["cost"], "1.25");
    assert_eq!(l["duration_min"], 5);
    assert_eq!(l["salesperson_code"], "JO");
    assert_eq!(l["evaluation"], "negative");
    assert_eq!(l["date"], "2025-03-18");
    assert_eq!(l["correspondence_type"], "hard-copy");
    assert_eq!(l["attempt_failed"], true);
    assert_eq!(l["language_code"], "ENU");
    let r = b.json(&["segment", "remove-line", "S1", "20000"]);
    assert_eq!(r["contact_no"], "CT100002");
    let err = b.fails(&["segment", "remove-line", "S1", "20000"], 1);
    assert!(err.contains("20000"), "{err}");
}

#[test]
fn a_logged_segment_is_reused_and_followed_up_by_outcome() {
    let b = Bin::demo();
    b.ok(&[
        "segment",
        "create",
        "--no",
        "S1",
        "--description",
        "First",
        "--salesperson",
        "HR",
    ]);
    b.ok(&["segment", "set-interaction", "S1", "--template", "BUS"]);
    b.ok(&["segment", "add-contacts", "S1", "--filter", "City=Newport"]);
    b.ok(&[
        "segment",
        "set-line",
        "S1",
        "10000",
        "--evaluation",
        "positive",
    ]);
    b.ok(&["segment", "set-line", "S1", "20000", "--failed"]);
    b.ok(&["segment", "log", "S1"]);
    b.ok(&["segment", "create", "--no", "S2", "--description", "Again"]);
    let r = b.json(&["segment", "reuse-logged", "S2", "--logged", "1"]);
    assert_eq!(r["lines_changed"], 3);
    let f = b.json(&[
        "logged-segment",
        "follow-up",
        "1",
        "--evaluation",
        "positive",
    ]);
    assert_eq!(f["line_count"], 1);
    let f = b.json(&["logged-segment", "follow-up", "1", "--failed"]);
    assert_eq!(f["line_count"], 1);
    let f = b.json(&[
        "logged-segment",
        "follow-up",
        "1",
        "--succeeded",
        "--not-canceled",
    ]);
    assert_eq!(f["line_count"], 2);
    b.fails(
        &[
            "logged-segment",
            "follow-up",
            "1",
            "--failed",
            "--succeeded",
        ],
        2,
    );
}

// ───────────────────────────── jobs, generator, demo, export, batch ─────────────────────────────

#[test]
fn gen_takes_a_seed_and_reports_json() {
    let b = Bin::new();
    let g = b.json(&[
        "gen",
        "--contacts",
        "300",
        "--segment-size",
        "120",
        "--seed",
        "7",
    ]);
    assert_eq!(g["contacts"], 300);
    assert_eq!(g["line_count"], 120);
    assert_eq!(g["segment_no"], "SM00001");
}

#[test]
fn demo_prints_a_json_summary_with_json() {
    let b = Bin::new();
    let out = b.run(&["--json", "demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON value");
    assert_eq!(v["logged_segment"], 1);
    assert!(v["follow_up_segment"].is_string());
    let again = b.json(&["demo", "--reset"]);
    assert_eq!(again["logged_segment"], 1);
}

#[test]
fn export_takes_every_filter_format_and_target() {
    let b = Bin::demo();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100002",
        "--template",
        "OUTGOING",
        "--campaign",
        "CP1002",
    ]);
    b.ok(&[
        "segment",
        "create",
        "--no",
        "S1",
        "--description",
        "Mailing",
        "--salesperson",
        "LT",
    ]);
    b.ok(&["segment", "set-interaction", "S1", "--template", "ABSTRACT"]);
    b.ok(&["segment", "add-line", "S1", "--contact", "CT100124"]);
    b.ok(&["segment", "log", "S1"]);
    b.ok(&["interaction", "cancel", "2"]);
    let rows = |args: &[&str]| -> usize {
        let text = b.ok(args);
        len(&serde_json::from_str::<Value>(&text).expect("JSON export"))
    };
    assert_eq!(
        rows(&["export", "entries", "--format", "json", "--template", "BUS"]),
        1
    );
    assert_eq!(
        rows(&[
            "export",
            "entries",
            "--format",
            "json",
            "--salesperson",
            "LT"
        ]),
        1
    );
    assert_eq!(
        rows(&[
            "export",
            "entries",
            "--format",
            "json",
            "--campaign",
            "CP1002"
        ]),
        1
    );
    assert_eq!(
        rows(&["export", "entries", "--format", "json", "--segment", "S1"]),
        1
    );
    assert_eq!(
        rows(&[
            "export",
            "entries",
            "--format",
            "json",
            "--logged-segment",
            "1"
        ]),
        1
    );
    assert_eq!(
        rows(&["export", "entries", "--format", "json", "--canceled"]),
        1
    );
    assert_eq!(
        rows(&["export", "entries", "--format", "json", "--not-canceled"]),
        2
    );
    assert_eq!(
        rows(&[
            "export",
            "entries",
            "--format",
            "json",
            "--to",
            "2025-03-13"
        ]),
        0
    );
    let out = b.dir().join("logged.csv");
    let r = b.json(&[
        "export",
        "logged-segments",
        "--format",
        "csv",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(r["rows"], 1);
    assert!(std::fs::read_to_string(&out).expect("file").lines().count() == 2);
    let out = b.dir().join("contacts.json");
    let r = b.json(&[
        "export",
        "contacts",
        "--format",
        "json",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(r["rows"], 20);
    let out = b.dir().join("stats.csv");
    let r = b.json(&[
        "export",
        "stats",
        "--by",
        "campaign",
        "--format",
        "csv",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(r["kind"], "stats");
}

#[test]
fn batch_run_reports_json_and_restart_forgets_progress() {
    let b = Bin::demo();
    b.ok(&[
        "segment",
        "create",
        "--no",
        "S1",
        "--description",
        "Nightly",
        "--salesperson",
        "HR",
    ]);
    b.ok(&["segment", "set-interaction", "S1", "--template", "BUS"]);
    b.ok(&["segment", "add-contacts", "S1", "--filter", "City=Newport"]);
    let job = b.dir().join("job.json");
    std::fs::write(&job, r#"{"id": "n1", "steps": [{"log": "S1"}]}"#).expect("job file");
    let r = b.json(&["batch", "run", job.to_str().expect("utf-8")]);
    assert_eq!(r["steps"][0]["status"], "done");
    std::fs::write(
        &job,
        r#"{"id": "n1", "steps": [{"log": "S1"}, {"cleanup": "canceled-entries"}]}"#,
    )
    .expect("job file");
    let out = b.run(&["batch", "run", job.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(5), "a changed job needs --restart");
    let r = b.json(&["batch", "run", "--restart", job.to_str().expect("utf-8")]);
    assert_eq!(len(&r["steps"]), 2);
}
