//! One JSON vocabulary: errors under `--json` are one JSON object on stderr, and the names
//! README's vocabulary lists are the ones the commands print (`follow_up_segment`, timings
//! without float noise, no internal `index_run`).

mod common;

use common::bin::Bin;
use serde_json::Value;

fn json_error(stderr: &str) -> Value {
    let line = stderr.lines().last().unwrap_or("");
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    v
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
