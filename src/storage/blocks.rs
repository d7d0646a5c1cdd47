//! Entry blocks and segment-line blocks: many rows per sled value.
//!
//! sled costs 10–15 µs per key (STORAGE-NOTES.md), so bulk records are packed: a block's header
//! holds the fields its rows share, each row holds only what differs (contact, company, a
//! salesperson dictionary index, correspondence type, evaluation, flags) plus, when the row
//! differs in any other field, a full copy of the shared part. Blocks are cut at
//! [`MAX_BLOCK_ROWS`] rows or [`MAX_BLOCK_BYTES`] bytes so sled keeps them inline (values above
//! ≈128 KiB go to blob files, which are slower and never fsynced by sled).
//!
//! Entry block key = its first entry number; line block key = (generation, first line number).
//! Rows are keyed inside the block by their offset from the first number, so a single entry is
//! read by decoding the header and one row only.
//!
//! The structs here are the on-disk format (see `storage::codec`).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::codec::{CodecError, RowBlockView, RowBlockWriter};
use crate::domain::*;

/// An encoded entry block and its key.
pub type EncodedBlock = (EntryNo, Vec<u8>);

/// Most rows in one block.
pub const MAX_BLOCK_ROWS: usize = 4096;
/// A block is closed once its encoding reaches this size (kept well under sled's ≈128 KiB
/// blob threshold, leaving room for the last row and the header).
pub const MAX_BLOCK_BYTES: usize = 96 * 1024;

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompanyRef {
    /// No company.
    None,
    /// The contact is its own company.
    Same,
    /// Another contact.
    Other(ContactNo),
}

/// A company reference as a builder takes it (borrowed; encodes like [`CompanyRef`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// A small dictionary of values shared by rows (salesperson codes), built while rows are added.
/// Most blocks hold a handful of distinct values, so lookups scan; a map takes over when the
/// dictionary grows.
struct Dict<T: Eq + std::hash::Hash + Clone> {
    values: Vec<T>,
    index: HashMap<T, u16>,
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
    fn id(&mut self, v: &T) -> u16 {
        if self.values.len() <= DICT_SCAN {
            if let Some(i) = self.values.iter().position(|x| x == v) {
                return i as u16;
            }
        } else if let Some(&i) = self.index.get(v) {
            return i;
        }
        let i = self.values.len() as u16;
        self.values.push(v.clone());
        if self.values.len() == DICT_SCAN + 1 {
            self.index = self
                .values
                .iter()
                .enumerate()
                .map(|(i, x)| (x.clone(), i as u16))
                .collect();
        } else if self.values.len() > DICT_SCAN {
            self.index.insert(v.clone(), i);
        }
        i
    }

    fn take(&mut self) -> Vec<T> {
        self.index.clear();
        std::mem::take(&mut self.values)
    }

