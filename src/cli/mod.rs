//! The command line: global options, the list of subcommands, and `main`'s
//! error printing and exit codes (0 success, 1 runtime or data error, 2 usage).
//!
//! May use: every other layer (`core`, `formats`, `platform`, `store`,
//! `sync`, `render`, `demo`). Nothing else may use `cli`.
//! Each command lives in `commands/` and never imports another command.

pub mod commands;
pub mod complete;
pub mod config;
pub mod error;
pub mod forecasting;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::render::output::{is_broken_pipe, Output};
use commands::Ctx;

const GUIDE: &str = "\
The weekly loop:
  after each meeting   limfac log
                       (asks for metric, engineer, value and note)
  before the review    limfac chart chips --out chips.png
                       (see what converges and what does not)
  once a week          limfac report
                       (the limiting factor, 50% deadlines, alarms)

New here? Try it on built-in demo data:
  limfac demo
  limfac --db limfac-demo.db report

More: limfac --help, limfac COMMAND --help, limfac man";

/// Weekly engineering reviews: is each piece of work converging, what is the
/// one limiting factor this week, and which deadline has a 50% chance.
#[derive(Debug, Parser)]
#[command(name = "limfac", version, about, long_about = None, after_help = GUIDE)]
pub struct Cli {
    /// The database file [default: $LIMFAC_DB, else limfac.db in the platform data folder; for
    /// `demo`: limfac-demo.db in the current folder, never $LIMFAC_DB]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// No confirmations or progress on stderr
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Log(commands::log::LogArgs),
    Point(commands::point::PointArgs),
    Project(commands::project::ProjectArgs),
    Engineer(commands::engineer::EngineerArgs),
    Metric(commands::metric::MetricArgs),
    Review(commands::review::ReviewArgs),
    Blocker(commands::blocker::BlockerArgs),
    Forecast(commands::forecast::ForecastArgs),
    Report(commands::report::ReportArgs),
    Chart(commands::chart::ChartArgs),
    Deadline(commands::deadline::DeadlineArgs),
    Calibration(commands::calibration::CalibrationArgs),
    Backtest(commands::backtest::BacktestArgs),
    Import(commands::import::ImportArgs),
    Export(commands::export::ExportArgs),
    Demo(commands::demo::DemoArgs),
    Backup(commands::backup::BackupArgs),
    Doctor(commands::doctor::DoctorArgs),
    Config(commands::config::ConfigArgs),
    Remote(commands::remote::RemoteArgs),
    Sync(commands::sync::SyncArgs),
    Completions(commands::completions::CompletionsArgs),
    Man(commands::completions::ManArgs),
}

/// The command tree, with each nested subcommand (`project add`, ...)
/// inheriting its parent's description and examples, so that every `--help`
/// teaches: a summary line, what the thing is, and how to use it.
pub fn command() -> clap::Command {
    let mut root = Cli::command();
    let names: Vec<String> = root.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        root = root.mut_subcommand(&name, |parent| {
            let long = parent.get_long_about().map(|s| s.to_string());
            let examples = parent.get_after_help().map(|s| s.to_string());
            let kids: Vec<String> = parent.get_subcommands().map(|c| c.get_name().to_string()).collect();
            let mut parent = parent;
            for kid in kids {
                let long = long.clone();
                let examples = examples.clone();
                parent = parent.mut_subcommand(&kid, move |mut c| {
                    if c.get_long_about().is_none() {
                        if let (Some(about), Some(long)) = (c.get_about().map(|a| a.to_string()), long) {
                            c = c.long_about(format!("{about}.\n\n{long}"));
                        }
                    }
                    if c.get_after_help().is_none() {
                        if let Some(ex) = examples {
                            c = c.after_help(ex);
                        }
                    }
                    c
                });
            }
            parent
        });
    }
    root
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    crate::platform::memory::limit_arenas();
    // `COMPLETE=bash limfac ...` answers the shell's completion requests and exits.
    clap_complete::CompleteEnv::with_factory(command).complete();
    // No arguments: a short guide to the weekly loop, not a wall of options.
    if std::env::args_os().len() == 1 {
        println!("limfac: weekly reviews: convergence, the limiting factor, 50% deadlines.\n");
        println!("{GUIDE}");
        return ExitCode::SUCCESS;
    }
    // Text that is not UTF-8 is a data error (exit 1) naming the flag, not a
    // usage error: clap would only say "invalid UTF-8 was detected".
    if let Some(message) = non_utf8_argument() {
        eprintln!("error: {message}");
        eprintln!("hint: limfac stores text as UTF-8; convert the value first (e.g. with iconv)");
        return ExitCode::from(1);
    }
    let cli = match command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, usage errors with 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let mut out = Output::stdout(cli.quiet);
    let ctx = match Ctx::new(cli.db.clone(), cli.quiet) {
        Ok(ctx) => ctx,
        Err(e) => {
            print_error(&e);
            return ExitCode::from(1);
        }
    };
    let result = commands::run(cli.command, &ctx, &mut out);
    let flushed = out.flush();
    let code = match result {
        Ok(()) => match flushed {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                eprintln!("error: cannot write output: {e}");
                ExitCode::from(1)
            }
            _ => ExitCode::SUCCESS,
        },
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            print_error(&e);
            crate::store::forget_cached();
            ctx.finish(false);
            return ExitCode::from(1);
        }
    };
    // Derived data (the forecast cache) is kept only when the command succeeded: one that
    // failed, say on a full disk, writes nothing.
    if code == ExitCode::SUCCESS {
        crate::store::keep_cached();
    } else {
        crate::store::forget_cached();
    }
    ctx.finish(code == ExitCode::SUCCESS);
    code
}

/// Names the first command-line argument that is not valid UTF-8, with the
/// flag it belongs to.
fn non_utf8_argument() -> Option<String> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let i = args.iter().position(|a| a.to_str().is_none())?;
    let shown = args[i].to_string_lossy().chars().take(40).collect::<String>();
    let flag = args[..i].last().and_then(|a| a.to_str()).filter(|a| a.starts_with("--"));
    Some(match flag {
        Some(f) => format!("{f} '{}' is not valid UTF-8", shown.escape_debug()),
        None => format!("argument {i} '{}' is not valid UTF-8", shown.escape_debug()),
    })
}

/// `error: ...` on one line (the cause chain joined), then any hints (see
/// [`error::explain`]).
fn print_error(e: &anyhow::Error) {
    // Escape control characters so a hostile value cannot repaint the terminal.
    let clean = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    let (line, hints) = error::explain(e);
    eprintln!("error: {}", clean(&line));
    for h in &hints {
        eprintln!("hint: {}", clean(h));
    }
}
