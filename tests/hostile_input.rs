//! Hostile input and paths, driven through the real binary: user ids, dates, amounts and free
//! texts that carry terminal escapes, bidi controls, out-of-range values or overlong text are
//! refused (exit 1, or 2 when clap refuses the value) with the field named, nothing written and
//! nothing hostile echoed to the terminal; `export --out`, `init`, `gen` and `demo` write
//! regular files and store directories only, never through a device, FIFO or symbolic link,
//! never into the store's own directory, and `demo --reset` deletes only what is a store.

mod common;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::fixture;
use interlog::exchange::export::{self, ExportError, Format};
use interlog::ops::segments::NoProgress;
use serde_json::Value;
use tempfile::TempDir;

/// Runs the binary on `store` at a fixed work date, with `USER` unset unless `env` sets it.
fn run_env(store: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_interlog"));
    c.arg("--store")
        .arg(store)
        .args(args)
        .env_remove("INTERLOG_STORE")
        .env_remove("USER");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run interlog")
}

/// Runs the binary with the fixed work date and user `TESTER` (both can be overridden later in
/// `args`: the last value wins).
fn run(store: &Path, args: &[&str]) -> Output {
    let mut a = vec!["--work-date", "2025-03-14", "--user", "TESTER"];
    a.extend_from_slice(args);
    run_env(store, &a, &[])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let o = run(store, args);
    assert!(o.status.success(), "{args:?} failed: {}", stderr(&o));
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// Characters that must never reach the terminal raw: ESC, the 8-bit CSI, BEL, a carriage
/// return and the bidi override.
const RAW: [char; 5] = ['\u{1b}', '\u{9b}', '\u{7}', '\r', '\u{202e}'];

/// Asserts a clean refusal: exit code in `codes`, nothing on stdout, an `error` on stderr
/// without a panic or any raw hostile character. Returns stderr.
fn refused(o: &Output, what: &str, codes: &[i32]) -> String {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{what} panicked:\n{err}");
    assert!(
        o.status.code().is_some_and(|c| codes.contains(&c)),
        "{what}: exit {:?}, expected one of {codes:?}; stderr:\n{err}",
        o.status.code()
    );
    assert!(
        o.stdout.is_empty(),
        "{what} printed on stdout while failing"
    );
    assert!(err.contains("error"), "{what}: no error message:\n{err}");
    assert!(
        !err.contains(RAW),
        "{what}: stderr echoes a raw control or bidi character:\n{err:?}"
    );
    err
}

/// A store with BC's demo data, one interaction and a segment with lines, made through the
/// binary.
fn demo_store(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    ok(&store, &["init"]);
    for f in [
        "groups.csv",
        "salespeople.csv",
        "campaigns.json",
        "templates.csv",
        "contacts.csv",
    ] {
        let p = fixture(&format!("demo/{f}"));
        ok(&store, &["import", p.to_str().expect("UTF-8 path")]);
    }
    ok(
        &store,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
        ],
    );
    ok(&store, &["segment", "create", "--description", "Hostile"]);
    ok(
        &store,
        &[
            "segment",
            "add-contacts",
            "SM00001",
            "--filter",
            "City=Manchester",
        ],
    );
    store
}

/// Everything a refused command must leave as it was: every listing, as JSON.
fn snapshot(store: &Path) -> String {
    let mut all = String::new();
    for args in [
        &["contact", "list"][..],
        &["template", "list"],
        &["salesperson", "list"],
        &["group", "list"],
        &["campaign", "list"],
        &["series", "list"],
        &["setup", "show"],
        &["interaction", "list"],
        &["interaction", "postponed"],
        &["segment", "list"],
        &["segment", "show", "SM00001"],
        &["logged-segment", "list"],
    ] {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        all.push_str(&ok(store, &a));
        all.push('\n');
    }
    all
}

// ---------------------------------------------------------------------------------------------
// Hostile values on the command line

