//! Forecasting one metric: is it converging, and when will it reach its target?
//!
//! Pure code: readings in, a [`Forecast`] out; no I/O, no clock (the caller passes `as_of`), no
//! global randomness (the caller passes the seed, see [`seed_for`]).
//!
//! The pipeline, and why each step is there:
//!
//! 1. **Combine** readings into one series: the median per date (several engineers may report
//!    the same day; the median shrugs off one typo), only dates on or before `as_of`, without
//!    readings that only repeat the last one within the week (a value copied forward every
//!    day must not look seven times as well evidenced as the weekly review), and only the last
//!    [`MAX_DATES`] dates (older readings say little about today's pace).
//! 2. **Gap space**: every metric becomes "remaining gap must fall to the tolerance", so "down"
//!    and "up" metrics share one code path. Values are rescaled first so that huge or tiny
//!    magnitudes never overflow.
//! 3. **Trend test** ([`trend`]): Mann–Kendall decides whether there is any reliable movement at
//!    all, Theil–Sen says how fast. Only a significant move toward the target can be
//!    `converging`; that keeps noise from ever being called convergence.
//! 4. **Dynamics** ([`models`], [`noise`]): three families — a line, an exponential approach
//!    to a floor, an S-curve — each a grid of bases (rates and midpoints fixed on a grid, plus
//!    the least-squares point) with two free coefficients, read through measurement noise and
//!    a random-walk process noise (a grid of variance ratios). Every (basis, noise split)
//!    model is weighed by its prior times its **prequential score**: how well it predicted each
//!    reading one step ahead from the readings before it (Student-t predictives, coefficients
//!    and scale integrated out in closed form by a Kalman filter). Curvature earns weight only
//!    when it has predicted well; nothing is "picked".
//! 5. **Reaching the target**: when the readings move toward the target, the model weights and
//!    draws are conditioned on dynamics that reach it (a slope toward it, a floor below the
//!    tolerance), unless the models put less than [`simulate::P_REACH_MIN`] on that (then the
//!    floor is clearly above the target, a plateau, and left as it is) or the series has
//!    visibly flattened far from the target (see `flattened`).
//! 6. **Simulation** ([`simulate`]): future paths = curve + accumulating process noise, with
//!    model, scale and coefficients drawn from their posterior; completion is each path's
//!    first passage within tolerance. Each path has its own random stream, so the value fan
//!    (drawn only when a chart asks, [`Options::fan`]) changes no date.
//! 7. **Verdict**: `converging` needs both a significant trend toward the target and a better
//!    than even chance of arriving within the horizon; a trend toward a floor short of the
//!    target, one too slow to matter, or progress that has flattened far from the target is
//!    `stalled`.

pub mod calibrate;
pub mod defaults;
pub mod evaluate;
pub mod models;
pub mod noise;
pub mod replay;
pub mod samples;
pub mod simulate;
pub mod synthetic;
pub mod timing;
pub mod trend;

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::core::model::Direction;

pub use calibrate::Calibration;
use models::Shape;
pub use samples::Samples;
use simulate::{Candidate, SimInput};

/// One reading of a metric (several may share a date).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub date: NaiveDate,
    pub value: f64,
}

/// What the metric must reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSpec {
    pub target: f64,
    pub direction: Direction,
    pub tolerance: f64,
}

/// How to forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Judge as if this were today; readings after it are ignored.
    pub as_of: NaiveDate,
    /// Paths that have not arrived this many days after `as_of` count as "never".
    pub horizon_days: i64,
    /// Simulated paths.
    pub n_sims: usize,
    pub seed: u64,
    /// Compute the fan (the value paths' p10/p50/p90 ahead), which only charts
    /// draw. Without it, paths stop at their first passage: much cheaper, and
    /// every date and probability is the same.
    pub fan: bool,
}

/// Default horizon: three years, as the spec says.
pub const DEFAULT_HORIZON_DAYS: i64 = 3 * 365;
/// Default number of simulated paths: enough for stable p10–p90 (the Monte Carlo error of a
/// quantile at 600 paths is about ±2 percentile points, finer than the weekly steps the dates
/// move in) at a cost that keeps a weekly report over 2,000 metrics, which forecasts
/// everything twice (this week and last), under two seconds. The calibration tests run with
/// 300 paths, so what they measure is no better than what users get.
pub const DEFAULT_N_SIMS: usize = 600;
/// Names this forecast engine in cached results: change it whenever a change of the code or
/// of the shipped calibration can change a forecast, so that nothing stale is ever reused.
pub const ENGINE: &str = concat!("limfac-", env!("CARGO_PKG_VERSION"), "-timing-12");

/// Fewest distinct dates a forecast is attempted on.
pub const MIN_DATES: usize = 4;

impl Options {
    pub fn new(as_of: NaiveDate, seed: u64) -> Self {
        Options { as_of, horizon_days: DEFAULT_HORIZON_DAYS, n_sims: DEFAULT_N_SIMS, seed, fan: true }
    }
}

/// A seed that is stable across runs, platforms and Rust versions: FNV-1a 64 of the key
/// (e.g. `"PROJECT/METRIC"`). `std`'s hashers are randomised or unspecified, so they won't do.
pub fn seed_for(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The verdict on a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Converging,
    Stalled,
    Diverging,
    InsufficientData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Converging => "converging",
            Status::Stalled => "stalled",
            Status::Diverging => "diverging",
            Status::InsufficientData => "insufficient_data",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A point of the fitted central curve (value space).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    pub date: NaiveDate,
    pub value: f64,
}

