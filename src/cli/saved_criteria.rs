//! `saved-criteria …`: saved segment criteria (BC: Saved Segment Criteria List / Card).

use clap::Subcommand;

use super::master::val;
use super::Env;
use interlog::domain::*;
use interlog::ops::saved_criteria::{self, SavedCriteriaView};

#[derive(Subcommand, Debug)]
pub enum SavedCriteriaCmd {
    /// List saved criteria with their number of actions.
    #[command(after_help = "Example:
  interlog saved-criteria list --json")]
    List,
    /// Show saved criteria with their actions.
    #[command(after_help = "Example:
  interlog saved-criteria show NEWPORT")]
    Show {
        /// Code.
        #[arg(value_parser = val::<CriteriaCode>)]
        code: CriteriaCode,
    },
    /// Delete saved criteria.
    #[command(after_help = "Example:
  interlog saved-criteria delete NEWPORT")]
    Delete {
        /// Code.
        #[arg(value_parser = val::<CriteriaCode>)]
        code: CriteriaCode,
    },
}

fn actions(v: &SavedCriteriaView) -> Vec<String> {
    v.criteria
        .actions
        .iter()
        .zip(1u32..)
        .map(|(a, no)| describe_action(no, a.kind, &a.filters, a.logged_segment))
        .collect()
}

pub fn run(env: &Env, c: SavedCriteriaCmd) -> anyhow::Result<()> {
    let store = env.open()?;
    match c {
        SavedCriteriaCmd::List => {
            let list = saved_criteria::list(&store)?;
            if env.out.json {
                return env.out.json(&list);
            }
            env.out.table(
                &["CODE", "DESCRIPTION", "USER", "ACTIONS"],
                &list
                    .iter()
                    .map(|v| {
                        vec![
                            v.criteria.code.to_string(),
                            v.criteria.description.clone(),
                            v.criteria.user_id.to_string(),
                            v.no_of_actions.to_string(),
                        ]
                    })
                    .collect::<Vec<_>>(),
            )
        }
        SavedCriteriaCmd::Show { code } => {
            let v = saved_criteria::get(&store, &code)?;
            if env.out.json {
                return env.out.json(&v);
            }
            let mut f = vec![
                ("code", v.criteria.code.to_string()),
                ("description", v.criteria.description.clone()),
                ("user", v.criteria.user_id.to_string()),
                ("actions", v.no_of_actions.to_string()),
            ];
            for a in actions(&v) {
                f.push(("action", a));
            }
            env.out.fields(&f)
        }
        SavedCriteriaCmd::Delete { code } => {
            let v = saved_criteria::delete(&store, &code)?;
            if env.out.json {
                env.out.json(&v)
            } else {
                env.out.line(format!(
                    "deleted saved criteria {} ({} action(s))",
                    v.criteria.code, v.no_of_actions
                ))
            }
        }
    }
}
