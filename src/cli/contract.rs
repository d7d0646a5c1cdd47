//! The command-line contract: **every leaf command and every one of its options is run through
//! the binary by a named integration test**, and this module fails when one is not.
//!
//! How it works:
//! 1. [`required`] walks clap's command tree (`Cli::command()`) and lists what must be run:
//!    every leaf command (`-`), its `--json` output (each command renders its own), each of its
//!    own options, and, once, each global option that `cli::run` handles for every command
//!    (`--store`, `--work-date`, `--user`, under the path `*`).
//! 2. [`COVERAGE`] is the reviewed table: command path, options, and the test that runs them.
//! 3. The contract test checks that the table lists everything [`required`] finds, nothing
//!    else (no stale rows), and that each named test **exists** in `tests/<file>.rs`, is a
//!    `#[test]` that is not `#[ignore]`d, and **really passes those arguments to the binary**:
//!    its body holds an array of string literals (`&["segment", "set-line", …, "--cost", …]`,
//!    `vec![…]` or `.args([…])`) with the command path as consecutive words and each option
//!    after it (`--opt` or `--opt=value`), and it calls one of the binary runners
//!    ([`RUNNERS`]). A `.json(&[…])` call counts as passing `--json` (the helpers in
//!    `tests/common/bin.rs` and `tests/cli.rs` prepend it). For a `*` row the option must be a
//!    string literal anywhere in the test's body.
//!
//! So a renamed option, a removed test, a test that no longer passes an option or a command
//! nobody runs all fail here, with the rows to add or fix printed in the table's format.
//!
//! # How to add rows
//! A new command or option fails this test with the missing rows printed, e.g.
//! `user-setup set | --salesperson | ???`. Write (or pick) an integration test that runs the
//! binary with those arguments *as literals in its body* — preferably one per capability in
//! its own file, using `tests/common/bin.rs` (`Bin::demo()`, `ok`, `json`, `fails`) — and add
//! a row:
//!
//! ```text
//! user-setup set | - --json --salesperson | user_setup::a_user_setup_gives_the_users_salesperson
//! ```
//!
//! * column 1: the command path as typed (`segment set-line`), or `*` for a global option;
//! * column 2: space-separated: `-` for the command itself, `--json`, and its options by long
//!   name (a positional argument that may be left out is written `<ID>`);
//! * column 3: `file::test` — the test function `test` in `tests/file.rs`.
//!
//! Keep the rows of one command together and in the order of `interlog help`; a command may
//! have several rows naming different tests. Run `cargo test --release --bin interlog contract`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use clap::CommandFactory;
use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::Cli;

/// Names of calls that run the binary: `Bin`'s and `tests/cli.rs`'s helpers (also as free
/// functions, as in `tests/bad_input.rs`), and `std::process::Command::args`.
pub const RUNNERS: &[&str] = &["ok", "json", "fails", "run", "args"];

/// What must be run: (command path, option). The option is `-` for the command itself.
pub fn required() -> BTreeSet<(String, String)> {
    let mut root = Cli::command();
    root.build();
    let mut out = BTreeSet::new();
    let globals: BTreeSet<String> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    for a in root.get_arguments().filter(|a| a.is_global_set()) {
        let long = a.get_long().expect("global options have a long name");
        if long != "json" {
            out.insert(("*".to_string(), format!("--{long}")));
        }
    }
    fn walk(
        cmd: &clap::Command,
        path: &mut Vec<String>,
        globals: &BTreeSet<String>,
        out: &mut BTreeSet<(String, String)>,
    ) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() {
            let p = path.join(" ");
            out.insert((p.clone(), "-".into()));
            out.insert((p.clone(), "--json".into()));
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if globals.contains(id) || id == "help" || id == "version" {
                    continue;
                }
                match a.get_long() {
                    Some(long) => {
                        out.insert((p.clone(), format!("--{long}")));
                    }
                    None if !a.is_required_set() => {
                        out.insert((p.clone(), format!("<{id}>")));
                    }
                    None => {}
                }
            }
            return;
        }
        for s in subs {
            path.push(s.get_name().to_string());
            walk(s, path, globals, out);
            path.pop();
        }
    }
    walk(&root, &mut Vec::new(), &globals, &mut out);
    out
}

