//! sled 0.34's files, read without writing: what sled would do if it opened the store now.
//!
//! sled 0.34 is treated as an untrusted component. When it opens a store it *recovers*: it
//! reads its newest snapshot (`snap.<LSN>`), replays its log (`db`) from the snapshot's
//! position, and then **writes**: it overwrites the rest of the segment after the point where
//! the replay stopped, zeroes whole segments it could not reach, writes a new snapshot and
//! deletes the old ones, deletes blob files above the recovered position, and frees (later
//! truncates or reuses) segments its page table does not reference. When the replay stops
//! early because a byte is damaged, or the snapshot is missing or stale, all of that destroys
//! committed data without a word (sled 0.34's `pagecache/snapshot.rs::advance_snapshot`,
//! `pagecache/iterator.rs`; see ARCHITECTURE.md, "What sled does when it opens a store").
//!
//! This module re-implements, read-only, the decisions sled's recovery makes — which snapshot
//! it picks, which segments it orders and reads, where its replay stops and why, which page
//! table it ends up with — so that [`inspect`] can say, *before* sled touches anything,
//! whether opening would throw away data that was known to be durable, or would make sled
//! panic (a page pointing past the end of a truncated file). The one thing it removes is
//! sled's own `snap.*.generating` files: snapshots that were being written when a process was
//! killed, which sled would otherwise pick as the newest snapshot and then refuse as corrupt.
//!
//! The module follows the vendored sled exactly: 0.34.7 plus interlog's patches
//! (`vendor/sled/README.interlog.md`), of which one touches recovery — blob files of messages
//! below the snapshot's position are not read, since the replay skips those messages anyway.
//! A test checks its prediction of the recovered position against the snapshot name sled
//! writes.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// sled's log sequence number.
pub type Lsn = i64;

const SEG_HEADER_LEN: u64 = 20;
const MAX_MSG_HEADER_LEN: u64 = 32;

/// Why the files cannot be opened safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The file concerned.
    pub file: PathBuf,
    /// What is wrong, in a user's words.
    pub what: String,
}

impl Damage {
    fn new(file: &Path, what: impl Into<String>) -> Damage {
        Damage {
            file: file.to_path_buf(),
            what: what.into(),
        }
    }
}

/// Storage parameters from sled's `conf` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Bytes per log segment.
    pub segment_size: u64,
}

/// Reads `conf` as sled does (lines `key: value`, then a CRC32 of the text).
pub fn read_conf(dir: &Path) -> Result<Params, Damage> {
    let path = dir.join("conf");
    let bytes =
        std::fs::read(&path).map_err(|e| Damage::new(&path, format!("cannot read: {e}")))?;
    if bytes.len() <= 8 {
        return Err(Damage::new(&path, "file is too short"));
    }
    let (text, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(text).to_le_bytes() != crc {
        return Err(Damage::new(&path, "checksum does not match"));
    }
    let text = std::str::from_utf8(text).map_err(|_| Damage::new(&path, "not text"))?;
    let mut segment_size = None;
    let mut compression = None;
    for line in text.lines() {
        match line.split_once(": ") {
            Some(("segment_size", v)) => segment_size = v.parse::<u64>().ok(),
            Some(("use_compression", v)) => compression = v.parse::<bool>().ok(),
            _ => {}
        }
    }
    let segment_size = segment_size
        .filter(|s| s.is_power_of_two() && (256..=1 << 24).contains(s))
        .ok_or_else(|| Damage::new(&path, "no valid segment_size"))?;
    match compression {
        Some(false) => Ok(Params { segment_size }),
        Some(true) => Err(Damage::new(
            &path,
            "the store uses sled's compression, which interlog never enables",
        )),
        None => Err(Damage::new(&path, "no valid use_compression")),
    }
}

// ---------------------------------------------------------------------------------------------
// sled's own encodings (pagecache/serialization.rs)

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(a)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// sled's variable-length u64.
    fn varint(&mut self) -> Option<u64> {
        let first = self.byte()?;
        Some(match first {
            0..=240 => u64::from(first),
            241..=248 => 240 + 256 * (u64::from(first) - 241) + u64::from(self.byte()?),
            249 => {
                let a = u64::from(self.byte()?);
                let b = u64::from(self.byte()?);
                2288 + 256 * a + b
            }
            other => {
                let n = usize::from(other) - 247;
                let mut b = [0u8; 8];
                b[..n].copy_from_slice(self.take(n)?);
                u64::from_le_bytes(b)
            }
        })
    }

    fn opt_i64(&mut self) -> Option<Option<i64>> {
        let v = self.i64()?;
        Some(match v {
            0 => None,
            v if v < 0 => Some(v),
            v => Some(v - 1),
        })
    }

    fn opt_u64(&mut self) -> Option<Option<u64>> {
        let v = self.varint()?;
        Some(v.checked_sub(1))
    }

    fn disk_ptr(&mut self) -> Option<DiskPtr> {
        if self.0.len() < 2 {
            return None;
        }
        match self.byte()? {
            0 => Some(DiskPtr::Inline(self.varint()?)),
            1 => Some(DiskPtr::Blob(self.varint()?, self.i64()?)),
            _ => None,
        }
    }
}

