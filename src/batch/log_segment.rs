//! Logging a segment (SPEC §2.7): load → plan → build (rayon) → write (streamed) → commit.
//!
//! 1. **Load**: the header, every template, salesperson and campaign (few), the block keys of
//!    the segment's lines.
//! 2. **Plan**: every line block is decoded in parallel and every line checked; all failing
//!    lines are reported together and nothing is written. Entry numbers, the logged segment
//!    number, campaign entry numbers, the follow-up segment number and its line generation and
//!    the index run id are reserved here, before any parallel work.
//! 3. **Build**: rayon turns each line block into encoded entry blocks (with what an
//!    entry-ordered index run keeps of each) and follow-up line blocks, and tells whether its
//!    entries are in contact order. A unit's output depends only on the plan and the unit's input,
//!    so the bytes are the same however the work is scheduled (a test compares the parallel
//!    build with a sequential one).
//! 4. **Write**: windows of units are built in parallel while one writer thread stores the
//!    previous window as *staged* data (entries at or above `next_entry`, lines in a generation
//!    at or above `next_gen`: invisible). A batch in contact order is its own contact index; any
//!    other gets a sorted index run, built by reading the staged entries back (blocks at or
//!    above `next_run`, invisible). The staged data is flushed and fsynced.
//! 5. **Commit**: one small transaction — the logged segment, its campaign entries, the counters,
//!    the index run info, the follow-up segment header and its series, the removal of the
//!    logged segment's header — makes everything visible at once and is made durable before
//!    success is reported. The old line blocks are deleted afterwards (`garbage`; recovery
//!    finishes that if interrupted).
//!
//! This module keeps the business (load, checks, numbers, what each entry and follow-up line
//! carries — [`LogRules`] — the commit's changes, the outcome) and drives the pipeline; the
//! block encoding, the staged writes and the index run are the backend's sink
//! (`storage::bulk_log`). The build gets its input handed to it and never reads the store.
//!
//! A failure before the commit rolls the staged data back (`Store::recover`); a crash leaves it
//! for recovery on the next open. Either way the store looks as if nothing had happened.

use crate::ops::found;
use crate::storage::Change;
use crate::storage::Counter;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

use crate::domain::*;
use crate::ops::segments::{new_header, remove_header_writes, SegmentInput};
use crate::ops::{Ctx, LineProblem, OpError};
use crate::progress::Progress;
pub use crate::storage::bulk_log::Built;
use crate::storage::bulk_log::{
    self, EntryShared, LineShared, LogRules, LogSink, LogTarget, PlannedLine, StagedRun,
    UniformChunk, UnitInput,
};
use crate::storage::lines::NO_GEN;
use crate::storage::{Outcome, StorageError, Store, UnitOfWork};

/// Units built in parallel before the writer takes them.
const WINDOW: usize = 16;

/// How to log.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogOptions {
    /// Create a follow-up segment with the same contacts.
    pub follow_up: bool,
    /// Check and plan only; write nothing.
    pub dry_run: bool,
}

/// Wall time of each phase, in milliseconds (shown to the microsecond, without float noise).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    /// Load + plan.
    #[serde(serialize_with = "micros")]
    pub plan_ms: f64,
    /// Build + staged write + fsync of the staged data.
    #[serde(serialize_with = "micros")]
    pub build_write_ms: f64,
    /// Commit transaction + fsync.
    #[serde(serialize_with = "micros")]
    pub commit_ms: f64,
    /// Deleting the logged segment's line blocks.
    #[serde(serialize_with = "micros")]
    pub cleanup_ms: f64,
}

/// Milliseconds rounded to three decimals (`0.542`, not `0.5419860000000001`).
fn micros<S: serde::Serializer>(ms: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((ms * 1000.0).round() / 1000.0)
}

