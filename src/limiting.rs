//! The limiting factor: which one metric most holds back the most important
//! work this week (SPEC §4), and how review time should follow it.
//!
//! Each metric's forecast carries simulated completion days, one per path.
//! Combining the i-th path of every metric (metrics are taken as independent)
//! gives each project's completion on that path: the latest of its own
//! metrics and of the projects it depends on. From the paths come the
//! project's completion quantiles, its chance of meeting a deadline, and each
//! metric's *criticality*: the share of paths on which it is the one that
//! finishes last for that project.
//!
//! Pure: plain data in, plain data out.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::forecast::{Forecast, Status};
use crate::model::{Metric, Project};

/// One project's simulated outlook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectOutlook {
    pub project: String,
    pub priority: u8,
    pub status: Status,
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    /// P(not done within the horizon).
    pub p_never: f64,
    /// The metric (as `PROJECT/METRIC`) most often last to finish.
    pub limiting_metric: Option<String>,
    /// Criticality of every metric on the project's path (its dependencies' included), highest first.
    pub criticality: Vec<(String, f64)>,
    pub deadline: Option<NaiveDate>,
    pub p_on_time: Option<f64>,
    /// A deadline exists and P(on time) < 5%: success is not among the outcomes on the current path.
    pub off_path: bool,
    /// Metrics on the path without enough data to forecast.
    pub unknown_metrics: Vec<String>,
    /// The project's completion on each simulated path (days after as-of;
    /// `None` = not within the horizon). Empty when nothing can be forecast.
    #[serde(skip)]
    pub samples: Vec<Option<i32>>,
}

impl ProjectOutlook {
    /// The date by which the project is done with probability `q`, from the joint simulation.
    pub fn quantile(&self, q: f64, as_of: NaiveDate) -> Option<NaiveDate> {
        quantile(&self.samples, q, as_of)
    }

    /// P(the project is done on or before `date`), from the joint simulation.
    pub fn p_done_by(&self, as_of: NaiveDate, date: NaiveDate) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        let limit = (date - as_of).num_days();
        let hits = self.samples.iter().filter(|d| d.is_some_and(|d| i64::from(d) <= limit)).count();
        Some(hits as f64 / self.samples.len() as f64)
    }
}

/// The organization's limiting factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitingFactor {
    pub project: String,
    pub metric: String,
    pub criticality: f64,
    pub status: Status,
    pub p50: Option<NaiveDate>,
    pub reason: String,
    /// The important project it holds back (may be a project depending on `project`).
    pub holds_back: String,
}

/// A suggested share of next week's review time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attention {
    pub project: String,
    pub share: f64,
    pub cadence: Cadence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cadence {
    TwiceWeekly,
    Weekly,
    EveryOtherWeek,
    Monthly,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::TwiceWeekly => "twice-weekly",
            Cadence::Weekly => "weekly",
            Cadence::EveryOtherWeek => "every-other-week",
            Cadence::Monthly => "monthly",
        }
    }
}

/// Everything the limiting-factor analysis found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub projects: Vec<ProjectOutlook>,
    pub limiting_factor: Option<LimitingFactor>,
}

/// When a project that is not the limiting factor is reviewed weekly rather
/// than every other week: its risk is at least this (or it is off track).
pub const DEFAULT_WEEKLY_RISK: f64 = 0.3;

/// Inputs: the projects, the metrics with their forecasts (same order), and
/// each project's active deadline.
pub struct Inputs<'a> {
    pub projects: &'a [Project],
    pub metrics: &'a [Metric],
    pub forecasts: &'a [Forecast],
    pub project_deadlines: &'a HashMap<String, NaiveDate>,
    pub as_of: NaiveDate,
    /// Per metric (same order), how much of its gap is still open: the gap
    /// beyond tolerance at the latest reading over the one at the first
    /// (above 1 when it moved away). Breaks ties between metrics whose
    /// criticality differs by no more than simulation noise.
    pub gap_open: &'a [f64],
}

/// Priorities weigh work steeply: each step up counts four times the one
/// below (priority 1 = 256, priority 5 = 1). The limiting factor is about
/// the most important work: a metric that holds back a priority-1 goal
/// outranks one that alone holds back a priority-4 side project, even when
/// the goal's fate is shared among many metrics.
fn weight(priority: u8) -> f64 {
    4f64.powi(5 - i32::from(priority.clamp(1, 5)))
}

/// A path's completion: days after as-of, `None` = not within the horizon.
type Day = Option<i32>;

/// Later of two completions, never (`None`) being the latest.
fn later(a: Day, b: Day) -> Day {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        _ => None,
    }
}

