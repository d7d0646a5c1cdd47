//! Segments (SPEC §2.6): create, the interaction section and its propagation to lines, lines
//! added / removed / overridden one by one, building by criteria (add, reduce, refine) with an
//! exact *go back*, and reusing a logged segment's contacts.
//!
//! Bulk changes stream lines from the segment's current block generation into a new, staged
//! one (or append staged blocks above the last line) and switch the header in one transaction,
//! so an interrupted change leaves the segment as it was (see `storage::lines`).

use crate::ops::found;
use crate::storage::Change;
use crate::storage::Counter;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::logged::{logged_contacts, OutcomeFilter};
use super::master::Added;
use super::{number_for, setup, Ctx, OpError, SeriesDraws};
use crate::domain::filter::{ContactField, FieldFilter};
use crate::domain::*;
use crate::storage::lines::{GenWriter, NO_GEN};
use crate::storage::{Store, UnitOfWork, WriterGuard};

pub use crate::progress::{NoProgress, Progress};

/// What the user gives to create a segment.
#[derive(Clone, Debug, Default)]
pub struct SegmentInput {
    /// Typed number (else drawn from setup's segment series).
    pub no: Option<String>,
    /// Description.
    pub description: String,
    /// Salesperson lines inherit.
    pub salesperson: Option<SalespersonCode>,
    /// Campaign lines inherit.
    pub campaign: Option<CampaignNo>,
}

/// A segment header with the outcome of a change to it.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentChange {
    /// The header after the change.
    pub segment: SegmentHeader,
    /// Lines the change touched (inserted, deleted, updated).
    pub lines_changed: u64,
    /// The change emptied the segment and its criteria actions were reset (see
    /// [`WhenEmptied`]).
    pub criteria_reset: bool,
}

/// What becomes of a segment's criteria when a reduce, a refine or the removal of a line
/// leaves it empty.
///
/// BC: *Segment Line* `OnDelete` — when the segment's last line is deleted and the segment has
/// more than one criteria action, it asks "Your Segment is now empty. Do you want to reset
/// number of criteria actions?" (default Yes) and on Yes deletes the segment's criteria lines
/// and history. A reset segment has no action to go back over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenEmptied {
    /// Delete the criteria actions (BC's default answer).
    #[default]
    ResetCriteria,
    /// Keep them (go back still works).
    KeepCriteria,
}

/// How a reduce or a refine picks contacts and what it does to criteria that leave the
/// segment empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NarrowOptions {
    /// Widen the match to entire companies.
    pub entire_companies: bool,
    /// Match every contact (given instead of filters: BC's Remove Contacts without a filter).
    pub all: bool,
    /// What to do with the criteria when the segment ends up empty.
    pub when_emptied: WhenEmptied,
}

/// Resets the criteria of a segment that a change has just emptied, when BC would offer to
/// (more than one action, counting the change's own) and the caller agreed. Returns whether it
/// did; the generations of deleted lines the actions kept go to `garbage`.
fn reset_if_emptied(header: &mut SegmentHeader, when: WhenEmptied, garbage: &mut Vec<u64>) -> bool {
    if header.line_count != 0 || header.criteria.len() <= 1 || when != WhenEmptied::ResetCriteria {
        return false;
    }
    garbage.extend(header.criteria.iter().filter_map(|a| a.deleted_gen));
    header.criteria.clear();
    true
}

fn load(store: &Store, no: &SegmentNo) -> Result<SegmentHeader, OpError> {
    found(store.segment(no)?, "segment", no)
}

/// One segment header.
pub fn get(store: &Store, no: &SegmentNo) -> Result<SegmentHeader, OpError> {
    load(store, no)
}

/// Every segment header, by number.
pub fn list(store: &Store) -> Result<Vec<SegmentHeader>, OpError> {
    Ok(store.all_segments()?)
}

/// The lines of a segment, in line order.
pub fn lines(store: &Store, h: &SegmentHeader) -> Result<Vec<SegmentLine>, OpError> {
    Ok(store.lines_of(h.lines_gen, h.last_line_no)?)
}

/// Lines between two progress updates of a long line rewrite.
const PROGRESS_STEP: u64 = 8192;

/// Visits the lines of a segment in line order until `f` returns `false`; memory stays
/// bounded whatever the segment's size.
pub fn for_each_line(
    store: &Store,
    h: &SegmentHeader,
    f: impl FnMut(SegmentLine) -> Result<bool, OpError>,
) -> Result<(), OpError> {
    store.for_each_line(h.lines_gen, h.last_line_no, f)
}

fn check_description(d: &str) -> Result<String, OpError> {
    Ok(check_text("description", d, DESCRIPTION_LEN)?)
}