/// What logging did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Serialize)]
pub struct LogOutcome {
    /// The segment.
    pub segment_no: SegmentNo,
    /// True when nothing was written.
    pub dry_run: bool,
    /// The logged segment entry number.
    pub logged_segment_entry_no: LoggedSegmentNo,
    /// Number of interaction log entries.
    pub entries: u64,
    /// First entry number.
    pub first_entry_no: EntryNo,
    /// Last entry number.
    pub last_entry_no: EntryNo,
    /// Campaign entries made (`campaign_entry_nos` in JSON: `campaign_entries` is a count).
    #[serde(rename = "campaign_entry_nos")]
    pub campaign_entries: Vec<CampaignEntryNo>,
    /// Follow-up segment created (`follow_up_segment` in JSON, as everywhere else).
    #[serde(rename = "follow_up_segment")]
    pub follow_up_segment_no: Option<SegmentNo>,
    /// Number series warnings.
    pub warnings: Vec<String>,
    /// Phase timings.
    pub timings: Timings,
}

impl LogOutcome {
    /// The outcome of logging `n` entries from `first_entry` (either backend's plan).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn of_plan<'a>(
        segment_no: &SegmentNo,
        logged: LoggedSegmentNo,
        first_entry: EntryNo,
        n: u64,
        campaign_entries: impl Iterator<Item = &'a CampaignEntry>,
        follow_up: Option<(&SegmentNo, Option<&String>)>,
        timings: Timings,
        dry_run: bool,
    ) -> LogOutcome {
        LogOutcome {
            segment_no: segment_no.clone(),
            dry_run,
            logged_segment_entry_no: logged,
            entries: n,
            first_entry_no: first_entry,
            last_entry_no: EntryNo(first_entry.0 + n - 1),
            campaign_entries: campaign_entries.map(|c| c.entry_no).collect(),
            follow_up_segment_no: follow_up.map(|(no, _)| no.clone()),
            warnings: follow_up
                .and_then(|(_, w)| w.cloned())
                .into_iter()
                .collect(),
            timings,
        }
    }
}

/// Everything the build needs, fixed before any parallel work.
pub struct Plan {
    header: SegmentHeader,
    /// The line block each build unit reads (its key, the block's first line number), in
    /// order; see [`bulk_log::split_units`].
    units: Vec<u64>,
    /// The rows of its block each unit builds.
    unit_rows: Vec<std::ops::Range<u32>>,
    /// Ordinal of each unit's first line (prefix sums of the unit sizes).
    unit_base: Vec<u64>,
    /// Number of entries.
    n: u64,
    /// First entry number.
    first_entry: EntryNo,
    logged: LoggedSegmentNo,
    /// One campaign entry per campaign of the lines (BC: `SegManagement.GetCampaignEntryNo`
    /// keys campaign entries by campaign and segment number).
    campaign_entries: BTreeMap<CampaignNo, CampaignEntry>,
    follow_up: Option<FollowUpPlan>,
    run_id: u64,
    time: chrono::NaiveTime,
    user: String,
}

struct FollowUpPlan {
    header: SegmentHeader,
    shared: LineShared,
    writes: UnitOfWork,
    warning: Option<String>,
}

impl FollowUpPlan {
    /// A follow-up line's salesperson: the follow-up header's, else the logged line's.
    fn salesperson(&self, line: &SalespersonCode) -> Option<SalespersonCode> {
        Some(follow_up_salesperson(&self.header, line))
    }
}

/// What a segment's lines may refer to: the records every line is checked against (shared
/// with the PostgreSQL backend, `pg::log`, so both refuse the same lines with the same words).
pub(crate) struct Refs {
    pub(crate) templates: HashSet<TemplateCode>,
    pub(crate) salespeople: HashSet<SalespersonCode>,
    pub(crate) campaigns: HashSet<CampaignNo>,
    pub(crate) check_contacts: bool,
}

/// A line's salesperson problem, if any.
pub(crate) fn check_salesperson(
    refs: &Refs,
    sp: Option<&SalespersonCode>,
    problem: &mut dyn FnMut(String),
) {
    match sp {
        None => problem("no salesperson — set one on the segment (`segment set-interaction --salesperson`) or the line".into()),
        Some(sp) if !refs.salespeople.contains(sp) => problem(format!("salesperson {sp} does not exist")),
        Some(_) => {}
    }
}

