//! Moving in and out: an embedded store into a company on a shard ([`sled_to_pg`]), the
//! company back out as the embedded store's dump ([`pg_to_dump`], which `interlog load` makes a
//! store of), and per-kind counts and digests on both sides ([`digests_of_store`],
//! [`digests_of_company`]) that are equal when nothing was lost or changed.
//!
//! **Into a company.** Kinds go in the dump's order (master data, segments, their lines,
//! saved criteria, entries with comments, logged segments, campaign entries, jobs, idempotency
//! keys, the counters last, onto the shard's `company` row). Each kind goes in batches of at
//! most [`TransferOptions::batch_rows`] records, one transaction per batch, which also moves
//! the kind's row in `transfer_progress` (the last contact / segment line / entry copied).
//! Contacts, entries and segment lines go as COPY BINARY ([`super::copy`], contacts by
//! [`rows::put_contacts`]); memory holds one batch. Running it again after a crash resumes after the
//! last committed batch; a transfer refuses a company holding other data, a different store
//! (its counters name it), and a second concurrent transfer (a session advisory lock).
//!
//! **What is not carried**: the embedded store's layout — line generations (`lines_gen`, a
//! criteria action's `deleted_gen`; a line a reduce / refine removed is a row with
//! `removed_by_action`), `contacts_epoch`, a logged segment's `index_run` and the counters
//! `next_gen`, `next_run`, `contacts_epoch`. [`pg_to_dump`] recomputes them: generations are
//! numbered 1, 2, … in dump order (a segment's lines, then the lines each of its reduce / refine
//! actions removed), `next_gen` is one past the last, `next_run` is 0 (a loaded store indexes
//! every entry by per-entry items and has no runs), `index_run` is none, and `contacts_epoch`
//! is 1 while every segment says 0, so the first logging of each segment re-checks its lines'
//! contacts (a check that passes when nothing changed; never a skipped one).
//! The link from a segment number to its logged segment is the logged segment's own
//! `segment_no` (unique per company on a shard).

mod bulk;
mod digest;
mod way_back;

use std::collections::{BTreeMap, HashMap};

use postgres::Client;
use serde::Serialize;

pub use digest::{digests_of_company, digests_of_store, KindDigest};
pub use way_back::pg_to_dump;

use super::rows::{self, big};
use super::PgError;
use crate::batch::job::JobRecord;
use crate::ops::requests::RequestRecord;
use crate::progress::Progress;
use crate::storage::{Counter, Store};

/// How a transfer runs.
#[derive(Clone, Debug)]
pub struct TransferOptions {
    /// Records per batch (one transaction each) for contacts, segment lines and entries.
    pub batch_rows: usize,
    /// Test hook: fail inside the batch after this many batches committed (its transaction
    /// is rolled back), as a crash would.
    #[doc(hidden)]
    pub fail_after_batches: Option<u64>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            batch_rows: 50_000,
            fail_after_batches: None,
        }
    }
}

/// What a transfer did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TransferReport {
    /// Records in the company per kind (this run and any earlier, resumed one).
    pub records: BTreeMap<&'static str, u64>,
    /// Batches this run committed.
    pub batches: u64,
    /// An earlier partial transfer was resumed.
    pub resumed: bool,
    /// The store's state the transfer recorded (its counters).
    pub source: String,
}

/// The record kinds a transfer moves, in order (the link of a logged segment travels with it).
pub const TRANSFER_KINDS: &[&str] = &[
    "setup",
    "series",
    "user_setup",
    "contact",
    "salesperson",
    "group",
    "template",
    "campaign",
    "segment",
    "segment_line",
    "saved_criteria",
    "entry",
    "logged_segment",
    "campaign_entry",
    "job",
    "request",
    "counter",
];

/// The tables a company's data lives in (a transfer needs them empty, or its own).
const DATA_TABLES: &[&str] = &[
    "marketing_setup",
    "no_series",
    "user_setup",
    "contact",
    "salesperson",
    "interaction_group",
    "interaction_template",
    "campaign",
    "segment_header",
    "saved_criteria",
    "interaction_log_entry",
    "logged_segment",
    "campaign_entry",
    "job_progress",
    "idempotency_key",
];

/// Advisory lock namespace of transfers (key 2 is the company id).
const LOCK_NS: i32 = 7_429_013;

