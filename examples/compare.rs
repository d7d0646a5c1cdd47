//! `compare`: the same segment-logging work done three ways, measured in the same run on the
//! same machine.
//!
//! ```sh
//! cargo run --release --example compare -- --contacts 100000 [--runs 3] [--json] [--dir PATH] [--keep]
//! ```
//!
//! **The work** (SPEC §2.7): log segment `SM00001` of N lines (one per generated contact) with a
//! follow-up segment — refuse a logged, undescribed or empty segment, check every line, record
//! the logged segment and one campaign entry per (campaign, date), write one interaction log
//! entry per line plus a contact index, create the follow-up segment (number drawn from the
//! segment series, which advances) with the same contacts in the same order, remove the logged
//! segment's lines and header, and return only once all of it is durable.
//!
//! 1. **interlog** — a store made by `datagen::generate` (N contacts, seed 7; not timed).
//!    Timed: `Store::open` (with its recovery, as a nightly job pays it) +
//!    `log_segment(follow_up: true)`, which returns after its own flush + fsync.
//! 2. **SQLite peer** (rusqlite, bundled SQLite 3.46) — the same records in a conventional
//!    schema (`compare/sqlite_peer.rs`: contacts, salespeople, groups, templates, campaigns,
//!    setup and number series, segment headers / criteria / lines keyed by
//!    `(segment_no, line_no)`, interaction log entries keyed by `entry_no` with an index on
//!    `(contact_no, entry_no)`, logged segments, campaign entries), filled untimed with the
//!    identical data: contacts from `datagen::contact(seed, i)`, everything else read from the
//!    generated interlog store. Timed: open + pragmas + one `BEGIN IMMEDIATE` transaction of
//!    prepared statements: the refusals and line checks in SQL (template set and existing,
//!    group set, salesperson set and existing, campaign existing when set — what interlog's
//!    plan checks; the lines' distinct combinations of those fields are checked, one scan), the
//!    logged segment, the campaign entries, the entries, the follow-up header (number from the
//!    series row, which is updated), its criteria record and lines, the deletes, COMMIT.
//!    Variants, all measured in every run, the fastest median reported and named:
//!    * insert strategy: `insert-select` (entries by `INSERT … SELECT` from the lines, numbered
//!      by SQLite's `MAX(rowid) + 1` rule, checked; follow-up lines by `INSERT … SELECT` from
//!      the new entries joined to `contacts`) or `row-loop` (one `SELECT` of the lines, per
//!      line a prepared `INSERT` of the entry and one of the follow-up line);
//!    * checkpoint: `commit` (SQLite's default `wal_autocheckpoint`: a large transaction's WAL
//!      is copied into the database file inside COMMIT) or `defer` (`wal_autocheckpoint=0`:
//!      the copy happens at close, after the clock; the data is just as durable in the WAL).
//!
//!    Settings: `journal_mode=WAL`, `synchronous=NORMAL`, `cache_size=-262144` (256 MiB),
//!    `temp_store=MEMORY`, `page_size=65536` — the fastest honest page size found: at 1M lines
//!    it took ≈ 30 % off the 4096 default (`--sqlite-page-size` to compare); `mmap_size` did
//!    not help and is off (`--sqlite-mmap-mib`). Durability is not weakened: after COMMIT the
//!    `-wal` file is fsynced (`sync_all`), which is what `synchronous=FULL` adds at commit, and
//!    so is the directory (the WAL file is new); the clock stops after that.
//! 3. **limit** — the physical floor of a plain format: from the lines (held in memory, loaded
//!    before the clock), build full `LogEntry` values, encode the N entries, the N follow-up
//!    lines (full `SegmentLine`) and the N (contact, entry) index pairs with bincode 2 through
//!    one `BufWriter` into one file on one thread, `sync_all`, fsync the directory. No
//!    transaction, no index structure, no reads. (interlog writes fewer bytes — shared fields
//!    are stored once per block — on two threads, so it can come in under this "floor".)
//! 4. **IO floor** (`compare/floor.rs`) — the floor for interlog's own bytes: interlog's
//!    parallel build (its encode, on all cores) plus a sequential write + `fsync` of exactly
//!    the block bytes that build produced. interlog ÷ IO floor is what being a store costs on
//!    top of encoding and writing the bytes once.
//!
//! **Regression check** (`--max-ratio R`, used by `.ci/run`): for each run the ratio of
//! interlog's time to the SQLite time of the same run; the command fails when the median of
//! those ratios is above `R`. A ratio of two engines measured seconds apart on the same machine
//! holds on a slow or busy machine where an absolute time would not.
//!
//! **Why the numbers are honest.**
//! * Every run starts from a fresh copy of the generated data (copy not timed) in its own
//!   child process (this binary re-executed with a hidden `--child` flag) that opens its store
//!   inside the timed region. Runs are interleaved (interlog, every SQLite variant, limit, then
//!   the next run) and the median of `--runs` (≥ 3 for published numbers) is reported.
//! * `sync` runs before each clock starts, so no engine pays for another's dirty pages. The OS
//!   page cache cannot be dropped without root: every engine reads warm files — cold-cache
//!   numbers would be higher for all three.
//! * Each clock stops only once that engine's writes are durable (see above).
//! * Peak memory is `ru_maxrss` from `wait4` on the timed child. Linux folds the *spawning*
//!   process's peak into a child's `ru_maxrss`, so the child is started by a small launcher
//!   process (`--launch`) rather than by this big parent; the child's own `VmHWM` is reported
//!   as a cross-check. It covers the child's whole life (SQLite's close-time checkpoint too).
//! * Disk is measured by the child right after its clock stops (`Store::disk_size`; SQLite:
//!   database + WAL); the sizes before the run and SQLite's size after its close-time
//!   checkpoint are reported as well.
//! * After every run the outputs are read back (untimed) and must agree: number of entries,
//!   sum of cost (cents) and duration (minutes), follow-up lines, and a digest of every field
//!   of every entry and follow-up line (each side's rows rebuilt as `LogEntry` / `SegmentLine`).
//!   Any difference aborts the comparison.
//! * The machine may be shared: before each child the example waits (`--settle`, default 20 s)
//!   for other processes to leave the CPUs idle, and it reports how many cores other processes
//!   kept busy during the runs (`/proc/stat` minus the child's own CPU time) and each engine's
//!   CPU time, which load distorts less than wall time.
//!
//! **Work directory**: `--dir PATH` (templates kept there with `--keep` are reused by later
//! runs with the same N and seed), else a fresh directory under /tmp; removed at the end unless
//! `--keep` (with `--dir`, only what this invocation created is removed).