/// A point of the forecast fan (value space): where the true value will be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FanPoint {
    pub date: NaiveDate,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// The forecast of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub status: Status,
    /// "linear", "exponential", "logistic", "random_walk" (a line whose scatter is mostly
    /// process noise), or "none". For the weighted mix, the heaviest model.
    pub model: String,
    /// Why this status, in one sentence with its numbers.
    pub reason: String,
    pub n_points: usize,
    pub n_dates: usize,
    pub last_date: Option<NaiveDate>,
    pub last_value: Option<f64>,
    /// Theil–Sen slope in value units per week (sign in value space).
    pub trend_per_week: Option<f64>,
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    pub p90: Option<NaiveDate>,
    /// P(not done within the horizon).
    pub p_never: f64,
    /// One entry per simulated path: completion as days after `as_of` (None = not within the
    /// horizon). Negative when the path arrived between the last reading and `as_of`. Done
    /// metrics: every entry is the (<= 0) day it got done. Insufficient data: empty.
    pub samples: Samples,
    /// Fitted central curve at each observed date (value space); empty if none.
    pub curve: Vec<CurvePoint>,
    /// Weekly from `as_of`: 26 weeks, or until p90 (at most 104 points). Empty if none.
    pub fan: Vec<FanPoint>,
    /// What the timing model read (None when done or too new to forecast).
    pub features: Option<timing::Features>,
}

impl Forecast {
    /// P(done on or before `date`), from the samples; None when insufficient data.
    pub fn p_done_by(&self, as_of: NaiveDate, date: NaiveDate) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        let d = (date - as_of).num_days();
        let hits = self.samples.iter().filter(|s| matches!(s, Some(x) if i64::from(*x) <= d)).count();
        Some(hits as f64 / self.samples.len() as f64)
    }
}

/// Forecast many metrics in parallel; identical to calling [`forecast`] on each in turn
/// (every job carries its own seed, so scheduling cannot change a result).
pub fn forecast_many(jobs: &[(MetricSpec, Vec<Reading>, Options)]) -> Vec<Forecast> {
    forecast_many_with(jobs, Calibration::shipped())
}

/// [`forecast_many`] with calibration `cal`.
pub fn forecast_many_with(jobs: &[(MetricSpec, Vec<Reading>, Options)], cal: &Calibration) -> Vec<Forecast> {
    jobs.par_iter().map(|(spec, readings, opts)| forecast_with(spec, readings, opts, cal)).collect()
}

/// The combined series in working units.
struct Series {
    dates: Vec<NaiveDate>,
    /// Combined (median) value per date, original units.
    values: Vec<f64>,
    /// Gaps in scaled units.
    gaps: Vec<f64>,
    /// Weeks relative to the last date (<= 0).
    weeks: Vec<f64>,
    /// Tolerance in scaled units.
    tol: f64,
    /// The first reading on or before as_of, even one older than the dates kept: how long the
    /// work has been tracked.
    first_date: Option<NaiveDate>,
    /// Value units per scaled unit.
    scale: f64,
    n_points: usize,
}

/// The most recent dates a forecast looks at: two years of weekly reviews.
/// Older readings say little about today's pace (the work, the team and the
/// blockers have changed), and years of history would otherwise cost every
/// forecast time for nothing.
pub const MAX_DATES: usize = 104;

fn combine(spec: &MetricSpec, readings: &[Reading], as_of: NaiveDate) -> Series {
    let mut by_date: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
    for r in readings {
        if r.date <= as_of && r.value.is_finite() {
            by_date.entry(r.date).or_default().push(r.value);
        }
    }
    let first_date = by_date.keys().next().copied();
    let n_points = by_date.values().map(Vec::len).sum();
    let mut dates = Vec::with_capacity(by_date.len());
    let mut values = Vec::with_capacity(by_date.len());
    for (d, mut v) in by_date {
        dates.push(d);
        values.push(trend::median_in_place(&mut v).unwrap_or(0.0));
    }
    Series::new(spec, dates, values, n_points, first_date)
}

impl Series {
    fn new(
        spec: &MetricSpec,
        dates: Vec<NaiveDate>,
        values: Vec<f64>,
        n_points: usize,
        first_date: Option<NaiveDate>,
    ) -> Series {
        let target = if spec.target.is_finite() { spec.target } else { 0.0 };
        let tol_raw = if spec.tolerance.is_finite() { spec.tolerance } else { 0.0 };
        // One scale for values, target and tolerance keeps every gap within [-3, 3] (no overflow
        // for values near f64::MAX) while leaving ratios, and so all decisions, unchanged.
        let scale = values.iter().fold(target.abs().max(tol_raw.abs()), |m, v| m.max(v.abs()));
        let scale = if scale > 0.0 && scale.is_finite() { scale } else { 1.0 };
        let gaps = values.iter().map(|v| spec.direction.gap(v / scale, target / scale)).collect();
        let last = dates.last().copied();
        let weeks = dates.iter().map(|d| last.map_or(0.0, |l| (*d - l).num_days() as f64 / 7.0)).collect();
        Series { dates, values, gaps, weeks, tol: tol_raw / scale, scale, n_points, first_date }
    }