/// `exit codes | what the message must name | arguments` (split at whitespace). Placeholders:
/// `{ESC}` an ANSI colour sequence, `{CSI}` the 8-bit CSI, `{BIDI}` a right-to-left override,
/// `{CR}` a carriage return, `{ZW}` a zero-width space, `{LONG51}` / `{LONG101}` texts of 51 /
/// 101 characters, `{TOO_MUCH}` 1000000000000000 (one above the largest amount, in whole units).
/// Exit code 2 is clap refusing the value (a usage error), 1 the library refusing it.
const HOSTILE: &str = r#"
1 | --user          | --user {ESC} interaction create --contact CT100125 --template BUS
1 | --user          | --user X{CSI} interaction create --contact CT100125 --template BUS
1 | --user          | --user A{BIDI}B interaction create --contact CT100125 --template BUS
1 | --user          | --user A{ZW}B interaction create --contact CT100125 --template BUS
1 | --user          | --user A{CR}B segment log SM00001
1 | at most 50      | --user {LONG51} interaction create --contact CT100125 --template BUS
1 | --user          | --user= interaction create --contact CT100125 --template BUS
2 | --work-date     | --work-date 0000-01-01 interaction create --contact CT100125 --template BUS
2 | --work-date     | --work-date=-0001-01-01 interaction create --contact CT100125 --template BUS
2 | --work-date     | --work-date +2025-03-14 interaction create --contact CT100125 --template BUS
2 | --work-date     | --work-date 10000-01-01 interaction create --contact CT100125 --template BUS
2 | --work-date     | --work-date 2025-3-14 interaction create --contact CT100125 --template BUS
2 | --work-date     | --work-date {ESC} interaction create --contact CT100125 --template BUS
2 | --from          | interaction list --from 0000-12-31
2 | --to            | export entries --to 99999-01-01
2 | --starting-date | campaign add --description Hostile --starting-date 0000-01-01
2 | --ending-date   | campaign add --description Hostile --ending-date=-0001-01-01
2 | --starting-date | series add-line CONT --starting-no CX001 --starting-date 0000-06-01
2 | --date          | segment set-line SM00001 10000 --date 0000-01-01
2 | --cost          | interaction create --contact CT100125 --template BUS --cost {TOO_MUCH}
2 | --cost          | interaction create --contact CT100125 --template BUS --cost 18446744073709551.61
2 | --cost          | interaction edit 1 --cost {TOO_MUCH}.00
2 | --unit-cost     | template add --code HUGE --group LETTER --description Huge --unit-cost {TOO_MUCH}
2 | --unit-cost     | segment set-interaction SM00001 --unit-cost {TOO_MUCH}
2 | --cost          | segment set-line SM00001 10000 --cost {TOO_MUCH}
1 | description     | series add XS --description {ESC} --starting-no X001
1 | description     | series add XS --description {LONG101} --starting-no X001
1 | starting no.    | series add XS --description Ok --starting-no X{BIDI}001
1 | last no. used   | series add-line CONT --starting-no CY001 --last-no-used CY{ZW}002
2 | --filter        | segment add-contacts SM00001 --filter City={ESC}
2 | --filter        | segment add-contacts SM00001 --filter Name=A{BIDI}B
2 | --filter        | segment reduce SM00001 --filter City=Lon{CR}don
1 | description     | interaction create --contact CT100125 --template BUS --description {ESC}
1 | description     | interaction create --contact CT100125 --template BUS --description A{BIDI}B
1 | subject         | interaction create --contact CT100125 --template BUS --subject {CSI}
1 | comment         | interaction create --contact CT100125 --template BUS --comment {ESC}
1 | comment         | interaction edit 1 --comment {ESC}
1 | description     | interaction edit 1 --description {BIDI}x
1 | name            | contact add --name {ESC}
1 | name            | contact add --name A{BIDI}B
1 | city            | contact add --name Ok --city {CR}
1 | name            | salesperson add --code HX --name {ESC}
1 | description     | group add --code HG --description {ESC}
1 | description     | template add --code HT --group LETTER --description {BIDI}
1 | description     | campaign add --description {ESC}
1 | description     | segment create --description {ESC}
1 | description     | segment create --description {LONG101}
1 | subject         | segment set-interaction SM00001 --subject {ESC}
1 | description     | segment set-line SM00001 10000 --description {BIDI}
2 | --contact       | interaction create --contact CT{ESC} --template BUS
2 | --code          | group add --code G{BIDI} --description Ok
"#;

