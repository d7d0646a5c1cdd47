//! Formats of export and import through the binary: `-` for stdin/stdout (POSIX utilities'
//! convention), `/dev/stdin`, CSV with another `--delimiter`, TSV, JSON Lines, a byte-order
//! mark for Excel, BC's captions as headers, and the round trip: interlog's own export imports
//! into a fresh store with the original values, in every format, formula-like cells included.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::bin::Bin;
use common::fixture;
use serde_json::Value;

/// Values a spreadsheet would take for formulas, and values that merely look like them.
const TRICKY: [(&str, &str); 8] = [
    ("CTX01", "=1+2"),
    ("CTX02", "'=1"),
    ("CTX03", "+1 555"),
    ("CTX04", "-minus"),
    ("CTX05", "@home"),
    ("CTX06", "\u{FF1D}SUM(A1)"),
    ("CTX07", "'quoted"),
    ("CTX08", "''+2"),
];

fn store_with_tricky_contacts() -> Bin {
    let b = Bin::demo();
    for (no, name) in TRICKY {
        let name = format!("--name={name}");
        let phone = format!("--phone={}", TRICKY[0].1);
        b.ok(&["contact", "add", "--no", no, &name, &phone]);
    }
    b
}

/// A fresh store with the demo's salespeople (what contacts refer to).
fn fresh() -> Bin {
    let b = Bin::init();
    b.ok(&["import", fixture("demo/salespeople.csv").to_str().unwrap()]);
    b
}

