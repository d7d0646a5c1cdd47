//! Bad input, driven through the real binary: every file of `fixtures/bad/` is refused by
//! `interlog import` with a clear error (exit code 1, the file named, the line and the field
//! where the error is about a record), nothing is written and nothing panics; bad values given
//! to other commands are refused cleanly; a damaged stored value makes the reading commands
//! fail with a clear error, never a panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{copy_dir, fixture};
use tempfile::TempDir;

/// Every file of `fixtures/bad/` and what its refusal must say besides
/// naming the file: `file | line | field | a piece of the message` (`-`: the error is not about
/// a line / a field). Keep in step with `fixtures/bad/README.md`.
const EXPECTED: &str = r#"
contacts-unbalanced-quote.csv      | 3 | -                 | this record has 2 fields but the header has 7
groups-ragged-rows.csv             | 3 | -                 | this record has 3 fields but the header has 2
salespeople-short-row.csv          | 3 | -                 | this record has 1 field but the header has 3
contacts-truncated.json            | 3 | -                 | EOF while parsing
groups-not-an-array.json           | 1 | -                 | expected a JSON array of records
templates-nested-garbage.json      | 3 | -                 | expected a record
campaigns-string-records.json      | 2 | -                 | expected a record
templates-json-null.json           | 1 | -                 | expected a JSON array of records
templates-text-cost.csv            | 2 | unit_cost         | not a valid amount
templates-text-duration.csv        | 2 | unit_duration_min | not a whole number of minutes
templates-fraction-duration.json   | 2 | unit_duration_min | not a whole number of minutes
contacts-object-name.json          | 2 | name              | not a list or an object
salespeople-array-code.json        | 2 | code              | not a list or an object
templates-bool-cost.json           | 2 | unit_cost         | yes/no value where text is expected
contacts-bad-kind.csv              | 2 | kind              | not a valid contact type
contacts-bad-flag.csv              | 2 | privacy_blocked   | expected yes/no
contacts-overlong-no.csv           | 2 | no                | 21 characters, at most 20
contacts-overlong-name.csv         | 2 | name              | 101 characters, at most 100
contacts-overlong-email.csv        | 2 | email             | 81 characters, at most 80
contacts-emoji-overlong-name.json  | 2 | name              | 101 characters, at most 100
groups-overlong-code.csv           | 2 | code              | 11 characters, at most 10
groups-emoji-code-overlong.csv     | 2 | code              | 11 characters, at most 10
templates-overlong-code.json       | 2 | code              | 11 characters, at most 10
salespeople-overlong-name.csv      | 2 | name              | 51 characters, at most 50
templates-negative-cost.csv        | 2 | unit_cost         | amounts cannot be negative
templates-negative-cost.json       | 2 | unit_cost         | amounts cannot be negative
templates-three-decimals-cost.csv  | 2 | unit_cost         | at most two decimals
templates-huge-cost.csv            | 2 | unit_cost         | amount too large
templates-negative-duration.csv    | 2 | unit_duration_min | not a whole number of minutes
campaigns-feb-30.csv               | 2 | starting_date     | not a valid date
campaigns-month-13.json            | 2 | starting_date     | not a valid date
campaigns-yesterday.csv            | 2 | starting_date     | not a valid date
campaigns-number-date.json         | 2 | ending_date       | not a valid date
contacts-unknown-salesperson.csv   | 2 | salesperson_code  | salesperson ZZ does not exist
contacts-unknown-company.csv       | 2 | company_no        | CT999999 does not exist
templates-unknown-group.csv        | 2 | group_code        | NOSUCHGRP does not exist
templates-unknown-campaign.csv     | 2 | campaign_no       | CP9999 does not exist
campaigns-unknown-salesperson.json | 2 | salesperson_code  | salesperson ZZ does not exist
groups-duplicate-in-file.csv       | 4 | code              | DUPGRP already exists
campaigns-duplicate-in-file.json   | 3 | no                | CP9001 already exists
salespeople-duplicate-of-stored.csv | 3 | code              | JO already exists
contacts-duplicate-of-stored.json  | 2 | no                | CT100239 already exists
templates-duplicate-of-stored.csv  | 2 | code              | BUS already exists
contacts-duplicate-column.csv      | 1 | -                 | give the same field
contacts-unknown-column.csv        | 1 | -                 | unknown column(s) "Fax"
contacts-nul-in-name.csv           | 2 | name              | control character
contacts-bidi-override-in-no.csv   | 2 | no                | invisible or combining character '\u{202e}'
groups-zero-width-joiner-in-code.csv | 2 | code            | invisible or combining character '\u{200d}'
salespeople-zero-width-space-in-code.json | 2 | code       | invisible or combining character '\u{200b}'
contacts-combining-mark-in-no.csv  | 2 | no                | invisible or combining character '\u{301}'
groups-sharp-s-code-grows.csv      | 2 | code              | "SSSSSSSSSSSS" is too long: 12 characters, at most 10
groups-bel-in-code.csv             | 2 | code              | control character
salespeople-escape-in-name.json    | 2 | name              | control character
contacts-invalid-utf8.csv          | 2 | -                 | not valid UTF-8
groups-invalid-utf8.json           | 2 | -                 | not valid UTF-8
groups-empty.csv                   | - | -                 | holds no records
groups-empty.json                  | - | -                 | holds no records
contacts-whitespace-only.csv       | - | -                 | holds no records
contacts-header-only.csv           | - | -                 | holds no records
campaigns-empty-array.json         | - | -                 | holds no records
salespeople-bom-only.csv           | - | -                 | holds no records
groups-wrong-extension.txt         | - | -                 | unknown file type
unknown-kind.csv                   | - | -                 | cannot tell what
"#;