/// A new segment header (not stored) with its number drawn or typed; the series update goes
/// into `ws`. Used by `create` and by follow-up segments.
pub(crate) fn new_header(
    store: &Store,
    ctx: &Ctx,
    input: &SegmentInput,
    ws: &mut UnitOfWork,
) -> Result<(SegmentHeader, Option<String>), OpError> {
    let setup = setup(store)?;
    let typed = match &input.no {
        Some(n) => Some(SegmentNo::new(n)?.to_string()),
        None => None,
    };
    let mut draws = SeriesDraws::default();
    let (no, warning) = number_for(
        store,
        ctx,
        setup.segment_nos.as_ref(),
        "segment_nos",
        typed.as_deref(),
        &mut draws,
    )?;
    draws.write(ws)?;
    let no = SegmentNo::new(&no)?;
    if store.has_segment(&no)? {
        return Err(OpError::AlreadyExists {
            what: "segment",
            key: no.to_string(),
        });
    }
    // BC's Segment Header OnInsert: no salesperson given → the user's (SetDefaultSalesperson).
    let salesperson = match &input.salesperson {
        Some(sp) => Some(sp.clone()),
        None => super::master::user_salesperson(store, &ctx.user)?,
    };
    if let Some(sp) = &salesperson {
        found(store.salesperson(sp)?, "salesperson", sp)?;
    }
    if let Some(c) = &input.campaign {
        found(store.campaign(c)?, "campaign", c)?;
    }
    let header = SegmentHeader {
        no,
        description: check_description(&input.description)?,
        date: ctx.work_date,
        salesperson_code: salesperson,
        campaign_no: input.campaign.clone(),
        interaction: SegmentInteraction::default(),
        lines_gen: NO_GEN,
        line_count: 0,
        last_line_no: 0,
        contacts_epoch: store.get_counter(Counter::ContactsEpoch)?,
        criteria: Vec::new(),
    };
    Ok((header, warning))
}

/// Creates a segment: number from setup's segment series (or typed where allowed), date = the
/// work date, salesperson = the given one, else the user's (BC's Segment Header `OnInsert`).
pub fn create(
    store: &Store,
    ctx: &Ctx,
    input: &SegmentInput,
) -> Result<Added<SegmentHeader>, OpError> {
    let _w = store.writer();
    let mut ws = UnitOfWork::new();
    let (header, warning) = new_header(store, ctx, input, &mut ws)?;
    ws.change(Change::PutSegment(header.clone()));
    store.apply(ws)?;
    Ok(Added {
        record: header,
        warning,
    })
}

/// Templates by code (all of them: there are few).
pub(crate) fn templates(
    store: &Store,
) -> Result<HashMap<TemplateCode, InteractionTemplate>, OpError> {
    Ok(store
        .all_templates()?
        .into_iter()
        .map(|t| (t.code.clone(), t))
        .collect())
}

fn template_corr(
    templates: &HashMap<TemplateCode, InteractionTemplate>,
    code: Option<&TemplateCode>,
) -> Option<TemplateCorrespondence> {
    code.and_then(|c| templates.get(c))
        .map(TemplateCorrespondence::from)
}

/// Writes `header` and commits, listing `garbage` generations for deletion and moving the
/// `next_gen` counter to `next_gen` when given. Deletes the garbage afterwards.
fn commit_header(
    store: &Store,
    w: &WriterGuard<'_>,
    mut ws: UnitOfWork,
    header: &SegmentHeader,
    garbage: &[u64],
    next_gen: Option<u64>,
) -> Result<(), OpError> {
    ws.change(Change::PutSegment(header.clone()));
    for g in garbage.iter().filter(|g| **g != NO_GEN) {
        ws.change(Change::DiscardLineGeneration(*g));
    }
    if let Some(n) = next_gen {
        ws.change(Change::SetCounter(Counter::NextGen, n));
    }
    if let Err(e) = store.apply(ws) {
        // Roll staged blocks back (the header still names the old generation) — only when the
        // commit surely did not happen: one that failed after its commit point is completed
        // at the next open, with these blocks.
        if e.outcome() == crate::storage::Outcome::NotCommitted {
            store.recover(w)?;
        }
        return Err(e.into());
    }
    store.collect_garbage_after_commit(w)?;
    Ok(())
}

/// Changes to the interaction section of a segment header.
#[derive(Clone, Debug, Default)]
pub struct InteractionChange {
    /// Template: copies its defaults into the header and reaches every line.
    pub template: Option<TemplateCode>,
    /// Segment description (lines start with it).
    pub description: Option<String>,
    /// Subject default.
    pub subject: Option<String>,
    /// Unit cost.
    pub unit_cost: Option<Money>,
    /// Unit duration.
    pub unit_duration_min: Option<u32>,
    /// Correspondence type default.
    pub correspondence_type: Option<CorrespondenceType>,
    /// Ignore the contact's correspondence type.
    pub ignore_contact_correspondence_type: Option<bool>,
    /// Language default.
    pub language: Option<LanguageCode>,
    /// Salesperson lines inherit.
    pub salesperson: Option<SalespersonCode>,
    /// Campaign lines inherit.
    pub campaign: Option<CampaignNo>,
    /// Date lines inherit.
    pub date: Option<chrono::NaiveDate>,
}

