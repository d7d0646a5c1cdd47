//! One JSON vocabulary: **every** command that prints JSON under `--json` is run through the
//! binary on a store holding every kind of record, and every field name it prints is checked
//! against one vocabulary ([`VOCABULARY`]): the same name has the same JSON type and form
//! everywhere (money as `"12.34"`, dates `YYYY-MM-DD`, minutes as integers, timings in
//! milliseconds without float noise), internal fields are never shown, and README's table of
//! the vocabulary agrees with it. The leaf commands are found by walking `interlog help`, so a
//! new command that is not run here fails the test. Errors under `--json` are one JSON object
//! on stderr.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::bin::Bin;
use common::fixture;
use serde_json::Value;

/// The form a field's value takes (nulls are allowed for every field: a missing value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Free text or a code.
    Text,
    /// A string `YYYY-MM-DD`.
    Date,
    /// A string `HH:MM:SS`.
    Time,
    /// A string with two decimals, `"12.34"` (BC's Decimal amounts).
    Money,
    /// A kebab-case option value (`hard-copy`).
    Choice,
    /// An integer (counts, entry numbers, minutes).
    Int,
    /// A number of milliseconds, at most three decimals.
    Ms,
    Bool,
    Array,
    Object,
}

use Form::*;

/// The vocabulary: every field name any `--json` output may print, and its form. A name
/// printed by a command and missing here fails the test (add it, with the form it has
/// everywhere). README's "JSON output" table must agree with the names it lists.
const VOCABULARY: &[(Form, &[&str])] = &[
    (
        Text,
        &[
            // Record keys and codes (BC's `No.`/`Code` fields; `*_nos` of the setup are
            // number series codes, as BC names them).
            "no",
            "code",
            "contact_no",
            "segment_no",
            "campaign_no",
            "template_code",
            "group_code",
            "salesperson_code",
            "company_no",
            "contact_company_no",
            "follow_up_segment",
            "outcome_follow_up_segment",
            "language_code",
            "language_code_default",
            "country_code",
            "user_id",
            "starting_no",
            "ending_no",
            "warning_no",
            "last_no_used",
            "default_salesperson",
            "default_language",
            "contact_nos",
            "segment_nos",
            "campaign_nos",
            "series",
            "job",
            "target",
            // Text.
            "name",
            "description",
            "subject",
            "subject_default",
            "text",
            "email",
            "phone",
            "city",
            "post_code",
            "store",
            "out",
            "file",
            "message",
            "detail",
            "area",
            "key",
            "warning",
            "error",
            "aborted",
            "from",
            "to",
            "shell",
            "script",
            "roff",
            "help",
            "options_summary",
            "title",
            "idempotency_key",
        ],
    ),
    (
        Date,
        &[
            "date",
            "creation_date",
            "starting_date",
            "ending_date",
            "last_date",
            "last_date_used",
        ],
    ),
    (Time, &["time_of_interaction"]),
    (Money, &["cost", "unit_cost"]),
    (
        Choice,
        &[
            "kind",
            "information_flow",
            "initiated_by",
            "correspondence_type",
            "correspondence_type_default",
            "default_correspondence_type",
            "evaluation",
            "format",
            "mode",
            "status",
            "outcome",
            "period",
        ],
    ),
    (
        Int,
        &[
            // Entry numbers (integers, as BC's Entry No.) and line numbers.
            "entry_no",
            "campaign_entry_no",
            "logged_segment_entry_no",
            "first_entry_no",
            "last_entry_no",
            "logged_segment",
            "line_no",
            "last_line_no",
            "action_no",
            "index",
            "increment_by",
            "exit_code",
            // Minutes.
            "duration_min",
            "unit_duration_min",
            // Counts: a plural noun, `no_of_*` (BC's FlowFields), `*_count` or what was done.
            "entries",
            "records",
            "rows",
            "skipped",
            "contacts",
            "interactions",
            "campaigns",
            "campaign_entries",
            "logged_segments",
            "segments",
            "segment_lines",
            "saved_criteria",
            "salespeople",
            "jobs",
            "periods",
            "values",
            "verified_values",
            "index_items",
            "no_of_interactions",
            "no_of_campaign_entries",
            "no_of_actions",
            "line_count",
            "step_count",
            "inserted_count",
            "deleted_count",
            "canceled_entries",
            "entries_written",
            "entries_logged",
            "entries_changed",
            "entries_deleted",
            "entries_detached",
            "campaign_entries_deleted",
            "campaign_entries_detached",
            "logged_segments_deleted",
            "lines_added",
            "lines_removed",
            "lines_changed",
            "actions_replayed",
            "canceled_left_out",
            "postponed_left_out",
            "done",
            "files",
            "bytes",
            "already_done",
            "failed",
            "not_run",
        ],
    ),
    (Ms, &[]),
    (
        Bool,
        &[
            "canceled",
            "attempt_failed",
            "privacy_blocked",
            "exclude_from_segment",
            "blocked",
            "default_nos",
            "manual_nos",
            "open",
            "dry_run",
            "replayed",
            "postponed",
            "ignore_contact_correspondence_type",
            "description_typed",
            "has_email",
            "allow_existing",
            "expand_companies",
            "related_companies",
            "ignore_exclusion",
            "entire_companies",
            "nothing_to_do",
            "restarted",
            "criteria_reset",
        ],
    ),
    (
        Array,
        &[
            // Lists of records.
            "lines",
            "steps",
            "criteria",
            "actions",
            "problems",
            "warnings",
            "notes",
            "comments",
            "fields",
            "filters",
            "ignored_columns",
            "mixed_segments",
            // Lists of numbers: `*_nos` (and a line number range).
            "entry_nos",
            "campaign_entry_nos",
            "deleted_entry_nos",
            "deleted_campaign_entry_nos",
            "deleted_logged_segment_nos",
            "inserted",
        ],
    ),
    (
        Object,
        &[
            "interaction",
            "segment",
            "setup",
            "summary",
            "timings",
            "options",
            "contact_profile",
            "deleted",
            "cleanup",
        ],
    ),
];

