//! Contacts stored in blocks: a large import (more than `BULK_CONTACTS` rows) lands in sorted
//! contact blocks through one small commit; single records (small imports, `contact add`) go to
//! the delta; every read (list, show, export, verify, dump) sees the merge, and every import
//! mode keeps its meaning over blocks and delta alike.

mod common;

use std::path::Path;

use common::bin::Bin;
use interlog::storage::{Store, TreeId};
use serde_json::Value;

/// More rows than an import writes as single records.
const BIG: usize = 5000;

/// A contacts file: companies `CB0xxxxx` (numbers divisible by ten) and persons of the company before
/// them, numbers `from..from+n` in steps of `step`, names tagged with `tag`.
fn contacts_csv(path: &Path, from: usize, n: usize, step: usize, tag: &str) {
    let mut s = String::from("No.,Name,Type,Company No.,City,E-Mail\n");
    for k in 0..n {
        let i = from + k * step;
        let (kind, company) = if i.is_multiple_of(10) {
            ("Company", format!("CB{i:07}"))
        } else {
            ("Person", format!("CB{:07}", i - i % 10))
        };
        s.push_str(&format!(
            "CB{i:07},{tag} {i},{kind},{company},Town {},c{i}@example.com\n",
            i % 17
        ));
    }
    std::fs::write(path, s).unwrap();
}

/// (contact blocks, delta records) of the store, read through the library.
fn layout(b: &Bin) -> (usize, usize) {
    let s = Store::open(b.path()).unwrap();
    (
        s.raw(TreeId::ContactBlocks).len(),
        s.raw(TreeId::Contacts).len(),
    )
}

fn name_of(b: &Bin, no: &str) -> String {
    let v = b.json(&["contact", "show", no]);
    v["name"].as_str().unwrap_or_default().to_string()
}

fn list(b: &Bin) -> Vec<Value> {
    match b.json(&["contact", "list"]) {
        Value::Array(a) => a,
        other => panic!("not a list: {other}"),
    }
}