/// The problems of a line's interaction fields (template, group, campaign), if any.
pub(crate) fn check_shared(refs: &Refs, s: &LineShared, problem: &mut dyn FnMut(String)) {
    check_interaction(
        refs,
        s.template_code.as_ref(),
        s.group_code.as_ref(),
        s.campaign_no.as_ref(),
        problem,
    );
}

/// The problems of a line's template, group and campaign, if any (any backend's lines).
pub(crate) fn check_interaction(
    refs: &Refs,
    template: Option<&TemplateCode>,
    group: Option<&GroupCode>,
    campaign: Option<&CampaignNo>,
    problem: &mut dyn FnMut(String),
) {
    match template {
        None => problem(
            "no interaction template — set one with `segment set-interaction SEG --template CODE`"
                .into(),
        ),
        Some(t) if !refs.templates.contains(t) => {
            problem(format!("interaction template {t} does not exist"))
        }
        Some(_) if group.is_none() => {
            problem("no interaction group — re-set the line's template".into())
        }
        Some(_) => {}
    }
    if let Some(c) = campaign {
        if !refs.campaigns.contains(c) {
            problem(format!("campaign {c} does not exist"));
        }
    }
}

fn check_line(
    refs: &Refs,
    store: &Store,
    l: &PlannedLine<'_>,
    out: &mut Vec<LineProblem>,
) -> Result<(), StorageError> {
    let mut problem = |p: String| {
        out.push(LineProblem {
            line_no: l.line_no,
            contact_no: Some(l.contact_no.clone()),
            problem: p,
        })
    };
    if refs.check_contacts && !store.has_contact(l.contact_no)? {
        problem(format!("contact {} does not exist", l.contact_no));
    }
    check_salesperson(refs, l.salesperson, &mut problem);
    check_shared(refs, l.shared, &mut problem);
    Ok(())
}

