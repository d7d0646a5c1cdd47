use interlog::batch::{log_segment, LogOptions};
use interlog::ops::segments::NoProgress;
use interlog::ops::Ctx;
use std::time::Instant;

#[test]
#[ignore]
fn probe_log_only() {
    // copy the generated store, then log it (so gen isn't in the profile)
    let n: u64 = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let src = format!("/tmp/probe/s{n}");
    let dir = format!("/tmp/probe/c{n}");
    let _ = std::fs::remove_dir_all(&dir);
    std::process::Command::new("cp")
        .args(["-r", &src, &dir])
        .status()
        .unwrap();
    let store = interlog::storage::Store::open(std::path::Path::new(&dir)).unwrap();
    let ctx = Ctx::at(
        "T",
        "2026-11-28".parse().unwrap(),
        "10:00:00".parse().unwrap(),
    );
    let seg = interlog::ops::segments::list(&store)
        .unwrap()
        .into_iter()
        .find(|s| s.line_count == n)
        .unwrap()
        .no;
    let t = Instant::now();
    let o = log_segment(
        &store,
        &ctx,
        &seg,
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
        &NoProgress,
    )
    .unwrap();
    println!("log {:?} {:?}", t.elapsed(), o.timings);
}
