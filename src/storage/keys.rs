//! Hand-encoded keys: byte order equals logical order.
//!
//! * numbers: 8 bytes big-endian;
//! * codes: their UTF-8 bytes (codes contain no control characters, so a `0x00` separator after
//!   a code sorts before every longer code with the same prefix: `AB\0…` < `ABC\0…`);
//! * composite keys concatenate the parts.
//!
//! Trees and their keys:
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | name | counters (`u64`) |
//! | `setup` | `setup` | marketing setup |
//! | `series`, `contacts`, `salespeople`, `groups`, `templates`, `campaigns`, `segments`, `saved_criteria` | code | record |
//! | `entries` | first entry no. | entry block |
//! | `contact_blocks` | block id | contact block (see `storage::contacts`) |
//! | `contact_index` | contact `0x00` entry no. | marker |
//! | `index_runs` | run id | run info (width, base, Bloom filter) |
//! | `index_run_blocks` | run id, first record | packed (contact, offset) records |
//! | `postponed` | entry no. | marker |
//! | `lines` | generation, first line no. | segment line block |
//! | `logged_segments` | logged segment no. | logged segment |
//! | `logged_by_segment` | segment no. | logged segment no. |
//! | `campaign_entries` | campaign entry no. | campaign entry |
//! | `garbage` | generation | marker: line blocks to delete |
//! | `jobs` | job id | batch job progress |
//! | `user_setup` | user id (upper case) | user setup |

/// Big-endian bytes of a number.
pub fn num(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Reads a big-endian number from the first 8 bytes of a key.
pub fn read_num(key: &[u8]) -> Option<u64> {
    key.get(..8)
        .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
}

/// `num(a) ++ num(b)`.
pub fn num2(a: u64, b: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&a.to_be_bytes());
    k[8..].copy_from_slice(&b.to_be_bytes());
    k
}

/// Reads the second number of a [`num2`] key.
pub fn read_num2(key: &[u8]) -> Option<(u64, u64)> {
    Some((read_num(key)?, read_num(key.get(8..)?)?))
}

/// Key of a per-entry contact index item: contact bytes, `0x00`, entry number.
pub fn contact_entry(contact: &[u8], entry: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(contact.len() + 9);
    k.extend_from_slice(contact);
    k.push(0);
    k.extend_from_slice(&entry.to_be_bytes());
    k
}

/// Prefix of every per-entry contact index key of `contact`.
pub fn contact_prefix(contact: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(contact.len() + 1);
    k.extend_from_slice(contact);
    k.push(0);
    k
}

/// Names of the counters in the `meta` tree.
pub mod meta {
    /// Marker written by `init`: the store's layout version.
    pub const LAYOUT: &[u8] = b"layout";
    /// Next interaction log entry number (entries at or above it are staged, not visible).
    pub const NEXT_ENTRY: &[u8] = b"next_entry";
    /// Next logged segment entry number.
    pub const NEXT_LOGGED: &[u8] = b"next_logged";
    /// Next campaign entry number.
    pub const NEXT_CAMPAIGN_ENTRY: &[u8] = b"next_campaign_entry";
    /// Next line block generation (generations at or above it are staged).
    pub const NEXT_GEN: &[u8] = b"next_gen";
    /// Next contact index run id (runs at or above it are staged).
    pub const NEXT_RUN: &[u8] = b"next_run";
    /// Bumped whenever a stored contact changes or disappears (never, so far).
    pub const CONTACTS_EPOCH: &[u8] = b"contacts_epoch";
    /// The contact block directory (not a counter: a `ContactDirectory`).
    pub const CONTACT_DIR: &[u8] = b"contact_dir";
    /// Next contact block id (blocks at or above it are staged, not visible).
    pub const NEXT_CONTACT_BLOCK: &[u8] = b"next_contact_block";
    /// First live contact block id (blocks below it were replaced: garbage).
    pub const CONTACT_BLOCKS_FROM: &[u8] = b"contact_blocks_from";
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn number_keys_sort_like_numbers(a: u64, b: u64) {
            prop_assert_eq!(num(a).cmp(&num(b)), a.cmp(&b));
        }

        #[test]
        fn pair_keys_sort_like_pairs(a: (u64, u64), b: (u64, u64)) {
            prop_assert_eq!(num2(a.0, a.1).cmp(&num2(b.0, b.1)), a.cmp(&b));
        }

        #[test]
        fn contact_keys_sort_by_contact_then_entry(
            c1 in "[A-Z0-9]{1,20}", c2 in "[A-Z0-9]{1,20}", e1: u64, e2: u64
        ) {
            let k1 = contact_entry(c1.as_bytes(), e1);
            let k2 = contact_entry(c2.as_bytes(), e2);
            prop_assert_eq!(k1.cmp(&k2), (c1.as_bytes(), e1).cmp(&(c2.as_bytes(), e2)));
            prop_assert!(k1.starts_with(&contact_prefix(c1.as_bytes())));
        }
    }
}
