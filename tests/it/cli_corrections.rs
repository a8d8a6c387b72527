//! Correcting the record (issue 14, section 1): amending and retracting
//! readings as new facts (the original stays, with who and when), archiving
//! work, questioning suspicious values, metric bounds, and the whole
//! database through JSON and back.

use crate::common;

use common::{Run, TestDb};
use serde_json::Value;

/// Runs with extra environment settings.
fn run_env(db: &TestDb, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut c = db.cmd();
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.args(args).output().expect("runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// power/output (target 300 kW, up) read weekly: 250, 262, 270, 281.
fn with_history() -> TestDb {
    let db = TestDb::seeded();
    db.run(&["metric", "edit", "power/output", "--target", "300", "--tolerance", "0"]).ok();
    for (v, d) in [("250", "2026-11-01"), ("262", "2026-11-08"), ("270", "2026-11-15"), ("281", "2026-11-22")] {
        db.run(&[
            "log",
            "--metric",
            "power/output",
            "--engineer",
            "alice",
            "--value",
            v,
            "--date",
            d,
            "--note",
            "weekly",
        ])
        .ok();
    }
    db
}

fn forecast(db: &TestDb, metric: &str) -> Value {
    db.json(&["forecast", metric, "--json"])[0].clone()
}

fn dump(db: &TestDb) -> Value {
    serde_json::from_str(&db.dump()).unwrap()
}

/// The issue's story: 2890 typed for 289 made the metric "done"; logging
/// the right value averaged the two. An amendment fixes it, and the slip
/// stays in the record with who made the correction and when.
#[test]
fn an_amendment_corrects_the_forecast_and_keeps_the_original() {
    let db = with_history();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "2890", "--note", "n", "--force"])
        .ok();
    assert_eq!(forecast(&db, "power/output")["status"], "done", "the slip makes it look done");

    let r = run_env(
        &db,
        &[("USER", "elena")],
        &["point", "amend", "5", "--value", "289", "--reason", "typed 2890: a slipped digit"],
    )
    .ok();
    assert!(r.stderr.contains("value 2890 → 289"), "{}", r.stderr);
    let f = forecast(&db, "power/output");
    assert_eq!(f["status"], "converging", "{f}");
    assert_eq!(f["last_value"], 289.0);

    // The original stays: the dump holds the point as logged and the correction.
    let d = dump(&db);
    let p5 = d["points"].as_array().unwrap().iter().find(|p| p["id"] == 5).unwrap();
    assert_eq!(p5["value"], 2890.0, "the reading as first logged is never overwritten");
    let c = &d["corrections"][0];
    assert_eq!((c["point"].as_i64(), c["action"].as_str()), (Some(5), Some("amend")));
    assert_eq!(c["value"], 289.0);
    assert_eq!(c["reason"], "typed 2890: a slipped digit");
    assert_eq!(c["by"], "elena");
    assert_eq!(c["at"], "2026-11-29T12:00:00Z");

    // The history tells it all; the CSV export has the corrected value.
    let h = db.run(&["point", "history", "5"]).ok().stdout;
    assert!(h.contains("logged") && h.contains("value 2890"), "{h}");
    assert!(h.contains("amended") && h.contains("by elena") && h.contains("value 289"), "{h}");
    assert!(h.contains("typed 2890: a slipped digit") && h.contains("2026-11-29T12:00:00Z"), "{h}");
    let hj = db.json(&["point", "history", "5", "--json"]);
    assert_eq!((hj["original"]["value"].as_f64(), hj["current"]["value"].as_f64()), (Some(2890.0), Some(289.0)));
    let csv = db.run(&["export"]).ok().stdout;
    assert!(csv.contains(",289,n") && !csv.contains("2890"), "{csv}");
    let listed = db.json(&["point", "list", "--metric", "power/output", "--json"]);
    assert_eq!(listed[4]["value"], 289.0);
    assert_eq!(listed[4]["amended"], true);

    // Amending the date, note and engineer too; an amendment of nothing is refused.
    let readings = |who: &str| {
        let shown = db.json(&["engineer", "show", who, "--json"]);
        let metrics = shown["metrics"].as_array().expect("metrics").clone();
        metrics.iter().find(|m| m["metric"] == "power/output").map_or(0, |m| m["readings"].as_u64().expect("n"))
    };
    let before = (readings("alice"), readings("wang-xm"));
    assert!(before.0 > 0, "alice gave point 5");
    db.run(&[
        "point",
        "amend",
        "5",
        "--date",
        "2026-11-28",
        "--note",
        "inverter v2.3",
        "--engineer",
        "wang-xm",
        "--reason",
        "r",
    ])
    .ok();
    let now = db.json(&["point", "history", "5", "--json"])["current"].clone();
    assert_eq!((now["date"].as_str(), now["engineer"].as_str()), (Some("2026-11-28"), Some("wang-xm")));
    assert_eq!(now["note"], "inverter v2.3");
    assert_eq!(now["value"], 289.0, "earlier amendments still hold");
    // `engineer show` counts the reading as the engineer the amendment names.
    assert_eq!((readings("alice"), readings("wang-xm")), (before.0 - 1, before.1 + 1));
    db.refused(&["point", "amend", "5", "--reason", "r"], "nothing to change");
    db.refused(&["point", "amend", "5", "--value", "289", "--reason", "r"], "already reads so");
    db.refused(&["point", "amend", "5", "--value", "290", "--reason", " "], "--reason is empty");
    db.refused(&["point", "amend", "99", "--value", "1", "--reason", "r"], "point 99 does not exist");
    db.refused(&["point", "amend", "5", "--date", "2027-01-01", "--reason", "r"], "in the future");
    db.refused(&["point", "amend", "5", "--engineer", "nobody", "--reason", "r"], "engineer 'nobody' does not exist");
    assert_eq!(db.run(&["point", "amend", "5", "--value", "1"]).code, 2, "--reason is required");
}

