//! Interactive `log` driven for real in a terminal: tmux runs limfac in a
//! pseudo-terminal, keys are typed with `send-keys`, and the screen is read
//! with `capture-pane`. Fuzzy search, a value refused as typed, the note,
//! blockers, the offer of a next point, and aborting half-way writing nothing.
//!
//! Needs tmux (`.ci/run` installs it); without it the test fails, never skips.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::TestDb;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(db: &TestDb, name: &str) -> Tmux {
        Tmux::start_with(db, name, "EDITOR=")
    }

    /// Starts `limfac log` with extra `NAME=VALUE` environment settings.
    fn start_with(db: &TestDb, name: &str, env: &str) -> Tmux {
        let socket = format!("limfac-test-{}-{name}", std::process::id());
        let bin = assert_cmd::cargo::cargo_bin!("limfac");
        // The shell waits after limfac exits so that the screen can be read.
        let script = format!(
            "env LIMFAC_DB='{}' LIMFAC_NOW={} NO_COLOR=1 TERM=xterm EDITOR= {env} '{}' log; echo EXIT=$?; sleep 60",
            db.path.display(),
            common::TODAY,
            bin.display()
        );
        let ok = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-x", "100", "-y", "30", &script])
            .status()
            .expect("tmux is needed for the interactive test (apt-get install tmux)")
            .success();
        assert!(ok, "tmux could not start");
        Tmux { socket }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = Command::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "0", k]).status().unwrap();
            assert!(ok.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Several keys in one `send-keys`: they reach the terminal together, as
    /// when someone types faster than the screen changes.
    fn keys_at_once(&self, keys: &[&str]) {
        let ok = Command::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "0"]).args(keys).status().unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    fn type_text(&self, text: &str) {
        let ok = Command::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "0", "-l", text]).status().unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"]).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Waits until the active prompt starting `prompt` (dialoguer marks it
    /// with `?`) also shows `needle`.
    fn expect_prompt(&self, prompt: &str, needle: &str) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.lines().any(|l| l.starts_with(&format!("? {prompt}")) && l.contains(needle)) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {prompt:?} {needle:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen shows `needle`.
    fn expect(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {needle:?}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

fn points(db: &TestDb) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    v["points"].as_array().unwrap().clone()
}

#[test]
fn a_whole_meeting_in_one_sitting() {
    let db = TestDb::seeded();
    let t = Tmux::start(&db, "meeting");
    t.expect("metric (type to search)");
    t.type_text("defec");
    t.expect("› defec");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("wang");
    t.expect("王小明");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "target 0.1");
    // A bad value is refused as it is typed; then a good one.
    t.type_text("abc");
    t.keys(&["Enter"]);
    t.expect("not a finite number");
    t.keys(&["BSpace", "BSpace", "BSpace"]);
    t.type_text("0.35");
    t.keys(&["Enter"]);
    t.expect("? note (what was said)");
    t.type_text("lot 7 back from probe, 0.35");
    t.keys(&["Enter"]);
    t.expect("? blocker as CATEGORY:TEXT");
    t.type_text("chips:lot 9 late");
    t.keys(&["Enter"]);
    t.expect("chips:lot 9 late");
    t.keys(&["Enter"]);
    t.expect("? log another point for this review?");
    t.type_text("y");
    t.keys(&["Enter"]);
    // The second point of the same meeting.
    t.expect("logged point 1");
    t.expect("? metric (type to search)");
    t.type_text("powout");
    t.expect("› powout");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "target 120 kW up");
    t.type_text("88");
    t.keys(&["Enter"]);
    t.expect("? note (what was said)");
    t.type_text("inverter fixed");
    t.keys(&["Enter"]);
    t.expect("? blocker as CATEGORY:TEXT");
    t.keys(&["Enter"]);
    t.expect("logged point 2");
    t.expect("? log another point for this review?");
    t.type_text("n");
    t.keys(&["Enter"]);
    t.expect("EXIT=0");

    let pts = points(&db);
    assert_eq!(pts.len(), 2, "{pts:?}");
    assert_eq!(pts[0]["metric"], "defects");
    assert_eq!(pts[0]["engineer"], "wang-xm");
    assert_eq!(pts[0]["value"], 0.35);
    assert_eq!(pts[0]["note"], "lot 7 back from probe, 0.35");
    assert_eq!(pts[0]["blockers"], serde_json::json!(["chips:lot 9 late"]));
    assert_eq!(pts[1]["metric"], "output");
    assert_eq!(pts[1]["value"], 88.0);
    assert_eq!(pts[0]["review"], pts[1]["review"], "both points joined the same meeting");
}

#[test]
fn escape_at_the_first_prompt_writes_nothing() {
    let db = TestDb::seeded();
    let before = db.dump();
    let t = Tmux::start(&db, "escape");
    t.expect("metric (type to search)");
    t.keys(&["Escape"]);
    t.expect("log aborted");
    t.expect("EXIT=1");
    assert_eq!(before, db.dump());
}

#[test]
fn ctrl_c_half_way_writes_nothing() {
    let db = TestDb::seeded();
    let before = db.dump();
    let t = Tmux::start(&db, "ctrlc");
    t.expect("metric (type to search)");
    t.type_text("output");
    t.expect("› output");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "target 120");
    t.type_text("12");
    t.keys(&["C-c"]);
    t.expect("EXIT=");
    assert_eq!(before, db.dump(), "an aborted point must not be written");
}

