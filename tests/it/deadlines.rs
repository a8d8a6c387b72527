//! Tests of deadline resolution, warnings, slip history and calibration, on
//! small constructed histories whose answers can be worked out by hand.

use chrono::NaiveDate;
use limfac::core::deadlines::{
    active, calibration, check_date, deadline_for, histories, metric_done_on, predictions, project_done_on, resolve,
    wilson, Outcome, Verdict, Warning,
};
use limfac::core::model::{Deadline, Direction, Metric};
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn metric(target: f64, direction: Direction, tolerance: f64) -> Metric {
    Metric {
        project: "power".into(),
        metric: "cost".into(),
        name: None,
        unit: None,
        target,
        direction,
        tolerance,
        min: None,
        max: None,
        archived: false,
    }
}

fn deadline(id: i64, scope: &str, due: &str, probability: Option<f64>, set_on: &str) -> Deadline {
    let (project, metric) = match scope.split_once('/') {
        Some((p, m)) => (p.to_string(), Some(m.to_string())),
        None => (scope.to_string(), None),
    };
    Deadline { id, project, metric, due: d(due), probability, reason: Some("test".into()), set_on: d(set_on) }
}

// ---- warnings ----

#[test]
fn date_after_p80_warns_of_slack() {
    let w = check_date(d("2026-06-02"), Some(d("2026-03-01")), Some(d("2026-06-01")));
    assert_eq!(w, Some(Warning::Slack { p80: d("2026-06-01") }));
    let msg = w.unwrap().to_string();
    assert!(msg.contains("p80 (2026-06-01)") && msg.contains("expand"), "{msg}");
}

#[test]
fn date_before_p10_warns_of_fantasy() {
    let w = check_date(d("2026-02-28"), Some(d("2026-03-01")), Some(d("2026-06-01")));
    assert_eq!(w, Some(Warning::Fantasy { p10: d("2026-03-01") }));
    let msg = w.unwrap().to_string();
    assert!(msg.contains("p10 (2026-03-01)") && msg.contains("fantasy"), "{msg}");
}

#[test]
fn dates_between_p10_and_p80_inclusive_are_quiet() {
    let (p10, p80) = (Some(d("2026-03-01")), Some(d("2026-06-01")));
    for due in ["2026-03-01", "2026-04-15", "2026-06-01"] {
        assert_eq!(check_date(d(due), p10, p80), None, "{due}");
    }
}

#[test]
fn missing_quantiles_give_no_warning() {
    assert_eq!(check_date(d("2030-01-01"), Some(d("2026-03-01")), None), None);
    assert_eq!(check_date(d("2020-01-01"), None, Some(d("2026-06-01"))), None);
    assert_eq!(check_date(d("2026-01-01"), None, None), None);
}

#[test]
fn warnings_serialize_with_their_kind() {
    let json = serde_json::to_value(Warning::Slack { p80: d("2026-06-01") }).unwrap();
    assert_eq!(json, serde_json::json!({"warning": "slack", "p80": "2026-06-01"}));
}

// ---- done dates ----

#[test]
fn metric_done_on_first_day_of_final_done_run() {
    // down to 10, tolerance 1: done when the value is at most 11
    let m = metric(10.0, Direction::Down, 1.0);
    let readings = [
        (d("2026-01-05"), 20.0),
        (d("2026-01-12"), 10.5), // done, but then it slipped back
        (d("2026-01-19"), 12.0),
        (d("2026-01-26"), 11.0), // done from here on
        (d("2026-02-02"), 9.0),
    ];
    assert_eq!(metric_done_on(&m, &readings), Some(d("2026-01-26")));
}

#[test]
fn metric_not_done_when_latest_reading_is_not() {
    let m = metric(100.0, Direction::Up, 0.0);
    let readings = [(d("2026-01-05"), 100.0), (d("2026-01-12"), 99.0)];
    assert_eq!(metric_done_on(&m, &readings), None);
    assert_eq!(metric_done_on(&m, &[]), None);
}

