//! Companies on the PostgreSQL backend, through the binary: `init --shard`, `company add |
//! list | place | move`, placement spread over shards, tenant isolation across a move, a move
//! keeping every row (counts and digests), refused while it runs, an interrupted move finished
//! or undone by running it again, and the refusals for a missing company, an uninitialised
//! catalog and commands that do not run on PostgreSQL yet.
#![cfg(feature = "pg")]

mod common;

use std::process::{Command, Output};

use common::pg::fresh_db;
use serde_json::Value;

/// The binary on a PostgreSQL catalog.
struct Pg {
    catalog: String,
}

impl Pg {
    fn new() -> Pg {
        Pg {
            catalog: fresh_db(0, "catalog"),
        }
    }

    /// Runs `interlog --store CATALOG --work-date 2025-03-14 --user TESTER ARGS…`.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .arg("--store")
            .arg(&self.catalog)
            .args(["--work-date", "2025-03-14", "--user", "TESTER"])
            .args(args)
            .env_remove("INTERLOG_STORE")
            .env_remove("INTERLOG_COMPANY")
            .output()
            .expect("run interlog")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed with {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let text = self.ok(&a);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
    }

    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed on failure");
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        stderr
    }

    /// A catalog with two fresh shards (node 1 and node 2), initialised.
    fn with_two_shards() -> (Pg, String, String) {
        let p = Pg::new();
        let s1 = fresh_db(1, "shard");
        let s2 = fresh_db(2, "shard");
        p.ok(&["init", "--shard", &s1, "--shard", &s2]);
        (p, s1, s2)
    }

    fn company_id(&self, code: &str) -> i32 {
        let c = self.json(&["company", "place", code]);
        c["company_id"].as_i64().expect("company_id") as i32
    }

    fn sql(&self) -> postgres::Client {
        interlog::pg::connect(&self.catalog).expect("connect to the catalog")
    }
}

fn db(url: &str) -> postgres::Client {
    interlog::pg::connect(url).expect("connect to a shard")
}

/// Gives company `id` on a shard `n` contacts, `n` entries with a comment each and a segment
/// with `n` lines (what the log and the segment commands will write), by SQL.
fn seed(url: &str, id: i32, prefix: &str, n: i32) {
    let mut c = db(url);
    let mut tx = c.transaction().unwrap();
    tx.execute(
        "INSERT INTO contact (company_id, no, name, kind, email, city)
         SELECT $1, $2 || lpad(g::text, 6, '0'), 'Contact ' || g, 'person', 'c' || g || '@x.example', 'Leeds'
         FROM generate_series(1, $3) g",
        &[&id, &prefix, &n],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO interaction_log_entry (company_id, entry_no, contact_no, date,
             time_of_interaction, description, cost, user_id, group_code, template_code,
             salesperson_code, evaluation)
         SELECT $1, g, $2 || lpad(g::text, 6, '0'), DATE '2025-03-14' + (g % 30), TIME '09:30',
             'Letter ' || g, 12.34 * g, 'TESTER', 'LETTER', 'BUS', 'JO',
             CASE WHEN g % 2 = 0 THEN 'positive' ELSE 'none' END
         FROM generate_series(1, $3) g",
        &[&id, &prefix, &n],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO interaction_comment (company_id, entry_no, line_no, date, text)
         SELECT $1, g, 10000, DATE '2025-03-14', 'call back ' || g FROM generate_series(1, $2) g",
        &[&id, &n],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO segment_header (company_id, no, description, date) VALUES ($1, 'SM00001', $2, '2025-03-14')",
        &[&id, &format!("{prefix} mailing")],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO segment_line (company_id, segment_no, line_no, contact_no, date, cost)
         SELECT $1, 'SM00001', g * 10000, $2 || lpad(g::text, 6, '0'), '2025-03-14', 1.50
         FROM generate_series(1, $3) g",
        &[&id, &prefix, &n],
    )
    .unwrap();
    tx.commit().unwrap();
}

