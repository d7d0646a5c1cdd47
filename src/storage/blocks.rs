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

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::codec::{self, get_varint, put_varint, CodecError};
use crate::domain::*;

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

/// How a row names its contact's company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompanyRef {
    /// No company.
    None,
    /// The contact is its own company.
    Same,
    /// Another contact.
    Other(ContactNo),
}

/// A company reference as a builder takes it (borrowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompanyArg<'a> {
    /// No company.
    None,
    /// The contact is its own company.
    Same,
    /// Another contact (its number).
    Other(&'a str),
}

impl CompanyRef {
    /// The borrowed form.
    pub fn arg(&self) -> CompanyArg<'_> {
        match self {
            CompanyRef::None => CompanyArg::None,
            CompanyRef::Same => CompanyArg::Same,
            CompanyRef::Other(c) => CompanyArg::Other(c.as_str()),
        }
    }

    /// Encodes `company` relative to `contact`.
    pub fn new(contact: &ContactNo, company: Option<&ContactNo>) -> Self {
        match company {
            None => CompanyRef::None,
            Some(c) if c == contact => CompanyRef::Same,
            Some(c) => CompanyRef::Other(c.clone()),
        }
    }

    /// The company number.
    pub fn resolve(&self, contact: &ContactNo) -> Option<ContactNo> {
        match self {
            CompanyRef::None => None,
            CompanyRef::Same => Some(contact.clone()),
            CompanyRef::Other(c) => Some(c.clone()),
        }
    }
}

/// A small dictionary of values shared by rows, built while rows are added. Most blocks hold a
/// handful of distinct values, so lookups scan; a map takes over when the dictionary grows.
struct Dict<T: Eq + std::hash::Hash + Clone> {
    values: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T: Eq + std::hash::Hash + Clone> Default for Dict<T> {
    fn default() -> Self {
        Dict {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }
}

const DICT_SCAN: usize = 16;

impl<T: Eq + std::hash::Hash + Clone> Dict<T> {
    fn id_by<Q>(&mut self, v: &Q, make: impl FnOnce() -> T) -> u32
    where
        T: std::borrow::Borrow<Q>,
        Q: ?Sized + Eq + std::hash::Hash,
    {
        if self.values.len() <= DICT_SCAN {
            if let Some(i) = self.values.iter().position(|x| x.borrow() == v) {
                return i as u32;
            }
        } else if let Some(&i) = self.index.get(v) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(make());
        if self.values.len() == DICT_SCAN + 1 {
            self.index = self
                .values
                .iter()
                .enumerate()
                .map(|(i, x)| (x.clone(), i as u32))
                .collect();
        } else if self.values.len() > DICT_SCAN {
            self.index.insert(self.values[i as usize].clone(), i);
        }
        i
    }

    fn id(&mut self, v: &T) -> u32 {
        self.id_by(v, || v.clone())
    }

    fn take(&mut self) -> Vec<T> {
        self.index.clear();
        std::mem::take(&mut self.values)
    }
}

/// Which shared part a pushed row uses.
pub enum SharedArg<'a, S> {
    /// The builder's default (set with `with_default`): compared once per block, not per row.
    Default,
    /// Its own.
    Own(&'a S),
}

impl<S> Clone for SharedArg<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for SharedArg<'_, S> {}

/// The keys (offsets from the first number) of a block's rows.
#[derive(Serialize, Deserialize)]
enum RowKeys {
    /// `0, 1, 2, …` (entries of a batch).
    Dense,
    /// `0, step, 2·step, …` (segment lines, numbered in steps of 10000).
    Step(u32),
    /// Anything else, listed.
    List(Vec<u32>),
}

impl RowKeys {
    /// The most compact description of `keys` (increasing, starting at 0).
    fn of(keys: Vec<u32>) -> RowKeys {
        let step = keys.get(1).copied().unwrap_or(1);
        if keys.iter().enumerate().all(|(i, &k)| k as u64 == i as u64) {
            RowKeys::Dense
        } else if step > 0
            && keys
                .iter()
                .enumerate()
                .all(|(i, &k)| k as u64 == i as u64 * step as u64)
        {
            RowKeys::Step(step)
        } else {
            RowKeys::List(keys)
        }
    }
}

/// The header of every block. Its encoding is part of the on-disk format.
#[derive(Serialize, Deserialize)]
struct BlockHeader<S, D> {
    /// Number the row keys count from.
    first: u64,
    /// Number of rows.
    rows: u32,
    /// Row keys (offsets from `first`).
    keys: RowKeys,
    /// Body offset of every `RESTART`-th row.
    restarts: Vec<u32>,
    /// Salesperson dictionary.
    dict: Vec<D>,
    /// Shared part.
    shared: S,
    /// Rows that carry their own shared part.
    overrides: u32,
}

fn corrupt(what: &'static str, detail: &str) -> CodecError {
    CodecError::Corrupt {
        what,
        detail: detail.to_string(),
    }
}

impl<S, D> BlockHeader<S, D> {
    /// Checks what the header says about the rows before anything relies on it.
    fn check(&self, what: &'static str, body_len: usize) -> Result<(), CodecError> {
        let n = self.rows as usize;
        match &self.keys {
            RowKeys::List(keys) => {
                if keys.len() != n || keys.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(corrupt(
                        what,
                        "row keys do not match the row count or do not increase",
                    ));
                }
            }
            RowKeys::Step(step) => {
                if *step == 0 || (n as u64).saturating_sub(1) * *step as u64 > u32::MAX as u64 {
                    return Err(corrupt(what, "row key step out of range"));
                }
            }
            RowKeys::Dense => {
                if n > u32::MAX as usize {
                    return Err(corrupt(what, "too many rows"));
                }
            }
        }
        if let Some(last) = n.checked_sub(1) {
            if self.first.checked_add(self.key(last) as u64).is_none() {
                return Err(corrupt(what, "row numbers overflow"));
            }
        }
        if self.restarts.len() != n.div_ceil(RESTART)
            || self.restarts.first().is_some_and(|&r| r != 0)
            || self.restarts.windows(2).any(|w| w[0] >= w[1])
            || self
                .restarts
                .last()
                .is_some_and(|&r| r as usize >= body_len)
        {
            return Err(corrupt(what, "restart table does not match the rows"));
        }
        Ok(())
    }

    /// Key (offset from `first`) of row `i` (checked against the row count by `check`).
    fn key(&self, i: usize) -> u32 {
        match &self.keys {
            RowKeys::Dense => i as u32,
            RowKeys::Step(step) => i as u32 * step,
            RowKeys::List(k) => k[i],
        }
    }

    /// Index of the row with key `key`.
    fn find(&self, key: u32) -> Option<usize> {
        let i = match &self.keys {
            RowKeys::Dense => key as usize,
            RowKeys::Step(step) if key.is_multiple_of(*step) => (key / step) as usize,
            RowKeys::Step(_) => return None,
            RowKeys::List(k) => return k.binary_search(&key).ok(),
        };
        (i < self.rows as usize).then_some(i)
    }
}

fn enum_index<T: PartialEq + Copy>(all: &[T], v: T) -> u8 {
    all.iter().position(|x| *x == v).unwrap_or(0) as u8
}

fn enum_at<T: Copy>(what: &'static str, all: &[T], i: u8) -> Result<T, CodecError> {
    all.get(i as usize)
        .copied()
        .ok_or_else(|| corrupt(what, "option value out of range"))
}

/// The parts every row has, as read from the body.
struct RawRow<'b> {
    /// Start of the row (its length) in the body.
    row_start: usize,
    head: [u8; 2],
    salesperson: u32,
    company: RawCompany,
    shared: Option<&'b [u8]>,
    comments: Option<&'b [u8]>,
}

/// A row's company as read: its number, when another contact's, is in [`RowCursor::company`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum RawCompany {
    None,
    Same,
    Other,
}

