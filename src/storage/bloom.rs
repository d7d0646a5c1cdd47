//! Bloom filters over contact numbers and the stable hash they (and `verify`) use.
//!
//! Shared by the entry-block builder (which keeps one filter per block of an entry-ordered
//! run, [`OrderedBlock`]) and the contact index (one filter per classic run). Kept apart from
//! both so neither imports the other for it. Filters are stored: the hash and the bit layout
//! are part of the on-disk format.

use serde::{Deserialize, Serialize};

/// Bits per key of the filters of a run of at most [`LARGE_RUN`] entries. Readers take a
/// filter's size from its bytes, so filters written with another size (10 for every run
/// before 2026-12-04) keep working; the number of hashes is part of the format and cannot
/// change. 16 bits and 7 hashes in 512-bit blocks: 0.21 % false positives (10 bits: 1.1 %;
/// test `sixteen_bits_a_key_cut_false_positives_fivefold`), so a lookup over 1,000 runs reads
/// ~2 blocks it did not need instead of ~11.
const SMALL_RUN_BITS: usize = 16;
/// Bits per key of the filters of a larger run.
const LARGE_RUN_BITS: usize = 10;
/// Runs of more entries than this get filters of 10 bits a key ([`bits_per_key`]).
pub const LARGE_RUN: u64 = 1_000_000;

/// Bits per key for the filters of a run of `entries` entries. A lookup checks one filter per
/// run, so what false positives cost grows with the number of runs, not with their size: small
/// runs, which a store may hold thousands of, get 16 bits; runs of over 1M entries, which a
/// store holds few of, keep 10 — their filters are held in memory while the run is committed,
/// and at 16 bits the 10M-line log's peak RSS grew by ~20 MiB.
pub fn bits_per_key(run_entries: u64) -> usize {
    if run_entries > LARGE_RUN {
        LARGE_RUN_BITS
    } else {
        SMALL_RUN_BITS
    }
}
const BLOOM_HASHES: u32 = 7;

/// A Bloom filter over contact numbers. Deterministic (same contacts, same bits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bloom {
    bits: Vec<u8>,
}

