//! `verify` finds what is wrong in a store: each test corrupts a consistent store in one way
//! (by writing to sled directly, as a bug or a bad disk would) and checks that verify names it.

mod common;

use common::*;
use interlog::batch::{log_segment, LogOptions};
use interlog::domain::*;
use interlog::ops::interactions::{self, InteractionRequest};
use interlog::ops::segments::{self, NoProgress, SegmentInput};
use interlog::ops::verify::{verify, VerifyReport};
use interlog::storage::bloom::Bloom;
use interlog::storage::index::RunInfo;
use interlog::storage::{codec, keys, Store, TreeId};

/// A demo store with single interactions and a logged segment (with follow-up).
fn consistent() -> TestStore {
    let t = TestStore::demo();
    for c in ["CT100125", "CT100002"] {
        interactions::create(
            &t.store,
            &t.ctx,
            &InteractionRequest {
                contact: Some(contact(c)),
                template: Some(template("BUS")),
                ..InteractionRequest::default()
            },
        )
        .unwrap();
    }
    let s = segments::create(
        &t.store,
        &t.ctx,
        &SegmentInput {
            description: "Mailing".into(),
            salesperson: Some(sp("HR")),
            campaign: Some(campaign("CP1001")),
            ..SegmentInput::default()
        },
    )
    .unwrap()
    .record;
    segments::set_interaction(
        &t.store,
        &s.no,
        &segments::InteractionChange {
            template: Some(template("BUS")),
            ..Default::default()
        },
        &NoProgress,
    )
    .unwrap();
    segments::add_contacts(
        &t.store,
        &s.no,
        &[],
        CriteriaOptions::default(),
        &NoProgress,
    )
    .unwrap();
    log_segment(
        &t.store,
        &t.ctx,
        &s.no,
        LogOptions {
            follow_up: true,
            dry_run: false,
        },
        &NoProgress,
    )
    .unwrap();
    t
}

fn problems(store: &Store) -> VerifyReport {
    verify(store).expect("verify runs")
}

fn assert_found(r: &VerifyReport, area: &str, words: &str) {
    assert!(
        r.problems
            .iter()
            .any(|p| p.area == area && p.detail.contains(words)),
        "expected a [{area}] problem mentioning {words:?}, got {:#?}",
        r.problems
    );
}

#[test]
fn a_consistent_store_has_no_problems() {
    let t = consistent();
    let r = problems(&t.store);
    assert!(r.is_ok(), "{:#?}", r.problems);
    assert_eq!(r.entries, 22);
    assert_eq!(r.index_items, 22);
    assert_eq!(r.logged_segments, 1);
}

#[test]
fn a_lost_index_item_is_found() {
    let t = consistent();
    let key = keys::contact_entry(b"CT100125", 1);
    t.store.raw(TreeId::ContactIndex).remove(key).unwrap();
    let r = problems(&t.store);
    assert_found(
        &r,
        "contact index",
        "entry 1 (contact CT100125) is not reachable",
    );
}

#[test]
fn an_index_item_without_its_entry_is_found() {
    let t = consistent();
    t.store
        .raw(TreeId::ContactIndex)
        .insert(keys::contact_entry(b"CT100125", 999), codec::marker())
        .unwrap();
    let r = problems(&t.store);
    assert_found(&r, "contact index", "entry 999) points at no such entry");
}

#[test]
fn a_value_of_an_unknown_format_version_is_found() {
    let t = consistent();
    let mut v = t
        .store
        .raw(TreeId::Contacts)
        .get(b"CT100125")
        .unwrap()
        .unwrap();
    v[0] = 77;
    t.store
        .raw(TreeId::Contacts)
        .insert(b"CT100125", v)
        .unwrap();
    let r = problems(&t.store);
    assert_found(&r, "codec", "format version 77");
}

#[test]
fn a_truncated_entry_block_is_found() {
    let t = consistent();
    let (k, v) = t.store.raw(TreeId::Entries).last().unwrap().unwrap();
    t.store
        .raw(TreeId::Entries)
        .insert(k, &v[..v.len() / 2])
        .unwrap();
    let r = problems(&t.store);
    assert_found(&r, "codec", "entry block");
}

