//! Scoring forecasts against what really happened: per data set and per verdict.
//!
//! A [`History`] is one metric's whole recorded life with its known outcome; a forecast is
//! made at a cut (usually mid-life: halfway between the first reading and the outcome) from
//! the readings up to the cut only, and compared with the truth. Figures are kept per data
//! set and per verdict, because a reviewer acts on "converging, 50% by 3 March" or on
//! "stalled", and an average over everything hides a verdict that misleads.
//!
//! Censoring is counted honestly: when the work was still not done at the end of the data, a
//! quantile is a known miss only if it falls on or before that end; otherwise that quantile's
//! hit is unknown and the case is left out of its rate (never counted as a hit or a miss).
//!
//! The comparison method is the usual "Monte Carlo throughput" forecast: resample the
//! observed week-to-week changes of the remaining gap and walk forward until it is gone.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use super::{MetricSpec, Reading, Status};

/// What became of a piece of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "date")]
pub enum Outcome {
    /// Reached its target on this date.
    Done(NaiveDate),
    /// Still not done on this date, the end of the data (censored).
    NotBy(NaiveDate),
    /// Never done (known only for simulated work).
    Never,
}

/// One metric's recorded life.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// `SET:NAME`, unique within its set.
    pub id: String,
    /// The kind of process or the data set's group (`random_walk`, `finished`, …).
    pub family: String,
    pub spec: MetricSpec,
    pub readings: Vec<Reading>,
    pub outcome: Outcome,
    /// The last date anything is known about.
    pub data_end: NaiveDate,
}

impl History {
    /// The first reading's date.
    pub fn first_date(&self) -> Option<NaiveDate> {
        self.readings.iter().map(|r| r.date).min()
    }

    /// Mid-life: halfway between the first reading and the done date (or the end of the data
    /// for work not done), as the forecast issue measures. None when fewer than
    /// [`super::MIN_DATES`] distinct dates come before it.
    pub fn mid_life(&self) -> Option<NaiveDate> {
        self.cut_at(0.5)
    }

    /// The date `frac` of the way through the life (see [`History::mid_life`]).
    pub fn cut_at(&self, frac: f64) -> Option<NaiveDate> {
        let first = self.first_date()?;
        let end = self.life_end();
        let days = ((end - first).num_days() as f64 * frac).floor() as i64;
        let cut = first + Duration::days(days);
        let mut dates: Vec<NaiveDate> = self.readings.iter().map(|r| r.date).filter(|d| *d <= cut).collect();
        dates.sort_unstable();
        dates.dedup();
        (dates.len() >= super::MIN_DATES).then_some(cut)
    }

    /// The end of the life the cuts divide: the done date, or the end of the data for work
    /// never done.
    pub fn life_end(&self) -> NaiveDate {
        match self.outcome {
            Outcome::Done(d) => d,
            Outcome::NotBy(_) | Outcome::Never => self.data_end,
        }
    }

    /// Readings dated on or before `as_of`.
    pub fn readings_until(&self, as_of: NaiveDate) -> Vec<Reading> {
        self.readings.iter().filter(|r| r.date <= as_of).copied().collect()
    }

    /// The same history read twice as often: between two readings, one more halfway, its value
    /// halfway between theirs (a whole number when both are): the same work measured at a
    /// second review each week. Its forecasts should be the weekly ones, give or take what the
    /// extra readings really tell.
    pub fn read_twice(&self) -> History {
        let mut readings = Vec::with_capacity(2 * self.readings.len());
        for pair in self.readings.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            readings.push(a);
            let half = (b.date - a.date).num_days() / 2;
            if half > 0 {
                let mid = (a.value + b.value) / 2.0;
                let whole = a.value.fract() == 0.0 && b.value.fract() == 0.0;
                let value = if whole { mid.round() } else { mid };
                readings.push(Reading { date: a.date + chrono::Duration::days(half), value });
            }
        }
        readings.extend(self.readings.last().copied());
        History { readings, ..self.clone() }
    }

    /// The same history read at every `k`-th reading only, and its last: the same work reviewed
    /// every `k` weeks instead of every week.
    pub fn read_every(&self, k: usize) -> History {
        let last = self.readings.len().saturating_sub(1);
        let k = k.max(1);
        let readings =
            self.readings.iter().enumerate().filter(|(i, _)| i % k == 0 || *i == last).map(|(_, r)| *r).collect();
        History { readings, ..self.clone() }
    }

    /// The same history read every day from its first reading to its last, each day's value
    /// the latest reading's: the same work logged daily (or imported from a daily export)
    /// instead of at each review. Its forecasts should be the weekly ones.
    pub fn read_daily(&self) -> History {
        let mut readings = Vec::new();
        for pair in self.readings.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let days = (b.date - a.date).num_days();
            readings.extend((0..days).map(|k| Reading { date: a.date + chrono::Duration::days(k), value: a.value }));
        }
        readings.extend(self.readings.last().copied());
        History { readings, ..self.clone() }
    }
}

