//! `interlog batch …` (being built).

use std::process::ExitCode;

use clap::Subcommand;

use super::Env;

#[derive(Subcommand, Debug)]
pub enum BatchCmd {
    /// Run a job file.
    Run,
}

pub fn run(_env: &Env, _c: BatchCmd) -> anyhow::Result<ExitCode> {
    anyhow::bail!("batch jobs are not available yet")
}
