//! A metric inside a large generated organization is forecast exactly as the
//! same series alone in a small database (not timed: `demo --scale 0.01`).

use crate::common;

use common::TestDb;

fn forecast_json(db: &TestDb, scope: Option<&str>) -> serde_json::Value {
    let mut args = vec!["forecast", "--json"];
    args.extend(scope);
    let run = db.run(&args).ok();
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn a_metric_in_a_large_dataset_forecasts_as_it_does_alone() {
    let big = TestDb::new();
    big.run(&["--db", big.path.to_str().unwrap(), "demo", "--scale", "0.01"]).ok();
    let all = forecast_json(&big, None);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 20);
    // A metric with no deadline (the small database will have none) and a
    // long history (more dates than a forecast looks at, so the cap is the same too).
    let mut view = all
        .iter()
        .rev()
        .find(|v| v["deadline"].is_null() && v["status"] != "done" && v["n_points"].as_u64() > Some(150))
        .expect("a metric with readings")
        .clone();
    // The display name is not in the import format; everything else must agree.
    view.as_object_mut().unwrap().remove("name");
    let (project, metric) = (view["project"].as_str().unwrap(), view["metric"].as_str().unwrap());
    let key = format!("{project}/{metric}");

    // The same readings, and the metric's definition, exported and loaded alone.
    let csv = big.file("all.csv");
    big.run(&["export", "--out", csv.to_str().unwrap()]).ok();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let mut only = String::from(lines.next().unwrap());
    only.push('\n');
    let mut n = 0;
    for line in lines.filter(|l| l.contains(&format!(",{project},{metric},"))) {
        only.push_str(line);
        only.push('\n');
        n += 1;
    }
    assert!(n >= 150, "{n} readings");
    let small = TestDb::new();
    let file = small.file("one.csv");
    std::fs::write(&file, only).unwrap();
    small.run(&["import", file.to_str().unwrap(), "--create-missing"]).ok();

    let mut alone = forecast_json(&small, Some(&key));
    assert_eq!(alone.as_array().unwrap().len(), 1);
    alone[0].as_object_mut().unwrap().remove("name");
    assert_eq!(alone[0], view, "{key} alone differs from {key} in the large organization");
    // And scoped to the metric in the large database (reads only its points).
    let mut scoped = forecast_json(&big, Some(&key));
    scoped[0].as_object_mut().unwrap().remove("name");
    assert_eq!(scoped[0], view);
}

#[test]
fn scale_demo_writes_a_csv_that_imports_whole() {
    let db = TestDb::new();
    let csv = db.file("scale.csv");
    db.run(&["demo", "--scale", "0.01", "--csv", csv.to_str().unwrap()]).ok();
    let run = db.run(&["import", csv.to_str().unwrap(), "--create-missing", "--json"]).ok();
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["points"], 10_000);
    assert_eq!(summary["created_metrics"].as_array().unwrap().len(), 20);
}