    /// The series a forecast reads: every date, except a reading that only repeats the last
    /// one kept, less than a week after it (the latest reading is always kept), and of those
    /// the last [`MAX_DATES`].
    ///
    /// Why: the trend test, the curves' noise and the timing model's features (how many dates,
    /// how many of them without change) all count dates, and a value copied forward every day
    /// (an import of a daily export, a count re-logged at every stand-up) would otherwise make
    /// the same work look seven times as well evidenced as at the weekly review: read daily
    /// that way, 161 of 1,050 synthetic flat series, plateaus and divergers were called
    /// `converging` instead of 39, and the p10–p90 range held the truth in 49% of cases instead
    /// of 77% (`examples/forecast_eval --daily`). A new value is never dropped: the limiting
    /// factor reviewed twice a week is measured twice a week. A repeat a week or more after the
    /// last reading kept stays: a count that has not moved for a month is news. When fewer
    /// than [`MIN_DATES`] dates would remain, every date is kept, so that four readings still
    /// get a forecast.
    fn read(&self, spec: &MetricSpec) -> Series {
        let n = self.dates.len();
        let mut keep: Vec<usize> = Vec::with_capacity(n);
        for i in 0..n {
            let news = keep
                .last()
                .is_none_or(|&j| self.values[i] != self.values[j] || (self.dates[i] - self.dates[j]).num_days() >= 7);
            if news || i + 1 == n {
                keep.push(i);
            }
        }
        if keep.len() < MIN_DATES {
            keep = (0..n).collect();
        }
        let keep = &keep[keep.len().saturating_sub(MAX_DATES)..];
        let dates = keep.iter().map(|&i| self.dates[i]).collect();
        let values = keep.iter().map(|&i| self.values[i]).collect();
        Series::new(spec, dates, values, self.n_points, self.first_date)
    }
}

/// How many ISO weeks have readings among `dates` (sorted): what the timing model reads as
/// the number of dates. Read twice as often (a reading halfway between two), the synthetic
/// check set's converging work counted by dates had its truth on or before p50 in 24% of
/// cases and inside p10–p90 in 65%; counted by weeks, 44% and 79% (47% and 79% read weekly;
/// `examples/forecast_eval --twice`).
fn weeks_read(dates: &[NaiveDate]) -> usize {
    1 + dates.windows(2).filter(|w| w[0].iso_week() != w[1].iso_week()).count()
}

/// Formats a number for a sentence: three significant digits, no exponent for everyday sizes.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e7).contains(&a) {
        format!("{x:.2e}")
    } else {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

fn finite_or(x: f64, fallback: f64) -> f64 {
    if x.is_finite() {
        x
    } else if x.is_nan() {
        fallback
    } else {
        x.signum() * f64::MAX
    }
}

fn add_days(d: NaiveDate, days: i64) -> Option<NaiveDate> {
    d.checked_add_signed(Duration::try_days(days)?)
}

/// Forecast one metric with the shipped calibration.
pub fn forecast(spec: &MetricSpec, readings: &[Reading], opts: &Options) -> Forecast {
    forecast_with(spec, readings, opts, Calibration::shipped())
}

/// Forecast one metric with calibration `cal`.
pub fn forecast_with(spec: &MetricSpec, readings: &[Reading], opts: &Options, cal: &Calibration) -> Forecast {
    fit(spec, readings, opts).finish(opts, cal)
}

/// A forecast before it is dated: everything the readings decide (the verdict, the curves, the
/// simulation, what the timing model reads), none of which depends on the calibration.
/// [`Fitted::finish`] dates it with a calibration; `fit(..).finish(opts, cal)` is
/// [`forecast_with`]. The forecast cache keeps this, so that a new calibration of the
/// organization re-dates a metric without fitting its curves again.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The forecast so far; final when `dating` is None (done, too new, or nothing fitted).
    pub forecast: Forecast,
    pub dating: Option<Dating>,
}

/// What dating a fitted forecast needs besides the calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct Dating {
    pub features: timing::Features,
    /// The latent gap's quantiles (days after as-of, [p10, p50, p90]) at the simulation's
    /// grid nodes; empty unless the options asked for the fan.
    pub sim_fan: Vec<(i64, [f64; 3])>,
    /// The curve fits' own p90 (days after as-of): how far the fan reaches at least.
    pub curve_p90: Option<i32>,
    pub direction: Direction,
    /// The target in scaled units, and value units per scaled unit.
    pub target_scaled: f64,
    pub scale: f64,
    /// The reason in parts, to be joined by its dates ("50% chance of done by …").
    pub reason: Vec<String>,
}

/// Where the dates go in a fitted forecast's reason (never in a number's text).
const DATES_MARK: &str = "\u{0}";

