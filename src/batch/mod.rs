//! Batch work: the segment-logging pipeline and the nightly job runner (`job`); the
//! synthetic data generator is `crate::datagen`.

pub mod job;
pub mod log_segment;

pub use log_segment::{log_segment, LogOptions, LogOutcome};