#[path = "compare/common.rs"]
mod common;
#[path = "compare/floor.rs"]
mod floor;
#[path = "compare/interlog_side.rs"]
mod interlog_side;
#[path = "compare/limit.rs"]
mod limit;
#[path = "compare/proc.rs"]
mod proc;
#[path = "compare/sqlite_peer.rs"]
mod sqlite_peer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::json;

use common::{ChildReport, Meta, Stats};
use sqlite_peer::Strategy;

/// Which engine a child runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Engine {
    Interlog,
    Sqlite,
    Limit,
    Floor,
}

/// When SQLite copies its WAL into the database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Checkpoint {
    /// SQLite's default (`wal_autocheckpoint=1000`): inside COMMIT, as the WAL is large.
    Commit,
    /// `wal_autocheckpoint=0`: later (here: when the connection closes, after the clock).
    Defer,
}

/// Logs the same segment with interlog, a SQLite peer and a raw bincode file, and compares.
#[derive(Parser, Debug)]
#[command(name = "compare", version)]
struct Args {
    /// Contacts to generate; the logged segment has one line per contact.
    #[arg(long, required_unless_present = "child",
          value_parser = clap::value_parser!(u64).range(1..=99_999_999))]
    contacts: Option<u64>,
    /// Measured runs of each engine; the median is reported (use ≥ 3 for published numbers).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    runs: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Work directory (default: a new directory under /tmp).
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Keep the work directory (generated templates and the last run's stores).
    #[arg(long)]
    keep: bool,
    /// Seed of the generator.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Measure only this SQLite insert strategy (default: both, the faster is reported).
    #[arg(long, value_enum, value_name = "STRATEGY")]
    sqlite_strategy: Option<Strategy>,
    /// SQLite page size in bytes (a power of two, 512..=65536).
    #[arg(long, default_value_t = 65536, value_name = "BYTES")]
    sqlite_page_size: u32,
    /// SQLite `mmap_size` in MiB (0 = off).
    #[arg(long, default_value_t = 0, value_name = "MIB")]
    sqlite_mmap_mib: u64,
    /// Measure only this SQLite checkpoint policy (default: both, the faster is reported).
    #[arg(long, value_enum, value_name = "WHEN")]
    sqlite_checkpoint: Option<Checkpoint>,
    /// Before each timed child, wait up to this many seconds for other processes to leave the
    /// CPUs idle (the machine is shared); 0 = do not wait.
    #[arg(long, default_value_t = 20, value_name = "SECS")]
    settle: u64,
    /// Fail when the median over the runs of (interlog time ÷ SQLite time of the same run) is
    /// above this ratio: a regression check that holds on slow or busy machines.
    #[arg(long, value_name = "RATIO")]
    max_ratio: Option<f64>,
    /// Internal: run one engine's timed work and print its report.
    #[arg(long, hide = true, value_enum)]
    child: Option<Engine>,
    /// Internal: start the `--child` as a grandchild and report its `wait4` peak RSS.
    #[arg(long, hide = true, requires = "child")]
    launch: bool,
}

