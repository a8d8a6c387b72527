//! Files and paths (issue 13, items 7–12): outputs that are links, FIFOs or
//! devices; backups to links; writes that fail half-way (a full disk,
//! simulated with a file-size limit) or are killed; the report template;
//! a read-only database folder.

use crate::common;

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::TestDb;

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {path:?}");
}

// --- item 7: links, FIFOs and devices as --out -----------------------------

#[test]
fn out_refuses_a_symlink_and_leaves_it_and_its_target_alone() {
    let db = TestDb::seeded_with_readings();
    let real = db.file("real.csv");
    std::fs::write(&real, "keep").unwrap();
    let link = db.file("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let dangling = db.file("dangling.csv");
    std::os::unix::fs::symlink(db.file("nowhere.csv"), &dangling).unwrap();
    for out in [&link, &dangling] {
        let o = out.to_str().unwrap();
        for args in [
            &["export", "--out", o][..],
            &["report", "--out", o],
            &["chart", "power/output", "--out", &format!("{o}.svg")],
            &["deadline", "ics", "--out", o],
        ] {
            if args[0] == "chart" {
                std::os::unix::fs::symlink(&real, format!("{o}.svg")).unwrap();
            }
            db.run(args).fails_with("symbolic link");
            if args[0] == "chart" {
                std::fs::remove_file(format!("{o}.svg")).unwrap();
            }
        }
        assert!(std::fs::symlink_metadata(out).unwrap().file_type().is_symlink(), "{out:?} replaced");
    }
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "keep");
    assert!(!db.file("nowhere.csv").exists(), "wrote through a dangling link");
}

#[test]
fn out_writes_into_a_fifo_and_never_replaces_it() {
    let db = TestDb::seeded_with_readings();
    let fifo = db.file("pipe.csv");
    mkfifo(&fifo);
    // The reader is a process, so that it can be stopped if the FIFO is
    // replaced (its open would then wait for a writer forever).
    let mut reader = Command::new("cat").arg(&fifo).stdout(Stdio::piped()).spawn().unwrap();
    db.run(&["export", "--out", fifo.to_str().unwrap()]).ok();
    if !std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo() {
        let _ = reader.kill();
        let _ = reader.wait();
        panic!("export replaced the FIFO with a regular file");
    }
    let got = String::from_utf8(reader.wait_with_output().unwrap().stdout).unwrap();
    assert!(got.starts_with("date,project,metric"), "{got:?}");
    assert_eq!(got, db.run(&["export"]).ok().stdout);
    assert_eq!(listing(db.dir.path()).iter().filter(|n| n.contains("tmp")).count(), 0);
}

/// A character device: a node of the null device made in the test folder
/// when allowed (as root), so that a regression replaces that node and not
/// the machine's /dev/null; else /dev/null itself, which only root could
/// replace.
#[test]
fn out_writes_into_a_character_device_and_never_replaces_it() {
    let db = TestDb::seeded_with_readings();
    let node = db.file("null");
    let made = Command::new("mknod").arg(&node).args(["c", "1", "3"]).stderr(Stdio::null()).status();
    let device = if made.is_ok_and(|s| s.success()) { node } else { Path::new("/dev/null").to_path_buf() };
    for args in [&["export", "--format", "json", "--out"][..], &["report", "--out"], &["deadline", "ics", "--out"]] {
        let mut args = args.to_vec();
        args.push(device.to_str().unwrap());
        db.run(&args).ok();
        assert!(std::fs::metadata(&device).unwrap().file_type().is_char_device(), "{args:?} replaced the device");
    }
    // /dev/stdout is a link to standard output (here a pipe): written into.
    let r = db.run(&["export", "--out", "/dev/stdout"]).ok();
    assert!(r.stdout.starts_with("date,project,metric"), "{}", r.stdout);
}

// --- item 8: backup never writes through a link ----------------------------