/// Loads and checks; returns the plan or every problem.
fn plan(store: &Store, ctx: &Ctx, no: &SegmentNo, opts: LogOptions) -> Result<Plan, OpError> {
    let header: SegmentHeader = found(store.segment(no)?, "segment", no)?;
    if let Some(logged) = store.logged_segment_of(no)? {
        return Err(OpError::AlreadyLogged {
            segment: no.clone(),
            logged,
        });
    }
    if header.description.trim().is_empty() {
        return Err(OpError::Missing {
            what: "segment description",
            hint: format!(
                "set one with `interlog segment set-interaction {no} --description TEXT`"
            ),
        });
    }
    let refs = Refs {
        templates: crate::ops::segments::templates(store)?
            .into_keys()
            .collect(),
        salespeople: store
            .all_salespeople()?
            .into_iter()
            .map(|s| s.code)
            .collect(),
        campaigns: store.all_campaigns()?.into_iter().map(|c| c.no).collect(),
        check_contacts: header.contacts_epoch != store.get_counter(Counter::ContactsEpoch)?,
    };
    let units = store.line_chunk_keys(header.lines_gen, header.last_line_no)?;
    // Decode and check every line block in parallel.
    type Checked = (u64, Vec<LineProblem>, Vec<(CampaignNo, NaiveDate)>);
    let checked: Vec<Result<Checked, StorageError>> = units
        .par_iter()
        .map(|&k| {
            // Fast path: a chunk whose lines all share their fields and whose salespeople and
            // shared fields are valid is valid as a whole — no line needs decoding.
            let uniform = |c: &UniformChunk<'_>| {
                let mut p = Vec::new();
                check_shared(&refs, c.shared, &mut |m| p.push(m));
                for sp in c.salespeople {
                    check_salesperson(&refs, sp.as_ref(), &mut |m| p.push(m));
                }
                p.is_empty().then(|| {
                    c.shared
                        .campaign_no
                        .iter()
                        .map(|no| (no.clone(), c.shared.date))
                        .collect::<Vec<_>>()
                })
            };
            let mut problems = Vec::new();
            let mut camp: Vec<(CampaignNo, NaiveDate)> = Vec::new();
            let each = |l: &PlannedLine<'_>| -> Result<(), StorageError> {
                check_line(&refs, store, l, &mut problems)?;
                if let Some(c) = &l.shared.campaign_no {
                    let key = (c.clone(), l.shared.date);
                    if !camp.contains(&key) {
                        camp.push(key);
                    }
                }
                Ok(())
            };
            let (rows, fast) = store
                .check_line_chunk(header.lines_gen, k, refs.check_contacts, uniform, each)?
                .ok_or_else(|| {
                    StorageError::Inconsistent(format!("line block {k} of segment {no} vanished"))
                })?;
            if let Some(camp) = fast {
                return Ok((rows, Vec::new(), camp));
            }
            Ok((rows, problems, camp))
        })
        .collect();
    let mut counts = Vec::with_capacity(units.len());
    let mut problems = Vec::new();
    // Each campaign's earliest line date: BC walks the lines by campaign and date and makes
    // the campaign entry from the first line of each campaign.
    let mut camp_dates: BTreeMap<CampaignNo, NaiveDate> = BTreeMap::new();
    for c in checked {
        let (count, p, camp) = c?;
        counts.push(count);
        problems.extend(p);
        for (campaign, date) in camp {
            let d = camp_dates.entry(campaign).or_insert(date);
            *d = (*d).min(date);
        }
    }
    let (units, unit_rows, unit_base, n) = bulk_log::split_units(&units, &counts);
    if n == 0 {
        return Err(OpError::SegmentEmpty {
            segment: no.clone(),
        });
    }
    if !problems.is_empty() {
        return Err(OpError::LinesInvalid {
            segment: no.clone(),
            problems,
        });
    }
    // Reserve every number before the parallel work.
    let first_entry = store.entry_horizon()?;
    let logged = LoggedSegmentNo(store.get_counter(Counter::NextLogged)?);
    let first_ce = store.get_counter(Counter::NextCampaignEntry)?;
    let campaign_entries = campaign_entries(&header, ctx, first_ce, camp_dates, logged);
    let follow_up = if opts.follow_up {
        let mut writes = UnitOfWork::new();
        let (mut fh, warning) = new_header(store, ctx, &follow_up_input(&header), &mut writes)
            .map_err(follow_up_series_missing)?;
        fh.lines_gen = store.get_counter(Counter::NextGen)?;
        complete_follow_up(&mut fh, n, logged);
        let shared = follow_up_shared(&fh);
        Some(FollowUpPlan {
            header: fh,
            shared,
            writes,
            warning,
        })
    } else {
        None
    };
    Ok(Plan {
        header,
        units,
        unit_rows,
        unit_base,
        n,
        first_entry,
        logged,
        campaign_entries,
        follow_up,
        run_id: store.get_counter(Counter::NextRun)?,
        time: ctx.time,
        user: ctx.user.to_string(),
    })
}

/// The campaign entries of a logged segment: one per campaign of its lines, numbered from
/// `first` in campaign order, dated with the campaign's earliest line date.
pub(crate) fn campaign_entries(
    header: &SegmentHeader,
    ctx: &Ctx,
    first: u64,
    camp_dates: BTreeMap<CampaignNo, NaiveDate>,
    logged: LoggedSegmentNo,
) -> BTreeMap<CampaignNo, CampaignEntry> {
    let mut out = BTreeMap::new();
    for (ce_no, (campaign, date)) in (first..).zip(camp_dates) {
        out.insert(
            campaign.clone(),
            CampaignEntry {
                entry_no: CampaignEntryNo(ce_no),
                campaign_no: campaign,
                description: header.description.clone(),
                date,
                user_id: ctx.user.to_string(),
                segment_no: Some(header.no.clone()),
                salesperson_code: header.salesperson_code.clone(),
                logged_segment_entry_no: Some(logged),
                canceled: false,
            },
        );
    }
    out
}

/// What the follow-up segment of `header` is created from (number drawn from the series).
pub(crate) fn follow_up_input(header: &SegmentHeader) -> SegmentInput {
    SegmentInput {
        no: None,
        description: follow_up_description(&header.no),
        salesperson: header.salesperson_code.clone(),
        campaign: header.campaign_no.clone(),
    }
}

/// A missing number for the follow-up segment, said as what to set up.
pub(crate) fn follow_up_series_missing(e: OpError) -> OpError {
    match e {
        OpError::Missing { .. } => OpError::Missing {
            what: "segment number series for the follow-up segment",
            hint: "set one with `interlog setup set --segment-nos CODE` (a series that gives numbers automatically)".into(),
        },
        other => other,
    }
}

