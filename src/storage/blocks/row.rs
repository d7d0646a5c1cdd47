//! The generic row codec both block kinds are made of: the block header (shared fields,
//! salesperson and company dictionaries, row keys, restart table), the row cursor that decodes
//! rows, and the block builder that encodes them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::*;
use crate::storage::codec::{self, get_varint, put_varint, CodecError};

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
pub(super) struct Dict<T: Eq + std::hash::Hash + Clone> {
    pub(super) values: Vec<T>,
    pub(super) index: HashMap<T, u32>,
}

impl<T: Eq + std::hash::Hash + Clone> Default for Dict<T> {
    fn default() -> Self {
        Dict {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }
}

pub(super) const DICT_SCAN: usize = 16;

impl<T: Eq + std::hash::Hash + Clone> Dict<T> {
    pub(super) fn id_by<Q>(&mut self, v: &Q, make: impl FnOnce() -> T) -> u32
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

    pub(super) fn id(&mut self, v: &T) -> u32 {
        self.id_by(v, || v.clone())
    }

    pub(super) fn take(&mut self) -> Vec<T> {
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

/// A row's own shared part as a caller gives it: the part itself, or a borrowed form of it
/// that encodes to the same bytes (a contact's texts, borrowed from where they already are).
pub(super) trait SharedPart<S>: Serialize {
    /// True when this is `s`.
    fn is(&self, s: &S) -> bool;
    /// The part, owned (kept as the shared part of the block it starts).
    fn to_part(&self) -> Result<S, CodecError>;
}

impl<S: Clone + PartialEq + Serialize> SharedPart<S> for S {
    fn is(&self, s: &S) -> bool {
        self == s
    }
    fn to_part(&self) -> Result<S, CodecError> {
        Ok(self.clone())
    }
}

/// The keys (offsets from the first number) of a block's rows.
#[derive(Serialize, Deserialize)]
pub(super) enum RowKeys {
    /// `0, 1, 2, …` (entries of a batch).
    Dense,
    /// `0, step, 2·step, …` (segment lines, numbered in steps of 10000).
    Step(u32),
    /// Anything else, listed.
    List(Vec<u32>),
}

impl RowKeys {
    /// The most compact description of `keys` (increasing, starting at 0).
    pub(super) fn of(keys: Vec<u32>) -> RowKeys {
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
pub(super) struct BlockHeader<S, D> {
    /// Number the row keys count from.
    pub(super) first: u64,
    /// Number of rows.
    pub(super) rows: u32,
    /// Row keys (offsets from `first`).
    pub(super) keys: RowKeys,
    /// Body offset of every `RESTART`-th row.
    pub(super) restarts: Vec<u32>,
    /// Salesperson dictionary.
    pub(super) dict: Vec<D>,
    /// Shared part.
    pub(super) shared: S,
    /// Rows that carry their own shared part.
    pub(super) overrides: u32,
}

pub(super) fn corrupt(what: &'static str, detail: &str) -> CodecError {
    CodecError::Corrupt {
        what,
        detail: detail.to_string(),
    }
}

impl<S, D> BlockHeader<S, D> {
    /// Checks what the header says about the rows before anything relies on it.
    pub(super) fn check(&self, what: &'static str, body_len: usize) -> Result<(), CodecError> {
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
    pub(super) fn key(&self, i: usize) -> u32 {
        match &self.keys {
            RowKeys::Dense => i as u32,
            RowKeys::Step(step) => i as u32 * step,
            RowKeys::List(k) => k[i],
        }
    }

    /// Index of the row with key `key`.
    pub(super) fn find(&self, key: u32) -> Option<usize> {
        let i = match &self.keys {
            RowKeys::Dense => key as usize,
            RowKeys::Step(step) if key.is_multiple_of(*step) => (key / step) as usize,
            RowKeys::Step(_) => return None,
            RowKeys::List(k) => return k.binary_search(&key).ok(),
        };
        (i < self.rows as usize).then_some(i)
    }
}

pub(super) fn enum_index<T: PartialEq + Copy>(all: &[T], v: T) -> u8 {
    all.iter().position(|x| *x == v).unwrap_or(0) as u8
}

pub(super) fn enum_at<T: Copy>(what: &'static str, all: &[T], i: u8) -> Result<T, CodecError> {
    all.get(i as usize)
        .copied()
        .ok_or_else(|| corrupt(what, "option value out of range"))
}

/// The parts every row has, as read from the body.
pub(super) struct RawRow<'b> {
    /// Start of the row (its length) in the body.
    pub(super) row_start: usize,
    pub(super) head: [u8; 2],
    pub(super) salesperson: u32,
    pub(super) company: RawCompany,
    pub(super) shared: Option<&'b [u8]>,
    pub(super) comments: Option<&'b [u8]>,
}

/// A row's company as read: its number, when another contact's, is in [`RowCursor::company`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RawCompany {
    None,
    Same,
    Other,
}

/// Company tags in a row.
pub(super) const COMPANY_NONE: u8 = 0;
pub(super) const COMPANY_SAME: u8 = 1;
/// The previous row's company.
pub(super) const COMPANY_AS_PREVIOUS: u8 = 2;
/// The previous row's contact (persons follow their company in contact order).
pub(super) const COMPANY_PREVIOUS_CONTACT: u8 = 3;
/// Written out: the length of the prefix it shares with this row's contact, then the rest.
pub(super) const COMPANY_INLINE: u8 = 4;

/// Walks the rows of a block body, undoing the prefix compression.
pub(super) struct RowCursor<'b> {
    pub(super) what: &'static str,
    pub(super) body: &'b [u8],
    pub(super) pos: usize,
    pub(super) row: usize,
    pub(super) rows: usize,
    pub(super) head_len: usize,
    pub(super) contact: Vec<u8>,
    pub(super) prev_contact: Vec<u8>,
    pub(super) company: Vec<u8>,
    pub(super) has_company: bool,
}

pub(super) const EXTRA_SHARED: u8 = 1;
pub(super) const EXTRA_COMMENTS: u8 = 2;

impl<'b> RowCursor<'b> {
    pub(super) fn new(what: &'static str, body: &'b [u8], rows: usize, head_len: usize) -> Self {
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
    pub(super) fn seek(&mut self, row: usize, at: usize) {
        self.row = row;
        self.pos = at;
    }

    /// The contact of the last row read.
    pub(super) fn contact(&self) -> Result<&str, CodecError> {
        std::str::from_utf8(&self.contact)
            .map_err(|_| corrupt(self.what, "contact number is not UTF-8"))
    }

    /// The company of the last row read, when it is another contact.
    pub(super) fn company(&self) -> Result<&str, CodecError> {
        std::str::from_utf8(&self.company)
            .map_err(|_| corrupt(self.what, "company number is not UTF-8"))
    }

    pub(super) fn next(&mut self) -> Result<Option<RawRow<'b>>, CodecError> {
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
    pub(super) fn check_end(&self) -> Result<(), CodecError> {
        if self.pos == self.body.len() {
            Ok(())
        } else {
            Err(corrupt(self.what, "trailing bytes after the last row"))
        }
    }
}

/// Which shared part a placed row stores.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RowShared {
    Block,
    Default,
    Caller,
}

/// Cuts rows into blocks and encodes them (the part common to entry and line blocks).
pub(super) struct BlockBuilder<S, D: Eq + std::hash::Hash + Clone> {
    pub(super) what: &'static str,
    pub(super) limited: bool,
    pub(super) first: Option<u64>,
    pub(super) shared: Option<S>,
    pub(super) block_is_default: bool,
    pub(super) default: Option<S>,
    pub(super) dict: Dict<D>,
    pub(super) overrides: u32,
    pub(super) keys: Vec<u32>,
    pub(super) restarts: Vec<u32>,
    pub(super) body: Vec<u8>,
    pub(super) row: Vec<u8>,
    /// A row's part being encoded (kept: a row does not allocate).
    pub(super) part: Vec<u8>,
    pub(super) prev_contact: Vec<u8>,
    pub(super) prev_company: Vec<u8>,
    pub(super) has_prev_company: bool,
    pub(super) done: Vec<(u64, Vec<u8>)>,
    /// When set, what an entry-ordered index run keeps of each finished block (its first
    /// contact and a Bloom filter of its contacts), in `done` order.
    pub(super) indexed: Option<Vec<crate::storage::bloom::OrderedBlock>>,
    /// Bits per key of those filters ([`crate::storage::bloom::bits_per_key`]).
    pub(super) bloom_bits: usize,
    pub(super) block_first_contact: String,
    /// Bloom hashes of the open block's distinct contacts (when `indexed`).
    pub(super) block_hashes: Vec<(u64, u64)>,
}

impl<S: Clone + PartialEq + Serialize, D: Eq + std::hash::Hash + Clone + Serialize>
    BlockBuilder<S, D>
{
    pub(super) fn new(what: &'static str, default: Option<S>, limited: bool) -> Self {
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
            part: Vec::with_capacity(64),
            prev_contact: Vec::with_capacity(24),
            prev_company: Vec::with_capacity(24),
            has_prev_company: false,
            done: Vec::new(),
            indexed: None,
            bloom_bits: crate::storage::bloom::bits_per_key(0),
            block_first_contact: String::new(),
            block_hashes: Vec::new(),
        }
    }

    /// Places a row numbered `number`: returns its key, its dictionary id and which shared part
    /// it stores.
    pub(super) fn place<Q: SharedPart<S>>(
        &mut self,
        number: u64,
        shared: SharedArg<'_, Q>,
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
                    SharedArg::Own(s) => (s.to_part()?, false),
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
            SharedArg::Own(s) if s.is(block_shared) => RowShared::Block,
            SharedArg::Own(_) => RowShared::Caller,
        };
        if own != RowShared::Block {
            self.overrides += 1;
        }
        Ok((key, id, own))
    }