/// A retracted reading leaves forecasts, reports, charts and blocker lists
/// (with the blockers only it cited), and stays in its history and the dump.
#[test]
fn a_retraction_withdraws_the_reading_and_keeps_its_history() {
    let db = with_history();
    db.run(&[
        "log",
        "--metric",
        "power/output",
        "--engineer",
        "wang-xm",
        "--value",
        "283",
        "--note",
        "meant for chips",
        "--blocker",
        "supplier:wafer lot 9 late",
    ])
    .ok();
    assert_eq!(forecast(&db, "power/output")["n_points"], 5);
    let report = db.run(&["report"]).ok().stdout;
    assert!(report.contains("wafer lot 9 late"), "{report}");

    let r = db.run(&["point", "retract", "5", "--reason", "logged against the wrong metric"]).ok();
    assert!(r.stderr.contains("retracted point 5") && r.stderr.contains("1 blocker"), "{}", r.stderr);
    assert_eq!(forecast(&db, "power/output")["n_points"], 4);
    assert!(!db.run(&["report"]).ok().stdout.contains("wafer lot 9 late"));
    assert!(!db.run(&["blocker", "list"]).ok().stdout.contains("wafer lot 9 late"));
    assert_eq!(db.json(&["point", "list", "--json"]).as_array().unwrap().len(), 4);
    let all = db.json(&["point", "list", "--retracted", "--json"]);
    assert_eq!(all[4]["retracted"], true);

    let d = dump(&db);
    assert_eq!(d["points"].as_array().unwrap().len(), 5, "the point is still in the record");
    assert_eq!(d["blockers"].as_array().unwrap().len(), 1, "and its blocker");
    assert_eq!(d["corrections"][0]["action"], "retract");
    let h = db.run(&["point", "history", "5"]).ok().stdout;
    assert!(h.contains("retracted") && h.contains("logged against the wrong metric"), "{h}");
    assert!(h.contains("left out of forecasts"), "{h}");
    assert!(db.json(&["point", "history", "5", "--json"])["current"].is_null());

    db.refused(&["point", "retract", "5", "--reason", "again"], "was retracted");
    db.refused(&["point", "amend", "5", "--value", "1", "--reason", "r"], "was retracted");
    db.refused(&["point", "retract", "77", "--reason", "r"], "point 77 does not exist");
}

