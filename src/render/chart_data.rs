//! What goes into each chart, taken from a snapshot and its outlook: the
//! bridge between the forecasting core and the chart renderer.
//!
//! Pure: plain data in, plain chart descriptions out.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::core::analysis::Outlook;
use crate::core::forecast::Status;
use crate::core::model::{Direction, Observation, Snapshot};
use crate::render::chart::{FeverChart, FeverProject, MetricChart, Series};

/// The chart of metric `m` (an index into `snapshot.metrics`), drawing `observations` (its
/// readings: `snapshot.observations_of(m)` when the snapshot holds them; a command that did
/// not load every reading reads the one metric's).
pub fn metric_chart(
    snapshot: &Snapshot,
    outlook: &Outlook,
    m: usize,
    observations: &[Observation],
    highlight: bool,
) -> MetricChart {
    let metric = &snapshot.metrics[m];
    let f = &outlook.forecasts[m];
    let view = &outlook.views[m];
    let mut by_engineer: BTreeMap<&str, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    for o in observations.iter().filter(|o| o.date <= outlook.as_of) {
        let e = &snapshot.engineers[o.engineer as usize];
        by_engineer.entry(e.name.as_str()).or_default().push((o.date, o.value));
    }
    let title = match &metric.name {
        Some(n) => format!("{} — {n}", metric.key()),
        None => metric.key(),
    };
    MetricChart {
        title,
        unit: metric.unit.clone(),
        status: f.status.as_str().to_string(),
        reason: view.reason.clone(),
        direction_up: metric.direction == Direction::Up,
        target: metric.target,
        tolerance: metric.tolerance,
        series: by_engineer.into_iter().map(|(e, points)| Series { engineer: e.to_string(), points }).collect(),
        // The forecast knows nothing of physical bounds: a projection is
        // clamped into them here, so that no chart shows a yield above 100%.
        curve: f.curve.iter().map(|c| (c.date, metric.clamp(c.value))).collect(),
        fan: f.fan.iter().map(|p| (p.date, metric.clamp(p.p10), metric.clamp(p.p50), metric.clamp(p.p90))).collect(),
        p50: f.p50,
        p80: f.p80,
        deadline: view.deadline,
        as_of: outlook.as_of,
        highlight,
    }
}

/// Small multiples of one project's metrics, its limiting metric highlighted.
pub fn project_charts(snapshot: &Snapshot, outlook: &Outlook, project: &str) -> Vec<MetricChart> {
    let limiting = outlook.analysis.project(project).and_then(|p| p.limiting_metric.clone());
    (0..snapshot.metrics.len())
        .filter(|&m| snapshot.metrics[m].project == project)
        .map(|m| {
            let highlight = limiting.as_deref() == Some(snapshot.metrics[m].key().as_str());
            metric_chart(snapshot, outlook, m, snapshot.observations_of(m), highlight)
        })
        .collect()
}

/// Share of the gap closed for a project and everything it depends on: for
/// each metric on its path that can be forecast and has readings, the share
/// of the gap at its first readings closed by its latest (one minus the
/// analysis's `gap_open`: medians of the first and of the last three
/// readings, so that one noisy reading does not move a project across the
/// chart), averaged. `path` lists the metric positions on the project's path.
fn gap_closed(path: &[usize], outlook: &Outlook) -> f64 {
    let shares: Vec<f64> = path
        .iter()
        .filter(|&&m| !outlook.forecasts[m].samples.is_empty() && !outlook.heard[m].is_empty())
        .map(|&m| (1.0 - outlook.gap_open[m]).clamp(0.0, 1.0))
        .collect();
    if shares.is_empty() {
        0.0
    } else {
        shares.iter().sum::<f64>() / shares.len() as f64
    }
}

/// Schedule risk: 1 − P(on time) with a deadline; without one, the chance
/// that the project (its dependencies included) is not done within 26 weeks.
fn schedule_risk(outlook: &Outlook, project: &str) -> f64 {
    let Some(p) = outlook.analysis.project(project) else { return 0.0 };
    if p.status == Status::Done {
        return 0.0;
    }
    if let Some(on_time) = p.p_on_time {
        return 1.0 - on_time;
    }
    let horizon = outlook.as_of + chrono::Days::new(182);
    p.p_done_by(outlook.as_of, horizon).map(|d| 1.0 - d).unwrap_or(1.0)
}

/// The fever chart: every project at (gap closed, schedule risk) now, with a
/// trail through the earlier outlooks given (oldest first).
pub fn fever_chart(snapshot: &Snapshot, now: &Outlook, earlier: &[&Outlook]) -> FeverChart {
    let earlier: Vec<FeverMarks> = earlier.iter().map(|o| fever_marks(snapshot, o)).collect();
    fever_chart_of(snapshot, &fever_marks(snapshot, now), &earlier)
}

/// What the fever chart keeps of one outlook: each project's (gap closed, schedule risk) and
/// whether it has a deadline, in snapshot order. A command drawing the trail keeps these of
/// each earlier date rather than the date's forecasts (twenty thousand metrics' simulated
/// paths a date).
#[derive(Debug, Clone, PartialEq)]
pub struct FeverMarks {
    pub as_of: NaiveDate,
    pub projects: Vec<(f64, f64)>,
    pub has_deadline: Vec<bool>,
}

/// [`FeverMarks`] of one outlook.
pub fn fever_marks(snapshot: &Snapshot, outlook: &Outlook) -> FeverMarks {
    // Each project's path (its metrics and its dependencies').
    let graph = crate::core::limiting::ProjectGraph::new(&snapshot.projects, &snapshot.metrics);
    let mut seen = vec![0u32; snapshot.projects.len()];
    let projects = snapshot
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut path: Vec<usize> = graph
                .closure(i, &mut seen, i as u32 + 1)
                .into_iter()
                .flat_map(|q| graph.own[q].iter().copied())
                .collect();
            path.sort_unstable();
            (gap_closed(&path, outlook), schedule_risk(outlook, &p.slug))
        })
        .collect();
    let has_deadline = snapshot
        .projects
        .iter()
        .map(|p| outlook.analysis.project(&p.slug).is_some_and(|o| o.deadline.is_some()))
        .collect();
    FeverMarks { as_of: outlook.as_of, projects, has_deadline }
}

/// [`fever_chart`] from the marks of now and of the earlier outlooks (oldest first).
pub fn fever_chart_of(snapshot: &Snapshot, now: &FeverMarks, earlier: &[FeverMarks]) -> FeverChart {
    let projects = snapshot
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| FeverProject {
            label: p.slug.clone(),
            closed: now.projects[i].0,
            risk: now.projects[i].1,
            trail: earlier.iter().map(|o| o.projects[i]).collect(),
            has_deadline: now.has_deadline[i],
        })
        .collect();
    FeverChart { title: format!("Fever chart — as of {}", now.as_of), as_of: now.as_of, projects }
}
