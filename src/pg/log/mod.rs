//! Logging a segment on a PostgreSQL shard (SPEC §2.7): the rules, refusals and outcome of the
//! embedded store's [`crate::batch::log_segment()`], as one transaction of the company's shard.
//!
//! 1. **Lock**: `SELECT … FROM company … FOR UPDATE` — the company's row lock serialises its
//!    writers (two workers logging the same segment: the second waits, then finds the segment
//!    gone and is refused as the embedded store refuses a segment logged before it).
//! 2. **Load + check** (the plan): the header, the codes lines may refer to, and one grouped
//!    pass over the lines (template, group, campaign, salesperson, missing contacts). Only
//!    when a group fails are the lines read one by one, to list every failing line together
//!    in line order, worded by the embedded store's own checks (`batch::log_segment`'s
//!    `check_salesperson` / `check_shared`). Numbers are reserved from the company row's
//!    counters; the follow-up number is drawn from marketing setup's segment series with the
//!    domain's number-series rules.
//! 3. **Build + stream**: the lines are read through a portal in windows of [`WINDOW`] lines;
//!    rayon turns each window into entry rows (and follow-up lines) in
//!    [`CopyRows`] buffers while the previous window is streamed with `COPY … (FORMAT binary)`.
//! 4. **Finish**: the logged segment, its campaign entries, the series line and the counters
//!    are written, the segment is deleted (its lines and criteria cascade), then `COMMIT`.
//!
//! Anything failing before `COMMIT` — a refusal, a server error, the process killed, the
//! server stopped — leaves the shard as it was: PostgreSQL rolls the transaction back, no
//! recovery code of ours is involved.

pub mod generate;
mod records;

pub(crate) use records::col;
pub use records::{campaign_entries_of, logged_segment, segment_header};

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{NaiveDate, NaiveTime};
use postgres::{Client, Row, Transaction};
use rayon::prelude::*;

use super::copy::{copy_in, line_from_row, CopyRows, ENTRY_COLUMNS, LINE_COLUMNS};
use super::PgError;
use crate::batch::log_segment::{
    campaign_entries, check_interaction, check_salesperson, complete_follow_up,
    follow_up_correspondence, follow_up_input, follow_up_salesperson, follow_up_series_missing,
    LogOptions, LogOutcome, Refs, Timings,
};
use crate::domain::*;
use crate::ops::{Ctx, LineProblem, OpError};
use crate::progress::Progress;

/// Lines fetched from the portal and built per window.
pub const WINDOW: usize = 65_536;
/// Lines per rayon task inside a window.
const CHUNK: usize = 4_096;

