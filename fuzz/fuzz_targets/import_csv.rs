//! Bytes → a `.csv` file → `import_file` into a demo store. First byte: the kind.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "import_common.rs"]
mod import_common;

fuzz_target!(|data: &[u8]| import_common::run(data, "csv"));
