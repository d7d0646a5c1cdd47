//! `interlog dump` / `interlog load` through the binary: a whole store as JSON Lines; dump →
//! load → dump is byte-identical, the loaded store verifies, and a damaged dump is refused with
//! its line number, leaving nothing behind.

mod common;

use common::bin::Bin;

/// The demo store with every record kind present: setup, user setup, entries (postponed,
/// canceled), segments with lines and criteria (a go-back), saved criteria, a logged segment
/// with a follow-up, campaign entries, a canceled logged segment.
fn full_store() -> Bin {
    let b = Bin::demo();
    for args in [
        &["setup", "set", "--default-correspondence-type", "hard-copy"][..],
        &["user-setup", "set", "ALICE", "--salesperson", "JO"],
        &[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
        ],
        &[
            "interaction",
            "create",
            "--contact",
            "CT100002",
            "--template",
            "OUTGOING",
            "--postpone",
            "--comment",
            "call back",
        ],
        &[
            "interaction",
            "create",
            "--contact",
            "CT100002",
            "--template",
            "BUS",
        ],
        &["interaction", "cancel", "3"],
        &[
            "segment",
            "create",
            "--description",
            "Increase sale",
            "--salesperson",
            "HR",
            "--campaign",
            "CP1001",
        ],
        &["segment", "set-interaction", "SM00001", "--template", "BUS"],
        &[
            "segment",
            "add-contacts",
            "SM00001",
            "--filter",
            "City=Manchester|Newport",
        ],
        &[
            "segment",
            "add-contacts",
            "SM00001",
            "--filter",
            "Type=Person",
        ],
        &["segment", "go-back", "SM00001"],
        &[
            "segment",
            "save-criteria",
            "SM00001",
            "--code",
            "MANNEW",
            "--description",
            "Manchester and Newport",
        ],
        &[
            "segment",
            "create",
            "--description",
            "Golf day",
            "--campaign",
            "CP1002",
        ],
        &[
            "segment",
            "set-interaction",
            "SM00002",
            "--template",
            "GOLF",
        ],
        &["segment", "reuse-criteria", "SM00002", "--code", "MANNEW"],
        &["segment", "reduce", "SM00002", "--filter", "Type=Person"],
        &["segment", "log", "SM00001", "--follow-up"],
        &[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
            "--idempotency-key",
            "nightly/CT100125",
        ],
    ] {
        b.ok(args);
    }
    // A job record: SM00002 is logged by a batch job.
    let job = b.dir().join("job.json");
    std::fs::write(&job, r#"{"id": "n1", "steps": [{"log": "SM00002"}]}"#).unwrap();
    b.ok(&["batch", "run", job.to_str().unwrap()]);
    b.ok(&["logged-segment", "cancel", "2"]);
    b
}

#[test]
fn dump_load_dump_is_identical_and_the_loaded_store_verifies() {
    let b = full_store();
    let file = b.dir().join("store.jsonl");
    let v = b.json(&["dump", "--out", file.to_str().unwrap()]);
    let records = &v["records_by_kind"];
    for kind in [
        "setup",
        "series",
        "user_setup",
        "contact",
        "salesperson",
        "group",
        "template",
        "campaign",
        "segment",
        "segment_line",
        "saved_criteria",
        "entry",
        "logged_segment",
        "logged_segment_link",
        "campaign_entry",
        "counter",
    ] {
        assert!(records[kind].as_u64().unwrap() > 0, "no {kind} in {v}");
    }
    let first = std::fs::read_to_string(&file).unwrap();
    assert!(
        first.starts_with("{\"interlog_dump\":1,"),
        "{}",
        &first[..80]
    );
    assert!(first.contains("\"canceled\":true") && first.contains("\"postponed\":true"));
    // To stdout, the same bytes.
    assert_eq!(b.ok(&["dump"]), first);

    let r = Bin::new();
    let v = r.json(&["load", file.to_str().unwrap()]);
    assert_eq!(
        v["line_count"].as_u64().unwrap(),
        first.lines().count() as u64,
        "{v}"
    );
    assert_eq!(v["records_by_kind"]["entry"], records["entry"]);
    assert_eq!(r.ok(&["dump"]), first, "dump → load → dump differs");
    r.ok(&["verify"]);
    for what in ["entries", "logged-segments", "contacts"] {
        assert_eq!(
            r.ok(&["export", what, "--format", "jsonl"]),
            b.ok(&["export", what, "--format", "jsonl"]),
            "{what}"
        );
    }
    // The loaded store goes on numbering where the original stopped.
    let a = b.json(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    let c = r.json(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    assert_eq!(a["entry_no"], c["entry_no"], "{a} {c}");
    assert_eq!(
        r.ok(&["interaction", "list", "--contact", "CT100125", "--json"]),
        b.ok(&["interaction", "list", "--contact", "CT100125", "--json"])
    );
    // The idempotency key came along: the same request answers with the first entry.
    let again = r.json(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
        "--idempotency-key",
        "nightly/CT100125",
    ]);
    assert_eq!(again["replayed"], true, "{again}");
    // `load -` reads stdin.
    let s = Bin::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_interlog"))
        .arg("--store")
        .arg(s.path())
        .args(["--json", "load", "-"])
        .stdin(std::process::Stdio::from(
            std::fs::File::open(&file).unwrap(),
        ))
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&std::mem::take(&mut child.stdout)).unwrap();
    assert_eq!(v["file"], serde_json::Value::Null, "{v}");
    assert_eq!(s.ok(&["dump", "--out", "-"]), first);
    // Never over an existing store.
    let err = r.fails(&["load", file.to_str().unwrap()], 1);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn a_damaged_dump_is_refused_with_its_line_and_leaves_nothing() {
    let b = full_store();
    let dump = b.ok(&["dump"]);
    let lines: Vec<&str> = dump.lines().collect();
    let cases = [
        // Truncated: the counters at the end are missing.
        (lines[..lines.len() / 2].join("\n"), "truncated".to_string()),
        // Garbled in the middle.
        (
            {
                let mut l = lines.clone();
                l[5] = "{\"kind\":\"contact\",\"no\":";
                l.join("\n")
            },
            "line 6".to_string(),
        ),
        // A wrong header version.
        (
            dump.replacen("\"interlog_dump\":1", "\"interlog_dump\":99", 1),
            "line 1".to_string(),
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let f = b.dir().join(format!("bad-{i}.jsonl"));
        std::fs::write(&f, text).unwrap();
        let r = Bin::new();
        let err = r.fails(&["load", f.to_str().unwrap()], 1);
        assert!(err.contains(want.as_str()), "case {i}: {err}");
        assert!(!r.path().exists(), "case {i}: a store was left behind");
        let left: Vec<_> = std::fs::read_dir(r.dir()).unwrap().collect();
        assert!(left.is_empty(), "case {i}: {left:?}");
    }
}