#[test]
fn point_list_filters_and_shows_ids() {
    let db = with_history();
    db.run(&["log", "--metric", "chips/defects", "--engineer", "wang-xm", "--value", "0.4", "--note", "probe"]).ok();
    let ids = |args: &[&str]| -> Vec<i64> {
        let mut a = vec!["point", "list", "--json"];
        a.extend_from_slice(args);
        db.json(&a).as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(ids(&[]), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&["--project", "chips"]), [5]);
    assert_eq!(ids(&["--metric", "power/output", "--from", "2026-11-08", "--to", "2026-11-15"]), [2, 3]);
    assert_eq!(ids(&["--engineer", "wang-xm"]), [5]);
    let review = db.json(&["point", "list", "--json"])[1]["review"].as_i64().unwrap();
    assert_eq!(ids(&["--review", &review.to_string()]), [2]);
    let table = db.run(&["point", "list", "--metric", "power/output"]).ok().stdout;
    assert!(table.lines().next().unwrap().contains("id"), "{table}");
    assert!(table.contains("2026-11-22") && table.contains("281"), "{table}");
    db.refused(&["point", "list", "--metric", "power/outptu"], "does not exist");
    db.refused(&["point", "list", "--from", "2026-11-20", "--to", "2026-11-01"], "after --to");
}