/// Company tags in a row.
const COMPANY_NONE: u8 = 0;
const COMPANY_SAME: u8 = 1;
/// The previous row's company.
const COMPANY_AS_PREVIOUS: u8 = 2;
/// The previous row's contact (persons follow their company in contact order).
const COMPANY_PREVIOUS_CONTACT: u8 = 3;
/// Written out: the length of the prefix it shares with this row's contact, then the rest.
const COMPANY_INLINE: u8 = 4;

/// Walks the rows of a block body, undoing the prefix compression.
struct RowCursor<'b> {
    what: &'static str,
    body: &'b [u8],
    pos: usize,
    row: usize,
    rows: usize,
    head_len: usize,
    contact: Vec<u8>,
    prev_contact: Vec<u8>,
    company: Vec<u8>,
    has_company: bool,
}

const EXTRA_SHARED: u8 = 1;
const EXTRA_COMMENTS: u8 = 2;

impl<'b> RowCursor<'b> {
    fn new(what: &'static str, body: &'b [u8], rows: usize, head_len: usize) -> Self {
        RowCursor {
            what,
            body,
            pos: 0,
            row: 0,
            rows,
            head_len,
            contact: Vec::with_capacity(24),
            prev_contact: Vec::with_capacity(24),
            company: Vec::with_capacity(24),
            has_company: false,
        }
    }

    /// Jumps to row `row`, which must be a restart row at body offset `at`.
    fn seek(&mut self, row: usize, at: usize) {
        self.row = row;
        self.pos = at;
    }

    /// The contact of the last row read.
    fn contact(&self) -> Result<&str, CodecError> {
        std::str::from_utf8(&self.contact)
            .map_err(|_| corrupt(self.what, "contact number is not UTF-8"))
    }

    /// The company of the last row read, when it is another contact.
    fn company(&self) -> Result<&str, CodecError> {
        std::str::from_utf8(&self.company)
            .map_err(|_| corrupt(self.what, "company number is not UTF-8"))
    }

    fn next(&mut self) -> Result<Option<RawRow<'b>>, CodecError> {
        if self.row >= self.rows {
            return Ok(None);
        }
        let what = self.what;
        let bad = |d: &str| corrupt(what, d);
        let b = self.body;
        let row_start = self.pos;
        let len = get_varint(b, &mut self.pos).ok_or_else(|| bad("truncated row"))? as usize;
        let content_at = self.pos;
        let end = content_at
            .checked_add(len)
            .filter(|&e| e <= b.len())
            .ok_or_else(|| bad("row runs past the block"))?;
        let c = &b[..end];
        let mut p = content_at;
        if end < p + self.head_len {
            return Err(bad("truncated row"));
        }
        let mut head = [0u8; 2];
        head[..self.head_len].copy_from_slice(&c[p..p + self.head_len]);
        p += self.head_len;
        let salesperson = get_varint(c, &mut p).ok_or_else(|| bad("truncated row"))?;
        if self.row.is_multiple_of(RESTART) {
            self.contact.clear();
            self.has_company = false;
        }
        // The contact: a prefix shared with the previous row's, then the rest.
        std::mem::swap(&mut self.contact, &mut self.prev_contact);
        let restart = self.row.is_multiple_of(RESTART);
        if restart {
            self.prev_contact.clear();
        }
        let prefix = *c.get(p).ok_or_else(|| bad("truncated row"))? as usize;
        p += 1;
        if prefix > self.prev_contact.len() {
            return Err(bad("contact prefix longer than the previous contact"));
        }
        let suffix = get_varint(c, &mut p).ok_or_else(|| bad("truncated row"))? as usize;
        let suffix_end = p
            .checked_add(suffix)
            .filter(|&e| e <= end)
            .ok_or_else(|| bad("truncated row"))?;
        self.contact.clear();
        self.contact.extend_from_slice(&self.prev_contact[..prefix]);
        self.contact.extend_from_slice(&c[p..suffix_end]);
        p = suffix_end;
        let tag = *c.get(p).ok_or_else(|| bad("truncated row"))?;
        p += 1;
        let company = match tag {
            COMPANY_NONE => RawCompany::None,
            COMPANY_SAME => RawCompany::Same,
            COMPANY_AS_PREVIOUS if self.has_company => RawCompany::Other,
            COMPANY_PREVIOUS_CONTACT if !restart => {
                self.company.clear();
                self.company.extend_from_slice(&self.prev_contact);
                self.has_company = true;
                RawCompany::Other
            }
            COMPANY_INLINE => {
                let shared = *c.get(p).ok_or_else(|| bad("truncated row"))? as usize;
                p += 1;
                let rest = get_varint(c, &mut p).ok_or_else(|| bad("truncated row"))? as usize;
                let rest_end = p
                    .checked_add(rest)
                    .filter(|&e| e <= end && shared <= self.contact.len())
                    .ok_or_else(|| bad("truncated row"))?;
                self.company.clear();
                self.company.extend_from_slice(&self.contact[..shared]);
                self.company.extend_from_slice(&c[p..rest_end]);
                p = rest_end;
                self.has_company = true;
                RawCompany::Other
            }
            _ => return Err(bad("unknown company reference in a row")),
        };
        let extras = *c.get(p).ok_or_else(|| bad("truncated row"))?;
        p += 1;
        let mut part = |flag: u8| -> Result<Option<&'b [u8]>, CodecError> {
            if extras & flag == 0 {
                return Ok(None);
            }
            let n = get_varint(c, &mut p).ok_or_else(|| bad("truncated row"))? as usize;
            let e = p
                .checked_add(n)
                .filter(|&e| e <= end)
                .ok_or_else(|| bad("truncated row"))?;
            let s = &b[p..e];
            p = e;
            Ok(Some(s))
        };
        let shared = part(EXTRA_SHARED)?;
        let comments = part(EXTRA_COMMENTS)?;
        if p != end || extras & !(EXTRA_SHARED | EXTRA_COMMENTS) != 0 {
            return Err(bad("unexpected bytes in a row"));
        }
        self.pos = end;
        self.row += 1;
        Ok(Some(RawRow {
            row_start,
            head,
            salesperson: u32::try_from(salesperson)
                .map_err(|_| bad("salesperson index out of range"))?,
            company,
            shared,
            comments,
        }))
    }

    /// After the last row: the body must be used up.
    fn check_end(&self) -> Result<(), CodecError> {
        if self.pos == self.body.len() {
            Ok(())
        } else {
            Err(corrupt(self.what, "trailing bytes after the last row"))
        }
    }
}

/// Which shared part a placed row stores.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowShared {
    Block,
    Default,
    Caller,
}

/// Cuts rows into blocks and encodes them (the part common to entry and line blocks).
struct BlockBuilder<S, D: Eq + std::hash::Hash + Clone> {
    what: &'static str,
    limited: bool,
    first: Option<u64>,
    shared: Option<S>,
    block_is_default: bool,
    default: Option<S>,
    dict: Dict<D>,
    overrides: u32,
    keys: Vec<u32>,
    restarts: Vec<u32>,
    body: Vec<u8>,
    row: Vec<u8>,
    prev_contact: Vec<u8>,
    prev_company: Vec<u8>,
    has_prev_company: bool,
    done: Vec<(u64, Vec<u8>)>,
    /// When set, what an entry-ordered index run keeps of each finished block (its first
    /// contact and a Bloom filter of its contacts), in `done` order.
    indexed: Option<Vec<super::bloom::OrderedBlock>>,
    block_first_contact: String,
    /// Bloom hashes of the open block's distinct contacts (when `indexed`).
    block_hashes: Vec<(u64, u64)>,
}

