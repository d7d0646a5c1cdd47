#![cfg(feature = "pg")]
//! Logging a segment on a PostgreSQL shard (feature `pg`): the same entries, logged segment,
//! campaign entries and follow-up segment as the embedded store, the same refusals leaving the
//! shard unchanged, nothing half-applied when the worker is killed or the server stops
//! mid-COPY, and one winner when two workers race.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::pg::{cluster, fresh_db};
use common::*;
use interlog::batch::log_segment::{log_segment, LogOptions, LogOutcome};
use interlog::domain::*;
use interlog::ops::master::{self, SetupChange};
use interlog::ops::segments::{self, LineChange, NoProgress, SegmentInput};
use interlog::ops::OpError;
use interlog::pg::copy::{copy_in, line_from_row, CopyRows, LINE_COLUMNS};
use interlog::pg::entries::{contact_entries, logged_segment_entries};
use interlog::pg::log::{self as pglog, generate, PgLogError};
use interlog::pg::{self, schema};
use postgres::Client;

const CO: i32 = 7;
const OTHER: i32 = 8;

fn shard(node: usize, tag: &str) -> (String, Client) {
    let url = fresh_db(node, tag);
    let mut c = pg::connect(&url).expect("connect");
    pg::migrate_schema(&mut c, &url, schema::SHARD).expect("migrate");
    (url, c)
}

fn kind(k: ContactKind) -> &'static str {
    match k {
        ContactKind::Company => "company",
        ContactKind::Person => "person",
    }
}

/// Company `company` on the shard with the embedded store's master data: salespeople,
/// groups, templates, campaigns, contacts, number series (as they are now: mirror after
/// creating segments) and marketing setup.
fn mirror_master(c: &mut Client, company: i32, t: &TestStore) {
    c.execute(
        "INSERT INTO company (company_id, code) VALUES ($1, $2)",
        &[&company, &format!("CO{company}")],
    )
    .unwrap();
    for s in master::list_salespeople(&t.store).unwrap() {
        c.execute(
            "INSERT INTO salesperson (company_id, code, name) VALUES ($1, $2, $3)",
            &[&company, &s.code.as_str(), &s.name],
        )
        .unwrap();
    }
    for g in master::list_groups(&t.store).unwrap() {
        c.execute(
            "INSERT INTO interaction_group (company_id, code) VALUES ($1, $2)",
            &[&company, &g.code.as_str()],
        )
        .unwrap();
    }
    for tp in master::list_templates(&t.store).unwrap() {
        c.execute(
            "INSERT INTO interaction_template (company_id, code, group_code, description) \
             VALUES ($1, $2, $3, $4)",
            &[
                &company,
                &tp.code.as_str(),
                &tp.group_code.as_str(),
                &tp.description,
            ],
        )
        .unwrap();
    }
    for cp in master::list_campaigns(&t.store).unwrap() {
        c.execute(
            "INSERT INTO campaign (company_id, no, description) VALUES ($1, $2, $3)",
            &[&company, &cp.no.as_str(), &cp.description],
        )
        .unwrap();
    }
    for ct in master::list_contacts(&t.store).unwrap() {
        c.execute(
            "INSERT INTO contact (company_id, no, name, kind, company_no, email, \
                 correspondence_type) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &company,
                &ct.no.as_str(),
                &ct.name,
                &kind(ct.kind),
                &ct.company_no.as_ref().map(|n| n.as_str()),
                &ct.email,
                &ct.correspondence_type.as_str(),
            ],
        )
        .unwrap();
    }
    for s in master::list_series(&t.store).unwrap() {
        c.execute(
            "INSERT INTO no_series (company_id, code, description, default_nos, manual_nos) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &company,
                &s.code.as_str(),
                &s.description,
                &s.default_nos,
                &s.manual_nos,
            ],
        )
        .unwrap();
        for (i, l) in s.lines.iter().enumerate() {
            c.execute(
                "INSERT INTO no_series_line (company_id, series_code, line_no, starting_date, \
                     starting_no, ending_no, warning_no, increment_by, last_no_used, \
                     last_date_used, open) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[
                    &company,
                    &s.code.as_str(),
                    &((i as i32 + 1) * 10000),
                    &l.starting_date,
                    &l.starting_no,
                    &l.ending_no,
                    &l.warning_no,
                    &(l.increment_by as i32),
                    &l.last_no_used,
                    &l.last_date_used,
                    &l.open,
                ],
            )
            .unwrap();
        }
    }
    let setup = interlog::ops::setup(&t.store).unwrap();
    c.execute(
        "INSERT INTO marketing_setup (company_id, segment_nos) VALUES ($1, $2)",
        &[&company, &setup.segment_nos.as_ref().map(|s| s.as_str())],
    )
    .unwrap();
}

