//! The bulk log's sink: how the backend builds and stores the entries (and follow-up lines)
//! of a logged segment, and the index run over them.
//!
//! `batch::log_segment` keeps the business: it loads and checks the lines, reserves every
//! number and says, through [`LogRules`], what each entry and follow-up line carries. It
//! describes the batch in domain terms ([`LogTarget`]: the segment's line chunks, the entry
//! numbers, the logged segment, the follow-up's line generation, the run id) and drives the
//! pipeline: for each window of chunks, [`LogSink::read_window`] hands the encoded input over,
//! the rayon build ([`LogTarget::build_unit`]) turns it into [`Built`] units without touching
//! the store, and [`LogSink::write_window`] stores them as staged data on the writer thread.
//! [`LogSink::finish`] builds the index run and makes the staged data durable; it returns the
//! [`StagedRun`] whose [`StagedRun::change`] the commit carries to publish the run.
//!
//! The sled backend encodes entry and line blocks and stages them under numbers no reader sees
//! yet; a relational backend would build rows and `COPY` them into tables the commit makes
//! visible (and let its indexes stand for the run).

use std::sync::Mutex;

use super::blocks::{
    for_each_contact_in_block, EntryBlockBuilder, LineBlock, LineBlockBuilder, LineBlockReader,
    SharedArg, FLAG_FAILED,
};
pub use super::blocks::{EntryShared, LineShared};
use super::bloom::{Bloom, OrderedBlock};
use super::index::{RunBuilder, RunInfo};
use super::{keys, Change, StorageError, Store, TreeId};
use crate::domain::*;

/// What a bulk log writes, fixed by its plan.
#[derive(Clone, Debug)]
pub struct LogTarget {
    /// The line generation of the segment being logged.
    pub lines_gen: u64,
    /// The chunk each build unit reads, by its first line number, in line order (a chunk
    /// split into several units appears once per unit).
    pub units: Vec<u64>,
    /// The rows of its chunk each unit builds (positions in the chunk).
    pub unit_rows: Vec<std::ops::Range<u32>>,
    /// Ordinal of each unit's first line (prefix sums of the unit sizes).
    pub unit_base: Vec<u64>,
    /// First entry number.
    pub first_entry: EntryNo,
    /// Number of entries.
    pub entries: u64,
    /// The logged segment.
    pub logged: LoggedSegmentNo,
    /// The line generation of the follow-up segment, if one is made.
    pub follow_up_gen: Option<u64>,
    /// The index run id.
    pub run_id: u64,
}

/// What the entries and follow-up lines carry: the business rules the build applies.
pub trait LogRules: Sync {
    /// The shared fields of the entries made from lines sharing `s`.
    /// Refused (`Inconsistent`) for lines the plan would not have let through.
    fn entry_shared(&self, s: &LineShared) -> Result<EntryShared, StorageError>;
    /// The fields every follow-up line shares (`None`: no follow-up segment).
    fn follow_up_shared(&self) -> Option<&LineShared>;
    /// The follow-up line's salesperson, given the logged line's.
    fn follow_up_salesperson(&self, line: &SalespersonCode) -> Option<SalespersonCode>;
    /// The follow-up line's correspondence type for a contact.
    fn follow_up_correspondence(&self, profile: ContactProfile) -> CorrespondenceType;
}

/// One chunk of the segment's lines as the backend stores them, handed to the build.
pub struct UnitInput(sled::IVec);

/// One unit's output.
#[derive(Debug, PartialEq, Eq)]
pub struct Built {
    /// Entry blocks: (first entry, bytes).
    pub entry_blocks: Vec<(EntryNo, Vec<u8>)>,
    /// What an entry-ordered index run keeps of each entry block.
    pub ordered: Vec<OrderedBlock>,
    /// Follow-up line blocks: (first line, bytes).
    pub line_blocks: Vec<(u64, Vec<u8>)>,
    /// Lines (entries) built.
    pub rows: u64,
    /// Contacts of the unit's first and last entries, and whether its entries are in contact
    /// order: enough to tell whether the whole batch is (then it is its own index).
    pub contact_order: Option<(String, String, bool)>,
}

