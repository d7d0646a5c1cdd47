//! Logging a segment, by phase and by size: `plan` (load + check every line), `build` (encode
//! entries, follow-up lines and index pairs in parallel, no writes) and `log` (the whole durable
//! run: plan, build, staged writes, fsync, commit, fsync, clean-up). Each measured run starts
//! from a fresh copy of a generated store (the copy is not timed). `cancel` switches canceled
//! on the logged segment of that size (its entries and campaign entries follow, durably);
//! each iteration flips it, so canceling and un-canceling are measured alike.
//!
//! Sizes: 10k and 100k lines; `INTERLOG_BENCH_1M=1` adds 1M.

#[path = "common.rs"]
mod common;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use interlog::batch::log_segment::{log_segment, plan_only, LogOptions};
use interlog::domain::SegmentNo;
use interlog::ops::logged;
use interlog::ops::segments::NoProgress;
use interlog::storage::Store;

fn sizes() -> Vec<u64> {
    let mut v = vec![10_000, 100_000];
    if std::env::var("INTERLOG_BENCH_1M").is_ok() {
        v.push(1_000_000);
    }
    v
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::TempDir::new().unwrap();
    let seg = SegmentNo::new("SM00001").unwrap();
    let opts = LogOptions {
        follow_up: true,
        dry_run: false,
    };
    let mut group = c.benchmark_group("log_segment");
    group.sample_size(10);
    for n in sizes() {
        let template = common::generated(dir.path(), n);
        group.throughput(Throughput::Elements(n));
        {
            let store = Store::open(&template).unwrap();
            group.bench_with_input(BenchmarkId::new("plan", n), &n, |b, _| {
                b.iter(|| plan_only(&store, &common::ctx(), &seg, opts).unwrap())
            });
            let plan = plan_only(&store, &common::ctx(), &seg, opts).unwrap();
            group.bench_with_input(BenchmarkId::new("build", n), &n, |b, _| {
                b.iter(|| plan.build_parallel(&store).unwrap())
            });
        }
        let work = dir.path().join(format!("work-{n}"));
        group.bench_with_input(BenchmarkId::new("log", n), &n, |b, _| {
            b.iter_batched(
                || {
                    common::copy_dir(&template, &work);
                    Store::open(&work).unwrap()
                },
                |store| {
                    let o = log_segment(&store, &common::ctx(), &seg, opts, &NoProgress).unwrap();
                    assert_eq!(o.entries, n);
                    store
                },
                BatchSize::PerIteration,
            )
        });
        common::copy_dir(&template, &work);
        let store = Store::open(&work).unwrap();
        let logged_no = log_segment(&store, &common::ctx(), &seg, opts, &NoProgress)
            .unwrap()
            .logged_segment_entry_no;
        group.bench_with_input(BenchmarkId::new("cancel", n), &n, |b, _| {
            b.iter(|| {
                let v = logged::switch_canceled(&store, logged_no).unwrap();
                assert_eq!(v.no_of_interactions, n);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