/// The date by which a share `q` of the paths are done, or None when too
/// many never finish.
fn quantile(days: &[Day], q: f64, as_of: NaiveDate) -> Option<NaiveDate> {
    if days.is_empty() {
        return None;
    }
    let mut done: Vec<i32> = days.iter().flatten().copied().collect();
    done.sort_unstable();
    let need = (q * days.len() as f64).ceil().max(1.0) as usize;
    let d = *done.get(need - 1)?;
    offset(as_of, d)
}

fn offset(as_of: NaiveDate, d: i32) -> Option<NaiveDate> {
    if d >= 0 {
        as_of.checked_add_days(Days::new(d as u64))
    } else {
        as_of.checked_sub_days(Days::new(d.unsigned_abs() as u64))
    }
}

/// Runs the joint simulation and names the limiting factor.
pub fn analyze(inp: &Inputs<'_>) -> Analysis {
    let index: HashMap<&str, usize> = inp.projects.iter().enumerate().map(|(i, p)| (p.slug.as_str(), i)).collect();
    let n_paths = inp.forecasts.iter().map(|f| f.samples.len()).max().unwrap_or(0);

    // Each project's closure: itself and everything it (transitively) depends on.
    let closures: Vec<Vec<usize>> = (0..inp.projects.len()).map(|i| closure(inp.projects, &index, i)).collect();
    let metrics_of = |p: usize| -> Vec<usize> {
        let slugs: Vec<&str> = closures[p].iter().map(|&q| inp.projects[q].slug.as_str()).collect();
        (0..inp.metrics.len()).filter(|&m| slugs.contains(&inp.metrics[m].project.as_str())).collect()
    };

    let mut projects = Vec::new();
    for (pi, project) in inp.projects.iter().enumerate() {
        let path = metrics_of(pi);
        let known: Vec<usize> = path.iter().copied().filter(|&m| !inp.forecasts[m].samples.is_empty()).collect();
        let unknown_metrics: Vec<String> =
            path.iter().filter(|&&m| inp.forecasts[m].samples.is_empty()).map(|&m| inp.metrics[m].key()).collect();
        let mut completion: Vec<Day> = Vec::with_capacity(n_paths);
        let mut last_counts = vec![0.0f64; known.len()];
        if !known.is_empty() {
            for s in 0..n_paths {
                let mut latest: Day = Some(i32::MIN);
                for &m in &known {
                    latest = later(latest, sample(&inp.forecasts[m], s));
                }
                completion.push(latest);
                // Who finished last on this path (ties share the blame).
                let lasts: Vec<usize> =
                    (0..known.len()).filter(|&k| sample(&inp.forecasts[known[k]], s) == latest).collect();
                for &k in &lasts {
                    last_counts[k] += 1.0 / lasts.len() as f64;
                }
            }
        }
        let mut criticality: Vec<(String, f64)> = known
            .iter()
            .zip(&last_counts)
            .map(|(&m, &c)| {
                // Rounded: a share of 1,000 paths has no more digits worth showing.
                let share = if n_paths > 0 { c / n_paths as f64 } else { 0.0 };
                (inp.metrics[m].key(), (share * 1e4).round() / 1e4)
            })
            .collect();
        criticality.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let status = project_status(path.iter().map(|&m| inp.forecasts[m].status));
        let done = status == Status::Done;
        let deadline = inp.project_deadlines.get(&project.slug).copied();
        let p_never = if completion.is_empty() {
            1.0
        } else {
            completion.iter().filter(|d| d.is_none()).count() as f64 / completion.len() as f64
        };
        projects.push(ProjectOutlook {
            project: project.slug.clone(),
            priority: project.priority,
            status,
            p10: quantile(&completion, 0.1, inp.as_of),
            p50: quantile(&completion, 0.5, inp.as_of),
            p80: quantile(&completion, 0.8, inp.as_of),
            p_never,
            limiting_metric: if done { None } else { criticality.first().filter(|c| c.1 > 0.0).map(|c| c.0.clone()) },
            criticality,
            deadline,
            p_on_time: None,
            off_path: false,
            unknown_metrics,
            samples: completion,
        });
        let last = projects.last_mut().expect("just pushed");
        last.p_on_time = deadline.and_then(|due| last.p_done_by(inp.as_of, due));
        last.off_path = !done && last.p_on_time.is_some_and(|p| p < 0.05);
    }
    let limiting_factor = choose(inp, &projects);
    Analysis { projects, limiting_factor }
}

fn sample(f: &Forecast, s: usize) -> Day {
    if f.samples.is_empty() {
        return None;
    }
    f.samples[s % f.samples.len()]
}

fn closure(projects: &[Project], index: &HashMap<&str, usize>, start: usize) -> Vec<usize> {
    let mut seen = vec![false; projects.len()];
    let mut stack = vec![start];
    let mut out = Vec::new();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push(i);
        for d in &projects[i].depends_on {
            if let Some(&j) = index.get(d.as_str()) {
                stack.push(j);
            }
        }
    }
    out
}

