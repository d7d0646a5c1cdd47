//! The contact index: which entries belong to a contact.
//!
//! Two kinds of items, merged by every lookup:
//!
//! * **per-entry keys** (`contact_index` tree): `contact 0x00 entry` → marker. Written by single
//!   interactions, in the same transaction as the entry.
//! * **runs** (`index_runs` + `index_run_blocks`): one sorted run per bulk batch. A run's
//!   records are fixed width — the contact's bytes zero-padded to the run's widest contact, then
//!   the entry's offset from the run's base as `u32` big-endian — so byte order is (contact,
//!   entry) order. Records are packed into blocks of ≤ 96 KiB keyed by
//!   `run id ++ first record`. Each run carries a Bloom filter (16 bits per contact, 10 in
//!   runs of over 1M entries; 7 hashes) that lookups consult first, so a lookup over 1,000
//!   runs only seeks the runs that can hold the contact. Run infos (with their filters) are
//!   cached in memory by the store.
//!
//! A run becomes visible when its info is stored, which happens in the batch's commit
//! transaction; blocks of runs at or above the `next_run` counter are staged leftovers that
//! recovery deletes.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use super::bloom::{Bloom, OrderedBlock};
use super::codec::{self, CodecError};
use super::keys;
use crate::domain::{ContactNo, EntryNo, LoggedSegmentNo};

const RUN_BLOCK: &str = "contact index run block";
/// Records per run block are limited so a block stays under this many bytes.
const RUN_BLOCK_BYTES: usize = 96 * 1024;

/// What is stored about a run. Its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Run id (from the `next_run` counter).
    pub run_id: u64,
    /// Entry number that record offsets count from.
    pub base: EntryNo,
    /// Number of records.
    pub count: u64,
    /// Bytes of the contact part of each record.
    pub width: u8,
    /// Number of blocks.
    pub blocks: u32,
    /// Logged segment the run was written for.
    pub logged_segment: Option<LoggedSegmentNo>,
    /// Filter over the run's contacts (empty for an entry-ordered run, whose blocks carry their
    /// own).
    pub bloom: Bloom,
    /// Set when the batch's entries are themselves in contact order (segments built by criteria
    /// are): then the entry blocks are the index, and the run keeps, for each entry block in
    /// order, its first contact, its key and a Bloom filter of its contacts — no blocks of its
    /// own.
    pub order: Option<Vec<OrderedBlock>>,
}

impl RunInfo {
    fn record_len(&self) -> usize {
        self.width as usize + 4
    }
}

/// Collects (contact, entry offset) pairs of one batch and turns them into a run.
///
/// Pairs from parallel workers are appended chunk by chunk in plan order, so the result does
/// not depend on scheduling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunBuilder {
    width: usize,
    /// Records, each `width + 4` bytes.
    recs: Vec<u8>,
}

impl RunBuilder {
    /// A builder for contacts of at most `width` bytes.
    pub fn new(width: usize) -> Self {
        RunBuilder {
            width,
            recs: Vec::new(),
        }
    }

    /// Adds a pair; a contact longer than the width so far widens every record.
    pub fn push(&mut self, contact: &[u8], offset: u32) {
        if contact.len() > self.width {
            let wider = std::mem::take(self).widened(contact.len());
            *self = wider;
        }
        self.recs.extend_from_slice(contact);
        self.recs
            .extend(std::iter::repeat_n(0u8, self.width - contact.len()));
        self.recs.extend_from_slice(&offset.to_be_bytes());
    }

    /// Reserves room for `n` more pairs.
    pub fn reserve(&mut self, n: usize) {
        self.recs.reserve(n * (self.width + 4));
    }

    /// Appends another builder's pairs, widening the narrower records when widths differ.
    pub fn append(&mut self, other: RunBuilder) {
        if other.recs.is_empty() {
            return;
        }
        if self.recs.is_empty() {
            *self = other;
            return;
        }
        let width = self.width.max(other.width);
        let a = std::mem::take(self).widened(width);
        let b = other.widened(width);
        *self = a;
        self.recs.extend_from_slice(&b.recs);
    }

