//! Contacts: sorted contact blocks, a directory, and a delta of single records.
//!
//! sled 0.34 builds its page table over every key when it opens a store, so one key per contact
//! made opening (and its memory) grow with the number of contacts. Contacts therefore live in
//! three parts:
//!
//! * **contact blocks** (tree `contact_blocks`, key = block id, u64 BE): up to
//!   [`blocks::MAX_BLOCK_ROWS`](super::blocks::MAX_BLOCK_ROWS) contacts each (cut at 96 KiB), in
//!   contact-number order, in the row codec ([`super::blocks::ContactBlockBuilder`]);
//! * the **directory** (`meta` key `contact_dir`): per block its first and last contact number,
//!   its id and its row count, in contact order, ranges disjoint. It is what a bulk write's
//!   commit switches. The live blocks are exactly the ids in `contact_blocks_from ..
//!   next_contact_block` (two `meta` counters);
//! * the **delta** (tree `contacts`, one record per contact, as every earlier version wrote
//!   them): single-record writes ([`Change::PutContact`](super::Change::PutContact)) stay one
//!   small commit. A delta record overrides a block record with the same number. A store
//!   written before contact blocks existed has no directory: everything is in the delta.
//!
//! A **bulk write** ([`Store::put_contacts_bulk`], [`Store::apply_with_contacts`]) merges the
//! blocks, the delta and the new contacts into new blocks written *staged* under ids at or above
//! `next_contact_block` (no reader looks there), makes them durable, then commits one write
//! set: the caller's changes, the new directory, the counters, and the removal of every delta
//! record (now folded into the blocks; one key each — small, unless a store of an earlier
//! version is converted). Applying that record again at open, before or after later records,
//! changes nothing, as every journal record must. After the commit the replaced blocks (ids
//! below the new `contact_blocks_from`) are deleted as garbage — by the same code that
//! recovery runs at open — so a crash at any point leaves the contacts as before the commit or
//! as after it.
//!
//! Reads: [`Store::contact`], [`Store::has_contact`], [`Store::contacts`] (a streamed merge of
//! blocks and delta: memory holds one decoded block), [`Store::contact_count`]. The directory
//! and a few decoded blocks are cached; blocks are never changed under an id, so a cached block
//! never goes stale.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::blocks::{check_contact_block, decode_contact_block, ContactBlockBuilder, ContactView};
use super::{
    bad_value, codec, keys, StorageError, Store, TreeId, UnitOfWork, UntilErrorExt, WriterGuard,
};
use crate::domain::filter::ValueRange;
use crate::domain::{Contact, ContactKind, ContactNo};

/// An import or load of more contacts than this goes through the bulk write.
pub const BULK_CONTACTS: usize = 4096;

/// Decoded blocks kept in memory for lookups by number.
const CACHED_BLOCKS: usize = 8;

/// One block in the directory. Its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirBlock {
    /// First contact number in the block.
    pub first: ContactNo,
    /// Last contact number in the block.
    pub last: ContactNo,
    /// Block id (key in `contact_blocks`).
    pub key: u64,
    /// Number of contacts in the block.
    pub count: u32,
}

/// The contact block directory. Its encoding is part of the on-disk format.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDirectory {
    /// The blocks, in contact order.
    pub blocks: Vec<DirBlock>,
}

/// What readers need to know, cached until the next bulk write.
#[derive(Debug, Default)]
pub(super) struct ContactState {
    dir: ContactDirectory,
    total: u64,
}

/// Contact blocks written staged by a [`ContactBlocksWriter`], not yet visible.
#[derive(Debug)]
pub struct StagedContacts {
    dir: ContactDirectory,
    from: u64,
    next: u64,
}

impl StagedContacts {
    /// Contacts written.
    pub fn count(&self) -> u64 {
        self.dir.blocks.iter().map(|b| b.count as u64).sum()
    }
}

const CONTACT_DIR: &str = "contact directory";

/// The contacts one unit of work writes, kept compactly until it commits: each is its number
/// and its codec encoding in one shared buffer (≈ 100 bytes a contact instead of ≈ 500 as
/// `Contact` values), so an import of a million contacts holds ≈ 100 MB, not 500.
#[derive(Debug, Default)]
pub struct ContactBatch {
    bytes: Vec<u8>,
    /// Per contact, in the order given: where its number starts, and where its encoding ends.
    at: Vec<(usize, usize)>,
}

