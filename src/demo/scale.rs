//! A large synthetic organization for measuring limfac at scale
//! (`limfac demo --scale N`, docs/spec.md §5).
//!
//! At `N = 1`: 400 projects, 500 engineers, 2,000 metrics and 1,000,000 data
//! points over five years (260 weeks) of weekly skip-level reviews. Other `N`
//! scale projects, engineers and metrics; every metric keeps 500 readings, so
//! one metric costs the same to forecast at any scale.
//!
//! Pure and deterministic: the organization is built in memory from a fixed
//! seed, and the readings are produced lazily by [`ScaleData::points`] in
//! date order (as an export would list them), each value a pure function of
//! (metric, reading) plus a per-metric random walk, so a million readings
//! never sit in memory at once. A different `today` only shifts the dates.

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::core::model::{Direction, Engineer, Metric, Project};

/// The generator's seed: fixed, so that the data is reproducible.
pub const SEED: u64 = 7;
/// Weeks of weekly reviews: five years.
pub const WEEKS: u32 = 260;
/// Readings per metric, at every scale.
pub const POINTS_PER_METRIC: u32 = 500;

/// How a metric's remaining gap evolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Exponential approach to the target, not there yet at the end.
    Converging,
    /// Steady linear approach, not there yet.
    Linear,
    /// Reached the target some weeks ago (readings stop soon after).
    Done,
    /// Levels off on a floor short of the target.
    Plateau,
    /// No movement: noise and a small random walk around a level.
    Flat,
    /// Moving away from the target.
    Diverging,
}

/// One metric's plan.
#[derive(Debug, Clone)]
pub struct MetricPlan {
    pub shape: Shape,
    /// First and last week with readings (inclusive).
    pub first_week: u32,
    pub last_week: u32,
    /// Indices into [`ScaleData::engineers`] of who reports it, in turn.
    pub team: Vec<u32>,
    /// Starting gap (value units) and the gap rate/floor parameters.
    gap0: f64,
    rate: f64,
    floor: f64,
    /// Measurement noise and per-week random-walk step (value units).
    noise: f64,
    walk: f64,
}

/// One generated reading (indices into the [`ScaleData`] vectors).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalePoint {
    pub date: NaiveDate,
    pub metric: u32,
    pub engineer: u32,
    /// The reviewer: an index into [`ScaleData::engineers`].
    pub reviewer: u32,
    pub value: f64,
    /// Index into [`NOTES`].
    pub note: u8,
    /// Index into [`BLOCKERS`] when this reading opens a blocker.
    pub blocker: Option<u8>,
}

/// What engineers say (short, as in a real weekly review).
pub const NOTES: [&str; 8] = [
    "steady progress this week",
    "new build measured on the full test set",
    "re-measured after the config change",
    "no change; waiting on the fix to land",
    "regression traced to last week's merge",
    "measured on production traffic",
    "vendor sample arrived and was measured",
    "rerun with the corrected harness",
];

/// Blockers cited on stalled and diverging work: (category, text).
pub const BLOCKERS: [(&str, &str); 6] = [
    ("supplier", "vendor slipped the next delivery"),
    ("power", "lab power budget exhausted"),
    ("chips", "not enough accelerator allocation"),
    ("permits", "approval still pending"),
    ("people", "two engineers pulled onto an incident"),
    ("tooling", "test harness flaky on the nightly runs"),
];

/// The generated organization.
#[derive(Debug, Clone)]
pub struct ScaleData {
    pub projects: Vec<Project>,
    /// In reporting order: everyone after the person they report to.
    pub engineers: Vec<Engineer>,
    pub metrics: Vec<Metric>,
    pub plans: Vec<MetricPlan>,
    /// Index of each engineer's reviewer (their director; the top reviews directors).
    reviewer_of: Vec<u32>,
    /// Monday of week 0.
    pub first_monday: NaiveDate,
    pub weeks: u32,
}

/// Sizes at scale `n` (1.0 = the full size), never below a working minimum.
pub fn sizes(n: f64) -> (usize, usize, usize) {
    let s = |full: f64, min: usize| ((full * n).round() as usize).max(min);
    (s(400.0, 2), s(500.0, 8), s(2000.0, 4))
}

