//! `company add|list|place|move` and `init --shard`: companies and shards on the PostgreSQL
//! backend (`--store postgres://…`, the catalog).
//!
//! `company place` shows placement: without a company, every shard with the companies on it
//! and the shard `company add` would pick next (the one with the fewest companies); with one
//! (`company place CODE` or `--company CODE`), the shard it lives on and whether it is being
//! moved. To choose a shard, give `company add --shard ID` or `company move --to-shard ID`.
//!
//! The clap types exist in every build (one command tree, one CLI contract); running them
//! needs the `pg` feature.

use clap::{Args, Subcommand};

use super::master::val;
use interlog::domain::CompanyCode;

/// `interlog init`'s options.
#[derive(Args, Debug, Default)]
pub struct InitArgs {
    /// PostgreSQL store only: a shard database to register (repeat for several). Running
    /// `init` again migrates the catalog and every shard, and adds new shard URLs.
    #[arg(long, value_name = "URL")]
    pub shard: Vec<String>,
}

/// Companies on the PostgreSQL backend.
#[derive(Subcommand, Debug)]
pub enum CompanyCmd {
    /// Add a company with BC's marketing number series (CONT, SEGM, CAMP) and setup, on the
    /// shard with the fewest companies unless --shard says which.
    #[command(after_help = "Example:
  interlog --store postgres://crm@db0/catalog company add CRONUS --name 'CRONUS UK Ltd.' --shard 2")]
    Add {
        /// Company code (at most 30 characters, upper-cased).
        #[arg(value_parser = val::<CompanyCode>)]
        code: CompanyCode,
        /// Company name.
        #[arg(long, default_value = "")]
        name: String,
        /// Shard id to place it on (see `company place`).
        #[arg(long, value_name = "ID")]
        shard: Option<i32>,
    },
    /// List companies with their shard and state.
    #[command(after_help = "Example:
  interlog --store postgres://crm@db0/catalog company list --json")]
    List,
    /// Show placement: every shard with its companies and the shard the next company goes to;
    /// with a company, the shard it lives on.
    #[command(after_help = "Example:
  interlog --store postgres://crm@db0/catalog company place
  interlog --store postgres://crm@db0/catalog company place CRONUS")]
    Place {
        /// A company (default: --company; without either, every shard).
        #[arg(value_parser = val::<CompanyCode>)]
        code: Option<CompanyCode>,
    },
    /// Move a company to another shard: a verified copy (row counts and digests per table)
    /// while the company is refused, then the switch, then the old rows are deleted. An
    /// interrupted move is finished by running it again, or undone with --to-shard of the
    /// shard it is on.
    #[command(after_help = "Example:
  interlog --store postgres://crm@db0/catalog company move CRONUS --to-shard 2")]
    Move {
        /// The company (default: --company).
        #[arg(value_parser = val::<CompanyCode>)]
        code: Option<CompanyCode>,
        /// The shard to move it to.
        #[arg(long, value_name = "ID")]
        to_shard: i32,
    },
}

#[cfg(feature = "pg")]
pub use with_pg::*;

#[cfg(feature = "pg")]
mod with_pg {
    use super::*;
    use crate::cli::pg::{fail, PgEnv};
    use interlog::pg::catalog::{Catalog, Company, CompanyState};
    use interlog::pg::redact;

    /// `init` on a PostgreSQL store: migrates the catalog, registers and migrates the shards.
    pub fn init(env: &PgEnv, a: InitArgs) -> anyhow::Result<()> {
        let r = Catalog::init(&env.url, &a.shard).map_err(fail)?;
        if env.out.json {
            return env.out.json(&r);
        }
        env.out.line(format!(
            "catalog {}: {}",
            redact(&r.catalog),
            migrations(&r.catalog_migrations)
        ))?;
        for s in &r.shards {
            env.out.line(format!(
                "shard {} {}{}: {}",
                s.shard_id,
                redact(&s.url),
                if s.added { " (added)" } else { "" },
                migrations(&s.migrations)
            ))?;
        }
        Ok(())
    }

    fn migrations(v: &[i32]) -> String {
        if v.is_empty() {
            "schema up to date".into()
        } else {
            format!(
                "applied migration(s) {}",
                v.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            )
        }
    }

