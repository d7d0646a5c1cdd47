//! Batch work: the segment-logging pipeline, the synthetic data generator and the nightly job
//! runner (`job`).

pub mod gen;
pub mod job;
pub mod log_segment;

pub use log_segment::{log_segment, LogOptions, LogOutcome};
