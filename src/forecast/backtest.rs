//! Backtest: replay a metric's own history week by week and score the forecasts it would have
//! produced against what actually happened next.
//!
//! The truth is often censored — the metric may not be done even by the last reading — so a
//! case only counts toward a quantile's hit rate when the outcome is known relative to that
//! quantile. Counting censored cases as misses (or hits) would bias the rates.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::{forecast, MetricSpec, Options, Reading, Status, DEFAULT_N_SIMS, MIN_DATES};

/// What really happened after a backtest's as-of date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// First date after as-of whose combined value was within tolerance.
    DoneOn(NaiveDate),
    /// Censored: still not done on the last data date.
    NotByEnd(NaiveDate),
}

/// One replayed forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestCase {
    pub as_of: NaiveDate,
    pub p10: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    pub p90: Option<NaiveDate>,
    pub truth: Truth,
}

/// Scores over all cases. Hit = truth on or before pN; a null pN is "later than the horizon",
/// which every outcome is on or before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestSummary {
    pub forecasts: usize,
    pub evaluable_p50: usize,
    pub hit_p50: usize,
    pub evaluable_p80: usize,
    pub hit_p80: usize,
    pub evaluable_p10_p90: usize,
    pub inside_p10_p90: usize,
    /// Median |p50 − done date| in weeks, over cases with a known done date and a p50.
    pub median_p50_error_weeks: Option<f64>,
}

/// Outcome of "truth <= q" where `q = None` means beyond the horizon: Some(hit) when known.
fn hit(truth: Truth, q: Option<NaiveDate>) -> Option<bool> {
    match (truth, q) {
        (_, None) => Some(true),
        (Truth::DoneOn(d), Some(q)) => Some(d <= q),
        // Not done by `end`: if `end` is already on or after q, it was certainly a miss.
        (Truth::NotByEnd(end), Some(q)) => (end >= q).then_some(false),
    }
}

/// Whether truth falls in (p10, p90]: Some(inside) when known.
fn inside(truth: Truth, lo: Option<NaiveDate>, hi: Option<NaiveDate>) -> Option<bool> {
    match truth {
        Truth::DoneOn(d) => Some(lo.is_some_and(|l| d > l) && hi.is_none_or(|h| d <= h)),
        Truth::NotByEnd(end) => match (lo, hi) {
            (_, Some(h)) if end >= h => Some(false),
            (Some(l), None) if end >= l => Some(true),
            _ => None,
        },
    }
}

/// Replays `readings` as of every week, starting when 4 distinct dates are known, up to the
/// last data date. Already-done and insufficient-data weeks are skipped (nothing to forecast).
pub fn backtest(
    spec: &MetricSpec,
    readings: &[Reading],
    horizon_days: i64,
    seed: u64,
) -> (Vec<BacktestCase>, BacktestSummary) {
    let mut dates: Vec<NaiveDate> = readings.iter().filter(|r| r.value.is_finite()).map(|r| r.date).collect();
    dates.sort_unstable();
    dates.dedup();
    let mut cases = Vec::new();
    if dates.len() > MIN_DATES {
        let end = dates[dates.len() - 1];
        // Done dates of the combined series, judged the way forecast() judges "done".
        let series = super::combine(spec, readings, end);
        let done_on: Vec<(NaiveDate, bool)> =
            series.dates.iter().zip(&series.gaps).map(|(d, g)| (*d, *g <= series.tol)).collect();
        let mut as_of = dates[MIN_DATES - 1];
        while as_of < end {
            let f =
                forecast(spec, readings, &Options { as_of, horizon_days, n_sims: DEFAULT_N_SIMS, seed, fan: false });
            if f.status != Status::Done && f.status != Status::InsufficientData {
                let truth = done_on
                    .iter()
                    .find(|(d, done)| *d > as_of && *done)
                    .map_or(Truth::NotByEnd(end), |(d, _)| Truth::DoneOn(*d));
                cases.push(BacktestCase { as_of, p10: f.p10, p50: f.p50, p80: f.p80, p90: f.p90, truth });
            }
            as_of += Duration::days(7);
        }
    }
    let mut s = BacktestSummary {
        forecasts: cases.len(),
        evaluable_p50: 0,
        hit_p50: 0,
        evaluable_p80: 0,
        hit_p80: 0,
        evaluable_p10_p90: 0,
        inside_p10_p90: 0,
        median_p50_error_weeks: None,
    };
    let mut errors = Vec::new();
    for c in &cases {
        if let Some(h) = hit(c.truth, c.p50) {
            s.evaluable_p50 += 1;
            s.hit_p50 += usize::from(h);
        }
        if let Some(h) = hit(c.truth, c.p80) {
            s.evaluable_p80 += 1;
            s.hit_p80 += usize::from(h);
        }
        if let Some(h) = inside(c.truth, c.p10, c.p90) {
            s.evaluable_p10_p90 += 1;
            s.inside_p10_p90 += usize::from(h);
        }
        if let (Truth::DoneOn(d), Some(p)) = (c.truth, c.p50) {
            errors.push((p - d).num_days().abs() as f64 / 7.0);
        }
    }
    s.median_p50_error_weeks = super::trend::median_in_place(&mut errors);
    (cases, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn censoring_rules() {
        let q = Some(d("2024-03-01"));
        assert_eq!(hit(Truth::DoneOn(d("2024-02-01")), q), Some(true));
        assert_eq!(hit(Truth::DoneOn(d("2024-04-01")), q), Some(false));
        assert_eq!(hit(Truth::NotByEnd(d("2024-02-01")), q), None);
        assert_eq!(hit(Truth::NotByEnd(d("2024-04-01")), q), Some(false));
        assert_eq!(hit(Truth::NotByEnd(d("2024-04-01")), None), Some(true));
        assert_eq!(inside(Truth::NotByEnd(d("2024-02-01")), Some(d("2024-01-01")), None), Some(true));
        assert_eq!(inside(Truth::NotByEnd(d("2023-12-01")), Some(d("2024-01-01")), q), None);
    }
}
