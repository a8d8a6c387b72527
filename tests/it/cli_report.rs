//! The limiting factor and the weekly report, on purpose-built organizations
//! (docs/spec.md §4), through the real binary.

use crate::common;

use common::TestDb;

/// Weekly readings ending on TODAY (2026-11-29, a Sunday), `weeks` of them,
/// from a gap function `gap(week_index)` → value for a `down` metric with target 0.
fn series(db: &TestDb, metric: &str, engineer: &str, weeks: usize, gap: impl Fn(usize) -> f64) -> String {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let mut csv = String::new();
    for w in 0..weeks {
        let date = today - chrono::Days::new(7 * (weeks - 1 - w) as u64);
        let (p, m) = metric.split_once('/').unwrap();
        csv.push_str(&format!("{date},{p},{m},{engineer},{:.4},week {w} reading\n", gap(w)));
    }
    let _ = db;
    csv
}

/// Small deterministic jitter so series are not perfectly straight.
fn jitter(w: usize, scale: f64) -> f64 {
    let x = ((w as f64 * 12.9898).sin() * 43758.5453).fract();
    (x - 0.5) * scale
}

fn org(db: &TestDb) {
    for args in [
        &["project", "add", "a", "--name", "A", "--priority", "2"][..],
        &["project", "add", "b", "--name", "B", "--priority", "2"],
        &["project", "add", "goal", "--name", "Goal", "--priority", "1", "--depends-on", "a", "--depends-on", "b"],
        &["project", "add", "side", "--name", "Side", "--priority", "5"],
        &["engineer", "add", "lead", "--name", "Lead"],
        &["engineer", "add", "eng", "--name", "Eng", "--reports-to", "lead"],
        &["metric", "add", "a/medium", "--target", "0", "--direction", "down", "--tolerance", "1"],
        &["metric", "add", "b/slow", "--target", "0", "--direction", "down", "--tolerance", "1"],
        &["metric", "add", "goal/own", "--target", "0", "--direction", "down", "--tolerance", "1"],
        &["metric", "add", "side/drift", "--target", "0", "--direction", "down", "--tolerance", "1"],
    ] {
        db.run(args).ok();
    }
}

fn import(db: &TestDb, rows: &str) {
    let path = db.file("rows.csv");
    std::fs::write(&path, format!("date,project,metric,engineer,value,note\n{rows}")).unwrap();
    db.run(&["import", path.to_str().unwrap()]).ok();
}