#[test]
fn metric_readings_of_one_day_are_combined_by_median() {
    let m = metric(100.0, Direction::Up, 0.0);
    // 2026-01-12: one optimistic engineer (100) against two who are not there (90, 95): median 95, not done
    let readings = [
        (d("2026-01-19"), 101.0),
        (d("2026-01-12"), 100.0),
        (d("2026-01-12"), 90.0),
        (d("2026-01-12"), 95.0),
        (d("2026-01-05"), 100.0),
    ];
    assert_eq!(metric_done_on(&m, &readings), Some(d("2026-01-19")));
    // even count: the mean of the middle two (99 and 101 -> 100) is done
    let readings = [(d("2026-01-12"), 99.0), (d("2026-01-12"), 101.0)];
    assert_eq!(metric_done_on(&m, &readings), Some(d("2026-01-12")));
}

#[test]
fn project_done_on_latest_of_metrics_and_dependencies() {
    let got = project_done_on(&[Some(d("2026-03-01")), Some(d("2026-02-01"))], &[Some(d("2026-04-01"))]);
    assert_eq!(got, Some(d("2026-04-01")));
    assert_eq!(project_done_on(&[Some(d("2026-03-01")), None], &[]), None);
    assert_eq!(project_done_on(&[Some(d("2026-03-01"))], &[None]), None);
    assert_eq!(project_done_on(&[], &[Some(d("2026-03-01"))]), Some(d("2026-03-01")));
    assert_eq!(project_done_on(&[], &[]), None);
}

// ---- resolution ----

#[test]
fn resolution_met_with_days_early() {
    let o = resolve(d("2026-03-31"), Some(d("2026-03-24")), d("2026-06-01"));
    assert_eq!(o, Outcome::Met { done_on: d("2026-03-24"), days_early: 7 });
    assert_eq!(o.to_string(), "met, 7 days early");
    let on_the_day = resolve(d("2026-03-31"), Some(d("2026-03-31")), d("2026-03-31"));
    assert_eq!(on_the_day, Outcome::Met { done_on: d("2026-03-31"), days_early: 0 });
}

#[test]
fn resolution_missed_with_days_late_from_the_data_not_today() {
    // done 2026-04-10 against 2026-03-31: 10 days late, whenever the command runs
    for today in ["2026-04-10", "2026-05-01", "2027-01-01"] {
        let o = resolve(d("2026-03-31"), Some(d("2026-04-10")), d(today));
        assert_eq!(o, Outcome::Missed { done_on: Some(d("2026-04-10")), days_late: 10 });
    }
    assert_eq!(resolve(d("2026-03-31"), Some(d("2026-04-01")), d("2026-04-01")).to_string(), "missed, 1 day late");
}

#[test]
fn resolution_not_done_is_pending_until_due_then_missed_so_far() {
    assert_eq!(resolve(d("2026-03-31"), None, d("2026-03-30")), Outcome::Pending);
    assert_eq!(resolve(d("2026-03-31"), None, d("2026-03-31")), Outcome::Pending);
    let o = resolve(d("2026-03-31"), None, d("2026-04-05"));
    assert_eq!(o, Outcome::Missed { done_on: None, days_late: 5 });
    assert_eq!(o.to_string(), "missed, 5 days late so far");
}

#[test]
fn outcomes_serialize_tagged() {
    let met = serde_json::to_value(Outcome::Met { done_on: d("2026-03-24"), days_early: 7 }).unwrap();
    assert_eq!(met, serde_json::json!({"outcome": "met", "done_on": "2026-03-24", "days_early": 7}));
    let missed = serde_json::to_value(Outcome::Missed { done_on: None, days_late: 5 }).unwrap();
    assert_eq!(missed, serde_json::json!({"outcome": "missed", "done_on": null, "days_late": 5}));
    assert_eq!(serde_json::to_value(Outcome::Pending).unwrap(), serde_json::json!({"outcome": "pending"}));
}

