//! The limiting factor's tie rule (issue 14, defect 2), on exact simulated
//! paths: a stalled and a diverging metric that never finish each "finish
//! last" about half the time (0.4994 against 0.5117 in the report that found
//! it). Within Monte-Carlo error that is a tie, broken by evidence (diverging
//! before stalled, ...), the same way every week; a clear difference still
//! decides.

use std::collections::HashMap;

use chrono::NaiveDate;
use limfac::core::forecast::{Forecast, Status};
use limfac::core::limiting::{analyze, Inputs};
use limfac::core::model::{Direction, Metric, Project};

const PATHS: usize = 600;

fn metric(name: &str) -> Metric {
    Metric {
        project: "rover".into(),
        metric: name.into(),
        name: None,
        unit: None,
        target: 100.0,
        direction: Direction::Up,
        tolerance: 0.0,
        min: None,
        max: None,
        archived: false,
    }
}

/// A forecast that never finishes, except on `finishing` of the paths
/// (spread over them by `offset`), 40 days out.
fn forecast(status: Status, finishing: usize, offset: usize) -> Forecast {
    let samples: Vec<Option<i32>> = (0..PATHS).map(|i| ((i * 7 + offset) % PATHS < finishing).then_some(40)).collect();
    Forecast {
        status,
        model: "none".into(),
        reason: String::new(),
        n_points: 20,
        n_dates: 20,
        last_date: None,
        last_value: Some(60.0),
        trend_per_week: None,
        p10: None,
        p50: None,
        p80: None,
        p90: None,
        p_never: 1.0 - finishing as f64 / PATHS as f64,
        samples: samples.into_iter().collect(),
        curve: Vec::new(),
        fan: Vec::new(),
        features: None,
    }
}

/// The limiting factor when `a` (stalled) and `b` (diverging) finish on the
/// given numbers of paths.
fn limiting(stalled_finishing: usize, diverging_finishing: usize, week: usize) -> String {
    let projects = vec![Project {
        slug: "rover".into(),
        name: "Rover".into(),
        priority: 1,
        owner: None,
        depends_on: vec![],
        archived: false,
    }];
    // The stalled one sorts first by name: a tie must not fall to the name.
    let metrics = vec![metric("actuator"), metric("battery")];
    let forecasts = vec![
        forecast(Status::Stalled, stalled_finishing, week),
        forecast(Status::Diverging, diverging_finishing, week * 3),
    ];
    let deadlines = HashMap::new();
    let a = analyze(&Inputs {
        projects: &projects,
        metrics: &metrics,
        forecasts: &forecasts,
        project_deadlines: &deadlines,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        gap_open: &[1.0, 1.1],
    });
    a.limiting_factor.map(|l| l.metric).unwrap_or_default()
}

#[test]
fn a_tie_within_simulation_noise_goes_to_the_diverging_metric_every_week() {
    // The diverging one finishes on a few paths, so the stalled one is "last"
    // a little more often: 0.5117 against 0.4883, well within noise.
    for week in 0..8 {
        let (stalled, diverging) = if week % 2 == 0 { (0, 14) } else { (14, 0) };
        assert_eq!(limiting(stalled, diverging, week), "battery", "week {week}: the choice followed the noise");
    }
}

#[test]
fn a_clear_difference_still_decides() {
    // The diverging metric finishes on 40% of paths: the stalled one is last
    // far more often, beyond any noise, and is the limiting factor.
    assert_eq!(limiting(0, 240, 0), "actuator");
}