#[test]
fn backup_refuses_a_symlink_dangling_or_not() {
    let db = TestDb::seeded_with_readings();
    let dangling = db.file("bk.db");
    std::os::unix::fs::symlink(db.file("elsewhere.db"), &dangling).unwrap();
    db.run(&["backup", dangling.to_str().unwrap()]).fails_with("symbolic link");
    assert!(!db.file("elsewhere.db").exists(), "backup created the link's target");
    let target = db.file("target.db");
    std::fs::write(&target, "keep").unwrap();
    let link = db.file("link.db");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    db.run(&["backup", link.to_str().unwrap()]).fails_with("symbolic link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    // A plain new file works, private.
    let ok = db.file("ok.db");
    db.run(&["backup", ok.to_str().unwrap()]).ok();
    assert_eq!(common::mode(&ok), 0o600);
    db.health_of(Some(&ok));
}

// --- item 9: a failed or killed write leaves nothing behind ----------------

/// A database of `n` readings with 5,000-character notes (150 KB for 30).
fn db_with_long_notes(n: usize) -> TestDb {
    let db = TestDb::seeded();
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    for i in 0..n {
        csv.push_str(&format!("2026-11-{:02},power,output,alice,{i},{}\n", 1 + i % 28, "n".repeat(5000)));
    }
    std::fs::write(db.file("long.csv"), csv).unwrap();
    db.run(&["import", "long.csv"]).ok();
    db
}

/// Runs limfac with its files limited to `bytes` (RLIMIT_FSIZE, as on a
/// full disk a write fails part-way). SIGXFSZ is ignored, so that the
/// write fails with EFBIG instead of killing the process.
fn limited(db: &TestDb, bytes: u64, args: &[&str]) -> common::Run {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script =
        format!("trap '' XFSZ; exec prlimit --fsize={bytes} '{}' {}", common::bin().display(), quoted.join(" "));
    let c = db.std_cmd();
    let mut bash = Command::new("bash");
    bash.arg("-c").arg(script).current_dir(db.dir.path()).stdin(Stdio::null());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => bash.env(k, v),
            None => bash.env_remove(k),
        };
    }
    let o = bash.output().unwrap();
    common::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn a_write_that_fails_part_way_leaves_the_old_file_and_no_temporary_file() {
    let db = db_with_long_notes(30);
    std::fs::write(db.file("out.csv"), "the old export").unwrap();
    let before = listing(db.dir.path());
    for args in [
        &["export", "--out", "out.csv"][..],
        &["export", "--format", "json", "--out", "out.csv"],
        &["report", "--out", "out.csv", "--template", "long.csv"],
    ] {
        let r = limited(&db, 64 * 1024, args).fails_with("out.csv");
        assert!(r.stderr.contains("too large") || r.stderr.contains("space"), "{}", r.stderr);
        assert_eq!(std::fs::read_to_string(db.file("out.csv")).unwrap(), "the old export", "{args:?}");
        assert_eq!(listing(db.dir.path()), before, "{args:?} left files behind");
    }
    // Without the limit the same write works.
    db.run(&["export", "--out", "out.csv"]).ok();
    assert_eq!(std::fs::read_to_string(db.file("out.csv")).unwrap(), db.run(&["export"]).ok().stdout);
}

