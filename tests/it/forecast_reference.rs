//! Reference values, clear-cut verdicts and robustness of `limfac::core::forecast`.
//!
//! Hard-coded numbers come from `python3 scripts/forecast_reference.py` (an independent,
//! stdlib-only implementation); re-run it if a case here changes.

use chrono::{Duration, NaiveDate};
use limfac::core::forecast::models::{fit, Shape};
use limfac::core::forecast::replay::{self, MetricHistory};
use limfac::core::forecast::trend::{mann_kendall, theil_sen};
use limfac::core::forecast::{forecast, forecast_many, seed_for, MetricSpec, Options, Reading, Status};
use limfac::core::model::Direction;
use proptest::prelude::*;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn weekly(values: &[f64]) -> Vec<Reading> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Reading { date: start() + Duration::days(7 * i as i64), value: *v })
        .collect()
}

fn down(target: f64, tolerance: f64) -> MetricSpec {
    MetricSpec { target, direction: Direction::Down, tolerance }
}

fn run(spec: &MetricSpec, r: &[Reading]) -> limfac::core::forecast::Forecast {
    let as_of = r.iter().map(|x| x.date).max().unwrap();
    forecast(spec, r, &Options::new(as_of, seed_for("ref/case")))
}

/// Deterministic pseudo-noise in [-1, 1] (so verdict tests do not depend on an RNG crate).
fn wiggle(i: usize) -> f64 {
    ((i as f64 * 12.9898).sin() * 43_758.545).fract() * 2.0 - 1.0
}

// ---------------------------------------------------------------- reference values

// From scripts/forecast_reference.py:
//   mann_kendall S = -37, var_s = 123.0, z = -3.246010684802756, p = 0.0011703444685277242
//   theil_sen slope = -0.21111111111111114
const MK_T: [f64; 10] = [0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 9.0, 10.0, 12.0];
const MK_Y: [f64; 10] = [10.0, 9.5, 9.8, 9.5, 8.7, 9.0, 8.1, 8.1, 7.4, 7.9];

#[test]
fn mann_kendall_matches_python_reference() {
    let mk = mann_kendall(&MK_Y);
    assert_eq!(mk.s, -37);
    assert!((mk.var_s - 123.0).abs() < 1e-12);
    assert!((mk.z - -3.246010684802756).abs() < 1e-12);
    // The Rust erfc is a 1.2e-7 Chebyshev fit; Python uses the libm erfc.
    assert!((mk.p_value - 0.0011703444685277242).abs() < 1e-6);
}

#[test]
fn theil_sen_matches_python_reference() {
    let s = theil_sen(&MK_T, &MK_Y).unwrap();
    assert!((s - -0.21111111111111114).abs() < 1e-12);
}

/// Weeks 0..=11 relative to the last observation (t = 0 at week 11), as the fits use.
fn rel_weeks() -> Vec<f64> {
    (0..12).map(|i| i as f64 - 11.0).collect()
}

fn sample(f: impl Fn(f64) -> f64) -> Vec<f64> {
    (0..12).map(|i| f(i as f64)).collect()
}

#[test]
fn noiseless_linear_gives_back_parameters_and_crossing_date() {
    // python: linear: crossing at t = 33.333333333333336 weeks, first done day 2024-08-22
    let y = sample(|t| 100.0 - 3.0 * t);
    let c = fit(Shape::Linear, &rel_weeks(), &y).unwrap().curve;
    assert!((c.params[0] - (100.0 - 33.0)).abs() < 1e-9); // value at the last week
    assert!((c.params[1] - -3.0).abs() < 1e-9);
    let f = run(&down(0.0, 0.0), &weekly(&y));
    assert_eq!(f.status, Status::Converging);
    assert_eq!(f.model, "linear");
    curve_crosses_on(&f, date("2024-08-22"));
    assert!((f.trend_per_week.unwrap() - -3.0).abs() < 1e-9);
}

