//! Interactive `log` driven for real in a terminal: tmux runs limfac in a
//! pseudo-terminal, keys are typed with `send-keys`, and the screen is read
//! with `capture-pane`. Fuzzy search, a value refused as typed, the note,
//! blockers, the offer of a next point, and aborting half-way writing nothing.
//!
//! Needs tmux (`.ci/run` installs it); without it the test fails, never skips.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::TestDb;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(db: &TestDb, name: &str) -> Tmux {
        let socket = format!("limfac-test-{}-{name}", std::process::id());
        let bin = assert_cmd::cargo::cargo_bin!("limfac");
        // The shell waits after limfac exits so that the screen can be read.
        let script = format!(
            "env LIMFAC_DB='{}' LIMFAC_NOW={} NO_COLOR=1 TERM=xterm EDITOR= '{}' log; echo EXIT=$?; sleep 60",
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

    fn type_text(&self, text: &str) {
        let ok = Command::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "0", "-l", text]).status().unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"]).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
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
    t.expect("engineer (type to search)");
    t.type_text("wang");
    t.expect("王小明");
    t.keys(&["Enter"]);
    t.expect("target 0.1");
    // A bad value is refused as it is typed; then a good one.
    t.type_text("abc");
    t.keys(&["Enter"]);
    t.expect("not a finite number");
    t.keys(&["BSpace", "BSpace", "BSpace"]);
    t.type_text("0.35");
    t.keys(&["Enter"]);
    t.expect("note (what was said)");
    t.type_text("lot 7 back from probe, 0.35");
    t.keys(&["Enter"]);
    t.expect("blocker as CATEGORY:TEXT");
    t.type_text("chips:lot 9 late");
    t.keys(&["Enter"]);
    t.expect("chips:lot 9 late");
    t.keys(&["Enter"]);
    t.expect("log another point for this review?");
    t.type_text("y");
    // The second point of the same meeting.
    t.expect("logged point 1");
    t.type_text("powout");
    t.expect("› powout");
    t.keys(&["Enter"]);
    t.expect("engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect("target 120 kW up");
    t.type_text("88");
    t.keys(&["Enter"]);
    t.expect("note (what was said)");
    t.type_text("inverter fixed");
    t.keys(&["Enter"]);
    t.expect("blocker as CATEGORY:TEXT");
    t.keys(&["Enter"]);
    t.expect("logged point 2");
    t.type_text("n");
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
    t.expect("engineer (type to search)");
    t.type_text("alice");
    t.expect("› alice");
    t.keys(&["Enter"]);
    t.expect("target 120");
    t.type_text("12");
    t.keys(&["C-c"]);
    t.expect("EXIT=");
    assert_eq!(before, db.dump(), "an aborted point must not be written");
}