/// Sets the interaction section (SPEC §2.6): a template copies its defaults into the header
/// and reaches every line as BC's Segment Header does it (the template code and the header's
/// correspondence type; see [`propagate_header_change`]); other changes reach only lines
/// still on the header's template. Returns how many lines changed.
pub fn set_interaction(
    store: &Store,
    no: &SegmentNo,
    change: &InteractionChange,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let writer = store.writer();
    let old = load(store, no)?;
    let templates = templates(store)?;
    // `mid`: the header once its template is set (its defaults copied in), as BC's header is
    // after validating the template; the other changes are then measured from it.
    let mut mid = old.clone();
    let mut new_template = None;
    if let Some(code) = &change.template {
        let t = templates.get(code).ok_or_else(|| OpError::NotFound {
            what: "interaction template",
            key: code.to_string(),
        })?;
        if old.interaction.template_code.as_ref() != Some(code) {
            let subject = mid.interaction.subject_default.clone();
            mid.interaction = SegmentInteraction::from_template(t);
            mid.interaction.subject_default = subject;
        }
        new_template = Some(t.clone());
    }
    let mut new = mid.clone();
    if let Some(d) = &change.description {
        new.description = check_description(d)?;
    }
    if let Some(s) = &change.subject {
        new.interaction.subject_default = check_text("subject", s, SUBJECT_LEN)?;
    }
    if let Some(c) = change.unit_cost {
        new.interaction.unit_cost = c;
    }
    if let Some(d) = change.unit_duration_min {
        new.interaction.unit_duration_min = d;
    }
    if let Some(t) = change.correspondence_type {
        new.interaction.correspondence_type_default = t;
    }
    if let Some(b) = change.ignore_contact_correspondence_type {
        new.interaction.ignore_contact_correspondence_type = b;
    }
    if let Some(l) = &change.language {
        new.interaction.language_code_default = Some(l.clone());
    }
    if let Some(sp) = &change.salesperson {
        found(store.salesperson(sp)?, "salesperson", sp)?;
        new.salesperson_code = Some(sp.clone());
    }
    if let Some(c) = &change.campaign {
        found(store.campaign(c)?, "campaign", c)?;
        new.campaign_no = Some(c.clone());
    }
    if let Some(d) = change.date {
        new.date = d;
    }
    let new_template = new_template.or_else(|| {
        new.interaction
            .template_code
            .as_ref()
            .and_then(|c| templates.get(c).cloned())
    });
    let mut changed = 0u64;
    if new != old && old.line_count > 0 {
        let gen = store.get_counter(Counter::NextGen)?;
        let mut w = GenWriter::new(store, gen);
        progress.start("updating lines", old.line_count);
        let mut since_progress = 0u64;
        for_each_line(store, &old, |mut line| {
            let lt = template_corr(&templates, line.template_code.as_ref());
            if propagate_header_change(&old, &mid, &new, new_template.as_ref(), &mut line, lt) {
                changed += 1;
            }
            w.push(&line)?;
            since_progress += 1;
            if since_progress == PROGRESS_STEP {
                progress.advance(since_progress);
                since_progress = 0;
            }
            Ok(true)
        })?;
        progress.advance(since_progress);
        progress.finish();
        w.finish()?;
        new.lines_gen = gen;
        commit_header(
            store,
            &writer,
            UnitOfWork::new(),
            &new,
            &[old.lines_gen],
            Some(gen + 1),
        )?;
    } else if new != old {
        commit_header(store, &writer, UnitOfWork::new(), &new, &[], None)?;
    }
    Ok(SegmentChange {
        segment: new,
        lines_changed: changed,
        criteria_reset: false,
    })
}

/// Loads a contact for a new line, refusing unknown and privacy-blocked contacts.
fn line_contact(store: &Store, no: &ContactNo) -> Result<LineContact, OpError> {
    let c: Contact = found(store.contact(no)?, "contact", no)?;
    if c.privacy_blocked {
        return Err(OpError::PrivacyBlocked { contact: c.no });
    }
    Ok(LineContact::from(&c))
}

