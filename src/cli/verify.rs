//! `interlog verify`: checks the whole store; exit code 1 when problems are found.

use std::process::ExitCode;

use clap::Args;

use super::Env;
use interlog::ops::verify::verify;

#[derive(Args, Debug)]
pub struct VerifyArgs {}

pub fn run(env: &Env, _a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let store = env.open()?;
    let r = verify(&store)?;
    if env.out.json {
        env.out.json(&r)?;
    } else {
        env.out.line(format!(
            "checked {} values: {} entries, {} contact index items, {} logged segments, {} campaign entries, {} segments with {} lines, {} saved criteria",
            r.values, r.entries, r.index_items, r.logged_segments, r.campaign_entries, r.segments, r.segment_lines, r.saved_criteria
        ))?;
        for w in &r.warnings {
            env.out
                .line(format!("warning [{}]: {}", w.area, w.detail))?;
        }
        for p in &r.problems {
            env.out
                .line(format!("problem [{}]: {}", p.area, p.detail))?;
        }
        env.out.line(if r.is_ok() {
            "the store is consistent".to_string()
        } else {
            format!("{} problem(s) found", r.problems.len())
        })?;
    }
    Ok(if r.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
