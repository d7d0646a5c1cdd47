//! The command-line contract: command names, `--json` output, exit codes, messages on stderr,
//! quiet output when piped, and "a refused command writes nothing" — driving the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::fixture;
use serde_json::Value;
use tempfile::TempDir;

struct Cli {
    _dir: TempDir,
    store: PathBuf,
}

impl Cli {
    fn new() -> Cli {
        let dir = TempDir::new().unwrap();
        let store = dir.path().join("store");
        Cli { _dir: dir, store }
    }

    /// A store with BC's demo data, made through the CLI.
    fn demo() -> Cli {
        let c = Cli::new();
        c.ok(&["init"]);
        for f in [
            "groups.csv",
            "salespeople.csv",
            "campaigns.json",
            "templates.csv",
            "contacts.csv",
        ] {
            let p = fixture(&format!("demo/{f}"));
            c.ok(&["import", p.to_str().unwrap()]);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .arg("--store")
            .arg(&self.store)
            .args(["--work-date", "2025-03-14", "--user", "TESTER"])
            .args(args)
            .output()
            .expect("run interlog")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).expect("valid JSON")
    }

    /// Runs a command that must fail with `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty() || args.contains(&"--json"),
            "{args:?} printed to stdout on failure"
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn store_path(&self) -> &Path {
        &self.store
    }
}

#[test]
fn init_creates_bcs_number_series_and_refuses_an_existing_store() {
    let c = Cli::new();
    c.ok(&["init"]);
    let series = c.json(&["series", "list"]);
    let codes: Vec<&str> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["CAMP", "CONT", "SEGM"]);
    let setup = c.json(&["setup", "show"]);
    assert_eq!(setup["segment_nos"], "SEGM");
    let err = c.fails(&["init"], 3);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn a_missing_store_is_exit_code_3_with_a_hint() {
    let c = Cli::new();
    let err = c.fails(&["contact", "list"], 3);
    assert!(err.contains("interlog init"), "{err}");
}

#[test]
fn usage_errors_are_exit_code_2() {
    let c = Cli::new();
    c.ok(&["init"]);
    c.fails(&["interaction", "create", "--cost", "abc"], 2);
    let err = c.fails(
        &["segment", "add-contacts", "SM1", "--filter", "Name=A..B..C"],
        2,
    );
    assert!(
        err.contains("^^"),
        "a bad filter points at the offending part: {err}"
    );
}

#[test]
fn series_peek_consumes_nothing_and_next_draws() {
    let c = Cli::new();
    c.ok(&["init"]);
    assert_eq!(c.ok(&["series", "peek", "CONT"]).trim(), "CT000001");
    assert_eq!(c.ok(&["series", "peek", "CONT"]).trim(), "CT000001");
    assert_eq!(c.json(&["series", "next", "CONT"])["no"], "CT000001");
    assert_eq!(c.ok(&["series", "peek", "CONT"]).trim(), "CT000002");
}