/// Where a page fragment lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskPtr {
    /// In the log, at this file offset.
    Inline(u64),
    /// A pointer in the log at this offset to the blob file named by the LSN.
    Blob(u64, Lsn),
}

impl DiskPtr {
    fn lid(self) -> u64 {
        match self {
            DiskPtr::Inline(l) | DiskPtr::Blob(l, _) => l,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PageState {
    Uninitialized,
    Present(Vec<(Lsn, DiskPtr, u64)>),
    Free(Lsn, DiskPtr),
}

/// A decoded snapshot file.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The file.
    pub path: PathBuf,
    /// Position up to which the snapshot holds the log.
    pub stable_lsn: Option<Lsn>,
    active_segment: Option<u64>,
    pt: Vec<PageState>,
}

/// The LSN in a snapshot file name (`snap.<16 hex digits>`), if it is one.
pub fn snapshot_name_lsn(name: &str) -> Option<Lsn> {
    let hex = name.strip_prefix("snap.")?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(|v| v as Lsn)
}

/// Every file sled 0.34 counts as a snapshot (its `get_snapshot_files`: names starting with
/// `snap.` except `.in___motion`), sorted as sled sorts them.
fn snapshot_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && !name.ends_with(".in___motion") {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

/// Reads a snapshot as sled does: length and CRC32 trailer, then the page table.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, Damage> {
    let buf = std::fs::read(path).map_err(|e| Damage::new(path, format!("cannot read: {e}")))?;
    if buf.len() <= 12 {
        return Err(Damage::new(path, "snapshot is empty or cut short"));
    }
    let (body, trailer) = buf.split_at(buf.len() - 12);
    if crc32fast::hash(body).to_le_bytes() != trailer[8..12] {
        return Err(Damage::new(path, "snapshot checksum does not match"));
    }
    let bad = || Damage::new(path, "snapshot does not decode");
    let mut c = Cursor(body);
    let stable_lsn = c.opt_i64().ok_or_else(bad)?;
    let active_segment = c.opt_u64().ok_or_else(bad)?;
    let mut pt = Vec::new();
    while !c.0.is_empty() {
        let d = c.byte().ok_or_else(bad)?;
        if d == 0 {
            let lsn = c.i64().ok_or_else(bad)?;
            let ptr = c.disk_ptr().ok_or_else(bad)?;
            pt.push(PageState::Free(lsn, ptr));
        } else {
            let mut frags = Vec::with_capacity(usize::from(d));
            for _ in 0..d {
                let lsn = c.i64().ok_or_else(bad)?;
                let ptr = c.disk_ptr().ok_or_else(bad)?;
                let sz = c.varint().ok_or_else(bad)?;
                frags.push((lsn, ptr, sz));
            }
            pt.push(PageState::Present(frags));
        }
    }
    Ok(Snapshot {
        path: path.to_path_buf(),
        stable_lsn,
        active_segment,
        pt,
    })
}

// ---------------------------------------------------------------------------------------------
// The log (pagecache/logger.rs, pagecache/iterator.rs)

#[derive(Debug, Clone, Copy)]
struct SegmentHeader {
    lsn: Lsn,
    max_stable_lsn: Lsn,
    ok: bool,
}

fn read_segment_header(file: &File, lid: u64) -> std::io::Result<SegmentHeader> {
    let mut b = [0u8; SEG_HEADER_LEN as usize];
    file.read_exact_at(&mut b, lid)?;
    let crc = u32::from_le_bytes(b[0..4].try_into().expect("4 bytes")) ^ 0xFFFF_FFFF;
    let lsn = i64::from_le_bytes(b[4..12].try_into().expect("8 bytes")) ^ 0x7FFF_FFFF_FFFF_FFFF;
    let max_stable_lsn =
        i64::from_le_bytes(b[12..20].try_into().expect("8 bytes")) ^ 0x7FFF_FFFF_FFFF_FFFF;
    Ok(SegmentHeader {
        lsn,
        max_stable_lsn,
        ok: crc32fast::hash(&b[4..20]) == crc,
    })
}

/// sled's message kinds (pagecache/mod.rs `MessageKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Corrupted,
    Canceled,
    Cap,
    BatchManifest,
    Free,
    Counter,
    InlineMeta,
    BlobMeta,
    InlineNode,
    BlobNode,
    InlineLink,
    BlobLink,
}

impl Kind {
    fn from_byte(b: u8) -> Kind {
        use Kind::*;
        [
            Corrupted,
            Canceled,
            Cap,
            BatchManifest,
            Free,
            Counter,
            InlineMeta,
            BlobMeta,
            InlineNode,
            BlobNode,
            InlineLink,
            BlobLink,
        ]
        .get(usize::from(b))
        .copied()
        .unwrap_or(Corrupted)
    }