/// Every row of company `id` on a shard, table by table, as sorted text: equal text = equal
/// rows.
fn rows_of(url: &str, id: i32) -> Vec<(String, i64, String)> {
    let mut c = db(url);
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND column_name = 'company_id'
             ORDER BY table_name",
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
                        "SELECT count(*), coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')
                         FROM {t} x WHERE company_id = $1"
                    ),
                    &[&id],
                )
                .unwrap();
            (t, r.get(0), r.get(1))
        })
        .collect()
}

fn total(rows: &[(String, i64, String)]) -> i64 {
    rows.iter().map(|r| r.1).sum()
}

#[test]
fn init_registers_shards_migrates_them_and_is_safe_to_run_again() {
    let p = Pg::new();
    let s1 = fresh_db(1, "shard");
    let s2 = fresh_db(2, "shard");
    let r = p.json(&["init", "--shard", &s1, "--shard", &s2]);
    assert_eq!(r["catalog_migrations"], serde_json::json!([1, 2]), "{r}");
    let shards = r["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 2);
    assert_eq!(shards[0]["shard_id"], 1);
    assert_eq!(shards[0]["added"], true);
    assert_eq!(shards[1]["url"], s2.as_str());
    assert!(!shards[1]["migrations"].as_array().unwrap().is_empty());

    // Again: nothing to add or migrate; the shards are still there.
    let again = p.json(&["init"]);
    assert_eq!(again["catalog_migrations"], serde_json::json!([]));
    assert_eq!(again["shards"].as_array().unwrap().len(), 2);
    assert!(again["shards"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["added"] == false && s["migrations"] == serde_json::json!([])));
    let text = p.ok(&["init", "--shard", &s1]);
    assert!(text.contains("schema up to date"), "{text}");
    let twice = p.json(&["init", "--shard", &s2, "--shard", &s2]);
    assert_eq!(twice["shards"].as_array().unwrap().len(), 2);

    // The same database under another spelling, or the catalog itself, is not a new shard.
    let respelled = s1.replacen("postgres://", "postgresql://", 1);
    let err = p.fails(&["init", "--shard", &respelled], 1);
    assert!(err.contains("is the same database as"), "{err}");
    let err = p.fails(&["init", "--shard", &p.catalog], 1);
    assert!(
        err.contains("same database") || err.contains("is an interlog catalog"),
        "{err}"
    );
    // A shard is not a catalog.
    let wrong = Pg {
        catalog: s1.clone(),
    };
    let err = wrong.fails(&["company", "list"], 3);
    assert!(
        err.contains("is an interlog shard database, not a catalog"),
        "{err}"
    );
}

#[test]
fn companies_are_spread_over_the_shards_with_the_setup_of_a_new_store() {
    let (p, s1, s2) = Pg::with_two_shards();
    let a = p.json(&["company", "add", "CRONUS", "--name", "CRONUS UK Ltd."]);
    let b = p.json(&["company", "add", "fabrikam"]);
    let c = p.json(&["company", "add", "LITWARE"]);
    assert_eq!(a["shard_id"], 1);
    assert_eq!(b["shard_id"], 2, "the emptier shard");
    assert_eq!(b["code"], "FABRIKAM", "codes are upper-cased");
    assert_eq!(c["shard_id"], 1);
    assert_eq!(a["state"], "active");
    assert_eq!(a["name"], "CRONUS UK Ltd.");
    let d = p.json(&["company", "add", "ADATUM", "--shard", "2"]);
    assert_eq!(d["shard_id"], 2);

    let list = p.json(&["company", "list"]);
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ADATUM", "CRONUS", "FABRIKAM", "LITWARE"]);
    assert_eq!(list[2]["shard_url"], s2.as_str());
    let text = p.ok(&["company", "list"]);
    assert!(
        text.contains("CRONUS UK Ltd.") && text.contains("active"),
        "{text}"
    );

    let place = p.json(&["company", "place"]);
    assert_eq!(place["next_shard"], 1, "2 and 2: the lowest id");
    assert_eq!(place["shards"][1]["companies"], 2);
    assert_eq!(
        place["shards"][1]["company_codes"],
        serde_json::json!(["ADATUM", "FABRIKAM"])
    );
    let one = p.json(&["company", "place", "--company", "litware"]);
    assert_eq!(one["shard_id"], 1);
    assert!(p.ok(&["company", "place"]).contains("next"));

    // What `interlog init` gives a new store: CONT, SEGM, CAMP wired into marketing setup.
    let id = a["company_id"].as_i64().unwrap() as i32;
    let mut shard = db(&s1);
    let series: Vec<(String, String, Option<String>)> = shard
        .query(
            "SELECT s.code, l.starting_no, l.ending_no FROM no_series s
             JOIN no_series_line l ON l.company_id = s.company_id AND l.series_code = s.code
             WHERE s.company_id = $1 ORDER BY s.code",
            &[&id],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        series,
        [
            ("CAMP".into(), "CP0001".into(), Some("CP9999".into())),
            ("CONT".into(), "CT000001".into(), Some("CT100000".into())),
            ("SEGM".into(), "SM00001".into(), Some("SM99999".into())),
        ]
    );
    let setup = shard
        .query_one(
            "SELECT contact_nos, segment_nos, campaign_nos, default_correspondence_type
             FROM marketing_setup WHERE company_id = $1",
            &[&id],
        )
        .unwrap();
    assert_eq!(setup.get::<_, Option<String>>(0).as_deref(), Some("CONT"));
    assert_eq!(setup.get::<_, String>(3), "email");

    let err = p.fails(&["company", "add", "CRONUS"], 1);
    assert!(
        err.contains("company CRONUS already exists (on shard 1)"),
        "{err}"
    );
    let err = p.fails(&["company", "add", "NEW", "--shard", "9"], 1);
    assert!(err.contains("there is no shard 9"), "{err}");
    let err = p.fails(
        &["company", "add", "A-CODE-FAR-LONGER-THAN-THIRTY-CHARACTERS"],
        2,
    );
    assert!(err.contains("company code"), "{err}");
}

#[test]
fn a_crashed_add_is_invisible_and_completed_by_running_it_again() {
    let (p, s1, s2) = Pg::with_two_shards();
    // The shard rows of an add whose catalog row never came (a crash in between).
    let mut cat = p.sql();
    let id: i32 = cat
        .query_one("SELECT nextval('company_id_seq')::integer", &[])
        .unwrap()
        .get(0);
    let mut shard = db(&s1);
    shard
        .execute(
            "INSERT INTO company (company_id, code) VALUES ($1, 'CRONUS')",
            &[&id],
        )
        .unwrap();
    assert_eq!(p.json(&["company", "list"]), serde_json::json!([]));
    let c = p.json(&["company", "add", "CRONUS", "--shard", "1"]);
    assert_eq!(c["company_id"], id, "the shard's rows are adopted");
    // A new company never gets the id of an unfinished add.
    let d = p.json(&["company", "add", "OTHER"]);
    assert_ne!(d["company_id"], id);

    // Two adds of one code at once: one adds it, the other is told it exists, and the shards
    // hold one company of that code.
    let racers: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_interlog"))
                .args(["--store", &p.catalog, "company", "add", "RACE"])
                .env_remove("INTERLOG_COMPANY")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = racers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let won = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(won, 1, "{outs:?}");
    let lost = outs.iter().find(|o| !o.status.success()).unwrap();
    assert!(
        String::from_utf8_lossy(&lost.stderr).contains("company RACE already exists"),
        "{lost:?}"
    );
    let race_rows: i64 = [&s1, &s2]
        .iter()
        .map(|u| {
            db(u)
                .query_one("SELECT count(*) FROM company WHERE code = 'RACE'", &[])
                .unwrap()
                .get::<_, i64>(0)
        })
        .sum();
    assert_eq!(race_rows, 1);
}

#[test]
fn a_move_keeps_every_row_and_never_touches_another_companys() {
    let (p, s1, s2) = Pg::with_two_shards();
    p.ok(&["company", "add", "CRONUS", "--shard", "1"]);
    p.ok(&["company", "add", "FABRIKAM", "--shard", "1"]);
    let a = p.company_id("CRONUS");
    let b = p.company_id("FABRIKAM");
    seed(&s1, a, "CA", 2000);
    seed(&s1, b, "FB", 700);
    let a_before = rows_of(&s1, a);
    let b_before = rows_of(&s1, b);
    assert!(total(&a_before) > 8000);

    let r = p.json(&["company", "move", "CRONUS", "--to-shard", "2"]);
    assert_eq!(r["outcome"], "moved");
    assert_eq!(r["from_shard"], 1);
    assert_eq!(r["to_shard"], 2);
    assert_eq!(r["resumed"], false);
    assert_eq!(r["rows"].as_i64().unwrap(), total(&a_before));
    let entries = r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "interaction_log_entry")
        .unwrap();
    assert_eq!(entries["rows"], 2000);

    // Every row of A is on shard 2, exactly; none is left on shard 1; B did not change.
    assert_eq!(rows_of(&s2, a), a_before);
    assert_eq!(total(&rows_of(&s1, a)), 0);
    assert_eq!(rows_of(&s1, b), b_before);
    assert_eq!(
        total(&rows_of(&s2, b)),
        0,
        "B's rows never reach A's new shard"
    );
    let list = p.json(&["company", "list"]);
    assert_eq!(list[0]["code"], "CRONUS");
    assert_eq!(list[0]["shard_id"], 2);
    assert_eq!(list[0]["state"], "active");
    assert_eq!(list[0]["leftover_on"], Value::Null);

    // And back, with the same digests.
    let back = p.json(&["company", "move", "--to-shard", "1", "--company", "CRONUS"]);
    assert_eq!(back["tables"], r["tables"]);
    assert_eq!(rows_of(&s1, a), a_before);
    assert_eq!(rows_of(&s1, b), b_before);
    let text = p.ok(&["company", "move", "CRONUS", "--to-shard", "1"]);
    assert!(text.contains("is on shard 1 already"), "{text}");
}