impl ContactBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a contact (a later one with the same number replaces an earlier one).
    pub fn push(&mut self, c: &Contact) -> Result<(), StorageError> {
        let start = self.bytes.len();
        let no = c.no.as_bytes();
        codec::put_varint(&mut self.bytes, no.len() as u64);
        self.bytes.extend_from_slice(no);
        codec::encode_part("contact", &ContactView::of(c), &mut self.bytes)?;
        self.at.push((start, self.bytes.len()));
        Ok(())
    }

    /// Number of contacts added.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// True when none was added.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// (number, encoding) of the contact at `(start, end)`.
    fn parts(&self, (start, end): (usize, usize)) -> (&[u8], &[u8]) {
        let mut p = start;
        let n = codec::get_varint(&self.bytes, &mut p).unwrap_or(0) as usize;
        (&self.bytes[p..p + n], &self.bytes[p + n..end])
    }

    fn view(&self, at: (usize, usize)) -> Result<ContactView<'_>, StorageError> {
        Ok(codec::decode_part_borrowed("contact", self.parts(at).1)?)
    }

    /// The contacts in the order given.
    pub fn iter(&self) -> impl Iterator<Item = Result<Contact, StorageError>> + '_ {
        self.at.iter().map(|&at| {
            self.view(at)?
                .to_contact()
                .map_err(|e| StorageError::Inconsistent(format!("a batched contact: {e}")))
        })
    }

    /// The contacts in number order, the last given of each number only, read in place.
    pub fn sorted(&mut self) -> impl Iterator<Item = Result<ContactView<'_>, StorageError>> {
        let mut at = std::mem::take(&mut self.at);
        // Reversed, then a stable sort: of one number's contacts the last given comes first,
        // and is the one kept.
        at.reverse();
        at.sort_by(|a, b| self.parts(*a).0.cmp(self.parts(*b).0));
        at.dedup_by(|later, first| self.parts(*later).0 == self.parts(*first).0);
        let batch = &*self;
        at.into_iter().map(move |at| batch.view(at))
    }
}

/// A contact given to [`Store::put_contacts_bulk`]: its number, and its fields as a block row
/// takes them.
pub trait NewContact: Send {
    /// The contact number's bytes.
    fn number(&self) -> &[u8];
    /// The contact's fields.
    fn view(&self) -> ContactView<'_>;
}

impl NewContact for Contact {
    fn number(&self) -> &[u8] {
        self.no.as_bytes()
    }
    fn view(&self) -> ContactView<'_> {
        ContactView::of(self)
    }
}

/// A contact read where it is (a [`ContactBatch`]'s bytes): a bulk write of a million
/// contacts builds none of them.
impl NewContact for ContactView<'_> {
    fn number(&self) -> &[u8] {
        self.no.as_bytes()
    }
    fn view(&self) -> ContactView<'_> {
        *self
    }
}

/// What the merge of a bulk write hands the block encoder.
// `T` is a contact too (a `Contact` or a view of one): clippy sizes it as nothing.
#[allow(clippy::large_enum_variant)]
enum Feed<T> {
    Stored(Contact),
    New(T),
}

impl Store {
    fn meta_u64_or(&self, name: &[u8], default: u64) -> Result<u64, StorageError> {
        match self.t.meta.get(name)? {
            Some(v) => codec::decode("counter", &v).map_err(|e| bad_value(TreeId::Meta, name, e)),
            None => Ok(default),
        }
    }

