//! `interlog verify` (being built).

use std::process::ExitCode;

use clap::Args;

use super::Env;

#[derive(Args, Debug)]
pub struct VerifyArgs {}

pub fn run(_env: &Env, _a: VerifyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("verify is not available yet")
}
