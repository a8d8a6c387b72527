//! Acceptance (issue 16): clients each with their own SQLite file log
//! concurrently and sync at random moments, the server going away for a
//! while in the middle; after a final sync on each, `report --format json` is
//! byte-identical everywhere and every reading is present exactly once. And
//! `sync` killed with SIGKILL at random points, 30+ times: the rerun
//! completes, with no duplicate and no loss, here and on the server.

use crate::common;
use crate::pgtest;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::SplitMix;
use pgtest::{Client, Proxy, Team};

const METRICS: [&str; 3] = ["power/output", "chips/defects", "chips/yield"];
const ENGINEERS: [&str; 3] = ["alice", "wang-xm", "boss"];

/// The organization, as every reviewer types it on their own laptop.
fn seed(c: &Client) {
    for args in [
        &["project", "add", "power", "--name", "Power", "--priority", "1"][..],
        &["project", "add", "chips", "--name", "Chips", "--priority", "2"],
        &["project", "add", "orbital", "--name", "Orbital compute", "--depends-on", "power", "--depends-on", "chips"],
        &["engineer", "add", "boss", "--name", "The Boss"],
        &["engineer", "add", "alice", "--name", "Alice", "--reports-to", "boss"],
        &["engineer", "add", "wang-xm", "--name", "王小明", "--reports-to", "alice"],
        &["metric", "add", "power/output", "--target", "120", "--direction", "up", "--unit", "kW", "--tolerance", "2"],
        &["metric", "add", "chips/defects", "--target", "0.1", "--direction", "down"],
        &["metric", "add", "chips/yield", "--target", "0.9", "--direction", "up"],
    ] {
        c.run(args).ok();
    }
}

/// One reviewer's session: logs readings (some with blockers) and syncs at
/// random moments; a sync may fail while the server is away. Returns the
/// notes it logged.
fn reviewer(c: &Client, who: usize, steps: usize, seed: u64) -> Vec<String> {
    let mut rng = SplitMix(seed);
    let mut notes = Vec::new();
    for step in 0..steps {
        match rng.below(10) {
            0..=6 => {
                let metric = METRICS[rng.below(3) as usize];
                let engineer = ENGINEERS[rng.below(3) as usize];
                let day = 1 + rng.below(28);
                let value = format!("{:.3}", 0.1 + rng.below(1000) as f64 / 10.0);
                let note = format!("client {who} step {step}");
                let date = format!("2026-11-{day:02}");
                let mut args = vec!["log", "--metric", metric, "--engineer", engineer, "--value", &value];
                args.extend(["--note", &note, "--date", &date, "--reviewer", "boss"]);
                let blocker = format!("supplier:late parts seen by client {who} at step {step}");
                if rng.below(6) == 0 {
                    args.extend(["--blocker", &blocker]);
                }
                c.run(&args).ok();
                notes.push(note);
            }
            7 | 8 => {
                // The server may be away: a failed sync changes nothing here.
                let r = c.run(&["sync"]);
                assert!(r.code == 0 || r.stderr.starts_with("error: "), "{}", r.stderr);
                assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
            }
            _ => std::thread::sleep(Duration::from_millis(rng.below(40))),
        }
    }
    notes
}

fn converge(n: usize, steps: usize) {
    let Some(team) = Team::new() else { return };
    let proxy = Proxy::new(team.server.port);
    let clients: Vec<Client> = (0..n)
        .map(|i| {
            let role = team.role(&format!("r{i}"), "limfac_reviewer");
            team.client_as(&role, &format!("pw-r{i}"), proxy.port)
        })
        .collect();
    for c in &clients {
        seed(c);
    }
    // Two reviewers move the same deadline on the same day, offline.
    clients[0].run(&["deadline", "set", "chips", "--date", "2027-06-01", "--reason", "lot 9 replanned"]).ok();
    clients[1].run(&["deadline", "set", "chips", "--date", "2027-07-01", "--reason", "tool down"]).ok();

    let started = Instant::now();
    let notes: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(i, c)| s.spawn(move || reviewer(c, i, steps, 0x5eed + i as u64 * 7919)))
            .collect();
        // The server goes away for a while, mid-session.
        std::thread::sleep(Duration::from_millis(800));
        proxy.down();
        std::thread::sleep(Duration::from_millis(1500));
        proxy.up();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    eprintln!(
        "{n} clients logged {} readings in {:.1} s",
        notes.iter().map(Vec::len).sum::<usize>(),
        started.elapsed().as_secs_f64()
    );

    // A blocker resolved on one laptop, then the final syncs: everyone pushes, then everyone pulls.
    let open = clients[n - 1].json(&["blocker", "list", "--json"]);
    if let Some(b) = open.as_array().and_then(|a| a.first()) {
        clients[n - 1].run(&["blocker", "resolve", &b["id"].to_string(), "--date", "2026-11-29"]).ok();
    }
    for _ in 0..2 {
        for c in &clients {
            c.run(&["sync"]).ok();
        }
    }

    let all: Vec<&String> = notes.iter().flatten().collect();
    let reports: Vec<String> = clients.iter().map(|c| c.run(&["report", "--format", "json"]).ok().stdout).collect();
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r, &reports[0], "client {i}'s report differs from client 0's");
    }
    for (i, c) in clients.iter().enumerate() {
        let dump: serde_json::Value = serde_json::from_str(&c.dump()).unwrap();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for p in dump["points"].as_array().unwrap() {
            *seen.entry(p["note"].as_str().unwrap().to_string()).or_default() += 1;
        }
        assert_eq!(seen.len(), all.len(), "client {i}: readings missing or extra");
        for note in &all {
            assert_eq!(seen.get(note.as_str()), Some(&1), "client {i}: {note} not present exactly once");
        }
        let h = c.health();
        assert_eq!((h.count("project"), h.count("metric"), h.count("engineer")), (3, 3, 3), "client {i}");
        assert_eq!(h.count("deadline"), 2, "client {i}");
    }
    assert_eq!(team.count("SELECT count(*) FROM limfac.reading"), all.len() as i64);
    assert_eq!(team.count("SELECT count(DISTINCT note) FROM limfac.reading"), all.len() as i64);
    assert_eq!(team.count("SELECT count(*) FROM limfac.project"), 3);
}