fn expand(arg: &str) -> String {
    arg.replace("{ESC}", "\u{1b}[31mRED\u{1b}[0m")
        .replace("{CSI}", "\u{9b}2J")
        .replace("{BIDI}", "\u{202e}")
        .replace("{CR}", "\r")
        .replace("{ZW}", "\u{200b}")
        .replace("{LONG51}", &"U".repeat(51))
        .replace("{LONG101}", &"d".repeat(101))
        .replace("{TOO_MUCH}", "1000000000000000")
}

#[test]
fn hostile_values_are_refused_with_the_field_named_and_write_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let before = snapshot(&store);
    let mut failures = Vec::new();
    for row in HOSTILE.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = row.splitn(3, " | ").map(str::trim).collect();
        let [code, names, args] = cols[..] else {
            panic!("HOSTILE row {row:?} has not 3 columns");
        };
        let code: i32 = code.parse().expect("exit code");
        let args: Vec<String> = args.split_whitespace().map(expand).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = refused(&run(&store, &args), row, &[code]);
        if !err.contains(names) {
            failures.push(format!("{row}\n    does not name {names:?}: {err}"));
        }
        if snapshot(&store) != before {
            failures.push(format!("{row}\n    wrote something"));
            break;
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_largest_amount_and_date_are_accepted() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    for args in [
        &["--work-date", "9999-12-31", "interaction", "create"][..],
        &["--work-date", "0001-01-01", "interaction", "create"],
    ] {
        let mut a = args.to_vec();
        a.extend([
            "--contact",
            "CT100125",
            "--template",
            "BUS",
            "--cost",
            "999999999999999.99",
        ]);
        ok(&store, &a);
    }
    let list: Value =
        serde_json::from_str(&ok(&store, &["--json", "interaction", "list"])).expect("JSON");
    let dates: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["date"].as_str().expect("date"))
        .collect();
    assert_eq!(dates, ["2025-03-14", "9999-12-31", "0001-01-01"]);
}

// ---------------------------------------------------------------------------------------------
// The user id from the environment

