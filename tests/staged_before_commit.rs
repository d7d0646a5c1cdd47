//! A commit never points at staged data that a crash can still take away.
//!
//! Changes too big for one transaction (header changes that rewrite a segment's lines, the
//! bulk log) write their data *staged*, outside the journal, then commit a small record that
//! makes it visible. The staged data must be durable before that record is: otherwise a kill
//! right after the record is written leaves a committed header pointing at lines sled never
//! wrote to its files. Found by the fault harness's random kills (`segment set-interaction`
//! killed after ≈ 27 ms: "segment SM00005 records 12 lines but holds 0"); here the kill is
//! placed exactly, by strace, at the commit record's `fdatasync` (the journal's, the only
//! `fdatasync` interlog makes).

mod common;

use std::path::Path;
use std::process::Command;

use common::harness::{dump, fresh_copy, interlog, prepare, run, verify_clean};
use interlog::storage::{codec, keys, staging, Store, TreeId};
use tempfile::TempDir;

/// Runs `interlog ARGS` on `store`, SIGKILLed by strace on entering its first `fdatasync`: the
/// commit record is written (the page cache keeps it across a process kill), its fsync not yet
/// made, nothing after it has run.
fn kill_at_commit_record(store: &Path, args: &[&str]) {
    let cmd = interlog(store, args);
    let out = Command::new("strace")
        .args([
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=fdatasync",
            "-e",
            "inject=fdatasync:signal=SIGKILL:when=1",
        ])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .output()
        .expect("run strace (apt-get install strace)");
    assert!(!out.status.success(), "{args:?} was not killed");
}

/// Commands whose change writes staged data before its commit record.
const STAGING: &[&[&str]] = &[
    &[
        "segment",
        "set-interaction",
        "SM00005",
        "--template",
        "ABSTRACT",
    ],
    &[
        "segment",
        "add-contacts",
        "SM00005",
        "--filter",
        "Type=Company",
    ],
    &["segment", "log", "SM00004", "--follow-up"],
    &["logged-segment", "cancel", "1"],
    &["cleanup", "canceled-logged-segments"],
];

#[test]
fn a_kill_at_the_commit_record_leaves_the_store_before_or_after_never_between() {
    let dir = TempDir::new().unwrap();
    let base = dir.path().join("base");
    prepare(&base);
    let before = dump(&base);
    // Commands whose kill left the staging mark (set before the first staged write; a small
    // cancel stages nothing).
    let mut marked = Vec::new();
    for args in STAGING {
        let clean = dir.path().join("clean");
        fresh_copy(&base, &clean);
        assert!(
            interlog(&clean, args).status().unwrap().success(),
            "{args:?}"
        );
        let after = dump(&clean);
        assert_ne!(before, after, "{args:?} changes something");
        assert!(
            !staging::is_set(&clean),
            "{args:?}: a clean run removes the staging mark when it closes the store"
        );
        let work = dir.path().join("work");
        fresh_copy(&base, &work);
        kill_at_commit_record(&work, args);
        if staging::is_set(&work) {
            marked.push(args.join(" "));
        }
        verify_clean(&work).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(
            !staging::is_set(&work),
            "{args:?}: the open that searched for leftovers removes the mark"
        );
        let got = dump(&work);
        assert!(
            got == before || got == after,
            "{args:?} killed at its commit record left a third state"
        );
    }
    assert!(
        marked.iter().any(|a| a.starts_with("segment log"))
            && marked
                .iter()
                .any(|a| a.starts_with("segment set-interaction")),
        "the mark is set before the first staged write, so a kill leaves it: {marked:?}"
    );
}

#[test]
fn a_kill_at_the_commit_record_of_a_line_rewrite_leaves_every_line() {
    let dir = TempDir::new().unwrap();
    let base = dir.path().join("base");
    prepare(&base);
    let before = dump(&base);
    let work = dir.path().join("work");
    fresh_copy(&base, &work);
    kill_at_commit_record(
        &work,
        &[
            "segment",
            "set-interaction",
            "SM00005",
            "--template",
            "ABSTRACT",
        ],
    );
    verify_clean(&work).unwrap_or_else(|e| panic!("{e}"));
    let after_kill = dump(&work);
    // The change committed (its record reached the file): the next open completed it, and
    // every line is there — the same store as an uninterrupted run gives.
    let clean = dir.path().join("clean");
    fresh_copy(&base, &clean);
    let status = interlog(
        &clean,
        &[
            "segment",
            "set-interaction",
            "SM00005",
            "--template",
            "ABSTRACT",
        ],
    )
    .status()
    .unwrap();
    assert!(status.success());
    let expected = dump(&clean);
    assert_ne!(before, expected, "the change changes something");
    assert_eq!(
        after_kill, expected,
        "the killed run must be completed at the next open"
    );
}

/// A contacts file of `n` persons of the demo company CT100239, numbers `CK{from..}` in steps
/// of `step`, names tagged with `tag`: more than an import writes as single records.
fn bulk_contacts_csv(path: &Path, from: usize, n: usize, step: usize, tag: &str) {
    let mut s = String::from("No.,Name,Type,Company No.,Salesperson Code,City\n");
    for k in 0..n {
        let i = from + k * step;
        s.push_str(&format!(
            "CK{i:06},{tag} {i},Person,CT100239,HR,Manchester\n"
        ));
    }
    std::fs::write(path, s).expect("write contacts csv");
}

