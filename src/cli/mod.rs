//! Command-line interface: clap types and the dispatch to the library.

mod batch;
mod campaign_entry;
mod cleanup;
#[cfg(test)]
mod contract;
mod demo;
mod export;
mod interaction;
mod master;
pub mod output;
pub mod panics;
mod saved_criteria;
mod segment;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use interlog::domain::UserId;
use interlog::ops::{Ctx, OpError};
use interlog::storage::{Outcome, StorageError, Store};

/// interlog — CRM interaction logging on an embedded store, modelled on Business Central's
/// Relationship Management.
#[derive(Parser, Debug)]
#[command(name = "interlog", version, about, long_about = None, after_help = EXIT_CODES, args_override_self = true)]
pub struct Cli {
    /// Store directory.
    #[arg(
        long,
        global = true,
        env = "INTERLOG_STORE",
        default_value = "interlog.db"
    )]
    pub store: PathBuf,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Usage date (BC's work date), YYYY-MM-DD; default today.
    #[arg(long, global = true, value_parser = parse_date)]
    pub work_date: Option<NaiveDate>,
    /// User id written on entries (BC's User ID, Code[50]: at most 50 characters, upper-cased,
    /// no control, invisible or bidi characters); default $USER, or INTERLOG when USER is unset
    /// or empty. An invalid id is refused, never cut.
    #[arg(long, global = true, value_name = "ID")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str =
    "Exit codes: 0 done · 1 refused (bad input or a business rule; nothing written) · \
2 usage error · 3 store unavailable (missing, in use, damaged, disk full) · 70 internal error (a bug)";

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    interlog::domain::parse_date("date", s).map_err(|e| e.to_string())
}

/// Commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new store with BC's default marketing number series.
    Init,
    /// Marketing setup.
    #[command(subcommand)]
    Setup(master::SetupCmd),
    /// User setup: the salesperson each user works as (BC's User Setup).
    #[command(subcommand, name = "user-setup")]
    UserSetup(master::UserSetupCmd),
    /// Number series.
    #[command(subcommand)]
    Series(master::SeriesCmd),
    /// Contacts.
    #[command(subcommand)]
    Contact(master::ContactCmd),
    /// Salespeople.
    #[command(subcommand)]
    Salesperson(master::SalespersonCmd),
    /// Interaction groups.
    #[command(subcommand)]
    Group(master::GroupCmd),
    /// Interaction templates.
    #[command(subcommand)]
    Template(master::TemplateCmd),
    /// Campaigns.
    #[command(subcommand)]
    Campaign(master::CampaignCmd),
    /// Import master data from CSV or JSON files (all-or-nothing per file).
    Import(master::ImportArgs),
    /// Interactions with one contact.
    #[command(subcommand)]
    Interaction(interaction::InteractionCmd),
    /// Interaction statistics.
    Stats(interaction::StatsArgs),
    /// Segments.
    #[command(subcommand)]
    Segment(segment::SegmentCmd),
    /// Logged segments.
    #[command(subcommand, name = "logged-segment")]
    LoggedSegment(segment::LoggedCmd),
    /// Saved segment criteria: list, show, delete (save and reuse them with `segment
    /// save-criteria` / `segment reuse-criteria`).
    #[command(subcommand, name = "saved-criteria")]
    SavedCriteria(saved_criteria::SavedCriteriaCmd),
    /// Campaign entries: list, show, cancel (with their interactions), statistics.
    #[command(subcommand, name = "campaign-entry")]
    CampaignEntry(campaign_entry::CampaignEntryCmd),
    /// Clean-up jobs.
    #[command(subcommand)]
    Cleanup(cleanup::CleanupCmd),
    /// Fill a store with synthetic contacts and one segment (benchmarks, demos).
    Gen(segment::GenArgs),
    /// Walk through the whole story on a fresh store, printing what happens.
    Demo(demo::DemoArgs),
    /// Export entries, logged segments, contacts or statistics as CSV or JSON.
    Export(export::ExportArgs),
    /// Check the whole store; exit code 1 when problems are found.
    Verify(verify::VerifyArgs),
    /// Nightly batch jobs.
    #[command(subcommand)]
    Batch(batch::BatchCmd),
}

/// Everything a command handler needs.
pub struct Env {
    pub store_path: PathBuf,
    pub ctx: Ctx,
    pub out: output::Out,
}

impl Env {
    /// Opens the store (recovery runs first).
    pub fn open(&self) -> anyhow::Result<Store> {
        let s = Store::open(&self.store_path)?;
        report_recovery(s.recovery());
        Ok(s)
    }
}