impl Fitted {
    /// The forecast dated with calibration `cal`; `opts` must be the options it was fitted with.
    pub fn finish(self, opts: &Options, cal: &Calibration) -> Forecast {
        let Fitted { forecast: mut fc, dating } = self;
        let Some(d) = dating else { return fc };
        cal.apply(&d.features, opts, &mut fc);

        // Fan: weekly dates, linear interpolation between the coarser nodes beyond 26 weeks. It
        // reaches the latest date shown (the simulation runs to 103 weeks), so a chart never
        // shows a p50 or p80 beyond the end of its fan when it need not.
        let to_value = |g: f64| finite_or(d.direction.value_from_gap(g, d.target_scaled) * d.scale, 0.0);
        let shown = [fc.p90, fc.p80, fc.p50].into_iter().flatten().map(|x| (x - opts.as_of).num_days()).max();
        let weeks_out = match d.curve_p90.map(i64::from).into_iter().chain(shown).max() {
            Some(days) => (days + 6) / 7,
            None => 26,
        }
        .clamp(26, 103);
        let sim_fan = &d.sim_fan;
        if !sim_fan.is_empty() {
            for w in 0..=weeks_out {
                let day = w * 7;
                let Some(pos) = sim_fan.iter().position(|(x, _)| *x >= day) else {
                    break;
                };
                let (d1, q1) = sim_fan[pos];
                let q = if d1 == day || pos == 0 {
                    q1
                } else {
                    let (d0n, q0) = sim_fan[pos - 1];
                    let f = (day - d0n) as f64 / (d1 - d0n) as f64;
                    [0, 1, 2].map(|i| q0[i] + f * (q1[i] - q0[i]))
                };
                let Some(date) = add_days(opts.as_of, day) else {
                    break;
                };
                // Gap quantiles map to value quantiles in reverse for "up" metrics.
                let (lo, hi) = match d.direction {
                    Direction::Down => (q[0], q[2]),
                    Direction::Up => (q[2], q[0]),
                };
                fc.fan.push(FanPoint { date, p10: to_value(lo), p50: to_value(q[1]), p90: to_value(hi) });
            }
        }
        fc.features = Some(d.features);

        let horizon = opts.horizon_days.max(1);
        let p_done = 1.0 - fc.p_never;
        let years = horizon as f64 / 365.0;
        let dates_txt = match fc.p50 {
            Some(x) => format!("50% chance of done by {x}"),
            None => format!("P(done within {} years) = {:.0}%", num(years), 100.0 * p_done),
        };
        fc.reason = d.reason.join(&dates_txt);
        fc
    }
}

