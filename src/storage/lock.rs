//! interlog's own lock on a store: one process at a time, taken *before* sled is allowed to
//! look at the files.
//!
//! sled locks its `db` file itself, but only once it is already opening — after it may have
//! written a snapshot. interlog's checks of sled's files ([`super::sled_files`]) and its
//! journal replay must not race with another process using the store, so every process first
//! takes an exclusive lock on `interlog.lock` (an advisory `flock`, released by the kernel when
//! the process ends, however it ends) and writes its process id and command into it, so that a
//! process that has to wait can say who holds the store.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Name of the lock file inside a store directory.
pub const LOCK_FILE: &str = "interlog.lock";

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it; `holder` is what it wrote about itself, if readable.
    Busy {
        /// Lock file.
        path: PathBuf,
        /// "pid 1234: interlog segment log SM00001", when known.
        holder: Option<String>,
    },
    /// The lock file could not be opened or locked.
    Io(PathBuf, std::io::Error),
}

fn describe_self() -> String {
    let args: Vec<String> = std::env::args().collect();
    let mut cmd = args.join(" ");
    cmd.retain(|c| !c.is_control());
    cmd.truncate(cmd.char_indices().nth(200).map_or(cmd.len(), |(i, _)| i));
    format!("pid {}: {cmd}", std::process::id())
}

fn read_holder(path: &Path) -> Option<String> {
    let mut s = String::new();
    File::open(path).ok()?.read_to_string(&mut s).ok()?;
    let s: String = s
        .lines()
        .next()?
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    (!s.is_empty()).then_some(s)
}

impl StoreLock {
    /// Takes the lock of the store in `dir`, trying again for up to `wait`.
    pub fn acquire(dir: &Path, wait: Duration) -> Result<StoreLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| LockError::Io(path.clone(), e))?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        return Err(LockError::Busy {
                            holder: read_holder(&path),
                            path,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::Error(e)) => return Err(LockError::Io(path, e)),
            }
        }
        // Who holds it, for a process that has to wait. Best effort: a full disk must not stop
        // a reader from opening the store.
        let me = describe_self();
        let _ = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(format!("{me}\n").as_bytes()));
        Ok(StoreLock { _file: file })
    }
}
