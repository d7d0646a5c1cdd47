//! The PostgreSQL backend (cargo feature `pg`): interlog on a catalog database and shards,
//! sharded by company.
//!
//! - [`schema`]: the relational schema as versioned migrations (catalog and shard).
//! - [`copy`]: COPY BINARY of entries and segment lines (encoded in parallel), and reading
//!   their rows back as domain records.
//! - [`log`]: logging a segment on a shard — the embedded store's rules in one transaction,
//!   entries and follow-up lines built with rayon and streamed with COPY BINARY.
//! - [`entries`]: a contact's interaction log entries and a logged segment's, read back.
//! - [`local`]: starting loopback PostgreSQL servers for tests, benches and trying it out.
//! - [`money`]: [`Money`](crate::domain::Money) as `numeric(17,2)`, exactly, in text and binary
//!   (COPY BINARY) form.
//!
//! Connections use the synchronous `postgres` client (it fits rayon: workers build, one
//! connection writes). Every statement is parameterised; nothing is built from input by string.

pub mod copy;
pub mod entries;
pub mod local;
pub mod log;
pub mod money;
pub mod schema;

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
