//! Byte-level access to one tree, for the tests that damage a store on purpose (a removed
//! index key, a cut-short block, a value under a wrong key). Not part of the supported API:
//! nothing in the library uses it, and it hands out bytes, never sled's own types.

use super::{KeyValue, StorageError, Store, TreeId};

/// One tree of a store, by bytes. See the module documentation.
#[doc(hidden)]
pub struct RawTree<'s>(&'s sled::Tree);

impl Store {
    /// Byte-level access to a tree, for tests that damage a store on purpose.
    #[doc(hidden)]
    pub fn raw(&self, tree: TreeId) -> RawTree<'_> {
        RawTree(self.t.get(tree))
    }
}

impl RawTree<'_> {
    /// The value under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.0.get(key)?.map(|v| v.to_vec()))
    }

    /// Writes `value` under `key`, outside any transaction and journal.
    pub fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), StorageError> {
        self.0.insert(key.as_ref(), value.as_ref())?;
        Ok(())
    }

    /// Removes `key`, outside any transaction and journal.
    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), StorageError> {
        self.0.remove(key.as_ref())?;
        Ok(())
    }

    /// The first (key, value).
    pub fn first(&self) -> Result<Option<KeyValue>, StorageError> {
        Ok(self.0.first()?.map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    /// The last (key, value).
    pub fn last(&self) -> Result<Option<KeyValue>, StorageError> {
        Ok(self.0.last()?.map(|(k, v)| (k.to_vec(), v.to_vec())))
    }

    /// Every (key, value), in key order.
    pub fn all(&self) -> Result<Vec<KeyValue>, StorageError> {
        self.0
            .iter()
            .map(|kv| Ok(kv.map(|(k, v)| (k.to_vec(), v.to_vec()))?))
            .collect()
    }

    /// Number of keys at or above `key`.
    pub fn count_from(&self, key: impl AsRef<[u8]>) -> usize {
        self.0.range(key.as_ref()..).count()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the tree holds no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
