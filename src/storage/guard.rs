//! The guard record: what interlog last knew to be durable in sled's files.
//!
//! sled 0.34 cannot tell a damaged log from a torn tail, nor a missing snapshot from a store
//! that never had one, and "recovers" from both by discarding data. interlog therefore keeps,
//! in `interlog.guard` beside sled's files, the two facts that let
//! [`super::sled_files::inspect`] tell them apart before sled opens the store:
//!
//! * `snapshot`: the position of the newest snapshot sled had written (sled writes one every
//!   time it opens a store whose log moved on), so a missing or older snapshot is noticed;
//! * `durable`: the position up to which sled's log was known complete and durable — where
//!   sled's recovery ended when the store was last opened, or the end of the log after the
//!   last clean close (after an fsync).
//!
//! The record is small text with a CRC32 line, replaced atomically (temporary file, fsync,
//! rename). A store without the file (made by an older interlog, or
//! never closed) is opened with sled's own judgement, and gets the file then.

use std::io::Write;
use std::path::Path;

use super::sled_files::{Known, Lsn};

/// Name of the guard file inside a store directory.
pub const GUARD_FILE: &str = "interlog.guard";

const HEADER: &str = "interlog guard 1";

fn render(k: &Known) -> String {
    let opt = |v: Option<Lsn>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    format!(
        "{HEADER}\nsnapshot {}\ndurable {}\n",
        opt(k.snapshot_lsn),
        opt(k.durable_lsn)
    )
}

/// Reads the guard record. `Ok(None)` when there is none; `Err` with a description when the
/// file exists but is not a valid record.
pub fn read(dir: &Path) -> Result<Option<Known>, String> {
    let text = match std::fs::read_to_string(dir.join(GUARD_FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {GUARD_FILE}: {e}")),
    };
    let bad = || format!("{GUARD_FILE} is not a valid guard record (damaged?)");
    let (body, crc_line) = text
        .trim_end_matches('\n')
        .rsplit_once('\n')
        .ok_or_else(bad)?;
    let body = format!("{body}\n");
    let crc = crc_line.strip_prefix("crc ").ok_or_else(bad)?;
    if format!("{:08x}", crc32fast::hash(body.as_bytes())) != crc {
        return Err(bad());
    }
    let mut lines = body.lines();
    if lines.next() != Some(HEADER) {
        return Err(bad());
    }
    let mut field = |name: &str| -> Result<Option<Lsn>, String> {
        let v = lines
            .next()
            .and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .ok_or_else(bad)?;
        if v == "none" {
            Ok(None)
        } else {
            v.parse().map(Some).map_err(|_| bad())
        }
    };
    Ok(Some(Known {
        snapshot_lsn: field("snapshot")?,
        durable_lsn: field("durable")?,
    }))
}

/// Replaces the guard record atomically. The new record is fsynced before it replaces the old
/// one, so a crash leaves one whole record; the directory is not fsynced — should a power cut
/// undo the rename, the older record is still true, only less precise.
pub fn write(dir: &Path, k: &Known) -> std::io::Result<()> {
    let body = render(k);
    let text = format!("{body}crc {:08x}\n", crc32fast::hash(body.as_bytes()));
    let tmp = dir.join(format!("{GUARD_FILE}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(GUARD_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_and_a_changed_byte_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(read(dir.path()), Ok(None));
        let k = Known {
            snapshot_lsn: Some(156_679_175),
            durable_lsn: None,
        };
        write(dir.path(), &k).expect("write");
        assert_eq!(read(dir.path()), Ok(Some(k)));
        let p = dir.path().join(GUARD_FILE);
        let text = std::fs::read_to_string(&p).expect("read");
        std::fs::write(&p, text.replace("156679175", "156679174")).expect("write");
        assert!(read(dir.path()).is_err());
    }
}