/// Fits one metric's readings: a [`Fitted`] forecast, to be dated with a calibration.
pub fn fit(spec: &MetricSpec, readings: &[Reading], opts: &Options) -> Fitted {
    let every_date = combine(spec, readings, opts.as_of);
    let s = every_date.read(spec);
    let n = s.dates.len();
    let target = spec.target;
    let value_slope = |gap_slope: f64| -> f64 {
        // A gap slope in scaled units per week back to value units per week.
        let v = gap_slope * s.scale;
        finite_or(
            match spec.direction {
                Direction::Down => v,
                Direction::Up => -v,
            },
            0.0,
        )
    };
    let ts_gap = if n >= 2 { trend::theil_sen(&s.weeks, &s.gaps) } else { None };
    let mut fc = Forecast {
        status: Status::InsufficientData,
        model: "none".into(),
        reason: String::new(),
        n_points: s.n_points,
        n_dates: n,
        last_date: s.dates.last().copied(),
        last_value: s.values.last().copied(),
        trend_per_week: ts_gap.map(value_slope),
        p10: None,
        p50: None,
        p80: None,
        p90: None,
        p_never: 1.0,
        samples: Samples::default(),
        curve: Vec::new(),
        fan: Vec::new(),
        features: None,
    };

    // Done: the latest combined value is within tolerance. Checked first, so that even a
    // single reading at target counts; on every date, so that "since" is the day it got there.
    let all = &every_date;
    if let Some(&g_last) = all.gaps.last() {
        if g_last <= all.tol {
            let mut i = all.dates.len() - 1;
            while i > 0 && all.gaps[i - 1] <= all.tol {
                i -= 1;
            }
            let since = all.dates[i];
            let d = (since - opts.as_of).num_days().clamp(i32::MIN as i64, 0) as i32;
            fc.status = Status::Done;
            fc.reason = format!(
                "Done: the latest value {} is within {} of the target {} (since {}).",
                num(s.values[n - 1]),
                num(spec.tolerance),
                num(target),
                since
            );
            fc.p10 = Some(since);
            fc.p50 = Some(since);
            fc.p80 = Some(since);
            fc.p90 = Some(since);
            fc.p_never = 0.0;
            fc.samples = Samples::repeat(Some(d), opts.n_sims.max(1));
            return Fitted { forecast: fc, dating: None };
        }
    }
    if n < MIN_DATES {
        let more = MIN_DATES - n;
        fc.reason = format!(
            "Insufficient data: {} distinct date{} so far; {} more reading{} on new dates needed \
             (at least {} dates).",
            n,
            if n == 1 { "" } else { "s" },
            more,
            if more == 1 { "" } else { "s" },
            MIN_DATES
        );
        return Fitted { forecast: fc, dating: None };
    }

    // 3. Trend test on the gap: negative S means the gap shrinks.
    let mk = trend::mann_kendall(&s.gaps);
    let ts = ts_gap.unwrap_or(0.0);
    // One-sided 5% in each direction: with 4 dates a perfectly monotone series reaches
    // Z = 1.70, so a two-sided test could never call a 4-point series converging.
    const Z_CRIT: f64 = 1.644_853_6;
    let toward = mk.z <= -Z_CRIT && ts < 0.0;
    let away = mk.z >= Z_CRIT && ts > 0.0;

    // 4–5. Curves and noise.
    let mut candidates = fit_candidates(&s);
    // A series that flattened far from its target is not assumed to get
    // there: its paths are drawn from the curves as they are.
    let flat = flattened(&s, ts);
    // How sure the fitted dynamics are that the target is reached at all (a floor below it,
    // a slope toward it), before any conditioning.
    let p_reach = simulate::p_reach_total(&candidates, s.tol);
    // Work judged to level off short of its target is not drawn as if it arrived: its fan
    // must not cross the target its verdict says it most likely never reaches.
    let conditioned = !away
        && ts < 0.0
        && flat.is_none()
        && !levels_off(p_reach, &s)
        && simulate::condition_on_reaching(&mut candidates, s.tol);
    let heaviest = candidates
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.weight.partial_cmp(&b.1.weight).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(i, _)| i);
    let Some(hi) = heaviest else {
        // Unreachable for finite data with >= 4 dates (the line always fits), but never panic.
        fc.status = Status::Stalled;
        fc.model = "none".into();
        fc.reason = "Stalled: no curve could be fitted to these readings.".into();
        return Fitted { forecast: fc, dating: None };
    };
    let best = &candidates[hi];
    fc.model = match best.curve.shape {
        Shape::Linear if best.process_share() > 0.5 => "random_walk".into(),
        sh => sh.name().into(),
    };
    // The chart's curve is the least-squares fit itself: the GLS correction
    // used for the simulation can move a nonlinear fit's rate parameter far
    // from the readings, which reads as nonsense on a chart.
    let central = best.curve;
    let last = s.dates[n - 1];
    fc.curve = s
        .dates
        .iter()
        .zip(&s.weeks)
        .map(|(d, w)| CurvePoint {
            date: *d,
            value: finite_or(spec.direction.value_from_gap(central.eval(*w), target / s.scale) * s.scale, 0.0),
        })
        .collect();

    // 6. Simulate.
    let horizon = opts.horizon_days.max(1);
    let d0 = (last - opts.as_of).num_days();
    let sim = simulate::simulate(&SimInput {
        candidates: &candidates,
        tol: s.tol,
        d0,
        horizon_days: horizon,
        n_sims: opts.n_sims.max(1),
        seed: opts.seed,
        fan_end: if opts.fan { horizon.min(103 * 7) } else { -1 },
        conditioned,
    });
    let mut done_days: Vec<i32> = sim.samples.iter().flatten().copied().collect();
    done_days.sort_unstable();
    let total = sim.samples.len();
    // The curve fits' own quantiles (days after as_of): what the shapes alone say. They
    // decide the verdict and feed the timing model; the dates shown come from the latter.
    let curve_q = |q: f64| -> Option<i32> {
        // The k-th fastest of all paths (never-arriving ones count as slowest).
        let k = ((q * total as f64).ceil() as usize).max(1);
        done_days.get(k - 1).copied()
    };
    let (curve_p10, curve_p50, curve_p90) = (curve_q(0.1), curve_q(0.5), curve_q(0.9));

    let tgt = target / s.scale;
    let to_value = |g: f64| finite_or(spec.direction.value_from_gap(g, tgt) * s.scale, 0.0);

    // 7. Verdict.
    fc.status = if away {
        Status::Diverging
    } else if !toward || curve_p50.is_none() || flat.is_some() || levels_off(p_reach, &s) {
        Status::Stalled
    } else {
        Status::Converging
    };

    // 8. Dates, from the timing model.
    let weeks = |d: Option<i32>| d.map(|d| (f64::from(d) / 7.0).max(1.0 / 7.0));
    let mut features = timing::Features {
        status: fc.status,
        elapsed_weeks: ((opts.as_of - s.first_date.unwrap_or(s.dates[0])).num_days() as f64 / 7.0).max(1.0 / 7.0),
        curve_p50_weeks: weeks(curve_p50),
        curve_p10_weeks: weeks(curve_p10),
        curve_p90_weeks: weeks(curve_p90),
        pace_weeks: pace_weeks(&s),
        recent_pace_weeks: recent_pace_weeks(&s),
        p_reach,
        count_like: count_like(spec, &s.values),
        remaining: ((s.gaps[n - 1] - s.tol) * s.scale).max(0.0),
        still_share: s.values.windows(2).filter(|w| w[0] == w[1]).count() as f64 / (n - 1) as f64,
        n_dates: weeks_read(&s.dates),
        left_share: {
            let max = s.gaps.iter().copied().fold(f64::MIN, f64::max) - s.tol;
            if max > 0.0 {
                ((s.gaps[n - 1] - s.tol) / max).clamp(0.0, 1.0)
            } else {
                1.0
            }
        },
        rise: {
            let max = s.gaps.iter().copied().fold(f64::MIN, f64::max) - s.tol;
            let first = s.gaps[0] - s.tol;
            if first > 0.0 && max > first {
                (max / first).ln()
            } else {
                0.0
            }
        },
        quiet: 0.0,
    };
    let elapsed_days = (opts.as_of - s.first_date.unwrap_or(s.dates[0])).num_days().max(1);
    features.quiet = match (1..n).rev().find(|&i| s.values[i] != s.values[i - 1]) {
        Some(i) => ((opts.as_of - s.dates[i]).num_days() as f64 / elapsed_days as f64).clamp(0.0, 1.0),
        None => 1.0,
    };

    let per_week = value_slope(ts);
    let mk_txt = format!("Mann–Kendall p = {}", num(mk.p_value));
    // The dates come from the calibration: filled in by `Fitted::finish`.
    let dates_txt = DATES_MARK;
    let reason = if away {
        format!(
            "Diverging: moving away from the target {} by {} per week ({}, {} dates); {dates_txt}.",
            num(target),
            num(per_week.abs()),
            mk_txt,
            n
        )
    } else if !toward {
        format!(
            "Stalled: no reliable movement toward the target {} ({} per week, {}, {} dates); {dates_txt}.",
            num(target),
            num(per_week),
            mk_txt,
            n
        )
    } else if curve_p50.is_none() {
        let floor = best.central().floor().filter(|f| *f > s.tol);
        match floor {
            Some(f) if best.curve.shape != Shape::Linear => format!(
                "Stalled: moving toward the target {} by {} per week, but the {} fit levels \
                 off at {}, short of it; {dates_txt}.",
                num(target),
                num(per_week.abs()),
                best.curve.shape.name(),
                num(to_value(f)),
            ),
            _ => format!(
                "Stalled: moving toward the target {} by {} per week, too slowly; {dates_txt}.",
                num(target),
                num(per_week.abs()),
            ),
        }
    } else if flat.is_none() && levels_off(p_reach, &s) {
        format!(
            "Stalled: moving toward the target {} by {} per week, but the fitted curves most \
             likely level off short of it (P(reaching it at all) = {:.0}%); {dates_txt}.",
            num(target),
            num(per_week.abs()),
            100.0 * p_reach
        )
    } else if let Some(flat) = flat {
        // The whole series trends toward the target, but its recent readings
        // barely do: a plateau short of the target, whatever the curves say.
        let pace = if flat.recent_slope < 0.0 {
            format!(
                "moved {} per week toward it ({} per week overall); at that pace the rest takes {:.0} weeks",
                num(value_slope(flat.recent_slope).abs()),
                num(per_week.abs()),
                flat.remaining / -flat.recent_slope
            )
        } else {
            format!("did not move toward it ({} per week overall before)", num(per_week.abs()))
        };
        format!(
            "Stalled: progress has flattened {} short of the target {}: the last {} readings {pace}; {dates_txt}.",
            num(flat.remaining * s.scale),
            num(target),
            flat.window
        )
    } else {
        format!(
            "Converging: closing on the target {} by {} per week ({}); {dates_txt} ({} model).",
            num(target),
            num(per_week.abs()),
            mk_txt,
            fc.model
        )
    };
    Fitted {
        forecast: fc,
        dating: Some(Dating {
            features,
            sim_fan: sim.fan,
            curve_p90,
            direction: spec.direction,
            target_scaled: tgt,
            scale: s.scale,
            reason: reason.split(DATES_MARK).map(str::to_string).collect(),
        }),
    }
}

