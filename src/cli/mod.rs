//! Command-line interface: clap types and the dispatch to the library.

mod batch;
mod campaign_entry;
mod cleanup;
mod demo;
mod export;
mod interaction;
mod master;
pub mod output;
mod saved_criteria;
mod segment;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use interlog::ops::{Ctx, OpError};
use interlog::storage::{StorageError, Store};

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
    /// User id written on entries; default $USER.
    #[arg(long, global = true, env = "USER", default_value = "INTERLOG")]
    pub user: String,
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str =
    "Exit codes: 0 done · 1 refused (bad input or a business rule; nothing written) · \
2 usage error · 3 store unavailable (missing, in use, damaged, disk full)";

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
        let r = s.recovery();
        if !r.is_clean() {
            eprintln!(
                "note: recovered the store after an interrupted run (staged blocks removed: {} entry, {} line, {} index; old line blocks removed: {})",
                r.staged_entry_blocks, r.staged_line_blocks, r.staged_index_blocks, r.garbage_line_blocks
            );
        }
        Ok(s)
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut ctx = Ctx::now(&cli.user);
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

/// Exit code for an error: 3 when the store itself is the problem, 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    for c in e.chain() {
        if c.downcast_ref::<StorageError>().is_some() {
            return 3;
        }
        if let Some(OpError::Storage(_)) = c.downcast_ref::<OpError>() {
            return 3;
        }
        if let Some(code) = c.downcast_ref::<ExitWith>() {
            return code.0;
        }
    }
    1
}

/// True when the error comes from a full disk.
pub fn is_disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<StorageError>()
            .is_some_and(|s| s.is_disk_full())
            || matches!(c.downcast_ref::<OpError>(), Some(OpError::Storage(s)) if s.is_disk_full())
    })
}

/// An error that asks for a specific exit code.
#[derive(Debug, thiserror::Error)]
#[error("{1}")]
pub struct ExitWith(pub u8, pub String);