    /// Encodes a placed row.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write<Q: Serialize>(
        &mut self,
        key: u32,
        head: &[u8],
        salesperson: u32,
        company: CompanyArg<'_>,
        contact: &str,
        shared: Option<&Q>,
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
                    .push(crate::storage::bloom::bloom_hashes(contact.as_bytes()));
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
        let part = &mut self.part;
        part.clear();
        if let Some(s) = shared {
            codec::encode_part(self.what, s, part)?;
            put_varint(r, part.len() as u64);
            r.extend_from_slice(part);
        }
        if !comments.is_empty() {
            part.clear();
            codec::encode_part(self.what, &comments, part)?;
            put_varint(r, part.len() as u64);
            r.extend_from_slice(part);
        }
        put_varint(&mut self.body, self.row.len() as u64);
        self.body.extend_from_slice(&self.row);
        self.keys.push(key);
        Ok(())
    }

    /// The shared part a row stores.
    pub(super) fn row_shared<'a>(&'a self, r: RowShared, arg: SharedArg<'a, S>) -> Option<&'a S> {
        match (r, arg) {
            (RowShared::Block, _) => None,
            (RowShared::Default, _) => self.default.as_ref(),
            (RowShared::Caller, SharedArg::Own(s)) => Some(s),
            (RowShared::Caller, SharedArg::Default) => self.default.as_ref(),
        }
    }

    pub(super) fn cut(&mut self) -> Result<(), CodecError> {
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
                    ix.push(crate::storage::bloom::OrderedBlock {
                        first_contact: std::mem::take(&mut self.block_first_contact),
                        key: first,
                        bloom: crate::storage::bloom::Bloom::from_hashes(
                            &self.block_hashes,
                            self.bloom_bits,
                        ),
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

    pub(super) fn finish(mut self) -> Result<Vec<(u64, Vec<u8>)>, CodecError> {
        self.cut()?;
        Ok(self.done)
    }
}

/// A parsed block: header checked, body ready to walk.
pub(super) struct Parsed<'b, S, D> {
    pub(super) header: BlockHeader<S, D>,
    pub(super) body: &'b [u8],
    pub(super) body_start: usize,
}

pub(super) fn parse<'b, S: serde::de::DeserializeOwned, D: serde::de::DeserializeOwned>(
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

pub(super) fn company_ref(
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

pub(super) fn contact_no(what: &'static str, s: &str) -> Result<ContactNo, CodecError> {
    ContactNo::try_from(s.to_string()).map_err(|e| corrupt(what, &e.to_string()))
}
