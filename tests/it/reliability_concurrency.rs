//! Concurrent processes (issue 8): eight people logging at once lose nothing
//! and fail nothing; eight processes creating a new database at once all
//! succeed; a backup taken while another process writes is consistent.
//!
//! Nothing here is timed: processes are released together by a barrier and
//! the assertions hold whatever order they run in.

use crate::common;

use std::collections::BTreeSet;
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::TestDb;

/// A lock error leaked to the user ("database is locked", SQLITE_BUSY).
fn lock_trouble(stderr: &str) -> bool {
    let s = stderr.to_lowercase();
    s.contains("locked") || s.contains("busy")
}

fn failure(what: &str, o: &Output) -> Option<String> {
    let stderr = String::from_utf8_lossy(&o.stderr);
    (!o.status.success() || lock_trouble(&stderr)).then(|| format!("{what}: {:?} {stderr}", o.status))
}

#[test]
fn eight_writers_lose_nothing_and_fail_nothing() {
    let db = Arc::new(TestDb::seeded());
    const WRITERS: usize = 8;
    const EACH: usize = 100;
    let start = Arc::new(Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (db, start) = (db.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                let mut failures = Vec::new();
                for i in 0..EACH {
                    let o = db
                        .std_cmd()
                        .args(["log", "--metric", "power/output", "--engineer", "alice", "--reviewer", "boss"])
                        .args(["--value", &format!("{}.{i}", 100 + w), "--note", &format!("writer {w} point {i}")])
                        .args(["--blocker", &format!("people:writer {w} blocker {i}")])
                        .stdout(Stdio::null())
                        .output()
                        .unwrap();
                    failures.extend(failure(&format!("writer {w} point {i}"), &o));
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    assert!(failures.is_empty(), "{} of 800 logs failed:\n{}", failures.len(), failures.join("\n"));

    let h = db.health();
    assert_eq!(h.count("point"), (WRITERS * EACH) as i64);
    assert_eq!(h.count("blocker"), (WRITERS * EACH) as i64);
    // All joined the same day's review, created exactly once.
    assert_eq!(h.count("review"), 1);
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    let notes: BTreeSet<String> =
        v["points"].as_array().unwrap().iter().map(|p| p["note"].as_str().unwrap().to_string()).collect();
    let expected: BTreeSet<String> =
        (0..WRITERS).flat_map(|w| (0..EACH).map(move |i| format!("writer {w} point {i}"))).collect();
    assert_eq!(notes, expected, "points lost or duplicated");
    for p in v["points"].as_array().unwrap() {
        let note = p["note"].as_str().unwrap();
        let blocker = note.replace("point", "blocker");
        assert_eq!(p["blockers"], serde_json::json!([format!("people:{blocker}")]), "{note}");
    }
}

#[test]
fn eight_processes_creating_a_new_database_at_once_all_succeed() {
    const ROUNDS: usize = 40;
    const PROCS: usize = 8;
    for round in 0..ROUNDS {
        let db = Arc::new(TestDb::new());
        let start = Arc::new(Barrier::new(PROCS));
        let handles: Vec<_> = (0..PROCS)
            .map(|i| {
                let (db, start) = (db.clone(), start.clone());
                std::thread::spawn(move || {
                    let mut c = db.std_cmd();
                    // Writers and a reader alike may be first to open the file.
                    match i {
                        0..=4 => c.args(["project", "add", &format!("p{i}"), "--name", "P"]),
                        5 | 6 => c.args(["engineer", "add", &format!("e{i}"), "--name", "E"]),
                        _ => c.args(["doctor", "--json"]),
                    };
                    c.stdout(Stdio::null());
                    start.wait();
                    let o = c.output().unwrap();
                    // A reader first to arrive finds no database and says so
                    // (it never creates one): that is not a failure.
                    let stderr = String::from_utf8_lossy(&o.stderr);
                    if i == 7 && o.status.code() == Some(1) && stderr.starts_with("error: there is no database at") {
                        return None;
                    }
                    failure(&format!("round {round} process {i}"), &o)
                })
            })
            .collect();
        let failures: Vec<String> = handles.into_iter().filter_map(|h| h.join().unwrap()).collect();
        assert!(failures.is_empty(), "first-open race:\n{}", failures.join("\n"));
        let h = db.health();
        assert_eq!(h.schema_version, limfac::store::migrations::LATEST);
        assert_eq!((h.count("project"), h.count("engineer")), (5, 2), "round {round}");
    }
}

/// `backup` uses SQLite's online backup: the copy is a consistent snapshot
/// even while other processes keep writing, and it finishes (with small
/// steps, every write restarted the copy from the beginning).
#[test]
fn backup_while_others_write_is_consistent() {
    let db = Arc::new(TestDb::seeded());
    // Big enough to span many pages (several MB).
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    for i in 0..20_000 {
        csv.push_str(&format!(
            "2026-{:02}-{:02},chips,defects,alice,{i},\"bulk reading {i}\"\n",
            i % 10 + 1,
            i % 28 + 1
        ));
    }
    std::fs::write(db.file("bulk.csv"), csv).unwrap();
    db.run(&["import", "bulk.csv"]).ok();
    let base = db.health().count("point");

    let stop = Arc::new(AtomicBool::new(false));
    let logged = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (db, stop, logged) = (db.clone(), stop.clone(), logged.clone());
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let o = db
                        .std_cmd()
                        .args(["log", "--metric", "power/output", "--engineer", "wang-xm"])
                        // Near the metric's readings, as in the test above: a value the
                        // "is this a typo?" check would question makes `log` fail without a
                        // terminal, which is not what this test is about.
                        .args(["--value", &format!("{}.{i}", 100 + w), "--note", &format!("writer {w} point {i}")])
                        // Texts of their own: citing an open blocker again refers to it.
                        .args(["--blocker", &format!("power:grid permit {w}-{i}")])
                        .args(["--blocker", &format!("people:short {w}-{i}")])
                        .stdout(Stdio::null())
                        .output()
                        .unwrap();
                    failures.extend(failure(&format!("writer {w} point {i}"), &o));
                    logged.fetch_add(1, Ordering::SeqCst);
                    i += 1;
                }
                failures
            })
        })
        .collect();

    let mut copies = Vec::new();
    for n in 0..3 {
        // Wait (for progress, not for time) until the writers are writing.
        let seen = logged.load(Ordering::SeqCst);
        while logged.load(Ordering::SeqCst) < seen + 3 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let copy = db.file(&format!("copy{n}.db"));
        let before = db.health().count("point");
        let mut child = db.std_cmd().arg("backup").arg(&copy).stderr(Stdio::piped()).spawn().unwrap();
        // A watchdog, not a timing assertion: a backup that never ends fails
        // here instead of hanging the suite.
        let give_up = Instant::now() + Duration::from_secs(120);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > give_up {
                let _ = child.kill();
                stop.store(true, Ordering::SeqCst);
                panic!("backup {n} did not finish in 120 s while others wrote");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let o = child.wait_with_output().unwrap();
        assert!(failure("backup", &o).is_none(), "{}", String::from_utf8_lossy(&o.stderr));
        copies.push((copy, before, db.health().count("point")));
    }
    stop.store(true, Ordering::SeqCst);
    let failures: Vec<String> = writers.into_iter().flat_map(|h| h.join().unwrap()).collect();
    assert!(failures.is_empty(), "writers failed during backups:\n{}", failures.join("\n"));

    for (copy, before, after) in copies {
        assert_eq!(common::mode(&copy), 0o600, "backup file mode");
        for side in ["-wal", "-shm", "-journal"] {
            let mut p = copy.clone().into_os_string();
            p.push(side);
            assert!(!std::path::Path::new(&p).exists(), "{} left behind", p.to_string_lossy());
        }
        let h = db.health_of(Some(&copy));
        let points = h.count("point");
        assert!(before <= points && points <= after, "{copy:?}: {points} points, not within {before}..={after}");
        // A snapshot between transactions: each logged point has both blockers.
        assert_eq!(h.count("blocker"), 2 * (points - base), "{copy:?}");
    }
    assert_eq!(db.health().count("blocker"), 2 * (db.health().count("point") - base));
}