#[test]
fn a_company_being_moved_is_refused_and_running_the_move_again_finishes_it() {
    let (p, s1, s2) = Pg::with_two_shards();
    let s3 = fresh_db(1, "shard");
    p.ok(&["init", "--shard", &s3]);
    p.ok(&["company", "add", "CRONUS", "--shard", "1"]);
    let a = p.company_id("CRONUS");
    seed(&s1, a, "CA", 500);
    let before = rows_of(&s1, a);
    // A move to shard 2 interrupted half-way: the catalog says moving, shard 2 holds part of
    // a copy.
    p.sql()
        .execute(
            "UPDATE company SET state = 'moving', moving_to = 2 WHERE company_id = $1",
            &[&a],
        )
        .unwrap();
    let mut shard2 = db(&s2);
    shard2
        .execute(
            "INSERT INTO company (company_id, code) VALUES ($1, 'CRONUS')",
            &[&a],
        )
        .unwrap();
    shard2
        .execute(
            "INSERT INTO contact (company_id, no, kind) VALUES ($1, 'CA000001', 'person'), ($1, 'CA000002', 'person')",
            &[&a],
        )
        .unwrap();

    // Nothing may work on it meanwhile.
    let mut cat = interlog::pg::catalog::Catalog::open(&p.catalog).unwrap();
    let err = cat.connect_company("CRONUS").err().unwrap().to_string();
    assert!(
        err.contains("company CRONUS is being moved from shard 1 to shard 2"),
        "{err}"
    );
    let list = p.json(&["company", "list"]);
    assert_eq!(list[0]["state"], "moving");
    assert_eq!(list[0]["moving_to"], 2);
    assert!(p.ok(&["company", "list"]).contains("moving to shard 2"));
    let err = p.fails(&["company", "move", "CRONUS", "--to-shard", "3"], 1);
    assert!(err.contains("--to-shard 2` finishes it"), "{err}");

    // Another process moving it holds the move lock: this one does not run beside it.
    let mut holder = p.sql();
    holder
        .execute("SELECT pg_advisory_lock(7429002, $1)", &[&a])
        .unwrap();
    let err = p.fails(&["company", "move", "CRONUS", "--to-shard", "2"], 1);
    assert!(
        err.contains("another interlog process is moving company CRONUS"),
        "{err}"
    );
    drop(holder);

    let r = p.json(&["company", "move", "CRONUS", "--to-shard", "2"]);
    assert_eq!(r["resumed"], true);
    assert_eq!(r["rows"].as_i64().unwrap(), total(&before));
    assert_eq!(rows_of(&s2, a), before, "the partial copy was replaced");
    assert_eq!(total(&rows_of(&s1, a)), 0);
    assert!(cat.connect_company("CRONUS").is_ok());
}