/// FNV-1a over `parts` one after the other, then the splitmix64 finalizer: stable across
/// builds and platforms (Bloom filters are stored).
pub(crate) fn hash64(parts: &[&[u8]], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for &b in parts.iter().flat_map(|p| p.iter()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Bits of one block: a 64-byte cache line.
const BLOCK_BITS: u64 = 512;

/// Where a key's bits go: one 512-bit block (one cache line) and `BLOOM_HASHES` bits in it, so
/// an insert or a lookup touches one cache line whatever the filter's size.
fn block_and_bits_of(h1: u64, h2: u64, blocks: u64) -> (usize, [u16; BLOOM_HASHES as usize]) {
    let block = (h1 % blocks) as usize;
    let mut bits = [0u16; BLOOM_HASHES as usize];
    for (i, b) in bits.iter_mut().enumerate() {
        *b = ((h2 >> 7).wrapping_add((i as u64).wrapping_mul(h2)) % BLOCK_BITS) as u16;
    }
    (block, bits)
}

/// The two hashes a Bloom filter derives a key's bits from.
pub fn bloom_hashes(key: &[u8]) -> (u64, u64) {
    (hash64(&[key], 0), hash64(&[key], 0x9e37_79b9_7f4a_7c15) | 1)
}

impl Bloom {
    /// A filter holding the keys whose [`bloom_hashes`] are given.
    pub fn from_hashes(hashes: &[(u64, u64)], bits_per_key: usize) -> Self {
        let mut b = Bloom::with_capacity(hashes.len(), bits_per_key);
        for &(h1, h2) in hashes {
            b.insert_hashes(h1, h2);
        }
        b
    }

    /// A filter that holds nothing.
    pub fn empty() -> Self {
        Bloom { bits: Vec::new() }
    }

    /// An empty filter sized for `n` keys (a whole number of 64-byte blocks).
    pub fn with_capacity(n: usize, bits_per_key: usize) -> Self {
        let blocks = (n.max(1) * bits_per_key.max(1)).div_ceil(BLOCK_BITS as usize);
        Bloom {
            bits: vec![0; blocks * 64],
        }
    }

    fn blocks(&self) -> u64 {
        (self.bits.len() / 64) as u64
    }

    /// Adds a key.
    pub fn insert(&mut self, key: &[u8]) {
        let (h1, h2) = bloom_hashes(key);
        self.insert_hashes(h1, h2);
    }

    /// Adds a key given by its [`bloom_hashes`].
    pub fn insert_hashes(&mut self, h1: u64, h2: u64) {
        let (block, bits) = block_and_bits_of(h1, h2, self.blocks());
        let line = &mut self.bits[block * 64..block * 64 + 64];
        for b in bits {
            line[b as usize / 8] |= 1 << (b % 8);
        }
    }

    /// False when the key is certainly absent.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        let (h1, h2) = bloom_hashes(key);
        self.may_contain_hashes(h1, h2)
    }

    /// [`Bloom::may_contain`] for a key given by its [`bloom_hashes`]: a lookup over many
    /// filters hashes its key once.
    pub fn may_contain_hashes(&self, h1: u64, h2: u64) -> bool {
        if self.bits.len() < 64 {
            return false;
        }
        let (block, bits) = block_and_bits_of(h1, h2, self.blocks());
        let line = &self.bits[block * 64..block * 64 + 64];
        bits.iter()
            .all(|&b| line[b as usize / 8] & (1 << (b % 8)) != 0)
    }
}

/// One entry block of an entry-ordered run. Its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedBlock {
    /// Contact of the block's first row.
    pub first_contact: String,
    /// The block's key (first entry number) when it was written.
    pub key: u64,
    /// Filter over the block's contacts.
    pub bloom: Bloom,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_from_hashes_equals_one_filled_by_key() {
        let keys: Vec<String> = (0..500).map(|i| format!("CT{i:06}")).collect();
        let hashes: Vec<(u64, u64)> = keys.iter().map(|k| bloom_hashes(k.as_bytes())).collect();
        let mut plain = Bloom::with_capacity(500, SMALL_RUN_BITS);
        for k in &keys {
            plain.insert(k.as_bytes());
        }
        assert_eq!(Bloom::from_hashes(&hashes, SMALL_RUN_BITS), plain);
    }

    #[test]
    fn bloom_has_no_false_negatives() {
        let mut b = Bloom::with_capacity(1000, SMALL_RUN_BITS);
        for i in 0..1000 {
            b.insert(format!("CT{i:06}").as_bytes());
        }
        for i in 0..1000 {
            assert!(b.may_contain(format!("CT{i:06}").as_bytes()));
        }
        let fp = (1000..11000)
            .filter(|i| b.may_contain(format!("CT{i:06}").as_bytes()))
            .count();
        assert!(fp < 300, "false positive rate too high: {fp}/10000");
    }

    /// A filter of `bits` bits a key over `keys`.
    fn sized(keys: &[(u64, u64)], bits: usize) -> Bloom {
        let blocks = (keys.len() * bits).div_ceil(BLOCK_BITS as usize);
        let mut b = Bloom {
            bits: vec![0; blocks * 64],
        };
        for &(h1, h2) in keys {
            b.insert_hashes(h1, h2);
        }
        b
    }

    #[test]
    fn sixteen_bits_a_key_cut_false_positives_fivefold() {
        let n = 20_000;
        let keys: Vec<(u64, u64)> = (0..n)
            .map(|i| bloom_hashes(format!("CT{i:07}").as_bytes()))
            .collect();
        let new = Bloom::from_hashes(&keys, bits_per_key(10_000));
        assert_eq!(new, sized(&keys, 16));
        let old = sized(&keys, 10);
        assert_eq!(old, Bloom::from_hashes(&keys, bits_per_key(LARGE_RUN + 1)));
        let fp = |b: &Bloom| {
            (n..n + 200_000)
                .filter(|i| b.may_contain(format!("CT{i:07}").as_bytes()))
                .count()
        };
        let (fp_new, fp_old) = (fp(&new), fp(&old));
        eprintln!("false positives of 200000: 16 bits {fp_new}, 10 bits {fp_old}");
        assert!(fp_new < 500, "16 bits a key: {fp_new} of 200000");
        assert!(fp_new * 5 < fp_old, "16 bits {fp_new} vs 10 bits {fp_old}");
    }

    /// A filter written with 10 bits a key (stores made before 16) is read by its size.
    #[test]
    fn filters_of_another_size_still_hold_their_keys() {
        let keys: Vec<(u64, u64)> = (0..3000)
            .map(|i| bloom_hashes(format!("KT{i:05}").as_bytes()))
            .collect();
        let old = sized(&keys, 10);
        assert!(old.bits.len() < Bloom::with_capacity(keys.len(), SMALL_RUN_BITS).bits.len());
        for &(h1, h2) in &keys {
            assert!(old.may_contain_hashes(h1, h2));
        }
        let fp = (3000..23_000)
            .filter(|i| old.may_contain(format!("KT{i:05}").as_bytes()))
            .count();
        assert!(fp < 400, "false positives: {fp} of 20000");
    }
}