/// The reviewed coverage table (see the module docs for the format and how to add rows).
pub const COVERAGE: &str = r#"
# Global options that `cli::run` handles once for every command.
*                                | --store --work-date --user | cli_options::global_options_name_the_store_the_work_date_and_the_user
*                                | --wait | waiting::a_waiter_that_runs_out_of_time_names_the_holder
*                                | --company | pg_companies::companies_are_spread_over_the_shards_with_the_setup_of_a_new_store

init                             | - --json | cli_options::init_reports_the_store_and_its_setup_as_json
init                             | --shard | pg_companies::init_registers_shards_migrates_them_and_is_safe_to_run_again
company add                      | - --json --name --shard | pg_companies::companies_are_spread_over_the_shards_with_the_setup_of_a_new_store
company list                     | - --json | pg_companies::companies_are_spread_over_the_shards_with_the_setup_of_a_new_store
company place                    | - --json <code> | pg_companies::companies_are_spread_over_the_shards_with_the_setup_of_a_new_store
company move                     | - --json --to-shard <code> | pg_companies::a_move_keeps_every_row_and_never_touches_another_companys
setup show                       | - --json | cli_options::setup_set_changes_and_clears_every_setting
setup set                        | - --json --contact-nos --segment-nos --campaign-nos --default-salesperson --default-correspondence-type --default-language | cli_options::setup_set_changes_and_clears_every_setting
series add                       | - --json --description --starting-no --ending-no --warning-no --increment-by --starting-date --manual-nos --no-default-nos | cli_options::series_add_and_add_line_take_every_option
series add-line                  | - --json --starting-no --ending-no --warning-no --increment-by --starting-date --last-no-used | cli_options::series_add_and_add_line_take_every_option
user-setup set                   | - --json --salesperson | user_setup::user_setup_commands_through_the_binary
user-setup show                  | - --json <user_id> | user_setup::user_setup_commands_through_the_binary
user-setup list                  | - --json | user_setup::user_setup_commands_through_the_binary
user-setup delete                | - --json | user_setup::user_setup_commands_through_the_binary
series set                       | - --json --description --default-nos --manual-nos | number_series::series_set_changes_the_flags_and_says_what_else_changed
series list                      | - --json | cli::init_creates_bcs_number_series_and_refuses_an_existing_store
series peek                      | - --json | cli_options::series_add_and_add_line_take_every_option
series next                      | - --json | cli::series_peek_consumes_nothing_and_next_draws
contact add                      | - --json --no --name --kind --company-no --email --salesperson --correspondence-type --privacy-blocked --exclude-from-segment --city --post-code --country --phone --language | cli_options::contact_add_takes_every_option
contact list                     | - --json | cli::long_listings_are_streamed_whole
contact list                     | --filter --limit | contact_list::contact_list_filters_with_bc_syntax_and_limits
contact show                     | - --json | cli_options::contact_add_takes_every_option
salesperson add                  | - --json --code --name --email --blocked | cli_options::salespeople_groups_and_templates_take_every_option
salesperson list                 | - --json | cli_options::salespeople_groups_and_templates_take_every_option
group add                        | - --json --code --description | cli_options::salespeople_groups_and_templates_take_every_option
group list                       | - --json | cli_options::salespeople_groups_and_templates_take_every_option
template add                     | - --json --code --group --description --unit-cost --unit-duration --flow --initiated-by --correspondence-type --ignore-contact-correspondence-type --campaign --language | cli_options::salespeople_groups_and_templates_take_every_option
template list                    | - --json | cli::every_listing_has_json
campaign add                     | - --json --no --description --salesperson --starting-date --ending-date | cli_options::campaign_add_and_list_take_every_option
campaign list                    | - --json | cli_options::campaign_add_and_list_take_every_option
import                           | - --json --kind | cli_options::import_takes_a_kind_and_reports_json
import                           | --format --delimiter --raw | formats::every_export_takes_delimiter_bom_raw_and_headers
import                           | --mode --dry-run | import_modes::modes_make_an_import_re_runnable