fn report_json(db: &TestDb, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["report", "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&db.run(&args).ok().stdout).unwrap()
}

fn lf(r: &serde_json::Value, key: &str) -> String {
    format!("{}/{}", r[key]["project"].as_str().unwrap_or("-"), r[key]["metric"].as_str().unwrap_or("-"))
}

/// (a) the slowest-converging metric on the goal's path is the limiting factor.
#[test]
fn slowest_metric_on_the_goals_path_limits() {
    let db = TestDb::new();
    org(&db);
    let mut rows = String::new();
    rows += &series(&db, "a/medium", "eng", 14, |w| 100.0 - 5.0 * w as f64 + jitter(w, 2.0));
    rows += &series(&db, "b/slow", "eng", 14, |w| 100.0 - 1.5 * w as f64 + jitter(w + 3, 2.0));
    rows += &series(&db, "goal/own", "eng", 14, |w| (60.0 - 6.0 * w as f64).max(0.2) + jitter(w, 0.1).abs());
    rows += &series(&db, "side/drift", "eng", 14, |w| 50.0 - 1.0 * w as f64 + jitter(w, 1.0));
    import(&db, &rows);
    let r = report_json(&db, &[]);
    assert_eq!(lf(&r, "limiting_factor"), "b/slow", "{:#}", r["limiting_factor"]);
    assert_eq!(r["limiting_factor"]["status"], "converging");
    let crit = r["limiting_factor"]["criticality"].as_f64().unwrap();
    assert!(crit > 0.5, "criticality {crit}");
    let goal = r["projects"].as_array().unwrap().iter().find(|p| p["project"] == "goal").unwrap();
    assert_eq!(goal["limiting_metric"], "b/slow");
    assert!(r["limiting_factor"]["reason"].as_str().unwrap().contains("goal"), "{}", r["limiting_factor"]["reason"]);
    // (f) attention shares sum to 1 and the limiting factor's project gets the most, twice weekly.
    let att = r["attention"].as_array().unwrap();
    let sum: f64 = att.iter().map(|a| a["share"].as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-9, "shares sum to {sum}");
    assert_eq!(att[0]["project"], "b");
    assert_eq!(att[0]["cadence"], "twice-weekly");
    assert!(att.iter().all(|a| a["share"].as_f64().unwrap() <= att[0]["share"].as_f64().unwrap()));
}

/// (b) once that metric is done, the next one becomes the limiting factor and the report says it changed.
#[test]
fn when_the_limiting_metric_is_done_the_next_one_takes_over() {
    let db = TestDb::new();
    org(&db);
    let mut rows = String::new();
    rows += &series(&db, "a/medium", "eng", 14, |w| 100.0 - 3.0 * w as f64 + jitter(w, 2.0));
    // Slow for 13 weeks, then the fix lands: done this week.
    rows +=
        &series(&db, "b/slow", "eng", 14, |w| if w == 13 { 0.5 } else { 100.0 - 1.5 * w as f64 + jitter(w + 3, 2.0) });
    rows += &series(&db, "goal/own", "eng", 14, |w| (60.0 - 6.0 * w as f64).max(0.2));
    import(&db, &rows);
    let r = report_json(&db, &[]);
    assert_eq!(lf(&r, "limiting_factor_previous"), "b/slow");
    assert_eq!(lf(&r, "limiting_factor"), "a/medium");
    let change = r["change"].as_str().unwrap();
    assert!(change.starts_with("Changed"), "{change}");
    assert!(change.contains("b/slow") && change.contains("a/medium"), "{change}");
    let changes = r["status_changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["metric"] == "b/slow" && c["to"] == "done"),
        "the metric that got done is listed: {changes:?}"
    );
    let h = report_json(&db, &["--history", "3"]);
    let runs = h["limiting_factor_history"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0]["limiting_factor"], "b/slow");
    assert_eq!(runs[0]["weeks"], 2);
    assert_eq!(runs[1]["limiting_factor"], "a/medium");
    assert!(r["limiting_factor_history"].as_array().unwrap().is_empty(), "no history unless asked");
    let md = db.run(&["report"]).ok().stdout;
    assert!(md.contains("Changed: the limiting factor moved from b to a"), "{md}");
    assert!(md.contains("- b/slow:") && md.contains("→ ✓ done"), "{md}");
}

/// (c) a diverging metric on the goal's path outranks every converging one.
#[test]
fn a_diverging_metric_on_the_path_outranks_converging_ones() {
    let db = TestDb::new();
    org(&db);
    db.run(&["metric", "add", "a/worse", "--target", "0", "--direction", "down"]).ok();
    let mut rows = String::new();
    rows += &series(&db, "a/medium", "eng", 14, |w| 100.0 - 5.0 * w as f64 + jitter(w, 2.0));
    rows += &series(&db, "b/slow", "eng", 14, |w| 100.0 - 1.0 * w as f64 + jitter(w + 3, 2.0));
    rows += &series(&db, "a/worse", "eng", 14, |w| 20.0 + 2.0 * w as f64 + jitter(w + 1, 1.0));
    rows += &series(&db, "goal/own", "eng", 14, |w| (60.0 - 6.0 * w as f64).max(0.2));
    // Off the goal's path, an even worse divergence on low-priority work does not win.
    rows += &series(&db, "side/drift", "eng", 14, |w| 20.0 + 9.0 * w as f64 + jitter(w, 1.0));
    import(&db, &rows);
    let r = report_json(&db, &[]);
    assert_eq!(lf(&r, "limiting_factor"), "a/worse", "{:#}", r["limiting_factor"]);
    assert_eq!(r["limiting_factor"]["status"], "diverging");
    let f = db.json(&["forecast", "side/drift", "--json"]);
    assert_eq!(f[0]["status"], "diverging");
}

