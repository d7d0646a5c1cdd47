//! `interlog export …` (being built).

use clap::Args;

use super::Env;

#[derive(Args, Debug)]
pub struct ExportArgs {}

pub fn run(_env: &Env, _a: ExportArgs) -> anyhow::Result<()> {
    anyhow::bail!("export is not available yet")
}
