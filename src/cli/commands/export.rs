//! `limfac export`: every data point as CSV (the import format), or the whole
//! database as JSON.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::{write_private, Ctx};
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
    /// Write here instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

pub fn run(args: ExportArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let store = ctx.open_read()?;
    let points = store.points(None)?;
    let metrics = store.metrics(None)?;
    let mut buf = Vec::new();
    match args.format {
        ExportFormat::Csv => csv::write_rows(&mut buf, &points, &metrics)?,
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut buf, &store.dump()?)?;
            buf.push(b'\n');
        }
    }
    match &args.out {
        Some(path) => {
            write_private(path, &buf)?;
            out.note(format!("exported {} points to {}", points.len(), path.display()));
        }
        None => out.raw(&buf)?,
    }
    Ok(())
}
