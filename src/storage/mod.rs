//! The store: a sled database with one tree per kind of record, the key layout, the codec, the
//! block formats, the contact index, durability and crash recovery.
//!
//! # Invariants
//! * **One writer.** Every operation that changes data holds [`Store::writer`] for its whole
//!   duration (reads, planning, staging and commit). sled itself lets only one process open a
//!   store, so there is exactly one writer per store. Readers take no lock.
//! * **Atomic visibility.** A change becomes visible through exactly one sled transaction
//!   ([`Store::apply`]). Bulk data (entry blocks, line blocks, index runs) is written *staged*
//!   first, under numbers at or above the committed counters `next_entry`, `next_gen` and
//!   `next_run`; readers never look at or above those counters, and the commit transaction
//!   moves the counters past the staged data.
//! * **Recovery.** On open, anything at or above the committed counters is a leftover of an
//!   interrupted batch and is deleted; line block generations listed in `garbage` (replaced or
//!   removed segments) are deleted. Only then can anything read. Leftovers are searched for
//!   only where the staging mark ([`staging`]) says a process may have left some.
//! * **Durability.** [`Store::apply`] returns only after the transaction is flushed and the
//!   store's files are fsynced (see [`durable`]).

pub mod blocks;
mod changes;
pub use changes::{Change, Counter};
pub mod bloom;
pub mod bulk_log;
pub mod check;
pub mod codec;
pub mod contacts;
pub mod durable;
pub mod entries;
mod entry_changes;
pub use entry_changes::{CanceledCounts, DeletedEntries, EntriesForUpdate, EntryView};
pub mod files;
pub mod guard;
pub mod index;
pub mod journal;
pub mod keys;
mod line_changes;
pub mod lines;
pub mod load_sink;
pub mod lock;
mod queries;
mod raw;
mod records;
mod run_cache;
pub use raw::RawTree;
pub use records::EncodedRecord;
pub mod settle;
pub mod sled_files;
pub mod staging;

use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

pub use codec::CodecError;

/// Layout version written by `init`. Layout 2 keeps the staging mark ([`staging`]); a store of
/// layout 1 is searched for staged leftovers at its first open and raised to 2; any other
/// layout is refused.
pub const LAYOUT_VERSION: u32 = 2;

/// The layout older builds wrote (the same records, without the staging mark).
const LAYOUT_VERSION_1: u32 = 1;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No store at the path.
    #[error(
        "no interlog store at {path} — create one with `interlog init` (or pass --store PATH)"
    )]
    NoStore {
        /// Path given.
        path: PathBuf,
    },
    /// `init` on an existing store or a non-empty directory.
    #[error("{path} already exists — choose another --store path or remove it first")]
    AlreadyExists {
        /// Path given.
        path: PathBuf,
    },
    /// Another process has the store open (sled 0.34 lets only one process open a store, so
    /// readers wait for writers and the other way round).
    #[error(
        "store {path} is in use by {} — waited {:.1} s for it; wait longer (--wait SECONDS or INTERLOG_WAIT) or retry when it has finished",
        holder.as_deref().map_or_else(|| "another process".to_string(), |h| format!("another process ({h})")),
        waited.as_secs_f64()
    )]
    InUse {
        /// Path given.
        path: PathBuf,
        /// What the holder wrote into interlog's lock file ("pid 1234: interlog export …"),
        /// when it could be read.
        holder: Option<String>,
        /// How long this process waited.
        waited: Duration,
    },
    /// Another change holds the store's writer guard longer than the caller would wait.
    #[error("store {path} is busy with another change — wait for it to finish and retry")]
    WriterBusy {
        /// Path of the store.
        path: PathBuf,
    },
    /// The store was made by an incompatible version.
    #[error("store {path} has layout version {found}; this build reads layouts {LAYOUT_VERSION_1} and {LAYOUT_VERSION} — a store of a newer layout was made by a newer interlog: open it with that, or move its data with `interlog dump` there and `interlog load` here")]
    Layout {
        /// Path given.
        path: PathBuf,
        /// Version found.
        found: u32,
    },
    /// A stored value does not decode.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// sled failed. (Not a `source`: the message already says everything sled said.)
    #[error("{}", sled_message(.0))]
    Sled(sled::Error),
    /// A file-system call failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The store's contents break an invariant.
    #[error("store is inconsistent: {0} — run `interlog verify` for a full report")]
    Inconsistent(String),
    /// A stored value fails its checksum or does not decode.
    #[error("the {tree} value under key {key} is damaged: {cause} — run `interlog verify` for a full report")]
    BadValue {
        /// The tree.
        tree: &'static str,
        /// The key (as text when printable, else hex).
        key: String,
        /// What the codec found.
        cause: CodecError,
    },
    /// sled's files are damaged in a way its recovery would "repair" by discarding data, or
    /// that would make it crash. Nothing was changed on disk.
    #[error(
        "store {path} is damaged: {what} ({file}). Nothing was changed on disk. Keep a copy of \
         the store directory as it is, then restore the store from a backup"
    )]
    Damaged {
        /// The store.
        path: PathBuf,
        /// The damaged file.
        file: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The storage engine (sled) crashed.
    #[error(
        "the storage engine (sled) crashed while {action} {path}: {message} — the store is \
         probably damaged; run `interlog verify` and keep a copy of the store before repairing"
    )]
    EngineCrashed {
        /// What interlog was doing.
        action: &'static str,
        /// The store.
        path: PathBuf,
        /// sled's panic message.
        message: String,
    },
    /// A change was committed (its journal record is durable) but could not be written into
    /// the store; it is completed the next time the store is opened.
    #[error(
        "the change was committed, but writing it into store {path} failed: {cause}. It is \
         completed automatically the next time the store is opened (free disk space first if \
         the disk is full). Do not run the command again"
    )]
    CommittedNotApplied {
        /// The store.
        path: PathBuf,
        /// What failed.
        cause: Box<StorageError>,
    },
    /// Whether a change was committed cannot be known until the store is opened again.
    #[error(
        "could not tell whether the change was committed to store {path}: {cause}. The next \
         command that opens the store settles it; check the result (e.g. with a listing) \
         before running the command again"
    )]
    OutcomeUnknown {
        /// The store.
        path: PathBuf,
        /// What failed.
        cause: std::io::Error,
    },
    /// An earlier write in this process failed after its commit point; the store must be
    /// opened again before anything else is done with it.
    #[error(
        "an earlier change to store {path} could not be completed in this process; open the \
         store again (it completes the change on opening)"
    )]
    NeedsReopen {
        /// The store.
        path: PathBuf,
    },
}

