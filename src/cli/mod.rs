//! Command-line interface: clap types and the dispatch to the library.

mod backup;
mod batch;
mod campaign_entry;
mod cleanup;
mod company;
#[cfg(test)]
mod contract;
mod demo;
mod dump;
mod examples;
mod export;
mod interaction;
mod master;
mod migrate;
pub mod output;
pub mod panics;
mod pg;
mod report;
mod saved_criteria;
pub(crate) mod segment;
mod shell;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

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
    /// Or a PostgreSQL catalog, `postgres://…` / `postgresql://…` (built with `--features pg`):
    /// there `init --shard URL` and `company …` run so far.
    #[arg(
        long,
        global = true,
        env = "INTERLOG_STORE",
        default_value = "interlog.db",
        help_heading = GLOBAL
    )]
    pub store: PathBuf,
    /// PostgreSQL store only: the company to work on (see `company list`).
    #[arg(long, global = true, env = "INTERLOG_COMPANY", value_name = "CODE", help_heading = GLOBAL)]
    pub company: Option<String>,
    /// Print machine-readable JSON (errors too, on stderr).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    /// Usage date (BC's work date), YYYY-MM-DD; default today.
    #[arg(long, global = true, value_parser = parse_date, help_heading = GLOBAL)]
    pub work_date: Option<NaiveDate>,
    /// User id written on entries (BC's User ID, Code[50]: at most 50 characters, upper-cased,
    /// no control, invisible or bidi characters); default $USER, or INTERLOG when USER is unset
    /// or empty. An invalid id is refused, never cut.
    #[arg(long, global = true, value_name = "ID", help_heading = GLOBAL)]
    pub user: Option<String>,
    /// Wait up to SECONDS (decimals allowed) for another process using the store to finish,
    /// instead of failing at once (like `flock -w`). sled lets only one process open a store,
    /// so readers wait too. Default 0.75.
    #[arg(long, global = true, env = "INTERLOG_WAIT", value_name = "SECONDS", value_parser = parse_wait, help_heading = GLOBAL)]
    pub wait: Option<Duration>,
    #[command(subcommand)]
    pub command: Command,
}

/// Heading of the options every command takes.
const GLOBAL: &str = "Global options";

const EXIT_CODES: &str =
    "Exit codes: 0 done · 1 refused (bad input or a business rule; nothing written) · \
2 usage error · 3 store unavailable (missing, in use, damaged, disk full) · 70 internal error (a bug)";

/// The longest `--wait`: one day.
const MAX_WAIT_SECS: f64 = 86_400.0;

