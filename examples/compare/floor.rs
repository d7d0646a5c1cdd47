//! The IO floor: what any engine that writes interlog's bytes durably must pay at least.
//!
//! On a copy of the generated store (opened and planned before the clock), the timed work is
//! 1. interlog's own encode — `Plan::build_parallel`, the same parallel build of entry blocks,
//!    index data and follow-up line blocks the real log runs, on all cores — and
//! 2. writing exactly the block bytes that build produced (entry blocks and follow-up line
//!    blocks) sequentially into one new file through a 1 MiB buffer, then `fsync` of the file
//!    and of its directory.
//!
//! No database, no key lookup, no transaction, no clean-up. interlog ÷ this floor is the share
//! of interlog's time spent on being a store (sled's log, the staged write, the commit) rather
//! than on the bytes themselves. Not counted: the per-block Bloom filters of the contact index
//! (a few bytes per entry block) and the commit records.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Result};
use interlog::batch::log_segment::{plan_only, LogOptions};
use interlog::domain::SegmentNo;
use interlog::storage::Store;

use crate::common::{ctx, fsync_dir, ms_since, ChildReport, SEGMENT};

/// The timed child: build (encode) + sequential write + fsync of the built bytes.
pub fn child(dir: &Path) -> Result<ChildReport> {
    let store = Store::open(&dir.join("store"))?;
    let opts = LogOptions {
        follow_up: true,
        dry_run: false,
    };
    let plan = plan_only(&store, &ctx(), &SegmentNo::new(SEGMENT)?, opts)?;
    let out_path = dir.join("floor.bin");
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let t0 = Instant::now();
    let built = plan.build_parallel(&store)?;
    let encode_ms = ms_since(t0);
    let t1 = Instant::now();
    let file = File::create(&out_path)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let (mut bytes, mut rows) = (0u64, 0u64);
    for b in &built {
        rows += b.rows;
        let entry_bytes = b.entry_blocks.iter().map(|(_, v)| v);
        for v in entry_bytes.chain(b.line_blocks.iter().map(|(_, v)| v)) {
            w.write_all(v)?;
            bytes += v.len() as u64;
        }
    }
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    fsync_dir(dir)?;
    let write_ms = ms_since(t1);
    let elapsed_s = t0.elapsed().as_secs_f64();
    ensure!(rows > 0 && bytes > 0, "the floor built nothing");
    Ok(ChildReport {
        engine: "floor".into(),
        elapsed_s,
        entries: rows,
        disk_bytes: bytes,
        phases_ms: vec![
            ("encode".into(), encode_ms),
            ("write+fsync".into(), write_ms),
        ],
        ..ChildReport::default()
    })
}