#[test]
fn an_interrupted_move_is_undone_by_moving_to_the_shard_it_is_on() {
    let (p, s1, s2) = Pg::with_two_shards();
    p.ok(&["company", "add", "CRONUS", "--shard", "1"]);
    let a = p.company_id("CRONUS");
    seed(&s1, a, "CA", 50);
    let before = rows_of(&s1, a);
    p.sql()
        .execute(
            "UPDATE company SET state = 'moving', moving_to = 2 WHERE company_id = $1",
            &[&a],
        )
        .unwrap();
    db(&s2)
        .execute(
            "INSERT INTO company (company_id, code) VALUES ($1, 'CRONUS')",
            &[&a],
        )
        .unwrap();
    let text = p.ok(&["company", "move", "CRONUS", "--to-shard", "1"]);
    assert!(text.contains("undid the interrupted move"), "{text}");
    assert_eq!(total(&rows_of(&s2, a)), 0);
    assert_eq!(rows_of(&s1, a), before);
    let c = p.json(&["company", "place", "CRONUS"]);
    assert_eq!(c["state"], "active");
    assert_eq!(c["shard_id"], 1);

    // A switched move whose old copy was not deleted yet: the next move deletes it.
    p.ok(&["company", "move", "CRONUS", "--to-shard", "2"]);
    db(&s1)
        .execute(
            "INSERT INTO company (company_id, code) VALUES ($1, 'CRONUS')",
            &[&a],
        )
        .unwrap();
    seed(&s1, a, "CA", 10);
    p.sql()
        .execute(
            "UPDATE company SET leftover_on = 1 WHERE company_id = $1",
            &[&a],
        )
        .unwrap();
    let r = p.json(&["company", "move", "CRONUS", "--to-shard", "2"]);
    assert_eq!(r["outcome"], "already-there");
    assert_eq!(r["leftover_removed"], 1);
    assert_eq!(total(&rows_of(&s1, a)), 0);
    assert_eq!(rows_of(&s2, a), before);
}