    fn is_blob(self) -> bool {
        matches!(self, Kind::BlobLink | Kind::BlobNode | Kind::BlobMeta)
    }
}

enum LogRead {
    Data {
        kind: Kind,
        pid: u64,
        blob: Option<Lsn>,
        inline_len: u64,
    },
    Canceled(u64),
    Cap,
    Corrupted,
    DanglingBlob(u64, Lsn, u64),
    BatchManifest(Lsn, u64),
}

/// What reading the log can stop on without being a plain torn tail.
enum ReadFailure {
    /// sled's read returned an error (its iteration stops here).
    Error(String),
    /// sled would panic (an assertion on data that passed its checksum).
    Panic(String),
}

/// Reads the blob file `id`, checking its CRC as sled's `read_blob` does.
fn read_blob(dir: &Path, id: Lsn) -> Result<Option<u8>, String> {
    let path = dir.join("blobs").join(id.to_string());
    let mut f = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("blob {}: {e}", path.display())),
    };
    let mut all = Vec::new();
    f.read_to_end(&mut all)
        .map_err(|e| format!("blob {}: {e}", path.display()))?;
    if all.len() < 5 {
        return Err(format!("blob {} is cut short", path.display()));
    }
    let expected = u32::from_le_bytes(all[0..4].try_into().expect("4 bytes"));
    if crc32fast::hash(&all[4..]) != expected {
        return Err(format!("blob {} checksum does not match", path.display()));
    }
    Ok(Some(all[4]))
}

/// One segment's bytes as sled holds them while iterating (`BasedBuf`).
struct SegBuf {
    offset: u64,
    buf: Vec<u8>,
}

impl SegBuf {
    fn slice(&self, at: u64, len: u64) -> Option<&[u8]> {
        let start = at.checked_sub(self.offset)?;
        let end = start.checked_add(len)?;
        self.buf
            .get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }
}

/// sled's `read_message` over a segment buffer; with `read_blob_file == false`, a blob pointer
/// is taken as read without opening its blob file (vendored sled's
/// `read_message_checking_blob`, used by its recovery below the snapshot's position).
fn read_message(
    dir: &Path,
    seg: &SegBuf,
    lid: u64,
    expected_segment: u64,
    segment_size: u64,
    read_blob_file: bool,
) -> Result<LogRead, ReadFailure> {
    let seg_start = lid / segment_size * segment_size;
    if seg_start + SEG_HEADER_LEN > lid || seg_start + segment_size - lid < MAX_MSG_HEADER_LEN {
        return Err(ReadFailure::Panic(format!(
            "read a message from outside a segment's usable space at offset {lid}"
        )));
    }
    // The 128-byte header read: as much as the buffer holds, zero-filled.
    let mut head = [0u8; 128];
    match lid.checked_sub(seg.offset) {
        Some(start) if start <= seg.buf.len() as u64 => {
            let start = start as usize;
            let n = (seg.buf.len() - start).min(128);
            head[..n].copy_from_slice(&seg.buf[start..start + n]);
        }
        _ => {
            return Err(ReadFailure::Error(format!(
                "offset {lid} is outside its segment"
            )))
        }
    }
    let mut c = Cursor(&head);
    let parsed = (|| {
        let crc = c.u32()?;
        let kind = c.byte()?;
        let len = c.varint()?;
        let segment_number = c.varint()?;
        let pid = c.varint()?;
        Some((crc, kind, len, segment_number, pid))
    })();
    let Some((crc, kind_byte, len, segment_number, pid)) = parsed else {
        return Err(ReadFailure::Error(format!(
            "message header at offset {lid} does not decode"
        )));
    };
    let header_len = 128 - c.0.len() as u64;
    let ceiling = seg_start + segment_size;
    let max_possible_len = ceiling - lid - header_len;
    if len > max_possible_len {
        return Ok(LogRead::Corrupted);
    }
    let kind = Kind::from_byte(kind_byte);
    if kind == Kind::Corrupted {
        return Ok(LogRead::Corrupted);
    }
    let body = if len <= c.0.len() as u64 {
        &c.0[..len as usize]
    } else {
        match seg.slice(lid + header_len, len) {
            Some(b) => b,
            None => {
                return Err(ReadFailure::Error(format!(
                    "message at offset {lid} runs past the end of the file"
                )))
            }
        }
    };
    let mut h = crc32fast::Hasher::new();
    h.update(body);
    h.update(&head[4..header_len as usize]);
    if h.finalize() ^ 0xFFFF_FFFF != crc {
        return Ok(LogRead::Corrupted);
    }
    let inline_len = header_len + len;
    if segment_number != expected_segment {
        return Ok(LogRead::Corrupted);
    }
    Ok(match kind {
        Kind::Canceled => LogRead::Canceled(inline_len),
        Kind::Cap => LogRead::Cap,
        Kind::BatchManifest => {
            let b: [u8; 8] = body.try_into().map_err(|_| {
                ReadFailure::Panic(format!("batch manifest at offset {lid} has {len} bytes"))
            })?;
            LogRead::BatchManifest(i64::from_le_bytes(b), inline_len)
        }
        k if k.is_blob() => {
            let b: [u8; 8] = body.try_into().map_err(|_| {
                ReadFailure::Panic(format!("blob pointer at offset {lid} has {len} bytes"))
            })?;
            let id = i64::from_le_bytes(b);
            if !read_blob_file {
                return Ok(LogRead::Data {
                    kind: k,
                    pid,
                    blob: Some(id),
                    inline_len,
                });
            }
            match read_blob(dir, id).map_err(ReadFailure::Error)? {
                None => LogRead::DanglingBlob(pid, id, inline_len),
                Some(kb) if Kind::from_byte(kb) != k => {
                    return Err(ReadFailure::Panic(format!(
                        "blob {id} holds another kind of message than its pointer says"
                    )))
                }
                Some(_) => LogRead::Data {
                    kind: k,
                    pid,
                    blob: Some(id),
                    inline_len,
                },
            }
        }
        k => LogRead::Data {
            kind: k,
            pid,
            blob: None,
            inline_len,
        },
    })
}