/// Objects whose keys are data (a record kind, say), not field names: their values are counts.
const MAPS: &[&str] = &["records_by_kind"];

/// Names that must never appear: internal storage details and old names README replaced.
const FORBIDDEN: &[&str] = &[
    "index_run",
    "follow_up_segment_no",
    "lines_gen",
    "contacts_epoch",
];

/// The forms a name may take (a name may be listed under two forms when README documents it:
/// e.g. `lines` is a count in one report and the lines themselves in `segment show`).
fn forms(name: &str) -> Vec<Form> {
    if name.ends_with("_ms") {
        return vec![Ms];
    }
    VOCABULARY
        .iter()
        .filter(|(_, names)| names.contains(&name))
        .map(|(f, _)| *f)
        .collect()
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn is_time(s: &str) -> bool {
    s.len() == 8 && chrono::NaiveTime::parse_from_str(s, "%H:%M:%S").is_ok()
}

fn is_money(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    match t.split_once('.') {
        Some((i, d)) => {
            !i.is_empty()
                && i.bytes().all(|b| b.is_ascii_digit())
                && d.len() == 2
                && d.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn is_option(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn at_most_3_decimals(n: &serde_json::Number) -> bool {
    let text = n.to_string();
    !text.contains('e') && text.split('.').nth(1).map_or(0, str::len) <= 3
}

fn fits(form: Form, v: &Value) -> bool {
    match (form, v) {
        (_, Value::Null) => true,
        (Text, Value::String(_)) => true,
        (Date, Value::String(s)) => is_date(s),
        (Time, Value::String(s)) => is_time(s),
        (Money, Value::String(s)) => is_money(s),
        (Choice, Value::String(s)) => is_option(s),
        (Int, Value::Number(n)) => n.is_u64() || n.is_i64(),
        (Ms, Value::Number(n)) => at_most_3_decimals(n),
        (Bool, Value::Bool(_)) => true,
        (Array, Value::Array(_)) => true,
        (Object, Value::Object(_)) => true,
        _ => false,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Everything seen: the failures found, and per name the JSON types met (with where).
#[derive(Default)]
struct Checker {
    /// Problems, one per field name and kind of problem (the first command that showed it).
    failures: BTreeMap<String, String>,
    types: BTreeMap<String, BTreeMap<&'static str, String>>,
    exercised: BTreeSet<String>,
}

impl Checker {
    fn walk(&mut self, cmd: &str, v: &Value) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| self.walk(cmd, i)),
            Value::Object(map) => {
                for (k, val) in map {
                    if MAPS.contains(&k.as_str()) {
                        let counts = val
                            .as_object()
                            .is_some_and(|m| m.values().all(|n| n.is_u64()));
                        if !counts {
                            self.fail(format!("{k} map"), format!("{cmd}: `{k}` = {val}"));
                        }
                        continue;
                    }
                    self.field(cmd, k, val);
                    self.walk(cmd, val);
                }
            }
            Value::Number(n) if n.is_f64() && !at_most_3_decimals(n) => {
                self.fail(format!("float {n}"), format!("{cmd}: float noise {n}"));
            }
            _ => {}
        }
    }

    fn field(&mut self, cmd: &str, name: &str, v: &Value) {
        if FORBIDDEN.contains(&name) {
            self.fail(
                format!("{name} forbidden"),
                format!("{cmd}: internal or retired field `{name}` shown"),
            );
            return;
        }
        let forms = forms(name);
        if forms.is_empty() {
            self.fail(
                format!("{name} unknown"),
                format!(
                    "{cmd}: field `{name}` ({}: {v}) is not in the vocabulary",
                    json_type(v)
                ),
            );
        } else if !forms.iter().any(|f| fits(*f, v)) {
            self.fail(
                format!("{name} form"),
                format!("{cmd}: field `{name}` = {v} is not {forms:?} as the vocabulary says"),
            );
        }
        if !v.is_null() {
            self.types
                .entry(name.to_string())
                .or_default()
                .entry(json_type(v))
                .or_insert_with(|| cmd.to_string());
        }
    }

    fn fail(&mut self, key: String, message: String) {
        self.failures.entry(key).or_insert(message);
    }

    /// Marks the leaf command `args` starts with as exercised.
    fn exercise(&mut self, leaves: &BTreeSet<String>, args: &[&str]) -> String {
        let words: Vec<&str> = args
            .iter()
            .take_while(|a| !a.starts_with('-'))
            .copied()
            .collect();
        for n in (1..=words.len().min(3)).rev() {
            let p = words[..n].join(" ");
            if leaves.contains(&p) {
                self.exercised.insert(p.clone());
                return p;
            }
        }
        panic!("{args:?} is not a leaf command of `interlog help`");
    }
}

/// Every leaf command, by walking the `Commands:` sections of `interlog … --help`.
fn leaf_commands(b: &Bin) -> BTreeSet<String> {
    fn walk(b: &Bin, path: &mut Vec<String>, out: &mut BTreeSet<String>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = b.ok(&args);
        let subs: Vec<String> = help
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next())
            .filter(|s| *s != "help")
            .map(str::to_string)
            .collect();
        if subs.is_empty() {
            out.insert(path.join(" "));
        }
        for s in subs {
            path.push(s);
            walk(b, path, out);
            path.pop();
        }
    }
    let mut out = BTreeSet::new();
    walk(b, &mut Vec::new(), &mut out);
    out.remove("");
    out
}

/// Runs `--json ARGS` on `b`; it must succeed with JSON on stdout (one document, or JSON
/// Lines when `lines`), which is checked.
fn run(c: &mut Checker, leaves: &BTreeSet<String>, b: &Bin, args: &[&str], lines: bool) -> Value {
    let cmd = c.exercise(leaves, args);
    let shown = format!("{cmd} {:?}", &args[cmd.split(' ').count()..]);
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let text = b.ok(&a);
    let v = if lines {
        Value::Array(
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{shown}: {e}: {l}")))
                .collect(),
        )
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{shown}: not JSON ({e}): {text}"))
    };
    c.walk(&shown, &v);
    v
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The form README's "JSON output" table gives in its third column.
fn readme_form(text: &str) -> Option<Form> {
    let rules: [(&str, Form); 10] = [
        ("YYYY-MM-DD", Date),
        ("HH:MM:SS", Time),
        ("two decimals", Money),
        ("kebab-case", Choice),
        ("milliseconds", Ms),
        ("boolean", Bool),
        ("array", Array),
        ("object", Object),
        ("integer", Int),
        ("string", Text),
    ];
    rules
        .iter()
        .find(|(k, _)| text.contains(k))
        .map(|(_, f)| *f)
}

#[test]
fn readmes_vocabulary_table_agrees_with_the_tests() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| Thing | Name(s) | Type / form |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.len() >= 10, "README's JSON vocabulary table not found");
    let mut names = 0;
    for row in rows {
        let cols: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cols.len(), 3, "{row}");
        let Some(form) = readme_form(cols[2]) else {
            assert_eq!(
                cols[2], "`null`",
                "README row with a form the test does not know: {row}"
            );
            continue;
        };
        // The names are the `code` spans of column 2 before any parenthesis.
        for name in cols[1]
            .split(',')
            .filter_map(|n| n.trim().strip_prefix('`'))
            .filter_map(|n| n.split('`').next())
        {
            names += 1;
            let ok = match name {
                "timings.*_ms" => form == Ms,
                n if MAPS.contains(&n) => form == Object,
                n => forms(n).contains(&form),
            };
            assert!(
                ok,
                "README says `{name}` is {form:?}; the vocabulary: {:?}",
                forms(name)
            );
            assert!(
                !FORBIDDEN.contains(&name),
                "README lists the internal `{name}`"
            );
        }
    }
    assert!(names >= 40, "only {names} names found in README's table");
}

#[test]
fn every_json_output_speaks_one_vocabulary() {
    let mut c = Checker::default();
    let b = Bin::demo();
    let leaves = leaf_commands(&b);
    let c = &mut c;
    let l = &leaves;
    let dir = b.dir().to_path_buf();

    // Commands that make a store of their own.
    let fresh = Bin::new();
    run(c, l, &fresh, &["init"], false);
    let fresh = Bin::new();
    run(c, l, &fresh, &["demo"], false);
    run(c, l, &fresh, &["demo", "--reset"], false);
    let fresh = Bin::init();
    run(
        c,
        l,
        &fresh,
        &["gen", "--contacts", "30", "--mixed-segments", "1"],
        false,
    );

    // Setup, users and number series.
    run(c, l, &b, &["setup", "show"], false);
    run(
        c,
        l,
        &b,
        &["setup", "set", "--default-correspondence-type", "hard-copy"],
        false,
    );
    run(
        c,
        l,
        &b,
        &["user-setup", "set", "ALICE", "--salesperson", "JO"],
        false,
    );
    run(
        c,
        l,
        &b,
        &["user-setup", "set", "BOB", "--salesperson", "HR"],
        false,
    );
    run(c, l, &b, &["user-setup", "show", "ALICE"], false);
    run(c, l, &b, &["user-setup", "list"], false);
    run(c, l, &b, &["user-setup", "delete", "BOB"], false);
    run(
        c,
        l,
        &b,
        &[
            "series",
            "add",
            "VOC",
            "--starting-no",
            "V0001",
            "--ending-no",
            "V9999",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &[
            "series",
            "add-line",
            "VOC",
            "--starting-no",
            "W0001",
            "--starting-date",
            "2026-01-01",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &["series", "set", "VOC", "--description", "Vocabulary"],
        false,
    );
    run(c, l, &b, &["series", "list"], false);
    run(c, l, &b, &["series", "peek", "VOC"], false);
    run(c, l, &b, &["series", "next", "VOC"], false);

    // Master data, added one by one and imported.
    run(
        c,
        l,
        &b,
        &[
            "contact",
            "add",
            "--name",
            "Vocab Person",
            "--kind",
            "person",
            "--company-no",
            "CT100239",
            "--phone",
            "+1 555",
        ],
        false,
    );
    run(c, l, &b, &["contact", "list"], false);
    run(c, l, &b, &["contact", "show", "CT100125"], false);
    run(
        c,
        l,
        &b,
        &["salesperson", "add", "--code", "VV", "--name", "Vera Vocab"],
        false,
    );
    run(c, l, &b, &["salesperson", "list"], false);
    run(
        c,
        l,
        &b,
        &[
            "group",
            "add",
            "--code",
            "VG",
            "--description",
            "Vocab group",
        ],
        false,
    );
    run(c, l, &b, &["group", "list"], false);
    run(
        c,
        l,
        &b,
        &[
            "template",
            "add",
            "--code",
            "VT",
            "--group",
            "VG",
            "--description",
            "Vocab",
            "--unit-cost",
            "1.5",
            "--unit-duration",
            "5",
        ],
        false,
    );
    run(c, l, &b, &["template", "list"], false);
    run(
        c,
        l,
        &b,
        &[
            "campaign",
            "add",
            "--description",
            "Vocab campaign",
            "--starting-date",
            "2025-01-01",
        ],
        false,
    );
    run(c, l, &b, &["campaign", "list"], false);
    let groups = fixture("demo/groups.csv");
    run(
        c,
        l,
        &b,
        &["import", p(&groups), "--dry-run", "--mode", "skip-existing"],
        false,
    );
    run(
        c,
        l,
        &b,
        &["import", p(&groups), "--mode", "skip-existing"],
        false,
    );
    let people = dir.join("people.csv");
    std::fs::write(
        &people,
        "code,name,email,Job Title\nIM,Imma Port,im@example.com,\n",
    )
    .unwrap();
    run(
        c,
        l,
        &b,
        &[
            "import",
            p(&people),
            "--kind",
            "salespeople",
            "--mode",
            "upsert",
        ],
        false,
    );

    // Interactions: created, postponed, resumed, deleted, canceled, edited.
    run(
        c,
        l,
        &b,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
            "--cost",
            "2.5",
            "--duration",
            "7",
        ],
        false,
    );
    let postponed = run(
        c,
        l,
        &b,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100002",
            "--template",
            "OUTGOING",
            "--postpone",
            "--comment",
            "call back",
        ],
        false,
    );
    let postponed_no = postponed["entry_no"].to_string();
    let second = run(
        c,
        l,
        &b,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100002",
            "--template",
            "BUS",
            "--postpone",
        ],
        false,
    );
    let second_no = second["entry_no"].to_string();
    run(c, l, &b, &["interaction", "postponed"], false);
    run(
        c,
        l,
        &b,
        &[
            "interaction",
            "resume",
            &postponed_no,
            "--evaluation",
            "positive",
        ],
        false,
    );
    run(c, l, &b, &["interaction", "delete", &second_no], false);
    let third = run(
        c,
        l,
        &b,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
            "--idempotency-key",
            "vocab/1",
        ],
        false,
    );
    let third_no = third["entry_no"].to_string();
    run(c, l, &b, &["interaction", "cancel", &third_no], false);
    run(
        c,
        l,
        &b,
        &[
            "interaction",
            "edit",
            "1",
            "--cost",
            "3.25",
            "--comment",
            "edited",
        ],
        false,
    );
    run(c, l, &b, &["interaction", "show", "1"], false);
    run(c, l, &b, &["interaction", "list"], false);
    run(c, l, &b, &["stats"], false);
    run(c, l, &b, &["stats", "--by", "salesperson"], false);

    // Segments: built, reduced, saved criteria, logged with a follow-up, a batch job.
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "create",
            "--description",
            "Increase sale",
            "--salesperson",
            "HR",
            "--campaign",
            "CP1001",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "set-interaction",
            "SM00001",
            "--template",
            "BUS",
            "--unit-cost",
            "4.5",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "add-contacts",
            "SM00001",
            "--filter",
            "City=Manchester|Newport",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "add-contacts",
            "SM00001",
            "--filter",
            "Type=Person",
        ],
        false,
    );
    run(c, l, &b, &["segment", "go-back", "SM00001"], false);
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "refine",
            "SM00001",
            "--filter",
            "Type=Person|Company",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &["segment", "add-line", "SM00001", "--contact", "CT100002"],
        false,
    );
    let shown = run(c, l, &b, &["segment", "show", "SM00001"], false);
    let line_no = shown["lines"][0]["line_no"].to_string();
    let last = shown["lines"].as_array().unwrap().last().unwrap()["line_no"].to_string();
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "set-line",
            "SM00001",
            &line_no,
            "--cost",
            "1.75",
            "--duration",
            "12",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &["segment", "remove-line", "SM00001", &last],
        false,
    );
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "save-criteria",
            "SM00001",
            "--code",
            "MANNEW",
            "--description",
            "Manchester and Newport",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "create",
            "--description",
            "Golf day",
            "--campaign",
            "CP1002",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &[
            "segment",
            "set-interaction",
            "SM00002",
            "--template",
            "GOLF",
        ],
        false,
    );
    run(
        c,
        l,
        &b,
        &["segment", "reuse-criteria", "SM00002", "--code", "MANNEW"],
        false,
    );
    run(
        c,
        l,
        &b,
        &["segment", "reduce", "SM00002", "--filter", "Type=Company"],
        false,
    );
    run(c, l, &b, &["segment", "log", "SM00001", "--dry-run"], false);
    run(
        c,
        l,
        &b,
        &["segment", "log", "SM00001", "--follow-up"],
        false,
    );
    run(c, l, &b, &["segment", "list"], false);
    let job = dir.join("job.json");
    std::fs::write(
        &job,
        r#"{"id": "n1", "steps": [{"log": "SM00002", "follow_up": true}, {"cleanup": "canceled-entries"}]}"#,
    )
    .unwrap();
    run(c, l, &b, &["batch", "run", p(&job)], false);
    run(
        c,
        l,
        &b,
        &["segment", "create", "--description", "Again"],
        false,
    );
    run(
        c,
        l,
        &b,
        &["segment", "reuse-logged", "SM00004", "--logged", "1"],
        false,
    );

    // Logged segments, saved criteria, campaign entries.
    run(c, l, &b, &["logged-segment", "list"], false);
    run(c, l, &b, &["logged-segment", "show", "1"], false);
    run(
        c,
        l,
        &b,
        &["logged-segment", "follow-up", "1", "--not-canceled"],
        false,
    );
    run(c, l, &b, &["logged-segment", "cancel", "2"], false);
    run(c, l, &b, &["saved-criteria", "list"], false);
    run(c, l, &b, &["saved-criteria", "show", "MANNEW"], false);
    run(c, l, &b, &["campaign-entry", "list"], false);
    run(c, l, &b, &["campaign-entry", "show", "1"], false);
    run(c, l, &b, &["campaign-entry", "stats"], false);

    // Exports: the report of a file written, and the records on stdout.
    for kind in [
        "entries",
        "logged-segments",
        "contacts",
        "salespeople",
        "groups",
        "templates",
        "campaigns",
        "stats",
    ] {
        let out = dir.join(format!("{kind}.csv"));
        run(c, l, &b, &["export", kind, "--out", p(&out)], false);
        run(c, l, &b, &["export", kind, "--format", "json"], false);
        run(c, l, &b, &["export", kind, "--format", "jsonl"], true);
    }
    run(
        c,
        l,
        &b,
        &["report", "--out", p(&dir.join("report.html"))],
        false,
    );
    run(c, l, &b, &["verify"], false);
    let backup = dir.join("backup");
    run(c, l, &b, &["backup", p(&backup)], false);
    run(c, l, &Bin::new(), &["restore", p(&backup)], false);
    let dump = dir.join("dump.jsonl");
    run(c, l, &b, &["dump", "--out", p(&dump)], false);
    run(c, l, &Bin::new(), &["load", p(&dump)], false);
    run(c, l, &b, &["filters"], false);
    run(c, l, &b, &["completions", "bash"], false);
    run(c, l, &b, &["man"], false);

    // Data-changing commands that remove things, last.
    run(
        c,
        l,
        &b,
        &["cleanup", "canceled-entries", "--dry-run"],
        false,
    );
    run(
        c,
        l,
        &b,
        &["cleanup", "canceled-logged-segments", "--dry-run"],
        false,
    );
    run(c, l, &b, &["campaign-entry", "cancel", "1"], false);
    run(
        c,
        l,
        &b,
        &["cleanup", "canceled-campaign-entries", "--dry-run"],
        false,
    );
    run(c, l, &b, &["cleanup", "canceled-campaign-entries"], false);
    run(c, l, &b, &["cleanup", "canceled-logged-segments"], false);
    run(c, l, &b, &["cleanup", "canceled-entries"], false);
    run(c, l, &b, &["saved-criteria", "delete", "MANNEW"], false);

    // `company …` and `migrate` need a PostgreSQL catalog (tests/pg_companies.rs and
    // tests/pg_migrate_and_log.rs check their JSON).
    let missing: Vec<&String> = leaves
        .iter()
        .filter(|p| !c.exercised.contains(*p) && !p.starts_with("company ") && *p != "migrate")
        .collect();
    assert!(
        missing.is_empty(),
        "commands not run with --json by this test (add them): {missing:?}"
    );
    for (name, types) in &c.types {
        if types.len() > 1 {
            c.failures.insert(
                format!("{name} types"),
                format!("field `{name}` has several JSON types: {types:?}"),
            );
        }
    }
    assert!(
        c.failures.is_empty(),
        "{} vocabulary problems:\n{}",
        c.failures.len(),
        c.failures.values().cloned().collect::<Vec<_>>().join("\n")
    );
}
fn json_error(stderr: &str) -> Value {
    let line = stderr.lines().last().unwrap_or("");
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    v
}