fn parse_wait(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds (e.g. 30 or 0.5)"))?;
    if !(0.0..=MAX_WAIT_SECS).contains(&secs) {
        return Err(format!(
            "{s} is out of range: give 0 to {MAX_WAIT_SECS} seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// How long a command waits for the store when `--wait` is not given.
const DEFAULT_WAIT: Duration = Duration::from_millis(750);

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    interlog::domain::parse_date("date", s).map_err(|e| e.to_string())
}

/// Commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new store with BC's default marketing number series; on PostgreSQL, set up
    /// the catalog and its shards (a company gets the series from `company add`).
    #[command(after_help = "Examples:
  interlog --store crm.db init
  interlog --store postgres://crm@db0/catalog init --shard postgres://crm@db1/crm --shard postgres://crm@db2/crm")]
    Init(company::InitArgs),
    /// Companies on a PostgreSQL store: add, list, place (which shard), move between shards.
    #[command(subcommand)]
    Company(company::CompanyCmd),
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
    /// Export entries, logged segments, contacts, master data or statistics as CSV, TSV, JSON
    /// or JSON Lines.
    Export(export::ExportArgs),
    /// Write a self-contained HTML report: entries over time by template, by salesperson and
    /// campaign, logged segments and their outcomes, batch jobs (no scripts, no network).
    #[command(after_help = "Example:\n  interlog --store crm.db report --out report.html")]
    Report(report::ReportArgs),
    /// Check the whole store; exit code 1 when problems are found.
    Verify(verify::VerifyArgs),
    /// Nightly batch jobs.
    #[command(subcommand)]
    Batch(batch::BatchCmd),
    /// Copy the store to a new directory, consistently (under the store's lock) and verified.
    #[command(after_help = "Example:\n  interlog --store crm.db backup /backups/crm-2026-12-02")]
    Backup(backup::BackupArgs),
    /// Copy a backup to --store (a new directory), verified.
    #[command(after_help = "Example:\n  interlog --store crm.db restore /backups/crm-2026-12-02")]
    Restore(backup::RestoreArgs),
    /// Write the whole store as JSON Lines (a header line, then one line per record), to move
    /// it between interlog versions and machines.
    #[command(
        after_help = "Example:\n  interlog --store crm.db dump --out crm.jsonl\n  interlog --store new.db load crm.jsonl"
    )]
    Dump(dump::DumpArgs),
    /// Load a file made by `interlog dump` into --store (a new store), all or nothing, verified.
    #[command(after_help = "Example:\n  interlog --store new.db load crm.jsonl")]
    Load(dump::LoadArgs),
    /// Move an embedded store into a company on PostgreSQL (resumable; counts and digests
    /// compared on both sides), or a company back into a new embedded store.
    #[command(after_help = "Examples:
  interlog migrate --from crm.db --to postgres://crm@db0/catalog --company CRONUS
  interlog migrate --from postgres://crm@db0/catalog --company CRONUS --to crm-copy.db")]
    Migrate(migrate::MigrateArgs),
    /// Filter syntax and fields (`interlog help filters`).
    #[command(long_about = shell::FILTERS_HELP)]
    Filters(shell::FiltersArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example:\n  interlog completions bash > ~/.local/share/bash-completion/completions/interlog"
    )]
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  interlog man > interlog.1 && man ./interlog.1")]
    Man(shell::ManArgs),
}

/// The command tree as `interlog` shows it: clap's, with an example on every leaf command.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    examples::with_examples(Cli::command())
}

/// Parses the process's arguments against [`command`].
pub fn try_parse() -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = command().try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// Everything a command handler needs.
pub struct Env {
    pub store_path: PathBuf,
    /// How long opening the store waits for another process (`--wait`).
    pub wait: Duration,
    pub ctx: Ctx,
    pub out: output::Out,
}

