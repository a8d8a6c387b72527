//! Forecasting a whole organization as of a date: every metric's forecast,
//! the deadlines that apply, and the limiting-factor analysis. `forecast`,
//! `report`, `chart` and `deadline` all start here so that they agree.
//!
//! Pure: takes a [`Snapshot`], returns plain data.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::core::forecast::replay::{self, MetricHistory, Record};
use crate::core::forecast::{self, Calibration, Forecast, MetricSpec, Options, Reading, Status};
use crate::core::limiting::{self, Analysis};
use crate::core::model::{Deadline, Direction, Metric, Snapshot};

/// The default forecast horizon: three years past the as-of date.
pub const DEFAULT_HORIZON_DAYS: i64 = 3 * 365;

/// One metric's forecast as docs/spec.md §3 prints it (`forecast --json`), plus a few
/// extra fields (name, unit, trend, p_never) that people find useful.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricView {
    pub project: String,
    pub metric: String,
    pub status: Status,
    pub model: String,
    pub n_points: usize,
    pub last_date: Option<NaiveDate>,
    pub last_value: Option<f64>,
    pub target: f64,
    pub direction: Direction,
    pub tolerance: f64,
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    pub p90: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub p_on_time: Option<f64>,
    pub off_path: bool,
    pub reason: String,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub trend_per_week: Option<f64>,
    pub p_never: f64,
}

/// The calibration a forecast as of one date uses: the shipped one corrected by the
/// organization's own replayed history up to that date, and the record behind it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrgCalibration {
    pub calibration: Calibration,
    pub record: Record,
}

/// Every metric's history, for the self-calibration.
pub fn histories(snapshot: &Snapshot) -> Vec<MetricHistory> {
    snapshot
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| MetricHistory {
            key: m.key(),
            spec: spec(m),
            readings: snapshot.observations_of(i).iter().map(|o| Reading { date: o.date, value: o.value }).collect(),
        })
        .collect()
}

/// The organization's calibration as of `as_of`, from the whole snapshot's history (readings
/// after `as_of` are never used).
pub fn org_calibration(snapshot: &Snapshot, as_of: NaiveDate, horizon_days: i64) -> OrgCalibration {
    org_calibration_with(&histories(snapshot), as_of, horizon_days, &replay::Memo::default())
}

/// [`org_calibration`] from histories already extracted, reusing `memo`'s replays.
pub fn org_calibration_with(
    histories: &[MetricHistory],
    as_of: NaiveDate,
    horizon_days: i64,
    memo: &replay::Memo,
) -> OrgCalibration {
    let (calibration, record) = replay::calibrate_with(histories, as_of, horizon_days, memo);
    OrgCalibration { calibration, record }
}

/// The state of everything as of one date.
pub struct Outlook {
    pub as_of: NaiveDate,
    /// How far the dates can be trusted: the replayed record behind their calibration.
    pub record: Record,
    /// One per `snapshot.metrics`, same order.
    pub forecasts: Vec<Forecast>,
    pub views: Vec<MetricView>,
    pub analysis: Analysis,
    /// Per metric, who reported it (indices into `snapshot.engineers`) and when last, up to
    /// the as-of date: the report's coverage.
    pub heard: Vec<Vec<(u32, NaiveDate)>>,
    /// Per metric, how much of its gap is still open as of the as-of date (see [`gap_open`]):
    /// what the limiting-factor analysis weighed, and what the fever chart shows as closed.
    pub gap_open: Vec<f64>,
}

/// What the analysis reads of one metric's readings up to the as-of date, besides its
/// forecast.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// How much of the gap is still open (see [`gap_open`]).
    pub gap_open: f64,
    /// Each engineer who reported it (index into `snapshot.engineers`, ascending) and the last
    /// date they did.
    pub heard: Vec<(u32, NaiveDate)>,
}

/// [`Seen`] of metric `m` from its readings up to the as-of date, `(engineer, date, value)` in
/// the snapshot's order (by date, then as they were made).
pub fn seen_from(m: &Metric, readings: impl Iterator<Item = (u32, NaiveDate, f64)>) -> Seen {
    let mut values: Vec<f64> = Vec::new();
    let mut heard: std::collections::BTreeMap<u32, NaiveDate> = std::collections::BTreeMap::new();
    for (e, d, v) in readings {
        values.push(v);
        let last = heard.entry(e).or_insert(d);
        *last = (*last).max(d);
    }
    // The median of the first and of the last three readings: one
    // noisy reading must not decide how far a metric is from done.
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let open = gap_open(m, median(&values[..values.len().min(3)]), median(&values[values.len().saturating_sub(3)..]));
    Seen { gap_open: open, heard: heard.into_iter().collect() }
}

