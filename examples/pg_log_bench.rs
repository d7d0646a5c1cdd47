//! `pg_log_bench`: logging a segment of N lines with a follow-up on one local PostgreSQL shard
//! (`pg::log::log_segment`), against the **COPY floor** of the same rows and against the
//! embedded store, measured in the same run on the same machine.
//!
//! ```sh
//! cargo build --release --bin interlog
//! cargo run --release --features pg --example pg_log_bench -- [--lines 1000000] [--runs 2] \
//!     [--interlog target/release/interlog]
//! ```
//!
//! Per run:
//! 1. **pg log** — a fresh database on a loopback server started for the run (fsync on), a
//!    company with N contacts and segment `BIG1` of N lines made by SQL
//!    (`pg::log::generate`, `generate_series`), `VACUUM ANALYZE` and `CHECKPOINT` (not timed).
//!    Timed: `log_segment(follow_up: true)` on a fresh connection: lock, checks, build,
//!    COPY BINARY of N entries and N follow-up lines, logged segment, series, deletion of the
//!    segment and its N lines, COMMIT.
//! 2. **COPY floor** — a second fresh database in the same state (same generated data). The
//!    entry rows and follow-up line rows the log wrote are read back and encoded before the
//!    clock. Timed: one transaction — the follow-up header (the lines reference it), COPY
//!    BINARY of the N entry rows and of the N line rows into the same tables, COMMIT. No
//!    interlog logic, no reads, no deletes.
//! 3. **embedded** — `interlog gen --contacts N --segment-size N` (not timed), then the whole
//!    command `interlog segment log SM00001 --follow-up --json` (process start, store open,
//!    log, durable commit) timed from outside.

use std::error::Error;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use chrono::{NaiveDate, NaiveTime};
use interlog::batch::log_segment::LogOptions;
use interlog::domain::{SegmentNo, UserId};
use interlog::pg::copy::{copy_in, entry_from_row, line_from_row, CopyRows};
use interlog::pg::copy::{ENTRY_COLUMNS, LINE_COLUMNS};
use interlog::pg::local::LocalCluster;
use interlog::pg::log::{generate, log_segment, segment_header};
use interlog::pg::rows::put_segment as insert_segment_header;
use interlog::pg::{self, schema};
use interlog::progress::NoProgress;
use interlog::Ctx;
use postgres::Client;

const CO: i32 = 1;

struct Args {
    lines: i64,
    runs: usize,
    interlog: PathBuf,
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        lines: 1_000_000,
        runs: 2,
        interlog: PathBuf::from("target/release/interlog"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        match k.as_str() {
            "--lines" => a.lines = v.parse()?,
            "--runs" => a.runs = v.parse()?,
            "--interlog" => a.interlog = v.into(),
            _ => return Err(format!("unknown option {k}").into()),
        }
    }
    Ok(a)
}

/// A fresh database `name` with the generated company and segment, vacuumed and checkpointed.
fn prepared_db(cluster: &LocalCluster, name: &str, lines: i64) -> Result<Client, Box<dyn Error>> {
    let mut admin = pg::connect(&cluster.url(0))?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    let url = cluster.url_db(0, name);
    let mut c = pg::connect(&url)?;
    pg::migrate_schema(&mut c, &url, schema::SHARD)?;
    let mut tx = c.transaction()?;
    generate::company_with_segment(&mut tx, CO, "BENCH", "BIG1", lines)?;
    tx.commit()?;
    c.batch_execute("VACUUM ANALYZE")?;
    c.batch_execute("CHECKPOINT")?;
    drop(c);
    Ok(pg::connect(&url)?)
}

fn ctx() -> Ctx {
    Ctx::at(
        UserId::new("BENCH").unwrap_or_else(|e| panic!("{e}")),
        NaiveDate::from_ymd_opt(2025, 3, 14).unwrap_or_default(),
        NaiveTime::from_hms_opt(9, 30, 0).unwrap_or_default(),
    )
}

