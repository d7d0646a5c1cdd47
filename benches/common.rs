//! Shared bench setup: generated stores, copied fresh for every measured run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use interlog::datagen::{generate, GenOptions};
use interlog::ops::segments::NoProgress;
use interlog::ops::{master, Ctx};

pub fn ctx() -> Ctx {
    Ctx::at(
        interlog::domain::UserId::new("BENCH").unwrap(),
        NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
        NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
    )
}

/// A store with `n` generated contacts and a segment SM00001 of `n` lines, made once per size
/// under `dir`.
pub fn generated(dir: &Path, n: u64) -> PathBuf {
    let path = dir.join(format!("gen-{n}"));
    if !path.exists() {
        let store = master::init(&path).unwrap();
        generate(
            &store,
            &ctx(),
            GenOptions {
                contacts: n,
                segment_size: n,
                seed: 7,
            },
            &NoProgress,
        )
        .unwrap();
    }
    path
}

pub fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}
