//! The fault harness shared by `tests/faults.rs` and `tests/damage.rs`: runs the binary with a
//! timeout (a hang is a failure, the process is killed), builds a small store through the CLI,
//! takes a canonical dump of everything the CLI lists, and fingerprints a store's files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{copy_dir, fixture};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_interlog")
}

/// What one run of a process did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Killed because it ran past its timeout.
    pub hung: bool,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
    /// How long it ran.
    pub took: Duration,
}

impl Run {
    /// Exit code 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// A panic (exit 101 or a panic message) or an internal error (exit 70).
    pub fn crashed(&self) -> bool {
        matches!(self.code, Some(101) | Some(70))
            || self.stderr.contains("panicked")
            || self.stderr.contains("RUST_BACKTRACE")
    }
}

/// Runs `cmd` with stdout and stderr in files under `scratch`, killing it after `timeout`.
pub fn run_with_timeout(mut cmd: Command, scratch: &Path, timeout: Duration) -> Run {
    std::fs::create_dir_all(scratch).expect("scratch dir");
    let out_p = scratch.join("stdout");
    let err_p = scratch.join("stderr");
    let out = std::fs::File::create(&out_p).expect("stdout file");
    let err = std::fs::File::create(&err_p).expect("stderr file");
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .env_remove("INTERLOG_STORE")
        .env("RUST_BACKTRACE", "0");
    // Its own process group, so that a timeout kills `strace` and its tracee together.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let mut hung = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > timeout {
            hung = true;
            kill_group(child.id());
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        hung,
        stdout: std::fs::read_to_string(&out_p).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_p).unwrap_or_default(),
        took: start.elapsed(),
    }
}

/// SIGKILLs the process group `pgid` (a child started by [`run_with_timeout`]).
pub fn kill_group(pgid: u32) {
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
    unsafe {
        libc::kill(-(pgid as i32), libc::SIGKILL);
    }
}

/// `interlog --store STORE --work-date 2025-03-14 --user TESTER ARGS…` as a command.
pub fn interlog(store: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.arg("--store")
        .arg(store)
        .args(["--work-date", "2025-03-14", "--user", "TESTER"])
        .args(args);
    c
}

/// Runs interlog on `store` (60 s timeout), scratch files next to the store.
pub fn run(store: &Path, args: &[&str]) -> Run {
    let scratch = store.with_extension("out");
    run_with_timeout(interlog(store, args), &scratch, Duration::from_secs(60))
}

/// Runs interlog on `store`; the command must succeed. Returns stdout.
pub fn ok(store: &Path, args: &[&str]) -> String {
    ok_env(store, args, &[])
}

/// [`ok`] with environment variables set for the command.
pub fn ok_env(store: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = interlog(store, args);
    cmd.envs(env.iter().copied());
    let r = run_with_timeout(cmd, &store.with_extension("out"), Duration::from_secs(60));
    assert!(
        r.ok(),
        "{args:?} on {} failed ({:?}, hung {}): {}",
        store.display(),
        r.code,
        r.hung,
        r.stderr
    );
    r.stdout
}

/// Runs interlog with `--json`; the command must succeed. Returns the parsed output.
pub fn json(store: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let text = ok(store, &a);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
}

/// A contacts file of `n` new contacts (numbers CT2000xx) for the import operation.
pub fn new_contacts_csv(path: &Path, n: usize) {
    let mut s = String::from("No.,Name,Type,Company No.,Salesperson Code,City\n");
    for i in 0..n {
        s.push_str(&format!(
            "CT2{i:05},Imported Person {i},Person,CT100239,HR,Manchester\n"
        ));
    }
    std::fs::write(path, s).expect("write contacts csv");
}

