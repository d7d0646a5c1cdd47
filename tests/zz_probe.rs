use interlog::batch::gen::{generate, GenOptions};
use interlog::batch::{log_segment, LogOptions};
use interlog::ops::segments::NoProgress;
use interlog::ops::Ctx;
use std::time::Instant;

#[test]
#[ignore]
fn probe() {
    let n: u64 = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = std::path::PathBuf::from(format!("/tmp/probe/s{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    let store = interlog::ops::master::init(&dir).unwrap();
    let ctx = Ctx::at(
        "T",
        "2026-11-28".parse().unwrap(),
        "10:00:00".parse().unwrap(),
    );
    let t = Instant::now();
    let r = generate(
        &store,
        &ctx,
        GenOptions {
            contacts: n,
            segment_size: n,
            seed: 1,
        },
        &NoProgress,
    )
    .unwrap();
    println!("gen {:?} {:?}", t.elapsed(), r);
    drop(store);
    let store = interlog::storage::Store::open(&dir).unwrap();
    let seg = r.segment_no.unwrap();
    let t = Instant::now();
    if std::env::var("NOLOG").is_ok() {
        return;
    }
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
    println!("log {:?} {:?}", t.elapsed(), o);
    let c = interlog::batch::gen::contact_no(7);
    let t = Instant::now();
    let es = store.contact_entries(&c).unwrap();
    println!("lookup {:?} {}", t.elapsed(), es.len());
    println!("disk {}", store.disk_size().unwrap());
}
