//! `limfac demo`: a realistic organization to try limfac on, written to its
//! own database file so that the user's real data is never touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use super::Ctx;
use crate::demo_data::{self, Dataset};
use crate::model::Project;
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
    let data = demo_data::dataset(ctx.clock.today);
    let mut store = Store::open(&path, ctx.clock)?;
    load(&mut store, &data)?;
    let _ = args.out;
    summarize(out, &path, &data)?;
    Ok(())
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

fn summarize(out: &mut Output, path: &Path, data: &Dataset) -> Result<()> {
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
    out.line("")?;
    out.line("Try next:")?;
    for c in ["project list", "metric list", "review list", "blocker list", "engineer show wang-xm"] {
        out.line(format!("  limfac --db {db_arg} {c}"))?;
    }
    Ok(())
}
