//! 50%-probability deadlines: when work got done, whether each deadline was
//! met, how often and how far deadlines slipped, and whether the deadlines
//! set at a given probability are met as often as that probability says.
//!
//! Everything here is pure: the caller loads deadlines and readings, and
//! decides what to print. Resolution is judged from the dates of the data
//! points, never from the date a command happened to run, so that re-running
//! a report later gives the same answer.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::core::model::{Deadline, Metric};

/// When a metric got done according to its readings.
///
/// Readings of the same date are combined into their median, because two
/// engineers reporting on the same day are two views of one state, and one
/// outlier should not decide it. The metric is done on the first date of the
/// final unbroken run of done dates that reaches the latest date; `None` when
/// the latest date is not done. A metric that was within tolerance once and
/// then fell back out was not done: the work was not finished, and counting
/// the first touch would resolve deadlines as met on a fluke.
///
/// Non-finite readings are ignored (they are refused at the door anyway).
pub fn metric_done_on(metric: &Metric, readings: &[(NaiveDate, f64)]) -> Option<NaiveDate> {
    let mut by_date: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    for &(date, value) in readings {
        if value.is_finite() {
            by_date.entry(date).or_default().push(value);
        }
    }
    let mut done_on = None;
    for (date, values) in by_date.iter_mut().rev() {
        // Readings of one date combine as the forecast combines them: the median.
        let Some(value) = crate::core::forecast::trend::median_in_place(values) else { break };
        if !metric.is_done(value) {
            break;
        }
        done_on = Some(*date);
    }
    done_on
}

/// When a project got done: it is done when all its metrics are done and all
/// the projects it depends on are done (SPEC §4), so on the latest of those
/// dates.
///
/// `metric_done` holds the done dates of its own metrics (`None` = not done),
/// `deps_done` those of the projects it depends on. A project with neither
/// metrics nor dependencies is `None`: nothing measures it, and calling it
/// done would resolve its deadline as met without evidence.
pub fn project_done_on(metric_done: &[Option<NaiveDate>], deps_done: &[Option<NaiveDate>]) -> Option<NaiveDate> {
    let mut all = metric_done.iter().chain(deps_done).peekable();
    all.peek()?;
    all.try_fold(NaiveDate::MIN, |latest, d| d.map(|d| latest.max(d)))
}

/// How a deadline turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Done on or before the due date.
    Met { done_on: NaiveDate, days_early: i64 },
    /// Done after the due date (`done_on` set), or not done and the due date
    /// is already past (`done_on` null, `days_late` counted up to today).
    Missed { done_on: Option<NaiveDate>, days_late: i64 },
    /// Not done and not yet due.
    Pending,
}

impl Outcome {
    /// Whether the outcome is known. A deadline that is past due but not done
    /// is known to be missed even though the number of days late still grows.
    pub fn is_resolved(&self) -> bool {
        !matches!(self, Outcome::Pending)
    }

