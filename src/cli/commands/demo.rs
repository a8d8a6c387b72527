//! `limfac demo`: a realistic organization to try limfac on, written to its
//! own database file so that the user's real data is never touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use super::Ctx;
use crate::core::analysis;
use crate::core::model::{Deadline, Project};
use crate::demo::scale;
use crate::demo::story::{self, Dataset, DemoDue};
use crate::render::chart::{self, Format};
use crate::render::chart_data;
use crate::render::output::Output;
use crate::store::{self, BlockerFilter, ImportRow, Store};

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
    let snapshot = build_database(&path, ctx, |store| {
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
        let store = Store::open_for_reading(&path, ctx.clock)?;
        store.begin_snapshot()?;
        let loaded = crate::cli::forecasting::Loaded::full(&store)?;
        let forecaster = crate::cli::forecasting::Forecaster::new(&store, &loaded, horizon);
        super::report::build(
            &loaded.snapshot,
            ctx.clock.today,
            None,
            &ctx.settings,
            false,
            DEMO_HISTORY_WEEKS,
            &|asks| forecaster.outlooks(asks),
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
        write_scale_csv(&data, file)?;
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
    build_database(&path, ctx, |store| load_scale(store, &data))?;
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

/// Writes the scale organization through the store's ordinary paths: the
/// entities one by one, the points by the bulk import.
pub fn load_scale(store: &mut Store, data: &scale::ScaleData) -> Result<()> {
    add_organization(store, &data.engineers, &data.projects, &data.metrics)?;
    let rows = data.points().enumerate().map(|(i, p)| {
        let m = &data.metrics[p.metric as usize];
        Ok(ImportRow {
            line: i as u64 + 2,
            date: p.date,
            project: m.project.clone(),
            metric: m.metric.clone(),
            engineer: data.engineers[p.engineer as usize].handle.clone(),
            value: p.value,
            note: scale::NOTES[p.note as usize].to_string(),
            blockers: p
                .blocker
                .map(|b| {
                    let (c, t) = scale::BLOCKERS[b as usize];
                    vec![(c.to_string(), t.to_string())]
                })
                .unwrap_or_default(),
            resolved: Vec::new(),
            kind: Some(crate::core::model::ReviewKind::SkipLevel),
            reviewer: Some(data.engineers[p.reviewer as usize].handle.clone()),
            target: None,
            direction: None,
            tolerance: None,
            unit: None,
        })
    });
    store.import(rows, false, &mut |_| {})?;
    // Goal projects carry deadlines, set four weeks ago, half a year out.
    let today = store.clock().today;
    for p in data.projects.iter().filter(|p| !p.depends_on.is_empty()).take(40) {
        store.set_deadline(&Deadline {
            id: 0,
            project: p.slug.clone(),
            metric: None,
            due: today + chrono::Duration::days(182),
            probability: None,
            reason: Some("committed at the quarterly planning".into()),
            set_on: today - chrono::Duration::days(28),
        })?;
    }
    Ok(())
}

/// The scale data as an import CSV, every column (as `export` writes them).
/// Written like every `--out` file: all or nothing (a full disk leaves no
/// truncated CSV), private, never through a link.
fn write_scale_csv(data: &scale::ScaleData, file: &Path) -> Result<()> {
    crate::platform::files::write_with("--csv", file, |out| write_scale_rows(data, out))
}

fn write_scale_rows(data: &scale::ScaleData, out: &mut dyn std::io::Write) -> Result<()> {
    let mut w = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(out);
    w.write_record(crate::formats::csv::COLUMNS)?;
    let metric_cols: Vec<[String; 3]> =
        data.metrics.iter().map(|m| [m.target.to_string(), m.direction.to_string(), m.tolerance.to_string()]).collect();
    let mut value = String::new();
    let mut date = String::new();
    let mut blocker = String::new();
    for p in data.points() {
        use std::fmt::Write as _;
        let m = &data.metrics[p.metric as usize];
        let mc = &metric_cols[p.metric as usize];
        value.clear();
        write!(value, "{}", p.value)?;
        date.clear();
        write!(date, "{}", p.date.format("%Y-%m-%d"))?;
        blocker.clear();
        if let Some(b) = p.blocker {
            let (c, t) = scale::BLOCKERS[b as usize];
            write!(blocker, "{c}:{t}")?;
        }
        w.write_record([
            date.as_str(),
            &m.project,
            &m.metric,
            &data.engineers[p.engineer as usize].handle,
            &value,
            scale::NOTES[p.note as usize],
            &blocker,
            crate::core::model::ReviewKind::SkipLevel.as_str(),
            &data.engineers[p.reviewer as usize].handle,
            &mc[0],
            &mc[1],
            &mc[2],
            m.unit.as_deref().unwrap_or(""),
            "",
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Sets the demo's deadlines in order, each as of the day it was set, so
/// that their recorded chances are what limfac would have said then.
fn set_deadlines(store: &mut Store, data: &Dataset, horizon: i64) -> Result<()> {
    // The readings are all in; the dates and chances asked for below depend
    // on them alone (not on the deadlines being set), so one load serves all.
    let snapshot = store.snapshot()?;
    let mut cache: Option<(chrono::NaiveDate, crate::core::analysis::Outlook)> = None;
    for d in &data.deadlines {
        if cache.as_ref().is_none_or(|(day, _)| *day != d.set_on) {
            let cal = analysis::org_calibration(&snapshot, d.set_on, horizon);
            cache = Some((d.set_on, analysis::outlook(&snapshot, d.set_on, horizon, &cal)));
        }
        let (_, outlook) = cache.as_ref().expect("just set");
        let metric = d.metric.as_deref();
        let due = match d.due {
            DemoDue::P50 => match analysis::odds(outlook, &snapshot, &d.project, metric).p50 {
                Some(p50) => p50,
                None => continue,
            },
            DemoDue::Date(date) => date,
        };
        let probability = analysis::chance(outlook, &snapshot, &d.project, metric, due);
        store.set_deadline(&Deadline {
            id: 0,
            project: d.project.clone(),
            metric: d.metric.clone(),
            due,
            probability,
            reason: Some(d.reason.clone()),
            set_on: d.set_on,
        })?;
    }
    Ok(())
}

/// A chart for every metric, a dashboard per project and the fever chart.
fn write_charts(
    snapshot: &crate::core::model::Snapshot,
    dir: &Path,
    as_of: chrono::NaiveDate,
    horizon: i64,
) -> Result<Vec<PathBuf>> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let cal_at = |d| Ok(std::sync::Arc::new(analysis::org_calibration(snapshot, d, horizon)));
    let outlook = analysis::outlook_for_charts(snapshot, as_of, horizon, &*cal_at(as_of)?);
    let mut written = Vec::new();
    let mut write = |name: String, bytes: Vec<u8>| -> Result<()> {
        let path = dir.join(name);
        super::write_private(&path, &bytes)?;
        written.push(path);
        Ok(())
    };
    let limiting = outlook.analysis.limiting_factor.as_ref().map(|l| format!("{}/{}", l.project, l.metric));
    for (i, m) in snapshot.metrics.iter().enumerate() {
        let highlight = limiting.as_deref() == Some(m.key().as_str());
        let c = chart_data::metric_chart(snapshot, &outlook, i, highlight);
        write(format!("{}--{}.png", m.project, m.metric), chart::metric(&c, Format::Png)?)?;
    }
    for p in &snapshot.projects {
        let charts = chart_data::project_charts(snapshot, &outlook, &p.slug);
        let title = format!("{} — {} (as of {as_of})", p.slug, p.name);
        write(format!("dashboard-{}.png", p.slug), chart::dashboard(&title, &charts, Format::Png)?)?;
    }
    let trail = analysis::weeks_before(snapshot, as_of, horizon, &[4, 3, 2, 1], &cal_at)?;
    write(
        "fever.png".to_string(),
        chart::fever(&chart_data::fever_chart(snapshot, &outlook, &trail.iter().collect::<Vec<_>>()), Format::Png)?,
    )?;
    Ok(written)
}

/// Builds a demo database with `fill` in a temporary file beside `path`,
/// marks it as a demo, and only then moves it over `path` (checked by
/// [`store::check_demo_target`] to be nothing, an empty file or an earlier
/// demo). A failure leaves `path` as it was and no temporary file behind.
fn build_database<T>(path: &Path, ctx: &Ctx, fill: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let tmp = crate::platform::files::temp_beside(path)?.into_temp_path();
    let result = {
        let mut store = Store::open(&tmp, ctx.clock)?;
        let result = fill(&mut store)?;
        store.mark_demo()?;
        result
        // The store closes here: its WAL is checkpointed into the file and removed.
    };
    store::replace_database(tmp, path)?;
    Ok(result)
}

/// Writes the dataset through the same paths users' data takes.
pub fn load(store: &mut Store, data: &Dataset) -> Result<()> {
    add_organization(store, &data.engineers, &data.projects, &data.metrics)?;
    let rows = data.points.iter().enumerate().map(|(i, dp)| {
        Ok(ImportRow {
            line: i as u64 + 2,
            date: dp.point.date,
            project: dp.point.project.clone(),
            metric: dp.point.metric.clone(),
            engineer: dp.point.engineer.clone(),
            value: dp.point.value,
            note: dp.point.note.clone(),
            blockers: dp.blockers.clone(),
            resolved: Vec::new(),
            kind: Some(dp.kind),
            reviewer: Some(dp.reviewer.clone()),
            target: None,
            direction: None,
            tolerance: None,
            unit: None,
        })
    });
    store.import(rows, false, &mut |_| {})?;
    let open = store.blockers(&BlockerFilter::default())?;
    for r in &data.resolutions {
        if let Some(b) = open.iter().find(|b| b.project == r.project && b.category == r.category && b.text == r.text) {
            store.resolve_blocker(b.id, r.resolved)?;
        }
    }
    Ok(())
}

/// Engineers (managers first), projects (prerequisites first) and metrics,
/// through the same checks a user's commands go through.
fn add_organization(
    store: &mut Store,
    engineers: &[crate::core::model::Engineer],
    projects: &[Project],
    metrics: &[crate::core::model::Metric],
) -> Result<()> {
    for e in in_reporting_order(engineers) {
        store.add_engineer(e)?;
    }
    for p in in_dependency_order(projects) {
        store.add_project(p)?;
    }
    for m in metrics {
        store.add_metric(m)?;
    }
    Ok(())
}

fn in_reporting_order(engineers: &[crate::core::model::Engineer]) -> Vec<&crate::core::model::Engineer> {
    let mut done: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    while out.len() < engineers.len() {
        let before = out.len();
        for e in engineers {
            let ready = e.reports_to.as_deref().is_none_or(|b| done.contains(&b));
            if ready && !done.contains(&e.handle.as_str()) {
                done.push(&e.handle);
                out.push(e);
            }
        }
        assert!(out.len() > before, "demo org chart has a loop");
    }
    out
}

fn in_dependency_order(projects: &[Project]) -> Vec<&Project> {
    let mut done: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    while out.len() < projects.len() {
        let before = out.len();
        for p in projects {
            let ready = p.depends_on.iter().all(|d| done.contains(&d.as_str()));
            if ready && !done.contains(&p.slug.as_str()) {
                done.push(&p.slug);
                out.push(p);
            }
        }
        assert!(out.len() > before, "demo dependencies have a cycle");
    }
    out
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
