//! The SQLite peer: the same records in a conventional relational schema (rusqlite, bundled
//! SQLite), filled untimed from the generated interlog store, and the same logging work done
//! the way an application on SQLite would do it: one transaction, prepared statements, checks
//! in SQL.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{NaiveDate, NaiveTime};
use interlog::datagen;
use interlog::domain::*;
use interlog::ops::segments;
use interlog::storage::Store;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{
    params, params_from_iter, Connection, OpenFlags, OptionalExtension, TransactionBehavior,
};

use crate::common::{
    ctx, for_each_segment_line, fsync_dir, ix, ms_since, ChildReport, Digest, Meta, Stats, SEGMENT,
};

/// How the entries and follow-up lines are inserted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// `INSERT … SELECT`: entries from the lines, then follow-up lines from the new entries.
    InsertSelect,
    /// One `SELECT` of the lines; per line a prepared `INSERT` of the entry and of the
    /// follow-up line.
    RowLoop,
}

impl Strategy {
    /// Name used in the output.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::InsertSelect => "insert-select",
            Strategy::RowLoop => "row-loop",
        }
    }
}

/// Connection settings of the timed run.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// `PRAGMA mmap_size` in MiB (0 = off, SQLite's default).
    pub mmap_mib: u64,
    /// `PRAGMA wal_autocheckpoint=0` during the run: the WAL is not copied into the database
    /// file at commit (SQLite's default does that copy, with two fsyncs, inside COMMIT when the
    /// WAL holds more than 1000 pages). Durability is the same: the WAL is fsynced either way.
    pub defer_checkpoint: bool,
}

/// The database file inside a run directory.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("peer.db")
}

fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Size of the database file plus its WAL.
pub fn disk_bytes(db: &Path) -> u64 {
    file_len(db) + file_len(&wal_path(db))
}

const SCHEMA: &str = "
CREATE TABLE marketing_setup (
  id INTEGER PRIMARY KEY CHECK (id = 1), contact_nos TEXT, segment_nos TEXT, campaign_nos TEXT,
  default_salesperson TEXT, default_correspondence_type INTEGER NOT NULL, default_language TEXT);
