//! `forecast` and `backtest` through the real binary: docs/spec.md §3's JSON field
//! for field, `--as-of`, and verdicts on clear cases.

use crate::common;

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
    // A date to come: nothing is known of it yet, and the hint says so (not "a reading must
    // have happened").
    for args in [&["forecast", "--as-of", "2030-01-01"][..], &["report", "--as-of", "2030-01-01"]] {
        let r = db.refused(args, "--as-of '2030-01-01' is in the future");
        assert!(r.stderr.contains("hint: forecasts use what was known by that date"), "{}", r.stderr);
    }
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

/// No look-ahead: a forecast as of D from a database that also holds later readings equals,
/// byte for byte, the forecast from a database cut at D — the self-calibration included (the
/// demo's history is long enough for it to correct its converging verdict).
#[test]
fn forecasts_never_look_ahead() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    db.cmd().args(["--quiet", "--db", demo.to_str().unwrap(), "demo"]).assert().success();
    let all_csv = db.file("all.csv");
    db.cmd().args(["--db", demo.to_str().unwrap(), "export", "--out", all_csv.to_str().unwrap()]).assert().success();
    let text = std::fs::read_to_string(&all_csv).unwrap();
    let cut = "2026-10-04";
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let early: Vec<&str> = lines.clone().filter(|l| &l[..10] <= cut).collect();
    assert!(early.len() < text.lines().count() - 1, "the demo has readings after {cut}");
    let cut_csv = db.file("cut.csv");
    std::fs::write(&cut_csv, format!("{header}\n{}\n", early.join("\n"))).unwrap();
    let full = TestDb::new();
    full.run(&["import", all_csv.to_str().unwrap(), "--create-missing"]).ok();
    let partial = TestDb::new();
    partial.run(&["import", cut_csv.to_str().unwrap(), "--create-missing"]).ok();
    for args in [
        &["forecast", "--as-of", cut, "--json"][..],
        &["forecast", "chips/yield-pct", "--as-of", cut, "--json"],
        &["calibration", "--forecasts", "--as-of", cut, "--json"],
        &["forecast", "chips", "--history", "6", "--as-of", cut, "--json"],
    ] {
        let a = full.run(args).ok().stdout;
        let b = partial.run(args).ok().stdout;
        assert_eq!(a, b, "{args:?}");
    }
    // And the self-calibration had history to work with.
    let c = partial.json(&["calibration", "--forecasts", "--as-of", cut, "--json"]);
    assert!(c["forecasts"].as_u64().unwrap() >= 30, "{c}");
}

/// `calibration --forecasts` shows per verdict and overall how the replayed forecasts fared,
/// the correction in use and how much history it rests on; `backtest` the same figures per
/// metric and per verdict, with a verdict sentence that follows the figures.
#[test]
fn calibration_and_backtest_show_the_replayed_record() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    db.cmd().args(["--quiet", "--db", demo.to_str().unwrap(), "demo"]).assert().success();
    let d = demo.to_str().unwrap();
    let out = db.cmd().args(["--db", d, "calibration", "--forecasts", "--json"]).output().unwrap();
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(c["forecasts"].as_u64().unwrap() > 0 && c["metrics"].as_u64().unwrap() == 17, "{c}");
    let verdicts = c["verdicts"].as_array().unwrap();
    assert!(verdicts.iter().any(|v| v["verdict"] == "converging"), "{c}");
    for v in verdicts {
        for k in ["forecasts", "finished", "shipped", "corrected", "correction"] {
            assert!(v.get(k).is_some(), "{k} in {v}");
        }
        let corr = v["correction"].as_array().unwrap();
        assert!(corr.windows(2).all(|w| w[0].as_f64() < w[1].as_f64()), "{v}");
    }
    let text =
        String::from_utf8(db.cmd().args(["--db", d, "calibration", "--forecasts"]).output().unwrap().stdout).unwrap();
    assert!(text.contains("replayed") && text.contains("Correction in use"), "{text}");
    let b: serde_json::Value =
        serde_json::from_slice(&db.cmd().args(["--db", d, "backtest", "--json"]).output().unwrap().stdout).unwrap();
    let total = &b["total"];
    let p50 = total["p50_hit_rate"].as_f64().unwrap();
    let inside = total["p10_p90_coverage"].as_f64().unwrap();
    let verdict = total["verdict"].as_str().unwrap();
    // The sentence follows the figures, never a fixed claim.
    assert!(verdict.contains(&format!("{:.0}%", 100.0 * p50)), "{verdict}");
    assert!(verdict.contains(&format!("{:.0}%", 100.0 * inside)), "{verdict}");
    let expect_width = if inside < 0.7 {
        "too narrow"
    } else if inside > 0.9 {
        "wider"
    } else {
        "honest"
    };
    assert!(verdict.contains(expect_width), "{verdict}");
    assert!(b["verdicts"].as_array().unwrap().iter().any(|v| v["verdict"] == "converging"), "{b}");
    // The weekly report says in one line how far its dates can be trusted.
    let r: serde_json::Value =
        serde_json::from_slice(&db.cmd().args(["--db", d, "report", "--format", "json"]).output().unwrap().stdout)
            .unwrap();
    let s = r["forecast_record"]["sentence"].as_str().unwrap();
    assert!(s.contains("replayed forecasts"), "{s}");
}

