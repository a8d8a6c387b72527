//! Reference histories drawn from known processes, for measuring the forecast's calibration.
//!
//! Every history is a whole life: weekly readings from the day the work started being tracked
//! until it was done (and a few weeks past), or, for work that never finishes, for as long as
//! it was watched. The truth is known exactly, so a forecast made at any cut can be scored.
//! The tests, `limfac calibration`'s documentation and the script that learns the shipped
//! correction (`examples/fit_forecast_defaults.rs`) all draw from here, with fixed seeds.
//!
//! Families that finish (gap to the target, down to 0; `t` in weeks):
//! - `random_walk`: drift toward the target plus random week-to-week variation, read with noise.
//! - `exponential`: `c + A·e^(−kt)` with a floor `c` below the target, additive noise.
//! - `exp_multiplicative`: `A·e^(−kt)` read with multiplicative (log-normal) noise, done at a
//!   small target level — defect densities, error rates.
//! - `s_curve`: a logistic drop, additive noise.
//! - `slow_tail`: a hyperbolic decay `A/(1+t/τ)^p`: fast at first, the last part slow.
//! - `regime_change`: a random walk whose pace changes once (slower or faster) mid-life.
//! - `small_count`: a few open items; scope is added, items close one by one and in a burst
//!   near the end (a milestone burn-down).
//! - `punctuated`: counts flat for long stretches, then a step when a feature lands.
//! - `long_tail`: items close steadily, then the last one to three linger.
//! - `backlog`: 30 to 600 items, each closed (or found, for defect discovery) at its own
//!   random time over half a year to three years: a steady burn-down, an S-shaped discovery
//!   curve, or a falling rate of finds whose last items come late.
//!
//! Families that never finish:
//! - `plateau`: an exponential approach to a floor above the target.
//! - `flat`: a constant level read with noise.
//! - `flat_count`: counts that barely move (a test now and then fixed or added).
//! - `away_line`, `away_walk`: moving away from the target.

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Poisson, StandardNormal};

use super::evaluate::{History, Outcome};
use super::MetricSpec;
use crate::core::model::Direction;

/// The families that finish, in report order.
pub const FINISHING: [&str; 10] = [
    "random_walk",
    "exponential",
    "exp_multiplicative",
    "s_curve",
    "slow_tail",
    "regime_change",
    "small_count",
    "punctuated",
    "long_tail",
    "backlog",
];

/// Families added after the others: each draws from a random stream of its own, so that adding
/// one leaves every earlier family's histories as they were (figures stay comparable).
const LATER: [&str; 1] = ["backlog"];

/// The families that never finish.
pub const NEVER: [&str; 5] = ["plateau", "flat", "flat_count", "away_line", "away_walk"];

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 3).expect("valid date")
}

fn normal(rng: &mut StdRng) -> f64 {
    rng.sample(StandardNormal)
}

fn u(rng: &mut StdRng, lo: f64, hi: f64) -> f64 {
    rng.random_range(lo..hi)
}

fn poisson(rng: &mut StdRng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    Poisson::new(mean).map(|p| p.sample(rng) as u64).unwrap_or(0)
}

/// How many of `n` open items close in one day when each closes with probability `p`.
fn closed_today(rng: &mut StdRng, n: f64, p: f64) -> f64 {
    (0..n as u64).filter(|_| rng.random::<f64>() < p).count() as f64
}

fn spec_down(tolerance: f64) -> MetricSpec {
    MetricSpec { target: 0.0, direction: Direction::Down, tolerance }
}

/// A weekly series of values from week 0, as readings.
fn weekly(values: &[f64]) -> Vec<super::Reading> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| super::Reading { date: start() + Duration::days(7 * i as i64), value: *v })
        .collect()
}

fn day(d: i64) -> NaiveDate {
    start() + Duration::days(d)
}

/// A finishing history: readings every week up to and including the week of the done day,
/// then `extra` more weeks at the target.
fn finished(family: &str, i: usize, spec: MetricSpec, mut obs: Vec<f64>, done_day: i64, at: f64) -> History {
    let weeks = (done_day + 6) / 7;
    obs.truncate(weeks as usize);
    // The reading on the done week shows it done.
    obs.push(at);
    History {
        id: format!("synthetic:{family}:{i}"),
        family: family.to_string(),
        spec,
        readings: weekly(&obs),
        outcome: Outcome::Done(day(done_day)),
        data_end: day(7 * (obs.len() as i64 - 1)),
    }
}

