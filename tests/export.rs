//! Export of entries, logged segments, contacts and statistics as CSV or JSON: stable columns,
//! the filters and counts of `interaction list`, postponed entries left out, formula cells
//! neutralized in CSV only, value formats, atomic `--out` files, streaming of many entries —
//! through the library and through the `interlog` binary.

mod common;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use interlog::batch::{log_segment, LogOptions};

use interlog::domain::*;
use interlog::exchange::export::{self, ExportError, ExportKind, Format};
use interlog::exchange::import::import_file;
use interlog::ops::interactions::{self, EntryFilter, InteractionRequest};
use interlog::ops::master::{self, ContactInput};
use interlog::ops::segments::{self, InteractionChange, NoProgress, SegmentInput};
use interlog::ops::stats::{self, StatsBy};
use interlog::OpError;
use serde_json::Value;
use tempfile::TempDir;

/// The contact whose name is a spreadsheet formula.
const FORMULA_NAME: &str = "=HYPERLINK(\"x\")";

/// The demo store with a small history:
///
/// | # | contact  | template | notes                                             |
/// |---|----------|----------|---------------------------------------------------|
/// | 1 | CT100239 | BUS      | 2025-03-10, a comment                             |
/// | 2 | CT100239 | OUTGOING | 2025-03-14, campaign CP1001                       |
/// | 3 | CT100125 | BUS      | 2025-03-12, JO, 5.50, 10 min, CP1001              |
/// | 4 | CT100240 | ONSITE   | 2025-03-30, canceled                              |
/// | 5 | CT100240 | INCOME   | postponed                                         |
/// | 6 | CT100240 | INHOUSE  | 2025-03-05, description `+1 follow-up`            |
/// | 7 | CT100125 | BUS      | description `-minus`                              |
/// | 8 | CT100125 | BUS      | description `@mention`, subject `=1+1`            |
/// | 9…11 | CT100239, CT100125, CT100240 | GOLF | logged segment 1 (campaign CP1002) |
///
/// plus a contact named `=HYPERLINK("x")`.
fn history() -> TestStore {
    let t = TestStore::demo();
    struct E {
        c: &'static str,
        tpl: &'static str,
        d: &'static str,
        sp: Option<&'static str>,
        cost: Option<(&'static str, u32)>,
        camp: Option<&'static str>,
        desc: Option<&'static str>,
        subject: Option<&'static str>,
        comment: Option<&'static str>,
    }
    let e = |c, tpl, d| E {
        c,
        tpl,
        d,
        sp: None,
        cost: None,
        camp: None,
        desc: None,
        subject: None,
        comment: None,
    };
    let rows = [
        E {
            comment: Some("first call"),
            ..e("CT100239", "BUS", "2025-03-10")
        },
        E {
            camp: Some("CP1001"),
            ..e("CT100239", "OUTGOING", "2025-03-14")
        },
        E {
            sp: Some("JO"),
            cost: Some(("5.50", 10)),
            camp: Some("CP1001"),
            ..e("CT100125", "BUS", "2025-03-12")
        },
        e("CT100240", "ONSITE", "2025-03-30"),
        e("CT100240", "INCOME", "2025-03-31"),
        E {
            desc: Some("+1 follow-up"),
            ..e("CT100240", "INHOUSE", "2025-03-05")
        },
        E {
            desc: Some("-minus"),
            ..e("CT100125", "BUS", "2025-03-13")
        },
        E {
            desc: Some("@mention"),
            subject: Some("=1+1"),
            ..e("CT100125", "BUS", "2025-03-13")
        },
    ];
    for (i, r) in rows.into_iter().enumerate() {
        let req = InteractionRequest {
            contact: Some(contact(r.c)),
            template: Some(template(r.tpl)),
            salesperson: r.sp.map(sp),
            date: Some(date(r.d)),
            cost: r.cost.map(|(c, _)| money(c)),
            duration_min: r.cost.map(|(_, m)| m),
            campaign: r.camp.map(campaign),
            description: r.desc.map(String::from),
            subject: r.subject.map(String::from),
            comments: r.comment.map(String::from).into_iter().collect(),
            postpone: i == 4,
            ..Default::default()
        };
        let made = interactions::create(&t.store, &t.ctx, &req).expect("create");
        if i == 3 {
            interactions::switch_canceled(&t.store, &[made.entry.entry_no]).expect("cancel");
        }
    }
    let input = SegmentInput {
        description: "Golf day".into(),
        salesperson: Some(sp("BC")),
        campaign: Some(campaign("CP1002")),
        ..Default::default()
    };
    let no = segments::create(&t.store, &t.ctx, &input)
        .expect("create segment")
        .record
        .no;
    let change = InteractionChange {
        template: Some(template("GOLF")),
        ..Default::default()
    };
    segments::set_interaction(&t.store, &no, &change, &NoProgress).expect("set template");
    for c in ["CT100239", "CT100125", "CT100240"] {
        segments::add_line(&t.store, &no, &contact(c)).expect("add line");
    }
    log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).expect("log");
    master::add_contact(
        &t.store,
        &t.ctx,
        ContactInput {
            no: Some("CT900001".into()),
            name: FORMULA_NAME.into(),
            kind: ContactKind::Company,
            ..Default::default()
        },
    )
    .expect("formula contact");
    t
}