impl Args {
    fn sqlite_settings(&self) -> sqlite_peer::Settings {
        sqlite_peer::Settings {
            mmap_mib: self.sqlite_mmap_mib,
            defer_checkpoint: self.sqlite_checkpoint == Some(Checkpoint::Defer),
        }
    }
}

impl Checkpoint {
    fn name(self) -> &'static str {
        match self {
            Checkpoint::Commit => "commit",
            Checkpoint::Defer => "defer",
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Checkpoint::Commit => {
                "wal_autocheckpoint=1000 (default: WAL copied into the database inside COMMIT)"
            }
            Checkpoint::Defer => {
                "wal_autocheckpoint=0 (WAL copied into the database at close, after the clock)"
            }
        }
    }
}

/// One way of running the SQLite peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Variant {
    strategy: Strategy,
    checkpoint: Checkpoint,
}

impl Variant {
    fn name(self) -> String {
        format!(
            "{}, checkpoint {}",
            self.strategy.name(),
            self.checkpoint.name()
        )
    }
    fn key(self) -> String {
        format!("{}_{}", self.strategy.name(), self.checkpoint.name()).replace('-', "_")
    }
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let result = match args.child {
        Some(_) if args.launch => {
            let rest: Vec<String> = std::env::args()
                .skip(1)
                .filter(|a| a != "--launch")
                .collect();
            proc::launch(&rest)
        }
        Some(engine) => child_main(&args, engine),
        None => compare(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--child ENGINE --dir RUN`: the timed work of one engine; prints its report on stdout.
fn child_main(args: &Args, engine: Engine) -> Result<()> {
    let Some(dir) = &args.dir else {
        bail!("--child needs --dir RUN_DIRECTORY");
    };
    let report = match engine {
        Engine::Interlog => interlog_side::child(dir)?,
        Engine::Sqlite => sqlite_peer::child(
            dir,
            args.sqlite_strategy.unwrap_or(Strategy::InsertSelect),
            &args.sqlite_settings(),
        )?,
        Engine::Limit => limit::child(dir)?,
        Engine::Floor => floor::child(dir)?,
    };
    let report = ChildReport {
        vm_hwm_kib: common::vm_hwm_kib(),
        ..report
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(&report)?)?;
    out.flush()?;
    Ok(())
}

/// Measurements of one engine (or one SQLite strategy) over the runs.
#[derive(Default)]
struct Series {
    times: Vec<f64>,
    rss_kib: Vec<u64>,
    hwm_kib: Vec<u64>,
    disk: Vec<u64>,
    extra_disk: Vec<u64>,
    cpu: Vec<f64>,
    load: Vec<f64>,
    last: Option<ChildReport>,
}

impl Series {
    fn push(&mut self, f: proc::Finished, load: f64) {
        self.times.push(f.report.elapsed_s);
        self.cpu.push(f.cpu_s);
        self.load.push(load);
        self.rss_kib.push(f.peak_rss_kib);
        self.hwm_kib.push(f.report.vm_hwm_kib);
        self.disk.push(f.report.disk_bytes);
        self.last = Some(f.report);
    }
    fn median_s(&self) -> f64 {
        median(&self.times)
    }
    fn median_load(&self) -> f64 {
        median(&self.load)
    }
    fn peak_rss_mib(&self) -> f64 {
        self.rss_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0
    }
    fn hwm_mib(&self) -> f64 {
        self.hwm_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0
    }
    fn disk_mib(&self) -> f64 {
        median(&self.disk.iter().map(|b| *b as f64).collect::<Vec<_>>()) / MIB
    }
    fn extra_disk_mib(&self) -> f64 {
        median(
            &self
                .extra_disk
                .iter()
                .map(|b| *b as f64)
                .collect::<Vec<_>>(),
        ) / MIB
    }
    fn phases(&self) -> serde_json::Value {
        let p = self
            .last
            .as_ref()
            .map(|r| r.phases_ms.clone())
            .unwrap_or_default();
        serde_json::Value::Object(
            p.into_iter()
                .map(|(k, v)| (k, json!((v * 100.0).round() / 100.0)))
                .collect(),
        )
    }
}

const MIB: f64 = 1024.0 * 1024.0;

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The work directory and what to remove at the end.
struct Work {
    root: PathBuf,
    created_root: bool,
    created: Vec<PathBuf>,
    keep: bool,
}

impl Work {
    fn new(args: &Args) -> Result<Work> {
        let (root, created_root) = match &args.dir {
            Some(d) => {
                let existed = d.exists();
                if existed && !d.is_dir() {
                    bail!("--dir {} exists and is not a directory", d.display());
                }
                std::fs::create_dir_all(d).with_context(|| format!("create {}", d.display()))?;
                (d.clone(), !existed)
            }
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0);
                let d = std::env::temp_dir()
                    .join(format!("interlog-compare-{}-{nanos}", std::process::id()));
                std::fs::create_dir_all(&d).with_context(|| format!("create {}", d.display()))?;
                (d, true)
            }
        };
        Ok(Work {
            root,
            created_root,
            created: Vec::new(),
            keep: args.keep,
        })
    }

    fn cleanup(&self) {
        if self.keep {
            eprintln!("kept {}", self.root.display());
            return;
        }
        let r = if self.created_root {
            proc::remove(&self.root)
        } else {
            self.created.iter().try_for_each(|p| proc::remove(p))
        };
        if let Err(e) = r {
            eprintln!("compare: warning: cleaning up: {e:#}");
        }
    }
}

/// Makes (or reuses) the generated data: the interlog store, the limit's input and the plan's
/// numbers in `template-N-seedS/`, and the SQLite database for the chosen page size next to
/// them. Returns the template directory, the SQLite template and the plan's numbers.
fn prepare(args: &Args, work: &mut Work, n: u64) -> Result<(PathBuf, PathBuf, Meta)> {
    let tmpl = work.root.join(format!("template-{n}-seed{}", args.seed));
    let done = tmpl.join("complete");
    let meta = if done.is_file() {
        eprintln!("reusing generated data in {}", tmpl.display());
        Meta::read(&tmpl)?
    } else {
        proc::remove(&tmpl)?;
        std::fs::create_dir_all(&tmpl)?;
        work.created.push(tmpl.clone());
        let t = std::time::Instant::now();
        eprintln!("generating {n} contacts and segment SM00001 with interlog (not timed)…");
        let meta = interlog_side::generate_store(&tmpl.join("store"), n, args.seed)?;
        if meta.lines != n {
            bail!(
                "the generated segment has {} lines, expected {n}",
                meta.lines
            );
        }
        let store = interlog::storage::Store::open(&tmpl.join("store"))?;
        eprintln!("writing the limit's input (not timed)…");
        limit::write_input(&tmpl, &store, &meta)?;
        meta.write(&tmpl)?;
        std::fs::write(&done, b"")?;
        eprintln!("generated in {:.1} s", t.elapsed().as_secs_f64());
        meta
    };
    let peer = tmpl.join(format!("peer-page{}.db", args.sqlite_page_size));
    let peer_done = tmpl.join(format!("peer-page{}.complete", args.sqlite_page_size));
    if !peer_done.is_file() {
        proc::remove(&peer)?;
        let t = std::time::Instant::now();
        eprintln!(
            "filling the SQLite peer, page size {} (not timed)…",
            args.sqlite_page_size
        );
        let store = interlog::storage::Store::open(&tmpl.join("store"))?;
        sqlite_peer::fill(&peer, &store, &meta, args.sqlite_page_size)?;
        std::fs::write(&peer_done, b"")?;
        work.created.push(peer.clone());
        work.created.push(peer_done);
        eprintln!("filled in {:.1} s", t.elapsed().as_secs_f64());
    }
    Ok((tmpl, peer, meta))
}

/// One timed run of `engine` on a fresh copy: its measurements, what it wrote, the SQLite
/// size after the close-time checkpoint, and the CPU load other processes put on the machine
/// meanwhile (cores).
fn run_once(
    args: &Args,
    work: &Work,
    (tmpl, peer): (&Path, &Path),
    engine: Engine,
    variant: Option<Variant>,
) -> Result<(proc::Finished, Stats, u64, f64)> {
    let run = work.root.join("run");
    proc::remove(&run)?;
    std::fs::create_dir_all(&run)?;
    match engine {
        Engine::Interlog | Engine::Floor => {
            proc::copy_dir(&tmpl.join("store"), &run.join("store"))?
        }
        Engine::Sqlite => {
            std::fs::copy(peer, sqlite_peer::db_path(&run)).context("copy the SQLite database")?;
        }
        Engine::Limit => {
            for f in ["lines.bin", "meta.json"] {
                std::fs::copy(tmpl.join(f), run.join(f)).with_context(|| format!("copy {f}"))?;
            }
        }
    }
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let mut child_args: Vec<String> = vec![
        "--launch".into(),
        "--child".into(),
        format!("{engine:?}").to_lowercase(),
        "--dir".into(),
        run.display().to_string(),
    ];
    if let Some(v) = variant {
        child_args.extend([
            "--sqlite-strategy".into(),
            v.strategy.name().into(),
            "--sqlite-checkpoint".into(),
            v.checkpoint.name().into(),
            "--sqlite-mmap-mib".into(),
            args.sqlite_mmap_mib.to_string(),
        ]);
    }
    if args.settle > 0 {
        let load = proc::settle(args.settle, 0.3);
        if load >= 0.3 {
            eprintln!(
                "  (the machine stayed busy: {load:.1} cores used by other processes after waiting {} s)",
                args.settle
            );
        }
    }
    let before = proc::machine_cpu();
    let t = std::time::Instant::now();
    let mut finished = proc::run_child(&child_args)?;
    let wall = t.elapsed().as_secs_f64();
    // The launcher's own rusage carries this (big) process's peak; the child's is in its report.
    finished.peak_rss_kib = finished.report.peak_rss_kib;
    finished.cpu_s = finished.report.cpu_s;
    let foreign = match (before, proc::machine_cpu()) {
        (Some((b0, _)), Some((b1, _))) => ((b1 - b0 - finished.cpu_s) / wall).max(0.0),
        _ => 0.0,
    };
    let fu = finished.report.follow_up_no.clone();
    let (stats, extra) = match engine {
        Engine::Interlog => (interlog_side::stats(&run, &fu)?, 0),
        Engine::Sqlite => {
            // The child closed its connection: the WAL has been checkpointed into the file.
            let after_close = sqlite_peer::disk_bytes(&sqlite_peer::db_path(&run));
            (sqlite_peer::stats(&run, &fu)?, after_close)
        }
        Engine::Limit => (limit::stats(&run)?, 0),
        // The floor writes bytes, not records: nothing to read back (its child checks that it
        // built one row per line).
        Engine::Floor => (Stats::default(), 0),
    };
    if !args.keep {
        proc::remove(&run)?;
    }
    Ok((finished, stats, extra, foreign))
}

/// One progress line: time, memory, disk, phases.
fn brief(f: &proc::Finished, load: f64) -> String {
    let r = &f.report;
    let phases = r
        .phases_ms
        .iter()
        .map(|(k, v)| format!("{k} {v:.0}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{:.3} s (cpu {:.3} s, others {load:.1} cores), peak RSS {:.0} MiB (VmHWM {:.0}), disk {:.1} MiB [ms: {phases}]",
        r.elapsed_s,
        f.cpu_s,
        f.peak_rss_kib as f64 / 1024.0,
        r.vm_hwm_kib as f64 / 1024.0,
        r.disk_bytes as f64 / MIB
    )
}

fn check_agreement(
    what: &str,
    meta: &Meta,
    report: &ChildReport,
    stats: &Stats,
    reference: &mut Option<(String, Stats)>,
) -> Result<()> {
    if report.entries != meta.lines
        || stats.entries != meta.lines
        || stats.follow_up_lines != meta.lines
    {
        bail!(
            "{what} wrote {} entries (read back {}) and {} follow-up lines for a segment of {} lines",
            report.entries,
            stats.entries,
            stats.follow_up_lines,
            meta.lines
        );
    }
    if report.follow_up_no != meta.follow_up_no {
        bail!(
            "{what} made follow-up segment {}, expected {}",
            report.follow_up_no,
            meta.follow_up_no
        );
    }
    match reference {
        None => *reference = Some((what.to_string(), stats.clone())),
        Some((name, r)) => {
            if r != stats {
                bail!(
                    "the implementations disagree:\n  {name}: {r:?}\n  {what}: {stats:?}\n\
                     (entries, cost cents, duration minutes, digest of every entry field, \
                     follow-up lines, digest of every follow-up line field)"
                );
            }
        }
    }
    Ok(())
}

fn compare(args: &Args) -> Result<()> {
    let Some(n) = args.contacts else {
        bail!("--contacts N is required");
    };
    let ps = args.sqlite_page_size;
    if !(512..=65536).contains(&ps) || !ps.is_power_of_two() {
        bail!("--sqlite-page-size {ps}: must be a power of two between 512 and 65536");
    }
    if args.runs < 3 {
        eprintln!(
            "note: {} run(s): use --runs 3 or more for published numbers",
            args.runs
        );
    }
    let mut work = Work::new(args)?;
    let result = compare_in(args, &mut work, n);
    work.cleanup();
    result
}

fn compare_in(args: &Args, work: &mut Work, n: u64) -> Result<()> {
    let (tmpl, peer, meta) = prepare(args, work, n)?;
    let tp = (tmpl.as_path(), peer.as_path());
    let interlog_before = proc::tree_size(&tmpl.join("store"))? as f64 / MIB;
    let sqlite_before = sqlite_peer::disk_bytes(&peer) as f64 / MIB;
    if !work.created_root {
        work.created.push(work.root.join("run"));
    }
    let strategies = match args.sqlite_strategy {
        Some(s) => vec![s],
        None => vec![Strategy::InsertSelect, Strategy::RowLoop],
    };
    let checkpoints = match args.sqlite_checkpoint {
        Some(c) => vec![c],
        None => vec![Checkpoint::Commit, Checkpoint::Defer],
    };
    let mut inter = Series::default();
    let mut lim = Series::default();
    let mut flo = Series::default();
    let mut sql: Vec<(Variant, Series)> = strategies
        .iter()
        .flat_map(|s| {
            checkpoints.iter().map(|c| {
                let v = Variant {
                    strategy: *s,
                    checkpoint: *c,
                };
                (v, Series::default())
            })
        })
        .collect();
    let mut reference: Option<(String, Stats)> = None;
    for r in 1..=args.runs {
        let (f, s, _, load) = run_once(args, work, tp, Engine::Interlog, None)?;
        check_agreement("interlog", &meta, &f.report, &s, &mut reference)?;
        eprintln!("run {r}/{}: interlog {}", args.runs, brief(&f, load));
        inter.push(f, load);
        for (v, series) in sql.iter_mut() {
            let (f, s, extra, load) = run_once(args, work, tp, Engine::Sqlite, Some(*v))?;
            let name = format!("sqlite ({})", v.name());
            check_agreement(&name, &meta, &f.report, &s, &mut reference)?;
            eprintln!("run {r}/{}: {name} {}", args.runs, brief(&f, load));
            series.push(f, load);
            series.extra_disk.push(extra);
        }
        let (f, s, _, load) = run_once(args, work, tp, Engine::Limit, None)?;
        check_agreement("limit", &meta, &f.report, &s, &mut reference)?;
        eprintln!("run {r}/{}: limit {}", args.runs, brief(&f, load));
        lim.push(f, load);
        let (f, _, _, load) = run_once(args, work, tp, Engine::Floor, None)?;
        if f.report.entries != meta.lines {
            bail!(
                "the IO floor built {} rows, not {}",
                f.report.entries,
                meta.lines
            );
        }
        eprintln!("run {r}/{}: io floor {}", args.runs, brief(&f, load));
        flo.push(f, load);
    }
    let (win_v, win) = sql
        .iter()
        .min_by(|a, b| a.1.median_s().total_cmp(&b.1.median_s()))
        .expect("at least one SQLite variant");
    let (i_s, s_s, l_s) = (inter.median_s(), win.median_s(), lim.median_s());
    let f_s = flo.median_s();
    // Same-run ratios: run i of interlog against run i of the reported SQLite variant.
    let run_ratios: Vec<f64> = inter
        .times
        .iter()
        .zip(&win.times)
        .map(|(i, s)| i / s)
        .collect();
    let ratio_of_runs = median(&run_ratios);
    let settings = format!(
        "journal_mode=WAL, synchronous=NORMAL + fsync of the WAL and directory after COMMIT \
         (= synchronous=FULL), cache_size=-262144 (256 MiB), temp_store=MEMORY, page_size={}, \
         mmap_size={} MiB, {}",
        args.sqlite_page_size,
        args.sqlite_mmap_mib,
        win_v.checkpoint.describe()
    );
    let loads = [
        ("interlog", inter.median_load()),
        ("sqlite", win.median_load()),
        ("limit", lim.median_load()),
    ];
    let busy = loads.iter().any(|(_, l)| *l > 0.25);
    let load_note = format!(
        "other processes kept {} cores busy during the runs (median){}",
        loads
            .iter()
            .map(|(k, l)| format!("{k} {l:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        if busy {
            " — the machine was shared: treat these numbers with care"
        } else {
            ""
        }
    );
    let rounded = |v: &[f64]| v.iter().map(|x| round(*x, 4)).collect::<Vec<_>>();
    if args.json {
        let mut o = json!({
            "contacts": n,
            "runs": args.runs,
            "interlog_s": round(i_s, 4),
            "sqlite_s": round(s_s, 4),
            "ratio": round(i_s / s_s, 4),
            "limit_s": round(l_s, 4),
            "interlog_limit_ratio": round(i_s / l_s, 3),
            "io_floor_s": round(f_s, 4),
            "interlog_io_floor_ratio": round(i_s / f_s, 3),
            "io_floor_bytes": flo.last.as_ref().map_or(0, |r| r.disk_bytes),
            "io_floor_runs_s": rounded(&flo.times),
            "io_floor_phases_ms_last_run": flo.phases(),
            "same_run_ratios": rounded(&run_ratios),
            "median_same_run_ratio": round(ratio_of_runs, 4),
            "interlog_peak_rss_mib": round(inter.peak_rss_mib(), 1),
            "sqlite_peak_rss_mib": round(win.peak_rss_mib(), 1),
            "limit_peak_rss_mib": round(lim.peak_rss_mib(), 1),
            "interlog_disk_mib": round(inter.disk_mib(), 1),
            "sqlite_disk_mib": round(win.disk_mib(), 1),
            "sqlite_disk_after_checkpoint_mib": round(win.extra_disk_mib(), 1),
            "limit_disk_mib": round(lim.disk_mib(), 1),
            "interlog_disk_before_mib": round(interlog_before, 1),
            "sqlite_disk_before_mib": round(sqlite_before, 1),
            "sqlite_strategy": win_v.strategy.name(),
            "sqlite_checkpoint": win_v.checkpoint.name(),
            "sqlite_settings": settings,
            "interlog_runs_s": rounded(&inter.times),
            "sqlite_runs_s": rounded(&win.times),
            "limit_runs_s": rounded(&lim.times),
            "interlog_cpu_s": round(median(&inter.cpu), 4),
            "sqlite_cpu_s": round(median(&win.cpu), 4),
            "limit_cpu_s": round(median(&lim.cpu), 4),
            "interlog_phases_ms_last_run": inter.phases(),
            "sqlite_phases_ms_last_run": win.phases(),
            "limit_phases_ms_last_run": lim.phases(),
            "vm_hwm_mib_crosscheck": {
                "interlog": round(inter.hwm_mib(), 1),
                "sqlite": round(win.hwm_mib(), 1),
                "limit": round(lim.hwm_mib(), 1),
            },
            "foreign_load_cores": {
                "interlog": round(loads[0].1, 2),
                "sqlite": round(loads[1].1, 2),
                "limit": round(loads[2].1, 2),
            },
            "page_cache": "not dropped (needs root): warm for every engine; sync before each clock start",
            "agreement": "entries, cost, duration, follow-up lines and per-field digests equal in every run",
        });
        let mut variants = serde_json::Map::new();
        for (v, series) in &sql {
            variants.insert(
                v.key(),
                json!({
                    "median_s": round(series.median_s(), 4),
                    "runs_s": rounded(&series.times),
                    "cpu_s": round(median(&series.cpu), 4),
                    "peak_rss_mib": round(series.peak_rss_mib(), 1),
                    "disk_mib": round(series.disk_mib(), 1),
                }),
            );
        }
        o["sqlite_variants"] = serde_json::Value::Object(variants);
        println!("{}", serde_json::to_string_pretty(&o)?);
        return check_ratio(args, ratio_of_runs, &run_ratios);
    }
    let runs = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "log segment SM00001 of {n} lines with follow-up, durable; median of {} runs",
        args.runs
    );
    println!(
        "| contacts | interlog s | sqlite s | limit s | interlog/sqlite | interlog/limit \
         | peak RSS MiB interlog / sqlite / limit | disk MiB interlog / sqlite / limit | sqlite strategy |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    println!(
        "| {n} | {i_s:.3} | {s_s:.3} | {l_s:.3} | {:.3} | {:.2} | {:.0} / {:.0} / {:.0} | {:.1} / {:.1} / {:.1} | {} |",
        i_s / s_s,
        i_s / l_s,
        inter.peak_rss_mib(),
        win.peak_rss_mib(),
        lim.peak_rss_mib(),
        inter.disk_mib(),
        win.disk_mib(),
        lim.disk_mib(),
        win_v.name()
    );
    println!();
    println!("runs (s): interlog {}", runs(&inter.times));
    for (v, series) in &sql {
        println!(
            "          sqlite {}: {} (median {:.3}, peak RSS {:.0} MiB, disk {:.1} MiB)",
            v.name(),
            runs(&series.times),
            series.median_s(),
            series.peak_rss_mib(),
            series.disk_mib()
        );
    }
    println!("          limit {}", runs(&lim.times));
    println!(
        "          io floor {} (median {f_s:.3}; interlog / io floor {:.2}; {:.1} MiB of blocks)",
        runs(&flo.times),
        i_s / f_s,
        flo.last.as_ref().map_or(0, |r| r.disk_bytes) as f64 / MIB
    );
    println!(
        "same-run ratios interlog / sqlite: {} (median {ratio_of_runs:.3})",
        runs(&run_ratios)
    );
    println!(
        "cpu (s, median): interlog {:.3}, sqlite {:.3}, limit {:.3}",
        median(&inter.cpu),
        median(&win.cpu),
        median(&lim.cpu)
    );
    println!("sqlite: {settings}");
    println!(
        "sqlite disk: {:.1} MiB database + WAL at the durable point, {:.1} MiB after its close-time checkpoint",
        win.disk_mib(),
        win.extra_disk_mib()
    );
    println!(
        "disk before the run: interlog {interlog_before:.1} MiB, sqlite {sqlite_before:.1} MiB (the generated contacts and segment)"
    );
    println!("limit: one thread, input lines held in memory (counted in its peak RSS)");
    println!(
        "page cache: not dropped (needs root), so every engine reads warm files; sync before each clock start"
    );
    println!("load: {load_note}");
    println!(
        "agreement: every run wrote the same {} entries (cost, duration, every field) and {} follow-up lines",
        meta.lines, meta.lines
    );
    check_ratio(args, ratio_of_runs, &run_ratios)
}

/// `--max-ratio`: fails when the median same-run ratio is above the limit.
fn check_ratio(args: &Args, median_ratio: f64, ratios: &[f64]) -> Result<()> {
    match args.max_ratio {
        Some(max) if median_ratio > max => bail!(
            "regression: interlog took {median_ratio:.3} × SQLite's time (median of the same-run \
             ratios {ratios:?}), above the allowed {max:.3}"
        ),
        Some(max) => {
            eprintln!("regression check: median same-run ratio {median_ratio:.3} ≤ {max:.3} ✓");
            Ok(())
        }
        None => Ok(()),
    }
}