impl<S: Clone + PartialEq + Serialize, D: Eq + std::hash::Hash + Clone + Serialize>
    BlockBuilder<S, D>
{
    fn new(what: &'static str, default: Option<S>, limited: bool) -> Self {
        BlockBuilder {
            what,
            limited,
            first: None,
            shared: None,
            block_is_default: false,
            default,
            dict: Dict::default(),
            overrides: 0,
            keys: Vec::new(),
            restarts: Vec::new(),
            body: Vec::with_capacity(MAX_BLOCK_BYTES + 4096),
            row: Vec::with_capacity(64),
            prev_contact: Vec::with_capacity(24),
            prev_company: Vec::with_capacity(24),
            has_prev_company: false,
            done: Vec::new(),
            indexed: None,
            block_first_contact: String::new(),
            block_hashes: Vec::new(),
        }
    }

    /// Places a row numbered `number`: returns its key, its dictionary id and which shared part
    /// it stores.
    fn place(
        &mut self,
        number: u64,
        shared: SharedArg<'_, S>,
        dict_value: &D,
    ) -> Result<(u32, u32, RowShared), CodecError> {
        let full = self.limited
            && (self.keys.len() >= MAX_BLOCK_ROWS || self.body.len() >= MAX_BLOCK_BYTES);
        let key = self
            .first
            .and_then(|first| number.checked_sub(first))
            .and_then(|o| u32::try_from(o).ok())
            .filter(|&o| !full && self.keys.last().is_none_or(|&l| o > l));
        let key = match key {
            Some(k) => k,
            None => {
                self.cut()?;
                self.first = Some(number);
                let (s, is_default) = match shared {
                    SharedArg::Default => {
                        (self.default.clone().expect("builder has a default"), true)
                    }
                    SharedArg::Own(s) => (s.clone(), false),
                };
                self.shared = Some(s);
                self.block_is_default = is_default;
                0
            }
        };
        let id = self.dict.id(dict_value);
        let block_shared = self.shared.as_ref().expect("block started");
        let own = match shared {
            SharedArg::Default if self.block_is_default => RowShared::Block,
            SharedArg::Default => {
                if self.default.as_ref() == Some(block_shared) {
                    RowShared::Block
                } else {
                    RowShared::Default
                }
            }
            SharedArg::Own(s) if s == block_shared => RowShared::Block,
            SharedArg::Own(_) => RowShared::Caller,
        };
        if own != RowShared::Block {
            self.overrides += 1;
        }
        Ok((key, id, own))
    }

    /// Encodes a placed row.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        key: u32,
        head: &[u8],
        salesperson: u32,
        company: CompanyArg<'_>,
        contact: &str,
        shared: Option<&S>,
        comments: &[Comment],
    ) -> Result<(), CodecError> {
        let i = self.keys.len();
        if self.indexed.is_some() {
            if i == 0 {
                self.block_first_contact.clear();
                self.block_first_contact.push_str(contact);
            }
            if i == 0
                || self.prev_contact.as_slice() != contact.as_bytes()
                || i.is_multiple_of(RESTART)
            {
                self.block_hashes
                    .push(super::bloom::bloom_hashes(contact.as_bytes()));
            }
        }
        let restart = i.is_multiple_of(RESTART);
        if restart {
            self.restarts.push(self.body.len() as u32);
            self.prev_contact.clear();
            self.has_prev_company = false;
        }
        let r = &mut self.row;
        r.clear();
        r.extend_from_slice(head);
        put_varint(r, salesperson as u64);
        let c = contact.as_bytes();
        let shared_prefix = |a: &[u8], b: &str| {
            let mut n = a
                .iter()
                .zip(b.as_bytes())
                .take_while(|(x, y)| x == y)
                .count()
                .min(255);
            while n > 0 && !b.is_char_boundary(n) {
                n -= 1;
            }
            n
        };
        let prefix = shared_prefix(&self.prev_contact, contact);
        r.push(prefix as u8);
        put_varint(r, (c.len() - prefix) as u64);
        r.extend_from_slice(&c[prefix..]);
        match company {
            CompanyArg::None => r.push(COMPANY_NONE),
            CompanyArg::Same => r.push(COMPANY_SAME),
            CompanyArg::Other(co) => {
                if self.has_prev_company && self.prev_company == co.as_bytes() {
                    r.push(COMPANY_AS_PREVIOUS);
                } else if !restart && self.prev_contact == co.as_bytes() {
                    r.push(COMPANY_PREVIOUS_CONTACT);
                } else {
                    let n = shared_prefix(c, co);
                    r.push(COMPANY_INLINE);
                    r.push(n as u8);
                    put_varint(r, (co.len() - n) as u64);
                    r.extend_from_slice(&co.as_bytes()[n..]);
                }
                self.prev_company.clear();
                self.prev_company.extend_from_slice(co.as_bytes());
                self.has_prev_company = true;
            }
        }
        self.prev_contact.clear();
        self.prev_contact.extend_from_slice(c);
        let extras = if shared.is_some() { EXTRA_SHARED } else { 0 }
            | if comments.is_empty() {
                0
            } else {
                EXTRA_COMMENTS
            };
        r.push(extras);
        let mut part = Vec::new();
        if let Some(s) = shared {
            codec::encode_part(self.what, s, &mut part)?;
            put_varint(r, part.len() as u64);
            r.extend_from_slice(&part);
        }
        if !comments.is_empty() {
            part.clear();
            codec::encode_part(self.what, &comments, &mut part)?;
            put_varint(r, part.len() as u64);
            r.extend_from_slice(&part);
        }
        put_varint(&mut self.body, self.row.len() as u64);
        self.body.extend_from_slice(&self.row);
        self.keys.push(key);
        Ok(())
    }

    /// The shared part a row stores.
    fn row_shared<'a>(&'a self, r: RowShared, arg: SharedArg<'a, S>) -> Option<&'a S> {
        match (r, arg) {
            (RowShared::Block, _) => None,
            (RowShared::Default, _) => self.default.as_ref(),
            (RowShared::Caller, SharedArg::Own(s)) => Some(s),
            (RowShared::Caller, SharedArg::Default) => self.default.as_ref(),
        }
    }

    fn cut(&mut self) -> Result<(), CodecError> {
        if let (Some(first), Some(shared)) = (self.first.take(), self.shared.take()) {
            if !self.keys.is_empty() {
                let header = BlockHeader {
                    first,
                    rows: self.keys.len() as u32,
                    keys: RowKeys::of(std::mem::take(&mut self.keys)),
                    restarts: std::mem::take(&mut self.restarts),
                    dict: self.dict.take(),
                    shared,
                    overrides: self.overrides,
                };
                let mut h = Vec::with_capacity(256);
                codec::encode_part(self.what, &header, &mut h)?;
                self.done.push((first, codec::frame(&h, &self.body)));
                if let Some(ix) = self.indexed.as_mut() {
                    ix.push(super::bloom::OrderedBlock {
                        first_contact: std::mem::take(&mut self.block_first_contact),
                        key: first,
                        bloom: super::bloom::Bloom::from_hashes(&self.block_hashes),
                    });
                }
            }
        }
        self.dict.take();
        self.keys.clear();
        self.restarts.clear();
        self.block_hashes.clear();
        self.body.clear();
        self.overrides = 0;
        self.prev_contact.clear();
        self.has_prev_company = false;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<(u64, Vec<u8>)>, CodecError> {
        self.cut()?;
        Ok(self.done)
    }
}

/// A parsed block: header checked, body ready to walk.
struct Parsed<'b, S, D> {
    header: BlockHeader<S, D>,
    body: &'b [u8],
    body_start: usize,
}

fn parse<'b, S: serde::de::DeserializeOwned, D: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &'b [u8],
) -> Result<Parsed<'b, S, D>, CodecError> {
    let (h, body, body_start) = codec::unframe(what, bytes)?;
    let header: BlockHeader<S, D> = codec::decode_part(what, h)?;
    header.check(what, body.len())?;
    Ok(Parsed {
        header,
        body,
        body_start,
    })
}

fn company_ref(
    what: &'static str,
    raw: RawCompany,
    cur: &RowCursor<'_>,
) -> Result<CompanyRef, CodecError> {
    Ok(match raw {
        RawCompany::None => CompanyRef::None,
        RawCompany::Same => CompanyRef::Same,
        RawCompany::Other => CompanyRef::Other(contact_no(what, cur.company()?)?),
    })
}

fn contact_no(what: &'static str, s: &str) -> Result<ContactNo, CodecError> {
    ContactNo::try_from(s.to_string()).map_err(|e| corrupt(what, &e.to_string()))
}