    /// The directory and the delta flag (cached).
    pub(super) fn contact_state(&self) -> Result<Arc<ContactState>, StorageError> {
        if let Some(s) = self
            .contact_state
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return Ok(s.clone());
        }
        let dir: ContactDirectory = match self.t.meta.get(keys::meta::CONTACT_DIR)? {
            Some(v) => codec::decode(CONTACT_DIR, &v)
                .map_err(|e| bad_value(TreeId::Meta, keys::meta::CONTACT_DIR, e))?,
            None => ContactDirectory::default(),
        };
        let total = dir.blocks.iter().map(|b| b.count as u64).sum();
        let s = Arc::new(ContactState { dir, total });
        *self
            .contact_state
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(s.clone());
        Ok(s)
    }

    /// Forgets the cached directory (after a bulk write, its clean-up, or a replayed commit).
    pub(super) fn invalidate_contacts(&self) {
        *self
            .contact_state
            .write()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn read_contact_block(&self, b: &DirBlock) -> Result<Vec<Contact>, StorageError> {
        let (key, v) = self.contact_block_value(b)?;
        let rows =
            decode_contact_block(&v).map_err(|e| bad_value(TreeId::ContactBlocks, &key, e))?;
        if rows.len() != b.count as usize
            || rows.first().map(|c| &c.no) != Some(&b.first)
            || rows.last().map(|c| &c.no) != Some(&b.last)
        {
            return Err(not_as_listed(b));
        }
        Ok(rows)
    }

    /// Checks a block as [`Self::read_contact_block`] would refuse it, without building its
    /// contacts; each row's number goes to `on_row`.
    fn check_contact_block(
        &self,
        b: &DirBlock,
        on_row: &mut dyn FnMut(&str),
    ) -> Result<(), StorageError> {
        let (key, v) = self.contact_block_value(b)?;
        let s = check_contact_block(&v, on_row)
            .map_err(|e| bad_value(TreeId::ContactBlocks, &key, e))?;
        if s.rows != b.count as usize || s.first != b.first.as_str() || s.last != b.last.as_str() {
            return Err(not_as_listed(b));
        }
        Ok(())
    }

    fn contact_block_value(&self, b: &DirBlock) -> Result<([u8; 8], sled::IVec), StorageError> {
        let key = keys::num(b.key);
        match self.t.contact_blocks.get(key)? {
            Some(v) => Ok((key, v)),
            None => Err(StorageError::Inconsistent(format!(
                "contact block {} (contacts {}..{}) is listed in the directory but missing",
                b.key, b.first, b.last
            ))),
        }
    }

    /// A decoded block, from the cache when it is there.
    fn cached_contact_block(&self, b: &DirBlock) -> Result<Arc<Vec<Contact>>, StorageError> {
        {
            let mut cache = self.contact_cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = cache.iter().position(|(k, _)| *k == b.key) {
                let hit = cache.remove(i);
                let rows = hit.1.clone();
                cache.insert(0, hit);
                return Ok(rows);
            }
        }
        let rows = Arc::new(self.read_contact_block(b)?);
        let mut cache = self.contact_cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(0, (b.key, rows.clone()));
        cache.truncate(CACHED_BLOCKS);
        Ok(rows)
    }

    /// A contact.
    pub fn contact(&self, no: &ContactNo) -> Result<Option<Contact>, StorageError> {
        self.with_contact(no, Contact::clone)
    }

    /// The type of contact `no`, when it exists (without copying the contact).
    pub fn contact_kind(&self, no: &ContactNo) -> Result<Option<ContactKind>, StorageError> {
        self.with_contact(no, |c| c.kind)
    }

    /// `f` of contact `no`, when it exists: the delta first, then its block.
    fn with_contact<T>(
        &self,
        no: &ContactNo,
        f: impl FnOnce(&Contact) -> T,
    ) -> Result<Option<T>, StorageError> {
        if let Some(c) = self.get_rec::<Contact>(TreeId::Contacts, no.as_bytes(), "contact")? {
            return Ok(Some(f(&c)));
        }
        let st = self.contact_state()?;
        let blocks = &st.dir.blocks;
        let i = blocks.partition_point(|b| b.last < *no);
        let Some(b) = blocks.get(i).filter(|b| b.first <= *no) else {
            return Ok(None);
        };
        let rows = self.cached_contact_block(b)?;
        Ok(rows
            .binary_search_by(|c| c.no.cmp(no))
            .ok()
            .map(|j| f(&rows[j])))
    }

    /// True when the store holds no contact at all (neither in blocks nor as single records).
    pub fn holds_no_contacts(&self) -> Result<bool, StorageError> {
        Ok(self.contact_state()?.dir.blocks.is_empty() && self.t.contacts.is_empty())
    }

    /// True when the contact exists.
    pub fn has_contact(&self, no: &ContactNo) -> Result<bool, StorageError> {
        if self.t.contacts.contains_key(no.as_bytes())? {
            return Ok(true);
        }
        let st = self.contact_state()?;
        let blocks = &st.dir.blocks;
        let i = blocks.partition_point(|b| b.last < *no);
        match blocks.get(i).filter(|b| b.first <= *no) {
            None => Ok(false),
            Some(b) if b.first == *no || b.last == *no => Ok(true),
            Some(b) => Ok(self
                .cached_contact_block(b)?
                .binary_search_by(|c| c.no.cmp(no))
                .is_ok()),
        }
    }

    /// Every contact in number order, decoded one block at a time (memory stays flat for
    /// millions of contacts); stops after the first error.
    pub fn contacts(&self) -> ContactIter<'_> {
        self.contacts_in(&ValueRange::all())
    }

    /// The contacts whose numbers lie in `range` (byte order, the order they are stored in),
    /// in number order: only the contact blocks that can hold such numbers are read.
    pub fn contacts_in(&self, range: &ValueRange) -> ContactIter<'_> {
        let (state, err) = match self.contact_state() {
            Ok(s) => (s, None),
            Err(e) => (Arc::new(ContactState::default()), Some(e)),
        };
        let empty = range.is_empty();
        // The first block whose last number is not below the range.
        let first_block = state
            .dir
            .blocks
            .partition_point(|b| range.is_below(b.last.as_bytes()));
        let bounds = (
            range.from.as_ref().map(Vec::as_slice),
            range.to.as_ref().map(Vec::as_slice),
        );
        let delta_records = if empty {
            None
        } else {
            Some(self.t.contacts.range::<&[u8], _>(bounds))
        };
        let delta: Box<dyn Iterator<Item = Result<Contact, StorageError>> + '_> = Box::new(
            delta_records
                .into_iter()
                .flatten()
                .map(|kv| {
                    let (k, v) = kv?;
                    codec::decode("contact", &v).map_err(|e| bad_value(TreeId::Contacts, &k, e))
                })
                .until_error(),
        );
        ContactIter {
            store: self,
            state,
            next_block: first_block,
            block: Vec::new().into_iter(),
            b_head: None,
            delta,
            d_head: None,
            err,
            done: empty,
            range: range.clone(),
        }
    }

    /// Every contact, by number (materialized: for small stores and tests).
    pub fn all_contacts(&self) -> Result<Vec<Contact>, StorageError> {
        self.contacts().collect()
    }

    /// Number of contacts (an estimate is enough: it sizes progress bars; a delta record that
    /// overrides a block record is counted twice).
    pub fn contact_count(&self) -> usize {
        let Ok(st) = self.contact_state() else {
            return self.t.contacts.len();
        };
        st.total as usize + self.t.contacts.len()
    }

    /// A writer of staged contact blocks for a new directory (contacts in increasing number
    /// order); publish them with [`Store::commit_contact_blocks`].
    pub fn contact_blocks_writer(
        &self,
        writer: &WriterGuard<'_>,
    ) -> Result<ContactBlocksWriter<'_>, StorageError> {
        self.check_writer(writer)?;
        let next = self.meta_u64_or(keys::meta::NEXT_CONTACT_BLOCK, 1)?;
        Ok(ContactBlocksWriter {
            store: self,
            builder: ContactBlockBuilder::new(),
            from: next,
            next,
            dir: Vec::new(),
            cur_first: None,
            cur_count: 0,
            last: String::new(),
        })
    }

    /// Commits `ws` together with the switch to the staged contact blocks (which replace every
    /// block and the whole delta), then deletes what they replaced.
    pub fn commit_contact_blocks(
        &self,
        writer: &WriterGuard<'_>,
        staged: StagedContacts,
        mut ws: UnitOfWork,
    ) -> Result<(), StorageError> {
        self.check_writer(writer)?;
        ws.put(
            TreeId::Meta,
            keys::meta::CONTACT_DIR,
            codec::encode(CONTACT_DIR, &staged.dir)?,
        );
        ws.put_counter(keys::meta::NEXT_CONTACT_BLOCK, staged.next);
        ws.put_counter(keys::meta::CONTACT_BLOCKS_FROM, staged.from);
        // The delta is folded into the new blocks.
        for k in self.t.contacts.iter().keys() {
            ws.del(TreeId::Contacts, k?);
        }
        let res = self.apply(ws);
        self.invalidate_contacts();
        res?;
        self.tidy_contacts()
            .map(|_| ())
            .map_err(|e| self.committed_but(e))
    }

    /// Merges `new` (contacts in strictly increasing number order; a new contact replaces a
    /// stored one with the same number) with every stored contact into new blocks, and commits
    /// them with `ws` (see the module docs). Returns how many contacts the store then holds.
    pub fn put_contacts_bulk<T: NewContact>(
        &self,
        writer: &WriterGuard<'_>,
        new: impl Iterator<Item = Result<T, StorageError>>,
        ws: UnitOfWork,
    ) -> Result<u64, StorageError> {
        // Two stages on two threads: this one merges (decoding stored blocks, comparing
        // numbers), a writer encodes blocks and stages them; chunks of contacts pass between.
        const CHUNK: usize = 2048;
        let out = self.contact_blocks_writer(writer)?;
        let staged = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Feed<T>>>(2);
            let encoder = scope.spawn(move || -> Result<StagedContacts, StorageError> {
                let mut out = out;
                for chunk in rx {
                    for c in &chunk {
                        match c {
                            Feed::Stored(c) => out.push(&ContactView::of(c))?,
                            Feed::New(c) => out.push(&c.view())?,
                        }
                    }
                }
                out.finish()
            });
            let mut chunk: Vec<Feed<T>> = Vec::with_capacity(CHUNK);
            // False once the encoder stopped (it failed: its error is reported).
            let mut feed = |c: Feed<T>| -> bool {
                chunk.push(c);
                chunk.len() < CHUNK
                    || tx
                        .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                        .is_ok()
            };
            let merged = (|| -> Result<(), StorageError> {
                let mut old = self.contacts();
                let mut new = new;
                let mut n_head = new.next().transpose()?;
                let mut o = old.next().transpose()?;
                loop {
                    let go = match (o.take(), n_head.take()) {
                        (None, None) => break,
                        (Some(c), None) => {
                            o = old.next().transpose()?;
                            feed(Feed::Stored(c))
                        }
                        (Some(c), Some(n)) if c.no.as_bytes() < n.number() => {
                            o = old.next().transpose()?;
                            n_head = Some(n);
                            feed(Feed::Stored(c))
                        }
                        (Some(c), Some(n)) => {
                            o = if c.no.as_bytes() == n.number() {
                                old.next().transpose()?
                            } else {
                                Some(c)
                            };
                            n_head = new.next().transpose()?;
                            feed(Feed::New(n))
                        }
                        (None, Some(n)) => {
                            n_head = new.next().transpose()?;
                            feed(Feed::New(n))
                        }
                    };
                    if !go {
                        break;
                    }
                }
                Ok(())
            })();
            if merged.is_ok() && !chunk.is_empty() {
                let _ = tx.send(std::mem::take(&mut chunk));
            }
            drop(tx);
            let encoded = encoder.join().unwrap_or_else(|_| {
                Err(StorageError::Inconsistent(
                    "the contact block encoder stopped".into(),
                ))
            });
            merged.and(encoded)
        });
        let staged = match staged {
            Ok(s) => s,
            Err(e) => {
                // Roll back the staged blocks (nothing was committed).
                let _ = self.recover(writer);
                return Err(e);
            }
        };
        let n = staged.count();
        self.commit_contact_blocks(writer, staged, ws)?;
        Ok(n)
    }

    /// Commits a unit of work `ws` together with the contacts of `batch`: as single records
    /// in `ws` when they are few, else through [`Store::put_contacts_bulk`]. Of several
    /// contacts with one number, the last given is stored.
    pub fn apply_with_contacts(
        &self,
        writer: &WriterGuard<'_>,
        mut batch: ContactBatch,
        mut ws: UnitOfWork,
    ) -> Result<(), StorageError> {
        self.check_writer(writer)?;
        if batch.len() > BULK_CONTACTS {
            self.put_contacts_bulk(writer, batch.sorted(), ws)?;
            return Ok(());
        }
        for c in batch.iter() {
            ws.change(super::Change::PutContact(c?));
        }
        self.apply(ws)
    }

    /// After a bulk commit, and at open: deletes staged blocks at or above `next_contact_block`
    /// and replaced blocks below `contact_blocks_from` (garbage: block ids are never reused).
    /// Returns (staged blocks, replaced blocks) deleted.
    pub(super) fn tidy_contacts(&self) -> Result<(u64, u64), StorageError> {
        let next = self.meta_u64_or(keys::meta::NEXT_CONTACT_BLOCK, 1)?;
        let from = self.meta_u64_or(keys::meta::CONTACT_BLOCKS_FROM, next)?;
        let staged = self.delete_from(&self.t.contact_blocks, &keys::num(next))?;
        let mut replaced = 0;
        let below = keys::num(from);
        if self.t.contact_blocks.range(..below).next().is_some() {
            self.unsynced();
            for k in self.t.contact_blocks.range(..below).keys() {
                self.t.contact_blocks.remove(k?)?;
                replaced += 1;
            }
        }
        Ok((staged, replaced))
    }

    /// What `verify` finds wrong with the contact blocks and their directory: (area, detail).
    /// Every listed block is read and checked as decoding it would; ranges must be sorted and
    /// disjoint, counts must match, and no block may lie outside the directory. Each checked
    /// row's number goes to `on_row`. Returns the problems and the number of blocks read.
    pub fn check_contact_blocks(
        &self,
        on_row: &mut dyn FnMut(&str),
    ) -> (Vec<(&'static str, String)>, u64) {
        let mut p: Vec<(&'static str, String)> = Vec::new();
        let st = match self.contact_state() {
            Ok(s) => s,
            Err(e) => {
                p.push(("codec", format!("contact directory: {e}")));
                return (p, 0);
            }
        };
        let next = self
            .meta_u64_or(keys::meta::NEXT_CONTACT_BLOCK, 1)
            .unwrap_or(1);
        let from = self
            .meta_u64_or(keys::meta::CONTACT_BLOCKS_FROM, next)
            .unwrap_or(next);
        let mut prev: Option<&DirBlock> = None;
        let mut listed = std::collections::HashSet::new();
        let mut read = 0;
        for b in &st.dir.blocks {
            if b.first > b.last {
                p.push((
                    "contacts",
                    format!(
                        "contact block {} runs from {} back to {}",
                        b.key, b.first, b.last
                    ),
                ));
            }
            if let Some(pr) = prev {
                if pr.last >= b.first {
                    p.push((
                        "contacts",
                        format!(
                            "contact blocks {} ({}..{}) and {} ({}..{}) are not sorted and disjoint",
                            pr.key, pr.first, pr.last, b.key, b.first, b.last
                        ),
                    ));
                }
            }
            if b.key < from || b.key >= next {
                p.push((
                    "contacts",
                    format!(
                        "contact block {} lies outside the live ids {from}..{next}",
                        b.key
                    ),
                ));
            }
            listed.insert(b.key);
            read += 1;
            if let Err(e) = self.check_contact_block(b, on_row) {
                let area = match e {
                    StorageError::BadValue { .. } => "codec",
                    _ => "contacts",
                };
                p.push((area, e.to_string()));
            }
            prev = Some(b);
        }
        for k in self.t.contact_blocks.iter().keys().until_error() {
            match k {
                Ok(k) => {
                    let id = keys::read_num(&k).unwrap_or(0);
                    if !listed.contains(&id) {
                        p.push((
                            "staging",
                            format!("contact block {id} is not in the directory (staged or replaced data left)"),
                        ));
                    }
                }
                Err(e) => p.push(("storage", format!("reading contact blocks: {e}"))),
            }
        }
        (p, read)
    }
}

/// Streams contact blocks for a new directory (see [`Store::contact_blocks_writer`]).
pub struct ContactBlocksWriter<'s> {
    store: &'s Store,
    builder: ContactBlockBuilder,
    from: u64,
    next: u64,
    dir: Vec<DirBlock>,
    cur_first: Option<ContactNo>,
    cur_count: u32,
    /// The last number pushed (empty before the first: no number is empty); kept as text so
    /// that a row does not allocate.
    last: String,
}