/// Remaining gap over the average pace so far, in weeks: the start and the present level are
/// each the median of up to three readings, so that one odd reading does not make a pace.
fn pace_weeks(s: &Series) -> Option<f64> {
    let n = s.gaps.len();
    let k = n.min(3);
    let mut head: Vec<f64> = s.gaps[..k].to_vec();
    let mut tail: Vec<f64> = s.gaps[n - k..].to_vec();
    let g0 = trend::median_in_place(&mut head)?;
    let g1 = trend::median_in_place(&mut tail)?;
    let span = s.weeks[n - 1] - s.weeks[0];
    let progress = g0 - g1;
    let remaining = s.gaps[n - 1] - s.tol;
    (progress > 0.0 && span > 0.0 && remaining > 0.0).then(|| remaining / (progress / span))
}

/// Remaining gap over the recent pace (Theil–Sen over the last third of the dates, at least
/// three), in weeks; None when the recent readings did not move toward the target.
fn recent_pace_weeks(s: &Series) -> Option<f64> {
    let n = s.gaps.len();
    let k = (n / 3).max(3).min(n);
    let slope = trend::theil_sen(&s.weeks[n - k..], &s.gaps[n - k..])?;
    let remaining = s.gaps[n - 1] - s.tol;
    (slope < 0.0 && remaining > 0.0).then(|| remaining / -slope)
}

/// Whether a metric counts items: its target, tolerance and every combined value are whole
/// numbers of everyday size.
fn count_like(spec: &MetricSpec, values: &[f64]) -> bool {
    let whole = |x: f64| x.is_finite() && x.abs() < 1e7 && x.fract() == 0.0;
    whole(spec.target) && whole(spec.tolerance) && values.iter().all(|v| whole(*v))
}

/// Below this posterior probability that the fitted dynamics reach the target at all, work
/// that moves toward its target is `stalled`, not `converging`: most likely it levels off
/// short of it. (Its dates still come from the timing model.)
pub const P_CONVERGE: f64 = 0.1;

/// Whether work moving toward its target most likely levels off short of it: the fitted
/// dynamics give it little chance of reaching the target at all, or a modest chance while the
/// recent pace has fallen under half the average pace. Measured on the synthetic plateaus
/// (examples/forecast_eval): at mid-life every one has P(reach) under 0.1, while a steady
/// line or a random walk toward the target rarely does.
fn levels_off(p_reach: f64, s: &Series) -> bool {
    if p_reach < P_CONVERGE {
        return true;
    }
    let slowing = match (pace_weeks(s), recent_pace_weeks(s)) {
        (Some(avg), Some(recent)) => recent > 2.0 * avg,
        (Some(_), None) => true,
        _ => false,
    };
    p_reach < 2.5 * P_CONVERGE && slowing
}

/// A recent plateau: what the latest readings did.
struct Flattened {
    window: usize,
    /// Gap slope over the window (scaled units per week).
    recent_slope: f64,
    /// Gap left beyond the tolerance (scaled units).
    remaining: f64,
}

