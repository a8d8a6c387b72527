//! Snapshot of the demo's weekly report at a fixed date (insta): any change
//! in what the report says shows up as a reviewed diff.
//!
//! Update after an intended change with `INSTA_UPDATE=always cargo test --test it report_snapshot`
//! and review the `.snap` diff before committing.

use crate::common;

use common::TestDb;

#[test]
fn demo_report_markdown() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    let d = demo.to_str().unwrap();
    db.cmd().args(["--quiet", "--db", d, "demo"]).assert().success();
    let o = db.cmd().args(["--db", d, "report"]).output().unwrap();
    assert!(o.status.success());
    let md = String::from_utf8(o.stdout).unwrap();
    // The demo's story: chips, not power, limits this week.
    let lf = md.split("## The limiting factor").nth(1).unwrap();
    let first = lf.lines().find(|l| l.starts_with("**")).unwrap();
    assert!(first.starts_with("**chips/"), "{first}");
    insta::assert_snapshot!("demo_report_2026_11_29", md);
}

#[test]
fn demo_limiting_factor_moved_from_power_to_chips() {
    let db = TestDb::new();
    let demo = db.file("demo.db");
    let d = demo.to_str().unwrap();
    db.cmd().args(["--quiet", "--db", d, "demo"]).assert().success();
    // Early in the demo's history, power is what limits.
    let o = db.cmd().args(["--db", d, "report", "--format", "json", "--as-of", "2026-08-02"]).output().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["limiting_factor"]["project"], "power", "{:#}", r["limiting_factor"]);
    let o = db.cmd().args(["--db", d, "report", "--format", "json"]).output().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["limiting_factor"]["project"], "chips", "{:#}", r["limiting_factor"]);
    assert_eq!(r["limiting_factor_previous"]["project"], "chips");
    // The demo's other shapes: a plateau short of its target, and a divergence.
    let metric = |key: &str| -> serde_json::Value {
        let (p, m) = key.split_once('/').unwrap();
        let proj = r["projects"].as_array().unwrap().iter().find(|x| x["project"] == p).unwrap();
        proj["metrics"].as_array().unwrap().iter().find(|x| x["metric"] == m).unwrap().clone()
    };
    let plateau = metric("chips/defect-density");
    assert_eq!(plateau["status"], "stalled", "{plateau:#}");
    assert!(plateau["reason"].as_str().unwrap().contains("flattened"), "{plateau:#}");
    assert_eq!(metric("ground-station/downlink-latency-ms")["status"], "diverging");
    assert_eq!(metric("power/array-output-kw")["status"], "done");

    // Week by week, the limiting factor moved from power to chips.
    let o = db.cmd().args(["--db", d, "report", "--format", "json", "--history", "20"]).output().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let runs = r["limiting_factor_history"].as_array().unwrap();
    let weeks: u64 = runs.iter().map(|x| x["weeks"].as_u64().unwrap()).sum();
    assert_eq!(weeks, 20, "{runs:?}");
    assert!(runs[0]["limiting_factor"].as_str().unwrap().starts_with("power/"), "{runs:?}");
    assert!(runs.last().unwrap()["limiting_factor"].as_str().unwrap().starts_with("chips/"), "{runs:?}");
    // Once power is done limiting, the chip supply limits: chips holds nearly every week after,
    // and every one of the last eight (a single week of its upstream fab may interleave while
    // two metrics are that close).
    let power_ends = runs.iter().rposition(|x| x["limiting_factor"].as_str().unwrap().starts_with("power/")).unwrap();
    let after = &runs[power_ends + 1..];
    let weeks_of = |prefix: &str| -> u64 {
        after
            .iter()
            .filter(|x| x["limiting_factor"].as_str().unwrap().starts_with(prefix))
            .map(|x| x["weeks"].as_u64().unwrap())
            .sum()
    };
    let total: u64 = after.iter().map(|x| x["weeks"].as_u64().unwrap()).sum();
    assert!(weeks_of("chips/") * 4 >= total * 3, "chips after power: {runs:?}");
    assert!(weeks_of("chips/") + weeks_of("fab/") == total, "only the chip supply after power: {runs:?}");
    let chips_at_end: u64 = runs
        .iter()
        .rev()
        .take_while(|x| x["limiting_factor"].as_str().unwrap().starts_with("chips/"))
        .map(|x| x["weeks"].as_u64().unwrap())
        .sum();
    assert!(chips_at_end >= 8, "chips holds at the end: {runs:?}");
}