/// Parses a progress file as shipped in `tests/data/*/` (`series_id,week_start,remaining,
/// target,true_done_date`; one row per reading; an empty done date means not done by the end
/// of that series' data). Every history is a "down" metric with tolerance 0. `family` names
/// the group (e.g. `finished`, `flat`). Returns the histories in file order.
pub fn parse_progress_csv(text: &str, family: &str) -> Result<Vec<History>, String> {
    let mut lines = text.lines();
    let header = lines.next().ok_or("empty file")?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| cols.iter().position(|c| *c == name).ok_or(format!("missing column {name}"));
    let (ci, cw, cr, ct, cd) =
        (col("series_id")?, col("week_start")?, col("remaining")?, col("target")?, col("true_done_date")?);
    let mut order: Vec<String> = Vec::new();
    let mut by: BTreeMap<String, (f64, Option<NaiveDate>, Vec<Reading>)> = BTreeMap::new();
    for (ln, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let get = |i: usize| f.get(i).copied().unwrap_or("").trim();
        let bad = |what: &str| format!("line {}: bad {what}", ln + 2);
        let date: NaiveDate = get(cw).parse().map_err(|_| bad("week_start"))?;
        let value: f64 = get(cr).parse().map_err(|_| bad("remaining"))?;
        let target: f64 = get(ct).parse().map_err(|_| bad("target"))?;
        let done: Option<NaiveDate> =
            if get(cd).is_empty() { None } else { Some(get(cd).parse().map_err(|_| bad("true_done_date"))?) };
        let id = get(ci).to_string();
        let e = by.entry(id.clone()).or_insert_with(|| {
            order.push(id.clone());
            (target, done, Vec::new())
        });
        e.2.push(Reading { date, value });
    }
    Ok(order
        .into_iter()
        .filter_map(|id| {
            let (target, done, mut readings) = by.remove(&id)?;
            readings.sort_by_key(|r| r.date);
            let last = readings.last()?.date;
            let outcome = done.map_or(Outcome::NotBy(last), Outcome::Done);
            let spec = MetricSpec { target, direction: crate::core::model::Direction::Down, tolerance: 0.0 };
            Some(History { id, family: family.to_string(), spec, readings, outcome, data_end: last })
        })
        .collect())
}

/// Splits histories into the part a method may be tuned on and the part only checked, by a
/// stable hash of the id (about `check_share` of them checked).
pub fn split(histories: Vec<History>, check_share: f64) -> (Vec<History>, Vec<History>) {
    histories.into_iter().partition(|h| {
        let x = super::seed_for(&h.id) % 10_000;
        (x as f64) >= check_share * 10_000.0
    })
}

/// The quantile levels scored.
pub const TAUS: [f64; 4] = [0.1, 0.5, 0.8, 0.9];

/// One forecast made at a cut, with what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub set: String,
    pub family: String,
    pub id: String,
    pub as_of: NaiveDate,
    pub status: Status,
    pub n_dates: usize,
    /// p10, p50, p80, p90 in days after `as_of` (None: null, beyond the horizon).
    pub quantiles: [Option<i64>; 4],
    /// The same from the Monte Carlo throughput method.
    pub baseline: [Option<i64>; 4],
    pub outcome: Outcome,
    pub data_end: NaiveDate,
}

/// Truth relative to a case, in days after the cut: Ok(done day), or Err(day it was still not
/// done by). Work never done counts as not done by the horizon, and so does work done after
/// the horizon: a forecast only speaks of the horizon, and "after it" is all it can say.
fn truth_days(s: &Scored, horizon: i64) -> Result<i64, i64> {
    match s.outcome {
        Outcome::Done(d) if (d - s.as_of).num_days() <= horizon => Ok((d - s.as_of).num_days()),
        Outcome::Done(_) | Outcome::Never => Err(horizon),
        Outcome::NotBy(e) => Err((e - s.as_of).num_days().min(horizon)),
    }
}

