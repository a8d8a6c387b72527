//! `forecast` and `backtest` through the real binary: SPEC §3's JSON field
//! for field, `--as-of`, and verdicts on clear cases.

mod common;

use common::TestDb;

fn setup() -> TestDb {
    let db = TestDb::new();
    for args in [
        &["project", "add", "p", "--name", "P"][..],
        &["engineer", "add", "e", "--name", "E"],
        &["engineer", "add", "f", "--name", "F"],
        &["metric", "add", "p/fall", "--target", "10", "--direction", "down", "--unit", "ms"],
        &["metric", "add", "p/rise", "--target", "100", "--direction", "up", "--tolerance", "1"],
        &["metric", "add", "p/new", "--target", "1", "--direction", "up"],
    ] {
        db.run(args).ok();
    }
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 8, 2).unwrap();
    for w in 0..18u64 {
        let d = start + chrono::Days::new(7 * w);
        // Two engineers on one metric, slightly different readings.
        csv += &format!("{d},p,fall,e,{},falling\n", 100.0 - 4.0 * w as f64 + (w % 3) as f64);
        csv += &format!("{d},p,fall,f,{},falling too\n", 101.0 - 4.0 * w as f64);
        csv += &format!("{d},p,rise,e,{},rising away\n", 50.0 - 1.5 * w as f64 + (w % 2) as f64);
    }
    csv += "2026-11-20,p,new,e,0.2,first\n2026-11-27,p,new,e,0.3,second\n";
    std::fs::write(db.file("in.csv"), csv).unwrap();
    db.run(&["import", "in.csv"]).ok();
    db
}

fn json(db: &TestDb, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&db.run(args).ok().stdout).unwrap()
}

#[test]
fn forecast_json_has_every_spec_field() {
    let db = setup();
    let v = json(&db, &["forecast", "--json"]);
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 3);
    for f in all {
        for key in [
            "project",
            "metric",
            "status",
            "model",
            "n_points",
            "last_date",
            "last_value",
            "target",
            "direction",
            "tolerance",
            "p10",
            "p50",
            "p80",
            "p90",
            "deadline",
            "p_on_time",
            "off_path",
            "reason",
        ] {
            assert!(f.get(key).is_some(), "forecast JSON lacks {key}: {f}");
        }
        assert!(!f["reason"].as_str().unwrap().is_empty());
    }
    let fall = all.iter().find(|f| f["metric"] == "fall").unwrap();
    assert_eq!(fall["status"], "converging");
    assert_eq!(fall["n_points"], 36, "both engineers' readings form one series");
    assert_eq!(fall["direction"], "down");
    let dates: Vec<&str> = ["p10", "p50", "p80", "p90"].iter().map(|k| fall[*k].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "quantiles ordered: {dates:?}");
    assert!(dates[1] > "2026-11-29", "p50 {} is in the future", dates[1]);
    let rise = all.iter().find(|f| f["metric"] == "rise").unwrap();
    assert_eq!(rise["status"], "diverging");
    assert_eq!(rise["p50"], serde_json::Value::Null);
    let new = all.iter().find(|f| f["metric"] == "new").unwrap();
    assert_eq!(new["status"], "insufficient_data");
    assert_eq!(new["p50"], serde_json::Value::Null);
}

#[test]
fn as_of_uses_only_earlier_points_and_is_deterministic() {
    let db = setup();
    let early = json(&db, &["forecast", "p/fall", "--as-of", "2026-09-06", "--json"]);
    assert_eq!(early[0]["last_date"], "2026-09-06");
    assert_eq!(early[0]["n_points"], 12);
    let again = json(&db, &["forecast", "p/fall", "--as-of", "2026-09-06", "--json"]);
    assert_eq!(early, again, "same data, same answer");
    let none = json(&db, &["forecast", "p/fall", "--as-of", "2026-08-01", "--json"]);
    assert_eq!(none[0]["status"], "insufficient_data");
    assert_eq!(none[0]["n_points"], 0);
}

#[test]
fn forecast_table_and_errors() {
    let db = setup();
    let t = db.run(&["forecast", "p"]).ok().stdout;
    assert!(t.contains("p/fall") && t.contains("converging") && t.contains("diverging"), "{t}");
    let r = db.refused(&["forecast", "p/fal"], "metric 'p/fal' does not exist");
    assert!(r.stderr.contains("did you mean 'p/fall'?"), "{}", r.stderr);
    db.refused(&["forecast", "--as-of", "2026-02-30"], "not a valid date");
    db.refused(&["forecast", "nope"], "project 'nope' does not exist");
}

#[test]
fn backtest_reports_calibration() {
    let db = setup();
    let v = json(&db, &["backtest", "p/fall", "--json"]);
    let m = &v["metrics"][0];
    assert!(m["forecasts"].as_u64().unwrap() >= 10, "{m}");
    let total = &v["total"];
    assert_eq!(total["forecasts"], m["forecasts"]);
    for key in ["p50_hit_rate", "p80_hit_rate", "p10_p90_coverage", "median_p50_error_weeks"] {
        assert!(total.get(key).is_some(), "{key}");
    }
    let t = db.run(&["backtest"]).ok().stdout;
    assert!(t.contains("p/fall") && t.contains("all"), "{t}");
}
