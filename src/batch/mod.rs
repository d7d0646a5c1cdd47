//! Batch work: segment logging, generators, nightly jobs.
