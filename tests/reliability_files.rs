//! Files and paths (issue 13, items 7–12): outputs that are links, FIFOs or
//! devices; backups to links; writes that fail half-way (a full disk,
//! simulated with a file-size limit) or are killed; the report template;
//! a read-only database folder.

mod common;

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

fn db_with_points() -> TestDb {
    let db = TestDb::seeded();
    for (i, v) in ["70", "75", "80", "86"].iter().enumerate() {
        let date = format!("2026-11-{:02}", 1 + 7 * i);
        db.run(&[
            "log",
            "--metric",
            "power/output",
            "--engineer",
            "alice",
            "--value",
            v,
            "--note",
            "n",
            "--date",
            &date,
        ])
        .ok();
    }
    db
}

// --- item 7: links, FIFOs and devices as --out -----------------------------

#[test]
fn out_refuses_a_symlink_and_leaves_it_and_its_target_alone() {
    let db = db_with_points();
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
    let db = db_with_points();
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
    let db = db_with_points();
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
    let db = db_with_points();
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
