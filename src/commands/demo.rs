//! `limfac demo`: a realistic organization to try limfac on, written to its
//! own database file so that the user's real data is never touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use super::Ctx;
use crate::analysis;
use crate::chart::{self, Format};
use crate::chart_data;
use crate::demo_data::{self, Dataset, DemoDue};
use crate::model::{Deadline, Project};
use crate::output::Output;
use crate::store::{BlockerFilter, ImportRow, Store};

/// Build the demo: a space-compute company whose limiting factor moves from
/// power to chips over 24 weeks of weekly reviews.
///
/// Writes to --db if given, else limfac-demo.db in the current folder
/// (replaced if it exists). It never reads $LIMFAC_DB, so your real database
/// is safe.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  limfac demo\n  limfac --db /tmp/demo.db demo --out charts/")]
pub struct DemoArgs {
    /// Also write charts for every metric, the dashboards and the fever chart here
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Where the demo writes: `--db`, else `limfac-demo.db` here — never `$LIMFAC_DB`.
fn demo_path(ctx: &Ctx) -> PathBuf {
    ctx.db.clone().unwrap_or_else(|| PathBuf::from("limfac-demo.db"))
}

pub fn run(args: DemoArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let path = demo_path(ctx);
    if path.is_dir() {
        crate::user_bail!("--db {} is a directory; give a file name", path.display());
    }
    remove_database(&path)?;
    if let Some(dir) = &args.out {
        if dir.exists() && !dir.is_dir() {
            crate::user_bail!("--out {} is not a folder", dir.display());
        }
    }
    let bar = crate::output::progress(out, None, "building the demo…");
    let data = demo_data::dataset(ctx.clock.today);
    let mut store = Store::open(&path, ctx.clock)?;
    load(&mut store, &data)?;
    bar.set_message("setting deadlines as of their day…");
    set_deadlines(&mut store, &data, ctx.settings.horizon_days)?;
    bar.finish_and_clear();
    let snapshot = store.snapshot()?;
    let horizon = ctx.settings.horizon_days;
    let charts = match &args.out {
        Some(dir) => write_charts(&snapshot, dir, ctx.clock.today, horizon)?,
        None => Vec::new(),
    };
    summarize(out, &path, &data, &charts)?;
    // End with what the tool is for: this week's report on the demo data.
    let (report, none) = super::report::build(&snapshot, ctx.clock.today, None, horizon, false)?;
    out.line("")?;
    out.raw(crate::render::render(&report, crate::render::MARKDOWN, false, &none)?.as_bytes())?;
    Ok(())
}

/// Sets the demo's deadlines in order, each as of the day it was set, so
/// that their recorded chances are what limfac would have said then.
fn set_deadlines(store: &mut Store, data: &Dataset, horizon: i64) -> Result<()> {
    let mut cache: Option<(chrono::NaiveDate, crate::analysis::Outlook)> = None;
    for d in &data.deadlines {
        let snapshot = store.snapshot()?;
        if cache.as_ref().is_none_or(|(day, _)| *day != d.set_on) {
            cache = Some((d.set_on, analysis::outlook(&snapshot, d.set_on, horizon)));
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
    snapshot: &crate::model::Snapshot,
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
    let outlook = analysis::outlook(snapshot, as_of, horizon);
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
    let trail: Vec<_> = [28u64, 21, 14, 7]
        .into_iter()
        .filter_map(|d| as_of.checked_sub_days(chrono::Days::new(d)))
        .map(|d| analysis::outlook(snapshot, d, horizon))
        .collect();
    write("fever.png".to_string(), chart::fever(&chart_data::fever_chart(snapshot, &outlook, &trail), Format::Png)?)?;
    Ok(written)
}

/// Deletes a database and its WAL side files.
fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot replace {}", p.display()))?;
        }
    }
    Ok(())
}

/// Writes the dataset through the same paths users' data takes.
pub fn load(store: &mut Store, data: &Dataset) -> Result<()> {
    for e in in_reporting_order(&data.engineers) {
        store.add_engineer(e)?;
    }
    for p in in_dependency_order(&data.projects) {
        store.add_project(p)?;
    }
    for m in &data.metrics {
        store.add_metric(m)?;
    }
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

fn in_reporting_order(engineers: &[crate::model::Engineer]) -> Vec<&crate::model::Engineer> {
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
        demo_data::WEEKS
    ))?;
    if let Some(first) = charts.first() {
        let dir = first.parent().map(|d| d.display().to_string()).unwrap_or_default();
        out.line(format!(
            "Wrote {} charts to {dir}/: one per metric, a dashboard per project, and fever.png.",
            charts.len()
        ))?;
    }
    out.line("")?;
    out.line("Try next:")?;
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