/// What the refusal of one file of `fixtures/bad/` must say (besides naming the file).
struct Expect {
    /// File name in `fixtures/bad/`.
    file: String,
    /// The line the error names, when it is about a line.
    line: Option<u64>,
    /// The column the error names (as written in the file), when it is about a record's field.
    field: Option<String>,
    /// A piece of the message.
    says: String,
}

fn expected() -> Vec<Expect> {
    let dash = |s: &str| (s != "-").then(|| s.to_string());
    EXPECTED
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split(" | ").map(str::trim).collect();
            let [file, line, field, says] = cols[..] else {
                panic!("EXPECTED row {l:?} has not 4 columns");
            };
            Expect {
                file: file.to_string(),
                line: dash(line).map(|n| n.parse().expect("line number")),
                field: dash(field),
                says: says.to_string(),
            }
        })
        .collect()
}

fn bad_dir() -> PathBuf {
    fixture("bad")
}

/// Runs the binary on `store` at a fixed work date.
fn run(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interlog"))
        .arg("--store")
        .arg(store)
        .args(["--work-date", "2025-03-14", "--user", "TESTER"])
        .args(args)
        .env_remove("INTERLOG_STORE")
        .output()
        .expect("run interlog")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let o = run(store, args);
    assert!(o.status.success(), "{args:?} failed: {}", stderr(&o));
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// Asserts a clean refusal: the exit code is one of `codes`, stdout is empty, stderr has an
/// `error:` line and no panic. Returns stderr.
fn refused(store: &Path, args: &[&str], codes: &[i32]) -> String {
    let o = run(store, args);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    assert!(
        o.status.code().is_some_and(|c| codes.contains(&c)),
        "{args:?}: exit {:?}, expected one of {codes:?}; stderr:\n{err}",
        o.status.code()
    );
    assert!(
        o.stdout.is_empty(),
        "{args:?} printed on stdout while failing"
    );
    assert!(err.contains("error"), "{args:?}: no error message:\n{err}");
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
    ok(
        &store,
        &[
            "segment",
            "create",
            "--description",
            "Bad input",
            "--salesperson",
            "HR",
        ],
    );
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
        &["segment", "list"],
        &["segment", "show", "SM00001"],
    ] {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        all.push_str(&ok(store, &a));
        all.push('\n');
    }
    all
}

/// `--kind` from the file name's first word, so names may say what is wrong freely
/// (`templates-unknown-campaign.csv` names two kinds); a file without one tests the default.
fn kind_args(name: &str) -> Vec<&str> {
    let first = name.split(['-', '.']).next().unwrap_or("");
    match first {
        "contacts" | "salespeople" | "groups" | "templates" | "campaigns" => {
            vec!["--kind", first]
        }
        _ => vec![],
    }
}

fn import_args<'a>(name: &'a str, path: &'a str) -> Vec<&'a str> {
    let mut a = vec!["import"];
    a.extend(kind_args(name));
    a.push(path);
    a
}