#[test]
fn two_clients_logging_and_syncing_at_random_converge() {
    converge(2, 60);
}

#[test]
fn four_clients_logging_and_syncing_at_random_converge() {
    converge(4, 45);
}

#[test]
fn sync_killed_at_random_points_loses_nothing_and_duplicates_nothing() {
    let Some(team) = Team::new() else { return };
    let alice = team.client("alice");
    let bob = team.client("bob");
    seed(&alice);
    let mut rng = SplitMix(16);
    let mut expected = 0usize;
    let mut batch = 0;
    let mut import = |c: &Client, rows: usize| {
        let mut csv = String::from("date,project,metric,engineer,value,note\n");
        for i in 0..rows {
            csv.push_str(&format!(
                "2026-11-{:02},chips,yield,wang-xm,{}.5,batch {batch} row {i}\n",
                1 + i % 28,
                i % 90
            ));
        }
        batch += 1;
        std::fs::write(c.file("batch.csv"), csv).unwrap();
        c.run(&["import", "batch.csv"]).ok();
        rows
    };
    // How long a whole sync of a batch takes here.
    expected += import(&alice, 400);
    let t = Instant::now();
    alice.run(&["sync"]).ok();
    let full = t.elapsed();
    let window = full.mul_f64(1.3).max(Duration::from_millis(30));

    let (mut kills, mut interrupted, mut corrections) = (0, 0, 0);
    for round in 0..36 {
        expected += import(&alice, 200 + rng.below(300) as usize);
        if round % 5 == 0 {
            // A correction of one of the readings (a fact like the others).
            let id = (1 + rng.below(expected as u64)).to_string();
            let value = format!("{round}.25");
            alice.run(&["point", "amend", &id, "--value", &value, "--reason", "misheard", "--force"]).ok();
            corrections += 1;
        }
        if round % 4 == 0 {
            let target = format!("0.{}", 80 + round);
            alice.run(&["metric", "edit", "chips/yield", "--target", &target]).ok();
        }
        if round % 6 == 0 {
            let note = format!("blocked round {round}");
            let blocker = format!("people:short a technician in round {round}");
            alice
                .run(&[
                    "log",
                    "--metric",
                    "chips/yield",
                    "--engineer",
                    "boss",
                    "--value",
                    "1",
                    "--note",
                    &note,
                    "--blocker",
                    &blocker,
                ])
                .ok();
            expected += 1;
        }
        // Alice's push, and every third round bob's pull, killed at a random moment.
        for who in [&alice, &bob] {
            if std::ptr::eq(who, &bob) && round % 3 != 0 {
                continue;
            }
            let mut child = who.std_cmd().arg("sync").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
            std::thread::sleep(window.mul_f64(rng.below(1000) as f64 / 1000.0));
            if child.try_wait().unwrap().is_none() {
                interrupted += 1;
            }
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
        }
    }
    eprintln!("sync killed {kills} times ({interrupted} while running; a whole sync took {full:?})");
    assert!(kills >= 30);
    assert!(interrupted >= 20, "only {interrupted} kills landed mid-sync");

    for c in [&alice, &bob, &alice, &bob] {
        c.run(&["sync"]).ok();
    }
    assert_eq!(team.count("SELECT count(*) FROM limfac.reading"), expected as i64);
    assert_eq!(team.count("SELECT count(DISTINCT (note, value, date)) FROM limfac.reading"), expected as i64);
    assert_eq!(team.count("SELECT count(*) FROM limfac.project"), 3);
    assert_eq!(team.count("SELECT count(*) FROM limfac.blocker"), 6);
    assert_eq!(team.count("SELECT count(*) FROM limfac.correction"), corrections);
    for c in [&alice, &bob] {
        let h = c.health();
        assert_eq!(h.count("point") as usize, expected);
        assert_eq!(h.count("blocker"), 6);
        assert_eq!(c.dump().matches("\"misheard\"").count() as i64, corrections, "corrections here");
        let s = c.run(&["sync", "--status"]).ok().stdout;
        assert!(s.contains("pending       0"), "{s}");
    }
    assert_eq!(alice.json(&["metric", "list", "--json"]), bob.json(&["metric", "list", "--json"]));
    assert_eq!(
        alice.run(&["report", "--format", "json"]).ok().stdout,
        bob.run(&["report", "--format", "json"]).ok().stdout
    );
    // Every edit reached the server exactly once, none of them a conflict with itself.
    assert_eq!(team.count("SELECT count(*) FROM limfac.edit WHERE NOT accepted"), 0);
    assert!((1..=9).contains(&team.count("SELECT count(*) FROM limfac.edit")));
}
