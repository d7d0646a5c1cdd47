//! Exit codes of the `interlog` binary, in one place: the binary maps errors to them
//! (`cli::exit_code`), and the batch job runner reports its own (`batch::job`).

/// Every step done.
pub const SUCCESS: u8 = 0;
/// The command failed (a refused change, a bad value, problems found by `verify`).
pub const FAILURE: u8 = 1;
/// The command line could not be parsed (clap's own code).
pub const USAGE: u8 = 2;
/// The store is unavailable: missing, damaged, in use, or a storage failure.
pub const STORE_UNAVAILABLE: u8 = 3;
/// `batch run`: some steps failed or were skipped.
pub const STEPS_FAILED: u8 = 4;
/// `batch run`: the job could not run (bad, unreadable or changed job file).
pub const COULD_NOT_RUN: u8 = 5;
