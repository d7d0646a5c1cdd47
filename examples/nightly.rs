//! `nightly`: the nightly mix — many segments of very different sizes logged with follow-ups
//! by one batch job — done by interlog and by the SQLite peer of `examples/compare`, measured
//! in the same run on the same machine.
//!
//! ```sh
//! cargo run --release --example nightly -- --contacts 1000000 --segments 1000 [--runs 3] [--json]
//! ```
//!
//! **The data** (not timed): `gen` with N contacts and seed 7, its segment `SM00001` cut to
//! `--first-size` lines, plus K segments of the nightly mix (`gen --mixed-segments K`:
//! ≈ 95 % of 1k–10k lines, 4 % of 10k–100k, 1 % of 100k–1M, each taking its contacts where the
//! previous stopped). The SQLite database is filled from that store with `compare`'s peer
//! (same schema, same records).
//!
//! **The work** (timed, each in a fresh child process on a fresh copy):
//! * **interlog**: `Store::open` + `batch::job::run_job` of a job with one step per segment,
//!   `{ "log": …, "follow_up": true }` — every step atomic and durable before the next, with
//!   the job's progress record written around each step (as `interlog batch run` does).
//! * **SQLite**: open + configure (compare's settings), then every segment in the same order,
//!   each in its own `BEGIN IMMEDIATE` transaction (compare's logging code, `INSERT … SELECT`
//!   by default) followed by an fsync of the WAL (the directory too after the first).
//!
//! Reported: the median of `--runs` total times and their ratio, and the **per-segment cost**:
//! a least-squares line `ms = fixed + per_line × lines` through every segment's time of the
//! last run of each engine, evaluated at 1,000 lines. After each run the totals are checked:
//! as many entries as lines, one logged segment per segment, one follow-up segment per
//! segment, the logged segments gone.

#[path = "compare/common.rs"]
#[allow(dead_code)]
mod common;
#[path = "compare/proc.rs"]
#[allow(dead_code)]
mod proc;
#[path = "compare/sqlite_peer.rs"]
#[allow(dead_code)]
mod sqlite_peer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;
use interlog::batch::job::{self, JobFormat, Quiet, RunOptions};
use interlog::datagen::{self, GenOptions};
use interlog::ops::{master, segments};
use interlog::storage::Store;
use serde_json::json;

use common::{ctx, ChildReport, Meta};
use sqlite_peer::Strategy;

#[derive(Parser, Debug)]
#[command(about = "Log a nightly mix of segments: interlog's batch job against SQLite")]
struct Args {
    /// Contacts to generate.
    #[arg(long, default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(1_000..=99_999_999))]
    contacts: u64,
    /// Segments of the nightly mix (besides SM00001).
    #[arg(long, default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    segments: u64,
    /// Lines of the generated SM00001 (also logged by the job).
    #[arg(long, default_value_t = 1000)]
    first_size: u64,
    /// Measured runs of each engine; the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// SQLite insert strategy.
    #[arg(long, value_enum, default_value_t = Strategy::InsertSelect)]
    sqlite_strategy: Strategy,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    json: bool,
    /// Work directory (default: a new directory under /tmp, removed at the end).
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// Internal: run one engine's timed work in this run directory.
    #[arg(long, hide = true, value_parser = ["interlog", "sqlite"])]
    child: Option<String>,
    /// Internal: start the `--child` as a grandchild and report its `wait4` peak RSS.
    #[arg(long, hide = true, requires = "child")]
    launch: bool,
}

