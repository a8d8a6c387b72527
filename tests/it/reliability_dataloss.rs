//! The data-loss defects of issue 13: `demo` replacing whatever `--db`
//! names, import dropping columns of its header, and `--out` temp files
//! that followed planted symlinks; and (found at stop 28) an `--out` that
//! named the database itself and replaced it with a CSV.

use crate::common;

use common::{mode, TestDb};

/// Everything in the folder holding `path`, for "nothing else was left behind".
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

// --- item 1: demo only ever replaces a database it made itself ------------

#[test]
fn demo_refuses_a_real_database_named_by_db() {
    let db = TestDb::seeded();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "80", "--note", "real data"]).ok();
    let before = db.dump();
    let real = db.path.to_str().unwrap();
    let r = db.run(&["--db", real, "demo"]).fails_with(real);
    assert!(r.stderr.contains("not a demo database"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_eq!(db.dump(), before, "demo changed a real database");
    // The scale demo writes a database too: the same refusal.
    db.run(&["--db", real, "demo", "--scale", "0.01"]).fails_with("not a demo database");
    assert_eq!(db.dump(), before, "demo --scale changed a real database");
}

#[test]
fn demo_refuses_a_file_that_is_not_a_database() {
    let db = TestDb::new();
    let thesis = db.file("thesis.txt");
    std::fs::write(&thesis, "Chapter 1\n\nIt was a dark and stormy night.\n").unwrap();
    db.run(&["--db", thesis.to_str().unwrap(), "demo"]).fails_with("not a demo database");
    assert_eq!(std::fs::read_to_string(&thesis).unwrap(), "Chapter 1\n\nIt was a dark and stormy night.\n");
    assert_eq!(listing(db.dir.path()), ["thesis.txt"], "demo left files behind");
}

#[test]
fn demo_refuses_a_symlink_and_a_directory() {
    let db = TestDb::new();
    let target = db.file("target.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = db.file("link.db");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    db.run(&["--db", link.to_str().unwrap(), "demo"]).fails_with("symbolic link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    std::fs::create_dir(db.file("adir")).unwrap();
    db.run(&["--db", db.file("adir").to_str().unwrap(), "demo"]).fails_with("directory");
}

#[test]
fn demo_replaces_its_own_database_and_fills_an_empty_file() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    let d = demo.to_str().unwrap();
    db.run(&["--quiet", "--db", d, "demo"]).ok();
    let first = db.run(&["--db", d, "export", "--format", "json"]).ok().stdout;
    // A second run replaces the demo it made.
    db.run(&["--quiet", "--db", d, "demo"]).ok();
    assert_eq!(db.run(&["--db", d, "export", "--format", "json"]).ok().stdout, first);
    assert_eq!(mode(&demo), 0o600);
    assert_eq!(listing(db.dir.path()), ["demo.db"], "temporary files left behind");
    // An empty file (as mktemp makes) holds nothing to lose.
    let empty = db.file("empty.db");
    std::fs::write(&empty, b"").unwrap();
    db.run(&["--quiet", "--db", empty.to_str().unwrap(), "demo"]).ok();
    assert_eq!(db.run(&["--db", empty.to_str().unwrap(), "export", "--format", "json"]).ok().stdout, first);
    // A copy of a demo (backup) is a demo too; a database imported from a
    // demo's export is real data.
    let csv = db.file("demo.csv");
    db.run(&["--db", d, "export", "--out", csv.to_str().unwrap()]).ok();
    let imported = db.file("imported.db");
    db.run(&["--db", imported.to_str().unwrap(), "import", csv.to_str().unwrap(), "--create-missing"]).ok();
    db.run(&["--db", imported.to_str().unwrap(), "demo"]).fails_with("not a demo database");
}

// --- item 2: no column of an import's header is silently ignored ----------

fn import(db: &TestDb, name: &str, csv: &str, extra: &[&str]) -> common::Run {
    let f = db.file(name);
    std::fs::write(&f, csv).unwrap();
    let mut args = vec!["import", f.to_str().unwrap()];
    args.extend_from_slice(extra);
    db.run(&args)
}

fn points(db: &TestDb) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    v["points"].as_array().unwrap().clone()
}