/// The embedded store's segment `no` (header, criteria, lines) on the shard.
fn mirror_segment(c: &mut Client, company: i32, t: &TestStore, no: &SegmentNo) {
    interlog::pg::rows::put_segment(c, company, &header(t, no)).unwrap();
    let mut rows = CopyRows::default();
    for l in lines(t, no) {
        rows.line(company, no, &l, None);
    }
    let mut once = Some(rows);
    copy_in(c, "segment_line", LINE_COLUMNS, || Ok(once.take())).unwrap();
}

fn pg_lines(c: &mut Client, company: i32, no: &SegmentNo) -> Vec<SegmentLine> {
    c.query(
        &format!(
            "SELECT {LINE_COLUMNS} FROM segment_line WHERE company_id = $1 AND segment_no = $2 \
             ORDER BY line_no"
        ),
        &[&company, &no.as_str()],
    )
    .unwrap()
    .iter()
    .map(|r| line_from_row(r).unwrap().0)
    .collect()
}

/// A header as both backends can show it: without the embedded store's storage details.
fn comparable(mut h: SegmentHeader) -> SegmentHeader {
    h.lines_gen = 0;
    h.contacts_epoch = 0;
    for a in &mut h.criteria {
        a.deleted_gen = None;
    }
    h
}

/// An outcome without its timings, as JSON.
fn outcome_json(o: &LogOutcome) -> serde_json::Value {
    let mut v = serde_json::to_value(o).unwrap();
    v.as_object_mut().unwrap().remove("timings");
    v
}

/// A digest of every row of every table of the shard, per company.
fn digest(c: &mut Client, company: i32) -> Vec<(String, i64, String)> {
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND column_name = 'company_id' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let r = c
                .query_one(
                    &format!(
                        "SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') \
                         FROM {t} x WHERE company_id = $1"
                    ),
                    &[&company],
                )
                .unwrap();
            (t, r.get(0), r.get(1))
        })
        .collect()
}

/// The demo store with a varied segment: every demo contact, the spring mailing's template and
/// campaign, and some lines overridden (salesperson, date, evaluation, failed, description,
/// correspondence type).
fn varied_segment(t: &TestStore) -> SegmentNo {
    let contacts: Vec<String> = master::list_contacts(&t.store)
        .unwrap()
        .into_iter()
        .map(|c| c.no.to_string())
        .collect();
    let refs: Vec<&str> = contacts.iter().map(|s| s.as_str()).collect();
    let no = t.spring_mailing(&refs);
    let ls = lines(t, &no);
    let edits = [
        LineChange {
            salesperson: Some(sp("BC")),
            evaluation: Some(Evaluation::Positive),
            ..LineChange::default()
        },
        LineChange {
            date: Some(date("2025-03-01")),
            attempt_failed: Some(true),
            ..LineChange::default()
        },
        LineChange {
            description: Some("Typed by hand".into()),
            cost: Some(money("12.34")),
            duration_min: Some(17),
            ..LineChange::default()
        },
        LineChange {
            correspondence_type: Some(CorrespondenceType::HardCopy),
            subject: Some("Catalogue".into()),
            ..LineChange::default()
        },
    ];
    for (i, e) in edits.iter().enumerate() {
        segments::set_line(&t.store, &no, ls[3 * i + 1].line_no, e).unwrap();
    }
    no
}

fn pg_log(
    c: &mut Client,
    company: i32,
    t: &TestStore,
    no: &SegmentNo,
    follow_up: bool,
) -> Result<LogOutcome, PgLogError> {
    pglog::log_segment(
        c,
        company,
        &t.ctx,
        no,
        LogOptions {
            follow_up,
            dry_run: false,
        },
        &NoProgress,
    )
}