/// [`Seen`] of every metric of the snapshot as of `as_of`, from its observations.
pub fn seen(snapshot: &Snapshot, as_of: NaiveDate) -> Vec<Seen> {
    (0..snapshot.metrics.len())
        .map(|i| {
            seen_from(
                &snapshot.metrics[i],
                snapshot.observations_of(i).iter().filter(|o| o.date <= as_of).map(|o| (o.engineer, o.date, o.value)),
            )
        })
        .collect()
}

/// The readings of metric `m` dated on or before `as_of`.
pub fn readings(snapshot: &Snapshot, m: usize, as_of: NaiveDate) -> Vec<Reading> {
    snapshot
        .observations_of(m)
        .iter()
        .filter(|o| o.date <= as_of)
        .map(|o| Reading { date: o.date, value: o.value })
        .collect()
}

pub fn spec(m: &Metric) -> MetricSpec {
    MetricSpec { target: m.target, direction: m.direction, tolerance: m.tolerance }
}

/// Forecasts every metric as of `as_of` (in parallel) with calibration `cal`, each with its
/// own fixed seed; with the value fans charts draw when `fan`.
pub fn forecast_all(
    snapshot: &Snapshot,
    as_of: NaiveDate,
    horizon_days: i64,
    fan: bool,
    cal: &Calibration,
) -> Vec<Forecast> {
    let jobs: Vec<(MetricSpec, Vec<Reading>, Options)> = snapshot
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut opts = Options::new(as_of, forecast::seed_for(&m.key()));
            opts.horizon_days = horizon_days;
            opts.fan = fan;
            (spec(m), readings(snapshot, i, as_of), opts)
        })
        .collect();
    forecast::forecast_many_with(&jobs, cal)
}

/// When each metric and project got done according to the readings up to
/// `as_of`, keyed by scope (`PROJECT/METRIC` or `PROJECT`); absent when not done.
pub fn done_dates(snapshot: &Snapshot, as_of: NaiveDate) -> HashMap<String, NaiveDate> {
    let metric_done: Vec<Option<Option<NaiveDate>>> = snapshot
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| Some(metric_done(m, snapshot.observations_of(i).iter().map(|o| (o.date, o.value)), as_of)))
        .collect();
    done_dates_from(snapshot, &metric_done)
}

/// When metric `m` got done according to its readings (in the snapshot's order) up to `as_of`.
pub fn metric_done(
    m: &Metric,
    readings: impl Iterator<Item = (NaiveDate, f64)>,
    as_of: NaiveDate,
) -> Option<NaiveDate> {
    let series: Vec<(NaiveDate, f64)> = readings.filter(|(d, _)| *d <= as_of).collect();
    crate::core::deadlines::metric_done_on(m, &series)
}

/// The metrics whose readings decide when `scopes` (`(PROJECT, Some(METRIC))` or
/// `(PROJECT, None)`) got done: a metric its own, a project those of every project on its
/// path (its own and those it depends on, transitively). A command that needs a few scopes'
/// done dates reads these metrics' readings only.
pub fn metrics_deciding<'s>(
    snapshot: &Snapshot,
    scopes: impl IntoIterator<Item = (&'s str, Option<&'s str>)>,
) -> Vec<bool> {
    let graph = crate::core::limiting::ProjectGraph::new(&snapshot.projects, &snapshot.metrics);
    let mut keep = vec![false; snapshot.metrics.len()];
    let mut seen = vec![0; snapshot.projects.len()];
    for (k, (project, metric)) in scopes.into_iter().enumerate() {
        match metric {
            Some(m) => {
                if let Some(i) = snapshot.metric_index(project, m) {
                    keep[i] = true;
                }
            }
            None => {
                let Some(p) = snapshot.project_index(project) else { continue };
                for q in graph.closure(p, &mut seen, k as u32 + 1) {
                    for &m in &graph.own[q] {
                        keep[m] = true;
                    }
                }
            }
        }
    }
    keep
}