// ───────────────────────────── entry blocks ─────────────────────────────

/// The fields an entry block's rows usually share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryShared {
    /// Date.
    pub date: NaiveDate,
    /// Time of interaction.
    pub time: NaiveTime,
    /// Description.
    pub description: String,
    /// Subject.
    pub subject: String,
    /// Direction.
    pub information_flow: InformationFlow,
    /// Initiated by.
    pub initiated_by: InitiatedBy,
    /// Cost.
    pub cost: Money,
    /// Duration.
    pub duration_min: u32,
    /// User.
    pub user_id: String,
    /// Group.
    pub group_code: GroupCode,
    /// Template.
    pub template_code: TemplateCode,
    /// Campaign.
    pub campaign_no: Option<CampaignNo>,
    /// Campaign entry.
    pub campaign_entry_no: Option<CampaignEntryNo>,
    /// Segment.
    pub segment_no: Option<SegmentNo>,
    /// Logged segment.
    pub logged_segment_entry_no: Option<LoggedSegmentNo>,
    /// Language.
    pub language_code: Option<LanguageCode>,
}

impl EntryShared {
    /// The shared part of an entry.
    pub fn of(e: &LogEntry) -> Self {
        EntryShared {
            date: e.date,
            time: e.time_of_interaction,
            description: e.description.clone(),
            subject: e.subject.clone(),
            information_flow: e.information_flow,
            initiated_by: e.initiated_by,
            cost: e.cost,
            duration_min: e.duration_min,
            user_id: e.user_id.clone(),
            group_code: e.group_code.clone(),
            template_code: e.template_code.clone(),
            campaign_no: e.campaign_no.clone(),
            campaign_entry_no: e.campaign_entry_no,
            segment_no: e.segment_no.clone(),
            logged_segment_entry_no: e.logged_segment_entry_no,
            language_code: e.language_code.clone(),
        }
    }
}

/// One entry inside a decoded block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    /// Contact.
    pub contact_no: ContactNo,
    /// Company.
    pub company: CompanyRef,
    /// Index into the block's salesperson dictionary.
    pub salesperson: u16,
    /// Correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// Evaluation.
    pub evaluation: Evaluation,
    /// `FLAG_*` bits.
    pub flags: u8,
    /// The row's own shared part when it differs from the block's.
    pub shared: Option<Box<EntryShared>>,
    /// Comment lines.
    pub comments: Vec<Comment>,
}

impl EntryRow {
    /// Is the canceled flag set?
    pub fn canceled(&self) -> bool {
        self.flags & FLAG_CANCELED != 0
    }
    /// Is the postponed flag set?
    pub fn postponed(&self) -> bool {
        self.flags & FLAG_POSTPONED != 0
    }
    /// Sets or clears a flag.
    pub fn set_flag(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }
}

/// Entry row head: flags (bits 0–2), correspondence type (bits 3–4), evaluation (bits 5–7).
fn entry_head(flags: u8, corr: CorrespondenceType, eval: Evaluation) -> [u8; 1] {
    [(flags & 0b111)
        | enum_index(CorrespondenceType::ALL, corr) << 3
        | enum_index(Evaluation::ALL, eval) << 5]
}

fn entry_row(
    what: &'static str,
    raw: &RawRow<'_>,
    cur: &RowCursor<'_>,
    dict_len: usize,
) -> Result<EntryRow, CodecError> {
    let b = raw.head[0];
    if raw.salesperson as usize >= dict_len {
        return Err(corrupt(what, "salesperson index out of range"));
    }
    Ok(EntryRow {
        contact_no: contact_no(what, cur.contact()?)?,
        company: company_ref(what, raw.company, cur)?,
        salesperson: raw.salesperson as u16,
        correspondence_type: enum_at(what, CorrespondenceType::ALL, (b >> 3) & 0b11)?,
        evaluation: enum_at(what, Evaluation::ALL, b >> 5)?,
        flags: b & 0b111,
        shared: raw
            .shared
            .map(|s| codec::decode_part(what, s).map(Box::new))
            .transpose()?,
        comments: raw
            .comments
            .map(|c| codec::decode_part(what, c))
            .transpose()?
            .unwrap_or_default(),
    })
}

/// A decoded entry block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryBlock {
    /// Number the row offsets count from (the block's key).
    pub first: EntryNo,
    /// Salesperson dictionary.
    pub salespeople: Vec<SalespersonCode>,
    /// Shared part.
    pub shared: EntryShared,
    /// Rows with their offsets from `first`, increasing.
    pub rows: Vec<(u32, EntryRow)>,
}

/// A borrowed view of one entry in a decoded block.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    /// Entry number.
    pub entry_no: EntryNo,
    /// The row.
    pub row: &'a EntryRow,
    /// Its shared part.
    pub shared: &'a EntryShared,
    /// Its salesperson.
    pub salesperson: &'a SalespersonCode,
}

impl EntryRef<'_> {
    /// Materializes the entry.
    pub fn to_entry(&self) -> LogEntry {
        let s = self.shared;
        let r = self.row;
        LogEntry {
            entry_no: self.entry_no,
            contact_no: r.contact_no.clone(),
            contact_company_no: r.company.resolve(&r.contact_no),
            date: s.date,
            time_of_interaction: s.time,
            description: s.description.clone(),
            subject: s.subject.clone(),
            information_flow: s.information_flow,
            initiated_by: s.initiated_by,
            cost: s.cost,
            duration_min: s.duration_min,
            user_id: s.user_id.clone(),
            group_code: s.group_code.clone(),
            template_code: s.template_code.clone(),
            campaign_no: s.campaign_no.clone(),
            campaign_entry_no: s.campaign_entry_no,
            segment_no: s.segment_no.clone(),
            logged_segment_entry_no: s.logged_segment_entry_no,
            salesperson_code: self.salesperson.clone(),
            correspondence_type: r.correspondence_type,
            language_code: s.language_code.clone(),
            evaluation: r.evaluation,
            attempt_failed: r.flags & FLAG_FAILED != 0,
            postponed: r.postponed(),
            canceled: r.canceled(),
            comments: r.comments.clone(),
        }
    }
}

