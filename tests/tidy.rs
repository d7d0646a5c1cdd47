//! The layout invariants of ARCHITECTURE.md, checked on the source text so that a change that
//! breaks one fails here instead of surviving a review:
//!
//! * every `.rs` file under `src/` opens with a `//!` module comment;
//! * `src/domain/` does no IO and knows no storage: no `sled`, no `std::fs`, no `bincode`;
//! * `bincode` is used in `src/storage/codec.rs` only (the one place that owns the format);
//! * `sled` is used under `src/storage/` only (the sled backend);
//! * no `pub` field has a sled type, or a type that holds one, so nothing outside the backend
//!   can reach sled through a field;
//! * nothing outside `src/storage/` names the sled backend's layout: trees (`TreeId`, the
//!   store's raw trees), keys, blocks, index runs, the codec or staged writes — operations
//!   read in domain terms and write typed changes.
//!
//! Comments are stripped before the code checks, so documentation may talk about sled.

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every source file under `src/`, as (path relative to the crate, text).
fn src_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    sources(&root.join("src"), &mut paths);
    assert!(paths.len() > 40, "found only {} source files", paths.len());
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root)
                .expect("under the crate")
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {rel}: {e}"));
            (rel, text)
        })
        .collect()
}

/// The code of a file with its `//` comments (doc comments included) removed. String literals
/// are kept; the checks look for paths (`sled::`), which messages do not contain.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            // `://` inside a string literal (a URL) is not a comment.
            Some(i) if !l[..i].ends_with(':') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn uses_crate(code: &str, name: &str) -> bool {
    code.contains(&format!("{name}::"))
        && code
            .match_indices(&format!("{name}::"))
            .any(|(i, _)| !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        || code.contains(&format!("use {name};"))
        || code.contains(&format!("extern crate {name}"))
}

fn uses_std_fs(code: &str) -> bool {
    code.contains("std::fs")
        || code.match_indices("std::{").any(|(i, _)| {
            code[i..]
                .split('}')
                .next()
                .is_some_and(|g| g.contains("fs"))
        })
}

#[test]
fn every_source_file_opens_with_a_module_comment() {
    let bad: Vec<String> = src_files()
        .into_iter()
        .filter(|(_, t)| !t.trim_start().starts_with("//!"))
        .map(|(p, _)| p)
        .collect();
    assert!(
        bad.is_empty(),
        "files without a leading `//!` comment: {bad:?}"
    );
}

#[test]
fn domain_does_no_io_and_knows_no_storage() {
    let mut bad = Vec::new();
    for (p, t) in src_files() {
        if !p.starts_with("src/domain/") {
            continue;
        }
        let c = code(&t);
        for (what, hit) in [
            ("sled", uses_crate(&c, "sled")),
            ("bincode", uses_crate(&c, "bincode")),
            ("std::fs", uses_std_fs(&c)),
        ] {
            if hit {
                bad.push(format!("{p} uses {what}"));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn only_the_codec_uses_bincode() {
    let bad: Vec<String> = src_files()
        .into_iter()
        .filter(|(p, t)| p != "src/storage/codec.rs" && uses_crate(&code(t), "bincode"))
        .map(|(p, _)| p)
        .collect();
    assert!(
        bad.is_empty(),
        "bincode outside src/storage/codec.rs: {bad:?}"
    );
}

#[test]
fn only_the_sled_backend_uses_sled() {
    let bad: Vec<String> = src_files()
        .into_iter()
        .filter(|(p, t)| !p.starts_with("src/storage/") && uses_crate(&code(t), "sled"))
        .map(|(p, _)| p)
        .collect();
    assert!(bad.is_empty(), "sled outside src/storage/: {bad:?}");
}

/// Names of the sled backend's layout: what only `src/storage/` may use.
const LAYOUT_NAMES: &[&str] = &[
    "TreeId",
    "keys::",
    "storage::blocks",
    "storage::index",
    "storage::codec",
    "codec::",
    "EntryBlock",
    "LineBlock",
    "RunInfo",
    "store.t.",
    ".raw(",
    "put_staged",
    "line_block",
    "for_each_block",
];

/// The layout names `code` uses (whole words where the name starts with a letter).
fn layout_names_in(code: &str) -> Vec<&'static str> {
    LAYOUT_NAMES
        .iter()
        .copied()
        .filter(|n| {
            code.match_indices(n).any(|(i, _)| {
                !n.starts_with(|c: char| c.is_alphanumeric())
                    || !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            })
        })
        .collect()
}

#[test]
fn only_the_sled_backend_knows_its_layout() {
    let mut bad = Vec::new();
    for (p, t) in src_files() {
        if p.starts_with("src/storage/") {
            continue;
        }
        let names = layout_names_in(&code(&t));
        if !names.is_empty() {
            bad.push(format!("{p} uses {names:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "the storage layout named outside src/storage/ (read through domain-level queries and \
         write typed storage::Changes instead): {bad:#?}"
    );
}

/// The body of every `struct NAME { … }` in `code`, by name.
fn structs(code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("struct ") {
        if i > 0 && code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + "struct ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = rest.find(['{', ';', '(']) else {
            continue;
        };
        if name.is_empty() || rest.as_bytes()[open] != b'{' {
            continue;
        }
        let mut depth = 0usize;
        let mut end = open;
        for (j, ch) in rest[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((name, rest[open + 1..end].to_string()));
    }
    out
}

/// `pub NAME: TYPE` fields (plain `pub`, not `pub(crate)`) of a struct body.
fn pub_fields(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in body.match_indices("pub ") {
        if i > 0 && body[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = body[i + 4..].trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        let Some(ty) = rest[name.len()..].trim_start().strip_prefix(':') else {
            continue;
        };
        let ty = ty
            .split([',', '\n'])
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        out.push((name, ty));
    }
    out
}

#[test]
fn no_pub_field_exposes_a_sled_type() {
    let files = src_files();
    let all: Vec<(String, String, String)> = files
        .iter()
        .flat_map(|(p, t)| {
            structs(&code(t))
                .into_iter()
                .map(move |(n, b)| (p.clone(), n, b))
        })
        .collect();
    // Types that hold sled values, directly or through another such type.
    let mut holders: Vec<String> = Vec::new();
    loop {
        let before = holders.len();
        for (_, name, body) in &all {
            let holds = body.contains("sled::")
                || holders.iter().any(|h| {
                    body.match_indices(h.as_str()).any(|(i, _)| {
                        let b = body.as_bytes();
                        let ok_before = i == 0 || !(b[i - 1].is_ascii_alphanumeric());
                        let j = i + h.len();
                        let ok_after = j >= b.len() || !(b[j].is_ascii_alphanumeric());
                        ok_before && ok_after
                    })
                });
            if holds && !holders.contains(name) {
                holders.push(name.clone());
            }
        }
        if holders.len() == before {
            break;
        }
    }
    let mut bad = Vec::new();
    for (p, name, body) in &all {
        for (field, ty) in pub_fields(body) {
            let exposes = ty.contains("sled::")
                || holders.iter().any(|h| {
                    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|w| w == h)
                });
            if exposes {
                bad.push(format!("{p}: {name}.{field}: {ty}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "pub fields exposing sled (types holding sled: {holders:?}): {bad:#?}"
    );
}

#[test]
fn the_checks_catch_what_they_are_for() {
    // A test that cannot fail is a defect: each check on a sample that breaks it.
    assert!(uses_crate(&code("use sled::Tree;"), "sled"));
    assert!(uses_crate(&code("fn f(e: sled::Error) {}"), "sled"));
    assert!(!uses_crate(&code("// sled::Tree in a comment"), "sled"));
    assert!(!uses_crate(&code("fn in_guarded_sled_call() {}"), "sled"));
    assert!(uses_crate(
        &code("let v = bincode::serialize(&x);"),
        "bincode"
    ));
    assert!(uses_std_fs(&code("use std::fs;")));
    assert!(uses_std_fs(&code("use std::{fs, io};")));
    assert!(!uses_std_fs(&code("use std::{io};")));
    let s = structs("pub struct T { pub a: sled::Tree, b: u8 }\npub struct S { pub t: T }");
    assert_eq!(s.len(), 2);
    assert_eq!(pub_fields(&s[0].1), [("a".into(), "sled::Tree".into())]);
    assert_eq!(pub_fields(&s[1].1), [("t".into(), "T".into())]);
    assert!(pub_fields("pub(crate) t: sled::Tree").is_empty());
    assert_eq!(
        layout_names_in(&code(
            "let b = EntryBlock::decode(&v)?; ws.put(TreeId::Meta, k, v);"
        )),
        ["TreeId", "EntryBlock"]
    );
    assert_eq!(
        layout_names_in(&code("store.t.entries.iter()")),
        ["store.t."]
    );
    assert!(layout_names_in(&code("// EntryBlock in a comment")).is_empty());
    assert!(layout_names_in(&code("struct MyTreeIdea; fn uncodec() {}")).is_empty());
}