fn bad_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(bad_dir())
        .expect("fixtures/bad")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .into_string()
                .expect("UTF-8 name")
        })
        .filter(|n| n != "README.md")
        .collect();
    names.sort();
    names
}

#[test]
fn every_bad_file_is_listed_here_and_in_the_readme() {
    let readme = std::fs::read_to_string(bad_dir().join("README.md")).expect("README");
    let files = bad_files();
    for name in &files {
        let listed = expected().iter().any(|x| &x.file == name);
        assert!(listed, "{name} is in fixtures/bad/ but not in EXPECTED");
        assert!(
            readme.contains(&format!("`{name}`")),
            "{name} is not described in fixtures/bad/README.md"
        );
    }
    for x in expected() {
        assert!(files.contains(&x.file), "{} is missing", x.file);
    }
}

#[test]
fn every_bad_file_is_refused_with_file_line_and_field_and_writes_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let before = snapshot(&store);
    let mut failures = Vec::new();
    for x in expected() {
        let path = bad_dir().join(&x.file);
        let path_text = path.to_str().expect("UTF-8 path");
        let o = run(&store, &import_args(&x.file, path_text));
        let err = stderr(&o);
        let mut problems = Vec::new();
        if err.contains("panicked") {
            problems.push("panicked".to_string());
        }
        if o.status.code() != Some(1) {
            problems.push(format!("exit code {:?}, expected 1", o.status.code()));
        }
        if !err.contains(path_text) {
            problems.push("the file is not named".into());
        }
        if let Some(line) = x.line {
            if !err.contains(&format!(" line {line}")) {
                problems.push(format!("line {line} is not named"));
            }
        }
        if let Some(field) = &x.field {
            if !err.contains(&format!("field {field:?}")) {
                problems.push(format!("field {field:?} is not named"));
            }
        }
        if !err.contains(&x.says) {
            problems.push(format!("does not say {:?}", x.says));
        }
        if !o.stdout.is_empty() {
            problems.push("printed on stdout".into());
        }
        let after = snapshot(&store);
        if after != before {
            problems.push("wrote something".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                x.file,
                problems.join("; "),
                err.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_code_that_grows_when_upper_cased_does_not_poison_the_store() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let add = run(
        &store,
        &[
            "group",
            "add",
            "--code",
            "ßßßßßß",
            "--description",
            "Sharp s",
        ],
    );
    assert!(!stderr(&add).contains("panicked"));
    // Refusing the code is fine; accepting it is fine only if the store still lists.
    let list = run(&store, &["group", "list"]);
    assert!(
        list.status.success(),
        "group list after `group add --code ßßßßßß` (exit {:?}): {}",
        add.status.code(),
        stderr(&list)
    );
}

// ---------------------------------------------------------------------------------------------
// Bad values given to commands

/// Bad values given to commands: `exit codes | a piece of the message | arguments` (split at
/// whitespace; `{LONG_NO}` is a 21-character contact number, `{LONG_NAME}` 101 characters,
/// `{LONG_EMAIL}` an 81-character address, `{BEL}` the BEL character, `{DEEP}` 200 `(`).
/// Exit code 2 is a usage error (clap refused the value), 1 a refusal by the library.
const BAD_VALUES: &str = r#"
2   | -1                   | interaction create --contact CT100125 --template BUS --cost -1
2   | negative             | interaction create --contact CT100125 --template BUS --cost=-1
2   | two decimals         | interaction create --contact CT100125 --template BUS --cost 12.345
2   | 12.34                | interaction create --contact CT100125 --template BUS --cost twelve
2   | -5                   | interaction create --contact CT100125 --template BUS --duration -5
2   | ninety               | interaction create --contact CT100125 --template BUS --duration ninety
1   | ZZ                   | interaction create --contact CT100125 --template BUS --salesperson ZZ
1   | CP9999               | interaction create --contact CT100125 --template BUS --campaign CP9999
1   | too long             | interaction create --contact CT100125 --template BUS --description {LONG_NAME}
1   | control character    | interaction create --contact CT100125 --template BUS --comment bell{BEL}
2   | 2025-02-30           | --work-date 2025-02-30 interaction create --contact CT100125 --template BUS
2   | yesterday            | --work-date yesterday interaction create --contact CT100125 --template BUS
1   | CT999999             | interaction create --contact CT999999 --template BUS
1   | NOSUCH               | interaction create --contact CT100125 --template NOSUCH
2   | too long             | interaction create --contact {LONG_NO} --template BUS
2   | 0                    | interaction show 0
2   | 18446744073709551616 | interaction show 18446744073709551616
1   | 999999               | interaction show 999999
1   | 999999               | interaction cancel 999999
1,2 | too long             | contact add --no {LONG_NO} --name TooLongNo
1   | too long             | contact add --name {LONG_NAME}
1   | too long             | contact add --name Mail --email {LONG_EMAIL}
1   | control character    | contact add --name Bell{BEL}Ltd
1   | already exists       | contact add --name Dup --no CT100239
1   | CT999999             | contact add --name P --kind person --company-no CT999999
1   | ZZ                   | contact add --name X --salesperson ZZ
2   | too long             | contact show {LONG_NO}
2   | too long             | group add --code LONGGROUP01 --description x
1   | already exists       | salesperson add --code JO --name Again
2   | 2025-13-01           | campaign add --description x --starting-date 2025-13-01
1   | ZZ                   | campaign add --description x --salesperson ZZ
2   | missing '='          | segment add-contacts SM00001 --filter garbage
2   | never closed         | segment add-contacts SM00001 --filter City=(London
2   | unknown field        | segment add-contacts SM00001 --filter Colour=Red
2   | unbalanced quote     | segment add-contacts SM00001 --filter City='Lon
2   | Company or Person    | segment add-contacts SM00001 --filter Type=Robot
2   | only one             | segment add-contacts SM00001 --filter City=a..b..c
2   | wildcards            | segment add-contacts SM00001 --filter City=<*x
2   | nested too deeply    | segment add-contacts SM00001 --filter City={DEEP}
1   | SM99999              | segment add-contacts SM99999 --filter City=London
2   | no value             | segment reduce SM00001 --filter Name=|
1   | SM99999              | segment show SM99999
1   | SM99999              | segment log SM99999
1   | 99                   | logged-segment cancel 99
1   | NOSUCH               | series peek NOSUCH
"#;

#[test]
fn bad_values_on_the_command_line_are_refused_cleanly_and_write_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let before = snapshot(&store);
    let long_name = "N".repeat(101);
    let long_email = format!("{}@example.com", "m".repeat(69));
    let deep = "(".repeat(200);
    let mut failures = Vec::new();
    for row in BAD_VALUES.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = row.splitn(3, " | ").map(str::trim).collect();
        let [codes, says, args] = cols[..] else {
            panic!("BAD_VALUES row {row:?} has not 3 columns");
        };
        let codes: Vec<i32> = codes
            .split(',')
            .map(|c| c.parse().expect("exit code"))
            .collect();
        let args: Vec<String> = args
            .split_whitespace()
            .map(|a| {
                a.replace("{LONG_NO}", "CT9000010000000000001")
                    .replace("{LONG_NAME}", &long_name)
                    .replace("{LONG_EMAIL}", &long_email)
                    .replace("{BEL}", "\u{7}")
                    .replace("{DEEP}", &deep)
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = refused(&store, &args, &codes);
        if !err.contains(says) {
            failures.push(format!("{row}: the message does not say {says:?}:\n{err}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert_eq!(
        snapshot(&store),
        before,
        "a refused command wrote something"
    );
}

// ---------------------------------------------------------------------------------------------
// Damaged stored values

/// Rewrites the value of `key` (or of the tree's first key) in a COPY of the store with what
/// `damage` makes of it, through sled directly. Returns the key.
fn damage(
    store: &Path,
    tree: &str,
    key: Option<&[u8]>,
    damage: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let db = sled::open(store).expect("open the copy with sled");
    let t = db.open_tree(tree).expect("tree");
    let (k, v) = match key {
        Some(k) => (
            k.to_vec(),
            t.get(k).expect("get").expect("key exists").to_vec(),
        ),
        None => {
            let (k, v) = t.iter().next().expect("tree has a value").expect("read");
            (k.to_vec(), v.to_vec())
        }
    };
    let new = damage(&v);
    assert_ne!(new, v, "the damage changed nothing");
    t.insert(&k, new).expect("insert");
    db.flush().expect("flush");
    drop(t);
    drop(db);
    wait_for_unlock(store);
    k
}

/// sled releases its lock on the store when its background threads let go of the file, a
/// little after the `Db` is dropped; waits for that so the binary does not find it "in use".
fn wait_for_unlock(store: &Path) {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(store.join("db")).expect("open the db file");
    for _ in 0..1000 {
        // SAFETY: flock on a descriptor we own; closing the file releases the lock.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("sled did not release {}", store.display());
}

/// Damaged values: `tree | key | commands that read it` (commands separated by `;`). Every
/// command must fail with a clear error.
const DAMAGED: &str = r#"
contacts    | CT100125 | contact list ; contact show CT100125 ; interaction create --contact CT100125 --template BUS
salespeople | HR       | salesperson list
groups      | LETTER   | group list
templates   | BUS      | template list ; interaction create --contact CT100125 --template BUS
campaigns   | CP1001   | campaign list
series      | CONT     | series list ; series peek CONT ; contact add --name Drawn
setup       | -        | setup show ; contact add --name Drawn
entries     | -        | interaction list ; interaction show 1 ; stats --by group
segments    | SM00001  | segment list ; segment show SM00001
lines       | -        | segment show SM00001 ; segment log SM00001 --dry-run
meta        | layout   | contact list ; series list
meta        | next_entry | interaction create --contact CT100125 --template BUS ; interaction list
"#;

/// A value cut short (half of it, at least one byte gone) in each tree a command reads, written
/// with sled into a copy of the store: the commands that read it fail with a clear error and
/// exit code 3 (the store is damaged), never a panic. (`-`: the tree's first key.)
#[test]
fn a_truncated_stored_value_is_a_clear_error_not_a_panic() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let cut = |v: &[u8]| v[..v.len() / 2].to_vec();
    let rows = DAMAGED.lines().filter(|l| !l.trim().is_empty());
    for (n, row) in rows.enumerate() {
        let cols: Vec<&str> = row.split(" | ").map(str::trim).collect();
        let [tree, key, commands] = cols[..] else {
            panic!("DAMAGED row {row:?} has not 3 columns");
        };
        let copy = dir.path().join(format!("copy{n}"));
        copy_dir(&store, &copy);
        let key = (key != "-").then_some(key.as_bytes());
        damage(&copy, tree, key, cut);
        for command in commands.split(';') {
            let args: Vec<&str> = command.split_whitespace().collect();
            let err = refused(&copy, &args, &[3]);
            assert!(
                err.contains("corrupt")
                    || err.contains("truncated")
                    || err.contains("empty")
                    || err.contains("checksum"),
                "{tree}: {args:?} does not say what is wrong:\n{err}"
            );
        }
    }
}

/// A stored text whose length prefix claims an absurd size: bincode 2 allocates a `Vec<u8>` of
/// the length it reads before reading the bytes, and `storage::codec` configures no limit, so
/// `contact list` dies with "memory allocation of 4611686018427387904 bytes failed" (SIGABRT,
/// no exit code) instead of reporting a damaged value; a length above `isize::MAX` panics with
/// "capacity overflow". Found by the `codec_decode` fuzz target.
#[test]
fn a_stored_text_with_an_absurd_length_is_a_clear_error() {
    let dir = TempDir::new().expect("temp dir");
    let store = demo_store(dir.path());
    let mut failures = Vec::new();
    for (n, len) in [u64::MAX, 1 << 62, 1 << 44].into_iter().enumerate() {
        let copy = dir.path().join(format!("copy{n}"));
        copy_dir(&store, &copy);
        // version byte, then the contact number's length as a bincode varint u64 (0xFD + 8 bytes).
        damage(&copy, "contacts", Some(b"CT100125"), |_| {
            let mut v = vec![1u8, 0xFD];
            v.extend_from_slice(&len.to_le_bytes());
            v.extend_from_slice(b"CT100125");
            v
        });
        let o = run(&copy, &["contact", "list"]);
        let err = stderr(&o);
        let clean = matches!(o.status.code(), Some(1 | 3)) && err.contains("corrupt");
        if !clean || err.contains("panicked") {
            let last = err.lines().next().unwrap_or("");
            failures.push(format!("length {len}: exit {:?}: {last}", o.status.code()));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
