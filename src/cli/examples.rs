//! One example for every leaf command whose `after_help` has none: added to
//! clap's command tree by [`with_examples`], so `--help`, the man page and completions show
//! them. A unit test checks that every leaf command has an example and that each example
//! parses as a command line.

/// Command path → example command line.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("init", "interlog --store crm.db init"),
    ("setup show", "interlog setup show --json"),
    ("setup set", "interlog setup set --default-salesperson JO"),
    ("series add", "interlog series add INT --description Interactions --starting-no INT0001 --ending-no INT9999"),
    ("series add-line", "interlog series add-line INT --starting-no INT10000 --starting-date 2026-01-01"),
    ("series list", "interlog series list"),
    ("series next", "interlog series next CONT"),
    ("series peek", "interlog series peek CONT"),
    ("series set", "interlog series set CONT --manual-nos true"),
    ("user-setup set", "interlog user-setup set ALICE --salesperson JO"),
    ("user-setup show", "interlog user-setup show ALICE"),
    ("user-setup list", "interlog user-setup list --json"),
    ("user-setup delete", "interlog user-setup delete ALICE"),
    ("contact add", "interlog contact add --name Fabrikam --kind company --email info@fabrikam.example"),
    ("contact list", "interlog contact list --filter 'City=Manchester|London' --limit 20"),
    ("contact show", "interlog contact show CT100125"),
    ("salesperson add", "interlog salesperson add --code JO --name 'Jim Olive'"),
    ("salesperson list", "interlog salesperson list --json"),
    ("group add", "interlog group add --code LETTER --description Letters"),
    ("group list", "interlog group list"),
    ("template add", "interlog template add --code BUS --group LETTER --description 'Business letter'"),
    ("template list", "interlog template list"),
    ("campaign add", "interlog campaign add --description 'Spring fair' --starting-date 2026-03-01"),
    ("campaign list", "interlog campaign list --json"),
    ("import", "interlog import contacts.csv --mode skip-existing"),
    ("interaction create", "interlog interaction create --contact CT100125 --template BUS --cost 8.00"),
    ("interaction list", "interlog interaction list --contact CT100125 --json"),
    ("interaction show", "interlog interaction show 1"),
    ("interaction postponed", "interlog interaction postponed"),
    ("interaction resume", "interlog interaction resume 2 --evaluation positive"),
    ("interaction delete", "interlog interaction delete 2 3"),
    ("interaction cancel", "interlog interaction cancel 1 2 --canceled true"),
    ("interaction edit", "interlog interaction edit 3 --evaluation positive --comment 'call back'"),
    ("stats", "interlog stats --by salesperson"),
    ("segment create", "interlog segment create --description 'Increase sale' --salesperson HR"),
    ("segment set-interaction", "interlog segment set-interaction SM00001 --template BUS"),
    ("segment add-contacts", "interlog segment add-contacts SM00001 --filter 'City=Manchester|Newport'"),
    ("segment reduce", "interlog segment reduce SM00001 --filter 'Type=Person'"),
    ("segment refine", "interlog segment refine SM00001 --filter 'Salesperson Code=HR'"),
    ("segment go-back", "interlog segment go-back SM00001"),
    ("segment add-line", "interlog segment add-line SM00001 --contact CT100125"),
    ("segment remove-line", "interlog segment remove-line SM00001 20000"),
    ("segment set-line", "interlog segment set-line SM00001 20000 --cost 12.50"),
    ("segment show", "interlog segment show SM00001 --json"),
    ("segment list", "interlog segment list"),
    ("segment reuse-logged", "interlog segment reuse-logged SM00002 --logged 1"),
    ("segment save-criteria", "interlog segment save-criteria SM00001 --code MANNEW"),
    ("segment reuse-criteria", "interlog segment reuse-criteria SM00002 --code MANNEW"),
    ("segment log", "interlog segment log SM00001 --follow-up --dry-run"),
    ("logged-segment list", "interlog logged-segment list"),
    ("logged-segment show", "interlog logged-segment show 1 --json"),
    ("logged-segment cancel", "interlog logged-segment cancel 1 --canceled true"),
    ("logged-segment follow-up", "interlog logged-segment follow-up 1 --evaluation positive"),
    ("saved-criteria list", "interlog saved-criteria list"),
    ("saved-criteria show", "interlog saved-criteria show MANNEW"),
    ("saved-criteria delete", "interlog saved-criteria delete MANNEW"),
    ("campaign-entry list", "interlog campaign-entry list --json"),
    ("campaign-entry show", "interlog campaign-entry show 1"),
    ("campaign-entry cancel", "interlog campaign-entry cancel 1"),
    ("campaign-entry stats", "interlog campaign-entry stats"),
    ("cleanup canceled-entries", "interlog cleanup canceled-entries --date ..2025-03-31 --dry-run"),
    ("cleanup canceled-logged-segments", "interlog cleanup canceled-logged-segments --dry-run"),
    ("cleanup canceled-campaign-entries", "interlog cleanup canceled-campaign-entries"),
    ("gen", "interlog --store /tmp/big.db gen --contacts 1000000"),
    ("demo", "interlog --store /tmp/demo.db demo --reset"),
    ("export entries", "interlog export entries --campaign CP1001 --format csv --delimiter ';' --bom --out entries.csv"),
    ("export logged-segments", "interlog export logged-segments --format jsonl"),
    ("export contacts", "interlog export contacts --headers bc --out contacts.csv"),
    ("export salespeople", "interlog export salespeople --out salespeople.csv"),
    ("export groups", "interlog export groups --format json"),
    ("export templates", "interlog export templates --headers bc"),
    ("export campaigns", "interlog export campaigns --format tsv"),
    ("export stats", "interlog export stats --by campaign --format json"),
    ("verify", "interlog verify --json"),
    ("batch run", "interlog batch run fixtures/jobs/nightly.json"),
    ("filters", "interlog help filters"),
    ("completions", "interlog completions bash"),
    ("man", "interlog man"),
];

