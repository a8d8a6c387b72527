//! Writes the demo and scale organizations into a database through the
//! store's ordinary paths (the same checks a user's commands go through),
//! and builds a demo database beside its target before moving it in place.

use std::path::Path;

use anyhow::{Context, Result};

use crate::core::analysis;
use crate::core::model::{self, Deadline, Engineer, Metric, Point, Project, ReviewKind};
use crate::demo::scale::{self, ScaleData};
use crate::demo::story::{Dataset, DemoDue};
use crate::platform::clock::Clock;
use crate::store::{self, BlockerFilter, ImportRow, Store};

/// Builds a demo database with `fill` in a temporary file beside `path`,
/// marks it as a demo, and only then moves it over `path` (checked by
/// [`store::check_demo_target`] to be nothing, an empty file or an earlier
/// demo). A failure leaves `path` as it was and no temporary file behind.
pub fn build_database<T>(path: &Path, clock: Clock, fill: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        crate::platform::files::create_private_dir(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
    }
    let tmp = crate::platform::files::temp_beside(path)?.into_temp_path();
    let result = {
        let mut store = Store::open(&tmp, clock)?;
        let result = fill(&mut store)?;
        store.mark_demo()?;
        result
        // The store closes here: its WAL is checkpointed into the file and removed.
    };
    store::replace_database(tmp, path)?;
    Ok(result)
}

/// Writes the story's dataset through the same paths users' data takes.
pub fn load(store: &mut Store, data: &Dataset) -> Result<()> {
    add_organization(store, &data.engineers, &data.projects, &data.metrics)?;
    let rows = data.points.iter().enumerate().map(|(i, dp)| {
        Ok(ImportRow {
            line: i as u64 + 2,
            point: dp.point.clone(),
            blockers: dp.blockers.clone(),
            kind: Some(dp.kind),
            reviewer: Some(dp.reviewer.clone()),
            ..ImportRow::default()
        })
    });
    store.import(rows, false, false, &mut |_| {})?;
    let open = store.blockers(&BlockerFilter::default())?;
    for r in &data.resolutions {
        if let Some(b) = open.iter().find(|b| b.project == r.project && b.category == r.category && b.text == r.text) {
            store.resolve_blocker(b.id, r.resolved)?;
        }
    }
    Ok(())
}

/// Writes the scale organization through the store's ordinary paths: the
/// entities one by one, the points by the bulk import.
pub fn load_scale(store: &mut Store, data: &ScaleData) -> Result<()> {
    add_organization(store, &data.engineers, &data.projects, &data.metrics)?;
    let rows = data.points().enumerate().map(|(i, p)| {
        let m = &data.metrics[p.metric as usize];
        let blockers = p.blocker.map(|b| scale::BLOCKERS[b as usize]);
        Ok(ImportRow {
            line: i as u64 + 2,
            point: Point {
                date: p.date,
                project: m.project.clone(),
                metric: m.metric.clone(),
                engineer: data.engineers[p.engineer as usize].handle.clone(),
                value: p.value,
                note: scale::NOTES[p.note as usize].to_string(),
                review: None,
            },
            blockers: blockers.map(|(c, t)| vec![(c.to_string(), t.to_string())]).unwrap_or_default(),
            kind: Some(ReviewKind::SkipLevel),
            reviewer: Some(data.engineers[p.reviewer as usize].handle.clone()),
            ..ImportRow::default()
        })
    });
    store.import(rows, false, false, &mut |_| {})?;
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

/// Sets the demo's deadlines in order, each as of the day it was set, so
/// that their recorded chances are what limfac would have said then.
pub fn set_deadlines(store: &mut Store, data: &Dataset, horizon: i64) -> Result<()> {
    // The readings are all in; the dates and chances asked for below depend
    // on them alone (not on the deadlines being set), so one load serves all.
    let snapshot = store.snapshot()?;
    let mut cache: Option<(chrono::NaiveDate, analysis::Outlook)> = None;
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

/// Engineers (managers first), projects (prerequisites first) and metrics,
/// through the same checks a user's commands go through.
fn add_organization(store: &mut Store, engineers: &[Engineer], projects: &[Project], metrics: &[Metric]) -> Result<()> {
    let managers_first =
        model::in_order(engineers, |e| e.handle.as_str(), |e| e.reports_to.iter().map(String::as_str).collect())
            .expect("the demo org chart has no loop");
    for e in managers_first {
        store.add_engineer(e)?;
    }
    let prerequisites_first =
        model::in_order(projects, |p| p.slug.as_str(), |p| p.depends_on.iter().map(String::as_str).collect())
            .expect("the demo dependencies have no cycle");
    for p in prerequisites_first {
        store.add_project(p)?;
    }
    for m in metrics {
        store.add_metric(m)?;
    }
    Ok(())
}
