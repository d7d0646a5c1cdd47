//! `interlog migrate --from A --to B --company CODE`: an embedded store into a company on a
//! PostgreSQL cluster, or a company back into a new embedded store. Exactly one of `--from` /
//! `--to` is a `postgres://` URL (the catalog); the other is a store directory.
//!
//! Into PostgreSQL: the store's records go to the company's shard in batches (one transaction
//! each, resumable by running the same command again), then both sides' per-kind counts and
//! digests are compared and the command fails unless they are equal. Back: the company is
//! written as the embedded store's dump and loaded into a new store (verified, renamed into
//! place at the end), whose digests are compared with the company's.

use std::path::PathBuf;

use clap::Args;

use super::output::Out;

/// `interlog migrate`.
#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Where the data is: a store directory, or a `postgres://` catalog URL (with --company).
    #[arg(long)]
    pub from: PathBuf,
    /// Where it goes: a `postgres://` catalog URL (with --company), or a new store directory.
    #[arg(long)]
    pub to: PathBuf,
}

#[cfg(not(feature = "pg"))]
/// Refused: this build has no PostgreSQL backend.
pub fn run(_a: MigrateArgs, _company: Option<String>, _out: Out) -> anyhow::Result<()> {
    Err(super::pg::refuse(
        "migrate moves data to or from PostgreSQL, but this interlog was built without the \
         PostgreSQL backend — rebuild with `cargo build --release --features pg`",
    ))
}

#[cfg(feature = "pg")]
pub use with_pg::run;

#[cfg(feature = "pg")]
mod with_pg {
    use std::collections::BTreeMap;
    use std::path::Path;

    use anyhow::Context;
    use serde::Serialize;

    use super::*;
    use crate::cli::output::Bar;
    use crate::cli::pg::{fail, is_pg_url, refuse};
    use interlog::pg::catalog::Catalog;
    use interlog::pg::transfer::{self, KindDigest};
    use interlog::storage::Store;

    #[derive(Serialize)]
    struct Report<'a> {
        direction: &'static str,
        company: &'a str,
        store: &'a Path,
        /// Records per kind on the target.
        records_by_kind: BTreeMap<&'static str, u64>,
        /// Batches committed by this run (into PostgreSQL).
        batches: u64,
        resumed: bool,
        /// Both sides' digests are equal (the command fails otherwise).
        digests_equal: bool,
    }

    fn compare(
        a: &BTreeMap<&'static str, KindDigest>,
        b: &BTreeMap<&'static str, KindDigest>,
    ) -> Vec<String> {
        let kinds: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
        kinds
            .into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .map(|k| {
                let count =
                    |m: &BTreeMap<&'static str, KindDigest>| m.get(*k).map_or(0, |d| d.count);
                format!("{k}: {} on the store, {} on PostgreSQL", count(a), count(b))
            })
            .collect()
    }

    /// Runs `migrate`.
    pub fn run(a: MigrateArgs, company: Option<String>, out: Out) -> anyhow::Result<()> {
        let (from_pg, to_pg) = (is_pg_url(&a.from), is_pg_url(&a.to));
        let (url, path, into_pg) = match (from_pg, to_pg) {
            (false, true) => (&a.to, &a.from, true),
            (true, false) => (&a.from, &a.to, false),
            _ => {
                return Err(refuse(
                    "migrate needs one store directory and one postgres:// catalog URL: \
                     `--from STORE --to postgres://…` or `--from postgres://… --to NEW_STORE`",
                ))
            }
        };
        let url = url.to_string_lossy().into_owned();
        let mut cat = Catalog::open(&url).map_err(fail)?;
        let c = cat.required_company(company.as_deref()).map_err(fail)?;
        let mut shard = cat.connect_company(&c.code).map_err(fail)?;
        let id = shard.company.company_id;
        let report = if into_pg {
            let store = Store::open(path)?;
            let t =
                transfer::sled_to_pg(&store, &mut shard.client, id, &Bar::new()).map_err(fail)?;
            let ours = transfer::digests_of_store(&store).map_err(fail)?;
            let theirs = transfer::digests_of_company(&mut shard.client, id).map_err(fail)?;
            let diff = compare(&ours, &theirs);
            if !diff.is_empty() {
                anyhow::bail!(
                    "the company's records differ from the store's after the transfer: {} — \
                     the transfer's batches are committed; run migrate again to resume, or \
                     report this as a bug",
                    diff.join("; ")
                );
            }
            Report {
                direction: "into-postgres",
                company: &c.code,
                store: path,
                records_by_kind: t.records,
                batches: t.batches,
                resumed: t.resumed,
                digests_equal: true,
            }
        } else {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let tmp = tempfile::Builder::new()
                .prefix(".interlog-migrate.")
                .tempfile_in(&parent)
                .with_context(|| format!("cannot create a file in {}", parent.display()))?;
            {
                let mut w = std::io::BufWriter::new(tmp.as_file());
                transfer::pg_to_dump(&mut shard.client, id, &mut w).map_err(fail)?;
                std::io::Write::flush(&mut w)?;
            }
            crate::cli::dump::load_new_store(path, tmp.path(), false)?;
            let store = Store::open(path)?;
            let ours = transfer::digests_of_store(&store).map_err(fail)?;
            let theirs = transfer::digests_of_company(&mut shard.client, id).map_err(fail)?;
            let diff = compare(&ours, &theirs);
            if !diff.is_empty() {
                anyhow::bail!(
                    "the new store {} differs from the company: {} — delete it and report \
                     this as a bug",
                    path.display(),
                    diff.join("; ")
                );
            }
            Report {
                direction: "from-postgres",
                company: &c.code,
                store: path,
                records_by_kind: ours.iter().map(|(k, d)| (*k, d.count)).collect(),
                batches: 0,
                resumed: false,
                digests_equal: true,
            }
        };
        if out.json {
            return out.json(&report);
        }
        let total: u64 = report.records_by_kind.values().sum();
        out.line(if into_pg {
            format!(
                "moved {total} records of {} into company {} ({} batches{}); counts and digests equal on both sides",
                path.display(),
                c.code,
                report.batches,
                if report.resumed { ", resumed" } else { "" }
            )
        } else {
            format!(
                "wrote company {} into the new store {} ({total} records); it verifies, and counts and digests equal the company's",
                c.code,
                path.display()
            )
        })
    }
}
