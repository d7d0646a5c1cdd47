//! Entry titles as BC shows them in lists and on an entry's card (table "Interaction Log
//! Entry", `GetEntryTitle`): the entry's *template's* description, followed by
//! ` - by <salesperson name>` when the template's information flow is outbound,
//! ` - from <contact name>` when it is inbound, and nothing when it has no flow.

mod common;

use common::bin::Bin;
use common::*;
use interlog::ops::interactions::{self, InteractionRequest, Titles};
use serde_json::Value;

/// The demo data through the binary, plus a template without an information flow.
fn store() -> Bin {
    let b = Bin::demo();
    b.ok(&[
        "template",
        "add",
        "--code",
        "NOTE",
        "--group",
        "SYSTEM",
        "--description",
        "Internal note",
        "--flow",
        "none",
    ]);
    b
}

fn title_of(v: &Value) -> &str {
    v["title"].as_str().expect("title")
}

#[test]
fn an_outbound_entry_is_titled_by_its_salesperson() {
    let b = store();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    let e = b.json(&["interaction", "show", "1"]);
    assert_eq!(title_of(&e), "Business letter - by Helena Ray");
    let text = b.ok(&["interaction", "show", "1"]);
    assert!(text.contains("Business letter - by Helena Ray"), "{text}");
}

#[test]
fn an_inbound_entry_is_titled_from_its_contact() {
    let b = store();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "INCOME",
    ]);
    let e = b.json(&["interaction", "show", "1"]);
    assert_eq!(title_of(&e), "Incoming phone call - from Andrew Lan");
}

#[test]
fn an_entry_without_a_flow_is_titled_by_the_templates_description_alone() {
    let b = store();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "NOTE",
    ]);
    let e = b.json(&["interaction", "show", "1"]);
    assert_eq!(title_of(&e), "Internal note");
}

#[test]
fn the_title_takes_the_templates_description_not_the_entrys() {
    let b = store();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100002",
        "--template",
        "OUTGOING",
        "--salesperson",
        "JO",
        "--description",
        "Called about the invoice",
    ]);
    let e = b.json(&["interaction", "show", "1"]);
    assert_eq!(e["description"], "Called about the invoice");
    assert_eq!(title_of(&e), "Outgoing phone call - by Jim Olive");
}

#[test]
fn lists_show_the_title_in_text_and_json() {
    let b = store();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100124",
        "--template",
        "INCOME",
    ]);
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100002",
        "--template",
        "NOTE",
        "--postpone",
    ]);
    let list = b.json(&["interaction", "list"]);
    let titles: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(title_of)
        .collect();
    assert_eq!(
        titles,
        [
            "Business letter - by Helena Ray",
            "Incoming phone call - from Adam Barr"
        ]
    );
    let text = b.ok(&["interaction", "list"]);
    let head = text.lines().next().expect("header");
    assert!(head.contains("TITLE"), "{head}");
    assert!(
        text.contains("Incoming phone call - from Adam Barr"),
        "{text}"
    );
    let postponed = b.json(&["interaction", "postponed"]);
    assert_eq!(title_of(&postponed[0]), "Internal note");
    let text = b.ok(&["interaction", "postponed"]);
    assert!(text.contains("Internal note"), "{text}");
}

#[test]
fn logged_segment_entries_are_titled_too() {
    let b = store();
    b.ok(&[
        "segment",
        "create",
        "--no",
        "S1",
        "--description",
        "Calls in",
    ]);
    b.ok(&[
        "segment",
        "set-interaction",
        "S1",
        "--template",
        "INCOME",
        "--salesperson",
        "OF",
    ]);
    b.ok(&["segment", "add-line", "S1", "--contact", "CT100131"]);
    b.ok(&["segment", "log", "S1"]);
    let list = b.json(&["interaction", "list", "--segment", "S1"]);
    assert_eq!(
        title_of(&list[0]),
        "Incoming phone call - from Kevin F. Browne"
    );
}

#[test]
fn the_library_gives_the_same_titles() {
    let t = TestStore::demo();
    let e = interactions::create(
        &t.store,
        &t.ctx,
        &InteractionRequest {
            contact: Some(contact("CT100001")),
            template: Some(template("ONSITE")),
            ..InteractionRequest::default()
        },
    )
    .expect("create")
    .entry;
    let titles = Titles::new(&t.store).expect("titles");
    assert_eq!(
        titles.title(&t.store, &e).expect("title"),
        "Meeting at the customers site - by Ester Henderson"
    );
    let titled = titles.titled(&t.store, e.clone()).expect("titled");
    let v = serde_json::to_value(&titled).expect("json");
    assert_eq!(
        v["entry_no"], 1,
        "the entry's own fields stay at the top level"
    );
    assert_eq!(
        v["title"],
        "Meeting at the customers site - by Ester Henderson"
    );
}
