//! Damaged store files, through the real binary: a flipped byte or a cut at a random (seeded)
//! offset of every file of a store — sled's `db`, `conf`, `snap.*` and blobs, interlog's
//! `interlog.guard` and `interlog.journal` (on a store whose journal holds a committed change
//! not yet in sled) — then `interlog verify` and a read command, each on its own damaged copy
//! and with a timeout.
//!
//! Each must end in bounded time without a panic, and either answer exactly as on the
//! undamaged store (exit 0), refuse with exit 3 naming the damage and leave every store file
//! byte-identical, or (`verify`) report what it found with exit 1.
//!
//! The default test tries a few cases per file; `cargo test --release --test damage --
//! --ignored` runs many (`INTERLOG_DAMAGE_CASES` per file, default 60). `INTERLOG_FAULT_SEED`
//! repeats a run; the seed is printed.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::harness::*;
use common::journal_pending_contact;
use interlog::storage::journal::JOURNAL_FILE;
use serde_json::Value;
use tempfile::TempDir;

/// How long a command on a damaged store may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The read command run on damaged stores (contacts: the journal's pending change is one).
const READ: &[&str] = &["--json", "contact", "list"];

/// A store to damage and the answers it gives undamaged.
struct Base {
    path: PathBuf,
    /// The read command's answer on the undamaged store.
    answer: Value,
    /// Also accepted: the answer without the journal's pending change (a journal record that
    /// fails its checksum cannot be told from one cut short while it was written, so it is
    /// dropped as never committed).
    dropped: Option<Value>,
}

fn answer(path: &Path) -> Value {
    let text = ok(path, READ);
    let mut v: Value = serde_json::from_str(&text).expect("JSON");
    strip_clock(&mut v);
    v
}

/// Store files, without interlog's lock file (it holds the pid of the last opener).
fn store_files(dir: &Path) -> BTreeMap<PathBuf, (u64, u32)> {
    let mut f = files(dir);
    f.remove(Path::new("interlog.lock"));
    f
}

/// The prepared store, opened once more so sled has written a snapshot; and a copy whose
/// journal holds a committed change (a new contact, CT900001) that never reached sled, as a
/// process stopped right after its commit point leaves it.
fn bases(dir: &Path) -> (Base, Base) {
    let path = dir.join("base");
    prepare(&path);
    ok(&path, &["contact", "list"]);
    let plain = Base {
        answer: answer(&path),
        dropped: None,
        path: path.clone(),
    };
    let pending = dir.join("pending");
    fresh_copy(&path, &pending);
    journal_pending_contact(&pending);
    let check = dir.join("check");
    fresh_copy(&pending, &check);
    let contacts = ok(&check, &["contact", "list"]);
    assert!(contacts.contains("CT900001"), "the journal was applied");
    let pending = Base {
        answer: answer(&check),
        dropped: Some(plain.answer.clone()),
        path: pending,
    };
    (plain, pending)
}

/// A damage: a flipped byte (xor with a nonzero mask) or a cut.
#[derive(Clone, Copy, Debug)]
enum Damage {
    Flip { at: u64, mask: u8 },
    Cut { to: u64 },
}

fn apply(file: &Path, d: Damage) {
    match d {
        Damage::Flip { at, mask } => {
            let mut b = std::fs::read(file).expect("read");
            b[at as usize] ^= mask;
            std::fs::write(file, b).expect("write");
        }
        Damage::Cut { to } => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(file)
                .expect("open");
            f.set_len(to).expect("truncate");
        }
    }
}

/// Where damage can matter: up to the last nonzero byte (sled preallocates zeros in `db`).
fn used_len(file: &Path) -> u64 {
    let b = std::fs::read(file).expect("read");
    b.iter().rposition(|x| *x != 0).map_or(0, |p| p as u64 + 1)
}

/// What a command did on a damaged copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Result3 {
    /// Exit 0 with the undamaged answer.
    Same,
    /// Exit 0 with the answer without the journal's pending change (its record dropped).
    Dropped,
    /// Exit 3, a "damaged" message, files untouched.
    Refused,
    /// `verify` exit 1 with a report.
    Reported,
}

fn same(base: &Base, v: &Value) -> Option<Result3> {
    if *v == base.answer {
        Some(Result3::Same)
    } else if base.dropped.as_ref() == Some(v) {
        Some(Result3::Dropped)
    } else {
        None
    }
}

/// Runs `args` on a fresh damaged copy; checks it.
fn judge(
    base: &Base,
    work: &Path,
    rel: &Path,
    d: Damage,
    args: &[&str],
) -> Result<Result3, String> {
    fresh_copy(&base.path, work);
    apply(&work.join(rel), d);
    let before = store_files(work);
    let scratch = work.with_extension("out");
    let t = Instant::now();
    let r = run_with_timeout(interlog(work, args), &scratch, TIMEOUT);
    let took = t.elapsed();
    let said: String = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    if r.hung {
        return Err(format!("hung ({took:?})"));
    }
    if r.crashed() {
        return Err(format!("crashed, exit {:?}: {said}", r.code));
    }
    match r.code {
        Some(0) if args == READ => {
            let mut v: Value = serde_json::from_str(&r.stdout)
                .map_err(|e| format!("exit 0 but not JSON ({e})"))?;
            strip_clock(&mut v);
            same(base, &v).ok_or_else(|| "exit 0 with a different answer".into())
        }
        Some(0) => {
            // verify found nothing: the store must answer as before.
            same(base, &answer(work)).ok_or_else(|| "verify clean but the answers changed".into())
        }
        Some(1) if args[0] == "verify" => {
            if r.stdout.trim().is_empty() && r.stderr.trim().is_empty() {
                Err("verify exit 1 without a report".into())
            } else {
                Ok(Result3::Reported)
            }
        }
        Some(3) => {
            if !said.contains("damaged") {
                return Err(format!("exit 3 without naming damage: {said}"));
            }
            if store_files(work) != before {
                return Err(format!("refused but changed the store's files: {said}"));
            }
            Ok(Result3::Refused)
        }
        other => Err(format!("exit {other:?}: {said}")),
    }
}

