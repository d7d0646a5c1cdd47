//! `segment …`, `logged-segment …`, `gen`.

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::master::val;
use super::output::{opt, yes, Bar};
use super::{parse_date, Env};
use interlog::batch::{log_segment, LogOptions};
use interlog::datagen::{self, GenOptions};
use interlog::domain::filter::FieldFilter;
use interlog::domain::*;
use interlog::ops::logged::{self, OutcomeFilter};
use interlog::ops::saved_criteria;
use interlog::ops::segments::{
    self, InteractionChange, LineChange, NarrowOptions, SegmentInput, WhenEmptied,
};
use interlog::ops::OpError;

pub(super) fn filter(s: &str) -> Result<FieldFilter, String> {
    FieldFilter::parse(s).map_err(|e| e.to_string())
}

#[derive(Subcommand, Debug)]
pub enum SegmentCmd {
    /// Create a segment (number from the segment series unless typed).
    Create {
        /// Number.
        #[arg(long)]
        no: Option<String>,
        /// Description.
        #[arg(long)]
        description: String,
        /// Salesperson lines inherit.
        #[arg(long, value_parser = val::<SalespersonCode>)]
        salesperson: Option<SalespersonCode>,
        /// Campaign lines inherit.
        #[arg(long, value_parser = val::<CampaignNo>)]
        campaign: Option<CampaignNo>,
    },
    /// Set the interaction section; reaches the lines (the command says how many changed).
    SetInteraction(SetInteractionArgs),
    /// Add contacts by criteria (BC filter syntax, e.g. --filter 'City=London|Paris').
    AddContacts {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// FIELD=EXPR filters (all must match).
        #[arg(long = "filter", value_parser = filter)]
        filters: Vec<FieldFilter>,
        /// Also add contacts already in the segment.
        #[arg(long)]
        allow_existing: bool,
        /// Add the persons of matching companies.
        #[arg(long)]
        expand_companies: bool,
        /// Add the companies of matching persons.
        #[arg(long)]
        related_companies: bool,
        /// Ignore the contacts' "exclude from segment" flag.
        #[arg(long)]
        ignore_exclusion: bool,
    },
    /// Remove the lines whose contact matches (--all: every line).
    #[command(after_help = "Examples:
  interlog segment reduce SM00001 --filter 'Type=Person'
  interlog segment reduce SM00001 --all --reset-criteria no")]
    Reduce(ReduceArgs),
    /// Keep only the lines whose contact matches.
    #[command(after_help = "Example:
  interlog segment refine SM00001 --filter 'City=London|Paris' --entire-companies")]
    Refine(RefineArgs),
    /// Undo the last criteria action.
    GoBack {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
    },
    /// Add one line for a contact (recorded as a criteria action, as BC does).
    AddLine {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// Contact.
        #[arg(long, value_parser = val::<ContactNo>)]
        contact: ContactNo,
    },
    /// Remove one line (recorded as a criteria action, as BC does).
    #[command(after_help = "Example:
  interlog segment remove-line SM00001 20000 --reset-criteria no")]
    RemoveLine {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// Line number.
        line: u64,
        #[command(flatten)]
        reset: ResetArgs,
    },
    /// Override fields of one line.
    SetLine(SetLineArgs),
    /// Show a segment header and its lines.
    Show {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// Show at most this many lines.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// List segments.
    List,
    /// Add the contacts of a logged segment.
    ReuseLogged {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// Logged segment entry number.
        #[arg(long, value_parser = val::<LoggedSegmentNo>)]
        logged: LoggedSegmentNo,
    },
    /// Save the segment's criteria actions under a code, to build other segments with (BC:
    /// Save Criteria).
    #[command(after_help = "Example:
  interlog segment save-criteria SM00001 --code NEWPORT --description 'Newport persons'")]
    SaveCriteria {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// Code of the saved criteria (at most 10 characters).
        #[arg(long, value_parser = val::<CriteriaCode>)]
        code: CriteriaCode,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Replay saved criteria on the segment, action by action; new lines take this segment's
    /// interaction (BC: Reuse Criteria).
    #[command(after_help = "Examples:
  interlog segment reuse-criteria SM00002 --code NEWPORT
  interlog segment reuse-criteria SM00002 --code NEWPORT --append   # after its own actions")]
    ReuseCriteria {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// Code of the saved criteria.
        #[arg(long, value_parser = val::<CriteriaCode>)]
        code: CriteriaCode,
        /// The segment has criteria actions already: add the saved ones after them.
        #[arg(long)]
        append: bool,
    },
    /// Log the segment: one interaction log entry per line, all or nothing.
    Log {
        /// Segment.
        #[arg(value_parser = val::<SegmentNo>)]
        segment: SegmentNo,
        /// Create a follow-up segment with the same contacts.
        #[arg(long)]
        follow_up: bool,
        /// Check every line and report; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args, Debug)]
pub struct SetInteractionArgs {
    /// Segment.
    #[arg(value_parser = val::<SegmentNo>)]
    segment: SegmentNo,
    /// Interaction template (copies its defaults; reaches every line).
    #[arg(long, value_parser = val::<TemplateCode>)]
    template: Option<TemplateCode>,
    /// Segment description (lines start with it).
    #[arg(long)]
    description: Option<String>,
    /// Subject.
    #[arg(long)]
    subject: Option<String>,
    /// Cost per line (0 to 999999999999999.99, at most two decimals).
    #[arg(long, value_parser = val::<Money>)]
    unit_cost: Option<Money>,
    /// Duration per line, minutes.
    #[arg(long)]
    unit_duration: Option<u32>,
    /// Correspondence type default.
    #[arg(long)]
    correspondence_type: Option<CorrespondenceType>,
    /// Use the default even when the contact has its own type (`=false` to turn off).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    ignore_contact_correspondence_type: Option<bool>,
    /// Language.
    #[arg(long, value_parser = val::<LanguageCode>)]
    language: Option<LanguageCode>,
    /// Salesperson lines inherit.
    #[arg(long, value_parser = val::<SalespersonCode>)]
    salesperson: Option<SalespersonCode>,
    /// Campaign lines inherit.
    #[arg(long, value_parser = val::<CampaignNo>)]
    campaign: Option<CampaignNo>,
    /// Date lines inherit.
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
}

/// `--reset-criteria yes|no`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    /// Yes.
    #[default]
    Yes,
    /// No.
    No,
}

/// What happens to the criteria when the change empties the segment.
#[derive(Args, Debug)]
pub struct ResetArgs {
    /// When this leaves the segment empty, reset its criteria actions (BC asks "Your Segment is
    /// now empty. Do you want to reset number of criteria actions?"; no keeps them for go-back).
    #[arg(long, value_enum, default_value = "yes", value_name = "yes|no")]
    reset_criteria: YesNo,
}

impl ResetArgs {
    fn when_emptied(&self) -> WhenEmptied {
        match self.reset_criteria {
            YesNo::Yes => WhenEmptied::ResetCriteria,
            YesNo::No => WhenEmptied::KeepCriteria,
        }
    }
}

#[derive(Args, Debug)]
pub struct ReduceArgs {
    /// Segment.
    #[arg(value_parser = val::<SegmentNo>)]
    segment: SegmentNo,
    /// FIELD=EXPR filters (all must match).
    #[arg(long = "filter", value_parser = filter)]
    filters: Vec<FieldFilter>,
    /// Remove every line (what a reduce without a filter does in BC).
    #[arg(long, conflicts_with = "filters")]
    all: bool,
    /// Widen the match to entire companies.
    #[arg(long)]
    entire_companies: bool,
    #[command(flatten)]
    reset: ResetArgs,
}

#[derive(Args, Debug)]
pub struct RefineArgs {
    /// Segment.
    #[arg(value_parser = val::<SegmentNo>)]
    segment: SegmentNo,
    /// FIELD=EXPR filters (all must match).
    #[arg(long = "filter", required = true, value_parser = filter)]
    filters: Vec<FieldFilter>,
    /// Widen the match to entire companies.
    #[arg(long)]
    entire_companies: bool,
    #[command(flatten)]
    reset: ResetArgs,
}

#[derive(Args, Debug)]
pub struct SetLineArgs {
    /// Segment.
    #[arg(value_parser = val::<SegmentNo>)]
    segment: SegmentNo,
    /// Line number.
    line: u64,
    /// Template (re-copies its fields onto the line).
    #[arg(long, value_parser = val::<TemplateCode>)]
    template: Option<TemplateCode>,
    /// Description.
    #[arg(long)]
    description: Option<String>,
    /// Subject.
    #[arg(long)]
    subject: Option<String>,
    /// Cost (0 to 999999999999999.99, at most two decimals).
    #[arg(long, value_parser = val::<Money>)]
    cost: Option<Money>,
    /// Duration in minutes.
    #[arg(long)]
    duration: Option<u32>,
    /// Salesperson.
    #[arg(long, value_parser = val::<SalespersonCode>)]
    salesperson: Option<SalespersonCode>,
    /// Evaluation.
    #[arg(long)]
    evaluation: Option<Evaluation>,
    /// Date.
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
    /// Correspondence type.
    #[arg(long)]
    correspondence_type: Option<CorrespondenceType>,
    /// The attempt failed.
    #[arg(long)]
    failed: bool,
    /// Language.
    #[arg(long, value_parser = val::<LanguageCode>)]
    language: Option<LanguageCode>,
}

fn header_fields(h: &SegmentHeader) -> Vec<(&'static str, String)> {
    let i = &h.interaction;
    vec![
        ("segment", h.no.to_string()),
        ("description", h.description.clone()),
        ("date", h.date.to_string()),
        ("salesperson", opt(&h.salesperson_code)),
        ("campaign", opt(&h.campaign_no)),
        ("template", opt(&i.template_code)),
        ("group", opt(&i.group_code)),
        ("unit cost", i.unit_cost.to_string()),
        ("unit duration", i.unit_duration_min.to_string()),
        ("subject", i.subject_default.clone()),
        ("language", opt(&i.language_code_default)),
        (
            "correspondence type",
            i.correspondence_type_default.to_string(),
        ),
        (
            "ignore contact corr. type",
            yes(i.ignore_contact_correspondence_type),
        ),
        ("information flow", i.information_flow.to_string()),
        ("initiated by", i.initiated_by.to_string()),
        ("lines", h.line_count.to_string()),
        (
            "criteria",
            h.criteria
                .iter()
                .map(|a| a.describe())
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ]
}

fn line_row(l: &SegmentLine) -> Vec<String> {
    vec![
        l.line_no.to_string(),
        l.contact_no.to_string(),
        opt(&l.contact_company_no),
        opt(&l.template_code),
        l.description.clone(),
        opt(&l.salesperson_code),
        l.cost.to_string(),
        l.duration_min.to_string(),
        l.date.to_string(),
        l.correspondence_type.to_string(),
        l.evaluation.to_string(),
    ]
}

const LINE_HEAD: [&str; 11] = [
    "LINE",
    "CONTACT",
    "COMPANY",
    "TEMPLATE",
    "DESCRIPTION",
    "SALESPERSON",
    "COST",
    "MIN.",
    "DATE",
    "CORRESP.",
    "EVALUATION",
];

fn change_out(env: &Env, what: &str, c: &segments::SegmentChange) -> anyhow::Result<()> {
    if env.out.json {
        env.out.json(c)
    } else {
        env.out.line(format!(
            "segment {}: {what} {} line(s); {} line(s) now{}",
            c.segment.no,
            c.lines_changed,
            c.segment.line_count,
            if c.criteria_reset {
                "; the segment is empty and its criteria actions were reset"
            } else {
                ""
            }
        ))
    }
}

pub fn run(env: &Env, c: SegmentCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    let bar = Bar::new();
    match c {
        SegmentCmd::Create {
            no,
            description,
            salesperson,
            campaign,
        } => {
            let added = segments::create(
                &store,
                &env.ctx,
                &SegmentInput {
                    no,
                    description,
                    salesperson,
                    campaign,
                },
            )?;
            env.out.warn(&added.warning);
            if env.out.json {
                env.out.json(&added.record)
            } else {
                env.out.line(format!("created segment {}", added.record.no))
            }
        }
        SegmentCmd::SetInteraction(a) => {
            let c = segments::set_interaction(
                &store,
                &a.segment,
                &InteractionChange {
                    template: a.template,
                    description: a.description,
                    subject: a.subject,
                    unit_cost: a.unit_cost,
                    unit_duration_min: a.unit_duration,
                    correspondence_type: a.correspondence_type,
                    ignore_contact_correspondence_type: a.ignore_contact_correspondence_type,
                    language: a.language,
                    salesperson: a.salesperson,
                    campaign: a.campaign,
                    date: a.date,
                },
                &bar,
            )?;
            change_out(env, "updated", &c)
        }
        SegmentCmd::AddContacts {
            segment,
            filters,
            allow_existing,
            expand_companies,
            related_companies,
            ignore_exclusion,
        } => {
            let c = segments::add_contacts(
                &store,
                &segment,
                &filters,
                CriteriaOptions {
                    allow_existing,
                    expand_companies,
                    related_companies,
                    ignore_exclusion,
                    entire_companies: false,
                },
                &bar,
            )?;
            change_out(env, "added", &c)
        }
        SegmentCmd::Reduce(a) => {
            let opts = NarrowOptions {
                entire_companies: a.entire_companies,
                all: a.all,
                when_emptied: a.reset.when_emptied(),
            };
            let c = segments::reduce_with(&store, &a.segment, &a.filters, opts, &bar)?;
            change_out(env, "removed", &c)
        }
        SegmentCmd::Refine(a) => {
            let opts = NarrowOptions {
                entire_companies: a.entire_companies,
                all: false,
                when_emptied: a.reset.when_emptied(),
            };
            let c = segments::refine_with(&store, &a.segment, &a.filters, opts, &bar)?;
            change_out(env, "removed", &c)
        }
        SegmentCmd::GoBack { segment } => {
            let c = segments::go_back(&store, &segment, &bar)?;
            change_out(env, "went back over", &c)
        }
        SegmentCmd::AddLine { segment, contact } => {
            let l = segments::add_line(&store, &segment, &contact)?;
            if env.out.json {
                env.out.json(&l)
            } else {
                env.out.line(format!(
                    "segment {segment}: added line {} for contact {}",
                    l.line_no, l.contact_no
                ))
            }
        }
        SegmentCmd::RemoveLine {
            segment,
            line,
            reset,
        } => {
            let r = segments::remove_line_with(&store, &segment, line, reset.when_emptied())?;
            if env.out.json {
                env.out.json(&r)
            } else {
                env.out.line(format!(
                    "segment {segment}: removed line {} (contact {}){}",
                    r.line.line_no,
                    r.line.contact_no,
                    if r.criteria_reset {
                        "; the segment is empty and its criteria actions were reset"
                    } else {
                        ""
                    }
                ))
            }
        }
        SegmentCmd::SetLine(a) => {
            let l = segments::set_line(
                &store,
                &a.segment,
                a.line,
                &LineChange {
                    template: a.template,
                    description: a.description,
                    subject: a.subject,
                    cost: a.cost,
                    duration_min: a.duration,
                    salesperson: a.salesperson,
                    evaluation: a.evaluation,
                    date: a.date,
                    correspondence_type: a.correspondence_type,
                    attempt_failed: a.failed.then_some(true),
                    language: a.language,
                },
            )?;
            if env.out.json {
                env.out.json(&l)
            } else {
                env.out.table(&LINE_HEAD, &[line_row(&l)])
            }
        }
        SegmentCmd::Show { segment, limit } => {
            let h = segments::get(&store, &segment)?;
            let limit = limit.unwrap_or(usize::MAX) as u64;
            let mut out = env.out.listing_under(
                ("segment", &h, &header_fields(&h)),
                "lines",
                &LINE_HEAD,
                line_row,
            )?;
            segments::for_each_line(&store, &h, |l| Ok(out.count() < limit && out.visit(&l)))?;
            out.finish()
        }
        SegmentCmd::List => {
            let list = segments::list(&store)?;
            if env.out.json {
                return env.out.json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|h| {
                    vec![
                        h.no.to_string(),
                        h.description.clone(),
                        h.date.to_string(),
                        opt(&h.interaction.template_code),
                        opt(&h.campaign_no),
                        h.line_count.to_string(),
                    ]
                })
                .collect();
            env.out.table(
                &[
                    "NO.",
                    "DESCRIPTION",
                    "DATE",
                    "TEMPLATE",
                    "CAMPAIGN",
                    "LINES",
                ],
                &rows,
            )
        }
        SegmentCmd::SaveCriteria {
            segment,
            code,
            description,
        } => {
            let v = saved_criteria::save(&store, &env.ctx, &segment, &code, &description)?;
            if env.out.json {
                env.out.json(&v)
            } else {
                env.out.line(format!(
                    "saved {} criteria action(s) of segment {segment} as {}",
                    v.no_of_actions, v.criteria.code
                ))
            }
        }
        SegmentCmd::ReuseCriteria {
            segment,
            code,
            append,
        } => {
            let r = saved_criteria::reuse(&store, &segment, &code, append, &bar)?;
            if env.out.json {
                env.out.json(&r)
            } else {
                env.out.line(format!(
                    "segment {segment}: replayed {} action(s) of {code}: added {} line(s), removed {}; {} line(s) now",
                    r.actions_replayed, r.lines_added, r.lines_removed, r.segment.line_count
                ))
            }
        }
        SegmentCmd::ReuseLogged { segment, logged } => {
            let c = segments::reuse_logged(&store, &segment, logged, &bar)?;
            change_out(env, "added", &c)
        }
        SegmentCmd::Log {
            segment,
            follow_up,
            dry_run,
        } => {
            let res = log_segment(
                &store,
                &env.ctx,
                &segment,
                LogOptions { follow_up, dry_run },
                &bar,
            );
            print_log(&env.out, res, dry_run)
        }
    }
}

/// Prints the result of logging a segment (either backend): the outcome, or under `--json`
/// the invalid lines before the error.
pub fn print_log(
    out: &crate::cli::output::Out,
    res: Result<interlog::batch::LogOutcome, OpError>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let o = match res {
        Ok(o) => o,
        Err(OpError::LinesInvalid { segment, problems }) if out.json => {
            out.json(&serde_json::json!({"segment_no": segment, "dry_run": dry_run, "problems": problems}))?;
            return Err(OpError::LinesInvalid { segment, problems }.into());
        }
        Err(e) => return Err(e.into()),
    };
    for w in &o.warnings {
        eprintln!("warning: {w}");
    }
    if out.json {
        out.json(&o)
    } else if o.dry_run {
        out.line(format!(
            "segment {} can be logged: {} entries ({}..{}), logged segment {}{} — nothing written (dry run)",
            o.segment_no,
            o.entries,
            o.first_entry_no,
            o.last_entry_no,
            o.logged_segment_entry_no,
            o.follow_up_segment_no.as_ref().map(|f| format!(", follow-up segment {f}")).unwrap_or_default()
        ))
    } else {
        out.fields(&[
            ("logged segment", o.logged_segment_entry_no.to_string()),
            ("entries", o.entries.to_string()),
            (
                "entry range",
                format!("{}..{}", o.first_entry_no, o.last_entry_no),
            ),
            (
                "campaign entries",
                o.campaign_entries
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("follow-up segment", opt(&o.follow_up_segment_no)),
        ])
    }
}

#[derive(Subcommand, Debug)]
pub enum LoggedCmd {
    /// List logged segments.
    List,
    /// Show one logged segment.
    Show {
        /// Logged segment entry number.
        #[arg(value_parser = val::<LoggedSegmentNo>)]
        entry: LoggedSegmentNo,
    },
    /// Switch canceled on a logged segment, its entries and campaign entries.
    #[command(
        after_help = "Examples:\n  interlog logged-segment cancel 1                  # switch, as BC does\n  interlog logged-segment cancel 1 --canceled true  # set; safe to run again"
    )]
    Cancel {
        /// Logged segment entry number.
        #[arg(value_parser = val::<LoggedSegmentNo>)]
        entry: LoggedSegmentNo,
        /// Set canceled to this value instead of switching (safe to repeat).
        #[arg(long, value_name = "true|false")]
        canceled: Option<bool>,
    },
    /// Create a follow-up segment from the entries that match an outcome.
    FollowUp {
        /// Logged segment entry number.
        #[arg(value_parser = val::<LoggedSegmentNo>)]
        entry: LoggedSegmentNo,
        /// Only entries with this evaluation.
        #[arg(long)]
        evaluation: Option<Evaluation>,
        /// Only failed attempts.
        #[arg(long, conflicts_with = "succeeded")]
        failed: bool,
        /// Only successful attempts.
        #[arg(long)]
        succeeded: bool,
        /// Only canceled entries.
        #[arg(long, conflicts_with = "not_canceled")]
        canceled: bool,
        /// Only entries that are not canceled.
        #[arg(long)]
        not_canceled: bool,
    },
}

fn logged_rows(list: &[logged::LoggedSegmentView]) -> Vec<Vec<String>> {
    list.iter()
        .map(|v| {
            let l = &v.logged;
            vec![
                l.entry_no.to_string(),
                l.segment_no.to_string(),
                l.description.clone(),
                l.creation_date.to_string(),
                l.user_id.clone(),
                v.no_of_interactions.to_string(),
                v.no_of_campaign_entries.to_string(),
                yes(l.canceled),
                opt(&l.follow_up_segment),
            ]
        })
        .collect()
}

const LOGGED_HEAD: [&str; 9] = [
    "ENTRY",
    "SEGMENT",
    "DESCRIPTION",
    "CREATED",
    "USER",
    "INTERACTIONS",
    "CAMPAIGN ENTRIES",
    "CANCELED",
    "FOLLOW-UP",
];

/// A logged segment as `--json` shows it: without `index_run`, the store's internal id of the
/// contact index run the logging wrote.
fn logged_json(v: &logged::LoggedSegmentView) -> anyhow::Result<serde_json::Value> {
    let mut j = serde_json::to_value(v)?;
    if let Some(o) = j.as_object_mut() {
        o.remove("index_run");
    }
    Ok(j)
}

pub fn logged(env: &Env, c: LoggedCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        LoggedCmd::List => {
            let list = logged::list(&store)?;
            if env.out.json {
                let list = list
                    .iter()
                    .map(logged_json)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                env.out.json(&list)
            } else {
                env.out.table(&LOGGED_HEAD, &logged_rows(&list))
            }
        }
        LoggedCmd::Show { entry } => {
            let v = logged::show(&store, entry)?;
            if env.out.json {
                env.out.json(&logged_json(&v)?)
            } else {
                env.out
                    .table(&LOGGED_HEAD, &logged_rows(std::slice::from_ref(&v)))
            }
        }
        LoggedCmd::Cancel { entry, canceled } => {
            let v = logged::set_canceled(&store, entry, canceled)?;
            if env.out.json {
                env.out.json(&logged_json(&v)?)
            } else {
                env.out.line(format!(
                    "logged segment {} is now {} ({} entries, {} campaign entries)",
                    entry,
                    if v.logged.canceled {
                        "canceled"
                    } else {
                        "not canceled"
                    },
                    v.no_of_interactions,
                    v.no_of_campaign_entries
                ))
            }
        }
        LoggedCmd::FollowUp {
            entry,
            evaluation,
            failed,
            succeeded,
            canceled,
            not_canceled,
        } => {
            let f = OutcomeFilter {
                evaluation,
                attempt_failed: if failed {
                    Some(true)
                } else if succeeded {
                    Some(false)
                } else {
                    None
                },
                canceled: if canceled {
                    Some(true)
                } else if not_canceled {
                    Some(false)
                } else {
                    None
                },
            };
            let added = logged::follow_up(&store, &env.ctx, entry, &f, &Bar::new())?;
            env.out.warn(&added.warning);
            if env.out.json {
                env.out.json(&added.record)
            } else {
                env.out.line(format!(
                    "created follow-up segment {} with {} line(s)",
                    added.record.no, added.record.line_count
                ))
            }
        }
    }
}

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Number of contacts.
    #[arg(long)]
    contacts: u64,
    /// Lines of the generated segment (default: one per contact).
    #[arg(long)]
    segment_size: Option<u64>,
    /// Seed of the pseudo-random choices.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Also make this many segments of a nightly mix: about 95 % of 1k–10k lines, 4 % of
    /// 10k–100k, 1 % of 100k–1M (at most the eligible contacts), each taking its contacts
    /// where the previous one stopped.
    #[arg(long, default_value_t = 0, value_name = "K")]
    mixed_segments: u64,
}

pub fn gen(env: &Env, a: GenArgs) -> anyhow::Result<()> {
    let store = match interlog::storage::Store::open_waiting(&env.store_path, env.wait) {
        Ok(s) => s,
        Err(interlog::storage::StorageError::NoStore { .. }) => {
            interlog::ops::master::init(&env.store_path)?
        }
        Err(e) => return Err(e.into()),
    };
    let opts = GenOptions {
        contacts: a.contacts,
        segment_size: a.segment_size.unwrap_or(a.contacts),
        seed: a.seed,
    };
    let r = datagen::generate(&store, &env.ctx, opts, &Bar::new())?;
    let mix = if a.mixed_segments > 0 {
        datagen::generate_mix(&store, &env.ctx, opts, a.mixed_segments, &Bar::new())?
    } else {
        Vec::new()
    };
    // Reopen once: sled writes its snapshot when a store is opened, so the next command does
    // not have to replay everything the generator wrote.
    drop(store);
    drop(interlog::storage::Store::open_waiting(
        &env.store_path,
        env.wait,
    )?);
    let mixed: Vec<serde_json::Value> = mix
        .iter()
        .map(|(no, lines)| serde_json::json!({ "segment_no": no, "line_count": lines }))
        .collect();
    if env.out.json {
        // README's vocabulary: `campaign_no`, `template_code`, `line_count` as everywhere else.
        env.out.json(&serde_json::json!({
            "contacts": r.contacts,
            "segment_no": r.segment_no,
            "line_count": r.lines,
            "template_code": r.template,
            "campaign_no": r.campaign,
            "mixed_segments": mixed,
        }))
    } else {
        env.out.line(format!(
            "generated {} contacts; segment {} with {} lines (template {}, campaign {})",
            r.contacts,
            opt(&r.segment_no),
            r.lines,
            r.template,
            r.campaign
        ))?;
        if let (Some((first, _)), Some((last, _))) = (mix.first(), mix.last()) {
            let total: u64 = mix.iter().map(|(_, l)| l).sum();
            env.out.line(format!(
                "and {} mixed segments {first}..{last} with {total} lines in all",
                mix.len()
            ))?;
        }
        Ok(())
    }
}
