//! Shared setup for the integration tests: a fresh store in a temporary directory, a fixed
//! moment, and BC's demo data loaded from `fixtures/demo`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use interlog::domain::*;
use interlog::exchange::import::import_file;
use interlog::ops::interactions::{self, EntryFilter};
use interlog::ops::master;
use interlog::ops::segments::{self, InteractionChange, NoProgress, SegmentInput};
use interlog::storage::Store;
use interlog::Ctx;
use tempfile::TempDir;

/// The work date every test uses.
pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 14).expect("date")
}

/// A date.
pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// The moment every test works at (09:30, work date 2025-03-14, user TEST).
pub fn ctx() -> Ctx {
    Ctx::at(
        UserId::new("TEST").expect("user id"),
        day(),
        NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
    )
}
/// Leaves in the closed store at `path` what a process leaves when it dies (or its disk fills)
/// between writing a commit record and applying it: a durable journal record adding contact
/// CT900001 "Journaled Ltd", and sled without it. Returns the contact.
pub fn journal_pending_contact(path: &Path) -> Contact {
    let contact = Contact::new(
        ContactNo::new("CT900001").expect("no"),
        "Journaled Ltd",
        ContactKind::Company,
    );
    let journal = interlog::storage::journal::Journal::open(path).expect("journal");
    journal
        .write(&[(
            interlog::storage::TreeId::Contacts,
            contact.no.as_bytes().to_vec(),
            Some(interlog::storage::codec::encode("contact", &contact).expect("encode")),
        )])
        .map_err(|_| "journal write")
        .expect("write");
    contact
}

/// Path of a fixture file.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// A store in a temporary directory (deleted with the value).
pub struct TestStore {
    /// Keeps the directory alive.
    pub dir: TempDir,
    /// The store.
    pub store: Store,
    /// The moment.
    pub ctx: Ctx,
}

impl TestStore {
    /// A fresh store made by `init` (BC's default number series wired into setup).
    pub fn new() -> TestStore {
        let dir = TempDir::new().expect("temp dir");
        let store = master::init(&dir.path().join("store")).expect("init store");
        TestStore {
            dir,
            store,
            ctx: ctx(),
        }
    }

    /// A fresh store with BC's demo data (6 groups, 7 salespeople, 3 campaigns, 31 templates,
    /// 20 contacts).
    pub fn demo() -> TestStore {
        let t = TestStore::new();
        for f in [
            "demo/groups.csv",
            "demo/salespeople.csv",
            "demo/campaigns.json",
            "demo/templates.csv",
            "demo/contacts.csv",
        ] {
            if let Err(e) = import_file(&t.store, &t.ctx, &fixture(f), None) {
                panic!("{f} did not import: {e}");
            }
        }
        t
    }

    /// A fresh store filled by `gen`: `n` synthetic contacts and one segment of `n` lines
    /// (returned), from `seed`.
    pub fn generated(n: u64, seed: u64) -> (TestStore, SegmentNo) {
        let t = TestStore::new();
        let report = interlog::datagen::generate(
            &t.store,
            &t.ctx,
            interlog::datagen::GenOptions {
                contacts: n,
                segment_size: n,
                seed,
            },
            &interlog::ops::segments::NoProgress,
        )
        .expect("gen");
        let no = report.segment_no.expect("a generated segment");
        (t, no)
    }

    /// The store's directory.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// A segment made from `input`, with `change` as its interaction when given, and one line
    /// per contact in the order given.
    pub fn segment(
        &self,
        input: &SegmentInput,
        change: Option<&InteractionChange>,
        contacts: &[&str],
    ) -> SegmentNo {
        let no = segments::create(&self.store, &self.ctx, input)
            .expect("create segment")
            .record
            .no;
        if let Some(change) = change {
            segments::set_interaction(&self.store, &no, change, &NoProgress)
                .expect("set interaction");
        }
        for c in contacts {
            segments::add_line(&self.store, &no, &contact(c)).expect("add line");
        }
        no
    }

    /// A segment "Spring mailing" on template BUS with campaign CP1001 and lines for
    /// `contacts` (on the demo data).
    pub fn spring_mailing(&self, contacts: &[&str]) -> SegmentNo {
        self.segment(&spring_input(), Some(&bus()), contacts)
    }

    /// Closes and reopens the store (recovery runs).
    pub fn reopen(self) -> TestStore {
        let TestStore { dir, store, ctx } = self;
        drop(store);
        let store = Store::open(&dir.path().join("store")).expect("reopen");
        TestStore { dir, store, ctx }
    }
}

/// Copies a store directory (sled's files and blobs) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("dir entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy file");
        }
    }
}

/// The header of the spring mailing: description "Spring mailing", campaign CP1001.
pub fn spring_input() -> SegmentInput {
    SegmentInput {
        description: "Spring mailing".into(),
        campaign: Some(campaign("CP1001")),
        ..SegmentInput::default()
    }
}

/// The interaction of the spring mailing: template BUS.
pub fn bus() -> InteractionChange {
    InteractionChange {
        template: Some(template("BUS")),
        ..InteractionChange::default()
    }
}

/// Shorthands for codes in tests.
pub fn contact(s: &str) -> ContactNo {
    ContactNo::new(s).expect("contact no")
}
/// Template code.
pub fn template(s: &str) -> TemplateCode {
    TemplateCode::new(s).expect("template code")
}
/// Salesperson code.
pub fn sp(s: &str) -> SalespersonCode {
    SalespersonCode::new(s).expect("salesperson code")
}
/// Segment number.
pub fn seg(s: &str) -> SegmentNo {
    SegmentNo::new(s).expect("segment no")
}
/// Campaign number.
pub fn campaign(s: &str) -> CampaignNo {
    CampaignNo::new(s).expect("campaign no")
}
/// Money.
pub fn money(s: &str) -> Money {
    s.parse().expect("money")
}

pub mod bin;
pub mod harness;
#[cfg(feature = "pg")]
pub mod pg;

/// The numbers of a JSON array of records, read from `field` (`entry_no` …).
pub fn json_numbers(v: &serde_json::Value, field: &str) -> Vec<u64> {
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|x| x[field].as_u64().expect("a number"))
        .collect()
}

/// A segment's header.
pub fn header(t: &TestStore, no: &SegmentNo) -> SegmentHeader {
    segments::get(&t.store, no).expect("segment")
}

/// A segment's lines, in line order.
pub fn lines(t: &TestStore, no: &SegmentNo) -> Vec<SegmentLine> {
    segments::lines(&t.store, &header(t, no)).expect("lines")
}

/// Every interaction log entry, by number.
pub fn all_entries(t: &TestStore) -> Vec<LogEntry> {
    interactions::list(&t.store, &EntryFilter::default()).expect("list")
}

/// The entries of a logged segment, by number.
pub fn logged_entries(t: &TestStore, logged: LoggedSegmentNo) -> Vec<LogEntry> {
    interactions::list(
        &t.store,
        &EntryFilter {
            logged_segment: Some(logged),
            ..EntryFilter::default()
        },
    )
    .expect("list")
}

/// What the store holds of interactions: the entry horizon, every entry, the postponed ones
/// and the campaign entries — compared before and after a refused change.
pub type Written = (EntryNo, Vec<LogEntry>, Vec<LogEntry>, Vec<CampaignEntry>);

/// See [`Written`].
pub fn written(t: &TestStore) -> Written {
    (
        t.store.entry_horizon().expect("horizon"),
        all_entries(t),
        interactions::postponed(&t.store).expect("postponed"),
        master::list_campaign_entries(&t.store).expect("campaign entries"),
    )
}
