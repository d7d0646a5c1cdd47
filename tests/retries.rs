//! Commands a script can run again safely: `--idempotency-key` on `interaction create`, and
//! set-to-state `--canceled true|false` beside BC's switch — through the binary.

mod common;

use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

struct Cli {
    _dir: TempDir,
    store: std::path::PathBuf,
}

impl Cli {
    fn demo() -> Cli {
        let dir = TempDir::new().expect("dir");
        let store = dir.path().join("store");
        let c = Cli { _dir: dir, store };
        c.ok(&["init"]);
        for f in [
            "groups.csv",
            "salespeople.csv",
            "campaigns.json",
            "templates.csv",
            "contacts.csv",
        ] {
            let p = common::fixture(&format!("demo/{f}"));
            c.ok(&["import", p.to_str().expect("utf-8")]);
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
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).expect("JSON")
    }

    fn entries(&self) -> usize {
        self.json(&["interaction", "list"])
            .as_array()
            .expect("array")
            .len()
    }
}

#[test]
fn the_same_idempotency_key_and_request_creates_once_and_answers_with_the_first_entry() {
    let c = Cli::demo();
    let args = [
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
        "--idempotency-key",
        "nightly-2025-03-14/CT100125",
    ];
    let first = c.json(&args);
    assert_eq!(first.get("replayed"), None);
    let again = c.json(&args);
    assert_eq!(again["entry_no"], first["entry_no"]);
    assert_eq!(again["replayed"], true);
    let text = c.ok(&args);
    assert!(text.contains("already made"), "{text}");
    assert_eq!(c.entries(), 1);
}

#[test]
fn an_idempotency_key_used_for_another_request_is_refused_and_nothing_is_written() {
    let c = Cli::demo();
    c.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
        "--idempotency-key",
        "k1",
    ]);
    let out = c.run(&[
        "interaction",
        "create",
        "--contact",
        "CT100239",
        "--template",
        "BUS",
        "--idempotency-key",
        "k1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("idempotency key \"k1\" was already used"),
        "{err}"
    );
    assert_eq!(c.entries(), 1);
    let out = c.run(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
        "--idempotency-key",
        "bad\u{1b}[2J",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an escape in a key is a usage error"
    );
}

#[test]
fn setting_canceled_is_safe_to_repeat_where_switching_would_undo() {
    let c = Cli::demo();
    for _ in 0..2 {
        c.ok(&[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
        ]);
    }
    for _ in 0..2 {
        let r = c.json(&["interaction", "cancel", "1", "2", "--canceled", "true"]);
        assert_eq!(r["canceled"], true);
    }
    let listed = c.json(&["interaction", "list", "--canceled"]);
    assert_eq!(listed.as_array().expect("array").len(), 2);
    let r = c.json(&["interaction", "cancel", "2", "--canceled", "false"]);
    assert_eq!(r["canceled"], false);
    // BC's switch takes the opposite of the first entry's value: entry 1 is canceled.
    let r = c.json(&["interaction", "cancel", "1", "2"]);
    assert_eq!(r["canceled"], false);
}

#[test]
fn setting_a_logged_segments_canceled_flag_twice_leaves_it_set() {
    let c = Cli::demo();
    c.ok(&[
        "segment",
        "create",
        "--description",
        "Spring",
        "--salesperson",
        "HR",
    ]);
    c.ok(&["segment", "set-interaction", "SM00001", "--template", "BUS"]);
    c.ok(&[
        "segment",
        "add-contacts",
        "SM00001",
        "--filter",
        "City=Manchester",
    ]);
    c.ok(&["segment", "log", "SM00001"]);
    for _ in 0..2 {
        let v = c.json(&["logged-segment", "cancel", "1", "--canceled", "true"]);
        assert_eq!(v["canceled"], true);
    }
    let canceled = c.json(&["interaction", "list", "--not-canceled"]);
    assert_eq!(canceled.as_array().expect("array").len(), 0);
    let v = c.json(&["logged-segment", "cancel", "1", "--canceled", "false"]);
    assert_eq!(v["canceled"], false);
}