impl EntryBlock {
    /// Decodes a whole block.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let p: Parsed<'_, EntryShared, SalespersonCode> = parse(ENTRY_BLOCK, bytes)?;
        let n = p.header.rows as usize;
        let mut rows = Vec::with_capacity(n);
        let mut cur = RowCursor::new(ENTRY_BLOCK, p.body, n, 1);
        while let Some(raw) = cur.next()? {
            let i = cur.row - 1;
            if i.is_multiple_of(RESTART) && p.header.restarts[i / RESTART] as usize != raw.row_start
            {
                return Err(corrupt(
                    ENTRY_BLOCK,
                    "restart table does not match the rows",
                ));
            }
            let row = entry_row(ENTRY_BLOCK, &raw, &cur, p.header.dict.len())?;
            rows.push((p.header.key(cur.row - 1), row));
        }
        cur.check_end()?;
        Ok(EntryBlock {
            first: EntryNo(p.header.first),
            salespeople: p.header.dict,
            shared: p.header.shared,
            rows,
        })
    }

    /// Reads one entry, decoding at most [`RESTART`] rows.
    pub fn read_one(bytes: &[u8], entry_no: EntryNo) -> Result<Option<LogEntry>, CodecError> {
        let p: Parsed<'_, EntryShared, SalespersonCode> = parse(ENTRY_BLOCK, bytes)?;
        let Some(key) = entry_no
            .0
            .checked_sub(p.header.first)
            .and_then(|o| u32::try_from(o).ok())
        else {
            return Ok(None);
        };
        let Some(i) = p.header.find(key) else {
            return Ok(None);
        };
        let restart = i / RESTART;
        let mut cur = RowCursor::new(ENTRY_BLOCK, p.body, p.header.rows as usize, 1);
        cur.seek(restart * RESTART, p.header.restarts[restart] as usize);
        let mut found = None;
        while let Some(raw) = cur.next()? {
            if cur.row - 1 == i {
                found = Some(entry_row(ENTRY_BLOCK, &raw, &cur, p.header.dict.len())?);
                break;
            }
        }
        let Some(row) = found else {
            return Err(corrupt(ENTRY_BLOCK, "row missing"));
        };
        let sp = &p.header.dict[row.salesperson as usize];
        let shared = row.shared.as_deref().unwrap_or(&p.header.shared);
        Ok(Some(
            EntryRef {
                entry_no,
                row: &row,
                shared,
                salesperson: sp,
            }
            .to_entry(),
        ))
    }

    /// Borrowed views of every entry, in number order.
    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> + '_ {
        self.rows.iter().map(move |(off, row)| EntryRef {
            entry_no: EntryNo(self.first.0 + *off as u64),
            row,
            shared: row.shared.as_deref().unwrap_or(&self.shared),
            salesperson: &self.salespeople[row.salesperson as usize],
        })
    }

    /// Every entry, materialized.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.iter().map(|e| e.to_entry()).collect()
    }

    /// Encodes the block as it is, in one value whatever its size (callers that may grow a
    /// block use [`EntryBlock::encode_for`] to re-cut it).
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        let mut b = BlockBuilder::<EntryShared, SalespersonCode>::new(
            ENTRY_BLOCK,
            Some(self.shared.clone()),
            false,
        );
        for (off, row) in &self.rows {
            let shared = match &row.shared {
                None => SharedArg::Default,
                Some(s) => SharedArg::Own(&**s),
            };
            let (key, id, r) = b.place(
                self.first.0 + *off as u64,
                shared,
                &self.salespeople[row.salesperson as usize],
            )?;
            let own = b.row_shared(r, shared).cloned();
            b.write(
                key,
                &entry_head(row.flags, row.correspondence_type, row.evaluation),
                id,
                row.company.arg(),
                row.contact_no.as_str(),
                own.as_ref(),
                &row.comments,
            )?;
        }
        let mut blocks = b.finish()?;
        match blocks.len() {
            1 => Ok(blocks.remove(0).1),
            _ => Err(CodecError::Encode {
                what: ENTRY_BLOCK,
                detail: "an empty block cannot be encoded".into(),
            }),
        }
    }
}

/// Builds entry blocks from entries given in increasing number order, cutting a new block
/// whenever the current one is full. Deterministic: the same entries give the same bytes.
pub struct EntryBlockBuilder {
    b: BlockBuilder<EntryShared, SalespersonCode>,
}

impl Default for EntryBlockBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EntryBlockBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        EntryBlockBuilder {
            b: BlockBuilder::new(ENTRY_BLOCK, None, true),
        }
    }

    /// An empty builder whose rows mostly share `shared` (pushed as [`SharedArg::Default`]).
    pub fn with_default(shared: EntryShared) -> Self {
        EntryBlockBuilder {
            b: BlockBuilder::new(ENTRY_BLOCK, Some(shared), true),
        }
    }

    /// Like [`EntryBlockBuilder::with_default`], also recording per block what an
    /// entry-ordered index run keeps (see [`EntryBlockBuilder::finish_indexed`]).
    pub fn indexed(shared: EntryShared) -> Self {
        let mut b = BlockBuilder::new(ENTRY_BLOCK, Some(shared), true);
        b.indexed = Some(Vec::new());
        EntryBlockBuilder { b }
    }

    /// Adds one entry given as its parts.
    #[allow(clippy::too_many_arguments)]
    pub fn push_parts(
        &mut self,
        entry_no: EntryNo,
        contact_no: &str,
        company: CompanyArg<'_>,
        salesperson: &SalespersonCode,
        correspondence_type: CorrespondenceType,
        evaluation: Evaluation,
        flags: u8,
        shared: SharedArg<'_, EntryShared>,
        comments: &[Comment],
    ) -> Result<(), CodecError> {
        let (key, id, r) = self.b.place(entry_no.0, shared, salesperson)?;
        let own = match r {
            RowShared::Block => None,
            _ => self.b.row_shared(r, shared).cloned(),
        };
        self.b.write(
            key,
            &entry_head(flags, correspondence_type, evaluation),
            id,
            company,
            contact_no,
            own.as_ref(),
            comments,
        )
    }

    /// Adds one entry.
    pub fn push(&mut self, e: &LogEntry) -> Result<(), CodecError> {
        let mut flags = 0;
        if e.canceled {
            flags |= FLAG_CANCELED;
        }
        if e.attempt_failed {
            flags |= FLAG_FAILED;
        }
        if e.postponed {
            flags |= FLAG_POSTPONED;
        }
        let shared = EntryShared::of(e);
        self.push_parts(
            e.entry_no,
            e.contact_no.as_str(),
            CompanyRef::new(&e.contact_no, e.contact_company_no.as_ref()).arg(),
            &e.salesperson_code,
            e.correspondence_type,
            e.evaluation,
            flags,
            SharedArg::Own(&shared),
            &e.comments,
        )
    }

    /// Adds a row taken from a decoded block (keeps its flags, comments and fields).
    pub fn push_ref(&mut self, e: &EntryRef<'_>) -> Result<(), CodecError> {
        self.push_parts(
            e.entry_no,
            e.row.contact_no.as_str(),
            e.row.company.arg(),
            e.salesperson,
            e.row.correspondence_type,
            e.row.evaluation,
            e.row.flags,
            SharedArg::Own(e.shared),
            &e.row.comments,
        )
    }

    /// Closes the open block and returns every block with the contact of its first row and a
    /// Bloom filter of its contacts (what an entry-ordered index run keeps per block).
    pub fn finish_indexed(
        self,
    ) -> Result<(Vec<EncodedBlock>, Vec<super::bloom::OrderedBlock>), CodecError> {
        let mut b = self.b;
        b.cut()?;
        let ordered = b
            .indexed
            .take()
            .expect("built with EntryBlockBuilder::indexed");
        let blocks: Vec<EncodedBlock> = std::mem::take(&mut b.done)
            .into_iter()
            .map(|(k, v)| (EntryNo(k), v))
            .collect();
        debug_assert_eq!(blocks.len(), ordered.len());
        Ok((blocks, ordered))
    }

    /// Closes the open block and returns every block: (first entry number, bytes).
    pub fn finish(self) -> Result<Vec<EncodedBlock>, CodecError> {
        Ok(self
            .b
            .finish()?
            .into_iter()
            .map(|(k, v)| (EntryNo(k), v))
            .collect())
    }
}

