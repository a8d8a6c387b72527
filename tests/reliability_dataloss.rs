//! The data-loss defects of issue 13: `demo` replacing whatever `--db`
//! names, import dropping columns of its header, and `--out` temp files
//! that followed planted symlinks.

mod common;

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
