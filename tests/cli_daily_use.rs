//! The defects a first week of real use found (issue 14, section 2), one
//! test each, through the real binary.

mod common;

use common::TestDb;

/// Defect 5: a mistyped `--db` or a forgotten `LIMFAC_DB` must not quietly
/// create an empty database. Reading commands fail with a hint; a writing
/// command that fails leaves nothing behind; the first successful write
/// creates the file and says where.
#[test]
fn a_missing_database_is_never_created_in_passing() {
    let db = TestDb::new();
    let typo = db.file("limfac.dbb");
    let typo_s = typo.to_str().unwrap();
    for args in [
        &["report"][..],
        &["forecast"],
        &["project", "list"],
        &["doctor"],
        &["export"],
        &["point", "list"],
        &["deadline", "list"],
    ] {
        let mut a = vec!["--db", typo_s];
        a.extend_from_slice(args);
        let r = db.run(&a).fails_with(&format!("there is no database at {typo_s} (from --db)"));
        assert!(r.stderr.contains("hint: check the path"), "{args:?}: {}", r.stderr);
        assert!(!typo.exists(), "{args:?} created {typo_s}");
    }
    // From the environment variable, the message says so.
    db.run(&["report"]).fails_with("(from $LIMFAC_DB)");
    assert!(!db.path.exists());

    // A write that fails leaves nothing behind, and says so.
    let r = db
        .run(&["--db", typo_s, "log", "--metric", "power/output", "--engineer", "alice", "--value", "1", "--note", "n"])
        .fails_with("project 'power' does not exist");
    assert!(r.stderr.contains("no database existed at"), "{}", r.stderr);
    assert!(!typo.exists(), "a failed log left {typo_s} behind");
    db.run(&["--db", typo_s, "project", "add", "x", "--name", "X", "--depends-on", "nope"]).fails_with("nope");
    assert!(!typo.exists());

    // The first write that succeeds creates it, with a notice naming the path; later ones say nothing.
    let r = db.run(&["project", "add", "power", "--name", "Power"]).ok();
    assert!(
        r.stderr.contains(&format!("created a new database at {} (from $LIMFAC_DB)", db.path.display())),
        "{}",
        r.stderr
    );
    assert!(db.path.exists());
    let r = db.run(&["project", "add", "chips", "--name", "Chips"]).ok();
    assert!(!r.stderr.contains("created a new database"), "{}", r.stderr);
    db.run(&["project", "list"]).ok();
}

/// Defect 3: citing an open blocker again (the same text on the same
/// project) refers to it, instead of opening a duplicate "open 0 weeks"
/// listed twice in the report.
#[test]
fn citing_an_open_blocker_again_refers_to_it() {
    let db = TestDb::seeded();
    let log = |date: &str, value: &str, blocker: &str| {
        db.run(&[
            "log",
            "--metric",
            "chips/defects",
            "--engineer",
            "wang-xm",
            "--value",
            value,
            "--date",
            date,
            "--note",
            "probe",
            "--blocker",
            blocker,
        ])
        .ok()
    };
    log("2026-11-02", "0.5", "supplier:wafer lot 9 late");
    let r = log("2026-11-16", "0.45", "Supplier: Wafer lot 9  late");
    assert!(r.stderr.contains("already open"), "{}", r.stderr);
    db.run(&["blocker", "add", "chips", "supplier:wafer lot 9 late", "--engineer", "alice"]).ok();
    let open = db.json(&["blocker", "list", "--json"]);
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["opened"], "2026-11-02");
    let report = db.run(&["report"]).ok().stdout;
    assert_eq!(report.matches("wafer lot 9 late").count(), 1, "{report}");
    assert!(report.contains("| 2026-11-02 | 3 |"), "{report}");

    // Once resolved, the same text opens a new blocker; another project's is its own.
    db.run(&["blocker", "resolve", "1"]).ok();
    log("2026-11-29", "0.4", "supplier:wafer lot 9 late");
    db.run(&["blocker", "add", "power", "supplier:wafer lot 9 late"]).ok();
    assert_eq!(db.json(&["blocker", "list", "--json"]).as_array().unwrap().len(), 2);
}