#[test]
fn a_backup_that_fails_or_is_killed_leaves_nothing_that_blocks_a_retry() {
    // About 5 MB, so that a kill often lands while the copy is being written.
    let db = db_with_long_notes(1000);
    let before = listing(db.dir.path());
    limited(&db, 64 * 1024, &["backup", "bk.db"]).fails_with("bk.db");
    assert_eq!(listing(db.dir.path()), before, "a failed backup left files behind");
    db.run(&["backup", "bk.db"]).ok();
    db.health_of(Some(&db.file("bk.db")));
    std::fs::remove_file(db.file("bk.db")).unwrap();

    // Killed at moments spread over its run: never a partial bk.db.
    let mut rng = common::SplitMix(13);
    for round in 0..20 {
        let mut child = db.std_cmd().args(["backup", "bk.db"]).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_micros(rng.below(60_000)));
        let _ = child.kill();
        let _ = child.wait();
        assert!(!db.file("bk.db-journal").exists(), "round {round}: a journal left behind");
        if db.file("bk.db").exists() {
            // Only when it finished before the kill: whole (read without
            // limfac, which would turn an empty file into a database).
            let copy =
                rusqlite::Connection::open_with_flags(db.file("bk.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .unwrap();
            let points: Result<i64, _> = copy.query_row("SELECT count(*) FROM point", [], |r| r.get(0));
            assert_eq!(points.ok(), Some(1000), "round {round}: a partial bk.db blocks the retry");
            drop(copy);
            std::fs::remove_file(db.file("bk.db")).unwrap();
        }
        db.run(&["backup", "bk.db"]).ok();
        db.health_of(Some(&db.file("bk.db")));
        std::fs::remove_file(db.file("bk.db")).unwrap();
    }
}

// --- item 10: demo --csv on a full disk -------------------------------------

#[test]
fn demo_csv_on_a_full_disk_names_the_file_and_leaves_no_truncated_csv() {
    let db = TestDb::new();
    std::fs::write(db.file("big.csv"), "an older file").unwrap();
    let before = listing(db.dir.path());
    // The scale-0.01 CSV is about 1 MB; the limit stops it a quarter of the way.
    let r = limited(&db, 256 * 1024, &["demo", "--scale", "0.01", "--csv", "big.csv"]).fails_with("big.csv");
    assert!(r.stderr.contains("too large") || r.stderr.contains("space"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(db.file("big.csv")).unwrap(), "an older file");
    assert_eq!(listing(db.dir.path()), before, "left files behind");
    // A symbolic link as --csv is refused like any output.
    std::os::unix::fs::symlink(db.file("elsewhere.csv"), db.file("link.csv")).unwrap();
    db.run(&["demo", "--scale", "0.01", "--csv", "link.csv"]).fails_with("symbolic link");
    assert!(!db.file("elsewhere.csv").exists());
    // Without the limit it is written whole, private.
    db.run(&["demo", "--scale", "0.01", "--csv", "big.csv"]).ok();
    assert_eq!(common::mode(&db.file("big.csv")), 0o600);
    db.run(&["import", "big.csv", "--create-missing"]).ok();
}

// --- item 11: the report template is read only for a report, never blocks ---

/// Runs limfac with `LIMFAC_CONFIG`, stopping it (and failing) if it has not
/// ended after a minute: a watchdog against a hang, not a timing assertion.
fn run_with_config(db: &TestDb, config: &Path, args: &[&str]) -> common::Run {
    let mut child = db
        .std_cmd()
        .env("LIMFAC_CONFIG", config)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > give_up {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} hung (still running after 60 s)");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let o = child.wait_with_output().unwrap();
    common::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn a_moved_or_fifo_report_template_breaks_only_the_report_and_never_hangs() {
    let db = TestDb::seeded_with_readings();
    let config = db.file("config.toml");
    // Moved away: only a report needs it.
    std::fs::write(&config, "report_template = \"gone.md\"\n").unwrap();
    for args in [&["project", "list"][..], &["forecast", "--json"], &["report", "--format", "json"]] {
        run_with_config(&db, &config, args).ok();
    }
    let r = run_with_config(&db, &config, &["report"]).fails_with("gone.md");
    assert!(r.stderr.contains("report_template"), "{}", r.stderr);
    // A FIFO: nothing may wait for a writer that never comes.
    mkfifo(&db.file("fifo.md"));
    std::fs::write(&config, "report_template = \"fifo.md\"\n").unwrap();
    run_with_config(&db, &config, &["project", "list"]).ok();
    run_with_config(&db, &config, &["report"]).fails_with("not a regular file");
    let fifo = db.file("fifo.md");
    let no_config = db.file("none.toml");
    run_with_config(&db, &no_config, &["report", "--template", fifo.to_str().unwrap()])
        .fails_with("not a regular file");
    // A working template still works, from the config and from --template.
    std::fs::write(db.file("t.md"), "week {{ report.week }}\n").unwrap();
    std::fs::write(&config, "report_template = \"t.md\"\n").unwrap();
    assert_eq!(run_with_config(&db, &config, &["report"]).ok().stdout, "week 2026-W48\n");
}

// --- item 12: reading commands work on a read-only folder and file ---------

/// Runs limfac as a user who cannot write the database's folder or file:
/// as root (who could write anyway), as `nobody` through setpriv.
fn as_reader(db: &TestDb, args: &[&str]) -> common::Run {
    let c = db.std_cmd();
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut cmd = if root {
        let mut s = Command::new("setpriv");
        s.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(common::bin());
        s
    } else {
        Command::new(common::bin())
    };
    cmd.args(args).current_dir("/").stdin(Stdio::null()).env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default()).env("HOME", "/nonexistent");
    let o = cmd.output().unwrap();
    common::Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn reading_commands_work_on_a_read_only_folder_and_file() {
    let db = TestDb::seeded_with_readings();
    db.run(&["deadline", "set", "power", "--date", "2027-06-01", "--reason", "launch"]).ok();
    let expected = db.dump();
    let report = db.run(&["report", "--format", "json"]).ok().stdout;
    // A folder others may enter but nobody may write, holding a read-only file.
    let out = tempfile::tempdir().unwrap();
    chmod(out.path(), 0o777);
    assert!(!db.file("limfac.db-wal").exists() && !db.file("limfac.db-shm").exists());
    chmod(&db.path, 0o444);
    chmod(db.dir.path(), 0o555);
    let chart = out.path().join("c.svg");
    let copy = out.path().join("copy.db");
    for args in [
        &["project", "list"][..],
        &["engineer", "list"],
        &["metric", "list"],
        &["review", "list"],
        &["blocker", "list"],
        &["forecast", "--json"],
        &["report"],
        &["report", "--format", "html"],
        &["deadline", "list"],
        &["deadline", "history"],
        &["calibration"],
        &["backtest"],
        &["doctor"],
        &["chart", "power/output", "--out", chart.to_str().unwrap()],
        &["backup", copy.to_str().unwrap()],
    ] {
        let r = as_reader(&db, args);
        assert_eq!(r.code, 0, "{args:?} failed on a read-only folder:\n{}", r.stderr);
    }
    assert_eq!(as_reader(&db, &["export", "--format", "json"]).ok().stdout, expected);
    assert_eq!(as_reader(&db, &["report", "--format", "json"]).ok().stdout, report);
    // Writing is refused cleanly, naming the database.
    let r = as_reader(&db, &["log", "--metric", "power/output", "--engineer", "alice", "--value", "1", "--note", "n"]);
    r.fails_with("read-only");
    // Nothing was created beside the database.
    assert_eq!(listing(db.dir.path()), ["limfac.db"]);
    chmod(db.dir.path(), 0o755);
    chmod(&db.path, 0o600);
    assert_eq!(db.dump(), expected);
}
