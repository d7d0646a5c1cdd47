//! The `interlog` command: parses arguments, calls the library, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

/// One malloc arena per core instead of glibc's default of up to eight per core.
///
/// glibc gives each thread that allocates its own arena, and memory freed in one arena is not
/// reused by another: a 10M-line `segment log --follow-up` (rayon workers, sled's threads)
/// peaked at ~200 MiB of RSS for ~117 MiB of live heap (heaptrack). With one arena per core it
/// peaks ~40 MiB lower and takes as long (BENCHMARKS.md, "Contact history under a bounded
/// cache, and malloc arenas"). A `MALLOC_ARENA_MAX` set by the user wins. Called first,
/// before any thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn cap_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
    // SAFETY: mallopt only changes a malloc tunable; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn cap_malloc_arenas() {}

fn main() -> ExitCode {
    cap_malloc_arenas();
    cli::panics::install();
    let args = match cli::try_parse() {
        Ok(args) => args,
        // clap repeats the refused value in its message: shown through `printable`, so a
        // hostile argument cannot steer the terminal. Help and version go out as they are.
        Err(e) if e.use_stderr() => {
            let code = u8::try_from(e.exit_code()).unwrap_or(2);
            if std::env::args_os().any(|a| a == "--json") {
                let message = e.render().to_string();
                let message = message
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                eprintln!(
                    "{}",
                    serde_json::json!({"error": {"kind": "usage", "message": cli::output::printable(message), "exit_code": code}})
                );
            } else {
                eprint!("{}", cli::output::printable_lines(&e.render().to_string()));
            }
            return ExitCode::from(code);
        }
        Err(e) => e.exit(),
    };
    let json = args.json;
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            if cli::output::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            if json {
                // One JSON object on one line; serde_json escapes control characters, so a
                // hostile value cannot steer a terminal.
                let v = cli::error_json(&e);
                eprintln!("{v}");
                let code = v["error"]["exit_code"].as_u64().unwrap_or(1);
                return ExitCode::from(u8::try_from(code).unwrap_or(1));
            }
            eprintln!(
                "error: {}",
                cli::output::printable_lines(&cli::output::error_text(&e))
            );
            let full = cli::is_disk_full(&e);
            let outcome = cli::outcome(&e);
            if cli::failed_after_commit(&e) {
                // The command's change was committed; what failed came after it (e.g. printing
                // its report to a full disk). Exit code 1 would say nothing was written.
                eprintln!(
                    "note: the change IS committed; only what came after it failed — do not run the command again (look at the result with a listing)"
                );
                return ExitCode::from(3);
            }
            match outcome {
                interlog::storage::Outcome::NotCommitted if full => eprintln!(
                    "note: the disk is full (or a file-size limit was reached); nothing was committed — free space and run the command again"
                ),
                interlog::storage::Outcome::NotCommitted => {}
                interlog::storage::Outcome::Committed => eprintln!(
                    "note: the change IS committed; the next command that opens the store completes it{}",
                    if full { " once there is free space" } else { "" }
                ),
                interlog::storage::Outcome::Unknown => eprintln!(
                    "note: it is not known whether the change was committed; the next command that opens the store settles it — look before running this command again"
                ),
            }
            ExitCode::from(cli::exit_code(&e))
        }
    }
}