/// Something sled's replay skips or stops on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// A message that fails its checksum while valid messages of the same segment follow it:
    /// sled ignores the rest of the segment. (A bad message with nothing valid after it is the
    /// torn end of a write, or a reused segment's old content, and is not reported.)
    Corrupted {
        /// Its position.
        lsn: Lsn,
    },
    /// A message pointing at a missing blob file that no later message replaces: sled ignores
    /// the message. (sled deletes a blob once its page was rewritten, so a pointer to a
    /// missing blob of a page rewritten later is normal, and not reported.)
    DanglingBlob {
        /// Its position.
        lsn: Lsn,
        /// The page.
        pid: u64,
        /// The blob.
        blob: Lsn,
    },
    /// sled's read failed: its replay stops here and everything after is discarded.
    Stop {
        /// Position.
        lsn: Lsn,
        /// Why.
        why: String,
    },
}

impl Skip {
    fn lsn(&self) -> Lsn {
        match self {
            Skip::Corrupted { lsn } | Skip::DanglingBlob { lsn, .. } | Skip::Stop { lsn, .. } => {
                *lsn
            }
        }
    }
}

/// True when a well-formed message of segment `expected` (its checksum right) starts anywhere
/// in `seg` after `lid`: then what sled would skip after a bad message at `lid` is data, not
/// the torn end of a write. Runs only when a bad message is met.
fn valid_message_after(seg: &SegBuf, lid: u64, expected: u64, segment_size: u64) -> bool {
    let seg_start = lid / segment_size * segment_size;
    let end = seg_start + segment_size - MAX_MSG_HEADER_LEN;
    let buf_end = seg.offset + seg.buf.len() as u64;
    let mut at = lid + 1;
    while at <= end && at < buf_end {
        let start = (at - seg.offset) as usize;
        let mut c = Cursor(&seg.buf[start..]);
        let head = (|| {
            let crc = c.u32()?;
            let kind = Kind::from_byte(c.byte()?);
            let len = c.varint()?;
            let segment_number = c.varint()?;
            let _pid = c.varint()?;
            Some((crc, kind, len, segment_number))
        })();
        if let Some((crc, kind, len, segment_number)) = head {
            let header_len = (seg.buf.len() - start - c.0.len()) as u64;
            if segment_number == expected
                && kind != Kind::Corrupted
                && len <= seg_start + segment_size - at - header_len
                && (len as usize) <= c.0.len()
            {
                let mut h = crc32fast::Hasher::new();
                h.update(&c.0[..len as usize]);
                h.update(&seg.buf[start + 4..start + header_len as usize]);
                if h.finalize() ^ 0xFFFF_FFFF == crc {
                    return true;
                }
            }
        }
        at += 1;
    }
    false
}

struct LogIter<'a> {
    dir: &'a Path,
    file: &'a File,
    segment_size: u64,
    segments: BTreeMap<Lsn, u64>,
    base: Option<SegBuf>,
    max_lsn: Option<Lsn>,
    cur_lsn: Option<Lsn>,
    last_stage: bool,
    /// Blob files of messages below this position are not read (sled's recovery skips those
    /// messages, which its snapshot already holds: `LogIter::verify_blobs_from` in
    /// vendor/sled).
    verify_blobs_from: Lsn,
    /// Blob files read (and checksummed).
    blobs_read: u64,
    /// Blob pointers passed below `verify_blobs_from` without reading their files.
    blobs_not_read: u64,
    skips: Vec<Skip>,
    panic: Option<String>,
}

struct Item {
    kind: Kind,
    pid: u64,
    lsn: Lsn,
    ptr: DiskPtr,
    size: u64,
}

fn valid_entry_offset(lid: u64, segment_size: u64) -> bool {
    let seg_start = lid / segment_size * segment_size;
    lid >= seg_start + SEG_HEADER_LEN && lid <= seg_start + segment_size - MAX_MSG_HEADER_LEN
}

