//! Records the store keeps for the layers above it without knowing their shape: the progress
//! of batch jobs and the idempotency records of create commands. The caller owns the type (it
//! lives in `batch::job` / `ops::requests`); the store encodes it with its codec and keeps it
//! under its id — a relational backend would keep it as one row with the id and an encoded
//! column.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{codec, Change, CodecError, StorageError, Store, TreeId};

const JOB: &str = "job progress";
const REQUEST: &str = "idempotency record";

/// A record encoded by the store's codec, ready for a [`Change`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedRecord(pub(super) Vec<u8>);

impl Change {
    /// Writes the progress record of job `id`.
    pub fn job_progress(id: &str, rec: &impl Serialize) -> Result<Change, CodecError> {
        Ok(Change::PutJobProgress(
            id.to_string(),
            EncodedRecord(codec::encode(JOB, rec)?),
        ))
    }

    /// Writes the idempotency record of `key`.
    pub fn idempotency_record(key: &str, rec: &impl Serialize) -> Result<Change, CodecError> {
        Ok(Change::PutIdempotencyRecord(
            key.to_string(),
            EncodedRecord(codec::encode(REQUEST, rec)?),
        ))
    }
}

impl Store {
    /// The progress record of job `id`, if any.
    pub fn job_progress<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StorageError> {
        self.get_rec(TreeId::Jobs, id.as_bytes(), JOB)
    }

    /// Every job's progress record with its id, in id order.
    pub fn all_job_progress<T: DeserializeOwned>(&self) -> Result<Vec<(String, T)>, StorageError> {
        keyed(self.all_keyed_recs(TreeId::Jobs, JOB)?)
    }

    /// The idempotency record of `key`, if any.
    pub fn idempotency_record<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        self.get_rec(TreeId::Requests, key.as_bytes(), REQUEST)
    }

    /// Every idempotency record with its key, in key order.
    pub fn all_idempotency_records<T: DeserializeOwned>(
        &self,
    ) -> Result<Vec<(String, T)>, StorageError> {
        keyed(self.all_keyed_recs(TreeId::Requests, REQUEST)?)
    }
}

fn keyed<T>(v: Vec<(Vec<u8>, T)>) -> Result<Vec<(String, T)>, StorageError> {
    Ok(v.into_iter()
        .map(|(k, r)| (String::from_utf8_lossy(&k).into_owned(), r))
        .collect())
}
