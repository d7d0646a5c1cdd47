//! The `interlog` command: parses arguments, calls the library, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        // clap repeats the refused value in its message: shown through `printable`, so a
        // hostile argument cannot steer the terminal. Help and version go out as they are.
        Err(e) if e.use_stderr() => {
            eprint!("{}", cli::output::printable_lines(&e.render().to_string()));
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        Err(e) => e.exit(),
    };
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            if cli::output::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", cli::output::printable_lines(&format!("{e:#}")));
            if cli::is_disk_full(&e) {
                eprintln!("note: the disk is full (or a file-size limit was reached); nothing was committed — free space and run the command again");
            }
            ExitCode::from(cli::exit_code(&e))
        }
    }
}
