//! Criterion benchmarks of the pure core at the size of SPEC §5 (2,000 metrics,
//! 1,000,000 points, from `scale_data` at scale 1): generating the data, the
//! limiting-factor analysis over 2,000 forecasts, building the report from two
//! outlooks, and one outlook end to end. Forecasts are computed once, outside
//! the timed loops, except in `outlook`.

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use limfac::core::analysis;
use limfac::core::model::{Observation, Snapshot};
use limfac::demo::scale;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

/// The scale organization as a snapshot, as `Store::snapshot` would give it.
fn snapshot() -> Snapshot {
    let data = scale::generate(1.0, today());
    let mut observations: Vec<Observation> = data
        .points()
        .map(|p| Observation { metric: p.metric, engineer: p.engineer, date: p.date, value: p.value })
        .collect();
    observations.sort_by_key(|o| (o.metric, o.date));
    Snapshot {
        projects: data.projects,
        engineers: data.engineers,
        metrics: data.metrics,
        observations,
        blockers: Vec::new(),
        deadlines: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("core");
    g.sample_size(10);
    g.bench_function("scale_data: generate 1M points", |b| {
        b.iter(|| scale::generate(1.0, today()).points().fold(0.0, |acc, p| acc + p.value))
    });
    let snap = snapshot();
    let as_of = today();
    let horizon = analysis::DEFAULT_HORIZON_DAYS;
    let cal = analysis::org_calibration(&snap, as_of, horizon);
    let forecasts = analysis::forecast_all(&snap, as_of, horizon, false, &cal.calibration);
    let prev_day = as_of - chrono::Duration::days(7);
    let previous = analysis::outlook(&snap, prev_day, horizon, &analysis::org_calibration(&snap, prev_day, horizon));
    g.bench_function("limiting::analyze + views (2,000 forecasts)", |b| {
        b.iter(|| analysis::outlook_from(&snap, as_of, forecasts.clone(), &cal))
    });
    let now = analysis::outlook_from(&snap, as_of, forecasts.clone(), &cal);
    g.bench_function("report::build (two outlooks given)", |b| {
        b.iter(|| limfac::core::report::build(&snap, &now, Some(&previous), &limfac::core::report::Policy::default()))
    });
    g.bench_function("report json serialise", |b| {
        let r = limfac::core::report::build(&snap, &now, Some(&previous), &limfac::core::report::Policy::default());
        b.iter(|| serde_json::to_vec_pretty(&r).unwrap().len())
    });
    g.bench_function("analysis::outlook (forecast 2,000 metrics x 500 points + analysis)", |b| {
        b.iter(|| analysis::outlook(&snap, as_of, horizon, &cal))
    });
    g.bench_function("self-calibration: replay of 400 past forecasts over 2,000 metrics", |b| {
        b.iter(|| analysis::org_calibration(&snap, as_of, horizon))
    });
    g.bench_function("weekly report: calibration + outlook, this week and last (cold)", |b| {
        b.iter(|| {
            // As `limfac report` does: one set of histories, the replays shared by both weeks.
            let histories = analysis::histories(&snap);
            let memo = limfac::core::forecast::replay::Memo::default();
            let cal_now = analysis::org_calibration_with(&histories, as_of, horizon, &memo);
            let cal_prev = analysis::org_calibration_with(&histories, prev_day, horizon, &memo);
            let now = analysis::outlook(&snap, as_of, horizon, &cal_now);
            let prev = analysis::outlook(&snap, prev_day, horizon, &cal_prev);
            limfac::core::report::build(&snap, &now, Some(&prev), &limfac::core::report::Policy::default())
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Criterion's plots need a system font this machine does not have.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