/// Builds the prepared store at `path` through the CLI, small enough that a command takes a
/// few milliseconds, with something for every operation of the fault matrix:
///
/// * BC's demo data (20 contacts, 31 templates, 3 campaigns);
/// * SM00001 (BUS, CP1001, every contact) logged with a follow-up: logged segment 1, SM00002;
/// * SM00003 (GOLF, CP1002, persons) logged and canceled: logged segment 2, canceled campaign
///   entry 2 — for the clean-ups and the un-cancel;
/// * a single interaction on CP1003, its campaign entry 3 canceled;
/// * SM00004 (BUS, CP1001, every contact) ready to log (alone, or by a batch job with a
///   follow-up from its outcome and a clean-up); SM00005 (BUS, persons) for a header
///   change that reaches its lines.
pub fn prepare(path: &Path) {
    let b = |args: &[&str]| {
        ok(path, args);
    };
    b(&["init"]);
    for f in [
        "groups.csv",
        "salespeople.csv",
        "campaigns.json",
        "templates.csv",
        "contacts.csv",
    ] {
        let p = fixture(&format!("demo/{f}"));
        b(&["import", p.to_str().expect("utf-8 path")]);
    }
    let segment = |desc: &str, campaign: &str, template: &str, filter: &str| {
        b(&[
            "segment",
            "create",
            "--description",
            desc,
            "--campaign",
            campaign,
        ]);
        let no = json(path, &["segment", "list"])
            .as_array()
            .expect("segments")
            .last()
            .expect("a segment")["no"]
            .as_str()
            .expect("no")
            .to_string();
        b(&["segment", "set-interaction", &no, "--template", template]);
        b(&["segment", "add-contacts", &no, "--filter", filter]);
        no
    };
    let s1 = segment("Spring", "CP1001", "BUS", "Type=Company|Person");
    b(&["segment", "log", &s1, "--follow-up"]);
    let s3 = segment("Golf", "CP1002", "GOLF", "Type=Person");
    b(&["segment", "log", &s3]);
    b(&["logged-segment", "cancel", "2", "--canceled", "true"]);
    b(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
        "--campaign",
        "CP1003",
    ]);
    b(&["campaign-entry", "cancel", "3", "--canceled", "true"]);
    b(&[
        "interaction",
        "create",
        "--contact",
        "CT100002",
        "--template",
        "OUTGOING",
    ]);
    let s4 = segment("Winter", "CP1001", "BUS", "Type=Company|Person");
    assert_eq!(s4, "SM00004");
    let s5 = segment("Summer", "CP1001", "BUS", "Type=Person");
    assert_eq!(s5, "SM00005");
}

/// Keys whose values come from the clock (minute precision) and change between runs.
const CLOCK_KEYS: &[&str] = &["time_of_interaction"];

/// Removes the clock times ([`CLOCK_KEYS`]) from a JSON value.
pub fn strip_clock(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in CLOCK_KEYS {
                m.remove(*k);
            }
            for x in m.values_mut() {
                strip_clock(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_clock),
        _ => {}
    }
}

/// Everything the CLI lists, as one JSON value: entries (and postponed ones), logged segments,
/// segments with their lines, campaign entries, number series, contacts. Clock times are left
/// out. Each listing must succeed.
pub fn dump(store: &Path) -> Value {
    let mut m = serde_json::Map::new();
    for (name, args) in [
        ("entries", &["interaction", "list"][..]),
        ("postponed", &["interaction", "postponed"][..]),
        ("logged_segments", &["logged-segment", "list"][..]),
        ("campaign_entries", &["campaign-entry", "list"][..]),
        ("series", &["series", "list"][..]),
        ("contacts", &["contact", "list"][..]),
    ] {
        m.insert(name.into(), json(store, args));
    }
    let segments = json(store, &["segment", "list"]);
    let mut shown = Vec::new();
    for s in segments.as_array().expect("segments") {
        let no = s["no"].as_str().expect("segment no");
        shown.push(json(store, &["segment", "show", no]));
    }
    m.insert("segments".into(), Value::Array(shown));
    let mut v = Value::Object(m);
    strip_clock(&mut v);
    v
}

/// `interlog verify` must exit 0 (warnings allowed); returns its output.
pub fn verify_clean(store: &Path) -> Result<(), String> {
    let r = run(store, &["verify"]);
    if r.ok() {
        Ok(())
    } else {
        Err(format!(
            "verify exit {:?} (hung {}): {}{}",
            r.code, r.hung, r.stdout, r.stderr
        ))
    }
}

/// Every file under `dir` (relative path) with its length and CRC32.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, (u64, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                let rel = p.strip_prefix(dir).expect("under dir").to_path_buf();
                out.insert(rel, (b.len() as u64, crc32fast::hash(&b)));
            }
        }
    }
    out
}

/// A fresh copy of `from` at `to` (removed first when there).
pub fn fresh_copy(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).expect("remove old copy");
    }
    copy_dir(from, to);
}

/// A small xorshift generator: seeded, reproducible, no dependency.
pub struct Rng(pub u64);

impl Rng {
    /// The seed from `INTERLOG_FAULT_SEED`, else from the clock; printed by the caller.
    pub fn seed() -> u64 {
        std::env::var("INTERLOG_FAULT_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(7)
                    | 1
            })
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
