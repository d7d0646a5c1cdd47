//! Every option of every command, run through the binary: each test gives a command the
//! options it takes (as literals, so the CLI contract in `src/cli/contract.rs` can see them)
//! and checks that each one did what its help says, in the `--json` output where there is one.
//! Rules themselves are tested per capability in the other files; here the point is that the
//! option reaches the rule and nothing panics or exits with the wrong code.

mod common;

use common::bin::Bin;
use serde_json::Value;

/// The blocker of issue 9: every clearable setting used to panic (exit 101) in clap.
#[test]
fn setup_set_changes_and_clears_every_setting() {
    let b = Bin::demo();
    b.ok(&[
        "series",
        "add",
        "SEG2",
        "--starting-no",
        "SG001",
        "--description",
        "Second segment series",
    ]);
    let s = b.json(&[
        "setup",
        "set",
        "--contact-nos",
        "none",
        "--segment-nos",
        "SEG2",
        "--campaign-nos",
        "NONE",
        "--default-salesperson",
        "jo",
        "--default-correspondence-type",
        "hard-copy",
        "--default-language",
        "ENG",
    ]);
    assert_eq!(s["contact_nos"], Value::Null);
    assert_eq!(s["segment_nos"], "SEG2");
    assert_eq!(s["campaign_nos"], Value::Null);
    assert_eq!(s["default_salesperson"], "JO");
    assert_eq!(s["default_correspondence_type"], "hard-copy");
    assert_eq!(s["default_language"], "ENG");
    let s = b.json(&[
        "setup",
        "set",
        "--default-salesperson",
        "none",
        "--default-language",
        "none",
        "--contact-nos",
        "CONT",
    ]);
    assert_eq!(s["default_salesperson"], Value::Null);
    assert_eq!(s["default_language"], Value::Null);
    assert_eq!(s["contact_nos"], "CONT");
    assert_eq!(
        s["segment_nos"], "SEG2",
        "settings not named stay as they were"
    );
    // An unknown series or salesperson is refused and nothing changes.
    let err = b.fails(&["setup", "set", "--segment-nos", "NOPE"], 1);
    assert!(err.contains("NOPE"), "{err}");
    let err = b.fails(
        &[
            "setup",
            "set",
            "--contact-nos",
            "none",
            "--default-salesperson",
            "XX",
        ],
        1,
    );
    assert!(err.contains("salesperson XX does not exist"), "{err}");
    assert_eq!(b.json(&["setup", "show"])["contact_nos"], "CONT");
    // A bad code is a usage error, not a panic.
    b.fails(
        &["setup", "set", "--default-language", "WAY-TOO-LONG-CODE"],
        2,
    );
}