/// Appends lines for `contacts` (in the given order) to the segment as staged blocks, then
/// commits the header with `action` recorded. Returns the lines inserted.
pub(crate) fn append_lines(
    store: &Store,
    writer: &WriterGuard<'_>,
    ws: UnitOfWork,
    mut header: SegmentHeader,
    contacts: impl IntoIterator<Item = LineContact>,
    mut action: CriteriaAction,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let templates = templates(store)?;
    let tc = template_corr(&templates, header.interaction.template_code.as_ref());
    let (gen, next_gen) = if header.lines_gen == NO_GEN {
        let g = store.get_counter(Counter::NextGen)?;
        (g, Some(g + 1))
    } else {
        (header.lines_gen, None)
    };
    let mut w = GenWriter::new(store, gen);
    let mut line_no = header.last_line_no;
    let first = header.next_line_no();
    for c in contacts {
        line_no += LINE_NO_STEP;
        w.push(&SegmentLine::inherit(&header, line_no, &c, tc))?;
        progress.advance(1);
    }
    let (count, _) = w.finish()?;
    if count > 0 {
        action.inserted = Some((first, line_no));
    }
    action.inserted_count = count;
    header.lines_gen = gen;
    header.line_count += count;
    header.last_line_no = line_no;
    header.criteria.push(action);
    commit_header(store, writer, ws, &header, &[], next_gen)?;
    Ok(SegmentChange {
        segment: header,
        lines_changed: count,
        criteria_reset: false,
    })
}

pub(crate) fn next_action(
    h: &SegmentHeader,
    kind: CriteriaKind,
    filters: &[FieldFilter],
    options: CriteriaOptions,
) -> CriteriaAction {
    CriteriaAction {
        no: h.criteria.last().map_or(1, |a| a.no + 1),
        kind,
        filters: filters.iter().map(|f| f.text.clone()).collect(),
        options,
        logged_segment: None,
        inserted: None,
        inserted_count: 0,
        deleted_gen: None,
        deleted_count: 0,
    }
}

/// The contacts of a segment's lines.
fn segment_contacts(store: &Store, h: &SegmentHeader) -> Result<HashSet<ContactNo>, OpError> {
    let mut set = HashSet::with_capacity(h.line_count as usize);
    for_each_line(store, h, |l| {
        set.insert(l.contact_no);
        Ok(true)
    })?;
    Ok(set)
}

/// Visits every stored contact in number order.
fn for_each_contact(store: &Store, mut f: impl FnMut(Contact)) -> Result<(), OpError> {
    super::master::for_each_contact(store, |c| {
        f(c);
        Ok(true)
    })
}

/// Adds contacts matching `filters` (all must match) with the options of SPEC §2.6: contacts
/// already in the segment are skipped unless `allow_existing`; `expand_companies` adds the
/// persons of matching companies; `related_companies` adds matching persons' companies;
/// contacts marked "exclude from segment" are skipped unless `ignore_exclusion`; contacts
/// blocked for privacy are always skipped. New lines are appended in contact number order.
pub fn add_contacts(
    store: &Store,
    no: &SegmentNo,
    filters: &[FieldFilter],
    options: CriteriaOptions,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let writer = store.writer();
    add_contacts_locked(store, &writer, no, filters, options, progress)
}

/// [`add_contacts`] for a caller that holds the writer lock.
pub(crate) fn add_contacts_locked(
    store: &Store,
    writer: &WriterGuard<'_>,
    no: &SegmentNo,
    filters: &[FieldFilter],
    options: CriteriaOptions,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let header = load(store, no)?;
    let existing = if options.allow_existing {
        HashSet::new()
    } else {
        segment_contacts(store, &header)?
    };
    let eligible =
        |c: &Contact| !c.privacy_blocked && (options.ignore_exclusion || !c.exclude_from_segment);
    let mut chosen: BTreeMap<ContactNo, LineContact> = BTreeMap::new();
    let mut companies: BTreeSet<ContactNo> = BTreeSet::new(); // to expand into their persons
    let mut related: BTreeSet<ContactNo> = BTreeSet::new(); // companies of matching persons
    progress.start("selecting contacts", store.contact_count() as u64);
    super::master::for_each_contact_matching(store, filters, |c| {
        progress.advance(1);
        if !eligible(&c) {
            return Ok(true);
        }
        match c.kind {
            ContactKind::Company if options.expand_companies => {
                companies.insert(c.no.clone());
            }
            ContactKind::Person if options.related_companies => {
                if let Some(co) = &c.company_no {
                    related.insert(co.clone());
                }
            }
            _ => {}
        }
        chosen.insert(c.no.clone(), LineContact::from(&c));
        Ok(true)
    })?;
    progress.finish();
    if !companies.is_empty() {
        for_each_contact(store, |c| {
            if c.kind == ContactKind::Person
                && c.company_no
                    .as_ref()
                    .is_some_and(|co| companies.contains(co))
                && eligible(&c)
            {
                chosen.insert(c.no.clone(), LineContact::from(&c));
            }
        })?;
    }
    for co in related {
        if chosen.contains_key(&co) {
            continue;
        }
        if let Some(c) = store.contact(&co)? {
            if eligible(&c) {
                chosen.insert(c.no.clone(), LineContact::from(&c));
            }
        }
    }
    let action = next_action(&header, CriteriaKind::Add, filters, options);
    progress.start("adding lines", chosen.len() as u64);
    let res = append_lines(
        store,
        writer,
        UnitOfWork::new(),
        header,
        chosen.into_values().filter(|c| !existing.contains(&c.no)),
        action,
        progress,
    );
    progress.finish();
    res
}