    /// `Some(true)` when met, `Some(false)` when missed, `None` while pending.
    pub fn met(&self) -> Option<bool> {
        match self {
            Outcome::Met { .. } => Some(true),
            Outcome::Missed { .. } => Some(false),
            Outcome::Pending => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Outcome::Met { days_early: 0, .. } => f.write_str("met on the day"),
            Outcome::Met { days_early, .. } => write!(f, "met, {} early", days(days_early)),
            Outcome::Missed { done_on: Some(_), days_late } => write!(f, "missed, {} late", days(days_late)),
            Outcome::Missed { done_on: None, days_late } => write!(f, "missed, {} late so far", days(days_late)),
            Outcome::Pending => f.write_str("pending"),
        }
    }
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// Resolves a deadline due on `due` for work done on `done_on` (`None` = not
/// done yet), judged on `today`.
///
/// Work not done by the end of the due date is missed from the next day on;
/// on the due date itself it is still pending, since a reading later that
/// day can still meet it.
pub fn resolve(due: NaiveDate, done_on: Option<NaiveDate>, today: NaiveDate) -> Outcome {
    match done_on {
        Some(done) if done <= due => Outcome::Met { done_on: done, days_early: (due - done).num_days() },
        Some(done) => Outcome::Missed { done_on: Some(done), days_late: (done - due).num_days() },
        None if today > due => Outcome::Missed { done_on: None, days_late: (today - due).num_days() },
        None => Outcome::Pending,
    }
}

/// Why a chosen date is not a 50% deadline. Both are allowed; they are said
/// out loud so that the choice is deliberate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warning {
    /// Later than the forecast's p80: the work will likely expand to fill it.
    Slack { p80: NaiveDate },
    /// Earlier than the forecast's p10: very unlikely to be met.
    Fantasy { p10: NaiveDate },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Slack { p80 } => write!(
                f,
                "the date is after p80 ({p80}): a deadline with that much slack invites the work to expand to fill it"
            ),
            Warning::Fantasy { p10 } => write!(
                f,
                "the date is before p10 ({p10}): with under a 10% chance of being met it is fantasy, not a 50% deadline"
            ),
        }
    }
}

/// Checks a chosen due date against the forecast's p10 and p80.
///
/// A missing quantile gives no warning: a null p80 means the work may never
/// finish within the horizon, so no date is "too late"; a null p10 comes
/// from a forecast that cannot say (or says the work is unlikely ever to
/// finish), which the recorded probability and `off_path` already report.
/// The comparisons are strict so that choosing exactly p80 (or p10) is quiet.
pub fn check_date(due: NaiveDate, p10: Option<NaiveDate>, p80: Option<NaiveDate>) -> Option<Warning> {
    match (p10, p80) {
        (_, Some(p80)) if due > p80 => Some(Warning::Slack { p80 }),
        (Some(p10), _) if due < p10 => Some(Warning::Fantasy { p10 }),
        _ => None,
    }
}

/// One change of a scope's deadline, with the date it replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    #[serde(flatten)]
    pub deadline: Deadline,
    /// The due date before this change; `None` for the first deadline.
    pub previous_due: Option<NaiveDate>,
    /// `due - previous_due` in days: positive for a slip, negative when the
    /// date was pulled in, 0 for the first deadline.
    pub slip_days: i64,
}

/// Every deadline a scope (`PROJECT` or `PROJECT/METRIC`) has had.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeHistory {
    pub scope: String,
    /// Oldest first; never empty. The last one is the active deadline.
    pub changes: Vec<Change>,
    /// Changes that moved the date later.
    pub slips: usize,
    /// Total days moved later. Pulling a date in does not offset a slip:
    /// each slip is the work expanding once, which is what this counts.
    pub slip_days: i64,
}

impl ScopeHistory {
    /// The deadline in force: the latest change.
    pub fn active(&self) -> &Deadline {
        &self.changes[self.changes.len() - 1].deadline
    }
}

/// The deadlines of each scope in the order they were set (by `set_on`; ties
/// keep the order of `all`, the order they were made), scopes sorted by name.
fn by_scope(all: &[Deadline]) -> BTreeMap<String, Vec<&Deadline>> {
    let mut scopes: BTreeMap<String, Vec<&Deadline>> = BTreeMap::new();
    for d in all {
        scopes.entry(d.scope()).or_default().push(d);
    }
    for list in scopes.values_mut() {
        list.sort_by_key(|d| d.set_on);
    }
    scopes
}

/// The slip history of every scope that has ever had a deadline, sorted by
/// scope.
pub fn histories(all: &[Deadline]) -> Vec<ScopeHistory> {
    by_scope(all)
        .into_iter()
        .map(|(scope, list)| {
            let mut changes = Vec::with_capacity(list.len());
            let mut previous_due: Option<NaiveDate> = None;
            for d in list {
                let slip_days = previous_due.map_or(0, |p| (d.due - p).num_days());
                changes.push(Change { deadline: d.clone(), previous_due, slip_days });
                previous_due = Some(d.due);
            }
            let slips = changes.iter().filter(|c| c.slip_days > 0).count();
            let slip_days = changes.iter().map(|c| c.slip_days.max(0)).sum();
            ScopeHistory { scope, changes, slips, slip_days }
        })
        .collect()
}

