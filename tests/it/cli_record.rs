//! Recording review data through the real binary: every command of the
//! foundation, every validation rule, import/export, and the file's safety.

use crate::common;

use common::{mode, TestDb};

#[test]
fn projects_engineers_metrics_round_trip_through_list_and_show() {
    let db = TestDb::seeded();
    let projects = db.json(&["project", "list", "--json"]);
    let orbital = projects.as_array().unwrap().iter().find(|p| p["slug"] == "orbital").unwrap();
    assert_eq!(orbital["depends_on"], serde_json::json!(["chips", "power"]));
    assert_eq!(projects[0]["slug"], "power", "sorted by priority");

    let show = db.run(&["project", "show", "orbital"]).ok().stdout;
    assert!(show.contains("Orbital compute") && show.contains("chips, power"), "{show}");
    let show = db.run(&["project", "show", "power"]).ok().stdout;
    assert!(show.contains("needed by  orbital"), "{show}");

    let engineers = db.json(&["engineer", "list", "--json"]);
    let wang = engineers.as_array().unwrap().iter().find(|e| e["handle"] == "wang-xm").unwrap();
    assert_eq!(wang["name"], "王小明");
    assert_eq!(wang["reports_to"], "alice");

    let metrics = db.json(&["metric", "list", "power", "--json"]);
    assert_eq!(metrics.as_array().unwrap().len(), 1);
    assert_eq!(metrics[0]["target"], 120.0);
    assert_eq!(metrics[0]["direction"], "up");
    assert_eq!(metrics[0]["tolerance"], 2.0);
    let table = db.run(&["metric", "list"]).ok().stdout;
    assert!(table.contains("chips/defects") && table.contains("power/output"), "{table}");
}

#[test]
fn metric_edit_changes_the_definition_and_validates() {
    let db = TestDb::seeded();
    db.run(&["metric", "edit", "power/output", "--target", "125", "--tolerance", "1.5", "--unit", "kWe"]).ok();
    let m = db.json(&["metric", "list", "power", "--json"]);
    assert_eq!(m[0]["target"], 125.0);
    assert_eq!(m[0]["tolerance"], 1.5);
    assert_eq!(m[0]["unit"], "kWe");
    assert_eq!(m[0]["direction"], "up", "untouched fields stay");
    db.refused(&["metric", "edit", "power/output", "--tolerance", "-2"], "negative");
    db.refused(&["metric", "edit", "power/output", "--direction", "left"], "--direction 'left'");
    db.refused(&["metric", "edit", "power/outptu", "--target", "1"], "metric 'power/outptu' does not exist");
}

#[test]
fn edits_change_fields_and_refuse_cycles() {
    let db = TestDb::seeded();
    db.run(&["project", "edit", "chips", "--priority", "1", "--owner", "Zoë"]).ok();
    let p = db.json(&["project", "show", "chips", "--json"]);
    assert_eq!(p["project"]["priority"], 1);
    assert_eq!(p["project"]["owner"], "Zoë");
    db.refused(&["project", "edit", "power", "--depends-on", "orbital"], "cycle");
    db.refused(&["project", "edit", "power", "--depends-on", "power"], "itself");
    db.refused(&["project", "add", "x", "--name", "X", "--depends-on", "x"], "cannot depend on itself");
    db.refused(&["engineer", "edit", "boss", "--reports-to", "wang-xm"], "reporting loop");
    db.refused(&["engineer", "edit", "boss", "--reports-to", "boss"], "reporting loop");
    db.run(&["project", "edit", "orbital", "--no-depends-on", "chips"]).ok();
    db.run(&["project", "edit", "chips", "--depends-on", "orbital"]).ok();
}