#[test]
fn noiseless_exponential_gives_back_parameters_and_crossing_date() {
    // python: exponential: crossing at t = 23.978952727983707 weeks, first done day 2024-06-17
    let y = sample(|t| -10.0 + 110.0 * (-0.1 * t).exp());
    let c = fit(Shape::Exponential, &rel_weeks(), &y).unwrap().curve;
    assert!((c.params[0] - -10.0).abs() < 1e-4, "{:?}", c.params);
    assert!((c.params[1] - 110.0 * (-1.1f64).exp()).abs() < 1e-4);
    assert!((c.params[2].exp() - 0.1).abs() < 1e-6);
    let f = run(&down(0.0, 0.0), &weekly(&y));
    assert_eq!(f.status, Status::Converging);
    assert_eq!(f.model, "exponential");
    curve_crosses_on(&f, date("2024-06-17"));
}

#[test]
fn noiseless_logistic_gives_back_parameters_and_crossing_date() {
    // python: logistic: crossing at t = 19.81479659722147 weeks, first done day 2024-05-19
    let y = sample(|t| -5.0 + 100.0 / (1.0 + (0.3 * (t - 10.0)).exp()));
    let c = fit(Shape::Logistic, &rel_weeks(), &y).unwrap().curve;
    assert!((c.params[0] - -5.0).abs() < 1e-2, "{:?}", c.params);
    assert!((c.params[1] - 100.0).abs() < 1e-2);
    assert!((c.params[2].exp() - 0.3).abs() < 1e-4);
    assert!((c.params[3] - -1.0).abs() < 1e-3);
    let f = run(&down(0.0, 0.0), &weekly(&y));
    assert_eq!(f.status, Status::Converging);
    assert_eq!(f.model, "logistic");
    let want = date("2024-05-19");
    let f50 = f.features.unwrap().curve_p50_weeks.unwrap();
    let p50 = f.last_date.unwrap() + Duration::days((f50 * 7.0).round() as i64);
    assert!((p50 - want).num_days().abs() <= 1, "{p50} vs {want}");
    dates_are_ordered(&f);
}

/// The curve fits' own completion dates (what the readings' shape alone says) are the exact
/// crossing date of a noiseless curve; the dates shown, from the timing model, are ordered and
/// put the crossing inside p10–p90.
fn curve_crosses_on(f: &limfac::core::forecast::Forecast, want: NaiveDate) {
    let feats = f.features.unwrap();
    let last = f.last_date.unwrap();
    for w in [feats.curve_p10_weeks, feats.curve_p50_weeks, feats.curve_p90_weeks] {
        let d = last + Duration::days((w.unwrap() * 7.0).round() as i64);
        assert!((d - want).num_days().abs() <= 1, "{d} vs {want}");
    }
    dates_are_ordered(f);
    assert!(f.p10.unwrap() < want && want <= f.p90.unwrap(), "{want} outside {:?}–{:?}", f.p10, f.p90);
}

fn dates_are_ordered(f: &limfac::core::forecast::Forecast) {
    let (a, b, c, d) = (f.p10.unwrap(), f.p50.unwrap(), f.p80.unwrap(), f.p90.unwrap());
    assert!(a <= b && b <= c && c <= d, "{a} {b} {c} {d}");
}

// ---------------------------------------------------------------- verdicts

#[test]
fn strongly_converging() {
    let y: Vec<f64> = (0..10).map(|i| 100.0 - 5.0 * i as f64 + wiggle(i)).collect();
    let f = run(&down(0.0, 0.0), &weekly(&y));
    assert_eq!(f.status, Status::Converging, "{}", f.reason);
    assert!(f.p50.is_some() && f.p_never < 0.05);
    assert!(f.reason.contains("per week"));
    assert!((f.trend_per_week.unwrap() - -5.0).abs() < 0.5);
}