/// Runs `interlog ARGS` on `b`'s store with `input` on stdin.
fn with_stdin(b: &Bin, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .env_remove("INTERLOG_STORE")
        .arg("--store")
        .arg(b.path())
        .args(["--work-date", "2025-03-14", "--user", "TESTER"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn every_format_round_trips_through_a_fresh_store() {
    let src = store_with_tricky_contacts();
    let reference = src.ok(&["export", "contacts", "--format", "jsonl"]);
    assert!(reference.contains("'=1") && reference.contains("=1+2"));
    let cases: [(&[&str], &[&str]); 6] = [
        (&["--format", "csv"], &["--format", "csv"]),
        (
            &["--format", "csv", "--delimiter", ";", "--bom"],
            &["--delimiter", ";"],
        ),
        (&["--format", "tsv"], &["--format", "tsv"]),
        (&["--format", "jsonl"], &["--format", "jsonl"]),
        (&["--format", "json"], &["--format", "json"]),
        (&["--format", "csv", "--headers", "bc"], &[]),
    ];
    for (out_opts, in_opts) in cases {
        let mut args = vec!["export", "contacts", "--out", "-"];
        args.extend_from_slice(out_opts);
        let file = src.ok(&args);
        let dst = fresh();
        let mut args = vec!["import", "-", "--kind", "contacts"];
        args.extend_from_slice(in_opts);
        let out = with_stdin(&dst, &args, file.as_bytes());
        assert!(
            out.status.success(),
            "{out_opts:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let again = dst.ok(&["export", "contacts", "--format", "jsonl"]);
        assert_eq!(again, reference, "{out_opts:?} changed the data");
    }
}

#[test]
fn csv_neutralises_formulas_reversibly_and_raw_does_not() {
    let b = store_with_tricky_contacts();
    let csv = b.ok(&["export", "contacts"]);
    let row = |no: &str| {
        csv.lines()
            .find(|l| l.starts_with(no))
            .unwrap_or_else(|| panic!("{no} in {csv}"))
            .to_string()
    };
    assert!(row("CTX01").starts_with("CTX01,'=1+2,"), "{}", row("CTX01"));
    assert!(row("CTX02").starts_with("CTX02,''=1,"), "{}", row("CTX02"));
    assert!(row("CTX03").starts_with("CTX03,'+1 555,"));
    assert!(row("CTX06").starts_with("CTX06,'\u{FF1D}SUM"));
    assert!(
        row("CTX07").starts_with("CTX07,'quoted,"),
        "a plain quote is data"
    );
    let raw = b.ok(&["export", "contacts", "--raw"]);
    assert!(
        raw.contains("\nCTX01,=1+2,") && raw.contains("\nCTX02,'=1,"),
        "{raw}"
    );
    // --raw on import keeps the quotes as written.
    let dst = fresh();
    let out = with_stdin(
        &dst,
        &["import", "/dev/stdin", "--kind", "contacts", "--raw"],
        csv.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = dst.json(&["contact", "show", "CTX01"]);
    assert_eq!(v["name"], "'=1+2");
    // JSON is never altered.
    let json = b.ok(&["export", "contacts", "--format", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"=1+2") && names.contains(&"'=1"));
}

#[test]
fn delimiters_bom_headers_and_stdout() {
    let b = Bin::demo();
    let semi = b.ok(&[
        "export",
        "contacts",
        "--delimiter",
        ";",
        "--bom",
        "--out",
        "-",
    ]);
    assert!(semi.starts_with("\u{FEFF}no;name;kind;"), "{semi}");
    let tsv = b.ok(&["export", "entries", "--format", "tsv", "--headers", "bc"]);
    assert!(
        tsv.starts_with("Entry No.\tContact No.\tContact Company No.\t"),
        "{tsv}"
    );
    let bc = b.ok(&["export", "contacts", "--headers", "bc"]);
    assert!(bc.starts_with("No.,Name,Type,Company No.,"), "{bc}");
    let jsonl = b.ok(&["export", "contacts", "--format", "jsonl"]);
    let lines: Vec<&str> = jsonl.lines().collect();
    assert!(lines.len() > 5);
    for l in lines {
        let v: Value = serde_json::from_str(l).expect("one object per line");
        assert!(v["no"].is_string());
    }
    // `--out -` writes stdout, never a file named `-`.
    assert!(!b.dir().join("-").exists());
    assert!(!std::path::Path::new("-").exists());
    // Options that do not apply to a format are refused, before anything is written.
    let err = b.fails(&["export", "contacts", "--format", "json", "--raw"], 1);
    assert!(err.contains("--raw"), "{err}");
    let err = b.fails(
        &["export", "contacts", "--format", "tsv", "--delimiter", ";"],
        1,
    );
    assert!(err.contains("--delimiter"), "{err}");
    let err = b.fails(&["export", "contacts", "--delimiter", "ab"], 2);
    assert!(err.contains("ASCII"), "{err}");
}

#[test]
fn standard_input_needs_a_kind_and_is_read_once() {
    let b = Bin::init();
    let out = with_stdin(&b, &["import", "-"], b"code,name\nJO,John\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kind"));
    let out = with_stdin(&b, &["import", "-", "-", "--kind", "salespeople"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only once"));
    let out = with_stdin(
        &b,
        &[
            "--json",
            "import",
            "-",
            "--kind",
            "salespeople",
            "--format",
            "jsonl",
        ],
        b"{\"code\":\"JO\",\"name\":\"John\"}\n\n{\"code\":\"MA\",\"name\":\"Mary\"}\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["records"], 2);
    // A bad JSON line is named by its line.
    let out = with_stdin(
        &b,
        &["import", "-", "--kind", "groups", "--format", "jsonl"],
        b"{\"code\":\"A\",\"description\":\"x\"}\n{oops\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
}

#[test]
fn every_export_takes_delimiter_bom_raw_and_headers() {
    let b = Bin::demo();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "ABSTRACT",
    ]);
    let o = |out: String, head: &str| {
        assert!(out.starts_with(&format!("\u{FEFF}{head}")), "{out}");
    };
    o(
        b.ok(&[
            "export",
            "entries",
            "--delimiter",
            ";",
            "--bom",
            "--raw",
            "--headers",
            "bc",
        ]),
        "Entry No.;Contact No.",
    );
    o(
        b.ok(&[
            "export",
            "logged-segments",
            "--delimiter",
            ";",
            "--bom",
            "--raw",
            "--headers",
            "bc",
        ]),
        "Entry No.;Segment No.",
    );
    o(
        b.ok(&[
            "export",
            "contacts",
            "--delimiter",
            ";",
            "--bom",
            "--raw",
            "--headers",
            "bc",
        ]),
        "No.;Name;Type",
    );
    o(
        b.ok(&[
            "export",
            "stats",
            "--delimiter",
            ";",
            "--bom",
            "--raw",
            "--headers",
            "bc",
        ]),
        "key;interactions",
    );
    // Import takes the same: a semicolon CSV with quotes kept as written.
    let dst = fresh();
    let file = b.dir().join("contacts-semi.txt");
    std::fs::write(&file, b.ok(&["export", "contacts", "--delimiter", ";"])).unwrap();
    let path = file.to_str().unwrap();
    dst.ok(&[
        "import",
        path,
        "--kind",
        "contacts",
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--raw",
    ]);
    assert_eq!(
        dst.ok(&["export", "contacts"]),
        b.ok(&["export", "contacts"])
    );
}

/// Every kind `import` takes is exported with the importer's columns: export all of them in
/// every format, import them into a fresh store, export again — equal.
#[test]
fn every_importable_kind_round_trips_in_every_format() {
    let src = store_with_tricky_contacts();
    src.ok(&["group", "add", "--code", "TRICKY", "--description=+1 =2 @3"]);
    let kinds = [
        "groups",
        "salespeople",
        "campaigns",
        "templates",
        "contacts",
    ];
    let reference: Vec<String> = kinds
        .iter()
        .map(|k| src.ok(&["export", k, "--format", "jsonl"]))
        .collect();
    for (out_opts, in_opts) in [
        (&["--format", "csv"][..], &["--format", "csv"][..]),
        (
            &[
                "--format",
                "csv",
                "--delimiter",
                ";",
                "--bom",
                "--headers",
                "bc",
            ],
            &["--delimiter", ";"],
        ),
        (&["--format", "tsv"], &["--format", "tsv"]),
        (&["--format", "json"], &["--format", "json"]),
        (&["--format", "jsonl"], &["--format", "jsonl"]),
    ] {
        let dst = Bin::init();
        for k in kinds {
            let mut args = vec!["export", k];
            args.extend_from_slice(out_opts);
            let file = src.ok(&args);
            let mut args = vec!["import", "-", "--kind", k];
            args.extend_from_slice(in_opts);
            let out = with_stdin(&dst, &args, file.as_bytes());
            assert!(
                out.status.success(),
                "{k} {out_opts:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for (k, want) in kinds.iter().zip(&reference) {
            assert_eq!(
                &dst.ok(&["export", k, "--format", "jsonl"]),
                want,
                "{k} changed through {out_opts:?}"
            );
        }
    }
}

#[test]
fn master_data_exports_take_every_option() {
    let b = Bin::demo();
    let out = |name: &str| b.dir().join(name).to_str().unwrap().to_string();
    let (s, g, t, c) = (
        out("salespeople.csv"),
        out("groups.csv"),
        out("templates.csv"),
        out("campaigns.csv"),
    );
    let v = b.json(&[
        "export",
        "salespeople",
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--bom",
        "--raw",
        "--headers",
        "bc",
        "--out",
        &s,
    ]);
    assert_eq!(v["kind"], "salespeople");
    let v = b.json(&[
        "export",
        "groups",
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--bom",
        "--raw",
        "--headers",
        "bc",
        "--out",
        &g,
    ]);
    assert_eq!(v["kind"], "groups");
    let v = b.json(&[
        "export",
        "templates",
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--bom",
        "--raw",
        "--headers",
        "bc",
        "--out",
        &t,
    ]);
    assert_eq!(v["kind"], "templates");
    let v = b.json(&[
        "export",
        "campaigns",
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--bom",
        "--raw",
        "--headers",
        "bc",
        "--out",
        &c,
    ]);
    assert_eq!(v["kind"], "campaigns");
    let text = std::fs::read_to_string(&t).unwrap();
    assert!(
        text.starts_with("\u{FEFF}Code;Interaction Group Code;Description;Unit Cost (LCY)"),
        "{text}"
    );
    // BC's captions import again.
    let dst = Bin::init();
    for f in [&g, &s, &c, &t] {
        dst.ok(&["import", f, "--delimiter", ";"]);
    }
    assert_eq!(
        dst.ok(&["export", "templates"]),
        b.ok(&["export", "templates"])
    );
}
