//! The hot queries use their indexes (checked with EXPLAIN QUERY PLAN, not
//! timed), and a bulk import, which drops and rebuilds the point indexes
//! inside its transaction, leaves every index in place.

use chrono::NaiveDate;
use limfac::platform::clock::Clock;
use limfac::store::Store;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("perf.db"), Clock::fixed(today())).unwrap()
}

fn uses(store: &Store, sql: &str, index: &str) {
    let plan = store.explain(sql).unwrap();
    assert!(
        plan.contains(&format!("USING INDEX {index}")) || plan.contains(&format!("USING COVERING INDEX {index}")),
        "{sql}\nshould use {index}, plan:\n{plan}"
    );
    assert!(!plan.contains("SCAN point") || plan.contains("USING"), "{sql}\nscans the point table:\n{plan}");
}

#[test]
fn hot_queries_use_their_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir);
    // A metric's points by date: forecasts of one metric, charts, `log`'s last value.
    uses(&s, "SELECT metric_id, engineer_id, date, value FROM point WHERE metric_id = 7", "point_by_metric_date");
    uses(
        &s,
        "SELECT date, value FROM point WHERE metric_id = 7 ORDER BY date DESC, id DESC LIMIT 1",
        "point_by_metric_date",
    );
    uses(&s, "SELECT value FROM point WHERE metric_id = 7 AND date <= '2026-11-01'", "point_by_metric_date");
    // A chunk of metrics' rows gathered (`Store::readings_gathered`): their ids from the index
    // alone, then the rows by id.
    uses(&s, "SELECT id FROM point WHERE metric_id IN rarray(NULL)", "point_by_metric_date");
    let plan = s.explain("SELECT p.id FROM rarray(NULL) AS wanted JOIN point AS p ON p.id = wanted.value").unwrap();
    assert!(plan.contains("SCAN wanted") && plan.contains("SEARCH p USING INTEGER PRIMARY KEY"), "{plan}");
    // An engineer's points by date: `engineer show`, coverage.
    uses(&s, "SELECT date FROM point WHERE engineer_id = 3 AND date >= '2026-01-01'", "point_by_engineer_date");
    uses(
        &s,
        "SELECT r.id, count(*) FROM point pt JOIN review r ON r.id = pt.review_id WHERE pt.engineer_id = 3 GROUP BY r.id",
        "point_by_engineer_date",
    );
    // The day-review lookup every `log` and import does.
    uses(
        &s,
        "SELECT id FROM review WHERE date = '2026-11-30' AND kind = 'weekly' AND reviewer_id IS 1 ORDER BY id LIMIT 1",
        "review_by_day",
    );
    // A review's points (`review show`).
    uses(&s, "SELECT id FROM point WHERE review_id = 12", "point_by_review");
    // Blockers of a point (export) and open blockers of a project.
    uses(&s, "SELECT category FROM blocker WHERE point_id = 5", "blocker_by_point");
    uses(&s, "SELECT id FROM blocker WHERE project_id = 2 AND resolved IS NULL", "blocker_by_project");
}

#[test]
fn bulk_import_keeps_every_index_and_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    // 110 metrics x 500 readings = 55,000 points: past the bulk threshold.
    let data = limfac::demo::scale::generate(0.055, today());
    assert!(data.n_points() > 50_000);
    limfac::demo::load::load_scale(&mut s, &data).unwrap();
    let d = s.doctor().unwrap();
    assert!(d.healthy(), "{d:?}");
    let points = d.counts.iter().find(|(t, _)| t == "point").unwrap().1;
    assert_eq!(points as u64, data.n_points());
    uses(&s, "SELECT value FROM point WHERE metric_id = 7 AND date <= '2026-11-01'", "point_by_metric_date");
    uses(&s, "SELECT date FROM point WHERE engineer_id = 3 AND date >= '2026-01-01'", "point_by_engineer_date");
    uses(&s, "SELECT id FROM point WHERE review_id = 12", "point_by_review");
    // The snapshot read through the index agrees with the one read by a scan.
    let whole = s.snapshot().unwrap();
    let m = &whole.metrics[3];
    let one = s.snapshot_scoped(Some((&m.project, Some(&m.metric)))).unwrap();
    let keep: Vec<bool> = (0..whole.metrics.len()).map(|i| i == 3).collect();
    let restricted = limfac::core::model::restrict_metrics(whole.clone(), &keep);
    assert_eq!(one.metrics, restricted.metrics);
    assert_eq!(one.observations, restricted.observations);
    // Rows gathered by id (`readings_gathered`) are the readings read metric by metric
    // (`readings_of`) and by a scan, corrections included: an amended value, date and
    // engineer, and a retraction.
    let engineer = whole.engineers[5].handle.clone();
    let amend = limfac::store::Amendment {
        value: Some(1.5),
        note: None,
        date: Some(NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()),
        engineer: Some(engineer),
    };
    s.amend_point(40, &amend, "typo", None).unwrap();
    s.amend_point(41, &limfac::store::Amendment { value: Some(2.5), ..Default::default() }, "r", None).unwrap();
    s.retract_point(42, "wrong metric", None).unwrap();
    let (snapshot, ids) = s.snapshot_without_points().unwrap();
    assert!(ids.metrics.len() >= 100 && snapshot.metrics.len() == ids.metrics.len());
    let engineers: rustc_hash::FxHashMap<i64, u32> =
        ids.engineers.iter().enumerate().map(|(i, id)| (*id, i as u32)).collect();
    let overlays = s.corrections_folded().unwrap();
    let gathered = s.readings_gathered(&ids.metrics, &engineers, &overlays).unwrap();
    let one_by_one: Vec<Vec<(u32, NaiveDate, f64)>> = s
        .readings_of(&ids.metrics, &overlays)
        .unwrap()
        .into_iter()
        .map(|v| v.into_iter().map(|r| (engineers[&r.engineer_id], r.date, r.value)).collect())
        .collect();
    assert_eq!(gathered, one_by_one);
    let max_id = d.counts.iter().find(|(t, _)| t == "point").unwrap().1;
    assert_eq!(gathered, s.readings_scan(&ids.metrics, &engineers, &overlays, max_id).unwrap());
    assert!(gathered.iter().flatten().any(|r| r.2 == 1.5) && gathered.iter().flatten().any(|r| r.2 == 2.5));
    assert_eq!(gathered.iter().map(Vec::len).sum::<usize>() as u64, data.n_points() - 1);
    // Foreign keys are back on after the import.
    let fk: i64 = {
        let d = s.doctor().unwrap();
        d.foreign_key_violations
    };
    assert_eq!(fk, 0);
}