/// Whether a series that trends toward the target overall has stopped doing
/// so recently: over its last third (at least six dates, from ten dates on)
/// it moved toward the target at under a quarter of its overall pace, its
/// middle third was already slower than its first, and at the recent pace
/// the remaining gap would take longer than all the history seen so far. A curve fit can still extrapolate such a series to the target (a slow
/// tail, a line through the early drop); the reviewer needs to hear that the
/// work has stopped converging. A series slowing down because it is nearly
/// there is not flagged: its remaining gap is small.
fn flattened(s: &Series, overall_slope: f64) -> Option<Flattened> {
    let n = s.dates.len();
    if n < 10 || overall_slope >= 0.0 {
        return None;
    }
    let window = (n / 3).max(6);
    let (weeks, gaps) = (&s.weeks[n - window..], &s.gaps[n - window..]);
    let remaining = gaps[window - 1] - s.tol;
    if remaining <= 0.0 {
        return None;
    }
    let recent = trend::theil_sen(weeks, gaps)?;
    let span = s.weeks[n - 1] - s.weeks[0];
    let slowed = recent >= 0.25 * overall_slope; // both negative: a quarter of the pace or less
    let far = recent >= 0.0 || remaining / -recent > span;
    // A plateau is reached by slowing down: the middle of the series is
    // already slower than its start. A random walk's flat stretch is not
    // (its pace wanders), and calling it a plateau would be crying wolf.
    let third = n / 3;
    let first = trend::theil_sen(&s.weeks[..third], &s.gaps[..third])?;
    let middle = trend::theil_sen(&s.weeks[third..n - third], &s.gaps[third..n - third])?;
    let decelerating = first < 0.0 && middle > 0.7 * first;
    (slowed && far && decelerating).then_some(Flattened { window, recent_slope: recent, remaining })
}

/// Prior share of each family of dynamics (line, exponential approach, S-curve); within a
/// family the prior is spread evenly over its grid of rates (and midpoints) and noise splits.
///
/// The two decelerating families get four fifths: near a target, work more often slows down
/// than keeps its pace, and the line is only the slow-rate limit of the exponential approach.
/// On readings that cannot tell the shapes apart (most short series) the prior decides, and
/// the line then forecasts too early. Measured on the calibration histories (see
/// tests/it/forecast_calibration.rs): equal thirds give overall p50/p80 hit rates .39/.68
/// (below the 40%/70% bars), this split .41/.71 (.42/.71 once flattened series are no longer
/// conditioned on arriving), the random walk's going from .57/.89 to .63/.92.
const FAMILY_PRIOR: [f64; 3] = [0.2, 0.4, 0.4];

/// The bases a family is averaged over: its nonlinear parameters on a grid spanning what the
/// observed window can tell apart, plus the least-squares point (so that a clean curve is
/// recovered exactly).
fn bases(shape: Shape, span: f64, tmin: f64, ls: Option<&models::Curve>) -> Vec<models::Curve> {
    let mk = |lk: f64, t0: f64| models::Curve { shape, params: [0.0, 1.0, lk, t0] };
    let mut out = Vec::new();
    match shape {
        Shape::Linear => out.push(mk(0.0, 0.0)),
        Shape::Exponential => {
            // Same range as the least-squares fit: from a tenth of a time constant over the
            // window (a line) to ten time constants (a step at the first readings).
            let (lo, hi) = ((0.05 / span).ln(), (3.0 / span).ln());
            let m = 8;
            out.extend((0..m).map(|i| mk(lo + (hi - lo) * i as f64 / (m - 1) as f64, 0.0)));
        }
        Shape::Logistic => {
            let (klo, khi) = ((1.0 / span).ln(), (8.0 / span).ln());
            let (tlo, thi) = (tmin - 0.5 * span, 0.75 * span);
            let (nk, nt) = (4, 6);
            for i in 0..nk {
                for j in 0..nt {
                    let lk = klo + (khi - klo) * i as f64 / (nk - 1) as f64;
                    out.push(mk(lk, tlo + (thi - tlo) * j as f64 / (nt - 1) as f64));
                }
            }
        }
    }
    if let Some(c) = ls.filter(|c| c.shape != Shape::Linear) {
        out.push(mk(c.params[2], c.params[3]));
    }
    out
}

