//! `limfac import`: load a CSV of data points, all or nothing.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::Ctx;
use crate::formats::csv;
use crate::render::output::Output;
use crate::store::{ImportBatch, ImportRow};

/// Import data points from a CSV file, or a whole JSON export, all or nothing
///
/// A file ending in .json (or starting with '{') is a whole database written
/// by `limfac export --format json`: it is restored, with every project,
/// engineer, metric, review, point, correction, blocker, deadline and archive
/// event, into an empty database only.
///
/// A CSV file holds data points. Required columns (any order): date,project,metric,engineer,value,note.
/// Optional: blocker (CATEGORY:TEXT, one per line of the cell), kind,
/// reviewer (without a kind: that day's weekly review), and
/// target,direction,tolerance,unit (used with --create-missing to create a
/// missing metric; for an existing metric they must agree with it), and
/// blocker_resolved (per blocker: a date, or open). A row equal to a reading
/// already stored is skipped, so re-importing a file adds nothing twice. On
/// the first bad row nothing is written and the error names the line, the
/// column and the value.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac import readings.csv\n  limfac export --out all.csv && limfac --db new.db import all.csv --create-missing\n  limfac export --format json --out all.json && limfac --db new.db import all.json"
)]
pub struct ImportArgs {
    /// The CSV or JSON file ('-' for standard input)
    file: PathBuf,
    /// Create unknown projects, metrics and engineers instead of failing
    #[arg(long)]
    create_missing: bool,
    /// Accept readings outside a metric's --min/--max bounds (as `log --force` does); without
    /// it such a row fails the import, naming its line
    #[arg(long)]
    force: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(args: ImportArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let input: Box<dyn std::io::Read + Send> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        if args.file.is_dir() {
            crate::user_bail!("{} is a directory; give a CSV file", args.file.display());
        }
        Box::new(std::fs::File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?)
    };
    let mut input = std::io::BufReader::with_capacity(1 << 20, input);
    if is_json(&args.file, &mut input)? {
        return restore(args, ctx, out, input);
    }
    let mut store = ctx.open()?;
    let started = std::time::Instant::now();
    let (batches, back) = parsed_in_background(input, ctx.clock.today);
    let bar = crate::render::output::progress(out, None, "importing rows…");
    let mut progress = |n: u64| bar.set_position(n);
    // The parsing thread has gone (an error there): the batch is freed here instead.
    let summary = store.import_batches(batches, args.create_missing, args.force, &mut progress, &mut |batch| {
        let _ = back.send(batch);
    });
    bar.finish_and_clear();
    let summary = summary?;
    if args.json {
        return out.json(&summary);
    }
    let secs = started.elapsed().as_secs_f64();
    let skipped = match (summary.skipped, summary.resolved_blockers) {
        (0, _) => String::new(),
        (n, 0) => format!("; skipped {n} rows already in the database"),
        (n, r) => format!("; skipped {n} rows already in the database, resolving {r} of their blockers"),
    };
    out.note(format!(
        "imported {} points and {} blockers from {} in {:.2} s{}{skipped}",
        summary.points,
        summary.blockers,
        args.file.display(),
        secs,
        if summary.created_projects.len() + summary.created_metrics.len() + summary.created_engineers.len() > 0 {
            format!(
                " (created {} projects, {} metrics, {} engineers)",
                summary.created_projects.len(),
                summary.created_metrics.len(),
                summary.created_engineers.len()
            )
        } else {
            String::new()
        }
    ));
    Ok(())
}