/// The user id of the first entry made with `args`/`env` in a fresh copy of the demo store, or
/// the refusal's stderr.
fn user_of_new_entry(env: &[(&str, &str)], user: Option<&str>) -> Result<String, String> {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let before = snapshot(&store);
    let mut args = vec!["--work-date", "2025-03-14", "--json"];
    if let Some(u) = user {
        args.extend(["--user", u]);
    }
    args.extend([
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    let o = run_env(&store, &args, env);
    if !o.status.success() {
        let err = refused(&o, &format!("{env:?}"), &[1]);
        assert_eq!(snapshot(&store), before, "{env:?}: wrote something");
        return Err(err);
    }
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    Ok(v["entry"]["user_id"]
        .as_str()
        .or_else(|| v["user_id"].as_str())
        .expect("user_id")
        .to_string())
}

#[test]
fn an_invalid_user_variable_is_refused_and_names_the_way_out() {
    for bad in [
        "\u{1b}]0;pwned\u{7}".to_string(),
        "al\u{202e}ice".to_string(),
        "u".repeat(51),
    ] {
        let err = user_of_new_entry(&[("USER", &bad)], None).expect_err("refused");
        assert!(err.contains("USER"), "{err}");
        assert!(err.contains("pass --user"), "{err}");
    }
    // --user wins over a bad USER; a good USER is upper-cased like every code; no USER at all
    // (or an empty one) is INTERLOG.
    let bad_env = [("USER", "\u{1b}[2J")];
    assert_eq!(
        user_of_new_entry(&bad_env, Some("jane")).as_deref(),
        Ok("JANE")
    );
    assert_eq!(
        user_of_new_entry(&[("USER", "alice")], None).as_deref(),
        Ok("ALICE")
    );
    assert_eq!(user_of_new_entry(&[], None).as_deref(), Ok("INTERLOG"));
    assert_eq!(
        user_of_new_entry(&[("USER", "")], None).as_deref(),
        Ok("INTERLOG")
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile import files

/// `file name | contents | the field the refusal names`; `{ESC}` and `{BIDI}` as above.
const HOSTILE_FILES: &[(&str, &str, &str)] = &[
    (
        "campaigns.csv",
        "no,description,starting_date\nCP9001,Year zero,0000-01-01\n",
        "starting_date",
    ),
    (
        "campaigns.json",
        r#"[{"no": "CP9002", "description": "Before", "ending_date": "-0001-01-01"}]"#,
        "ending_date",
    ),
    (
        "campaigns-signed.json",
        r#"[{"no": "CP9003", "description": "Signed", "starting_date": "+2025-03-14"}]"#,
        "starting_date",
    ),
    (
        "templates.csv",
        "code,group_code,description,unit_cost\nHUGE,LETTER,Huge,1000000000000000\n",
        "unit_cost",
    ),
    (
        "templates.json",
        r#"[{"code": "HUGE", "group_code": "LETTER", "description": "Huge", "unit_cost": 1e16}]"#,
        "unit_cost",
    ),
    (
        "contacts.json",
        r#"[{"no": "CT900001", "name": "Evil \u001b[31m Ltd", "kind": "company"}]"#,
        "name",
    ),
    (
        "groups.csv",
        "code,description\nHOSTILE,Right\u{202e}left\n",
        "description",
    ),
    (
        "salespeople.json",
        r#"[{"code": "HX", "name": "Bell\u0007"}]"#,
        "name",
    ),
];

#[test]
fn hostile_import_files_are_refused_with_the_field_named_and_write_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let before = snapshot(&store);
    for (name, contents, field) in HOSTILE_FILES {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).expect("write the file");
        let o = run(&store, &["import", path.to_str().expect("UTF-8 path")]);
        let err = refused(&o, name, &[1]);
        assert!(
            err.contains(&format!("field {field:?}")),
            "{name}: the field {field} is not named:\n{err}"
        );
        assert_eq!(snapshot(&store), before, "{name} wrote something");
    }
}

// ---------------------------------------------------------------------------------------------
// Exact sums

#[test]
fn three_costs_near_the_maximum_sum_exactly() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let first: Value =
        serde_json::from_str(&ok(&store, &["--json", "stats", "--by", "template"])).expect("JSON");
    let bus_before = first
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == "BUS")
        .map(|r| r["cost"].as_str().expect("cost").to_string())
        .expect("BUS row");
    assert_eq!(bus_before, "8.00");
    for cost in [
        "999999999999999.99",
        "999999999999999.98",
        "999999999999999.97",
    ] {
        ok(
            &store,
            &[
                "interaction",
                "create",
                "--contact",
                "CT100125",
                "--template",
                "BUS",
                "--cost",
                cost,
            ],
        );
    }
    // 8.00 + 999999999999999.99 + .98 + .97 = 3000000000000007.94, far above u64::MAX cents.
    let exact = "3000000000000007.94";
    let stats: Value =
        serde_json::from_str(&ok(&store, &["--json", "stats", "--by", "template"])).expect("JSON");
    let bus = stats
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == "BUS")
        .expect("BUS row");
    assert_eq!(bus["cost"], exact);
    assert_eq!(bus["interactions"], 4);
    let text = ok(&store, &["stats", "--by", "template"]);
    assert!(text.contains(exact), "{text}");
    let csv = ok(&store, &["export", "stats", "--by", "template"]);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("BUS,4,") && l.contains(exact)),
        "{csv}"
    );
}