/// [`done_dates`] from each metric's done date (`metric_done[i]`: `Some(day)` or `Some(None)`
/// for not done; `None` for not worked out, see [`metrics_deciding`]): the metrics worked
/// out, and the projects whose whole path was.
pub fn done_dates_from(snapshot: &Snapshot, metric_done: &[Option<Option<NaiveDate>>]) -> HashMap<String, NaiveDate> {
    let mut out = HashMap::new();
    let graph = crate::core::limiting::ProjectGraph::new(&snapshot.projects, &snapshot.metrics);
    for (m, done) in snapshot.metrics.iter().zip(metric_done) {
        if let Some(Some(d)) = done {
            out.insert(m.key(), *d);
        }
    }
    // Projects in dependency order: a project is done when its metrics and
    // its dependencies are.
    // A dependency on a project that does not exist is never done.
    let slugs: std::collections::HashSet<&str> = snapshot.projects.iter().map(|p| p.slug.as_str()).collect();
    // None: not worked out (a metric on its path was not).
    let mut project_done: Vec<Option<Option<NaiveDate>>> = vec![None; snapshot.projects.len()];
    for &p in &graph.order {
        let own: Option<Vec<Option<NaiveDate>>> = graph.own[p].iter().map(|&m| metric_done[m]).collect();
        let deps: Option<Vec<Option<NaiveDate>>> = graph.deps[p].iter().map(|&d| project_done[d]).collect();
        let (Some(own), Some(mut deps)) = (own, deps) else { continue };
        if snapshot.projects[p].depends_on.iter().any(|d| !slugs.contains(d.as_str())) {
            deps.push(None);
        }
        let done = crate::core::deadlines::project_done_on(&own, &deps);
        project_done[p] = Some(done);
        if let Some(d) = done {
            out.insert(snapshot.projects[p].slug.clone(), d);
        }
    }
    out
}

/// Forecasts, deadlines and the limiting factor as of `as_of`, dated with `cal` (the
/// organization's calibration as of that date).
pub fn outlook(snapshot: &Snapshot, as_of: NaiveDate, horizon_days: i64, cal: &OrgCalibration) -> Outlook {
    outlook_from(snapshot, as_of, forecast_all(snapshot, as_of, horizon_days, false, &cal.calibration), cal)
}

/// [`outlook`] with the value fans that metric charts draw (the same dates
/// and probabilities, at a higher cost).
pub fn outlook_for_charts(snapshot: &Snapshot, as_of: NaiveDate, horizon_days: i64, cal: &OrgCalibration) -> Outlook {
    outlook_from(snapshot, as_of, forecast_all(snapshot, as_of, horizon_days, true, &cal.calibration), cal)
}

/// Outlooks `weeks` weeks before `as_of`, in the order given (for the fever
/// chart's trail: pass the oldest first), each with the calibration `cal_at` gives for its
/// date.
pub fn weeks_before(
    snapshot: &Snapshot,
    as_of: NaiveDate,
    horizon_days: i64,
    weeks: &[u64],
    cal_at: &dyn Fn(NaiveDate) -> anyhow::Result<std::sync::Arc<OrgCalibration>>,
) -> anyhow::Result<Vec<Outlook>> {
    weeks
        .iter()
        .filter_map(|w| as_of.checked_sub_days(chrono::Days::new(7 * w)))
        .map(|d| Ok(outlook(snapshot, d, horizon_days, &*cal_at(d)?)))
        .collect()
}

/// Like [`outlook`], for forecasts already computed with `cal`.
pub fn outlook_from(snapshot: &Snapshot, as_of: NaiveDate, forecasts: Vec<Forecast>, cal: &OrgCalibration) -> Outlook {
    let seen = seen(snapshot, as_of);
    outlook_with(snapshot, as_of, forecasts, seen, cal)
}

/// The views of forecasts as of `as_of` (one per `snapshot.metrics`): each with the deadline
/// that applies on that day and its chance.
pub fn views(snapshot: &Snapshot, as_of: NaiveDate, forecasts: &[Forecast]) -> Vec<MetricView> {
    let deadlines = Deadlines::new(snapshot, as_of);
    views_with(snapshot, as_of, forecasts, &deadlines)
}