CREATE TABLE no_series (
  code TEXT PRIMARY KEY, description TEXT NOT NULL, default_nos INTEGER NOT NULL,
  manual_nos INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE no_series_lines (
  series_code TEXT NOT NULL, line_no INTEGER NOT NULL, starting_date TEXT, starting_no TEXT NOT NULL,
  ending_no TEXT, warning_no TEXT, increment_by INTEGER NOT NULL, last_no_used TEXT,
  last_date_used TEXT, open INTEGER NOT NULL, PRIMARY KEY (series_code, line_no)) WITHOUT ROWID;
CREATE TABLE contacts (
  no TEXT PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL, company_no TEXT,
  salesperson_code TEXT, language_code TEXT, email TEXT NOT NULL,
  correspondence_type INTEGER NOT NULL, exclude_from_segment INTEGER NOT NULL,
  privacy_blocked INTEGER NOT NULL, city TEXT NOT NULL, post_code TEXT NOT NULL,
  country_code TEXT, phone TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE salespeople (
  code TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, blocked INTEGER NOT NULL,
  privacy_blocked INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE interaction_groups (code TEXT PRIMARY KEY, description TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE templates (
  code TEXT PRIMARY KEY, group_code TEXT NOT NULL, description TEXT NOT NULL,
  unit_cost_cents INTEGER NOT NULL, unit_duration_min INTEGER NOT NULL,
  information_flow INTEGER NOT NULL, initiated_by INTEGER NOT NULL,
  correspondence_type_default INTEGER NOT NULL, ignore_contact_correspondence_type INTEGER NOT NULL,
  language_code_default TEXT, campaign_no TEXT) WITHOUT ROWID;
CREATE TABLE campaigns (
  no TEXT PRIMARY KEY, description TEXT NOT NULL, starting_date TEXT, ending_date TEXT,
  salesperson_code TEXT) WITHOUT ROWID;
CREATE TABLE segment_headers (
  no TEXT PRIMARY KEY, description TEXT NOT NULL, date TEXT NOT NULL, salesperson_code TEXT,
  campaign_no TEXT, template_code TEXT, group_code TEXT, unit_cost_cents INTEGER NOT NULL,
  unit_duration_min INTEGER NOT NULL, subject_default TEXT NOT NULL, language_code_default TEXT,
  correspondence_type_default INTEGER NOT NULL, ignore_contact_correspondence_type INTEGER NOT NULL,
  information_flow INTEGER NOT NULL, initiated_by INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE segment_criteria (
  segment_no TEXT NOT NULL, action_no INTEGER NOT NULL, kind TEXT NOT NULL, filters TEXT NOT NULL,
  logged_segment_entry_no INTEGER, inserted_count INTEGER NOT NULL, deleted_count INTEGER NOT NULL,
  PRIMARY KEY (segment_no, action_no)) WITHOUT ROWID;
CREATE TABLE segment_lines (
  segment_no TEXT NOT NULL, line_no INTEGER NOT NULL, contact_no TEXT NOT NULL,
  contact_company_no TEXT, contact_correspondence_type INTEGER NOT NULL,
  contact_has_email INTEGER NOT NULL, template_code TEXT, group_code TEXT,
  description TEXT NOT NULL, description_typed INTEGER NOT NULL, subject TEXT NOT NULL,
  cost_cents INTEGER NOT NULL, duration_min INTEGER NOT NULL, date TEXT NOT NULL, time TEXT,
  salesperson_code TEXT, correspondence_type INTEGER NOT NULL, language_code TEXT,
  campaign_no TEXT, evaluation INTEGER NOT NULL, information_flow INTEGER NOT NULL,
  initiated_by INTEGER NOT NULL, attempt_failed INTEGER NOT NULL,
  PRIMARY KEY (segment_no, line_no)) WITHOUT ROWID;
CREATE TABLE interaction_log_entries (
  entry_no INTEGER PRIMARY KEY, contact_no TEXT NOT NULL, contact_company_no TEXT,
  date TEXT NOT NULL, time_of_interaction TEXT NOT NULL, description TEXT NOT NULL,
  subject TEXT NOT NULL, information_flow INTEGER NOT NULL, initiated_by INTEGER NOT NULL,
  cost_cents INTEGER NOT NULL, duration_min INTEGER NOT NULL, user_id TEXT NOT NULL,
  group_code TEXT NOT NULL, template_code TEXT NOT NULL, campaign_no TEXT,
  campaign_entry_no INTEGER, segment_no TEXT, logged_segment_entry_no INTEGER,
  salesperson_code TEXT NOT NULL, correspondence_type INTEGER NOT NULL, language_code TEXT,
  evaluation INTEGER NOT NULL, attempt_failed INTEGER NOT NULL, postponed INTEGER NOT NULL,
  canceled INTEGER NOT NULL);
CREATE INDEX interaction_log_entries_contact ON interaction_log_entries (contact_no, entry_no);
CREATE TABLE interaction_log_comments (
  entry_no INTEGER NOT NULL, line_no INTEGER NOT NULL, date TEXT NOT NULL, text TEXT NOT NULL,
  PRIMARY KEY (entry_no, line_no)) WITHOUT ROWID;
CREATE TABLE logged_segments (
  entry_no INTEGER PRIMARY KEY, segment_no TEXT NOT NULL, description TEXT NOT NULL,
  creation_date TEXT NOT NULL, user_id TEXT NOT NULL, canceled INTEGER NOT NULL);
CREATE UNIQUE INDEX logged_segments_segment ON logged_segments (segment_no);
CREATE TABLE campaign_entries (
  entry_no INTEGER PRIMARY KEY, campaign_no TEXT NOT NULL, description TEXT NOT NULL,
  date TEXT NOT NULL, user_id TEXT NOT NULL, segment_no TEXT, salesperson_code TEXT,
  logged_segment_entry_no INTEGER, canceled INTEGER NOT NULL);
CREATE INDEX campaign_entries_logged ON campaign_entries (logged_segment_entry_no, campaign_no, date);
";

const LINE_COLUMNS: &str = "segment_no, line_no, contact_no, contact_company_no, \
  contact_correspondence_type, contact_has_email, template_code, group_code, description, \
  description_typed, subject, cost_cents, duration_min, date, time, salesperson_code, \
  correspondence_type, language_code, campaign_no, evaluation, information_flow, initiated_by, \
  attempt_failed";

const ENTRY_COLUMNS: &str = "entry_no, contact_no, contact_company_no, date, time_of_interaction, \
  description, subject, information_flow, initiated_by, cost_cents, duration_min, user_id, \
  group_code, template_code, campaign_no, campaign_entry_no, segment_no, logged_segment_entry_no, \
  salesperson_code, correspondence_type, language_code, evaluation, attempt_failed, postponed, \
  canceled";

fn opt_str<T: std::fmt::Display>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(|x| x.to_string())
}

fn time_text(t: NaiveTime) -> String {
    t.format("%H:%M:%S").to_string()
}

fn insert_line(stmt: &mut rusqlite::Statement<'_>, seg: &str, l: &SegmentLine) -> Result<()> {
    stmt.execute(params![
        seg,
        l.line_no as i64,
        l.contact_no.as_str(),
        opt_str(&l.contact_company_no),
        ix(
            CorrespondenceType::ALL,
            l.contact_profile.correspondence_type
        ),
        l.contact_profile.has_email,
        opt_str(&l.template_code),
        opt_str(&l.group_code),
        l.description,
        l.description_typed,
        l.subject,
        l.cost.cents() as i64,
        l.duration_min,
        l.date.to_string(),
        l.time.map(time_text),
        opt_str(&l.salesperson_code),
        ix(CorrespondenceType::ALL, l.correspondence_type),
        opt_str(&l.language_code),
        opt_str(&l.campaign_no),
        ix(Evaluation::ALL, l.evaluation),
        ix(InformationFlow::ALL, l.information_flow),
        ix(InitiatedBy::ALL, l.initiated_by),
        l.attempt_failed,
    ])?;
    Ok(())
}

/// Creates the template database at `db` with the same records as the generated store
/// (untimed). The contacts are regenerated with `datagen::contact(seed, i)`; master data, number
/// series, the segment header and every segment line are read from the interlog store.
pub fn fill(db: &Path, store: &Store, meta: &Meta, page_size: u32) -> Result<()> {
    let mut conn = Connection::open(db).with_context(|| format!("create {}", db.display()))?;
    conn.pragma_update(None, "page_size", page_size)?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.execute_batch(SCHEMA)?;
    let tx = conn.transaction()?;
    {
        let setup = interlog::ops::setup(store)?;
        tx.execute(
            "INSERT INTO marketing_setup VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                opt_str(&setup.contact_nos),
                opt_str(&setup.segment_nos),
                opt_str(&setup.campaign_nos),
                opt_str(&setup.default_salesperson),
                ix(CorrespondenceType::ALL, setup.default_correspondence_type),
                opt_str(&setup.default_language),
            ],
        )?;
        for s in store.all_series()? {
            tx.execute(
                "INSERT INTO no_series VALUES (?1, ?2, ?3, ?4)",
                params![s.code.as_str(), s.description, s.default_nos, s.manual_nos],
            )?;
            for (i, l) in s.lines.iter().enumerate() {
                tx.execute(
                    "INSERT INTO no_series_lines VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        s.code.as_str(),
                        (i as i64 + 1) * 10000,
                        opt_str(&l.starting_date),
                        l.starting_no,
                        l.ending_no,
                        l.warning_no,
                        l.increment_by,
                        l.last_no_used,
                        opt_str(&l.last_date_used),
                        l.open,
                    ],
                )?;
            }
        }
        for s in store.all_salespeople()? {
            tx.execute(
                "INSERT INTO salespeople VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    s.code.as_str(),
                    s.name,
                    s.email,
                    s.blocked,
                    s.privacy_blocked
                ],
            )?;
        }
        for g in store.all_groups()? {
            tx.execute(
                "INSERT INTO interaction_groups VALUES (?1, ?2)",
                params![g.code.as_str(), g.description],
            )?;
        }
        for t in store.all_templates()? {
            tx.execute(
                "INSERT INTO templates VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    t.code.as_str(),
                    t.group_code.as_str(),
                    t.description,
                    t.unit_cost.cents() as i64,
                    t.unit_duration_min,
                    ix(InformationFlow::ALL, t.information_flow),
                    ix(InitiatedBy::ALL, t.initiated_by),
                    ix(CorrespondenceType::ALL, t.correspondence_type_default),
                    t.ignore_contact_correspondence_type,
                    opt_str(&t.language_code_default),
                    opt_str(&t.campaign_no),
                ],
            )?;
        }
        for c in store.all_campaigns()? {
            tx.execute(
                "INSERT INTO campaigns VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    c.no.as_str(),
                    c.description,
                    opt_str(&c.starting_date),
                    opt_str(&c.ending_date),
                    opt_str(&c.salesperson_code),
                ],
            )?;
        }
        let mut ins = tx.prepare(
            "INSERT INTO contacts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        for i in 0..meta.contacts {
            let c = datagen::contact(meta.seed, i);
            ins.execute(params![
                c.no.as_str(),
                c.name,
                ix(ContactKind::ALL, c.kind),
                opt_str(&c.company_no),
                opt_str(&c.salesperson_code),
                opt_str(&c.language_code),
                c.email,
                ix(CorrespondenceType::ALL, c.correspondence_type),
                c.exclude_from_segment,
                c.privacy_blocked,
                c.city,
                c.post_code,
                opt_str(&c.country_code),
                c.phone,
            ])?;
        }
        // Every segment of the store (the comparison's one, or a nightly mix), in number order.
        for h in segments::list(store)? {
            let i = &h.interaction;
            tx.execute(
                "INSERT INTO segment_headers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![
                    h.no.as_str(),
                    h.description,
                    h.date.to_string(),
                    opt_str(&h.salesperson_code),
                    opt_str(&h.campaign_no),
                    opt_str(&i.template_code),
                    opt_str(&i.group_code),
                    i.unit_cost.cents() as i64,
                    i.unit_duration_min,
                    i.subject_default,
                    opt_str(&i.language_code_default),
                    ix(CorrespondenceType::ALL, i.correspondence_type_default),
                    i.ignore_contact_correspondence_type,
                    ix(InformationFlow::ALL, i.information_flow),
                    ix(InitiatedBy::ALL, i.initiated_by),
                ],
            )?;
            for a in &h.criteria {
                tx.execute(
                    "INSERT INTO segment_criteria VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        h.no.as_str(),
                        a.no,
                        format!("{:?}", a.kind),
                        a.filters.join("\n"),
                        a.logged_segment.map(|l| l.0 as i64),
                        a.inserted_count as i64,
                        a.deleted_count as i64,
                    ],
                )?;
            }
            let mut ins = tx.prepare(&format!(
                "INSERT INTO segment_lines ({LINE_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"
            ))?;
            for_each_segment_line(store, &h, h.line_count, "copy into SQLite", |l| {
                insert_line(&mut ins, h.no.as_str(), l)
            })?;
        }
    }
    tx.commit()?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}

