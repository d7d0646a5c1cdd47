//! Segment-line blocks: the rows of a segment's lines, their reader, summary and builder.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::row::*;
use super::*;
use crate::storage::codec::{self, CodecError};

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

impl crate::domain::LineRead for LineRef<'_> {
    fn line_no(&self) -> u64 {
        self.line_no
    }
    fn contact_no(&self) -> &ContactNo {
        &self.row.contact_no
    }
    fn contact_company_no(&self) -> Option<ContactNo> {
        self.row.company.resolve(&self.row.contact_no)
    }
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
        f: impl FnMut(usize, u64, LineRowIn<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_in(0..self.len(), f)
    }

    /// [`LineBlockReader::for_each`] for the rows at positions `rows` only: the cursor starts
    /// at the restart row at or before the first (rows are prefix-compressed from there).
    pub fn for_each_in<E: From<CodecError>>(
        &self,
        rows: std::ops::Range<usize>,
        mut f: impl FnMut(usize, u64, LineRowIn<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let h = &self.parsed.header;
        let n = h.rows as usize;
        let end = rows.end.min(n);
        let mut cur = RowCursor::new(LINE_BLOCK, self.parsed.body, n, 2);
        if rows.start > 0 && rows.start < n {
            let r = rows.start / RESTART;
            let at = *h
                .restarts
                .get(r)
                .ok_or_else(|| corrupt(LINE_BLOCK, "restart table too short"))?;
            cur.seek(r * RESTART, at as usize);
        }
        while cur.row < end {
            let Some(raw) = cur.next()? else { break };
            let i = cur.row - 1;
            if i < rows.start {
                continue;
            }
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
        if end == n {
            cur.check_end()?;
        }
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