/// The entries of `contact` in an encoded entry block whose rows are in contact order: a binary
/// search over the restart rows (which hold whole contact numbers), then a short scan.
pub fn contact_entries_in_block(bytes: &[u8], contact: &str) -> Result<Vec<EntryNo>, CodecError> {
    let p: Parsed<'_, EntryShared, SalespersonCode> = parse(ENTRY_BLOCK, bytes)?;
    let h = &p.header;
    let n = h.rows as usize;
    let mut cur = RowCursor::new(ENTRY_BLOCK, p.body, n, 1);
    // The restart row's contact, read on its own.
    let restart_contact = |r: usize| -> Result<String, CodecError> {
        let mut c = RowCursor::new(ENTRY_BLOCK, p.body, n, 1);
        c.seek(r * RESTART, h.restarts[r] as usize);
        c.next()?
            .ok_or_else(|| corrupt(ENTRY_BLOCK, "row missing"))?;
        Ok(c.contact()?.to_string())
    };
    // First restart group whose first contact is not below `contact`, minus one.
    let (mut lo, mut hi) = (0usize, h.restarts.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if restart_contact(mid)?.as_str() < contact {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let start = lo.saturating_sub(1);
    let mut out = Vec::new();
    if start < h.restarts.len() {
        cur.seek(start * RESTART, h.restarts[start] as usize);
        while cur.next()?.is_some() {
            let c = cur.contact()?;
            if c == contact {
                out.push(EntryNo(h.first + h.key(cur.row - 1) as u64));
            } else if c > contact {
                break;
            }
        }
    }
    Ok(out)
}

/// What [`set_flag_where`] did with an encoded entry block.
#[derive(Debug, PartialEq, Eq)]
pub enum FlagFlip {
    /// Every row is selected (through the block's shared part; no row carries its own): the
    /// block with the flag set or cleared on every row, the number of rows, and how many of
    /// them had the flag the other way before.
    All {
        /// The new bytes.
        bytes: Vec<u8>,
        /// Rows in the block.
        rows: u64,
        /// Rows whose flag changed.
        changed: u64,
    },
    /// No row is selected: the shared part does not match and no row carries its own.
    Nothing,
    /// Some rows carry their own shared part: the caller decodes the block.
    Mixed,
}

/// Sets or clears `flag` on the rows of an encoded entry block that `selects` picks by their
/// shared part (a logged segment, a campaign entry), without decoding the rows when the block
/// decides for all of them at once. This is what the cancel cascades of logged segments and
/// campaign entries run on.
pub fn set_flag_where(
    bytes: &[u8],
    mut selects: impl FnMut(&EntryShared) -> bool,
    flag: u8,
    on: bool,
) -> Result<FlagFlip, CodecError> {
    let p: Parsed<'_, EntryShared, SalespersonCode> = parse(ENTRY_BLOCK, bytes)?;
    if p.header.overrides != 0 {
        return Ok(FlagFlip::Mixed);
    }
    if !selects(&p.header.shared) {
        return Ok(FlagFlip::Nothing);
    }
    let mut out = bytes.to_vec();
    let mut pos = 0;
    let mut changed = 0;
    for _ in 0..p.header.rows {
        let len = get_varint(p.body, &mut pos)
            .ok_or_else(|| corrupt(ENTRY_BLOCK, "truncated row"))? as usize;
        if len == 0 || pos + len > p.body.len() {
            return Err(corrupt(ENTRY_BLOCK, "row runs past the block"));
        }
        let at = p.body_start + pos;
        if (out[at] & flag != 0) != on {
            changed += 1;
        }
        if on {
            out[at] |= flag;
        } else {
            out[at] &= !flag;
        }
        pos += len;
    }
    if pos != p.body.len() {
        return Err(corrupt(ENTRY_BLOCK, "trailing bytes after the last row"));
    }
    codec::reseal(&mut out);
    Ok(FlagFlip::All {
        bytes: out,
        rows: p.header.rows as u64,
        changed,
    })
}

impl EntryBlock {
    /// A block holding exactly `entries` (increasing numbers), keyed by the first.
    pub fn from_entries(entries: &[LogEntry]) -> Option<EntryBlock> {
        let first = entries.first()?;
        let mut block = EntryBlock {
            first: first.entry_no,
            salespeople: Vec::new(),
            shared: EntryShared::of(first),
            rows: Vec::with_capacity(entries.len()),
        };
        for e in entries {
            block.put(e);
        }
        Some(block)
    }

    fn salesperson_id(&mut self, code: &SalespersonCode) -> u16 {
        match self.salespeople.iter().position(|s| s == code) {
            Some(i) => i as u16,
            None => {
                self.salespeople.push(code.clone());
                (self.salespeople.len() - 1) as u16
            }
        }
    }

    fn row_of(&mut self, e: &LogEntry) -> EntryRow {
        let shared = EntryShared::of(e);
        let mut flags = 0;
        if e.canceled {
            flags |= FLAG_CANCELED;
        }
        if e.attempt_failed {
            flags |= FLAG_FAILED;
        }
        if e.postponed {
            flags |= FLAG_POSTPONED;
        }
        EntryRow {
            contact_no: e.contact_no.clone(),
            company: CompanyRef::new(&e.contact_no, e.contact_company_no.as_ref()),
            salesperson: self.salesperson_id(&e.salesperson_code),
            correspondence_type: e.correspondence_type,
            evaluation: e.evaluation,
            flags,
            shared: (shared != self.shared).then(|| Box::new(shared)),
            comments: e.comments.clone(),
        }
    }

    /// Inserts or replaces the row of `e` (its number must not precede the block's first).
    pub fn put(&mut self, e: &LogEntry) {
        let off = (e.entry_no.0 - self.first.0) as u32;
        let row = self.row_of(e);
        match self.rows.binary_search_by_key(&off, |(o, _)| *o) {
            Ok(i) => self.rows[i].1 = row,
            Err(i) => self.rows.insert(i, (off, row)),
        }
    }

    /// Removes the row of `entry_no`; true when it was there.
    pub fn remove(&mut self, entry_no: EntryNo) -> bool {
        let Some(off) = entry_no.0.checked_sub(self.first.0) else {
            return false;
        };
        match self.rows.binary_search_by_key(&(off as u32), |(o, _)| *o) {
            Ok(i) => {
                self.rows.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// The entry `entry_no`, materialized.
    pub fn get(&self, entry_no: EntryNo) -> Option<LogEntry> {
        let off = entry_no.0.checked_sub(self.first.0)? as u32;
        let i = self.rows.binary_search_by_key(&off, |(o, _)| *o).ok()?;
        self.iter().nth(i).map(|r| r.to_entry())
    }

    /// Encodes the block for storage under its old key `old_key`: returns the values to put
    /// (re-cut into several blocks when it grew too large; keys may move when leading rows were
    /// removed) and whether `old_key` must be deleted.
    pub fn encode_for(&self, old_key: EntryNo) -> Result<(Vec<EncodedBlock>, bool), CodecError> {
        if self.rows.is_empty() {
            return Ok((Vec::new(), true));
        }
        let mut b = EntryBlockBuilder::new();
        for r in self.iter() {
            b.push_ref(&r)?;
        }
        let out = b.finish()?;
        let keeps_old = out.iter().any(|(k, _)| *k == old_key);
        Ok((out, !keeps_old))
    }
}

// ───────────────────────────── segment line blocks ─────────────────────────────

/// The fields a line block's rows usually share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineShared {
    /// Template.
    pub template_code: Option<TemplateCode>,
    /// Group.
    pub group_code: Option<GroupCode>,
    /// Description.
    pub description: String,
    /// Subject.
    pub subject: String,
    /// Cost.
    pub cost: Money,
    /// Duration.
    pub duration_min: u32,
    /// Date.
    pub date: NaiveDate,
    /// Time.
    pub time: Option<NaiveTime>,
    /// Language.
    pub language_code: Option<LanguageCode>,
    /// Campaign.
    pub campaign_no: Option<CampaignNo>,
    /// Direction.
    pub information_flow: InformationFlow,
    /// Initiated by.
    pub initiated_by: InitiatedBy,
}

impl LineShared {
    /// The shared part of a line.
    pub fn of(l: &SegmentLine) -> Self {
        LineShared {
            template_code: l.template_code.clone(),
            group_code: l.group_code.clone(),
            description: l.description.clone(),
            subject: l.subject.clone(),
            cost: l.cost,
            duration_min: l.duration_min,
            date: l.date,
            time: l.time,
            language_code: l.language_code.clone(),
            campaign_no: l.campaign_no.clone(),
            information_flow: l.information_flow,
            initiated_by: l.initiated_by,
        }
    }
}

/// One segment line inside a decoded block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRow {
    /// Contact.
    pub contact_no: ContactNo,
    /// Company.
    pub company: CompanyRef,
    /// The contact's correspondence profile.
    pub profile: ContactProfile,
    /// Index into the block's salesperson dictionary.
    pub salesperson: u16,
    /// Correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// Evaluation.
    pub evaluation: Evaluation,
    /// `FLAG_FAILED`, `FLAG_DESCRIPTION_TYPED`.
    pub flags: u8,
    /// The row's own shared part when it differs from the block's.
    pub shared: Option<Box<LineShared>>,
}

/// Line row head: byte 0 = failed (bit 0), description typed (bit 1), correspondence type
/// (bits 2–3), evaluation (bits 4–6); byte 1 = the contact's correspondence type (bits 0–1) and
/// whether it has an e-mail address (bit 2).
fn line_head(
    flags: u8,
    corr: CorrespondenceType,
    eval: Evaluation,
    profile: ContactProfile,
) -> [u8; 2] {
    let mut b = 0u8;
    if flags & FLAG_FAILED != 0 {
        b |= 1;
    }
    if flags & FLAG_DESCRIPTION_TYPED != 0 {
        b |= 2;
    }
    b |= enum_index(CorrespondenceType::ALL, corr) << 2 | enum_index(Evaluation::ALL, eval) << 4;
    let p = enum_index(CorrespondenceType::ALL, profile.correspondence_type)
        | (profile.has_email as u8) << 2;
    [b, p]
}

/// The parts of a line row's head.
struct LineHead {
    flags: u8,
    correspondence_type: CorrespondenceType,
    evaluation: Evaluation,
    profile: ContactProfile,
}

fn read_line_head(what: &'static str, head: [u8; 2]) -> Result<LineHead, CodecError> {
    let [b, p] = head;
    if b & 0x80 != 0 || p & !0b111 != 0 {
        return Err(corrupt(what, "unknown bits in a line row"));
    }
    let mut flags = 0;
    if b & 1 != 0 {
        flags |= FLAG_FAILED;
    }
    if b & 2 != 0 {
        flags |= FLAG_DESCRIPTION_TYPED;
    }
    Ok(LineHead {
        flags,
        correspondence_type: enum_at(what, CorrespondenceType::ALL, (b >> 2) & 0b11)?,
        evaluation: enum_at(what, Evaluation::ALL, (b >> 4) & 0b111)?,
        profile: ContactProfile {
            correspondence_type: enum_at(what, CorrespondenceType::ALL, p & 0b11)?,
            has_email: p & 0b100 != 0,
        },
    })
}

/// A decoded line block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineBlock {
    /// Line number the row offsets count from.
    pub first_line: u64,
    /// Salesperson dictionary.
    pub salespeople: Vec<Option<SalespersonCode>>,
    /// Shared part.
    pub shared: LineShared,
    /// Rows with their offsets from `first_line`.
    pub rows: Vec<(u32, LineRow)>,
}

/// A borrowed view of one line in a decoded block.
#[derive(Clone, Copy)]
pub struct LineRef<'a> {
    /// Line number.
    pub line_no: u64,
    /// The row.
    pub row: &'a LineRow,
    /// Its shared part.
    pub shared: &'a LineShared,
    /// Its salesperson.
    pub salesperson: Option<&'a SalespersonCode>,
}

impl LineRef<'_> {
    /// Materializes the line.
    pub fn to_line(&self) -> SegmentLine {
        let s = self.shared;
        let r = self.row;
        SegmentLine {
            line_no: self.line_no,
            contact_no: r.contact_no.clone(),
            contact_company_no: r.company.resolve(&r.contact_no),
            contact_profile: r.profile,
            template_code: s.template_code.clone(),
            group_code: s.group_code.clone(),
            description: s.description.clone(),
            description_typed: r.flags & FLAG_DESCRIPTION_TYPED != 0,
            subject: s.subject.clone(),
            cost: s.cost,
            duration_min: s.duration_min,
            date: s.date,
            time: s.time,
            salesperson_code: self.salesperson.cloned(),
            correspondence_type: r.correspondence_type,
            language_code: s.language_code.clone(),
            campaign_no: s.campaign_no.clone(),
            evaluation: r.evaluation,
            information_flow: s.information_flow,
            initiated_by: s.initiated_by,
            attempt_failed: r.flags & FLAG_FAILED != 0,
        }
    }
}