impl From<sled::Error> for StorageError {
    fn from(e: sled::Error) -> Self {
        StorageError::Sled(e)
    }
}

/// sled's error in a user's words: corrupted data found while reading (a damaged blob file
/// or log page, met when its page is first read) says what to do; anything else is passed on.
fn sled_message(e: &sled::Error) -> String {
    match e {
        sled::Error::Corruption { at, .. } => {
            let place = match at {
                Some(sled::DiskPtr::Blob(_, blob)) => format!("in its blob file blobs/{blob}"),
                Some(sled::DiskPtr::Inline(offset)) => format!("in its file db at offset {offset}"),
                None => "in its files".to_string(),
            };
            format!(
                "the store is damaged: the storage engine (sled) read corrupted data {place} \
                 ({e}). Keep a copy of the store directory as it is, then restore the store \
                 from a backup (`interlog restore`)"
            )
        }
        e => format!("storage engine error: {e}"),
    }
}

/// What a failed change left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing was committed: the command can simply be run again.
    NotCommitted,
    /// The change was committed; it is completed when the store is next opened.
    Committed,
    /// It is not known; the next open decides.
    Unknown,
}

impl StorageError {
    /// True for "the disk is full" (or out of quota).
    pub fn is_disk_full(&self) -> bool {
        let io = match self {
            StorageError::Io { source, .. } => Some(source),
            StorageError::Sled(sled::Error::Io(e)) => Some(e),
            StorageError::OutcomeUnknown { cause, .. } => Some(cause),
            StorageError::CommittedNotApplied { cause, .. } => return cause.is_disk_full(),
            _ => None,
        };
        // ENOSPC, EDQUOT, and EFBIG (a file-size limit, which acts like a full disk).
        io.is_some_and(|e| matches!(e.raw_os_error(), Some(28) | Some(122) | Some(27)))
    }

    /// What the failed change left behind.
    pub fn outcome(&self) -> Outcome {
        match self {
            StorageError::CommittedNotApplied { .. } => Outcome::Committed,
            StorageError::OutcomeUnknown { .. } => Outcome::Unknown,
            _ => Outcome::NotCommitted,
        }
    }
}

macro_rules! trees {
    ($($(#[$doc:meta])* $field:ident => $variant:ident),+ $(,)?) => {
        /// Every tree of the store.
        #[derive(Clone)]
        pub(crate) struct Trees {
            $($(#[$doc])* pub(crate) $field: sled::Tree,)+
        }

        /// Names a tree inside a [`UnitOfWork`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum TreeId {
            $($(#[$doc])* $variant,)+
        }

        impl Trees {
            fn open(db: &sled::Db) -> sled::Result<Trees> {
                Ok(Trees { $($field: db.open_tree(stringify!($field))?,)+ })
            }

            /// The tree named by `id`.
            pub(crate) fn get(&self, id: TreeId) -> &sled::Tree {
                match id { $(TreeId::$variant => &self.$field,)+ }
            }

            fn all(&self) -> Vec<sled::Tree> {
                vec![$(self.$field.clone(),)+]
            }
        }

        impl TreeId {
            fn index(self) -> usize {
                self as usize
            }

            /// The tree's name in sled (stable across versions; used by the journal).
            pub fn name(self) -> &'static str {
                match self { $(TreeId::$variant => stringify!($field),)+ }
            }

            /// The tree named `name`.
            pub fn from_name(name: &str) -> Option<TreeId> {
                match name { $(stringify!($field) => Some(TreeId::$variant),)+ _ => None }
            }
        }
    };
}

trees! {
    /// Counters and the layout marker.
    meta => Meta,
    /// Marketing setup.
    setup => Setup,
    /// Number series.
    series => Series,
    /// Contacts: the delta of single records (see `contacts`).
    contacts => Contacts,
    /// Contact blocks, by block id (see `contacts`).
    contact_blocks => ContactBlocks,
    /// Salespeople.
    salespeople => Salespeople,
    /// Interaction groups.
    groups => Groups,
    /// Interaction templates.
    templates => Templates,
    /// Campaigns.
    campaigns => Campaigns,
    /// Segment headers.
    segments => Segments,
    /// Saved segment criteria.
    saved_criteria => SavedCriteria,
    /// Interaction log entry blocks.
    entries => Entries,
    /// Per-entry contact index keys.
    contact_index => ContactIndex,
    /// Contact index run infos.
    index_runs => IndexRuns,
    /// Contact index run blocks.
    index_run_blocks => IndexRunBlocks,
    /// Postponed entry numbers.
    postponed => Postponed,
    /// Segment line blocks.
    lines => Lines,
    /// Logged segments.
    logged_segments => LoggedSegments,
    /// Logged segment by segment number.
    logged_by_segment => LoggedBySegment,
    /// Campaign entries.
    campaign_entries => CampaignEntries,
    /// Line block generations to delete.
    garbage => Garbage,
    /// Batch job progress.
    jobs => Jobs,
    /// Idempotency keys of create commands (`ops::requests`).
    requests => Requests,
    /// User setups (BC's User Setup), by user id.
    user_setup => UserSetup,
}

/// Iterators over sled trees that stop after their first error.
///
/// sled 0.34's iterators do not move past a key they failed to read (a damaged page): every
/// further `next()` returns the same error, so a loop that records the error and goes on never
/// ends. Every scan that continues after an error must go through [`UntilError`].
pub trait UntilErrorExt<T, E>: Iterator<Item = Result<T, E>> + Sized {
    /// Yields the items up to and including the first error, then stops.
    fn until_error(self) -> UntilError<Self> {
        UntilError {
            inner: self,
            failed: false,
        }
    }
}

impl<T, E, I: Iterator<Item = Result<T, E>>> UntilErrorExt<T, E> for I {}

/// See [`UntilErrorExt`].
pub struct UntilError<I> {
    inner: I,
    failed: bool,
}

impl<T, E, I: Iterator<Item = Result<T, E>>> Iterator for UntilError<I> {
    type Item = Result<T, E>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.inner.next()?;
        self.failed = item.is_err();
        Some(item)
    }
}

/// A key and its value.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// One write of a [`UnitOfWork`]: a tree, a key and the new value (`None` removes).
pub type WriteItem = (TreeId, Vec<u8>, Option<Vec<u8>>);

/// A unit of work: what one change writes, applied in one atomic transaction
/// ([`Store::apply`]). It holds typed [`Change`]s (see `changes`) and, for the parts of the
/// layout not yet expressed that way, raw writes of a tree, a key and a value; both keep their
/// order.
#[derive(Default, Debug, Clone)]
pub struct UnitOfWork {
    ops: Vec<Op>,
}

#[derive(Debug, Clone)]
enum Op {
    Raw(WriteItem),
    Typed(Box<Change>),
}

impl UnitOfWork {
    /// An empty unit of work.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts raw bytes.
    pub(crate) fn put(&mut self, tree: TreeId, key: impl AsRef<[u8]>, value: Vec<u8>) {
        self.ops
            .push(Op::Raw((tree, key.as_ref().to_vec(), Some(value))));
    }

    /// Encodes and puts a record.
    pub(crate) fn put_rec<T: Serialize>(
        &mut self,
        tree: TreeId,
        key: impl AsRef<[u8]>,
        what: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.put(tree, key, codec::encode(what, value)?);
        Ok(())
    }

    /// Sets a counter in `meta`.
    pub(crate) fn put_counter(&mut self, name: &[u8], value: u64) {
        self.put(
            TreeId::Meta,
            name,
            codec::encode("counter", &value).expect("u64 encodes"),
        );
    }

    /// Removes a key.
    pub(crate) fn del(&mut self, tree: TreeId, key: impl AsRef<[u8]>) {
        self.ops.push(Op::Raw((tree, key.as_ref().to_vec(), None)));
    }

    fn push_change(&mut self, c: Change) {
        self.ops.push(Op::Typed(Box::new(c)));
    }

    /// Adds every write of another set, after this one's.
    pub fn append(&mut self, other: UnitOfWork) {
        self.ops.extend(other.ops);
    }

    /// Number of writes.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The sled writes, in order: typed changes lowered to their keys and encoded values.
    fn lower(self) -> Result<Vec<WriteItem>, CodecError> {
        self.ops
            .into_iter()
            .map(|op| match op {
                Op::Raw(item) => Ok(item),
                Op::Typed(c) => c.lower(),
            })
            .collect()
    }
}

/// The stop of a visit whose callback answers in the caller's error type: `go_on` takes each
/// answer (`Ok(false)` or an error stops the visit), `finish` returns the callback's error
/// first, else the store's.
struct CallerStop<E>(Option<E>);

impl<E> Default for CallerStop<E> {
    fn default() -> Self {
        CallerStop(None)
    }
}

impl<E: From<StorageError>> CallerStop<E> {
    fn go_on(&mut self, answer: Result<bool, E>) -> bool {
        match answer {
            Ok(more) => more,
            Err(e) => {
                self.0 = Some(e);
                false
            }
        }
    }

    fn finish(self, visited: Result<(), StorageError>) -> Result<(), E> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(visited?),
        }
    }
}

/// What recovery found and did when the store was opened.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// Staged entry blocks of an interrupted batch, deleted.
    pub staged_entry_blocks: u64,
    /// Staged line blocks, deleted.
    pub staged_line_blocks: u64,
    /// Staged index run blocks and infos, deleted.
    pub staged_index_blocks: u64,
    /// Line blocks of replaced or removed segments, deleted.
    pub garbage_line_blocks: u64,
    /// Staged contact blocks of an interrupted bulk contact write, deleted.
    pub staged_contact_blocks: u64,
    /// Contact blocks replaced by a committed bulk contact write, deleted.
    pub garbage_contact_blocks: u64,
    /// Unfinished sled snapshot files (`snap.*.generating`) of a process killed while opening
    /// the store, removed.
    pub unfinished_snapshots: u64,
    /// A committed change found in the journal (its process stopped before finishing it) and
    /// completed: the number of writes applied.
    pub journal_completed: u64,
    /// An incomplete journal record (its process stopped while committing; never committed),
    /// dropped.
    pub journal_dropped: bool,
}

