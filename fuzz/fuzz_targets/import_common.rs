//! Shared by `import_csv` and `import_json`: one store per process (BC's demo data loaded, so
//! duplicates against stored records are reachable), rebuilt after a number of successful
//! imports so it stays small and the target stays fast.
//!
//! Input: the first byte picks the kind (and so the file name), the rest is the file. Every
//! import must return `Ok` or a clean `ImportError`; a refused file must write nothing (all
//! listings are compared before and after).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use chrono::{NaiveDate, NaiveTime};
use interlog::exchange::import::{import_file, ImportError};
use interlog::ops::master;
use interlog::storage::Store;
use interlog::{Ctx, OpError};

const KINDS: [&str; 5] = [
    "contacts",
    "salespeople",
    "groups",
    "templates",
    "campaigns",
];
const DEMO: [&str; 5] = [
    "groups.csv",
    "salespeople.csv",
    "campaigns.json",
    "templates.csv",
    "contacts.csv",
];
/// Successful imports before the store is rebuilt.
const REBUILD_AFTER: usize = 256;
/// Prefix of the per-process store directories.
const DIR_PREFIX: &str = "interlog-fuzz-import-";

struct Harness {
    dir: PathBuf,
    input_dir: PathBuf,
    store: Store,
    ctx: Ctx,
    successes: usize,
}

fn ctx() -> Ctx {
    Ctx::at(
        interlog::domain::UserId::new("FUZZ").expect("user id"),
        NaiveDate::from_ymd_opt(2025, 3, 14).expect("date"),
        NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
    )
}

impl Harness {
    fn new() -> Harness {
        let dir = work_dir();
        let store = master::init(&dir.join("store")).expect("init store");
        let ctx = ctx();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo");
        for f in DEMO {
            import_file(&store, &ctx, &demo.join(f), None).expect("demo data imports");
        }
        let input_dir = dir.join("in");
        std::fs::create_dir(&input_dir).expect("input dir");
        Harness {
            dir,
            input_dir,
            store,
            ctx,
            successes: 0,
        }
    }

    /// Everything an import could change, as text; an error when the store cannot list.
    fn snapshot(&self) -> Result<String, OpError> {
        let s = &self.store;
        Ok(format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            master::list_contacts(s)?,
            master::list_salespeople(s)?,
            master::list_groups(s)?,
            master::list_templates(s)?,
            master::list_campaigns(s)?,
            master::list_series(s)?,
            master::contacts_epoch(s)?,
        ))
    }
}

/// A fresh directory for this process's store. libFuzzer ends the process with `exit`, so
/// nothing is dropped: directories of processes that are gone are removed here instead.
fn work_dir() -> PathBuf {
    // tmpfs when there is one: the store fsyncs every commit.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    if let Ok(entries) = std::fs::read_dir(&base) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix(DIR_PREFIX)
                .and_then(|rest| rest.split('-').next())
            else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    static GENERATION: AtomicUsize = AtomicUsize::new(0);
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    let dir = base.join(format!("{DIR_PREFIX}{}-{generation}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("work dir");
    dir
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static HARNESS: Mutex<Option<Harness>> = Mutex::new(None);

/// Runs one input through `import_file` as a file with extension `ext`.
pub fn run(data: &[u8], ext: &str) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = KINDS[selector as usize % KINDS.len()];
    let mut guard = HARNESS.lock().unwrap_or_else(|p| p.into_inner());
    if guard.as_ref().is_none_or(|h| h.successes >= REBUILD_AFTER) {
        *guard = None; // close the old store before its directory goes
        *guard = Some(Harness::new());
    }
    let h = guard.as_mut().expect("harness");
    let path = h.input_dir.join(format!("{kind}.{ext}"));
    std::fs::write(&path, body).expect("write input");
    let before = h.snapshot().expect("the store lists before the import");
    match import_file(&h.store, &h.ctx, &path, None) {
        Ok(report) => {
            assert!(report.records > 0, "an import that wrote nothing succeeded");
            h.successes += 1;
            // What was accepted must read back.
            if let Err(e) = h.snapshot() {
                panic!("an accepted file left the store unreadable: {e}");
            }
        }
        Err(e) => {
            if let ImportError::Store { .. } = e {
                panic!("the store failed on a file: {e}");
            }
            assert_eq!(e.file(), path.as_path(), "error names another file: {e}");
            let shown = e.to_string();
            assert!(
                shown.contains(&path.display().to_string()),
                "message does not name the file: {shown}"
            );
            let after = h
                .snapshot()
                .expect("the store lists after a refused import");
            assert!(before == after, "a refused file wrote something: {e}");
        }
    }
}
