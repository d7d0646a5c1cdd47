//! Reading and writing segment lines, which live in line blocks grouped by *generation*.
//!
//! A segment header names the generation holding its lines (`lines_gen`) and its highest line
//! number (`last_line_no`). Visible lines are the blocks of that generation whose first line is
//! at most `last_line_no`. Bulk changes write a whole new generation (staged: generations at or
//! above the `next_gen` counter are invisible) or append blocks above `last_line_no` (invisible
//! until the header's `last_line_no` moves); one transaction then switches the header.
//! Replaced generations are listed in `garbage` and deleted after the commit or by recovery.

use super::blocks::{LineBlock, LineBlockBuilder};
use super::{keys, StorageError, Store, TreeId};
use crate::domain::{LineRead, SegmentLine};

/// Generation 0 holds no lines (a segment that never had any).
pub const NO_GEN: u64 = 0;

impl Store {
    /// Visits the lines of generation `gen` up to line `last_line_no`, in line order, until
    /// `f` returns `false`.
    pub fn for_each_line<E: From<StorageError>>(
        &self,
        gen: u64,
        last_line_no: u64,
        mut f: impl FnMut(SegmentLine) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut stop = super::CallerStop::default();
        let visited = self.for_each_line_block(gen, last_line_no, |_, b| {
            for l in b.iter() {
                if !stop.go_on(f(l.to_line())) {
                    return Ok(false);
                }
            }
            Ok(true)
        });
        stop.finish(visited)
    }

    /// Visits the line blocks of generation `gen` up to line `last_line_no`, in order.
    pub(crate) fn for_each_line_block(
        &self,
        gen: u64,
        last_line_no: u64,
        mut f: impl FnMut(u64, LineBlock) -> Result<bool, StorageError>,
    ) -> Result<(), StorageError> {
        if gen == NO_GEN {
            return Ok(());
        }
        let lo = keys::num2(gen, 0);
        let hi = keys::num2(gen, last_line_no);
        for kv in self.t.lines.range(lo.as_slice()..=hi.as_slice()) {
            let (k, v) = kv?;
            let (_, first) = keys::read_num2(&k).unwrap_or((gen, 0));
            if !f(first, LineBlock::decode(&v)?)? {
                break;
            }
        }
        Ok(())
    }

    /// The first line numbers of the stored chunks of a generation: the units a bulk log
    /// plans and builds in parallel.
    pub fn line_chunk_keys(&self, gen: u64, last_line_no: u64) -> Result<Vec<u64>, StorageError> {
        if gen == NO_GEN {
            return Ok(Vec::new());
        }
        let lo = keys::num2(gen, 0);
        let hi = keys::num2(gen, last_line_no);
        self.t
            .lines
            .range(lo.as_slice()..=hi.as_slice())
            .keys()
            .map(|k| Ok(keys::read_num2(&k?).map_or(0, |(_, f)| f)))
            .collect()
    }

    /// Every visible line of a generation, materialized (for small segments and tests).
    pub fn lines_of(&self, gen: u64, last_line_no: u64) -> Result<Vec<SegmentLine>, StorageError> {
        let mut out = Vec::new();
        self.for_each_line_block(gen, last_line_no, |_, b| {
            out.extend(b.lines());
            Ok(true)
        })?;
        Ok(out)
    }

    /// The chunk of generation `gen` that holds (or would hold) line `line_no`: its key (for
    /// [`super::UnitOfWork::write_line_chunk`]) and its lines.
    pub fn line_chunk_at(
        &self,
        gen: u64,
        line_no: u64,
    ) -> Result<Option<(u64, Vec<SegmentLine>)>, StorageError> {
        Ok(self
            .line_block_at(gen, line_no)?
            .map(|(key, block)| (key, block.lines())))
    }

    /// Copies the lines of generation `gen` (up to `last_line_no`) into new generations
    /// without materializing them: a line `remove` picks goes to `removed` (or nowhere when
    /// that is `None`), every other line to `kept`.
    pub fn split_lines(
        &self,
        gen: u64,
        last_line_no: u64,
        kept: &mut GenWriter<'_>,
        mut removed: Option<&mut GenWriter<'_>>,
        mut remove: impl FnMut(&dyn LineRead) -> bool,
    ) -> Result<(), StorageError> {
        self.for_each_line_block(gen, last_line_no, |_, block| {
            for l in block.iter() {
                if remove(&l) {
                    if let Some(w) = removed.as_deref_mut() {
                        w.push_ref(&l)?;
                    }
                } else {
                    kept.push_ref(&l)?;
                }
            }
            Ok(true)
        })
    }

