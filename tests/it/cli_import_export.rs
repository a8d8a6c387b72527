//! Import and export through the real binary: all-or-nothing imports, every
//! unknown name listed, and an exact export → import round trip.

use crate::common;

use common::{mode, TestDb};

const HEADER: &str = "date,project,metric,engineer,value,note";

fn point_count(db: &TestDb) -> usize {
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    v["points"].as_array().unwrap().len()
}

#[test]
fn import_with_columns_in_any_order() {
    let db = TestDb::seeded();
    let csv = "note,value,engineer,metric,project,date,blocker\n\
               \"permit landed, finally\",90,alice,output,power,2026-11-02,\n\
               ok,91.5,wang-xm,output,power,2026-11-09,\"permits:second permit\nsupplier:transformer late\"\n";
    std::fs::write(db.file("in.csv"), csv).unwrap();
    let r = db.run(&["import", "in.csv"]).ok();
    assert!(r.stderr.contains("imported 2 points and 2 blockers"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    assert_eq!(v["points"][0]["note"], "permit landed, finally");
    assert_eq!(v["points"][1]["value"], 91.5);
    assert_eq!(v["blockers"].as_array().unwrap().len(), 2);
}

#[test]
fn a_bad_last_row_imports_nothing_and_names_line_column_value() {
    let db = TestDb::seeded();
    let mut csv = String::from(HEADER);
    csv.push('\n');
    for i in 1..=50 {
        csv.push_str(&format!("2026-10-{:02},power,output,alice,{i},week {i}\n", (i % 28) + 1));
    }
    csv.push_str("2026-11-05,power,output,alice,12..5,typo\n");
    std::fs::write(db.file("in.csv"), csv).unwrap();
    let r = db.refused(&["import", "in.csv"], "line 52, column value: value '12..5' is not a finite number");
    assert!(r.stderr.contains("hint:"));
    assert_eq!(point_count(&db), 0);
}

#[test]
fn unknown_names_are_all_listed_then_created_with_create_missing() {
    let db = TestDb::seeded();
    let csv = format!(
        "{HEADER},target,direction,unit\n\
         2026-11-02,power,output,zoe,1,a,,,\n\
         2026-11-02,launch,turnaround,amaru,20,b,14,down,days\n\
         2026-11-02,chips,yield,alice,60,c,90,up,%\n"
    );
    std::fs::write(db.file("in.csv"), csv).unwrap();
    let r = db.refused(&["import", "in.csv"], "unknown");
    let first = r.stderr.lines().next().unwrap();
    for name in
        ["engineer 'zoe'", "engineer 'amaru'", "project 'launch'", "metric 'launch/turnaround'", "metric 'chips/yield'"]
    {
        assert!(first.contains(name), "{first} lacks {name}");
    }
    let r = db.run(&["import", "in.csv", "--create-missing", "--json"]).ok();
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(s["points"], 3);
    assert_eq!(s["created_projects"], serde_json::json!(["launch"]));
    assert_eq!(s["created_metrics"], serde_json::json!(["launch/turnaround", "chips/yield"]));
    let m = db.json(&["metric", "list", "launch", "--json"]);
    assert_eq!(m[0]["direction"], "down");
    assert_eq!(m[0]["unit"], "days");
}

/// The page size and journal mode of the file at `path`.
fn page_size_and_mode(path: &std::path::Path) -> (i64, String) {
    let c = rusqlite::Connection::open(path).unwrap();
    (
        c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap(),
        c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap(),
    )
}

/// A new file gets 16 KiB pages; the first import into a database without readings goes
/// through a rollback journal and leaves the file in WAL, with no journal beside it, and
/// the readings all there; a file made with other pages keeps them.
#[test]
fn a_first_import_leaves_the_file_in_wal_and_a_files_pages_are_its_own() {
    let db = TestDb::seeded();
    assert_eq!(page_size_and_mode(&db.path), (16384, "wal".to_string()));
    let mut csv = String::from(HEADER);
    for i in 0..3000 {
        csv.push_str(&format!("\n2025-{:02}-{:02},power,output,alice,{i},reading {i}", 1 + i % 12, 1 + i % 28));
    }
    std::fs::write(db.file("in.csv"), csv + "\n").unwrap();
    let r = db.run(&["import", "in.csv"]).ok();
    assert!(r.stderr.contains("imported 3000 points"), "{}", r.stderr);
    assert_eq!(page_size_and_mode(&db.path), (16384, "wal".to_string()));
    assert!(!db.file("limfac.db-journal").exists());
    assert_eq!(point_count(&db), 3000);
    // A second import (readings there now) goes through the WAL as any write.
    let r = db.run(&["import", "in.csv"]).ok();
    assert!(r.stderr.contains("skipped 3000 rows"), "{}", r.stderr);

    let old = TestDb::new();
    {
        let c = rusqlite::Connection::open(&old.path).unwrap();
        c.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;").unwrap();
    }
    old.run(&["project", "add", "power", "--name", "Power"]).ok();
    assert_eq!(page_size_and_mode(&old.path), (4096, "wal".to_string()));
}

#[test]
fn create_missing_needs_a_target_to_create_a_metric() {
    let db = TestDb::seeded();
    std::fs::write(db.file("in.csv"), format!("{HEADER}\n2026-11-02,power,newmetric,alice,1,a\n")).unwrap();
    db.refused(&["import", "in.csv", "--create-missing"], "line 2: metric 'power/newmetric' does not exist");
}

#[test]
fn export_then_import_into_an_empty_database_is_exact() {
    let db = TestDb::seeded();
    let notes = [
        "plain",
        "commas, and \"quotes\"",
        "two\nlines",
        "王小明: 良率 提升 ✓",
        "Zoë's ümlauts and tabs\there",
        "=cmd|' /C calc'!A0 looks like a formula",
    ];
    for (i, note) in notes.iter().enumerate() {
        let value = format!("{}", 80.0 + i as f64 * 1.125);
        let date = format!("2026-11-{:02}", i + 1);
        let mut args = vec![
            "log",
            "--metric",
            "power/output",
            "--engineer",
            "wang-xm",
            "--value",
            &value,
            "--note",
            note,
            "--date",
            &date,
        ];
        if i == 2 {
            args.extend(["--blocker", "permits:interconnect, \"phase 2\"", "--blocker", "people:two engineers short"]);
        }
        db.run(&args).ok();
    }
    db.run(&["log", "--metric", "chips/defects", "--engineer", "alice", "--value", "-0.000123", "--note", "tiny"]).ok();
    db.run(&["log", "--metric", "chips/defects", "--engineer", "alice", "--value", "1e300", "--note", "huge"]).ok();
    db.run(&["export", "--out", "a.csv"]).ok();
    assert_eq!(mode(&db.file("a.csv")), 0o600);

    let fresh = db.file("fresh.db");
    let fresh_s = fresh.to_str().unwrap();
    db.cmd().args(["--db", fresh_s, "import", "a.csv", "--create-missing"]).assert().success();
    db.cmd().args(["--db", fresh_s, "export", "--out", "b.csv"]).assert().success();
    let a = std::fs::read_to_string(db.file("a.csv")).unwrap();
    let b = std::fs::read_to_string(db.file("b.csv")).unwrap();
    assert!(a.lines().count() > 8, "{a}");
    assert_eq!(a, b, "round trip changed the data");

    // And the values themselves survived bit for bit.
    let o = db.cmd().args(["--db", fresh_s, "export", "--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let values: Vec<f64> = v["points"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
    assert!(values.contains(&-0.000123) && values.contains(&1e300) && values.contains(&81.125), "{values:?}");
    let notes_back: Vec<&str> = v["points"].as_array().unwrap().iter().map(|p| p["note"].as_str().unwrap()).collect();
    for n in notes {
        assert!(notes_back.contains(&n), "{n:?} lost");
    }
}

#[test]
fn export_json_is_the_whole_database() {
    let db = TestDb::seeded();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "3", "--note", "n"]).ok();
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    for key in ["projects", "engineers", "metrics", "reviews", "points", "blockers", "deadlines"] {
        assert!(v[key].is_array(), "{key} missing");
    }
    assert_eq!(v["projects"].as_array().unwrap().len(), 3);
    assert_eq!(v["schema_version"], limfac::store::migrations::LATEST);
}

#[test]
fn export_refuses_a_missing_folder_or_a_directory() {
    let db = TestDb::seeded();
    db.refused(&["export", "--out", "no/such/dir/x.csv"], "does not exist");
    std::fs::create_dir(db.file("adir")).unwrap();
    db.refused(&["export", "--out", "adir"], "is a directory");
    db.refused(&["import", "adir"], "is a directory");
    db.refused(&["import", "nope.csv"], "cannot read nope.csv");
}

#[test]
fn demo_writes_its_own_file_and_never_the_users_database() {
    let db = TestDb::new();
    let r = db.run(&["demo"]).ok();
    assert!(r.stdout.contains("limfac-demo.db"), "{}", r.stdout);
    assert!(db.file("limfac-demo.db").exists());
    assert!(!db.path.exists(), "demo touched $LIMFAC_DB");
    assert_eq!(mode(&db.file("limfac-demo.db")), 0o600);
    let demo = db.file("limfac-demo.db");
    let d = demo.to_str().unwrap();
    let dump = |db: &TestDb| {
        let o = db.cmd().args(["--db", d, "export", "--format", "json"]).output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let first = dump(&db);
    assert!(first["points"].as_array().unwrap().len() >= 300);
    assert!(first["projects"].as_array().unwrap().len() >= 5);
    assert!(first["engineers"].as_array().unwrap().len() >= 12);
    assert!(first["metrics"].as_array().unwrap().len() >= 15);
    // Run again: replaced, not appended, and identical.
    db.run(&["demo"]).ok();
    let second = dump(&db);
    assert_eq!(first["points"], second["points"]);
    let doctor = db.cmd().args(["--db", d, "doctor"]).output().unwrap();
    assert!(doctor.status.success());
}

/// A reading outside its metric's bounds is refused by `import` as by `log` (it was stored
/// without a word), naming the line and the bounds; `--force` takes it, as `log --force`
/// does, and an export holding it imports back (the reading is already stored).
#[test]
fn import_keeps_a_metrics_bounds_unless_forced() {
    let db = TestDb::seeded();
    db.run(&["metric", "add", "chips/yield", "--target", "90", "--direction", "up", "--unit", "%"]).ok();
    let file = db.file("yield.csv");
    std::fs::write(
        &file,
        format!("{HEADER}\n2026-11-20,chips,yield,alice,50,fine\n2026-11-21,chips,yield,alice,5000,a slipped digit\n"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let r =
        db.refused(&["import", f], "line 3, column value: 5000 is outside what chips/yield can physically be: 0–100");
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    db.run(&["metric", "add", "power/temp", "--target", "40", "--direction", "down", "--min", "-50", "--max", "150"])
        .ok();
    let cold = db.file("cold.csv");
    std::fs::write(&cold, format!("{HEADER}\n2026-11-20,power,temp,alice,-60,frozen sensor\n")).unwrap();
    db.refused(&["import", cold.to_str().unwrap()], "-60 is outside what power/temp can physically be: -50–150");
    db.run(&["import", f, "--force"]).ok();
    assert_eq!(point_count(&db), 2);
    let all = db.file("all.csv");
    db.run(&["export", "--out", all.to_str().unwrap()]).ok();
    let r = db.run(&["import", all.to_str().unwrap()]).ok();
    assert!(r.stderr.contains("skipped 2 rows"), "{}", r.stderr);
}