fn embedded_log(t: &TestStore, no: &SegmentNo, follow_up: bool) -> Result<LogOutcome, OpError> {
    log_segment(
        &t.store,
        &t.ctx,
        no,
        LogOptions {
            follow_up,
            dry_run: false,
        },
        &NoProgress,
    )
}

/// Logs the same segments on both backends (a small one first, so the counters are not at 1)
/// and compares everything the log wrote.
fn same_as_embedded(follow_up: bool) {
    let t = TestStore::demo();
    let (_url, mut c) = shard(1, if follow_up { "same_fu" } else { "same" });
    let first = t.spring_mailing(&["CT100239", "CT100125"]);
    let big = varied_segment(&t);
    mirror_master(&mut c, CO, &t);
    mirror_segment(&mut c, CO, &t, &first);
    mirror_segment(&mut c, CO, &t, &big);
    for (no, fu) in [(&first, false), (&big, follow_up)] {
        let lines_before = lines(&t, no);
        let ours = pg_log(&mut c, CO, &t, no, fu).unwrap();
        let theirs = embedded_log(&t, no, fu).unwrap();
        assert_eq!(
            outcome_json(&ours),
            outcome_json(&theirs),
            "outcome of {no}"
        );
        let logged = theirs.logged_segment_entry_no;
        let entries = logged_entries(&t, logged);
        assert_eq!(entries.len(), lines_before.len());
        assert_eq!(
            logged_segment_entries(&mut c, CO, logged).unwrap(),
            entries,
            "entries of {no}"
        );
        let mut ls = t.store.logged_segment(logged).unwrap().unwrap();
        ls.index_run = None;
        assert_eq!(pglog::logged_segment(&mut c, CO, logged).unwrap(), Some(ls));
        let ces: Vec<_> = master::list_campaign_entries(&t.store)
            .unwrap()
            .into_iter()
            .filter(|ce| ce.logged_segment_entry_no == Some(logged))
            .collect();
        assert!(!ces.is_empty());
        assert_eq!(pglog::campaign_entries_of(&mut c, CO, logged).unwrap(), ces);
        // The segment is gone, its lines too.
        assert_eq!(pglog::segment_header(&mut c, CO, no).unwrap(), None);
        assert!(pg_lines(&mut c, CO, no).is_empty());
        match &theirs.follow_up_segment_no {
            Some(fu) => {
                let h = comparable(header(&t, fu));
                assert_eq!(pglog::segment_header(&mut c, CO, fu).unwrap(), Some(h));
                assert_eq!(pg_lines(&mut c, CO, fu), lines(&t, fu));
            }
            None => assert!(!fu),
        }
    }
    // A contact's history reads the same.
    let who = contact("CT100125");
    let theirs: Vec<_> = all_entries(&t)
        .into_iter()
        .filter(|e| e.contact_no == who)
        .collect();
    assert_eq!(theirs.len(), 2);
    assert_eq!(contact_entries(&mut c, CO, &who).unwrap(), theirs);
    // The series drew the same number.
    let seg_nos = interlog::ops::setup(&t.store).unwrap().segment_nos.unwrap();
    let last: Option<String> = c
        .query_one(
            "SELECT max(last_no_used) FROM no_series_line WHERE company_id = $1 AND series_code = $2",
            &[&CO, &seg_nos.as_str()],
        )
        .unwrap()
        .get(0);
    let theirs = master::get_series(&t.store, &seg_nos).unwrap();
    assert_eq!(
        last,
        theirs
            .lines
            .iter()
            .filter_map(|l| l.last_no_used.clone())
            .max()
    );
}

#[test]
fn entries_logged_segment_campaign_entries_and_follow_up_equal_the_embedded_stores() {
    same_as_embedded(true);
}

#[test]
fn entries_logged_segment_and_campaign_entries_equal_the_embedded_stores_without_follow_up() {
    same_as_embedded(false);
}