/// Sets the connection up for the timed run.
fn configure(conn: &Connection, s: &Settings) -> Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("SQLite refused WAL mode (got {mode})");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -262_144)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    if s.mmap_mib > 0 {
        conn.query_row(
            &format!("PRAGMA mmap_size={}", s.mmap_mib * 1024 * 1024),
            [],
            |_| Ok(()),
        )?;
    }
    if s.defer_checkpoint {
        conn.query_row("PRAGMA wal_autocheckpoint=0", [], |_| Ok(()))?;
    }
    Ok(())
}

/// The first problem of a line, as interlog's plan words it (NULL = the line is fine).
/// Like interlog's plan: template set and existing, group set, salesperson set and existing,
/// campaign existing when set. (interlog does not look the group up: it is checked to exist
/// when the template is stored and copied from it.)
const PROBLEM: &str = "CASE
  WHEN l.template_code IS NULL THEN 'no interaction template'
  WHEN NOT EXISTS (SELECT 1 FROM templates t WHERE t.code = l.template_code)
    THEN 'interaction template ' || l.template_code || ' does not exist'
  WHEN l.group_code IS NULL THEN 'no interaction group'
  WHEN l.salesperson_code IS NULL THEN 'no salesperson'
  WHEN NOT EXISTS (SELECT 1 FROM salespeople s WHERE s.code = l.salesperson_code)
    THEN 'salesperson ' || l.salesperson_code || ' does not exist'
  WHEN l.campaign_no IS NOT NULL AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.no = l.campaign_no)
    THEN 'campaign ' || l.campaign_no || ' does not exist'
  END";

