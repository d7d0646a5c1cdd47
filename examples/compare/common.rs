//! What every side of the comparison shares: the fixed context, the segment, the plan's
//! numbers (`Meta`), the child's report, enum ↔ integer mapping and the agreement digest.

use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{NaiveDate, NaiveTime};
use interlog::domain::{CampaignEntry, LogEntry, SegmentHeader, SegmentLine};
use interlog::storage::Store;
use interlog::Ctx;
use serde::{Deserialize, Serialize};

/// The generated segment every side logs.
pub const SEGMENT: &str = "SM00001";

/// Hands every line of the generated segment `h` to `f`, in line order, stopping at `f`'s
/// first error; `expected` lines must come (`what` names the copy in the error).
pub fn for_each_segment_line(
    store: &Store,
    h: &SegmentHeader,
    expected: u64,
    what: &str,
    mut f: impl FnMut(&SegmentLine) -> Result<()>,
) -> Result<()> {
    let mut n = 0u64;
    store.for_each_line(h.lines_gen, h.last_line_no, |l| {
        f(&l)?;
        n += 1;
        Ok::<_, anyhow::Error>(true)
    })?;
    if n != expected {
        bail!("{what}: {n} segment lines, expected {expected}");
    }
    Ok(())
}

/// The moment every run uses (the same as the criterion benches).
pub fn ctx() -> Ctx {
    Ctx::at(
        interlog::domain::UserId::new("BENCH").expect("valid user id"),
        NaiveDate::from_ymd_opt(2025, 3, 14).expect("valid date"),
        NaiveTime::from_hms_opt(9, 30, 0).expect("valid time"),
    )
}

/// What logging the generated segment will produce, read from the generated interlog store
/// before any run. The SQLite peer derives its numbers in SQL itself; the limit, which has no
/// database, takes them from here; the checks compare every side against it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    /// Contacts generated.
    pub contacts: u64,
    /// Seed of the generator.
    pub seed: u64,
    /// Lines of the segment.
    pub lines: u64,
    /// Description of the segment.
    pub description: String,
    /// Salesperson of the segment header.
    pub salesperson: Option<String>,
    /// Campaign of the segment header.
    pub campaign: Option<String>,
    /// First entry number the run gets.
    pub first_entry: u64,
    /// Logged segment number the run gets.
    pub logged: u64,
    /// Campaign entries the run makes (one per campaign of the lines).
    pub campaign_entries: Vec<CampaignEntry>,
    /// Number of the follow-up segment.
    pub follow_up_no: String,
}

impl Meta {
    /// Reads `meta.json` from `dir`.
    pub fn read(dir: &Path) -> Result<Meta> {
        let p = dir.join("meta.json");
        let s = std::fs::read_to_string(&p).with_context(|| format!("read {}", p.display()))?;
        serde_json::from_str(&s).with_context(|| format!("parse {}", p.display()))
    }

    /// Writes `meta.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let p = dir.join("meta.json");
        std::fs::write(&p, serde_json::to_string_pretty(self)?)
            .with_context(|| format!("write {}", p.display()))
    }
}

/// What a child prints on stdout (one JSON object).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChildReport {
    /// Engine name.
    pub engine: String,
    /// Wall time of the timed work, seconds.
    pub elapsed_s: f64,
    /// Entries written.
    pub entries: u64,
    /// Follow-up segment created.
    pub follow_up_no: String,
    /// Bytes on disk right after the timed work.
    pub disk_bytes: u64,
    /// SQLite: insert strategy used.
    #[serde(default)]
    pub strategy: Option<String>,
    /// Phase times in milliseconds, for the curious.
    #[serde(default)]
    pub phases_ms: Vec<(String, f64)>,
    /// The child's own high-water mark (`VmHWM` of /proc/self/status, KiB), a cross-check.
    #[serde(default)]
    pub vm_hwm_kib: u64,
    /// Peak RSS from `wait4` (KiB), filled in by the launcher that waited for the child.
    #[serde(default)]
    pub peak_rss_kib: u64,
    /// CPU time (user + system) of the whole child from `wait4`, seconds.
    #[serde(default)]
    pub cpu_s: f64,
}

/// This process's `VmHWM` in KiB (0 if unknown).
pub fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The numbers the sides must agree on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Interaction log entries.
    pub entries: u64,
    /// Sum of their cost in cents.
    pub cost_cents: u64,
    /// Sum of their duration in minutes.
    pub duration_min: u64,
    /// FNV-1a over the `Debug` form of every entry, in entry number order (every field).
    pub entries_digest: u64,
    /// Lines of the follow-up segment.
    pub follow_up_lines: u64,
    /// FNV-1a over the `Debug` form of every follow-up line, in line order (every field).
    pub follow_up_digest: u64,
}

/// Order-dependent FNV-1a accumulator.
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    /// Feeds bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The value so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

impl Stats {
    /// Accounts for one entry.
    pub fn add_entry(&mut self, e: &LogEntry, d: &mut Digest) {
        self.entries += 1;
        self.cost_cents += e.cost.cents();
        self.duration_min += u64::from(e.duration_min);
        d.feed(format!("{e:?}\n").as_bytes());
    }

    /// Accounts for one follow-up line.
    pub fn add_line(&mut self, l: &SegmentLine, d: &mut Digest) {
        self.follow_up_lines += 1;
        d.feed(format!("{l:?}\n").as_bytes());
    }
}

/// An option enum as its on-disk variant index (the way interlog's codec stores it).
pub fn ix<T: PartialEq + Copy>(all: &[T], v: T) -> i64 {
    all.iter().position(|x| *x == v).unwrap_or(0) as i64
}

/// The variant with index `i`.
pub fn from_ix<T: Copy>(all: &[T], i: i64, what: &str) -> Result<T> {
    match usize::try_from(i).ok().and_then(|i| all.get(i)) {
        Some(v) => Ok(*v),
        None => bail!("{what}: no variant with index {i}"),
    }
}

/// fsyncs a directory (makes new directory entries durable).
pub fn fsync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("fsync directory {}", dir.display()))
}

/// Milliseconds since `t`.
pub fn ms_since(t: std::time::Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
