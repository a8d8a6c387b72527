//! The newcomer's and the daily user's experience: help that teaches, the
//! guide, completions, the man page, config, and terminal manners.

use crate::common;

use common::TestDb;

fn subcommands(db: &TestDb) -> Vec<Vec<String>> {
    let help = db.run(&["--help"]).ok().stdout;
    let mut out = Vec::new();
    let top: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(top.len() >= 18, "{top:?}");
    for c in top {
        let sub = db.run(&[&c, "--help"]).ok().stdout;
        let nested: Vec<String> = sub
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .filter(|l| l.starts_with("  ") && l.chars().nth(2).is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|n| n != "help")
            .collect();
        for n in &nested {
            out.push(vec![c.clone(), n.clone()]);
        }
        out.push(vec![c]);
    }
    out
}

#[test]
fn every_help_has_a_summary_a_description_and_an_example() {
    let db = TestDb::new();
    let all = subcommands(&db);
    assert!(all.len() >= 35, "{} commands", all.len());
    for path in all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = db.run(&args).ok().stdout;
        let before_usage = help.split("Usage:").next().unwrap();
        let paragraphs = before_usage.split("\n\n").filter(|p| !p.trim().is_empty()).count();
        assert!(paragraphs >= 2, "{path:?}: needs a summary and a longer description:\n{help}");
        assert!(help.contains("Example") || help.contains("Install:"), "{path:?}: no example:\n{help}");
    }
}

#[test]
fn no_arguments_shows_the_weekly_loop() {
    let db = TestDb::new();
    let r = db.run(&[]).ok();
    for needle in ["after each meeting", "before the review", "once a week", "limfac demo"] {
        assert!(r.stdout.contains(needle), "{needle}: {}", r.stdout);
    }
    assert!(r.stdout.lines().all(|l| l.chars().count() <= 80), "fits 80 columns");
    assert!(!db.path.exists(), "the guide touches no database");
}

/// Asks limfac, as bash's completion would, for the candidates of the last
/// word of `limfac WORDS...` (the word being completed is the third).
fn complete(db: &TestDb, words: &[&str]) -> std::process::Output {
    db.cmd()
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "3")
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .arg("limfac")
        .args(words)
        .output()
        .unwrap()
}

#[test]
fn completions_and_man_page() {
    let db = TestDb::seeded();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = db.run(&["completions", shell]).ok();
        assert!(r.stdout.contains("limfac"), "{shell}: {}", r.stdout);
    }
    db.refused(&["completions", "tcsh"], "shell 'tcsh' is not supported");
    // Names come from the database as you type.
    let o = complete(&db, &["log", "--metric", "po"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "power/output");
    let o = complete(&db, &["log", "--engineer", "wa"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "wang-xm");
    let man = db.run(&["man"]).ok().stdout;
    assert!(man.contains(".TH limfac 1") && man.contains("forecast"), "{man}");
}

#[test]
fn completion_never_creates_a_database() {
    let db = TestDb::new();
    let o = complete(&db, &["log", "--metric", ""]);
    assert!(o.status.success());
    assert!(!db.path.exists());
}

#[test]
fn config_file_sets_reviewer_and_horizon_and_says_where_from() {
    let db = TestDb::seeded();
    let cfg = db.file("config.toml");
    std::fs::write(&cfg, "reviewer = \"boss\"\nhorizon_days = 730\nweekly_risk = 0.5\n").unwrap();
    let run = |args: &[&str]| {
        let o = db.cmd().env("LIMFAC_CONFIG", &cfg).args(args).output().unwrap();
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["config", "show"]);
    assert_eq!(code, 0);
    assert!(out.contains("boss") && out.contains("730") && out.contains("0.5") && out.contains("config.toml"), "{out}");
    assert!(out.contains("(built in)") && out.contains("default"), "{out}");
    // `config` alone shows the same.
    assert_eq!(run(&["config"]), (0, out.clone(), String::new()));
    // The default reviewer is used by log.
    let (code, _, err) =
        run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "1", "--note", "n"]);
    assert_eq!(code, 0, "{err}");
    let reviews = db.json(&["review", "list", "--json"]);
    assert_eq!(reviews[0]["reviewer"], "boss");
    std::fs::write(&cfg, "reviewr = \"boss\"\n").unwrap();
    let (code, _, err) = run(&["config", "show"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: config") && err.contains("unknown field"), "{err}");
    std::fs::write(&cfg, "weekly_risk = 2\n").unwrap();
    let (code, _, err) = run(&["project", "list"]);
    assert_eq!(code, 1);
    assert!(err.contains("weekly_risk 2"), "{err}");
    std::fs::write(&cfg, "horizon_days = 5\n").unwrap();
    let (code, _, err) = run(&["project", "list"]);
    assert_eq!(code, 1);
    assert!(err.contains("horizon_days 5"), "{err}");
}

#[test]
fn pipes_get_no_colour_and_no_progress() {
    let db = TestDb::seeded();
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "3", "--note", "n"]).ok();
    let o = db.cmd().env_remove("NO_COLOR").args(["forecast"]).output().unwrap();
    assert!(!o.stdout.contains(&0x1b), "escape codes in a pipe");
    assert!(!o.stderr.contains(&0x1b));
    let r = db.run(&["--quiet", "project", "add", "zz", "--name", "Z"]).ok();
    assert!(r.stderr.is_empty(), "--quiet: {}", r.stderr);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let db = TestDb::seeded();
    // Far more output than a pipe buffers, so the writer meets the closed pipe.
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    for i in 0..3000 {
        csv += &format!(
            "2026-{:02}-{:02},power,output,alice,{i},a long enough note to fill the pipe quickly {i}\n",
            1 + i % 10,
            1 + i % 28
        );
    }
    std::fs::write(db.file("big.csv"), csv).unwrap();
    db.run(&["import", "big.csv"]).ok();
    let bin = assert_cmd::cargo::cargo_bin!("limfac");
    for cmd in ["export", "export --format json", "review list", "forecast"] {
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("'{}' {cmd} | head -1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"", bin.display()))
            .env("LIMFAC_DB", &db.path)
            .env("LIMFAC_NOW", common::TODAY)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked") && !err.contains("error"), "{cmd}: {err}");
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0", "{cmd}: exit status");
    }
}