impl RecoveryReport {
    /// True when recovery had nothing to do.
    pub fn is_clean(&self) -> bool {
        *self == RecoveryReport::default()
    }
}

/// How long closing a store may take before the process stops waiting for it.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Orders sled's flushes against its transactions across every store of the process.
///
/// sled 0.34 has one concurrency-control lock for every `Db` of a process (a `parking_lot`
/// RwLock, which queues new readers behind a waiting writer): a flush holds it for reading
/// while it waits for the log flusher thread, the flusher needs it for reading, and a
/// transaction wants it for writing. A transaction that starts while another store of the
/// process is flushing queues in between, and all three wait forever (seen in this crate's
/// tests, which open many stores in one process; compare sled #1134). Holding this gate —
/// shared for a flush or a close, exclusive for a transaction — keeps transactions from
/// queueing inside sled while a flush waits. A process with one store (the CLI) never waits
/// on it.
static SLED_GATE: RwLock<()> = RwLock::new(());

fn gate_shared() -> std::sync::RwLockReadGuard<'static, ()> {
    SLED_GATE.read().unwrap_or_else(|p| p.into_inner())
}

fn gate_exclusive() -> std::sync::RwLockWriteGuard<'static, ()> {
    SLED_GATE.write().unwrap_or_else(|p| p.into_inner())
}

/// Writes above which a committed change is applied to sled in batches, not one transaction.
const LARGE_CHANGE: usize = 16 * 1024;

/// Bytes above which a committed change is applied to sled write by write, not in one
/// transaction (sled keeps a transaction's writes in memory many times over): the cancel of a
/// 10M-entry logged segment rewrites ~1,200 entry blocks (~86 MB) and as one sled transaction
/// peaked at 989 MiB (50M: 5.2 GiB); write by write at 231 MiB. The change is committed in the
/// journal before, so a crash half-way is completed at the next open.
pub const LARGE_CHANGE_BYTES: usize = 4 << 20;

/// Journal size past which the next commit first makes sled durable and empties the journal.
const JOURNAL_BOUND: u64 = 8 << 20;

/// How long opening waits for another process to let go of the store.
const DEFAULT_WAIT: Duration = Duration::from_millis(750);

/// The right to change a store: held by every change from its first read to its commit, and
/// required by recovery and garbage collection (which delete staged data no reader may see
/// half-deleted).
///
/// Exclusive across processes by construction: a [`Store`] value exists only while its
/// process holds `interlog.lock` (taken before sled sees the files, released when the store
/// is dropped), so no other process has a store to take a guard from; inside the process the
/// guard is a mutex, fallible with a wait ([`Store::try_writer`]). A backend shared by many
/// processes (a server database) provides the same guard as a lock its server arbitrates.
pub struct WriterGuard<'s> {
    store: &'s Store,
    _lock: MutexGuard<'s, ()>,
}

impl std::fmt::Debug for WriterGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterGuard")
            .field("store", &self.store.path)
            .finish()
    }
}