impl ContactBlocksWriter<'_> {
    /// Adds a contact (numbers must increase strictly).
    pub fn push(&mut self, c: &ContactView<'_>) -> Result<(), StorageError> {
        if !self.last.is_empty() && c.no <= self.last.as_str() {
            return Err(StorageError::Inconsistent(format!(
                "contacts reached the bulk write out of order: {} after {}",
                c.no, self.last
            )));
        }
        self.builder.push(c)?;
        for bytes in self.builder.take_done() {
            self.write_block(bytes)?;
        }
        if self.cur_first.is_none() {
            self.cur_first = Some(number(c.no)?);
        }
        self.cur_count += 1;
        self.last.clear();
        self.last.push_str(c.no);
        Ok(())
    }

    fn write_block(&mut self, bytes: Vec<u8>) -> Result<(), StorageError> {
        let (Some(first), false) = (self.cur_first.take(), self.last.is_empty()) else {
            return Err(StorageError::Inconsistent(
                "a contact block was cut with no contacts".into(),
            ));
        };
        let last = number(&self.last)?;
        self.store
            .put_staged(TreeId::ContactBlocks, &keys::num(self.next), &bytes)?;
        self.dir.push(DirBlock {
            first,
            last,
            key: self.next,
            count: std::mem::take(&mut self.cur_count),
        });
        self.next += 1;
        Ok(())
    }

    /// Writes the last block.
    pub fn finish(mut self) -> Result<StagedContacts, StorageError> {
        let builder = std::mem::take(&mut self.builder);
        for bytes in builder.finish()? {
            self.write_block(bytes)?;
        }
        Ok(StagedContacts {
            dir: ContactDirectory { blocks: self.dir },
            from: self.from,
            next: self.next,
        })
    }
}