/// Tells, on stderr, what opening the store had to finish or clean up after an interrupted run.
pub fn report_recovery(r: &interlog::storage::RecoveryReport) {
    if r.journal_completed > 0 {
        eprintln!(
            "note: completed a change that was committed by an interrupted run ({} writes)",
            r.journal_completed
        );
    }
    if r.journal_dropped {
        eprintln!("note: dropped the record of a change an interrupted run never committed");
    }
    if r.unfinished_snapshots > 0 {
        eprintln!(
            "note: removed {} unfinished storage-engine snapshot file(s) left by an interrupted run",
            r.unfinished_snapshots
        );
    }
    let staged = r.staged_entry_blocks + r.staged_line_blocks + r.staged_index_blocks;
    if staged + r.garbage_line_blocks > 0 {
        eprintln!(
            "note: recovered the store after an interrupted run (staged blocks removed: {} entry, {} line, {} index; old line blocks removed: {})",
            r.staged_entry_blocks, r.staged_line_blocks, r.staged_index_blocks, r.garbage_line_blocks
        );
    }
}

/// The user id of this run: `--user`, else `$USER`, else `INTERLOG`. Either one is refused
/// when it is not a valid user id — an invalid `$USER` is not cleaned up behind the user's
/// back, the message says to pass `--user`.
fn user_id(given: Option<&str>) -> anyhow::Result<UserId> {
    if let Some(u) = given {
        return UserId::new(u).map_err(|e| anyhow::anyhow!("invalid --user: {e}"));
    }
    let Some(env) = std::env::var_os("USER").filter(|v| !v.is_empty()) else {
        return Ok(UserId::new(DEFAULT_USER)?);
    };
    let Some(text) = env.to_str() else {
        anyhow::bail!(
            "the environment's USER {env:?} is not valid UTF-8, so it cannot be a user id — pass --user ID"
        );
    };
    UserId::new(text).map_err(|e| {
        anyhow::anyhow!(
            "the environment's USER is not a valid user id: {e} — pass --user ID (at most {} characters, no control or invisible characters)",
            UserId::MAX_LEN
        )
    })
}

/// The user id when neither `--user` nor `$USER` gives one.
const DEFAULT_USER: &str = "INTERLOG";

/// Runs a parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut ctx = Ctx::now(user_id(cli.user.as_deref())?);
    if let Some(d) = cli.work_date {
        ctx = ctx.with_work_date(d);
    }
    let env = Env {
        store_path: cli.store,
        ctx,
        out: output::Out { json: cli.json },
    };
    match cli.command {
        Command::Init => master::init(&env),
        Command::Setup(c) => master::setup(&env, c),
        Command::UserSetup(c) => master::user_setup(&env, c),
        Command::Series(c) => master::series(&env, c),
        Command::Contact(c) => master::contact(&env, c),
        Command::Salesperson(c) => master::salesperson(&env, c),
        Command::Group(c) => master::group(&env, c),
        Command::Template(c) => master::template(&env, c),
        Command::Campaign(c) => master::campaign(&env, c),
        Command::Import(a) => master::import(&env, a),
        Command::Interaction(c) => interaction::run(&env, c),
        Command::Stats(a) => interaction::stats(&env, a),
        Command::Segment(c) => segment::run(&env, c),
        Command::LoggedSegment(c) => segment::logged(&env, c),
        Command::CampaignEntry(c) => campaign_entry::run(&env, c),
        Command::SavedCriteria(c) => saved_criteria::run(&env, c),
        Command::Cleanup(c) => cleanup::run(&env, c),
        Command::Gen(a) => segment::gen(&env, a),
        Command::Demo(a) => demo::run(&env, a),
        Command::Export(a) => export::run(&env, a),
        Command::Verify(a) => return verify::run(&env, a),
        Command::Batch(c) => return batch::run(&env, c),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// The storage error one link of an error chain is, or wraps directly (`OpError::Storage`, also
/// boxed as the import errors hold it).
fn storage_of<'a>(c: &'a (dyn std::error::Error + 'static)) -> Option<&'a StorageError> {
    if let Some(s) = c.downcast_ref::<StorageError>() {
        return Some(s);
    }
    let op = c
        .downcast_ref::<OpError>()
        .or_else(|| c.downcast_ref::<Box<OpError>>().map(|b| &**b));
    match op {
        Some(OpError::Storage(s)) => Some(s),
        _ => None,
    }
}

/// Exit code for an error: 3 when the store itself is the problem, 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    for c in e.chain() {
        if storage_of(c).is_some() {
            return 3;
        }
        if let Some(code) = c.downcast_ref::<ExitWith>() {
            return code.0;
        }
    }
    1
}

/// What a failed command left behind, from the storage error in its chain.
pub fn outcome(e: &anyhow::Error) -> Outcome {
    e.chain()
        .find_map(storage_of)
        .map_or(Outcome::NotCommitted, StorageError::outcome)
}

/// True when the error is (or wraps) a storage error.
pub fn is_storage_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| storage_of(c).is_some())
}

/// True when the error comes from a full disk.
pub fn is_disk_full(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| storage_of(c).is_some_and(StorageError::is_disk_full))
}

/// An error that asks for a specific exit code.
#[derive(Debug, thiserror::Error)]
#[error("{1}")]
pub struct ExitWith(pub u8, pub String);