fn never(family: &str, i: usize, spec: MetricSpec, obs: Vec<f64>) -> History {
    let end = day(7 * (obs.len() as i64 - 1));
    History {
        id: format!("synthetic:{family}:{i}"),
        family: family.to_string(),
        spec,
        readings: weekly(&obs),
        outcome: Outcome::Never,
        data_end: end,
    }
}

/// Life length in weeks: long enough that a mid-life cut sees 5–30 weekly readings.
fn life_weeks(rng: &mut StdRng) -> f64 {
    u(rng, 10.0, 60.0)
}

/// First day on which a smooth gap curve `f(t_weeks)` reaches 0, by daily search.
fn first_passage(f: impl Fn(f64) -> f64, max_days: i64) -> Option<i64> {
    (1..=max_days).find(|d| f(*d as f64 / 7.0) <= 0.0)
}

fn gen_random_walk(rng: &mut StdRng, i: usize, regime: bool) -> Option<History> {
    let life = life_weeks(rng);
    let g0 = u(rng, 50.0, 150.0);
    let mut d = g0 / life;
    let sp = d * u(rng, 0.3, 2.0);
    let sm = sp * u(rng, 0.0, 1.0);
    let switch = if regime { (u(rng, 0.3, 0.7) * life * 7.0) as i64 } else { i64::MAX };
    let factor = if rng.random::<bool>() { u(rng, 0.25, 0.6) } else { u(rng, 1.6, 3.0) };
    let day_sd = sp / 7f64.sqrt();
    let mut g = g0;
    let mut obs = vec![g0 + sm * normal(rng)];
    for dd in 1..(20 * 365) {
        if dd == switch {
            d *= factor;
        }
        g += -d / 7.0 + day_sd * normal(rng);
        if g <= 0.0 {
            let name = if regime { "regime_change" } else { "random_walk" };
            return Some(finished(name, i, spec_down(0.0), obs, dd, 0.0));
        }
        if dd % 7 == 0 {
            obs.push(g + sm * normal(rng));
        }
    }
    None
}

fn gen_exponential(rng: &mut StdRng, i: usize) -> Option<History> {
    let life = life_weeks(rng);
    let a = u(rng, 50.0, 150.0);
    let c = -a * u(rng, 0.05, 0.5);
    let k = (a / -c).ln() / life;
    let sm = a * u(rng, 0.01, 0.08);
    let f = |t: f64| c + a * (-k * t).exp();
    let done = first_passage(f, 20 * 365)?;
    let obs = (0..=(done / 7)).map(|w| f(w as f64) + sm * normal(rng)).collect();
    Some(finished("exponential", i, spec_down(0.0), obs, done, 0.0))
}

fn gen_exp_multiplicative(rng: &mut StdRng, i: usize) -> Option<History> {
    // A value that decays geometrically and must fall to a small target (e.g. defects per
    // KLOC from 8 to 0.5); read with log-normal noise.
    let life = life_weeks(rng);
    let a = u(rng, 5.0, 500.0);
    let ratio = u(rng, 5.0, 40.0);
    let target = a / ratio;
    let k = ratio.ln() / life;
    let sl = u(rng, 0.03, 0.25);
    let f = |t: f64| a * (-k * t).exp() - target;
    let done = first_passage(f, 20 * 365)?;
    let obs = (0..=(done / 7)).map(|w| a * (-k * w as f64).exp() * (sl * normal(rng)).exp()).collect();
    let spec = MetricSpec { target, direction: Direction::Down, tolerance: 0.0 };
    Some(finished("exp_multiplicative", i, spec, obs, done, target))
}