/// An open interlog store.
pub struct Store {
    path: PathBuf,
    db: ManuallyDrop<sled::Db>,
    /// The trees (the sled backend's own; nothing outside `storage` sees them).
    pub(crate) t: ManuallyDrop<Trees>,
    writer: Mutex<()>,
    sync: Mutex<durable::SyncState>,
    runs: RwLock<run_cache::RunCache>,
    /// The contact directory (see `contacts`), cached until a bulk contact write.
    contact_state: RwLock<Option<Arc<contacts::ContactState>>>,
    /// A few decoded contact blocks, most recently used first (block ids are never reused).
    contact_cache: Mutex<Vec<(u64, Arc<Vec<crate::domain::Contact>>)>>,
    recovery: RecoveryReport,
    journal: journal::Journal,
    /// What the guard record says (kept up to date at open and close).
    known: sled_files::Known,
    /// Set when a change failed after its commit point: sled's state in this process is no
    /// longer trusted.
    broken: AtomicBool,
    /// Set when sled holds writes its files do not yet hold durably: committed changes the
    /// journal still covers (see [`Store::apply`]), or staged data and deletions written outside
    /// the journal. While set, the journal must not be emptied before sled is made durable.
    dirty: AtomicBool,
    /// Set when staged data was written since sled was last made durable: the next commit
    /// makes it durable first, so a commit record never points at staged data a crash could
    /// still take away.
    staged: AtomicBool,
    /// Set while the staging mark ([`staging`]) is known to be on disk; taken to set it.
    staging: AtomicBool,
    staging_lock: Mutex<()>,
    /// Held for the store's whole life; dropped last.
    _lock: lock::StoreLock,
}

/// sled's page cache, `INTERLOG_CACHE_MB` (default 64 MiB, at least 1). Since sled keeps to it
/// (vendor/sled/README.interlog.md) it bounds what a scan holds: `verify` of 10M entries peaks
/// at 166 MiB with 64, 334 MiB with 256; a 10M-line log and the nightly mix run as fast with 64
/// as with 256 (BENCHMARKS.md, "sled's cache").
fn cache_bytes() -> u64 {
    std::env::var("INTERLOG_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(64)
        .max(1)
        * 1024
        * 1024
}

thread_local! {
    static IN_SLED_CALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while the current thread is inside a call into sled whose panics interlog turns into
/// errors (so a panic hook can leave them to that handling).
pub fn in_guarded_sled_call() -> bool {
    IN_SLED_CALL.with(|c| c.get())
}

/// Runs `f` (a call into sled) and turns a panic inside it into [`StorageError::EngineCrashed`].
fn guarded<T>(
    action: &'static str,
    path: &Path,
    f: impl FnOnce() -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    let outer = IN_SLED_CALL.with(|c| c.replace(true));
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_SLED_CALL.with(|c| c.set(outer));
    res.unwrap_or_else(|p| {
        let message = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(StorageError::EngineCrashed {
            action,
            path: path.to_path_buf(),
            message,
        })
    })
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io {
        action,
        path,
        source,
    }
}

fn lock_store(path: &Path, wait: Duration) -> Result<lock::StoreLock, StorageError> {
    lock::StoreLock::acquire(path, wait).map_err(|e| match e {
        lock::LockError::Busy { holder, .. } => StorageError::InUse {
            path: path.to_path_buf(),
            holder,
            waited: wait,
        },
        lock::LockError::Io(p, source) => StorageError::Io {
            action: "lock",
            path: p,
            source,
        },
    })
}

/// Waits up to `wait` until no open file description holds sled's lock on `db` (sled takes an
/// exclusive `flock` on it; so does this check, and lets go at once).
fn wait_for_sled_lock(path: &Path, wait: Duration) -> Result<(), StorageError> {
    let db = path.join("db");
    let file = match std::fs::OpenOptions::new().read(true).write(true).open(&db) {
        Ok(f) => f,
        // A new store: sled creates the file.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("open", &db)(e)),
    };
    let deadline = std::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StorageError::InUse {
                    path: path.to_path_buf(),
                    holder: None,
                    waited: wait,
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err("lock", &db)(e)),
        }
    }
}

/// A key as a person reads it: the text when it is printable, else hex.
pub fn show_key(k: &[u8]) -> String {
    match std::str::from_utf8(k) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| !c.is_control()) => s.to_string(),
        _ => k.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

fn bad_value(tree: TreeId, key: &[u8], cause: CodecError) -> StorageError {
    StorageError::BadValue {
        tree: tree.name(),
        key: show_key(key),
        cause,
    }
}

/// The newest snapshot position among sled's snapshot files.
fn newest_snapshot(dir: &Path) -> Option<sled_files::Lsn> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| sled_files::snapshot_name_lsn(&e.file_name().to_string_lossy()))
        .max()
}

impl Store {
    fn open_db(path: &Path, wait: Duration) -> Result<sled::Db, StorageError> {
        // Other processes are kept out by interlog's own lock, taken before. sled's background
        // threads may still hold sled's lock on `db` for a moment after the last handle in
        // *this* process was dropped: wait for that lock itself (an flock on `db`, as sled
        // takes it) rather than reading sled's error text.
        wait_for_sled_lock(path, wait.max(Duration::from_millis(750)))?;
        let res = guarded("opening", path, || {
            sled::Config::new()
                .path(path)
                .cache_capacity(cache_bytes())
                .open()
                .map_err(StorageError::Sled)
        });
        match res {
            Err(StorageError::Sled(sled::Error::Corruption { .. })) => Err(StorageError::Damaged {
                path: path.to_path_buf(),
                file: path.join("db"),
                what: "sled reports corrupted data while opening".into(),
            }),
            other => other,
        }
    }

    fn from_db(
        path: &Path,
        db: sled::Db,
        lock: lock::StoreLock,
        known: sled_files::Known,
    ) -> Result<Store, StorageError> {
        let t = guarded("opening", path, || Ok(Trees::open(&db)?))?;
        let sync =
            durable::SyncState::at_open(path).map_err(io_err("list", &path.join("blobs")))?;
        let journal = journal::Journal::open(path)
            .map_err(io_err("open", &path.join(journal::JOURNAL_FILE)))?;
        Ok(Store {
            path: path.to_path_buf(),
            db: ManuallyDrop::new(db),
            t: ManuallyDrop::new(t),
            writer: Mutex::new(()),
            sync: Mutex::new(sync),
            runs: RwLock::new(None),
            contact_state: RwLock::new(None),
            contact_cache: Mutex::new(Vec::new()),
            recovery: RecoveryReport::default(),
            journal,
            known,
            broken: AtomicBool::new(false),
            dirty: AtomicBool::new(false),
            staged: AtomicBool::new(false),
            staging: AtomicBool::new(staging::is_set(path)),
            staging_lock: Mutex::new(()),
            _lock: lock,
        })
    }