#[test]
fn a_kill_at_the_commit_record_of_a_bulk_contact_import_leaves_before_or_after() {
    let dir = TempDir::new().unwrap();
    let base = dir.path().join("base");
    prepare(&base);
    // Contacts in blocks (a bulk import) and in the delta (the demo's and a small upsert).
    let first = dir.path().join("first.csv");
    bulk_contacts_csv(&first, 0, 5000, 2, "First");
    common::harness::ok(
        &base,
        &["import", first.to_str().unwrap(), "--kind", "contacts"],
    );
    let few = dir.path().join("few.csv");
    bulk_contacts_csv(&few, 1, 3, 2, "Few");
    common::harness::ok(
        &base,
        &[
            "import",
            few.to_str().unwrap(),
            "--kind",
            "contacts",
            "--mode",
            "upsert",
        ],
    );
    let before = dump(&base);
    // The killed import replaces block and delta contacts and adds new ones.
    let second = dir.path().join("second.csv");
    bulk_contacts_csv(&second, 0, 6000, 1, "Second");
    let path = second.to_str().unwrap();
    let args = ["import", path, "--kind", "contacts", "--mode", "upsert"];
    let clean = dir.path().join("clean");
    fresh_copy(&base, &clean);
    assert!(interlog(&clean, &args).status().unwrap().success());
    let after = dump(&clean);
    assert_ne!(before, after, "the import changes something");
    let work = dir.path().join("work");
    fresh_copy(&base, &work);
    kill_at_commit_record(&work, &args);
    verify_clean(&work).unwrap_or_else(|e| panic!("{e}"));
    let got = dump(&work);
    assert!(
        got == before || got == after,
        "a bulk contact import killed at its commit record left a third state"
    );
    // The record was written: the next open completed the change.
    assert!(
        got == after,
        "the committed import is completed at the next open"
    );
}

/// Puts a copy of the last entry block 1000 numbers above `next_entry`, as a batch killed
/// while staging leaves it, outside any journal, and without the staging mark.
fn leave_a_staged_entry_block(store: &Path) {
    let s = Store::open(store).unwrap();
    let next: u64 = codec::decode(
        "counter",
        &s.raw(TreeId::Meta)
            .get(keys::meta::NEXT_ENTRY)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let (_, block) = s.raw(TreeId::Entries).last().unwrap().unwrap();
    s.raw(TreeId::Entries)
        .insert(keys::num(next + 1000), block)
        .unwrap();
}

fn set_layout(store: &Path, layout: u32) {
    let s = Store::open(store).unwrap();
    s.raw(TreeId::Meta)
        .insert(
            keys::meta::LAYOUT,
            codec::encode("layout", &layout).unwrap(),
        )
        .unwrap();
}

fn layout(store: &Path) -> u32 {
    let s = Store::open(store).unwrap();
    codec::decode(
        "layout",
        &s.raw(TreeId::Meta)
            .get(keys::meta::LAYOUT)
            .unwrap()
            .unwrap(),
    )
    .unwrap()
}

/// Opening looks for staged leftovers only where the staging mark says a process may have
/// left some — and in every store of layout 1, which older builds wrote without the mark: its
/// first open searches, deletes them, and raises the store to layout 2, which those builds
/// refuse (they would stage without the mark). A layout this build does not know is refused,
/// naming what to do.
#[test]
fn leftovers_are_searched_where_the_mark_is_and_once_in_a_store_of_an_older_layout() {
    let dir = TempDir::new().unwrap();
    let base = dir.path().join("base");
    prepare(&base);
    assert!(!staging::is_set(&base));
    assert_eq!(layout(&base), 2);

    // Without the mark a layout-2 store is not searched: the stray block stays, and verify
    // (which reads everything) reports it.
    let unmarked = dir.path().join("unmarked");
    fresh_copy(&base, &unmarked);
    leave_a_staged_entry_block(&unmarked);
    let r = run(&unmarked, &["setup", "show"]);
    assert!(
        r.ok() && !r.stderr.contains("staged blocks removed"),
        "{}",
        r.stderr
    );
    assert!(
        verify_clean(&unmarked).is_err(),
        "verify finds the stray block"
    );

    // With the mark (what a killed batch leaves), the open deletes it and removes the mark.
    let marked = dir.path().join("marked");
    fresh_copy(&base, &marked);
    leave_a_staged_entry_block(&marked);
    staging::set(&marked).unwrap();
    let r = run(&marked, &["setup", "show"]);
    assert!(
        r.stderr.contains("staged blocks removed: 1 entry"),
        "{}",
        r.stderr
    );
    assert!(!staging::is_set(&marked));
    verify_clean(&marked).unwrap();
    assert_eq!(dump(&marked), dump(&base));

    // A layout-1 store is searched without the mark, once, and raised to layout 2.
    let older = dir.path().join("older");
    fresh_copy(&base, &older);
    leave_a_staged_entry_block(&older);
    set_layout(&older, 1);
    let r = run(&older, &["setup", "show"]);
    assert!(
        r.stderr.contains("staged blocks removed: 1 entry"),
        "{}",
        r.stderr
    );
    assert_eq!(layout(&older), 2);
    verify_clean(&older).unwrap();
    assert_eq!(dump(&older), dump(&base));

    // A newer layout is refused, with what to do.
    set_layout(&older, 3);
    let r = run(&older, &["setup", "show"]);
    assert!(!r.ok() && !r.crashed(), "{r:?}");
    assert!(
        r.stderr.contains("layout version 3") && r.stderr.contains("newer interlog"),
        "{}",
        r.stderr
    );
}