/// Every record of the embedded store into company `company_id` on `shard`, with the default
/// [`TransferOptions`]. The company's `company` row must exist and the company hold no data —
/// or an unfinished transfer from the same, unchanged store, which this resumes.
pub fn sled_to_pg(
    store: &Store,
    shard: &mut Client,
    company_id: i32,
    progress: &dyn Progress,
) -> Result<TransferReport, PgError> {
    sled_to_pg_with(
        store,
        shard,
        company_id,
        &TransferOptions::default(),
        progress,
    )
}

/// [`sled_to_pg`] with options.
pub fn sled_to_pg_with(
    store: &Store,
    shard: &mut Client,
    company_id: i32,
    opts: &TransferOptions,
    progress: &dyn Progress,
) -> Result<TransferReport, PgError> {
    let got: bool = shard
        .query_one(
            "SELECT pg_try_advisory_lock($1, $2)",
            &[&LOCK_NS, &company_id],
        )
        .map_err(PgError::sql("locking the company for the transfer"))?
        .get(0);
    if !got {
        return Err(PgError::Busy { company_id });
    }
    let mut t = Transfer {
        store,
        shard,
        state: State {
            company: company_id,
            opts,
            progress,
            cursors: HashMap::new(),
            batches: 0,
        },
    };
    let result = t.run();
    let unlocked = t
        .shard
        .execute(
            "SELECT pg_advisory_unlock($1, $2)",
            &[&LOCK_NS, &company_id],
        )
        .map_err(PgError::sql("unlocking the company after the transfer"));
    let report = result?;
    unlocked?;
    Ok(report)
}

/// The store's state as a transfer records it: its counters (a store that changed in between
/// is not resumed from).
fn source_of(store: &Store) -> Result<String, PgError> {
    let mut s = String::new();
    for (name, c) in [
        ("next_entry", Counter::NextEntry),
        ("next_logged", Counter::NextLogged),
        ("next_campaign_entry", Counter::NextCampaignEntry),
        ("next_gen", Counter::NextGen),
        ("next_run", Counter::NextRun),
        ("contacts_epoch", Counter::ContactsEpoch),
    ] {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&format!("{name}={}", store.get_counter(c)?));
    }
    Ok(s)
}

/// Where a kind got to.
#[derive(Clone, Debug, Default)]
struct Cursor {
    done: bool,
    after_key: Option<String>,
    after_no: Option<i64>,
    after_part: Option<i32>,
    rows: i64,
}

struct Transfer<'a> {
    store: &'a Store,
    shard: &'a mut Client,
    state: State<'a>,
}

/// A transfer's bookkeeping (apart from the connection, so a batch's transaction and the
/// bookkeeping can be borrowed together).
struct State<'a> {
    company: i32,
    opts: &'a TransferOptions,
    progress: &'a dyn Progress,
    cursors: HashMap<&'static str, Cursor>,
    batches: u64,
}

/// A batch's new position: rows added, and the last key copied.
struct Step<'k> {
    rows: u64,
    done: bool,
    after_key: Option<&'k str>,
    after_no: Option<i64>,
    after_part: Option<i32>,
}

