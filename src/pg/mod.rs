//! The PostgreSQL backend (cargo feature `pg`): interlog on a catalog database and shards,
//! sharded by company.
//!
//! - [`catalog`]: the catalog database — shards, companies and where each lives, moving a
//!   company between shards.
//! - [`schema`]: the relational schema as versioned migrations (catalog and shard).
//! - [`copy`]: COPY BINARY of entries and segment lines (encoded in parallel), and reading
//!   their rows back as domain records.
//! - [`log`]: logging a segment on a shard — the embedded store's rules in one transaction,
//!   entries and follow-up lines built with rayon and streamed with COPY BINARY.
//! - [`entries`]: a contact's interaction log entries and a logged segment's, read back.
//! - [`local`]: starting loopback PostgreSQL servers for tests, benches and trying it out.
//! - [`money`]: [`Money`](crate::domain::Money) as `numeric(17,2)`, exactly, in text and binary
//!   (COPY BINARY) form.
//! - [`rows`]: every other record kind as rows, both ways.
//! - [`transfer`]: an embedded store into a company on a shard (resumable), the way back as a
//!   dump, and per-kind digests that show both sides hold the same records.
//!
//! Connections use the synchronous `postgres` client (it fits rayon: workers build, one
//! connection writes). Every statement is parameterised; nothing is built from input by string.

pub mod catalog;
pub mod copy;
pub mod entries;
pub mod local;
pub mod log;
pub mod money;
pub mod rows;
pub mod schema;
pub mod transfer;
mod value;

use postgres::{Client, NoTls};
use thiserror::Error;

use schema::{Migration, VERSION_TABLE};