interaction create               | - --json --contact --template --salesperson --description --subject --cost --duration --evaluation --failed --campaign --correspondence-type --comment --from-entry | cli_options::interaction_create_takes_every_field
interaction create               | --postpone | cli::postpone_resume_cancel_round_trip
interaction create               | --idempotency-key | retries::the_same_idempotency_key_and_request_creates_once_and_answers_with_the_first_entry
interaction list                 | - --json --template --salesperson --campaign --segment --logged-segment --not-canceled --from --to | cli_options::interaction_list_filters_by_every_field
interaction list                 | --contact | cli::creating_an_interaction_prints_the_entry_it_wrote
interaction list                 | --canceled | cli::segment_commands_follow_the_contract
interaction list                 | --limit | cli::long_listings_are_streamed_whole
interaction list                 | --entry --date --group --campaign-entry | cleanup::cleanup_canceled_entries_takes_entry_contact_date_and_campaign_filters
interaction show                 | - --json | cli_options::interaction_edit_show_and_stats_take_every_option
interaction postponed            | - --json | cli::postpone_resume_cancel_round_trip
interaction resume               | - --json --template --salesperson --description --subject --cost --duration --evaluation --failed --campaign --correspondence-type --comment | cli_options::resume_takes_every_field_and_delete_removes_postponed_entries
interaction delete               | - --json | cli_options::resume_takes_every_field_and_delete_removes_postponed_entries
interaction cancel               | - --json | cli::postpone_resume_cancel_round_trip
interaction cancel               | --canceled | retries::setting_canceled_is_safe_to_repeat_where_switching_would_undo
interaction edit                 | - --json --evaluation --cost --duration --description --comment | cli_options::interaction_edit_show_and_stats_take_every_option
stats                            | - --json --by | cli_options::interaction_edit_show_and_stats_take_every_option

segment create                   | - --json --description --salesperson --campaign | cli::segment_commands_follow_the_contract
segment create                   | --no | cli::a_segment_that_cannot_be_logged_reports_every_line_and_exits_1
segment set-interaction          | - --json --template --description --subject --unit-cost --unit-duration --correspondence-type --ignore-contact-correspondence-type --language --salesperson --campaign --date | cli_options::set_interaction_takes_every_option
segment add-contacts             | - --json --filter --allow-existing --expand-companies --related-companies --ignore-exclusion | cli_options::building_a_segment_takes_every_criteria_option
segment reduce                   | - --json --filter --entire-companies | cli_options::building_a_segment_takes_every_criteria_option
segment reduce                   | --all --reset-criteria | criteria::segment_reduce_needs_a_filter_or_all
segment refine                   | - --json --filter --entire-companies | cli_options::building_a_segment_takes_every_criteria_option
segment refine                   | --reset-criteria | criteria::an_emptied_segment_has_its_criteria_reset_unless_told_otherwise
segment go-back                  | - --json | cli_options::building_a_segment_takes_every_criteria_option
segment add-line                 | - --json --contact | cli_options::lines_are_added_overridden_and_removed_one_by_one
segment remove-line              | - --json | cli_options::lines_are_added_overridden_and_removed_one_by_one
segment remove-line              | --reset-criteria | criteria::an_emptied_segment_has_its_criteria_reset_unless_told_otherwise
segment set-line                 | - --json --template --description --subject --cost --duration --salesperson --evaluation --date --correspondence-type --failed --language | cli_options::lines_are_added_overridden_and_removed_one_by_one
segment show                     | - --json --limit | cli_options::building_a_segment_takes_every_criteria_option
segment list                     | - --json | cli::segment_commands_follow_the_contract
segment reuse-logged             | - --json --logged | cli_options::a_logged_segment_is_reused_and_followed_up_by_outcome
segment save-criteria            | - --json --code --description | saved_criteria::save_list_show_reuse_and_delete_criteria
segment reuse-criteria           | - --json --code --append | saved_criteria::save_list_show_reuse_and_delete_criteria
segment log                      | - --json --follow-up --dry-run | cli::segment_commands_follow_the_contract
logged-segment list              | - --json | cli::segment_commands_follow_the_contract
logged-segment show              | - --json | cli::segment_commands_follow_the_contract
logged-segment cancel            | - --json | cli::segment_commands_follow_the_contract
logged-segment cancel            | --canceled | retries::setting_a_logged_segments_canceled_flag_twice_leaves_it_set
logged-segment follow-up         | - --json --evaluation --failed --succeeded --not-canceled | cli_options::a_logged_segment_is_reused_and_followed_up_by_outcome
logged-segment follow-up         | --canceled | cli::segment_commands_follow_the_contract
saved-criteria list              | - --json | saved_criteria::save_list_show_reuse_and_delete_criteria
saved-criteria show              | - --json | saved_criteria::save_list_show_reuse_and_delete_criteria
saved-criteria delete            | - --json | saved_criteria::save_list_show_reuse_and_delete_criteria
campaign-entry list              | - --json --campaign --not-canceled --entry | campaign_entries::campaign_entry_list_and_show_give_bcs_counts
campaign-entry list              | --canceled --date --salesperson | campaign_entries::campaign_entry_list_takes_every_filter_and_interactions_list_by_campaign_entry
campaign-entry show              | - --json | campaign_entries::campaign_entry_list_and_show_give_bcs_counts
campaign-entry cancel            | - --json --canceled | campaign_entries::campaign_entry_cancel_switches_or_sets_and_reaches_the_interactions
campaign-entry stats             | - --json | campaign_entries::campaign_entry_stats_leave_out_canceled_ones
cleanup canceled-entries         | - --json | cli::segment_commands_follow_the_contract
cleanup canceled-entries         | --dry-run | cleanup::cleanup_canceled_entries_dry_run_names_the_entries_and_writes_nothing
cleanup canceled-entries         | --entry --contact --date --campaign --group --to | cleanup::cleanup_canceled_entries_takes_entry_contact_date_and_campaign_filters
cleanup canceled-entries         | --template --segment --logged-segment --campaign-entry --salesperson --from | cleanup::cleanup_canceled_entries_takes_the_other_entry_filters_too
cleanup canceled-logged-segments | - --json | cli::segment_commands_follow_the_contract
cleanup canceled-logged-segments | --dry-run --entry --segment | cleanup::cleanup_canceled_logged_segments_takes_entry_and_segment_filters_and_a_dry_run
cleanup canceled-campaign-entries | - --json --campaign --dry-run --entry --date --salesperson | campaign_entries::cleanup_canceled_campaign_entries_with_filters_and_a_dry_run