/// The deadlines in force on one day, by scope.
struct Deadlines {
    by_scope: HashMap<(String, Option<String>), NaiveDate>,
}

impl Deadlines {
    fn new(snapshot: &Snapshot, as_of: NaiveDate) -> Deadlines {
        // The deadlines in force on that day: the latest set on or before it, per scope.
        let known: Vec<Deadline> = snapshot.deadlines.iter().filter(|d| d.set_on <= as_of).cloned().collect();
        let active = crate::core::deadlines::active(&known);
        Deadlines { by_scope: active.iter().map(|d| ((d.project.clone(), d.metric.clone()), d.due)).collect() }
    }

    /// A metric's own deadline, else its project's (docs/spec.md §3); a project's with `metric` None.
    fn of(&self, project: &str, metric: Option<&str>) -> Option<NaiveDate> {
        let get = |m: Option<&str>| self.by_scope.get(&(project.to_string(), m.map(str::to_string))).copied();
        metric.and_then(|m| get(Some(m))).or_else(|| get(None))
    }
}

fn views_with(snapshot: &Snapshot, as_of: NaiveDate, forecasts: &[Forecast], deadlines: &Deadlines) -> Vec<MetricView> {
    snapshot
        .metrics
        .iter()
        .zip(forecasts)
        .map(|(m, f)| {
            // A metric's own deadline, else its project's (docs/spec.md §3).
            let deadline = deadlines.of(&m.project, Some(&m.metric));
            let p_on_time = deadline.and_then(|d| f.p_done_by(as_of, d));
            MetricView {
                project: m.project.clone(),
                metric: m.metric.clone(),
                status: f.status,
                model: f.model.clone(),
                n_points: f.n_points,
                last_date: f.last_date,
                last_value: f.last_value,
                target: m.target,
                direction: m.direction,
                tolerance: m.tolerance,
                p10: f.p10,
                p50: f.p50,
                p80: f.p80,
                p90: f.p90,
                deadline,
                p_on_time,
                off_path: crate::core::deadlines::is_off_path(f.status == Status::Done, p_on_time),
                reason: reason(m, f),
                name: m.name.clone(),
                unit: m.unit.clone(),
                trend_per_week: f.trend_per_week,
                p_never: f.p_never,
            }
        })
        .collect()
}

/// Like [`outlook_from`], with what the analysis reads of the readings already known
/// (`seen`, one per metric): no observation is read.
pub fn outlook_with(
    snapshot: &Snapshot,
    as_of: NaiveDate,
    forecasts: Vec<Forecast>,
    seen: Vec<Seen>,
    cal: &OrgCalibration,
) -> Outlook {
    let deadlines = Deadlines::new(snapshot, as_of);
    let project_deadlines: HashMap<String, NaiveDate> =
        snapshot.projects.iter().filter_map(|p| deadlines.of(&p.slug, None).map(|d| (p.slug.clone(), d))).collect();
    let views = views_with(snapshot, as_of, &forecasts, &deadlines);
    let gap_open: Vec<f64> = seen.iter().map(|s| s.gap_open).collect();
    let analysis = limiting::analyze(&limiting::Inputs {
        projects: &snapshot.projects,
        metrics: &snapshot.metrics,
        forecasts: &forecasts,
        project_deadlines: &project_deadlines,
        as_of,
        gap_open: &gap_open,
    });
    let heard = seen.into_iter().map(|s| s.heard).collect();
    Outlook { as_of, record: cal.record.clone(), forecasts, views, analysis, heard, gap_open }
}

/// Why a metric has its status, in one sentence: the forecast's own, except
/// that a done metric whose latest value is past its target says so (the
/// forecast says "within 0 of the target 14" of 13.4 on a falling metric).
pub fn reason(m: &Metric, f: &Forecast) -> String {
    let (Status::Done, Some(v)) = (f.status, f.last_value) else { return f.reason.clone() };
    let num = crate::core::format::num;
    let since = f.p50.map(|d| format!(" (since {d})")).unwrap_or_default();
    let gap = m.direction.gap(v, m.target);
    let where_ = if gap > 0.0 {
        format!("within {} of", num(m.tolerance))
    } else if gap == 0.0 {
        "at".to_string()
    } else if m.direction == Direction::Down {
        "below".to_string()
    } else {
        "above".to_string()
    };
    format!("Done: the latest value {} is {where_} the target {}{since}.", num(v), num(m.target))
}