/// A contact number given to the bulk write as text.
fn number(no: &str) -> Result<ContactNo, StorageError> {
    ContactNo::try_from(no.to_string())
        .map_err(|e| StorageError::Inconsistent(format!("a contact for the bulk write: {e}")))
}

fn not_as_listed(b: &DirBlock) -> StorageError {
    StorageError::Inconsistent(format!(
        "contact block {} does not hold what the directory says (contacts {}..{}, {} rows)",
        b.key, b.first, b.last, b.count
    ))
}

/// The contacts of the blocks and the delta, merged in number order (a delta record wins).
pub struct ContactIter<'s> {
    store: &'s Store,
    state: Arc<ContactState>,
    next_block: usize,
    block: std::vec::IntoIter<Contact>,
    b_head: Option<Contact>,
    delta: Box<dyn Iterator<Item = Result<Contact, StorageError>> + 's>,
    d_head: Option<Contact>,
    err: Option<StorageError>,
    done: bool,
    /// Numbers outside are skipped; the first above it ends the iteration.
    range: ValueRange,
}

impl ContactIter<'_> {
    fn fill(&mut self) -> Result<(), StorageError> {
        while self.b_head.is_none() {
            if let Some(c) = self.block.next() {
                self.b_head = Some(c);
            } else if let Some(b) = self.state.dir.blocks.get(self.next_block) {
                self.next_block += 1;
                self.block = self.store.read_contact_block(b)?.into_iter();
            } else {
                break;
            }
        }
        if self.d_head.is_none() {
            self.d_head = self.delta.next().transpose()?;
        }
        Ok(())
    }
}