fn gen_s_curve(rng: &mut StdRng, i: usize) -> Option<History> {
    let life = life_weeks(rng);
    let a = u(rng, 50.0, 150.0);
    let c = -a * u(rng, 0.05, 0.3);
    let t0 = life * u(rng, 0.35, 0.8);
    // Steepness such that the curve crosses 0 at `life`.
    let x = (a / -c - 1.0).ln(); // k (life − t0) = x
    let k = x / (life - t0);
    let sm = a * u(rng, 0.01, 0.06);
    let f = |t: f64| c + a / (1.0 + (k * (t - t0)).exp());
    let done = first_passage(f, 20 * 365)?;
    let obs = (0..=(done / 7)).map(|w| f(w as f64) + sm * normal(rng)).collect();
    Some(finished("s_curve", i, spec_down(0.0), obs, done, 0.0))
}

fn gen_slow_tail(rng: &mut StdRng, i: usize) -> Option<History> {
    let life = life_weeks(rng);
    let a = u(rng, 50.0, 150.0);
    let p = u(rng, 0.7, 2.0);
    let ratio = u(rng, 8.0, 30.0);
    let target = a / ratio;
    // A (1 + life/τ)^-p = target  →  τ = life / (ratio^(1/p) − 1)
    let tau = life / (ratio.powf(1.0 / p) - 1.0);
    let sm = target * u(rng, 0.05, 0.4);
    let f = |t: f64| a / (1.0 + t / tau).powf(p) - target;
    let done = first_passage(f, 20 * 365)?;
    let obs = (0..=(done / 7)).map(|w| a / (1.0 + w as f64 / tau).powf(p) + sm * normal(rng)).collect();
    let spec = MetricSpec { target, direction: Direction::Down, tolerance: 0.0 };
    Some(finished("slow_tail", i, spec, obs, done, target))
}

/// Open items of a milestone: scope added early, items closed one by one, a burst at the end.
fn gen_small_count(rng: &mut StdRng, i: usize) -> Option<History> {
    let life = u(rng, 6.0, 40.0);
    let mut n = rng.random_range(2..=25u64) as f64;
    let add_rate = u(rng, 0.0, 0.6) * n / life; // items added per week, early on
    let mut obs = vec![n];
    let end = (life * 7.0) as i64;
    for dd in 1..=end + 28 {
        let t = dd as f64 / 7.0;
        let frac = t / life;
        // Additions fade out over the first two thirds of the life.
        if frac < 0.66 {
            n += poisson(rng, add_rate / 7.0 * (1.0 - frac / 0.66)) as f64;
        }
        // Per-item closing hazard grows toward the end (the burst).
        let h = (0.15 + 3.0 * frac.powi(3)) / life / 7.0 * 3.0;
        n -= closed_today(rng, n, 1.0 - (-h).exp());
        if dd >= end && n > 0.0 {
            // The milestone date: what is left is closed or moved out.
            n = 0.0;
        }
        if n <= 0.0 {
            return Some(finished("small_count", i, spec_down(0.0), obs, dd, 0.0));
        }
        if dd % 7 == 0 {
            obs.push(n);
        }
    }
    None
}

/// Counts that sit still for months and move in steps when a piece of work lands.
fn gen_punctuated(rng: &mut StdRng, i: usize) -> Option<History> {
    let n0 = (u(rng, 0.0, 1.0).powi(2) * 40.0).ceil().max(1.0);
    let mut n = n0;
    let life = u(rng, 12.0, 120.0);
    // Number of steps: one to four; the last one finishes.
    let steps = rng.random_range(1..=4usize).min(n0 as usize);
    let mut times: Vec<f64> = (0..steps - 1).map(|_| u(rng, 0.05, 0.95) * life).collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times.push(life);
    let mut obs = vec![n];
    let mut next = 0;
    let end = (life * 7.0).ceil() as i64;
    for dd in 1..=end {
        let t = dd as f64 / 7.0;
        while next < times.len() && t >= times[next] {
            if next + 1 == times.len() {
                n = 0.0;
            } else {
                let cut = (n * u(rng, 0.2, 0.7)).round().max(1.0).min(n - 1.0);
                n -= cut;
            }
            next += 1;
        }
        if n <= 0.0 {
            return Some(finished("punctuated", i, spec_down(0.0), obs, dd, 0.0));
        }
        if dd % 7 == 0 {
            obs.push(n);
        }
    }
    None
}