// ---------------------------------------------------------------------------------------------
// export --out

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).expect("path without NUL");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn export_out_refuses_devices_fifos_directories_links_and_the_store() {
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("out dir");
    let fifo = out.join("fifo.csv");
    mkfifo(&fifo);
    let precious = out.join("precious.txt");
    std::fs::write(&precious, "keep me\n").expect("write");
    let link = out.join("link.csv");
    std::os::unix::fs::symlink(&precious, &link).expect("symlink");
    let dangling = out.join("dangling.csv");
    std::os::unix::fs::symlink(out.join("nowhere.csv"), &dangling).expect("symlink");
    let subdir = out.join("subdir.csv");
    std::fs::create_dir(&subdir).expect("dir");
    let listing = names(&out);
    // sled writes a new snapshot file when a store is opened: the rest must stay.
    let store_files = || -> Vec<String> {
        names(&store)
            .into_iter()
            .filter(|n| !n.starts_with("snap."))
            .collect()
    };
    let store_before = store_files();
    let cases: Vec<(PathBuf, &str)> = vec![
        (PathBuf::from("/dev/null"), "character device"),
        (fifo.clone(), "named pipe"),
        (subdir.clone(), "directory"),
        (link.clone(), "symbolic link"),
        (dangling.clone(), "symbolic link"),
        (
            PathBuf::from(format!("{}/", out.join("new").display())),
            "does not name a file",
        ),
        (store.clone(), "directory"),
        (store.join("db"), "inside the store directory"),
        (store.join("export.csv"), "inside the store directory"),
        (
            store.join("blobs").join("export.csv"),
            "inside the store directory",
        ),
    ];
    for (target, says) in &cases {
        let t = target.to_str().expect("UTF-8 path");
        let o = run(&store, &["export", "entries", "--out", t]);
        let err = refused(&o, t, &[1]);
        assert!(err.contains(says), "{t}: does not say {says:?}:\n{err}");
        assert!(
            err.contains("--out") || err.contains(t),
            "{t}: not named:\n{err}"
        );
    }
    // Nothing moved: no temporary file is left, the links and the FIFO are what they were, the
    // file behind the link kept its text, /dev/null is still a device, the store holds no new
    // file.
    assert_eq!(names(&out), listing);
    assert!(std::fs::symlink_metadata(&fifo)
        .expect("fifo")
        .file_type()
        .is_fifo());
    assert_eq!(std::fs::read_link(&link).expect("link"), precious);
    assert_eq!(
        std::fs::read_to_string(&precious).expect("read"),
        "keep me\n"
    );
    assert!(!out.join("nowhere.csv").exists());
    assert!(std::fs::metadata("/dev/null")
        .expect("/dev/null")
        .file_type()
        .is_char_device());
    assert_eq!(store_files(), store_before);
    // A regular file is replaced, as before.
    let file = out.join("precious.txt");
    ok(
        &store,
        &["export", "entries", "--out", file.to_str().expect("UTF-8")],
    );
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.starts_with("entry_no,"), "{text}");
    assert_eq!(names(&out), listing);
}