gen                              | - --json --contacts --segment-size --seed | cli_options::gen_takes_a_seed_and_reports_json
gen                              | --mixed-segments | batch_job::a_nightly_mix_of_generated_segments_is_logged_by_one_job
demo                             | - --json --reset | cli_options::demo_prints_a_json_summary_with_json
export entries                   | - --json --format --out --contact --from | export::cli_out_writes_the_file_atomically_and_reports_it
export entries                   | --template --salesperson --campaign --segment --logged-segment --canceled --not-canceled --to | cli_options::export_takes_every_filter_format_and_target
export entries                   | --entry --date --group --campaign-entry | cleanup::cleanup_canceled_entries_takes_entry_contact_date_and_campaign_filters
export entries                   | --delimiter --bom --raw --headers | formats::every_export_takes_delimiter_bom_raw_and_headers
export logged-segments           | - --json --format --out | cli_options::export_takes_every_filter_format_and_target
export logged-segments           | --delimiter --bom --raw --headers | formats::every_export_takes_delimiter_bom_raw_and_headers
export contacts                  | - --json --format --out | cli_options::export_takes_every_filter_format_and_target
export contacts                  | --delimiter --bom --raw --headers | formats::every_export_takes_delimiter_bom_raw_and_headers
export salespeople               | - --json --format --out --delimiter --bom --raw --headers | formats::master_data_exports_take_every_option
export groups                    | - --json --format --out --delimiter --bom --raw --headers | formats::master_data_exports_take_every_option
export templates                 | - --json --format --out --delimiter --bom --raw --headers | formats::master_data_exports_take_every_option
export campaigns                 | - --json --format --out --delimiter --bom --raw --headers | formats::master_data_exports_take_every_option
export stats                     | - --json --by --format --out | cli_options::export_takes_every_filter_format_and_target
export stats                     | --delimiter --bom --raw --headers | formats::every_export_takes_delimiter_bom_raw_and_headers
report                           | - --json --out | report::the_report_is_one_self_contained_page_with_escaped_names
verify                           | - --json | verify::the_binary_exits_1_when_problems_are_found
batch run                        | - --json --restart | cli_options::batch_run_reports_json_and_restart_forgets_progress
backup                           | - --json | backup::backup_and_restore_make_an_equal_store
restore                          | - --json | backup::backup_and_restore_make_an_equal_store
dump                             | - --json --out | dump_load::dump_load_dump_is_identical_and_the_loaded_store_verifies
load                             | - --json | dump_load::dump_load_dump_is_identical_and_the_loaded_store_verifies
migrate                          | - --json --from --to | pg_migrate_and_log::a_store_moves_in_logs_on_postgres_and_comes_back_equal
filters                          | - --json | help_and_shell::help_filters_explains_the_syntax_and_fields
completions                      | - --json | help_and_shell::completions_and_man_page
man                              | - --json | help_and_shell::completions_and_man_page
"#;