/// Runs `--json ARGS`, which must fail with `code`: stdout empty, stderr one line of
/// `{"error":{"kind","message","exit_code"[,"outcome"]}}` with the same exit code.
fn json_failure(b: &Bin, args: &[&str], code: i32, kind: &str) {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let out = b.run(&a);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    let v = json_error(&stderr);
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), 1, "{v}");
    let e = v["error"].as_object().unwrap_or_else(|| panic!("{v}"));
    let mut keys: Vec<&str> = e.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert!(
        keys == ["exit_code", "kind", "message"]
            || keys == ["exit_code", "kind", "message", "outcome"],
        "{args:?}: {v}"
    );
    assert_eq!(e["kind"], kind, "{args:?}: {v}");
    assert_eq!(e["exit_code"], code, "{args:?}: {v}");
    assert!(!e["message"].as_str().unwrap().is_empty());
}

#[test]
fn failing_commands_of_every_kind_report_json_errors() {
    let b = Bin::demo();
    json_failure(&b, &["interaction", "show", "999"], 1, "not-found");
    json_failure(
        &b,
        &["group", "add", "--code", "LETTER", "--description", "x"],
        1,
        "already-exists",
    );
    json_failure(
        &b,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "NOPE",
        ],
        1,
        "not-found",
    );
    json_failure(
        &b,
        &[
            "interaction",
            "create",
            "--contact",
            "CT100125",
            "--template",
            "BUS",
            "--cost",
            "abc",
        ],
        2,
        "usage",
    );
    json_failure(&b, &["segment", "log", "NOPE"], 1, "not-found");
    json_failure(&b, &["export", "nothing"], 2, "usage");
    json_failure(
        &b,
        &[
            "import",
            "--kind",
            "contacts",
            p(&b.dir().join("missing.csv")),
        ],
        1,
        "not-found",
    );
    json_failure(&b, &["logged-segment", "follow-up", "7"], 1, "not-found");
    json_failure(&Bin::new(), &["verify"], 3, "store-missing");
}

