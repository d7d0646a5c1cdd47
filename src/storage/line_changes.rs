//! Changes of a segment's lines inside a unit of work, in domain terms: "write these lines as
//! a chunk of generation G, replacing chunk K". The sled backend lowers them at once into line
//! blocks; a relational backend would insert, update and delete rows of a lines table keyed
//! by (generation, line number).
//!
//! Bulk rewrites (set-interaction, reduce, go back, add contacts) stream through
//! [`super::lines::GenWriter`] into a staged generation instead; these are the small edits.

use super::blocks::{LineBlockBuilder, MAX_BLOCK_ROWS};
use super::{keys, StorageError, Store, TreeId, UnitOfWork};
use crate::domain::SegmentLine;

impl UnitOfWork {
    /// Writes `lines` (in line order) as the lines of generation `gen` that chunk `replaces`
    /// held (`None`: new lines). The chunk is re-cut; its key moves when its first line was
    /// removed.
    pub fn write_line_chunk(
        &mut self,
        gen: u64,
        replaces: Option<u64>,
        lines: &[SegmentLine],
    ) -> Result<(), StorageError> {
        let mut b = LineBlockBuilder::new();
        for l in lines {
            b.push(l)?;
        }
        let blocks = b.finish()?;
        if let Some(k) = replaces {
            if !blocks.iter().any(|(f, _)| *f == k) {
                self.del(TreeId::Lines, keys::num2(gen, k));
            }
        }
        for (first, bytes) in blocks {
            self.put(TreeId::Lines, keys::num2(gen, first), bytes);
        }
        Ok(())
    }
}

impl Store {
    /// The last chunk of generation `gen` (lines up to `last_line_no`) when one more line
    /// fits in it: its key and its lines.
    pub fn last_line_chunk_with_room(
        &self,
        gen: u64,
        last_line_no: u64,
    ) -> Result<Option<(u64, Vec<SegmentLine>)>, StorageError> {
        Ok(match self.line_block_at(gen, last_line_no)? {
            Some((key, block)) if block.rows.len() < MAX_BLOCK_ROWS => Some((key, block.lines())),
            _ => None,
        })
    }
}
