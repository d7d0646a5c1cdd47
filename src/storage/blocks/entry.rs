//! Entry blocks: the rows of interaction log entries, their reader, builder, and the in-place
//! flag flips of the cancel cascade ([`set_flag_where`]).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::row::*;
use super::*;
use crate::storage::codec::{self, get_varint, CodecError};

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
    /// entry-ordered index run keeps (see [`EntryBlockBuilder::finish_indexed`]), with Bloom
    /// filters of `bloom_bits` bits a key ([`crate::storage::bloom::bits_per_key`] of the run).
    pub fn indexed(shared: EntryShared, bloom_bits: usize) -> Self {
        let mut b = BlockBuilder::new(ENTRY_BLOCK, Some(shared), true);
        b.indexed = Some(Vec::new());
        b.bloom_bits = bloom_bits;
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
    ) -> Result<(Vec<EncodedBlock>, Vec<crate::storage::bloom::OrderedBlock>), CodecError> {
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

    /// Finished blocks so far (the open block stays open): (first entry number, bytes).
    pub fn take_done(&mut self) -> Vec<EncodedBlock> {
        std::mem::take(&mut self.b.done)
            .into_iter()
            .map(|(k, v)| (EntryNo(k), v))
            .collect()
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

/// Visits the rows of `contact` in an encoded entry block (the rows of an entry-ordered run's
/// block are in contact order): a binary search over the restart points, then the rows from
/// the restart group that may hold the contact's first row.
fn visit_contact_rows(
    bytes: &[u8],
    contact: &str,
    mut f: impl FnMut(
        &Parsed<'_, EntryShared, SalespersonCode>,
        &RawRow<'_>,
        &RowCursor<'_>,
    ) -> Result<(), CodecError>,
) -> Result<(), CodecError> {
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
    if start < h.restarts.len() {
        cur.seek(start * RESTART, h.restarts[start] as usize);
        while let Some(raw) = cur.next()? {
            let c = cur.contact()?;
            if c == contact {
                f(&p, &raw, &cur)?;
            } else if c > contact {
                break;
            }
        }
    }
    Ok(())
}

/// The entry numbers of `contact` in an encoded entry block of an entry-ordered run.
pub fn contact_entries_in_block(bytes: &[u8], contact: &str) -> Result<Vec<EntryNo>, CodecError> {
    let mut out = Vec::new();
    visit_contact_rows(bytes, contact, |p, _, cur| {
        out.push(EntryNo(p.header.first + p.header.key(cur.row - 1) as u64));
        Ok(())
    })?;
    Ok(out)
}

/// The entries of `contact` in an encoded entry block of an entry-ordered run, materialized
/// (what a contact's history needs, without finding each entry's block again).
pub fn contact_rows_in_block(bytes: &[u8], contact: &str) -> Result<Vec<LogEntry>, CodecError> {
    let mut out = Vec::new();
    visit_contact_rows(bytes, contact, |p, raw, cur| {
        let row = entry_row(ENTRY_BLOCK, raw, cur, p.header.dict.len())?;
        let shared = row.shared.as_deref().unwrap_or(&p.header.shared);
        out.push(
            EntryRef {
                entry_no: EntryNo(p.header.first + p.header.key(cur.row - 1) as u64),
                row: &row,
                shared,
                salesperson: &p.header.dict[row.salesperson as usize],
            }
            .to_entry(),
        );
        Ok(())
    })?;
    Ok(out)
}

/// Every row's contact number and entry number in an encoded entry block, in row order, read
/// with the row cursor alone: nothing is decoded into owned rows (a bulk log whose lines are
/// not in contact order reads its staged blocks back this way to build its index run).
pub fn for_each_contact_in_block(
    bytes: &[u8],
    mut f: impl FnMut(&str, EntryNo),
) -> Result<(), CodecError> {
    let p: Parsed<'_, EntryShared, SalespersonCode> = parse(ENTRY_BLOCK, bytes)?;
    let h = &p.header;
    let mut cur = RowCursor::new(ENTRY_BLOCK, p.body, h.rows as usize, 1);
    while cur.next()?.is_some() {
        f(cur.contact()?, EntryNo(h.first + h.key(cur.row - 1) as u64));
    }
    cur.check_end()
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