/// The logged segment's entries are in contact order, so its index run is the entry blocks
/// themselves with a Bloom filter per block; verify checks those pairs in its entry walk.
fn ordered_run(store: &Store) -> (Vec<u8>, RunInfo) {
    let runs = store.raw(TreeId::IndexRuns).all().unwrap();
    let (k, v) = runs
        .into_iter()
        .find(|(_, v)| {
            let info: RunInfo = codec::decode("run", v).unwrap();
            info.order.is_some()
        })
        .expect("the logged segment's run is in contact order");
    (k, codec::decode("run", &v).unwrap())
}

fn put_run(store: &Store, key: Vec<u8>, info: &RunInfo) {
    store
        .raw(TreeId::IndexRuns)
        .insert(key, codec::encode("run", info).unwrap())
        .unwrap();
}

#[test]
fn an_ordered_index_run_whose_filters_miss_its_contacts_is_found() {
    let t = consistent();
    let (k, mut info) = ordered_run(&t.store);
    for b in info.order.as_mut().unwrap() {
        b.bloom = Bloom::with_capacity(1, 16); // holds nothing
    }
    put_run(&t.store, k, &info);
    let r = problems(&t.store);
    assert_found(
        &r,
        "contact index",
        &format!("run {}: Bloom filter misses contact", info.run_id),
    );
}

#[test]
fn an_ordered_index_run_that_lost_its_order_is_found() {
    let t = consistent();
    // Without its order the run claims blocks of its own, which it does not have.
    let (k, mut info) = ordered_run(&t.store);
    info.order = None;
    put_run(&t.store, k, &info);
    let r = problems(&t.store);
    assert_found(
        &r,
        "contact index",
        &format!(
            "run {} says {} records but holds 0",
            info.run_id, info.count
        ),
    );
}

#[test]
fn logged_segment_counts_that_disagree_with_its_entries_are_found() {
    let t = consistent();
    let mut l: LoggedSegment = codec::decode(
        "logged segment",
        &t.store
            .raw(TreeId::LoggedSegments)
            .get(keys::num(1))
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    l.entries += 1;
    t.store
        .raw(TreeId::LoggedSegments)
        .insert(keys::num(1), codec::encode("logged segment", &l).unwrap())
        .unwrap();
    let r = problems(&t.store);
    assert_found(&r, "logged segments", "records 21 entries");
}

#[test]
fn staged_data_left_above_the_counters_is_found() {
    let t = consistent();
    let horizon = t.store.entry_horizon().unwrap();
    let (_, block) = t.store.raw(TreeId::Entries).first().unwrap().unwrap();
    t.store
        .raw(TreeId::Entries)
        .insert(horizon.to_key(), block)
        .unwrap();
    let r = problems(&t.store);
    assert_found(&r, "staging", "at or above next_entry");
}

#[test]
fn a_counter_behind_the_numbers_in_use_is_found() {
    let t = consistent();
    t.store
        .raw(TreeId::Meta)
        .insert(
            keys::meta::NEXT_LOGGED,
            codec::encode("counter", &1u64).unwrap(),
        )
        .unwrap();
    let r = problems(&t.store);
    assert_found(&r, "counters", "next_logged is 1");
}

#[test]
fn a_segment_whose_line_count_is_wrong_is_found() {
    let t = consistent();
    let mut h: SegmentHeader = codec::decode(
        "segment",
        &t.store
            .raw(TreeId::Segments)
            .get(b"SM00002")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    h.line_count += 5;
    t.store
        .raw(TreeId::Segments)
        .insert(b"SM00002", codec::encode("segment", &h).unwrap())
        .unwrap();
    let r = problems(&t.store);
    assert_found(&r, "segments", "records 25 lines");
}

#[test]
fn a_number_series_about_to_hand_out_a_number_in_use_is_found() {
    let t = consistent();
    // A contact typed with the number the contact series will give next.
    interlog::ops::master::add_contact(
        &t.store,
        &t.ctx,
        interlog::ops::master::ContactInput {
            no: Some("CT000001".into()),
            name: "Typed".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let r = problems(&t.store);
    assert_found(
        &r,
        "number series",
        "CT000001 exists and is the next number series CONT will hand out",
    );
}

#[test]
fn the_binary_exits_1_when_problems_are_found() {
    let t = consistent();
    t.store
        .raw(TreeId::ContactIndex)
        .remove(keys::contact_entry(b"CT100125", 1))
        .unwrap();
    let path = t.path();
    drop(t.store);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interlog"))
        .arg("--store")
        .arg(&path)
        .args(["--json", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["problems"].as_array().unwrap().is_empty());
}