#[test]
fn a_large_import_goes_to_blocks_and_single_records_to_the_delta_and_every_read_agrees() {
    let b = Bin::init();
    let big = b.dir().join("contacts.csv");
    // Persons follow their company: numbers 0.. in order (a company every tenth).
    contacts_csv(&big, 0, BIG, 1, "Bulk");
    b.ok(&["import", big.to_str().unwrap()]);
    let (blocks, delta) = layout(&b);
    assert!(blocks >= 1, "a large import writes contact blocks");
    assert_eq!(delta, 0, "a large import writes no single contact records");
    assert_eq!(list(&b).len(), BIG);

    // Single edits: an upsert of a block contact, a new contact between two block contacts,
    // a new one after them all, and `contact add`.
    let small = b.dir().join("few.csv");
    std::fs::write(
        &small,
        "No.,Name,Type,Company No.\n\
         CB0000007,Edited Person,Person,CB0000000\n\
         CB0000007A,Between,Person,CB0000000\n\
         CZ0000001,After,Company,\n",
    )
    .unwrap();
    b.ok(&[
        "import",
        small.to_str().unwrap(),
        "--kind",
        "contacts",
        "--mode",
        "upsert",
    ]);
    b.ok(&[
        "contact",
        "add",
        "--no",
        "CA0000001",
        "--name",
        "Before",
        "--kind",
        "company",
    ]);
    let (blocks2, delta2) = layout(&b);
    assert_eq!(blocks2, blocks, "single records leave the blocks alone");
    assert_eq!(delta2, 4, "single records go to the delta");

    assert_eq!(name_of(&b, "CB0000007"), "Edited Person");
    assert_eq!(name_of(&b, "CB0000007A"), "Between");
    assert_eq!(name_of(&b, "CB0000008"), "Bulk 8");
    assert_eq!(name_of(&b, "CB0004999"), "Bulk 4999");
    b.fails(&["contact", "show", "CB0005000"], 1);
    let all = list(&b);
    assert_eq!(all.len(), BIG + 3);
    let nos: Vec<&str> = all.iter().map(|c| c["no"].as_str().unwrap()).collect();
    let mut sorted = nos.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        nos, sorted,
        "the merge lists each contact once, in number order"
    );
    assert_eq!(nos[0], "CA0000001");
    assert_eq!(nos[8], "CB0000007");
    assert_eq!(nos[9], "CB0000007A");
    assert_eq!(*nos.last().unwrap(), "CZ0000001");
    let edited = all.iter().find(|c| c["no"] == "CB0000007").unwrap();
    assert_eq!(edited["name"], "Edited Person");

    // Export agrees with the listing; verify finds nothing; a filter reads the merge.
    let csv = b.ok(&["export", "contacts"]);
    assert_eq!(csv.lines().count(), BIG + 3 + 1);
    assert!(csv.contains("CB0000007,Edited Person"));
    let v = b.json(&["verify"]);
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");
    let f = b.json(&["contact", "list", "--filter", "No.=CB0000007*"]);
    assert_eq!(f.as_array().map(Vec::len), Some(2), "{f}");

    // A second large import merges blocks, delta and the file into new blocks, and the delta
    // is folded in.
    let more = b.dir().join("more.csv");
    contacts_csv(&more, 10_000, BIG, 1, "More");
    b.ok(&["import", more.to_str().unwrap(), "--kind", "contacts"]);
    let (_, delta3) = layout(&b);
    assert_eq!(delta3, 0, "a bulk write folds the delta into the blocks");
    assert_eq!(list(&b).len(), 2 * BIG + 3);
    assert_eq!(name_of(&b, "CB0000007"), "Edited Person");
    assert_eq!(name_of(&b, "CA0000001"), "Before");
    assert_eq!(name_of(&b, "CB0014999"), "More 14999");
    let v = b.json(&["verify"]);
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");

    // dump → load → dump is identical, and the loaded store keeps its contacts in blocks.
    let dump = b.dir().join("a.jsonl");
    b.ok(&["dump", "--out", dump.to_str().unwrap()]);
    let loaded = Bin::new();
    loaded.ok(&["load", dump.to_str().unwrap()]);
    let again = b.dir().join("b.jsonl");
    loaded.ok(&["dump", "--out", again.to_str().unwrap()]);
    assert_eq!(
        std::fs::read(&dump).unwrap(),
        std::fs::read(&again).unwrap()
    );
    let (lb, ld) = layout(&loaded);
    assert!(
        lb >= 1 && ld == 0,
        "load writes contact blocks ({lb}, {ld})"
    );
}

