//! Concurrency: two threads logging the same segment (exactly one succeeds), logging while a
//! reader lists entries (the reader sees the batch entirely or not at all), and a full disk
//! (writes fail part-way: clear error, the store still opens, nothing partial).
//! The writer guard: fallible with a wait, and recovery refuses a guard of another store.
//! Many stores of one process committing, flushing and closing at once never wait on each
//! other forever (sled 0.34's process-wide lock).
//! A second *process* on the same store is tested in `tests/cli.rs`.

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Barrier;

use common::*;
use interlog::batch::{log_segment, LogOptions};
use interlog::datagen::{generate, GenOptions};
use interlog::domain::*;
use interlog::ops::interactions::{self, EntryFilter};
use interlog::ops::segments::{self, NoProgress};
use interlog::ops::{logged, OpError};
use interlog::storage::{StorageError, Store};

fn generated(lines: u64) -> TestStore {
    let t = TestStore::new();
    generate(
        &t.store,
        &t.ctx,
        GenOptions {
            contacts: lines,
            segment_size: lines,
            seed: 3,
        },
        &NoProgress,
    )
    .unwrap();
    t
}

#[test]
fn two_threads_logging_the_same_segment_log_it_once() {
    let t = generated(20_000);
    let s = seg("SM00001");
    let barrier = Barrier::new(2);
    let results: Vec<Result<_, OpError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    log_segment(
                        &t.store,
                        &t.ctx,
                        &s,
                        LogOptions {
                            follow_up: true,
                            dry_run: false,
                        },
                        &NoProgress,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "exactly one logger succeeds: {results:?}");
    let loser = results.iter().find(|r| r.is_err()).unwrap();
    assert!(
        matches!(
            loser,
            Err(OpError::NotFound { .. }) | Err(OpError::AlreadyLogged { .. })
        ),
        "{loser:?}"
    );
    assert_eq!(logged::list(&t.store).unwrap().len(), 1);
    assert_eq!(t.store.entry_horizon().unwrap(), EntryNo(20_001));
}

#[test]
fn a_reader_listing_entries_during_a_log_sees_all_or_nothing_of_it() {
    let t = generated(30_000);
    let s = seg("SM00001");
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            log_segment(
                &t.store,
                &t.ctx,
                &s,
                LogOptions {
                    follow_up: true,
                    dry_run: false,
                },
                &NoProgress,
            )
            .unwrap()
        });
        let mut seen = Vec::new();
        while !writer.is_finished() {
            let n = interactions::list(&t.store, &EntryFilter::default())
                .unwrap()
                .len();
            seen.push(n);
        }
        writer.join().unwrap();
        seen.push(
            interactions::list(&t.store, &EntryFilter::default())
                .unwrap()
                .len(),
        );
        assert!(
            seen.iter().all(|&n| n == 0 || n == 30_000),
            "a reader saw part of a batch: {:?}",
            seen.iter()
                .filter(|&&n| n != 0 && n != 30_000)
                .collect::<Vec<_>>()
        );
        assert_eq!(*seen.last().unwrap(), 30_000);
    });
}

/// Runs `interlog` with a file-size limit, so writes past `limit` bytes fail with EFBIG as on
/// a full disk (SIGXFSZ is ignored so the write returns an error instead of killing).
fn run_with_file_limit(store: &std::path::Path, limit: u64, args: &[&str]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_interlog"));
    c.arg("--store").arg(store).args(args);
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c.output().unwrap()
}

fn du(path: &std::path::Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(path).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        n += if m.is_dir() { du(&e.path()) } else { m.len() };
    }
    n
}

/// After a log reported as committed though not written into sled: the next open completes
/// it — one logged segment, every entry, the segment replaced by its follow-up of as many
/// lines — and verify finds nothing wrong.
fn check_complete(path: &std::path::Path, lines: usize, stderr: &str) {
    eprintln!("the disk filled after the commit point; checking the change is completed");
    let store = Store::open(path).expect("the store still opens");
    assert_eq!(
        logged::list(&store).unwrap().len(),
        1,
        "logged once: {stderr}"
    );
    assert_eq!(
        store.entry_horizon().unwrap(),
        EntryNo(lines as u64 + 1),
        "every entry visible: {stderr}"
    );
    assert!(
        segments::get(&store, &seg("SM00001")).is_err(),
        "segment removed"
    );
    let left = segments::list(&store).unwrap();
    assert_eq!(left.len(), 1, "only the follow-up segment is left");
    assert_eq!(segments::lines(&store, &left[0]).unwrap().len(), lines);
    let report = interlog::ops::verify::verify(&store).unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
}

/// After a failed log that said nothing was committed: the store opens, nothing of the log is
/// visible, the segment is intact, verify finds nothing wrong, and the log then works.
fn check_untouched_then_log(path: &std::path::Path, lines: usize, stderr: &str) {
    let store = Store::open(path).expect("the store still opens");
    assert!(
        logged::list(&store).unwrap().is_empty(),
        "nothing logged: {stderr}"
    );
    assert_eq!(
        store.entry_horizon().unwrap(),
        EntryNo(1),
        "no entry visible: {stderr}"
    );
    let h = segments::get(&store, &seg("SM00001")).expect("the segment is intact");
    assert_eq!(segments::lines(&store, &h).unwrap().len(), lines);
    let report = interlog::ops::verify::verify(&store).unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    let o = log_segment(
        &store,
        &ctx(),
        &seg("SM00001"),
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
        &NoProgress,
    )
    .unwrap();
    assert_eq!(o.entries as usize, lines);
}