#[test]
fn errors_under_json_are_json_on_stderr() {
    let b = Bin::new();
    let v = json_error(&b.fails(&["--json", "contact", "list"], 3));
    assert_eq!(v["error"]["kind"], "store-missing");
    assert_eq!(v["error"]["exit_code"], 3);
    assert_eq!(v["error"]["outcome"], "not-committed");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("interlog init"));
    let b = Bin::demo();
    let v = json_error(&b.fails(&["--json", "contact", "show", "NOPE"], 1));
    assert_eq!(v["error"]["kind"], "not-found");
    assert_eq!(v["error"]["exit_code"], 1);
    assert!(v["error"].get("outcome").is_none());
    let v = json_error(&b.fails(&["--json", "contact", "list", "--limit", "x"], 2));
    assert_eq!(v["error"]["kind"], "usage");
    assert_eq!(v["error"]["exit_code"], 2);
    let held = interlog::storage::Store::open(b.path()).unwrap();
    let v = json_error(&b.fails(&["--json", "--wait", "0.1", "contact", "list"], 3));
    assert_eq!(v["error"]["kind"], "store-in-use");
    drop(held);
    // Without --json, errors stay text.
    let err = b.fails(&["contact", "show", "NOPE"], 1);
    assert!(
        err.starts_with("error: contact NOPE does not exist"),
        "{err}"
    );
}

#[test]
fn logging_output_uses_the_shared_names() {
    let b = Bin::new();
    b.ok(&["gen", "--contacts", "50"]);
    let out = b.json(&["segment", "log", "SM00001"]);
    assert!(out.get("follow_up_segment").is_some(), "{out}");
    assert!(out.get("follow_up_segment_no").is_none(), "{out}");
    for (k, t) in out["timings"].as_object().unwrap() {
        let text = t.to_string();
        let decimals = text.split('.').nth(1).map_or(0, str::len);
        assert!(decimals <= 3, "{k} = {text}");
    }
    for v in [
        b.json(&["logged-segment", "show", "1"]),
        b.json(&["logged-segment", "list"])[0].clone(),
    ] {
        assert!(v.get("index_run").is_none(), "internal field shown: {v}");
        assert!(v.get("follow_up_segment").is_some(), "{v}");
    }
}