fn entries(t: &TestStore, filter: &EntryFilter, format: Format) -> (String, u64) {
    let mut out = Vec::new();
    let r = export::export_entries(&t.store, filter, format, &mut out, &NoProgress)
        .expect("export entries");
    assert_eq!(r.kind, ExportKind::Entries);
    assert_eq!(r.format, format);
    (String::from_utf8(out).expect("UTF-8"), r.rows)
}

/// The CSV's header and records.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let head = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(String::from).collect())
        .collect();
    (head, rows)
}

fn parse_json(text: &str) -> Vec<Value> {
    match serde_json::from_str(text).expect("valid JSON") {
        Value::Array(a) => a,
        other => panic!("not an array: {other}"),
    }
}

fn col(name: &str) -> usize {
    export::ENTRY_COLUMNS
        .iter()
        .position(|c| *c == name)
        .expect("column")
}

fn listed(t: &TestStore, filter: &EntryFilter) -> Vec<u64> {
    interactions::list(&t.store, filter)
        .expect("list")
        .iter()
        .map(|e| e.entry_no.0)
        .collect()
}

fn all_filters() -> Vec<(&'static str, EntryFilter)> {
    let f = EntryFilter::default;
    vec![
        ("none", f()),
        (
            "contact",
            EntryFilter {
                contact: Some(contact("CT100125")),
                ..f()
            },
        ),
        (
            "template",
            EntryFilter {
                template: Some(template("BUS")),
                ..f()
            },
        ),
        (
            "salesperson",
            EntryFilter {
                salesperson: Some(sp("JO")),
                ..f()
            },
        ),
        (
            "campaign",
            EntryFilter {
                campaign: Some(campaign("CP1002")),
                ..f()
            },
        ),
        (
            "segment",
            EntryFilter {
                segment: Some(seg("SM00001")),
                ..f()
            },
        ),
        (
            "logged segment",
            EntryFilter {
                logged_segment: Some(LoggedSegmentNo(1)),
                ..f()
            },
        ),
        (
            "canceled",
            EntryFilter {
                canceled: Some(true),
                ..f()
            },
        ),
        (
            "not canceled",
            EntryFilter {
                canceled: Some(false),
                ..f()
            },
        ),
        (
            "dates",
            EntryFilter {
                from_date: Some(date("2025-03-10")),
                to_date: Some(date("2025-03-13")),
                ..f()
            },
        ),
        (
            "contact and dates",
            EntryFilter {
                contact: Some(contact("CT100239")),
                from_date: Some(date("2025-03-11")),
                ..f()
            },
        ),
    ]
}