    fn len(&self) -> usize {
        self.values.len()
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

/// The header of every row block: the first number, the dictionary, the shared part and how
/// many rows carry their own shared part. Its encoding is part of the on-disk format.
#[derive(Serialize, Deserialize)]
struct BlockHeader<S, D> {
    first: u64,
    dict: Vec<D>,
    shared: S,
    overrides: u32,
}

/// Which shared part a placed row stores.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RowShared {
    /// The block's (stored as none).
    Block,
    /// The builder's default.
    Default,
    /// The caller's.
    Caller,
}

/// Cuts rows into blocks (the part common to entry and line blocks).
struct BlockBuilder<S, D: Eq + std::hash::Hash + Clone> {
    writer: RowBlockWriter,
    first: Option<u64>,
    shared: Option<S>,
    block_is_default: bool,
    default: Option<S>,
    dict: Dict<D>,
    overrides: u32,
    done: Vec<(u64, Vec<u8>)>,
}

impl<S: Clone + PartialEq + Serialize, D: Eq + std::hash::Hash + Clone + Serialize>
    BlockBuilder<S, D>
{
    fn new(what: &'static str, default: Option<S>) -> Self {
        BlockBuilder {
            writer: RowBlockWriter::new(what),
            first: None,
            shared: None,
            block_is_default: false,
            default,
            dict: Dict::default(),
            overrides: 0,
            done: Vec::new(),
        }
    }

    /// Places a row numbered `number`: returns its offset, its dictionary id and which shared
    /// part it must store (none when it equals the block's).
    fn place(
        &mut self,
        number: u64,
        shared: SharedArg<'_, S>,
        dict_value: &D,
    ) -> Result<(u32, u16, RowShared), CodecError> {
        let offset = self
            .first
            .and_then(|first| number.checked_sub(first))
            .and_then(|o| u32::try_from(o).ok())
            .filter(|_| {
                self.writer.len() < MAX_BLOCK_ROWS
                    && self.writer.encoded_len() < MAX_BLOCK_BYTES
                    && self.dict.len() < u16::MAX as usize
            });
        let offset = match offset {
            Some(o) => o,
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
        Ok((offset, id, own))
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
            if !self.writer.is_empty() {
                let header = BlockHeader {
                    first,
                    dict: self.dict.take(),
                    shared,
                    overrides: self.overrides,
                };
                let bytes = self.writer.finish(&header)?;
                self.done.push((first, bytes));
            }
        }
        self.dict.take();
        self.overrides = 0;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<(u64, Vec<u8>)>, CodecError> {
        self.cut()?;
        Ok(self.done)
    }
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

/// One entry inside a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

type EntryBlockHeader = BlockHeader<EntryShared, SalespersonCode>;

/// How an entry row is written (borrowed; same encoding as [`EntryRow`]).
#[derive(Serialize)]
struct EntryRowOut<'a> {
    contact_no: &'a str,
    company: CompanyArg<'a>,
    salesperson: u16,
    correspondence_type: CorrespondenceType,
    evaluation: Evaluation,
    flags: u8,
    shared: Option<&'a EntryShared>,
    comments: &'a [Comment],
}

/// A decoded entry block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryBlock {
    /// Block key: number of its first row's offset base.
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

/// A block's numbers must not run past `u64::MAX` (row keys are offsets from the first).
fn check_span(what: &'static str, first: u64, view: &RowBlockView<'_>) -> Result<(), CodecError> {
    match view.len().checked_sub(1) {
        Some(last) if first.checked_add(view.key(last) as u64).is_none() => {
            Err(corrupt(what, "row numbers overflow"))
        }
        _ => Ok(()),
    }
}

fn corrupt(what: &'static str, detail: &str) -> CodecError {
    CodecError::Corrupt {
        what,
        detail: detail.to_string(),
    }
}

impl EntryBlock {
    /// Decodes a whole block.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let view = RowBlockView::parse(ENTRY_BLOCK, bytes)?;
        let h: EntryBlockHeader = view.header()?;
        check_span(ENTRY_BLOCK, h.first, &view)?;
        let mut rows = Vec::with_capacity(view.len());
        for i in 0..view.len() {
            let row: EntryRow = view.row(i)?;
            if row.salesperson as usize >= h.dict.len() {
                return Err(corrupt(ENTRY_BLOCK, "salesperson index out of range"));
            }
            rows.push((view.key(i), row));
        }
        Ok(EntryBlock {
            first: EntryNo(h.first),
            salespeople: h.dict,
            shared: h.shared,
            rows,
        })
    }

    /// Reads one entry without decoding the other rows.
    pub fn read_one(bytes: &[u8], entry_no: EntryNo) -> Result<Option<LogEntry>, CodecError> {
        let view = RowBlockView::parse(ENTRY_BLOCK, bytes)?;
        let h: EntryBlockHeader = view.header()?;
        let Some(offset) = entry_no
            .0
            .checked_sub(h.first)
            .and_then(|o| u32::try_from(o).ok())
        else {
            return Ok(None);
        };
        let Some(i) = view.find(offset) else {
            return Ok(None);
        };
        let row: EntryRow = view.row(i)?;
        let sp = h
            .dict
            .get(row.salesperson as usize)
            .ok_or_else(|| corrupt(ENTRY_BLOCK, "salesperson index out of range"))?;
        let shared = row.shared.as_deref().unwrap_or(&h.shared);
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

    /// Encodes the block as it is (one value; callers that may grow a block use
    /// [`EntryBlockBuilder`] to re-cut it).
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        let mut w = RowBlockWriter::new(ENTRY_BLOCK);
        for (off, row) in &self.rows {
            w.push(*off, row)?;
        }
        w.finish(&EntryBlockHeader {
            first: self.first.0,
            dict: self.salespeople.clone(),
            shared: self.shared.clone(),
            overrides: self.rows.iter().filter(|(_, r)| r.shared.is_some()).count() as u32,
        })
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
            b: BlockBuilder::new(ENTRY_BLOCK, None),
        }
    }

