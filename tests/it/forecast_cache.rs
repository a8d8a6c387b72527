//! The forecast cache (issue 17): forecasts computed once and kept in the database, never
//! stale. Every check compares what a command prints with the cache filled against what it
//! prints on a cold copy of the same database (a backup, which leaves the cache out).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{SplitMix, TestDb};

/// A new cold copy of `db` (through `limfac backup`, which leaves derived data out).
fn cold_copy(db: &TestDb) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let copy = db.file(&format!("cold-{}.db", N.fetch_add(1, Ordering::SeqCst)));
    db.run(&["--quiet", "backup", copy.to_str().unwrap()]).ok();
    assert_eq!(cache_rows(&copy), 0, "a backup holds no cached forecasts");
    copy
}

/// What `args` prints on `path`.
fn stdout_on(db: &TestDb, path: &Path, args: &[&str]) -> String {
    let mut all = vec!["--db", path.to_str().unwrap()];
    all.extend_from_slice(args);
    db.run(&all).ok().stdout
}

/// Rows in the forecast cache tables of the database at `path`.
fn cache_rows(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row(
        "SELECT (SELECT count(*) FROM forecast_cache) + (SELECT count(*) FROM replay_cache)
              + (SELECT count(*) FROM calibration_cache)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// The commands whose output the cache must never change.
const CHECKED: &[&[&str]] = &[
    &["forecast", "--json"],
    &["report", "--format", "json"],
    &["forecast", "chips/yield-pct", "--json"],
    &["forecast", "chips", "--history", "4", "--json"],
];

/// Runs every checked command on `db` (filling or reading its cache) and on one cold copy,
/// and asserts each prints the same bytes.
fn assert_warm_equals_cold(db: &TestDb, what: &str) {
    let warm: Vec<String> = CHECKED.iter().map(|a| db.run(a).ok().stdout).collect();
    // And a second run, which reads what the first one kept.
    let again: Vec<String> = CHECKED.iter().map(|a| db.run(a).ok().stdout).collect();
    let cold = cold_copy(db);
    for ((args, w), a) in CHECKED.iter().zip(&warm).zip(&again) {
        let c = stdout_on(db, &cold, args);
        assert!(!c.is_empty(), "{args:?} printed nothing");
        assert_eq!(*w, c, "after {what}: {args:?} with the cache differs from a cold run");
        assert_eq!(*a, c, "after {what}: {args:?} read back from the cache differs from a cold run");
    }
    std::fs::remove_file(&cold).ok();
}

fn demo() -> TestDb {
    let db = TestDb::new();
    db.run(&["--quiet", "--db", db.path.to_str().unwrap(), "demo"]).ok();
    db
}

/// The acceptance: on the demo data, cached and cold `forecast --json` (and the other
/// commands that forecast) are byte-identical, and the cache is really filled.
#[test]
fn cached_and_cold_forecasts_are_byte_identical_on_the_demo() {
    let db = demo();
    assert_warm_equals_cold(&db, "nothing");
    assert!(cache_rows(&db.path) > 0, "the commands filled the cache");
    // The other commands that forecast agree with a cold run too.
    let cold = cold_copy(&db);
    for args in [
        &["report"][..],
        &["report", "--history", "6", "--format", "json"],
        &["calibration", "--forecasts", "--json"],
        &["deadline", "list", "--json"],
        &["engineer", "show", "wang-xm", "--json"],
        &["backtest", "--json"],
    ] {
        let first = db.run(args).ok().stdout;
        let second = db.run(args).ok().stdout;
        assert_eq!(first, second, "{args:?}");
        assert_eq!(first, stdout_on(&db, &cold, args), "{args:?}");
    }
}

/// Never stale: each kind of input change — a new reading, a back-dated one, an amended and a
/// retracted one, an edited target, an import, an archived metric — is followed by warm
/// answers equal to cold ones.
#[test]
fn every_kind_of_input_change_gives_the_answer_of_a_cold_computation() {
    let db = demo();
    assert_warm_equals_cold(&db, "nothing");
    let log = |date: &str, value: &str| {
        db.run(&[
            "log",
            "--metric",
            "chips/yield-pct",
            "--engineer",
            "wang-xm",
            "--value",
            value,
            "--date",
            date,
            "--note",
            "cache test",
            "--force",
        ])
        .ok();
    };
    // A new reading today.
    log("2026-11-29", "83");
    assert_warm_equals_cold(&db, "a new reading");
    // A back-dated one, before last week's as-of date (changes last week's forecast too).
    log("2026-11-10", "12");
    assert_warm_equals_cold(&db, "a back-dated reading");

    let points = db.json(&["point", "list", "--metric", "chips/yield-pct", "--json"]);
    let ids: Vec<i64> = points.as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    let some = ids[ids.len() / 2].to_string();
    db.run(&["point", "amend", &some, "--value", "47.5", "--reason", "misheard", "--force"]).ok();
    assert_warm_equals_cold(&db, "an amended reading");
    let other = ids[ids.len() / 3].to_string();
    db.run(&["point", "retract", &other, "--reason", "wrong metric"]).ok();
    assert_warm_equals_cold(&db, "a retracted reading");
    let moved = ids[ids.len() - 2].to_string();
    db.run(&["point", "amend", &moved, "--date", "2026-10-01", "--reason", "wrong day", "--force"]).ok();
    assert_warm_equals_cold(&db, "a reading moved to another day");

    db.run(&["metric", "edit", "chips/yield-pct", "--target", "93"]).ok();
    assert_warm_equals_cold(&db, "an edited target");
    db.run(&["metric", "edit", "chips/yield-pct", "--tolerance", "1.5"]).ok();
    assert_warm_equals_cold(&db, "an edited tolerance");

    std::fs::write(
        db.file("more.csv"),
        "date,project,metric,engineer,value,note\n\
         2026-11-20,chips,yield-pct,wang-xm,61,imported\n\
         2026-11-27,power,array-output-kw,priya-r,150,imported\n",
    )
    .unwrap();
    db.run(&["import", "more.csv"]).ok();
    assert_warm_equals_cold(&db, "an import");

    db.run(&["metric", "archive", "power/cost-per-watt", "--reason", "dropped"]).ok();
    assert_warm_equals_cold(&db, "an archived metric");
    db.run(&["metric", "unarchive", "power/cost-per-watt", "--reason", "back"]).ok();
    assert_warm_equals_cold(&db, "an unarchived metric");
}

/// An entry written by another engine version is ignored, and the cache is really read: an
/// entry of this version that holds another metric's forecast shows (which is why nothing
/// but this build writes them), until `doctor --rebuild-cache` drops and rebuilds it.
#[test]
fn other_engines_entries_are_ignored_and_doctor_rebuilds_the_cache() {
    let db = demo();
    let args = ["forecast", "--json"];
    let cold = cold_copy(&db);
    let expected = stdout_on(&db, &cold, &args);
    assert_eq!(db.run(&args).ok().stdout, expected);
    let swap = |engine: &str| {
        let conn = rusqlite::Connection::open(&db.path).unwrap();
        // Every entry gets the forecast of the metric after it.
        conn.execute_batch(&format!(
            "CREATE TEMP TABLE shifted AS
               SELECT a.as_of, a.variant, a.metric_id,
                      (SELECT b.fitted FROM forecast_cache b
                        WHERE b.as_of = a.as_of AND b.variant = a.variant AND b.metric_id > a.metric_id
                        ORDER BY b.metric_id LIMIT 1) AS fitted,
                      (SELECT b.dated FROM forecast_cache b
                        WHERE b.as_of = a.as_of AND b.variant = a.variant AND b.metric_id > a.metric_id
                        ORDER BY b.metric_id LIMIT 1) AS dated
                 FROM forecast_cache a;
             UPDATE forecast_cache SET
               fitted = coalesce((SELECT s.fitted FROM shifted s WHERE s.as_of = forecast_cache.as_of
                         AND s.variant = forecast_cache.variant AND s.metric_id = forecast_cache.metric_id), fitted),
               dated = (SELECT s.dated FROM shifted s WHERE s.as_of = forecast_cache.as_of
                         AND s.variant = forecast_cache.variant AND s.metric_id = forecast_cache.metric_id),
               engine = '{engine}';"
        ))
        .unwrap();
    };
    // Another engine's entries: ignored (and replaced by this build's).
    swap("limfac-0.0.0-timing-0");
    assert_eq!(db.run(&args).ok().stdout, expected, "another engine's entries were used");
    // This engine's: read back as they are (proof that the cache is read at all).
    let engine = limfac::core::forecast::ENGINE;
    swap(engine);
    let tampered = db.run(&args).ok().stdout;
    assert_ne!(tampered, expected, "the cache was not read");
    let r = db.run(&["doctor", "--rebuild-cache"]).ok();
    assert!(r.stderr.contains("dropped"), "{}", r.stderr);
    assert!(cache_rows(&db.path) > 0, "doctor filled the cache again");
    assert_eq!(db.run(&args).ok().stdout, expected);
}

/// Backups and exports leave the cache out.
#[test]
fn backups_and_exports_leave_the_cache_out() {
    let db = demo();
    db.run(&["report"]).ok();
    assert!(cache_rows(&db.path) > 0);
    let copy = cold_copy(&db);
    assert_eq!(cache_rows(&copy), 0);
    let dump = db.dump();
    for needle in ["forecast_cache", "replay_cache", "calibration_cache", "fitted"] {
        assert!(!dump.contains(needle), "{needle} in the export");
    }
}

/// A process killed with SIGKILL while it fills the cache leaves whole entries or none: the
/// next run prints what a cold run prints.
#[test]
fn a_kill_while_the_cache_is_written_leaves_the_next_run_correct() {
    let db = TestDb::new();
    db.run(&["--quiet", "--db", db.path.to_str().unwrap(), "demo", "--scale", "0.01"]).ok();
    let args = ["report", "--format", "json"];
    let cold = cold_copy(&db);
    let expected = stdout_on(&db, &cold, &args);
    let mut rng = SplitMix(17);
    let started = std::time::Instant::now();
    let full = {
        db.std_cmd().args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
        started.elapsed()
    };
    let mut interrupted = 0;
    for round in 0..12 {
        // An empty cache each round, so that every kill lands while it is being filled.
        let conn = rusqlite::Connection::open(&db.path).unwrap();
        conn.execute_batch("DELETE FROM forecast_cache; DELETE FROM forecast_cache_use; DELETE FROM replay_cache; DELETE FROM calibration_cache;").unwrap();
        drop(conn);
        let mut child = db.std_cmd().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let wait = full.mul_f64(0.2 + 0.8 * (rng.below(1000) as f64 / 1000.0));
        std::thread::sleep(wait);
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            interrupted += 1;
        }
        let after = db.run(&args).ok().stdout;
        assert_eq!(after, expected, "round {round}: the run after a kill differs from a cold one");
        db.health();
    }
    assert!(interrupted >= 6, "only {interrupted} of 12 kills interrupted the run");
}

/// Two processes filling the cache at once both print the cold answer, and so does the next.
#[test]
fn two_processes_filling_the_cache_at_once_agree() {
    let db = TestDb::new();
    db.run(&["--quiet", "--db", db.path.to_str().unwrap(), "demo", "--scale", "0.01"]).ok();
    let cold = cold_copy(&db);
    for args in [&["forecast", "--json"][..], &["report", "--format", "json"]] {
        let expected = stdout_on(&db, &cold, args);
        for _ in 0..3 {
            let conn = rusqlite::Connection::open(&db.path).unwrap();
            conn.execute_batch("DELETE FROM forecast_cache; DELETE FROM forecast_cache_use; DELETE FROM replay_cache; DELETE FROM calibration_cache;").unwrap();
            drop(conn);
            let spawn = || db.std_cmd().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            let (a, b) = (spawn(), spawn());
            for child in [a, b] {
                let o = child.wait_with_output().unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                assert_eq!(String::from_utf8(o.stdout).unwrap(), expected, "{args:?}");
            }
            assert_eq!(db.run(args).ok().stdout, expected, "{args:?} after two fillers");
        }
    }
    db.health();
}

/// Scale data (a small scale): cached and cold `forecast --json` and reports are
/// byte-identical, and a week of new readings on every metric gives the cold answer too.
#[test]
fn scale_data_cached_equals_cold() {
    let db = TestDb::new();
    db.run(&["--quiet", "--db", db.path.to_str().unwrap(), "demo", "--scale", "0.01"]).ok();
    let cold = cold_copy(&db);
    for args in [&["forecast", "--json"][..], &["report", "--format", "json"]] {
        let expected = stdout_on(&db, &cold, args);
        assert_eq!(db.run(args).ok().stdout, expected, "{args:?} filling");
        assert_eq!(db.run(args).ok().stdout, expected, "{args:?} warm");
    }
    // A week later, with a new reading on every metric.
    let metrics = db.json(&["metric", "list", "--json"]);
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    let engineers = db.json(&["engineer", "list", "--json"]);
    let who = engineers[0]["handle"].as_str().unwrap();
    for m in metrics.as_array().unwrap() {
        let last = db.json(&[
            "point",
            "list",
            "--metric",
            &format!("{}/{}", m["project"].as_str().unwrap(), m["metric"].as_str().unwrap()),
            "--json",
        ]);
        let v = last.as_array().unwrap().last().map(|p| p["value"].as_f64().unwrap()).unwrap_or(1.0);
        csv.push_str(&format!(
            "2026-12-06,{},{},{who},{},next week\n",
            m["project"].as_str().unwrap(),
            m["metric"].as_str().unwrap(),
            v
        ));
    }
    std::fs::write(db.file("week.csv"), csv).unwrap();
    db.cmd_env("LIMFAC_NOW", "2026-12-06");
    db.run(&["import", "week.csv"]).ok();
    let cold = cold_copy(&db);
    for args in [&["forecast", "--json"][..], &["report", "--format", "json"]] {
        let expected = stdout_on(&db, &cold, args);
        assert_eq!(db.run(args).ok().stdout, expected, "{args:?} a week later");
        assert_eq!(db.run(args).ok().stdout, expected, "{args:?} a week later, warm");
    }
}