/// The active deadline of each scope (its latest change), sorted by scope.
pub fn active(all: &[Deadline]) -> Vec<&Deadline> {
    by_scope(all).into_values().filter_map(|list| list.last().copied()).collect()
}

/// The deadline that applies to a metric: its own, else its project's (the
/// `deadline` field of the forecast JSON). `metric = None` asks for the
/// project's own deadline only.
pub fn deadline_for<'a>(active: &[&'a Deadline], project: &str, metric: Option<&str>) -> Option<&'a Deadline> {
    let own = |m: Option<&str>| active.iter().copied().find(|d| d.project == project && d.metric.as_deref() == m);
    metric.and_then(|m| own(Some(m))).or_else(|| own(None))
}

/// The predictions that deadlines made, for [`calibration`]: one
/// `(probability when set, met)` pair per deadline change whose outcome is
/// known.
///
/// Every change counts, superseded ones included, each resolved against the
/// date the work actually got done (`done_on(scope)`). Counting only the
/// final deadline would let a habit of slipping until the date is safe look
/// perfectly calibrated; each change was a claim made with a probability, so
/// each is judged. Skipped: changes without a probability, pending ones, and
/// those set after the work was already done (they predicted nothing).
pub fn predictions<F>(all: &[Deadline], done_on: F, today: NaiveDate) -> Vec<(f64, bool)>
where
    F: Fn(&str) -> Option<NaiveDate>,
{
    let mut out = Vec::new();
    for (scope, list) in by_scope(all) {
        let done = done_on(&scope);
        for d in list {
            let Some(p) = d.probability else { continue };
            if done.is_some_and(|done| done < d.set_on) {
                continue;
            }
            if let Some(met) = resolve(d.due, done, today).met() {
                out.push((p, met));
            }
        }
    }
    out
}

/// How a group of deadlines compares with the probability they were set at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interval of the met share contains the expected share.
    WellCalibrated,
    /// Met clearly more often than expected: the dates had slack.
    TooSoft,
    /// Met clearly less often than expected: the dates were fantasy.
    TooAggressive,
    /// None resolved, or so few that no outcome could tell.
    NotEnoughData,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::WellCalibrated => "well calibrated",
            Verdict::TooSoft => "too soft",
            Verdict::TooAggressive => "too aggressive",
            Verdict::NotEnoughData => "too few to judge yet",
        })
    }
}

/// Resolved deadlines whose probability when set fell in `[lo, hi)` (the last
/// group includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// E.g. `40–60%`.
    pub label: String,
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    pub met: usize,
    /// `met / n`; `None` when empty.
    pub share: Option<f64>,
    /// Wilson 95% score interval of the share; `None` when empty.
    pub interval: Option<(f64, f64)>,
    /// The mean probability the group's deadlines were set at: the share a
    /// calibrated group should meet. `None` when empty.
    pub expected: Option<f64>,
    pub verdict: Verdict,
}

/// Whether deadlines are met as often as their probabilities say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub groups: Vec<Group>,
    /// One line about the 50% deadlines, e.g.
    /// `50% deadlines met: 7 of 15 (47%), well calibrated`.
    pub headline: String,
    /// The verdict on the 50% deadlines.
    pub verdict: Verdict,
}

/// The probability bins. Equal 20-point bins keep each label honest; the
/// middle one, 40–60%, holds the 50% deadlines (those set with `--p50`, and
/// chosen dates close to it).
const BINS: [(f64, f64, &str); 5] =
    [(0.0, 0.2, "0–20%"), (0.2, 0.4, "20–40%"), (0.4, 0.6, "40–60%"), (0.6, 0.8, "60–80%"), (0.8, 1.0, "80–100%")];