/// Archived work is gone from forecasts, the report and the limiting
/// factor, and kept in lists and the export; un-archiving brings it back.
#[test]
fn archiving_a_project_or_metric_and_bringing_it_back() {
    let db = with_history();
    for (v, d) in [("0.5", "2026-11-01"), ("0.45", "2026-11-08"), ("0.47", "2026-11-15"), ("0.46", "2026-11-22")] {
        db.run(&[
            "log",
            "--metric",
            "chips/defects",
            "--engineer",
            "wang-xm",
            "--value",
            v,
            "--date",
            d,
            "--note",
            "n",
        ])
        .ok();
    }
    db.run(&["deadline", "set", "chips", "--date", "2027-03-01"]).ok();
    let report = db.json(&["report", "--format", "json"]);
    assert_eq!(report["limiting_factor"]["project"], "chips", "{report}");

    db.run(&["project", "archive", "chips", "--reason", "cancelled: bought the chips instead"]).ok();
    let keys: Vec<String> = db
        .json(&["forecast", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}/{}", f["project"].as_str().unwrap(), f["metric"].as_str().unwrap()))
        .collect();
    assert_eq!(keys, ["power/output"]);
    let report = db.json(&["report", "--format", "json"]);
    assert_eq!(report["limiting_factor"]["project"], "power", "{}", report["limiting_factor"]);
    let projects: Vec<&str> =
        report["projects"].as_array().unwrap().iter().map(|p| p["project"].as_str().unwrap()).collect();
    assert!(!projects.contains(&"chips"), "{projects:?}");
    let orbital = report["projects"].as_array().unwrap().iter().find(|p| p["project"] == "orbital").unwrap();
    assert_eq!(orbital["metrics"].as_array().unwrap().len(), 0);
    assert!(db.run(&["deadline", "list", "--json"]).ok().stdout.contains("[]"));
    assert!(db.run(&["project", "list"]).ok().stdout.contains("chips (archived)"));
    let d = dump(&db);
    assert!(d["points"].as_array().unwrap().iter().any(|p| p["project"] == "chips"), "kept in the export");
    let chips = d["projects"].as_array().unwrap().iter().find(|p| p["slug"] == "chips").unwrap();
    assert_eq!(chips["archived"], true);
    assert_eq!(d["archive_events"][0]["reason"], "cancelled: bought the chips instead");
    db.refused(&["project", "archive", "chips"], "already archived");
    let r = db
        .run(&["log", "--metric", "chips/defects", "--engineer", "wang-xm", "--value", "0.45", "--note", "late news"])
        .ok();
    assert!(r.stderr.contains("chips/defects is archived"), "{}", r.stderr);
    assert_eq!(db.json(&["forecast", "--json"]).as_array().unwrap().len(), 1, "still out of forecasts");

    db.run(&["project", "unarchive", "chips"]).ok();
    assert_eq!(db.json(&["forecast", "--json"]).as_array().unwrap().len(), 2);
    db.refused(&["project", "unarchive", "chips"], "is not archived");

    db.run(&["metric", "archive", "chips/defects", "--reason", "superseded by chips/killer-defects"]).ok();
    assert_eq!(db.json(&["forecast", "--json"]).as_array().unwrap().len(), 1);
    assert!(db.run(&["metric", "list"]).ok().stdout.contains("chips/defects (archived)"));
    assert_eq!(db.json(&["metric", "list", "--json"])[1]["archived"], true);
    db.run(&["metric", "unarchive", "chips/defects"]).ok();
    assert_eq!(db.json(&["forecast", "--json"]).as_array().unwrap().len(), 2);
    db.refused(&["metric", "archive", "chips/defectz"], "does not exist");
}

/// A reading far outside the metric's history, or past a physical bound,
/// is questioned: without a terminal it needs --force, named in the error.
#[test]
fn suspicious_values_need_force() {
    let db = with_history();
    let r = db.refused(
        &["log", "--metric", "power/output", "--engineer", "alice", "--value", "2890", "--note", "n"],
        "--force",
    );
    assert!(r.stderr.lines().next().unwrap().contains("10 times the last reading"), "{}", r.stderr);
    // An engineer or reviewer who does not exist is named first: no question about the value
    // whose --force only leads to that error.
    let r =
        db.refused(&["log", "--metric", "power/output", "--engineer", "nobody", "--value", "2890", "--note", "n"], "");
    assert!(r.stderr.starts_with("error: engineer 'nobody' does not exist"), "{}", r.stderr);
    let with_reviewer: Vec<&str> =
        "log --metric power/output --engineer alice --reviewer nob --value 2890 --note n".split(' ').collect();
    let r = db.refused(&with_reviewer, "");
    assert!(r.stderr.starts_with("error: engineer 'nob' does not exist"), "{}", r.stderr);
    db.refused(
        &["log", "--metric", "power/output", "--engineer", "alice", "--value", "28.1", "--note", "n"],
        "--force",
    );
    db.refused(&["point", "amend", "1", "--value", "25000", "--reason", "r"], "--force");
    let r = db.refused(&["point", "amend", "1", "--value", "25000", "--engineer", "nobody", "--reason", "r"], "");
    assert!(r.stderr.starts_with("error: engineer 'nobody' does not exist"), "{}", r.stderr);
    db.run(&["point", "amend", "1", "--value", "25000", "--reason", "r", "--force"]).ok();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "289", "--note", "n"]).ok();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "2890", "--note", "n", "--force"])
        .ok();

    // Bounds: declared, or 0–100 for a percentage.
    db.run(&["metric", "add", "chips/yield", "--target", "90", "--direction", "up", "--unit", "%"]).ok();
    db.refused(&["log", "--metric", "chips/yield", "--engineer", "alice", "--value", "150", "--note", "n"], "0–100");
    db.run(&["metric", "add", "chips/temp", "--target", "60", "--direction", "down", "--min", "-40", "--max", "125"])
        .ok();
    db.refused(&["log", "--metric", "chips/temp", "--engineer", "alice", "--value", "-41", "--note", "n"], "-40–125");
    db.run(&["log", "--metric", "chips/temp", "--engineer", "alice", "--value", "80", "--note", "n"]).ok();
    db.refused(
        &["metric", "add", "chips/a", "--target", "1", "--direction", "up", "--min", "5", "--max", "5"],
        "not below",
    );
    db.refused(
        &["metric", "add", "chips/b", "--target", "200", "--direction", "up", "--max", "100"],
        "outside the bounds",
    );
    db.refused(&["metric", "edit", "chips/temp", "--max", "50"], "outside the bounds");
    db.run(&["metric", "edit", "chips/temp", "--max", "none"]).ok();
    let m = db.json(&["metric", "list", "chips", "--json"]);
    let temp = m.as_array().unwrap().iter().find(|m| m["metric"] == "temp").unwrap();
    assert_eq!((temp["min"].as_f64(), temp["max"].as_f64()), (Some(-40.0), None));
}

