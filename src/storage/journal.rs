//! The commit journal: what makes one change all-or-nothing whatever sled does.
//!
//! sled 0.34's transactions are atomic in memory, but not on disk when a write fails: with the
//! disk full, part of a transaction's pages can reach the log and part not (a blob file that
//! could not be written is skipped by sled's recovery as "dangling"), so a canceled logged
//! segment came back half canceled. interlog therefore decides a change *before* handing it to
//! sled:
//!
//! 1. every write of the change (tree, key, new value or removal) is written to
//!    `interlog.journal` with a CRC32 and fsynced — **this is the commit point**;
//! 2. the writes are applied to sled in one transaction, flushed and fsynced;
//! 3. the journal is emptied.
//!
//! A failure before (1) completes leaves nothing committed, and the journal is emptied (and
//! fsynced) to make sure; if even that fails, the outcome is unknown until the next open. A
//! failure after (1) leaves the change committed: when the store is next opened, a complete
//! journal record is applied again — its writes are whole values, so applying them twice is
//! the same as once — and only then is the store used. A record that is cut short or fails its
//! CRC was never complete, so sled was never touched for it, and it is dropped.
//!
//! The journal holds one change at a time: a change starts only after the previous one was
//! applied, so a record found at open is always the latest change.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use super::{TreeId, WriteItem};

/// Name of the journal file inside a store directory.
pub const JOURNAL_FILE: &str = "interlog.journal";

const MAGIC: &[u8; 4] = b"ILJ1";

/// Where the current process stands with its change (read by the CLI's panic handler, so that
/// even a crash inside sled reports truthfully what was committed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No change in flight: everything reported as done is durable.
    Idle = 0,
    /// A change is being written to the journal: not committed until that finishes.
    Deciding = 1,
    /// The change is committed (journaled) and being applied to sled.
    Committed = 2,
}

static PHASE: AtomicU8 = AtomicU8::new(Phase::Idle as u8);

/// The current process's [`Phase`].
pub fn phase() -> Phase {
    match PHASE.load(Ordering::SeqCst) {
        1 => Phase::Deciding,
        2 => Phase::Committed,
        _ => Phase::Idle,
    }
}

pub(crate) fn set_phase(p: Phase) {
    if p == Phase::Committed {
        COMMITTED.store(true, Ordering::SeqCst);
    }
    PHASE.store(p as u8, Ordering::SeqCst);
}

static COMMITTED: AtomicBool = AtomicBool::new(false);

/// True once a change of this process reached its commit point (read by the CLI: a command that
/// fails after committing — say, while printing its report to a full disk — must not say
/// "nothing was written").
pub fn committed_in_this_process() -> bool {
    COMMITTED.load(Ordering::SeqCst)
}

/// Forgets that this process committed: for a command that built a whole store in a temporary
/// directory and discarded it on failure (`interlog load`), where nothing reached the user's
/// store.
pub fn forget_discarded_commits() {
    COMMITTED.store(false, Ordering::SeqCst);
}

/// The journal file of an open store.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

/// Why a change could not be journaled.
#[derive(Debug)]
pub enum WriteFailure {
    /// Nothing was committed (the journal is verifiably empty).
    NotCommitted(std::io::Error),
    /// The journal could be neither written nor verifiably emptied: the next open decides.
    Unknown(std::io::Error),
}

/// What was found in the journal when the store was opened.
#[derive(Debug)]
pub enum Found {
    /// Nothing: the last change was applied.
    Empty,
    /// A complete change, to be applied again.
    Change(Vec<WriteItem>),
    /// An incomplete record (the process stopped while writing it): never committed.
    Incomplete,
}

fn encode(items: &[WriteItem]) -> Vec<u8> {
    let size: usize = items
        .iter()
        .map(|(_, k, v)| 16 + k.len() + v.as_ref().map_or(0, |v| v.len()))
        .sum();
    let mut b = Vec::with_capacity(size + 24);
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&[0; 8]); // payload length, filled below
    b.extend_from_slice(&(items.len() as u64).to_le_bytes());
    for (tree, key, value) in items {
        let name = tree.name().as_bytes();
        b.push(name.len() as u8);
        b.extend_from_slice(name);
        b.extend_from_slice(&(key.len() as u32).to_le_bytes());
        b.extend_from_slice(key);
        match value {
            Some(v) => {
                b.push(1);
                b.extend_from_slice(&(v.len() as u32).to_le_bytes());
                b.extend_from_slice(v);
            }
            None => b.push(0),
        }
    }
    let payload = (b.len() - 12) as u64;
    b[4..12].copy_from_slice(&payload.to_le_bytes());
    let crc = crc32fast::hash(&b[4..]);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

