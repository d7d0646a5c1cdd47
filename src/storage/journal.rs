//! The commit journal: what makes one change all-or-nothing whatever sled does.
//!
//! sled 0.34's transactions are atomic in memory, but not on disk when a write fails: with the
//! disk full, part of a transaction's pages can reach the log and part not (a blob file that
//! could not be written is skipped by sled's recovery as "dangling"), so a canceled logged
//! segment came back half canceled. interlog therefore decides a change *before* handing it to
//! sled:
//!
//! 1. every write of the change (tree, key, new value or removal) is appended to
//!    `interlog.journal` as one record with a CRC32 and fsynced — **this is the commit point**;
//! 2. the writes are applied to sled in one transaction (visible at once, durable later);
//! 3. every so often — before staged data is published, when the journal grows past a bound,
//!    when the store closes — sled is flushed and its files fsynced, and the journal emptied.
//!
//! A failure before (1) completes leaves nothing committed, and the journal is emptied (and
//! fsynced) to make sure; if even that fails, the outcome is unknown until the next open. A
//! failure after (1) leaves the change committed: when the store is next opened, a complete
//! journal record is applied again — its writes are whole values, so applying them twice is
//! the same as once — and only then is the store used. A record that is cut short or fails its
//! CRC was never complete, so sled was never touched for it, and it is dropped.
//!
//! The journal holds the changes committed since sled's files were last made durable, in
//! commit order, and the next open applies all of them again, in that order: so a sequence of
//! small changes (interactions created one by one, a batch job's progress records) costs one
//! fsync each instead of one plus sled's three. Only the last record can be incomplete (each is
//! fsynced before the next is written); reading stops at the first record that is cut short or
//! fails its CRC, and everything from there on is dropped.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;

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
    /// Where the next record goes: the end of the last complete record.
    end: Mutex<u64>,
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
#[derive(Debug, Default)]
pub struct Found {
    /// The complete changes, in commit order, to be applied again.
    pub changes: Vec<Vec<WriteItem>>,
    /// An incomplete record followed them (the process stopped while writing it): never
    /// committed, dropped.
    pub incomplete: bool,
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

/// Decodes a journal: its complete records in order, and whether bytes that are not a
/// complete record follow them.
fn decode_all(mut b: &[u8]) -> Found {
    let mut found = Found::default();
    while !b.is_empty() {
        match decode_one(b) {
            Some((items, used)) => {
                found.changes.push(items);
                b = &b[used..];
            }
            None => {
                found.incomplete = true;
                break;
            }
        }
    }
    found
}

#[cfg(test)]
fn decode(b: &[u8]) -> Option<Vec<WriteItem>> {
    match decode_one(b) {
        Some((items, used)) if used == b.len() => Some(items),
        _ => None,
    }
}

/// Decodes the record at the start of `b`: its writes and its length in bytes.
fn decode_one(b: &[u8]) -> Option<(Vec<WriteItem>, usize)> {
    if b.len() < 16 || &b[..4] != MAGIC {
        return None;
    }
    let payload = u64::from_le_bytes(b[4..12].try_into().ok()?) as usize;
    let end = 12usize.checked_add(payload)?;
    if b.len() < end.checked_add(4)? {
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
    if !p.is_empty() {
        return None;
    }
    Some((items, end + 4))
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
        Ok(Journal {
            file,
            path,
            end: Mutex::new(0),
        })
    }

    fn end(&self) -> std::sync::MutexGuard<'_, u64> {
        self.end.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes of complete records this process appended since the journal was last emptied.
    pub fn len(&self) -> u64 {
        *self.end()
    }

    /// True when this process has no record in the journal.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what the journal holds (at open, before anything is appended).
    pub fn read(&self) -> std::io::Result<Found> {
        let len = self.file.metadata()?.len();
        if len == 0 {
            return Ok(Found::default());
        }
        let mut b = vec![0u8; len as usize];
        self.file.read_exact_at(&mut b, 0)?;
        Ok(decode_all(&b))
    }

    /// Appends `items` as one change after the records already there and makes it durable:
    /// the commit point. On failure the journal is cut back to the records before it.
    pub fn write(&self, items: &[WriteItem]) -> Result<(), WriteFailure> {
        let record = encode(items);
        let mut end = self.end();
        let at = *end;
        let res = self
            .file
            .write_all_at(&record, at)
            .and_then(|_| self.file.sync_data());
        match res {
            Ok(()) => {
                *end = at + record.len() as u64;
                Ok(())
            }
            Err(e) => match self.file.set_len(at).and_then(|_| self.file.sync_data()) {
                Ok(()) => Err(WriteFailure::NotCommitted(e)),
                Err(_) => Err(WriteFailure::Unknown(e)),
            },
        }
    }

    /// Empties the journal and makes that durable.
    pub fn empty_durably(&self) -> std::io::Result<()> {
        let mut end = self.end();
        self.file.set_len(0)?;
        *end = 0;
        self.file.sync_data()
    }

    /// Empties the journal once its changes have been applied and made durable in sled. Not
    /// fsynced: should a power cut bring the records back, applying them again changes
    /// nothing (each write is a whole value, and a later record, fsynced, would have cut the
    /// file to its own end).
    pub fn clear(&self) -> std::io::Result<()> {
        let mut end = self.end();
        self.file.set_len(0)?;
        *end = 0;
        Ok(())
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

    #[test]
    fn records_are_read_in_order_up_to_the_first_incomplete_one() {
        let a: Vec<WriteItem> = vec![(TreeId::Meta, b"a".to_vec(), Some(vec![1]))];
        let b: Vec<WriteItem> = vec![(TreeId::Meta, b"a".to_vec(), None)];
        let c: Vec<WriteItem> = vec![(TreeId::Jobs, b"j".to_vec(), Some(vec![2; 40]))];
        let mut all = encode(&a);
        all.extend(encode(&b));
        let whole_two = all.len();
        all.extend(encode(&c));
        let f = decode_all(&all);
        assert_eq!(f.changes, vec![a.clone(), b.clone(), c]);
        assert!(!f.incomplete);
        for cut in whole_two..all.len() {
            let f = decode_all(&all[..cut]);
            assert_eq!(f.changes, vec![a.clone(), b.clone()], "cut at {cut}");
            assert_eq!(f.incomplete, cut > whole_two, "cut at {cut}");
        }
        // A damaged middle record drops it and everything after it.
        let mut d = all.clone();
        d[whole_two - 3] ^= 1;
        let f = decode_all(&d);
        assert_eq!(f.changes, vec![a]);
        assert!(f.incomplete);
    }

    #[test]
    fn appended_records_survive_reopen_and_clearing_starts_again_at_the_front() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        let a: Vec<WriteItem> = vec![(TreeId::Meta, b"a".to_vec(), Some(vec![1]))];
        let b: Vec<WriteItem> = vec![(TreeId::Meta, b"b".to_vec(), Some(vec![2]))];
        j.write(&a).unwrap();
        j.write(&b).unwrap();
        assert!(!j.is_empty());
        let again = Journal::open(dir.path()).unwrap();
        let f = again.read().unwrap();
        assert_eq!(f.changes, vec![a, b.clone()]);
        j.clear().unwrap();
        assert!(j.is_empty());
        j.write(&b).unwrap();
        assert_eq!(
            Journal::open(dir.path()).unwrap().read().unwrap().changes,
            vec![b]
        );
    }
}
