//! Import and export.

pub mod dump;
pub mod export;
pub mod import;
pub mod report;
