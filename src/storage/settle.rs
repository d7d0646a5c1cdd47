//! Settling: a process that wrote much writes sled's snapshot itself when it closes.
//!
//! sled writes its snapshot when it *opens* a store: it replays the log written since the last
//! snapshot and reads back and checksums every blob file that part of the log points to, and
//! interlog's model of that recovery ([`super::sled_files::inspect`]) reads them once more. So
//! the first command after a big write paid for the write again (`setup show` 0.18–0.22 s
//! after a 10M-line log, against 10–18 ms for every later open; BENCHMARKS.md).
//!
//! A closing process whose own writes left more than [`threshold`] bytes for the next open to
//! replay (log bytes since sled's snapshot plus the blob files written since) does that step
//! itself, after its writes are durable ([`super::durable::sync_store`]) and its log end is
//! known ([`super::sled_files::log_end`], which read back and checksummed the blob files below
//! that end): sled's own recovery code writes the snapshot (`Config::write_snapshot_now` in
//! `vendor/sled`), trusting the blob files below that end instead of reading them a third
//! time. The next open then replays nothing.
//!
//! Nothing here changes what a store holds: the snapshot is what the next open would have
//! written, and writing it is what that open would have done first. A failure or a kill
//! part-way leaves what the next open handles anyway (an unfinished `snap.*.generating` file,
//! removed by `inspect`; an older snapshot, replayed from as before), so settling is best
//! effort and its errors are not reported: the command's own changes were durable before it.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use super::sled_files::Lsn;
use super::{guarded, io_err, wait_for_sled_lock, StorageError};

/// Default for [`threshold`]: 4 MiB, whose replay costs an open a few milliseconds.
pub const DEFAULT_THRESHOLD_KB: u64 = 4096;

/// Bytes left for the next open to replay above which a closing process settles:
/// `INTERLOG_SETTLE_KB` (KiB; default [`DEFAULT_THRESHOLD_KB`]; 0 settles after any write).
pub fn threshold() -> u64 {
    parse_threshold(std::env::var("INTERLOG_SETTLE_KB").ok().as_deref())
}

fn parse_threshold(kib: Option<&str>) -> u64 {
    kib.and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_THRESHOLD_KB)
        .saturating_mul(1024)
}

/// The bytes of the blob files among `names` named (by sled: the log position of their
/// message) at or above `from`; files that vanished (sled collects blobs) count nothing.
fn blob_bytes_from<'a>(
    dir: &Path,
    from: Lsn,
    names: impl Iterator<Item = &'a OsStr>,
) -> std::io::Result<u64> {
    let blobs = dir.join("blobs");
    let mut total = 0u64;
    for name in names {
        let Some(lsn) = name.to_str().and_then(|n| n.parse::<Lsn>().ok()) else {
            continue;
        };
        if lsn < from {
            continue;
        }
        match std::fs::metadata(blobs.join(name)) {
            Ok(m) => total += m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// True when the next open of `dir` would replay more than `threshold` bytes: the log from
/// sled's snapshot (`snapshot`, none: the log's start) to `end`, then the blob files written
/// since the snapshot, found among `blob_names` (the names the last sync listed, so that a
/// small command's close lists nothing again). Blob sizes are looked up only when the log
/// alone is below the threshold.
pub fn worth_settling<'a>(
    dir: &Path,
    snapshot: Option<Lsn>,
    end: Lsn,
    threshold: u64,
    blob_names: impl Iterator<Item = &'a OsStr>,
) -> bool {
    let from = snapshot.unwrap_or(0);
    let log = u64::try_from(end.saturating_sub(from)).unwrap_or(0);
    if log > threshold {
        return true;
    }
    if log == 0 {
        // Nothing written since the snapshot (a read-only command): nothing to replay.
        return false;
    }
    match blob_bytes_from(dir, from, blob_names) {
        Ok(blobs) => log.saturating_add(blobs) > threshold,
        // Cannot tell: leave it to the next open.
        Err(_) => false,
    }
}

/// Writes sled's snapshot of the closed store at `dir` (see the module docs), trusting the
/// blob files of log messages below `trusted_below`, then fsyncs the store directory so that
/// the new snapshot's name (and the old one's removal) is durable. Returns the snapshot's
/// position. The caller holds interlog's lock on the store and has closed sled.
pub fn write_snapshot(dir: &Path, trusted_below: Lsn) -> Result<Option<Lsn>, StorageError> {
    // sled's threads may hold its lock on `db` a moment after the last handle was dropped.
    wait_for_sled_lock(dir, Duration::from_millis(750))?;
    let lsn = guarded("writing sled's snapshot of", dir, || {
        sled::Config::new()
            .path(dir)
            .write_snapshot_now(trusted_below)
            .map_err(StorageError::Sled)
    })?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync", dir))?;
    Ok(lsn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_read_in_kib_and_defaults_to_4_mib() {
        assert_eq!(parse_threshold(None), 4 * 1024 * 1024);
        assert_eq!(parse_threshold(Some("0")), 0);
        assert_eq!(parse_threshold(Some(" 16 ")), 16 * 1024);
        assert_eq!(parse_threshold(Some("lots")), 4 * 1024 * 1024);
    }

    #[test]
    fn pending_bytes_count_the_log_since_the_snapshot_and_the_blobs_written_since() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("blobs")).unwrap();
        std::fs::write(dir.path().join("blobs/100"), vec![0u8; 5000]).unwrap();
        std::fs::write(dir.path().join("blobs/900"), vec![0u8; 3000]).unwrap();
        std::fs::write(dir.path().join("blobs/notes"), vec![0u8; 9999]).unwrap();
        // "950" was listed but has been collected since.
        let names = ["100", "900", "notes", "950"].map(OsStr::new);
        let worth = |snap, end, threshold| {
            worth_settling(dir.path(), snap, end, threshold, names.iter().copied())
        };
        // Nothing written since the snapshot at 1000.
        assert!(!worth(Some(1000), 1000, 0));
        // Log alone over the threshold.
        assert!(worth(Some(1000), 6000, 4000));
        // 100 log bytes + the blob named 900 (3000 bytes) since the snapshot at 500.
        assert!(worth(Some(500), 600, 3000));
        assert!(!worth(Some(500), 600, 3100));
        // No snapshot yet: every blob counts.
        assert!(worth(None, 10, 7999));
        assert!(!worth(None, 10, 8010));
    }
}
