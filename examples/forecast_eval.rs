//! Prints the forecast's calibration per data set and per verdict, on the sets it was tuned on
//! and the sets only checked, each history cut at the given fractions of its life.
//!
//! `cargo run --release --example forecast_eval [-- --fracs 0.5 --per-family 60 --group verdict --self]`
//!
//! `--flat`: also the flat series' figure of the calibration test, checked and tuned sets apart
//! (see [`flat_line`]);
//! `--counts`: hits and known cases for p50 and p10–p90 instead of the rates (a band's edge);
//! `--dump FAMILY`: every case of a family (`*`: all), one line each (see [`dump_lines`]).
//!
//! `--self`: every data set is taken as one organization, and each forecast uses the
//! self-calibration learned from that organization's history before the forecast's month.
//! `--only FAMILY,...` keeps only those families' histories (an organization whose work is all
//! of one kind); `--stagger DAYS` starts the k-th history of each set k·DAYS days later.
//! `--daily`: every history read every day instead (the last reading carried forward);
//! `--twice`: read twice as often (a reading halfway between two, its value halfway);
//! `--sparse K`: only every K-th reading (and the last), a review every K weeks.

#[path = "support/datasets.rs"]
mod datasets;

use limfac::core::forecast::evaluate::{score, tally, History, Outcome, Scored};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{Datelike, NaiveDate};
use limfac::core::forecast::replay::{self, MetricHistory};
use limfac::core::forecast::{forecast, forecast_with, Calibration, Options, DEFAULT_HORIZON_DAYS};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let fracs: Vec<f64> =
        arg("--fracs").unwrap_or("0.5".into()).split(',').map(|x| x.parse().expect("a fraction")).collect();
    // `--every DAYS`: instead of `--fracs`, a cut every DAYS days of each history's life.
    let every: Option<i64> = arg("--every").map(|x| x.parse().expect("--every: a number of days"));
    let per_family: usize = arg("--per-family").map_or(60, |x| x.parse().expect("a number"));
    let group = arg("--group");
    let horizon = DEFAULT_HORIZON_DAYS;
    let mut sets = datasets::tuning(per_family);
    sets.extend(datasets::checking(per_family));
    // `--only FAMILY,...`: only the histories of these families (sets left empty are dropped).
    if let Some(only) = arg("--only") {
        let only: Vec<&str> = only.split(',').collect();
        for (_, hs) in sets.iter_mut() {
            hs.retain(|h| only.contains(&h.family.as_str()));
        }
        sets.retain(|(_, hs)| !hs.is_empty());
    }
    // `--stagger DAYS`: the k-th history of each set starts k·DAYS days later, as work in an
    // organization does (the synthetic histories all start on one day, a cohort, and
    // self-calibration cannot learn from a cohort's record what it would from staggered work).
    if let Some(days) = arg("--stagger") {
        let days: i64 = days.parse().expect("--stagger: a number of days");
        for (_, hs) in sets.iter_mut() {
            for (k, h) in hs.iter_mut().enumerate() {
                *h = staggered(h, chrono::Duration::days(days * k as i64));
            }
        }
    }
    // How each history is read: `--daily` every day, each day carrying the last reading forward
    // (the same work logged daily); `--twice` twice as often (a reading halfway between two, two
    // reviews a week); `--sparse K` only every K-th reading and the last (a review every K
    // weeks). The dates should hardly change with the first two; docs/forecast.md has all three.
    let sparse: Option<usize> = arg("--sparse").map(|k| k.parse().expect("--sparse: a number"));
    let (daily, twice) = (args.iter().any(|a| a == "--daily"), args.iter().any(|a| a == "--twice"));
    if daily || twice || sparse.is_some() {
        let read = |h: &History| -> History {
            match sparse {
                _ if daily => h.read_daily(),
                _ if twice => h.read_twice(),
                Some(k) => h.read_every(k),
                None => h.clone(),
            }
        };
        for (_, hs) in sets.iter_mut() {
            *hs = hs.iter().map(read).collect();
        }
    }
    let self_cal = args.iter().any(|a| a == "--self");
    // `--cal FILE`: a calibration as JSON (from `fit_forecast_defaults -- --json FILE`) in
    // place of the shipped one, to measure a new fit before writing it.
    let given: Option<Calibration> = arg("--cal")
        .map(|p| serde_json::from_str(&std::fs::read_to_string(&p).expect("read --cal")).expect("a calibration"));
    let mut all: Vec<Scored> = Vec::new();
    for (name, hs) in &sets {
        // With --self: each set is one organization; a forecast as of D uses the calibration
        // learned from that organization's history up to the first of D's month (no look-ahead).
        let metrics: Vec<MetricHistory> = hs
            .iter()
            .map(|h| MetricHistory { key: h.id.clone(), spec: h.spec, readings: h.readings.clone() })
            .collect();
        let cache: Mutex<HashMap<NaiveDate, Calibration>> = Mutex::new(HashMap::new());
        let cal_at = |d: NaiveDate| -> Calibration {
            let month = d.with_day(1).expect("first of month");
            if let Some(c) = cache.lock().unwrap().get(&month) {
                return c.clone();
            }
            // Corrects the calibration in use (the shipped one, or `--cal`'s).
            let base = given.as_ref().unwrap_or_else(|| Calibration::shipped());
            let c = replay::calibrate_from(base, &metrics, month, horizon, &replay::Memo::default()).0;
            cache.lock().unwrap().insert(month, c.clone());
            c
        };
        let forecaster = |spec: &_, rs: &[_], as_of: NaiveDate, seed| {
            let opts = Options { fan: false, ..Options::new(as_of, seed) };
            if self_cal {
                forecast_with(spec, rs, &opts, &cal_at(as_of))
            } else if let Some(cal) = &given {
                forecast_with(spec, rs, &opts, cal)
            } else {
                forecast(spec, rs, &opts)
            }
        };
        match every {
            // Every history cut at the same fractions of its life: each history weighs the same.
            None => {
                for &frac in &fracs {
                    all.extend(score(name, hs, frac, horizon, forecaster));
                }
            }
            // A cut every `days` of each history's life: each week of work weighs the same, as
            // in a user's weekly forecasts and in the self-calibration's replay.
            Some(days) => {
                let cuts: Vec<(&History, f64)> = hs
                    .iter()
                    .flat_map(|h| {
                        let life = h.first_date().map_or(0, |f| (h.life_end() - f).num_days());
                        (1..)
                            .map(move |k| k * days)
                            .take_while(move |d| *d < life)
                            .map(move |d| (h, d as f64 / life as f64))
                    })
                    .collect();
                let scored: Vec<Scored> = cuts
                    .par_iter()
                    .flat_map_iter(|&(h, frac)| score(name, std::slice::from_ref(h), frac, horizon, forecaster))
                    .collect();
                all.extend(scored);
            }
        }
    }
    if let Some(fam) = arg("--dump") {
        for l in dump_lines(&all, &fam) {
            println!("{l}");
        }
        return;
    }
    if args.iter().any(|a| a == "--flat") {
        println!("{}", flat_line(&all, "check"));
        println!("{}", flat_line(&all, "tune"));
    }
    let t = tally(&all, horizon);
    let mut last = String::new();
    for ((set, g), tal) in &t {
        if group.as_ref().is_some_and(|want| !g.starts_with(want.as_str()) && g != "all") {
            continue;
        }
        if *set != last {
            println!("\n== {set}");
            last = set.clone();
        }
        if args.iter().any(|a| a == "--counts") {
            println!("  {g:<28} p50 {}/{} inside {}/{}", tal.hits[1], tal.known[1], tal.inside, tal.inside_known);
        } else {
            println!("  {g:<28} {}", tal.line());
        }
    }
}

