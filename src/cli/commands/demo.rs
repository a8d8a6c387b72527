//! `limfac demo`: a realistic organization to try limfac on, written to its
//! own database file so that the user's real data is never touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use super::Ctx;
use crate::core::model::Snapshot;
use crate::core::report::Policy;
use crate::demo::load::{build_database, load, load_scale, set_deadlines};
use crate::demo::scale;
use crate::demo::story::{self, Dataset};
use crate::render::output::Output;
use crate::store;

/// Build a demo organization to try limfac on
///
/// A space-compute company whose limiting factor moves from power to chips
/// over 24 weeks of weekly reviews.
///
/// Writes to --db if given, else limfac-demo.db in the current folder. It
/// replaces only a database an earlier demo made (marked as a demo), or an
/// empty file, and refuses anything else. It never reads $LIMFAC_DB, so
/// your real database is safe.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac demo\n  limfac --db /tmp/demo.db demo --out charts/\n  limfac --db /tmp/big.db demo --scale 1\n  limfac demo --scale 1 --csv big.csv"
)]
pub struct DemoArgs {
    /// Also write charts for every metric, the dashboards and the fever chart here
    #[arg(long, value_name = "DIR", conflicts_with = "scale")]
    out: Option<PathBuf>,
    /// Instead of the story, a large organization for measuring speed: at 1,
    /// 400 projects, 500 engineers, 2,000 metrics and 1,000,000 data points
    /// over five years of weekly reviews (N scales the organization; every
    /// metric keeps 500 readings)
    #[arg(long, value_name = "N")]
    scale: Option<f64>,
    /// With --scale: write the data points as an import CSV (every column,
    /// for `import --create-missing`) instead of a database
    #[arg(long, value_name = "FILE", requires = "scale")]
    csv: Option<PathBuf>,
}

/// The demo's report shows the limiting factor over this many weeks: long
/// enough to see it move from power to chips.
const DEMO_HISTORY_WEEKS: u32 = 16;

/// Where the demo writes: `--db`, else `limfac-demo.db` here — never `$LIMFAC_DB`.
fn demo_path(ctx: &Ctx) -> PathBuf {
    ctx.db.clone().unwrap_or_else(|| PathBuf::from("limfac-demo.db"))
}

pub fn run(args: DemoArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    if let Some(n) = args.scale {
        return run_scale(n, args.csv.as_deref(), ctx, out);
    }
    let path = demo_path(ctx);
    store::check_demo_target(&path)?;
    if let Some(dir) = &args.out {
        if dir.exists() && !dir.is_dir() {
            crate::user_bail!("--out {} is not a folder", dir.display());
        }
    }
    let bar = crate::render::output::progress(out, None, "building the demo…");
    let data = story::dataset(ctx.clock.today);
    let snapshot = build_database(&path, ctx.clock, |store| {
        load(store, &data)?;
        bar.set_message("setting deadlines as of their day…");
        set_deadlines(store, &data, ctx.settings.horizon_days)?;
        store.snapshot()
    })?;
    bar.finish_and_clear();
    let horizon = ctx.settings.horizon_days;
    let charts = match &args.out {
        Some(dir) => write_charts(&snapshot, dir, ctx.clock.today, horizon)?,
        None => Vec::new(),
    };
    // What the tool is for: this week's report on the demo data, then what
    // was made and what to try next (last, so it is what stays on screen).
    // Through the forecast cache, like `report`: the first report on the demo is warm.
    let (report, none) = {
        let store = crate::store::Store::open_for_reading(&path, ctx.clock)?;
        store.begin_snapshot()?;
        let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
        let forecaster = crate::cli::forecasting::Forecaster::new(&store, &loaded, horizon);
        let policy = Policy { reviewer: ctx.settings.reviewer.as_deref(), weekly_risk: ctx.settings.weekly_risk };
        crate::render::report::build(
            &loaded.snapshot,
            ctx.clock.today,
            &policy,
            false,
            DEMO_HISTORY_WEEKS,
            &crate::render::report::Sources {
                at: &|asks| forecaster.outlooks(asks),
                each: &|asks, f| forecaster.outlooks_each(asks, f),
                fan_of: &|as_of, m| forecaster.charted(as_of, m),
            },
        )?
    };
    out.raw(crate::render::template::render(&report, crate::render::template::MARKDOWN, false, &none)?.as_bytes())?;
    out.line("")?;
    out.line("---")?;
    summarize(out, &path, &data, &charts)?;
    Ok(())
}

