//! # interlog
//!
//! An embedded batch engine for CRM interaction logging, modelled on the Relationship
//! Management module of Business Central: contacts, salespeople, interaction groups and
//! templates, single interactions (with postpone, resume, cancel), segments built by criteria,
//! and logging a segment of millions of contacts atomically, fast, on a sled store.
//!
//! ```no_run
//! use interlog::{ops, storage::Store, Ctx};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Store::open(std::path::Path::new("interlog.db"))?;
//! let ctx = Ctx::now("ALICE".parse()?);
//! for c in ops::master::list_contacts(&store)? {
//!     println!("{} {}", c.no, c.name);
//! }
//! # let _ = ctx;
//! # Ok(())
//! # }
//! ```
//!
//! Layers (see ARCHITECTURE.md): [`domain`] (pure types and rules), [`storage`] (sled, keys,
//! codec, blocks, index, recovery), [`ops`] (operations on one record or one segment),
//! [`batch`] (segment logging pipeline, nightly jobs), [`datagen`] (synthetic data), [`exchange`] (import and
//! export), and the `cli` module of the binary.

#![warn(missing_docs)]
// The one exception is `storage::Store`'s `Drop` (moving sled out of `ManuallyDrop` fields to
// close it on a helper thread), allowed and justified there.
#![deny(unsafe_code)]

pub mod batch;
pub mod datagen;
pub mod domain;
pub mod exchange;
pub mod exit;
pub mod ops;
#[cfg(feature = "pg")]
pub mod pg;
pub mod progress;
pub mod storage;

pub use ops::{Ctx, OpError};