/// Adds one line per given contact, in the given order, as one criteria action (go back
/// removes them all). Every contact must exist and not be blocked for privacy; nothing is
/// added otherwise. For lists that come from elsewhere (a file, another system).
pub fn add_contact_list(
    store: &Store,
    no: &SegmentNo,
    contacts: &[ContactNo],
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let writer = store.writer();
    let header = load(store, no)?;
    progress.start("checking contacts", contacts.len() as u64);
    let mut list = Vec::with_capacity(contacts.len());
    for c in contacts {
        list.push(line_contact(store, c)?);
        progress.advance(1);
    }
    progress.finish();
    let mut action = next_action(&header, CriteriaKind::Add, &[], CriteriaOptions::default());
    action.filters = vec![format!("(a list of {} contacts)", contacts.len())];
    progress.start("adding lines", list.len() as u64);
    let res = append_lines(
        store,
        &writer,
        UnitOfWork::new(),
        header,
        list,
        action,
        progress,
    );
    progress.finish();
    res
}

/// Contacts matching the filters, widened to entire companies when asked: returns a predicate
/// over (contact, company).
fn matcher(
    store: &Store,
    filters: &[FieldFilter],
    entire_companies: bool,
) -> Result<impl Fn(&ContactNo, Option<&ContactNo>) -> bool, OpError> {
    let mut hit: HashSet<ContactNo> = HashSet::new();
    let mut hit_companies: HashSet<ContactNo> = HashSet::new();
    super::master::for_each_contact_matching(store, filters, |c| {
        if let Some(co) = &c.company_no {
            hit_companies.insert(co.clone());
        }
        hit.insert(c.no);
        Ok(true)
    })?;
    Ok(move |contact: &ContactNo, company: Option<&ContactNo>| {
        hit.contains(contact)
            || (entire_companies && company.is_some_and(|co| hit_companies.contains(co)))
    })
}

/// Reduce (remove matching lines) or refine (keep only matching lines).
fn narrow(
    store: &Store,
    no: &SegmentNo,
    filters: &[FieldFilter],
    opts: NarrowOptions,
    kind: CriteriaKind,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    if opts.all && !filters.is_empty() {
        return Err(OpError::Refused {
            reason: format!(
                "segment {no}: give filters or --all, not both (--all matches every contact)"
            ),
        });
    }
    if kind == CriteriaKind::Reduce && filters.is_empty() && !opts.all {
        return Err(OpError::ReduceWithoutFilter {
            segment: no.clone(),
        });
    }
    let writer = store.writer();
    narrow_locked(store, &writer, no, filters, opts, kind, progress)
}

/// Reduce or refine for a caller that holds the writer lock (the options are checked).
pub(crate) fn narrow_locked(
    store: &Store,
    writer: &WriterGuard<'_>,
    no: &SegmentNo,
    filters: &[FieldFilter],
    opts: NarrowOptions,
    kind: CriteriaKind,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let mut header = load(store, no)?;
    let matches = matcher(store, filters, opts.entire_companies)?;
    let gen = store.get_counter(Counter::NextGen)?;
    let (keep_gen, del_gen) = (gen, gen + 1);
    let mut keep = GenWriter::new(store, keep_gen);
    let mut del = GenWriter::new(store, del_gen);
    progress.start("filtering lines", header.line_count);
    let mut since_progress = 0u64;
    store.split_lines(
        header.lines_gen,
        header.last_line_no,
        &mut keep,
        Some(&mut del),
        |l| {
            since_progress += 1;
            if since_progress == PROGRESS_STEP {
                progress.advance(since_progress);
                since_progress = 0;
            }
            let m = matches(l.contact_no(), l.contact_company_no().as_ref());
            match kind {
                CriteriaKind::Reduce => m,
                _ => !m,
            }
        },
    )?;
    progress.advance(since_progress);
    progress.finish();
    let (kept, _) = keep.finish()?;
    let (deleted, _) = del.finish()?;
    let options = CriteriaOptions {
        entire_companies: opts.entire_companies,
        ..CriteriaOptions::default()
    };
    let mut action = next_action(&header, kind, filters, options);
    action.deleted_gen = Some(del_gen);
    action.deleted_count = deleted;
    let old_gen = header.lines_gen;
    header.lines_gen = if kept > 0 || header.line_count > 0 {
        keep_gen
    } else {
        NO_GEN
    };
    header.line_count = kept;
    header.criteria.push(action);
    let mut garbage = vec![old_gen];
    let criteria_reset =
        deleted > 0 && reset_if_emptied(&mut header, opts.when_emptied, &mut garbage);
    commit_header(
        store,
        writer,
        UnitOfWork::new(),
        &header,
        &garbage,
        Some(gen + 2),
    )?;
    Ok(SegmentChange {
        segment: header,
        lines_changed: deleted,
        criteria_reset,
    })
}