/// One row of [`COVERAGE`].
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    path: String,
    options: Vec<String>,
    file: String,
    test: String,
}

fn rows(table: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, line) in table.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = t.split('|').map(str::trim).collect();
        assert_eq!(
            cols.len(),
            3,
            "COVERAGE line {line_no}: expected `path | options | file::test`, got {t:?}"
        );
        let (file, test) = cols[2].split_once("::").unwrap_or_else(|| {
            panic!(
                "COVERAGE line {line_no}: the test must be written file::test, got {:?}",
                cols[2]
            )
        });
        out.push(Row {
            line: line_no,
            path: cols[0].split_whitespace().collect::<Vec<_>>().join(" "),
            options: cols[1].split_whitespace().map(String::from).collect(),
            file: file.to_string(),
            test: test.to_string(),
        });
    }
    out
}

/// The string value of a literal token, if it is a (raw) string literal.
fn string_value(lit: &proc_macro2::Literal) -> Option<String> {
    let s = lit.to_string();
    if let Some(raw) = s.strip_prefix('r') {
        let hashes = raw.chars().take_while(|c| *c == '#').count();
        let inner = &raw[hashes..];
        return inner
            .strip_prefix('"')
            .and_then(|x| x.get(..x.len().checked_sub(1 + hashes)?))
            .map(String::from);
    }
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A test function found in a test file.
struct TestFn {
    ignored: bool,
    body: TokenStream,
}

/// Every `fn` in `tokens` (at any depth) with its attributes, keyed by name.
fn functions(tokens: TokenStream, out: &mut BTreeMap<String, (bool, TestFn)>) {
    let toks: Vec<TokenTree> = tokens.into_iter().collect();
    for i in 0..toks.len() {
        if let TokenTree::Group(g) = &toks[i] {
            functions(g.stream(), out);
        }
        let (TokenTree::Ident(kw), Some(TokenTree::Ident(name))) = (&toks[i], toks.get(i + 1))
        else {
            continue;
        };
        if kw != "fn" {
            continue;
        }
        // Attributes before the fn (skipping `pub`, `pub(crate)`, `async`, `unsafe`).
        let mut attrs = Vec::new();
        let mut j = i;
        while j > 0 {
            match &toks[j - 1] {
                TokenTree::Ident(id)
                    if ["pub", "async", "unsafe", "const"].contains(&id.to_string().as_str()) =>
                {
                    j -= 1
                }
                TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => j -= 1,
                TokenTree::Group(g)
                    if g.delimiter() == Delimiter::Bracket
                        && j >= 2
                        && matches!(&toks[j - 2], TokenTree::Punct(p) if p.as_char() == '#') =>
                {
                    attrs.push(g.stream().to_string());
                    j -= 2;
                }
                _ => break,
            }
        }
        let is_test = attrs.iter().any(|a| a.trim() == "test");
        let ignored = attrs.iter().any(|a| a.trim_start().starts_with("ignore"));
        let body = toks[i + 2..].iter().find_map(|t| match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Some(g.stream()),
            _ => None,
        });
        if let Some(body) = body {
            out.insert(name.to_string(), (is_test, TestFn { ignored, body }));
        }
    }
}

/// An argument list found in a test body: its string literals (`None` for anything else)
/// and whether it reaches the binary through `.json(…)`, which adds `--json`.
#[derive(Debug)]
struct ArgList {
    args: Vec<Option<String>>,
    json: bool,
}

/// Argument lists, runner calls and every string literal of a test body.
#[derive(Default, Debug)]
struct Body {
    lists: Vec<ArgList>,
    runners: BTreeSet<String>,
    literals: BTreeSet<String>,
}

