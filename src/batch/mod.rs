//! Batch work: the segment-logging pipeline, the synthetic data generator and (later) the
//! nightly job runner.

pub mod gen;
pub mod log_segment;

pub use log_segment::{log_segment, LogOptions, LogOutcome};
