//! Idempotency keys: a create command a script may run again without creating twice.
//!
//! When a command fails after its commit point (a failed fsync, a kill at the wrong instant) or
//! its answer is lost, a script cannot tell whether to run it again, and running it again
//! creates a second record. A command given `--idempotency-key KEY` records, in the same commit
//! as what it creates, the key with the command, a fingerprint of its request and what it
//! created. Run again with the same key and the same request, it changes nothing and answers
//! with what the first run created; with the same key and a different request, it is refused.
//! (The same idea as the `Idempotency-Key` header of HTTP APIs.)

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::OpError;
use crate::domain::{check_text, DomainError};
use crate::storage::{Change, Store, UnitOfWork};

/// A key given by a script (1 to 100 printable characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Longest key.
    pub const MAX_LEN: usize = 100;

    /// Checks a key.
    pub fn new(s: &str) -> Result<IdempotencyKey, DomainError> {
        let s = check_text("idempotency key", s, Self::MAX_LEN)?;
        if s.trim().is_empty() {
            return Err(DomainError::Invalid {
                field: "idempotency key",
                value: s,
                reason: "is empty".into(),
            });
        }
        Ok(IdempotencyKey(s))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for IdempotencyKey {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdempotencyKey::new(s)
    }
}

/// What is stored under a key. Its encoding is part of the on-disk format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The command (`interaction create`).
    pub command: String,
    /// Fingerprint of the request (CRC32 of its description).
    pub fingerprint: u32,
    /// What the first run created (an entry number, a segment number …).
    pub result: String,
    /// The work date of the first run.
    pub date: NaiveDate,
}

/// The fingerprint of a request, from its `Debug` description.
pub fn fingerprint(request: &impl std::fmt::Debug) -> u32 {
    crc32fast::hash(format!("{request:?}").as_bytes())
}

/// What a key says about a request about to be made.
#[derive(Debug, PartialEq, Eq)]
pub enum Prior {
    /// The key is new: make the request and [`record`] it.
    New,
    /// The same request was made before with this key: this is what it created.
    Done(String),
}

/// Looks `key` up for `command` with `fingerprint` (under the writer lock). A key used for
/// another command or another request is refused.
pub fn check(
    store: &Store,
    key: &IdempotencyKey,
    command: &str,
    fingerprint: u32,
) -> Result<Prior, OpError> {
    let rec: Option<RequestRecord> = store.idempotency_record(key.as_str())?;
    match rec {
        None => Ok(Prior::New),
        Some(r) if r.command == command && r.fingerprint == fingerprint => Ok(Prior::Done(r.result)),
        Some(r) => Err(OpError::Refused {
            reason: format!(
                "idempotency key {:?} was already used on {} for another request (`{}` that made {}) — use a new key for a new request",
                key.as_str(),
                r.date,
                r.command,
                r.result
            ),
        }),
    }
}

/// Records `key` in the write set of the request it belongs to.
pub fn record(
    ws: &mut UnitOfWork,
    key: &IdempotencyKey,
    rec: &RequestRecord,
) -> Result<(), OpError> {
    ws.change(Change::idempotency_record(key.as_str(), rec)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_text_of_at_most_100_characters() {
        assert!(IdempotencyKey::new("nightly-2026-12-02/CT100125").is_ok());
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("   ").is_err());
        assert!(IdempotencyKey::new("a\u{1b}[31m").is_err());
        assert!(IdempotencyKey::new(&"k".repeat(100)).is_ok());
        assert!(IdempotencyKey::new(&"k".repeat(101)).is_err());
    }
}
