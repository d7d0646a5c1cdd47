//! What a panic becomes: one clear message that says what was committed, and an exit code —
//! never a backtrace.
//!
//! sled 0.34 panics on some damaged files and inside its background threads. A panic inside a
//! call that the library guards ([`interlog::storage::in_guarded_sled_call`]) is turned into an
//! error by the library and left alone here. Any other panic ends the process at once: exit
//! code 3 when it comes from the storage engine, 70 when it is a bug in interlog. A panic while
//! printing to a closed pipe (`interlog … | head`) ends the process quietly.

use interlog::storage::journal::{self, Phase};

/// Exit code for a bug in interlog itself.
pub const INTERNAL_ERROR: u8 = 70;

/// Installs the handler (once, first thing in `main`).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        if interlog::storage::in_guarded_sled_call() {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        if message.contains("Broken pipe") {
            std::process::exit(0);
        }
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        let from_sled = file.contains("/sled-");
        let state = match journal::phase() {
            Phase::Idle => "nothing was committed by the step in progress (earlier steps that reported success are durable)",
            Phase::Deciding => "it is not known whether the change in progress was committed; the next command that opens the store settles it",
            Phase::Committed => "the change in progress WAS committed; the next command that opens the store completes it",
        };
        if from_sled {
            eprintln!(
                "error: the storage engine (sled) crashed: {message} ({file}:{line}) — the store \
                 may be damaged; run `interlog verify` and keep a copy of the store before repairing\n\
                 note: {state}"
            );
            std::process::exit(3);
        }
        eprintln!(
            "error: internal error (a bug in interlog, please report it): {message} ({file}:{line})\n\
             note: {state}"
        );
        std::process::exit(i32::from(INTERNAL_ERROR));
    }));
}
