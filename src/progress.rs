//! Progress of long operations, reported by the library (segment changes, logging, batch jobs,
//! export) and shown by the CLI (a bar on a terminal, nothing otherwise).

/// Reports progress of long operations (a bar on a terminal, nothing otherwise).
pub trait Progress: Sync {
    /// A phase starts; `total` units are expected (0 = unknown).
    fn start(&self, _phase: &str, _total: u64) {}
    /// `n` more units are done.
    fn advance(&self, _n: u64) {}
    /// The phase is over.
    fn finish(&self) {}
}

/// Progress that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}