impl LogIter<'_> {
    fn read_segment(&mut self) -> Result<(), String> {
        let Some((&lsn, &offset)) = self.segments.iter().next() else {
            return Err("no segments remaining".into());
        };
        if self.max_lsn.is_some_and(|m| lsn > m) {
            return Err("next segment is above the recovery bound".into());
        }
        if lsn + (self.segment_size as Lsn) < self.cur_lsn.unwrap_or(0) {
            self.panic = Some(format!(
                "segment at LSN {lsn} lies behind the replay position"
            ));
            return Err("sled would panic".into());
        }
        let header = read_segment_header(self.file, offset).map_err(|e| e.to_string())?;
        if offset % self.segment_size != 0 || header.lsn % self.segment_size as Lsn != 0 {
            return Err(format!("segment header at offset {offset} is misaligned"));
        }
        if header.lsn != lsn {
            return Err(format!("segment at offset {offset} is torn"));
        }
        let mut buf = vec![0u8; self.segment_size as usize];
        let mut got = 0usize;
        while got < buf.len() {
            match self.file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        buf.truncate(got);
        self.cur_lsn = Some(header.lsn + SEG_HEADER_LEN as Lsn);
        self.base = Some(SegBuf { offset, buf });
        self.segments.remove(&lsn);
        Ok(())
    }

    fn next(&mut self) -> Option<Item> {
        loop {
            let cur = self.cur_lsn.unwrap_or(0);
            if !valid_entry_offset(u64::try_from(cur).unwrap_or(0), self.segment_size) {
                self.base = None;
            }
            if self.base.is_none() {
                // A segment that cannot be read ends the replay; sled zeroes the segments
                // left over (see `Prediction::zeroed_segments`).
                if self.read_segment().is_err() {
                    return None;
                }
            }
            let lsn = self.cur_lsn.expect("set by read_segment");
            if let Some(max) = self.max_lsn {
                if lsn > max {
                    return None;
                }
            }
            let seg = self.base.as_ref().expect("read above");
            let lid = seg.offset + (lsn as u64 % self.segment_size);
            let expected = lsn as u64 / self.segment_size;
            let read_blob_file = lsn >= self.verify_blobs_from;
            let read = read_message(
                self.dir,
                seg,
                lid,
                expected,
                self.segment_size,
                read_blob_file,
            );
            if let Ok(LogRead::Data { blob: Some(_), .. } | LogRead::DanglingBlob(..)) = read {
                if read_blob_file {
                    self.blobs_read += 1;
                } else {
                    self.blobs_not_read += 1;
                }
            }
            match read {
                Ok(LogRead::Data {
                    kind,
                    pid,
                    blob,
                    inline_len,
                }) => {
                    self.cur_lsn = Some(lsn + inline_len as Lsn);
                    let ptr = match blob {
                        Some(b) => DiskPtr::Blob(lid, b),
                        None => DiskPtr::Inline(lid),
                    };
                    return Some(Item {
                        kind,
                        pid,
                        lsn,
                        ptr,
                        size: inline_len,
                    });
                }
                Ok(LogRead::BatchManifest(last, inline_len)) => {
                    if self.max_lsn.is_some_and(|m| last > m) {
                        return None;
                    }
                    self.cur_lsn = Some(lsn + inline_len as Lsn);
                }
                Ok(LogRead::Canceled(n)) => self.cur_lsn = Some(lsn + n as Lsn),
                Ok(LogRead::Corrupted) => {
                    if self.last_stage {
                        if valid_message_after(seg, lid, expected, self.segment_size) {
                            self.skips.push(Skip::Corrupted { lsn });
                        }
                        self.base = None;
                    } else {
                        return None;
                    }
                }
                Ok(LogRead::Cap) => self.base = None,
                Ok(LogRead::DanglingBlob(pid, blob, n)) => {
                    if self.last_stage {
                        self.skips.push(Skip::DanglingBlob { lsn, pid, blob });
                    }
                    self.cur_lsn = Some(lsn + n as Lsn);
                }
                Err(ReadFailure::Error(why)) => {
                    if self.last_stage {
                        self.skips.push(Skip::Stop { lsn, why });
                    }
                    return None;
                }
                Err(ReadFailure::Panic(why)) => {
                    self.panic = Some(why);
                    return None;
                }
            }
        }
    }
}

/// What sled would find and do if it opened the store now.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// The snapshot sled would start from.
    pub snapshot: Option<Snapshot>,
    /// Where sled's recovered log would end (the LSN its new snapshot is named after).
    pub stable_lsn: Option<Lsn>,
    /// Messages sled's replay would skip, or the point where it would stop.
    pub skips: Vec<Skip>,
    /// Segments (by LSN) sled would zero.
    pub zeroed_segments: Vec<Lsn>,
    /// Where sled would panic instead of opening.
    pub panic: Option<String>,
    /// The highest stable position sled's own segment headers record.
    pub max_header_stable_lsn: Lsn,
    /// Pointers to blob files sled deleted after their page was rewritten later in the log
    /// (normal; counted for tests and diagnostics).
    pub superseded_blobs: u64,
    /// Blob files the replay read and checksummed (those of messages at or above the
    /// snapshot's position; counted for tests and diagnostics).
    pub blobs_read: u64,
    /// Blob pointers below the snapshot's position the replay passed without reading their
    /// files, as the vendored sled does (counted for tests and diagnostics).
    pub blobs_not_read: u64,
}