const SEED: u64 = 7;

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match (&args.child, args.launch) {
        (Some(_), true) => {
            let rest: Vec<String> = std::env::args()
                .skip(1)
                .filter(|a| a != "--launch")
                .collect();
            proc::launch(&rest)
        }
        (Some(engine), false) => child_main(&args, engine),
        (None, _) => nightly(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nightly: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The segments of the job, in order: read from `segments.json` of the run directory.
fn job_segments(dir: &Path) -> Result<Vec<(String, u64)>> {
    let p = dir.join("segments.json");
    let s = std::fs::read_to_string(&p).with_context(|| format!("read {}", p.display()))?;
    Ok(serde_json::from_str(&s)?)
}

fn child_main(args: &Args, engine: &str) -> Result<()> {
    let Some(dir) = &args.dir else {
        bail!("--child needs --dir RUN_DIRECTORY");
    };
    let segs = job_segments(dir)?;
    let report = match engine {
        "interlog" => {
            let job = job::load_job(&dir.join("job.json"))?;
            // SAFETY: sync(2) takes no arguments and cannot fail.
            unsafe { libc::sync() };
            let t0 = std::time::Instant::now();
            let store = Store::open(&dir.join("store"))?;
            let r = job::run_job(&store, &ctx(), &job, RunOptions { restart: false }, &Quiet)?;
            let elapsed_s = t0.elapsed().as_secs_f64();
            if r.summary.done != segs.len() {
                bail!("interlog: {} of {} steps done", r.summary.done, segs.len());
            }
            ChildReport {
                engine: "interlog".into(),
                elapsed_s,
                entries: r.summary.entries_logged,
                disk_bytes: store.disk_size()?,
                phases_ms: r.steps.iter().map(|s| (s.target.clone(), s.ms)).collect(),
                ..ChildReport::default()
            }
        }
        _ => {
            let names: Vec<String> = segs.iter().map(|(s, _)| s.clone()).collect();
            let settings = sqlite_peer::Settings {
                mmap_mib: 0,
                defer_checkpoint: true,
            };
            sqlite_peer::child_many(dir, args.sqlite_strategy, &settings, &names)?
        }
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

/// Generates the interlog store, the job and the SQLite database into `tmpl` (untimed).
fn prepare(args: &Args, tmpl: &Path) -> Result<Vec<(String, u64)>> {
    eprintln!(
        "generating {} contacts and {} mixed segments (not timed)…",
        args.contacts, args.segments
    );
    let store_path = tmpl.join("store");
    let store = master::init(&store_path)?;
    let opts = GenOptions {
        contacts: args.contacts,
        segment_size: args.first_size,
        seed: SEED,
    };
    let first = datagen::generate(&store, &ctx(), opts, &segments::NoProgress)?;
    let mix = datagen::generate_mix(&store, &ctx(), opts, args.segments, &segments::NoProgress)?;
    let mut segs = vec![(
        first.segment_no.context("gen made no segment")?.to_string(),
        first.lines,
    )];
    segs.extend(mix.into_iter().map(|(s, n)| (s.to_string(), n)));
    let steps: Vec<_> = segs
        .iter()
        .map(|(s, _)| json!({ "log": s, "follow_up": true }))
        .collect();
    std::fs::write(
        tmpl.join("job.json"),
        serde_json::to_string(&json!({ "id": "nightly", "steps": steps }))?,
    )?;
    // Check that the job parses before any timing.
    job::parse_job(
        &std::fs::read_to_string(tmpl.join("job.json"))?,
        JobFormat::Json,
        "job.json",
    )?;
    std::fs::write(tmpl.join("segments.json"), serde_json::to_string(&segs)?)?;
    eprintln!("filling the SQLite peer (not timed)…");
    let meta = Meta {
        contacts: args.contacts,
        seed: SEED,
        lines: 0,
        description: String::new(),
        salesperson: None,
        campaign: None,
        first_entry: 1,
        logged: 1,
        campaign_entries: Vec::new(),
        follow_up_no: String::new(),
    };
    sqlite_peer::fill(&sqlite_peer::db_path(tmpl), &store, &meta, 65536)?;
    drop(store);
    Ok(segs)
}

/// `ms = fixed + per_line × lines` by least squares over (lines, ms).
fn fit(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - slope * mx, slope)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn nightly(args: &Args) -> Result<()> {
    let (root, made) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            tempfile::Builder::new()
                .prefix("interlog-nightly-")
                .tempdir()?
                .keep(),
            true,
        ),
    };
    let result = nightly_in(args, &root);
    if made {
        let _ = std::fs::remove_dir_all(&root);
    }
    result
}

fn nightly_in(args: &Args, root: &Path) -> Result<()> {
    let tmpl = root.join("template");
    std::fs::create_dir_all(&tmpl)?;
    let segs = prepare(args, &tmpl)?;
    let lines: u64 = segs.iter().map(|(_, n)| n).sum();
    let sizes: std::collections::HashMap<&str, f64> =
        segs.iter().map(|(s, n)| (s.as_str(), *n as f64)).collect();
    let run = root.join("run");
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut rss = [Vec::new(), Vec::new()];
    let mut last: [Option<ChildReport>; 2] = [None, None];
    for r in 1..=args.runs {
        for (e, engine) in ["interlog", "sqlite"].iter().enumerate() {
            let _ = std::fs::remove_dir_all(&run);
            std::fs::create_dir_all(&run)?;
            for f in ["job.json", "segments.json"] {
                std::fs::copy(tmpl.join(f), run.join(f))?;
            }
            if e == 0 {
                proc::copy_dir(&tmpl.join("store"), &run.join("store"))?;
            } else {
                std::fs::copy(sqlite_peer::db_path(&tmpl), sqlite_peer::db_path(&run))?;
            }
            let f = proc::run_child(&[
                "--launch".into(),
                "--child".into(),
                engine.to_string(),
                "--dir".into(),
                run.display().to_string(),
                "--sqlite-strategy".into(),
                args.sqlite_strategy.name().into(),
            ])?;
            // Both must have done the whole job.
            if f.report.entries != lines {
                bail!("{engine}: {} entries, expected {lines}", f.report.entries);
            }
            if e == 1 {
                let (entries, logged, headers) = sqlite_peer::totals(&run)?;
                if entries != lines || logged != segs.len() as u64 || headers != logged {
                    bail!("sqlite: {entries} entries, {logged} logged segments, {headers} segments after the job");
                }
            } else {
                let store = Store::open(&run.join("store"))?;
                let left = segments::list(&store)?;
                if left.len() != segs.len() {
                    bail!(
                        "interlog: {} segments after the job, expected {} follow-ups",
                        left.len(),
                        segs.len()
                    );
                }
            }
            eprintln!(
                "run {r}/{}: {engine} {:.3} s, peak RSS {:.0} MiB",
                args.runs,
                f.report.elapsed_s,
                f.peak_rss_kib as f64 / 1024.0
            );
            times[e].push(f.report.elapsed_s);
            rss[e].push(f.peak_rss_kib as f64 / 1024.0);
            last[e] = Some(f.report);
        }
    }
    let _ = std::fs::remove_dir_all(&run);
    let per_segment = |e: usize| -> (f64, f64) {
        let pts: Vec<(f64, f64)> = last[e]
            .as_ref()
            .map(|r| {
                r.phases_ms
                    .iter()
                    .filter_map(|(s, ms)| sizes.get(s.as_str()).map(|n| (*n, *ms)))
                    .collect()
            })
            .unwrap_or_default();
        fit(&pts)
    };
    let (i_fixed, i_line) = per_segment(0);
    let (s_fixed, s_line) = per_segment(1);
    let (i_s, s_s) = (median(&times[0]), median(&times[1]));
    let ratios: Vec<f64> = times[0].iter().zip(&times[1]).map(|(a, b)| a / b).collect();
    let out = json!({
        "contacts": args.contacts,
        "segments": segs.len(),
        "lines": lines,
        "largest_segment": segs.iter().map(|(_, n)| *n).max(),
        "runs": args.runs,
        "interlog_s": i_s,
        "sqlite_s": s_s,
        "ratio": i_s / s_s,
        "median_same_run_ratio": median(&ratios),
        "interlog_runs_s": times[0],
        "sqlite_runs_s": times[1],
        "interlog_peak_rss_mib": median(&rss[0]),
        "sqlite_peak_rss_mib": median(&rss[1]),
        "interlog_ms_per_segment_fixed": i_fixed,
        "interlog_ms_per_1k_lines": i_line * 1000.0,
        "interlog_ms_at_1k_lines": i_fixed + i_line * 1000.0,
        "sqlite_ms_per_segment_fixed": s_fixed,
        "sqlite_ms_per_1k_lines": s_line * 1000.0,
        "sqlite_ms_at_1k_lines": s_fixed + s_line * 1000.0,
        "sqlite_strategy": args.sqlite_strategy.name(),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "nightly mix: {} segments, {lines} lines (largest {}), {} contacts; median of {} runs",
            segs.len(),
            out["largest_segment"],
            args.contacts,
            args.runs
        );
        println!(
            "interlog {i_s:.3} s, sqlite {s_s:.3} s: interlog / sqlite {:.3} (same-run ratios {:?})",
            i_s / s_s,
            ratios
        );
        println!(
            "per segment (fit over the last run): interlog {i_fixed:.2} ms + {:.2} ms per 1k lines \
             = {:.2} ms at 1k lines; sqlite {s_fixed:.2} ms + {:.2} ms per 1k lines = {:.2} ms",
            i_line * 1000.0,
            i_fixed + i_line * 1000.0,
            s_line * 1000.0,
            s_fixed + s_line * 1000.0
        );
        println!(
            "peak RSS: interlog {:.0} MiB, sqlite {:.0} MiB",
            median(&rss[0]),
            median(&rss[1])
        );
    }
    Ok(())
}
