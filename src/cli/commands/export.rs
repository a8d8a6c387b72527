//! `limfac export`: every data point as CSV (the import format), or the whole
//! database as JSON.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::Ctx;
use crate::formats::csv;
use crate::render::output::Output;

/// Export data as CSV (the import format) or JSON (everything)
///
/// CSV is the import format: the readings as they stand now, corrections
/// applied (export then import into an empty database with
/// --create-missing round-trips every data point).
///
/// JSON is the whole database as the record was made: projects with their
/// names, priorities and dependencies, engineers with their reporting
/// lines, metrics, reviews, points as first logged with every correction,
/// blockers, deadlines with their history, archive events. `limfac --db
/// NEW.db import FILE.json` restores it into an empty database, and a second
/// export gives the same bytes. Files are created readable only by you.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac export --out points.csv\n  limfac export --format json --out everything.json"
)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "csv")]
    format: ExportFormat,
    /// The same as --format json (every command that shows data takes --json)
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Write here instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

pub fn run(mut args: ExportArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    if args.json {
        args.format = ExportFormat::Json;
    }
    let store = ctx.open_read()?;
    let metrics = store.metrics(None)?;
    // Written as read, never held whole: a million points made a gigabyte of JSON in memory.
    let write = |w: &mut dyn std::io::Write| -> Result<u64> {
        match args.format {
            ExportFormat::Csv => {
                let mut rows = csv::RowWriter::new(&mut *w, &metrics).map_err(io_first)?;
                let n = store.points_each(None, &mut |p| rows.write(&p).map_err(io_first))?;
                rows.finish().map_err(io_first)?;
                Ok(n)
            }
            ExportFormat::Json => {
                store.dump_to(&mut *w)?;
                w.write_all(b"\n")?;
                store.point_count()
            }
        }
    };
    match &args.out {
        Some(path) => {
            let mut n = 0;
            crate::platform::files::write_with("--out", path, |w| {
                n = write(w)?;
                Ok(())
            })?;
            out.note(format!("exported {n} points to {}", path.display()));
        }
        None => {
            write(out.writer())?;
        }
    }
    Ok(())
}

/// A CSV writer's error, its io::Error itself when it has one: a closed pipe must be seen
/// as one (the command line ends quietly on it).
fn io_first(e: ::csv::Error) -> anyhow::Error {
    if !e.is_io_error() {
        return e.into();
    }
    match e.into_kind() {
        ::csv::ErrorKind::Io(io) => io.into(),
        other => anyhow::anyhow!("cannot write the CSV: {other:?}"),
    }
}