fn scan(tokens: TokenStream, in_json_call: bool, body: &mut Body) {
    let toks: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in toks.iter().enumerate() {
        match t {
            TokenTree::Literal(l) => {
                if let Some(s) = string_value(l) {
                    body.literals.insert(s);
                }
            }
            TokenTree::Ident(id) => {
                // `x.ok(…)` or a free `ok(…)` call, but not `fn ok(…)`.
                let is_definition =
                    i > 0 && matches!(&toks[i - 1], TokenTree::Ident(k) if k == "fn");
                let is_call = matches!(toks.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
                if !is_definition && is_call && RUNNERS.contains(&id.to_string().as_str()) {
                    body.runners.insert(id.to_string());
                }
            }
            TokenTree::Group(g) => {
                let json_call = g.delimiter() == Delimiter::Parenthesis
                    && i >= 2
                    && matches!(&toks[i - 1], TokenTree::Ident(id) if id == "json")
                    && matches!(&toks[i - 2], TokenTree::Punct(p) if p.as_char() == '.');
                if g.delimiter() == Delimiter::Bracket {
                    let mut args = Vec::new();
                    let mut element: Vec<TokenTree> = Vec::new();
                    let flush = |element: &mut Vec<TokenTree>, args: &mut Vec<Option<String>>| {
                        if element.is_empty() {
                            return;
                        }
                        let value = match element.as_slice() {
                            [TokenTree::Literal(l)] => string_value(l),
                            _ => None,
                        };
                        args.push(value);
                        element.clear();
                    };
                    for inner in g.stream() {
                        match &inner {
                            TokenTree::Punct(p) if p.as_char() == ',' => {
                                flush(&mut element, &mut args)
                            }
                            _ => element.push(inner.clone()),
                        }
                    }
                    flush(&mut element, &mut args);
                    if args.iter().any(Option::is_some) {
                        body.lists.push(ArgList {
                            args,
                            json: in_json_call,
                        });
                    }
                }
                scan(g.stream(), json_call, body);
            }
            TokenTree::Punct(_) => {}
        }
    }
}

impl Body {
    /// True when one argument list holds `path` as consecutive words and every `options` entry
    /// after it.
    fn passes(&self, path: &[&str], option: &str) -> bool {
        self.lists.iter().any(|list| {
            let words: Vec<Option<&str>> = list.args.iter().map(|a| a.as_deref()).collect();
            // The command path comes first, after global options only (`--json`, or
            // `--store`/`--work-date`/`--user` with their value), so `stats` is not found in
            // `export stats`.
            let mut start = 0;
            loop {
                match words.get(start).copied().flatten() {
                    Some("--json") => start += 1,
                    Some("--store" | "--work-date" | "--user") => start += 2,
                    Some(w) if w.starts_with("--") && w.contains('=') => start += 1,
                    _ => break,
                }
            }
            let at_path = path
                .iter()
                .enumerate()
                .all(|(k, w)| words.get(start + k).copied().flatten() == Some(*w));
            if !at_path {
                return false;
            }
            match option {
                "-" => true,
                "--json" => list.json || words.contains(&Some("--json")),
                // An optional positional argument: some value after the command path.
                "<positional>" => words[start + path.len()..]
                    .iter()
                    .any(|w| w.is_none_or(|w| !w.starts_with('-'))),
                opt => words[start + path.len()..].iter().flatten().any(|w| {
                    *w == opt
                        || w.strip_prefix(opt)
                            .is_some_and(|rest| rest.starts_with('='))
                }),
            }
        })
    }
}

/// Parsed test files, by file name.
struct Files {
    tests: BTreeMap<String, BTreeMap<String, (bool, TestFn)>>,
    runs_binary: BTreeMap<String, bool>,
}

impl Files {
    fn load(names: impl Iterator<Item = String>) -> Result<Files, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let mut tests = BTreeMap::new();
        let mut runs_binary = BTreeMap::new();
        for name in names {
            let path = dir.join(format!("{name}.rs"));
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let stream = TokenStream::from_str(&text)
                .map_err(|e| format!("{} does not tokenize: {e}", path.display()))?;
            let mut fns = BTreeMap::new();
            functions(stream, &mut fns);
            runs_binary.insert(
                name.clone(),
                text.contains("CARGO_BIN_EXE_interlog") || text.contains("Bin::"),
            );
            tests.insert(name, fns);
        }
        Ok(Files { tests, runs_binary })
    }
}