#[test]
fn dates_as_people_say_them() {
    let db = TestDb::seeded();
    for (word, expect) in
        [("yesterday", "2026-11-28"), ("monday", "2026-11-23"), ("last-week", "2026-11-22"), ("2026-W47", "2026-11-16")]
    {
        db.run(&[
            "log",
            "--metric",
            "power/output",
            "--engineer",
            "alice",
            "--value",
            "1",
            "--note",
            word,
            "--date",
            word,
        ])
        .ok();
        let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
        let p = v["points"].as_array().unwrap().iter().find(|p| p["note"] == word).unwrap().clone();
        assert_eq!(p["date"], expect, "{word}");
    }
    let f = db.json(&["forecast", "--as-of", "2026-W47", "--json"]);
    assert_eq!(f[0]["last_date"].as_str().map(|d| d <= "2026-11-16"), Some(true));
}

#[test]
fn config_show_and_doctor_report_a_broken_config_instead_of_dying_with_it() {
    let db = TestDb::seeded();
    let cfg = db.file("config.toml");
    let run = |args: &[&str]| {
        let o = db.cmd().env("LIMFAC_CONFIG", &cfg).args(args).output().unwrap();
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // The configured template was moved: the settings are still shown, then what is wrong.
    std::fs::write(&cfg, "reviewer = \"boss\"\nreport_template = \"gone.md\"\n").unwrap();
    let (code, out, err) = run(&["config", "show"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("boss") && out.contains("gone.md"), "{out}");
    assert!(err.starts_with("error: cannot read report_template") && err.contains("gone.md"), "{err}");
    // doctor checks the database as ever, and names the broken setting.
    let (code, out, err) = run(&["doctor"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("integrity       ok"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("config ") && l.contains("gone.md")), "{out}");
    assert!(err.starts_with("error: the configuration failed its checks: cannot read report_template"), "{err}");
    let (code, out, _) = run(&["doctor", "--json"]);
    assert_eq!(code, 1);
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["integrity"], serde_json::json!(["ok"]));
    assert!(d["config_problem"].as_str().unwrap().contains("gone.md"), "{d}");
    // Everything but a text report still works.
    assert_eq!(run(&["forecast", "--json"]).0, 0);
    // A config file that is not valid: doctor still checks the database, config show says
    // which file it is; every other command fails with it, as before.
    std::fs::write(&cfg, "weekly_risk = 2\n").unwrap();
    let (code, out, err) = run(&["doctor"]);
    assert_eq!(code, 1);
    assert!(out.contains("integrity       ok") && out.contains("weekly_risk 2"), "{out}");
    assert!(err.contains("weekly_risk 2 in the config file is out of range"), "{err}");
    let (code, out, err) = run(&["config", "show"]);
    assert_eq!(code, 1);
    assert!(out.contains("config.toml (not valid: none of it is used)"), "{out}");
    assert!(err.starts_with("error: weekly_risk 2"), "{err}");
    let (code, _, err) = run(&["project", "list"]);
    assert_eq!(code, 1);
    assert!(err.contains("weekly_risk 2"), "{err}");
    // A healthy config changes nothing in doctor's report.
    std::fs::write(&cfg, "reviewer = \"boss\"\n").unwrap();
    let (code, out, _) = run(&["doctor"]);
    assert_eq!(code, 0);
    assert!(!out.contains("config "), "{out}");
}
