//! Making writes durable.
//!
//! sled 0.34's `flush()` writes its log with `sync_file_range`, which neither flushes the
//! disk's cache nor the file's metadata, and it never fsyncs the blob files it creates for
//! large pages (sled #1351, #1452; STORAGE-NOTES.md). So after `flush()` interlog fsyncs the
//! data file, every blob file created since the last sync, the `blobs` directory and the store
//! directory itself.
//!
//! Blob files are immutable once written, so each is fsynced once: the names already synced
//! are remembered (names that disappear, collected by sled, are forgotten). To avoid listing the blob
//! directory on every small write, the listing is skipped when the directory's modification
//! time has not changed since a listing taken comfortably after that time (coarse file-system
//! clocks could otherwise hide a file created in the same tick); the store directory is
//! fsynced again only when its modification time moved, by the same rule.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Margin after a directory's mtime before an unchanged mtime is trusted.
const MTIME_MARGIN: Duration = Duration::from_millis(50);

/// A directory's modification time as last seen, and when it was seen.
#[derive(Debug, Default)]
struct Seen {
    mtime: Option<SystemTime>,
    at: Option<SystemTime>,
}

impl Seen {
    /// True when the directory cannot have changed since it was last seen: same mtime, and
    /// that mtime was read comfortably after it was set.
    fn unchanged(&self, mtime: SystemTime) -> bool {
        match (self.mtime, self.at) {
            (Some(seen), Some(at)) => {
                seen == mtime && at.duration_since(seen).is_ok_and(|d| d > MTIME_MARGIN)
            }
            _ => false,
        }
    }
}

/// What the last sync saw.
#[derive(Debug, Default)]
pub struct SyncState {
    synced: std::collections::HashSet<std::ffi::OsString>,
    blobs: Seen,
    store_dir: Seen,
}

fn fsync_path(path: &Path) -> std::io::Result<()> {
    File::open(path)?.sync_all()
}

impl SyncState {
    /// State for a store just opened: blob files already present were made durable by the
    /// process that wrote them (every command syncs before it reports success), so only files
    /// created from now on are synced.
    pub fn at_open(dir: &Path) -> std::io::Result<SyncState> {
        let mut synced = std::collections::HashSet::new();
        match std::fs::read_dir(dir.join("blobs")) {
            Ok(rd) => {
                for ent in rd {
                    synced.insert(ent?.file_name());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(SyncState {
            synced,
            ..SyncState::default()
        })
    }
}

impl SyncState {
    /// The blob files' names as of the last sync (every blob file, once a sync has listed the
    /// directory after the last one was created).
    pub fn blob_names(&self) -> impl Iterator<Item = &std::ffi::OsStr> {
        self.synced.iter().map(|n| n.as_os_str())
    }
}

/// fsyncs the store's files; see the module docs.
pub fn sync_store(dir: &Path, state: &mut SyncState) -> std::io::Result<()> {
    fsync_path(&dir.join("db"))?;
    let blobs: PathBuf = dir.join("blobs");
    let meta = std::fs::metadata(&blobs)?;
    let mtime = meta.modified()?;
    if !state.blobs.unchanged(mtime) {
        let listed_at = SystemTime::now();
        let mut present = std::collections::HashSet::with_capacity(state.synced.len());
        let mut new_files = false;
        for ent in std::fs::read_dir(&blobs)? {
            let ent = ent?;
            let name = ent.file_name();
            if !state.synced.contains(&name) {
                match fsync_path(&ent.path()) {
                    Ok(()) => {}
                    // sled may collect a blob between listing and fsync: nothing left to sync.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
                new_files = true;
            }
            present.insert(name);
        }
        if new_files || state.blobs.mtime != Some(mtime) {
            fsync_path(&blobs)?;
        }
        state.synced = present;
        state.blobs = Seen {
            mtime: Some(mtime),
            at: Some(listed_at),
        };
    }
    // The store directory changes only when sled writes a snapshot or interlog its guard:
    // fsynced when its mtime moved (or cannot be trusted yet), not on every commit.
    let seen_at = SystemTime::now();
    let dir_mtime = std::fs::metadata(dir)?.modified()?;
    if !state.store_dir.unchanged(dir_mtime) {
        fsync_path(dir)?;
        state.store_dir = Seen {
            mtime: Some(dir_mtime),
            at: Some(seen_at),
        };
    }
    Ok(())
}