/// Builds the organization at scale `n`; its last weekly review is on the
/// latest Monday on or before `today`.
pub fn generate(n: f64, today: NaiveDate) -> ScaleData {
    let (n_projects, n_engineers, n_metrics) = sizes(n);
    let mut rng = StdRng::seed_from_u64(SEED);

    // Org chart: one leader, directors (1 per 50), managers (1 per 8), the rest engineers.
    let n_dirs = (n_engineers / 50).max(1);
    let n_mgrs = (n_engineers / 8).max(1);
    let mut engineers = Vec::with_capacity(n_engineers);
    let mut reviewer_of = Vec::with_capacity(n_engineers);
    engineers.push(Engineer { handle: "lead".into(), name: "Org Leader".into(), reports_to: None });
    reviewer_of.push(0);
    for d in 0..n_dirs {
        engineers.push(Engineer {
            handle: format!("dir-{d:02}"),
            name: format!("Director {d}"),
            reports_to: Some("lead".into()),
        });
        reviewer_of.push(0);
    }
    let mut mgr_dir = Vec::new();
    for m in 0..n_mgrs {
        let d = m % n_dirs;
        engineers.push(Engineer {
            handle: format!("mgr-{m:03}"),
            name: format!("Manager {m}"),
            reports_to: Some(format!("dir-{d:02}")),
        });
        mgr_dir.push(d);
        reviewer_of.push(0);
    }
    let first_ic = engineers.len();
    let mut i = 0;
    while engineers.len() < n_engineers {
        let m = i % n_mgrs;
        engineers.push(Engineer {
            handle: format!("eng-{i:04}"),
            name: format!("Engineer {i}"),
            reports_to: Some(format!("mgr-{m:03}")),
        });
        reviewer_of.push(1 + mgr_dir[m] as u32);
        i += 1;
    }
    let n_ics = engineers.len() - first_ic;

    // Projects: the first 5% are goals that depend on several others; a few
    // others depend on one earlier non-goal project. Edges only point to
    // non-goal projects of lower index among non-goals, so there is no cycle.
    let n_goals = (n_projects / 20).max(1).min(n_projects - 1);
    let mut projects = Vec::with_capacity(n_projects);
    for p in 0..n_projects {
        let goal = p < n_goals;
        let mut depends_on: Vec<String> = Vec::new();
        if goal {
            let k = rng.random_range(3..=8usize).min(n_projects - n_goals);
            while depends_on.len() < k {
                let q = rng.random_range(n_goals..n_projects);
                let slug = project_slug(q);
                if !depends_on.contains(&slug) {
                    depends_on.push(slug);
                }
            }
        } else if p > n_goals && rng.random_range(0.0..1.0) < 0.1 {
            depends_on.push(project_slug(rng.random_range(n_goals..p)));
        }
        projects.push(Project {
            slug: project_slug(p),
            name: if goal { format!("Goal {p}") } else { format!("Project {p}") },
            priority: if goal { rng.random_range(1..=2u8) } else { rng.random_range(1..=5u8) },
            owner: Some(engineers[1 + p % (engineers.len() - 1).max(1)].handle.clone()),
            depends_on,
            archived: false,
        });
    }

    // Teams: 2–6 engineers per project.
    let teams: Vec<Vec<u32>> = (0..n_projects)
        .map(|_| {
            let k = rng.random_range(2..=6usize).min(n_ics);
            let mut t: Vec<u32> = Vec::with_capacity(k);
            while t.len() < k {
                let e = (first_ic + rng.random_range(0..n_ics)) as u32;
                if !t.contains(&e) {
                    t.push(e);
                }
            }
            t
        })
        .collect();

    // Metrics: one per project, the rest spread at random.
    let mut owner_of: Vec<usize> = (0..n_projects.min(n_metrics)).collect();
    while owner_of.len() < n_metrics {
        owner_of.push(rng.random_range(0..n_projects));
    }
    owner_of.sort_unstable();
    let mut metrics = Vec::with_capacity(n_metrics);
    let mut plans = Vec::with_capacity(n_metrics);
    let mut per_project = vec![0u32; n_projects];
    for (mi, &p) in owner_of.iter().enumerate() {
        let k = per_project[p];
        per_project[p] += 1;
        let direction = if mi % 2 == 0 { Direction::Down } else { Direction::Up };
        let target: f64 = [0.0, 1.0, 10.0, 50.0, 100.0, 1000.0][rng.random_range(0..6usize)];
        let gap0 = target.max(10.0) * rng.random_range(0.5..2.0);
        let tolerance = gap0 * 0.02;
        let shape = match rng.random_range(0..100u32) {
            0..=29 => Shape::Converging,
            30..=44 => Shape::Linear,
            45..=54 => Shape::Done,
            55..=71 => Shape::Plateau,
            72..=87 => Shape::Flat,
            _ => Shape::Diverging,
        };
        // Most metrics run the whole five years; a third start later.
        let first_week = if rng.random_range(0..3u32) == 0 { rng.random_range(1..130u32) } else { 0 };
        let span = f64::from(WEEKS - first_week);
        let (rate, floor, last_week) = match shape {
            // Gap at the end: 10–30% of the start, tolerance 2%.
            Shape::Converging => (rng.random_range(0.1f64..0.3).ln() / -span, 0.0, WEEKS - 1),
            Shape::Linear => (rng.random_range(0.6..0.85) / span, 0.0, WEEKS - 1),
            // Reaches 1% of the start before the end; reported a while after.
            Shape::Done => {
                let done_at = span * rng.random_range(0.5..0.8);
                let last = first_week + (done_at + span * 0.15) as u32;
                ((0.01f64).ln() / -done_at, 0.0, last.min(WEEKS - 1))
            }
            Shape::Plateau => (rng.random_range(4.0..10.0) / span, rng.random_range(0.2..0.4), WEEKS - 1),
            Shape::Flat => (0.0, 0.0, WEEKS - 1),
            Shape::Diverging => (rng.random_range(0.3..0.8) / span, 0.0, WEEKS - 1),
        };
        let noise = gap0 * if shape == Shape::Done { 0.002 } else { rng.random_range(0.005..0.03) };
        let walk = gap0
            * match shape {
                Shape::Flat => 0.01,
                Shape::Done => 0.0,
                _ => 0.002,
            };
        let team = &teams[p];
        let size = rng.random_range(2..=4usize).min(team.len());
        let start = rng.random_range(0..team.len());
        let metric_team: Vec<u32> = (0..size).map(|j| team[(start + j) % team.len()]).collect();
        metrics.push(Metric {
            project: project_slug(p),
            metric: format!("m{k:02}"),
            name: Some(format!("Metric {k} of project {p}")),
            unit: Some(["ms", "%", "W", "defects/cm²", "req/s", "count"][mi % 6].into()),
            target,
            direction,
            tolerance: (tolerance * 1000.0).round() / 1000.0,
            min: None,
            max: None,
            archived: false,
        });
        plans.push(MetricPlan {
            shape,
            first_week,
            last_week,
            team: metric_team,
            gap0,
            rate,
            floor: floor * gap0,
            noise,
            walk,
        });
    }

    let last_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first_monday = last_monday - Duration::weeks(i64::from(WEEKS - 1));
    ScaleData { projects, engineers, metrics, plans, reviewer_of, first_monday, weeks: WEEKS }
}