    fn state(c: &Company) -> String {
        match (c.state, c.moving_to) {
            (CompanyState::Moving, Some(to)) => format!("moving to shard {to}"),
            (CompanyState::Moving, None) => "moving".into(),
            (CompanyState::Active, _) => "active".into(),
        }
    }

    fn table(env: &PgEnv, companies: &[Company]) -> anyhow::Result<()> {
        let rows: Vec<Vec<String>> = companies
            .iter()
            .map(|c| {
                vec![
                    c.code.clone(),
                    c.name.clone(),
                    c.shard_id.to_string(),
                    redact(&c.shard_url),
                    state(c),
                ]
            })
            .collect();
        env.out
            .table(&["company", "name", "shard", "shard url", "state"], &rows)
    }

    /// `company …`.
    pub fn run(env: &PgEnv, c: CompanyCmd) -> anyhow::Result<()> {
        let mut cat = env.catalog()?;
        match c {
            CompanyCmd::Add { code, name, shard } => {
                let c = cat.add_company(code.as_str(), &name, shard).map_err(fail)?;
                if env.out.json {
                    return env.out.json(&c);
                }
                env.out.line(format!(
                    "added company {} on shard {} ({}) with number series CONT, SEGM, CAMP wired into marketing setup",
                    c.code,
                    c.shard_id,
                    redact(&c.shard_url)
                ))
            }
            CompanyCmd::List => {
                let all = cat.companies().map_err(fail)?;
                if env.out.json {
                    return env.out.json(&all);
                }
                table(env, &all)
            }
            CompanyCmd::Place { code } => {
                let code = code.map(|c| c.to_string()).or_else(|| env.company.clone());
                if let Some(code) = code {
                    let c = cat.company(&code).map_err(fail)?;
                    if env.out.json {
                        return env.out.json(&c);
                    }
                    return table(env, std::slice::from_ref(&c));
                }
                let p = cat.placement().map_err(fail)?;
                let all = cat.companies().map_err(fail)?;
                if env.out.json {
                    let shards: Vec<serde_json::Value> = p
                        .shards
                        .iter()
                        .map(|s| {
                            serde_json::json!({
                                "shard_id": s.shard_id,
                                "url": redact(&s.url),
                                "companies": s.companies,
                                "company_codes": all.iter().filter(|c| c.shard_id == s.shard_id)
                                    .map(|c| c.code.clone()).collect::<Vec<_>>(),
                            })
                        })
                        .collect();
                    return env
                        .out
                        .json(&serde_json::json!({"shards": shards, "next_shard": p.next_shard}));
                }
                let rows: Vec<Vec<String>> = p
                    .shards
                    .iter()
                    .map(|s| {
                        let codes: Vec<&str> = all
                            .iter()
                            .filter(|c| c.shard_id == s.shard_id)
                            .map(|c| c.code.as_str())
                            .collect();
                        vec![
                            s.shard_id.to_string(),
                            redact(&s.url),
                            codes.len().to_string(),
                            codes.join(" "),
                            if s.shard_id == p.next_shard {
                                "next".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect();
                env.out
                    .table(&["shard", "url", "count", "companies", "add"], &rows)
            }
            CompanyCmd::Move { code, to_shard } => {
                let code = code.map(|c| c.to_string()).or_else(|| env.company.clone());
                let company = cat.required_company(code.as_deref()).map_err(fail)?;
                let r = cat.move_company(&company.code, to_shard).map_err(fail)?;
                if env.out.json {
                    return env.out.json(&r);
                }
                if let Some(s) = r.leftover_removed {
                    env.out.line(format!(
                        "removed the old copy of company {} left on shard {s} by an earlier move",
                        r.company
                    ))?;
                }
                match r.outcome {
                    "already-there" => env.out.line(format!(
                        "company {} is on shard {} already; nothing moved",
                        r.company, r.to_shard
                    )),
                    "undone" => env.out.line(format!(
                        "undid the interrupted move of company {}: it stays on shard {}",
                        r.company, r.to_shard
                    )),
                    _ => {
                        env.out.line(format!(
                            "{} company {} from shard {} to shard {}: {} rows in {} tables, counts and digests equal on both sides",
                            if r.resumed { "finished moving" } else { "moved" },
                            r.company,
                            r.from_shard,
                            r.to_shard,
                            r.rows,
                            r.tables.len()
                        ))
                    }
                }
            }
        }
    }
}
