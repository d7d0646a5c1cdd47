//! The CLI on the PostgreSQL backend: `--store postgres://…` names a catalog database, and
//! this module is the one dispatch point for every command that runs there.
//!
//! Commands that run on PostgreSQL so far: `init --shard URL …` and `company add|list|place|move`
//! ([`PG_COMMANDS`]). Every other command is refused with exit code 2 and that list; a command
//! moved to PostgreSQL gets an arm in [`run`] (most take the company's shard from
//! [`PgEnv::company_shard`], which refuses a missing `--company` by listing the companies).
//! A build without the `pg` feature refuses a PostgreSQL URL, saying how to build one.

use std::path::Path;
use std::process::ExitCode;

#[cfg(feature = "pg")]
use super::Command;
use super::{Cli, ExitWith};

/// True when `--store` names a PostgreSQL catalog rather than a store directory.
pub fn is_pg_url(store: &Path) -> bool {
    store
        .to_str()
        .is_some_and(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// What runs on the PostgreSQL backend so far, for refusals.
#[cfg(feature = "pg")]
pub const PG_COMMANDS: &str = "init --shard URL, company add, company list, company place, \
    company move, segment log, migrate";

/// The refusal of a build without the backend.
#[cfg(not(feature = "pg"))]
const NO_PG: &str = "--store names a PostgreSQL database, but this interlog was built without \
    the PostgreSQL backend — rebuild with `cargo build --release --features pg`";

/// Runs a command against a PostgreSQL catalog (refused: this build has no backend).
#[cfg(not(feature = "pg"))]
pub fn run(_cli: Cli, _ctx: interlog::ops::Ctx) -> anyhow::Result<ExitCode> {
    Err(ExitWith(interlog::exit::USAGE, NO_PG.to_string()).into())
}

/// Refuses an option that only means something on one backend.
pub fn refuse(what: &str) -> anyhow::Error {
    ExitWith(interlog::exit::USAGE, what.to_string()).into()
}

#[cfg(all(test, not(feature = "pg")))]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_build_without_the_backend_says_how_to_build_one() {
        let cli = Cli::try_parse_from([
            "interlog",
            "--store",
            "postgresql://me@127.0.0.1/catalog",
            "company",
            "list",
        ])
        .expect("parses in every build");
        assert!(is_pg_url(&cli.store));
        let ctx = interlog::ops::Ctx::now(interlog::domain::UserId::new("T").expect("user"));
        let err = run(cli, ctx).expect_err("refused");
        assert!(err.to_string().contains("built without the PostgreSQL backend — rebuild with `cargo build --release --features pg`"));
        assert_eq!(crate::cli::exit_code(&err), interlog::exit::USAGE);
    }
}

#[cfg(feature = "pg")]
pub use with_pg::*;

#[cfg(feature = "pg")]
mod with_pg {
    use super::*;
    use crate::cli::output::Out;
    use interlog::ops::Ctx;
    use interlog::pg::catalog::{Catalog, CompanyShard};
    use interlog::pg::PgError;

    /// Everything a command on the PostgreSQL backend needs. `ctx` and
    /// [`PgEnv::company_shard`] are for the commands that work on one company's data (wired in
    /// next: logging a segment, moving a store in); `init` and `company` do not need them.
    pub struct PgEnv {
        /// The catalog's URL (`--store`).
        pub url: String,
        /// `--company` / `INTERLOG_COMPANY`.
        pub company: Option<String>,
        /// User and work date.
        pub ctx: Ctx,
        /// Where results go.
        pub out: Out,
    }

    impl PgEnv {
        /// Opens the catalog (refusing one `init` never ran on).
        pub fn catalog(&self) -> anyhow::Result<Catalog> {
            Catalog::open(&self.url).map_err(fail)
        }

        /// The shard of the company `--company` names: refused when none is named (listing
        /// the companies), unknown or being moved.
        pub fn company_shard(&self) -> anyhow::Result<CompanyShard> {
            let mut cat = self.catalog()?;
            let company = cat
                .required_company(self.company.as_deref())
                .map_err(fail)?;
            cat.connect_company(&company.code).map_err(fail)
        }
    }

