//! Import and export.

pub mod import;
