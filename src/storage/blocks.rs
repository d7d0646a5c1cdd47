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

impl CompanyRef {
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

impl<T: Eq + std::hash::Hash + Clone> Dict<T> {
    fn id(&mut self, v: &T) -> u16 {
        if let Some(&i) = self.index.get(v) {
            return i;
        }
        let i = self.values.len() as u16;
        self.values.push(v.clone());
        self.index.insert(v.clone(), i);
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

#[derive(Serialize, Deserialize)]
struct EntryBlockHeader {
    first: EntryNo,
    salespeople: Vec<SalespersonCode>,
    shared: EntryShared,
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
        let mut rows = Vec::with_capacity(view.len());
        for i in 0..view.len() {
            let row: EntryRow = view.row(i)?;
            if row.salesperson as usize >= h.salespeople.len() {
                return Err(corrupt(ENTRY_BLOCK, "salesperson index out of range"));
            }
            rows.push((view.key(i), row));
        }
        Ok(EntryBlock {
            first: h.first,
            salespeople: h.salespeople,
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
            .checked_sub(h.first.0)
            .and_then(|o| u32::try_from(o).ok())
        else {
            return Ok(None);
        };
        let Some(i) = view.find(offset) else {
            return Ok(None);
        };
        let row: EntryRow = view.row(i)?;
        let sp = h
            .salespeople
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
            first: self.first,
            salespeople: self.salespeople.clone(),
            shared: self.shared.clone(),
        })
    }
}

/// Builds entry blocks from entries given in increasing number order, cutting a new block
/// whenever the current one is full. Deterministic: the same entries give the same bytes.
pub struct EntryBlockBuilder {
    writer: RowBlockWriter,
    first: Option<EntryNo>,
    shared: Option<EntryShared>,
    dict: Dict<SalespersonCode>,
    done: Vec<(EntryNo, Vec<u8>)>,
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
            writer: RowBlockWriter::new(ENTRY_BLOCK),
            first: None,
            shared: None,
            dict: Dict::default(),
            done: Vec::new(),
        }
    }

    /// Adds one entry given as its parts. `shared` is compared with the block's shared part;
    /// the row stores a copy only when they differ.
    #[allow(clippy::too_many_arguments)]
    pub fn push_parts(
        &mut self,
        entry_no: EntryNo,
        contact_no: ContactNo,
        company: CompanyRef,
        salesperson: &SalespersonCode,
        correspondence_type: CorrespondenceType,
        evaluation: Evaluation,
        flags: u8,
        shared: &EntryShared,
        comments: Vec<Comment>,
    ) -> Result<(), CodecError> {
        let offset = match self.first {
            Some(first) => entry_no
                .0
                .checked_sub(first.0)
                .and_then(|o| u32::try_from(o).ok()),
            None => None,
        };
        let offset = match offset {
            Some(o)
                if self.writer.len() < MAX_BLOCK_ROWS
                    && self.writer.encoded_len() < MAX_BLOCK_BYTES
                    && self.dict.len() < u16::MAX as usize =>
            {
                o
            }
            _ => {
                self.cut()?;
                self.first = Some(entry_no);
                self.shared = Some(shared.clone());
                0
            }
        };
        let own = (self.shared.as_ref() != Some(shared)).then(|| Box::new(shared.clone()));
        let row = EntryRow {
            contact_no,
            company,
            salesperson: self.dict.id(salesperson),
            correspondence_type,
            evaluation,
            flags,
            shared: own,
            comments,
        };
        self.writer.push(offset, &row)
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
        self.push_parts(
            e.entry_no,
            e.contact_no.clone(),
            CompanyRef::new(&e.contact_no, e.contact_company_no.as_ref()),
            &e.salesperson_code,
            e.correspondence_type,
            e.evaluation,
            flags,
            &EntryShared::of(e),
            e.comments.clone(),
        )
    }

    /// Adds a row taken from a decoded block (keeps its flags, comments and fields).
    pub fn push_ref(&mut self, e: &EntryRef<'_>) -> Result<(), CodecError> {
        self.push_parts(
            e.entry_no,
            e.row.contact_no.clone(),
            e.row.company.clone(),
            e.salesperson,
            e.row.correspondence_type,
            e.row.evaluation,
            e.row.flags,
            e.shared,
            e.row.comments.clone(),
        )
    }

    fn cut(&mut self) -> Result<(), CodecError> {
        if let (Some(first), Some(shared)) = (self.first.take(), self.shared.take()) {
            if !self.writer.is_empty() {
                let header = EntryBlockHeader {
                    first,
                    salespeople: self.dict.take(),
                    shared,
                };
                let bytes = self.writer.finish(&header)?;
                self.done.push((first, bytes));
            }
        }
        Ok(())
    }