// ---- history ----

fn sample_history() -> Vec<Deadline> {
    vec![
        deadline(1, "power", "2026-03-31", Some(0.5), "2026-01-05"),
        deadline(2, "power/cost", "2026-02-28", Some(0.5), "2026-01-05"),
        deadline(3, "power", "2026-04-14", Some(0.5), "2026-02-02"), // slip 14
        deadline(4, "power", "2026-04-07", Some(0.55), "2026-02-16"), // pulled in 7
        deadline(5, "power", "2026-05-07", Some(0.5), "2026-03-02"), // slip 30
        deadline(6, "chips", "2026-06-30", None, "2026-01-05"),
    ]
}

#[test]
fn histories_count_slips_and_days() {
    let h = histories(&sample_history());
    let scopes: Vec<&str> = h.iter().map(|s| s.scope.as_str()).collect();
    assert_eq!(scopes, ["chips", "power", "power/cost"]);

    let power = &h[1];
    let ids: Vec<i64> = power.changes.iter().map(|c| c.deadline.id).collect();
    assert_eq!(ids, [1, 3, 4, 5]);
    let prev: Vec<Option<NaiveDate>> = power.changes.iter().map(|c| c.previous_due).collect();
    assert_eq!(prev, [None, Some(d("2026-03-31")), Some(d("2026-04-14")), Some(d("2026-04-07"))]);
    let slip: Vec<i64> = power.changes.iter().map(|c| c.slip_days).collect();
    assert_eq!(slip, [0, 14, -7, 30]);
    assert_eq!(power.slips, 2);
    assert_eq!(power.slip_days, 44);
    assert_eq!(power.active().id, 5);

    assert_eq!((h[0].slips, h[0].slip_days), (0, 0));
}

#[test]
fn history_orders_by_set_on_not_input_order() {
    let mut all = sample_history();
    all.reverse();
    let h = histories(&all);
    let ids: Vec<i64> = h[1].changes.iter().map(|c| c.deadline.id).collect();
    assert_eq!(ids, [1, 3, 4, 5]);
}

#[test]
fn change_serializes_flat() {
    let h = histories(&sample_history());
    let json = serde_json::to_value(&h[1].changes[1]).unwrap();
    assert_eq!(json["id"], 3);
    assert_eq!(json["due"], "2026-04-14");
    assert_eq!(json["previous_due"], "2026-03-31");
    assert_eq!(json["slip_days"], 14);
}

#[test]
fn active_is_latest_change_per_scope() {
    let all = sample_history();
    let ids: Vec<i64> = active(&all).iter().map(|d| d.id).collect();
    assert_eq!(ids, [6, 5, 2]);
}

#[test]
fn metric_deadline_falls_back_to_project() {
    let all = sample_history();
    let act = active(&all);
    assert_eq!(deadline_for(&act, "power", Some("cost")).map(|d| d.id), Some(2));
    assert_eq!(deadline_for(&act, "power", Some("yield")).map(|d| d.id), Some(5));
    assert_eq!(deadline_for(&act, "power", None).map(|d| d.id), Some(5));
    assert_eq!(deadline_for(&act, "cooling", Some("flow")), None);
}

// ---- calibration ----

#[test]
fn predictions_count_superseded_deadlines_against_the_actual_date() {
    let all = sample_history();
    // power done 2026-04-10: met the 04-14 deadline only; 03-31 and 04-07 missed, 05-07 met.
    // power/cost not done, due 02-28, today 03-15: missed so far. chips has no probability.
    let done = |scope: &str| if scope == "power" { Some(d("2026-04-10")) } else { None };
    let got = predictions(&all, done, d("2026-03-15"));
    assert_eq!(got, vec![(0.5, false), (0.5, true), (0.55, false), (0.5, true), (0.5, false)]);
}