    fn widened(self, width: usize) -> RunBuilder {
        if width == self.width {
            return self;
        }
        let r = self.width + 4;
        let mut out = RunBuilder::new(width);
        out.recs.reserve(self.len() * (width + 4));
        for rec in self.recs.chunks_exact(r) {
            out.recs.extend_from_slice(&rec[..self.width]);
            out.recs
                .extend(std::iter::repeat_n(0u8, width - self.width));
            out.recs.extend_from_slice(&rec[self.width..]);
        }
        out
    }

    /// True when the pairs are already in (contact, entry) order.
    pub fn is_sorted(&self) -> bool {
        let r = self.width + 4;
        self.recs.chunks_exact(r).is_sorted()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.recs.len() / (self.width + 4)
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    fn sort(&mut self) {
        let r = self.width + 4;
        if self.recs.chunks_exact(r).is_sorted() {
            return; // segments built by criteria are usually in contact order already
        }
        if r <= 16 {
            // Pack each record into a u128 (big-endian, zero-padded): integer order = byte order.
            let mut packed: Vec<u128> = self
                .recs
                .par_chunks_exact(r)
                .map(|c| {
                    let mut b = [0u8; 16];
                    b[..r].copy_from_slice(c);
                    u128::from_be_bytes(b)
                })
                .collect();
            packed.par_sort_unstable();
            self.recs
                .par_chunks_exact_mut(r)
                .zip(packed.par_iter())
                .for_each(|(dst, v)| dst.copy_from_slice(&v.to_be_bytes()[..r]));
        } else {
            let mut idx: Vec<u32> = (0..self.len() as u32).collect();
            let recs = &self.recs;
            idx.par_sort_unstable_by(|&a, &b| {
                recs[a as usize * r..(a as usize + 1) * r]
                    .cmp(&recs[b as usize * r..(b as usize + 1) * r])
            });
            let mut out = Vec::with_capacity(self.recs.len());
            for i in idx {
                out.extend_from_slice(&recs[i as usize * r..(i as usize + 1) * r]);
            }
            self.recs = out;
        }
    }

    /// Sorts the pairs and cuts them into blocks. Returns the run info and the blocks as
    /// (key, value) for the `index_run_blocks` tree. `bloom`, when given, already holds every
    /// contact of the pairs (filled while they were collected); otherwise it is built here.
    pub fn finish(
        mut self,
        run_id: u64,
        base: EntryNo,
        logged_segment: Option<LoggedSegmentNo>,
        bloom: Option<Bloom>,
    ) -> (RunInfo, Vec<super::KeyValue>) {
        self.sort();
        let r = self.width + 4;
        let per_block = (RUN_BLOCK_BYTES / r).max(1);
        let n = self.len();
        let bloom = match bloom {
            Some(b) => b,
            None => {
                let mut bloom = Bloom::with_capacity(n, super::bloom::bits_per_key(n as u64));
                let mut prev: Option<&[u8]> = None;
                for rec in self.recs.chunks_exact(r) {
                    let contact = trim_zeros(&rec[..self.width]);
                    if prev != Some(contact) {
                        bloom.insert(contact);
                        prev = Some(contact);
                    }
                }
                bloom
            }
        };
        let blocks: Vec<super::KeyValue> = self
            .recs
            .par_chunks(per_block * r)
            .map(|chunk| {
                let mut key = Vec::with_capacity(8 + r);
                key.extend_from_slice(&keys::num(run_id));
                key.extend_from_slice(&chunk[..r]);
                (key, codec::encode_raw(chunk))
            })
            .collect();
        let info = RunInfo {
            run_id,
            base,
            count: n as u64,
            width: self.width as u8,
            blocks: blocks.len() as u32,
            logged_segment,
            bloom,
            order: None,
        };
        (info, blocks)
    }
}

fn trim_zeros(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    &b[..end]
}

/// A contact being looked up in many runs: its Bloom hashes are computed once.
#[derive(Debug, Clone, Copy)]
pub struct ContactProbe<'a> {
    contact: &'a ContactNo,
    hashes: (u64, u64),
}

impl<'a> ContactProbe<'a> {
    /// A probe for `contact`.
    pub fn new(contact: &'a ContactNo) -> Self {
        ContactProbe {
            contact,
            hashes: super::bloom::bloom_hashes(contact.as_bytes()),
        }
    }

    fn may_be_in(&self, bloom: &Bloom) -> bool {
        bloom.may_contain_hashes(self.hashes.0, self.hashes.1)
    }
}

