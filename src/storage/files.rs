//! The files of a store directory, so that deleting a store (`interlog demo --reset`) deletes
//! exactly a store and nothing else.
//!
//! A store directory holds sled's files — `db`, `conf`, snapshots `snap.<lsn>` (and
//! `snap.<lsn>.generating` while one is written), and `blobs/` with one file per large value,
//! named by its log sequence number — plus the files interlog itself keeps there
//! ([`INTERLOG_FILES`]: its lock, journal, guard record and staging mark; whoever adds one adds it here, or
//! `--reset` refuses stores that have it). [`check_store_dir`] refuses a directory holding anything else and names the
//! first such entry; [`remove_store_dir`] checks the same way and then deletes file by file,
//! never following a symbolic link and never using a recursive delete, so an entry that
//! appears meanwhile makes it stop instead of being deleted.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Files interlog keeps in a store directory besides sled's.
pub const INTERLOG_FILES: &[&str] = &[
    super::lock::LOCK_FILE,
    super::journal::JOURNAL_FILE,
    super::guard::GUARD_FILE,
    "interlog.guard.tmp",
    super::staging::STAGING_FILE,
];

/// Why a directory cannot be deleted as a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreDirError {
    /// The path is a symbolic link: deleting would go through it.
    #[error("{} is a symbolic link — a store is only deleted at its real path", .dir.display())]
    Link {
        /// The path given.
        dir: PathBuf,
    },
    /// The path is not a directory.
    #[error("{} is not a directory, so it is not an interlog store", .dir.display())]
    NotDir {
        /// The path given.
        dir: PathBuf,
    },
    /// The directory holds something a store does not.
    #[error("{} holds {} ({what}), which is not part of an interlog store — refusing to delete the directory; move that away first or choose another --store", .dir.display(), .entry.display())]
    Foreign {
        /// The directory.
        dir: PathBuf,
        /// The entry, relative to `dir`.
        entry: PathBuf,
        /// What it is, or why it does not belong.
        what: &'static str,
    },
    /// Listing or deleting failed.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

/// One entry to delete: its path and whether it is a directory (deleted after its contents).
type Entry = (PathBuf, bool);

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreDirError {
    let path = path.to_path_buf();
    move |source| StoreDirError::Io {
        action,
        path,
        source,
    }
}

/// What a directory entry is, for messages: "a file", "a directory", "a symbolic link",
/// "a named pipe (FIFO)", "a character device", "a block device", "a socket".
pub fn file_kind(ft: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_file() {
        "a file"
    } else {
        "a special file"
    }
}

/// Checks that a new store may be created at `path`: nothing there, or a directory (which
/// [`Store::create`](super::Store::create) then wants empty), or a symbolic link to one. A
/// file, device, FIFO or socket — or a link to one, or to nothing — is refused with what it is.
pub fn check_new_store_path(path: &Path) -> Result<(), String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot inspect {}: {e}", path.display())),
    };
    if meta.file_type().is_symlink() {
        return match fs::metadata(path) {
            Ok(t) if t.is_dir() => Ok(()),
            Ok(t) => Err(format!(
                "{} is a symbolic link to {}, not to a directory — choose another --store path",
                path.display(),
                file_kind(&t.file_type())
            )),
            Err(_) => Err(format!(
                "{} is a symbolic link to something missing — choose another --store path",
                path.display()
            )),
        };
    }
    if meta.is_dir() {
        return Ok(());
    }
    Err(format!(
        "{} is {}, not a directory — choose another --store path",
        path.display(),
        file_kind(&meta.file_type())
    ))
}

/// The entries of the store directory `dir`, contents before their directory, `dir` last;
/// refuses anything that is not a store's (see the module docs).
fn store_entries(dir: &Path) -> Result<Vec<Entry>, StoreDirError> {
    let meta = fs::symlink_metadata(dir).map_err(io_err("inspect", dir))?;
    if meta.file_type().is_symlink() {
        return Err(StoreDirError::Link {
            dir: dir.to_path_buf(),
        });
    }
    if !meta.is_dir() {
        return Err(StoreDirError::NotDir {
            dir: dir.to_path_buf(),
        });
    }
    let foreign = |entry: PathBuf, what: &'static str| StoreDirError::Foreign {
        dir: dir.to_path_buf(),
        entry,
        what,
    };
    let mut out = Vec::new();
    let mut names: Vec<(std::ffi::OsString, fs::FileType)> = Vec::new();
    for e in fs::read_dir(dir).map_err(io_err("list", dir))? {
        let e = e.map_err(io_err("list", dir))?;
        let ft = e.file_type().map_err(io_err("inspect", &e.path()))?;
        names.push((e.file_name(), ft));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, ft) in names {
        let rel = PathBuf::from(&name);
        let Some(text) = name.to_str() else {
            return Err(foreign(rel, "a name that is not UTF-8"));
        };
        let file_named = matches!(text, "db" | "conf")
            || text.starts_with("snap.")
            || INTERLOG_FILES.contains(&text);
        if file_named {
            if !ft.is_file() {
                return Err(foreign(rel, file_kind(&ft)));
            }
            out.push((dir.join(&name), false));
        } else if text == "blobs" {
            if !ft.is_dir() {
                return Err(foreign(rel, file_kind(&ft)));
            }
            let blobs = dir.join("blobs");
            for b in fs::read_dir(&blobs).map_err(io_err("list", &blobs))? {
                let b = b.map_err(io_err("list", &blobs))?;
                let bft = b.file_type().map_err(io_err("inspect", &b.path()))?;
                let brel = rel.join(b.file_name());
                if !bft.is_file() {
                    return Err(foreign(brel, file_kind(&bft)));
                }
                let numbered = b
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.parse::<i64>().is_ok());
                if !numbered {
                    return Err(foreign(brel, "a file sled did not name"));
                }
                out.push((b.path(), false));
            }
            out.push((blobs, true));
        } else {
            return Err(foreign(rel, file_kind(&ft)));
        }
    }
    out.push((dir.to_path_buf(), true));
    Ok(out)
}