/// The index of the bin that holds the 50% deadlines.
const FIFTY: usize = 2;

/// Under this chance of being met, a deadline is off path: success is no
/// longer among the possible outcomes on the current path (SPEC §1).
pub const OFF_PATH: f64 = 0.05;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Wilson 95% score interval for `met` successes out of `n`; `None` when
/// `n == 0` or `met > n`.
///
/// Wilson rather than the normal approximation because it stays inside
/// [0, 1] and behaves at the small counts a team actually has (a dozen
/// deadlines a quarter); it is close to the exact Clopper–Pearson interval
/// without its over-coverage. The ends are pinned so that the interval always
/// contains the observed share despite rounding.
pub fn wilson(met: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 || met > n {
        return None;
    }
    let nf = n as f64;
    let share = met as f64 / nf;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let centre = (share + z2 / (2.0 * nf)) / denom;
    let half = Z95 / denom * (share * (1.0 - share) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let lo = if met == 0 { 0.0 } else { (centre - half).clamp(0.0, share) };
    let hi = if met == n { 1.0 } else { (centre + half).clamp(share, 1.0) };
    Some((lo, hi))
}

/// Judges `met` of `n` against the expected share.
///
/// "Clearly off" means the Wilson interval excludes the expected share. When
/// even all met or none met would leave the expected share inside the
/// interval (at 50%, three deadlines or fewer), the count cannot tell
/// anything, and calling it well calibrated would be a claim without
/// evidence.
fn judge(met: usize, n: usize, expected: f64) -> Verdict {
    if n == 0 {
        return Verdict::NotEnoughData;
    }
    let contains = |interval: Option<(f64, f64)>| interval.is_some_and(|(lo, hi)| lo <= expected && expected <= hi);
    if contains(wilson(0, n)) && contains(wilson(n, n)) {
        return Verdict::NotEnoughData;
    }
    let Some((lo, hi)) = wilson(met, n) else { return Verdict::NotEnoughData };
    if lo > expected {
        Verdict::TooSoft
    } else if hi < expected {
        Verdict::TooAggressive
    } else {
        Verdict::WellCalibrated
    }
}

/// Groups resolved predictions `(probability when set, met)` by probability
/// and judges each group against the mean probability its deadlines were set
/// at (rather than the bin's midpoint: a group set at 42% on average should
/// meet 42%, not 50%). Probabilities outside [0, 1] are clamped; non-finite
/// ones are ignored.
pub fn calibration(predictions: &[(f64, bool)]) -> Calibration {
    let mut groups: Vec<Group> = BINS
        .iter()
        .map(|&(lo, hi, label)| Group {
            label: label.to_string(),
            lo,
            hi,
            n: 0,
            met: 0,
            share: None,
            interval: None,
            expected: None,
            verdict: Verdict::NotEnoughData,
        })
        .collect();
    let mut sums = [0.0; BINS.len()];
    for &(p, met) in predictions {
        if !p.is_finite() {
            continue;
        }
        let p = p.clamp(0.0, 1.0);
        let i = BINS.iter().position(|&(_, hi, _)| p < hi).unwrap_or(BINS.len() - 1);
        groups[i].n += 1;
        groups[i].met += usize::from(met);
        sums[i] += p;
    }
    for (g, sum) in groups.iter_mut().zip(sums) {
        if g.n > 0 {
            let expected = sum / g.n as f64;
            g.share = Some(g.met as f64 / g.n as f64);
            g.interval = wilson(g.met, g.n);
            g.expected = Some(expected);
            g.verdict = judge(g.met, g.n, expected);
        }
    }
    let fifty = &groups[FIFTY];
    let headline = match fifty.share {
        None => "50% deadlines met: none resolved yet".to_string(),
        Some(share) => format!(
            "50% deadlines met: {} of {} ({}%), {}",
            fifty.met,
            fifty.n,
            (share * 100.0).round() as i64,
            fifty.verdict
        ),
    };
    let verdict = fifty.verdict;
    Calibration { groups, headline, verdict }
}