#[test]
fn flat_noise_is_stalled() {
    let y: Vec<f64> = (0..12).map(|i| 50.0 + 3.0 * wiggle(i)).collect();
    let f = run(&down(0.0, 0.0), &weekly(&y));
    assert_eq!(f.status, Status::Stalled, "{}", f.reason);
    assert!(f.reason.contains("no reliable movement"), "{}", f.reason);
}

#[test]
fn moving_away_is_diverging() {
    let y: Vec<f64> = (0..10).map(|i| 50.0 + 2.0 * i as f64 + wiggle(i)).collect();
    let f = run(&down(0.0, 0.0), &weekly(&y));
    assert_eq!(f.status, Status::Diverging, "{}", f.reason);
    // An "up" metric falling away from its target is diverging too.
    let up = MetricSpec { target: 100.0, direction: Direction::Up, tolerance: 0.0 };
    let y: Vec<f64> = (0..10).map(|i| 50.0 - 2.0 * i as f64 + wiggle(i)).collect();
    let f = run(&up, &weekly(&y));
    assert_eq!(f.status, Status::Diverging, "{}", f.reason);
    assert!(f.trend_per_week.unwrap() < 0.0);
}

#[test]
fn plateau_short_of_target_is_stalled() {
    let y: Vec<f64> = (0..16).map(|i| 40.0 + 60.0 * (-0.35 * i as f64).exp() + 0.5 * wiggle(i)).collect();
    let f = run(&down(0.0, 0.0), &weekly(&y));
    assert_eq!(f.status, Status::Stalled, "{}", f.reason);
    assert!(f.reason.contains("levels off"), "{}", f.reason);
    assert!(f.p50.is_none());
}

#[test]
fn done_when_latest_value_within_tolerance() {
    let y = [10.0, 8.0, 5.0, 2.5, 1.9, 1.5];
    let f = run(&down(1.0, 1.0), &weekly(&y));
    assert_eq!(f.status, Status::Done);
    // Done since the first of the trailing run within tolerance (1.9 at week 4).
    let since = start() + Duration::days(28);
    assert_eq!(f.p50, Some(since));
    assert!(f.samples.iter().all(|s| s == Some(-7)));
    assert_eq!(f.p_never, 0.0);
}

#[test]
fn three_dates_is_insufficient() {
    let f = run(&down(0.0, 0.0), &weekly(&[10.0, 9.0, 8.0]));
    assert_eq!(f.status, Status::InsufficientData);
    assert!(f.reason.contains("1 more"), "{}", f.reason);
    assert!(f.samples.is_empty() && f.p50.is_none());
    assert_eq!(f.p_done_by(start(), start()), None);
}

#[test]
fn readings_are_combined_per_date_and_future_ones_ignored() {
    let mut r = weekly(&[100.0, 90.0, 80.0, 70.0, 60.0]);
    // Two more engineers on the last date: the median (60) stands.
    r.push(Reading { date: r[4].date, value: 58.0 });
    r.push(Reading { date: r[4].date, value: 1000.0 });
    // A reading after as-of is ignored.
    r.push(Reading { date: r[4].date + Duration::days(7), value: 0.0 });
    r.reverse(); // order must not matter
    let as_of = start() + Duration::days(28);
    let f = forecast(&down(0.0, 0.0), &r, &Options::new(as_of, 1));
    assert_eq!(f.n_points, 7);
    assert_eq!(f.n_dates, 5);
    assert_eq!(f.last_value, Some(60.0));
    assert_eq!(f.status, Status::Converging, "{}", f.reason);
}

#[test]
fn p_done_by_reads_the_samples() {
    let y: Vec<f64> = (0..10).map(|i| 100.0 - 5.0 * i as f64 + wiggle(i)).collect();
    let f = run(&down(0.0, 0.0), &weekly(&y));
    let as_of = f.last_date.unwrap();
    let p50 = f.p50.unwrap();
    let p = f.p_done_by(as_of, p50).unwrap();
    assert!((0.5..0.6).contains(&p), "{p}");
    assert_eq!(f.p_done_by(as_of, as_of - Duration::days(1)), Some(0.0));
    assert!(f.fan.len() >= 27 && f.fan[0].date == as_of);
    assert!(f.fan.iter().all(|x| x.p10 <= x.p50 && x.p50 <= x.p90));
    assert_eq!(f.curve.len(), 10);
}