#[test]
fn predictions_skip_pending_and_deadlines_set_after_done() {
    let all = vec![
        deadline(1, "a", "2026-05-01", Some(0.5), "2026-01-05"), // not done, not due: pending
        deadline(2, "b", "2026-05-01", Some(0.9), "2026-03-01"), // set after b was done
    ];
    let done = |scope: &str| if scope == "b" { Some(d("2026-02-01")) } else { None };
    assert!(predictions(&all, done, d("2026-03-15")).is_empty());
}

fn preds(p: f64, met: usize, missed: usize) -> Vec<(f64, bool)> {
    let mut v = vec![(p, true); met];
    v.extend(vec![(p, false); missed]);
    v
}

#[test]
fn calibration_groups_by_probability_when_set() {
    let mut all = preds(0.5, 7, 8);
    all.extend(preds(0.1, 1, 3));
    all.extend(preds(0.85, 4, 1));
    all.extend(preds(1.0, 1, 0)); // 100% belongs to the last group
    all.extend(preds(0.6, 2, 0)); // 60% opens the 60–80% group
    let c = calibration(&all);
    let labels: Vec<&str> = c.groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"]);
    let counts: Vec<(usize, usize)> = c.groups.iter().map(|g| (g.n, g.met)).collect();
    assert_eq!(counts, [(4, 1), (0, 0), (15, 7), (2, 2), (6, 5)]);
    assert_eq!(c.groups[1].share, None);
    assert_eq!(c.groups[1].interval, None);
    let fifty = &c.groups[2];
    assert!((fifty.share.unwrap() - 7.0 / 15.0).abs() < 1e-12);
    assert!((fifty.expected.unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(c.headline, "50% deadlines met: 7 of 15 (47%), well calibrated");
    assert_eq!(c.verdict, Verdict::WellCalibrated);
}

#[test]
fn calibration_headline_too_soft_and_too_aggressive() {
    let soft = calibration(&preds(0.5, 13, 2));
    assert_eq!(soft.headline, "50% deadlines met: 13 of 15 (87%), too soft");
    assert_eq!(soft.verdict, Verdict::TooSoft);

    let aggressive = calibration(&preds(0.5, 2, 13));
    assert_eq!(aggressive.headline, "50% deadlines met: 2 of 15 (13%), too aggressive");
    assert_eq!(aggressive.verdict, Verdict::TooAggressive);
}

#[test]
fn calibration_uses_the_interval_not_a_fixed_threshold() {
    // 70% met: within chance on 10, clearly soft on 100
    assert_eq!(calibration(&preds(0.5, 7, 3)).verdict, Verdict::WellCalibrated);
    assert_eq!(calibration(&preds(0.5, 70, 30)).verdict, Verdict::TooSoft);
    // 4 of 4 is already telling (Wilson lower bound 0.51); 3 of 3 is not
    assert_eq!(calibration(&preds(0.5, 4, 0)).verdict, Verdict::TooSoft);
    let three = calibration(&preds(0.5, 3, 0));
    assert_eq!(three.verdict, Verdict::NotEnoughData);
    assert_eq!(three.headline, "50% deadlines met: 3 of 3 (100%), too few to judge yet");
}

#[test]
fn calibration_with_nothing_resolved() {
    let c = calibration(&preds(0.9, 3, 0));
    assert_eq!(c.headline, "50% deadlines met: none resolved yet");
    assert_eq!(c.verdict, Verdict::NotEnoughData);
    assert_eq!(calibration(&[]).headline, "50% deadlines met: none resolved yet");
}

#[test]
fn calibration_judges_against_the_mean_probability_set() {
    // 5 of 20 met (25%, Wilson 0.11 to 0.47): consistent with deadlines set at 41%,
    // clearly short of deadlines set at 59%, though both fall in the 40–60% group
    assert_eq!(calibration(&preds(0.41, 5, 15)).verdict, Verdict::WellCalibrated);
    assert_eq!(calibration(&preds(0.59, 5, 15)).verdict, Verdict::TooAggressive);
    // the 80–100% group set at 90% and met 10 of 20 times is too aggressive too
    let c = calibration(&preds(0.9, 10, 10));
    assert_eq!(c.groups[4].verdict, Verdict::TooAggressive);
}

#[test]
fn calibration_ignores_non_finite_and_clamps_out_of_range() {
    let c = calibration(&[(f64::NAN, true), (-0.2, false), (1.7, true)]);
    let counts: Vec<usize> = c.groups.iter().map(|g| g.n).collect();
    assert_eq!(counts, [1, 0, 0, 0, 1]);
}

#[test]
fn wilson_matches_known_values() {
    // 7 of 15: Wilson 95% is about (0.248, 0.699)
    let (lo, hi) = wilson(7, 15).unwrap();
    assert!((lo - 0.2481).abs() < 1e-3 && (hi - 0.6988).abs() < 1e-3, "{lo} {hi}");
    assert_eq!(wilson(0, 5).unwrap().0, 0.0);
    assert_eq!(wilson(5, 5).unwrap().1, 1.0);
    assert_eq!(wilson(0, 0), None);
    assert_eq!(wilson(3, 2), None);
}

fn date_strategy() -> impl Strategy<Value = NaiveDate> {
    (0i64..4000).prop_map(|n| NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(n))
}

proptest! {
    #[test]
    fn resolve_is_consistent(due in date_strategy(), done in proptest::option::of(date_strategy()), today in date_strategy()) {
        match resolve(due, done, today) {
            Outcome::Met { done_on, days_early } => {
                prop_assert_eq!(Some(done_on), done);
                prop_assert!(done_on <= due);
                prop_assert!(days_early >= 0);
                prop_assert_eq!(done_on + chrono::Duration::days(days_early), due);
            }
            Outcome::Missed { done_on: Some(done_on), days_late } => {
                prop_assert_eq!(Some(done_on), done);
                prop_assert!(done_on > due);
                prop_assert!(days_late > 0);
                prop_assert_eq!(due + chrono::Duration::days(days_late), done_on);
            }
            Outcome::Missed { done_on: None, days_late } => {
                prop_assert!(done.is_none());
                prop_assert!(days_late > 0);
                prop_assert_eq!(due + chrono::Duration::days(days_late), today);
            }
            Outcome::Pending => {
                prop_assert!(done.is_none());
                prop_assert!(today <= due);
            }
        }
    }

    #[test]
    fn calibration_counts_sum_and_intervals_contain_shares(
        preds in proptest::collection::vec((0.0f64..=1.0, any::<bool>()), 0..200)
    ) {
        let c = calibration(&preds);
        prop_assert_eq!(c.groups.iter().map(|g| g.n).sum::<usize>(), preds.len());
        prop_assert_eq!(c.groups.iter().map(|g| g.met).sum::<usize>(), preds.iter().filter(|p| p.1).count());
        for g in &c.groups {
            prop_assert!(g.met <= g.n);
            match (g.share, g.interval, g.expected) {
                (Some(share), Some((lo, hi)), Some(expected)) => {
                    prop_assert!(0.0 <= lo && lo <= share && share <= hi && hi <= 1.0, "{} {} {}", lo, share, hi);
                    prop_assert!(g.lo <= expected && (expected < g.hi || g.hi == 1.0));
                }
                (None, None, None) => prop_assert_eq!(g.n, 0),
                other => prop_assert!(false, "inconsistent group {:?}", other),
            }
        }
    }

    #[test]
    fn slip_days_add_up(dues in proptest::collection::vec(0i64..400, 1..20)) {
        let all: Vec<Deadline> = dues
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let due = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(n);
                let set_on = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(i as i64);
                Deadline { id: i as i64, project: "p".into(), metric: None, due, probability: None, reason: None, set_on }
            })
            .collect();
        let h = histories(&all);
        prop_assert_eq!(h.len(), 1);
        let net: i64 = h[0].changes.iter().map(|c| c.slip_days).sum();
        prop_assert_eq!(net, dues[dues.len() - 1] - dues[0]);
        prop_assert!(h[0].slip_days >= net.max(0));
        prop_assert_eq!(h[0].active().id, (dues.len() - 1) as i64);
    }
}

