//! Entry blocks and segment-line blocks: many rows per sled value, in a compact hand-made row
//! encoding.
//!
//! sled costs 10–15 µs per key and copies every value several times on its way to disk
//! (STORAGE-NOTES.md), so bulk records are packed and every byte counts:
//!
//! * a block's **header** (bincode) holds the fields its rows share, a salesperson dictionary, a
//!   company dictionary, the row count, the row keys when they are not simply `0..n`, and a
//!   restart table;
//! * each **row** holds only what differs: one byte packing flags, correspondence type and
//!   evaluation; the salesperson's dictionary index; the company (none, itself, the previous
//!   row's, or a dictionary index); the contact number as the length of the prefix it shares with
//!   the previous row's plus the rest (rows come in contact order when built by criteria, so the
//!   shared prefix is long); and, only when the row differs in any other field, a full copy of
//!   the shared part (bincode);
//! * every [`RESTART`] rows the compression starts over (no shared prefix, no "previous
//!   company"), and the header records where, so one row is read by decoding at most
//!   `RESTART` small rows.
//!
//! A row is `[length varint][content]`; the content's first byte holds the flags, so the cancel
//! cascade flips them without decoding anything else ([`set_flag_where`]).
//!
//! Blocks are cut at [`MAX_BLOCK_ROWS`] rows or [`MAX_BLOCK_BYTES`] bytes. Entry block key = its
//! first entry number; line block key = (generation, first line number). The encodings here
//! are the on-disk format (see `storage::codec`).
//!
//! Files: `row` is the generic row codec (header, dictionaries, restart table, row cursor,
//! builder) every block kind is made of; `entry` holds entry blocks (and the in-place flag
//! flips of the cancel cascade); `line` holds segment-line blocks; `contact` holds contact
//! blocks (master data stored in bulk, see `storage::contacts`).

use crate::domain::*;

mod contact;
mod entry;
mod line;
mod row;

pub use contact::*;
pub use entry::*;
pub use line::*;
pub use row::{CompanyArg, CompanyRef, SharedArg};

/// An encoded entry block and its key.
pub type EncodedBlock = (EntryNo, Vec<u8>);

/// Most rows in one block.
pub const MAX_BLOCK_ROWS: usize = 8192;
/// A block is closed once its rows reach this many bytes.
pub const MAX_BLOCK_BYTES: usize = 96 * 1024;
/// Rows between two restart points (where prefix compression starts over).
pub const RESTART: usize = 32;

const ENTRY_BLOCK: &str = "interaction log entry block";
const LINE_BLOCK: &str = "segment line block";

/// Row flag: canceled.
pub const FLAG_CANCELED: u8 = 1;
/// Row flag: attempt failed.
pub const FLAG_FAILED: u8 = 2;
/// Row flag: postponed.
pub const FLAG_POSTPONED: u8 = 4;
/// Row flag (lines): description typed for this line.
pub const FLAG_DESCRIPTION_TYPED: u8 = 8;

#[cfg(test)]
mod tests;