impl Env {
    /// Opens the store (recovery runs first).
    pub fn open(&self) -> anyhow::Result<Store> {
        let s = Store::open_waiting(&self.store_path, self.wait)?;
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
    if r.staged_contact_blocks + r.garbage_contact_blocks > 0 {
        eprintln!(
            "note: tidied the contact blocks after an interrupted run (staged blocks removed: {}; replaced blocks removed: {})",
            r.staged_contact_blocks, r.garbage_contact_blocks
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
    let needs_store = !matches!(
        cli.command,
        Command::Filters(_) | Command::Completions(_) | Command::Man(_) | Command::Migrate(_)
    );
    // migrate names its own store and catalog (--from / --to) and needs the company.
    let company = cli.company.clone();
    if needs_store && pg::is_pg_url(&cli.store) {
        return pg::run(cli, ctx);
    }
    if let Command::Init(a) = &cli.command {
        if !a.shard.is_empty() {
            return Err(pg::refuse(
                "--shard registers a shard of a PostgreSQL store: give --store postgres://… (the catalog); a store directory has no shards",
            ));
        }
    }
    let env = Env {
        store_path: cli.store,
        wait: cli.wait.unwrap_or(DEFAULT_WAIT),
        ctx,
        out: output::Out { json: cli.json },
    };
    match cli.command {
        Command::Init(_) => master::init(&env),
        Command::Company(_) => Err(pg::refuse(
            "`interlog company` works on a PostgreSQL store: give --store postgres://… (the catalog)",
        )),
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
        Command::Report(a) => report::run(&env, a),
        Command::Verify(a) => return verify::run(&env, a),
        Command::Backup(a) => backup::backup(&env, a),
        Command::Restore(a) => backup::restore(&env, a),
        Command::Dump(a) => dump::dump(&env, a),
        Command::Load(a) => dump::load(&env, a),
        Command::Migrate(a) => migrate::run(a, company, output::Out { json: env.out.json }),
        Command::Filters(_) => shell::filters(&env),
        Command::Completions(a) => shell::completions(&env, a),
        Command::Man(a) => shell::man(&env, a),
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
            return interlog::exit::STORE_UNAVAILABLE;
        }
        if let Some(code) = c.downcast_ref::<ExitWith>() {
            return code.0;
        }
    }
    interlog::exit::FAILURE
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

/// The storage error in an error's chain, if any.
fn storage_error(e: &anyhow::Error) -> Option<&StorageError> {
    e.chain().find_map(|c| {
        c.downcast_ref::<StorageError>()
            .or(match c.downcast_ref::<OpError>() {
                Some(OpError::Storage(s)) => Some(s),
                _ => None,
            })
    })
}

/// A short, stable name for what kind of failure `e` is (the `kind` of a JSON error): for the
/// store `store-missing`, `store-in-use`, `store-damaged`, `disk-full`, `store`; for a refusal
/// `not-found`, `already-exists`, `invalid`, `refused`.
pub fn error_kind(e: &anyhow::Error) -> &'static str {
    if let Some(s) = storage_error(e) {
        return match s {
            StorageError::NoStore { .. } => "store-missing",
            StorageError::InUse { .. } => "store-in-use",
            StorageError::Damaged { .. } | StorageError::BadValue { .. } => "store-damaged",
            s if s.is_disk_full() => "disk-full",
            _ => "store",
        };
    }
    for c in e.chain() {
        match c.downcast_ref::<OpError>() {
            Some(OpError::NotFound { .. }) => return "not-found",
            Some(OpError::AlreadyExists { .. }) => return "already-exists",
            Some(OpError::Domain(_)) => return "invalid",
            Some(_) => return "refused",
            None => {}
        }
        if c.downcast_ref::<interlog::domain::DomainError>().is_some() {
            return "invalid";
        }
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
        {
            return "not-found";
        }
    }
    "refused"
}

/// The JSON form of a failed command, printed on stderr under `--json`:
/// `{"error": {"kind", "message", "exit_code", "outcome"}}` — `outcome` (`not-committed`,
/// `committed`, `unknown`) only when a store error tells it.
pub fn error_json(e: &anyhow::Error) -> serde_json::Value {
    if failed_after_commit(e) {
        return serde_json::json!({ "error": {
            "kind": "after-commit",
            "message": output::printable_lines(&output::error_text(e)),
            "exit_code": interlog::exit::STORE_UNAVAILABLE,
            "outcome": "committed",
        }});
    }
    let mut err = serde_json::json!({
        "kind": error_kind(e),
        "message": output::printable_lines(&output::error_text(e)),
        "exit_code": exit_code(e),
    });
    if storage_error(e).is_some() {
        err["outcome"] = match outcome(e) {
            Outcome::NotCommitted => "not-committed",
            Outcome::Committed => "committed",
            Outcome::Unknown => "unknown",
        }
        .into();
    }
    serde_json::json!({ "error": err })
}

/// True when the command's change was committed and what failed came after it (say, printing
/// its report to a full disk): exit code 1 would say nothing was written, so it exits 3 and
/// says the change is committed.
pub fn failed_after_commit(e: &anyhow::Error) -> bool {
    outcome(e) == Outcome::NotCommitted
        && !is_storage_error(e)
        && interlog::storage::journal::committed_in_this_process()
}

/// An error that asks for a specific exit code.
#[derive(Debug, thiserror::Error)]
#[error("{1}")]
pub struct ExitWith(pub u8, pub String);
