//! `interlog demo`: the whole story on a fresh store (filled in below).

use clap::Args;

use super::Env;

#[derive(Args, Debug)]
pub struct DemoArgs {}

pub fn run(_env: &Env, _a: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("demo: not yet")
}