fn scan_headers(
    file: &File,
    segment_size: u64,
    min: Lsn,
) -> Result<(BTreeMap<Lsn, u64>, Lsn), String> {
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let count = len / segment_size + u64::from(len % segment_size >= SEG_HEADER_LEN);
    let mut ordering = BTreeMap::new();
    let mut max_stable = min;
    for idx in 0..count {
        let lid = idx * segment_size;
        let Ok(h) = read_segment_header(file, lid) else {
            continue;
        };
        if h.ok && h.lsn >= min {
            if h.lsn == Lsn::MAX {
                return Err(format!("segment at offset {lid} has an impossible LSN"));
            }
            max_stable = max_stable.max(h.max_stable_lsn);
            if let Some(old) = ordering.insert(h.lsn, lid) {
                return Err(format!(
                    "two segments (offsets {old} and {lid}) carry the same LSN {}",
                    h.lsn
                ));
            }
        }
    }
    Ok((ordering, max_stable))
}

/// Predicts sled's recovery (`read_snapshot_or_default` → `advance_snapshot`) without
/// writing anything. `dir` must hold no `snap.*.generating` file (see [`inspect`]).
pub fn predict(dir: &Path, params: Params) -> Result<Prediction, Damage> {
    let db = dir.join("db");
    let file = File::open(&db).map_err(|e| Damage::new(&db, format!("cannot open: {e}")))?;
    let snaps = snapshot_files(dir).map_err(|e| Damage::new(dir, format!("cannot list: {e}")))?;
    let snapshot = match snaps.last() {
        Some(p) => Some(read_snapshot(p)?),
        None => None,
    };
    let mut pt: Vec<PageState> = snapshot.as_ref().map(|s| s.pt.clone()).unwrap_or_default();
    let snap_stable = snapshot.as_ref().and_then(|s| s.stable_lsn);
    let r = replay(dir, &file, params.segment_size, snap_stable, Some(&mut pt))?;
    let prediction = Prediction {
        snapshot,
        stable_lsn: r.stable_lsn,
        skips: r.skips,
        zeroed_segments: r.zeroed_segments,
        panic: r.panic,
        max_header_stable_lsn: r.max_header_stable_lsn,
        superseded_blobs: r.superseded_blobs,
        blobs_read: r.blobs_read,
        blobs_not_read: r.blobs_not_read,
    };
    if prediction.panic.is_none() {
        check_page_table(dir, &file, params.segment_size, &pt, &prediction)
            .map_err(|w| Damage::new(&db, w))?;
    }
    Ok(prediction)
}

/// Where sled's recovery would end the log if its snapshot stood at `from`: the end of the
/// log after `from`, read as sled reads it. Cheap when little was written since `from` (no
/// snapshot, no page table). Used at close to record how far the log is durable.
pub fn log_end(dir: &Path, params: Params, from: Lsn) -> Result<Option<Lsn>, Damage> {
    let db = dir.join("db");
    let file = File::open(&db).map_err(|e| Damage::new(&db, format!("cannot open: {e}")))?;
    let r = replay(dir, &file, params.segment_size, Some(from), None)?;
    match r.panic {
        Some(p) => Err(Damage::new(&db, p)),
        None => Ok(r.stable_lsn),
    }
}

struct Replay {
    stable_lsn: Option<Lsn>,
    skips: Vec<Skip>,
    superseded_blobs: u64,
    blobs_read: u64,
    blobs_not_read: u64,
    zeroed_segments: Vec<Lsn>,
    panic: Option<String>,
    max_header_stable_lsn: Lsn,
}

