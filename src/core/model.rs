//! The plain data limfac works with: projects, engineers, metrics, reviews,
//! data points, blockers and deadlines.
//!
//! These types carry no behaviour beyond parsing and naming their enums, so
//! that the pure core (forecasting, limiting factor, report building) can take
//! them without knowing where they came from.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Which way a metric must move to reach its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The value must fall to the target (cost, latency, defects).
    Down,
    /// The value must rise to the target (power delivered, yield, uptime).
    Up,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Down => "down",
            Direction::Up => "up",
        }
    }

    /// The remaining gap to the target, positive while the work is unfinished.
    ///
    /// Working in gaps lets every model treat "down" and "up" metrics alike:
    /// the gap must fall to the tolerance.
    pub fn gap(self, value: f64, target: f64) -> f64 {
        match self {
            Direction::Down => value - target,
            Direction::Up => target - value,
        }
    }

    /// The value that corresponds to a gap (inverse of [`Direction::gap`]).
    pub fn value_from_gap(self, gap: f64, target: f64) -> f64 {
        match self {
            Direction::Down => target + gap,
            Direction::Up => target - gap,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "down" => Ok(Direction::Down),
            "up" => Ok(Direction::Up),
            _ => Err(format!("'{s}' is not a direction; use 'down' or 'up'")),
        }
    }
}

/// The kind of meeting a data point was heard in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReviewKind {
    #[serde(rename = "weekly")]
    Weekly,
    #[serde(rename = "skip-level")]
    SkipLevel,
    #[serde(rename = "deep-dive")]
    DeepDive,
}

impl ReviewKind {
    pub const ALL: [ReviewKind; 3] = [ReviewKind::Weekly, ReviewKind::SkipLevel, ReviewKind::DeepDive];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Weekly => "weekly",
            ReviewKind::SkipLevel => "skip-level",
            ReviewKind::DeepDive => "deep-dive",
        }
    }
}

impl fmt::Display for ReviewKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReviewKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReviewKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a review kind; use weekly, skip-level or deep-dive"))
    }
}

/// A body of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub slug: String,
    pub name: String,
    /// 1 (highest) to 5.
    pub priority: u8,
    pub owner: Option<String>,
    /// Slugs of the projects this one cannot finish without.
    pub depends_on: Vec<String>,
    /// Cancelled or superseded: gone from forecasts, the report and the
    /// limiting factor; kept in lists, history and the export.
    #[serde(default)]
    pub archived: bool,
}

/// A person who reports progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engineer {
    pub handle: String,
    pub name: String,
    pub reports_to: Option<String>,
}

/// What converges: always addressed as `PROJECT/METRIC`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub project: String,
    /// The metric's slug within its project.
    pub metric: String,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub target: f64,
    pub direction: Direction,
    /// Done when within this distance of the target (or past it).
    pub tolerance: f64,
    /// Physical bounds (a percentage cannot pass 100): readings outside them
    /// are questioned, and charts never project beyond them.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// Cancelled or superseded (the metric itself; see also its project's flag).
    #[serde(default)]
    pub archived: bool,
}

impl Metric {
    /// The `PROJECT/METRIC` address.
    pub fn key(&self) -> String {
        format!("{}/{}", self.project, self.metric)
    }

    /// Whether a reading counts as done.
    pub fn is_done(&self, value: f64) -> bool {
        self.direction.gap(value, self.target) <= self.tolerance
    }

    /// Clamps a projected value into the metric's bounds (a value the
    /// metric cannot physically take is never drawn).
    pub fn clamp(&self, v: f64) -> f64 {
        let v = self.min.map_or(v, |lo| v.max(lo));
        self.max.map_or(v, |hi| v.min(hi))
    }
}

/// One meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: i64,
    pub date: NaiveDate,
    pub kind: ReviewKind,
    pub reviewer: Option<String>,
    pub notes: Option<String>,
}

/// One reading reported by an engineer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub date: NaiveDate,
    pub project: String,
    pub metric: String,
    pub engineer: String,
    pub value: f64,
    pub note: String,
    pub review: Option<i64>,
}

/// Something an engineer says holds the work back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blocker {
    pub id: i64,
    /// A free word such as `power`, `chips`, `supplier`, `permits`.
    pub category: String,
    pub text: String,
    pub project: String,
    pub metric: Option<String>,
    pub engineer: Option<String>,
    pub opened: NaiveDate,
    pub resolved: Option<NaiveDate>,
}

/// A deadline on a project (`metric == None`) or on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    pub id: i64,
    pub project: String,
    pub metric: Option<String>,
    pub due: NaiveDate,
    /// P(done by `due`) when it was set, if it could be computed.
    pub probability: Option<f64>,
    pub reason: Option<String>,
    /// When the deadline was set (the as-of date of the command).
    pub set_on: NaiveDate,
}

impl Deadline {
    /// `PROJECT` or `PROJECT/METRIC`.
    pub fn scope(&self) -> String {
        match &self.metric {
            Some(m) => format!("{}/{}", self.project, m),
            None => self.project.clone(),
        }
    }
}

/// One reading without its note: what the forecasting core needs, compact so
/// that a million of them fit comfortably in memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Index into [`Snapshot::metrics`].
    pub metric: u32,
    /// Index into [`Snapshot::engineers`].
    pub engineer: u32,
    pub date: NaiveDate,
    pub value: f64,
}

/// Everything the pure core reads, loaded in one go.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub projects: Vec<Project>,
    pub engineers: Vec<Engineer>,
    pub metrics: Vec<Metric>,
    /// Sorted by metric, then date.
    pub observations: Vec<Observation>,
    pub blockers: Vec<Blocker>,
    /// Every deadline ever set, oldest first.
    pub deadlines: Vec<Deadline>,
}

impl Snapshot {
    /// The observations of metric `i` (they are contiguous).
    pub fn observations_of(&self, metric: usize) -> &[Observation] {
        let m = metric as u32;
        let start = self.observations.partition_point(|o| o.metric < m);
        let end = self.observations.partition_point(|o| o.metric <= m);
        &self.observations[start..end]
    }

    pub fn project_index(&self, slug: &str) -> Option<usize> {
        self.projects.iter().position(|p| p.slug == slug)
    }

    pub fn metric_index(&self, project: &str, metric: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m.project == project && m.metric == metric)
    }
}

/// Keeps only the metrics marked in `keep` (and their observations), so that
/// a command can forecast part of the organization.
pub fn restrict_metrics(mut snapshot: Snapshot, keep: &[bool]) -> Snapshot {
    let mut new_index = vec![u32::MAX; snapshot.metrics.len()];
    let mut next = 0u32;
    for (i, k) in keep.iter().enumerate() {
        if *k {
            new_index[i] = next;
            next += 1;
        }
    }
    let mut i = 0;
    snapshot.metrics.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    snapshot.observations.retain(|o| keep[o.metric as usize]);
    for o in &mut snapshot.observations {
        o.metric = new_index[o.metric as usize];
    }
    snapshot
}
