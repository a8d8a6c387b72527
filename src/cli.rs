//! The command line: global options, the list of subcommands, and `main`'s
//! error printing and exit codes (0 success, 1 runtime or data error, 2 usage).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::{self, Ctx};
use crate::error::UserError;
use crate::output::{is_broken_pipe, Output};
use crate::store::StoreError;

const GUIDE: &str = "\
The weekly loop:
  after each meeting   limfac log --metric power/array-output --engineer wang-xm --value 84 --note '...'
  before the review    limfac chart power --out power.png      (see what converges and what does not)
  once a week          limfac report                           (the limiting factor, 50% deadlines)

New here? Try it on built-in demo data:
  limfac demo          (writes limfac-demo.db here, then: limfac --db limfac-demo.db report)";

/// Weekly engineering reviews: is each piece of work converging, what is the
/// one limiting factor this week, and which deadline has a 50% chance.
#[derive(Debug, Parser)]
#[command(name = "limfac", version, about, long_about = None, after_help = GUIDE, arg_required_else_help = true)]
pub struct Cli {
    /// The database file [default: $LIMFAC_DB, else limfac.db in the platform data folder]
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
    Completions(commands::completions::CompletionsArgs),
    Man(commands::completions::ManArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    // `COMPLETE=bash limfac ...` answers the shell's completion requests and exits.
    clap_complete::CompleteEnv::with_factory(Cli::command).complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, usage errors with 2.
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let mut out = Output::stdout(cli.quiet);
    let result = Ctx::new(cli.db.clone(), cli.quiet).and_then(|ctx| commands::run(cli.command, &ctx, &mut out));
    let flushed = out.flush();
    match result {
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
            ExitCode::from(1)
        }
    }
}

/// `error: ...` on one line (the cause chain joined), then any hints.
fn print_error(e: &anyhow::Error) {
    // Escape control characters so a hostile value cannot repaint the terminal.
    let clean = |s: String| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    eprintln!("error: {}", clean(format!("{e:#}")));
    if let Some(u) = e.chain().find_map(|c| c.downcast_ref::<UserError>()) {
        for h in &u.hints {
            eprintln!("hint: {}", clean(h.clone()));
        }
    }
    if let Some(StoreError::TooNew { .. }) = e.downcast_ref::<StoreError>() {
        eprintln!("hint: upgrade limfac, or open a backup made by this version; the file was not changed");
    }
}