#[test]
fn same_seed_same_forecast() {
    let y: Vec<f64> = (0..10).map(|i| 100.0 - 2.0 * i as f64 + 5.0 * wiggle(i)).collect();
    assert_eq!(run(&down(0.0, 0.0), &weekly(&y)), run(&down(0.0, 0.0), &weekly(&y)));
    assert_eq!(seed_for("alpha/latency"), seed_for("alpha/latency"));
    assert_ne!(seed_for("alpha/latency"), seed_for("alpha/cost"));
}

#[test]
fn status_serialises_snake_case() {
    assert_eq!(serde_json::to_string(&Status::InsufficientData).unwrap(), "\"insufficient_data\"");
    assert_eq!(Status::Converging.as_str(), "converging");
}

#[test]
fn forecast_many_equals_sequential() {
    let mut jobs = Vec::new();
    for k in 0..24usize {
        let y: Vec<f64> =
            (0..(4 + k % 20)).map(|i| 100.0 - (k % 5) as f64 * i as f64 + 4.0 * wiggle(i + 31 * k)).collect();
        let r = weekly(&y);
        let as_of = r.last().unwrap().date;
        jobs.push((down(0.0, 0.0), r, Options { n_sims: 300, ..Options::new(as_of, seed_for(&format!("p/m{k}"))) }));
    }
    let par = forecast_many(&jobs);
    let seq: Vec<_> = jobs.iter().map(|(s, r, o)| forecast(s, r, o)).collect();
    assert_eq!(par, seq);
}

#[test]
fn a_replay_scores_what_happened_after_each_origin() {
    // 60 → 0 by 5 a week: done on week 12. Replayed weekly from the fourth reading on.
    let y: Vec<f64> = (0..14).map(|i| (60.0 - 5.0 * i as f64 + wiggle(i)).max(0.0)).collect();
    let m = MetricHistory { key: "p/m".into(), spec: down(0.0, 0.0), readings: weekly(&y) };
    let as_of = start() + Duration::days(7 * 13);
    let origins = replay::weekly_origins(&m, as_of);
    assert_eq!(origins[0], start() + Duration::days(21));
    let cases: Vec<_> = origins.iter().filter_map(|o| replay::replay_one(&m, *o, as_of, 3 * 365)).collect();
    assert!(!cases.is_empty());
    let done_on = y.iter().position(|v| *v <= 0.0).unwrap() as i64;
    for c in &cases {
        assert!(c.done, "{c:?}");
        let want = (start() + Duration::days(7 * done_on) - c.origin).num_days() as f64 / 7.0;
        assert!((c.weeks - want).abs() < 1e-9, "{} vs {want}", c.weeks);
    }
    let refs: Vec<_> = cases.iter().collect();
    let f = replay::figures(&refs, limfac::core::forecast::Calibration::shipped());
    assert_eq!(f.forecasts, cases.len());
    assert_eq!(f.finished, cases.len());
    let below = f.below.map(Option::unwrap);
    assert!(below.windows(2).all(|w| w[0] <= w[1]), "{below:?}");
}

// ---------------------------------------------------------------- robustness

