//! `interlog dump [--out FILE|-]` and `interlog load FILE|-`: a whole store as JSON Lines
//! (see `interlog::exchange::dump`), to move a store between interlog versions and machines.

use std::io::{BufReader, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::Env;
use interlog::exchange::dump::{self, DumpCounts};
use interlog::exchange::export;
use interlog::ops::verify::verify;
use interlog::storage::{lock, Store};

/// `interlog dump`.
#[derive(Args, Debug)]
pub struct DumpArgs {
    /// Write to this file (through a temporary file renamed at the end) instead of stdout; `-`
    /// is stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `interlog load`.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// A file made by `interlog dump`, or `-` for stdin; loaded into --store, which must not
    /// exist yet.
    file: PathBuf,
}

#[derive(Serialize)]
struct Report<'a> {
    store: &'a std::path::Path,
    file: Option<&'a std::path::Path>,
    /// Lines of the file (`lines` is a list elsewhere in the JSON vocabulary).
    line_count: u64,
    /// Records per kind (`records` is a plain count elsewhere).
    records_by_kind: &'a std::collections::BTreeMap<String, u64>,
}

fn summary(c: &DumpCounts) -> String {
    c.kinds
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn dump(env: &Env, a: DumpArgs) -> anyhow::Result<()> {
    let store = env.open()?;
    let path = a.out.filter(|p| p.as_os_str() != "-");
    let Some(path) = path else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        dump::dump(&store, &mut out)?;
        out.flush()?;
        return Ok(());
    };
    let c = export::export_to_file(&store, &path, |f| {
        let mut w = std::io::BufWriter::new(f);
        let c = dump::dump(&store, &mut w)?;
        w.flush()?;
        Ok(c)
    })?;
    if env.out.json {
        env.out.json(&Report {
            store: &env.store_path,
            file: Some(&path),
            line_count: c.lines,
            records_by_kind: &c.kinds,
        })
    } else {
        env.out.line(format!(
            "dumped {} to {} ({} lines: {})",
            env.store_path.display(),
            path.display(),
            c.lines,
            summary(&c)
        ))
    }
}

/// Loads the dump into a new store at `work` and verifies it.
fn build(
    file: &std::path::Path,
    from_stdin: bool,
    work: &std::path::Path,
) -> anyhow::Result<DumpCounts> {
    let store = Store::create(work)?;
    let c = if from_stdin {
        dump::load(&store, std::io::stdin().lock())?
    } else {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        dump::load(&store, BufReader::new(f))?
    };
    store.make_durable()?;
    let r = verify(&store)?;
    drop(store);
    if !r.is_ok() {
        anyhow::bail!(
            "the loaded store does not verify ({} problem(s), first: {})",
            r.problems.len(),
            r.problems
                .first()
                .map_or(String::new(), |p| p.detail.clone()),
        );
    }
    Ok(c)
}

/// Loads a dump file (or stdin) into a new store at `to`: built in a temporary directory beside
/// it, verified, then renamed — a refused dump leaves nothing at `to`.
pub fn load_new_store(
    to: &std::path::Path,
    file: &std::path::Path,
    from_stdin: bool,
) -> anyhow::Result<DumpCounts> {
    if std::fs::symlink_metadata(to).is_ok() {
        anyhow::bail!(
            "{} already exists — load writes a new store only; give --store a path that does not exist",
            to.display()
        );
    }
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".interlog-load.")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a directory in {}", parent.display()))?;
    let work = tmp.path().join("store");
    let built = build(file, from_stdin, &work);
    let c = match built {
        Ok(c) => c,
        Err(e) => {
            // The temporary store is deleted with `tmp`: nothing reached --store.
            drop(tmp);
            interlog::storage::journal::forget_discarded_commits();
            return Err(e.context(format!("nothing was written to {}", to.display())));
        }
    };
    let _ = std::fs::remove_file(work.join(lock::LOCK_FILE));
    std::fs::rename(&work, to)
        .with_context(|| format!("cannot move the loaded store to {}", to.display()))?;
    if let Ok(d) = std::fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(c)
}

pub fn load(env: &Env, a: LoadArgs) -> anyhow::Result<()> {
    let to = &env.store_path;
    let from_stdin = a.file.as_os_str() == "-";
    let c = load_new_store(to, &a.file, from_stdin)?;
    if env.out.json {
        env.out.json(&Report {
            store: to,
            file: (!from_stdin).then_some(a.file.as_path()),
            line_count: c.lines,
            records_by_kind: &c.kinds,
        })
    } else {
        env.out.line(format!(
            "loaded {} lines into {} ({}); the store verifies",
            c.lines,
            to.display(),
            summary(&c)
        ))
    }
}