#[test]
fn creating_an_interaction_prints_the_entry_it_wrote() {
    let c = Cli::demo();
    let e = c.json(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    assert_eq!(e["entry_no"], 1);
    assert_eq!(e["contact_company_no"], "CT100239");
    assert_eq!(e["salesperson_code"], "HR");
    assert_eq!(e["cost"], "8.00");
    assert_eq!(e["user_id"], "TESTER");
    assert_eq!(e["date"], "2025-03-14");
    let list = c.json(&["interaction", "list", "--contact", "CT100125"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn a_refused_interaction_exits_1_and_writes_nothing() {
    let c = Cli::demo();
    c.ok(&[
        "contact",
        "add",
        "--no",
        "P1",
        "--name",
        "Private",
        "--privacy-blocked",
        "--salesperson",
        "HR",
    ]);
    let err = c.fails(
        &[
            "interaction",
            "create",
            "--contact",
            "P1",
            "--template",
            "BUS",
        ],
        1,
    );
    assert!(
        err.contains("cannot use contact P1: blocked for privacy"),
        "{err}"
    );
    let err = c.fails(
        &[
            "interaction",
            "create",
            "--contact",
            "NOPE",
            "--template",
            "BUS",
        ],
        1,
    );
    assert!(err.contains("contact NOPE does not exist"), "{err}");
    assert_eq!(
        c.json(&["interaction", "list"]).as_array().unwrap().len(),
        0
    );
}

#[test]
fn postpone_resume_cancel_round_trip() {
    let c = Cli::demo();
    let p = c.json(&[
        "interaction",
        "create",
        "--contact",
        "CT100002",
        "--template",
        "OUTGOING",
        "--postpone",
    ]);
    assert_eq!(p["postponed"], true);
    assert_eq!(
        c.json(&["interaction", "postponed"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.json(&["interaction", "list"]).as_array().unwrap().len(),
        0
    );
    let r = c.json(&[
        "--work-date",
        "2025-03-20",
        "interaction",
        "resume",
        "1",
        "--evaluation",
        "positive",
    ]);
    assert_eq!(r["entry_no"], 1);
    assert_eq!(r["date"], "2025-03-20");
    assert_eq!(r["postponed"], false);
    let x = c.json(&["interaction", "cancel", "1"]);
    assert_eq!(x["canceled"], true);
    let err = c.fails(&["interaction", "delete", "1"], 1);
    assert!(err.contains("not postponed"), "{err}");
}

#[test]
fn segment_commands_follow_the_contract() {
    let c = Cli::demo();
    let s = c.json(&[
        "segment",
        "create",
        "--description",
        "Increase sale",
        "--salesperson",
        "HR",
        "--campaign",
        "CP1001",
    ]);
    assert_eq!(s["no"], "SM00001");
    c.ok(&["segment", "set-interaction", "SM00001", "--template", "BUS"]);
    let a = c.json(&[
        "segment",
        "add-contacts",
        "SM00001",
        "--filter",
        "City=Manchester|Newport",
    ]);
    assert_eq!(a["lines_changed"], 5);
    let r = c.json(&["segment", "reduce", "SM00001", "--filter", "Type=Person"]);
    assert_eq!(r["segment"]["line_count"], 2);
    let g = c.json(&["segment", "go-back", "SM00001"]);
    assert_eq!(g["segment"]["line_count"], 5);
    let l = c.json(&["segment", "set-line", "SM00001", "20000", "--cost", "12.50"]);
    assert_eq!(l["cost"], "12.50");
    let shown = c.json(&["segment", "show", "SM00001"]);
    assert_eq!(shown["lines"].as_array().unwrap().len(), 5);
    let dry = c.json(&["segment", "log", "SM00001", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        c.json(&["logged-segment", "list"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let o = c.json(&["segment", "log", "SM00001", "--follow-up"]);
    assert_eq!(o["entries"], 5);
    assert_eq!(o["logged_segment_entry_no"], 1);
    assert_eq!(o["first_entry_no"], 1);
    assert_eq!(o["last_entry_no"], 5);
    assert_eq!(o["follow_up_segment"], "SM00002");
    assert!(o.get("follow_up_segment_no").is_none());
    let ls = c.json(&["logged-segment", "show", "1"]);
    assert_eq!(ls["no_of_interactions"], 5);
    assert_eq!(ls["no_of_campaign_entries"], 1);
    let cx = c.json(&["logged-segment", "cancel", "1"]);
    assert_eq!(cx["canceled"], true);
    assert_eq!(
        c.json(&["interaction", "list", "--canceled"])
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let fu = c.json(&["logged-segment", "follow-up", "1", "--canceled"]);
    assert_eq!(fu["line_count"], 5);
    let cl = c.json(&["cleanup", "canceled-logged-segments"]);
    assert_eq!(cl["logged_segments_deleted"], 1);
    let ce = c.json(&["cleanup", "canceled-entries"]);
    assert_eq!(ce["entries_deleted"], 5);
    let segs = c.json(&["segment", "list"]);
    assert_eq!(segs.as_array().unwrap().len(), 2);
}

#[test]
fn a_segment_that_cannot_be_logged_reports_every_line_and_exits_1() {
    let c = Cli::demo();
    c.ok(&[
        "segment",
        "create",
        "--no",
        "S1",
        "--description",
        "No template yet",
    ]);
    c.ok(&[
        "segment",
        "add-contacts",
        "S1",
        "--filter",
        "City=Manchester",
    ]);
    let out = c.run(&["--json", "segment", "log", "S1"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("problems as JSON");
    assert_eq!(v["problems"].as_array().unwrap().len(), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 10000") && err.contains("no interaction template"),
        "{err}"
    );
    assert!(c
        .json(&["logged-segment", "list"])
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_second_process_on_the_same_store_is_told_it_is_in_use() {
    let c = Cli::demo();
    let held = interlog::storage::Store::open(c.store_path()).unwrap();
    let err = c.fails(&["contact", "list"], 3);
    assert!(err.contains("is in use by another process"), "{err}");
    drop(held);
    c.ok(&["contact", "list"]);
}

#[test]
fn piped_output_has_no_progress_noise() {
    let c = Cli::new();
    let out = c.run(&["gen", "--contacts", "2000"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = c.run(&["segment", "log", "SM00001"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_listing_has_json() {
    let c = Cli::demo();
    for args in [
        &["setup", "show"][..],
        &["series", "list"],
        &["contact", "list"],
        &["salesperson", "list"],
        &["group", "list"],
        &["template", "list"],
        &["campaign", "list"],
        &["interaction", "list"],
        &["interaction", "postponed"],
        &["segment", "list"],
        &["logged-segment", "list"],
        &["stats", "--by", "group"],
    ] {
        let v = c.json(args);
        assert!(v.is_array() || v.is_object(), "{args:?}");
    }
    assert_eq!(c.json(&["template", "list"]).as_array().unwrap().len(), 31);
}

#[test]
fn demo_runs_on_a_fresh_store_and_asks_before_reusing_one() {
    let c = Cli::new();
    let out = c.ok(&["demo"]);
    assert!(out.contains("logged segment 1"), "{out}");
    assert!(out.contains("follow-up segment"), "{out}");
    let err = c.fails(&["demo"], 1);
    assert!(err.contains("--reset"), "{err}");
    c.ok(&["demo", "--reset"]);
}

/// Listings of any length are written as they are read (a 10M-line segment shown as JSON
/// once took 24 GiB): the text and JSON must still be whole, aligned and limited as asked.
#[test]
fn long_listings_are_streamed_whole() {
    let c = Cli::new();
    c.ok(&["init"]);
    c.ok(&["gen", "--contacts", "2500", "--segment-size", "2500"]);

    let contacts = c.json(&["contact", "list"]);
    let contacts = contacts.as_array().unwrap();
    assert_eq!(contacts.len(), 2500);
    assert!(contacts
        .windows(2)
        .all(|w| w[0]["no"].as_str() < w[1]["no"].as_str()));
    let text = c.ok(&["contact", "list"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2501, "a header and one row per contact");
    assert!(lines[0].starts_with("NO."));
    assert!(lines[1..].iter().all(|l| l.starts_with("GC")));

    let shown = c.json(&["segment", "show", "SM00001"]);
    assert_eq!(shown["segment"]["no"], "SM00001");
    assert_eq!(shown["lines"].as_array().unwrap().len(), 2500);
    let few = c.json(&["segment", "show", "SM00001", "--limit", "3"]);
    let few_lines = few["lines"].as_array().unwrap();
    assert_eq!(few_lines.len(), 3);
    assert_eq!(few_lines[2], shown["lines"][2]);
    let none = c.json(&["segment", "show", "SM00001", "--limit", "0"]);
    assert_eq!(none["lines"], serde_json::json!([]));
    assert_eq!(none["segment"], shown["segment"]);

    c.ok(&["segment", "log", "SM00001"]);
    let entries = c.json(&["interaction", "list"]);
    assert_eq!(entries.as_array().unwrap().len(), 2500);
    let two = c.json(&["interaction", "list", "--limit", "2"]);
    assert_eq!(two.as_array().unwrap().len(), 2);
    assert_eq!(two[1], entries[1]);
    let empty = c.json(&["interaction", "list", "--contact", "NOSUCH"]);
    assert_eq!(empty, serde_json::json!([]));
    let text = c.ok(&["interaction", "list"]);
    assert_eq!(text.lines().count(), 2501);
}

#[test]
fn a_result_that_cannot_be_printed_after_the_commit_says_the_change_is_committed() {
    // stdout on /dev/full: every write fails with ENOSPC, after the change was committed.
    let c = Cli::demo();
    let to_full = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .arg("--store")
            .arg(&c.store)
            .args(["--work-date", "2025-03-14", "--user", "TESTER"])
            .args(args)
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .output()
            .expect("run interlog")
    };
    let create = [
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ];
    let out = to_full(&create);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("IS committed"), "{stderr}");
    let mut json = vec!["--json"];
    json.extend_from_slice(&create);
    let out = to_full(&json);
    assert_eq!(out.status.code(), Some(3));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("one JSON error");
    assert_eq!(err["error"]["kind"], "after-commit", "{err}");
    assert_eq!(err["error"]["outcome"], "committed", "{err}");
    assert_eq!(err["error"]["exit_code"], 3, "{err}");
    // Both changes are there, as said.
    let list: serde_json::Value =
        serde_json::from_str(&c.ok(&["--json", "interaction", "list", "--contact", "CT100125"]))
            .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
}