/// Errors of the PostgreSQL backend: each says what was refused and what to do.
#[derive(Debug, Error)]
pub enum PgError {
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to {url}: {source} — is the server running and the URL right?")]
    Connect {
        /// The URL (without a password).
        url: String,
        /// What the client said.
        #[source]
        source: postgres::Error,
    },
    /// A statement failed; `what` names the work, the source is the server's message.
    #[error("{what}: {source}")]
    Sql {
        /// The work that failed.
        what: String,
        /// The server's error.
        #[source]
        source: postgres::Error,
    },
    /// The database was migrated by a newer interlog.
    #[error(
        "the database {url} has schema version {found}, this interlog knows up to {known} — \
         upgrade interlog before using it"
    )]
    TooNew {
        /// The URL (without a password).
        url: String,
        /// Version found in `interlog_schema`.
        found: i32,
        /// Newest version this build knows.
        known: i32,
    },
    /// A stored value is not a valid domain value (a row changed by hand, or a bug).
    #[error("{table}.{column} holds {value:?}, which interlog cannot read: {reason}")]
    BadValue {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// The value as text (`?` when it could not be read at all).
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// Starting or stopping local servers failed.
    #[error("local PostgreSQL: {0}")]
    Local(String),
    /// The database was never initialised as an interlog catalog.
    #[error(
        "{url} is not an interlog catalog yet — run `interlog --store {url} init --shard URL …` \
         first"
    )]
    NotInitialised {
        /// The URL (without a password).
        url: String,
    },
    /// The database was migrated by an older interlog: `init` brings it up to date.
    #[error(
        "the database {url} has schema version {found}, this interlog needs {known} — run \
         `interlog --store CATALOG init` to migrate the catalog and its shards"
    )]
    TooOld {
        /// The URL (without a password).
        url: String,
        /// Version found.
        found: i32,
        /// Version this build needs.
        known: i32,
    },
    /// A catalog given where a shard was expected, or the other way round.
    #[error("{url} is an interlog {found} database, not a {expected} — give another database")]
    WrongKind {
        /// The URL (without a password).
        url: String,
        /// What the database is (`catalog` or `shard`).
        found: &'static str,
        /// What was asked for.
        expected: &'static str,
    },
    /// Two URLs name the same database (a shard registered twice, or the catalog as a shard).
    #[error(
        "{url} is the same database as {other} — each shard must be a database of its own, \
         apart from the catalog"
    )]
    SameDatabase {
        /// The URL given (without a password).
        url: String,
        /// The URL it duplicates (without a password).
        other: String,
    },
    /// The catalog has no shard to place a company on.
    #[error("the catalog has no shard — add one with `interlog init --shard URL`")]
    NoShards,
    /// No shard has this id.
    #[error("there is no shard {id} — the shards are: {known}")]
    NoShard {
        /// The id asked for.
        id: i32,
        /// The shards there are (id = URL), or "none".
        known: String,
    },
    /// No company has this code.
    #[error("there is no company {code} — the companies are: {known} (add one with `interlog company add CODE`)")]
    NoCompany {
        /// The code asked for.
        code: String,
        /// The companies there are, or "none".
        known: String,
    },
    /// A command that works on one company was not told which.
    #[error("this command works on one company: pass --company CODE (or set INTERLOG_COMPANY) — the companies are: {known}")]
    CompanyNeeded {
        /// The companies there are, or "none".
        known: String,
    },
    /// `company add` with a code that exists.
    #[error("company {code} already exists (on shard {shard_id})")]
    CompanyExists {
        /// The code.
        code: String,
        /// Its shard.
        shard_id: i32,
    },
    /// The company is being moved between shards: nothing may run on it meanwhile.
    #[error(
        "company {code} is being moved from shard {from} to shard {to} — wait for the move to \
         finish; if it was interrupted, `interlog company move {code} --to-shard {to}` finishes it \
         and `--to-shard {from}` undoes it"
    )]
    Moving {
        /// The company.
        code: String,
        /// The shard holding its data.
        from: i32,
        /// The shard it is being moved to.
        to: i32,
    },
    /// Another process is moving the company right now.
    #[error("another interlog process is moving company {code} right now — wait for it to finish")]
    MoveRunning {
        /// The company.
        code: String,
    },
    /// The copy of a move does not match its source: nothing was switched.
    #[error(
        "moving company {code}: table {table} has {target} on the target and {source_rows} on \
         the source — nothing was switched, the company stays on its shard; run the move again"
    )]
    MoveMismatch {
        /// The company.
        code: String,
        /// The table that differs.
        table: String,
        /// Rows and digest on the source.
        source_rows: String,
        /// Rows and digest on the target.
        target: String,
    },
    /// Streaming rows between two servers failed.
    #[error("{what}: {source}")]
    Stream {
        /// The work that failed.
        what: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The databases do not look the way interlog left them.
    #[error("{0}")]
    Inconsistent(String),
    /// An invalid code or name.
    #[error(transparent)]
    Invalid(#[from] crate::domain::DomainError),
    /// The shard has no `company` row for the company.
    #[error(
        "company {company_id} is not on this shard — add the company (its `company` row) first"
    )]
    NotOnShard {
        /// The company.
        company_id: i32,
    },
    /// A transfer into a company that already holds data it did not put there.
    #[error(
        "company {company_id} already holds data ({table} has rows) and no unfinished transfer \
         of this store — move a store into a new, empty company"
    )]
    CompanyHasData {
        /// The company.
        company_id: i32,
        /// A table with rows of the company.
        table: &'static str,
    },
    /// A transfer into the company came from another store (or the store changed since).
    #[error(
        "company {company_id} holds a transfer from a store at {found}, this store is at \
         {store} — resume an unfinished one with the same, unchanged store; to start again, \
         delete the company's rows and its transfer_progress rows"
    )]
    OtherTransfer {
        /// The company.
        company_id: i32,
        /// The state the unfinished transfer recorded.
        found: String,
        /// This store's state.
        store: String,
    },
    /// Another process is transferring into the company right now.
    #[error("another transfer into company {company_id} is running — wait for it to finish")]
    Busy {
        /// The company.
        company_id: i32,
    },
    /// Reading the embedded store failed.
    #[error("reading the embedded store: {0}")]
    Store(#[from] crate::storage::StorageError),
    /// Writing a dump or encoding a record failed.
    #[error("writing the dump: {0}")]
    Io(#[from] std::io::Error),
    /// A record could not be encoded as JSON.
    #[error("cannot encode a {kind} record as JSON: {source}")]
    Encode {
        /// Record kind.
        kind: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The failure a test asked for (see `TransferOptions::fail_after_batches`).
    #[error("injected failure after {0} committed batches (a test hook)")]
    Injected(u64),
}

impl PgError {
    /// Wraps a client error with what was being done.
    pub fn sql(what: impl Into<String>) -> impl FnOnce(postgres::Error) -> PgError {
        let what = what.into();
        move |source| PgError::Sql { what, source }
    }
}

/// A URL with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &userinfo[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Connects to `url` (a `postgres://` URL or a libpq key=value string), without TLS.
pub fn connect(url: &str) -> Result<Client, PgError> {
    Client::connect(url, NoTls).map_err(|source| PgError::Connect {
        url: redact(url),
        source,
    })
}

/// Applies the migrations `client`'s database has not seen yet; returns the versions applied.
///
/// Each migration runs in its own transaction with its `interlog_schema` row, so a crash leaves
/// the database at the previous version. A transaction-scoped advisory lock keeps two processes
/// migrating the same database from racing.
pub fn migrate_schema(
    client: &mut Client,
    url: &str,
    migrations: &[Migration],
) -> Result<Vec<i32>, PgError> {
    client
        .batch_execute(VERSION_TABLE)
        .map_err(PgError::sql("creating interlog_schema"))?;
    let known = migrations.iter().map(|m| m.version).max().unwrap_or(0);
    let mut applied = Vec::new();
    for m in migrations {
        let mut tx = client
            .transaction()
            .map_err(PgError::sql("starting a migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock(7429001)", &[])
            .map_err(PgError::sql("locking the schema"))?;
        let found: Option<i32> = tx
            .query_one("SELECT max(version) FROM interlog_schema", &[])
            .map_err(PgError::sql("reading the schema version"))?
            .get(0);
        let found = found.unwrap_or(0);
        if found > known {
            return Err(PgError::TooNew {
                url: redact(url),
                found,
                known,
            });
        }
        if found >= m.version {
            continue;
        }
        tx.batch_execute(m.sql).map_err(PgError::sql(format!(
            "migration {} ({})",
            m.version, m.name
        )))?;
        tx.execute(
            "INSERT INTO interlog_schema (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .map_err(PgError::sql("recording the migration"))?;
        tx.commit()
            .map_err(PgError::sql(format!("committing migration {}", m.version)))?;
        applied.push(m.version);
    }
    Ok(applied)
}

/// The schema version a database is at (0 when interlog never migrated it).
pub fn schema_version(client: &mut Client) -> Result<i32, PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('interlog_schema') IS NOT NULL", &[])
        .map_err(PgError::sql("looking for interlog_schema"))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM interlog_schema", &[])
        .map_err(PgError::sql("reading the schema version"))?
        .get(0);
    Ok(v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://me:secret@127.0.0.1:5432/db"),
            "postgres://me:***@127.0.0.1:5432/db"
        );
        assert_eq!(
            redact("postgres://me@127.0.0.1/db"),
            "postgres://me@127.0.0.1/db"
        );
        assert_eq!(redact("host=127.0.0.1"), "host=127.0.0.1");
    }

    #[test]
    fn migrations_are_numbered_in_order() {
        for set in [schema::CATALOG, schema::SHARD] {
            for (i, m) in set.iter().enumerate() {
                assert_eq!(m.version, i as i32 + 1, "{}", m.name);
            }
        }
    }
}