/// Items close steadily, then the last one to three linger.
fn gen_long_tail(rng: &mut StdRng, i: usize) -> Option<History> {
    let mut n = rng.random_range(8..=40u64) as f64;
    let fast = u(rng, 0.03, 0.12); // per item per day
    let tail_items = rng.random_range(1..=3u64) as f64;
    let slow = fast * u(rng, 0.05, 0.25);
    let mut obs = vec![n];
    for dd in 1..(10 * 365) {
        let h = if n <= tail_items { slow } else { fast };
        n -= closed_today(rng, n, 1.0 - (-h).exp());
        if n <= 0.0 {
            return Some(finished("long_tail", i, spec_down(0.0), obs, dd, 0.0));
        }
        if dd % 7 == 0 {
            obs.push(n);
        }
    }
    None
}

/// A backlog of many items, each done at its own time; the time axis is stretched so that
/// the last item is done at the end of the life. Half the backlogs are bounded, their times
/// drawn from a Beta(a, b) law (a milestone or a test campaign that ends: `a > 1` a slow start,
/// `b > 1` a slow end, below 1 a rush at either end); half are open-ended, their times drawn
/// from a Gamma(k) law, the software-reliability growth curves (k = 1 Goel–Okumoto's falling
/// rate of finds, k = 2 the delayed S-shaped curve): the last items are found late.
fn gen_backlog(rng: &mut StdRng, i: usize) -> Option<History> {
    let n = (30.0 * 20f64.powf(u(rng, 0.0, 1.0))).round() as usize;
    let life_days = u(rng, 26.0, 156.0) * 7.0;
    let mut times: Vec<f64> = if rng.random::<f64>() < 0.5 {
        let law = rand_distr::Beta::new(u(rng, 0.7, 2.5), u(rng, 0.7, 2.5)).ok()?;
        (0..n).map(|_| law.sample(rng)).collect()
    } else {
        let law = rand_distr::Gamma::new(u(rng, 0.8, 3.0), 1.0).ok()?;
        (0..n).map(|_| law.sample(rng)).collect()
    };
    let top = times.iter().copied().fold(0.0, f64::max);
    times.iter_mut().for_each(|t| *t /= top);
    let mut done: Vec<i64> = times.iter().map(|t| (t * life_days).ceil().max(1.0) as i64).collect();
    done.sort_unstable();
    let last = *done.last()?;
    let weeks = last / 7 + 1;
    // Items still open at each weekly reading (`done` is sorted).
    let obs = (0..weeks).map(|w| (n - done.partition_point(|d| *d <= 7 * w)) as f64).collect();
    Some(finished("backlog", i, spec_down(0.0), obs, last, 0.0))
}

fn gen_plateau(rng: &mut StdRng, i: usize) -> History {
    let n = rng.random_range(10..=70usize);
    let a = u(rng, 50.0, 150.0);
    let c = a * u(rng, 0.15, 0.6);
    // Two to five time constants by mid-life: the levelling-off is visible by then.
    let k = u(rng, 4.0, 10.0) / n as f64;
    let sm = a * u(rng, 0.01, 0.05);
    let obs = (0..n).map(|w| c + a * (-k * w as f64).exp() + sm * normal(rng)).collect();
    never("plateau", i, spec_down(0.0), obs)
}

fn gen_flat(rng: &mut StdRng, i: usize) -> History {
    let n = rng.random_range(10..=70usize);
    let level = u(rng, 20.0, 100.0);
    let sm = u(rng, 1.0, 10.0);
    let obs = (0..n).map(|_| level + sm * normal(rng)).collect();
    never("flat", i, spec_down(0.0), obs)
}

fn gen_flat_count(rng: &mut StdRng, i: usize) -> History {
    let n = rng.random_range(10..=120usize);
    let mut level = (u(rng, 0.0, 1.0).powi(2) * 150.0).ceil() + 3.0;
    let rate = u(rng, 0.0, 0.15);
    let obs = (0..n)
        .map(|_| {
            if rng.random::<f64>() < rate {
                let step = (level * u(rng, 0.0, 0.1)).round().max(1.0);
                level = if rng.random::<f64>() < 0.5 { level + step } else { (level - step).max(3.0) };
            }
            level
        })
        .collect();
    never("flat_count", i, spec_down(0.0), obs)
}