#[test]
fn every_kind_has_its_column_constant_as_csv_header() {
    let t = history();
    let (csv_text, _) = entries(&t, &EntryFilter::default(), Format::Csv);
    assert_eq!(
        csv_text.lines().next().unwrap(),
        export::ENTRY_COLUMNS.join(",")
    );
    type Exp = fn(&TestStore, Format, &mut Vec<u8>) -> Result<export::ExportReport, ExportError>;
    let kinds: [(ExportKind, &[&str], Exp); 3] = [
        (
            ExportKind::LoggedSegments,
            &export::LOGGED_SEGMENT_COLUMNS,
            |t, f, o| export::export_logged_segments(&t.store, f, o, &NoProgress),
        ),
        (ExportKind::Contacts, &export::CONTACT_COLUMNS, |t, f, o| {
            export::export_contacts(&t.store, f, o, &NoProgress)
        }),
        (ExportKind::Stats, &export::STATS_COLUMNS, |t, f, o| {
            export::export_stats(&t.store, StatsBy::Template, f, o, &NoProgress)
        }),
    ];
    for (kind, columns, exp) in kinds {
        assert_eq!(kind.columns(), columns);
        let mut out = Vec::new();
        let r = exp(&t, Format::Csv, &mut out).expect("export");
        assert_eq!(r.kind, kind);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().next().unwrap(), columns.join(","), "{kind}");
        assert_eq!(text.lines().count() as u64, r.rows + 1, "{kind}");
        // JSON objects carry the same names, in the same order.
        let mut out = Vec::new();
        exp(&t, Format::Json, &mut out).expect("export");
        let text = String::from_utf8(out).unwrap();
        for o in parse_json(&text) {
            let o = o.as_object().unwrap();
            assert_eq!(o.len(), columns.len(), "{kind}");
            assert!(columns.iter().all(|c| o.contains_key(*c)), "{kind}");
        }
        let first = text.lines().nth(1).expect("one object");
        let at: Vec<usize> = columns
            .iter()
            .map(|c| first.find(&format!("\"{c}\":")).expect("field"))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{kind}: {first}");
    }
}

#[test]
fn json_entries_have_the_columns_in_order() {
    let t = history();
    let (text, rows) = entries(&t, &EntryFilter::default(), Format::Json);
    let list = parse_json(&text);
    assert_eq!(list.len() as u64, rows);
    for o in &list {
        let keys: Vec<&String> = o.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), export::ENTRY_COLUMNS.len());
    }
    // One object per line after `[`: the text order of the fields is the column order.
    let first = text.lines().nth(1).unwrap();
    let at: Vec<usize> = export::ENTRY_COLUMNS
        .iter()
        .map(|c| first.find(&format!("\"{c}\":")).expect("field"))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{first}");
}

#[test]
fn csv_and_json_rows_equal_the_listing_for_every_filter() {
    let t = history();
    for (name, filter) in all_filters() {
        let expected = listed(&t, &filter);
        let (text, rows) = entries(&t, &filter, Format::Csv);
        let (head, records) = parse_csv(&text);
        assert_eq!(head, export::ENTRY_COLUMNS, "{name}");
        let got: Vec<u64> = records
            .iter()
            .map(|r| r[col("entry_no")].parse().unwrap())
            .collect();
        assert_eq!(got, expected, "{name} (CSV)");
        assert_eq!(rows, expected.len() as u64, "{name}");
        let (text, rows) = entries(&t, &filter, Format::Json);
        let got: Vec<u64> = parse_json(&text)
            .iter()
            .map(|o| o["entry_no"].as_u64().unwrap())
            .collect();
        assert_eq!(got, expected, "{name} (JSON)");
        assert_eq!(rows, expected.len() as u64, "{name}");
    }
    // The filters do filter.
    let count = |f: &EntryFilter| entries(&t, f, Format::Csv).1;
    let all = count(&EntryFilter::default());
    assert_eq!(all, 10, "11 entries, one postponed");
    for (name, filter) in &all_filters()[1..] {
        assert!(count(filter) < all, "{name}");
        assert!(count(filter) > 0, "{name}");
    }
}