/// The rows a log wrote, encoded as COPY buffers in chunks.
fn written_rows(
    c: &mut Client,
    follow_up: &SegmentNo,
) -> Result<(Vec<CopyRows>, Vec<CopyRows>), Box<dyn Error>> {
    let chunk = 65_536usize;
    let mut entries = Vec::new();
    let mut rows = CopyRows::default();
    for r in c.query(
        &format!("SELECT {ENTRY_COLUMNS} FROM interaction_log_entry WHERE company_id = $1 ORDER BY entry_no"),
        &[&CO],
    )? {
        rows.entry(CO, &entry_from_row(&r)?);
        if rows.rows() as usize == chunk {
            entries.push(std::mem::take(&mut rows));
        }
    }
    entries.push(rows);
    let mut lines = Vec::new();
    let mut rows = CopyRows::default();
    for r in c.query(
        &format!("SELECT {LINE_COLUMNS} FROM segment_line WHERE company_id = $1 AND segment_no = $2 ORDER BY line_no"),
        &[&CO, &follow_up.as_str()],
    )? {
        let (l, removed) = line_from_row(&r)?;
        rows.line(CO, follow_up, &l, removed);
        if rows.rows() as usize == chunk {
            lines.push(std::mem::take(&mut rows));
        }
    }
    lines.push(rows);
    Ok((entries, lines))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn Error>> {
    let a = args()?;
    let n = a.lines;
    let cluster = LocalCluster::start(1)?;
    let (mut logs, mut floors, mut embedded) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=a.runs {
        // 1. the log on the shard
        let mut c = prepared_db(&cluster, "bench_log", n)?;
        let t = Instant::now();
        let opts = LogOptions {
            follow_up: true,
            dry_run: false,
        };
        let out = log_segment(
            &mut c,
            CO,
            &ctx(),
            &SegmentNo::new("BIG1")?,
            opts,
            &NoProgress,
        )?;
        let log_s = t.elapsed().as_secs_f64();
        assert_eq!(out.entries, n as u64);
        let fu = out
            .follow_up_segment_no
            .clone()
            .ok_or("the log made no follow-up segment")?;
        let fu_header = segment_header(&mut c, CO, &fu)?.ok_or("no follow-up header")?;
        let (entries, lines) = written_rows(&mut c, &fu)?;
        drop(c);

        // 2. the COPY floor of the same rows
        let mut c = prepared_db(&cluster, "bench_floor", n)?;
        let t = Instant::now();
        let mut tx = c.transaction()?;
        insert_segment_header(&mut tx, CO, &fu_header)?;
        let mut it = entries.into_iter();
        let e = copy_in(&mut tx, "interaction_log_entry", ENTRY_COLUMNS, || {
            Ok(it.next())
        })?;
        let mut it = lines.into_iter();
        let l = copy_in(&mut tx, "segment_line", LINE_COLUMNS, || Ok(it.next()))?;
        tx.commit()?;
        let floor_s = t.elapsed().as_secs_f64();
        assert_eq!((e, l), (n as u64, n as u64));
        drop(c);

        // 3. the embedded store
        let dir = tempfile::tempdir()?;
        let store = dir.path().join("store");
        let gen = Command::new(&a.interlog)
            .arg("--store")
            .arg(&store)
            .args([
                "gen",
                "--contacts",
                &n.to_string(),
                "--segment-size",
                &n.to_string(),
            ])
            .output()?;
        if !gen.status.success() {
            return Err(format!("interlog gen: {}", String::from_utf8_lossy(&gen.stderr)).into());
        }
        let t = Instant::now();
        let log = Command::new(&a.interlog)
            .arg("--store")
            .arg(&store)
            .args(["segment", "log", "SM00001", "--follow-up", "--json"])
            .output()?;
        let emb_s = t.elapsed().as_secs_f64();
        if !log.status.success() {
            return Err(format!(
                "interlog segment log: {}",
                String::from_utf8_lossy(&log.stderr)
            )
            .into());
        }
        println!(
            "run {run}: pg log {log_s:.2} s (plan {:.0} ms, build+COPY {:.0} ms, finish+commit {:.0} ms, delete {:.0} ms) | COPY floor {floor_s:.2} s | embedded {emb_s:.2} s | pg/floor {:.2} | pg/embedded {:.1}",
            out.timings.plan_ms,
            out.timings.build_write_ms,
            out.timings.commit_ms,
            out.timings.cleanup_ms,
            log_s / floor_s,
            log_s / emb_s,
        );
        logs.push(log_s);
        floors.push(floor_s);
        embedded.push(emb_s);
    }
    let (l, f, e) = (
        median(&mut logs),
        median(&mut floors),
        median(&mut embedded),
    );
    println!(
        "median of {} runs, {n} lines with follow-up: pg log {l:.2} s, COPY floor {f:.2} s, embedded {e:.2} s — pg/floor {:.2} (target ≤ 1.3), pg/embedded {:.1}",
        a.runs,
        l / f,
        l / e
    );
    Ok(())
}