fn gen_away_line(rng: &mut StdRng, i: usize) -> History {
    let n = rng.random_range(10..=70usize);
    let g0 = u(rng, 20.0, 100.0);
    let d = u(rng, 0.5, 5.0);
    let sm = u(rng, 1.0, 10.0);
    let obs = (0..n).map(|w| g0 + d * w as f64 + sm * normal(rng)).collect();
    never("away_line", i, spec_down(0.0), obs)
}

fn gen_away_walk(rng: &mut StdRng, i: usize) -> History {
    let n = rng.random_range(10..=70usize);
    let g0 = u(rng, 50.0, 150.0);
    let d = u(rng, 0.5, 3.0);
    let sp = d * u(rng, 0.3, 2.0);
    let sm = sp * u(rng, 0.0, 1.0);
    let mut g = g0;
    let obs = (0..n)
        .map(|_| {
            let v = g + sm * normal(rng);
            g += d + sp * normal(rng);
            v
        })
        .collect();
    never("away_walk", i, spec_down(0.0), obs)
}

/// One history of `family` (a name from [`FINISHING`] or [`NEVER`]); the `i`-th of its set.
pub fn generate(family: &str, rng: &mut StdRng, i: usize) -> History {
    loop {
        let h = match family {
            "random_walk" => gen_random_walk(rng, i, false),
            "regime_change" => gen_random_walk(rng, i, true),
            "exponential" => gen_exponential(rng, i),
            "exp_multiplicative" => gen_exp_multiplicative(rng, i),
            "s_curve" => gen_s_curve(rng, i),
            "slow_tail" => gen_slow_tail(rng, i),
            "small_count" => gen_small_count(rng, i),
            "punctuated" => gen_punctuated(rng, i),
            "long_tail" => gen_long_tail(rng, i),
            "backlog" => gen_backlog(rng, i),
            "plateau" => Some(gen_plateau(rng, i)),
            "flat" => Some(gen_flat(rng, i)),
            "flat_count" => Some(gen_flat_count(rng, i)),
            "away_line" => Some(gen_away_line(rng, i)),
            "away_walk" => Some(gen_away_walk(rng, i)),
            other => panic!("unknown synthetic family {other}"),
        };
        // A life too short to cut with at least 5 readings before mid-life is redrawn.
        if let Some(h) = h.filter(|h| h.readings.len() >= 10) {
            return h;
        }
    }
}

/// `per_family` histories of every family, from one seed: the tuning set and the check set
/// differ only by their seed.
pub fn histories(seed: u64, per_family: usize) -> Vec<History> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for family in FINISHING.iter().chain(NEVER.iter()).filter(|f| !LATER.contains(f)) {
        for i in 0..per_family {
            out.push(generate(family, &mut rng, i));
        }
    }
    for (k, family) in LATER.iter().enumerate() {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(k as u64 + 1));
        for i in 0..per_family {
            out.push(generate(family, &mut rng, i));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every backlog starts with 30–600 items, never gains one, and reads 0 on the week of its
    /// done day, which is when its last item was done.
    #[test]
    fn a_backlog_burns_down_to_zero_on_its_done_day() {
        let mut rng = StdRng::seed_from_u64(11);
        for i in 0..50 {
            let h = generate("backlog", &mut rng, i);
            let values: Vec<f64> = h.readings.iter().map(|r| r.value).collect();
            assert!((30.0..=600.0).contains(&values[0]), "{} items", values[0]);
            assert!(values.windows(2).all(|w| w[1] <= w[0]), "{values:?}");
            assert_eq!(values.last(), Some(&0.0));
            assert!(values[..values.len() - 1].iter().all(|v| *v > 0.0), "{values:?}");
            let Outcome::Done(done) = h.outcome else { panic!("{:?}", h.outcome) };
            let last = h.readings.last().expect("readings").date;
            assert!(done <= last && last - done < Duration::days(7), "done {done}, last reading {last}");
        }
    }
}