/// The whole database through JSON and back: everything (corrections,
/// archive events, deadlines' history, reporting lines...) arrives, and a
/// second export is byte for byte the first.
#[test]
fn json_export_import_round_trip_of_the_demo_is_byte_identical() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    let demo = demo.to_str().unwrap();
    db.run(&["--db", demo, "demo"]).ok();
    db.run(&["--db", demo, "point", "amend", "12", "--value", "3.4", "--reason", "decimal slipped", "--force"]).ok();
    db.run(&["--db", demo, "point", "retract", "13", "--reason", "duplicate"]).ok();
    db.run(&["--db", demo, "metric", "archive", "chips/yield-pct", "--reason", "superseded"]).ok();
    db.run(&["--db", demo, "project", "archive", "launch", "--reason", "cancelled"]).ok();
    db.run(&["--db", demo, "project", "unarchive", "launch", "--reason", "back on"]).ok();
    db.run(&["--db", demo, "export", "--format", "json", "--out", "first.json"]).ok();

    let copy = db.file("copy.db");
    let copy = copy.to_str().unwrap();
    let r = db.run(&["--db", copy, "import", "first.json"]).ok();
    assert!(r.stderr.contains("created a new database"), "{}", r.stderr);
    db.run(&["--db", copy, "export", "--format", "json", "--out", "second.json"]).ok();
    let first = std::fs::read(db.file("first.json")).unwrap();
    let second = std::fs::read(db.file("second.json")).unwrap();
    assert!(first == second, "a second export differs from the first");

    let d: Value = serde_json::from_slice(&first).unwrap();
    for key in ["projects", "engineers", "metrics", "reviews", "points", "corrections", "blockers", "deadlines"] {
        assert!(!d[key].as_array().unwrap().is_empty(), "{key} empty");
    }
    assert_eq!(d["archive_events"].as_array().unwrap().len(), 3);
    assert!(d["projects"].as_array().unwrap().iter().any(|p| !p["depends_on"].as_array().unwrap().is_empty()));
    assert!(d["engineers"].as_array().unwrap().iter().any(|e| !e["reports_to"].is_null()));
    assert!(d["blockers"].as_array().unwrap().iter().any(|b| !b["resolved"].is_null()));
    assert!(d["blockers"].as_array().unwrap().iter().any(|b| !b["point"].is_null()));
    // The restored database reports what the original does.
    let report = |path: &str| db.run(&["--db", path, "report", "--format", "json"]).ok().stdout;
    assert_eq!(report(demo), report(copy));
    let deadlines = |path: &str| db.run(&["--db", path, "deadline", "history", "--json"]).ok().stdout;
    assert_eq!(deadlines(demo), deadlines(copy));

    // Only into an empty database, and a broken file writes nothing.
    let before = db.run(&["--db", copy, "export", "--format", "json"]).ok().stdout;
    db.run(&["--db", copy, "import", "first.json"]).fails_with("already holds data");
    let broken = String::from_utf8(first).unwrap().replacen("\"note\": \"", "\"note\": \"   \", \"x\": \"", 1);
    std::fs::write(db.file("broken.json"), broken).unwrap();
    let fresh = db.file("fresh.db");
    db.run(&["--db", fresh.to_str().unwrap(), "import", "broken.json"]).fails_with("note is empty");
    assert!(!fresh.exists(), "a failed first import leaves no database behind");
    db.run(&["--db", copy, "import", "first.json", "--create-missing"]).fails_with("applies to a CSV file");
    assert_eq!(before, db.run(&["--db", copy, "export", "--format", "json"]).ok().stdout);
}

/// Schema version 2 (corrections, archive events, bounds) upgrades a
/// version-1 database in place; the new capabilities then work on it.
#[test]
fn a_version_1_database_upgrades_and_takes_corrections() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema/v1.db");
    let db = TestDb::new();
    std::fs::copy(&fixture, &db.path).unwrap();
    assert_eq!(db.health().schema_version, limfac::store::migrations::LATEST);
    let before = dump(&db);
    assert_eq!(before["corrections"], serde_json::json!([]));
    assert_eq!(before["points"].as_array().unwrap().len(), 4);
    db.run(&["point", "amend", "2", "--value", "91.5", "--reason", "re-read the meter"]).ok();
    db.run(&["point", "retract", "3", "--reason", "wrong lot"]).ok();
    db.run(&["project", "archive", "orbital"]).ok();
    db.run(&["metric", "edit", "power/output", "--min", "0", "--max", "500"]).ok();
    let after = dump(&db);
    assert_eq!(after["points"], before["points"], "the readings themselves are untouched");
    assert_eq!(after["corrections"].as_array().unwrap().len(), 2);
    assert_eq!(after["metrics"][0]["max"], 500.0);
    let listed: Vec<i64> =
        db.json(&["point", "list", "--json"]).as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(listed, [1, 2, 4]);
    assert_eq!(db.health().count("point"), 4);
    assert_eq!(db.health().count("correction"), 2);
    assert_eq!(db.health().count("archive_event"), 1);
}