impl Transfer<'_> {
    fn run(&mut self) -> Result<TransferReport, PgError> {
        let source = source_of(self.store)?;
        let resumed = self.start(&source)?;
        self.small("setup", |tx, c, s| {
            Ok(match s.setup()? {
                Some(r) => {
                    rows::put_setup(tx, c, &r)?;
                    1
                }
                None => 0,
            })
        })?;
        self.small("series", |tx, c, s| {
            let all = s.all_series()?;
            for r in &all {
                rows::put_series(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("user_setup", |tx, c, s| {
            let all = s.all_user_setups()?;
            for r in &all {
                rows::put_user_setup(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.contacts()?;
        self.small("salesperson", |tx, c, s| {
            let all = s.all_salespeople()?;
            for r in &all {
                rows::put_salesperson(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("group", |tx, c, s| {
            let all = s.all_groups()?;
            for r in &all {
                rows::put_group(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("template", |tx, c, s| {
            let all = s.all_templates()?;
            for r in &all {
                rows::put_template(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("campaign", |tx, c, s| {
            let all = s.all_campaigns()?;
            for r in &all {
                rows::put_campaign(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        let segments = self.store.all_segments()?;
        self.small("segment", |tx, c, _| {
            for r in &segments {
                rows::put_segment(tx, c, r)?;
            }
            Ok(segments.len() as u64)
        })?;
        self.lines(&segments)?;
        drop(segments);
        self.small("saved_criteria", |tx, c, s| {
            let all = s.all_saved_criteria()?;
            for r in &all {
                rows::put_saved_criteria(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.entries()?;
        self.small("logged_segment", |tx, c, s| {
            let all = s.all_logged_segments()?;
            for r in &all {
                rows::put_logged_segment(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("campaign_entry", |tx, c, s| {
            let all = s.all_campaign_entries()?;
            for r in &all {
                rows::put_campaign_entry(tx, c, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("job", |tx, c, s| {
            let all = s.all_job_progress::<JobRecord>()?;
            for (id, r) in &all {
                rows::put_job(tx, c, id, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("request", |tx, c, s| {
            let all = s.all_idempotency_records::<RequestRecord>()?;
            for (key, r) in &all {
                rows::put_request(tx, c, key, r)?;
            }
            Ok(all.len() as u64)
        })?;
        self.small("counter", |tx, c, s| {
            const T: &str = "company";
            tx.execute(
                "UPDATE company SET next_entry_no = $2, next_logged_no = $3,
                     next_campaign_entry = $4
                  WHERE company_id = $1",
                &[
                    &c,
                    &big(T, "next_entry_no", s.get_counter(Counter::NextEntry)?)?,
                    &big(T, "next_logged_no", s.get_counter(Counter::NextLogged)?)?,
                    &big(
                        T,
                        "next_campaign_entry",
                        s.get_counter(Counter::NextCampaignEntry)?,
                    )?,
                ],
            )
            .map_err(PgError::sql("setting the company's counters"))?;
            Ok(3)
        })?;
        let records = TRANSFER_KINDS
            .iter()
            .map(|k| {
                let rows = self.state.cursors.get(k).map_or(0, |c| c.rows);
                (*k, u64::try_from(rows).unwrap_or(0))
            })
            .collect();
        Ok(TransferReport {
            records,
            batches: self.state.batches,
            resumed,
            source,
        })
    }

    /// A company as `company add` leaves it holds only the marketing setup and number series
    /// every new store starts with, none of them used yet: the transfer brings the store's own
    /// instead, so those rows go (in one transaction). A company with anything else, or a
    /// series already drawn from, is left alone — and then refused as holding data.
    fn clear_initial_setup(&mut self) -> Result<(), PgError> {
        let c = self.state.company;
        let mut tx = self
            .shard
            .transaction()
            .map_err(PgError::sql("starting the clean-up of the initial setup"))?;
        for table in DATA_TABLES {
            if matches!(*table, "marketing_setup" | "no_series") {
                continue;
            }
            let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE company_id = $1)");
            let has: bool = tx
                .query_one(sql.as_str(), &[&c])
                .map_err(PgError::sql(format!("looking into {table}")))?
                .get(0);
            if has {
                return Ok(());
            }
        }
        let used: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM no_series_line
                                 WHERE company_id = $1 AND last_no_used IS NOT NULL)",
                &[&c],
            )
            .map_err(PgError::sql("looking into no_series_line"))?
            .get(0);
        if used {
            return Ok(());
        }
        tx.execute("DELETE FROM marketing_setup WHERE company_id = $1", &[&c])
            .map_err(PgError::sql("removing the initial marketing setup"))?;
        tx.execute("DELETE FROM no_series WHERE company_id = $1", &[&c])
            .map_err(PgError::sql("removing the initial number series"))?;
        tx.commit()
            .map_err(PgError::sql("committing the clean-up of the initial setup"))
    }

    /// Checks the company and reads (or creates) the progress rows; true when resuming.
    fn start(&mut self, source: &str) -> Result<bool, PgError> {
        let c = self.state.company;
        let exists = self
            .shard
            .query_opt("SELECT 1 FROM company WHERE company_id = $1", &[&c])
            .map_err(PgError::sql("looking for the company"))?
            .is_some();
        if !exists {
            return Err(PgError::NotOnShard { company_id: c });
        }
        let found = self
            .shard
            .query(
                "SELECT kind, source, done, after_key, after_no, after_part, rows
                   FROM transfer_progress WHERE company_id = $1",
                &[&c],
            )
            .map_err(PgError::sql("reading the transfer's progress"))?;
        if found.is_empty() {
            self.clear_initial_setup()?;
            for table in DATA_TABLES {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE company_id = $1)");
                let has: bool = self
                    .shard
                    .query_one(sql.as_str(), &[&c])
                    .map_err(PgError::sql(format!("looking into {table}")))?
                    .get(0);
                if has {
                    return Err(PgError::CompanyHasData {
                        company_id: c,
                        table,
                    });
                }
            }
            let mut tx = self
                .shard
                .transaction()
                .map_err(PgError::sql("starting the transfer"))?;
            for k in TRANSFER_KINDS {
                tx.execute(
                    "INSERT INTO transfer_progress (company_id, kind, source) VALUES ($1, $2, $3)",
                    &[&c, k, &source],
                )
                .map_err(PgError::sql("recording the transfer's start"))?;
            }
            tx.commit()
                .map_err(PgError::sql("committing the transfer's start"))?;
            for k in TRANSFER_KINDS {
                self.state.cursors.insert(k, Cursor::default());
            }
            return Ok(false);
        }
        for r in &found {
            let kind: String = r.get("kind");
            let theirs: String = r.get("source");
            if theirs != source {
                return Err(PgError::OtherTransfer {
                    company_id: c,
                    found: theirs,
                    store: source.to_string(),
                });
            }
            if let Some(k) = TRANSFER_KINDS.iter().find(|k| **k == kind) {
                self.state.cursors.insert(
                    k,
                    Cursor {
                        done: r.get("done"),
                        after_key: r.get("after_key"),
                        after_no: r.get("after_no"),
                        after_part: r.get("after_part"),
                        rows: r.get("rows"),
                    },
                );
            }
        }
        Ok(true)
    }

    /// A kind written whole in one transaction.
    fn small(
        &mut self,
        kind: &'static str,
        write: impl FnOnce(&mut postgres::Transaction<'_>, i32, &Store) -> Result<u64, PgError>,
    ) -> Result<(), PgError> {
        if self.state.cursor(kind).done {
            return Ok(());
        }
        self.state.progress.start(kind, 0);
        let mut tx = self
            .shard
            .transaction()
            .map_err(PgError::sql(format!("starting to write {kind}")))?;
        let n = write(&mut tx, self.state.company, self.store)?;
        self.state.commit(
            tx,
            kind,
            Step {
                rows: n,
                done: true,
                after_key: None,
                after_no: None,
                after_part: None,
            },
        )?;
        self.state.progress.finish();
        Ok(())
    }
}

impl State<'_> {
    fn cursor(&self, kind: &'static str) -> Cursor {
        self.cursors.get(kind).cloned().unwrap_or_default()
    }

    /// Moves `kind`'s row in `transfer_progress` inside `tx`, then the test hook, then commits.
    fn commit(
        &mut self,
        mut tx: postgres::Transaction<'_>,
        kind: &'static str,
        step: Step<'_>,
    ) -> Result<(), PgError> {
        let cur = self.cursors.entry(kind).or_default();
        let rows = cur.rows + i64::try_from(step.rows).unwrap_or(i64::MAX);
        tx.execute(
            "UPDATE transfer_progress
                SET done = $3, after_key = $4, after_no = $5, after_part = $6, rows = $7,
                    updated_at = now()
              WHERE company_id = $1 AND kind = $2",
            &[
                &self.company,
                &kind,
                &step.done,
                &step.after_key,
                &step.after_no,
                &step.after_part,
                &rows,
            ],
        )
        .map_err(PgError::sql("recording the transfer's progress"))?;
        if self.opts.fail_after_batches == Some(self.batches) {
            return Err(PgError::Injected(self.batches));
        }
        tx.commit()
            .map_err(PgError::sql(format!("committing a batch of {kind}")))?;
        *cur = Cursor {
            done: step.done,
            after_key: step.after_key.map(str::to_string),
            after_no: step.after_no,
            after_part: step.after_part,
            rows,
        };
        self.batches += 1;
        self.progress.advance(step.rows);
        Ok(())
    }
}
