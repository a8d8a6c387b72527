//! The weekly limiting-factor report as data (docs/spec.md §3 "Report JSON"): built
//! from this week's and last week's outlooks, rendered elsewhere.
//!
//! Pure: plain data in, plain data out.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::core::analysis::{MetricView, Outlook};
use crate::core::forecast::Status;
use crate::core::limiting::{Attention, LimitingFactor};
use crate::core::model::{Blocker, Snapshot};

/// Engineers silent this long (or longer) are listed under coverage.
pub const SILENT_DAYS: i64 = 14;

/// The limiting factor as the report shows it: the analysis's verdict plus
/// the metric's readable name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitingView {
    #[serde(flatten)]
    pub factor: LimitingFactor,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectRow {
    pub project: String,
    pub name: String,
    pub priority: u8,
    pub status: Status,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub p_on_time: Option<f64>,
    pub off_path: bool,
    pub limiting_metric: Option<String>,
    /// Metrics on the project's path too new to forecast (fewer than four
    /// dates): its dates do not account for them yet. At most 20 are listed.
    pub not_forecast: Vec<String>,
    /// More such metrics than `not_forecast` lists.
    pub more_not_forecast: bool,
    pub metrics: Vec<MetricView>,
}

/// A deadline that, on the current path, will not be met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffPath {
    /// `PROJECT` or `PROJECT/METRIC`.
    pub scope: String,
    pub deadline: NaiveDate,
    pub p_on_time: f64,
    pub status: Status,
    pub p50: Option<NaiveDate>,
}

/// A metric whose verdict changed since the week before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    /// `PROJECT/METRIC`.
    pub metric: String,
    pub from: Status,
    pub to: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub engineer: String,
    pub name: String,
    pub last_heard: Option<NaiveDate>,
    pub weeks_silent: Option<i64>,
    /// How many levels below the reviewer they sit, where the org chart says.
    pub levels_below_reviewer: Option<u32>,
}

/// An open blocker with its age, as the report lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockerRow {
    pub blocker: Blocker,
    pub weeks_open: i64,
    /// On the limiting factor's metric or project: evidence beside it.
    pub on_limiting_path: bool,
}

/// The blocker's fields without its local row id: a report made from the
/// same data reads the same on every synced copy of the database.
impl Serialize for BlockerRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Row<'a> {
            category: &'a str,
            text: &'a str,
            project: &'a str,
            metric: &'a Option<String>,
            engineer: &'a Option<String>,
            opened: NaiveDate,
            resolved: Option<NaiveDate>,
            weeks_open: i64,
            on_limiting_path: bool,
        }
        let b = &self.blocker;
        Row {
            category: &b.category,
            text: &b.text,
            project: &b.project,
            metric: &b.metric,
            engineer: &b.engineer,
            opened: b.opened,
            resolved: b.resolved,
            weeks_open: self.weeks_open,
            on_limiting_path: self.on_limiting_path,
        }
        .serialize(s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub as_of: NaiveDate,
    pub week: String,
    pub limiting_factor: Option<LimitingView>,
    pub limiting_factor_previous: Option<LimitingView>,
    /// One sentence: how the limiting factor changed since the week before.
    pub change: String,
    /// Metrics whose status changed since the week before.
    pub status_changes: Vec<StatusChange>,
    pub off_path: Vec<OffPath>,
    pub projects: Vec<ProjectRow>,
    pub attention: Vec<Attention>,
    pub coverage: Vec<Coverage>,
    /// Engineers on active projects heard from at all by the as-of date: with none, an empty
    /// coverage list means nobody has reported yet, not that everyone has.
    pub heard_from: usize,
    pub blockers: Vec<BlockerRow>,
    /// Who the report is for (skip-level depth is counted from them).
    pub reviewer: Option<String>,
    /// The limiting factor week by week, oldest first, consecutive weeks with
    /// the same one merged (empty unless asked for with `--history`).
    pub limiting_factor_history: Vec<LimitingRun>,
    /// How far this report's dates can be trusted, from the replayed record of past forecasts.
    pub forecast_record: ForecastRecord,
}

/// How limfac's past forecasts fared on this organization (see `limfac calibration
/// --forecasts`), in a line the report prints under its dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastRecord {
    /// Replayed past forecasts, and how many of those reached their target by the report's date.
    pub forecasts: usize,
    pub finished: usize,
    /// With the calibration in use: share of truths on or before p50, and inside p10–p90.
    pub p50_hit_rate: Option<f64>,
    pub p10_p90_coverage: Option<f64>,
    /// One sentence for a person.
    pub sentence: String,
}