/// Completes a new follow-up header for `n` lines reused from logged segment `logged` (line
/// count, last line, its one criteria action).
pub(crate) fn complete_follow_up(fh: &mut SegmentHeader, n: u64, logged: LoggedSegmentNo) {
    fh.line_count = n;
    fh.last_line_no = n * LINE_NO_STEP;
    fh.criteria.push(CriteriaAction {
        no: 1,
        kind: CriteriaKind::ReuseLogged,
        filters: Vec::new(),
        options: CriteriaOptions::default(),
        logged_segment: Some(logged),
        inserted: Some((LINE_NO_STEP, n * LINE_NO_STEP)),
        inserted_count: n,
        deleted_gen: None,
        deleted_count: 0,
    });
}

/// The fields every follow-up line shares: the follow-up header's description, date and
/// campaign; no interaction yet.
fn follow_up_shared(fh: &SegmentHeader) -> LineShared {
    LineShared {
        template_code: None,
        group_code: None,
        description: fh.description.clone(),
        subject: String::new(),
        cost: Money::ZERO,
        duration_min: 0,
        date: fh.date,
        time: None,
        language_code: None,
        campaign_no: fh.campaign_no.clone(),
        information_flow: InformationFlow::Blank,
        initiated_by: InitiatedBy::Blank,
    }
}

/// A follow-up line's salesperson: the follow-up header's, else the logged line's.
pub(crate) fn follow_up_salesperson(fh: &SegmentHeader, line: &SalespersonCode) -> SalespersonCode {
    fh.salesperson_code.clone().unwrap_or_else(|| line.clone())
}

/// A follow-up line's correspondence type for a contact (the follow-up header's rule).
pub(crate) fn follow_up_correspondence(
    fh: &SegmentHeader,
    profile: ContactProfile,
) -> CorrespondenceType {
    resolve_correspondence(
        Some(fh.interaction.header_correspondence()),
        CorrespondenceType::Blank,
        false,
        profile,
    )
}

impl Plan {
    /// Number of build units (line blocks, or parts of them: see `bulk_log::split_units`).
    pub fn units(&self) -> usize {
        self.units.len()
    }

    /// Number of entries the plan will write.
    pub fn entries(&self) -> u64 {
        self.n
    }

    fn entry_shared(&self, s: &LineShared) -> Result<EntryShared, StorageError> {
        // Checked in the plan: every line has a template and a group.
        let (Some(group_code), Some(template_code)) = (&s.group_code, &s.template_code) else {
            return Err(StorageError::Inconsistent(
                "a segment line without an interaction template or group reached the build; the \
                 plan refuses those"
                    .into(),
            ));
        };
        let campaign_entry_no = s
            .campaign_no
            .as_ref()
            .and_then(|c| self.campaign_entries.get(c))
            .map(|ce| ce.entry_no);
        Ok(EntryShared {
            date: s.date,
            time: s.time.unwrap_or(self.time),
            description: s.description.clone(),
            subject: s.subject.clone(),
            information_flow: s.information_flow,
            initiated_by: s.initiated_by,
            cost: s.cost,
            duration_min: s.duration_min,
            user_id: self.user.clone(),
            group_code: group_code.clone(),
            template_code: template_code.clone(),
            campaign_no: s.campaign_no.clone(),
            campaign_entry_no,
            segment_no: Some(self.header.no.clone()),
            logged_segment_entry_no: Some(self.logged),
            language_code: s.language_code.clone(),
        })
    }

    /// What the backend writes for this plan.
    fn target(&self) -> LogTarget {
        LogTarget {
            lines_gen: self.header.lines_gen,
            units: self.units.clone(),
            unit_rows: self.unit_rows.clone(),
            unit_base: self.unit_base.clone(),
            first_entry: self.first_entry,
            entries: self.n,
            logged: self.logged,
            follow_up_gen: self.follow_up.as_ref().map(|f| f.header.lines_gen),
            run_id: self.run_id,
        }
    }

