//! Moving in, logging on PostgreSQL and coming back, through the binary: `interlog migrate`
//! brings an embedded store into a company (counts and digests equal), `segment log` on the
//! company's shard gives the same outcome and entries as on the embedded store, and `migrate`
//! back makes an embedded store holding the same entries.
#![cfg(feature = "pg")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::pg::fresh_db;
use common::*;
use serde_json::Value;

fn run(store: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_interlog"));
    if let Some(s) = store {
        c.args(["--store", s]);
    }
    c.args(["--work-date", "2025-03-14", "--user", "TESTER"])
        .args(args)
        .env_remove("INTERLOG_STORE")
        .env_remove("INTERLOG_COMPANY")
        .output()
        .expect("run interlog")
}

fn json(store: Option<&str>, args: &[&str]) -> Value {
    let out = run(store, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"))
}

fn fails(store: Option<&str>, args: &[&str], code: i32) -> String {
    let out = run(store, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The outcome of a log without its timings (which differ run to run).
fn outcome(mut v: Value) -> Value {
    v.as_object_mut().expect("object").remove("timings");
    v
}

fn entries(store: &Path) -> Value {
    json(
        Some(store.to_str().expect("utf-8 path")),
        &["--json", "interaction", "list"],
    )
}

#[test]
fn a_store_moves_in_logs_on_postgres_and_comes_back_equal() {
    // An embedded store with BC's demo data and one open segment, and a copy of it.
    let t = TestStore::demo();
    let seg = t.spring_mailing(&["CT100239", "CT100125", "CT100240", "CT100124"]);
    let TestStore { dir, store, .. } = t;
    drop(store);
    let local = dir.path().join("store");
    let twin = dir.path().join("twin");
    copy_dir(&local, &twin);
    let (local_s, twin_s) = (local.to_str().unwrap(), twin.to_str().unwrap());

    // A catalog with one shard and a company.
    let catalog = fresh_db(0, "cat");
    let shard = fresh_db(1, "shard");
    json(Some(&catalog), &["--json", "init", "--shard", &shard]);
    json(Some(&catalog), &["--json", "company", "add", "CRONUS"]);

    // Moving in: every record, digests equal.
    let moved = json(
        None,
        &[
            "--json",
            "migrate",
            "--from",
            local_s,
            "--to",
            &catalog,
            "--company",
            "CRONUS",
        ],
    );
    assert_eq!(moved["direction"], "into-postgres");
    assert_eq!(moved["digests_equal"], true);
    assert_eq!(moved["records_by_kind"]["contact"], 20);
    assert_eq!(moved["records_by_kind"]["segment_line"], 4);
    // Running it again finds nothing left to do.
    let again = json(
        None,
        &[
            "--json",
            "migrate",
            "--from",
            local_s,
            "--to",
            &catalog,
            "--company",
            "CRONUS",
        ],
    );
    assert_eq!(again["batches"], 0);

    // A dry run on PostgreSQL plans exactly what the embedded twin's dry run plans.
    let dry_pg = json(
        Some(&catalog),
        &[
            "--json",
            "--company",
            "CRONUS",
            "segment",
            "log",
            seg.as_str(),
            "--follow-up",
            "--dry-run",
        ],
    );
    let dry_sled = json(
        Some(twin_s),
        &[
            "--json",
            "segment",
            "log",
            seg.as_str(),
            "--follow-up",
            "--dry-run",
        ],
    );
    assert_eq!(outcome(dry_pg.clone()), outcome(dry_sled));
    assert_eq!(dry_pg["dry_run"], true);

    // Logging the segment on PostgreSQL and on the embedded twin: the same outcome.
    let on_pg = json(
        Some(&catalog),
        &[
            "--json",
            "--company",
            "CRONUS",
            "segment",
            "log",
            seg.as_str(),
            "--follow-up",
        ],
    );
    let on_sled = json(
        Some(twin_s),
        &["--json", "segment", "log", seg.as_str(), "--follow-up"],
    );
    assert_eq!(outcome(on_pg.clone()), outcome(on_sled));
    assert_eq!(on_pg["entries"], 4);
    // Logged once: the second try is refused as on the embedded store.
    let err = fails(
        Some(&catalog),
        &["--company", "CRONUS", "segment", "log", seg.as_str()],
        1,
    );
    assert!(err.contains(seg.as_str()), "{err}");

    // Back into a new embedded store: the same entries as the twin's, and it verifies.
    let back = dir.path().join("back");
    let came = json(
        None,
        &[
            "--json",
            "migrate",
            "--from",
            &catalog,
            "--company",
            "CRONUS",
            "--to",
            back.to_str().unwrap(),
        ],
    );
    assert_eq!(came["direction"], "from-postgres");
    assert_eq!(came["digests_equal"], true);
    assert_eq!(entries(&back), entries(&twin));
    json(Some(back.to_str().unwrap()), &["--json", "verify"]);
}

#[test]
fn migrate_and_log_refuse_what_they_cannot_do() {
    let catalog = fresh_db(0, "cat");
    let shard = fresh_db(2, "shard");
    json(Some(&catalog), &["--json", "init", "--shard", &shard]);
    json(Some(&catalog), &["--json", "company", "add", "A"]);
    // Two store directories: one side must be PostgreSQL.
    let err = fails(None, &["migrate", "--from", "a.db", "--to", "b.db"], 2);
    assert!(
        err.contains("one store directory and one postgres://"),
        "{err}"
    );
    // No company named: the companies are listed.
    let err = fails(Some(&catalog), &["segment", "log", "SM00001"], 2);
    assert!(err.contains('A'), "{err}");
    // A segment that does not exist, refused as on the embedded store.
    let err = fails(
        Some(&catalog),
        &["--company", "A", "segment", "log", "SM00001"],
        1,
    );
    assert!(err.contains("SM00001"), "{err}");
    // Commands not on PostgreSQL yet say what is.
    let err = fails(Some(&catalog), &["--company", "A", "contact", "list"], 2);
    assert!(err.contains("segment log, migrate"), "{err}");
}