#[test]
fn postponed_entries_are_never_exported() {
    let t = history();
    let postponed: Vec<u64> = interactions::postponed(&t.store)
        .unwrap()
        .iter()
        .map(|e| e.entry_no.0)
        .collect();
    assert_eq!(postponed, [5]);
    for (name, filter) in all_filters() {
        for format in [Format::Csv, Format::Json] {
            let (text, _) = entries(&t, &filter, format);
            let nos: Vec<u64> = match format {
                Format::Csv => parse_csv(&text)
                    .1
                    .iter()
                    .map(|r| r[0].parse().unwrap())
                    .collect(),
                Format::Json => parse_json(&text)
                    .iter()
                    .map(|o| o["entry_no"].as_u64().unwrap())
                    .collect(),
                other => unreachable!("{other} is not exported here"),
            };
            assert!(!nos.contains(&5), "{name} {format}");
        }
    }
    // Even when asked for by its contact.
    let f = EntryFilter {
        contact: Some(contact("CT100240")),
        ..Default::default()
    };
    let (text, _) = entries(&t, &f, Format::Csv);
    let nos: Vec<String> = parse_csv(&text).1.iter().map(|r| r[0].clone()).collect();
    assert_eq!(nos, ["4", "6", "11"]);
}

#[test]
fn formula_cells_are_neutralized_in_csv_and_left_alone_in_json() {
    let t = history();
    let (text, _) = entries(&t, &EntryFilter::default(), Format::Csv);
    let (_, rows) = parse_csv(&text);
    let row = |no: &str| rows.iter().find(|r| r[0] == no).expect("row");
    assert_eq!(row("6")[col("description")], "'+1 follow-up");
    assert_eq!(row("7")[col("description")], "'-minus");
    assert_eq!(row("8")[col("description")], "'@mention");
    assert_eq!(row("8")[col("subject")], "'=1+1");
    // The subject defaults to the description, so it was neutralized too.
    assert_eq!(row("6")[col("subject")], "'+1 follow-up");
    // Nothing else starts with a quote.
    for r in &rows {
        for (i, cell) in r.iter().enumerate() {
            if cell.starts_with('\'') {
                assert!(
                    ["description", "subject"].contains(&export::ENTRY_COLUMNS[i]),
                    "{cell}"
                );
            }
        }
    }
    let (text, _) = entries(&t, &EntryFilter::default(), Format::Json);
    let list = parse_json(&text);
    let obj = |no: u64| {
        list.iter()
            .find(|o| o["entry_no"] == no)
            .expect("object")
            .clone()
    };
    assert_eq!(obj(6)["description"], "+1 follow-up");
    assert_eq!(obj(7)["description"], "-minus");
    assert_eq!(obj(8)["description"], "@mention");
    assert_eq!(obj(8)["subject"], "=1+1");

    let mut out = Vec::new();
    export::export_contacts(&t.store, Format::Csv, &mut out, &NoProgress).unwrap();
    let (head, rows) = parse_csv(&String::from_utf8(out).unwrap());
    let name = head.iter().position(|h| h == "name").unwrap();
    let r = rows.iter().find(|r| r[0] == "CT900001").expect("contact");
    assert_eq!(r[name], format!("'{FORMULA_NAME}"));
    let mut out = Vec::new();
    export::export_contacts(&t.store, Format::Json, &mut out, &NoProgress).unwrap();
    let list = parse_json(&String::from_utf8(out).unwrap());
    let c = list.iter().find(|o| o["no"] == "CT900001").unwrap();
    assert_eq!(c["name"], FORMULA_NAME);
}