#[test]
fn the_temporary_file_of_an_export_has_an_unpredictable_name() {
    let t = common::TestStore::demo();
    let dir = TempDir::new().expect("temp dir");
    let target = dir.path().join("contacts.csv");
    let mut seen = Vec::new();
    for _ in 0..2 {
        export::export_to_file(&t.store, &target, |f| {
            let during = names(dir.path());
            assert_eq!(during.len(), 1 + usize::from(target.exists()), "{during:?}");
            let tmp = during
                .into_iter()
                .find(|n| n != "contacts.csv")
                .expect("the temporary file");
            assert!(tmp.starts_with(".contacts.csv.") && tmp.ends_with(".interlog-tmp"));
            // Not the old predictable `.contacts.csv.<pid>.<attempt>.interlog-tmp`.
            let pid = std::process::id().to_string();
            assert!(!tmp.contains(&format!(".{pid}.0.")), "{tmp}");
            seen.push(tmp);
            export::export_contacts(&t.store, Format::Csv, f, &NoProgress)
        })
        .expect("export");
    }
    assert_ne!(seen[0], seen[1]);
    assert_eq!(names(dir.path()), ["contacts.csv"]);
    // The library refuses what the CLI refuses.
    let e = export::export_to_file(&t.store, &t.path().join("x.csv"), |_| Ok(()))
        .expect_err("inside the store");
    assert!(matches!(e, ExportError::Target { .. }), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Store paths: init, gen, demo

#[test]
fn a_store_is_never_created_on_a_file_device_fifo_or_dangling_link() {
    let dir = TempDir::new().expect("temp dir");
    let file = dir.path().join("file");
    std::fs::write(&file, "mine\n").expect("write");
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("symlink");
    let link_to_file = dir.path().join("link-to-file");
    std::os::unix::fs::symlink(&file, &link_to_file).expect("symlink");
    let listing = names(dir.path());
    for (path, says) in [
        (file.clone(), "is a file, not a directory"),
        (fifo.clone(), "named pipe"),
        (PathBuf::from("/dev/null"), "character device"),
        (dangling.clone(), "symbolic link to something missing"),
        (link_to_file.clone(), "symbolic link to a file"),
    ] {
        for args in [&["init"][..], &["gen", "--contacts", "3"]] {
            let what = format!("{} {args:?}", path.display());
            let err = refused(&run(&path, args), &what, &[1]);
            assert!(err.contains(says), "{what}: does not say {says:?}:\n{err}");
        }
        // demo wants a fresh path, and --reset deletes only a store directory.
        let err = refused(&run(&path, &["demo"]), "demo", &[1]);
        assert!(err.contains("already exists"), "{err}");
        let err = refused(&run(&path, &["demo", "--reset"]), "demo --reset", &[1]);
        assert!(
            err.contains("not a directory") || err.contains("symbolic link"),
            "{}: {err}",
            path.display()
        );
    }
    assert_eq!(names(dir.path()), listing);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine\n");
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn demo_writes_no_temporary_files() {
    let dir = TempDir::new().expect("temp dir");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let store = dir.path().join("store");
    let o = run_env(
        &store,
        &["--work-date", "2025-03-14", "--user", "DEMO", "demo"],
        &[("TMPDIR", tmp.to_str().expect("UTF-8"))],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("(fixtures/demo/contacts.csv)"), "{said}");
    assert!(
        names(&tmp).is_empty(),
        "demo wrote into TMPDIR: {:?}",
        names(&tmp)
    );
}

#[test]
fn demo_reset_deletes_only_a_store() {
    let dir = TempDir::new().expect("temp dir");
    let store = dir.path().join("store");
    ok(&store, &["init"]);
    // A foreign file in the store directory: named, nothing deleted.
    let notes = store.join("notes.txt");
    std::fs::write(&notes, "mine\n").expect("write");
    let err = refused(&run(&store, &["demo", "--reset"]), "foreign file", &[1]);
    assert!(err.contains("notes.txt"), "{err}");
    assert!(store.join("db").exists() && notes.exists());
    std::fs::remove_file(&notes).expect("remove");
    // A link inside the store pointing outside: named, and its target survives.
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "precious\n").expect("write");
    let inner = store.join("blobs").join("42");
    std::os::unix::fs::symlink(&outside, &inner).expect("symlink");
    let err = refused(&run(&store, &["demo", "--reset"]), "inner link", &[1]);
    assert!(err.contains("42") && err.contains("symbolic link"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&outside).expect("read"),
        "precious\n"
    );
    std::fs::remove_file(&inner).expect("remove");
    // --store as a link to the store: not deleted through.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&store, &link).expect("symlink");
    let err = refused(&run(&link, &["demo", "--reset"]), "store link", &[1]);
    assert!(err.contains("symbolic link"), "{err}");
    assert!(store.join("db").exists());
    // A directory that is no store at all.
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).expect("dir");
    std::fs::write(plain.join("thesis.tex"), "years of work\n").expect("write");
    let err = refused(&run(&plain, &["demo", "--reset"]), "plain dir", &[1]);
    assert!(err.contains("thesis.tex"), "{err}");
    assert!(plain.join("thesis.tex").exists());
    // A real store is reset.
    ok(&store, &["interaction", "list"]);
    let o = run(&store, &["demo", "--reset"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(outside.exists());
    assert_eq!(names(dir.path()), ["link", "outside.txt", "plain", "store"]);
}