    /// An empty builder whose rows mostly share `shared` (pushed as [`SharedArg::Default`]).
    pub fn with_default(shared: EntryShared) -> Self {
        EntryBlockBuilder {
            b: BlockBuilder::new(ENTRY_BLOCK, Some(shared)),
        }
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
        let (offset, id, r) = self.b.place(entry_no.0, shared, salesperson)?;
        let own = self.b.row_shared(r, shared).cloned();
        let row = EntryRowOut {
            contact_no,
            company,
            salesperson: id,
            correspondence_type,
            evaluation,
            flags,
            shared: own.as_ref(),
            comments,
        };
        self.b.writer.push(offset, &row)
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

    /// Finished blocks so far (the open block stays open).
    pub fn take_done(&mut self) -> Vec<(EntryNo, Vec<u8>)> {
        std::mem::take(&mut self.b.done)
            .into_iter()
            .map(|(k, v)| (EntryNo(k), v))
            .collect()
    }

    /// Closes the open block and returns every block: (first entry number, bytes).
    pub fn finish(self) -> Result<Vec<(EntryNo, Vec<u8>)>, CodecError> {
        Ok(self
            .b
            .finish()?
            .into_iter()
            .map(|(k, v)| (EntryNo(k), v))
            .collect())
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

/// One segment line inside a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

type LineBlockHeader = BlockHeader<LineShared, Option<SalespersonCode>>;

/// How a line row is written (borrowed; same encoding as [`LineRow`]).
#[derive(Serialize)]
struct LineRowOut<'a> {
    contact_no: &'a str,
    company: CompanyArg<'a>,
    profile: ContactProfile,
    salesperson: u16,
    correspondence_type: CorrespondenceType,
    evaluation: Evaluation,
    flags: u8,
    shared: Option<&'a LineShared>,
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

/// A line row decoded without allocating its strings (same encoding as [`LineRow`]). The
/// contact and company numbers are not re-validated: they pass from one block to another.
#[derive(Debug, Deserialize)]
pub struct LineRowIn<'a> {
    /// Contact number.
    pub contact_no: &'a str,
    /// Company.
    #[serde(borrow)]
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

/// A line block opened for reading rows one by one without allocating.
pub struct LineBlockReader<'a> {
    view: RowBlockView<'a>,
    /// First line number.
    pub first_line: u64,
    /// Salesperson dictionary.
    pub salespeople: Vec<Option<SalespersonCode>>,
    /// Shared part.
    pub shared: LineShared,
}

impl<'a> LineBlockReader<'a> {
    /// Parses the frame and the header.
    pub fn open(bytes: &'a [u8]) -> Result<Self, CodecError> {
        let view = RowBlockView::parse(LINE_BLOCK, bytes)?;
        let h: LineBlockHeader = view.header()?;
        check_span(LINE_BLOCK, h.first, &view)?;
        Ok(LineBlockReader {
            view,
            first_line: h.first,
            salespeople: h.dict,
            shared: h.shared,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.view.len()
    }

    /// True when the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.view.is_empty()
    }

    /// Row `i`: its line number and the row.
    pub fn row(&self, i: usize) -> Result<(u64, LineRowIn<'a>), CodecError> {
        let row: LineRowIn<'a> = self.view.row_borrowed(i)?;
        if row.salesperson as usize >= self.salespeople.len() {
            return Err(corrupt(LINE_BLOCK, "salesperson index out of range"));
        }
        Ok((self.first_line + self.view.key(i) as u64, row))
    }

    /// The salesperson of a row.
    pub fn salesperson(&self, row: &LineRowIn<'_>) -> Option<&SalespersonCode> {
        self.salespeople[row.salesperson as usize].as_ref()
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
    /// Reads the header and row count only.
    pub fn summary(bytes: &[u8]) -> Result<LineBlockSummary, CodecError> {
        let view = RowBlockView::parse(LINE_BLOCK, bytes)?;
        let h: LineBlockHeader = view.header()?;
        Ok(LineBlockSummary {
            first_line: h.first,
            rows: view.len(),
            salespeople: h.dict,
            shared: h.shared,
            overrides: h.overrides,
        })
    }

    /// Decodes a whole block.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let view = RowBlockView::parse(LINE_BLOCK, bytes)?;
        let h: LineBlockHeader = view.header()?;
        check_span(LINE_BLOCK, h.first, &view)?;
        let mut rows = Vec::with_capacity(view.len());
        for i in 0..view.len() {
            let row: LineRow = view.row(i)?;
            if row.salesperson as usize >= h.dict.len() {
                return Err(corrupt(LINE_BLOCK, "salesperson index out of range"));
            }
            rows.push((view.key(i), row));
        }
        Ok(LineBlock {
            first_line: h.first,
            salespeople: h.dict,
            shared: h.shared,
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
            b: BlockBuilder::new(LINE_BLOCK, None),
        }
    }

    /// An empty builder whose rows mostly share `shared` (pushed as [`SharedArg::Default`]).
    pub fn with_default(shared: LineShared) -> Self {
        LineBlockBuilder {
            b: BlockBuilder::new(LINE_BLOCK, Some(shared)),
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
        let (offset, id, r) = self.b.place(line_no, shared, salesperson)?;
        let own = self.b.row_shared(r, shared).cloned();
        let row = LineRowOut {
            contact_no,
            company,
            profile,
            salesperson: id,
            correspondence_type,
            evaluation,
            flags,
            shared: own.as_ref(),
        };
        self.b.writer.push(offset, &row)
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

/// The fields of an encoded [`EntryRow`] before its `flags` byte, in order.
const ENTRY_ROW_BEFORE_FLAGS: [crate::storage::codec::Skip; 5] = {
    use crate::storage::codec::Skip;
    [
        Skip::Str,                         // contact_no
        Skip::EnumWithStr { with_str: 2 }, // company: CompanyRef::Other(ContactNo)
        Skip::Varint,                      // salesperson
        Skip::Varint,                      // correspondence_type
        Skip::Varint,                      // evaluation
    ]
};

/// Sets or clears `flag` on every row of an encoded entry block whose rows all belong to
/// `logged` through the block's shared part (no row carries its own), without decoding the rows.
/// Returns the new bytes and the number of rows, or `None` when the block does not qualify (the
/// caller then decodes it).
pub fn set_flag_all_rows(
    bytes: &[u8],
    logged: LoggedSegmentNo,
    flag: u8,
    on: bool,
) -> Result<Option<(Vec<u8>, u64)>, CodecError> {
    let view = RowBlockView::parse(ENTRY_BLOCK, bytes)?;
    let h: EntryBlockHeader = view.header()?;
    if h.overrides != 0 || h.shared.logged_segment_entry_no != Some(logged) {
        return Ok(None);
    }
    let mut out = bytes.to_vec();
    for i in 0..view.len() {
        let Some(at) = view.byte_after(i, &ENTRY_ROW_BEFORE_FLAGS, bytes.len()) else {
            return Ok(None);
        };
        if on {
            out[at] |= flag;
        } else {
            out[at] &= !flag;
        }
    }
    Ok(Some((out, view.len() as u64)))
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
        let first_no = EntryNo(self.first.0 + self.rows[0].0 as u64);
        let bytes = if first_no == self.first {
            self.encode()?
        } else {
            Vec::new()
        };
        let out = if !bytes.is_empty() && bytes.len() <= MAX_BLOCK_BYTES + 16 * 1024 {
            vec![(self.first, bytes)]
        } else {
            let mut b = EntryBlockBuilder::new();
            for r in self.iter() {
                b.push_ref(&r)?;
            }
            b.finish()?
        };
        let keeps_old = out.iter().any(|(k, _)| *k == old_key);
        Ok((out, !keeps_old))
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
            attempt_failed: n % 2 == 0,
            postponed: false,
            canceled: n % 3 == 0,
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
            for on in [true, false] {
                let (patched, rows) =
                    set_flag_all_rows(&bytes, LoggedSegmentNo(3), FLAG_CANCELED, on)
                        .unwrap()
                        .expect("qualifies");
                let mut expected = EntryBlock::decode(&bytes).unwrap();
                for (_, r) in expected.rows.iter_mut() {
                    r.set_flag(FLAG_CANCELED, on);
                }
                assert_eq!(rows as usize, expected.rows.len());
                assert_eq!(EntryBlock::decode(&patched).unwrap(), expected);
            }
            assert!(
                set_flag_all_rows(&bytes, LoggedSegmentNo(4), FLAG_CANCELED, true)
                    .unwrap()
                    .is_none()
            );
        }
    }
}