    /// Builds units from their inputs, in parallel or one after the other.
    fn build(
        &self,
        target: &LogTarget,
        start: usize,
        inputs: &[UnitInput],
        parallel: bool,
    ) -> Result<Vec<Built>, OpError> {
        let one = |(j, input): (usize, &UnitInput)| {
            target
                .build_unit(self, start + j, input)
                .map_err(OpError::from)
        };
        if parallel {
            inputs.par_iter().enumerate().map(one).collect()
        } else {
            inputs.iter().enumerate().map(one).collect()
        }
    }

    fn build_all(&self, store: &Store, parallel: bool) -> Result<Vec<Built>, OpError> {
        let sink = store.log_sink(self.target());
        let inputs = sink.read_window(0..self.units.len())?;
        self.build(sink.target(), 0, &inputs, parallel)
    }

    /// Builds every unit one after the other (reference for the parallel build).
    pub fn build_sequential(&self, store: &Store) -> Result<Vec<Built>, OpError> {
        self.build_all(store, false)
    }

    /// Builds every unit in parallel, keeping unit order.
    pub fn build_parallel(&self, store: &Store) -> Result<Vec<Built>, OpError> {
        self.build_all(store, true)
    }
}

impl LogRules for Plan {
    fn entry_shared(&self, s: &LineShared) -> Result<EntryShared, StorageError> {
        Plan::entry_shared(self, s)
    }

    fn follow_up_shared(&self) -> Option<&LineShared> {
        self.follow_up.as_ref().map(|f| &f.shared)
    }

    fn follow_up_salesperson(&self, line: &SalespersonCode) -> Option<SalespersonCode> {
        self.follow_up.as_ref().and_then(|f| f.salesperson(line))
    }

    fn follow_up_correspondence(&self, profile: ContactProfile) -> CorrespondenceType {
        match &self.follow_up {
            Some(f) => follow_up_correspondence(&f.header, profile),
            None => resolve_correspondence(None, CorrespondenceType::Blank, false, profile),
        }
    }
}

