//! Waiting for a store another process holds (`--wait SECONDS`, `INTERLOG_WAIT`), like
//! `flock -w`: a waiter gets the store once the holder lets go, and a waiter that runs out of
//! time is told which process holds it (from interlog's own lock file, `interlog.lock`).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::bin::Bin;
use interlog::storage::Store;

fn interlog(b: &Bin) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_interlog"));
    c.env_remove("INTERLOG_STORE")
        .env_remove("INTERLOG_WAIT")
        .arg("--store")
        .arg(b.path())
        .args(["--work-date", "2025-03-14", "--user", "TESTER"]);
    c
}

#[test]
fn a_waiter_gets_the_store_when_the_holder_ends() {
    let b = Bin::demo();
    // The holder: this test process, which writes its pid and command into interlog.lock.
    let held = Store::open(b.path()).unwrap();
    let started = Instant::now();
    let mut waiter = interlog(&b)
        .args(["--wait", "20", "--json", "contact", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "the waiter must still be waiting while the store is held"
    );
    drop(held);
    let out = waiter.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() >= Duration::from_millis(1200));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v.as_array().unwrap().is_empty());
}

#[test]
fn a_waiter_that_runs_out_of_time_names_the_holder() {
    let b = Bin::demo();
    let held = Store::open(b.path()).unwrap();
    let started = Instant::now();
    let err = b.fails(&["--wait", "0.5", "export", "contacts"], 3);
    assert!(started.elapsed() >= Duration::from_millis(500));
    let me = format!("pid {}", std::process::id());
    assert!(err.contains("is in use by another process"), "{err}");
    assert!(err.contains(&me), "the holder is named: {err}");
    assert!(err.contains("waited 0.5 s"), "{err}");
    assert!(err.contains("--wait SECONDS"), "{err}");
    // INTERLOG_WAIT does the same for every command.
    let out = interlog(&b)
        .env("INTERLOG_WAIT", "0.2")
        .args(["verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waited 0.2 s") && err.contains(&me), "{err}");
    drop(held);
    // INTERLOG_WAIT long enough: the store is free by now anyway.
    let out = interlog(&b)
        .env("INTERLOG_WAIT", "5")
        .args(["contact", "list"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn a_bad_wait_is_a_usage_error() {
    let b = Bin::demo();
    for bad in ["--wait=-1", "--wait=abc", "--wait=NaN", "--wait=1e9"] {
        let err = b.fails(&[bad, "contact", "list"], 2);
        assert!(err.contains("--wait"), "{bad}: {err}");
    }
}
