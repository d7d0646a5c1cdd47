//! Driving the real binary from the capability tests: a store in a temporary directory, BC's
//! demo data loaded through `import`, and helpers that assert the exit code.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use super::fixture;

/// A store for `interlog` runs (work date 2025-03-14, user TESTER).
pub struct Cli {
    _dir: TempDir,
    /// The store's directory.
    pub store: PathBuf,
}

impl Cli {
    /// No store yet.
    pub fn new() -> Cli {
        let dir = TempDir::new().expect("temp dir");
        let store = dir.path().join("store");
        Cli { _dir: dir, store }
    }

    /// A store with BC's demo data, made through the CLI.
    pub fn demo() -> Cli {
        let c = Cli::new();
        c.ok(&["init"]);
        for f in [
            "groups.csv",
            "salespeople.csv",
            "campaigns.json",
            "templates.csv",
            "contacts.csv",
        ] {
            let p = fixture(&format!("demo/{f}"));
            c.ok(&["import", p.to_str().expect("utf-8 path")]);
        }
        c
    }

    /// Runs `interlog` with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .arg("--store")
            .arg(&self.store)
            .args(["--work-date", "2025-03-14", "--user", "TESTER"])
            .args(args)
            .output()
            .expect("run interlog")
    }

    /// Runs a command that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs a command with `--json` that must succeed; returns its output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).expect("valid JSON")
    }

    /// Runs a command that must fail with `code` and print nothing on stdout; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed to stdout on failure: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).expect("utf-8 output")
    }

    /// The numbers of a JSON array of records, read from `field`.
    pub fn numbers(v: &Value, field: &str) -> Vec<u64> {
        v.as_array()
            .expect("a JSON array")
            .iter()
            .map(|x| x[field].as_u64().expect("a number"))
            .collect()
    }
}