/// What the timed work did.
struct Logged {
    entries: u64,
    follow_up_no: String,
}

/// Logs `seg` in one transaction; returns after COMMIT (not yet fsynced).
fn log_segment(
    conn: &mut Connection,
    strategy: Strategy,
    seg: &str,
    phases: &mut Vec<(String, f64)>,
) -> Result<Logged> {
    let c = ctx();
    let today = c.today.to_string();
    let work_date = c.work_date;
    let time = time_text(c.time);
    let mut t = Instant::now();
    let mut phase = |name: &str, t: &mut Instant| {
        phases.push((name.to_string(), ms_since(*t)));
        *t = Instant::now();
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // 1. Refusals: unknown segment, already logged, empty description.
    let (description, salesperson, campaign): (String, Option<String>, Option<String>) = tx
        .query_row(
            "SELECT description, salesperson_code, campaign_no FROM segment_headers WHERE no = ?1",
            [seg],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| anyhow!("segment {seg} does not exist"))?;
    if let Some(l) = tx
        .query_row(
            "SELECT entry_no FROM logged_segments WHERE segment_no = ?1",
            [seg],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
    {
        bail!("segment {seg} is already logged (logged segment {l})");
    }
    if description.trim().is_empty() {
        bail!("segment {seg} has no description");
    }
    // 2. Every line checked; all problems reported together. A line's checks depend only on
    //    its (template, group, salesperson, campaign), so the distinct combinations are read
    //    in one scan and checked; only when one fails are the failing lines listed.
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM segment_lines WHERE segment_no = ?1",
        [seg],
        |r| r.get(0),
    )?;
    if n == 0 {
        bail!("segment {seg} is empty");
    }
    type Combo = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let combos: Vec<Combo> = {
        let mut st = tx.prepare(
            "SELECT DISTINCT template_code, group_code, salesperson_code, campaign_no, date \
             FROM segment_lines WHERE segment_no = ?1",
        )?;
        let v = st
            .query_map([seg], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        v
    };
    let mut ok = true;
    {
        let mut template = tx.prepare("SELECT 1 FROM templates WHERE code = ?1")?;
        let mut salesperson = tx.prepare("SELECT 1 FROM salespeople WHERE code = ?1")?;
        let mut campaign = tx.prepare("SELECT 1 FROM campaigns WHERE no = ?1")?;
        for (t, g, sp, c, _) in &combos {
            ok &= match t {
                Some(t) => template.exists([t])?,
                None => false,
            };
            ok &= g.is_some();
            ok &= match sp {
                Some(sp) => salesperson.exists([sp])?,
                None => false,
            };
            if let Some(c) = c {
                ok &= campaign.exists([c])?;
            }
        }
    }
    if !ok {
        let bad: i64 = tx.query_row(
            &format!(
                "SELECT COUNT(*) FROM segment_lines l WHERE l.segment_no = ?1 AND ({PROBLEM}) IS NOT NULL"
            ),
            [seg],
            |r| r.get(0),
        )?;
        let mut st = tx.prepare(&format!(
            "SELECT l.line_no, l.contact_no, {PROBLEM} AS problem FROM segment_lines l \
             WHERE l.segment_no = ?1 AND problem IS NOT NULL ORDER BY l.line_no LIMIT 20"
        ))?;
        let shown: Vec<String> = st
            .query_map([seg], |r| {
                Ok(format!(
                    "line {} contact {}: {}",
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        bail!(
            "segment {seg} cannot be logged: {bad} line(s) have problems\n{}",
            shown.join("\n")
        );
    }
    phase("check", &mut t);
    // 3. Logged segment.
    let first_entry: i64 = tx.query_row(
        "SELECT COALESCE(MAX(entry_no), 0) + 1 FROM interaction_log_entries",
        [],
        |r| r.get(0),
    )?;
    let logged: i64 = tx.query_row(
        "SELECT COALESCE(MAX(entry_no), 0) + 1 FROM logged_segments",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO logged_segments VALUES (?1, ?2, ?3, ?4, ?5, 0)",
        params![logged, seg, description, today, c.user.as_str()],
    )?;
    // 4. One campaign entry per campaign of the lines, dated by its earliest line (ISO dates
    // sort as text).
    let mut earliest: std::collections::BTreeMap<String, String> =
        std::collections::BTreeMap::new();
    for (_, _, _, c, d) in &combos {
        if let Some(c) = c {
            let e = earliest.entry(c.clone()).or_insert_with(|| d.clone());
            if d < e {
                *e = d.clone();
            }
        }
    }
    let keys: Vec<(String, String)> = earliest.into_iter().collect();
    let first_ce: i64 = tx.query_row(
        "SELECT COALESCE(MAX(entry_no), 0) + 1 FROM campaign_entries",
        [],
        |r| r.get(0),
    )?;
    let mut ce_map: Vec<(String, String, i64)> = Vec::new();
    {
        let mut ins =
            tx.prepare("INSERT INTO campaign_entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)")?;
        for (k, (cn, date)) in keys.into_iter().enumerate() {
            let no = first_ce + k as i64;
            ins.execute(params![
                no,
                cn,
                description,
                date,
                c.user.as_str(),
                seg,
                salesperson,
                logged
            ])?;
            ce_map.push((cn, date, no));
        }
    }
    phase("logged segment + campaign entries", &mut t);
    // 5. Follow-up header: number from the segment series (advanced), criteria record.
    let series_code: String = tx
        .query_row(
            "SELECT segment_nos FROM marketing_setup WHERE id = 1",
            [],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten()
        .ok_or_else(|| anyhow!("no segment number series in marketing setup"))?;
    let mut series = load_series(&tx, &series_code)?;
    let before = series.lines.clone();
    let follow_up_no = series.draw(work_date)?.no;
    for (i, (old, new)) in before.iter().zip(&series.lines).enumerate() {
        if old != new {
            tx.execute(
                "UPDATE no_series_lines SET last_no_used = ?1, last_date_used = ?2, open = ?3 \
                 WHERE series_code = ?4 AND line_no = ?5",
                params![
                    new.last_no_used,
                    opt_str(&new.last_date_used),
                    new.open,
                    series_code,
                    (i as i64 + 1) * 10000
                ],
            )?;
        }
    }
    let fu_description = follow_up_description(&SegmentNo::new(seg)?);
    let fu = SegmentInteraction::default();
    tx.execute(
        "INSERT INTO segment_headers VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, 0, 0, '', NULL, ?6, ?7, ?8, ?9)",
        params![
            follow_up_no,
            fu_description,
            work_date.to_string(),
            salesperson,
            campaign,
            ix(CorrespondenceType::ALL, fu.correspondence_type_default),
            fu.ignore_contact_correspondence_type,
            ix(InformationFlow::ALL, fu.information_flow),
            ix(InitiatedBy::ALL, fu.initiated_by),
        ],
    )?;
    tx.execute(
        "INSERT INTO segment_criteria VALUES (?1, 1, 'ReuseLogged', '', ?2, ?3, 0)",
        params![follow_up_no, logged, n],
    )?;
    // A follow-up line's correspondence type: SPEC §2.5 with the new header (no override) and
    // no template, for each possible contact profile.
    let corr_of = |ct: CorrespondenceType, email: bool| {
        resolve_correspondence(
            Some(fu.header_correspondence()),
            CorrespondenceType::Blank,
            false,
            ContactProfile {
                correspondence_type: ct,
                has_email: email,
            },
        )
    };
    phase("follow-up header + series", &mut t);
    // 6. Entries and follow-up lines.
    match strategy {
        Strategy::InsertSelect => {
            // Entry numbers: the rowid SQLite gives each inserted row is MAX + 1, in insertion
            // order (checked below). Campaign entry numbers: the few just made, as a CASE.
            let mut p: Vec<Value> = vec![
                Value::from(seg.to_string()),
                Value::from(time.clone()),
                Value::from(c.user.to_string()),
                Value::from(logged),
            ];
            let mut case = String::from("CASE");
            for (cn, _, no) in &ce_map {
                case.push_str(&format!(" WHEN l.campaign_no = ?{} THEN {no}", p.len() + 1));
                p.push(Value::from(cn.clone()));
            }
            case.push_str(" END");
            if ce_map.is_empty() {
                case = "NULL".into();
            }
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO interaction_log_entries ({ENTRY_COLUMNS}) \
                     SELECT NULL, l.contact_no, \
                       l.contact_company_no, l.date, COALESCE(l.time, ?2), l.description, l.subject, \
                       l.information_flow, l.initiated_by, l.cost_cents, l.duration_min, ?3, \
                       l.group_code, l.template_code, l.campaign_no, {case}, \
                       l.segment_no, ?4, l.salesperson_code, l.correspondence_type, \
                       l.language_code, l.evaluation, l.attempt_failed, 0, 0 \
                     FROM segment_lines l WHERE l.segment_no = ?1 ORDER BY l.line_no"
                ),
                params_from_iter(p),
            )?;
            let last: i64 = tx.query_row(
                "SELECT MAX(entry_no) FROM interaction_log_entries",
                [],
                |r| r.get(0),
            )?;
            if last != first_entry + n - 1 {
                bail!(
                    "entries got numbers up to {last}, expected {first_entry}..{}",
                    first_entry + n - 1
                );
            }
            if inserted as i64 != n {
                bail!("inserted {inserted} entries for {n} lines");
            }
            phase("entries (INSERT … SELECT)", &mut t);
            // Follow-up lines from the entries just written (entry k of the run = line k, so
            // no window function and no read of the table being written), with the contact's
            // correspondence profile from `contacts` — as Business Central does when it makes a
            // segment line. (interlog keeps that profile on the line; contacts never change, so
            // the values are the same, and the read-back check compares every field.)
            let mut case = String::from("CASE c.correspondence_type * 2 + (c.email <> '')");
            for ct in CorrespondenceType::ALL {
                for email in [false, true] {
                    case.push_str(&format!(
                        " WHEN {} THEN {}",
                        ix(CorrespondenceType::ALL, *ct) * 2 + i64::from(email),
                        ix(CorrespondenceType::ALL, corr_of(*ct, email))
                    ));
                }
            }
            case.push_str(" END");
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO segment_lines ({LINE_COLUMNS}) \
                     SELECT ?1, (e.entry_no - ?2 + 1) * {LINE_NO_STEP}, e.contact_no, \
                       e.contact_company_no, c.correspondence_type, c.email <> '', \
                       NULL, NULL, ?3, 0, '', 0, 0, ?4, NULL, COALESCE(?5, e.salesperson_code), \
                       {case}, NULL, ?6, 0, ?7, ?8, 0 \
                     FROM interaction_log_entries e JOIN contacts c ON c.no = e.contact_no \
                     WHERE e.entry_no >= ?2 ORDER BY e.entry_no"
                ),
                params![
                    follow_up_no,
                    first_entry,
                    fu_description,
                    work_date.to_string(),
                    salesperson,
                    campaign,
                    ix(InformationFlow::ALL, InformationFlow::Blank),
                    ix(InitiatedBy::ALL, InitiatedBy::Blank),
                ],
            )?;
            if inserted as i64 != n {
                bail!("inserted {inserted} follow-up lines for {n} lines");
            }
            phase("follow-up lines (INSERT … SELECT)", &mut t);
        }
        Strategy::RowLoop => {
            let mut sel = tx.prepare(
                "SELECT contact_no, contact_company_no, date, time, description, subject, \
                   information_flow, initiated_by, cost_cents, duration_min, group_code, \
                   template_code, campaign_no, salesperson_code, correspondence_type, \
                   language_code, evaluation, attempt_failed, contact_correspondence_type, \
                   contact_has_email \
                 FROM segment_lines WHERE segment_no = ?1 ORDER BY line_no",
            )?;
            let mut ins_e = tx.prepare(&format!(
                "INSERT INTO interaction_log_entries ({ENTRY_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
                  ?19, ?20, ?21, ?22, ?23, 0, 0)"
            ))?;
            let mut ins_l = tx.prepare(&format!(
                "INSERT INTO segment_lines ({LINE_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, ?7, 0, '', 0, 0, ?8, NULL, ?9, ?10, NULL, \
                  ?11, 0, ?12, ?13, 0)"
            ))?;
            // Constant parameters bound once.
            ins_e.raw_bind_parameter(12, c.user.as_str())?;
            ins_e.raw_bind_parameter(17, seg)?;
            ins_e.raw_bind_parameter(18, logged)?;
            ins_l.raw_bind_parameter(1, &follow_up_no)?;
            ins_l.raw_bind_parameter(7, &fu_description)?;
            ins_l.raw_bind_parameter(8, work_date.to_string())?;
            ins_l.raw_bind_parameter(11, &campaign)?;
            ins_l.raw_bind_parameter(12, ix(InformationFlow::ALL, InformationFlow::Blank))?;
            ins_l.raw_bind_parameter(13, ix(InitiatedBy::ALL, InitiatedBy::Blank))?;
            let corr_table: Vec<i64> = CorrespondenceType::ALL
                .iter()
                .flat_map(|ct| [false, true].map(|e| ix(CorrespondenceType::ALL, corr_of(*ct, e))))
                .collect();
            let mut rows = sel.query([seg])?;
            let mut k: i64 = 0;
            while let Some(r) = rows.next()? {
                let entry_no = first_entry + k;
                k += 1;
                let g = |i: usize| r.get_ref(i);
                let v = |i: usize| r.get_ref(i).map(ToSqlOutput::Borrowed);
                ins_e.raw_bind_parameter(1, entry_no)?;
                ins_e.raw_bind_parameter(2, v(0)?)?;
                ins_e.raw_bind_parameter(3, v(1)?)?;
                ins_e.raw_bind_parameter(4, v(2)?)?;
                match g(3)? {
                    ValueRef::Null => ins_e.raw_bind_parameter(5, &time)?,
                    t => ins_e.raw_bind_parameter(5, ToSqlOutput::Borrowed(t))?,
                }
                for (p, col) in [(6, 4), (7, 5), (8, 6), (9, 7), (10, 8), (11, 9)] {
                    ins_e.raw_bind_parameter(p, v(col)?)?;
                }
                ins_e.raw_bind_parameter(13, v(10)?)?;
                ins_e.raw_bind_parameter(14, v(11)?)?;
                let cn = g(12)?;
                ins_e.raw_bind_parameter(15, ToSqlOutput::Borrowed(cn))?;
                let ce = match cn {
                    ValueRef::Text(cn) => ce_map
                        .iter()
                        .find(|(c, _, _)| c.as_bytes() == cn)
                        .map(|x| x.2),
                    _ => None,
                };
                ins_e.raw_bind_parameter(16, ce)?;
                let sp = g(13)?;
                ins_e.raw_bind_parameter(19, ToSqlOutput::Borrowed(sp))?;
                ins_e.raw_bind_parameter(20, v(14)?)?;
                ins_e.raw_bind_parameter(21, v(15)?)?;
                ins_e.raw_bind_parameter(22, v(16)?)?;
                ins_e.raw_bind_parameter(23, v(17)?)?;
                ins_e.raw_execute()?;
                ins_l.raw_bind_parameter(2, k * LINE_NO_STEP as i64)?;
                ins_l.raw_bind_parameter(3, v(0)?)?;
                ins_l.raw_bind_parameter(4, v(1)?)?;
                let ct = g(18)?.as_i64()?;
                let email = g(19)?.as_i64()?;
                ins_l.raw_bind_parameter(5, ct)?;
                ins_l.raw_bind_parameter(6, email)?;
                match &salesperson {
                    Some(s) => ins_l.raw_bind_parameter(9, s)?,
                    None => ins_l.raw_bind_parameter(9, ToSqlOutput::Borrowed(sp))?,
                }
                let corr = corr_table
                    .get((ct * 2 + email) as usize)
                    .copied()
                    .ok_or_else(|| anyhow!("bad contact correspondence type {ct}"))?;
                ins_l.raw_bind_parameter(10, corr)?;
                ins_l.raw_execute()?;
            }
            if k != n {
                bail!("inserted {k} entries for {n} lines");
            }
            phase("entries + follow-up lines (row loop)", &mut t);
        }
    }
    // 7. The logged segment's lines, criteria and header go.
    let deleted = tx.execute("DELETE FROM segment_lines WHERE segment_no = ?1", [seg])?;
    if deleted as i64 != n {
        bail!("deleted {deleted} lines of {n}");
    }
    tx.execute("DELETE FROM segment_criteria WHERE segment_no = ?1", [seg])?;
    tx.execute("DELETE FROM segment_headers WHERE no = ?1", [seg])?;
    phase("delete lines + header", &mut t);
    tx.commit()?;
    phase("commit", &mut t);
    Ok(Logged {
        entries: n as u64,
        follow_up_no,
    })
}

fn load_series(tx: &rusqlite::Transaction<'_>, code: &str) -> Result<NoSeries> {
    let (description, default_nos, manual_nos): (String, bool, bool) = tx
        .query_row(
            "SELECT description, default_nos, manual_nos FROM no_series WHERE code = ?1",
            [code],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| anyhow!("number series {code} does not exist"))?;
    let mut st = tx.prepare(
        "SELECT starting_date, starting_no, ending_no, warning_no, increment_by, last_no_used, \
           last_date_used, open FROM no_series_lines WHERE series_code = ?1 ORDER BY line_no",
    )?;
    let date = |s: Option<String>| -> rusqlite::Result<Option<NaiveDate>> {
        s.map(|s| {
            s.parse::<NaiveDate>().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
            })
        })
        .transpose()
    };
    let lines = st
        .query_map([code], |r| {
            Ok(SeriesLine {
                starting_date: date(r.get(0)?)?,
                starting_no: r.get(1)?,
                ending_no: r.get(2)?,
                warning_no: r.get(3)?,
                increment_by: r.get(4)?,
                last_no_used: r.get(5)?,
                last_date_used: date(r.get(6)?)?,
                open: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(NoSeries {
        code: SeriesCode::new(code)?,
        description,
        default_nos,
        manual_nos,
        lines,
    })
}

/// The timed child: open + configure + log in one transaction + COMMIT + fsync of the WAL
/// and of the directory.
pub fn child(dir: &Path, strategy: Strategy, settings: &Settings) -> Result<ChildReport> {
    let db = db_path(dir);
    if !db.is_file() {
        bail!("no SQLite database at {}", db.display());
    }
    let mut phases = Vec::new();
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let t0 = Instant::now();
    let mut conn = Connection::open_with_flags(
        &db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, settings)?;
    let out = log_segment(&mut conn, strategy, SEGMENT, &mut phases)?;
    // synchronous=NORMAL does not sync the WAL at COMMIT; synchronous=FULL would. Do exactly
    // that sync here, plus the directory (the WAL file was created by this run).
    let t = Instant::now();
    std::fs::File::open(wal_path(&db))
        .and_then(|f| f.sync_all())
        .context("fsync the WAL")?;
    fsync_dir(dir)?;
    phases.push(("fsync wal + dir".into(), ms_since(t)));
    let elapsed_s = t0.elapsed().as_secs_f64();
    let disk = disk_bytes(&db);
    // Closing checkpoints the WAL into the database file: after the clock.
    conn.close().map_err(|(_, e)| e)?;
    Ok(ChildReport {
        engine: "sqlite".into(),
        elapsed_s,
        entries: out.entries,
        follow_up_no: out.follow_up_no,
        disk_bytes: disk,
        strategy: Some(strategy.name().into()),
        phases_ms: phases,
        ..ChildReport::default()
    })
}

fn code<T>(s: String, f: fn(&str) -> Result<T, DomainError>) -> Result<T> {
    f(&s).map_err(|e| anyhow!("{e}"))
}

fn opt_code<T>(s: Option<String>, f: fn(&str) -> Result<T, DomainError>) -> Result<Option<T>> {
    s.map(|s| code(s, f)).transpose()
}

/// What a run left in the database: every entry (rebuilt as `LogEntry`, in number order) and
/// the follow-up lines (rebuilt as `SegmentLine`). Counts and sums come from SQL aggregates
/// and must match the rows read.
pub fn stats(dir: &Path, follow_up_no: &str) -> Result<Stats> {
    use crate::common::from_ix;
    let conn = Connection::open(db_path(dir))?;
    let (count, cost, dur): (i64, Option<i64>, Option<i64>) = conn.query_row(
        "SELECT COUNT(*), SUM(cost_cents), SUM(duration_min) FROM interaction_log_entries",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut s = Stats::default();
    let mut d = Digest::default();
    let mut st = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM interaction_log_entries ORDER BY entry_no"
    ))?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let e = LogEntry {
            entry_no: EntryNo(r.get::<_, i64>(0)? as u64),
            contact_no: code(r.get(1)?, ContactNo::new)?,
            contact_company_no: opt_code(r.get(2)?, ContactNo::new)?,
            date: r.get::<_, String>(3)?.parse()?,
            time_of_interaction: r.get::<_, String>(4)?.parse()?,
            description: r.get(5)?,
            subject: r.get(6)?,
            information_flow: from_ix(InformationFlow::ALL, r.get(7)?, "information flow")?,
            initiated_by: from_ix(InitiatedBy::ALL, r.get(8)?, "initiated by")?,
            cost: Money(r.get::<_, i64>(9)? as u64),
            duration_min: r.get(10)?,
            user_id: r.get(11)?,
            group_code: code(r.get(12)?, GroupCode::new)?,
            template_code: code(r.get(13)?, TemplateCode::new)?,
            campaign_no: opt_code(r.get(14)?, CampaignNo::new)?,
            campaign_entry_no: r
                .get::<_, Option<i64>>(15)?
                .map(|n| CampaignEntryNo(n as u64)),
            segment_no: opt_code(r.get(16)?, SegmentNo::new)?,
            logged_segment_entry_no: r
                .get::<_, Option<i64>>(17)?
                .map(|n| LoggedSegmentNo(n as u64)),
            salesperson_code: code(r.get(18)?, SalespersonCode::new)?,
            correspondence_type: from_ix(CorrespondenceType::ALL, r.get(19)?, "correspondence")?,
            language_code: opt_code(r.get(20)?, LanguageCode::new)?,
            evaluation: from_ix(Evaluation::ALL, r.get(21)?, "evaluation")?,
            attempt_failed: r.get(22)?,
            postponed: r.get(23)?,
            canceled: r.get(24)?,
            comments: Vec::new(),
        };
        s.add_entry(&e, &mut d);
    }
    s.entries_digest = d.value();
    drop(rows);
    if s.entries != count as u64
        || s.cost_cents != cost.unwrap_or(0) as u64
        || s.duration_min != dur.unwrap_or(0) as u64
    {
        bail!("SQLite aggregates ({count}, {cost:?}, {dur:?}) disagree with its rows {s:?}");
    }
    let left: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM segment_lines WHERE segment_no = ?1) \
              + (SELECT COUNT(*) FROM segment_headers WHERE no = ?1)",
        [SEGMENT],
        |r| r.get(0),
    )?;
    if left != 0 {
        bail!("SQLite: segment {SEGMENT} still has {left} header/line rows after logging");
    }
    let mut d = Digest::default();
    let mut st = conn.prepare(&format!(
        "SELECT {LINE_COLUMNS} FROM segment_lines WHERE segment_no = ?1 ORDER BY line_no"
    ))?;
    let mut rows = st.query([follow_up_no])?;
    while let Some(r) = rows.next()? {
        let l = SegmentLine {
            line_no: r.get::<_, i64>(1)? as u64,
            contact_no: code(r.get(2)?, ContactNo::new)?,
            contact_company_no: opt_code(r.get(3)?, ContactNo::new)?,
            contact_profile: ContactProfile {
                correspondence_type: from_ix(CorrespondenceType::ALL, r.get(4)?, "profile")?,
                has_email: r.get(5)?,
            },
            template_code: opt_code(r.get(6)?, TemplateCode::new)?,
            group_code: opt_code(r.get(7)?, GroupCode::new)?,
            description: r.get(8)?,
            description_typed: r.get(9)?,
            subject: r.get(10)?,
            cost: Money(r.get::<_, i64>(11)? as u64),
            duration_min: r.get(12)?,
            date: r.get::<_, String>(13)?.parse()?,
            time: r
                .get::<_, Option<String>>(14)?
                .map(|t| t.parse())
                .transpose()?,
            salesperson_code: opt_code(r.get(15)?, SalespersonCode::new)?,
            correspondence_type: from_ix(CorrespondenceType::ALL, r.get(16)?, "correspondence")?,
            language_code: opt_code(r.get(17)?, LanguageCode::new)?,
            campaign_no: opt_code(r.get(18)?, CampaignNo::new)?,
            evaluation: from_ix(Evaluation::ALL, r.get(19)?, "evaluation")?,
            information_flow: from_ix(InformationFlow::ALL, r.get(20)?, "information flow")?,
            initiated_by: from_ix(InitiatedBy::ALL, r.get(21)?, "initiated by")?,
            attempt_failed: r.get(22)?,
        };
        s.add_line(&l, &mut d);
    }
    s.follow_up_digest = d.value();
    Ok(s)
}

