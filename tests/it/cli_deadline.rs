//! Deadlines through the real binary: --p50 agrees with forecast, warnings,
//! resolution from the data points, history, calibration and the calendar.

use crate::common;

use common::TestDb;

fn setup() -> TestDb {
    let db = TestDb::new();
    for args in [
        &["project", "add", "p", "--name", "P", "--priority", "1"][..],
        &["engineer", "add", "e", "--name", "E"],
        &["metric", "add", "p/fall", "--target", "10", "--direction", "down", "--tolerance", "1"],
        &["metric", "add", "p/done", "--target", "10", "--direction", "down", "--tolerance", "1"],
    ] {
        db.run(args).ok();
    }
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 8, 2).unwrap();
    for w in 0..18u64 {
        let d = start + chrono::Days::new(7 * w);
        csv += &format!("{d},p,fall,e,{},n\n", 100.0 - 3.0 * w as f64 + (w % 3) as f64);
        // Reaches the target on 2026-10-25 (week 12) and stays there.
        csv += &format!("{d},p,done,e,{},n\n", if w >= 12 { 10.0 } else { 70.0 - 5.0 * w as f64 });
    }
    std::fs::write(db.file("in.csv"), csv).unwrap();
    db.run(&["import", "in.csv"]).ok();
    db
}

fn json(db: &TestDb, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&db.run(args).ok().stdout).unwrap()
}

#[test]
fn p50_equals_the_forecasts_p50_at_the_same_as_of() {
    let db = setup();
    for as_of in ["2026-11-29", "2026-10-18"] {
        let f = json(&db, &["forecast", "p/fall", "--as-of", as_of, "--json"]);
        db.run(&["deadline", "set", "p/fall", "--p50", "--as-of", as_of, "--reason", "even odds"]).ok();
        let h = json(&db, &["deadline", "history", "--json"]);
        let changes = h[0]["changes"].as_array().unwrap();
        // History is ordered by the day each deadline was set, so find this one.
        let last = changes.iter().find(|c| c["set_on"] == as_of).unwrap();
        assert_eq!(last["due"], f[0]["p50"], "as of {as_of}");
        let p = last["probability"].as_f64().unwrap();
        assert!((0.5..0.7).contains(&p), "a p50 date has at least even odds, not much more: {p}");
    }
}

#[test]
fn project_p50_comes_from_the_joint_simulation() {
    let db = setup();
    let r = json(&db, &["report", "--format", "json"]);
    let p50 = r["projects"][0]["p50"].clone();
    db.run(&["deadline", "set", "p", "--p50"]).ok();
    let list = json(&db, &["deadline", "list", "--json"]);
    assert_eq!(list[0]["scope"], "p");
    assert_eq!(list[0]["due"], p50);
}

#[test]
fn slack_and_fantasy_dates_warn_but_are_kept() {
    let db = setup();
    let r = db.run(&["deadline", "set", "p/fall", "--date", "2029-01-01"]).ok();
    assert!(r.stderr.contains("warning:") && r.stderr.contains("slack"), "{}", r.stderr);
    let r = db.run(&["deadline", "set", "p/fall", "--date", "2026-12-06", "--reason", "pulled in"]).ok();
    assert!(r.stderr.contains("warning:") && r.stderr.contains("fantasy"), "{}", r.stderr);
    let h = json(&db, &["deadline", "history", "--json"]);
    assert_eq!(h[0]["changes"].as_array().unwrap().len(), 2);
    assert_eq!(h[0]["changes"][1]["previous_due"], "2029-01-01");
    db.refused(&["deadline", "set", "p/fall", "--date", "2026-11-01"], "before 2026-11-29");
    db.refused(&["deadline", "set", "p/nope", "--p50"], "metric 'p/nope' does not exist");
    db.refused(&["deadline", "set", "p/fall", "--date", "2026-13-01"], "not a valid date");
    assert_eq!(db.run(&["deadline", "set", "p/fall"]).code, 2, "--p50 or --date is required");
}

#[test]
fn resolution_uses_the_data_points_not_the_clock() {
    let db = setup();
    // Set on 2026-09-06, due 2026-10-18: done 2026-10-25, so missed by 7 days.
    db.run(&["deadline", "set", "p/done", "--date", "2026-10-18", "--as-of", "2026-09-06"]).ok();
    let list = json(&db, &["deadline", "list", "--json"]);
    let d = list.as_array().unwrap().iter().find(|d| d["scope"] == "p/done").unwrap();
    assert_eq!(d["outcome"]["outcome"], "missed");
    assert_eq!(d["outcome"]["days_late"], 7);
    assert_eq!(d["outcome"]["done_on"], "2026-10-25");
    // Moved to 2026-11-01 (a slip set later, as of 2026-09-20): met, 7 days early.
    db.run(&["deadline", "set", "p/done", "--date", "2026-11-01", "--as-of", "2026-09-20", "--reason", "slip"]).ok();
    let list = json(&db, &["deadline", "list", "--json"]);
    let d = list.as_array().unwrap().iter().find(|d| d["scope"] == "p/done").unwrap();
    assert_eq!(d["outcome"]["outcome"], "met");
    assert_eq!(d["outcome"]["days_early"], 7);
    let h = json(&db, &["deadline", "history", "--json"]);
    let s = h.as_array().unwrap().iter().find(|s| s["scope"] == "p/done").unwrap();
    assert_eq!(s["slips"], 1);
    assert_eq!(s["slip_days"], 14);
    let c = json(&db, &["calibration", "--json"]);
    let total: u64 = c["groups"].as_array().unwrap().iter().map(|g| g["n"].as_u64().unwrap()).sum();
    assert_eq!(total, 2, "both changes are resolved predictions: {c}");
    let text = db.run(&["calibration"]).ok().stdout;
    assert!(text.starts_with("50% deadlines met:"), "{text}");
}

#[test]
fn ics_is_valid_and_uids_are_stable() {
    let db = setup();
    db.run(&["deadline", "set", "p/fall", "--p50", "--reason", "one; two, three"]).ok();
    db.run(&["deadline", "ics", "--out", "a.ics"]).ok();
    db.run(&["deadline", "set", "p/fall", "--date", "2027-06-01"]).ok();
    db.run(&["deadline", "ics", "--out", "b.ics"]).ok();
    let a = std::fs::read_to_string(db.file("a.ics")).unwrap();
    let b = std::fs::read_to_string(db.file("b.ics")).unwrap();
    assert_eq!(common::mode(&db.file("a.ics")), 0o600);
    for text in [&a, &b] {
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "bare LF");
        assert!(text.split("\r\n").all(|l| l.len() <= 75), "unfolded line");
        assert!(text.contains("DTSTART;VALUE=DATE:"));
    }
    let uid = |t: &str| t.lines().find(|l| l.starts_with("UID:")).unwrap().to_string();
    assert_eq!(uid(&a), uid(&b), "same scope, same UID");
    assert!(b.contains("DTSTART;VALUE=DATE:20270601"));
    let unfolded = a.replace("\r\n ", "");
    assert!(unfolded.contains("one\\; two\\, three"), "escaped: {unfolded}");
    db.refused(&["deadline", "ics", "--out", "no/dir/x.ics"], "does not exist");
}
