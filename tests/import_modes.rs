//! Re-runnable imports through the binary: `--mode insert|upsert|skip-existing`, `--dry-run`,
//! every refused record of a file listed, and Business Central columns interlog does not store
//! named in a warning instead of being dropped silently.

mod common;

use common::bin::Bin;
use common::fixture;

#[test]
fn modes_make_an_import_re_runnable() {
    let b = Bin::demo();
    let dir = b.dir();
    let file = dir.join("groups.csv");
    std::fs::write(
        &file,
        "code,description\nLETTER,Letters (new text)\nNEWGRP,A new group\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    // insert (the default): the stored LETTER refuses the whole file.
    let err = b.fails(&["import", path, "--mode", "insert"], 1);
    assert!(err.contains("LETTER already exists"), "{err}");
    assert!(!b.ok(&["group", "list"]).contains("NEWGRP"));
    // --dry-run checks and reports, writes nothing.
    let v = b.json(&["import", path, "--mode", "skip-existing", "--dry-run"]);
    assert_eq!(v[0]["dry_run"], true);
    assert_eq!(
        (v[0]["records"].as_u64(), v[0]["skipped"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(!b.ok(&["group", "list"]).contains("NEWGRP"));
    let err = b.fails(&["import", path, "--dry-run"], 1);
    assert!(
        err.contains("LETTER already exists"),
        "a dry run reports what a run would: {err}"
    );
    let ok = b.dir().join("more-groups.csv");
    std::fs::write(
        &ok,
        "code,description
DRY,x
",
    )
    .unwrap();
    let out = b.ok(&[
        "import",
        ok.to_str().unwrap(),
        "--kind",
        "groups",
        "--dry-run",
    ]);
    assert!(out.contains("checked, would import 1 groups"), "{out}");
    assert!(!b.ok(&["group", "list"]).contains("DRY"));
    // skip-existing keeps LETTER as stored and adds the rest.
    let v = b.json(&["import", path, "--mode", "skip-existing"]);
    assert_eq!(
        (v[0]["records"].as_u64(), v[0]["skipped"].as_u64()),
        (Some(1), Some(1))
    );
    let groups = b.ok(&["group", "list"]);
    assert!(
        groups.contains("NEWGRP") && !groups.contains("Letters (new text)"),
        "{groups}"
    );
    // Running it again is harmless.
    let v = b.json(&["import", path, "--mode", "skip-existing"]);
    assert_eq!(
        (v[0]["records"].as_u64(), v[0]["skipped"].as_u64()),
        (Some(0), Some(2))
    );
    // upsert replaces.
    b.ok(&["import", path, "--mode", "upsert"]);
    assert!(b.ok(&["group", "list"]).contains("Letters (new text)"));
}

#[test]
fn upsert_replaces_contacts_but_keeps_their_type() {
    let b = Bin::demo();
    let file = b.dir().join("contacts.csv");
    std::fs::write(
        &file,
        "No.,Name,Type,Company No.,Salesperson Code\nCT100239,Cane Showroom Ltd,Company,CT100239,JO\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    b.ok(&["import", path, "--mode", "upsert"]);
    let v = b.json(&["contact", "show", "CT100239"]);
    assert_eq!(v["name"], "Cane Showroom Ltd");
    std::fs::write(&file, "No.,Name,Type\nCT100239,Cane,Person\n").unwrap();
    let err = b.fails(&["import", path, "--mode", "upsert"], 1);
    assert!(err.contains("does not change a contact's type"), "{err}");
}

#[test]
fn every_refused_record_is_listed_and_unstored_bc_columns_are_named() {
    let b = Bin::demo();
    let file = b.dir().join("groups.csv");
    std::fs::write(&file, "code,description\nLETTER,x\nOK1,y\nMEETING,z\n").unwrap();
    let err = b.fails(&["import", file.to_str().unwrap()], 1);
    assert!(err.contains("2 record(s) refused"), "{err}");
    assert!(err.contains("line 2") && err.contains("line 4"), "{err}");
    // BC's Address and Salutation Code are not stored: the import says so.
    let b = Bin::init();
    b.ok(&["import", fixture("demo/salespeople.csv").to_str().unwrap()]);
    let out = b.run(&[
        "import",
        fixture("bc-export/contacts.csv").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("Address") && err.contains("Salutation Code"),
        "{err}"
    );
    let v = b.json(&[
        "import",
        fixture("bc-export/contacts.csv").to_str().unwrap(),
        "--mode",
        "skip-existing",
    ]);
    assert_eq!(
        v[0]["ignored_columns"],
        serde_json::json!(["Address", "Salutation Code"])
    );
}

/// More writes than one sled transaction takes (the store applies such a committed change in
/// batches): everything arrives, and the store verifies.
#[test]
fn a_large_import_arrives_whole_and_verifies() {
    let b = Bin::demo();
    let mut csv = String::from("no,name,kind,salesperson_code,city\n");
    for i in 0..20_000 {
        csv.push_str(&format!("BIG{i:06},Company {i},company,JO,Leeds\n"));
    }
    let file = b.dir().join("big-contacts.csv");
    std::fs::write(&file, csv).unwrap();
    let v = b.json(&["import", file.to_str().unwrap()]);
    assert_eq!(v[0]["records"], 20_000);
    let leeds = b.json(&["contact", "list", "--filter", "City=Leeds"]);
    assert_eq!(leeds.as_array().unwrap().len(), 20_000);
    assert!(b.ok(&["verify"]).contains("the store is consistent"));
    // Importing it again with skip-existing writes nothing and says so.
    let v = b.json(&["import", file.to_str().unwrap(), "--mode", "skip-existing"]);
    assert_eq!(
        (v[0]["records"].as_u64(), v[0]["skipped"].as_u64()),
        (Some(0), Some(20_000))
    );
}

#[test]
fn a_missing_file_is_reported_once_as_not_found() {
    let b = Bin::init();
    let missing = b.dir().join("no-such-dir").join("contacts.csv");
    let missing = missing.to_str().expect("utf-8 path");
    let text = b.fails(&["import", missing], 1);
    assert_eq!(
        text.matches("No such file or directory").count(),
        1,
        "the cause is said once: {text}"
    );
    let out = b.run(&["--json", "import", missing]);
    assert_eq!(out.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON error");
    assert_eq!(err["error"]["kind"], "not-found", "{err}");
    let message = err["error"]["message"].as_str().expect("message");
    assert_eq!(message.matches("No such file").count(), 1, "{message}");
}
