//! `cleanup …`: BC's clean-up reports, each with the request filters BC offers and a dry run.

use clap::Subcommand;

use super::campaign_entry::CampaignEntrySelectArgs;
use super::interaction::{entry_nos, EntrySelectArgs};
use super::master::val;
use super::Env;
use interlog::domain::*;
use interlog::ops::campaign_entries;
use interlog::ops::logged::{self, CleanupResult, LoggedSegmentFilter};

// Parsed once per run: the size of the largest variant does not matter. The variants are the
// command names, each a clean-up of canceled records.
#[allow(clippy::large_enum_variant, clippy::enum_variant_names)]
#[derive(Subcommand, Debug)]
pub enum CleanupCmd {
    /// Delete canceled interaction log entries (BC: Delete Interaction Log Entries); the
    /// filters narrow which ones.
    #[command(after_help = "Examples:
  interlog cleanup canceled-entries --dry-run --json
  interlog cleanup canceled-entries --campaign CP1001 --date 2025-01-01..2025-03-31
  interlog cleanup canceled-entries --entry 1..5000 --contact CT100125")]
    CanceledEntries {
        #[command(flatten)]
        select: EntrySelectArgs,
        /// Say what would be deleted (counts; the numbers with --json); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete canceled logged segments; their entries and campaign entries are detached first
    /// (BC: Delete Logged Segments).
    #[command(after_help = "Examples:
  interlog cleanup canceled-logged-segments --dry-run
  interlog cleanup canceled-logged-segments --entry 3..7 --json")]
    CanceledLoggedSegments {
        /// Only these logged segment entry numbers: numbers and ranges, e.g. `1..10|15`.
        #[arg(long = "entry", value_name = "NOS", value_parser = entry_nos)]
        entry_nos: Option<NumberFilter>,
        /// Only the logged segment of this segment.
        #[arg(long, value_parser = val::<SegmentNo>)]
        segment: Option<SegmentNo>,
        /// Say what would be deleted (counts; the numbers with --json); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete canceled campaign entries with all of their interaction log entries (BC: Delete
    /// Campaign Entries).
    #[command(after_help = "Examples:
  interlog cleanup canceled-campaign-entries --dry-run --json
  interlog cleanup canceled-campaign-entries --campaign CP1001 --date ..2025-03-31")]
    CanceledCampaignEntries {
        #[command(flatten)]
        select: CampaignEntrySelectArgs,
        /// Say what would be deleted (counts; the numbers with --json); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(env: &Env, c: CleanupCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    let r = match c {
        CleanupCmd::CanceledEntries { select, dry_run } => {
            logged::delete_canceled_entries_where(&store, &select.filter(), dry_run)?
        }
        CleanupCmd::CanceledLoggedSegments {
            entry_nos,
            segment,
            dry_run,
        } => logged::delete_canceled_logged_segments_where(
            &store,
            &LoggedSegmentFilter { entry_nos, segment },
            dry_run,
        )?,
        CleanupCmd::CanceledCampaignEntries { select, dry_run } => {
            campaign_entries::delete_canceled(&store, &select.filter(), dry_run)?
        }
    };
    report(env, &r)
}

/// Prints what a clean-up did (or would do): counts as text, everything with `--json`.
pub fn report(env: &Env, r: &CleanupResult) -> anyhow::Result<()> {
    if env.out.json {
        return env.out.json(r);
    }
    let verb = if r.dry_run {
        "would be deleted"
    } else {
        "deleted"
    };
    let mut f = vec![
        (format!("entries {verb}"), r.entries_deleted.to_string()),
        (
            format!("logged segments {verb}"),
            r.logged_segments_deleted.to_string(),
        ),
        (
            format!("campaign entries {verb}"),
            r.campaign_entries_deleted.to_string(),
        ),
        (
            format!(
                "entries {}",
                if r.dry_run {
                    "would be detached"
                } else {
                    "detached"
                }
            ),
            r.entries_detached.to_string(),
        ),
        (
            format!(
                "campaign entries {}",
                if r.dry_run {
                    "would be detached"
                } else {
                    "detached"
                }
            ),
            r.campaign_entries_detached.to_string(),
        ),
    ];
    if r.dry_run {
        f.push(("note".into(), "dry run — nothing was written".into()));
    }
    let pairs: Vec<(&str, String)> = f.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    env.out.fields(&pairs)
}