/// sled's replay of the log from `snap_stable` (its snapshot's position), applying what it
/// reads to `pt` when given.
fn replay(
    dir: &Path,
    file: &File,
    seg: u64,
    snap_stable: Option<Lsn>,
    mut pt: Option<&mut Vec<PageState>>,
) -> Result<Replay, Damage> {
    let db = dir.join("db");
    let from = snap_stable.unwrap_or(0);
    let normalized = from / seg as Lsn * seg as Lsn;
    let (ordering, max_header_stable_lsn) =
        scan_headers(file, seg, normalized).map_err(|w| Damage::new(&db, w))?;

    // First pass: the contiguous unstable tail bounds the replay.
    let lowest = 0.max(max_header_stable_lsn / seg as Lsn * seg as Lsn);
    let mut expected = lowest;
    let mut missing = None;
    let mut tail = BTreeMap::new();
    for (&lsn, &lid) in ordering.range(lowest..) {
        if lsn != expected {
            missing = Some(expected);
            break;
        }
        tail.insert(lsn, lid);
        expected += seg as Lsn;
    }
    let mut first = LogIter {
        dir,
        file,
        segment_size: seg,
        segments: tail,
        base: None,
        max_lsn: missing,
        cur_lsn: None,
        last_stage: false,
        verify_blobs_from: from,
        blobs_read: 0,
        blobs_not_read: 0,
        skips: Vec::new(),
        panic: None,
    };
    while first.next().is_some() {}
    if let Some(p) = first.panic {
        return Ok(Replay {
            stable_lsn: None,
            skips: Vec::new(),
            superseded_blobs: 0,
            blobs_read: first.blobs_read,
            blobs_not_read: first.blobs_not_read,
            zeroed_segments: Vec::new(),
            panic: Some(p),
            max_header_stable_lsn,
        });
    }
    let end_of_last_msg = first.cur_lsn.unwrap_or(0) - 1;

    // The replay itself.
    let mut it = LogIter {
        dir,
        file,
        segment_size: seg,
        segments: ordering
            .into_iter()
            .filter(|&(l, _)| l >= normalized)
            .collect(),
        base: None,
        max_lsn: Some(end_of_last_msg),
        cur_lsn: None,
        last_stage: true,
        verify_blobs_from: from,
        blobs_read: 0,
        blobs_not_read: 0,
        skips: Vec::new(),
        panic: None,
    };
    let mut panic = None;
    // The last position at which each page got a whole new state (replaced or freed).
    let mut renewed: std::collections::HashMap<u64, Lsn> = std::collections::HashMap::new();
    while let Some(item) = it.next() {
        if !matches!(item.kind, Kind::InlineLink | Kind::BlobLink) {
            renewed.insert(item.pid, item.lsn);
        }
        if item.lsn < snap_stable.unwrap_or(-1) {
            continue;
        }
        if item.lsn >= end_of_last_msg {
            // sled refuses the store (corruption error) without writing.
            return Err(Damage::new(
                &db,
                format!(
                    "log message at LSN {} lies beyond the log's recorded end",
                    item.lsn
                ),
            ));
        }
        if let Some(pt) = pt.as_deref_mut() {
            apply(pt, &item).map_err(|why| Damage::new(&db, why))?;
        }
    }
    if let Some(p) = it.panic.take() {
        panic = Some(p);
    }
    let no_progress = it.cur_lsn.is_none_or(|cur| cur <= snap_stable.unwrap_or(0));
    let stable_lsn = match it.cur_lsn {
        _ if no_progress && snap_stable.is_none() => None,
        None => snap_stable,
        Some(cur) => {
            let progress = cur % seg as Lsn;
            let stable = if progress + MAX_MSG_HEADER_LEN as Lsn >= seg as Lsn {
                cur / seg as Lsn * seg as Lsn + seg as Lsn
            } else {
                if progress < SEG_HEADER_LEN as Lsn && !(progress == 0 && it.base.is_none()) {
                    return Err(Damage::new(
                        &db,
                        format!("the log's position {cur} is not inside a segment"),
                    ));
                }
                cur
            };
            if stable < snap_stable.unwrap_or(0) {
                return Err(Damage::new(
                    &db,
                    format!("the log ends at {stable}, before its snapshot's position"),
                ));
            }
            Some(stable)
        }
    };
    let (skips, superseded): (Vec<Skip>, Vec<Skip>) = it.skips.into_iter().partition(|s| match s {
        Skip::DanglingBlob { lsn, pid, .. } => renewed.get(pid).is_none_or(|r| r < lsn),
        _ => true,
    });
    Ok(Replay {
        stable_lsn,
        skips,
        superseded_blobs: superseded.len() as u64,
        blobs_read: first.blobs_read + it.blobs_read,
        blobs_not_read: first.blobs_not_read + it.blobs_not_read,
        zeroed_segments: it.segments.keys().copied().collect(),
        panic,
        max_header_stable_lsn,
    })
}

/// sled's `Snapshot::apply`.
fn apply(pt: &mut Vec<PageState>, item: &Item) -> Result<(), String> {
    let pid = usize::try_from(item.pid).map_err(|_| "page id out of range".to_string())?;
    if pid > 1 << 37 {
        return Err(format!("page id {pid} is impossibly large"));
    }
    let pushed = if pt.len() <= pid {
        pt.resize(pid + 1, PageState::Uninitialized);
        true
    } else {
        false
    };
    match item.kind {
        Kind::Free => pt[pid] = PageState::Free(item.lsn, item.ptr),
        Kind::InlineLink | Kind::BlobLink => {
            if let PageState::Present(frags) = &mut pt[pid] {
                frags.push((item.lsn, item.ptr, item.size));
            } else if pushed {
                let old = pt.pop();
                if old != Some(PageState::Uninitialized) {
                    return Err("page table does not add up".into());
                }
            }
        }
        _ => pt[pid] = PageState::Present(vec![(item.lsn, item.ptr, item.size)]),
    }
    Ok(())
}

