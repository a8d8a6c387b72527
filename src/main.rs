//! The `limfac` binary: parse the command line, run, print errors, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    limfac::cli::main()
}
