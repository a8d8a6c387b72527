//! Readers racing writers (issue 13, items 4 and 5): every reading command
//! sees one snapshot of the database, so a point whose engineer or blocker
//! was committed between two of its reads can neither panic it nor make its
//! output disagree with itself.
//!
//! Nothing here is timed: a writer loop keeps importing while reader loops
//! run a fixed number of times; the assertions hold in any interleaving.

use crate::common;

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::TestDb;

/// The seeded organization has three engineers and no points or blockers;
/// every import below adds one point, one blocker and one new engineer.
const SEEDED_ENGINEERS: usize = 3;

/// Checks one `export --format json` for a point-in-time copy.
fn consistent_export(stdout: &str) -> Result<usize, String> {
    let v: serde_json::Value = serde_json::from_str(stdout).map_err(|e| format!("not JSON ({e})"))?;
    let points = v["points"].as_array().ok_or("no points")?;
    let blockers = v["blockers"].as_array().ok_or("no blockers")?;
    let engineers = v["engineers"].as_array().ok_or("no engineers")?;
    let handles: std::collections::HashSet<&str> = engineers.iter().filter_map(|e| e["handle"].as_str()).collect();
    if blockers.len() != points.len() {
        return Err(format!("{} blockers but {} points", blockers.len(), points.len()));
    }
    if engineers.len() != SEEDED_ENGINEERS + points.len() {
        return Err(format!("{} engineers but {} points", engineers.len(), points.len()));
    }
    for p in points {
        let e = p["engineer"].as_str().unwrap_or_default();
        if !handles.contains(e) {
            return Err(format!("point by {e}, who is not among the engineers"));
        }
        if p["blockers"].as_array().map(Vec::len) != Some(1) {
            return Err(format!("point without its blocker: {p}"));
        }
    }
    Ok(points.len())
}

/// What a reader checks in one run's standard output.
type Check = fn(&str) -> Result<Option<usize>, String>;

fn json(stdout: &str) -> Result<Option<usize>, String> {
    serde_json::from_str::<serde_json::Value>(stdout).map(|_| None).map_err(|e| format!("not JSON ({e})"))
}

fn anything(_: &str) -> Result<Option<usize>, String> {
    Ok(None)
}

/// Runs READERS × RUNS reader processes (cycling through `commands`) while a
/// writer loop imports one new engineer, point and blocker at a time.
/// Returns every failure, and each reader's sequence of export sizes.
fn race(db: &Arc<TestDb>, commands: &[(&[&str], Check)], runs: usize) -> (Vec<String>, Vec<Vec<usize>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (db, stop, written) = (db.clone(), stop.clone(), written.clone());
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let csv = db.file(&format!("w{}.csv", i % 2));
                let day = 1 + i % 28;
                std::fs::write(
                    &csv,
                    format!(
                        "date,project,metric,engineer,value,note,blocker\n2026-11-{day:02},power,output,e{i},{},reading {i},power:blocker {i}\n",
                        60 + i % 50
                    ),
                )
                .unwrap();
                let o = db
                    .std_cmd()
                    .args(["import", csv.to_str().unwrap(), "--create-missing"])
                    .stdout(Stdio::null())
                    .output()
                    .unwrap();
                if !o.status.success() {
                    failures.push(format!("import {i}: {}", String::from_utf8_lossy(&o.stderr)));
                }
                written.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
            failures
        })
    };
    // Readers start once the writer is writing (progress, not time).
    while written.load(Ordering::SeqCst) < 2 {
        std::thread::yield_now();
    }
    const READERS: usize = 2;
    let commands: Vec<(Vec<String>, Check)> =
        commands.iter().map(|(a, c)| (a.iter().map(|s| s.to_string()).collect(), *c)).collect();
    let readers: Vec<_> = (0..READERS)
        .map(|r| {
            let (db, commands) = (db.clone(), commands.clone());
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let mut sizes = Vec::new();
                for n in 0..runs {
                    let (args, check) = &commands[n % commands.len()];
                    let args: Vec<String> = args.iter().map(|a| a.replace("{r}", &r.to_string())).collect();
                    let o = db.std_cmd().args(&args).output().unwrap();
                    let stderr = String::from_utf8_lossy(&o.stderr);
                    let what = format!("reader {r} run {n} {args:?}");
                    if !o.status.success() || stderr.contains("panicked") {
                        failures.push(format!("{what}: exit {:?}: {stderr}", o.status.code()));
                        continue;
                    }
                    match check(&String::from_utf8_lossy(&o.stdout)) {
                        Ok(Some(size)) => sizes.push(size),
                        Ok(None) => {}
                        Err(e) => failures.push(format!("{what}: {e}")),
                    }
                }
                (failures, sizes)
            })
        })
        .collect();
    let mut failures = Vec::new();
    let mut sizes = Vec::new();
    for h in readers {
        let (f, s) = h.join().unwrap();
        failures.extend(f);
        sizes.push(s);
    }
    stop.store(true, Ordering::SeqCst);
    failures.extend(writer.join().unwrap());
    assert!(written.load(Ordering::SeqCst) > 2, "the writer wrote nothing during the reads");
    (failures, sizes)
}

/// Item 4: `report`, `forecast`, `chart` and `deadline list` read the
/// engineers, metrics and points in one snapshot: 220 runs against a writer,
/// no panic, no failure, every output whole JSON.
#[test]
fn readers_racing_a_writer_never_panic() {
    let db = Arc::new(TestDb::seeded());
    db.run(&["deadline", "set", "power", "--date", "2027-06-01", "--reason", "launch"]).ok();
    let chart = db.file("c{r}.svg");
    let chart = chart.to_str().unwrap();
    let (failures, _) = race(
        &db,
        &[
            (&["report", "--format", "json"], json),
            (&["forecast", "--json"], json),
            (&["chart", "power/output", "--out", chart], anything),
            (&["deadline", "list", "--json"], json),
            (&["report"], anything),
        ],
        110,
    );
    assert!(failures.is_empty(), "{} failures in 220 reader runs:\n{}", failures.len(), failures.join("\n"));
    db.health();
}

/// Item 5: `export --format json` is a point-in-time copy: in every one of
/// 220 exports racing a writer, the blockers, points and engineers agree.
#[test]
fn export_json_racing_a_writer_is_a_point_in_time_copy() {
    let db = Arc::new(TestDb::seeded());
    let (failures, sizes) = race(&db, &[(&["export", "--format", "json"], |s| consistent_export(s).map(Some))], 110);
    assert!(failures.is_empty(), "{} failures in 220 exports:\n{}", failures.len(), failures.join("\n"));
    for s in &sizes {
        assert!(s.windows(2).all(|w| w[0] <= w[1]), "an export went back in time: {s:?}");
    }
    assert!(sizes.iter().any(|s| s.first() != s.last()), "the exports never saw the writer write");
}