/// Why logging a segment on a shard did not happen. Either way nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum PgLogError {
    /// A business rule refused it — the same refusals as the embedded store
    /// (`OpError::AlreadyLogged`, `SegmentEmpty`, `LinesInvalid`, `Missing`, `NotFound` …).
    #[error(transparent)]
    Refused(#[from] OpError),
    /// The server failed or refused a statement.
    #[error(transparent)]
    Pg(#[from] PgError),
    /// The lines changed between the check and the build (a writer that did not take the
    /// company lock), or a build worker failed.
    #[error("segment {segment} was not logged: {problem} — nothing was written; log it again")]
    Inconsistent {
        /// The segment.
        segment: SegmentNo,
        /// What did not match.
        problem: String,
    },
}

/// The follow-up segment of a plan.
struct FollowUp {
    header: SegmentHeader,
    series: (NoSeries, Vec<i32>),
    warning: Option<String>,
}

/// Everything the build needs, fixed before any line is written.
struct Plan {
    header: SegmentHeader,
    n: u64,
    first_entry: EntryNo,
    logged: LoggedSegmentNo,
    first_campaign_entry: u64,
    campaign_entries: BTreeMap<CampaignNo, CampaignEntry>,
    follow_up: Option<FollowUp>,
    time: NaiveTime,
    user: String,
}

/// The company row's counters.
struct Counters {
    next_entry: u64,
    next_logged: u64,
    next_campaign_entry: u64,
}

fn inconsistent(segment: &SegmentNo, problem: impl Into<String>) -> PgLogError {
    PgLogError::Inconsistent {
        segment: segment.clone(),
        problem: problem.into(),
    }
}

fn to_u64(v: i64, column: &'static str) -> Result<u64, PgError> {
    u64::try_from(v).map_err(|e| PgError::BadValue {
        table: "company",
        column,
        value: v.to_string(),
        reason: e.to_string(),
    })
}

/// Locks the company row and reads its counters.
fn lock_company(tx: &mut Transaction<'_>, company_id: i32) -> Result<Counters, PgLogError> {
    let row = tx
        .query_opt(
            "SELECT next_entry_no, next_logged_no, next_campaign_entry FROM company \
             WHERE company_id = $1 FOR UPDATE",
            &[&company_id],
        )
        .map_err(PgError::sql("locking the company"))?
        .ok_or_else(|| OpError::NotFound {
            what: "company",
            key: company_id.to_string(),
        })?;
    Ok(Counters {
        next_entry: to_u64(col(&row, 0, "company", "next_entry_no")?, "next_entry_no")?,
        next_logged: to_u64(col(&row, 1, "company", "next_logged_no")?, "next_logged_no")?,
        next_campaign_entry: to_u64(
            col(&row, 2, "company", "next_campaign_entry")?,
            "next_campaign_entry",
        )?,
    })
}

/// Parses a nullable code column of a grouped or listed line.
fn opt_code<T: std::str::FromStr>(
    row: &Row,
    i: usize,
    column: &'static str,
) -> Result<Option<T>, PgError>
where
    T::Err: std::fmt::Display,
{
    let s: Option<String> = col(row, i, "segment_line", column)?;
    s.map(|s| {
        s.parse().map_err(|e: T::Err| PgError::BadValue {
            table: "segment_line",
            column,
            value: s.clone(),
            reason: e.to_string(),
        })
    })
    .transpose()
}

/// What the checks look at of a line (or of a group of lines sharing it).
struct Checked {
    template: Option<TemplateCode>,
    group: Option<GroupCode>,
    campaign: Option<CampaignNo>,
    salesperson: Option<SalespersonCode>,
}

impl Checked {
    /// Columns `at`, `at + 1`, `at + 2`, `at + 3`: template, group, campaign, salesperson.
    fn read(row: &Row, at: usize) -> Result<Checked, PgError> {
        Ok(Checked {
            template: opt_code(row, at, "template_code")?,
            group: opt_code(row, at + 1, "group_code")?,
            campaign: opt_code(row, at + 2, "campaign_no")?,
            salesperson: opt_code(row, at + 3, "salesperson_code")?,
        })
    }

    /// The embedded store's checks, in its order: salesperson, then template, group, campaign.
    fn check(&self, refs: &Refs, problem: &mut dyn FnMut(String)) {
        check_salesperson(refs, self.salesperson.as_ref(), problem);
        check_interaction(
            refs,
            self.template.as_ref(),
            self.group.as_ref(),
            self.campaign.as_ref(),
            problem,
        );
    }
}

const LINES_OF_SEGMENT: &str =
    "l.company_id = $1 AND l.segment_no = $2 AND l.removed_by_action IS NULL";
const CONTACT_MISSING: &str = "NOT EXISTS (SELECT 1 FROM contact c \
     WHERE c.company_id = l.company_id AND c.no = l.contact_no)";

/// Every problem of every line, in line order (read line by line: only on a refusal).
fn line_problems(
    tx: &mut Transaction<'_>,
    company_id: i32,
    no: &SegmentNo,
    refs: &Refs,
) -> Result<Vec<LineProblem>, PgLogError> {
    let sql = format!(
        "SELECT l.line_no, l.contact_no, l.template_code, l.group_code, l.campaign_no, \
             l.salesperson_code, {CONTACT_MISSING} \
         FROM segment_line l WHERE {LINES_OF_SEGMENT} ORDER BY l.line_no"
    );
    let rows = tx
        .query(sql.as_str(), &[&company_id, &no.as_str()])
        .map_err(PgError::sql(format!("checking the lines of segment {no}")))?;
    let mut out = Vec::new();
    for r in &rows {
        let line_no: i64 = col(r, 0, "segment_line", "line_no")?;
        let contact: Option<ContactNo> = opt_code(r, 1, "contact_no")?;
        let checked = Checked::read(r, 2)?;
        let missing: bool = col(r, 6, "segment_line", "contact")?;
        let mut problem = |p: String| {
            out.push(LineProblem {
                line_no: line_no as u64,
                contact_no: contact.clone(),
                problem: p,
            })
        };
        if missing {
            if let Some(c) = &contact {
                problem(format!("contact {c} does not exist"));
            }
        }
        checked.check(refs, &mut problem);
    }
    Ok(out)
}

/// Loads and checks; returns the plan or the embedded store's refusal.
fn plan(
    tx: &mut Transaction<'_>,
    company_id: i32,
    ctx: &Ctx,
    no: &SegmentNo,
    opts: LogOptions,
    counters: &Counters,
) -> Result<Plan, PgLogError> {
    let header = records::header_only(tx, company_id, no)?.ok_or_else(|| OpError::NotFound {
        what: "segment",
        key: no.to_string(),
    })?;
    if let Some(r) = tx
        .query_opt(
            "SELECT entry_no FROM logged_segment WHERE company_id = $1 AND segment_no = $2",
            &[&company_id, &no.as_str()],
        )
        .map_err(PgError::sql("looking for a logged segment"))?
    {
        let logged: i64 = col(&r, 0, "logged_segment", "entry_no")?;
        return Err(OpError::AlreadyLogged {
            segment: no.clone(),
            logged: LoggedSegmentNo(to_u64(logged, "entry_no")?),
        }
        .into());
    }
    if header.description.trim().is_empty() {
        return Err(OpError::Missing {
            what: "segment description",
            hint: format!(
                "set one with `interlog segment set-interaction {no} --description TEXT`"
            ),
        }
        .into());
    }
    let refs = Refs {
        templates: records::codes(
            tx,
            company_id,
            "SELECT code FROM interaction_template WHERE company_id = $1",
            "interaction_template",
        )?,
        salespeople: records::codes(
            tx,
            company_id,
            "SELECT code FROM salesperson WHERE company_id = $1",
            "salesperson",
        )?,
        campaigns: records::codes(
            tx,
            company_id,
            "SELECT no FROM campaign WHERE company_id = $1",
            "campaign",
        )?,
        // A shard keeps no contacts epoch: every line's contact is checked (in the grouped
        // pass, so it costs one anti-join).
        check_contacts: true,
    };
    // One pass over the lines, grouped by what the checks look at.
    let sql = format!(
        "SELECT l.template_code, l.group_code, l.campaign_no, l.salesperson_code, \
             min(l.date), count(*), count(*) FILTER (WHERE {CONTACT_MISSING}) \
         FROM segment_line l WHERE {LINES_OF_SEGMENT} GROUP BY 1, 2, 3, 4"
    );
    let groups = tx
        .query(sql.as_str(), &[&company_id, &no.as_str()])
        .map_err(PgError::sql(format!("checking the lines of segment {no}")))?;
    let mut n = 0u64;
    let mut bad = false;
    let mut camp_dates: BTreeMap<CampaignNo, NaiveDate> = BTreeMap::new();
    for g in &groups {
        let checked = Checked::read(g, 0)?;
        let date: NaiveDate = col(g, 4, "segment_line", "date")?;
        let count: i64 = col(g, 5, "segment_line", "count")?;
        let missing: i64 = col(g, 6, "segment_line", "contact")?;
        n += to_u64(count, "count")?;
        let mut problems = missing > 0;
        checked.check(&refs, &mut |_| problems = true);
        bad |= problems;
        if let Some(c) = checked.campaign {
            let d = camp_dates.entry(c).or_insert(date);
            *d = (*d).min(date);
        }
    }
    if n == 0 {
        return Err(OpError::SegmentEmpty {
            segment: no.clone(),
        }
        .into());
    }
    if bad {
        return Err(OpError::LinesInvalid {
            segment: no.clone(),
            problems: line_problems(tx, company_id, no, &refs)?,
        }
        .into());
    }
    let first_entry = EntryNo(counters.next_entry);
    let logged = LoggedSegmentNo(counters.next_logged);
    let campaign_entries = campaign_entries(
        &header,
        ctx,
        counters.next_campaign_entry,
        camp_dates,
        logged,
    );
    let follow_up = if opts.follow_up {
        Some(follow_up(tx, company_id, ctx, &header, n, logged)?)
    } else {
        None
    };
    Ok(Plan {
        header,
        n,
        first_entry,
        logged,
        first_campaign_entry: counters.next_campaign_entry,
        campaign_entries,
        follow_up,
        time: ctx.time,
        user: ctx.user.to_string(),
    })
}

/// The follow-up segment: what `ops::segments::new_header` makes on the embedded store (number
/// drawn from marketing setup's segment series on the work date, salesperson the logged
/// segment's else the user's, the logged segment's campaign), completed for `n` lines.
fn follow_up(
    tx: &mut Transaction<'_>,
    company_id: i32,
    ctx: &Ctx,
    header: &SegmentHeader,
    n: u64,
    logged: LoggedSegmentNo,
) -> Result<FollowUp, PgLogError> {
    let input = follow_up_input(header);
    let Some(code) = records::segment_series(tx, company_id)? else {
        return Err(follow_up_series_missing(OpError::Missing {
            what: "number",
            hint: String::new(),
        })
        .into());
    };
    let (mut series, line_nos) =
        records::series(tx, company_id, &code)?.ok_or_else(|| OpError::NotFound {
            what: "number series",
            key: code.to_string(),
        })?;
    let draw = series.draw(ctx.work_date).map_err(OpError::from)?;
    let no = SegmentNo::new(&draw.no).map_err(OpError::from)?;
    if records::exists(
        tx,
        company_id,
        "SELECT 1 FROM segment_header WHERE company_id = $1 AND no = $2",
        no.as_str(),
    )? {
        return Err(OpError::AlreadyExists {
            what: "segment",
            key: no.to_string(),
        }
        .into());
    }
    let salesperson = match &input.salesperson {
        Some(sp) => Some(sp.clone()),
        None => records::user_salesperson(tx, company_id, &ctx.user)?,
    };
    if let Some(sp) = &salesperson {
        if !records::exists(
            tx,
            company_id,
            "SELECT 1 FROM salesperson WHERE company_id = $1 AND code = $2",
            sp.as_str(),
        )? {
            return Err(OpError::NotFound {
                what: "salesperson",
                key: sp.to_string(),
            }
            .into());
        }
    }
    if let Some(c) = &input.campaign {
        if !records::exists(
            tx,
            company_id,
            "SELECT 1 FROM campaign WHERE company_id = $1 AND no = $2",
            c.as_str(),
        )? {
            return Err(OpError::NotFound {
                what: "campaign",
                key: c.to_string(),
            }
            .into());
        }
    }
    let mut fh = SegmentHeader {
        no,
        description: check_text("description", &input.description, DESCRIPTION_LEN)
            .map_err(OpError::from)?,
        date: ctx.work_date,
        salesperson_code: salesperson,
        campaign_no: input.campaign.clone(),
        interaction: SegmentInteraction::default(),
        lines_gen: 0,
        line_count: 0,
        last_line_no: 0,
        contacts_epoch: 0,
        criteria: Vec::new(),
    };
    complete_follow_up(&mut fh, n, logged);
    Ok(FollowUp {
        header: fh,
        series: (series, line_nos),
        warning: draw.warning,
    })
}

impl Plan {
    /// The entry line number `ordinal` (0-based, in line order) becomes.
    fn entry(&self, ordinal: u64, l: &SegmentLine) -> Result<LogEntry, PgLogError> {
        let (Some(group_code), Some(template_code), Some(salesperson_code)) =
            (&l.group_code, &l.template_code, &l.salesperson_code)
        else {
            return Err(inconsistent(
                &self.header.no,
                format!(
                    "line {} has no template, group or salesperson although the check passed",
                    l.line_no
                ),
            ));
        };
        Ok(LogEntry {
            entry_no: EntryNo(self.first_entry.0 + ordinal),
            contact_no: l.contact_no.clone(),
            contact_company_no: l.contact_company_no.clone(),
            date: l.date,
            time_of_interaction: l.time.unwrap_or(self.time),
            description: l.description.clone(),
            subject: l.subject.clone(),
            information_flow: l.information_flow,
            initiated_by: l.initiated_by,
            cost: l.cost,
            duration_min: l.duration_min,
            user_id: self.user.clone(),
            group_code: group_code.clone(),
            template_code: template_code.clone(),
            campaign_no: l.campaign_no.clone(),
            campaign_entry_no: l
                .campaign_no
                .as_ref()
                .and_then(|c| self.campaign_entries.get(c))
                .map(|ce| ce.entry_no),
            segment_no: Some(self.header.no.clone()),
            logged_segment_entry_no: Some(self.logged),
            salesperson_code: salesperson_code.clone(),
            correspondence_type: l.correspondence_type,
            language_code: l.language_code.clone(),
            evaluation: l.evaluation,
            attempt_failed: l.attempt_failed,
            postponed: false,
            canceled: false,
            comments: Vec::new(),
        })
    }

    /// The follow-up line logged line `l` (at `ordinal`) becomes: the follow-up header's
    /// description, date and campaign, no interaction yet, the contact's profile and company,
    /// salesperson and correspondence type by the follow-up rules.
    fn follow_up_line(f: &FollowUp, ordinal: u64, l: SegmentLine) -> SegmentLine {
        let h = &f.header;
        SegmentLine {
            line_no: (ordinal + 1) * LINE_NO_STEP,
            salesperson_code: l
                .salesperson_code
                .as_ref()
                .map(|sp| follow_up_salesperson(h, sp)),
            correspondence_type: follow_up_correspondence(h, l.contact_profile),
            contact_no: l.contact_no,
            contact_company_no: l.contact_company_no,
            contact_profile: l.contact_profile,
            template_code: None,
            group_code: None,
            description: h.description.clone(),
            description_typed: false,
            subject: String::new(),
            cost: Money::ZERO,
            duration_min: 0,
            date: h.date,
            time: None,
            language_code: None,
            campaign_no: h.campaign_no.clone(),
            evaluation: Evaluation::Blank,
            information_flow: InformationFlow::Blank,
            initiated_by: InitiatedBy::Blank,
            attempt_failed: false,
        }
    }

    /// Builds the entry rows and follow-up line rows of one window, in parallel chunks kept
    /// in line order. `base` is the ordinal of the window's first line.
    fn build_window(
        &self,
        company_id: i32,
        base: u64,
        rows: &[Row],
    ) -> Result<Vec<(CopyRows, CopyRows)>, PgLogError> {
        rows.par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut entries = CopyRows::with_capacity(chunk.len() * 224);
                let mut lines = CopyRows::with_capacity(match self.follow_up {
                    Some(_) => chunk.len() * 192,
                    None => 0,
                });
                for (j, row) in chunk.iter().enumerate() {
                    let ordinal = base + (c * CHUNK + j) as u64;
                    let (line, _) = line_from_row(row)?;
                    entries.entry(company_id, &self.entry(ordinal, &line)?);
                    if let Some(f) = &self.follow_up {
                        let fl = Plan::follow_up_line(f, ordinal, line);
                        lines.line(company_id, &f.header.no, &fl, None);
                    }
                }
                Ok((entries, lines))
            })
            .collect()
    }
}