/// Checks what sled's segment accountant would index: every page inside the file, every
/// blob present. A truncated file otherwise makes sled panic.
fn check_page_table(
    dir: &Path,
    file: &File,
    segment_size: u64,
    pt: &[PageState],
    p: &Prediction,
) -> Result<(), String> {
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let segments = len.div_ceil(segment_size);
    let blobs: HashSet<String> = match std::fs::read_dir(dir.join("blobs")) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
        Err(e) => return Err(format!("cannot list blobs: {e}")),
    };
    let gc_from = p.stable_lsn;
    let check = |ptr: &DiskPtr, pid: usize| -> Result<(), String> {
        if ptr.lid() / segment_size >= segments {
            return Err(format!(
                "page {pid} lies at offset {} but the file ends at {len} (cut short?)",
                ptr.lid()
            ));
        }
        if let DiskPtr::Blob(_, b) = ptr {
            let gone = gc_from.is_some_and(|s| *b >= s);
            if !blobs.contains(&b.to_string()) && !gone {
                return Err(format!("page {pid} is in blob file {b}, which is missing"));
            }
        }
        Ok(())
    };
    if let Some(tip) = p.snapshot.as_ref().and_then(|s| s.active_segment) {
        if tip / segment_size > segments {
            return Err(format!(
                "the log's active segment lies past the end of the file at {len}"
            ));
        }
    }
    for (pid, st) in pt.iter().enumerate() {
        match st {
            PageState::Present(frags) => {
                for (_, ptr, _) in frags {
                    check(ptr, pid)?;
                }
            }
            PageState::Free(_, ptr) => check(ptr, pid)?,
            PageState::Uninitialized => {
                return Err(format!("page {pid} is missing from the page table"));
            }
        }
    }
    Ok(())
}

/// What [`inspect`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inspection {
    /// Unfinished snapshot files (`snap.*.generating`) removed.
    pub removed_unfinished_snapshots: Vec<String>,
    /// The LSN sled's recovery will reach.
    pub stable_lsn: Option<Lsn>,
    /// The LSN of the snapshot sled starts from.
    pub snapshot_lsn: Option<Lsn>,
}

/// What was known durable the last time the store was closed or opened (from interlog's
/// guard record).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    /// The snapshot sled had written.
    pub snapshot_lsn: Option<Lsn>,
    /// The position up to which the log was durable.
    pub durable_lsn: Option<Lsn>,
}

/// Checks, before sled opens `dir`, that its recovery would lose nothing known durable and
/// would not panic. Removes unfinished `snap.*.generating` files (the one change it makes:
/// they are always incomplete copies of state held elsewhere). Returns [`Damage`] when sled
/// must not open the store.
pub fn inspect(dir: &Path, known: Known) -> Result<Inspection, Damage> {
    let params = read_conf(dir)?;
    let mut removed = Vec::new();
    for p in snapshot_files(dir).map_err(|e| Damage::new(dir, format!("cannot list: {e}")))? {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".generating") {
            std::fs::remove_file(&p)
                .map_err(|e| Damage::new(&p, format!("cannot remove unfinished snapshot: {e}")))?;
            removed.push(name);
        } else if snapshot_name_lsn(&name).is_none() {
            return Err(Damage::new(
                &p,
                "unexpected file named like a sled snapshot (sled would read it as one)",
            ));
        }
    }
    let pred = predict(dir, params)?;
    let db = dir.join("db");
    if let Some(p) = &pred.panic {
        return Err(Damage::new(
            &db,
            format!("sled would crash reading it: {p}"),
        ));
    }
    let snapshot_lsn = pred.snapshot.as_ref().and_then(|s| s.stable_lsn);
    if let Some(want) = known.snapshot_lsn {
        match &pred.snapshot {
            None => {
                return Err(Damage::new(
                    dir,
                    format!(
                        "sled's snapshot file (snap.{:016X} or newer) is missing; without it sled \
                         would rebuild its index from an incomplete log and drop data",
                        want as u64
                    ),
                ))
            }
            Some(s) if s.stable_lsn.unwrap_or(0) < want => {
                return Err(Damage::new(
                    &s.path,
                    format!(
                        "sled's snapshot is older than the one it last wrote (snap.{:016X}); \
                         replaying from it would drop data",
                        want as u64
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(durable) = known.durable_lsn {
        if let Some(s) = pred.skips.iter().find(|s| s.lsn() < durable) {
            let what = match s {
                Skip::Corrupted { lsn } => format!(
                    "the log is damaged at position {lsn} (a record fails its checksum); sled \
                     would silently skip the rest of that segment"
                ),
                Skip::DanglingBlob { lsn, blob, .. } => format!(
                    "blob file {blob} (referenced at log position {lsn}) is missing; sled would \
                     silently skip it"
                ),
                Skip::Stop { lsn, why } => format!(
                    "the log cannot be read at position {lsn} ({why}); sled would discard \
                     everything after it"
                ),
            };
            return Err(Damage::new(&db, what));
        }
        if pred.stable_lsn.unwrap_or(-1) < durable {
            return Err(Damage::new(
                &db,
                format!(
                    "the log ends at position {} but was durable up to {durable}; sled would \
                     discard the rest (file damaged or cut short)",
                    pred.stable_lsn.unwrap_or(0)
                ),
            ));
        }
    }
    Ok(Inspection {
        removed_unfinished_snapshots: removed,
        stable_lsn: pred.stable_lsn,
        snapshot_lsn,
    })
}