/// A line row read without allocating (the build phase of segment logging uses it): the
/// contact number and company are borrowed from the reader and not re-validated, since they
/// pass from one block to another.
#[derive(Debug)]
pub struct LineRowIn<'a> {
    /// Contact number.
    pub contact_no: &'a str,
    /// Company.
    pub company: CompanyArg<'a>,
    /// The contact's correspondence profile.
    pub profile: ContactProfile,
    /// Index into the block's salesperson dictionary.
    pub salesperson: u16,
    /// Correspondence type.
    pub correspondence_type: CorrespondenceType,
    /// Evaluation.
    pub evaluation: Evaluation,
    /// `FLAG_*` bits.
    pub flags: u8,
    /// The row's own shared part when it differs from the block's.
    pub shared: Option<Box<LineShared>>,
}

/// A line block opened for reading its rows one by one.
pub struct LineBlockReader<'a> {
    parsed: Parsed<'a, LineShared, Option<SalespersonCode>>,
    /// First line number.
    pub first_line: u64,
}

impl<'a> LineBlockReader<'a> {
    /// Parses the frame and the header.
    pub fn open(bytes: &'a [u8]) -> Result<Self, CodecError> {
        let parsed: Parsed<'_, LineShared, Option<SalespersonCode>> = parse(LINE_BLOCK, bytes)?;
        Ok(LineBlockReader {
            first_line: parsed.header.first,
            parsed,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.parsed.header.rows as usize
    }

    /// True when the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The salesperson dictionary.
    pub fn salespeople(&self) -> &[Option<SalespersonCode>] {
        &self.parsed.header.dict
    }

    /// The block's shared part.
    pub fn shared(&self) -> &LineShared {
        &self.parsed.header.shared
    }

    /// Calls `f` with each row's position (0-based), line number and row, in order.
    pub fn for_each<E: From<CodecError>>(
        &self,
        mut f: impl FnMut(usize, u64, LineRowIn<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let h = &self.parsed.header;
        let mut cur = RowCursor::new(LINE_BLOCK, self.parsed.body, h.rows as usize, 2);
        while let Some(raw) = cur.next()? {
            let i = cur.row - 1;
            let head = read_line_head(LINE_BLOCK, raw.head)?;
            if raw.salesperson as usize >= h.dict.len() {
                return Err(corrupt(LINE_BLOCK, "salesperson index out of range").into());
            }
            let company = match raw.company {
                RawCompany::None => CompanyArg::None,
                RawCompany::Same => CompanyArg::Same,
                RawCompany::Other => CompanyArg::Other(cur.company()?),
            };
            let shared = raw
                .shared
                .map(|s| codec::decode_part(LINE_BLOCK, s).map(Box::new))
                .transpose()?;
            let contact = cur.contact()?;
            f(
                i,
                self.first_line + h.key(i) as u64,
                LineRowIn {
                    contact_no: contact,
                    company,
                    profile: head.profile,
                    salesperson: raw.salesperson as u16,
                    correspondence_type: head.correspondence_type,
                    evaluation: head.evaluation,
                    flags: head.flags,
                    shared,
                },
            )?;
        }
        cur.check_end()?;
        Ok(())
    }
}

/// What a line block's header says, read without decoding its rows.
pub struct LineBlockSummary {
    /// First line number.
    pub first_line: u64,
    /// Number of rows.
    pub rows: usize,
    /// Salesperson dictionary (every value some row uses).
    pub salespeople: Vec<Option<SalespersonCode>>,
    /// Shared part.
    pub shared: LineShared,
    /// Rows that carry their own shared part.
    pub overrides: u32,
}

impl LineBlock {
    /// Reads the header only.
    pub fn summary(bytes: &[u8]) -> Result<LineBlockSummary, CodecError> {
        let p: Parsed<'_, LineShared, Option<SalespersonCode>> = parse(LINE_BLOCK, bytes)?;
        Ok(LineBlockSummary {
            first_line: p.header.first,
            rows: p.header.rows as usize,
            salespeople: p.header.dict,
            shared: p.header.shared,
            overrides: p.header.overrides,
        })
    }

    /// Decodes a whole block.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let p: Parsed<'_, LineShared, Option<SalespersonCode>> = parse(LINE_BLOCK, bytes)?;
        let n = p.header.rows as usize;
        let mut rows = Vec::with_capacity(n);
        let mut cur = RowCursor::new(LINE_BLOCK, p.body, n, 2);
        while let Some(raw) = cur.next()? {
            let i = cur.row - 1;
            if i.is_multiple_of(RESTART) && p.header.restarts[i / RESTART] as usize != raw.row_start
            {
                return Err(corrupt(LINE_BLOCK, "restart table does not match the rows"));
            }
            let head = read_line_head(LINE_BLOCK, raw.head)?;
            if raw.salesperson as usize >= p.header.dict.len() {
                return Err(corrupt(LINE_BLOCK, "salesperson index out of range"));
            }
            rows.push((
                p.header.key(i),
                LineRow {
                    contact_no: contact_no(LINE_BLOCK, cur.contact()?)?,
                    company: company_ref(LINE_BLOCK, raw.company, &cur)?,
                    profile: head.profile,
                    salesperson: raw.salesperson as u16,
                    correspondence_type: head.correspondence_type,
                    evaluation: head.evaluation,
                    flags: head.flags,
                    shared: raw
                        .shared
                        .map(|s| codec::decode_part(LINE_BLOCK, s).map(Box::new))
                        .transpose()?,
                },
            ));
        }
        cur.check_end()?;
        Ok(LineBlock {
            first_line: p.header.first,
            salespeople: p.header.dict,
            shared: p.header.shared,
            rows,
        })
    }

    /// Borrowed views of every line, in line order.
    pub fn iter(&self) -> impl Iterator<Item = LineRef<'_>> + '_ {
        self.rows.iter().map(move |(off, row)| LineRef {
            line_no: self.first_line + *off as u64,
            row,
            shared: row.shared.as_deref().unwrap_or(&self.shared),
            salesperson: self.salespeople[row.salesperson as usize].as_ref(),
        })
    }

    /// Every line, materialized.
    pub fn lines(&self) -> Vec<SegmentLine> {
        self.iter().map(|l| l.to_line()).collect()
    }
}

/// Builds line blocks from lines given in increasing line order. Deterministic.
pub struct LineBlockBuilder {
    b: BlockBuilder<LineShared, Option<SalespersonCode>>,
}

impl Default for LineBlockBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LineBlockBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        LineBlockBuilder {
            b: BlockBuilder::new(LINE_BLOCK, None, true),
        }
    }