    /// A backend error as the CLI reports it: its message, and exit code 3 when a database is
    /// unreachable or not as interlog left it, 2 when `--company` is missing, 1 for a refusal.
    pub fn fail(e: PgError) -> anyhow::Error {
        let code = match &e {
            PgError::Connect { .. }
            | PgError::Sql { .. }
            | PgError::Stream { .. }
            | PgError::TooNew { .. }
            | PgError::TooOld { .. }
            | PgError::NotInitialised { .. }
            | PgError::WrongKind { .. }
            | PgError::BadValue { .. }
            | PgError::Local(_)
            | PgError::MoveMismatch { .. }
            | PgError::Inconsistent(_) => interlog::exit::STORE_UNAVAILABLE,
            PgError::CompanyNeeded { .. } => interlog::exit::USAGE,
            _ => interlog::exit::FAILURE,
        };
        // The message already holds the causes (`PgError` prints its source).
        ExitWith(code, e.to_string()).into()
    }

    /// Runs a parsed command against the catalog `cli.store` names.
    pub fn run(cli: Cli, ctx: Ctx) -> anyhow::Result<ExitCode> {
        let url = cli.store.to_string_lossy().into_owned();
        let env = PgEnv {
            url,
            company: cli.company,
            ctx,
            out: Out { json: cli.json },
        };
        match cli.command {
            Command::Init(a) => super::super::company::init(&env, a)?,
            Command::Company(c) => super::super::company::run(&env, c)?,
            Command::Segment(crate::cli::segment::SegmentCmd::Log {
                segment,
                follow_up,
                dry_run,
            }) => log_segment(&env, &segment, follow_up, dry_run)?,
            other => {
                let name = command_name(&other);
                return Err(refuse(&format!(
                    "`interlog {name}` does not run on the PostgreSQL backend yet — on \
                     PostgreSQL so far: {PG_COMMANDS} (use a store directory for the rest)"
                )));
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    /// `segment log` on the company's shard: the same checks, refusals and output as on a
    /// store directory.
    fn log_segment(
        env: &PgEnv,
        segment: &interlog::domain::SegmentNo,
        follow_up: bool,
        dry_run: bool,
    ) -> anyhow::Result<()> {
        use interlog::pg::log::PgLogError;
        let mut shard = env.company_shard()?;
        let res = interlog::pg::log::log_segment(
            &mut shard.client,
            shard.company.company_id,
            &env.ctx,
            segment,
            interlog::batch::LogOptions { follow_up, dry_run },
            &crate::cli::output::Bar::new(),
        );
        let res = match res {
            Ok(o) => Ok(o),
            Err(PgLogError::Refused(e)) => Err(e),
            Err(PgLogError::Pg(e)) => return Err(fail(e)),
            Err(e @ PgLogError::Inconsistent { .. }) => return Err(e.into()),
        };
        crate::cli::segment::print_log(&env.out, res, dry_run)
    }

    /// The command's name as typed (`LoggedSegment(…)` → `logged-segment`).
    fn command_name(c: &Command) -> String {
        let debug = format!("{c:?}");
        kebab(
            debug
                .split(|ch: char| !ch.is_alphanumeric())
                .next()
                .unwrap_or_default(),
        )
    }

    fn kebab(variant: &str) -> String {
        let mut out = String::new();
        for (i, ch) in variant.chars().enumerate() {
            if ch.is_uppercase() && i > 0 {
                out.push('-');
            }
            out.extend(ch.to_lowercase());
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn commands_are_named_as_typed() {
            assert_eq!(kebab("LoggedSegment"), "logged-segment");
            assert_eq!(kebab("Init"), "init");
            assert_eq!(
                command_name(&Command::Init(crate::cli::company::InitArgs::default())),
                "init"
            );
        }
    }
}