/// Removes the lines whose contact matches the filters (widened to entire companies when
/// asked); a segment left empty has its criteria reset ([`WhenEmptied::ResetCriteria`]).
/// Refused without filters: see [`reduce_with`].
pub fn reduce(
    store: &Store,
    no: &SegmentNo,
    filters: &[FieldFilter],
    entire_companies: bool,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let opts = NarrowOptions {
        entire_companies,
        ..NarrowOptions::default()
    };
    reduce_with(store, no, filters, opts, progress)
}

/// Removes the lines whose contact matches the filters, or every line with `opts.all`.
///
/// BC: report *Remove Contacts - Reduce* (5197) runs *Remove Contacts* (5186), which treats
/// every line's contact as matching when no filter is set — so a reduce without filters
/// empties the segment. interlog makes that explicit: with neither filters nor `all` it is
/// refused ([`OpError::ReduceWithoutFilter`]), with both too.
pub fn reduce_with(
    store: &Store,
    no: &SegmentNo,
    filters: &[FieldFilter],
    opts: NarrowOptions,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    narrow(store, no, filters, opts, CriteriaKind::Reduce, progress)
}

/// Keeps only the lines whose contact matches the filters (widened to entire companies when
/// asked); a segment left empty has its criteria reset ([`WhenEmptied::ResetCriteria`]).
pub fn refine(
    store: &Store,
    no: &SegmentNo,
    filters: &[FieldFilter],
    entire_companies: bool,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let opts = NarrowOptions {
        entire_companies,
        ..NarrowOptions::default()
    };
    refine_with(store, no, filters, opts, progress)
}

/// Keeps only the lines whose contact matches the filters (BC: report *Remove Contacts -
/// Refine*, 5198). Without filters (or with `opts.all`) every line matches and stays, as in
/// BC.
pub fn refine_with(
    store: &Store,
    no: &SegmentNo,
    filters: &[FieldFilter],
    opts: NarrowOptions,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    narrow(store, no, filters, opts, CriteriaKind::Refine, progress)
}

/// Undoes the last criteria action exactly: lines it inserted are removed, lines it deleted
/// come back with their line numbers and field values.
pub fn go_back(
    store: &Store,
    no: &SegmentNo,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let writer = store.writer();
    let mut header = load(store, no)?;
    let Some(action) = header.criteria.pop() else {
        return Err(OpError::Refused {
            reason: format!("segment {no} has no criteria action to go back from"),
        });
    };
    let gen = store.get_counter(Counter::NextGen)?;
    let mut w = GenWriter::new(store, gen);
    let mut changed = 0u64;
    progress.start("going back", header.line_count + action.deleted_count);
    match action.deleted_gen {
        None => {
            let range = action.inserted;
            let mut since_progress = 0u64;
            store.split_lines(header.lines_gen, header.last_line_no, &mut w, None, |l| {
                since_progress += 1;
                if since_progress == PROGRESS_STEP {
                    progress.advance(since_progress);
                    since_progress = 0;
                }
                let inserted = range.is_some_and(|(a, b)| l.line_no() >= a && l.line_no() <= b);
                changed += u64::from(inserted);
                inserted
            })?;
            progress.advance(since_progress);
        }
        Some(dgen) => {
            // Merge the current lines with the deleted ones by line number.
            store.merge_lines(
                (header.lines_gen, header.last_line_no),
                (dgen, u64::MAX),
                &mut w,
                |restored| {
                    changed += u64::from(restored);
                    progress.advance(1);
                },
            )?;
        }
    }
    progress.finish();
    let (count, _) = w.finish()?;
    let old_gen = header.lines_gen;
    header.lines_gen = if count > 0 { gen } else { NO_GEN };
    header.line_count = count;
    let mut garbage = vec![old_gen];
    garbage.extend(action.deleted_gen);
    if header.lines_gen == NO_GEN {
        garbage.push(gen);
    }
    commit_header(
        store,
        &writer,
        UnitOfWork::new(),
        &header,
        &garbage,
        Some(gen + 1),
    )?;
    Ok(SegmentChange {
        segment: header,
        lines_changed: changed,
        criteria_reset: false,
    })
}

/// Adds the contacts of a logged segment's entries (in entry order, each once, skipping
/// contacts already in the segment).
pub fn reuse_logged(
    store: &Store,
    no: &SegmentNo,
    logged: LoggedSegmentNo,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let writer = store.writer();
    reuse_logged_locked(
        store,
        &writer,
        no,
        logged,
        &OutcomeFilter::default(),
        progress,
    )
}

