//! Contact history lookup on a store with many logged segments: every logged segment adds one
//! sorted index run with a Bloom filter, and a lookup merges the per-entry index keys with the
//! runs that may hold the contact. Default: 1M contacts, 100 logged segments of 10k lines (1M
//! entries); `INTERLOG_BENCH_HISTORY=full` builds 1,000 logged segments (10M entries) — the
//! issue's target case (≈ 10–15 minutes of setup on 2 cores, mostly decoding contact blocks
//! to check each segment's 10k contacts, which are spread over all 1M). `create_durable` then
//! creates one interaction at a time on that store (checks, one transaction, flush and
//! fsync), to show that its latency does not grow with the store (compare
//! `interaction/create_durable/1000`).

#[path = "common.rs"]
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use interlog::batch::log_segment::{log_segment, LogOptions};
use interlog::datagen::{contact_no, generate, GenOptions};
use interlog::domain::TemplateCode;
use interlog::ops::interactions::{self, EntryFilter, InteractionRequest};
use interlog::ops::master;
use interlog::ops::segments::{self, InteractionChange, NoProgress, SegmentInput};

const CONTACTS: u64 = 1_000_000;
const LINES: u64 = 10_000;

fn bench(c: &mut Criterion) {
    let full = std::env::var("INTERLOG_BENCH_HISTORY").is_ok_and(|v| v == "full");
    let segments_n: u64 = if full { 1_000 } else { 100 };
    let dir = tempfile::TempDir::new().unwrap();
    let store = master::init(&dir.path().join("store")).unwrap();
    let ctx = common::ctx();
    generate(
        &store,
        &ctx,
        GenOptions {
            contacts: CONTACTS,
            segment_size: 0,
            seed: 5,
        },
        &NoProgress,
    )
    .unwrap();
    let template = TemplateCode::new("GENLETTER").unwrap();
    for k in 0..segments_n {
        let h = segments::create(
            &store,
            &ctx,
            &SegmentInput {
                description: format!("Mailing {k}"),
                ..SegmentInput::default()
            },
        )
        .unwrap()
        .record;
        segments::set_interaction(
            &store,
            &h.no,
            &InteractionChange {
                template: Some(template.clone()),
                ..InteractionChange::default()
            },
            &NoProgress,
        )
        .unwrap();
        // 10k contacts spread over the whole range, in contact order (as criteria give them).
        let step = CONTACTS / LINES;
        let list: Vec<_> = (0..LINES)
            .map(|j| contact_no((j * step + k * 7919) % CONTACTS))
            .collect();
        let mut list = list;
        list.sort();
        segments::add_contact_list(&store, &h.no, &list, &NoProgress).unwrap();
        log_segment(&store, &ctx, &h.no, LogOptions::default(), &NoProgress).unwrap();
    }
    let entries = store.entry_horizon().unwrap().0 - 1;
    let mut group = c.benchmark_group("contact_history");
    let mut i = 0u64;
    group.bench_with_input(BenchmarkId::new("library", entries), &entries, |b, _| {
        b.iter(|| {
            i = (i + 104_729) % CONTACTS;
            store.contact_entries(&contact_no(i)).unwrap()
        })
    });
    let mut j = 0u64;
    group.bench_with_input(
        BenchmarkId::new("interaction_list", entries),
        &entries,
        |b, _| {
            b.iter(|| {
                j = (j + 104_729) % CONTACTS;
                interactions::list(
                    &store,
                    &EntryFilter {
                        contact: Some(contact_no(j)),
                        ..EntryFilter::default()
                    },
                )
                .unwrap()
            })
        },
    );
    let req = InteractionRequest {
        contact: Some(contact_no(CONTACTS / 2)),
        template: Some(template.clone()),
        ..InteractionRequest::default()
    };
    group.bench_with_input(
        BenchmarkId::new("create_durable", entries),
        &entries,
        |b, _| b.iter(|| interactions::create(&store, &ctx, &req).unwrap()),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
