//! interlog's side: the generated store (made once, copied per run), the timed child and the
//! read-back of what a run wrote.

use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use interlog::batch::log_segment::{log_segment, LogOptions};
use interlog::datagen::{generate, GenOptions};
use interlog::domain::*;
use interlog::ops::segments::{self, Progress};
use interlog::ops::{master, setup};
use interlog::storage::{Counter, StorageError, Store};

use crate::common::{ctx, ChildReport, Digest, Meta, Stats, SEGMENT};

/// Progress of the (untimed) generation, as plain lines on stderr.
struct Lines;
impl Progress for Lines {
    fn start(&self, phase: &str, total: u64) {
        eprintln!("  generating {phase} ({total})…");
    }
}

/// Generates the template store at `path` and returns what logging it will produce.
pub fn generate_store(path: &Path, contacts: u64, seed: u64) -> Result<Meta> {
    let store = master::init(path).with_context(|| format!("create store {}", path.display()))?;
    let c = ctx();
    generate(
        &store,
        &c,
        GenOptions {
            contacts,
            segment_size: contacts,
            seed,
        },
        &Lines,
    )
    .context("generate contacts and segment")?;
    // Reopen once, as any store loaded by an earlier process has been: sled writes its
    // snapshot at open, so the timed run does not replay the whole generation log.
    drop(store);
    let store = Store::open(path).context("reopen the generated store")?;
    meta_of(&store, contacts, seed)
}

/// Reads the plan's numbers from a generated store (see [`Meta`]).
pub fn meta_of(store: &Store, contacts: u64, seed: u64) -> Result<Meta> {
    let c = ctx();
    let seg = SegmentNo::new(SEGMENT)?;
    let header = segments::get(store, &seg)?;
    let logged = store.get_counter(Counter::NextLogged)?;
    let first_ce = store.get_counter(Counter::NextCampaignEntry)?;
    // One campaign entry per campaign of the lines, dated by its earliest line, numbered in
    // campaign order.
    let mut keys_seen: std::collections::BTreeMap<CampaignNo, chrono::NaiveDate> =
        std::collections::BTreeMap::new();
    let mut lines = 0u64;
    store.for_each_line(header.lines_gen, header.last_line_no, |l| {
        lines += 1;
        if let Some(cn) = l.campaign_no {
            let d = keys_seen.entry(cn).or_insert(l.date);
            *d = (*d).min(l.date);
        }
        Ok::<_, StorageError>(true)
    })?;
    let campaign_entries = (first_ce..)
        .zip(keys_seen)
        .map(|(no, (campaign_no, date))| CampaignEntry {
            entry_no: CampaignEntryNo(no),
            campaign_no,
            description: header.description.clone(),
            date,
            user_id: c.user.to_string(),
            segment_no: Some(header.no.clone()),
            salesperson_code: header.salesperson_code.clone(),
            logged_segment_entry_no: Some(LoggedSegmentNo(logged)),
            canceled: false,
        })
        .collect();
    let series_code = setup(store)?
        .segment_nos
        .ok_or_else(|| anyhow!("generated store has no segment number series"))?;
    let series: NoSeries = store
        .series(&series_code)?
        .ok_or_else(|| anyhow!("number series {series_code} missing"))?;
    let follow_up_no = series.peek(c.work_date)?.no;
    Ok(Meta {
        contacts,
        seed,
        lines,
        description: header.description.clone(),
        salesperson: header.salesperson_code.as_ref().map(|s| s.to_string()),
        campaign: header.campaign_no.as_ref().map(|s| s.to_string()),
        first_entry: store.entry_horizon()?.0,
        logged,
        campaign_entries,
        follow_up_no,
    })
}

/// The timed child: open (with recovery) + log with follow-up, durable on return.
pub fn child(dir: &Path) -> Result<ChildReport> {
    let path = dir.join("store");
    let seg = SegmentNo::new(SEGMENT)?;
    let c = ctx();
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let t0 = Instant::now();
    let store = Store::open(&path)?;
    let opened_ms = crate::common::ms_since(t0);
    let out = log_segment(
        &store,
        &c,
        &seg,
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
        &segments::NoProgress,
    )?;
    let elapsed_s = t0.elapsed().as_secs_f64();
    let disk_bytes = store.disk_size()?;
    let t = &out.timings;
    Ok(ChildReport {
        engine: "interlog".into(),
        elapsed_s,
        entries: out.entries,
        follow_up_no: out
            .follow_up_segment_no
            .map(|s| s.to_string())
            .unwrap_or_default(),
        disk_bytes,
        strategy: None,
        phases_ms: vec![
            ("open+recovery".into(), opened_ms),
            ("plan".into(), t.plan_ms),
            ("build+write+fsync".into(), t.build_write_ms),
            ("commit".into(), t.commit_ms),
            ("cleanup".into(), t.cleanup_ms),
        ],
        ..ChildReport::default()
    })
}

/// What a run left in the store at `dir/store`: every visible entry and the follow-up lines.
pub fn stats(dir: &Path, follow_up_no: &str) -> Result<Stats> {
    let store = Store::open(&dir.join("store"))?;
    let mut s = Stats::default();
    let mut d = Digest::default();
    store.for_each_entry(&EntrySelection::all(), |e| {
        s.add_entry(&e.to_entry(), &mut d);
        Ok::<_, StorageError>(true)
    })?;
    s.entries_digest = d.value();
    if segments::get(&store, &SegmentNo::new(SEGMENT)?).is_ok() {
        bail!("interlog: segment {SEGMENT} still exists after logging");
    }
    let fu = segments::get(&store, &SegmentNo::new(follow_up_no)?)
        .with_context(|| format!("interlog: follow-up segment {follow_up_no}"))?;
    let mut d = Digest::default();
    store.for_each_line(fu.lines_gen, fu.last_line_no, |l| {
        s.add_line(&l, &mut d);
        Ok::<_, StorageError>(true)
    })?;
    s.follow_up_digest = d.value();
    Ok(s)
}