/// How much of a metric's gap (beyond tolerance) is still open: at the
/// latest value over at the first; above 1 when it moved away. A metric that
/// started inside its tolerance and left it counts as wholly open.
pub fn gap_open(m: &Metric, first: Option<f64>, last: Option<f64>) -> f64 {
    let (Some(first), Some(last)) = (first, last) else { return 0.0 };
    let g0 = m.direction.gap(first, m.target) - m.tolerance;
    let g1 = m.direction.gap(last, m.target) - m.tolerance;
    if g1 <= 0.0 {
        0.0
    } else if g0 <= 0.0 {
        1.0
    } else {
        g1 / g0
    }
}

/// The 10/50/80% completion dates of a metric or (jointly simulated) project.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Odds {
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
}

/// The odds of `PROJECT` (`metric = None`) or `PROJECT/METRIC`; None for an unknown scope.
pub fn odds(outlook: &Outlook, snapshot: &Snapshot, project: &str, metric: Option<&str>) -> Odds {
    let none = Odds { p10: None, p50: None, p80: None };
    match metric {
        Some(m) => match snapshot.metric_index(project, m) {
            Some(i) => {
                let f = &outlook.forecasts[i];
                Odds { p10: f.p10, p50: f.p50, p80: f.p80 }
            }
            None => none,
        },
        None => match outlook.analysis.project(project) {
            Some(p) => Odds { p10: p.p10, p50: p.p50, p80: p.p80 },
            None => none,
        },
    }
}

/// P(the scope is done by `due`), as of the outlook's date.
pub fn chance(
    outlook: &Outlook,
    snapshot: &Snapshot,
    project: &str,
    metric: Option<&str>,
    due: NaiveDate,
) -> Option<f64> {
    match metric {
        Some(m) => outlook.forecasts[snapshot.metric_index(project, m)?].p_done_by(outlook.as_of, due),
        None => outlook.analysis.project(project)?.p_done_by(outlook.as_of, due),
    }
}

/// One week of a forecast's drift: the completion dates as they were forecast that week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftPoint {
    pub as_of: NaiveDate,
    pub week: String,
    pub status: Status,
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    pub p90: Option<NaiveDate>,
}

/// How the completion dates of `PROJECT` (jointly with what it depends on) or
/// `PROJECT/METRIC` moved: as forecast on `as_of` and each of the `weeks − 1` weeks before,
/// oldest first, each from the readings and calibration of its own day. The "ship date over
/// time" view: a p50 that keeps slipping says more than any single forecast.
pub fn drift(
    snapshot: &Snapshot,
    project: &str,
    metric: Option<&str>,
    as_of: NaiveDate,
    weeks: u32,
    outlook_at: &dyn Fn(NaiveDate) -> anyhow::Result<Outlook>,
) -> anyhow::Result<Vec<DriftPoint>> {
    let mut out = Vec::new();
    for k in (0..u64::from(weeks.max(1))).rev() {
        let Some(d) = as_of.checked_sub_days(chrono::Days::new(7 * k)) else { continue };
        let o = outlook_at(d)?;
        let point = match metric {
            Some(m) => {
                let Some(i) = snapshot.metric_index(project, m) else { anyhow::bail!("unknown metric {project}/{m}") };
                let f = &o.forecasts[i];
                DriftPoint {
                    as_of: d,
                    week: iso_week(d),
                    status: f.status,
                    p10: f.p10,
                    p50: f.p50,
                    p80: f.p80,
                    p90: f.p90,
                }
            }
            None => {
                let Some(p) = o.analysis.projects.iter().find(|p| p.project == project) else {
                    anyhow::bail!("unknown project {project}")
                };
                DriftPoint {
                    as_of: d,
                    week: iso_week(d),
                    status: p.status,
                    p10: p.p10,
                    p50: p.p50,
                    p80: p.p80,
                    p90: p.quantile(0.9, d),
                }
            }
        };
        out.push(point);
    }
    Ok(out)
}

/// `YYYY-Www` of a date.
fn iso_week(d: NaiveDate) -> String {
    use chrono::Datelike;
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}