#[test]
fn refusals_name_the_missing_company_the_uninitialised_catalog_and_what_runs_on_pg() {
    let fresh = Pg::new();
    let err = fresh.fails(&["company", "list"], 3);
    assert!(
        err.contains("is not an interlog catalog yet — run `interlog --store"),
        "{err}"
    );
    let err = fresh.fails(&["init"], 1);
    assert!(err.contains("has no shard"), "{err}");

    let (p, _s1, _s2) = Pg::with_two_shards();
    p.ok(&["company", "add", "CRONUS"]);
    p.ok(&["company", "add", "FABRIKAM"]);
    let err = p.fails(&["company", "move", "--to-shard", "2"], 2);
    assert!(
        err.contains("pass --company CODE") && err.contains("CRONUS, FABRIKAM"),
        "{err}"
    );
    let err = p.fails(&["company", "place", "NOPE"], 1);
    assert!(
        err.contains("there is no company NOPE — the companies are: CRONUS, FABRIKAM"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args(["--store", &p.catalog, "company", "place"])
        .env("INTERLOG_COMPANY", "fabrikam")
        .env_remove("INTERLOG_STORE")
        .args(["--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "FABRIKAM", "INTERLOG_COMPANY names the company");

    // A catalog migrated by a newer interlog is left alone.
    p.sql()
        .execute(
            "INSERT INTO interlog_schema (version, name) VALUES (99, 'from the future')",
            &[],
        )
        .unwrap();
    let err = p.fails(&["company", "list"], 3);
    assert!(
        err.contains("has schema version 99, this interlog knows up to 2 — upgrade interlog"),
        "{err}"
    );
    p.sql()
        .execute("DELETE FROM interlog_schema WHERE version = 99", &[])
        .unwrap();

    let err = p.fails(&["segment", "list"], 2);
    assert!(
        err.contains("`interlog segment` does not run on the PostgreSQL backend yet")
            && err.contains("company move"),
        "{err}"
    );
    assert!(p.ok(&["filters"]).contains("Filter"), "help needs no store");

    // A store directory has no companies or shards.
    let dir = tempfile::TempDir::new().unwrap();
    let store = dir.path().join("store");
    let sled = Pg {
        catalog: store.to_string_lossy().into_owned(),
    };
    let err = sled.fails(&["company", "list"], 2);
    assert!(err.contains("works on a PostgreSQL store"), "{err}");
    let err = sled.fails(&["init", "--shard", "postgres://127.0.0.1/x"], 2);
    assert!(err.contains("a store directory has no shards"), "{err}");
    assert!(!store.exists());
}

#[test]
fn a_move_killed_at_any_instant_is_finished_by_running_it_again() {
    let (p, s1, s2) = Pg::with_two_shards();
    p.ok(&["company", "add", "CRONUS", "--shard", "1"]);
    p.ok(&["company", "add", "FABRIKAM", "--shard", "1"]);
    let a = p.company_id("CRONUS");
    let b = p.company_id("FABRIKAM");
    seed(&s1, a, "CA", 6000);
    seed(&s1, b, "FB", 100);
    let before = rows_of(&s1, a);
    let b_before = rows_of(&s1, b);
    let shards = [(1, &s1), (2, &s2)];
    let mut at = 1;
    for delay_ms in [30, 200, 500] {
        let to = 3 - at;
        let mut child = Command::new(env!("CARGO_BIN_EXE_interlog"))
            .args([
                "--store",
                &p.catalog,
                "company",
                "move",
                "CRONUS",
                "--to-shard",
            ])
            .arg(to.to_string())
            .env_remove("INTERLOG_COMPANY")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL, wherever it is (or it already finished)
        let _ = child.wait();
        let left = p.json(&["company", "place", "CRONUS"]);
        eprintln!(
            "killed at {delay_ms} ms: state {}, shard {}, leftover {}",
            left["state"], left["shard_id"], left["leftover_on"]
        );
        // Running it again finishes it, once the servers have noticed the dead client.
        let mut tries = 0;
        loop {
            let out = p.run(&["company", "move", "CRONUS", "--to-shard", &to.to_string()]);
            if out.status.success() {
                break;
            }
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            tries += 1;
            assert!(
                err.contains("is moving company CRONUS right now") && tries < 50,
                "after a kill at {delay_ms} ms: {err}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let c = p.json(&["company", "place", "CRONUS"]);
        assert_eq!(c["shard_id"], to, "kill at {delay_ms} ms");
        assert_eq!(c["state"], "active");
        assert_eq!(c["leftover_on"], Value::Null);
        for (id, url) in shards {
            if id == to {
                assert_eq!(rows_of(url, a), before, "kill at {delay_ms} ms");
            } else {
                assert_eq!(total(&rows_of(url, a)), 0, "kill at {delay_ms} ms");
            }
        }
        assert_eq!(rows_of(&s1, b), b_before, "the other company is untouched");
        at = to;
    }
}