/// The validated rows of `input` in batches, read and checked on a second thread while
/// this one writes them: parsing and validation are a third of a large import's work, and
/// overlap with SQLite's. The rows and the first error arrive in file order, exactly as
/// `read_rows` yields them. Batches written are sent back through the returned sender: the
/// next rows are read into them, and the last are freed on the thread that made them.
fn parsed_in_background(
    input: impl std::io::Read + Send + 'static,
    today: chrono::NaiveDate,
) -> (impl Iterator<Item = ImportBatch>, std::sync::mpsc::Sender<ImportBatch>) {
    // A batch is sent at 2,048 rows or 1 MiB of text, whichever comes
    // first, and at most 16 wait: the rows in flight stay a few MiB however
    // long each is.
    const BATCH: usize = 2048;
    const BATCH_BYTES: usize = 1 << 20;
    let (tx, rx) = std::sync::mpsc::sync_channel::<ImportBatch>(16);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<ImportBatch>();
    let parser = std::thread::Builder::new().name("limfac-parse".into());
    let spawned = parser.spawn(move || {
        let mut rows = csv::read_rows(input, today);
        let mut batch = Vec::with_capacity(BATCH);
        let mut bytes = 0;
        // Rows written, back from the writer: the next rows are read into them, reusing
        // their text buffers (allocation was half of this thread's time).
        let mut spare: Vec<ImportRow> = Vec::new();
        while let Some(row) = rows.next_reusing(spare.pop()) {
            if let Ok(r) = &row {
                bytes += row_bytes(r);
            }
            batch.push(row);
            if batch.len() == BATCH || bytes >= BATCH_BYTES {
                bytes = 0;
                // The writer stopped early (an error): nothing more to do.
                if tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err() {
                    return;
                }
                spare.extend(back_rx.try_iter().flatten().flatten());
            }
        }
        let _ = tx.send(batch);
        drop(tx);
        drop(spare);
        // Until the writer is done: its last rows are freed here, where they were made.
        back_rx.iter().for_each(drop);
    });
    spawned.expect("spawn the parser thread");
    (rx.into_iter(), back_tx)
}

/// What a row holds in memory, roughly, for the batches' bound in bytes (a reused row's
/// buffers may be larger than their text).
fn row_bytes(r: &ImportRow) -> usize {
    let p = &r.point;
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
    p.note.capacity()
        + p.project.capacity()
        + p.metric.capacity()
        + p.engineer.capacity()
        + opt(&r.reviewer)
        + opt(&r.unit)
        + r.blockers.iter().map(|(c, t)| c.capacity() + t.capacity()).sum::<usize>()
        + std::mem::size_of::<ImportRow>()
}

/// A `.json` file, or one whose first non-blank byte is `{`.
fn is_json(path: &std::path::Path, input: &mut impl std::io::BufRead) -> Result<bool> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        return Ok(true);
    }
    let head = input.fill_buf().with_context(|| format!("cannot read {}", path.display()))?;
    Ok(head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// Restores a whole JSON export into an empty database.
fn restore(args: ImportArgs, ctx: &Ctx, out: &mut Output, input: impl std::io::Read) -> Result<()> {
    if args.create_missing {
        crate::user_bail!("--create-missing applies to a CSV file; a JSON export already holds everything it names");
    }
    // The points go aside, one JSON line each, into an unnamed temporary file (readable by
    // this process only, gone when closed) as the export is read, and are read back one at
    // a time once the projects, metrics and reviews they name are stored: the export lists
    // them before the projects, and a million of them held in memory took 400 MB.
    use std::io::{BufRead, Seek, Write};
    let mut aside = std::io::BufWriter::new(tempfile::tempfile().context("cannot create a temporary file")?);
    let mut write_point = |p: crate::store::StoredPoint| -> std::io::Result<()> {
        serde_json::to_writer(&mut aside, &p)?;
        aside.write_all(b"\n")
    };
    let dump = crate::store::read_dump(input, &mut write_point).map_err(|e| {
        crate::core::error::UserError::new(format!("{} is not a limfac JSON export: {e}", args.file.display()))
            .hint("write one with: limfac export --format json --out FILE.json")
    })?;
    let mut aside = aside.into_inner().map_err(|e| e.into_error()).context("cannot write a temporary file")?;
    aside.rewind().context("cannot read a temporary file")?;
    let mut points = std::io::BufReader::new(aside).lines().map(|line| -> Result<crate::store::StoredPoint> {
        Ok(serde_json::from_str(&line.context("cannot read a temporary file")?)?)
    });
    let mut store = ctx.open()?;
    let s = store.restore(&dump, &mut points)?;
    if args.json {
        return out.json(&s);
    }
    out.note(format!(
        "restored {} projects, {} engineers, {} metrics, {} reviews, {} points, {} corrections, {} blockers, \
         {} deadline changes and {} archive events from {}",
        s.projects,
        s.engineers,
        s.metrics,
        s.reviews,
        s.points,
        s.corrections,
        s.blockers,
        s.deadlines,
        s.archive_events,
        args.file.display()
    ));
    Ok(())
}