impl ForecastRecord {
    pub fn from_record(r: &crate::core::forecast::replay::Record) -> ForecastRecord {
        let f = &r.overall.1;
        let pct = |x: f64| format!("{:.0}%", 100.0 * x);
        let sentence = match (f.below[1], f.inside_p10_p90) {
            (Some(p50), Some(inside)) if f.finished >= 10 => format!(
                "Dates from {} replayed forecasts of this organization's own history: the truth came on or \
                 before p50 in {} (ideal 50%), inside p10–p90 in {} (ideal 80%). Details: limfac calibration --forecasts.",
                f.forecasts,
                pct(p50),
                pct(inside)
            ),
            _ => format!(
                "Dates use the calibration shipped with limfac: this organization's history gives {} replayed \
                 forecasts, {} of them finished, too few to check it yet.",
                f.forecasts, f.finished
            ),
        };
        ForecastRecord {
            forecasts: f.forecasts,
            finished: f.finished,
            p50_hit_rate: f.below[1],
            p10_p90_coverage: f.inside_p10_p90,
            sentence,
        }
    }
}

/// A stretch of weeks with the same limiting factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitingRun {
    /// `YYYY-Www` of the first and last week of the stretch.
    pub from_week: String,
    pub to_week: String,
    pub weeks: usize,
    /// `PROJECT/METRIC`, or None when nothing could be forecast.
    pub limiting_factor: Option<String>,
}

/// Merges the limiting factor of consecutive outlooks (oldest first) into runs.
pub fn limiting_history(outlooks: &[&Outlook]) -> Vec<LimitingRun> {
    limiting_history_of(&outlooks.iter().map(|o| limiting_mark(o)).collect::<Vec<_>>())
}

/// What the limiting factor's history keeps of one outlook: its date and its limiting factor
/// (`PROJECT/METRIC`), so that a command need not hold every week's forecasts at once.
pub fn limiting_mark(o: &Outlook) -> (NaiveDate, Option<String>) {
    (o.as_of, o.analysis.limiting_factor.as_ref().map(|l| format!("{}/{}", l.project, l.metric)))
}

/// [`limiting_history`] from each week's [`limiting_mark`], oldest first.
pub fn limiting_history_of(marks: &[(NaiveDate, Option<String>)]) -> Vec<LimitingRun> {
    let mut runs: Vec<LimitingRun> = Vec::new();
    for (as_of, lf) in marks {
        let lf = lf.clone();
        let week = iso_week(*as_of);
        match runs.last_mut() {
            Some(last) if last.limiting_factor == lf => {
                last.to_week = week;
                last.weeks += 1;
            }
            _ => runs.push(LimitingRun { from_week: week.clone(), to_week: week, weeks: 1, limiting_factor: lf }),
        }
    }
    runs
}

/// `YYYY-Www` of a date.
pub fn iso_week(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn view(lf: &LimitingFactor, snapshot: &Snapshot) -> LimitingView {
    LimitingView {
        factor: lf.clone(),
        name: snapshot.metric_index(&lf.project, &lf.metric).and_then(|i| snapshot.metrics[i].name.clone()),
    }
}

/// The reviewer: the one given, else the top of the org chart when there is
/// exactly one person at the top who has reports.
pub fn default_reviewer(snapshot: &Snapshot) -> Option<String> {
    let bosses: HashSet<&str> = snapshot.engineers.iter().filter_map(|e| e.reports_to.as_deref()).collect();
    let tops: Vec<&str> = snapshot
        .engineers
        .iter()
        .filter(|e| e.reports_to.is_none() && bosses.contains(e.handle.as_str()))
        .map(|e| e.handle.as_str())
        .collect();
    match tops.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// What one engineer has reported, per metric of a snapshot (by index):
/// how many readings and the date of the last one, and when they were last
/// heard at all (`engineer show`).
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub readings: Vec<usize>,
    pub last_reported: Vec<Option<NaiveDate>>,
    pub last_heard: Option<NaiveDate>,
}

impl Activity {
    /// Whether they report on each metric (at least one reading).
    pub fn reports_on(&self) -> Vec<bool> {
        self.readings.iter().map(|&n| n > 0).collect()
    }
}

/// The activity of engineer `handle` (none at all when not in the snapshot).
pub fn activity(snapshot: &Snapshot, handle: &str) -> Activity {
    let me = snapshot.engineers.iter().position(|x| x.handle == handle).map(|i| i as u32);
    let mine = |m: usize| snapshot.observations_of(m).iter().filter(move |o| Some(o.engineer) == me);
    let n = snapshot.metrics.len();
    Activity {
        readings: (0..n).map(|m| mine(m).count()).collect(),
        last_reported: (0..n).map(|m| mine(m).map(|o| o.date).max()).collect(),
        last_heard: snapshot.observations.iter().filter(|o| Some(o.engineer) == me).map(|o| o.date).max(),
    }
}

/// Levels between `handle` and `reviewer` in the org chart (1 = direct report).
pub fn levels_below(snapshot: &Snapshot, handle: &str, reviewer: &str) -> Option<u32> {
    let boss: HashMap<&str, Option<&str>> =
        snapshot.engineers.iter().map(|e| (e.handle.as_str(), e.reports_to.as_deref())).collect();
    let mut cur = handle;
    let mut depth = 0u32;
    while cur != reviewer {
        cur = (*boss.get(cur)?)?;
        depth += 1;
        if depth as usize > snapshot.engineers.len() {
            return None;
        }
    }
    Some(depth)
}

/// Builds the report from this week's outlook and the one a week earlier.
/// How the report is shaped beyond the data: who it is for and when a
/// project deserves weekly attention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy<'a> {
    pub reviewer: Option<&'a str>,
    pub weekly_risk: f64,
}