/// Issue 14, defect 4: "y" then Enter at "log another point?" must not let
/// the Enter choose the first metric of the next point: keys typed ahead of
/// a pick list choose nothing.
#[test]
fn keys_typed_ahead_choose_nothing() {
    let db = TestDb::seeded();
    let t = Tmux::start(&db, "typeahead");
    t.expect("metric (type to search)");
    t.type_text("defec");
    t.expect("› defec");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("wang");
    t.expect("王小明");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "target 0.1");
    t.type_text("0.35");
    t.keys(&["Enter"]);
    t.expect("? note (what was said)");
    t.type_text("lot 7 back");
    t.keys(&["Enter"]);
    t.expect("? blocker as CATEGORY:TEXT");
    t.keys(&["Enter"]);
    t.expect("? log another point for this review?");
    // Typed in one go, as a fast typist does: the answer and an Enter.
    t.keys_at_once(&["y", "Enter", "Enter"]);
    t.expect("logged point 1");
    t.expect("? metric (type to search)");
    // The second point is the one chosen now, not whatever Enter landed on.
    t.type_text("defec");
    t.expect("› defec");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "target 0.1");
    t.type_text("0.33");
    t.keys(&["Enter"]);
    t.expect("? note (what was said)");
    t.type_text("lot 8 probe");
    t.keys(&["Enter"]);
    t.expect("? blocker as CATEGORY:TEXT");
    t.keys(&["Enter"]);
    t.expect("? log another point for this review?");
    t.type_text("n");
    t.keys(&["Enter"]);
    t.expect("EXIT=0");
    let pts = points(&db);
    assert_eq!(pts.len(), 2, "{pts:?}");
    assert_eq!((pts[1]["metric"].as_str(), pts[1]["engineer"].as_str()), (Some("defects"), Some("alice")), "{pts:?}");
}

/// Issue 14, defect 9: an empty note saved in $EDITOR asks again (as the line
/// prompt does) instead of aborting the whole session.
#[test]
fn an_empty_note_in_the_editor_asks_again() {
    let db = TestDb::seeded();
    // An editor that saves the file untouched: an empty note.
    let t = Tmux::start_with(&db, "editor", "EDITOR=true");
    t.expect("metric (type to search)");
    t.type_text("powout");
    t.expect("› powout");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "target 120");
    t.type_text("88");
    t.keys(&["Enter"]);
    t.expect("the note is empty");
    t.expect("? note (what was said)");
    t.type_text("inverter fixed");
    t.keys(&["Enter"]);
    t.expect("? blocker as CATEGORY:TEXT");
    t.keys(&["Enter"]);
    t.expect("? log another point for this review?");
    t.type_text("n");
    t.keys(&["Enter"]);
    t.expect("EXIT=0");
    let pts = points(&db);
    assert_eq!(pts.len(), 1, "{pts:?}");
    assert_eq!(pts[0]["note"], "inverter fixed");
}

/// Issue 14: "undo the point just logged" retracts it (kept in its history),
/// and the session goes on.
#[test]
fn undo_retracts_the_point_just_logged() {
    let db = TestDb::seeded();
    let t = Tmux::start(&db, "undo");
    t.expect("metric (type to search)");
    t.type_text("powout");
    t.expect("› powout");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "target 120");
    t.type_text("88");
    t.keys(&["Enter"]);
    t.expect("? note (what was said)");
    t.type_text("wrong metric");
    t.keys(&["Enter"]);
    t.expect("? blocker as CATEGORY:TEXT");
    t.keys(&["Enter"]);
    t.expect("? log another point for this review?");
    t.type_text("u");
    t.keys(&["Enter"]);
    t.expect("retracted point 1");
    t.expect("? log another point for this review?");
    t.type_text("n");
    t.keys(&["Enter"]);
    t.expect("EXIT=0");
    assert_eq!(points(&db).len(), 1, "the point stays in the record");
    let listed = db.json(&["point", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 0, "but is withdrawn: {listed}");
    let h = db.run(&["point", "history", "1"]).ok().stdout;
    assert!(h.contains("retracted") && h.contains("undone in log"), "{h}");
}

/// Issue 14: a value typed far outside the metric's readings is questioned
/// in the terminal; declining asks for the value again.
#[test]
fn a_suspicious_value_is_confirmed_in_the_terminal() {
    let db = TestDb::seeded();
    for v in ["80", "82", "85"] {
        db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", v, "--note", "n"]).ok();
    }
    let t = Tmux::start(&db, "suspicious");
    t.expect("metric (type to search)");
    t.type_text("powout");
    t.expect("› powout");
    t.keys(&["Enter"]);
    t.expect("? engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect_prompt("value (", "last 85");
    t.type_text("870");
    t.keys(&["Enter"]);
    t.expect("Store it anyway?");
    t.type_text("n");
    t.keys(&["Enter"]);
    t.expect("value not stored");
    t.expect_prompt("value (", "last 85");
    t.type_text("87");
    t.keys(&["Enter"]);
    t.expect("? note (what was said)");
    t.type_text("meter re-read");
    t.keys(&["Enter"]);
    t.expect("? blocker as CATEGORY:TEXT");
    t.keys(&["Enter"]);
    t.expect("? log another point for this review?");
    t.type_text("n");
    t.keys(&["Enter"]);
    t.expect("EXIT=0");
    let pts = points(&db);
    assert_eq!(pts.len(), 4);
    assert_eq!(pts[3]["value"], 87.0);
}