/// Fits every family of dynamics the data can support and weighs every (basis, noise split)
/// model by its prior times its prequential predictive score (see [`noise`]).
fn fit_candidates(s: &Series) -> Vec<Candidate> {
    let n = s.gaps.len();
    let g_last = s.gaps[n - 1];
    let spread = s.gaps.iter().fold((g_last - s.tol).abs(), |m, g| m.max((g - g_last).abs()));
    // A floor on σ² far below anything measurable: a noiseless series gives a sharp answer
    // rather than a zero variance.
    let floor2 = (1e-9 * spread).powi(2).max(1e-300);
    let span_weeks = (-s.weeks[0]).max(1.0 / 7.0);
    let tmin = s.weeks[0];
    let shared: Vec<noise::Shared> = noise::Q_GRID.iter().map(|&q| noise::Shared::new(&s.weeks, &s.gaps, q)).collect();
    let mut fams: Vec<(Candidate, Vec<f64>, bool)> = Vec::new();
    let mut scratch = noise::Scratch::default();
    let mut bcol = Vec::with_capacity(n);
    for (fi, shape) in Shape::ALL.into_iter().enumerate() {
        // An S-curve needs a fifth reading to show a bend after the burn-in.
        if shape == Shape::Logistic && n < 5 {
            continue;
        }
        let ls = models::fit(shape, &s.weeks, &s.gaps).map(|f| f.curve);
        let bs = bases(shape, span_weeks, tmin, ls.as_ref());
        let prior = FAMILY_PRIOR[fi] / (bs.len() * noise::Q_GRID.len()) as f64;
        let mut comps = Vec::new();
        let mut logw = Vec::new();
        for b in &bs {
            bcol.clear();
            bcol.extend(s.weeks.iter().map(|t| b.eval(*t)));
            if bcol.iter().any(|v| !v.is_finite()) {
                continue;
            }
            for sh in &shared {
                if let Some(c) = noise::fit_component(sh, *b, &bcol, floor2, &mut scratch) {
                    logw.push(prior.ln() + c.score);
                    comps.push((c, 0.0));
                }
            }
        }
        if comps.is_empty() {
            continue;
        }
        // Without a least-squares fit the chart gets the heaviest model's curve (set below).
        let has_ls = ls.is_some();
        let curve = ls.unwrap_or_else(|| comps[0].0.mean_curve());
        fams.push((Candidate { curve, models: comps, weight: 0.0, span_weeks }, logw, has_ls));
    }
    let max = fams.iter().flat_map(|f| f.1.iter()).copied().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for (c, logw, _) in fams.iter_mut() {
        for (m, lw) in c.models.iter_mut().zip(logw.iter()) {
            m.1 = (lw - max).exp();
            total += m.1;
        }
    }
    if !(total > 0.0 && total.is_finite()) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(fams.len());
    for (mut c, _, has_ls) in fams {
        c.models.iter_mut().for_each(|m| m.1 /= total);
        // Models too light to be drawn even once in a million paths only cost time.
        c.models.retain(|m| m.1 > 1e-7);
        c.weight = c.models.iter().map(|m| m.1).sum();
        if !has_ls {
            if let Some(b) = c.best() {
                c.curve = b.mean_curve();
            }
        }
        if !c.models.is_empty() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        // FNV-1a 64 test vectors.
        assert_eq!(seed_for(""), 0xcbf29ce484222325);
        assert_eq!(seed_for("a"), 0xaf63dc4c8601ec8c);
    }

    fn day(k: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date") + Duration::days(k)
    }

    fn readings(points: &[(i64, f64)]) -> Vec<Reading> {
        points.iter().map(|&(k, value)| Reading { date: day(k), value }).collect()
    }

    const DOWN: MetricSpec = MetricSpec { target: 0.0, direction: Direction::Down, tolerance: 0.0 };

    /// A repeat less than a week after the last reading kept is dropped, a new value never, a
    /// repeat a week or more later stays, and so does the latest reading.
    #[test]
    fn a_forecast_reads_new_values_and_weekly_repeats() {
        let rs = readings(&[(0, 9.0), (1, 9.0), (3, 8.0), (4, 8.5), (6, 8.5), (11, 8.5), (12, 8.5), (13, 8.5)]);
        let s = combine(&DOWN, &rs, day(13)).read(&DOWN);
        let kept: Vec<i64> = s.dates.iter().map(|d| (*d - day(0)).num_days()).collect();
        assert_eq!(kept, vec![0, 3, 4, 11, 13]);
        assert_eq!(s.n_points, 8);
        // Four readings on four days still make a forecast, repeats or not.
        let same = readings(&[(0, 5.0), (1, 5.0), (2, 5.0), (3, 5.0)]);
        assert_eq!(combine(&DOWN, &same, day(3)).read(&DOWN).dates.len(), 4);
    }

    /// The same work logged weekly, and copied forward to every day in between: the same
    /// forecast, and one that says it read as many dates.
    #[test]
    fn a_value_copied_forward_every_day_forecasts_as_the_weekly_readings() {
        let noisy = [40.0, 41.5, 39.0, 40.2, 38.9, 40.8, 39.7, 40.1, 38.5, 40.9, 39.2, 40.0];
        let count = [30.0, 30.0, 28.0, 28.0, 28.0, 25.0, 24.0, 24.0, 24.0, 24.0, 20.0, 19.0];
        for values in [noisy, count] {
            let weekly: Vec<Reading> =
                values.iter().enumerate().map(|(w, &value)| Reading { date: day(7 * w as i64), value }).collect();
            let h = evaluate::History {
                id: "t".into(),
                family: "t".into(),
                spec: DOWN,
                readings: weekly.clone(),
                outcome: evaluate::Outcome::Never,
                data_end: day(77),
            };
            let daily = h.read_daily().readings;
            assert_eq!(daily.len(), 78);
            let opts = Options::new(day(77), 11);
            let (a, b) = (forecast(&DOWN, &weekly, &opts), forecast(&DOWN, &daily, &opts));
            assert_eq!(
                (a.status, a.p10, a.p50, a.p80, a.p90, a.n_dates),
                (b.status, b.p10, b.p50, b.p80, b.p90, b.n_dates),
                "{values:?}"
            );
            assert_eq!(b.n_points, 78);
        }
    }

    /// The timing model counts the weeks read: two reviews a week are not twice the history.
    #[test]
    fn the_timing_model_counts_weeks_not_dates() {
        let weekly: Vec<(i64, f64)> = (0..10).map(|w| (7 * w, 50.0 - 3.0 * w as f64)).collect();
        let twice: Vec<(i64, f64)> = (0..19).map(|k| (7 * k / 2, 50.0 - 1.5 * k as f64)).collect();
        let opts = Options::new(day(63), 3);
        let a = forecast(&DOWN, &readings(&weekly), &opts).features.expect("dated");
        let b = forecast(&DOWN, &readings(&twice), &opts).features.expect("dated");
        assert_eq!((a.n_dates, b.n_dates), (10, 10));
        assert_eq!(weeks_read(&[day(0), day(3), day(6), day(7)]), 2);
    }

    /// Done since the first day at target, even when later repeats of it are not read.
    #[test]
    fn done_since_the_day_it_got_there() {
        let rs = readings(&[(0, 4.0), (7, 3.0), (14, 1.0), (16, 0.0), (17, 0.0), (18, 0.0)]);
        let f = forecast(&DOWN, &rs, &Options::new(day(18), 1));
        assert_eq!(f.status, Status::Done);
        assert_eq!(f.p50, Some(day(16)));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(1234.5678), "1235");
        assert_eq!(num(0.012345), "0.0123");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(-3.0), "-3");
    }
}