/// Every problem of `table` against the command tree and the test files.
fn problems(table: &str) -> Vec<String> {
    let required = required();
    let rows = rows(table);
    let mut problems = Vec::new();
    let mut covered: BTreeSet<(String, String)> = BTreeSet::new();
    let files = match Files::load(
        rows.iter()
            .map(|r| r.file.clone())
            .collect::<BTreeSet<_>>()
            .into_iter(),
    ) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let mut bodies: BTreeMap<(String, String), Body> = BTreeMap::new();
    for r in &rows {
        let at = format!(
            "COVERAGE line {} ({} | {})",
            r.line,
            r.path,
            r.options.join(" ")
        );
        if r.options.is_empty() {
            problems.push(format!(
                "{at}: no options listed (use `-` for the command itself)"
            ));
        }
        for o in &r.options {
            let key = (r.path.clone(), o.clone());
            if !required.contains(&key) {
                problems.push(format!(
                    "{at}: `{} {o}` is not a command and option of the CLI (renamed or removed?)",
                    r.path
                ));
            }
            covered.insert(key);
        }
        let Some((is_test, f)) = files.tests.get(&r.file).and_then(|t| t.get(&r.test)) else {
            problems.push(format!(
                "{at}: there is no fn {} in tests/{}.rs",
                r.test, r.file
            ));
            continue;
        };
        if !is_test {
            problems.push(format!("{at}: {}::{} is not a #[test]", r.file, r.test));
            continue;
        }
        if f.ignored {
            problems.push(format!(
                "{at}: {}::{} is #[ignore]d, so it does not run with the suite",
                r.file, r.test
            ));
        }
        if !files.runs_binary.get(&r.file).copied().unwrap_or(false) {
            problems.push(format!("{at}: tests/{}.rs never runs the binary", r.file));
        }
        let body = bodies
            .entry((r.file.clone(), r.test.clone()))
            .or_insert_with(|| {
                let mut b = Body::default();
                scan(f.body.clone(), false, &mut b);
                b
            });
        if body.runners.is_empty() {
            problems.push(format!(
                "{at}: {}::{} calls none of the binary runners {RUNNERS:?}",
                r.file, r.test
            ));
        }
        let path: Vec<&str> = r.path.split(' ').collect();
        for o in &r.options {
            let ok = if r.path == "*" {
                body.literals.contains(o.as_str())
            } else if o.starts_with('<') {
                body.passes(&path, "<positional>")
            } else {
                body.passes(&path, o)
            };
            if !ok {
                problems.push(format!(
                    "{at}: {}::{} has no argument list with {:?} followed by {o:?} as literals",
                    r.file, r.test, r.path
                ));
            }
        }
    }
    let missing: Vec<String> = required
        .difference(&covered)
        .map(|(p, o)| format!("{p} | {o} | ???"))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} command(s)/option(s) have no test that runs them through the binary; add rows:\n{}",
            missing.len(),
            missing.join("\n")
        ));
    }
    problems
}

/// Prints, for every required (path, option) the table does not cover yet, the tests in
/// `tests/*.rs` that already pass it to the binary — candidates for new rows, to review:
/// `cargo test --release --bin interlog suggest_rows -- --ignored --nocapture`.
#[test]
#[ignore = "a helper for writing rows, not a check"]
fn suggest_rows() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests dir")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "rs").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    let files = Files::load(names.into_iter()).expect("test files");
    let covered: BTreeSet<(String, String)> = rows(COVERAGE)
        .iter()
        .flat_map(|r| r.options.iter().map(|o| (r.path.clone(), o.clone())))
        .collect();
    for (p, o) in required().difference(&covered) {
        let path: Vec<&str> = p.split(' ').collect();
        let mut found = Vec::new();
        for (file, fns) in &files.tests {
            if !files.runs_binary[file] {
                continue;
            }
            for (name, (is_test, f)) in fns {
                if !is_test || f.ignored {
                    continue;
                }
                let mut b = Body::default();
                scan(f.body.clone(), false, &mut b);
                let ok = if p == "*" {
                    b.literals.contains(o.as_str())
                } else {
                    b.passes(&path, o)
                };
                if ok && !b.runners.is_empty() {
                    found.push(format!("{file}::{name}"));
                }
            }
        }
        println!("{p} | {o} | {}", found.join("  "));
    }
}

#[test]
fn clap_accepts_the_command_tree() {
    Cli::command().debug_assert();
}