/// A project's status from its path's metrics: done when all are done;
/// otherwise the worst unfinished one (diverging, then stalled, then
/// converging); insufficient data when nothing can be forecast.
pub fn project_status(statuses: impl Iterator<Item = Status>) -> Status {
    let all: Vec<Status> = statuses.collect();
    if all.is_empty() {
        return Status::InsufficientData;
    }
    for s in [Status::Diverging, Status::Stalled, Status::Converging, Status::InsufficientData] {
        if all.contains(&s) {
            return s;
        }
    }
    Status::Done
}

/// How much a project is at risk: with a deadline, the chance of missing it;
/// without one, how far off (or uncertain) completion is, on a 0–1 scale
/// that reaches 1 at six months out or never.
fn risk(p: &ProjectOutlook, as_of: NaiveDate) -> f64 {
    if p.status == Status::Done {
        return 0.0;
    }
    if let Some(on_time) = p.p_on_time {
        return 1.0 - on_time;
    }
    match p.p80 {
        Some(d) => ((d - as_of).num_days() as f64 / 182.0).clamp(0.05, 1.0),
        None => 1.0,
    }
}

fn is_off_track(s: Status) -> bool {
    matches!(s, Status::Diverging | Status::Stalled)
}

/// How far apart two scores must be, in standard errors of their Monte
/// Carlo estimate, before one is preferred on the score alone: closer than
/// that, the choice is noise and is made on evidence instead.
const TIE_Z: f64 = 2.0;

/// A candidate for the limiting factor: a metric on the path of a project.
struct Candidate<'a> {
    tier: u8,
    score: f64,
    /// Standard error of `score` from the finite number of paths.
    se: f64,
    held: &'a ProjectOutlook,
    metric: usize,
    crit: f64,
}

/// Diverging before stalled before converging: how clearly off track.
fn status_rank(s: Status) -> u8 {
    match s {
        Status::Diverging => 3,
        Status::Stalled => 2,
        Status::Converging => 1,
        _ => 0,
    }
}

/// SPEC §4: the metric that most holds back the most important work. A
/// diverging or stalled metric on the path of important work (priority 1–2,
/// or the most important unfinished priority) outranks any converging one;
/// within a tier, priority weight × criticality × risk decides.
///
/// Criticality is estimated from a finite number of simulated paths, so two
/// scores within [`TIE_Z`] standard errors of each other are a tie, and a tie
/// is broken by evidence, the same way every week: diverging before stalled
/// before converging, then the smaller chance of ever finishing, then the
/// larger share of the gap still open, then the more important project, then
/// the name (each compared with room for its own noise). A stalled and a
/// diverging metric that both never finish no longer trade places on
/// simulation noise.
fn choose(inp: &Inputs<'_>, outlooks: &[ProjectOutlook]) -> Option<LimitingFactor> {
    let top_priority = outlooks.iter().filter(|p| p.status != Status::Done).map(|p| p.priority).min()?;
    let important = |prio: u8| prio <= 2.max(top_priority);
    let key_index: HashMap<String, usize> = inp.metrics.iter().enumerate().map(|(i, m)| (m.key(), i)).collect();
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for p in outlooks.iter().filter(|p| p.status != Status::Done) {
        let r = risk(p, inp.as_of);
        let n = p.samples.len().max(1) as f64;
        for (key, crit) in &p.criticality {
            let m = key_index[key];
            let status = inp.forecasts[m].status;
            if status == Status::Done || *crit <= 0.0 {
                continue;
            }
            let k = weight(p.priority) * (0.25 + r);
            candidates.push(Candidate {
                tier: u8::from(is_off_track(status) && important(p.priority)),
                score: k * crit,
                se: k * (crit * (1.0 - crit) / n).max(0.0).sqrt(),
                held: p,
                metric: m,
                crit: *crit,
            });
        }
    }
    let tier = candidates.iter().map(|c| c.tier).max()?;
    candidates.retain(|c| c.tier == tier);
    let best = candidates.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
    let (best_score, best_se) = (best.score, best.se);
    // Everything within simulation noise of the best is a tie.
    candidates.retain(|c| best_score - c.score <= TIE_Z * (best_se.powi(2) + c.se.powi(2)).sqrt());
    let gap = |m: usize| inp.gap_open.get(m).copied().filter(|g| g.is_finite()).unwrap_or(0.0);
    let never = |m: usize| inp.forecasts[m].p_never;
    let never_se = |m: usize| {
        let n = inp.forecasts[m].samples.len().max(1) as f64;
        (never(m) * (1.0 - never(m)) / n).max(0.0).sqrt()
    };
    // Compares two estimates, equal when within `tolerance` of each other.
    let near = |a: f64, b: f64, tolerance: f64| {
        if (a - b).abs() <= tolerance {
            std::cmp::Ordering::Equal
        } else {
            a.total_cmp(&b)
        }
    };
    let chosen = candidates.into_iter().max_by(|a, b| {
        let (x, y) = (a.metric, b.metric);
        status_rank(inp.forecasts[x].status)
            .cmp(&status_rank(inp.forecasts[y].status))
            // The less likely ever to finish.
            .then(near(never(x), never(y), TIE_Z * (never_se(x).powi(2) + never_se(y).powi(2)).sqrt()))
            // The farther from its target (a tenth either way is the same).
            .then(near(gap(x), gap(y), 0.1 * gap(x).abs().max(gap(y).abs())))
            // The more important project.
            .then(b.held.priority.cmp(&a.held.priority))
            .then(inp.metrics[y].key().cmp(&inp.metrics[x].key()))
    })?;
    let (held, m, crit) = (chosen.held, chosen.metric, chosen.crit);
    let metric = &inp.metrics[m];
    let f = &inp.forecasts[m];
    Some(LimitingFactor {
        project: metric.project.clone(),
        metric: metric.metric.clone(),
        criticality: crit,
        status: f.status,
        p50: f.p50,
        reason: reason(metric, f, held, crit),
        holds_back: held.project.clone(),
    })
}

