//! Bytes → every stored-value decoder: `codec::decode` of a contact, a number series, a
//! segment header, a logged segment and saved segment criteria; `EntryBlock::decode` / `read_one`, `LineBlock::decode`
//! / `summary`, and materialising what they decoded. Decoding may refuse; it must never panic.
//! What decodes must encode again and decode to the same value.
//!
//! The codec decodes with a size limit (`storage::codec::MAX_VALUE_BYTES`), so a damaged
//! length prefix is a `CodecError`, not an allocation failure (this target found that).
#![no_main]

use interlog::domain::*;
use interlog::storage::blocks::{EntryBlock, LineBlock};
use interlog::storage::codec;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = codec::decode::<T>("fuzzed value", data) {
        let bytes = codec::encode("fuzzed value", &v).expect("a decoded value encodes");
        let again: T = codec::decode("fuzzed value", &bytes).expect("its encoding decodes");
        assert_eq!(v, again);
    }
}

fn entry_block(data: &[u8]) {
    if let Ok(block) = EntryBlock::decode(data) {
        let entries = block.entries();
        for e in entries.iter().take(64) {
            let one = EntryBlock::read_one(data, e.entry_no).expect("a decodable block reads");
            assert_eq!(one.as_ref(), Some(e), "read_one differs from decode");
        }
        if let Ok(bytes) = block.encode() {
            let again = EntryBlock::decode(&bytes).expect("a re-encoded block decodes");
            assert_eq!(again.entries(), entries);
        }
    }
    for n in [0, 1, 1001, 1002, u64::MAX] {
        let _ = EntryBlock::read_one(data, EntryNo(n));
    }
    if let Some(tail) = data.len().checked_sub(8).and_then(|i| data.get(i..)) {
        let n = u64::from_le_bytes(tail.try_into().expect("8 bytes"));
        let _ = EntryBlock::read_one(data, EntryNo(n));
    }
}

fn line_block(data: &[u8]) {
    if let Ok(block) = LineBlock::decode(data) {
        let lines = block.lines();
        let summary = LineBlock::summary(data).expect("a decodable block has a summary");
        assert_eq!(summary.rows, lines.len());
    }
    let _ = LineBlock::summary(data);
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Contact>(data);
    round_trip::<NoSeries>(data);
    round_trip::<SegmentHeader>(data);
    round_trip::<LoggedSegment>(data);
    round_trip::<SavedCriteria>(data);
    entry_block(data);
    line_block(data);
});
