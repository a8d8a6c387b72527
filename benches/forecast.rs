//! Criterion benchmark: `forecast_many` over 2,000 metrics × 100 weekly readings, a third each
//! converging, stalled (flat with noise) and diverging — the size of a large organisation's
//! weekly report. Goal: under 1 s in release on 2 cores.

use chrono::{Duration, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use limfac::core::forecast::{forecast_many, seed_for, MetricSpec, Options, Reading};
use limfac::core::model::Direction;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

fn jobs() -> Vec<(MetricSpec, Vec<Reading>, Options)> {
    let start = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let as_of = start + Duration::days(7 * 99);
    let mut rng = StdRng::seed_from_u64(42);
    (0..2000)
        .map(|m| {
            let noise = rng.random_range(0.5..5.0);
            let slope = match m % 3 {
                0 => -rng.random_range(0.3..1.0), // converging toward 0 from 150
                1 => 0.0,                         // stalled
                _ => rng.random_range(0.2..1.0),  // diverging
            };
            let readings = (0..100)
                .map(|i| {
                    let z: f64 = rng.sample(StandardNormal);
                    Reading { date: start + Duration::days(7 * i), value: 150.0 + slope * i as f64 + noise * z }
                })
                .collect();
            let spec = MetricSpec { target: 0.0, direction: Direction::Down, tolerance: 1.0 };
            (spec, readings, Options::new(as_of, seed_for(&format!("bench/m{m}"))))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let jobs = jobs();
    let mut g = c.benchmark_group("forecast");
    g.sample_size(10);
    g.bench_function("forecast_many_2000x100", |b| b.iter(|| forecast_many(std::hint::black_box(&jobs))));
    g.finish();
}

criterion_group! {
    name = benches;
    // Plots need a system font this project does not depend on.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