    /// Finished blocks so far (the open block stays open).
    pub fn take_done(&mut self) -> Vec<(EntryNo, Vec<u8>)> {
        std::mem::take(&mut self.done)
    }

    /// Closes the open block and returns every block: (first entry number, bytes).
    pub fn finish(mut self) -> Result<Vec<(EntryNo, Vec<u8>)>, CodecError> {
        self.cut()?;
        Ok(self.done)
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

#[derive(Serialize, Deserialize)]
struct LineBlockHeader {
    first_line: u64,
    salespeople: Vec<Option<SalespersonCode>>,
    shared: LineShared,
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

impl LineBlock {
    /// Decodes a whole block.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let view = RowBlockView::parse(LINE_BLOCK, bytes)?;
        let h: LineBlockHeader = view.header()?;
        let mut rows = Vec::with_capacity(view.len());
        for i in 0..view.len() {
            let row: LineRow = view.row(i)?;
            if row.salesperson as usize >= h.salespeople.len() {
                return Err(corrupt(LINE_BLOCK, "salesperson index out of range"));
            }
            rows.push((view.key(i), row));
        }
        Ok(LineBlock {
            first_line: h.first_line,
            salespeople: h.salespeople,
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
    writer: RowBlockWriter,
    first: Option<u64>,
    shared: Option<LineShared>,
    dict: Dict<Option<SalespersonCode>>,
    done: Vec<(u64, Vec<u8>)>,
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
            writer: RowBlockWriter::new(LINE_BLOCK),
            first: None,
            shared: None,
            dict: Dict::default(),
            done: Vec::new(),
        }
    }

    /// Adds one line given as its parts.
    #[allow(clippy::too_many_arguments)]
    pub fn push_parts(
        &mut self,
        line_no: u64,
        contact_no: ContactNo,
        company: CompanyRef,
        profile: ContactProfile,
        salesperson: &Option<SalespersonCode>,
        correspondence_type: CorrespondenceType,
        evaluation: Evaluation,
        flags: u8,
        shared: &LineShared,
    ) -> Result<(), CodecError> {
        let offset = match self.first {
            Some(first) => line_no
                .checked_sub(first)
                .and_then(|o| u32::try_from(o).ok()),
            None => None,
        };
        let offset = match offset {
            Some(o)
                if self.writer.len() < MAX_BLOCK_ROWS
                    && self.writer.encoded_len() < MAX_BLOCK_BYTES
                    && self.dict.len() < u16::MAX as usize =>
            {
                o
            }
            _ => {
                self.cut()?;
                self.first = Some(line_no);
                self.shared = Some(shared.clone());
                0
            }
        };
        let own = (self.shared.as_ref() != Some(shared)).then(|| Box::new(shared.clone()));
        let row = LineRow {
            contact_no,
            company,
            profile,
            salesperson: self.dict.id(salesperson),
            correspondence_type,
            evaluation,
            flags,
            shared: own,
        };
        self.writer.push(offset, &row)
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
        self.push_parts(
            l.line_no,
            l.contact_no.clone(),
            CompanyRef::new(&l.contact_no, l.contact_company_no.as_ref()),
            l.contact_profile,
            &l.salesperson_code,
            l.correspondence_type,
            l.evaluation,
            flags,
            &LineShared::of(l),
        )
    }

    /// Adds a line taken from a decoded block.
    pub fn push_ref(&mut self, l: &LineRef<'_>) -> Result<(), CodecError> {
        self.push_parts(
            l.line_no,
            l.row.contact_no.clone(),
            l.row.company.clone(),
            l.row.profile,
            &l.salesperson.cloned(),
            l.row.correspondence_type,
            l.row.evaluation,
            l.row.flags,
            l.shared,
        )
    }

    fn cut(&mut self) -> Result<(), CodecError> {
        if let (Some(first), Some(shared)) = (self.first.take(), self.shared.take()) {
            if !self.writer.is_empty() {
                let header = LineBlockHeader {
                    first_line: first,
                    salespeople: self.dict.take(),
                    shared,
                };
                let bytes = self.writer.finish(&header)?;
                self.done.push((first, bytes));
            }
        }
        Ok(())
    }

    /// Finished blocks so far (the open block stays open).
    pub fn take_done(&mut self) -> Vec<(u64, Vec<u8>)> {
        std::mem::take(&mut self.done)
    }

    /// Closes the open block and returns every block: (first line number, bytes).
    pub fn finish(mut self) -> Result<Vec<(u64, Vec<u8>)>, CodecError> {
        self.cut()?;
        Ok(self.done)
    }
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
    pub fn encode_for(
        &self,
        old_key: EntryNo,
    ) -> Result<(Vec<(EntryNo, Vec<u8>)>, bool), CodecError> {
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
