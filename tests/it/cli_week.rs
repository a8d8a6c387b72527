//! A week of reviews entered by hand in a real terminal (issue 14,
//! acceptance): tmux runs a shell, the test types what a reviewer types —
//! interactive `log` after a meeting, a project that gets cancelled, and
//! during the week the slips found and corrected: a transposed digit fixed
//! with `point amend`, a reading logged twice withdrawn with `point
//! retract`, the cancelled project archived. The report at the end of the
//! week must be the one a reviewer who made no mistakes would have got.
//!
//! Needs tmux (`.ci/run` installs it); without it the test fails, never skips.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::TestDb;

/// A shell in a tmux pane, driven by keys.
struct Shell {
    socket: String,
    commands: usize,
}

impl Shell {
    fn start(db: &TestDb) -> Shell {
        let socket = format!("limfac-week-{}", std::process::id());
        let bin = assert_cmd::cargo::cargo_bin!("limfac");
        let dir = bin.parent().unwrap().display().to_string();
        let script = format!(
            "env -i HOME='{home}' PATH='{dir}:/usr/bin:/bin' LIMFAC_DB='{db}' LIMFAC_CONFIG='{home}/none.toml' \
             NO_COLOR=1 TERM=xterm PS1='$ ' bash --norc --noprofile",
            home = db.dir.path().display(),
            db = db.path.display(),
        );
        let ok = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-x", "120", "-y", "40", &script])
            .status()
            .expect("tmux is needed for this test (apt-get install tmux)")
            .success();
        assert!(ok, "tmux could not start");
        let shell = Shell { socket, commands: 0 };
        shell.expect("$");
        shell
    }