/// [`reuse_logged`] for a caller that holds the writer lock, taking only the entries that pass
/// `filter` (as a follow-up made from the logged segment does).
pub(crate) fn reuse_logged_locked(
    store: &Store,
    writer: &WriterGuard<'_>,
    no: &SegmentNo,
    logged: LoggedSegmentNo,
    filter: &OutcomeFilter,
    progress: &dyn Progress,
) -> Result<SegmentChange, OpError> {
    let header = load(store, no)?;
    let ls: LoggedSegment = found(store.logged_segment(logged)?, "logged segment", &logged)?;
    let mut seen = segment_contacts(store, &header)?;
    let contacts = logged_contacts(store, &ls, filter, &mut seen)?.contacts;
    let mut action = next_action(
        &header,
        CriteriaKind::ReuseLogged,
        &[],
        CriteriaOptions::default(),
    );
    action.logged_segment = Some(logged);
    action.filters = filter.describe();
    progress.start("adding lines", contacts.len() as u64);
    let res = append_lines(
        store,
        writer,
        UnitOfWork::new(),
        header,
        contacts,
        action,
        progress,
    );
    progress.finish();
    res
}

/// Adds one line for a contact at the end of the segment, recorded as a criteria action (go
/// back removes the line).
///
/// BC: page *Segment Subform* `OnInsertRecord` calls `SegCriteriaManagement.InsertContact`,
/// which inserts a criteria line of type Action, *Add Contacts*, with every option off, and a
/// Contact filter `No.=<contact>`; `SegHistoryManagement.InsertLine` records the insertion.
pub fn add_line(
    store: &Store,
    no: &SegmentNo,
    contact: &ContactNo,
) -> Result<SegmentLine, OpError> {
    let writer = store.writer();
    let mut header = load(store, no)?;
    let c = line_contact(store, contact)?;
    let templates = templates(store)?;
    let line = SegmentLine::inherit(
        &header,
        header.next_line_no(),
        &c,
        template_corr(&templates, header.interaction.template_code.as_ref()),
    );
    let mut ws = UnitOfWork::new();
    let mut next_gen = None;
    if header.lines_gen == NO_GEN {
        let g = store.get_counter(Counter::NextGen)?;
        header.lines_gen = g;
        next_gen = Some(g + 1);
        ws.write_line_chunk(g, None, std::slice::from_ref(&line))?;
    } else {
        match store.last_line_chunk_with_room(header.lines_gen, header.last_line_no)? {
            Some((key, mut ls)) => {
                ls.push(line.clone());
                ws.write_line_chunk(header.lines_gen, Some(key), &ls)?;
            }
            None => ws.write_line_chunk(header.lines_gen, None, std::slice::from_ref(&line))?,
        }
    }
    let mut action = next_action(
        &header,
        CriteriaKind::Add,
        &[FieldFilter::equals(
            ContactField::No,
            line.contact_no.as_str(),
        )],
        CriteriaOptions::default(),
    );
    action.inserted = Some((line.line_no, line.line_no));
    action.inserted_count = 1;
    header.criteria.push(action);
    header.line_count += 1;
    header.last_line_no = line.line_no;
    commit_header(store, &writer, ws, &header, &[], next_gen)?;
    Ok(line)
}

fn line_not_found(no: &SegmentNo, line_no: u64) -> OpError {
    OpError::NotFound {
        what: "segment line",
        key: format!("{no} {line_no}"),
    }
}

/// Loads the block holding a line: (block key, lines, index of the line).
fn find_line(
    store: &Store,
    h: &SegmentHeader,
    line_no: u64,
) -> Result<(u64, Vec<SegmentLine>, usize), OpError> {
    if line_no > h.last_line_no {
        return Err(line_not_found(&h.no, line_no));
    }
    let Some((key, lines)) = store.line_chunk_at(h.lines_gen, line_no)? else {
        return Err(line_not_found(&h.no, line_no));
    };
    let i = lines
        .iter()
        .position(|l| l.line_no == line_no)
        .ok_or_else(|| line_not_found(&h.no, line_no))?;
    Ok((key, lines, i))
}

/// A line removed by hand, and whether that reset the segment's criteria.
#[derive(Clone, Debug, Serialize)]
pub struct LineRemoval {
    /// The line removed.
    #[serde(flatten)]
    pub line: SegmentLine,
    /// The segment was left empty and its criteria actions were reset.
    pub criteria_reset: bool,
}

/// Removes one line, recorded as a criteria action (go back restores the line); a segment
/// left empty has its criteria reset ([`WhenEmptied::ResetCriteria`]).
pub fn remove_line(store: &Store, no: &SegmentNo, line_no: u64) -> Result<SegmentLine, OpError> {
    Ok(remove_line_with(store, no, line_no, WhenEmptied::default())?.line)
}