/// (d) a project with a deadline it cannot plausibly meet is reported off-path, first.
#[test]
fn an_impossible_deadline_is_off_path_and_said_first() {
    let db = TestDb::new();
    org(&db);
    let mut rows = String::new();
    rows += &series(&db, "a/medium", "eng", 14, |w| 100.0 - 3.0 * w as f64 + jitter(w, 2.0));
    rows += &series(&db, "b/slow", "eng", 14, |w| 100.0 - 1.5 * w as f64 + jitter(w + 3, 2.0));
    rows += &series(&db, "goal/own", "eng", 14, |w| (60.0 - 6.0 * w as f64).max(0.2));
    import(&db, &rows);
    let r = db.run(&["deadline", "set", "goal", "--date", "2026-12-13", "--reason", "board meeting"]).ok();
    assert!(r.stderr.contains("warning:") && r.stderr.contains("fantasy"), "{}", r.stderr);
    let j = report_json(&db, &[]);
    let goal = j["projects"].as_array().unwrap().iter().find(|p| p["project"] == "goal").unwrap();
    assert_eq!(goal["off_path"], true);
    assert!(goal["p_on_time"].as_f64().unwrap() < 0.05);
    assert_eq!(j["off_path"][0]["scope"], "goal");
    let md = db.run(&["report"]).ok().stdout;
    let alarm = md.find("OFF PATH").expect("alarm present");
    let lf_section = md.find("## The limiting factor").unwrap();
    assert!(alarm < lf_section, "the alarm comes first:\n{md}");
    let f = db.json(&["forecast", "goal", "--json"]);
    assert_eq!(f[0]["deadline"], "2026-12-13", "a metric inherits its project's deadline");
    assert_eq!(f[0]["status"], "done");
    assert_eq!(f[0]["off_path"], false, "a done metric is never off path");
    let f = db.json(&["forecast", "b", "--json"]);
    assert_eq!(f[0]["deadline"], serde_json::Value::Null, "b has no deadline of its own");
}

/// (e) HTML escapes script tags and quotes in notes, names and blockers.
#[test]
fn html_report_escapes_every_user_string() {
    let db = TestDb::new();
    let evil = "<script>alert(\"x\")</script>";
    db.run(&["project", "add", "p", "--name", &format!("P {evil}"), "--priority", "1", "--owner", evil]).ok();
    db.run(&["engineer", "add", "e", "--name", &format!("E' onmouseover='alert(1) {evil}")]).ok();
    db.run(&["metric", "add", "p/m", "--target", "0", "--direction", "down", "--name", evil, "--unit", "<b>u</b>"])
        .ok();
    let mut rows = String::new();
    for w in 0..8 {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 10, 4).unwrap() + chrono::Days::new(7 * w);
        rows.push_str(&format!("{date},p,m,e,{},\"{} \"\"quoted\"\" {w}\"\n", 50 - 5 * w, evil.replace('"', "\"\"")));
    }
    import(&db, &rows);
    db.run(&["blocker", "add", "p/m", &format!("chips:{evil} & \"more\""), "--engineer", "e"]).ok();
    // Attribute and URL injections, in a blocker and in the metric's unit.
    db.run(&["blocker", "add", "p", "people:\"><img src=x onerror=alert(1)> javascript:alert(2)", "--engineer", "e"])
        .ok();
    db.run(&["report", "--format", "html", "--out", "r.html"]).ok();
    let html = std::fs::read_to_string(db.file("r.html")).unwrap();
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(!html.contains("onmouseover='"), "unescaped attribute quote");
    assert!(html.contains("&lt;script&gt;"), "escaped text present");
    assert!(!html.contains("<b>u</b>"));
    assert!(!html.contains("<img"), "unescaped image tag");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "escaped attribute injection present");
    for external in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(!html.contains(external), "external request via {external}");
    }
    assert!(html.contains("<style>") && html.contains("<svg"), "self-contained with inline charts");
    assert_eq!(common::mode(&db.file("r.html")), 0o600);
}

#[test]
fn coverage_lists_silent_engineers_with_skip_depth() {
    let db = TestDb::new();
    org(&db);
    db.run(&["engineer", "add", "quiet", "--name", "Quiet One", "--reports-to", "eng"]).ok();
    let mut rows = String::new();
    rows += &series(&db, "a/medium", "eng", 10, |w| 100.0 - 3.0 * w as f64 + jitter(w, 2.0));
    rows += &series(&db, "b/slow", "quiet", 6, |w| 100.0 - 1.0 * w as f64);
    import(&db, &rows);
    // quiet's last reading is today; move the report four weeks on by faking the clock.
    let r = db.cmd().env("LIMFAC_NOW", "2026-12-27").args(["report", "--format", "json"]).output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let cov = j["coverage"].as_array().unwrap();
    let quiet = cov.iter().find(|c| c["engineer"] == "quiet").expect("quiet listed");
    assert_eq!(quiet["weeks_silent"], 4);
    assert_eq!(quiet["last_heard"], "2026-11-29");
    assert_eq!(quiet["levels_below_reviewer"], 2, "quiet → eng → lead");
    assert_eq!(j["reviewer"], "lead");
    // Heard this week: not listed.
    let now = report_json(&db, &[]);
    assert!(now["coverage"].as_array().unwrap().is_empty());
}