#[test]
fn dates_times_money_booleans_and_comments_have_fixed_formats() {
    let t = history();
    let (text, _) = entries(&t, &EntryFilter::default(), Format::Csv);
    let (_, rows) = parse_csv(&text);
    let row = |no: &str| rows.iter().find(|r| r[0] == no).expect("row").clone();
    let r3 = row("3");
    assert_eq!(r3[col("date")], "2025-03-12");
    assert_eq!(r3[col("time_of_interaction")], "09:30:00");
    assert_eq!(r3[col("cost")], "5.50");
    assert_eq!(r3[col("duration_min")], "10");
    assert_eq!(r3[col("salesperson_code")], "JO");
    assert_eq!(r3[col("campaign_no")], "CP1001");
    assert_eq!(r3[col("canceled")], "false");
    assert_eq!(r3[col("attempt_failed")], "false");
    assert_eq!(r3[col("contact_company_no")], "CT100239");
    assert_eq!(r3[col("segment_no")], "");
    assert_eq!(row("4")[col("canceled")], "true");
    assert_eq!(row("1")[col("comments")], "2025-03-14 first call");
    assert_eq!(row("9")[col("logged_segment_entry_no")], "1");
    assert_eq!(row("9")[col("segment_no")], "SM00001");
    for r in &rows {
        let cost = &r[col("cost")];
        let (whole, cents) = cost.split_once('.').expect("two decimals");
        assert!(whole.parse::<u64>().is_ok() && cents.len() == 2, "{cost}");
        assert!(
            ["none", "hard-copy", "email"].contains(&r[col("correspondence_type")].as_str()),
            "{r:?}"
        );
    }

    let (text, _) = entries(&t, &EntryFilter::default(), Format::Json);
    let list = parse_json(&text);
    let o3 = list.iter().find(|o| o["entry_no"] == 3).unwrap();
    assert_eq!(o3["date"], "2025-03-12");
    assert_eq!(o3["time_of_interaction"], "09:30:00");
    assert_eq!(o3["cost"], "5.50");
    assert_eq!(o3["duration_min"], 10);
    assert_eq!(o3["canceled"], false);
    assert_eq!(o3["segment_no"], Value::Null);
    assert_eq!(o3["comments"], serde_json::json!([]));
    let o1 = list.iter().find(|o| o["entry_no"] == 1).unwrap();
    assert_eq!(
        o1["comments"],
        serde_json::json!([{ "date": "2025-03-14", "text": "first call" }])
    );
    let o4 = list.iter().find(|o| o["entry_no"] == 4).unwrap();
    assert_eq!(o4["canceled"], true);
}

#[test]
fn logged_segments_contacts_and_statistics_export_what_the_listings_show() {
    let t = history();
    let mut out = Vec::new();
    let r = export::export_logged_segments(&t.store, Format::Json, &mut out, &NoProgress).unwrap();
    assert_eq!(r.rows, 1);
    let list = parse_json(&String::from_utf8(out).unwrap());
    assert_eq!(list[0]["entry_no"], 1);
    assert_eq!(list[0]["segment_no"], "SM00001");
    assert_eq!(list[0]["no_of_interactions"], 3);
    assert_eq!(list[0]["first_entry_no"], 9);
    assert_eq!(list[0]["canceled"], false);

    let mut out = Vec::new();
    let r = export::export_contacts(&t.store, Format::Csv, &mut out, &NoProgress).unwrap();
    let contacts = master::list_contacts(&t.store).unwrap();
    assert_eq!(r.rows, contacts.len() as u64);
    let (_, rows) = parse_csv(&String::from_utf8(out).unwrap());
    let nos: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    // Companies first, then persons, each by number.
    let (mut expected, persons): (Vec<_>, Vec<_>) = contacts
        .iter()
        .partition(|c| c.kind == ContactKind::Company);
    expected.extend(persons);
    let expected: Vec<&str> = expected.iter().map(|c| c.no.as_str()).collect();
    assert_eq!(nos, expected);

    for by in [
        StatsBy::Template,
        StatsBy::Group,
        StatsBy::Contact,
        StatsBy::Salesperson,
        StatsBy::Campaign,
    ] {
        let mut out = Vec::new();
        export::export_stats(&t.store, by, Format::Json, &mut out, &NoProgress).unwrap();
        let got = parse_json(&String::from_utf8(out).unwrap());
        let expected = serde_json::to_value(stats::stats(&t.store, by).unwrap()).unwrap();
        assert_eq!(Value::Array(got), expected, "{by:?}");
    }
}

