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

/// `point list` over more readings than a table is laid out in memory for (10,000) streams
/// them (a million took 4 GB as a table): every reading once, in the order `--json` gives,
/// in one aligned table under one header.
#[test]
fn a_long_listing_is_streamed_whole_and_aligned() {
    use unicode_width::UnicodeWidthStr;
    let big = TestDb::new();
    big.run(&["--db", big.path.to_str().unwrap(), "demo", "--scale", "0.02"]).ok();
    let json = big.json(&["point", "list", "--json"]);
    let ids: Vec<i64> = json.as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert!(ids.len() > 10_000, "{} readings", ids.len());
    let table = big.run(&["point", "list"]).ok().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), ids.len() + 2, "a header, a rule and one line per reading");
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>().join(" "),
        "id date metric engineer value note review corrected"
    );
    assert!(lines[1].starts_with("---") && lines[1].chars().all(|c| c == '-' || c == ' '), "{}", lines[1]);
    let width = lines[1].width();
    assert!(lines.iter().all(|l| l.width() == width), "every line as wide as the rule");
    let listed: Vec<i64> = lines[2..].iter().map(|l| l.split_whitespace().next().unwrap().parse().unwrap()).collect();
    assert_eq!(listed, ids);
}