#[test]
fn a_full_disk_during_a_log_leaves_the_store_as_it_was() {
    const LINES: u64 = 60_000;
    let t = generated(LINES);
    let src = t.path();
    drop(t.store);
    // A file system just larger than the store: it opens and reads, the log cannot fit.
    let mnt = t.dir.path().join("small-fs");
    std::fs::create_dir_all(&mnt).unwrap();
    let size = du(&src) + 256 * 1024;
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if mounted {
        let path = mnt.join("store");
        copy_dir(&src, &path);
        let out = Command::new(env!("CARGO_BIN_EXE_interlog"))
            .arg("--store")
            .arg(&path)
            .args(["segment", "log", "SM00001", "--follow-up"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        // Make room again before looking (recovery deletes the staged blocks).
        let _ = Command::new("mount")
            .args(["-o", &format!("remount,size={}", size * 4)])
            .arg(&mnt)
            .status();
        let result = std::panic::catch_unwind(|| {
            assert_eq!(out.status.code(), Some(3), "the log cannot fit: {stderr}");
            assert!(!stderr.contains("panicked"), "no panic: {stderr}");
            assert!(
                stderr.contains("disk is full") || stderr.contains("No space left"),
                "the error says what happened: {stderr}"
            );
            // The disk can fill before the commit point (nothing committed: the store is as
            // it was) or after it, while the committed change is written into sled (the
            // message says so, and the next open completes it). Either way the store must
            // hold exactly what the message said.
            if stderr.contains("the change was committed") {
                check_complete(&path, LINES as usize, &stderr);
            } else {
                check_untouched_then_log(&path, LINES as usize, &stderr);
            }
        });
        let _ = Command::new("umount").arg(&mnt).status();
        if let Err(e) = result {
            std::panic::resume_unwind(e);
        }
    } else {
        // No way to mount here: writes past the store's current size fail with EFBIG instead.
        eprintln!("tmpfs not available; simulating a full disk with RLIMIT_FSIZE");
        let db_size = std::fs::metadata(src.join("db")).unwrap().len();
        let out = run_with_file_limit(&src, db_size, &["segment", "log", "SM00001", "--follow-up"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "no panic: {stderr}");
        if out.status.success() {
            // sled found room in freed space; then the log must be complete.
            let store = Store::open(&src).unwrap();
            assert_eq!(logged::list(&store).unwrap().len(), 1);
        } else {
            assert!(stderr.starts_with("error:"), "a clear error: {stderr}");
            if stderr.contains("the change was committed") {
                check_complete(&src, LINES as usize, &stderr);
            } else {
                check_untouched_then_log(&src, LINES as usize, &stderr);
            }
        }
    }
}

#[test]
fn the_writer_guard_waits_then_says_busy_and_is_free_again_once_dropped() {
    let t = TestStore::new();
    let wait = std::time::Duration::from_millis(30);
    let held = t.store.writer();
    let started = std::time::Instant::now();
    let err = t
        .store
        .try_writer(wait)
        .expect_err("held by another change");
    assert!(started.elapsed() >= wait, "gave up before the wait");
    assert!(
        matches!(err, StorageError::WriterBusy { .. }),
        "unexpected error: {err}"
    );
    assert!(err.to_string().contains("busy"), "{err}");
    drop(held);
    t.store.try_writer(wait).expect("free once dropped");
}

#[test]
fn recovery_and_garbage_collection_refuse_the_guard_of_another_store() {
    let a = TestStore::new();
    let b = TestStore::new();
    let wrong = b.store.writer();
    assert!(matches!(
        a.store.recover(&wrong),
        Err(StorageError::Inconsistent(_))
    ));
    assert!(matches!(
        a.store.collect_garbage(&wrong),
        Err(StorageError::Inconsistent(_))
    ));
    drop(wrong);
    let right = a.store.writer();
    assert!(a.store.recover(&right).expect("recover").is_clean());
    assert_eq!(a.store.collect_garbage(&right).expect("collect"), 0);
}

#[test]
fn many_stores_of_one_process_committing_flushing_and_closing_at_once_never_deadlock() {
    use interlog::storage::{Change, UnitOfWork};
    // sled 0.34 shares one lock between every store of a process; a commit that queued on it
    // while another store flushed used to hang all of them. Four threads, each with stores of
    // its own, commit (several trees: a sled transaction), flush and close in a loop; a
    // watchdog turns a hang into a failure.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let done_tx = done_tx.clone();
            std::thread::spawn(move || {
                for round in 0..8u64 {
                    let dir = tempfile::tempdir().expect("dir");
                    let store = Store::create(&dir.path().join("s")).expect("create");
                    for i in 0..100u64 {
                        let mut ws = UnitOfWork::new();
                        let k = format!("w{w}-r{round}-{i}");
                        ws.change(Change::job_progress(&k, &vec![1u8; 64]).expect("encode"));
                        ws.change(Change::idempotency_record(&k, &vec![2u8; 64]).expect("encode"));
                        store.apply(ws).expect("commit");
                        if i % 4 == 0 {
                            store.make_durable().expect("flush");
                        }
                    }
                    drop(store);
                }
                done_tx.send(w).expect("report");
            })
        })
        .collect();
    drop(done_tx);
    for _ in 0..workers.len() {
        done_rx
            .recv_timeout(std::time::Duration::from_secs(240))
            .expect("a worker hung: the stores wait on each other");
    }
    for w in workers {
        w.join().expect("worker");
    }
}