#[test]
fn exported_contacts_import_into_another_store() {
    let t = TestStore::demo();
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("contacts.csv");
    export::export_to_file(&t.store, &file, |f| {
        export::export_contacts(&t.store, Format::Csv, f, &NoProgress)
    })
    .unwrap();
    let other = TestStore::new();
    for f in ["demo/groups.csv", "demo/salespeople.csv"] {
        import_file(&other.store, &other.ctx, &fixture(f), None).expect("import");
    }
    import_file(&other.store, &other.ctx, &file, None).expect("import the export");
    assert_eq!(
        master::list_contacts(&other.store).unwrap(),
        master::list_contacts(&t.store).unwrap()
    );
}

#[test]
fn a_filter_naming_a_missing_record_is_refused_and_writes_nothing() {
    let t = history();
    let refused = [
        EntryFilter {
            contact: Some(contact("CT999999")),
            ..Default::default()
        },
        EntryFilter {
            template: Some(template("NOPE")),
            ..Default::default()
        },
        EntryFilter {
            salesperson: Some(sp("ZZ")),
            ..Default::default()
        },
        EntryFilter {
            campaign: Some(campaign("CP9999")),
            ..Default::default()
        },
        EntryFilter {
            logged_segment: Some(LoggedSegmentNo(42)),
            ..Default::default()
        },
    ];
    for f in refused {
        let mut out = Vec::new();
        let e = export::export_entries(&t.store, &f, Format::Csv, &mut out, &NoProgress)
            .expect_err("refused");
        assert!(
            matches!(e, ExportError::Op(OpError::NotFound { .. })),
            "{f:?}: {e}"
        );
        assert!(out.is_empty(), "{f:?}");
    }
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_file_export_is_atomic() {
    let t = history();
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("entries.csv");
    // A refused export leaves no file at all.
    let bad = EntryFilter {
        contact: Some(contact("CT999999")),
        ..Default::default()
    };
    let e = export::export_to_file(&t.store, &file, |f| {
        export::export_entries(&t.store, &bad, Format::Csv, f, &NoProgress)
    })
    .expect_err("refused");
    assert!(matches!(e, ExportError::Op(_)));
    assert!(dir_names(dir.path()).is_empty());
    // A good one writes the file, and only it.
    let r = export::export_to_file(&t.store, &file, |f| {
        export::export_entries(
            &t.store,
            &EntryFilter::default(),
            Format::Csv,
            f,
            &NoProgress,
        )
    })
    .unwrap();
    assert_eq!(dir_names(dir.path()), ["entries.csv"]);
    let good = std::fs::read_to_string(&file).unwrap();
    assert_eq!(good.lines().count() as u64, r.rows + 1);
    // A failure half-way (after rows were written) keeps the older file as it was.
    let e = export::export_to_file(&t.store, &file, |f| -> Result<(), ExportError> {
        f.write_all(b"entry_no\n1\n")?;
        Err(io::Error::other("disk on fire").into())
    })
    .expect_err("fails");
    match e {
        ExportError::Io { path, .. } => assert_eq!(path.as_deref(), Some(file.as_path())),
        other => panic!("{other}"),
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), good);
    assert_eq!(dir_names(dir.path()), ["entries.csv"]);
    // A missing directory is an IO error naming the file.
    let missing = dir.path().join("nope").join("x.csv");
    let e = export::export_to_file(&t.store, &missing, |f| {
        export::export_contacts(&t.store, Format::Csv, f, &NoProgress)
    })
    .expect_err("no directory");
    assert!(e.to_string().contains("x.csv"), "{e}");
}

