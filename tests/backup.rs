//! `interlog backup DEST` / `interlog restore BACKUP` through the binary: a consistent,
//! verified copy; never over an existing directory; refused while another process holds the
//! store.

mod common;

use common::bin::Bin;

#[test]
fn backup_and_restore_make_an_equal_store() {
    let b = Bin::demo();
    b.ok(&[
        "interaction",
        "create",
        "--contact",
        "CT100125",
        "--template",
        "BUS",
    ]);
    let dest = b.dir().join("backup-1");
    let v = b.json(&["backup", dest.to_str().unwrap()]);
    assert!(v["files"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(v["entries"], 1);
    assert!(!dest.join("interlog.lock").exists());
    // Never over an existing directory.
    let err = b.fails(&["backup", dest.to_str().unwrap()], 1);
    assert!(err.contains("already exists"), "{err}");
    // Restore into a new --store path.
    let r = Bin::new();
    let out = r.ok(&["restore", dest.to_str().unwrap()]);
    assert!(out.contains("the copy verifies"), "{out}");
    for what in ["contacts", "entries", "logged-segments"] {
        assert_eq!(
            r.ok(&["export", what, "--format", "jsonl"]),
            b.ok(&["export", what, "--format", "jsonl"]),
            "{what}"
        );
    }
    let r2 = Bin::new();
    let v = r2.json(&["restore", dest.to_str().unwrap()]);
    assert_eq!(v["entries"], 1);
    let err = r.fails(&["restore", dest.to_str().unwrap()], 1);
    assert!(err.contains("already exists"), "{err}");
    // The backup itself stays a usable store.
    let again = b.dir().join("backup-2");
    let v = r.json(&["backup", again.to_str().unwrap()]);
    assert_eq!(v["entries"], 1);
}

#[test]
fn a_backup_waits_for_the_store_and_names_its_holder() {
    let b = Bin::demo();
    let held = interlog::storage::Store::open(b.path()).unwrap();
    let dest = b.dir().join("bk");
    let err = b.fails(&["--wait", "0.2", "backup", dest.to_str().unwrap()], 3);
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(!dest.exists());
    drop(held);
    b.ok(&["--wait", "5", "backup", dest.to_str().unwrap()]);
    assert!(dest.join("db").is_file());
}