/// `forecast SCOPE --history WEEKS` shows the p50's drift week by week (table and JSON) for a
/// metric and a project, and `chart SCOPE --history WEEKS` draws the band.
#[test]
fn history_shows_how_the_dates_moved() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    db.cmd().args(["--quiet", "--db", demo.to_str().unwrap(), "demo"]).assert().success();
    let d = demo.to_str().unwrap();
    for scope in ["chips/yield-pct", "chips"] {
        let out = db.cmd().args(["--db", d, "forecast", scope, "--history", "5", "--json"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let weeks = v.as_array().unwrap();
        assert_eq!(weeks.len(), 5, "{v}");
        assert!(weeks.windows(2).all(|w| w[0]["as_of"].as_str() < w[1]["as_of"].as_str()), "{v}");
        for w in weeks {
            for k in ["week", "status", "p10", "p50", "p80", "p90"] {
                assert!(w.get(k).is_some(), "{k} in {w}");
            }
        }
        // The last week is today's forecast.
        let today: serde_json::Value =
            serde_json::from_slice(&db.cmd().args(["--db", d, "forecast", scope, "--json"]).output().unwrap().stdout)
                .unwrap();
        if scope.contains('/') {
            assert_eq!(weeks[4]["p50"], today[0]["p50"], "{v}");
        }
        let t =
            String::from_utf8(db.cmd().args(["--db", d, "forecast", scope, "--history", "5"]).output().unwrap().stdout)
                .unwrap();
        assert!(t.contains("as of") && t.contains("p50"), "{t}");
    }
    let png = db.file("drift.png");
    db.cmd().args(["--db", d, "chart", "chips", "--history", "8", "--out", png.to_str().unwrap()]).assert().success();
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    db.cmd()
        .args(["--db", d, "forecast", "--history", "4"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--history 4 needs a PROJECT or PROJECT/METRIC"));
}

/// The same work imported as weekly readings and as a daily export (each day the latest
/// value) gets the same forecast: a value copied forward is no new evidence.
#[test]
fn a_daily_export_forecasts_as_the_weekly_readings() {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    // A noisy level that does not move, and a count burning down in steps.
    let level = [52.0, 49.5, 51.2, 48.8, 50.9, 49.1, 51.7, 48.6, 50.2, 51.4, 49.0, 50.6, 48.9, 51.1, 49.8, 50.3];
    let count = [30.0, 30.0, 28.0, 28.0, 28.0, 25.0, 24.0, 24.0, 22.0, 22.0, 22.0, 19.0, 18.0, 18.0, 16.0, 15.0];
    let row = |d: chrono::NaiveDate, metric: &str, v: f64| format!("{d},p,{metric},e,{v},note\n");
    let header = "date,project,metric,engineer,value,note,target,direction\n";
    let (mut weekly, mut daily) = (String::from(header), String::from(header));
    for w in 0..16u64 {
        for (metric, values) in [("level", &level), ("count", &count)] {
            let d = start + chrono::Days::new(7 * w);
            weekly += &row(d, metric, values[w as usize]).replace("note\n", "note,0,down\n");
            let days = if w == 15 { 1 } else { 7 };
            for k in 0..days {
                daily += &row(d + chrono::Days::new(k), metric, values[w as usize]).replace("note\n", "note,0,down\n");
            }
        }
    }
    let as_of = (start + chrono::Days::new(7 * 15)).to_string();
    let forecasts: Vec<serde_json::Value> = [weekly, daily]
        .iter()
        .map(|csv| {
            let db = TestDb::new();
            std::fs::write(db.file("in.csv"), csv).unwrap();
            db.run(&["import", "in.csv", "--create-missing"]).ok();
            db.json(&["forecast", "--as-of", &as_of, "--json"])
        })
        .collect();
    let pick = |v: &serde_json::Value, metric: &str| -> serde_json::Value {
        let mut m = v.as_array().unwrap().iter().find(|x| x["metric"] == metric).unwrap().clone();
        let o = m.as_object_mut().unwrap();
        assert!(o.remove("n_points").is_some());
        m
    };
    for metric in ["level", "count"] {
        assert_eq!(pick(&forecasts[0], metric), pick(&forecasts[1], metric), "{metric}");
    }
    assert_eq!(pick(&forecasts[1], "level")["status"], "stalled");
}
