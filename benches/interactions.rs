//! Single interactions: creating one durably (the command's whole cost: checks, one
//! transaction, flush and fsync) and reading entries back, by number and by contact, on a
//! small store and on one that already holds a logged segment of 100k entries (1M with
//! `INTERLOG_BENCH_1M=1`), so growth with the store shows.

#[path = "common.rs"]
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use interlog::batch::log_segment::{log_segment, LogOptions};
use interlog::datagen::contact_no;
use interlog::domain::{EntryNo, SegmentNo, TemplateCode};
use interlog::ops::interactions::{self, InteractionRequest};
use interlog::ops::segments::NoProgress;
use interlog::storage::Store;

fn bench(c: &mut Criterion) {
    let dir = tempfile::TempDir::new().unwrap();
    let mut sizes = vec![1_000u64, 100_000];
    if std::env::var("INTERLOG_BENCH_1M").is_ok() {
        sizes.push(1_000_000);
    }
    let mut group = c.benchmark_group("interaction");
    for n in sizes {
        let template = common::generated(dir.path(), n);
        let work = dir.path().join(format!("work-{n}"));
        common::copy_dir(&template, &work);
        let store = Store::open(&work).unwrap();
        let seg = SegmentNo::new("SM00001").unwrap();
        log_segment(
            &store,
            &common::ctx(),
            &seg,
            LogOptions::default(),
            &NoProgress,
        )
        .unwrap();
        let req = InteractionRequest {
            contact: Some(contact_no(n / 2)),
            template: Some(TemplateCode::new("GENLETTER").unwrap()),
            ..InteractionRequest::default()
        };
        group.bench_with_input(BenchmarkId::new("create_durable", n), &n, |b, _| {
            b.iter(|| interactions::create(&store, &common::ctx(), &req).unwrap())
        });
        let mut i = 0u64;
        group.bench_with_input(BenchmarkId::new("get_entry", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 7919) % n;
                store.entry(EntryNo(i + 1)).unwrap().unwrap()
            })
        });
        let mut k = 0u64;
        group.bench_with_input(BenchmarkId::new("contact_history", n), &n, |b, _| {
            b.iter(|| {
                k = (k + 7919) % n;
                store.contact_entries(&contact_no(k)).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