fn project_slug(p: usize) -> String {
    format!("p{p:04}")
}

/// A uniform in [0, 1) from a key: splitmix64, so that every value is a pure
/// function of what it is for, whatever order values are produced in.
fn unit(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// A standard normal from a key (Box–Muller).
fn normal(key: u64) -> f64 {
    let u1 = unit(key).max(1e-300);
    let u2 = unit(key ^ 0x5555_5555_5555_5555);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn key(metric: u32, i: u32, salt: u64) -> u64 {
    (u64::from(metric) << 32 | u64::from(i)) ^ (salt << 60) ^ SEED.rotate_left(17)
}

impl MetricPlan {
    /// Readings in week `w` (0-based from week 0): the indices `i` of this
    /// metric's readings that fall in it. Readings are spread evenly over the
    /// metric's weeks, so a week has one to several readings.
    fn readings_in(&self, w: u32) -> std::ops::Range<u32> {
        if w < self.first_week || w > self.last_week {
            return 0..0;
        }
        let span = u64::from(self.last_week - self.first_week + 1);
        let n = u64::from(POINTS_PER_METRIC);
        let k = u64::from(w - self.first_week);
        // Reading i lies in week floor(i * span / n).
        let first = (k * n).div_ceil(span);
        let end = ((k + 1) * n).div_ceil(span);
        first as u32..end as u32
    }

    /// The true gap (without walk or noise) `t` weeks after the first week.
    fn gap(&self, t: f64) -> f64 {
        match self.shape {
            Shape::Converging | Shape::Done => self.gap0 * (-self.rate * t).exp(),
            Shape::Linear => self.gap0 * (1.0 - self.rate * t),
            Shape::Plateau => self.floor + (self.gap0 - self.floor) * (-self.rate * t).exp(),
            Shape::Flat => self.gap0,
            Shape::Diverging => self.gap0 * (1.0 + self.rate * t),
        }
    }
}

impl ScaleData {
    /// How many readings [`points`](Self::points) yields.
    pub fn n_points(&self) -> u64 {
        self.plans.len() as u64 * u64::from(POINTS_PER_METRIC)
    }

    /// The date of week `w`.
    pub fn week_date(&self, w: u32) -> NaiveDate {
        self.first_monday + Duration::weeks(i64::from(w))
    }

    /// Every reading, in date order (then metric), generated lazily.
    pub fn points(&self) -> impl Iterator<Item = ScalePoint> + '_ {
        let mut walks = vec![0.0f64; self.plans.len()];
        (0..self.weeks).flat_map(move |w| {
            let date = self.week_date(w);
            let mut out = Vec::new();
            for (m, plan) in self.plans.iter().enumerate() {
                let m = m as u32;
                let range = plan.readings_in(w);
                if range.is_empty() {
                    continue;
                }
                // The walk moves once a week; pinned at zero in the metric's first week.
                if w > plan.first_week {
                    walks[m as usize] += plan.walk * normal(key(m, w, 1));
                }
                let t = f64::from(w - plan.first_week);
                let truth = plan.gap(t) + walks[m as usize];
                let metric = &self.metrics[m as usize];
                for i in range {
                    let gap = truth + plan.noise * normal(key(m, i, 2));
                    let gap = if plan.shape == Shape::Done { gap.max(0.0) } else { gap };
                    // Kept within the metric's physical bounds (a percentage's noise below 0
                    // is no reading anyone takes), as `log` and `import` require.
                    let (lo, hi) = crate::core::plausible::effective_bounds(metric);
                    let value = metric.direction.value_from_gap(gap, metric.target);
                    let value = value.max(lo.unwrap_or(f64::MIN)).min(hi.unwrap_or(f64::MAX));
                    let engineer = plan.team[i as usize % plan.team.len()];
                    // One reading in 150 on stalled or diverging work opens a blocker.
                    let blocker = (matches!(plan.shape, Shape::Plateau | Shape::Flat | Shape::Diverging)
                        && unit(key(m, i, 3)) < 1.0 / 150.0)
                        .then(|| (unit(key(m, i, 4)) * BLOCKERS.len() as f64) as u8);
                    out.push(ScalePoint {
                        date,
                        metric: m,
                        engineer,
                        reviewer: self.reviewer_of[engineer as usize],
                        value: (value * 1000.0).round() / 1000.0,
                        note: (unit(key(m, i, 5)) * NOTES.len() as f64) as u8,
                        blocker,
                    });
                }
            }
            out
        })
    }
}

/// Writes the data points as an import CSV, every column (as `export`
/// writes them, for `import --create-missing`).
pub fn write_csv(data: &ScaleData, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
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
            let (c, t) = BLOCKERS[b as usize];
            write!(blocker, "{c}:{t}")?;
        }
        w.write_record([
            date.as_str(),
            &m.project,
            &m.metric,
            &data.engineers[p.engineer as usize].handle,
            &value,
            NOTES[p.note as usize],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn sizes_and_counts() {
        let d = generate(0.01, today());
        assert_eq!((d.projects.len(), d.engineers.len(), d.metrics.len()), (4, 8, 20));
        let pts: Vec<ScalePoint> = d.points().collect();
        assert_eq!(pts.len() as u64, d.n_points());
        for m in 0..d.metrics.len() as u32 {
            assert_eq!(pts.iter().filter(|p| p.metric == m).count() as u32, POINTS_PER_METRIC);
        }
        assert!(pts.windows(2).all(|w| w[0].date <= w[1].date));
        assert!(pts.iter().all(|p| p.value.is_finite() && p.date <= today()));
    }

    #[test]
    fn full_size_shape() {
        assert_eq!(sizes(1.0), (400, 500, 2000));
        let d = generate(1.0, today());
        assert_eq!(d.n_points(), 1_000_000);
        let handles: std::collections::HashSet<&str> = d.engineers.iter().map(|e| e.handle.as_str()).collect();
        assert_eq!(handles.len(), d.engineers.len());
        let keys: std::collections::HashSet<String> = d.metrics.iter().map(|m| m.key()).collect();
        assert_eq!(keys.len(), d.metrics.len());
    }

    #[test]
    fn deterministic() {
        let a: Vec<ScalePoint> = generate(0.02, today()).points().take(5000).collect();
        let b: Vec<ScalePoint> = generate(0.02, today()).points().take(5000).collect();
        assert_eq!(a, b);
    }
}
