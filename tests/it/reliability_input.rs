//! Input hygiene (issue 13, items 16 and 17): the clock is bounded like
//! every typed date; a point joins only a meeting of its own date; the
//! Markdown report escapes HTML; invisible and direction-changing
//! characters are refused in names and shown escaped in notes.

use crate::common;

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

// --- item 17: meetings, Markdown, invisible characters ----------------------

fn log(db: &TestDb, extra: &[&str]) -> common::Run {
    let mut args = vec!["log", "--metric", "power/output", "--engineer", "alice", "--value", "80", "--note", "heard"];
    args.extend_from_slice(extra);
    db.run(&args)
}

#[test]
fn a_point_joins_only_a_meeting_of_its_own_date() {
    let db = TestDb::seeded();
    let id = db.run(&["review", "add", "--date", "2026-11-20", "--reviewer", "boss"]).ok().stdout.trim().to_string();
    // Another date than the meeting's: refused, naming both.
    let r = db.refused(
        &[
            "log",
            "--metric",
            "power/output",
            "--engineer",
            "alice",
            "--value",
            "80",
            "--note",
            "heard",
            "--review",
            &id,
            "--date",
            "2026-11-27",
        ],
        "--date 2026-11-27",
    );
    assert!(r.stderr.contains("2026-11-20"), "{}", r.stderr);
    // Without --date, the point takes the meeting's date.
    log(&db, &["--review", &id]).ok();
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    assert_eq!(v["points"][0]["date"], "2026-11-20");
    assert_eq!(v["points"][0]["review"].to_string(), id);
}

#[test]
fn the_markdown_report_escapes_html_and_table_breaking_text() {
    let db = TestDb::seeded();
    db.run(&["engineer", "add", "eve", "--name", "<img src=x onerror=alert(1)>Eve"]).ok();
    db.run(&[
        "metric",
        "add",
        "chips/yield",
        "--target",
        "90",
        "--direction",
        "up",
        "--name",
        "<script>alert(2)</script>",
    ])
    .ok();
    for (i, v) in ["50", "55", "60", "64"].iter().enumerate() {
        let date = format!("2026-10-{:02}", 1 + 7 * i);
        db.run(&["log", "--metric", "chips/yield", "--engineer", "eve", "--value", v, "--note", "n", "--date", &date])
            .ok();
    }
    db.run(&[
        "log",
        "--metric",
        "chips/yield",
        "--engineer",
        "eve",
        "--value",
        "66",
        "--note",
        "n",
        "--date",
        "2026-10-29",
        "--blocker",
        "chips:<a href=javascript:alert(3)>fab</a> | ![x](http://example.org/t.png) `code`",
    ])
    .ok();
    let md = db.run(&["report"]).ok().stdout;
    for raw in ["<img", "<script", "<a href", "![x](", "`code`"] {
        assert!(!md.contains(raw), "raw {raw:?} in the Markdown report:\n{md}");
    }
    assert!(md.contains("&lt;a href=javascript:alert(3)&gt;fab&lt;/a&gt;"), "{md}");
    // The blocker's row still has its six cells.
    let row = md.lines().find(|l| l.starts_with("| chips") && l.contains("fab")).unwrap();
    assert_eq!(row.matches(" | ").count() + 2, 7, "{row}");
    // JSON keeps the data as it is.
    let json = db.run(&["report", "--format", "json"]).ok().stdout;
    assert!(json.contains("<a href=javascript:alert(3)>fab</a>"));
}

#[test]
fn invisible_and_bidi_characters_are_refused_in_names_and_shown_escaped_in_notes() {
    let db = TestDb::seeded();
    for (args, code) in [
        (vec!["engineer", "add", "eve", "--name", "Eve\u{202E}gnp.exe"], "U+202E"),
        (vec!["project", "add", "ops", "--name", "Ops\u{200B}"], "U+200B"),
        (vec!["project", "edit", "power", "--owner", "\u{2066}Mallory"], "U+2066"),
        (vec!["metric", "add", "power/eff", "--target", "1", "--direction", "up", "--unit", "k\u{FEFF}W"], "U+FEFF"),
        (vec!["engineer", "add", "eve", "--name", "Eve\u{200D}"], "U+200D"),
    ] {
        db.refused(&args, code);
    }
    // A joiner between two letters is part of how some scripts write names.
    db.run(&["engineer", "add", "sara", "--name", "می\u{200C}خواهم"]).ok();
    // Notes keep them, and show them escaped.
    let note = "ok \u{202E}evil\u{202C} and zero\u{200B}width";
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "80", "--note", note]).ok();
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    assert_eq!(v["points"][0]["note"], note, "the note was changed");
    let shown = db.run(&["review", "show", "1"]).ok().stdout;
    assert!(shown.contains("{U+202E}evil{U+202C}") && shown.contains("zero{U+200B}width"), "{shown}");
    assert!(!shown.contains('\u{202E}'), "{shown}");
}