/// `demo --scale N`: the large organization, to a database or a CSV file.
fn run_scale(n: f64, csv: Option<&Path>, ctx: &Ctx, out: &mut Output) -> Result<()> {
    if !(n.is_finite() && n > 0.0 && n <= 20.0) {
        crate::user_bail!("--scale {n} is out of range; use a number above 0 and at most 20 (1 = one million points)");
    }
    let started = std::time::Instant::now();
    let data = scale::generate(n, ctx.clock.today);
    if let Some(file) = csv {
        crate::platform::files::check_out_path("--csv", file)?;
        // Written like every `--out` file: all or nothing (a full disk leaves
        // no truncated CSV), private, never through a link.
        crate::platform::files::write_with("--csv", file, |w| scale::write_csv(&data, w))?;
        out.line(format!(
            "Wrote {} data points ({} projects, {} engineers, {} metrics) to {} in {:.1} s.",
            data.n_points(),
            data.projects.len(),
            data.engineers.len(),
            data.metrics.len(),
            file.display(),
            started.elapsed().as_secs_f64()
        ))?;
        out.line(format!("Load it with: limfac --db NEW.db import {} --create-missing", file.display()))?;
        return Ok(());
    }
    let path = demo_path(ctx);
    store::check_demo_target(&path)?;
    build_database(&path, ctx.clock, |store| load_scale(store, &data))?;
    let db = path.display().to_string();
    out.line(format!(
        "Wrote the scale demo to {db}: {} projects, {} engineers, {} metrics, {} data points over {} weeks in {:.1} s.",
        data.projects.len(),
        data.engineers.len(),
        data.metrics.len(),
        data.n_points(),
        data.weeks,
        started.elapsed().as_secs_f64()
    ))?;
    out.line("")?;
    out.line("Try next (limfac not on your PATH yet? `cargo install --path .` in the source folder):")?;
    let metric = data.metrics.first().map(|m| m.key()).unwrap_or_default();
    for c in ["forecast --json".to_string(), "report --format json".into(), format!("chart {metric} --out metric.png")]
    {
        out.line(format!("  limfac --db {db} {c}"))?;
    }
    Ok(())
}

/// A chart for every metric, a dashboard per project and the fever chart,
/// written into `dir` (made private when new).
fn write_charts(snapshot: &Snapshot, dir: &Path, as_of: chrono::NaiveDate, horizon: i64) -> Result<Vec<PathBuf>> {
    crate::platform::files::create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    crate::render::report::chart_files(snapshot, as_of, horizon, &mut |name, bytes| {
        let path = dir.join(name);
        super::write_private(&path, &bytes)?;
        written.push(path);
        Ok(())
    })?;
    Ok(written)
}

fn summarize(out: &mut Output, path: &Path, data: &Dataset, charts: &[PathBuf]) -> Result<()> {
    let db = path.display().to_string();
    let db_arg = if db.contains(' ') { format!("'{db}'") } else { db.clone() };
    out.line(format!(
        "Wrote the demo to {db}: {} projects, {} engineers, {} metrics, {} data points over {} weeks.",
        data.projects.len(),
        data.engineers.len(),
        data.metrics.len(),
        data.points.len(),
        story::WEEKS
    ))?;
    if let Some(first) = charts.first() {
        let dir = first.parent().map(|d| d.display().to_string()).unwrap_or_default();
        out.line(format!(
            "Wrote {} charts to {dir}/: one per metric, a dashboard per project, and fever.png.",
            charts.len()
        ))?;
    }
    out.line("")?;
    out.line("Try next (limfac not on your PATH yet? `cargo install --path .` in the source folder):")?;
    for c in [
        "forecast",
        "chart chips --out chips.png",
        "deadline history",
        "calibration",
        "engineer show wang-xm",
        "report --format html --out report.html",
    ] {
        out.line(format!("  limfac --db {db_arg} {c}"))?;
    }
    Ok(())
}
