//! The `interlog` command: parses arguments, calls the library, maps errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            if cli::output::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            if cli::is_disk_full(&e) {
                eprintln!("note: the disk is full (or a file-size limit was reached); nothing was committed — free space and run the command again");
            }
            ExitCode::from(cli::exit_code(&e))
        }
    }
}
