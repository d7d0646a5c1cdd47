//! Opening after a big write costs what any open costs: the process that wrote leaves sled's
//! snapshot at the end of its log when it closes (`storage/settle.rs`), so the next command
//! replays nothing and reads no blob file. A process that wrote less than the threshold
//! (`INTERLOG_SETTLE_KB`, default 4 MiB) leaves its small write to the next open, as before.

mod common;

use std::path::Path;
use std::process::Command;

use common::harness::*;
use interlog::storage::sled_files::{predict, read_conf, snapshot_name_lsn, Prediction};
use tempfile::TempDir;

/// What the next open of `store` would do, as interlog's model of sled's recovery predicts it.
fn next_open(store: &Path) -> Prediction {
    predict(store, read_conf(store).expect("conf")).expect("prediction")
}

fn snapshot_files(store: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(store)
        .expect("store dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| snapshot_name_lsn(n).is_some() || n.starts_with("snap."))
        .collect();
    v.sort();
    v
}

fn ok_with(store: &Path, args: &[&str], settle_kb: &str) {
    let out = interlog(store, args)
        .env("INTERLOG_SETTLE_KB", settle_kb)
        .output()
        .expect("run interlog");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Replay position of the snapshot the next open starts from.
fn snapshot_lsn(p: &Prediction) -> Option<i64> {
    p.snapshot.as_ref().and_then(|s| s.stable_lsn)
}

#[test]
fn a_process_that_wrote_more_than_the_threshold_leaves_nothing_to_replay() {
    let dir = TempDir::new().expect("temp dir");
    let base = dir.path().join("base");
    prepare(&base);
    let settled = dir.path().join("settled");
    let left = dir.path().join("left");
    fresh_copy(&base, &settled);
    fresh_copy(&base, &left);
    let log = ["segment", "log", "SM00004", "--follow-up"];
    ok_with(&settled, &log, "0");
    ok_with(&left, &log, "1000000");

    // The writer that did not settle leaves its log for the next open: sled replays it and
    // reads back every blob file it wrote since the snapshot.
    let p = next_open(&left);
    assert!(
        snapshot_lsn(&p) < p.stable_lsn,
        "unsettled: snapshot {:?}, log end {:?}",
        snapshot_lsn(&p),
        p.stable_lsn
    );

    // The writer that settled left the snapshot at the end of its log.
    let p = next_open(&settled);
    assert_eq!(snapshot_lsn(&p), p.stable_lsn, "settled: {p:?}");
    assert_eq!(p.blobs_read, 0, "the next open reads no blob file");
    assert!(p.skips.is_empty() && p.panic.is_none(), "{p:?}");

    // Settling changed nothing the store holds, and the next open writes no new snapshot.
    let before = snapshot_files(&settled);
    assert_eq!(dump(&settled), dump(&left));
    verify_clean(&settled).expect("verify");
    assert_eq!(snapshot_files(&settled), before);
    assert_eq!(before.len(), 1, "one snapshot file: {before:?}");
}

#[test]
fn a_small_write_under_the_default_threshold_is_left_to_the_next_open() {
    let dir = TempDir::new().expect("temp dir");
    let store = dir.path().join("s");
    prepare(&store);
    let mut cmd: Command = interlog(
        &store,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100239",
            "--template",
            "BUS",
        ],
    );
    let out = cmd
        .env_remove("INTERLOG_SETTLE_KB")
        .output()
        .expect("run interlog");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = next_open(&store);
    assert!(
        snapshot_lsn(&p) < p.stable_lsn,
        "a one-entry write settled: snapshot {:?}, log end {:?}",
        snapshot_lsn(&p),
        p.stable_lsn
    );
    // The next command replays it, and everything is there.
    let listed = ok(&store, &["interaction", "list", "--contact", "CT100239"]);
    assert!(listed.contains("BUS"), "{listed}");
}