fn pct(x: f64) -> String {
    format!("{:.0}%", (x * 100.0).round())
}

/// One sentence a leader can act on.
fn reason(metric: &Metric, f: &Forecast, held: &ProjectOutlook, crit: f64) -> String {
    let what = match f.status {
        Status::Diverging => "is moving away from its target".to_string(),
        Status::Stalled => "has stalled short of its target".to_string(),
        _ => match f.p50 {
            Some(d) => format!("is converging but slowly, with a 50% date of {d}"),
            None => "is converging too slowly to finish within the horizon".to_string(),
        },
    };
    let holds = if held.project == metric.project {
        format!("it finishes last for {} (priority {}) in {} of simulations", held.project, held.priority, pct(crit))
    } else {
        format!(
            "it finishes last for {} (priority {}), which depends on {}, in {} of simulations",
            held.project,
            held.priority,
            metric.project,
            pct(crit)
        )
    };
    let deadline = match (held.deadline, held.p_on_time) {
        (Some(d), Some(p)) => format!(", and {} has a {} chance of meeting its {d} deadline", held.project, pct(p)),
        _ => String::new(),
    };
    format!("{} {what}: {holds}{deadline}.", metric.key())
}

/// Review time is shared more gently than blame: priority 1 counts 5×,
/// priority 5 once, so that no unfinished project drops out of sight.
fn attention_weight(priority: u8) -> f64 {
    f64::from(6u8.saturating_sub(priority.clamp(1, 5)))
}

/// Review time follows the limiting factor: its project gets the most and a
/// twice-weekly cadence; work at risk gets weekly reviews; work on track and
/// low risk every other week; finished work monthly.
pub fn attention(analysis: &Analysis, as_of: NaiveDate, weekly_risk: f64) -> Vec<Attention> {
    let outlooks = &analysis.projects;
    let lf = analysis.limiting_factor.as_ref();
    if outlooks.is_empty() {
        return Vec::new();
    }
    let raw: Vec<f64> = outlooks
        .iter()
        .map(|p| if p.status == Status::Done { 0.1 } else { attention_weight(p.priority) * (0.2 + risk(p, as_of)) })
        .collect();
    let mut raw = raw;
    if let Some(lf) = lf {
        if let Some(i) = outlooks.iter().position(|p| p.project == lf.project) {
            let others = raw.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &v)| v).fold(0.0, f64::max);
            // The limiting factor gets the largest share, by a clear margin.
            raw[i] = raw[i].max(others * 1.5).max(1.0);
        }
    }
    let total: f64 = raw.iter().sum();
    let mut out: Vec<Attention> = outlooks
        .iter()
        .zip(&raw)
        .map(|(p, &r)| {
            let cadence = if lf.is_some_and(|lf| lf.project == p.project) {
                Cadence::TwiceWeekly
            } else if p.status == Status::Done {
                Cadence::Monthly
            } else if risk(p, as_of) >= weekly_risk || is_off_track(p.status) || p.off_path {
                Cadence::Weekly
            } else {
                Cadence::EveryOtherWeek
            };
            Attention { project: p.project.clone(), share: r / total, cadence }
        })
        .collect();
    // Rounding for display must still sum to 1: give the remainder to the largest.
    let sum: f64 = out.iter().map(|a| a.share).sum();
    if let Some(big) = out.iter_mut().max_by(|a, b| a.share.total_cmp(&b.share)) {
        big.share += 1.0 - sum;
    }
    out.sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.project.cmp(&b.project)));
    out
}