/// Streams one built window: its entries, then its follow-up lines.
fn write_window(
    tx: &mut Transaction<'_>,
    follow_up: bool,
    built: Vec<(CopyRows, CopyRows)>,
) -> Result<(), PgError> {
    let (entries, lines): (Vec<_>, Vec<_>) = built.into_iter().unzip();
    let mut it = entries.into_iter();
    copy_in(tx, "interaction_log_entry", ENTRY_COLUMNS, || Ok(it.next()))?;
    if follow_up {
        let mut it = lines.into_iter();
        copy_in(tx, "segment_line", LINE_COLUMNS, || Ok(it.next()))?;
    }
    Ok(())
}

/// Reads the lines in windows and streams each built window while the next one is built.
fn stream(
    tx: &mut Transaction<'_>,
    company_id: i32,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<(), PgLogError> {
    let no = &plan.header.no;
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM segment_line \
         WHERE company_id = $1 AND segment_no = $2 AND removed_by_action IS NULL \
         ORDER BY line_no"
    );
    let portal = tx
        .bind(sql.as_str(), &[&company_id, &no.as_str()])
        .map_err(PgError::sql(format!("reading the lines of segment {no}")))?;
    let follow_up = plan.follow_up.is_some();
    let mut pending: Option<(Vec<(CopyRows, CopyRows)>, u64)> = None;
    let mut more = true;
    let mut read = 0u64;
    while more || pending.is_some() {
        let rows = if more {
            tx.query_portal(&portal, WINDOW as i32)
                .map_err(PgError::sql(format!("reading the lines of segment {no}")))?
        } else {
            Vec::new()
        };
        more = rows.len() == WINDOW;
        let base = read;
        read += rows.len() as u64;
        if read > plan.n {
            return Err(inconsistent(no, "more lines than the check counted"));
        }
        let (built, written) = std::thread::scope(|s| {
            let builder = s.spawn(|| plan.build_window(company_id, base, &rows));
            let written = match pending.take() {
                Some((window, lines)) => write_window(tx, follow_up, window).map(|()| lines),
                None => Ok(0),
            };
            let built = builder
                .join()
                .unwrap_or_else(|_| Err(inconsistent(no, "a build worker panicked")));
            (built, written)
        });
        progress.advance(written?);
        let built = built?;
        pending = (!rows.is_empty()).then_some((built, rows.len() as u64));
    }
    if read != plan.n {
        return Err(inconsistent(
            no,
            format!("{read} lines read, {} counted by the check", plan.n),
        ));
    }
    Ok(())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Logs segment `no` of company `company_id` on `shard` (SPEC §2.7), with the same rules,
/// refusals (`OpError::AlreadyLogged`, `SegmentEmpty`, `LinesInvalid`, `Missing`, `NotFound`
/// …) and [`LogOutcome`] as [`crate::batch::log_segment()`], in one transaction (see the
/// module docs). A segment logged before is gone, so logging it again is refused as
/// `NotFound` — as on the embedded store. With `dry_run`, checks and plans, then rolls back.
///
/// Timings: `plan_ms` includes waiting for the company lock; `cleanup_ms` is the segment's
/// deletion, inside the transaction; `commit_ms` the rest of the finish and `COMMIT`.
pub fn log_segment(
    shard: &mut Client,
    company_id: i32,
    ctx: &Ctx,
    no: &SegmentNo,
    opts: LogOptions,
    progress: &dyn Progress,
) -> Result<LogOutcome, PgLogError> {
    let t0 = Instant::now();
    let mut tx = shard
        .transaction()
        .map_err(PgError::sql("starting the log's transaction"))?;
    let counters = lock_company(&mut tx, company_id)?;
    let plan = plan(&mut tx, company_id, ctx, no, opts, &counters)?;
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
        tx.rollback()
            .map_err(PgError::sql("ending the dry run's transaction"))?;
        return Ok(outcome(&plan, timings, true));
    }
    let t1 = Instant::now();
    if let Some(f) = &plan.follow_up {
        // Before its lines: they reference it.
        crate::pg::rows::put_segment(&mut tx, company_id, &f.header)?;
    }
    progress.start("logging", plan.n);
    let streamed = stream(&mut tx, company_id, &plan, progress);
    progress.finish();
    streamed?;
    timings.build_write_ms = ms(t1);
    let t2 = Instant::now();
    finish(&mut tx, company_id, ctx, &plan)?;
    let t3 = Instant::now();
    tx.execute(
        "DELETE FROM segment_header WHERE company_id = $1 AND no = $2",
        &[&company_id, &no.as_str()],
    )
    .map_err(PgError::sql(format!("deleting segment {no}")))?;
    timings.cleanup_ms = ms(t3);
    tx.commit()
        .map_err(PgError::sql(format!("committing the log of segment {no}")))?;
    timings.commit_ms = ms(t2) - timings.cleanup_ms;
    Ok(outcome(&plan, timings, false))
}

