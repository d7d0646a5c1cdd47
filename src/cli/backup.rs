//! `interlog backup DEST` and `interlog restore BACKUP`: a consistent copy of a store.
//!
//! A backup is taken under interlog's lock on the store (`interlog.lock`), which every
//! process holds while it has the store open: while the files are copied nothing can change
//! them. The store is opened once first, so a change an interrupted run committed is completed
//! before the copy. The copy goes to a temporary directory next to DEST, every file fsynced,
//! and is renamed to DEST only after it opened as a store and `verify` found no problem — a
//! failed backup leaves no DEST. `restore` is the same copy in the other direction, into the
//! `--store` path, which must not exist yet.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::Env;
use interlog::ops::verify::verify;
use interlog::storage::{files, lock, Store};

/// `interlog backup DEST`.
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Directory to create with the copy (must not exist).
    dest: PathBuf,
}

/// `interlog restore BACKUP`.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A directory made by `interlog backup`; copied to --store, which must not exist.
    backup: PathBuf,
}

/// What a backup or restore copied.
#[derive(Serialize)]
struct CopyReport<'a> {
    from: &'a Path,
    to: &'a Path,
    files: u64,
    bytes: u64,
    /// Values `verify` checked in the copy.
    verified_values: u64,
    entries: u64,
}

fn copy_tree(from: &Path, to: &Path, files: &mut u64, bytes: &mut u64) -> io::Result<()> {
    fs::create_dir(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name();
        if name == lock::LOCK_FILE {
            continue;
        }
        let ft = e.file_type()?;
        let (src, dst) = (e.path(), to.join(&name));
        if ft.is_dir() {
            copy_tree(&src, &dst, files, bytes)?;
        } else if ft.is_file() {
            *bytes += fs::copy(&src, &dst)?;
            fs::File::open(&dst)?.sync_all()?;
            *files += 1;
        } else {
            return Err(io::Error::other(format!(
                "{} is not a regular file — a store holds none such",
                src.display()
            )));
        }
    }
    fs::File::open(to)?.sync_all()?;
    Ok(())
}

/// Copies the store `from` (locked for the whole copy) to the new directory `to`, verifies the
/// copy, and only then gives it its name.
fn copy_store(env: &Env, from: &Path, to: &Path) -> anyhow::Result<()> {
    if fs::symlink_metadata(to).is_ok() {
        anyhow::bail!(
            "{} already exists — a backup or restore writes a new directory only",
            to.display()
        );
    }
    // Completes what an interrupted run left, and checks the files, before copying.
    let store = Store::open_waiting(from, env.wait)?;
    super::report_recovery(store.recovery());
    drop(store);
    files::check_store_dir(from)?;
    let _lock = lock::StoreLock::acquire(from, env.wait).map_err(|e| match e {
        lock::LockError::Busy { holder, .. } => anyhow::anyhow!(
            "store {} is in use by {} — try again with a longer --wait",
            from.display(),
            holder.unwrap_or_else(|| "another process".into())
        ),
        lock::LockError::Io(p, e) => anyhow::anyhow!("cannot lock {}: {e}", p.display()),
    })?;
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".interlog-copy.")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a directory in {}", parent.display()))?;
    let work = tmp.path().join("store");
    let (mut n, mut bytes) = (0, 0);
    copy_tree(from, &work, &mut n, &mut bytes).with_context(|| {
        format!(
            "copying {} failed; nothing was written to {}",
            from.display(),
            to.display()
        )
    })?;
    drop(_lock);
    let copy = Store::open_waiting(&work, env.wait)?;
    let r = verify(&copy)?;
    drop(copy);
    if !r.is_ok() {
        anyhow::bail!(
            "the copy of {} does not verify ({} problem(s), first: {}) — nothing was written to {}",
            from.display(),
            r.problems.len(),
            r.problems
                .first()
                .map_or(String::new(), |p| p.detail.clone()),
            to.display()
        );
    }
    let _ = fs::remove_file(work.join(lock::LOCK_FILE));
    fs::rename(&work, to).with_context(|| format!("cannot move the copy to {}", to.display()))?;
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    let report = CopyReport {
        from,
        to,
        files: n,
        bytes,
        verified_values: r.values,
        entries: r.entries,
    };
    if env.out.json {
        env.out.json(&report)
    } else {
        env.out.line(format!(
            "copied {} to {} ({} files, {} bytes); the copy verifies: {} values, {} entries",
            from.display(),
            to.display(),
            n,
            bytes,
            r.values,
            r.entries
        ))
    }
}

pub fn backup(env: &Env, a: BackupArgs) -> anyhow::Result<()> {
    copy_store(env, &env.store_path, &a.dest)
}

pub fn restore(env: &Env, a: RestoreArgs) -> anyhow::Result<()> {
    copy_store(env, &a.backup, &env.store_path)
}