impl LogTarget {
    /// Builds unit `i` from its input: pure, the same bytes however the work is scheduled.
    pub fn build_unit(
        &self,
        rules: &impl LogRules,
        i: usize,
        input: &UnitInput,
    ) -> Result<Built, StorageError> {
        let block = LineBlockReader::open(input.0.as_ref())?;
        let base = self.unit_base[i];
        let rows = self.unit_rows[i].start as usize..self.unit_rows[i].end as usize;
        let first_row = rows.start;
        let mut entries = EntryBlockBuilder::indexed(
            rules.entry_shared(block.shared())?,
            super::bloom::bits_per_key(self.entries),
        );
        let follow_up = rules.follow_up_shared();
        let mut lines = follow_up.map(|s| LineBlockBuilder::with_default(s.clone()));
        // Per dictionary entry: the entry's salesperson and the follow-up line's.
        let salespeople: Vec<(&SalespersonCode, Option<SalespersonCode>)> = block
            .salespeople()
            .iter()
            .map(|sp| {
                let sp = sp.as_ref().ok_or_else(|| {
                    StorageError::Inconsistent(
                        "a segment line without a salesperson reached the build; the plan \
                         refuses those"
                            .into(),
                    )
                })?;
                Ok((sp, follow_up.and_then(|_| rules.follow_up_salesperson(sp))))
            })
            .collect::<Result<_, StorageError>>()?;
        let mut first_contact: Option<String> = None;
        let mut last_contact = String::new();
        let mut sorted = true;
        let built_rows = rows.len() as u64;
        block.for_each_in(rows, |j, _, row| -> Result<(), StorageError> {
            let ordinal = base + (j - first_row) as u64;
            let entry_no = EntryNo(self.first_entry.0 + ordinal);
            let own;
            let shared = match &row.shared {
                None => SharedArg::Default,
                Some(s) => {
                    own = rules.entry_shared(s)?;
                    SharedArg::Own(&own)
                }
            };
            let (salesperson, follow_up_salesperson) = &salespeople[row.salesperson as usize];
            entries.push_parts(
                entry_no,
                row.contact_no,
                row.company,
                salesperson,
                row.correspondence_type,
                row.evaluation,
                row.flags & FLAG_FAILED,
                shared,
                &[],
            )?;
            if first_contact.is_none() {
                first_contact = Some(row.contact_no.to_string());
            } else if row.contact_no < last_contact.as_str() {
                sorted = false;
            }
            last_contact.clear();
            last_contact.push_str(row.contact_no);
            if let Some(lb) = lines.as_mut() {
                lb.push_parts(
                    (ordinal + 1) * LINE_NO_STEP,
                    row.contact_no,
                    row.company,
                    row.profile,
                    follow_up_salesperson,
                    rules.follow_up_correspondence(row.profile),
                    Evaluation::Blank,
                    0,
                    SharedArg::Default,
                )?;
            }
            Ok(())
        })?;
        let (entry_blocks, ordered) = entries.finish_indexed()?;
        Ok(Built {
            entry_blocks,
            ordered,
            line_blocks: match lines {
                Some(lb) => lb.finish()?,
                None => Vec::new(),
            },
            rows: built_rows,
            contact_order: first_contact.map(|f| (f, last_contact, sorted)),
        })
    }
}

/// A segment of fewer line blocks than this has its blocks split into several build units.
pub const SPLIT_BELOW_BLOCKS: usize = 4;
/// Rows of a build unit cut from a split block, at least (and a multiple of the restart
/// interval, so that a unit's reader starts at a restart row).
pub const SPLIT_MIN_ROWS: u64 = 1024;
/// Units one split block gives, at most.
pub const SPLIT_MAX_PARTS: u64 = 4;

/// The build units of a segment whose line blocks (keys `keys`) hold `counts` lines: one
/// unit per block, except in a segment of fewer than [`SPLIT_BELOW_BLOCKS`] blocks, whose
/// blocks (up to 8,192 lines each) are cut into up to [`SPLIT_MAX_PARTS`] units of at least
/// [`SPLIT_MIN_ROWS`] lines, so that the small segments of a nightly job are built on every
/// core too (a block is otherwise built by one thread). The rule depends on the segment
/// alone, never on the machine, so a log writes the same bytes everywhere. Returns the
/// units' blocks, their row ranges, their first ordinals and the number of lines.
pub fn split_units(
    keys: &[u64],
    counts: &[u64],
) -> (Vec<u64>, Vec<std::ops::Range<u32>>, Vec<u64>, u64) {
    let split = keys.len() < SPLIT_BELOW_BLOCKS;
    let (mut units, mut rows, mut bases) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0u64;
    for (&key, &count) in keys.iter().zip(counts) {
        let parts = if split {
            (count / SPLIT_MIN_ROWS).clamp(1, SPLIT_MAX_PARTS)
        } else {
            1
        };
        let restart = super::blocks::RESTART as u64;
        let size = (count.div_ceil(parts).div_ceil(restart) * restart).max(1);
        let mut start = 0u64;
        loop {
            let end = (start + size).min(count);
            units.push(key);
            rows.push(start as u32..end as u32);
            bases.push(n + start);
            start = end;
            if start >= count {
                break;
            }
        }
        n += count;
    }
    (units, rows, bases, n)
}

