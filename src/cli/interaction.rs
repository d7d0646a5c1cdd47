//! `interaction …` and `stats`.

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::master::val;
use super::output::{opt, yes};
use super::{parse_date, Env};
use interlog::domain::*;
use interlog::ops::interactions::{
    self, EntryEdit, EntryFilter, InteractionRequest, TitledEntry, Titles,
};
use interlog::ops::requests::IdempotencyKey;
use interlog::ops::stats::{self, StatsBy};

#[derive(Subcommand, Debug)]
pub enum InteractionCmd {
    /// Create an interaction for a contact (optionally for a salesperson, or from an entry).
    Create(CreateArgs),
    /// List interactions (postponed ones are listed by `interaction postponed`). Each has BC's
    /// entry title: the template's description, "- by <salesperson>" when the template is
    /// outbound, "- from <contact>" when it is inbound (`title` in --json).
    #[command(after_help = "Example: interlog interaction list --contact CT100125 --json")]
    List(ListArgs),
    /// Show one entry, with its title.
    #[command(after_help = "Example: interlog interaction show 1")]
    Show {
        /// Entry number.
        #[arg(value_parser = val::<EntryNo>)]
        entry: EntryNo,
    },
    /// List postponed interactions.
    Postponed,
    /// Finish a postponed interaction (same entry number, the work date as its date).
    Resume {
        /// Entry number.
        #[arg(value_parser = val::<EntryNo>)]
        entry: EntryNo,
        #[command(flatten)]
        fields: FieldArgs,
    },
    /// Delete postponed interactions.
    Delete {
        /// Entry numbers.
        #[arg(required = true, value_parser = val::<EntryNo>)]
        entries: Vec<EntryNo>,
    },
    /// Switch canceled: the opposite of the first entry's value, applied to all.
    #[command(
        after_help = "Examples:\n  interlog interaction cancel 12 13          # switch, as BC does\n  interlog interaction cancel 12 13 --canceled true   # set; safe to run again"
    )]
    Cancel {
        /// Entry numbers.
        #[arg(required = true, value_parser = val::<EntryNo>)]
        entries: Vec<EntryNo>,
        /// Set canceled to this value on every entry instead of switching (safe to repeat).
        #[arg(long, value_name = "true|false")]
        canceled: Option<bool>,
    },
    /// Edit evaluation, cost, duration, description or add comments.
    Edit {
        /// Entry number.
        #[arg(value_parser = val::<EntryNo>)]
        entry: EntryNo,
        /// Evaluation.
        #[arg(long)]
        evaluation: Option<Evaluation>,
        /// Cost (0 to 999999999999999.99, at most two decimals).
        #[arg(long, value_parser = val::<Money>)]
        cost: Option<Money>,
        /// Duration in minutes.
        #[arg(long)]
        duration: Option<u32>,
        /// Description.
        #[arg(long)]
        description: Option<String>,
        /// Comment line to add (repeatable).
        #[arg(long = "comment")]
        comments: Vec<String>,
    },
}

#[derive(Args, Debug, Default)]
pub struct FieldArgs {
    /// Interaction template.
    #[arg(long, value_parser = val::<TemplateCode>)]
    template: Option<TemplateCode>,
    /// Salesperson.
    #[arg(long, value_parser = val::<SalespersonCode>)]
    salesperson: Option<SalespersonCode>,
    /// Description (default: the template's).
    #[arg(long)]
    description: Option<String>,
    /// Subject (default: the description).
    #[arg(long)]
    subject: Option<String>,
    /// Cost (default: the template's unit cost) (0 to 999999999999999.99, at most two decimals).
    #[arg(long, value_parser = val::<Money>)]
    cost: Option<Money>,
    /// Duration in minutes (default: the template's).
    #[arg(long)]
    duration: Option<u32>,
    /// Evaluation.
    #[arg(long)]
    evaluation: Option<Evaluation>,
    /// The attempt failed.
    #[arg(long)]
    failed: bool,
    /// Campaign (default: the template's).
    #[arg(long, value_parser = val::<CampaignNo>)]
    campaign: Option<CampaignNo>,
    /// Correspondence type (default: from template and contact).
    #[arg(long)]
    correspondence_type: Option<CorrespondenceType>,
    /// Comment line (repeatable).
    #[arg(long = "comment")]
    comments: Vec<String>,
}

