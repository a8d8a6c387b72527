//! The README's five-minute tour runs as written on a fresh database
//! (issue 14, defect 7): the block is extracted from README.md and run by
//! `sh -e`, in order, with the built `limfac` first on PATH and a fresh home
//! folder, so a tour line that fails (or a command the README names that
//! does not exist) fails this test.

use crate::common;

use std::path::Path;
use std::process::Command;

/// The shell block under "## A five-minute tour".
fn tour() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("## A five-minute tour").expect("the README has a tour");
    let rest = &readme[start..];
    let open = rest.find("```sh\n").expect("the tour is a sh block") + "```sh\n".len();
    let close = rest[open..].find("\n```").expect("the block ends");
    rest[open..open + close].to_string()
}

#[test]
fn the_readme_tour_runs_as_written_on_a_fresh_database() {
    let script = tour();
    assert!(script.lines().filter(|l| l.starts_with("limfac ")).count() >= 25, "{script}");
    let home = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("limfac");
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("sh")
        .arg("-ec")
        // Echo each command first, so a failure names the line.
        .arg(format!("set -x\n{script}"))
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("PATH", path)
        .env("LIMFAC_NOW", common::TODAY)
        .env("LIMFAC_CONFIG", home.path().join("no-config.toml"))
        .env("NO_COLOR", "1")
        .env_remove("LIMFAC_DB")
        .env_remove("EDITOR")
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the tour stopped:\n{stderr}");
    assert!(!stderr.contains("error:"), "{stderr}");
    // It worked on the database the tour names, created by its first write.
    assert!(home.path().join("reviews/limfac.db").is_file());
    assert!(stderr.contains("created a new database at"), "{stderr}");
}

/// LIMFAC_NOW is documented where people look, and a future `--date` is
/// refused under it as it is without it.
#[test]
fn limfac_now_is_documented_and_future_dates_are_refused_under_it() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("LIMFAC_NOW"), "README does not document LIMFAC_NOW");
    let db = common::TestDb::seeded();
    assert!(db.run(&["man"]).ok().stdout.contains("LIMFAC_NOW"));
    let future = |args: &[&str], date: &str, now: Option<&str>| {
        let mut c = db.cmd();
        match now {
            Some(n) => c.env("LIMFAC_NOW", n),
            None => c.env_remove("LIMFAC_NOW"),
        };
        let o = c.args(args).args(["--date", date]).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(1), "{args:?} --date {date} (LIMFAC_NOW {now:?}): {stderr}");
        assert!(stderr.contains("is in the future"), "{stderr}");
    };
    let log = ["log", "--metric", "power/output", "--engineer", "alice", "--value", "1", "--note", "n"];
    let commands: [&[&str]; 3] = [&log, &["review", "add"], &["blocker", "add", "power", "permits:grid"]];
    for args in commands {
        future(args, "2026-11-30", Some("2026-11-29"));
        future(args, "2026-12-01", Some("2026-11-30T09:00:00+02:00"));
        future(args, "2199-01-01", None);
    }
    assert_eq!(db.health().count("point"), 0);
}

/// A backup (or any --out) into a folder that does not exist says how to
/// create it, and the tour creates it first.
#[test]
fn a_missing_folder_comes_with_the_command_that_makes_it() {
    let db = common::TestDb::seeded();
    let target = db.file("backups/limfac.db");
    let r = db.run(&["backup", target.to_str().unwrap()]).fails_with("does not exist");
    assert!(
        r.stderr.contains(&format!("hint: create it first: mkdir -p {}", db.file("backups").display())),
        "{}",
        r.stderr
    );
    let r = db.run(&["export", "--out", db.file("out/all.csv").to_str().unwrap()]).fails_with("does not exist");
    assert!(r.stderr.contains("hint: create it first: mkdir -p"), "{}", r.stderr);
    assert!(tour().contains("mkdir -p ~/backups\nlimfac backup ~/backups/"));
}