/// Checks that `dir` is a real directory (not a symbolic link) holding only a store's files.
pub fn check_store_dir(dir: &Path) -> Result<(), StoreDirError> {
    store_entries(dir).map(drop)
}

/// Deletes the store directory `dir` after [`check_store_dir`]'s checks: file by file, then the
/// directories, never following a link and never deleting recursively. The caller makes sure
/// the store is not open (open it once: sled refuses a store in use).
pub fn remove_store_dir(dir: &Path) -> Result<(), StoreDirError> {
    for (path, is_dir) in store_entries(dir)? {
        if is_dir {
            fs::remove_dir(&path).map_err(io_err("delete", &path))?;
        } else {
            fs::remove_file(&path).map_err(io_err("delete", &path))?;
        }
    }
    Ok(())
}

/// Bytes of the files under `dir`, subdirectories included. A file removed while it is
/// measured counts as gone: sled deletes blob files of collected pages on its own threads,
/// between the listing and the stat.
pub fn dir_size(dir: &Path) -> io::Result<u64> {
    let mut n = 0;
    for e in fs::read_dir(dir)? {
        let e = e?;
        let m = match e.metadata() {
            Ok(m) => m,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        n += if m.is_dir() {
            dir_size(&e.path())?
        } else {
            m.len()
        };
    }
    Ok(n)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn store_like(root: &Path) -> PathBuf {
        let dir = root.join("store");
        fs::create_dir_all(dir.join("blobs")).unwrap();
        for f in ["db", "conf", "snap.00000000000010B1", "blobs/4711"] {
            fs::write(dir.join(f), b"x").unwrap();
        }
        dir
    }

    #[test]
    fn the_size_of_a_store_directory_counts_the_files_of_its_subdirectories_too() {
        let root = tempfile::TempDir::new().unwrap();
        let dir = store_like(root.path());
        fs::write(dir.join("blobs/4712"), b"12345").unwrap();
        assert_eq!(dir_size(&dir).unwrap(), 4 + 5);
    }

    #[test]
    fn a_store_directory_is_deleted_and_nothing_else() {
        let root = tempfile::TempDir::new().unwrap();
        let dir = store_like(root.path());
        fs::write(root.path().join("neighbour"), b"keep").unwrap();
        remove_store_dir(&dir).unwrap();
        assert!(!dir.exists());
        assert!(root.path().join("neighbour").exists());
    }

    /// What a test plants in a store directory.
    enum Plant {
        File,
        Dir,
        LinkOutside,
    }

    #[test]
    fn anything_foreign_is_named_and_nothing_is_deleted() {
        let root = tempfile::TempDir::new().unwrap();
        let outside = root.path().join("outside.txt");
        fs::write(&outside, b"precious").unwrap();
        let cases = [
            ("notes.txt", Plant::File),
            ("sub", Plant::Dir),
            ("blobs/readme", Plant::File),
            ("link", Plant::LinkOutside),
            ("snap.0000000000000001", Plant::LinkOutside),
            ("blobs/7", Plant::LinkOutside),
            ("blobs/8", Plant::Dir),
        ];
        for (n, (entry, plant)) in cases.into_iter().enumerate() {
            let dir = store_like(&root.path().join(format!("case{n}")));
            let at = dir.join(entry);
            match plant {
                Plant::File => fs::write(&at, b"mine").unwrap(),
                Plant::Dir => fs::create_dir(&at).unwrap(),
                Plant::LinkOutside => std::os::unix::fs::symlink(&outside, &at).unwrap(),
            }
            let e = remove_store_dir(&dir).expect_err(entry);
            match &e {
                StoreDirError::Foreign { entry: got, .. } => {
                    assert_eq!(got, Path::new(entry), "{e}")
                }
                other => panic!("{entry}: {other}"),
            }
            assert!(e.to_string().contains(entry), "{e}");
            assert!(dir.join("db").exists(), "{entry}: deleted something");
            assert!(dir.join("blobs/4711").exists(), "{entry}: deleted a blob");
            assert_eq!(fs::read(&outside).unwrap(), b"precious");
        }
    }

    #[test]
    fn a_link_to_a_store_is_not_deleted_through() {
        let root = tempfile::TempDir::new().unwrap();
        let dir = store_like(root.path());
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(matches!(
            remove_store_dir(&link),
            Err(StoreDirError::Link { .. })
        ));
        assert!(dir.join("db").exists());
        let file = root.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert!(matches!(
            remove_store_dir(&file),
            Err(StoreDirError::NotDir { .. })
        ));
    }
}