/// `cmd` with the example of [`EXAMPLES`] as `after_help` of every leaf command that has none.
pub fn with_examples(cmd: clap::Command) -> clap::Command {
    fn walk(cmd: clap::Command, path: &str) -> clap::Command {
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .filter(|n| n != "help")
            .collect();
        if names.is_empty() {
            let own = cmd.get_after_help().map(|h| h.to_string());
            if own.as_deref().is_some_and(|h| h.contains("Example")) {
                return cmd;
            }
            return match EXAMPLES.iter().find(|(p, _)| *p == path) {
                Some((_, ex)) => {
                    let text = match own {
                        Some(h) => format!("{h}\n\nExample:\n  {ex}"),
                        None => format!("Example:\n  {ex}"),
                    };
                    cmd.after_help(text)
                }
                None => cmd,
            };
        }
        let mut cmd = cmd;
        for n in names {
            let sub_path = if path.is_empty() {
                n.clone()
            } else {
                format!("{path} {n}")
            };
            cmd = cmd.mut_subcommand(n, |s| walk(s, &sub_path));
        }
        cmd
    }
    walk(cmd, "")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    fn leaves(cmd: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() {
            out.push((path.clone(), cmd.clone()));
        }
        for s in subs {
            let p = if path.is_empty() {
                s.get_name().to_string()
            } else {
                format!("{path} {}", s.get_name())
            };
            leaves(s, p, out);
        }
    }

    /// Splits a shell command line with single-quoted words (all the examples need).
    fn words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut any = false;
        for c in line.chars() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    any = true;
                }
                ' ' if !quoted => {
                    if any || !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    any = false;
                }
                c => cur.push(c),
            }
        }
        if any || !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    #[test]
    fn every_leaf_command_has_an_example_that_parses() {
        let cmd = with_examples(Cli::command());
        let mut all = Vec::new();
        leaves(&cmd, String::new(), &mut all);
        assert!(all.len() > 50);
        let mut missing = Vec::new();
        for (path, c) in &all {
            let help = c
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            if !help.contains("Example") {
                missing.push(path.clone());
            }
        }
        assert!(missing.is_empty(), "no example: {missing:?}");
        for (path, ex) in EXAMPLES {
            let w = words(ex);
            assert_eq!(w[0], "interlog", "{ex}");
            if *path == "filters" {
                continue; // `help filters` is clap's help subcommand
            }
            if let Err(e) = Cli::command().try_get_matches_from(&w) {
                panic!("example of {path} does not parse: {ex}\n{e}");
            }
        }
    }
}