    /// An empty builder whose rows mostly share `shared` (pushed as [`SharedArg::Default`]).
    pub fn with_default(shared: LineShared) -> Self {
        LineBlockBuilder {
            b: BlockBuilder::new(LINE_BLOCK, Some(shared), true),
        }
    }

    /// Adds one line given as its parts.
    #[allow(clippy::too_many_arguments)]
    pub fn push_parts(
        &mut self,
        line_no: u64,
        contact_no: &str,
        company: CompanyArg<'_>,
        profile: ContactProfile,
        salesperson: &Option<SalespersonCode>,
        correspondence_type: CorrespondenceType,
        evaluation: Evaluation,
        flags: u8,
        shared: SharedArg<'_, LineShared>,
    ) -> Result<(), CodecError> {
        let (key, id, r) = self.b.place(line_no, shared, salesperson)?;
        let own = match r {
            RowShared::Block => None,
            _ => self.b.row_shared(r, shared).cloned(),
        };
        self.b.write(
            key,
            &line_head(flags, correspondence_type, evaluation, profile),
            id,
            company,
            contact_no,
            own.as_ref(),
            &[],
        )
    }

    /// Adds one line.
    pub fn push(&mut self, l: &SegmentLine) -> Result<(), CodecError> {
        let mut flags = 0;
        if l.attempt_failed {
            flags |= FLAG_FAILED;
        }
        if l.description_typed {
            flags |= FLAG_DESCRIPTION_TYPED;
        }
        let shared = LineShared::of(l);
        self.push_parts(
            l.line_no,
            l.contact_no.as_str(),
            CompanyRef::new(&l.contact_no, l.contact_company_no.as_ref()).arg(),
            l.contact_profile,
            &l.salesperson_code,
            l.correspondence_type,
            l.evaluation,
            flags,
            SharedArg::Own(&shared),
        )
    }

    /// Adds a line taken from a decoded block.
    pub fn push_ref(&mut self, l: &LineRef<'_>) -> Result<(), CodecError> {
        self.push_parts(
            l.line_no,
            l.row.contact_no.as_str(),
            l.row.company.arg(),
            l.row.profile,
            &l.salesperson.cloned(),
            l.row.correspondence_type,
            l.row.evaluation,
            l.row.flags,
            SharedArg::Own(l.shared),
        )
    }

    /// Finished blocks so far (the open block stays open).
    pub fn take_done(&mut self) -> Vec<(u64, Vec<u8>)> {
        std::mem::take(&mut self.b.done)
    }

    /// Closes the open block and returns every block: (first line number, bytes).
    pub fn finish(self) -> Result<Vec<(u64, Vec<u8>)>, CodecError> {
        self.b.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    fn entry(n: u64, contact: &str, company: Option<&str>, sp: &str, eval: Evaluation) -> LogEntry {
        LogEntry {
            entry_no: EntryNo(n),
            contact_no: ContactNo::new(contact).unwrap(),
            contact_company_no: company.map(|c| ContactNo::new(c).unwrap()),
            date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
            time_of_interaction: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            description: "Mailing".into(),
            subject: "Mailing".into(),
            information_flow: InformationFlow::Outbound,
            initiated_by: InitiatedBy::Us,
            cost: Money(50),
            duration_min: 1,
            user_id: "T".into(),
            group_code: GroupCode::new("G").unwrap(),
            template_code: TemplateCode::new("T").unwrap(),
            campaign_no: None,
            campaign_entry_no: None,
            segment_no: Some(SegmentNo::new("S1").unwrap()),
            logged_segment_entry_no: Some(LoggedSegmentNo(3)),
            salesperson_code: SalespersonCode::new(sp).unwrap(),
            correspondence_type: CorrespondenceType::Email,
            language_code: None,
            evaluation: eval,
            attempt_failed: n.is_multiple_of(2),
            postponed: false,
            canceled: n.is_multiple_of(3),
            comments: Vec::new(),
        }
    }

    #[test]
    fn flipping_flags_in_the_bytes_equals_decoding_and_re_encoding() {
        // Many salespeople (dictionary ids above 250 take three bytes), companies of each kind,
        // every evaluation.
        let entries: Vec<LogEntry> = (1..=600u64)
            .map(|n| {
                let company = match n % 3 {
                    0 => None,
                    1 => Some(format!("C{n}")),
                    _ => Some("X".to_string()),
                };
                let contact = if n % 3 == 1 {
                    format!("C{n}")
                } else {
                    format!("P{n}")
                };
                entry(
                    n,
                    &contact,
                    company.as_deref(),
                    &format!("S{n}"),
                    Evaluation::ALL[n as usize % 6],
                )
            })
            .collect();
        let mut b = EntryBlockBuilder::new();
        for e in &entries {
            b.push(e).unwrap();
        }
        for (_, bytes) in b.finish().unwrap() {
            let of = |l: u64| {
                move |s: &EntryShared| s.logged_segment_entry_no == Some(LoggedSegmentNo(l))
            };
            let decoded = EntryBlock::decode(&bytes).unwrap();
            let canceled_before = decoded.rows.iter().filter(|(_, r)| r.canceled()).count();
            for on in [true, false] {
                let FlagFlip::All {
                    bytes: patched,
                    rows,
                    changed,
                } = set_flag_where(&bytes, of(3), FLAG_CANCELED, on).unwrap()
                else {
                    panic!("every row belongs to logged segment 3");
                };
                let mut expected = decoded.clone();
                for (_, r) in expected.rows.iter_mut() {
                    r.set_flag(FLAG_CANCELED, on);
                }
                assert_eq!(rows as usize, expected.rows.len());
                let want = if on {
                    expected.rows.len() - canceled_before
                } else {
                    canceled_before
                };
                assert_eq!(changed as usize, want);
                assert_eq!(EntryBlock::decode(&patched).unwrap(), expected);
            }
            assert_eq!(
                set_flag_where(&bytes, of(4), FLAG_CANCELED, true).unwrap(),
                FlagFlip::Nothing
            );
        }
    }
}