#[test]
fn a_large_import_over_blocks_and_delta_keeps_every_mode() {
    let b = Bin::init();
    let base = b.dir().join("base.csv");
    contacts_csv(&base, 0, BIG, 2, "Base"); // even numbers 0, 2, … 9998
    b.ok(&["import", base.to_str().unwrap(), "--kind", "contacts"]);
    let few = b.dir().join("few.csv");
    // Delta: one edit of a block contact, one new contact.
    std::fs::write(
        &few,
        "No.,Name,Type,Company No.\nCB0000002,Delta Edit,Person,CB0000000\nCB0000003,Delta New,Person,CB0000000\n",
    )
    .unwrap();
    b.ok(&[
        "import",
        few.to_str().unwrap(),
        "--kind",
        "contacts",
        "--mode",
        "upsert",
    ]);
    let blocks_before = layout(&b).0;
    let listing = b.ok(&["export", "contacts"]);

    // Insert: a large file holding one stored number (a block contact) is refused whole.
    let clash = b.dir().join("clash.csv");
    contacts_csv(&clash, 20_000, BIG, 1, "Clash");
    let mut text = std::fs::read_to_string(&clash).unwrap();
    text.push_str("CB0000004,Clash 4,Person,CB0000000,Town,x@example.com\n");
    std::fs::write(&clash, text).unwrap();
    let err = b.fails(
        &["import", clash.to_str().unwrap(), "--kind", "contacts"],
        1,
    );
    assert!(err.contains("CB0000004 already exists"), "{err}");
    assert_eq!(
        b.ok(&["export", "contacts"]),
        listing,
        "nothing was written"
    );
    assert_eq!(layout(&b).0, blocks_before, "no block was left behind");

    // Upsert: every number 0..BIG (odd ones new, even ones replaced — block and delta alike).
    let up = b.dir().join("up.csv");
    contacts_csv(&up, 0, BIG, 1, "Upserted");
    let v = b.json(&[
        "import",
        up.to_str().unwrap(),
        "--kind",
        "contacts",
        "--mode",
        "upsert",
    ]);
    assert_eq!(v[0]["records"], BIG);
    assert_eq!(
        name_of(&b, "CB0000002"),
        "Upserted 2",
        "a delta record replaced"
    );
    assert_eq!(
        name_of(&b, "CB0000003"),
        "Upserted 3",
        "a delta record replaced"
    );
    assert_eq!(
        name_of(&b, "CB0000004"),
        "Upserted 4",
        "a block record replaced"
    );
    assert_eq!(name_of(&b, "CB0000005"), "Upserted 5", "a new record");
    assert_eq!(name_of(&b, "CB0009998"), "Base 9998", "untouched");
    // 0..BIG, plus the even numbers BIG..2·BIG of the base.
    assert_eq!(list(&b).len(), BIG + BIG / 2);

    // Skip-existing: stored records stay as they are, new ones are added, counted apart.
    let skip = b.dir().join("skip.csv");
    contacts_csv(&skip, BIG - 2500, BIG, 1, "Skipped");
    let v = b.json(&[
        "import",
        skip.to_str().unwrap(),
        "--kind",
        "contacts",
        "--mode",
        "skip-existing",
    ]);
    // Stored in BIG-2500..BIG+2500: all of BIG-2500..BIG, and the even ones above.
    assert_eq!(v[0]["skipped"], 2500 + 1250);
    assert_eq!(v[0]["records"], 1250);
    assert_eq!(name_of(&b, "CB0004999"), "Upserted 4999");
    assert_eq!(name_of(&b, "CB0005000"), "Base 5000");
    assert_eq!(name_of(&b, "CB0005001"), "Skipped 5001");
    assert_eq!(list(&b).len(), BIG + BIG / 2 + 1250);

    // Upsert does not change a contact's type, for a block contact as for any other.
    let retype = b.dir().join("retype.csv");
    contacts_csv(&retype, 30_000, BIG, 1, "Retype");
    let mut text = std::fs::read_to_string(&retype).unwrap();
    text.push_str("CB0000010,Now a person,Person,CB0000000,Town,x@example.com\n");
    std::fs::write(&retype, text).unwrap();
    let err = b.fails(
        &[
            "import",
            retype.to_str().unwrap(),
            "--kind",
            "contacts",
            "--mode",
            "upsert",
        ],
        1,
    );
    assert!(
        err.contains("CB0000010 is a company and stays one"),
        "{err}"
    );
    let v = b.json(&["verify"]);
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");
}

#[test]
fn a_store_with_contacts_only_in_the_delta_reads_and_converts() {
    // Before contact blocks, every contact was one record in the delta; small imports still
    // write that way. A large import then folds them into blocks.
    let b = Bin::demo();
    let (blocks, delta) = layout(&b);
    assert_eq!(blocks, 0);
    assert!(delta > 10);
    let before = b.ok(&["export", "contacts"]);
    let big = b.dir().join("big.csv");
    contacts_csv(&big, 0, BIG, 1, "Bulk");
    b.ok(&["import", big.to_str().unwrap(), "--kind", "contacts"]);
    let (blocks, delta) = layout(&b);
    assert!(blocks >= 1);
    assert_eq!(delta, 0);
    let after = b.ok(&["export", "contacts"]);
    for line in before.lines().skip(1) {
        assert!(after.contains(line), "{line} kept");
    }
    let v = b.json(&["verify"]);
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");
}