impl Default for Policy<'_> {
    fn default() -> Self {
        Policy { reviewer: None, weekly_risk: crate::core::limiting::DEFAULT_WEEKLY_RISK }
    }
}

pub fn build(snapshot: &Snapshot, now: &Outlook, previous: Option<&Outlook>, policy: &Policy<'_>) -> Report {
    let reviewer = policy.reviewer;
    let as_of = now.as_of;
    let lf = now.analysis.limiting_factor.as_ref().map(|l| view(l, snapshot));
    let prev = previous.and_then(|p| p.analysis.limiting_factor.as_ref()).map(|l| view(l, snapshot));
    let change = change_sentence(lf.as_ref(), prev.as_ref());

    let mut projects = Vec::new();
    let mut off_path = Vec::new();
    // Each project's metric views, grouped once (not searched per project).
    let mut views: HashMap<&str, Vec<&MetricView>> = HashMap::new();
    for v in &now.views {
        views.entry(v.project.as_str()).or_default().push(v);
    }
    // The analysis lists the snapshot's projects in order.
    for (p, outlook) in snapshot.projects.iter().zip(&now.analysis.projects) {
        let metrics: Vec<MetricView> =
            views.get(p.slug.as_str()).map(|v| v.iter().map(|&v| v.clone()).collect()).unwrap_or_default();
        if outlook.off_path {
            off_path.push(OffPath {
                scope: p.slug.clone(),
                deadline: outlook.deadline.expect("off path has a deadline"),
                p_on_time: outlook.p_on_time.unwrap_or(0.0),
                status: outlook.status,
                p50: outlook.p50,
            });
        }
        for v in metrics.iter().filter(|v| v.off_path) {
            // A metric inheriting its project's deadline is already covered by the project alarm.
            if outlook.off_path && outlook.deadline == v.deadline {
                continue;
            }
            off_path.push(OffPath {
                scope: format!("{}/{}", v.project, v.metric),
                deadline: v.deadline.expect("off path has a deadline"),
                p_on_time: v.p_on_time.unwrap_or(0.0),
                status: v.status,
                p50: v.p50,
            });
        }
        projects.push(ProjectRow {
            project: p.slug.clone(),
            name: p.name.clone(),
            priority: p.priority,
            status: outlook.status,
            p50: outlook.p50,
            p80: outlook.p80,
            deadline: outlook.deadline,
            p_on_time: outlook.p_on_time,
            off_path: outlook.off_path,
            limiting_metric: outlook.limiting_metric.clone(),
            not_forecast: outlook.unknown_metrics.clone(),
            more_not_forecast: outlook.more_unknown,
            metrics,
        });
    }

    let reviewer = reviewer.map(str::to_string).or_else(|| default_reviewer(snapshot));
    let status_changes = match previous {
        Some(prev) => now
            .views
            .iter()
            .zip(&prev.views)
            .filter(|(a, b)| a.status != b.status)
            .map(|(a, b)| StatusChange { metric: format!("{}/{}", a.project, a.metric), from: b.status, to: a.status })
            .collect(),
        None => Vec::new(),
    };
    let (coverage, heard_from) = coverage(snapshot, now, reviewer.as_deref());
    Report {
        limiting_factor_history: Vec::new(),
        forecast_record: ForecastRecord::from_record(&now.record),
        status_changes,
        as_of,
        week: iso_week(as_of),
        coverage,
        heard_from,
        blockers: blockers(snapshot, as_of, lf.as_ref()),
        limiting_factor: lf,
        limiting_factor_previous: prev,
        change,
        off_path,
        projects,
        attention: crate::core::limiting::attention(&now.analysis, as_of, policy.weekly_risk),
        reviewer,
    }
}

