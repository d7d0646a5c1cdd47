//! Runs the real `interlog` binary on a store in a temporary directory, at the fixed work date
//! and user every binary-level test uses. The method names (`ok`, `json`, `fails`, `run`) are
//! the ones the CLI contract (`src/cli/contract.rs`) recognises as "runs the binary".

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use super::fixture;

/// A store path in a temporary directory and the binary to run on it.
pub struct Bin {
    dir: TempDir,
    store: PathBuf,
}

impl Bin {
    /// No store yet (`init` makes one).
    pub fn new() -> Bin {
        let dir = TempDir::new().expect("temp dir");
        let store = dir.path().join("store");
        Bin { dir, store }
    }

    /// A store made by `interlog init`.
    pub fn init() -> Bin {
        let b = Bin::new();
        b.ok(&["init"]);
        b
    }

    /// A store with BC's demo data, loaded through `interlog import`.
    pub fn demo() -> Bin {
        let b = Bin::init();
        for f in [
            "groups.csv",
            "salespeople.csv",
            "campaigns.json",
            "templates.csv",
            "contacts.csv",
        ] {
            let p = fixture(&format!("demo/{f}"));
            b.ok(&["import", p.to_str().expect("utf-8 path")]);
        }
        b
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        &self.store
    }

    /// The temporary directory holding the store (for other files a test writes).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `interlog --store S --work-date 2025-03-14 --user TESTER ARGS…`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .arg("--store")
            .arg(&self.store)
            .args(["--work-date", "2025-03-14", "--user", "TESTER"])
            .args(args)
            .env_remove("INTERLOG_STORE")
            .output()
            .expect("run interlog")
    }

    /// Runs a command that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed with {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs a command with `--json` that must succeed; returns the parsed output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let text = self.ok(&a);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
    }

    /// Runs a command that must fail with exit code `code` and print nothing on stdout
    /// (unless `--json` asked for a report); returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty() || args.contains(&"--json"),
            "{args:?} printed to stdout on failure: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        stderr
    }
}