/// Re-importing an export made before or after a correction adds nothing:
/// a corrected reading is known as first logged and as it stands now, and
/// a retracted one is not brought back.
#[test]
fn re_importing_an_export_respects_corrections() {
    let db = with_history();
    db.run(&["export", "--out", "before.csv"]).ok();
    db.run(&["point", "amend", "2", "--value", "263", "--note", "re-read", "--reason", "meter re-read"]).ok();
    db.run(&["point", "retract", "3", "--reason", "duplicate"]).ok();
    db.run(&["export", "--out", "after.csv"]).ok();
    let before = db.dump();
    for file in ["before.csv", "after.csv"] {
        let s = db.json(&["import", file, "--json"]);
        assert_eq!(s["points"], 0, "{file}: {s}");
    }
    assert_eq!(before, db.dump(), "nothing added, nothing brought back");
    assert_eq!(db.json(&["point", "list", "--json"]).as_array().unwrap().len(), 3);
}

/// `log` compares a new value with the metric's last readings without reading its whole
/// history: the count and the last `n` it reads are those of the whole history, as it stands
/// after amendments that change values and move dates and after retractions, with and
/// without leaving one point out (`point amend` checks a point against the others).
#[test]
fn the_recent_history_log_reads_is_the_end_of_the_whole_history() {
    let db = TestDb::seeded();
    let mut rng = common::SplitMix(17);
    // 60 readings on 40 days (several on one day), logged out of order.
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    for i in 0..60 {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + chrono::Days::new(rng.below(40));
        csv.push_str(&format!("{day},power,output,alice,{},reading {i}\n", 100 + rng.below(50)));
    }
    std::fs::write(db.file("h.csv"), csv).unwrap();
    db.run(&["import", db.file("h.csv").to_str().unwrap()]).ok();
    // Corrections: new values, readings moved to the newest days and to the oldest, retractions.
    let mut done = [0; 4];
    for round in 0..24u64 {
        let id = (1 + rng.below(60)).to_string();
        let args: Vec<String> = match round % 4 {
            0 => vec!["point".into(), "amend".into(), id, "--value".into(), (200 + round).to_string()],
            1 => vec!["point".into(), "amend".into(), id, "--date".into(), format!("2026-10-{:02}", 8 + round % 3)],
            2 => vec!["point".into(), "amend".into(), id, "--date".into(), "2026-08-20".into()],
            _ => vec!["point".into(), "retract".into(), id],
        };
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--reason", "test"]);
        if round % 4 == 0 {
            args.push("--force");
        }
        let r = db.run(&args);
        if r.code == 0 {
            done[(round % 4) as usize] += 1;
        } else {
            // Only a point already retracted may refuse a change.
            assert!(r.stderr.contains("retracted"), "{args:?}: {}", r.stderr);
        }
    }
    assert!(done.iter().all(|&n| n >= 3), "corrections that took, per kind: {done:?}");
    let store = limfac::store::Store::open_for_reading(
        &db.path,
        limfac::platform::clock::Clock::fixed(chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()),
    )
    .unwrap();
    for except in [None, Some(3), Some(17), Some(59)] {
        let whole = store.history_of("power", "output", except).unwrap();
        for n in [1, 3, 10, 100] {
            let (count, recent) = store.recent_history_of("power", "output", except, n).unwrap();
            assert_eq!(count, whole.len(), "except {except:?}");
            assert_eq!(recent, whole[whole.len().saturating_sub(n)..], "except {except:?}, n {n}");
        }
    }
}