fn check_valid(f: &limfac::core::forecast::Forecast) {
    let q: Vec<NaiveDate> = [f.p10, f.p50, f.p80, f.p90].into_iter().flatten().collect();
    assert!(q.windows(2).all(|w| w[0] <= w[1]), "unordered {q:?}");
    // Present quantiles are a prefix-free suffix pattern: once one is null, all later ones are.
    let present = [f.p10, f.p50, f.p80, f.p90].map(|x| x.is_some());
    assert!(present.windows(2).all(|w| w[0] || !w[1]), "{present:?}");
    assert!(f.p_never.is_finite() && (0.0..=1.0).contains(&f.p_never));
    assert!(f.last_value.is_none_or(f64::is_finite));
    assert!(f.trend_per_week.is_none_or(f64::is_finite));
    assert!(f.curve.iter().all(|c| c.value.is_finite()));
    assert!(f.fan.iter().all(|x| x.p10.is_finite() && x.p50.is_finite() && x.p90.is_finite()));
    assert!(!f.reason.is_empty() && !f.reason.contains("NaN"));
    match f.status {
        Status::InsufficientData => assert!(f.samples.is_empty()),
        Status::Done => assert!(f.samples.iter().all(|s| matches!(s, Some(d) if d <= 0))),
        _ => assert!(!f.samples.is_empty()),
    }
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e6..1e6f64,
        -1.0..1.0f64,
        Just(0.0),
        Just(42.0),
        Just(1e300),
        Just(-1e300),
        Just(1e-300),
        -1e15..1e15f64,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_finite_series_gives_a_valid_forecast(
        values in prop::collection::vec(value(), 1..40),
        constant in any::<bool>(),
        gaps in prop::collection::vec(0i64..10, 40),
        target in value(),
        tolerance in prop_oneof![Just(0.0), 0.0..100.0f64, Just(1e300)],
        up in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut d = start();
        let readings: Vec<Reading> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                d += Duration::days(gaps[i]); // 0 = several readings on one date
                Reading { date: d, value: if constant { values[0] } else { *v } }
            })
            .collect();
        let spec = MetricSpec {
            target,
            direction: if up { Direction::Up } else { Direction::Down },
            tolerance,
        };
        let opts = Options { n_sims: 200, ..Options::new(d, seed) };
        let f = forecast(&spec, &readings, &opts);
        check_valid(&f);
        if let Some(p) = f.p_done_by(d, d + Duration::days(100)) {
            prop_assert!((0.0..=1.0).contains(&p));
        }
    }
}

#[test]
fn progress_that_flattened_far_from_target_is_stalled() {
    // A fast early drop, then twelve weeks of creeping: the whole series still
    // trends down significantly, but the recent pace would need years.
    let y: Vec<f64> = (0..24)
        .map(|i| if i < 12 { 100.0 - 6.0 * i as f64 } else { 34.0 - 0.3 * (i - 12) as f64 } + 0.2 * wiggle(i))
        .collect();
    let f = run(&down(0.0, 1.0), &weekly(&y));
    assert_eq!(f.status, Status::Stalled, "{}", f.reason);
    assert!(f.reason.contains("flattened") || f.reason.contains("levels off"), "{}", f.reason);
}

#[test]
fn slowing_down_near_the_target_is_still_converging() {
    // An exponential approach that is almost there slows down too, but the
    // little that is left takes only a few weeks at the recent pace.
    let y: Vec<f64> = (0..20).map(|i| 1.0 + 100.0 * (-0.25 * i as f64).exp() + 0.05 * wiggle(i)).collect();
    let f = run(&down(0.0, 1.5), &weekly(&y));
    assert_eq!(f.status, Status::Converging, "{}", f.reason);
}

#[test]
fn the_fan_changes_no_date_or_probability() {
    // Charts ask for the fan, reports do not: both must tell the same story.
    let y: Vec<f64> = (0..14).map(|i| 80.0 - 3.0 * i as f64 + 2.0 * wiggle(i)).collect();
    let r = weekly(&y);
    let as_of = r.last().unwrap().date;
    let with = Options::new(as_of, 42);
    let without = Options { fan: false, ..with };
    let a = forecast(&down(0.0, 1.0), &r, &with);
    let b = forecast(&down(0.0, 1.0), &r, &without);
    assert!(!a.fan.is_empty() && b.fan.is_empty());
    assert_eq!((a.p10, a.p50, a.p80, a.p90), (b.p10, b.p50, b.p80, b.p90));
    assert_eq!(a.samples, b.samples);
    assert_eq!(a.status, b.status);
}