/// Whether the truth is on or before quantile `q` (None = beyond the horizon): Some when known.
/// Censored truths are known misses of a quantile on or before their censoring day, and
/// unknown otherwise (a truth beyond the horizon against a null quantile included).
pub fn hit(s: &Scored, q: Option<i64>, horizon: i64) -> Option<bool> {
    match (truth_days(s, horizon), q) {
        (Ok(_), None) => Some(true),
        (Ok(t), Some(q)) => Some(t <= q),
        (Err(c), Some(q)) => (c >= q).then_some(false),
        (Err(_), None) => None,
    }
}

/// Whether the truth falls in (p10, p90]: Some when known.
pub fn inside(s: &Scored, horizon: i64) -> Option<bool> {
    let below_lo = hit(s, s.quantiles[0], horizon);
    let below_hi = hit(s, s.quantiles[3], horizon);
    match (below_lo, below_hi) {
        (Some(true), _) => Some(false),
        (Some(false), Some(h)) => Some(h),
        (None, Some(false)) => Some(false),
        _ => None,
    }
}

/// Mean pinball loss over the four quantiles, in days, for cases whose truth is known exactly
/// (done, or never); null quantiles and "never" count as the horizon.
pub fn pinball(q: &[Option<i64>; 4], s: &Scored, horizon: i64) -> Option<f64> {
    let y = match s.outcome {
        Outcome::Done(d) => (d - s.as_of).num_days().min(horizon),
        Outcome::Never => horizon,
        Outcome::NotBy(_) => return None,
    } as f64;
    let mut loss = 0.0;
    for (tau, x) in TAUS.iter().zip(q) {
        let x = x.unwrap_or(horizon).min(horizon) as f64;
        let e = y - x;
        loss += (tau * e).max((tau - 1.0) * e);
    }
    Some(loss / 4.0)
}

/// The Monte Carlo throughput forecast: the remaining gap read weekly (the last reading of
/// each week carried forward), its week-to-week changes resampled with replacement, walked
/// forward week by week until the gap is within tolerance. Quantiles in days after `as_of`.
pub fn throughput_baseline(
    spec: &MetricSpec,
    readings: &[Reading],
    as_of: NaiveDate,
    horizon_days: i64,
    n_sims: usize,
    seed: u64,
) -> [Option<i64>; 4] {
    let mut rs: Vec<Reading> = readings.iter().filter(|r| r.date <= as_of && r.value.is_finite()).copied().collect();
    rs.sort_by_key(|r| r.date);
    let Some(first) = rs.first().map(|r| r.date) else { return [None; 4] };
    let gap = |v: f64| spec.direction.gap(v, spec.target);
    let mut weekly = Vec::new();
    let mut i = 0;
    let mut week = first;
    let mut cur = gap(rs[0].value);
    while week <= as_of {
        while i < rs.len() && rs[i].date <= week {
            cur = gap(rs[i].value);
            i += 1;
        }
        weekly.push(cur);
        week += Duration::days(7);
    }
    let last = gap(rs[rs.len() - 1].value);
    if last <= spec.tolerance {
        return [Some(0); 4];
    }
    let deltas: Vec<f64> = weekly.windows(2).map(|w| w[1] - w[0]).collect();
    if deltas.is_empty() {
        return [None; 4];
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let weeks = horizon_days / 7;
    let mut done: Vec<i64> = Vec::with_capacity(n_sims);
    for _ in 0..n_sims {
        let mut g = last;
        for w in 1..=weeks {
            g += deltas[rng.random_range(0..deltas.len())];
            if g <= spec.tolerance {
                done.push(7 * w);
                break;
            }
        }
    }
    done.sort_unstable();
    TAUS.map(|tau| {
        let k = ((tau * n_sims as f64).ceil() as usize).max(1);
        done.get(k - 1).copied()
    })
}

/// Figures for one group of scored forecasts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub n: usize,
    /// Per quantile (p10, p50, p80, p90): cases whose hit is known, and hits.
    pub known: [usize; 4],
    pub hits: [usize; 4],
    pub inside_known: usize,
    pub inside: usize,
    /// Work that finished, and how much of it got p50 = null.
    pub finished: usize,
    pub finished_p50_never: usize,
    /// Work that did not finish (within the data, or ever), how much was called converging,
    /// and how much got a p50 on or before the end of its data.
    pub unfinished: usize,
    pub unfinished_converging: usize,
    pub unfinished_p50_before_end: usize,
    /// Cases with a known truth for pinball loss, and the sums (days).
    pub pinball_n: usize,
    pub pinball: f64,
    pub pinball_baseline: f64,
}