/// Removes one line, recorded as a criteria action.
///
/// BC: page *Segment Subform* `OnDeleteRecord` calls `SegCriteriaManagement.DeleteContact`,
/// which inserts a criteria line of type Action, *Remove Contacts (Reduce)*, with a Contact
/// filter `No.=<contact>`; `SegHistoryManagement.DeleteLine` records the deletion; *Segment
/// Line* `OnDelete` offers the reset of [`WhenEmptied`] when it was the last line.
pub fn remove_line_with(
    store: &Store,
    no: &SegmentNo,
    line_no: u64,
    when_emptied: WhenEmptied,
) -> Result<LineRemoval, OpError> {
    let writer = store.writer();
    let mut header = load(store, no)?;
    let (key, mut lines, i) = find_line(store, &header, line_no)?;
    let removed = lines.remove(i);
    let mut ws = UnitOfWork::new();
    ws.write_line_chunk(header.lines_gen, Some(key), &lines)?;
    header.line_count -= 1;
    let del_gen = store.get_counter(Counter::NextGen)?;
    let mut action = next_action(
        &header,
        CriteriaKind::Reduce,
        &[FieldFilter::equals(
            ContactField::No,
            removed.contact_no.as_str(),
        )],
        CriteriaOptions::default(),
    );
    action.deleted_gen = Some(del_gen);
    action.deleted_count = 1;
    header.criteria.push(action);
    let mut garbage = Vec::new();
    let criteria_reset = reset_if_emptied(&mut header, when_emptied, &mut garbage);
    let next_gen = if criteria_reset {
        // Nothing keeps the removed line: its generation is never written.
        garbage.retain(|g| *g != del_gen);
        None
    } else {
        ws.write_line_chunk(del_gen, None, std::slice::from_ref(&removed))?;
        Some(del_gen + 1)
    };
    commit_header(store, &writer, ws, &header, &garbage, next_gen)?;
    Ok(LineRemoval {
        line: removed,
        criteria_reset,
    })
}

/// Changes to one line (SPEC §2.6: a line may override any interaction field).
#[derive(Clone, Debug, Default)]
pub struct LineChange {
    /// Template: re-copies the template-derived fields onto the line.
    pub template: Option<TemplateCode>,
    /// Description (marks it as typed for this line).
    pub description: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Cost.
    pub cost: Option<Money>,
    /// Duration.
    pub duration_min: Option<u32>,
    /// Salesperson.
    pub salesperson: Option<SalespersonCode>,
    /// Evaluation.
    pub evaluation: Option<Evaluation>,
    /// Date.
    pub date: Option<chrono::NaiveDate>,
    /// Correspondence type.
    pub correspondence_type: Option<CorrespondenceType>,
    /// Attempt failed.
    pub attempt_failed: Option<bool>,
    /// Language.
    pub language: Option<LanguageCode>,
}

/// Overrides fields of one line.
pub fn set_line(
    store: &Store,
    no: &SegmentNo,
    line_no: u64,
    change: &LineChange,
) -> Result<SegmentLine, OpError> {
    let writer = store.writer();
    let header = load(store, no)?;
    let (key, mut lines, i) = find_line(store, &header, line_no)?;
    let line = &mut lines[i];
    if let Some(code) = &change.template {
        let t = super::master::get_template(store, code)?;
        line.set_template(&header, &t);
    }
    if let Some(d) = &change.description {
        line.description = check_description(d)?;
        line.description_typed = true;
    }
    if let Some(s) = &change.subject {
        line.subject = check_text("subject", s, SUBJECT_LEN)?;
    }
    if let Some(c) = change.cost {
        line.cost = c;
    }
    if let Some(d) = change.duration_min {
        line.duration_min = d;
    }
    if let Some(sp) = &change.salesperson {
        found(store.salesperson(sp)?, "salesperson", sp)?;
        line.salesperson_code = Some(sp.clone());
    }
    if let Some(e) = change.evaluation {
        line.evaluation = e;
    }
    if let Some(d) = change.date {
        line.date = d;
    }
    if let Some(t) = change.correspondence_type {
        line.correspondence_type = t;
    }
    if let Some(f) = change.attempt_failed {
        line.attempt_failed = f;
    }
    if let Some(l) = &change.language {
        line.language_code = Some(l.clone());
    }
    let out = line.clone();
    let mut ws = UnitOfWork::new();
    ws.write_line_chunk(header.lines_gen, Some(key), &lines)?;
    commit_header(store, &writer, ws, &header, &[], None)?;
    Ok(out)
}

/// Removes a segment with its lines (used after logging; also available to users).
pub(crate) fn remove_header_writes(h: &SegmentHeader, ws: &mut UnitOfWork) {
    ws.change(Change::RemoveSegment(h.no.clone()));
    for g in std::iter::once(h.lines_gen).chain(h.criteria.iter().filter_map(|a| a.deleted_gen)) {
        if g != NO_GEN {
            ws.change(Change::DiscardLineGeneration(g));
        }
    }
}
