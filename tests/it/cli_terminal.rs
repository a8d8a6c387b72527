//! Tables in a real terminal (issue 14, defect 1 and acceptance): tmux runs
//! limfac in 120- and 250-column panes on the demo database, and the screen
//! is read back. Tables must fit the pane without breaking a name or a date,
//! use the width they are given, and colour must not shift any column.
//!
//! Needs tmux (`.ci/run` installs it); without it the test fails, never skips.

use crate::common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::TestDb;

/// The commands whose tables are checked.
const TABLES: &[&[&str]] = &[
    &["forecast"],
    &["metric", "list"],
    &["project", "list"],
    &["point", "list", "--metric", "chips/yield-pct"],
    &["blocker", "list", "--all"],
    &["deadline", "list"],
    &["deadline", "history"],
    &["review", "list"],
    &["review", "show", "3"],
    &["engineer", "list"],
    &["engineer", "show", "wang-xm"],
    &["backtest"],
];

/// Runs `limfac ARGS` in a fresh tmux pane `width` columns wide and returns
/// the screen as lines, wrapped lines joined back (so a line longer than the
/// pane shows as one long line).
fn in_pane(db: &TestDb, width: u16, args: &[&str], color: bool) -> Vec<String> {
    let name: String = args.join("-").chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let socket = format!("limfac-term-{}-{width}-{name}-{color}", std::process::id());
    let bin = assert_cmd::cargo::cargo_bin!("limfac");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    // COLUMNS deliberately unset, as bash leaves it for child processes.
    let script = format!(
        "unset COLUMNS; env LIMFAC_DB='{}' LIMFAC_NOW={} TERM=xterm {} '{}' {}; echo DONE=$?; sleep 60",
        db.path.display(),
        common::TODAY,
        if color { "" } else { "NO_COLOR=1" },
        bin.display(),
        quoted.join(" ")
    );
    let ok = Command::new("tmux")
        .args(["-L", &socket, "new-session", "-d", "-x", &width.to_string(), "-y", "50", &script])
        .status()
        .expect("tmux is needed for the terminal tests (apt-get install tmux)")
        .success();
    assert!(ok, "tmux could not start");
    let _ = Command::new("tmux").args(["-L", &socket, "set-option", "-g", "history-limit", "5000"]).status();
    let start = Instant::now();
    let screen = loop {
        let o = Command::new("tmux")
            .args(["-L", &socket, "capture-pane", "-p", "-J", "-S", "-", "-t", "0"])
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        if s.contains("DONE=") {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "timed out: {args:?}\n{s}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = Command::new("tmux").args(["-L", &socket, "kill-server"]).status();
    assert!(screen.contains("DONE=0"), "{args:?} failed:\n{screen}");
    screen.lines().take_while(|l| !l.starts_with("DONE=")).map(|l| l.trim_end().to_string()).collect()
}

/// Display width of a line (CJK counts two columns, as in a terminal).
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| if ('\u{1100}'..='\u{FFDC}').contains(&c) && !c.is_ascii() && c > '\u{2FFF}' { 2 } else { 1 })
        .sum()
}

/// Every whole ISO date, `project/metric` name and hyphenated slug in
/// `text`, counted.
fn tokens(text: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for word in text.split(|c: char| c.is_whitespace() || c == '|' || c == ',' || c == '(' || c == ')') {
        let w = word.trim_matches(|c: char| !c.is_alphanumeric());
        let b = w.as_bytes();
        let date = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
        let name = (w.contains('/') || w.contains('-'))
            && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/');
        if date || name {
            *out.entry(w.to_string()).or_default() += 1;
        }
    }
    out
}

#[test]
fn tables_fit_120_and_250_column_panes_without_breaking_names_or_dates() {
    let db = TestDb::new();
    db.run(&["--db", db.path.to_str().unwrap(), "demo"]).ok();
    for args in TABLES {
        // Piped, every row is one line: the reference for what must appear whole.
        let piped = db.run(args).ok().stdout;
        let want = tokens(&piped);
        assert!(!want.is_empty(), "{args:?} shows no names or dates");
        for width in [120u16, 250] {
            let screen = in_pane(&db, width, args, true);
            for line in &screen {
                assert!(columns(line) <= width as usize, "{args:?} at {width}: a line overflows the pane:\n{line}");
            }
            let text = screen.join("\n");
            // Every name and date whole, and no fragment of one (a reason may
            // move under the table, so counts may differ, not the set).
            let got = tokens(&text);
            let missing: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
            let fragments: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && fragments.is_empty(),
                "{args:?} at {width}: a name or a date was broken: missing {missing:?}, fragments {fragments:?}\n{text}"
            );
            // Colour must not move a column: the same screen without it.
            assert_eq!(screen, in_pane(&db, width, args, false), "{args:?} at {width}: colour shifts the columns");
            let widest = screen.iter().map(|l| columns(l)).max().unwrap_or(0);
            let widest_piped = piped.lines().map(columns).max().unwrap_or(0);
            if width == 250 && widest_piped > 80 {
                assert!(widest > 80.min(widest_piped), "{args:?} squeezed to 80 columns in a 250-column pane");
            }
        }
    }
}