fn decode(b: &[u8]) -> Option<Vec<WriteItem>> {
    if b.len() < 16 || &b[..4] != MAGIC {
        return None;
    }
    let payload = u64::from_le_bytes(b[4..12].try_into().ok()?) as usize;
    let end = 12usize.checked_add(payload)?;
    if b.len() != end.checked_add(4)? {
        return None;
    }
    let crc = u32::from_le_bytes(b[end..end + 4].try_into().ok()?);
    if crc32fast::hash(&b[4..end]) != crc {
        return None;
    }
    let mut p = &b[12..end];
    let mut take = |n: usize| -> Option<&[u8]> {
        if p.len() < n {
            return None;
        }
        let (a, rest) = p.split_at(n);
        p = rest;
        Some(a)
    };
    let count = u64::from_le_bytes(take(8)?.try_into().ok()?);
    let mut items = Vec::with_capacity(count.min(1 << 20) as usize);
    for _ in 0..count {
        let n = usize::from(take(1)?[0]);
        let tree = TreeId::from_name(std::str::from_utf8(take(n)?).ok()?)?;
        let kl = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
        let key = take(kl)?.to_vec();
        let value = match take(1)?[0] {
            0 => None,
            1 => {
                let vl = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
                Some(take(vl)?.to_vec())
            }
            _ => return None,
        };
        items.push((tree, key, value));
    }
    Some(items)
}

impl Journal {
    /// Opens (creating if needed) the journal of the store in `dir`.
    pub fn open(dir: &Path) -> std::io::Result<Journal> {
        let path = dir.join(JOURNAL_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        Ok(Journal { file, path })
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what the journal holds.
    pub fn read(&self) -> std::io::Result<Found> {
        let len = self.file.metadata()?.len();
        if len == 0 {
            return Ok(Found::Empty);
        }
        let mut b = vec![0u8; len as usize];
        self.file.read_exact_at(&mut b, 0)?;
        Ok(match decode(&b) {
            Some(items) => Found::Change(items),
            None => Found::Incomplete,
        })
    }

    /// Writes `items` as the one change in the journal and makes it durable: the commit point.
    pub fn write(&self, items: &[WriteItem]) -> Result<(), WriteFailure> {
        let record = encode(items);
        let res = self
            .file
            .set_len(0)
            .and_then(|_| self.file.write_all_at(&record, 0))
            .and_then(|_| self.file.sync_data());
        match res {
            Ok(()) => Ok(()),
            Err(e) => match self.empty_durably() {
                Ok(()) => Err(WriteFailure::NotCommitted(e)),
                Err(_) => Err(WriteFailure::Unknown(e)),
            },
        }
    }

    /// Empties the journal and makes that durable.
    pub fn empty_durably(&self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.sync_data()
    }

    /// Empties the journal once its change has been applied and made durable in sled. Not
    /// fsynced: should a power cut bring the record back, applying it again changes nothing.
    pub fn clear(&self) -> std::io::Result<()> {
        self.file.set_len(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_decodes_to_its_writes_and_any_cut_or_flip_is_incomplete() {
        let items: Vec<WriteItem> = vec![
            (TreeId::Meta, b"next_entry".to_vec(), Some(vec![1, 2, 3])),
            (TreeId::Entries, vec![0, 0, 0, 7], None),
            (TreeId::Jobs, Vec::new(), Some(Vec::new())),
        ];
        let b = encode(&items);
        assert_eq!(decode(&b), Some(items));
        for cut in 0..b.len() {
            assert_eq!(decode(&b[..cut]), None, "cut at {cut}");
        }
        for i in 0..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x10;
            assert_eq!(decode(&c), None, "flip at {i}");
        }
    }
}