    /// Merges two generations by line number into `w` (a line number in both is taken from
    /// `a`), calling `on_line(from_b)` for each line written.
    pub fn merge_lines(
        &self,
        a: (u64, u64),
        b: (u64, u64),
        w: &mut GenWriter<'_>,
        mut on_line: impl FnMut(bool),
    ) -> Result<(), StorageError> {
        let mut blocks_a = Vec::new();
        let mut blocks_b = Vec::new();
        self.for_each_line_block(a.0, a.1, |_, blk| {
            blocks_a.push(blk);
            Ok(true)
        })?;
        self.for_each_line_block(b.0, b.1, |_, blk| {
            blocks_b.push(blk);
            Ok(true)
        })?;
        let mut la = blocks_a.iter().flat_map(|blk| blk.iter()).peekable();
        let mut lb = blocks_b.iter().flat_map(|blk| blk.iter()).peekable();
        loop {
            let from_b = match (la.peek(), lb.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(x), Some(y)) => y.line_no < x.line_no,
            };
            let next = if from_b { lb.next() } else { la.next() };
            if let Some(l) = next {
                w.push_ref(&l)?;
                on_line(from_b);
            }
        }
        Ok(())
    }

    /// The block of generation `gen` that holds (or would hold) line `line_no`.
    pub(crate) fn line_block_at(
        &self,
        gen: u64,
        line_no: u64,
    ) -> Result<Option<(u64, LineBlock)>, StorageError> {
        if gen == NO_GEN {
            return Ok(None);
        }
        let lo = keys::num2(gen, 0);
        let hi = keys::num2(gen, line_no);
        match self
            .t
            .lines
            .range(lo.as_slice()..=hi.as_slice())
            .next_back()
        {
            Some(kv) => {
                let (k, v) = kv?;
                let first = keys::read_num2(&k).map_or(0, |(_, f)| f);
                Ok(Some((first, LineBlock::decode(&v)?)))
            }
            None => Ok(None),
        }
    }
}

/// Streams lines into staged blocks of one generation: each finished block is written at once,
/// so memory stays flat however many lines pass through.
pub struct GenWriter<'s> {
    store: &'s Store,
    gen: u64,
    builder: LineBlockBuilder,
    count: u64,
    last_line_no: u64,
}

impl<'s> GenWriter<'s> {
    /// A writer for generation `gen` (which must be staged: at or above `next_gen`, or above
    /// the header's `last_line_no` when appending).
    pub fn new(store: &'s Store, gen: u64) -> Self {
        GenWriter {
            store,
            gen,
            builder: LineBlockBuilder::new(),
            count: 0,
            last_line_no: 0,
        }
    }

    /// The generation written.
    pub fn gen(&self) -> u64 {
        self.gen
    }

    /// Adds a line (line numbers must increase).
    pub fn push(&mut self, line: &SegmentLine) -> Result<(), StorageError> {
        self.builder.push(line)?;
        self.count += 1;
        self.last_line_no = line.line_no;
        self.flush_done()
    }

    /// Adds a line from a decoded block.
    pub(crate) fn push_ref(
        &mut self,
        line: &super::blocks::LineRef<'_>,
    ) -> Result<(), StorageError> {
        self.builder.push_ref(line)?;
        self.count += 1;
        self.last_line_no = line.line_no;
        self.flush_done()
    }

    fn flush_done(&mut self) -> Result<(), StorageError> {
        for (first, bytes) in self.builder.take_done() {
            self.store
                .put_staged(TreeId::Lines, &keys::num2(self.gen, first), &bytes)?;
        }
        Ok(())
    }

    /// Writes the last block; returns (lines written, highest line number).
    pub fn finish(self) -> Result<(u64, u64), StorageError> {
        let gen = self.gen;
        for (first, bytes) in self.builder.finish()? {
            self.store
                .put_staged(TreeId::Lines, &keys::num2(gen, first), &bytes)?;
        }
        Ok((self.count, self.last_line_no))
    }
}