/// `point list --project/--metric` reads only those metrics' readings (through the index),
/// and lists exactly what the whole list holds of them, corrections applied: a reading
/// moved to another date or engineer, or retracted, is where it now belongs.
#[test]
fn a_filtered_list_is_the_whole_list_filtered_corrections_included() {
    let db = TestDb::new();
    db.run(&["--db", db.path.to_str().unwrap(), "demo"]).ok();
    let ids: Vec<String> = db
        .json(&["point", "list", "--metric", "chips/yield-pct", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].to_string())
        .collect();
    assert!(ids.len() > 6);
    db.run(&["point", "amend", &ids[1], "--date", "2026-11-20", "--reason", "typed the wrong week"]).ok();
    db.run(&["point", "amend", &ids[2], "--engineer", "wang-xm", "--value", "46", "--reason", "misattributed"]).ok();
    db.run(&["point", "retract", &ids[3], "--reason", "a bad lot"]).ok();
    let all = db.json(&["point", "list", "--retracted", "--json"]);
    let all = all.as_array().unwrap();
    let of = |keep: &dyn Fn(&Value) -> bool| -> Vec<Value> { all.iter().filter(|p| keep(p)).cloned().collect() };
    let retracted = |p: &Value| p["retracted"] == true;
    for (args, keep) in [
        (
            vec!["--metric", "chips/yield-pct"],
            Box::new(|p: &Value| p["project"] == "chips" && p["metric"] == "yield-pct" && !retracted(p))
                as Box<dyn Fn(&Value) -> bool>,
        ),
        (
            vec!["--metric", "chips/yield-pct", "--retracted"],
            Box::new(|p: &Value| p["project"] == "chips" && p["metric"] == "yield-pct"),
        ),
        (vec!["--project", "chips"], Box::new(|p: &Value| p["project"] == "chips" && !retracted(p))),
        (
            vec!["--project", "chips", "--engineer", "wang-xm", "--from", "2026-07-01"],
            Box::new(|p: &Value| {
                p["project"] == "chips"
                    && p["engineer"] == "wang-xm"
                    && p["date"].as_str().unwrap() >= "2026-07-01"
                    && !retracted(p)
            }),
        ),
    ] {
        let mut cmd = vec!["point", "list", "--json"];
        cmd.extend(args.iter().copied());
        let listed = db.json(&cmd);
        let expected = of(&*keep);
        assert!(!expected.is_empty(), "{args:?}");
        assert_eq!(listed.as_array().unwrap(), &expected, "{args:?}");
    }
    // The moved reading is listed at its new date, among the metric's others.
    let listed = db.json(&["point", "list", "--metric", "chips/yield-pct", "--json"]);
    let dates: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"].as_i64() == ids[1].parse::<i64>().ok() && p["date"] == "2026-11-20"));
}

/// Commands that forecast one project or metric refuse archived work with one error line and
/// the command that brings it back: `chart` and `deadline set --p50` panicked on it, and
/// `forecast SCOPE --history` called an archived project unknown.
#[test]
fn archived_work_is_refused_by_the_commands_that_forecast_it() {
    let db = TestDb::seeded_with_readings();
    db.run(&["project", "archive", "power", "--reason", "cancelled"]).ok();
    let png = db.file("c.png");
    let png = png.to_str().unwrap();
    for args in [
        &["chart", "power", "--out", png][..],
        &["chart", "power/output", "--out", png],
        &["chart", "power", "--history", "4", "--out", png],
        &["forecast", "power"],
        &["forecast", "power/output", "--history", "3"],
        &["backtest", "power"],
        &["deadline", "set", "power", "--p50"],
        &["deadline", "set", "power/output", "--p50"],
    ] {
        let r = db.refused(args, "project power is archived");
        assert!(r.stderr.contains("hint: bring it back first: limfac project unarchive power"), "{}", r.stderr);
    }
    assert!(!png_exists(&db), "a chart was written");
    db.run(&["project", "unarchive", "power"]).ok();
    db.run(&["metric", "archive", "power/output", "--reason", "superseded"]).ok();
    for args in [&["chart", "power/output", "--out", png][..], &["deadline", "set", "power/output", "--p50"]] {
        let r = db.refused(args, "metric power/output is archived");
        assert!(r.stderr.contains("limfac metric unarchive power/output"), "{}", r.stderr);
    }
    db.run(&["metric", "unarchive", "power/output"]).ok();
    db.run(&["--quiet", "chart", "power/output", "--out", png]).ok();
    assert!(png_exists(&db));
}

fn png_exists(db: &TestDb) -> bool {
    db.file("c.png").exists()
}
