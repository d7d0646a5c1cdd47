//! The PostgreSQL schema (feature `pg`): migrations apply once and in order, a newer database is
//! refused, every primary key and unique index of a shard leads with `company_id` (so Citus's
//! `create_distributed_table(t, 'company_id')` would work unchanged), and money keeps its cents.
#![cfg(feature = "pg")]

mod common;

use common::pg::fresh_db;
use interlog::domain::Money;
use interlog::pg::{self, schema, PgError};

#[test]
fn migrations_apply_once_and_record_their_version() {
    for (set, node) in [(schema::CATALOG, 0), (schema::SHARD, 1)] {
        let url = fresh_db(node, "mig");
        let mut c = pg::connect(&url).unwrap();
        assert_eq!(pg::schema_version(&mut c).unwrap(), 0);
        let applied = pg::migrate_schema(&mut c, &url, set).unwrap();
        assert_eq!(applied, (1..=set.len() as i32).collect::<Vec<_>>());
        assert_eq!(pg::schema_version(&mut c).unwrap(), set.len() as i32);
        // Again: nothing to do.
        assert!(pg::migrate_schema(&mut c, &url, set).unwrap().is_empty());
    }
}

#[test]
fn a_database_migrated_by_a_newer_interlog_is_refused() {
    let url = fresh_db(1, "newer");
    let mut c = pg::connect(&url).unwrap();
    pg::migrate_schema(&mut c, &url, schema::SHARD).unwrap();
    c.execute(
        "INSERT INTO interlog_schema (version, name) VALUES (999, 'from the future')",
        &[],
    )
    .unwrap();
    let err = pg::migrate_schema(&mut c, &url, schema::SHARD).unwrap_err();
    assert!(matches!(err, PgError::TooNew { found: 999, .. }), "{err}");
    assert!(err.to_string().contains("upgrade interlog"), "{err}");
}

#[test]
fn every_key_and_index_of_a_shard_leads_with_company_id() {
    let url = fresh_db(2, "keys");
    let mut c = pg::connect(&url).unwrap();
    pg::migrate_schema(&mut c, &url, schema::SHARD).unwrap();
    // Every index (primary keys and unique constraints are indexes) with its first column.
    let rows = c
        .query(
            "SELECT t.relname::text, i.relname::text, a.attname::text
               FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid
               JOIN pg_class t ON t.oid = x.indrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
              WHERE n.nspname = 'public' AND t.relname <> 'interlog_schema'",
            &[],
        )
        .unwrap();
    assert!(
        rows.len() >= 20,
        "expected the shard's indexes, found {}",
        rows.len()
    );
    let wrong: Vec<String> = rows
        .iter()
        .filter(|r| r.get::<_, String>(2) != "company_id")
        .map(|r| {
            format!(
                "{}.{} starts with {}",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "indexes not led by company_id: {wrong:?}");
    // And every table has a company_id column.
    let tables = c
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'interlog_schema'
                AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                 WHERE a.attrelid = c.oid AND a.attname = 'company_id')",
            &[],
        )
        .unwrap();
    let missing: Vec<String> = tables.iter().map(|r| r.get(0)).collect();
    assert!(missing.is_empty(), "tables without company_id: {missing:?}");
}

#[test]
fn money_keeps_its_cents_through_the_server() {
    let url = fresh_db(1, "money");
    let mut c = pg::connect(&url).unwrap();
    c.batch_execute("CREATE TABLE m (v numeric(17,2))").unwrap();
    for cents in [0u64, 1, 99, 12_34, 10_000_000, Money::MAX.0] {
        c.execute("DELETE FROM m", &[]).unwrap();
        c.execute("INSERT INTO m VALUES ($1)", &[&Money(cents)])
            .unwrap();
        let back: Money = c.query_one("SELECT v FROM m", &[]).unwrap().get(0);
        assert_eq!(back, Money(cents));
        let text: String = c.query_one("SELECT v::text FROM m", &[]).unwrap().get(0);
        assert_eq!(text, Money(cents).to_string());
    }
    // A negative amount in the table is refused on read, not turned into money.
    c.execute("UPDATE m SET v = -1", &[]).unwrap();
    assert!(c
        .query_one("SELECT v FROM m", &[])
        .unwrap()
        .try_get::<_, Money>(0)
        .is_err());
}