/// `verify`'s report (it exits 1 when it finds problems).
fn verify_text(b: &Bin) -> String {
    let out = b.run(&["verify"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn verify_reads_every_contact_block_against_the_directory() {
    let b = Bin::init();
    let big = b.dir().join("contacts.csv");
    contacts_csv(&big, 0, 3 * BIG, 1, "Bulk");
    b.ok(&["import", big.to_str().unwrap()]);
    assert!(verify_text(&b).contains("the store is consistent"));
    let keys: Vec<Vec<u8>> = {
        let s = Store::open(b.path()).unwrap();
        let all = s.raw(TreeId::ContactBlocks).all().unwrap();
        assert!(all.len() >= 3, "{} blocks", all.len());
        // A flipped byte in the second block.
        let (k, mut v) = all[1].clone();
        let i = v.len() / 2;
        v[i] ^= 0x04;
        s.raw(TreeId::ContactBlocks).insert(&k, v).unwrap();
        all.into_iter().map(|(k, _)| k).collect()
    };
    let r = verify_text(&b);
    assert!(
        r.contains("problem [codec]") && r.contains("contact_blocks"),
        "{r}"
    );
    // A missing block, and a block above the live ids.
    {
        let s = Store::open(b.path()).unwrap();
        let (_, good) = s.raw(TreeId::ContactBlocks).first().unwrap().unwrap();
        s.raw(TreeId::ContactBlocks).remove(&keys[2]).unwrap();
        let mut stray = keys[0].clone();
        stray[7] = stray[7].wrapping_add(100);
        s.raw(TreeId::ContactBlocks).insert(&stray, good).unwrap();
    }
    // Without the staging mark (only a process that staged leaves one), opening does not
    // look for leftovers, and verify reports the stray block as what it is.
    let out = b.run(&["verify"]);
    let r = String::from_utf8_lossy(&out.stdout);
    assert!(
        r.contains("contact block 101 is not in the directory"),
        "{r}"
    );
    // With the mark, as a process killed while staging leaves it, opening deletes the stray
    // block (an id at or above `next_contact_block` is a staged leftover); verify reports the
    // missing one.
    interlog::storage::staging::set(b.path()).unwrap();
    let out = b.run(&["verify"]);
    let r = String::from_utf8_lossy(&out.stdout);
    assert!(r.contains("is listed in the directory but missing"), "{r}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("staged blocks removed: 1"), "{err}");
    let out = b.run(&["contact", "list"]);
    assert!(!out.status.success(), "a listing refuses a damaged store");
}

/// verify's number-series check sees every contact once: those in blocks, and a delta record
/// instead of the block row it overrides.
#[test]
fn verify_checks_the_contact_series_against_block_and_delta_contacts_alike() {
    let b = Bin::init();
    let big = b.dir().join("contacts.csv");
    contacts_csv(&big, 0, BIG, 1, "Bulk");
    b.ok(&["import", big.to_str().unwrap()]);
    assert!(layout(&b).0 > 0, "the import went to blocks");
    // One block contact edited on its own: a delta record over its block row.
    let one = b.dir().join("one.csv");
    contacts_csv(&one, 1234, 1, 1, "Edited");
    b.ok(&[
        "import",
        one.to_str().unwrap(),
        "--kind",
        "contacts",
        "--mode",
        "upsert",
    ]);
    assert_eq!(name_of(&b, "CB0001234"), "Edited 1234");
    // A series whose next number is a block contact's, one whose next is the edited contact's.
    for (code, start) in [("BLK", "CB0002000"), ("DLT", "CB0001234")] {
        b.ok(&["series", "add", code, "--starting-no", start]);
        b.ok(&["setup", "set", "--contact-nos", code]);
        // verify exits 1 on a problem; its report is still on stdout.
        let out = b.run(&["--json", "verify"]);
        assert_eq!(out.status.code(), Some(1));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let problems = v["problems"].as_array().unwrap();
        let about: Vec<&Value> = problems
            .iter()
            .filter(|p| p["detail"].as_str().unwrap().contains(start))
            .collect();
        assert_eq!(about.len(), 1, "reported once: {v}");
        assert!(
            about[0]["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("is the next number series {code} will hand out")),
            "{v}"
        );
        // Numbers past the next one are warnings, each contact once.
        let warned = v["warnings"].as_array().unwrap().len();
        assert!((1..=1000).contains(&warned), "{warned} warnings");
    }
}

/// Every contact passing `filters`, by a full scan and by the number-range scan.
fn both_scans(store: &Store, filters: &[&str]) -> (Vec<String>, Vec<String>) {
    use interlog::domain::filter::{matches_all, FieldFilter};
    let filters: Vec<FieldFilter> = filters
        .iter()
        .map(|f| FieldFilter::parse(f).unwrap())
        .collect();
    let full: Vec<String> = store
        .contacts()
        .map(|c| c.unwrap())
        .filter(|c| matches_all(&filters, c))
        .map(|c| format!("{} {}", c.no, c.name))
        .collect();
    let mut ranged = Vec::new();
    interlog::ops::master::for_each_contact_matching(store, &filters, |c| {
        ranged.push(format!("{} {}", c.no, c.name));
        Ok(true)
    })
    .unwrap();
    (full, ranged)
}

#[test]
fn a_filter_on_numbers_reads_only_the_blocks_that_can_hold_them_and_misses_nothing() {
    let b = Bin::init();
    let big = b.dir().join("contacts.csv");
    contacts_csv(&big, 0, 4 * BIG, 1, "Bulk");
    b.ok(&["import", big.to_str().unwrap()]);
    // Single records over and between the blocks: an edit, one between two block contacts,
    // one before and one after them all.
    let small = b.dir().join("few.csv");
    std::fs::write(
        &small,
        "No.,Name,Type,Company No.\n\
         CB0012007,Edited Person,Person,CB0012000\n\
         CB0012007A,Between,Person,CB0012000\n\
         CA0000001,Before,Company,\n\
         CZ0000001,After,Company,\n",
    )
    .unwrap();
    let file = small.to_str().unwrap();
    b.ok(&["import", file, "--kind", "contacts", "--mode", "upsert"]);
    let (blocks, delta) = layout(&b);
    assert!(blocks >= 3, "several contact blocks ({blocks})");
    assert_eq!(delta, 4);

    let store = Store::open(b.path()).unwrap();
    let cases: &[(&[&str], usize)] = &[
        (&["No.=CB0012000..CB0012009"], 11),
        (&["No.=CB0012007*"], 2),
        (&["No.=CB0012007"], 1),
        (&["No.=<CB0000003"], 4),
        (&["No.=>CB0019995"], 5),
        (&["No.=CB0000001|CB0019999|CZ*"], 3),
        (&["No.=CB001*", "City=Town 3"], 588),
        (&["No.=CB0012000..CB0012100&<>CB0012050"], 101),
        (&["No.=CB0015..CB0014"], 0),
        (&["No.=@cb0000001"], 1),
        (&["No.=<>CB0000001"], 4 * BIG + 2),
        (&["City=Town 3"], 1177),
    ];
    for (filters, n) in cases {
        let (full, ranged) = both_scans(&store, filters);
        assert_eq!(ranged, full, "{filters:?}");
        assert_eq!(ranged.len(), *n, "{filters:?}");
    }
    let (edited, _) = both_scans(&store, &["No.=CB0012007"]);
    assert_eq!(
        edited,
        ["CB0012007 Edited Person"],
        "the delta's record wins"
    );
    drop(store);

    // Through the binary: a listing and a segment built by a range of numbers.
    let listed = b.json(&["contact", "list", "--filter", "No.=CB0012000..CB0012009"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(11), "{listed}");
    let seg = b.json(&["segment", "create", "--description", "Range"]);
    let no = seg["no"].as_str().unwrap().to_string();
    let added = b.json(&[
        "segment",
        "add-contacts",
        &no,
        "--filter",
        "No.=CB0012000..CB0012009",
    ]);
    let shown = b.json(&["segment", "show", &no]);
    assert_eq!(
        shown["lines"].as_array().map(Vec::len),
        Some(11),
        "{added} {shown}"
    );
}