fn change_sentence(now: Option<&LimitingView>, prev: Option<&LimitingView>) -> String {
    let key = |v: &LimitingView| format!("{}/{}", v.factor.project, v.factor.metric);
    match (now, prev) {
        (None, None) => "There is no limiting factor this week or last: nothing unfinished can be forecast.".into(),
        (Some(n), None) => format!("{} is the limiting factor; last week there was none.", key(n)),
        (None, Some(p)) => format!("{} was last week's limiting factor; nothing limits this week.", key(p)),
        (Some(n), Some(p)) if key(n) == key(p) => {
            format!("Unchanged since last week: {} is still the limiting factor.", key(n))
        }
        (Some(n), Some(p)) if n.factor.project != p.factor.project => {
            format!(
                "Changed: the limiting factor moved from {} to {} ({} → {}).",
                p.factor.project,
                n.factor.project,
                key(p),
                key(n)
            )
        }
        (Some(n), Some(p)) => {
            format!("Changed within {}: from {} to {}.", n.factor.project, key(p), key(n))
        }
    }
}

/// Engineers on unfinished projects not heard from for two weeks or more, and how many on
/// them were heard from at all.
fn coverage(snapshot: &Snapshot, now: &Outlook, reviewer: Option<&str>) -> (Vec<Coverage>, usize) {
    let active: HashSet<&str> =
        now.analysis.projects.iter().filter(|p| p.status != Status::Done).map(|p| p.project.as_str()).collect();
    let mut last: HashMap<u32, NaiveDate> = HashMap::new();
    let mut on_active: HashSet<u32> = HashSet::new();
    for (m, heard) in snapshot.metrics.iter().zip(&now.heard) {
        let on = active.contains(m.project.as_str());
        for &(e, d) in heard {
            let l = last.entry(e).or_insert(d);
            *l = (*l).max(d);
            if on {
                on_active.insert(e);
            }
        }
    }
    let heard_from = on_active.len();
    let mut out: Vec<Coverage> = on_active
        .into_iter()
        .filter_map(|i| {
            let heard = last[&i];
            let silent = (now.as_of - heard).num_days();
            (silent >= SILENT_DAYS).then(|| {
                let e = &snapshot.engineers[i as usize];
                Coverage {
                    engineer: e.handle.clone(),
                    name: e.name.clone(),
                    last_heard: Some(heard),
                    weeks_silent: Some(silent / 7),
                    levels_below_reviewer: reviewer.and_then(|r| levels_below(snapshot, &e.handle, r)),
                }
            })
        })
        .collect();
    out.sort_by(|a, b| a.last_heard.cmp(&b.last_heard).then_with(|| a.engineer.cmp(&b.engineer)));
    (out, heard_from)
}

/// Open blockers as of the date: those on the limiting factor's path first,
/// then by category and age.
fn blockers(snapshot: &Snapshot, as_of: NaiveDate, lf: Option<&LimitingView>) -> Vec<BlockerRow> {
    let mut out: Vec<BlockerRow> = snapshot
        .blockers
        .iter()
        .filter(|b| b.opened <= as_of && b.resolved.is_none_or(|r| r > as_of))
        .map(|b| BlockerRow {
            weeks_open: (as_of - b.opened).num_days() / 7,
            on_limiting_path: lf.is_some_and(|l| {
                b.project == l.factor.project && b.metric.as_ref().is_none_or(|m| *m == l.factor.metric)
            }),
            // Open as of the report's date, whatever happened later.
            blocker: Blocker { resolved: None, ..b.clone() },
        })
        .collect();
    out.sort_by(|a, b| {
        b.on_limiting_path
            .cmp(&a.on_limiting_path)
            .then_with(|| a.blocker.category.cmp(&b.blocker.category))
            .then_with(|| a.blocker.opened.cmp(&b.blocker.opened))
        // Ties keep the snapshot's order: the order the blockers were made.
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks() {
        assert_eq!(iso_week(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()), "2026-W48");
        assert_eq!(iso_week(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()), "2026-W53");
    }
}