impl Tally {
    pub fn add(&mut self, s: &Scored, horizon: i64) {
        self.n += 1;
        for k in 0..4 {
            if let Some(h) = hit(s, s.quantiles[k], horizon) {
                self.known[k] += 1;
                self.hits[k] += usize::from(h);
            }
        }
        if let Some(h) = inside(s, horizon) {
            self.inside_known += 1;
            self.inside += usize::from(h);
        }
        match s.outcome {
            // Work done beyond the horizon has rightly no p50.
            Outcome::Done(d) if (d - s.as_of).num_days() <= horizon => {
                self.finished += 1;
                self.finished_p50_never += usize::from(s.quantiles[1].is_none());
            }
            Outcome::Done(_) => {}
            Outcome::NotBy(_) | Outcome::Never => {
                self.unfinished += 1;
                self.unfinished_converging += usize::from(s.status == Status::Converging);
                let end = (s.data_end - s.as_of).num_days();
                self.unfinished_p50_before_end += usize::from(s.quantiles[1].is_some_and(|q| q <= end));
            }
        }
        if let (Some(a), Some(b)) = (pinball(&s.quantiles, s, horizon), pinball(&s.baseline, s, horizon)) {
            self.pinball_n += 1;
            self.pinball += a;
            self.pinball_baseline += b;
        }
    }

    /// Share of known cases with the truth on or before quantile k.
    pub fn rate(&self, k: usize) -> Option<f64> {
        (self.known[k] > 0).then(|| self.hits[k] as f64 / self.known[k] as f64)
    }

    pub fn inside_rate(&self) -> Option<f64> {
        (self.inside_known > 0).then(|| self.inside as f64 / self.inside_known as f64)
    }

    /// Mean pinball loss relative to the baseline's (below 1: better).
    pub fn pinball_ratio(&self) -> Option<f64> {
        (self.pinball_n > 0 && self.pinball_baseline > 0.0).then(|| self.pinball / self.pinball_baseline)
    }

    /// One line of figures.
    pub fn line(&self) -> String {
        let pct = |x: Option<f64>| x.map_or("  -  ".to_string(), |x| format!("{:4.0}%", 100.0 * x));
        let frac = |a: usize, b: usize| if b == 0 { "   -   ".to_string() } else { format!("{a:3}/{b:<3}") };
        format!(
            "n={:4}  ≤p10 {} ≤p50 {} ≤p80 {} ≤p90 {} in10-90 {}  fin-never {} unf-conv {} unf-p50<end {}  pinball×{}",
            self.n,
            pct(self.rate(0)),
            pct(self.rate(1)),
            pct(self.rate(2)),
            pct(self.rate(3)),
            pct(self.inside_rate()),
            frac(self.finished_p50_never, self.finished),
            frac(self.unfinished_converging, self.unfinished),
            frac(self.unfinished_p50_before_end, self.unfinished),
            self.pinball_ratio().map_or(" - ".to_string(), |r| format!("{r:.2}")),
        )
    }
}

/// Tallies keyed by (set, group) where group is a verdict, a family, `all` or `10+ dates`.
pub fn tally(scored: &[Scored], horizon: i64) -> BTreeMap<(String, String), Tally> {
    let mut out: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for s in scored {
        let mut groups = vec!["all".to_string(), format!("verdict {}", s.status), format!("family {}", s.family)];
        if s.n_dates >= 10 {
            groups.push("10+ dates".to_string());
        }
        for g in groups {
            out.entry((s.set.clone(), g)).or_default().add(s, horizon);
        }
    }
    out
}

/// Forecasts every history at `frac` of its life (0.5: mid-life) with `forecaster` and the
/// baseline, in parallel; histories too short to cut are skipped. `forecaster` gets the
/// readings up to the cut only.
pub fn score<F>(set: &str, histories: &[History], frac: f64, horizon: i64, forecaster: F) -> Vec<Scored>
where
    F: Fn(&MetricSpec, &[Reading], NaiveDate, u64) -> super::Forecast + Sync,
{
    use rayon::prelude::*;
    histories
        .par_iter()
        .filter_map(|h| {
            let as_of = h.cut_at(frac)?;
            let readings = h.readings_until(as_of);
            let seed = super::seed_for(&h.id);
            let f = forecaster(&h.spec, &readings, as_of, seed);
            let d = |x: Option<NaiveDate>| x.map(|x| (x - as_of).num_days());
            Some(Scored {
                set: set.to_string(),
                family: h.family.clone(),
                id: h.id.clone(),
                as_of,
                status: f.status,
                n_dates: f.n_dates,
                quantiles: [d(f.p10), d(f.p50), d(f.p80), d(f.p90)],
                baseline: throughput_baseline(&h.spec, &readings, as_of, horizon, 400, seed ^ 0x5eed),
                outcome: h.outcome,
                data_end: h.data_end,
            })
        })
        .collect()
}