/// Visits the entry blocks of an entry-ordered run that may hold `contact`: through its
/// sparse list of block boundaries and each block's Bloom filter.
fn candidate_blocks(
    entries: &sled::Tree,
    run: &RunInfo,
    order: &[OrderedBlock],
    probe: &ContactProbe<'_>,
    mut f: impl FnMut(&[u8]) -> Result<(), super::StorageError>,
) -> Result<(), super::StorageError> {
    let contact = probe.contact.as_str();
    let end = run.base.0 + run.count;
    // The last block starting before the contact may hold its first entries.
    let mut i = order
        .partition_point(|b| b.first_contact.as_str() < contact)
        .saturating_sub(1);
    while i < order.len() && order[i].first_contact.as_str() <= contact {
        if probe.may_be_in(&order[i].bloom) {
            let from = order[i].key;
            let to = order.get(i + 1).map_or(end, |b| b.key);
            for kv in entries.range(keys::num(from).as_slice()..keys::num(to).as_slice()) {
                let (_, v) = kv?;
                f(&v)?;
            }
        }
        i += 1;
    }
    Ok(())
}

/// Finds the entries of `contact` in an entry-ordered run.
fn lookup_ordered(
    entries: &sled::Tree,
    run: &RunInfo,
    order: &[OrderedBlock],
    probe: &ContactProbe<'_>,
    out: &mut Vec<EntryNo>,
) -> Result<(), super::StorageError> {
    let (base, end) = (run.base.0, run.base.0 + run.count);
    candidate_blocks(entries, run, order, probe, |v| {
        for e in super::blocks::contact_entries_in_block(v, probe.contact.as_str())? {
            if e.0 >= base && e.0 < end {
                out.push(e);
            }
        }
        Ok(())
    })
}

/// The entries of `contact` in `run` read straight from the blocks the lookup finds them in,
/// when the run is entry-ordered (its entry blocks are its index); `false`, and nothing read,
/// for a classic run (use [`lookup_run`] and read the entries by number).
pub fn ordered_run_entries(
    entries: &sled::Tree,
    run: &RunInfo,
    probe: &ContactProbe<'_>,
    out: &mut Vec<crate::domain::LogEntry>,
) -> Result<bool, super::StorageError> {
    let Some(order) = &run.order else {
        return Ok(false);
    };
    let (base, end) = (run.base.0, run.base.0 + run.count);
    candidate_blocks(entries, run, order, probe, |v| {
        for e in super::blocks::contact_rows_in_block(v, probe.contact.as_str())? {
            if e.entry_no.0 >= base && e.entry_no.0 < end {
                out.push(e);
            }
        }
        Ok(())
    })?;
    Ok(true)
}