/// Whether the batch so far is in contact order, and what its entry-ordered run keeps.
struct Order {
    in_order: bool,
    last_contact: Option<String>,
    blocks: Vec<OrderedBlock>,
}

/// The backend's side of one bulk log (see the module docs). Shared by the reading side and
/// the writer thread.
pub struct LogSink<'s> {
    store: &'s Store,
    target: LogTarget,
    order: Mutex<Order>,
}

/// The index run of a finished bulk log: the change its commit carries.
#[derive(Debug)]
pub struct StagedRun(RunInfo);

impl StagedRun {
    /// The change that publishes the run.
    pub fn change(self) -> Change {
        Change::PutIndexRun(Box::new(self.0))
    }
}

impl Store {
    /// The sink of a bulk log of `target`.
    pub fn log_sink(&self, target: LogTarget) -> LogSink<'_> {
        LogSink {
            store: self,
            target,
            order: Mutex::new(Order {
                in_order: true,
                last_contact: None,
                blocks: Vec::new(),
            }),
        }
    }
}

impl LogSink<'_> {
    /// The target.
    pub fn target(&self) -> &LogTarget {
        &self.target
    }

    /// The input of units `range`, in order.
    pub fn read_window(
        &self,
        range: std::ops::Range<usize>,
    ) -> Result<Vec<UnitInput>, StorageError> {
        self.target.units[range]
            .iter()
            .map(|&k| self.read_unit(k))
            .collect()
    }

    fn read_unit(&self, key: u64) -> Result<UnitInput, StorageError> {
        self.store
            .t
            .lines
            .get(keys::num2(self.target.lines_gen, key))?
            .map(UnitInput)
            .ok_or_else(|| StorageError::Inconsistent(format!("line block {key} vanished")))
    }

    /// Stores a window of built units (in unit order) as staged data.
    pub fn write_window(&self, window: Vec<Built>) -> Result<(), StorageError> {
        let mut order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        for mut b in window {
            for (first, bytes) in &b.entry_blocks {
                self.store
                    .put_staged(TreeId::Entries, &first.to_key(), bytes)?;
            }
            if let Some(g) = self.target.follow_up_gen {
                for (first, bytes) in &b.line_blocks {
                    self.store
                        .put_staged(TreeId::Lines, &keys::num2(g, *first), bytes)?;
                }
            }
            if let Some((first, last, sorted)) = b.contact_order.take() {
                let follows = order
                    .last_contact
                    .as_deref()
                    .is_none_or(|l| l <= first.as_str());
                order.in_order &= sorted && follows;
                order.last_contact = Some(last);
            }
            if order.in_order {
                order.blocks.append(&mut b.ordered);
            }
        }
        Ok(())
    }

    /// Builds the index run (staged) and makes every staged write durable; returns the run
    /// the commit publishes.
    pub fn finish(self) -> Result<StagedRun, StorageError> {
        let t = &self.target;
        let order = self.order.into_inner().unwrap_or_else(|p| p.into_inner());
        let (info, blocks) = if order.in_order {
            // Lines in contact order (as criteria build them): the entry blocks are the index.
            let info = RunInfo {
                run_id: t.run_id,
                base: t.first_entry,
                count: t.entries,
                width: 0,
                blocks: 0,
                logged_segment: Some(t.logged),
                bloom: Bloom::empty(),
                order: Some(order.blocks),
            };
            (info, Vec::new())
        } else {
            // Not in contact order: read the staged entries back and build a sorted run.
            let mut run = RunBuilder::default();
            let end = EntryNo(t.first_entry.0 + t.entries);
            self.store
                .for_each_encoded_block(t.first_entry, end, |_, v| {
                    for_each_contact_in_block(v, |contact, entry_no| {
                        run.push(contact.as_bytes(), (entry_no.0 - t.first_entry.0) as u32);
                    })?;
                    Ok::<bool, StorageError>(true)
                })?;
            run.finish(t.run_id, t.first_entry, Some(t.logged), None)
        };
        for (k, v) in &blocks {
            self.store.put_staged(TreeId::IndexRunBlocks, k, v)?;
        }
        // Staged data reaches the disk before the commit record can.
        self.store.make_durable()?;
        Ok(StagedRun(info))
    }
}

