//! Opening after a big write costs what any open costs: the process that wrote leaves sled's
//! snapshot at the end of its log when it closes (`storage/settle.rs`), so the next command
//! replays nothing and reads no blob file. A process that wrote less than the threshold
//! (`INTERLOG_SETTLE_KB`, default 4 MiB) leaves its small write to the next open, as before.

mod common;

use std::path::Path;

use common::harness::*;
use interlog::storage::settle::write_snapshot;
use interlog::storage::sled_files::{predict, read_conf, snapshot_name_lsn, Prediction};
use tempfile::TempDir;

/// What the next open of `store` would do, as interlog's model of sled's recovery predicts it.
fn next_open(store: &Path) -> Prediction {
    predict(store, read_conf(store).expect("conf")).expect("prediction")
}

/// The store's snapshot files, by name, with their bytes.
fn snapshots(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("snap."))
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
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
    ok_env(&settled, &log, &[("INTERLOG_SETTLE_KB", "0")]);
    ok_env(&left, &log, &[("INTERLOG_SETTLE_KB", "1000000")]);

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
    let before = snapshots(&settled);
    assert_eq!(dump(&settled), dump(&left));
    verify_clean(&settled).expect("verify");
    assert_eq!(snapshots(&settled), before);
    assert_eq!(before.len(), 1, "one snapshot file: {before:?}");
}

#[test]
fn a_small_write_under_the_default_threshold_is_left_to_the_next_open() {
    let dir = TempDir::new().expect("temp dir");
    let store = dir.path().join("s");
    prepare(&store);
    // The variable unset: the default threshold.
    ok(
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

fn contents(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let db = sled::Config::new().path(dir).open().unwrap();
    db.iter()
        .map(|kv| {
            let (k, v) = kv.unwrap();
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

/// sled's own recovery and the settling step, given the same closed store, write the same
/// snapshot — here with no blob file read back at all, over a log in which pages were
/// rewritten (so it points to blob files sled has since removed).
#[test]
fn the_snapshot_written_when_settling_is_the_one_the_next_open_would_write() {
    let dir = TempDir::new().unwrap();
    let opened = dir.path().join("opened");
    let settled = dir.path().join("settled");
    {
        let db = sled::Config::new().path(&opened).open().unwrap();
        for round in 0u8..3 {
            for i in 0u32..120 {
                db.insert(i.to_be_bytes(), vec![round; 40_000]).unwrap();
            }
            db.flush().unwrap();
        }
        for i in 0u32..30 {
            db.remove(i.to_be_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
    let blobs = std::fs::read_dir(opened.join("blobs")).unwrap().count();
    assert!(blobs > 0, "the store has blob files");
    fresh_copy(&opened, &settled);
    let before = snapshots(&settled);

    let lsn = write_snapshot(&settled, i64::MAX).unwrap();
    // sled's open writes its snapshot before anything else.
    drop(sled::Config::new().path(&opened).open().unwrap());

    let written = snapshots(&settled);
    assert_ne!(written, before, "settling wrote a new snapshot");
    assert_eq!(
        written,
        snapshots(&opened),
        "the same snapshot, byte for byte"
    );
    assert_eq!(lsn, written.first().and_then(|(n, _)| snapshot_name_lsn(n)));
    // Opening the settled store replays nothing: it writes no newer snapshot, and holds
    // what the other holds.
    assert_eq!(contents(&settled), contents(&opened));
    assert_eq!(snapshots(&settled), written);
    assert_eq!(contents(&settled).len(), 90);
}