// ---- done dates of a few scopes ----

/// `deadline list` and `calibration` work out the done dates of the metrics that decide their
/// deadlines' scopes only: those scopes' dates must be exactly the ones worked out from
/// every metric, and a project whose path was not worked out must be absent, never "not done".
#[test]
fn done_dates_of_a_few_scopes_match_the_whole_organizations() {
    use limfac::core::analysis::{done_dates, done_dates_from, metric_done, metrics_deciding};
    use limfac::core::model::{Observation, Project, Snapshot};
    let project = |slug: &str, deps: &[&str]| Project {
        slug: slug.into(),
        name: slug.into(),
        priority: 3,
        owner: None,
        depends_on: deps.iter().map(|d| d.to_string()).collect(),
        archived: false,
    };
    let m =
        |p: &str, name: &str| Metric { project: p.into(), metric: name.into(), ..metric(10.0, Direction::Down, 0.0) };
    // a depends on b; b and c are done, a's own metric too, so a is done when b is.
    let metrics = vec![m("a", "x"), m("b", "y"), m("b", "z"), m("c", "w")];
    let series = [
        vec![("2026-01-05", 20.0), ("2026-01-19", 9.0)],
        vec![("2026-01-05", 30.0), ("2026-02-02", 10.0)],
        vec![("2026-01-12", 11.0), ("2026-01-26", 8.0)],
        vec![("2026-01-05", 12.0), ("2026-01-12", 10.0)],
    ];
    let mut observations = Vec::new();
    for (i, s) in series.iter().enumerate() {
        for &(date, value) in s {
            observations.push(Observation { metric: i as u32, engineer: 0, date: d(date), value });
        }
    }
    let snapshot = Snapshot {
        projects: vec![project("a", &["b"]), project("b", &[]), project("c", &[])],
        engineers: Vec::new(),
        metrics,
        observations,
        blockers: Vec::new(),
        deadlines: Vec::new(),
    };
    let as_of = d("2026-03-01");
    let all = done_dates(&snapshot, as_of);
    assert_eq!(all.get("a"), Some(&d("2026-02-02")), "{all:?}");
    assert_eq!(all.get("c"), Some(&d("2026-01-12")), "{all:?}");

    let keep = metrics_deciding(&snapshot, [("a", None), ("c", Some("w"))]);
    assert_eq!(keep, vec![true, true, true, true]);
    let keep = metrics_deciding(&snapshot, [("a", None)]);
    assert_eq!(keep, vec![true, true, true, false], "a's path is a and b");
    let known: Vec<Option<Option<NaiveDate>>> = (0..snapshot.metrics.len())
        .map(|i| {
            keep[i].then(|| {
                let readings = snapshot.observations_of(i).iter().map(|o| (o.date, o.value));
                metric_done(&snapshot.metrics[i], readings, as_of)
            })
        })
        .collect();
    let some = done_dates_from(&snapshot, &known);
    for scope in ["a", "a/x", "b", "b/y", "b/z"] {
        assert_eq!(some.get(scope), all.get(scope), "{scope}");
    }
    assert!(!some.contains_key("c") && !some.contains_key("c/w"), "c was not worked out: {some:?}");
    // Readings after the as-of date do not count.
    assert_eq!(done_dates(&snapshot, d("2026-01-31")).get("a"), None);
}