impl Iterator for ContactIter<'_> {
    type Item = Result<Contact, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let out = self.next_any();
            if let Some(Ok(c)) = &out {
                if self.range.is_below(c.no.as_bytes()) {
                    continue;
                }
                if self.range.is_above(c.no.as_bytes()) {
                    self.done = true;
                    return None;
                }
            }
            return out;
        }
    }
}

impl ContactIter<'_> {
    /// The next contact in number order, blocks and delta merged (the delta wins).
    fn next_any(&mut self) -> Option<Result<Contact, StorageError>> {
        if self.done {
            return None;
        }
        if let Some(e) = self.err.take() {
            self.done = true;
            return Some(Err(e));
        }
        if let Err(e) = self.fill() {
            self.done = true;
            return Some(Err(e));
        }
        let out = match (&self.b_head, &self.d_head) {
            (None, None) => None,
            (Some(_), None) => self.b_head.take(),
            (None, Some(_)) => self.d_head.take(),
            (Some(b), Some(d)) => match b.no.cmp(&d.no) {
                std::cmp::Ordering::Less => self.b_head.take(),
                std::cmp::Ordering::Greater => self.d_head.take(),
                std::cmp::Ordering::Equal => {
                    self.b_head = None;
                    self.d_head.take()
                }
            },
        };
        match out {
            Some(c) => Some(Ok(c)),
            None => {
                self.done = true;
                None
            }
        }
    }
}