/// `h` moved later by `by`: every reading, its outcome and the end of its data.
fn staggered(h: &History, by: chrono::Duration) -> History {
    let mut h = h.clone();
    for r in h.readings.iter_mut() {
        r.date += by;
    }
    h.outcome = match h.outcome {
        Outcome::Done(d) => Outcome::Done(d + by),
        Outcome::NotBy(d) => Outcome::NotBy(d + by),
        Outcome::Never => Outcome::Never,
    };
    h.data_end += by;
    h
}

/// `--flat`: the calibration test's rule for flat series (synthetic flats and barely-moving
/// counts, Rhino's flat areas), called converging or given a p50 before their data end, over
/// every cut given (`--fracs 0.5` is the test's mid-life figure), on the checked sets (`part`
/// "check", the test's figure) or on the tuned ones ("tune", the figure a change may be chosen by).
fn flat_line(all: &[Scored], part: &str) -> String {
    let flat: Vec<&Scored> = all
        .iter()
        .filter(|s| s.set.ends_with(&format!("-{part}")) && matches!(s.family.as_str(), "flat" | "flat_count"))
        .collect();
    let bad = |s: &Scored| {
        let end = (s.data_end - s.as_of).num_days();
        s.status == limfac::core::forecast::Status::Converging || s.quantiles[1].is_some_and(|q| q <= end)
    };
    let of = |fam: &str, set: &str| {
        let mine: Vec<&&Scored> = flat.iter().filter(|s| s.family == fam && s.set == set).collect();
        format!("{}/{}", mine.iter().filter(|s| bad(s)).count(), mine.len())
    };
    format!(
        "{part}: flat series converging or p50 before data end: {}/{} (synthetic flat {}, flat_count {}, rhino flat {})",
        flat.iter().filter(|s| bad(s)).count(),
        flat.len(),
        of("flat", &format!("synthetic-{part}")),
        of("flat_count", &format!("synthetic-{part}")),
        of("flat", &format!("rhino-{part}"))
    )
}

/// `--dump FAMILY`: one line per case of that family (`*`: of every family), on every set:
/// the quantiles, the throughput method's, the truth, the family and the kind of outcome (for
/// computing figures this example does not print, such as a per-history pinball loss).
pub fn dump_lines(all: &[Scored], family: &str) -> Vec<String> {
    all.iter()
        .filter(|s| family == "*" || s.family == family)
        .map(|s| {
            format!(
                "{} {} {} {:>11} n={:3} q={:?} base={:?} truth={:?} fam={} out={}",
                s.set,
                s.id,
                s.as_of,
                s.status.as_str(),
                s.n_dates,
                s.quantiles,
                s.baseline,
                match s.outcome {
                    Outcome::Done(d) => Some((d - s.as_of).num_days()),
                    _ => None,
                },
                s.family,
                match s.outcome {
                    Outcome::Done(_) => "done",
                    Outcome::Never => "never",
                    _ => "notby",
                }
            )
        })
        .collect()
}
