//! The sink of `interlog load`: a whole store streamed into a new, empty one.
//!
//! `exchange::dump` reads the dump and checks its order; the sink stores what it is handed as
//! staged data nothing reads yet — records through their typed [`Change`]s, contacts as
//! contact blocks, entries and segment lines as blocks from the same builders the bulk writers
//! use — and [`LoadSink::finish`] publishes everything with one commit (the counters and the
//! contact directory). A relational backend would `COPY` each kind into its table inside one
//! transaction.

use std::collections::BTreeMap;

use super::blocks::{EntryBlockBuilder, LineBlockBuilder};
use super::contacts::ContactBlocksWriter;
use super::{keys, Change, CodecError, StorageError, Store, TreeId, UnitOfWork, WriterGuard};
use crate::domain::{Contact, LogEntry, SegmentLine};

/// Why a record could not be taken.
#[derive(Debug)]
pub enum PushError {
    /// The record cannot be stored (a field out of the format's range …).
    Invalid(CodecError),
    /// The store failed.
    Storage(StorageError),
}

impl From<StorageError> for PushError {
    fn from(e: StorageError) -> Self {
        PushError::Storage(e)
    }
}

/// See the module docs.
pub struct LoadSink<'s> {
    store: &'s Store,
    writer: &'s WriterGuard<'s>,
    contacts: ContactBlocksWriter<'s>,
    entries: EntryBlockBuilder,
    lines: BTreeMap<u64, LineBlockBuilder>,
}

impl Store {
    /// The sink of a load into this (new, empty) store.
    pub fn load_sink<'s>(
        &'s self,
        writer: &'s WriterGuard<'s>,
    ) -> Result<LoadSink<'s>, StorageError> {
        Ok(LoadSink {
            store: self,
            writer,
            contacts: self.contact_blocks_writer(writer)?,
            entries: EntryBlockBuilder::new(),
            lines: BTreeMap::new(),
        })
    }
}

impl LoadSink<'_> {
    /// Stages one record's change.
    pub fn stage(&mut self, c: Change) -> Result<(), StorageError> {
        let (tree, key, value) = c.lower()?;
        if let Some(v) = value {
            self.store.put_staged(tree, &key, &v)?;
        }
        Ok(())
    }

    /// Adds a contact (numbers must increase).
    pub fn push_contact(&mut self, c: &Contact) -> Result<(), StorageError> {
        self.contacts.push(&super::blocks::ContactView::of(c))
    }

    /// Adds a line of generation `gen` (line numbers must increase within a generation).
    pub fn push_line(&mut self, gen: u64, line: &SegmentLine) -> Result<(), PushError> {
        let b = self.lines.entry(gen).or_default();
        b.push(line).map_err(PushError::Invalid)?;
        for (first, bytes) in b.take_done() {
            self.store
                .put_staged(TreeId::Lines, &keys::num2(gen, first), &bytes)?;
        }
        Ok(())
    }

    /// Adds an entry (numbers must increase).
    pub fn push_entry(&mut self, e: &LogEntry) -> Result<(), PushError> {
        self.entries.push(e).map_err(PushError::Invalid)?;
        for (first, bytes) in self.entries.take_done() {
            self.store
                .put_staged(TreeId::Entries, &first.to_key(), &bytes)?;
        }
        Ok(())
    }

    /// Writes the last blocks and publishes everything with `ws` (the counters) in one commit.
    pub fn finish(self, ws: UnitOfWork) -> Result<(), StorageError> {
        for (first, bytes) in self.entries.finish()? {
            self.store
                .put_staged(TreeId::Entries, &first.to_key(), &bytes)?;
        }
        for (gen, b) in self.lines {
            for (first, bytes) in b.finish()? {
                self.store
                    .put_staged(TreeId::Lines, &keys::num2(gen, first), &bytes)?;
            }
        }
        let contacts = self.contacts.finish()?;
        // The commit: the counters, which publish the entries (and are what continues
        // numbering), and the contact directory, which publishes the contact blocks.
        self.store.commit_contact_blocks(self.writer, contacts, ws)
    }
}
