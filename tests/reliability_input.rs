//! Input hygiene (issue 13, items 16 and 17): the clock is bounded like
//! every typed date; a point joins only a meeting of its own date; the
//! Markdown report escapes HTML; invisible and direction-changing
//! characters are refused in names and shown escaped in notes.

mod common;

use common::TestDb;

// --- item 16: dates computed from the clock are bounded ---------------------

#[test]
fn an_absurd_clock_is_refused_naming_limfac_now() {
    let db = TestDb::seeded();
    let before = db.dump();
    for now in ["-262143-01-01", "1969-12-31", "9999-06-01", "+10000-01-01T00:00:00Z", "9999-12-31T23:00:00Z"] {
        for args in [
            &[
                "log",
                "--metric",
                "power/output",
                "--engineer",
                "alice",
                "--value",
                "1",
                "--note",
                "n",
                "--date",
                "monday",
            ][..],
            &["demo"],
            &["report"],
            &["deadline", "set", "power", "--date", "2027-01-01"],
        ] {
            let o = db.cmd().env("LIMFAC_NOW", now).args(args).output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "LIMFAC_NOW={now} {args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "LIMFAC_NOW={now} {args:?}: {stderr}");
            let first = stderr.lines().next().unwrap_or_default();
            assert!(first.starts_with("error: LIMFAC_NOW") && first.contains(now), "{stderr}");
        }
    }
    assert_eq!(db.dump(), before);
    assert!(!db.file("limfac-demo.db").exists(), "the demo was written with an absurd clock");
}

#[test]
fn the_latest_clock_allowed_still_gives_a_working_demo_and_deadlines() {
    let db = TestDb::new();
    let now = "9899-12-31";
    let run = |args: &[&str]| {
        let o = db.cmd().env("LIMFAC_NOW", now).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    run(&["--quiet", "--db", "demo.db", "demo"]);
    for args in [
        &["--db", "demo.db", "report", "--format", "json"][..],
        &["--db", "demo.db", "deadline", "list", "--json"],
        &["--db", "demo.db", "deadline", "ics", "--out", "d.ics"],
        &["--db", "demo.db", "deadline", "set", "chips", "--date", "9901-03-01"],
    ] {
        run(args);
    }
}
