//! `interlog report`: one self-contained HTML page (inline CSS and SVG, no scripts, no external
//! resources) with entries over time by template, totals by salesperson and campaign (canceled
//! entries left out), logged segments with their outcomes and the recorded batch jobs. The
//! page is parsed: balanced tags, one `<svg>` per chart, every user-given text escaped.

mod common;

use common::bin::Bin;
use serde_json::Value;

const HOSTILE: &str = "<script>alert(1)</script>";

/// Elements written without a closing tag.
const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link"];

/// Checks that every element is closed in order (`<x …/>` closes itself) and returns the
/// element names in the order they open.
fn balanced(html: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut opened = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("a tag is closed by >");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        assert!(!tag.contains('<'), "a '<' inside a tag: {tag}");
        if tag.starts_with('!') {
            assert!(tag.eq_ignore_ascii_case("!DOCTYPE html"), "{tag}");
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "<{open}> closed by </{name}>");
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(!name.is_empty(), "not a tag: <{tag}>");
        // Every attribute value is quoted, with an even number of quotes.
        assert_eq!(tag.matches('"').count() % 2, 0, "<{tag}>");
        opened.push(name.clone());
        if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "never closed: {stack:?}");
    opened
}

/// The demo store with entries in two months, one canceled, a campaign and a segment with a
/// hostile description, a logged segment and a recorded batch job.
fn store() -> Bin {
    let b = Bin::demo();
    b.ok(&[
        "campaign",
        "add",
        "--no",
        "CP9000",
        "--description",
        HOSTILE,
    ]);
    b.ok(&["salesperson", "add", "--code", "XS", "--name", HOSTILE]);
    b.ok(&["contact", "add", "--name", HOSTILE, "--kind", "company"]);
    for (date, contact, template, extra) in [
        (
            "2025-02-03",
            "CT100125",
            "BUS",
            &["--salesperson", "JO"][..],
        ),
        (
            "2025-02-20",
            "CT100239",
            "OUTGOING",
            &["--campaign", "CP1001"],
        ),
        ("2025-03-14", "CT100125", "BUS", &["--campaign", "CP9000"]),
        ("2025-03-14", "CT100240", "INHOUSE", &[]),
    ] {
        let mut a = vec![
            "--work-date",
            date,
            "interaction",
            "create",
            "--contact",
            contact,
            "--template",
            template,
        ];
        a.extend_from_slice(extra);
        b.ok(&a);
    }
    b.ok(&[
        "--work-date",
        "2025-03-14",
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
        "--salesperson",
        "XS",
    ]);
    // The canceled one: entry 4 (INHOUSE) is left out everywhere.
    b.ok(&["interaction", "cancel", "4"]);
    b.ok(&[
        "segment",
        "create",
        "--description",
        HOSTILE,
        "--salesperson",
        "HR",
        "--campaign",
        "CP1001",
    ]);
    b.ok(&["segment", "set-interaction", "SM00001", "--template", "BUS"]);
    b.ok(&[
        "segment",
        "add-contacts",
        "SM00001",
        "--filter",
        "City=Manchester",
    ]);
    let job = b.dir().join("job.json");
    std::fs::write(
        &job,
        r#"{ "id": "nightly-1", "steps": [ { "log": "SM00001", "follow_up": true } ] }"#,
    )
    .unwrap();
    b.ok(&["batch", "run", job.to_str().unwrap()]);
    b
}

#[test]
fn the_report_is_one_self_contained_page_with_escaped_names() {
    let b = store();
    let out = b.dir().join("report.html");
    let o = out.to_str().unwrap();
    let summary: Value = b.json(&["report", "--out", o]);
    assert_eq!(summary["out"], o);
    assert_eq!(summary["canceled_left_out"], 1);
    assert_eq!(summary["logged_segments"], 1);
    assert_eq!(summary["jobs"], 1);
    assert_eq!(summary["period"], "month");
    assert_eq!(summary["periods"], 2);
    let logged = summary["entries"].as_u64().unwrap();
    assert!(logged > 4, "4 created and the logged segment's: {summary}");

    let html = std::fs::read_to_string(&out).unwrap();
    let tags = balanced(&html);
    // One <svg> per chart: entries over time, by salesperson, by campaign, per logged segment.
    let figures = tags.iter().filter(|t| *t == "figure").count();
    let svgs = tags.iter().filter(|t| *t == "svg").count();
    assert_eq!(figures, 4, "{html}");
    assert_eq!(svgs, figures);
    assert_eq!(html.matches("<svg").count(), 4);
    // Self-contained: no scripts, no external resources.
    assert!(!tags
        .iter()
        .any(|t| t == "script" || t == "link" || t == "img"));
    for bad in ["http://", "https://", "src=", "url(", "@import"] {
        assert!(!html.contains(bad), "{bad} in the page");
    }
    // The hostile names appear, escaped, never as markup.
    assert!(!html.contains(HOSTILE));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // What the demo data put there.
    for s in [
        "BUS",
        "OUTGOING",
        "Helena Ray",
        "Jim Olive",
        "CP1001",
        "Increase sale",
        "2025-02",
        "2025-03",
        "nightly-1",
        "SM00001",
        "Canceled entries are left out",
    ] {
        assert!(html.contains(s), "{s} missing");
    }
    // The canceled INHOUSE entry is left out.
    assert!(!html.contains("INHOUSE"));

    // Canceling the logged segment moves its entries out of the counts.
    let before = b.ok(&["report"]);
    b.ok(&["logged-segment", "cancel", "1"]);
    let after: Value = b.json(&["report", "--out", o]);
    let moved = 1 + logged - after["entries"].as_u64().unwrap();
    assert!(moved > 1, "{after}");
    assert_eq!(after["canceled_left_out"].as_u64().unwrap(), moved);
    let html_after = std::fs::read_to_string(&out).unwrap();
    assert_ne!(html_after, before);
    balanced(&html_after);
    b.ok(&["logged-segment", "cancel", "1"]);
    let html = b.ok(&["report", "--out", "-"]);
    assert_eq!(html, before);

    // The same page on stdout, without --out and with --out -.
    let stdout = b.ok(&["report"]);
    assert_eq!(stdout, html);
    assert_eq!(b.ok(&["report", "--out", "-"]), html);

    // The safe target rules of export: not inside the store, not a directory.
    let inside = b.path().join("report.html");
    let err = b.fails(&["report", "--out", inside.to_str().unwrap()], 1);
    assert!(err.contains("inside the store directory"), "{err}");
    assert!(!inside.exists());
    let err = b.fails(&["report", "--out", b.dir().to_str().unwrap()], 1);
    assert!(
        err.contains("cannot export to") || err.contains("directory"),
        "{err}"
    );
}

#[test]
fn an_empty_store_gives_a_page_without_charts() {
    let b = Bin::init();
    let html = b.ok(&["report"]);
    let tags = balanced(&html);
    assert!(!tags.iter().any(|t| t == "svg"));
    assert!(html.contains("No entries."));
    assert!(html.contains("No logged segments."));
    assert!(html.contains("No batch jobs recorded."));
}
