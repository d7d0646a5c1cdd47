//! The staging mark: whether a store may hold staged leftovers, so that opening a store need
//! not look for them when it cannot.
//!
//! Bulk data is written *staged* — under numbers at or above the committed counters — and
//! published by a small commit (see the module invariants of [`super`]). A process killed
//! between the two leaves staged blocks nobody refers to, and they must be deleted before the
//! numbers are handed out again. Looking for them means seeking the end of the entry, line,
//! index and contact-block trees and every segment's line range: on a store of 10M entries
//! that reads the last leaves of those trees (blob files of up to ~1.5 MB) at *every* open,
//! and dominated the time of small commands.
//!
//! So the file `interlog.staging` is created, and made durable (the file and its directory
//! fsynced), before a process writes its first staged value; only a store with the file is
//! searched for leftovers at open. The file is removed only when the store is known to hold
//! none: after opening has searched and deleted them (durably), and when a process that
//! staged closes its store cleanly after the same search. A process killed in between leaves
//! the file, so the next open searches. Removing it needs no fsync: should a power cut bring
//! it back, the next open only searches in vain.
//!
//! Stores of layout 1 (older interlog, which staged without the mark) are searched at their
//! first open by this build and then raised to layout 2, which an older build refuses to
//! open — it would stage without setting the mark.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Name of the staging mark inside a store directory.
pub const STAGING_FILE: &str = "interlog.staging";

const CONTENT: &[u8] = b"interlog staging 1\nstaged data may be left here: the next open looks for it and deletes it\n";

/// Whether the mark is present (any failure to tell counts as present: searching is safe).
pub fn is_set(dir: &Path) -> bool {
    !matches!(
        std::fs::symlink_metadata(dir.join(STAGING_FILE)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    )
}

/// Creates the mark and makes it durable: the file and the directory entry are fsynced.
pub fn set(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(STAGING_FILE);
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    f.write_all(CONTENT)?;
    f.sync_all()?;
    std::fs::File::open(dir)?.sync_all()
}

/// Removes the mark (a mark already gone is fine).
pub fn clear(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(STAGING_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_is_set_once_and_cleared_twice_without_error() {
        let d = tempfile::tempdir().unwrap();
        assert!(!is_set(d.path()));
        set(d.path()).unwrap();
        set(d.path()).unwrap();
        assert!(is_set(d.path()));
        clear(d.path()).unwrap();
        assert!(!is_set(d.path()));
        clear(d.path()).unwrap();
    }
}