#[test]
fn import_keeps_the_reviewer_without_a_kind_column() {
    let db = TestDb::seeded();
    import(
        &db,
        "r.csv",
        "date,project,metric,engineer,value,note,reviewer\n2026-11-20,power,output,alice,80,heard it,boss\n",
        &[],
    )
    .ok();
    let p = points(&db);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["reviewer"], "boss", "reviewer dropped: {p:?}");
    // Like `log`, a point with a reviewer and no kind joins that day's weekly review.
    assert_eq!(p[0]["kind"], "weekly");
    // A row whose kind cell is empty keeps its reviewer too.
    import(
        &db,
        "k.csv",
        "date,project,metric,engineer,value,note,kind,reviewer\n2026-11-21,power,output,alice,81,again,,boss\n",
        &[],
    )
    .ok();
    let p = points(&db);
    assert_eq!((p[1]["reviewer"].as_str(), p[1]["kind"].as_str()), (Some("boss"), Some("weekly")));
}

#[test]
fn import_refuses_metric_columns_that_disagree_with_the_stored_metric() {
    let db = TestDb::seeded();
    let header = "date,project,metric,engineer,value,note,target,direction,tolerance,unit\n";
    for (row, needle) in [
        ("2026-11-20,power,output,alice,80,n,100,up,2,kW", "line 2, column target: '100'"),
        ("2026-11-20,power,output,alice,80,n,120,down,2,kW", "line 2, column direction: 'down'"),
        ("2026-11-20,power,output,alice,80,n,120,up,0,kW", "line 2, column tolerance: '0'"),
        ("2026-11-20,power,output,alice,80,n,120,up,2,MW", "line 2, column unit: 'MW'"),
    ] {
        let before = db.dump();
        for extra in [&[][..], &["--create-missing"][..]] {
            let r = import(&db, "m.csv", &format!("{header}{row}\n"), extra).fails_with(needle);
            assert!(r.stderr.contains("power/output"), "{}", r.stderr);
            assert_eq!(db.dump(), before, "{row}");
        }
    }
    // Agreeing values (as export writes them) and empty cells are fine.
    import(&db, "ok.csv", &format!("{header}2026-11-20,power,output,alice,80,n,120,up,2,kW\n"), &[]).ok();
    import(&db, "ok2.csv", &format!("{header}2026-11-21,power,output,alice,81,n,,,,\n"), &[]).ok();
    // A metric created by the import is held to its first row's definition.
    let r = import(
        &db,
        "new.csv",
        &format!("{header}2026-11-20,power,eff,alice,0.5,n,0.9,up,0,\n2026-11-21,power,eff,alice,0.6,n,0.95,up,0,\n"),
        &["--create-missing"],
    );
    r.fails_with("line 3, column target: '0.95'");
    assert_eq!(points(&db).len(), 2);
}

// --- item 3: temporary files never follow a planted link or reuse a planted file

/// Runs `limfac ARGS` from bash after planting `plant` (a shell command that
/// may use `$$`, which `exec` keeps as limfac's process id) in the test folder.
fn planted(db: &TestDb, plant: &str, args: &[&str]) -> std::process::Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!("{plant}; exec '{}' {}", common::bin().display(), quoted.join(" "));
    let c = db.std_cmd();
    let env: Vec<_> = c.get_envs().map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned()))).collect();
    let mut bash = std::process::Command::new("bash");
    bash.arg("-c").arg(script).current_dir(db.dir.path()).stdin(std::process::Stdio::null());
    for (k, v) in env {
        match v {
            Some(v) => bash.env(k, v),
            None => bash.env_remove(k),
        };
    }
    bash.output().unwrap()
}

