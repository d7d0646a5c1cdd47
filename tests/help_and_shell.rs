//! Help and shell integration through the binary: `help filters`, global options under their
//! own heading, completions and a man page, quiet exits on a closed pipe, and README's tour
//! run as written.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::bin::Bin;

#[test]
fn help_filters_explains_the_syntax_and_fields() {
    let b = Bin::new();
    let text = b.ok(&["help", "filters"]);
    for part in [
        "Fields",
        "Country/Region Code",
        "a..b",
        "'O''Brien'",
        "Examples",
    ] {
        assert!(text.contains(part), "{part} missing: {text}");
    }
    assert!(b.ok(&["filters"]).contains("Correspondence Type"));
    let v = b.json(&["filters"]);
    assert!(v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "Salesperson Code"));
    // Global options have their own heading, after the command's own.
    let help = b.ok(&["contact", "list", "--help"]);
    let own = help.find("--filter").unwrap();
    let global = help.find("Global options:").expect("heading");
    assert!(own < global && help[global..].contains("--wait"), "{help}");
    assert!(help.contains("Example:"), "{help}");
}

#[test]
fn completions_and_man_page() {
    let b = Bin::new();
    let bash = b.ok(&["completions", "bash"]);
    assert!(
        bash.contains("_interlog") && bash.contains("logged-segment"),
        "{bash}"
    );
    let zsh = b.ok(&["completions", "zsh"]);
    assert!(zsh.contains("#compdef interlog"));
    let v = b.json(&["completions", "fish"]);
    assert_eq!(v["shell"], "fish");
    assert!(v["script"]
        .as_str()
        .unwrap()
        .contains("complete -c interlog"));
    let err = b.fails(&["completions", "cmd.exe"], 2);
    assert!(err.contains("bash"), "{err}");
    let man = b.ok(&["man"]);
    assert!(
        man.contains(".TH interlog 1") && man.contains("logged\\-segment"),
        "{man}"
    );
    let v = b.json(&["man"]);
    assert!(v["roff"].as_str().unwrap().starts_with(".ie"));
}

/// Runs `interlog ARGS` with its stdout closed before it writes anything.
fn closed_pipe(b: &Bin, args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .env_remove("INTERLOG_STORE")
        .arg("--store")
        .arg(b.path())
        .args(["--work-date", "2025-03-14", "--user", "TESTER"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let b = Bin::new();
    // `interlog demo | head -1`.
    let out = closed_pipe(&b, &["demo"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    b.ok(&["verify"]);
    for args in [
        &["contact", "list"][..],
        &["--json", "contact", "list"],
        &["export", "contacts"],
        &["interaction", "list"],
        &["help", "filters"],
        &["completions", "bash"],
        &["man"],
    ] {
        let out = closed_pipe(&b, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// README's tour (the first `sh` block after "## A short tour"), run line by line with `sh -e`
/// from the repository root with `interlog` on the PATH. Only the store paths are moved into a
/// temporary directory (nothing is left in /tmp) and the synthetic store is 2000 contacts
/// instead of a million.
#[test]
fn readme_tour_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("## A short tour").unwrap();
    let block = &readme[start..];
    let open = block.find("```sh\n").unwrap() + "```sh\n".len();
    let close = open + block[open..].find("```").unwrap();
    let b = Bin::new();
    let dir = b.dir();
    let script = block[open..close]
        .replace("/tmp/crm.db", &dir.join("crm.db").display().to_string())
        .replace("/tmp/big.db", &dir.join("big.db").display().to_string())
        .replace("/tmp/mix.db", &dir.join("mix.db").display().to_string())
        .replace("--contacts 1000000", "--contacts 2000");
    assert!(script.contains("logged-segment follow-up 1 --evaluation positive"));
    assert!(
        !script
            .replace(&dir.display().to_string(), "")
            .contains("/tmp/"),
        "every store of the tour is moved into the test's directory:\n{script}"
    );
    let bin_dir = dir.join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_interlog"), bin_dir.join("interlog")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-e", "-x", "-c", &script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PATH", path)
        .env("USER", "tour")
        .env_remove("INTERLOG_STORE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the tour stopped:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