fn run_damage(per_file: u32) {
    let seed = Rng::seed();
    eprintln!("damage test seed {seed} (repeat with INTERLOG_FAULT_SEED={seed})");
    let mut rng = Rng(seed);
    let dir = TempDir::new().expect("temp dir");
    let (plain, pending) = bases(dir.path());
    let work = dir.path().join("work");
    let mut failures = Vec::new();
    let mut seen: BTreeMap<(String, &str, &str), BTreeMap<Result3, u32>> = BTreeMap::new();
    let mut cases = 0;
    let started = Instant::now();
    for base in [&plain, &pending] {
        let journal_only = std::ptr::eq(base, &pending);
        for rel in store_files(&base.path).keys() {
            let name = rel.to_string_lossy().to_string();
            if name == "interlog.lock" || (journal_only && name != JOURNAL_FILE) {
                continue;
            }
            let file = base.path.join(rel);
            let len = std::fs::metadata(&file).expect("meta").len();
            let used = used_len(&file);
            if len == 0 {
                continue;
            }
            for i in 0..per_file {
                let d = if i % 3 == 2 {
                    Damage::Cut {
                        to: rng.below(used.max(1)),
                    }
                } else {
                    Damage::Flip {
                        at: rng.below(used.max(1)),
                        mask: 1 << rng.below(8),
                    }
                };
                let kind = match d {
                    Damage::Flip { .. } => "flip",
                    Damage::Cut { .. } => "cut",
                };
                let label = if journal_only {
                    format!("{name} (holding a change)")
                } else {
                    name.clone()
                };
                for args in [&["verify"][..], READ] {
                    cases += 1;
                    let what = if args[0] == "verify" {
                        "verify"
                    } else {
                        "read"
                    };
                    match judge(base, &work, rel, d, args) {
                        Ok(r) => {
                            *seen
                                .entry((label.clone(), kind, what))
                                .or_default()
                                .entry(r)
                                .or_default() += 1
                        }
                        Err(e) => failures.push(format!("{label} {d:?} · {what}: {e}")),
                    }
                }
            }
        }
    }
    eprintln!(
        "{cases} damaged runs in {:?} (under load), seed {seed}:",
        started.elapsed()
    );
    for ((file, kind, what), r) in &seen {
        eprintln!("  {file:<34} {kind:<4} {what:<6} {r:?}");
    }
    assert!(
        seen.keys().any(|k| k.0 == "db") && seen.keys().any(|k| k.0 == "conf"),
        "sled's files were not damaged: {:?}",
        seen.keys().collect::<Vec<_>>()
    );
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {cases} damaged runs went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A few flips and cuts of every store file.
#[test]
fn damaged_files_are_refused_reported_or_harmless_never_worse() {
    run_damage(3);
}

/// Many flips and cuts of every store file (`INTERLOG_DAMAGE_CASES` per file, default 60).
#[test]
#[ignore = "heavy: many damaged copies; run with --ignored"]
fn many_damaged_files() {
    let n = std::env::var("INTERLOG_DAMAGE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    run_damage(n);
}

/// A store whose blob files are all damaged (one byte flipped in the middle of each: sled
/// keeps nodes larger than a quarter segment in them): every command that reads a damaged
/// value refuses with exit 3, saying the store is damaged and naming a blob file, and never
/// panics. (Opening no longer checksums blob files the recovery skips —
/// vendor/sled/README.interlog.md, "Opening" — nor reads the ends of the block trees when no
/// staging mark is set, so the damage is met where a page is first read: a command that reads
/// only values sled keeps inline, like `segment list`, still answers, and truly.)
#[test]
fn damaged_blob_files_are_refused_clearly_wherever_they_are_read() {
    let dir = TempDir::new().expect("dir");
    let path = dir.path().join("store");
    ok(&path, &["init"]);
    ok(&path, &["gen", "--contacts", "60000"]);
    ok(&path, &["segment", "log", "SM00001", "--follow-up"]);
    ok(&path, &["setup", "show"]);
    let blobs: Vec<PathBuf> = std::fs::read_dir(path.join("blobs"))
        .expect("blobs")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(!blobs.is_empty(), "the store has no blob file to damage");
    for b in &blobs {
        let mut bytes = std::fs::read(b).expect("read blob");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        std::fs::write(b, bytes).expect("write blob");
    }
    let listed = ok(&path, &["segment", "list"]);
    assert!(
        listed.contains("SM00002") && listed.contains("60000"),
        "{listed}"
    );
    for args in [&["contact", "list"][..], &["segment", "show", "SM00002"]] {
        let r = run(&path, args);
        assert!(!r.crashed() && !r.hung, "{args:?}: {}", r.stderr);
        assert_eq!(r.code, Some(3), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("the store is damaged") && r.stderr.contains("blobs/"),
            "{args:?}: {}",
            r.stderr
        );
    }
    // verify opens the store and reports the damage as problems found (exit 1).
    let r = run(&path, &["verify"]);
    assert!(!r.crashed() && !r.hung, "verify: {}", r.stderr);
    assert_eq!(r.code, Some(1), "verify: {}", r.stderr);
    assert!(
        r.stdout.contains("the store is damaged") && r.stdout.contains("blobs/"),
        "verify: {}",
        r.stdout
    );
}