impl FieldArgs {
    fn request(self) -> InteractionRequest {
        InteractionRequest {
            template: self.template,
            salesperson: self.salesperson,
            description: self.description,
            subject: self.subject,
            cost: self.cost,
            duration_min: self.duration,
            evaluation: self.evaluation,
            attempt_failed: self.failed.then_some(true),
            campaign: self.campaign,
            correspondence_type: self.correspondence_type,
            comments: self.comments,
            ..InteractionRequest::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Contact.
    #[arg(long, value_parser = val::<ContactNo>)]
    contact: Option<ContactNo>,
    /// Start from an existing entry (pre-fills contact, template, salesperson).
    #[arg(long, value_parser = val::<EntryNo>)]
    from_entry: Option<EntryNo>,
    #[command(flatten)]
    fields: FieldArgs,
    /// Save as postponed instead of finishing.
    #[arg(long)]
    postpone: bool,
    /// A key of your choosing that makes the command safe to run again: a second run with
    /// the same key and arguments creates nothing and prints the entry the first run made.
    #[arg(long, value_name = "KEY", value_parser = val::<IdempotencyKey>)]
    idempotency_key: Option<IdempotencyKey>,
}

/// Which entries a command works on: the filters shared by `interaction list`,
/// `export entries` and `cleanup canceled-entries` (BC's request filter fields of the
/// *Interaction Log Entries* page and the *Delete Interaction Log Entries* report).
#[derive(Args, Debug, Default)]
pub struct EntrySelectArgs {
    /// Only these entry numbers: numbers and ranges, e.g. `1..100|205|500..`.
    #[arg(long = "entry", value_name = "NOS", value_parser = entry_nos)]
    entry_nos: Option<NumberFilter>,
    /// Only this contact.
    #[arg(long, value_parser = val::<ContactNo>)]
    contact: Option<ContactNo>,
    /// Only this template.
    #[arg(long, value_parser = val::<TemplateCode>)]
    template: Option<TemplateCode>,
    /// Only this interaction group.
    #[arg(long, value_parser = val::<GroupCode>)]
    group: Option<GroupCode>,
    /// Only this salesperson.
    #[arg(long, value_parser = val::<SalespersonCode>)]
    salesperson: Option<SalespersonCode>,
    /// Only this campaign.
    #[arg(long, value_parser = val::<CampaignNo>)]
    campaign: Option<CampaignNo>,
    /// Only the entries of this campaign entry.
    #[arg(long, value_parser = val::<CampaignEntryNo>)]
    campaign_entry: Option<CampaignEntryNo>,
    /// Only this segment.
    #[arg(long, value_parser = val::<SegmentNo>)]
    segment: Option<SegmentNo>,
    /// Only this logged segment.
    #[arg(long, value_parser = val::<LoggedSegmentNo>)]
    logged_segment: Option<LoggedSegmentNo>,
    /// Only this date or range of dates, e.g. `2025-03-01..2025-03-31` (either end may be left out).
    #[arg(long, value_name = "DATES", value_parser = date_filter, conflicts_with_all = ["from", "to"])]
    date: Option<DateFilter>,
    /// From this date.
    #[arg(long, value_parser = parse_date)]
    from: Option<NaiveDate>,
    /// Up to this date.
    #[arg(long, value_parser = parse_date)]
    to: Option<NaiveDate>,
}

/// `--entry` values.
pub fn entry_nos(s: &str) -> Result<NumberFilter, String> {
    NumberFilter::parse("entry number filter", s).map_err(|e| e.to_string())
}

/// `--date` values.
pub fn date_filter(s: &str) -> Result<DateFilter, String> {
    DateFilter::parse("date filter", s).map_err(|e| e.to_string())
}

impl EntrySelectArgs {
    /// The library's filter (every entry, canceled or not, that the selection names).
    pub fn filter(&self) -> EntryFilter {
        let (from_date, to_date) = match self.date {
            Some(d) => (d.from, d.to),
            None => (self.from, self.to),
        };
        EntryFilter {
            entry_nos: self.entry_nos.clone(),
            contact: self.contact.clone(),
            template: self.template.clone(),
            group: self.group.clone(),
            salesperson: self.salesperson.clone(),
            campaign: self.campaign.clone(),
            campaign_entry: self.campaign_entry,
            segment: self.segment.clone(),
            logged_segment: self.logged_segment,
            canceled: None,
            from_date,
            to_date,
        }
    }
}

/// The entry filters of `interaction list` and `export entries`: the selection plus the
/// canceled flag.
#[derive(Args, Debug)]
pub struct EntryFilterArgs {
    #[command(flatten)]
    select: EntrySelectArgs,
    /// Only canceled entries.
    #[arg(long, conflicts_with = "not_canceled")]
    canceled: bool,
    /// Only entries that are not canceled.
    #[arg(long)]
    not_canceled: bool,
}

impl EntryFilterArgs {
    /// The library's filter.
    pub fn filter(&self) -> EntryFilter {
        EntryFilter {
            canceled: if self.canceled {
                Some(true)
            } else if self.not_canceled {
                Some(false)
            } else {
                None
            },
            ..self.select.filter()
        }
    }
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    filter: EntryFilterArgs,
    /// Show at most this many entries.
    #[arg(long)]
    limit: Option<usize>,
}

pub const ENTRY_HEAD: [&str; 13] = [
    "ENTRY",
    "CONTACT",
    "DATE",
    "TEMPLATE",
    "TITLE",
    "DESCRIPTION",
    "SALESPERSON",
    "COST",
    "MIN.",
    "EVALUATION",
    "CORRESP.",
    "SEGMENT",
    "FLAGS",
];

/// A row of `interaction list` / `interaction postponed`: the entry with BC's entry title.
pub fn entry_row(t: &TitledEntry) -> Vec<String> {
    let e = &t.entry;
    let mut flags = Vec::new();
    if e.canceled {
        flags.push("canceled");
    }
    if e.postponed {
        flags.push("postponed");
    }
    if e.attempt_failed {
        flags.push("failed");
    }
    vec![
        e.entry_no.to_string(),
        e.contact_no.to_string(),
        e.date.to_string(),
        e.template_code.to_string(),
        t.title.clone(),
        e.description.clone(),
        e.salesperson_code.to_string(),
        e.cost.to_string(),
        e.duration_min.to_string(),
        e.evaluation.to_string(),
        e.correspondence_type.to_string(),
        opt(&e.segment_no),
        flags.join(","),
    ]
}

fn show_entry(env: &Env, t: &TitledEntry) -> anyhow::Result<()> {
    if env.out.json {
        return env.out.json(t);
    }
    let e = &t.entry;
    let mut f = vec![
        ("entry no.", e.entry_no.to_string()),
        ("title", t.title.clone()),
        ("contact", e.contact_no.to_string()),
        ("company", opt(&e.contact_company_no)),
        ("date", e.date.to_string()),
        ("time", e.time_of_interaction.format("%H:%M").to_string()),
        ("template", e.template_code.to_string()),
        ("group", e.group_code.to_string()),
        ("description", e.description.clone()),
        ("subject", e.subject.clone()),
        ("salesperson", e.salesperson_code.to_string()),
        ("cost", e.cost.to_string()),
        ("duration (min.)", e.duration_min.to_string()),
        ("information flow", e.information_flow.to_string()),
        ("initiated by", e.initiated_by.to_string()),
        ("correspondence type", e.correspondence_type.to_string()),
        ("language", opt(&e.language_code)),
        ("evaluation", e.evaluation.to_string()),
        ("attempt failed", yes(e.attempt_failed)),
        ("campaign", opt(&e.campaign_no)),
        ("campaign entry", opt(&e.campaign_entry_no)),
        ("segment", opt(&e.segment_no)),
        ("logged segment", opt(&e.logged_segment_entry_no)),
        ("user", e.user_id.clone()),
        ("postponed", yes(e.postponed)),
        ("canceled", yes(e.canceled)),
    ];
    for c in &e.comments {
        f.push(("comment", format!("{} {}", c.date, c.text)));
    }
    env.out.fields(&f)
}

pub fn run(env: &Env, c: InteractionCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        InteractionCmd::Create(a) => {
            let req = InteractionRequest {
                contact: a.contact,
                from_entry: a.from_entry,
                postpone: a.postpone,
                ..a.fields.request()
            };
            let created =
                interactions::create_once(&store, &env.ctx, &req, a.idempotency_key.as_ref())?;
            if env.out.json {
                env.out.json(&created)
            } else {
                env.out.line(format!(
                    "{} interaction log entry {} for contact {} ({}){}",
                    match (created.replayed, created.entry.postponed) {
                        (true, _) => "already made (same idempotency key):",
                        (false, true) => "postponed",
                        (false, false) => "created",
                    },
                    created.entry.entry_no,
                    created.entry.contact_no,
                    created.entry.description,
                    created
                        .campaign_entry
                        .as_ref()
                        .map(|c| format!(", campaign entry {}", c.entry_no))
                        .unwrap_or_default()
                ))
            }
        }
        InteractionCmd::List(a) => {
            let filter = a.filter.filter();
            let limit = a.limit.unwrap_or(usize::MAX) as u64;
            let titles = Titles::new(&store)?;
            let mut out = env.out.listing(&ENTRY_HEAD, entry_row);
            if limit > 0 {
                interactions::for_each(&store, &filter, |e| {
                    let t = titles.titled(&store, e)?;
                    Ok(out.visit(&t) && out.count() < limit)
                })?;
            }
            out.finish()
        }
        InteractionCmd::Show { entry } => {
            let t = Titles::new(&store)?.titled(&store, interactions::get(&store, entry)?)?;
            show_entry(env, &t)
        }
        InteractionCmd::Postponed => {
            let titles = Titles::new(&store)?;
            let list = interactions::postponed(&store)?
                .into_iter()
                .map(|e| titles.titled(&store, e))
                .collect::<Result<Vec<_>, _>>()?;
            if env.out.json {
                env.out.json(&list)
            } else {
                env.out
                    .table(&ENTRY_HEAD, &list.iter().map(entry_row).collect::<Vec<_>>())
            }
        }
        InteractionCmd::Resume { entry, fields } => {
            let created = interactions::resume(&store, &env.ctx, entry, &fields.request())?;
            if env.out.json {
                env.out.json(&created)
            } else {
                env.out.line(format!(
                    "resumed interaction log entry {} dated {}",
                    created.entry.entry_no, created.entry.date
                ))
            }
        }
        InteractionCmd::Delete { entries } => {
            let deleted = interactions::delete_postponed(&store, &entries)?;
            if env.out.json {
                env.out
                    .json(&serde_json::json!({ "deleted_entry_nos": deleted }))
            } else {
                env.out.line(format!(
                    "deleted {} postponed interaction(s)",
                    deleted.len()
                ))
            }
        }
        InteractionCmd::Cancel { entries, canceled } => {
            let r = interactions::set_canceled(&store, &entries, canceled)?;
            if env.out.json {
                env.out.json(&r)
            } else {
                env.out.line(format!(
                    "{} {} entr{}",
                    if r.canceled {
                        "canceled"
                    } else {
                        "un-canceled"
                    },
                    r.entries.len(),
                    if r.entries.len() == 1 { "y" } else { "ies" }
                ))
            }
        }
        InteractionCmd::Edit {
            entry,
            evaluation,
            cost,
            duration,
            description,
            comments,
        } => {
            let e = interactions::edit(
                &store,
                &env.ctx,
                entry,
                &EntryEdit {
                    evaluation,
                    cost,
                    duration_min: duration,
                    description,
                    comments,
                },
            )?;
            show_entry(env, &Titles::new(&store)?.titled(&store, e)?)
        }
    }
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Group by.
    #[arg(long, default_value = "template")]
    by: StatsBy,
}

pub fn stats(env: &Env, a: StatsArgs) -> anyhow::Result<()> {
    let store = env.open()?;
    let rows = stats::stats(&store, a.by)?;
    if env.out.json {
        return env.out.json(&rows);
    }
    let by = serde_json::to_value(a.by)?
        .as_str()
        .unwrap_or("")
        .to_uppercase();
    env.out.table(
        &[&by, "INTERACTIONS", "COST", "DURATION (MIN.)", "LAST DATE"],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.key.clone(),
                    r.interactions.to_string(),
                    r.cost.to_string(),
                    r.duration_min.to_string(),
                    opt(&r.last_date),
                ]
            })
            .collect::<Vec<_>>(),
    )
}