/// The timed child of the nightly mix (`examples/nightly.rs`): open + configure, then every
/// segment of `segs` in order, each logged in its own transaction and made durable (WAL fsync,
/// and the directory after the first, which created the WAL) before the next — what
/// `interlog batch run` does with a job of log steps. Each segment's time is a phase.
#[allow(dead_code)] // used by examples/nightly.rs, not by compare
pub fn child_many(
    dir: &Path,
    strategy: Strategy,
    settings: &Settings,
    segs: &[String],
) -> Result<ChildReport> {
    let db = db_path(dir);
    if !db.is_file() {
        bail!("no SQLite database at {}", db.display());
    }
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let t0 = Instant::now();
    let mut conn = Connection::open_with_flags(
        &db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, settings)?;
    let mut entries = 0;
    let mut per_segment = Vec::with_capacity(segs.len());
    for (k, seg) in segs.iter().enumerate() {
        let t = Instant::now();
        let mut phases = Vec::new();
        let out = log_segment(&mut conn, strategy, seg, &mut phases)?;
        std::fs::File::open(wal_path(&db))
            .and_then(|f| f.sync_all())
            .context("fsync the WAL")?;
        if k == 0 {
            fsync_dir(dir)?;
        }
        entries += out.entries;
        per_segment.push((seg.clone(), ms_since(t)));
    }
    let elapsed_s = t0.elapsed().as_secs_f64();
    let disk = disk_bytes(&db);
    conn.close().map_err(|(_, e)| e)?;
    Ok(ChildReport {
        engine: "sqlite".into(),
        elapsed_s,
        entries,
        disk_bytes: disk,
        strategy: Some(strategy.name().into()),
        phases_ms: per_segment,
        ..ChildReport::default()
    })
}

/// Entries, logged segments and segments left in the SQLite database at `dir` (untimed).
#[allow(dead_code)] // used by examples/nightly.rs, not by compare
pub fn totals(dir: &Path) -> Result<(u64, u64, u64)> {
    let conn = Connection::open(db_path(dir))?;
    let count =
        |sql: &str| -> Result<u64> { Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
    Ok((
        count("SELECT COUNT(*) FROM interaction_log_entries")?,
        count("SELECT COUNT(*) FROM logged_segments")?,
        count("SELECT COUNT(*) FROM segment_headers")?,
    ))
}