/// Plans without writing (for tests and benches of the build phase).
pub fn plan_only(
    store: &Store,
    ctx: &Ctx,
    no: &SegmentNo,
    opts: LogOptions,
) -> Result<Plan, OpError> {
    let _w = store.writer();
    plan(store, ctx, no, opts)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Logs a segment (see the module docs). With `dry_run`, stops after the plan.
pub fn log_segment(
    store: &Store,
    ctx: &Ctx,
    no: &SegmentNo,
    opts: LogOptions,
    progress: &dyn Progress,
) -> Result<LogOutcome, OpError> {
    let w = store.writer();
    let t0 = Instant::now();
    let plan = plan(store, ctx, no, opts)?;
    let mut timings = Timings {
        plan_ms: ms(t0),
        ..Timings::default()
    };
    let outcome = |plan: &Plan, timings: Timings, dry_run: bool| {
        LogOutcome::of_plan(
            &plan.header.no,
            plan.logged,
            plan.first_entry,
            plan.n,
            plan.campaign_entries.values(),
            plan.follow_up
                .as_ref()
                .map(|f| (&f.header.no, f.warning.as_ref())),
            timings,
            dry_run,
        )
    };
    if opts.dry_run {
        return Ok(outcome(&plan, timings, true));
    }
    let t1 = Instant::now();
    let staged = write_staged(store, &plan, progress);
    let run = match staged {
        Ok(run) => run,
        Err(e) => {
            store.recover(&w)?;
            return Err(e);
        }
    };
    timings.build_write_ms = ms(t1);
    let t2 = Instant::now();
    if let Err(e) = commit(store, ctx, &plan, run) {
        // Staged data is rolled back only when the commit surely did not happen: a commit
        // that failed after its commit point is completed at the next open, with this data.
        if e.outcome() == Outcome::NotCommitted {
            store.recover(&w)?;
        }
        return Err(e);
    }
    timings.commit_ms = ms(t2);
    let t3 = Instant::now();
    store.collect_garbage_after_commit(&w)?;
    timings.cleanup_ms = ms(t3);
    Ok(outcome(&plan, timings, false))
}

/// Builds in windows while a writer thread stores the previous window; returns the index run.
fn write_staged(store: &Store, plan: &Plan, progress: &dyn Progress) -> Result<StagedRun, OpError> {
    progress.start("logging", plan.n);
    let sink: LogSink<'_> = store.log_sink(plan.target());
    let result: Result<(), OpError> = std::thread::scope(|scope| {
        let sink = &sink;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Built>>(1);
        let writer = scope.spawn(move || -> Result<(), StorageError> {
            for window in rx {
                sink.write_window(window)?;
            }
            Ok(())
        });
        let mut send_err = None;
        for start in (0..plan.units.len()).step_by(WINDOW) {
            let end = (start + WINDOW).min(plan.units.len());
            let built = sink
                .read_window(start..end)
                .map_err(OpError::from)
                .and_then(|inputs| plan.build(sink.target(), start, &inputs, true));
            let built = match built {
                Ok(b) => b,
                Err(e) => {
                    send_err = Some(e);
                    break;
                }
            };
            for b in &built {
                progress.advance(b.rows);
            }
            if tx.send(built).is_err() {
                break; // the writer failed; its error is reported below
            }
        }
        drop(tx);
        let written = writer.join().unwrap_or_else(|_| {
            Err(StorageError::Inconsistent(
                "the writer thread panicked".into(),
            ))
        });
        if let Some(e) = send_err {
            return Err(e);
        }
        written.map_err(OpError::from)
    });
    progress.finish();
    result?;
    Ok(sink.finish()?)
}

/// The logged segment a log records (either backend's plan); `index_run` is the embedded
/// store's contact index run, `None` on a backend without runs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn logged_segment_of<'a>(
    header: &SegmentHeader,
    logged: LoggedSegmentNo,
    ctx: &Ctx,
    first_entry: EntryNo,
    n: u64,
    campaign_entries: impl Iterator<Item = &'a CampaignEntry>,
    follow_up: Option<&SegmentNo>,
    index_run: Option<u64>,
) -> LoggedSegment {
    LoggedSegment {
        entry_no: logged,
        segment_no: header.no.clone(),
        description: header.description.clone(),
        creation_date: ctx.today,
        user_id: ctx.user.to_string(),
        canceled: false,
        first_entry_no: first_entry,
        entries_written: n,
        entries: n,
        canceled_entries: 0,
        campaign_entries: campaign_entries.map(|c| c.entry_no).collect(),
        index_run,
        follow_up_segment: follow_up.cloned(),
    }
}

fn commit(store: &Store, ctx: &Ctx, plan: &Plan, run: StagedRun) -> Result<(), OpError> {
    let mut ws = UnitOfWork::new();
    let h = &plan.header;
    let logged = logged_segment_of(
        h,
        plan.logged,
        ctx,
        plan.first_entry,
        plan.n,
        plan.campaign_entries.values(),
        plan.follow_up.as_ref().map(|f| &f.header.no),
        Some(plan.run_id),
    );
    ws.change(Change::PutLoggedSegment(logged.clone()));
    ws.change(Change::LinkLoggedSegment(h.no.clone(), plan.logged));
    for ce in plan.campaign_entries.values() {
        ws.change(Change::PutCampaignEntry(ce.clone()));
    }
    ws.change(run.change());
    ws.change(Change::SetCounter(
        Counter::NextEntry,
        plan.first_entry.0 + plan.n,
    ));
    ws.change(Change::SetCounter(Counter::NextLogged, plan.logged.0 + 1));
    ws.change(Change::SetCounter(
        Counter::NextCampaignEntry,
        store.get_counter(Counter::NextCampaignEntry)? + plan.campaign_entries.len() as u64,
    ));
    ws.change(Change::SetCounter(Counter::NextRun, plan.run_id + 1));
    remove_header_writes(h, &mut ws);
    if let Some(fu) = &plan.follow_up {
        ws.change(Change::PutSegment(fu.header.clone()));
        ws.change(Change::SetCounter(
            Counter::NextGen,
            fu.header.lines_gen + 1,
        ));
        ws.append(fu.writes.clone());
    }
    debug_assert!(h.lines_gen != NO_GEN);
    store.apply(ws)?;
    Ok(())
}