#[test]
fn report_formats_weeks_and_templates() {
    let db = TestDb::new();
    org(&db);
    let mut rows = String::new();
    rows += &series(&db, "a/medium", "eng", 8, |w| 100.0 - 3.0 * w as f64 + jitter(w, 2.0));
    import(&db, &rows);
    let j = report_json(&db, &["--week", "2026-W47"]);
    assert_eq!(j["week"], "2026-W47");
    assert_eq!(j["as_of"], "2026-11-22");
    for key in [
        "as_of",
        "week",
        "limiting_factor",
        "limiting_factor_previous",
        "projects",
        "attention",
        "coverage",
        "blockers",
    ] {
        assert!(j.get(key).is_some(), "report JSON lacks {key}");
    }
    let p = &j["projects"][0];
    for key in [
        "project",
        "priority",
        "status",
        "p50",
        "p80",
        "deadline",
        "p_on_time",
        "off_path",
        "limiting_metric",
        "metrics",
    ] {
        assert!(p.get(key).is_some(), "project row lacks {key}");
    }
    std::fs::write(db.file("t.md"), "LF={{ report.limiting_factor.metric }} week={{ report.week }}").unwrap();
    let out = db.run(&["report", "--template", "t.md"]).ok().stdout;
    assert_eq!(out.trim(), "LF=medium week=2026-W48");
    db.refused(&["report", "--week", "2027-W10"], "has not started yet");
    db.refused(&["report", "--week", "2026-48"], "not an ISO week");
    db.refused(&["report", "--template", "missing.md"], "cannot read template missing.md");
    std::fs::write(db.file("bad.md"), "{% include '/etc/passwd' %}").unwrap();
    db.refused(&["report", "--template", "bad.md"], "cannot render the report template");
    db.refused(&["report", "--out", "no/such/dir/r.md"], "does not exist");
}

#[test]
fn metrics_too_new_to_forecast_are_named_beside_their_projects() {
    let db = TestDb::new();
    org(&db);
    let mut rows = String::new();
    rows += &series(&db, "a/medium", "eng", 10, |w| 100.0 - 3.0 * w as f64 + jitter(w, 2.0));
    rows += &series(&db, "b/slow", "eng", 2, |w| 50.0 - w as f64);
    import(&db, &rows);
    let r = report_json(&db, &[]);
    let goal = r["projects"].as_array().unwrap().iter().find(|p| p["project"] == "goal").unwrap();
    let missing: Vec<&str> = goal["not_forecast"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(missing.contains(&"b/slow") && missing.contains(&"goal/own"), "{missing:?}");
    let md = db.run(&["report"]).ok().stdout;
    assert!(md.contains("Not forecast yet") && md.contains("- goal: "), "{md}");
    // One bullet per project and line: the template once ran them all into one line.
    let listed: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("Not forecast yet"))
        .skip(1)
        .take_while(|l| l.starts_with("- "))
        .collect();
    assert!(listed.len() >= 2, "{md}");
    assert!(listed.iter().all(|l| l.matches(": ").count() == 1), "{listed:?}");
}

/// `--json` works on `report` and `export` as on every other command that shows data: the
/// same output as `--format json` (it was a usage error).
#[test]
fn report_and_export_take_json_like_every_command() {
    let db = TestDb::seeded_with_readings();
    assert_eq!(db.run(&["report", "--json"]).ok().stdout, db.run(&["report", "--format", "json"]).ok().stdout);
    assert_eq!(db.run(&["export", "--json"]).ok().stdout, db.run(&["export", "--format", "json"]).ok().stdout);
    let r = db.run(&["report", "--json", "--format", "md"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// A report dated before anyone reported said everyone had been heard from recently.
#[test]
fn a_report_before_any_reading_does_not_claim_full_coverage() {
    let db = TestDb::seeded_with_readings();
    let md = db.run(&["report", "--as-of", "2026-10-01"]).ok().stdout;
    assert!(md.contains("Nobody on an active project has reported a reading yet."), "{md}");
    assert!(!md.contains("Everyone on active projects"), "{md}");
    assert_eq!(report_json(&db, &["--as-of", "2026-10-01"])["heard_from"], 0);
    let md = db.run(&["report"]).ok().stdout;
    assert!(md.contains("Everyone on active projects was heard from"), "{md}");
    assert_eq!(report_json(&db, &[])["heard_from"], 1);
}