/// Finds the entries of `contact` in one run.
pub fn lookup_run(
    entries: &sled::Tree,
    blocks: &sled::Tree,
    run: &RunInfo,
    probe: &ContactProbe<'_>,
    out: &mut Vec<EntryNo>,
) -> Result<(), super::StorageError> {
    if let Some(order) = &run.order {
        return lookup_ordered(entries, run, order, probe, out);
    }
    let c = probe.contact.as_bytes();
    if c.len() > run.width as usize || !probe.may_be_in(&run.bloom) {
        return Ok(());
    }
    let r = run.record_len();
    let mut probe = Vec::with_capacity(8 + r);
    probe.extend_from_slice(&keys::num(run.run_id));
    probe.extend_from_slice(c);
    probe.resize(8 + run.width as usize, 0);
    let contact_padded = probe[8..].to_vec();
    probe.extend_from_slice(&[0, 0, 0, 0]);
    // The block holding the contact's first record starts at or before the probe.
    let start = match blocks.range(..=probe.as_slice()).next_back() {
        Some(kv) => {
            let (k, _) = kv?;
            if k.starts_with(&keys::num(run.run_id)) {
                k.to_vec()
            } else {
                probe.clone()
            }
        }
        None => probe.clone(),
    };
    for kv in blocks.range(start.as_slice()..) {
        let (k, v) = kv?;
        if !k.starts_with(&keys::num(run.run_id))
            || k[8..8 + run.width as usize] > contact_padded[..]
        {
            break;
        }
        let recs = codec::decode_raw(RUN_BLOCK, &v)?;
        if recs.len() % r != 0 {
            return Err(CodecError::Corrupt {
                what: RUN_BLOCK,
                detail: "record area is not a whole number of records".into(),
            }
            .into());
        }
        let n = recs.len() / r;
        // first record ≥ (contact, 0)
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if recs[mid * r..mid * r + run.width as usize] < contact_padded[..] {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut i = lo;
        while i < n && recs[i * r..i * r + run.width as usize] == contact_padded[..] {
            let off = u32::from_be_bytes(
                recs[i * r + run.width as usize..(i + 1) * r]
                    .try_into()
                    .expect("4 bytes"),
            );
            out.push(EntryNo(run.base.0 + off as u64));
            i += 1;
        }
        if i < n {
            break; // a larger contact follows inside this block
        }
    }
    Ok(())
}

/// Every (contact, entry) pair of a run, in order (for verification and clean-up). An
/// entry-ordered run's pairs are read from its entries.
pub fn scan_run(
    entries: &sled::Tree,
    blocks: &sled::Tree,
    run: &RunInfo,
) -> Result<Vec<(Vec<u8>, EntryNo)>, super::StorageError> {
    let mut out = Vec::with_capacity(if run.order.is_some() {
        0
    } else {
        run.count as usize
    });
    for_each_in_run(entries, blocks, run, |c, e| out.push((c.to_vec(), e)))?;
    Ok(out)
}

/// Calls `f` with every (contact, entry) pair of a run, in the run's order, in memory bounded
/// by one block (what [`scan_run`] collects; `verify` checks runs of millions of pairs this
/// way).
pub fn for_each_in_run(
    entries: &sled::Tree,
    blocks: &sled::Tree,
    run: &RunInfo,
    mut f: impl FnMut(&[u8], EntryNo),
) -> Result<(), super::StorageError> {
    if run.order.is_some() {
        let end = run.base.0 + run.count;
        let start = match entries
            .range(..=keys::num(run.base.0).as_slice())
            .next_back()
        {
            Some(kv) => kv?.0.to_vec(),
            None => keys::num(run.base.0).to_vec(),
        };
        for kv in entries.range(start.as_slice()..keys::num(end).as_slice()) {
            let (_, v) = kv?;
            let b = super::blocks::EntryBlock::decode(&v)?;
            for e in b.iter() {
                if e.entry_no.0 >= run.base.0 && e.entry_no.0 < end {
                    f(e.row.contact_no.as_bytes(), e.entry_no);
                }
            }
        }
        return Ok(());
    }
    let r = run.record_len();
    for kv in blocks.scan_prefix(keys::num(run.run_id)) {
        let (_, v) = kv?;
        let recs = codec::decode_raw(RUN_BLOCK, &v)?;
        for rec in recs.chunks_exact(r) {
            let off = u32::from_be_bytes(rec[run.width as usize..].try_into().expect("4 bytes"));
            f(
                trim_zeros(&rec[..run.width as usize]),
                EntryNo(run.base.0 + off as u64),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appending_runs_of_different_widths_pads_the_narrow_ones() {
        let mut a = RunBuilder::new(2);
        a.push(b"AB", 1);
        let mut b = RunBuilder::new(3);
        b.push(b"ABC", 2);
        a.append(b);
        assert_eq!(a.width, 3);
        assert_eq!(
            a.recs,
            [
                b"AB\0".as_slice(),
                &1u32.to_be_bytes(),
                b"ABC",
                &2u32.to_be_bytes()
            ]
            .concat()
        );
    }

    #[test]
    fn runs_sort_wide_and_narrow_records_alike() {
        for width in [6usize, 20] {
            let mut b = RunBuilder::new(width);
            for (c, o) in [("B", 3u32), ("A", 9), ("AB", 1), ("A", 2)] {
                b.push(c.as_bytes(), o);
            }
            b.sort();
            let r = width + 4;
            let got: Vec<(&[u8], u32)> = b
                .recs
                .chunks_exact(r)
                .map(|c| {
                    (
                        trim_zeros(&c[..width]),
                        u32::from_be_bytes(c[width..].try_into().unwrap()),
                    )
                })
                .collect();
            assert_eq!(
                got,
                vec![
                    (&b"A"[..], 2),
                    (&b"A"[..], 9),
                    (&b"AB"[..], 1),
                    (&b"B"[..], 3)
                ]
            );
        }
    }
}