#[test]
fn log_writes_one_point_and_joins_the_days_review() {
    let db = TestDb::seeded();
    let r = db
        .run(&[
            "log",
            "--metric",
            "power/output",
            "--engineer",
            "wang-xm",
            "--value",
            "84.5",
            "--note",
            "MPPT fixed, 84.5 kW",
            "--date",
            "2026-11-20",
            "--reviewer",
            "boss",
            "--blocker",
            "supplier:transformer lead time 40 weeks",
        ])
        .ok();
    assert!(r.stderr.contains("logged point 1"), "{}", r.stderr);
    db.run(&[
        "log",
        "--metric",
        "chips/defects",
        "--engineer",
        "alice",
        "--value",
        "0.4",
        "--note",
        "lot 7 back",
        "--date",
        "2026-11-20",
        "--reviewer",
        "boss",
    ])
    .ok();
    // A different kind is a different meeting.
    db.run(&[
        "log",
        "--metric",
        "chips/defects",
        "--engineer",
        "wang-xm",
        "--value",
        "0.38",
        "--note",
        "probe data",
        "--date",
        "2026-11-20",
        "--reviewer",
        "boss",
        "--kind",
        "skip-level",
    ])
    .ok();
    let reviews = db.json(&["review", "list", "--json"]);
    let reviews = reviews.as_array().unwrap();
    assert_eq!(reviews.len(), 2, "{reviews:?}");
    let weekly = reviews.iter().find(|r| r["kind"] == "weekly").unwrap();
    assert_eq!(weekly["points"], 2);
    assert_eq!(weekly["reviewer"], "boss");

    let id = weekly["id"].as_i64().unwrap().to_string();
    let show = db.json(&["review", "show", &id, "--json"]);
    let points = show["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0]["value"], 84.5);
    assert_eq!(points[0]["blockers"], serde_json::json!(["supplier:transformer lead time 40 weeks"]));
    let text = db.run(&["review", "show", &id]).ok().stdout;
    assert!(text.contains("MPPT fixed") && text.contains("lot 7 back"), "{text}");

    let blockers = db.json(&["blocker", "list", "--json"]);
    assert_eq!(blockers[0]["category"], "supplier");
    assert_eq!(blockers[0]["metric"], "output");
    assert_eq!(blockers[0]["engineer"], "wang-xm");
    assert_eq!(blockers[0]["opened"], "2026-11-20");
}

#[test]
fn log_into_an_explicit_review() {
    let db = TestDb::seeded();
    let id = db
        .run(&[
            "review",
            "add",
            "--date",
            "2026-11-27",
            "--kind",
            "deep-dive",
            "--reviewer",
            "boss",
            "--notes",
            "chips",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    db.run(&[
        "log",
        "--metric",
        "chips/defects",
        "--engineer",
        "alice",
        "--value",
        "0.3",
        "--note",
        "n",
        "--review",
        &id,
        "--date",
        "2026-11-27",
    ])
    .ok();
    let show = db.json(&["review", "show", &id, "--json"]);
    assert_eq!(show["review"]["kind"], "deep-dive");
    assert_eq!(show["review"]["notes"], "chips");
    assert_eq!(show["points"].as_array().unwrap().len(), 1);
    db.refused(
        &["log", "--metric", "chips/defects", "--engineer", "alice", "--value", "1", "--note", "n", "--review", "999"],
        "--review 999 does not exist",
    );
}

#[test]
fn blockers_open_list_and_resolve() {
    let db = TestDb::seeded();
    db.run(&[
        "blocker",
        "add",
        "power",
        "permits:grid interconnect permit",
        "--engineer",
        "alice",
        "--date",
        "2026-11-01",
    ])
    .ok();
    db.run(&["blocker", "add", "chips/defects", "chips:wafer supply short", "--date", "2026-11-10"]).ok();
    let list = db.run(&["blocker", "list"]).ok().stdout;
    assert!(list.contains("grid interconnect permit") && list.contains("wafer supply short"), "{list}");
    db.refused(&["blocker", "resolve", "1", "--date", "2026-10-01"], "before blocker 1 was opened");
    db.run(&["blocker", "resolve", "1", "--date", "2026-11-20"]).ok();
    db.refused(&["blocker", "resolve", "1"], "already resolved");
    db.refused(&["blocker", "resolve", "42"], "blocker 42 does not exist");
    let open = db.json(&["blocker", "list", "--json"]);
    assert_eq!(open.as_array().unwrap().len(), 1);
    let all = db.json(&["blocker", "list", "--all", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all.as_array().unwrap().iter().any(|b| b["resolved"] == "2026-11-20"));
}

/// Every data-discipline rule: exit 1, an `error:` line naming field and
/// value, and the database unchanged.
#[test]
fn validation_rules_refuse_and_change_nothing() {
    let db = TestDb::seeded();
    let log = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> =
            ["log", "--metric", "power/output", "--engineer", "alice", "--value", "1", "--note", "fine"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        for pair in extra.chunks(2) {
            if let Some(i) = v.iter().position(|a| a == pair[0]) {
                v[i + 1] = pair[1].to_string();
            } else {
                v.push(pair[0].to_string());
                v.push(pair[1].to_string());
            }
        }
        v
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (log(&["--note", ""]), "--note is empty"),
        (log(&["--note", "   \n\t "]), "--note is empty"),
        // Drawn as nothing: a zero-width space, a byte-order mark, a Hangul filler.
        (log(&["--note", "\u{200B}"]), "--note is empty"),
        (log(&["--note", " \u{FEFF}\u{3164} "]), "--note is empty"),
        (log(&["--note", &"x".repeat(10_001)]), "10001 characters"),
        (log(&["--note", "ring the \u{7} bell"]), "control character U+0007"),
        (log(&["--note", "escape \u{1b}[31m red"]), "control character U+001B"),
        (log(&["--value", "NaN"]), "--value 'NaN' is not a finite number"),
        (log(&["--value", "inf"]), "--value 'inf'"),
        (log(&["--value", "1e999"]), "--value '1e999'"),
        (log(&["--value", "0x10"]), "--value '0x10'"),
        (log(&["--value", "1,5"]), "--value '1,5'"),
        (log(&["--value", ""]), "--value ''"),
        (log(&["--date", "2026-02-30"]), "--date '2026-02-30' is not a valid date"),
        (log(&["--date", "1969-12-31"]), "before 1970-01-01"),
        (log(&["--date", "2165-01-01"]), "in the future"),
        (log(&["--date", "2026-11-30"]), "in the future"),
        (log(&["--date", "2026/01/01"]), "not a valid date"),
        (log(&["--metric", "powr/output"]), "project 'powr' does not exist"),
        (log(&["--metric", "power/outptu"]), "metric 'power/outptu' does not exist"),
        (log(&["--metric", "power"]), "is not PROJECT/METRIC"),
        (log(&["--engineer", "alcie"]), "engineer 'alcie' does not exist"),
        (log(&["--engineer", "Alice"]), "--engineer 'Alice' is not a valid name"),
        (log(&["--kind", "standup"]), "--kind 'standup' is not a review kind"),
        (log(&["--blocker", "no colon here"]), "is not CATEGORY:TEXT"),
        // The value as typed, not its lowercase form; an empty category said ''.
        (log(&["--blocker", "Po wer:x"]), "--blocker 'Po wer' is not a valid name"),
        (log(&["--blocker", ":text"]), "--blocker has no category before the ':'"),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        db.refused(&args, needle);
    }
    db.refused(&["project", "add", "Bad_Slug", "--name", "x"], "project 'Bad_Slug' is not a valid name");
    db.refused(&["project", "add", "p2", "--name", "x", "--priority", "6"], "--priority 6 is out of range");
    db.refused(&["project", "add", "p2", "--name", "x", "--priority", "0"], "--priority 0 is out of range");
    db.refused(&["project", "add", "power", "--name", "again"], "already exists");
    db.refused(&["engineer", "add", "a/b", "--name", "x"], "engineer 'a/b' is not a valid name");
    // A blocker's date is not a reading's: the hint says so.
    let r = db.refused(&["blocker", "add", "power", "permits:x", "--date", "2026-12-10"], "is in the future");
    assert!(r.stderr.contains("hint: record it on the day it happens"), "{}", r.stderr);
    db.refused(
        &["engineer", "add", "zed", "--name", "x", "--reports-to", "nobody"],
        "engineer 'nobody' does not exist",
    );
    db.refused(&["metric", "add", "power/m2", "--target", "1", "--direction", "sideways"], "--direction 'sideways'");
    db.refused(&["metric", "add", "power/m2", "--target", "1", "--direction", "up", "--tolerance", "-1"], "negative");
    db.refused(&["metric", "add", "power/m2", "--target", "NaN", "--direction", "up"], "--target 'NaN'");
    db.refused(&["metric", "add", "nope/m2", "--target", "1", "--direction", "up"], "project 'nope' does not exist");
    db.refused(&["metric", "add", "power/output", "--target", "1", "--direction", "up"], "already exists");
    db.refused(&["review", "add", "--date", "2026-13-01"], "--date '2026-13-01' is not a valid date");
    db.refused(&["review", "show", "77"], "review 77 does not exist");
}

#[test]
fn unknown_engineer_gets_a_hint_with_the_closest_handle() {
    let db = TestDb::seeded();
    let r = db.refused(
        &["log", "--metric", "power/output", "--engineer", "wang-mx", "--value", "1", "--note", "n"],
        "engineer 'wang-mx' does not exist",
    );
    assert!(r.stderr.lines().any(|l| l == "hint: did you mean 'wang-xm'?"), "{}", r.stderr);
}

#[test]
fn log_without_a_terminal_names_every_missing_flag() {
    let db = TestDb::seeded();
    let r = db.refused(&["log", "--metric", "power/output"], "missing --engineer, --value, --note");
    assert!(r.stderr.contains("no terminal"), "{}", r.stderr);
    db.refused(&["log"], "missing --metric, --engineer, --value, --note");
}

#[test]
fn usage_errors_exit_2() {
    let db = TestDb::seeded();
    let r = db.run(&["project", "frobnicate"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = db.run(&["log", "--no-such-flag"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn database_file_and_folder_are_private() {
    let db = TestDb::new();
    let nested = db.file("deep/er/limfac.db");
    let mut c = db.cmd();
    c.args(["--db", nested.to_str().unwrap(), "project", "add", "p", "--name", "P"]).assert().success();
    assert_eq!(mode(&nested), 0o600);
    assert_eq!(mode(nested.parent().unwrap()), 0o700);
    db.run(&["engineer", "add", "e", "--name", "E"]).ok();
    assert_eq!(mode(&db.path), 0o600);
}

#[test]
fn db_path_prefers_flag_then_environment() {
    let db = TestDb::new();
    let flag = db.file("flag.db");
    db.cmd().args(["--db", flag.to_str().unwrap(), "project", "add", "p", "--name", "P"]).assert().success();
    assert!(flag.exists());
    assert!(!db.path.exists(), "LIMFAC_DB must not be touched when --db is given");
    db.run(&["project", "add", "q", "--name", "Q"]).ok();
    assert!(db.path.exists());
}

#[test]
fn newer_database_is_refused_and_left_untouched() {
    let db = TestDb::seeded();
    rusqlite_free_set_version(&db.path, 99);
    let before = std::fs::read(&db.path).unwrap();
    let r = db.run(&["project", "list"]).fails_with("written by a newer limfac (schema version 99");
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_eq!(before, std::fs::read(&db.path).unwrap(), "file modified");
}

/// Sets `PRAGMA user_version` by patching the header bytes (offset 60), so the
/// test needs no SQLite of its own. Every limfac process has exited, so the
/// WAL has been checkpointed into the main file and removed.
fn rusqlite_free_set_version(path: &std::path::Path, v: u32) {
    use std::io::{Seek, SeekFrom, Write};
    assert!(!path.with_extension("db-wal").exists(), "WAL still present");
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(60)).unwrap();
    f.write_all(&v.to_be_bytes()).unwrap();
}

#[test]
fn doctor_and_backup() {
    let db = TestDb::seeded();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "3", "--note", "n"]).ok();
    let d = db.json(&["doctor", "--json"]);
    assert_eq!(d["integrity"], serde_json::json!(["ok"]));
    assert_eq!(d["schema_version"], limfac::store::migrations::LATEST);
    let copy = db.file("copy.db");
    db.run(&["backup", copy.to_str().unwrap()]).ok();
    assert_eq!(mode(&copy), 0o600);
    let mut c = db.cmd();
    let o = c.args(["--db", copy.to_str().unwrap(), "export"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("power,output,alice,3,n"));
    db.refused(&["backup", copy.to_str().unwrap()], "already exists");
    db.refused(&["backup", db.file("missing/dir/x.db").to_str().unwrap()], "does not exist");
}