    fn send(&self, args: &[&str]) {
        let ok = Command::new("tmux").args(["-L", &self.socket, "send-keys", "-t", "0"]).args(args).status().unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Types `text` and presses Enter.
    fn type_line(&self, text: &str) {
        self.send(&["-l", text]);
        self.send(&["Enter"]);
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux").args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"]).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn expect(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {needle:?}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the active prompt (dialoguer marks it `?`) starting `prompt`.
    fn prompt(&self, prompt: &str) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.lines().any(|l| l.starts_with(&format!("? {prompt}"))) {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for ? {prompt}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs a shell command line on a clean screen and waits for it to end
    /// successfully; returns the screen.
    fn run(&mut self, line: &str) -> String {
        self.commands += 1;
        let done = format!("DONE-{}", self.commands);
        self.type_line("clear");
        self.type_line(&format!("{line}; echo {done}=$?"));
        // The typed line shows `{done}=$?` too (so a plain search for `{done}=` can find it
        // before the command has run): wait for the echo's own line, `{done}=` and a number.
        let status = |l: &str| {
            l.trim_end()
                .strip_prefix(&format!("{done}="))
                .filter(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string)
        };
        let start = Instant::now();
        let (s, code) = loop {
            let s = self.screen();
            if let Some(code) = s.lines().find_map(status) {
                break (s, code);
            }
            assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {done}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(code == "0", "{line} failed:\n{s}");
        s
    }

    /// Picks `search` in a fuzzy pick list.
    fn pick(&self, prompt: &str, search: &str) {
        self.prompt(prompt);
        self.send(&["-l", search]);
        self.expect(&format!("› {search}"));
        self.send(&["Enter"]);
    }

    /// Answers a line prompt.
    fn answer(&self, prompt: &str, text: &str) {
        self.prompt(prompt);
        if !text.is_empty() {
            self.send(&["-l", text]);
        }
        self.send(&["Enter"]);
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

/// The organization and six weeks of readings before the week.
fn organization(db: &TestDb) {
    for args in [
        &["project", "add", "power", "--name", "Power", "--priority", "1"][..],
        &["project", "add", "chips", "--name", "Chips", "--priority", "2"],
        &["engineer", "add", "elena", "--name", "Elena Vásquez"],
        &["engineer", "add", "alice", "--name", "Alice", "--reports-to", "elena"],
        &["engineer", "add", "wang-xm", "--name", "王小明", "--reports-to", "alice"],
        &["metric", "add", "power/output", "--target", "320", "--direction", "up", "--unit", "kW"],
        &["metric", "add", "chips/defects", "--target", "0.1", "--direction", "down", "--unit", "per cm2"],
    ] {
        db.run(args).ok();
    }
    let mut csv = String::from("date,project,metric,engineer,value,note,kind,reviewer\n");
    for (w, date) in
        ["2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"].iter().enumerate()
    {
        let power = 220.0 + 11.0 * w as f64;
        let defects = 0.8 - 0.06 * w as f64;
        csv.push_str(&format!("{date},power,output,wang-xm,{power},weekly reading,weekly,elena\n"));
        csv.push_str(&format!("{date},chips,defects,alice,{defects:.2},weekly probe,weekly,elena\n"));
    }
    std::fs::write(db.file("history.csv"), csv).unwrap();
    db.run(&["import", "history.csv"]).ok();
}

/// The report and forecasts at the end of the week.
fn end_of_week(db: &TestDb) -> (String, String) {
    let report = db.run(&["report"]).ok().stdout;
    let forecast = db.run(&["forecast", "--json"]).ok().stdout;
    (report, forecast)
}

#[test]
fn a_week_with_mistakes_corrected_reports_as_a_week_without_them() {
    // The reviewer who made no mistakes.
    let clean = TestDb::new();
    organization(&clean);
    let log = |db: &TestDb, now: &str, args: &[&str]| {
        let mut c = db.cmd();
        let o = c.env("LIMFAC_NOW", now).arg("log").args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    log(
        &clean,
        "2026-11-23",
        &[
            "--metric",
            "power/output",
            "--engineer",
            "wang-xm",
            "--value",
            "289",
            "--note",
            "inverter v2.3 fixed the MPPT oscillation",
            "--blocker",
            "permits:grid interconnect permit pending",
            "--reviewer",
            "elena",
        ],
    );
    log(
        &clean,
        "2026-11-23",
        &[
            "--metric",
            "chips/defects",
            "--engineer",
            "alice",
            "--value",
            "0.44",
            "--note",
            "lot 7 back",
            "--reviewer",
            "elena",
        ],
    );
    let want = end_of_week(&clean);

    // The week as it really went, by hand.
    let db = TestDb::new();
    organization(&db);
    let first_new = 13; // six weeks of two readings were imported
    let mut sh = Shell::start(&db);

    // Monday: the weekly review, logged right after the meeting.
    sh.type_line("clear");
    sh.type_line("export LIMFAC_NOW=2026-11-23");
    sh.type_line("limfac log --reviewer elena; echo LOGGED=$?");
    sh.pick("metric (type to search)", "powout");
    sh.pick("engineer (type to search)", "wang");
    sh.answer("value (", "298"); // meant 289: two digits swapped
    sh.answer("note (what was said)", "inverter v2.3 fixed the MPPT oscillation");
    sh.answer("blocker as CATEGORY:TEXT", "permits:grid interconnect permit pending");
    sh.answer("blocker as CATEGORY:TEXT", "");
    sh.answer("log another point for this review?", "y");
    sh.pick("metric (type to search)", "defec");
    sh.pick("engineer (type to search)", "alice");
    sh.answer("value (", "0.44");
    sh.answer("note (what was said)", "lot 7 back");
    sh.answer("blocker as CATEGORY:TEXT", "");
    sh.answer("log another point for this review?", "y");
    // The same reading again, by mistake.
    sh.pick("metric (type to search)", "defec");
    sh.pick("engineer (type to search)", "alice");
    sh.answer("value (", "0.44");
    sh.answer("note (what was said)", "lot 7 back, probed");
    sh.answer("blocker as CATEGORY:TEXT", "");
    sh.answer("log another point for this review?", "n");
    let s = sh.expect("LOGGED=");
    assert!(s.contains("LOGGED=0"), "{s}");

    // Tuesday: a launch project, started and logged against...
    sh.run("export LIMFAC_NOW=2026-11-24");
    sh.run("limfac project add launch --name 'Launch vehicle' --priority 2");
    sh.run("limfac metric add launch/turnaround --target 14 --direction down --unit days");
    sh.run(
        "limfac log --metric launch/turnaround --engineer wang-xm --value 40 --note 'first booster back' --reviewer elena",
    );

    // Thursday: the slips are found and corrected; the launch is cancelled.
    sh.run("export LIMFAC_NOW=2026-11-26");
    let s = sh.run("limfac point list --from 2026-11-23");
    assert!(s.contains("298") && s.contains("0.44"), "{s}");
    sh.run(&format!("limfac point amend {first_new} --value 289 --reason 'digits swapped: the meter said 289'"));
    sh.run(&format!("limfac point retract {} --reason 'the same reading logged twice'", first_new + 2));
    sh.run("limfac project archive launch --reason 'cancelled: the launch is bought in'");
    let s = sh.run(&format!("limfac point history {first_new}"));
    assert!(s.contains("value 298") && s.contains("digits swapped"), "{s}");
    drop(sh);

    // Sunday: the week's report is the one without the mistakes.
    let got = end_of_week(&db);
    assert_eq!(got.0, want.0, "the report differs from the one without mistakes");
    assert_eq!(got.1, want.1, "the forecasts differ from the ones without mistakes");
    // And nothing was lost: the record holds every slip and its correction.
    let dump: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    assert_eq!(dump["points"].as_array().unwrap().len(), 16);
    assert_eq!(dump["corrections"].as_array().unwrap().len(), 2);
    assert_eq!(dump["archive_events"].as_array().unwrap().len(), 1);
    assert!(db.run(&["project", "list"]).ok().stdout.contains("launch (archived)"));
}