/// The logged segment, its campaign entries, the series and the counters.
fn finish(
    tx: &mut Transaction<'_>,
    company_id: i32,
    ctx: &Ctx,
    plan: &Plan,
) -> Result<(), PgLogError> {
    let h = &plan.header;
    let logged = crate::batch::log_segment::logged_segment_of(
        h,
        plan.logged,
        ctx,
        plan.first_entry,
        plan.n,
        plan.campaign_entries.values(),
        plan.follow_up.as_ref().map(|f| &f.header.no),
        None,
    );
    crate::pg::rows::put_logged_segment(tx, company_id, &logged)?;
    for ce in plan.campaign_entries.values() {
        crate::pg::rows::put_campaign_entry(tx, company_id, ce)?;
    }
    if let Some(f) = &plan.follow_up {
        records::save_series_lines(tx, company_id, &f.series.0, &f.series.1)?;
    }
    let next_entry = (plan.first_entry.0 + plan.n) as i64;
    let next_logged = (plan.logged.0 + 1) as i64;
    let next_ce = (plan.first_campaign_entry + plan.campaign_entries.len() as u64) as i64;
    tx.execute(
        "UPDATE company SET next_entry_no = $2, next_logged_no = $3, next_campaign_entry = $4 \
         WHERE company_id = $1",
        &[&company_id, &next_entry, &next_logged, &next_ce],
    )
    .map_err(PgError::sql("advancing the company's counters"))?;
    Ok(())
}