#[test]
fn out_temp_files_never_follow_a_planted_symlink_or_reuse_a_planted_file() {
    let db = TestDb::seeded();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "80", "--note", "secret note"]).ok();
    let victim = db.file("victim");
    for (out, args) in [
        ("out.csv", &["export", "--out", "out.csv"][..]),
        ("out.json", &["export", "--format", "json", "--out", "out.json"]),
        ("r.md", &["report", "--out", "r.md"]),
        ("c.svg", &["chart", "power/output", "--out", "c.svg"]),
        ("d.ics", &["deadline", "ics", "--out", "d.ics"]),
    ] {
        // A link where the old code put its temporary file: `.NAME.tmpPID`.
        std::fs::write(&victim, "precious").unwrap();
        let o = planted(&db, &format!("ln -s victim .{out}.tmp$$"), args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "{args:?} wrote through the link");
        assert!(std::fs::symlink_metadata(db.file(out)).unwrap().file_type().is_file());
        assert_eq!(mode(&db.file(out)), 0o600, "{out}");
        // A world-writable file planted there must not become the output.
        std::fs::remove_file(db.file(out)).unwrap();
        let o = planted(&db, &format!("umask 000; touch .{out}.tmp$$; chmod 666 .{out}.tmp$$"), args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(mode(&db.file(out)), 0o600, "{out} is not private");
        std::fs::remove_file(db.file(out)).unwrap();
    }
    // Nothing but the planted files and the database is left in the folder.
    let left: Vec<String> = listing(db.dir.path())
        .into_iter()
        .filter(|n| !n.starts_with("limfac.db") && n != "victim" && !n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

// --- item 6: re-importing an export neither duplicates nor reopens ---------

/// The whole database as JSON, without ids (they may differ between databases).
fn content(db: &TestDb, path: &std::path::Path) -> serde_json::Value {
    let out = db.run(&["--db", path.to_str().unwrap(), "export", "--format", "json"]).ok().stdout;
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for list in ["points", "blockers", "reviews", "deadlines"] {
        let items = v[list].as_array_mut().unwrap();
        for item in items.iter_mut() {
            item.as_object_mut().unwrap().remove("id");
            item.as_object_mut().unwrap().remove("review");
        }
        items.sort_by_key(|i| i.to_string());
    }
    v
}

fn open_blockers(v: &serde_json::Value) -> usize {
    v["blockers"].as_array().unwrap().iter().filter(|b| b["resolved"].is_null()).count()
}

#[test]
fn reimporting_an_export_changes_nothing_and_keeps_blockers_resolved() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    let d = demo.to_str().unwrap();
    db.run(&["--quiet", "--db", d, "demo"]).ok();
    let before = content(&db, &demo);
    let report = |p: &str| {
        let r = db.run(&["--db", p, "report", "--format", "json"]).ok().stdout;
        let v: serde_json::Value = serde_json::from_str(&r).unwrap();
        (v["limiting_factor"]["project"].clone(), v["limiting_factor"]["metric"].clone())
    };
    let lf = report(d);
    let csv = db.file("all.csv");
    db.run(&["--db", d, "export", "--out", csv.to_str().unwrap()]).ok();

    // Into the same database: every row is already there.
    let r = db.run(&["--db", d, "import", csv.to_str().unwrap(), "--json"]).ok();
    let summary: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(summary["points"], 0, "{summary}");
    assert_eq!(summary["skipped"], before["points"].as_array().unwrap().len(), "{summary}");
    assert_eq!(content(&db, &demo), before, "re-importing the export changed the database");
    assert_eq!(report(d), lf, "the limiting factor changed");

    // Into an empty database: the points, and the blockers they cite with
    // their resolutions, come back exactly.
    let fresh = db.file("fresh.db");
    let f = fresh.to_str().unwrap();
    db.run(&["--db", f, "import", csv.to_str().unwrap(), "--create-missing"]).ok();
    let after = content(&db, &fresh);
    assert_eq!(after["points"], before["points"]);
    assert_eq!(open_blockers(&after), open_blockers(&before), "resolved blockers reopened");
    let cited: Vec<&serde_json::Value> = before["blockers"].as_array().unwrap().iter().collect();
    assert_eq!(after["blockers"].as_array().unwrap().iter().collect::<Vec<_>>(), cited);
    // And again: nothing doubles.
    db.run(&["--db", f, "import", csv.to_str().unwrap()]).ok();
    assert_eq!(content(&db, &fresh), after);
}

#[test]
fn reimport_counts_identical_rows_and_applies_a_resolution() {
    let db = TestDb::seeded();
    let header = "date,project,metric,engineer,value,note,blocker,blocker_resolved\n";
    // Two identical readings in one file are two readings.
    let twice = format!(
        "{header}2026-11-20,power,output,alice,80,same,power:permit,\n2026-11-20,power,output,alice,80,same,,\n"
    );
    import(&db, "twice.csv", &twice, &[]).ok();
    assert_eq!(points(&db).len(), 2);
    import(&db, "twice.csv", &twice, &[]).ok();
    assert_eq!(points(&db).len(), 2, "a re-import doubled identical readings");
    // A third identical row is a new reading.
    let thrice = format!("{twice}2026-11-20,power,output,alice,80,same,,\n");
    import(&db, "thrice.csv", &thrice, &[]).ok();
    assert_eq!(points(&db).len(), 3);
    // The same reading with its blocker now resolved resolves it.
    let resolved = format!("{header}2026-11-20,power,output,alice,80,same,power:permit,2026-11-25\n");
    import(&db, "res.csv", &resolved, &[]).ok();
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    assert_eq!(v["blockers"][0]["resolved"], "2026-11-25");
    assert_eq!(points(&db).len(), 3);
    // ...and an older file saying it is open does not reopen it.
    import(&db, "twice.csv", &twice, &[]).ok();
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    assert_eq!(v["blockers"][0]["resolved"], "2026-11-25");
    // The same reading citing other blockers is refused, naming the line.
    let other = format!("{header}2026-11-20,power,output,alice,80,same,chips:fab,\n");
    std::fs::write(db.file("o.csv"), other).unwrap();
    db.refused(&["import", db.file("o.csv").to_str().unwrap()], "line 2");
    // A resolution before the reading, or not lined up with the blockers, is refused.
    for (row, needle) in [
        ("2026-11-21,power,output,alice,1,n,power:x,2026-11-20", "line 2, column blocker_resolved"),
        ("2026-11-21,power,output,alice,1,n,power:x,\"2026-11-22\n2026-11-24\"", "line 2, column blocker_resolved"),
        ("2026-11-21,power,output,alice,1,n,,2026-11-22", "line 2, column blocker_resolved"),
    ] {
        let f = db.file("bad.csv");
        std::fs::write(&f, format!("{header}{row}\n")).unwrap();
        db.refused(&["import", f.to_str().unwrap()], needle);
    }
}

// --- an export, report, calendar or CSV never replaces a database -----------

/// `export --out limfac.db` (a slip, or tab completion picking the `.db`) replaced the whole
/// database in use with a CSV and said "exported"; so did `report --out`, `deadline ics
/// --out` and `demo --csv`. Every writer now refuses a SQLite file, the one in use, a backup
/// or the files beside one, and the database is left as it was.
#[test]
fn no_output_is_ever_written_over_a_database() {
    let db = TestDb::seeded_with_readings();
    let me = db.path.to_str().unwrap();
    for args in [
        &["export", "--out", me][..],
        &["report", "--out", me],
        &["deadline", "ics", "--out", me],
        &["demo", "--scale", "0.01", "--csv", me],
    ] {
        let r = db.refused(args, "is a SQLite database");
        assert!(r.stderr.contains("hint: give a new file name"), "{}", r.stderr);
    }
    db.run(&["report"]).ok();
    // A backup is a database too, and so are the files SQLite keeps beside one.
    let copy = db.file("copy.db");
    db.run(&["--quiet", "backup", copy.to_str().unwrap()]).ok();
    let saved = std::fs::read(&copy).unwrap();
    db.refused(&["export", "--out", copy.to_str().unwrap()], "is a SQLite database");
    let shm = db.file("copy.db-shm");
    std::fs::write(&shm, b"index").unwrap();
    db.refused(&["export", "--out", shm.to_str().unwrap()], "a file of the SQLite database beside it");
    assert_eq!(std::fs::read(&copy).unwrap(), saved, "the backup changed");
    assert_eq!(std::fs::read(&shm).unwrap(), b"index");
    // Any other file is still replaced, as before.
    let old = db.file("old.csv");
    std::fs::write(&old, "stale").unwrap();
    db.run(&["--quiet", "export", "--out", old.to_str().unwrap()]).ok();
    assert!(std::fs::read_to_string(&old).unwrap().starts_with("date,"));
}