/// clap keys a command's values by argument id, and global options reach every command: a
/// command's own argument with a global's id (a positional `user` beside `--user`) makes clap
/// panic when it reads the value, which `debug_assert` does not catch.
#[test]
fn no_command_reuses_the_id_of_a_global_option() {
    let mut root = Cli::command();
    root.build();
    let globals: BTreeSet<String> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    fn walk(cmd: &clap::Command, path: &str, globals: &BTreeSet<String>, bad: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            if globals.contains(a.get_id().as_str()) && !a.is_global_set() {
                bad.push(format!("{path}: {}", a.get_id()));
            }
        }
        for s in cmd.get_subcommands() {
            walk(s, &format!("{path} {}", s.get_name()), globals, bad);
        }
    }
    let mut bad = Vec::new();
    walk(&root, "interlog", &globals, &mut bad);
    assert!(
        bad.is_empty(),
        "arguments named like a global option: {bad:?}"
    );
}

#[test]
fn every_command_and_option_runs_through_the_binary_in_a_named_test() {
    let p = problems(COVERAGE);
    assert!(p.is_empty(), "CLI contract broken:\n{}", p.join("\n"));
}

#[test]
fn a_wrong_row_is_reported() {
    let table = "
        init | - --json | cli_options::init_reports_the_store_and_its_setup_as_json
        init | --reset | cli_options::init_reports_the_store_and_its_setup_as_json
        gen | --seed | cli_options::init_reports_the_store_and_its_setup_as_json
        demo | - | cli_options::no_such_test
    ";
    let p = problems(table).join("\n");
    assert!(
        p.contains("`init --reset` is not a command and option"),
        "{p}"
    );
    assert!(
        p.contains("has no argument list with \"gen\" followed by \"--seed\""),
        "{p}"
    );
    assert!(p.contains("there is no fn no_such_test"), "{p}");
    assert!(
        p.contains("verify | --json | ???"),
        "missing rows are listed: {p}"
    );
    assert!(!p.contains("init | - | ???"), "{p}");
}

#[test]
fn the_contract_walks_leaves_options_and_globals() {
    let r = required();
    for (p, o) in [
        ("*", "--store"),
        ("*", "--work-date"),
        ("*", "--user"),
        ("setup set", "-"),
        ("setup set", "--json"),
        ("setup set", "--default-salesperson"),
        ("series add-line", "--starting-no"),
        ("export entries", "--contact"),
    ] {
        assert!(r.contains(&(p.to_string(), o.to_string())), "{p} {o}");
    }
    assert!(!r
        .iter()
        .any(|(p, _)| p == "setup" || p == "help" || p.ends_with(" help")));
    assert!(!r.iter().any(|(_, o)| o == "--help"));
}

#[test]
fn an_argument_list_must_hold_the_path_and_the_option_as_literals() {
    let src = r#"
        #[test]
        fn good() {
            let c = Bin::demo();
            c.json(&["segment", "set-line", "SM00001", "20000", "--cost", "12.50"]);
            c.ok(&["--work-date", "2025-03-20", "interaction", "resume", "1", "--evaluation=positive"]);
        }
        #[test]
        #[ignore = "slow"]
        fn ignored() { c.ok(&["init"]); }
        fn helper() {}
    "#;
    let mut fns = BTreeMap::new();
    functions(TokenStream::from_str(src).expect("tokens"), &mut fns);
    let (is_test, good) = &fns["good"];
    assert!(*is_test && !good.ignored);
    assert!(fns["ignored"].1.ignored);
    assert!(!fns["helper"].0);
    let mut b = Body::default();
    scan(good.body.clone(), false, &mut b);
    assert!(b.passes(&["segment", "set-line"], "-"));
    assert!(b.passes(&["segment", "set-line"], "--cost"));
    assert!(
        b.passes(&["segment", "set-line"], "--json"),
        "json(…) adds --json"
    );
    assert!(!b.passes(&["interaction", "resume"], "--json"));
    assert!(b.passes(&["interaction", "resume"], "--evaluation"));
    assert!(
        !b.passes(&["interaction", "resume"], "--work-date"),
        "options count after the path"
    );
    assert!(!b.passes(&["segment", "show"], "-"));
    assert!(
        !b.passes(&["set-line"], "-"),
        "the path starts the command words"
    );
    assert!(b.runners.contains("json") && b.runners.contains("ok"));
}