/// Refusal on both backends, the same; the shard unchanged.
fn refused_alike(
    t: &TestStore,
    c: &mut Client,
    no: &SegmentNo,
    follow_up: bool,
) -> (OpError, OpError) {
    let before = digest(c, CO);
    let ours = match pg_log(c, CO, t, no, follow_up) {
        Err(PgLogError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let theirs = embedded_log(t, no, follow_up).unwrap_err();
    assert_eq!(ours.to_string(), theirs.to_string());
    assert_eq!(digest(c, CO), before, "the shard changed on a refusal");
    (ours, theirs)
}

#[test]
fn an_empty_segment_is_refused_and_the_shard_is_unchanged() {
    let t = TestStore::demo();
    let (_url, mut c) = shard(1, "empty");
    mirror_master(&mut c, CO, &t);
    let no = t.spring_mailing(&[]);
    mirror_segment(&mut c, CO, &t, &no);
    let (ours, _) = refused_alike(&t, &mut c, &no, true);
    assert!(matches!(ours, OpError::SegmentEmpty { .. }), "{ours}");
}

#[test]
fn every_invalid_line_is_listed_together_and_the_shard_is_unchanged() {
    let t = TestStore::demo();
    let (_url, mut c) = shard(1, "invalid");
    mirror_master(&mut c, CO, &t);
    // No template on the segment: every line lacks one.
    let no = t.segment(
        &SegmentInput {
            description: "No template".into(),
            ..SegmentInput::default()
        },
        None,
        &["CT100239", "CT100125", "CT100240"],
    );
    mirror_segment(&mut c, CO, &t, &no);
    let (ours, theirs) = refused_alike(&t, &mut c, &no, false);
    match (ours, theirs) {
        (OpError::LinesInvalid { problems: a, .. }, OpError::LinesInvalid { problems: b, .. }) => {
            assert_eq!(a.len(), 3);
            assert_eq!(a, b);
        }
        other => panic!("{other:?}"),
    }
    // A line whose contact is gone from the shard is listed too, in line order.
    c.execute(
        "DELETE FROM contact WHERE company_id = $1 AND no = 'CT100125'",
        &[&CO],
    )
    .unwrap();
    let before = digest(&mut c, CO);
    match pg_log(&mut c, CO, &t, &no, false) {
        Err(PgLogError::Refused(OpError::LinesInvalid { problems, .. })) => {
            let ps: Vec<_> = problems
                .iter()
                .map(|p| (p.line_no, p.problem.as_str()))
                .collect();
            assert_eq!(ps.len(), 4, "{ps:?}");
            assert_eq!(ps[1], (20000, "contact CT100125 does not exist"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(digest(&mut c, CO), before);
}

#[test]
fn no_segment_series_for_the_follow_up_is_refused_and_the_shard_is_unchanged() {
    let t = TestStore::demo();
    let (_url, mut c) = shard(1, "noseries");
    let no = t.spring_mailing(&["CT100239", "CT100125"]);
    master::set_setup(
        &t.store,
        SetupChange {
            segment_nos: Some(None),
            ..SetupChange::default()
        },
    )
    .unwrap();
    mirror_master(&mut c, CO, &t);
    mirror_segment(&mut c, CO, &t, &no);
    let (ours, _) = refused_alike(&t, &mut c, &no, true);
    assert!(matches!(ours, OpError::Missing { .. }), "{ours}");
    // Without a follow-up it logs.
    pg_log(&mut c, CO, &t, &no, false).unwrap();
}

#[test]
fn a_logged_segment_is_refused_again_as_on_the_embedded_store() {
    let t = TestStore::demo();
    let (_url, mut c) = shard(1, "again");
    mirror_master(&mut c, CO, &t);
    let no = t.spring_mailing(&["CT100239", "CT100125"]);
    mirror_segment(&mut c, CO, &t, &no);
    pg_log(&mut c, CO, &t, &no, false).unwrap();
    embedded_log(&t, &no, false).unwrap();
    // The segment is gone on both: the same refusal, nothing changed.
    let (ours, _) = refused_alike(&t, &mut c, &no, false);
    assert!(matches!(ours, OpError::NotFound { .. }), "{ours}");
    // A segment of that number made again is refused as already logged.
    let h = header(&t, &t.spring_mailing(&["CT100240"]));
    let again = SegmentHeader {
        no: no.clone(),
        ..h.clone()
    };
    interlog::pg::rows::put_segment(&mut c, CO, &again).unwrap();
    let before = digest(&mut c, CO);
    match pg_log(&mut c, CO, &t, &no, false) {
        Err(PgLogError::Refused(OpError::AlreadyLogged { segment, logged })) => {
            assert_eq!(segment, no);
            assert_eq!(logged, LoggedSegmentNo(1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(digest(&mut c, CO), before);
}

#[test]
fn a_dry_run_writes_nothing_and_says_what_a_log_would_do() {
    let t = TestStore::demo();
    let (_url, mut c) = shard(1, "dry");
    let no = varied_segment(&t);
    mirror_master(&mut c, CO, &t);
    mirror_segment(&mut c, CO, &t, &no);
    let before = digest(&mut c, CO);
    let opts = LogOptions {
        follow_up: true,
        dry_run: true,
    };
    let ours = pglog::log_segment(&mut c, CO, &t.ctx, &no, opts, &NoProgress).unwrap();
    let theirs = log_segment(&t.store, &t.ctx, &no, opts, &NoProgress).unwrap();
    assert_eq!(outcome_json(&ours), outcome_json(&theirs));
    assert_eq!(digest(&mut c, CO), before);
}

// ---- many lines: crash, server stop, race ----

const CRASH_URL: &str = "INTERLOG_PG_CRASH_URL";
const BIG: i64 = 300_000;

fn big_ctx() -> interlog::Ctx {
    ctx()
}

/// What must not change when a log does not happen: counters, the segment and its lines, no
/// entries, no logged segment, the series.
fn untouched(c: &mut Client, company: i32, segment: &str, lines: i64) {
    let r = c
        .query_one(
            "SELECT (SELECT count(*) FROM interaction_log_entry WHERE company_id = $1), \
                    (SELECT count(*) FROM logged_segment WHERE company_id = $1), \
                    (SELECT count(*) FROM segment_line WHERE company_id = $1 AND segment_no = $2), \
                    (SELECT count(*) FROM segment_header WHERE company_id = $1), \
                    (SELECT next_entry_no FROM company WHERE company_id = $1), \
                    (SELECT next_logged_no FROM company WHERE company_id = $1), \
                    (SELECT count(*) FROM no_series_line WHERE company_id = $1 AND last_no_used IS NOT NULL)",
            &[&company, &segment],
        )
        .unwrap();
    let got: (i64, i64, i64, i64, i64, i64, i64) = (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
    );
    assert_eq!(
        got,
        (0, 0, lines, 1, 1, 1, 0),
        "entries, logged, lines, headers, counters, series"
    );
}

fn logged_whole(c: &mut Client, company: i32, segment: &str, lines: i64) {
    let r = c
        .query_one(
            "SELECT (SELECT count(*) FROM interaction_log_entry WHERE company_id = $1), \
                    (SELECT count(*) FROM segment_line WHERE company_id = $1 AND segment_no = $2), \
                    (SELECT count(*) FROM segment_line WHERE company_id = $1 AND segment_no = 'SM00001'), \
                    (SELECT next_entry_no FROM company WHERE company_id = $1)",
            &[&company, &segment],
        )
        .unwrap();
    let got: (i64, i64, i64, i64) = (r.get(0), r.get(1), r.get(2), r.get(3));
    assert_eq!(got, (lines, 0, lines, lines + 1));
}

/// Waits until a COPY into the database `db` has streamed rows.
fn wait_for_copy(watch: &mut Client, db: &str, deadline: Duration) -> i64 {
    let t = Instant::now();
    loop {
        let r = watch
            .query_opt(
                "SELECT tuples_processed FROM pg_stat_progress_copy WHERE datname = $1 \
                 AND tuples_processed > 0",
                &[&db],
            )
            .unwrap();
        if let Some(r) = r {
            return r.get(0);
        }
        assert!(
            t.elapsed() < deadline,
            "no COPY started within {deadline:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn db_name(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

/// The worker the crash test kills: logs the generated segment of the database named by
/// `INTERLOG_PG_CRASH_URL` (run by `a_worker_killed_mid_copy_leaves_nothing_and_a_rerun_logs`).
#[test]
#[ignore = "a child process of the crash test"]
fn crash_child_logs_the_generated_segment() {
    let Ok(url) = std::env::var(CRASH_URL) else {
        return;
    };
    let mut c = pg::connect(&url).unwrap();
    let opts = LogOptions {
        follow_up: true,
        dry_run: false,
    };
    pglog::log_segment(&mut c, CO, &big_ctx(), &seg("BIG1"), opts, &NoProgress).unwrap();
}

#[test]
fn a_worker_killed_mid_copy_leaves_nothing_and_a_rerun_logs() {
    let (url, mut c) = shard(1, "kill");
    generate::company_with_segment(&mut c, CO, "KILL", "BIG1", BIG).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_logs_the_generated_segment",
            "--ignored",
            "--nocapture",
        ])
        .env(CRASH_URL, &url)
        .spawn()
        .unwrap();
    let streamed = wait_for_copy(&mut c, &db_name(&url), Duration::from_secs(120));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the worker finished before it was killed"
    );
    eprintln!("killed the worker after {streamed} rows were streamed");
    // The server notices the dead client and rolls its transaction back.
    let t = Instant::now();
    while c
        .query_opt(
            "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db_name(&url)],
        )
        .unwrap()
        .is_some()
    {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the killed worker's session lingers"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    untouched(&mut c, CO, "BIG1", BIG);
    let opts = LogOptions {
        follow_up: true,
        dry_run: false,
    };
    let out = pglog::log_segment(&mut c, CO, &big_ctx(), &seg("BIG1"), opts, &NoProgress).unwrap();
    assert_eq!(out.entries, BIG as u64);
    logged_whole(&mut c, CO, "BIG1", BIG);
}

#[test]
fn the_server_stopped_mid_log_leaves_nothing_half_applied() {
    // Node 2 is this test's alone: stopping it must not hit another test's database.
    let (url, mut c) = shard(2, "stop");
    generate::company_with_segment(&mut c, CO, "STOP", "BIG1", BIG).unwrap();
    let worker_url = url.clone();
    let worker = std::thread::spawn(move || {
        let mut w = pg::connect(&worker_url).unwrap();
        let opts = LogOptions {
            follow_up: true,
            dry_run: false,
        };
        pglog::log_segment(&mut w, CO, &big_ctx(), &seg("BIG1"), opts, &NoProgress)
    });
    wait_for_copy(&mut c, &db_name(&url), Duration::from_secs(120));
    drop(c);
    cluster().stop_immediate(2).unwrap();
    let result = worker.join().unwrap();
    assert!(
        matches!(result, Err(PgLogError::Pg(_))),
        "the log should fail with the server: {result:?}"
    );
    cluster().start_node(2).unwrap();
    let mut c = pg::connect(&url).unwrap();
    untouched(&mut c, CO, "BIG1", BIG);
    let opts = LogOptions {
        follow_up: true,
        dry_run: false,
    };
    pglog::log_segment(&mut c, CO, &big_ctx(), &seg("BIG1"), opts, &NoProgress).unwrap();
    logged_whole(&mut c, CO, "BIG1", BIG);
}

#[test]
fn two_workers_racing_log_the_segment_once_and_the_other_company_is_untouched() {
    let (url, mut c) = shard(1, "race");
    generate::company_with_segment(&mut c, CO, "RACE", "BIG1", 20_000).unwrap();
    generate::company_with_segment(&mut c, OTHER, "QUIET", "BIG1", 1_000).unwrap();
    let other_before = digest(&mut c, OTHER);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut w = pg::connect(&url).unwrap();
                barrier.wait();
                let opts = LogOptions {
                    follow_up: true,
                    dry_run: false,
                };
                pglog::log_segment(&mut w, CO, &big_ctx(), &seg("BIG1"), opts, &NoProgress)
            })
        })
        .collect();
    let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    let lost = results.into_iter().find_map(|r| r.err()).unwrap();
    // The embedded store refuses a segment logged before it as a segment that does not exist
    // (the log removed it); the shard says the same.
    match lost {
        PgLogError::Refused(OpError::NotFound { what, key }) => {
            assert_eq!((what, key.as_str()), ("segment", "BIG1"));
        }
        other => panic!("{other}"),
    }
    logged_whole(&mut c, CO, "BIG1", 20_000);
    assert_eq!(digest(&mut c, OTHER), other_before);
}

#[test]
fn the_embedded_store_refuses_a_logged_segment_as_missing() {
    // What the race test's loser is compared with.
    let t = TestStore::demo();
    let no = t.spring_mailing(&["CT100239"]);
    embedded_log(&t, &no, false).unwrap();
    match embedded_log(&t, &no, false) {
        Err(OpError::NotFound { what, .. }) => assert_eq!(what, "segment"),
        other => panic!("{other:?}"),
    }
}