/// What the plan sees of one line of a chunk.
pub struct PlannedLine<'a> {
    /// Line number.
    pub line_no: u64,
    /// Contact.
    pub contact_no: &'a ContactNo,
    /// Salesperson (the line's own or the segment's).
    pub salesperson: Option<&'a SalespersonCode>,
    /// The interaction fields the line carries.
    pub shared: &'a LineShared,
}

/// What the plan sees of a chunk whose lines all share one set of interaction fields.
pub struct UniformChunk<'a> {
    /// Number of lines.
    pub lines: u64,
    /// The fields every line shares.
    pub shared: &'a LineShared,
    /// Every salesperson a line names.
    pub salespeople: &'a [Option<SalespersonCode>],
}

impl Store {
    /// Reads chunk `key` of the lines of generation `gen` for a bulk log's check. Unless
    /// `every_line`, a chunk whose lines all share their fields is shown to `uniform` first;
    /// if that accepts it (returns `Some`), no line is decoded. Otherwise `each` sees every
    /// line. Returns the number of lines and what `uniform` returned (`None`: no such chunk).
    pub fn check_line_chunk<T>(
        &self,
        gen: u64,
        key: u64,
        every_line: bool,
        uniform: impl FnOnce(&UniformChunk<'_>) -> Option<T>,
        mut each: impl FnMut(&PlannedLine<'_>) -> Result<(), StorageError>,
    ) -> Result<Option<(u64, Option<T>)>, StorageError> {
        let Some(v) = self.t.lines.get(keys::num2(gen, key))? else {
            return Ok(None);
        };
        let v = v.as_ref();
        let sum = LineBlock::summary(v)?;
        if sum.overrides == 0 && !every_line {
            let chunk = UniformChunk {
                lines: sum.rows as u64,
                shared: &sum.shared,
                salespeople: &sum.salespeople,
            };
            if let Some(t) = uniform(&chunk) {
                return Ok(Some((chunk.lines, Some(t))));
            }
        }
        let b = LineBlock::decode(v)?;
        for l in b.iter() {
            each(&PlannedLine {
                line_no: l.line_no,
                contact_no: &l.row.contact_no,
                salesperson: l.salesperson,
                shared: l.shared,
            })?;
        }
        Ok(Some((b.rows.len() as u64, None)))
    }
}

#[cfg(test)]
mod tests {
    use super::split_units;

    #[test]
    fn small_segments_are_cut_into_units_that_cover_every_line_once_and_big_ones_are_not() {
        // One block of 5,500 lines: four units, restart-aligned, covering it exactly.
        let (units, rows, bases, n) = split_units(&[1], &[5500]);
        assert_eq!(n, 5500);
        assert_eq!(units, vec![1, 1, 1, 1]);
        assert_eq!(rows, vec![0..1376, 1376..2752, 2752..4128, 4128..5500]);
        assert_eq!(bases, vec![0, 1376, 2752, 4128]);
        // Two blocks: each cut on its own; bases keep counting across blocks.
        let (units, rows, bases, n) = split_units(&[1, 8193], &[8192, 1500]);
        assert_eq!(n, 9692);
        assert_eq!(units, vec![1, 1, 1, 1, 8193]);
        assert_eq!(rows[4], 0..1500);
        assert_eq!(bases, vec![0, 2048, 4096, 6144, 8192]);
        // Below the minimum: one unit; an empty block still one (empty) unit.
        assert_eq!(split_units(&[1], &[900]).1, vec![0..900]);
        assert_eq!(split_units(&[1], &[0]).1, vec![0..0]);
        // Four blocks or more: one unit per block.
        let (units, rows, _, n) = split_units(&[1, 2, 3, 4], &[8192, 8192, 8192, 10]);
        assert_eq!((units.len(), n), (4, 24586));
        assert_eq!(rows[3], 0..10);
        for (count, parts) in [(1024u64, 1usize), (2048, 2), (3000, 2), (100_000, 4)] {
            let (_, rows, _, n) = split_units(&[1], &[count]);
            assert_eq!((rows.len(), n), (parts, count), "{count}");
            assert!(rows
                .windows(2)
                .all(|w| w[0].end == w[1].start && w[1].start % 32 == 0));
            assert_eq!(rows.last().unwrap().end as u64, count);
        }
    }
}