/// Counts bytes and lines without keeping them.
#[derive(Default)]
struct Counter {
    lines: u64,
    bytes: u64,
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn fifty_thousand_entries_stream_out() {
    const N: u64 = 50_000;
    let (t, no) = TestStore::generated(N, 5);
    log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap();
    let mut c = Counter::default();
    let r = export::export_entries(
        &t.store,
        &EntryFilter::default(),
        Format::Csv,
        &mut c,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(r.rows, N);
    assert_eq!(c.lines, N + 1);
    let mut c = Counter::default();
    let r = export::export_entries(
        &t.store,
        &EntryFilter::default(),
        Format::Json,
        &mut c,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(r.rows, N);
    assert_eq!(c.lines, N + 2, "`[`, one line per object, `]`");
    // A filtered export streams too: one salesperson's share.
    let f = EntryFilter {
        salesperson: Some(sp("HR")),
        ..Default::default()
    };
    let mut c = Counter::default();
    let r = export::export_entries(&t.store, &f, Format::Csv, &mut c, &NoProgress).unwrap();
    assert_eq!(r.rows, listed(&t, &f).len() as u64);
    assert!(r.rows > 0 && r.rows < N);
}

// ---------------------------------------------------------------------------------------------
// Through the binary

/// A store on disk, closed so the binary can open it.
struct OnDisk {
    dir: TempDir,
}

impl OnDisk {
    fn from(t: TestStore) -> OnDisk {
        let TestStore { dir, store, .. } = t;
        drop(store);
        OnDisk { dir }
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .arg("--store")
            .arg(self.store())
            .args(args)
            .output()
            .expect("run interlog")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?} printed on failure");
        String::from_utf8(out.stderr).unwrap()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

#[test]
fn cli_exports_what_interaction_list_lists() {
    let d = OnDisk::from(history());
    let filters: [&[&str]; 9] = [
        &[],
        &["--contact", "CT100125"],
        &["--template", "BUS"],
        &["--salesperson", "JO"],
        &["--campaign", "CP1002"],
        &["--segment", "SM00001", "--logged-segment", "1"],
        &["--canceled"],
        &["--not-canceled"],
        &["--from", "2025-03-10", "--to", "2025-03-13"],
    ];
    for f in filters {
        let mut list = vec!["--json", "interaction", "list"];
        list.extend_from_slice(f);
        let listed: Vec<Value> = parse_json(&d.ok(&list));
        let nos: Vec<u64> = listed
            .iter()
            .map(|o| o["entry_no"].as_u64().unwrap())
            .collect();

        let mut csv_args = vec!["export", "entries", "--format", "csv"];
        csv_args.extend_from_slice(f);
        let text = d.ok(&csv_args);
        assert_eq!(
            text.lines().next().unwrap(),
            export::ENTRY_COLUMNS.join(","),
            "{f:?}"
        );
        let got: Vec<u64> = parse_csv(&text)
            .1
            .iter()
            .map(|r| r[0].parse().unwrap())
            .collect();
        assert_eq!(got, nos, "{f:?} (CSV)");

        let mut json_args = vec!["export", "entries", "--format", "json"];
        json_args.extend_from_slice(f);
        let got: Vec<u64> = parse_json(&d.ok(&json_args))
            .iter()
            .map(|o| o["entry_no"].as_u64().unwrap())
            .collect();
        assert_eq!(got, nos, "{f:?} (JSON)");
    }
    // CSV is the default format; the global --json flag adds nothing on stdout.
    assert_eq!(
        d.ok(&["export", "entries"]),
        d.ok(&["--json", "export", "entries", "--format", "csv"])
    );
}

#[test]
fn cli_out_writes_the_file_atomically_and_reports_it() {
    let d = OnDisk::from(history());
    let file = d.file("entries.json");
    let f = file.to_str().unwrap();
    let summary: Value = serde_json::from_str(&d.ok(&[
        "--json", "export", "entries", "--format", "json", "--out", f,
    ]))
    .expect("summary");
    assert_eq!(summary["kind"], "entries");
    assert_eq!(summary["format"], "json");
    assert_eq!(summary["rows"], 10);
    assert_eq!(summary["out"], f);
    let list = parse_json(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(list.len(), 10);
    let before = dir_names(d.dir.path());

    // Refused: an unknown contact (exit 1), a bad date (usage, exit 2). No file appears and the
    // older file stays as it was.
    let csv = d.file("entries.csv");
    let c = csv.to_str().unwrap();
    let err = d.fails(
        &["export", "entries", "--contact", "CT999999", "--out", c],
        1,
    );
    assert!(err.contains("CT999999"), "{err}");
    d.fails(
        &["export", "entries", "--from", "2025-13-01", "--out", c],
        2,
    );
    d.fails(&["export", "entries", "--format", "xml", "--out", c], 2);
    let err = d.fails(
        &["export", "entries", "--contact", "CT999999", "--out", f],
        1,
    );
    assert!(err.contains("CT999999"), "{err}");
    assert_eq!(dir_names(d.dir.path()), before);
    assert_eq!(
        parse_json(&std::fs::read_to_string(&file).unwrap()).len(),
        10
    );

    // Without --json a line tells what was written.
    let said = d.ok(&["export", "logged-segments", "--out", c]);
    assert!(
        said.contains("exported 1 row(s) of logged-segments as csv"),
        "{said}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        export::LOGGED_SEGMENT_COLUMNS.join(",")
    );
}

#[test]
fn cli_exports_contacts_and_statistics() {
    let d = OnDisk::from(history());
    let text = d.ok(&["export", "contacts"]);
    let (head, rows) = parse_csv(&text);
    assert_eq!(head, export::CONTACT_COLUMNS);
    assert_eq!(rows.len(), 21, "20 demo contacts and the formula one");
    let name = head.iter().position(|h| h == "name").unwrap();
    assert!(rows.iter().any(|r| r[name] == format!("'{FORMULA_NAME}")));

    let stats_json: Vec<Value> = parse_json(&d.ok(&["--json", "stats", "--by", "salesperson"]));
    let exported =
        parse_json(&d.ok(&["export", "stats", "--by", "salesperson", "--format", "json"]));
    assert_eq!(exported, stats_json);
    let text = d.ok(&["export", "stats", "--by", "campaign"]);
    let (head, rows) = parse_csv(&text);
    assert_eq!(head, export::STATS_COLUMNS);
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["CP1001", "CP1002"]
    );
}

#[test]
fn cli_a_closed_pipe_is_not_an_error() {
    let (t, no) = TestStore::generated(3_000, 3);
    log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap();
    let d = OnDisk::from(t);
    let mut child = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .arg("--store")
        .arg(d.store())
        .args(["export", "entries", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(first[0], b'[');
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CSV export of a scan is formatted block by block on several threads (a window of 8 blocks
/// of ≤ 8192 entries): with 100k entries (13 blocks, two windows), every row still comes out
/// once, in entry number order, filtered as `interaction list` filters, and byte for byte as
/// the one-row-at-a-time path writes it (the contact filter's path, compared per contact).
#[test]
fn a_csv_export_formatted_in_parallel_keeps_order_and_bytes() {
    const N: u64 = 100_000;
    let (t, no) = TestStore::generated(N, 9);
    log_segment(&t.store, &t.ctx, &no, LogOptions::default(), &NoProgress).unwrap();
    for filter in [
        EntryFilter::default(),
        EntryFilter {
            salesperson: Some(sp("HR")),
            ..Default::default()
        },
    ] {
        let (text, rows) = entries(&t, &filter, Format::Csv);
        let (_, records) = parse_csv(&text);
        let nos: Vec<u64> = records
            .iter()
            .map(|r| r[col("entry_no")].parse().expect("number"))
            .collect();
        assert_eq!(nos, listed(&t, &filter), "{filter:?}");
        assert_eq!(rows, nos.len() as u64);
        // Rows of three contacts far apart, against the per-entry path.
        let lines: Vec<&str> = text.lines().collect();
        for (i, r) in records.iter().enumerate().step_by(records.len() / 3) {
            let contact = ContactNo::new(&r[col("contact_no")]).expect("contact");
            let one = EntryFilter {
                contact: Some(contact),
                ..filter.clone()
            };
            let (alone, n) = entries(&t, &one, Format::Csv);
            assert_eq!(n, 1, "one entry per generated contact");
            assert_eq!(alone.lines().nth(1), Some(lines[i + 1]), "row {i}");
        }
    }
}