    /// Creates a new, empty store at `path` (counters at their start values). Refuses an
    /// existing store or a non-empty directory.
    pub fn create(path: &Path) -> Result<Store, StorageError> {
        if path.exists() {
            let non_empty = std::fs::read_dir(path)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true);
            if non_empty {
                return Err(StorageError::AlreadyExists {
                    path: path.to_path_buf(),
                });
            }
        }
        std::fs::create_dir_all(path).map_err(io_err("create", path))?;
        let lock = lock_store(path, DEFAULT_WAIT)?;
        let db = Self::open_db(path, DEFAULT_WAIT)?;
        let store = Self::from_db(path, db, lock, sled_files::Known::default())?;
        let mut ws = UnitOfWork::new();
        ws.put_rec(TreeId::Meta, keys::meta::LAYOUT, "layout", &LAYOUT_VERSION)?;
        for name in [
            keys::meta::NEXT_ENTRY,
            keys::meta::NEXT_LOGGED,
            keys::meta::NEXT_CAMPAIGN_ENTRY,
            keys::meta::NEXT_GEN,
            keys::meta::NEXT_RUN,
        ] {
            ws.put_counter(name, 1);
        }
        ws.put_counter(keys::meta::CONTACTS_EPOCH, 0);
        store.apply(ws)?;
        // Open recognises a store by its layout record in sled, before the journal is applied
        // again: so the new store is made durable before it is handed out, or a process that
        // dies right after creating it (`demo` ended by a closed pipe — a flaky test found it)
        // would leave a directory that is no store although its journal holds the record.
        store.make_durable()?;
        Ok(store)
    }

    /// Opens an existing store, waiting up to 0.75 s for another process to let go of it.
    /// See [`Store::open_waiting`].
    pub fn open(path: &Path) -> Result<Store, StorageError> {
        Self::open_waiting(path, DEFAULT_WAIT)
    }

    /// Opens an existing store, waiting up to `wait` for another process to let go of it.
    ///
    /// Before sled sees the files, they are checked ([`sled_files::inspect`]) against what
    /// interlog last knew to be durable ([`guard`]): a store that sled would "recover" by
    /// discarding data, or that would make sled crash, is refused with
    /// [`StorageError::Damaged`] and nothing on disk is changed. Then a committed change left
    /// in the journal is completed, and staged leftovers of an interrupted batch are deleted,
    /// before anything can read.
    pub fn open_waiting(path: &Path, wait: Duration) -> Result<Store, StorageError> {
        if !path.join("db").is_file() || !path.join("conf").is_file() {
            return Err(StorageError::NoStore {
                path: path.to_path_buf(),
            });
        }
        let lock = lock_store(path, wait)?;
        let damaged = |file: PathBuf, what: String| StorageError::Damaged {
            path: path.to_path_buf(),
            file,
            what,
        };
        let previous = guard::read(path)
            .map_err(|what| damaged(path.join(guard::GUARD_FILE), what))?
            .unwrap_or_default();
        let inspection =
            sled_files::inspect(path, previous).map_err(|d| damaged(d.file, d.what))?;
        let db = Self::open_db(path, wait)?;
        let known = sled_files::Known {
            snapshot_lsn: newest_snapshot(path).or(previous.snapshot_lsn),
            durable_lsn: inspection.stable_lsn.or(previous.durable_lsn),
        };
        let mut store = Self::from_db(path, db, lock, known)?;
        let layout = match store.t.meta.get(keys::meta::LAYOUT)? {
            None => {
                return Err(StorageError::NoStore {
                    path: path.to_path_buf(),
                })
            }
            Some(v) => {
                let found: u32 = codec::decode("layout", &v)?;
                if found != LAYOUT_VERSION && found != LAYOUT_VERSION_1 {
                    return Err(StorageError::Layout {
                        path: path.to_path_buf(),
                        found,
                    });
                }
                found
            }
        };
        let mut report = RecoveryReport {
            unfinished_snapshots: inspection.removed_unfinished_snapshots.len() as u64,
            ..RecoveryReport::default()
        };
        let found = store
            .journal
            .read()
            .map_err(io_err("read", store.journal.path()))?;
        // Every complete change, in commit order, then sled made durable: only then may the
        // journal go.
        for items in &found.changes {
            report.journal_completed += items.len() as u64;
            store.apply_to_sled(items)?;
        }
        if !found.changes.is_empty() {
            store.make_durable()?;
        }
        if found.incomplete {
            report.journal_dropped = true;
        }
        if found.incomplete || !found.changes.is_empty() {
            store
                .journal
                .empty_durably()
                .map_err(io_err("empty", store.journal.path()))?;
        }
        let staged = {
            let w = store.writer();
            // Staged leftovers can only be where the mark is, or in a store an older build
            // wrote; everywhere else only the garbage list is looked at.
            if layout == LAYOUT_VERSION_1 || store.staging.load(Ordering::SeqCst) {
                let r = store.recover(&w)?;
                if layout == LAYOUT_VERSION_1 {
                    let mut ws = UnitOfWork::new();
                    ws.put_rec(TreeId::Meta, keys::meta::LAYOUT, "layout", &LAYOUT_VERSION)?;
                    store.apply(ws)?;
                }
                store.clear_staging_mark()?;
                r
            } else {
                RecoveryReport {
                    garbage_line_blocks: store.collect_garbage(&w)?,
                    ..RecoveryReport::default()
                }
            }
        };
        report.staged_entry_blocks = staged.staged_entry_blocks;
        report.staged_line_blocks = staged.staged_line_blocks;
        report.staged_index_blocks = staged.staged_index_blocks;
        report.garbage_line_blocks = staged.garbage_line_blocks;
        report.staged_contact_blocks = staged.staged_contact_blocks;
        report.garbage_contact_blocks = staged.garbage_contact_blocks;
        store.recovery = report;
        if store.known != previous {
            guard::write(path, &store.known)
                .map_err(io_err("write", &path.join(guard::GUARD_FILE)))?;
        }
        Ok(store)
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What recovery did when this store was opened.
    pub fn recovery(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// Takes the writer lock (see the module invariants).
    pub fn writer(&self) -> WriterGuard<'_> {
        WriterGuard {
            store: self,
            _lock: self.writer.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// The writer guard, waiting at most `wait` for the writer holding it; `WriterBusy` after
    /// that. For callers that must not wait forever (a maintenance task, a second job runner).
    pub fn try_writer(&self, wait: Duration) -> Result<WriterGuard<'_>, StorageError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            match self.writer.try_lock() {
                Ok(g) => {
                    return Ok(WriterGuard {
                        store: self,
                        _lock: g,
                    })
                }
                Err(std::sync::TryLockError::Poisoned(p)) => {
                    return Ok(WriterGuard {
                        store: self,
                        _lock: p.into_inner(),
                    })
                }
                Err(std::sync::TryLockError::WouldBlock) => {
                    if std::time::Instant::now() >= deadline {
                        return Err(StorageError::WriterBusy {
                            path: self.path.clone(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    /// Refuses a guard of another store (recovery and garbage collection delete data that
    /// only the holder of *this* store's writer guard may know to be unreferenced).
    fn check_writer(&self, w: &WriterGuard<'_>) -> Result<(), StorageError> {
        if std::ptr::eq(w.store, self) {
            Ok(())
        } else {
            Err(StorageError::Inconsistent(format!(
                "a writer guard of another store was given to {}",
                self.path.display()
            )))
        }
    }

    /// Reads a counter.
    pub(crate) fn counter(&self, name: &[u8]) -> Result<u64, StorageError> {
        match self.t.meta.get(name)? {
            Some(v) => codec::decode("counter", &v).map_err(|e| bad_value(TreeId::Meta, name, e)),
            None => Err(StorageError::Inconsistent(format!(
                "counter {} is missing",
                String::from_utf8_lossy(name)
            ))),
        }
    }

    /// Reads and decodes a record.
    pub(crate) fn get_rec<T: DeserializeOwned>(
        &self,
        tree: TreeId,
        key: impl AsRef<[u8]>,
        what: &'static str,
    ) -> Result<Option<T>, StorageError> {
        let key = key.as_ref();
        match self.t.get(tree).get(key)? {
            Some(v) => codec::decode(what, &v)
                .map(Some)
                .map_err(|e| bad_value(tree, key, e)),
            None => Ok(None),
        }
    }

    /// Decodes every record of a tree with its key, in key order.
    pub(crate) fn all_keyed_recs<T: DeserializeOwned>(
        &self,
        tree: TreeId,
        what: &'static str,
    ) -> Result<Vec<(Vec<u8>, T)>, StorageError> {
        self.t
            .get(tree)
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                let rec = codec::decode(what, &v).map_err(|e| bad_value(tree, &k, e))?;
                Ok((k.to_vec(), rec))
            })
            .collect()
    }

    /// Decodes every record of a tree, in key order.
    pub(crate) fn all_recs<T: DeserializeOwned>(
        &self,
        tree: TreeId,
        what: &'static str,
    ) -> Result<Vec<T>, StorageError> {
        self.t
            .get(tree)
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                codec::decode(what, &v).map_err(|e| bad_value(tree, &k, e))
            })
            .collect()
    }

    /// Applies a write set atomically and durably.
    ///
    /// The commit point is the write set's journal record becoming durable ([`journal`]); the
    /// call returns once it is, with the writes applied to sled (visible to every reader).
    /// sled's own files are fsynced later — before the next change overwrites the journal, when
    /// staged data is made durable, when the store closes — and until then the journal record
    /// covers the change: a crash in between has it applied again at the next open. So one
    /// change costs one fsync of a small file.
    ///
    /// Errors say truthfully what happened ([`StorageError::outcome`]): before the commit
    /// point nothing is committed; after it, the change is committed and — should sled fail to
    /// take it — completed when the store is next opened
    /// ([`StorageError::CommittedNotApplied`]).
    pub fn apply(&self, ws: UnitOfWork) -> Result<(), StorageError> {
        self.check_not_broken()?;
        if ws.is_empty() {
            return Ok(());
        }
        let mut items = ws.lower()?;
        self.version_runs(&mut items)?;
        // Staged data this change may publish must be durable before its record is; and the
        // journal is kept short (it is read whole and applied again at open). A failure here is
        // before this change's commit point.
        if self.staged.load(Ordering::SeqCst) || self.journal.len() > JOURNAL_BOUND {
            self.make_durable()?;
        }
        journal::set_phase(journal::Phase::Deciding);
        match self.journal.write(&items) {
            Ok(()) => {}
            Err(journal::WriteFailure::NotCommitted(source)) => {
                journal::set_phase(journal::Phase::Idle);
                return Err(StorageError::Io {
                    action: "write the commit record of",
                    path: self.path.clone(),
                    source,
                });
            }
            Err(journal::WriteFailure::Unknown(cause)) => {
                self.broken.store(true, Ordering::SeqCst);
                return Err(StorageError::OutcomeUnknown {
                    path: self.path.clone(),
                    cause,
                });
            }
        }
        journal::set_phase(journal::Phase::Committed);
        if let Err(e) = self.apply_to_sled(&items) {
            self.broken.store(true, Ordering::SeqCst);
            return Err(StorageError::CommittedNotApplied {
                path: self.path.clone(),
                cause: Box::new(e),
            });
        }
        self.dirty.store(true, Ordering::SeqCst);
        journal::set_phase(journal::Phase::Idle);
        Ok(())
    }

    /// Applies writes to sled in one transaction (visible to readers at once); a single write
    /// goes in by itself, equally atomic. A change of
    /// more than [`LARGE_CHANGE`] writes (a big import) or [`LARGE_CHANGE_BYTES`] bytes (the
    /// cancel of a huge logged segment) is applied write by write instead: a
    /// sled transaction (and a sled batch) keeps every write of it in memory several times
    /// over, and atomicity does not need it — the change is already committed in the journal,
    /// which the next open replays if the process dies half-way. Only this process (holding
    /// the writer lock) could see the change half-applied.
    fn apply_to_sled(&self, items: &[WriteItem]) -> Result<(), StorageError> {
        // One write is atomic in sled by itself; a transaction would add two synchronous
        // writes of sled's log buffers (sled 0.34 seals its buffer around every transaction).
        let bytes: usize = items
            .iter()
            .map(|(_, k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum();
        if items.len() > LARGE_CHANGE || bytes > LARGE_CHANGE_BYTES || items.len() == 1 {
            return self.apply_in_batches(items);
        }
        let trees = self.t.all();
        let _gate = gate_exclusive();
        guarded("writing to", &self.path, || {
            let res: Result<(), TransactionError<()>> =
                trees.as_slice().transaction(|tx: &Vec<TransactionalTree>| {
                    for (tree, key, value) in items {
                        let t = &tx[tree.index()];
                        match value {
                            Some(v) => {
                                t.insert(key.as_slice(), v.as_slice())?;
                            }
                            None => {
                                t.remove(key.as_slice())?;
                            }
                        }
                    }
                    Ok::<(), ConflictableTransactionError<()>>(())
                });
            match res {
                Ok(()) => Ok(()),
                Err(TransactionError::Storage(e)) => Err(StorageError::Sled(e)),
                Err(TransactionError::Abort(())) => {
                    Err(StorageError::Inconsistent("transaction aborted".into()))
                }
            }
        })
    }

    fn apply_in_batches(&self, items: &[WriteItem]) -> Result<(), StorageError> {
        let trees = self.t.all();
        guarded("writing to", &self.path, || {
            for (tree, key, value) in items {
                let t = &trees[tree.index()];
                match value {
                    Some(v) => t.insert(key.as_slice(), v.as_slice())?,
                    None => t.remove(key.as_slice())?,
                };
            }
            Ok(())
        })
    }

    /// Refuses writes once a change failed after its commit point in this process: sled's
    /// state here is no longer trusted, and deleting staged data now could delete what the
    /// committed change needs (the next open completes it).
    fn check_not_broken(&self) -> Result<(), StorageError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StorageError::NeedsReopen {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Writes a staged value outside any transaction (bulk data under uncommitted numbers).
    ///
    /// Marks the store dirty, so that the next [`Store::apply`] makes the staged data durable
    /// *before* writing the commit record that publishes it: a commit record replayed at the
    /// next open must never point at staged data a crash took away (found by the kill test: a
    /// header change that reaches the lines, killed after its commit point, came back with a
    /// segment of 0 lines).
    pub(crate) fn put_staged(
        &self,
        tree: TreeId,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), StorageError> {
        self.check_not_broken()?;
        self.mark_staging()?;
        self.unsynced_staged();
        self.t.get(tree).insert(key, value)?;
        Ok(())
    }

    /// Makes sure the staging mark is on disk (durably) before the first staged write.
    fn mark_staging(&self) -> Result<(), StorageError> {
        if self.staging.load(Ordering::SeqCst) {
            return Ok(());
        }
        let _one = self.staging_lock.lock().unwrap_or_else(|p| p.into_inner());
        if !self.staging.load(Ordering::SeqCst) {
            staging::set(&self.path)
                .map_err(io_err("create", &self.path.join(staging::STAGING_FILE)))?;
            self.staging.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Removes the staging mark: only after [`Store::recover`] found (and durably deleted)
    /// every staged leftover, with no staged write since.
    fn clear_staging_mark(&self) -> Result<(), StorageError> {
        let _one = self.staging_lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.staging.load(Ordering::SeqCst) {
            staging::clear(&self.path)
                .map_err(io_err("remove", &self.path.join(staging::STAGING_FILE)))?;
            self.staging.store(false, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Notes a write outside the journal that the next commit record must not precede: staged
    /// data, and the deletion of staged leftovers (a later commit could publish their numbers
    /// again, and a crash must not bring the old blocks back under them).
    fn unsynced_staged(&self) {
        self.staged.store(true, Ordering::SeqCst);
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// Notes a write outside the journal that is not yet durable in sled's files, but that a
    /// later commit record may precede: the deletion of garbage. A crash that brings deleted
    /// garbage back brings back only what the next open deletes again — line blocks of a
    /// generation still listed as garbage (generations are never reused, and the garbage mark
    /// is removed last).
    fn unsynced(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// Flushes sled and fsyncs the store's files.
    ///
    /// Once it succeeds, every committed change is durable in sled's files, and the journal —
    /// whose record is now redundant — is emptied.
    pub fn make_durable(&self) -> Result<(), StorageError> {
        let staged = self.staged.swap(false, Ordering::SeqCst);
        let flushed = {
            let _gate = gate_shared();
            self.db.flush()
        };
        let synced = flushed.map_err(StorageError::from).and_then(|_| {
            let mut st = self.sync.lock().unwrap_or_else(|p| p.into_inner());
            durable::sync_store(&self.path, &mut st).map_err(|source| StorageError::Io {
                action: "fsync",
                path: self.path.clone(),
                source,
            })
        });
        if let Err(e) = synced {
            if staged {
                self.staged.store(true, Ordering::SeqCst);
            }
            return Err(e);
        }
        if self.dirty.swap(false, Ordering::SeqCst) {
            // Tidiness only: applying the record again would change nothing.
            let _ = self.journal.clear();
        }
        Ok(())
    }

    /// Deletes every key of `tree` at or above `from`; returns how many.
    fn delete_from(&self, tree: &sled::Tree, from: &[u8]) -> Result<u64, StorageError> {
        self.delete_range(tree, from..)
    }

    /// Deletes every key of `tree` in `from..=to`; returns how many.
    fn delete_from_to(
        &self,
        tree: &sled::Tree,
        from: &[u8],
        to: &[u8],
    ) -> Result<u64, StorageError> {
        self.delete_range(tree, from..=to)
    }

    /// Deletes every key of `tree` in `range` (staged leftovers); returns how many.
    fn delete_range<'k>(
        &self,
        tree: &sled::Tree,
        range: impl std::ops::RangeBounds<&'k [u8]>,
    ) -> Result<u64, StorageError> {
        let mut n = 0;
        for k in tree.range(range).keys() {
            // Marked before the first removal, and only when there is one: a store opened
            // with nothing to recover commits its first change without flushing first.
            if n == 0 {
                self.unsynced_staged();
            }
            tree.remove(k?)?;
            n += 1;
        }
        Ok(n)
    }

    /// Deletes every key of `tree` starting with `prefix` (garbage); returns how many.
    fn delete_prefix(&self, tree: TreeId, prefix: &[u8]) -> Result<u64, StorageError> {
        self.check_not_broken()?;
        self.unsynced();
        let t = self.t.get(tree);
        let mut n = 0;
        for k in t.scan_prefix(prefix).keys() {
            t.remove(k?)?;
            n += 1;
        }
        Ok(n)
    }

    /// Deletes staged leftovers and garbage (see the module invariants). Also used by a batch
    /// that fails before its commit, under the writer lock, to roll itself back.
    pub fn recover(&self, writer: &WriterGuard<'_>) -> Result<RecoveryReport, StorageError> {
        self.check_not_broken()?;
        self.check_writer(writer)?;
        let next_entry = self.counter(keys::meta::NEXT_ENTRY)?;
        let next_gen = self.counter(keys::meta::NEXT_GEN)?;
        let next_run = self.counter(keys::meta::NEXT_RUN)?;
        let mut r = RecoveryReport {
            staged_entry_blocks: self.delete_from(&self.t.entries, &keys::num(next_entry))?,
            staged_line_blocks: self.delete_from(&self.t.lines, &keys::num(next_gen))?,
            staged_index_blocks: self
                .delete_from(&self.t.index_run_blocks, &keys::num(next_run))?
                + self.delete_from(&self.t.index_runs, &keys::num(next_run))?,
            garbage_line_blocks: 0,
            ..RecoveryReport::default()
        };
        // Blocks appended to a segment above its last line number belong to an add that never
        // committed.
        for v in self.t.segments.iter().values() {
            let h: crate::domain::SegmentHeader = codec::decode("segment", &v?)?;
            if h.lines_gen != lines::NO_GEN {
                r.staged_line_blocks += self.delete_from_to(
                    &self.t.lines,
                    &keys::num2(h.lines_gen, h.last_line_no + 1),
                    &keys::num2(h.lines_gen, u64::MAX),
                )?;
            }
        }
        r.garbage_line_blocks = self.collect_garbage(writer)?;
        (r.staged_contact_blocks, r.garbage_contact_blocks) = self.tidy_contacts()?;
        if !r.is_clean() {
            self.make_durable()?;
        }
        Ok(r)
    }

    /// Deletes the line block generations listed in `garbage`.
    pub fn collect_garbage(&self, writer: &WriterGuard<'_>) -> Result<u64, StorageError> {
        self.check_not_broken()?;
        self.check_writer(writer)?;
        self.unsynced();
        let mut n = 0;
        for k in self.t.garbage.iter().keys() {
            let k = k?;
            n += self.delete_prefix(TreeId::Lines, &k)?;
            self.t.garbage.remove(k)?;
        }
        Ok(n)
    }

    /// An error met after a change was committed (its clean-up failed): reported as
    /// [`StorageError::CommittedNotApplied`], and this process writes nothing more (the next open
    /// completes the clean-up).
    fn committed_but(&self, e: StorageError) -> StorageError {
        self.broken.store(true, Ordering::SeqCst);
        match e {
            e @ StorageError::CommittedNotApplied { .. } => e,
            e => StorageError::CommittedNotApplied {
                path: self.path.clone(),
                cause: Box::new(e),
            },
        }
    }

    /// [`Store::collect_garbage`] right after a change that listed the garbage was committed: a
    /// failure here leaves that change committed (the next open completes it and collects the
    /// garbage), so it is reported as [`StorageError::CommittedNotApplied`], never as "nothing
    /// committed", and this process writes nothing more.
    pub fn collect_garbage_after_commit(
        &self,
        writer: &WriterGuard<'_>,
    ) -> Result<u64, StorageError> {
        self.collect_garbage(writer)
            .map_err(|e| self.committed_but(e))
    }

    /// Size of the store's files on disk, in bytes ([`files::dir_size`]).
    pub fn disk_size(&self) -> Result<u64, StorageError> {
        files::dir_size(&self.path).map_err(|source| StorageError::Io {
            action: "measure",
            path: self.path.clone(),
            source,
        })
    }
}

impl Store {
    /// After sled closed: makes its last writes durable and records how far its log reaches,
    /// so that the next open can tell damage from a torn tail ([`guard`]). Best effort: when
    /// anything fails, the previous record stays, which is still true, only less precise.
    fn record_durable_end(&self) {
        let mut st = self.sync.lock().unwrap_or_else(|p| p.into_inner());
        if durable::sync_store(&self.path, &mut st).is_err() {
            return;
        }
        // sled's files now hold every change: the journal's record is redundant.
        if self.dirty.swap(false, Ordering::SeqCst) {
            let _ = self.journal.clear();
        }
        let Ok(params) = sled_files::read_conf(&self.path) else {
            return;
        };
        let from = self
            .known
            .durable_lsn
            .or(self.known.snapshot_lsn)
            .unwrap_or(0);
        let Ok(end) = sled_files::log_end(&self.path, params, from) else {
            return;
        };
        let mut snapshot_lsn = newest_snapshot(&self.path).or(self.known.snapshot_lsn);
        // A process that wrote much writes sled's snapshot now, so that the next open has
        // nothing to replay ([`settle`]). `log_end` just read back the blob files below `end`,
        // after `sync_store` made them durable: the snapshot's replay need not read them again.
        if let Some(end) = end {
            let blobs = st.blob_names();
            if settle::worth_settling(&self.path, snapshot_lsn, end, settle::threshold(), blobs)
                && settle::write_snapshot(&self.path, end).is_ok()
            {
                snapshot_lsn = newest_snapshot(&self.path).or(snapshot_lsn);
            }
        }
        let known = sled_files::Known {
            snapshot_lsn,
            durable_lsn: end.max(self.known.durable_lsn),
        };
        if known != guard::read(&self.path).ok().flatten().unwrap_or_default() {
            let _ = guard::write(&self.path, &known);
        }
    }
}

impl Drop for Store {
    /// Closes sled on a helper thread and waits for it at most `CLOSE_TIMEOUT` (5 s). After a failed
    /// write (a full disk) sled 0.34 can wait forever for its own flush when dropped; every
    /// change was already made durable (or rolled back) before it reported, so giving up on the
    /// close loses nothing. Only when sled's last flush succeeded is the journal emptied and
    /// the guard record moved on; otherwise the journal keeps the last change, and the next
    /// open applies it again.
    // The crate's only `unsafe` (lib.rs denies it elsewhere): `ManuallyDrop::take` moves sled's
    // handles out of `&mut self` so they can be dropped on the closer thread, which `Option`
    // fields would allow too, at the price of an `expect` at every use of the store.
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // A process that staged searches for leftovers once more, so that the next open need
        // not: after a clean run it finds none, and then the mark goes. Any failure keeps the
        // mark (the next open searches).
        if self.staging.load(Ordering::SeqCst) && !self.broken.load(Ordering::SeqCst) {
            let w = self.writer();
            if self.recover(&w).is_ok() {
                let _ = self.clear_staging_mark();
            }
        }
        // SAFETY: `db` and `t` are taken exactly once, here, and never used again.
        let (db, trees) = unsafe {
            (
                ManuallyDrop::take(&mut self.db),
                ManuallyDrop::take(&mut self.t),
            )
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let closer = std::thread::Builder::new()
            .name("interlog-close".into())
            .spawn(move || {
                // sled's own flush on drop ignores errors: flush first and keep the result. A
                // failed flush (sled's `sync_file_range` or write failing in its flusher)
                // means the last change may not be in sled's files, and only its journal
                // record still holds it.
                let _gate = gate_shared();
                let flushed = db.flush().is_ok();
                drop(trees);
                drop(db);
                let _ = tx.send(flushed);
            });
        let flushed = closer.is_ok() && rx.recv_timeout(CLOSE_TIMEOUT) == Ok(true);
        if flushed && !self.broken.load(Ordering::SeqCst) {
            self.record_durable_end();
        }
    }
}
