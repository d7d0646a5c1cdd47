//! `campaign-entry …`: campaign entries as records of their own (BC page *Campaign Entries*).

use clap::{Args, Subcommand};

use super::interaction::{date_filter, entry_nos};
use super::master::val;
use super::output::{opt, yes};
use super::Env;
use interlog::domain::*;
use interlog::ops::campaign_entries::{self, CampaignEntryFilter, CampaignEntryView, CancelTo};

/// Which campaign entries a command takes: BC's request filter fields of *Delete Campaign
/// Entries* (Entry No., Campaign No., Date, Salesperson Code).
#[derive(Args, Debug, Default)]
pub struct CampaignEntrySelectArgs {
    /// Only these campaign entry numbers: numbers and ranges, e.g. `1..10|15`.
    #[arg(long = "entry", value_name = "NOS", value_parser = entry_nos)]
    entry_nos: Option<NumberFilter>,
    /// Only this campaign.
    #[arg(long, value_parser = val::<CampaignNo>)]
    campaign: Option<CampaignNo>,
    /// Only this date or range of dates, e.g. `2025-03-01..2025-03-31`.
    #[arg(long, value_name = "DATES", value_parser = date_filter)]
    date: Option<DateFilter>,
    /// Only this salesperson.
    #[arg(long, value_parser = val::<SalespersonCode>)]
    salesperson: Option<SalespersonCode>,
}

impl CampaignEntrySelectArgs {
    /// The library's filter.
    pub fn filter(&self) -> CampaignEntryFilter {
        CampaignEntryFilter {
            entry_nos: self.entry_nos.clone(),
            campaign: self.campaign.clone(),
            date: self.date.unwrap_or_default(),
            salesperson: self.salesperson.clone(),
            canceled: None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum CampaignEntryCmd {
    /// List campaign entries with their interactions, cost and duration (counting the
    /// interactions whose canceled flag equals the campaign entry's, as BC does).
    #[command(after_help = "Examples:
  interlog campaign-entry list
  interlog campaign-entry list --campaign CP1001 --not-canceled --json")]
    List {
        #[command(flatten)]
        select: CampaignEntrySelectArgs,
        /// Only canceled campaign entries.
        #[arg(long, conflicts_with = "not_canceled")]
        canceled: bool,
        /// Only campaign entries that are not canceled.
        #[arg(long)]
        not_canceled: bool,
    },
    /// Show one campaign entry with its counts.
    #[command(after_help = "Example:
  interlog campaign-entry show 3 --json")]
    Show {
        /// Campaign entry number.
        #[arg(value_parser = val::<CampaignEntryNo>)]
        entry: CampaignEntryNo,
    },
    /// Switch canceled on campaign entries and every interaction of each (the first entry's
    /// opposite, applied to all), or set it with --canceled; one atomic change. Un-cancelling
    /// is refused while a campaign entry's logged segment is canceled.
    #[command(after_help = "Examples:
  interlog campaign-entry cancel 3            # switch: canceled ↔ not canceled
  interlog campaign-entry cancel 3 4 --canceled true
  interlog campaign-entry cancel 3 --canceled false --json")]
    Cancel {
        /// Campaign entry numbers.
        #[arg(required = true, value_parser = val::<CampaignEntryNo>)]
        entries: Vec<CampaignEntryNo>,
        /// Set this value instead of switching.
        #[arg(long, value_name = "true|false")]
        canceled: Option<bool>,
    },
    /// Statistics per campaign, leaving out whatever is canceled: campaign entries not
    /// canceled; interactions neither canceled nor postponed, their cost and duration.
    #[command(after_help = "Example:
  interlog campaign-entry stats --json")]
    Stats,
}

const HEAD: [&str; 12] = [
    "ENTRY",
    "CAMPAIGN",
    "DESCRIPTION",
    "DATE",
    "SEGMENT",
    "LOGGED SEGMENT",
    "SALESPERSON",
    "USER",
    "INTERACTIONS",
    "COST",
    "DURATION (MIN.)",
    "CANCELED",
];

fn row(v: &CampaignEntryView) -> Vec<String> {
    let c = &v.entry;
    vec![
        c.entry_no.to_string(),
        c.campaign_no.to_string(),
        c.description.clone(),
        c.date.to_string(),
        opt(&c.segment_no),
        opt(&c.logged_segment_entry_no),
        opt(&c.salesperson_code),
        c.user_id.clone(),
        v.no_of_interactions.to_string(),
        v.cost.to_string(),
        v.duration_min.to_string(),
        yes(c.canceled),
    ]
}

pub fn run(env: &Env, c: CampaignEntryCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        CampaignEntryCmd::List {
            select,
            canceled,
            not_canceled,
        } => {
            let f = CampaignEntryFilter {
                canceled: if canceled {
                    Some(true)
                } else if not_canceled {
                    Some(false)
                } else {
                    None
                },
                ..select.filter()
            };
            let list = campaign_entries::list(&store, &f)?;
            if env.out.json {
                env.out.json(&list)
            } else {
                env.out
                    .table(&HEAD, &list.iter().map(row).collect::<Vec<_>>())
            }
        }
        CampaignEntryCmd::Show { entry } => {
            let v = campaign_entries::show(&store, entry)?;
            if env.out.json {
                env.out.json(&v)
            } else {
                let pairs: Vec<(&str, String)> =
                    HEAD.iter().zip(row(&v)).map(|(h, v)| (*h, v)).collect();
                env.out.fields(&pairs)
            }
        }
        CampaignEntryCmd::Cancel { entries, canceled } => {
            let to = canceled.map_or(CancelTo::Switch, CancelTo::Set);
            let r = campaign_entries::set_canceled(&store, &entries, to)?;
            if env.out.json {
                env.out.json(&r)
            } else {
                env.out.line(format!(
                    "campaign entr{} {} now {} ({} interaction(s), {} changed)",
                    if r.campaign_entries.len() == 1 {
                        "y"
                    } else {
                        "ies"
                    },
                    r.campaign_entries
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    if r.canceled {
                        "canceled"
                    } else {
                        "not canceled"
                    },
                    r.entries,
                    r.entries_changed
                ))
            }
        }
        CampaignEntryCmd::Stats => {
            let rows = campaign_entries::stats(&store)?;
            if env.out.json {
                return env.out.json(&rows);
            }
            env.out.table(
                &[
                    "CAMPAIGN",
                    "DESCRIPTION",
                    "CAMPAIGN ENTRIES",
                    "INTERACTIONS",
                    "COST",
                    "DURATION (MIN.)",
                    "LAST DATE",
                ],
                &rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.campaign_no.to_string(),
                            r.description.clone(),
                            r.campaign_entries.to_string(),
                            r.interactions.to_string(),
                            r.cost.to_string(),
                            r.duration_min.to_string(),
                            opt(&r.last_date),
                        ]
                    })
                    .collect::<Vec<_>>(),
            )
        }
    }
}
