//! Team sync against a real PostgreSQL (the throwaway server of .ci/run or
//! scripts/pg-test-server.sh): the server schema and its versions, merging
//! by natural key, a concurrent edit, row-level security, pull by cursor
//! through an index, passwords, TLS, auto_sync.

use crate::common;
use crate::pgtest;

use std::time::{Duration, Instant};

use pgtest::{Proxy, Team};

fn lines_with(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

/// Projects, an engineer and a metric, as anyone types them.
fn seed(c: &common::TestDb) {
    seed_named(c, "Chips");
}

/// The same, with the project named `project_name`.
fn seed_named(c: &common::TestDb, project_name: &str) {
    c.run(&["project", "add", "chips", "--name", project_name, "--priority", "2"]).ok();
    c.run(&["engineer", "add", "wang", "--name", "Wang"]).ok();
    c.run(&["metric", "add", "chips/yield", "--target", "0.9", "--direction", "up", "--unit", "%"]).ok();
}

#[test]
fn remote_init_creates_the_schema_and_print_sql_needs_no_server() {
    let sql = common::TestDb::new().run(&["remote", "init", "--print-sql"]).ok().stdout;
    assert!(sql.starts_with("BEGIN;"), "{sql}");
    assert!(sql.trim_end().ends_with("COMMIT;"));
    for needle in
        ["CREATE TABLE limfac.reading", "ENABLE ROW LEVEL SECURITY", "CREATE VIEW limfac.readings", "limfac_reader"]
    {
        assert!(sql.contains(needle), "{needle}");
    }
    let upgrade = common::TestDb::new().run(&["remote", "init", "--print-sql", "--from", "1"]).ok().stdout;
    assert!(!upgrade.contains("CREATE TABLE limfac.reading") && upgrade.contains("CREATE VIEW limfac.readings"));

    let Some(team) = Team::new() else { return };
    // Readable by ordinary tools: a view per main entity.
    let mut c = team.admin_client();
    for view in [
        "projects",
        "engineers",
        "metrics",
        "reviews",
        "readings",
        "blockers",
        "deadlines",
        "history",
        "corrections",
        "archive_events",
    ] {
        let n: i64 = c.query_one(&format!("SELECT count(*) FROM limfac.{view}"), &[]).unwrap().get(0);
        assert_eq!(n, 0, "{view}");
    }
    // A second init changes nothing.
    let again = team.admin.run(&["remote", "init"]).ok();
    assert!(again.stderr.contains("already has limfac schema version 3"), "{}", again.stderr);
}

#[test]
fn remote_init_upgrades_an_older_server_in_one_transaction_and_a_newer_one_is_refused() {
    let Some(team) = Team::empty() else { return };
    let mut admin = team.admin_client();
    // A server at schema version 1 (the tables, no views or policies yet).
    admin.batch_execute(&format!("BEGIN; {} COMMIT;", limfac::sync::server::STEPS[0])).unwrap();
    // Something in the way of version 2: the upgrade fails whole.
    admin.batch_execute("CREATE TABLE limfac.history (x int)").unwrap();
    team.admin.run(&["remote", "init"]).fails_with("cannot upgrade the server schema to version 2");
    // (The failed upgrade was one transaction: nothing of it stayed.)
    let version = |c: &mut postgres::Client| -> String {
        c.query_one("SELECT value FROM limfac.meta WHERE key = 'schema_version'", &[]).unwrap().get(0)
    };
    assert_eq!(version(&mut admin), "1");
    let views: i64 = admin.query_one("SELECT count(*) FROM pg_views WHERE schemaname = 'limfac'", &[]).unwrap().get(0);
    assert_eq!(views, 0, "a failed upgrade left views behind");
    admin.batch_execute("DROP TABLE limfac.history").unwrap();
    let r = team.admin.run(&["remote", "init"]).ok();
    assert!(r.stderr.contains("from limfac schema version 1 to 3"), "{}", r.stderr);
    assert_eq!(version(&mut admin), "3");

    // A client refuses a newer server, changing nothing here or there.
    let alice = team.client("alice");
    seed_named(&alice, "Chips");
    admin.batch_execute("UPDATE limfac.meta SET value = '99' WHERE key = 'schema_version'").unwrap();
    let before = alice.dump();
    let r = alice.run(&["sync"]).fails_with("schema version 99");
    assert!(r.stderr.contains("this build knows up to 3"), "{}", r.stderr);
    assert_eq!(alice.dump(), before);
    assert_eq!(team.count("SELECT count(*) FROM limfac.project"), 0);
    team.admin.run(&["remote", "init"]).fails_with("schema version 99");
    // And an older one names the fix.
    admin.batch_execute("UPDATE limfac.meta SET value = '1' WHERE key = 'schema_version'").unwrap();
    let r = alice.run(&["sync"]).fails_with("schema version 1");
    assert!(r.stderr.contains("remote init"), "{}", r.stderr);
}

#[test]
fn two_reviewers_creating_the_same_project_offline_get_one_and_every_reading_once() {
    let Some(team) = Team::new() else { return };
    let alice = team.client("alice");
    let bob = team.client("bob");
    seed_named(&alice, "Chips");
    seed_named(&bob, "Chips");
    alice.run(&["log", "--metric", "chips/yield", "--engineer", "wang", "--value", "0.5", "--note", "a1"]).ok();
    bob.run(&[
        "log",
        "--metric",
        "chips/yield",
        "--engineer",
        "wang",
        "--value",
        "0.6",
        "--note",
        "b1",
        "--blocker",
        "supplier:late",
    ])
    .ok();
    let a = alice.run(&["sync"]).ok();
    assert!(a.stdout.contains("pushed 1 project, 1 engineer, 1 metric, 1 review, 1 reading"), "{}", a.stdout);
    let b = bob.run(&["sync"]).ok();
    // Same values: merged silently, no conflict.
    assert_eq!(lines_with(&b.stdout, "conflict"), 0, "{}", b.stdout);
    assert!(b.stdout.contains("merged: project chips"), "{}", b.stdout);
    alice.run(&["sync"]).ok();
    // Retries add nothing.
    for c in [&alice, &bob, &alice] {
        let r = c.run(&["sync"]).ok();
        assert!(r.stdout.contains("pushed nothing") && r.stdout.contains("pulled nothing"), "{}", r.stdout);
    }
    assert_eq!(team.count("SELECT count(*) FROM limfac.project"), 1);
    assert_eq!(team.count("SELECT count(*) FROM limfac.metric"), 1);
    assert_eq!(team.count("SELECT count(*) FROM limfac.reading"), 2);
    assert_eq!(team.count("SELECT count(*) FROM limfac.blocker"), 1);
    for c in [&alice, &bob] {
        assert_eq!(c.health().count("point"), 2);
        assert_eq!(c.health().count("project"), 1);
        assert_eq!(c.health().count("blocker"), 1);
    }
    assert_eq!(
        alice.run(&["report", "--format", "json"]).ok().stdout,
        bob.run(&["report", "--format", "json"]).ok().stdout
    );
    // Who logged what, in the readable view.
    let by: Vec<String> = team
        .admin_client()
        .query("SELECT logged_by FROM limfac.readings ORDER BY note", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(by, [alice.role.clone(), bob.role.clone()]);

    // A blocker resolved by bob is resolved for alice.
    bob.run(&["blocker", "resolve", "1", "--date", "2026-11-29"]).ok();
    bob.run(&["sync"]).ok();
    alice.run(&["sync"]).ok();
    let open = alice.json(&["blocker", "list", "--json"]);
    assert_eq!(open.as_array().unwrap().len(), 0, "{open}");
    assert_eq!(team.count("SELECT count(*) FROM limfac.blockers WHERE resolved = '2026-11-29'"), 1);
}

#[test]
fn a_concurrent_edit_of_a_target_is_decided_once_and_the_loser_kept() {
    let Some(team) = Team::new() else { return };
    let alice = team.client("alice");
    let bob = team.client("bob");
    seed_named(&alice, "Chips");
    alice.run(&["sync"]).ok();
    bob.run(&["sync"]).ok();
    // Both offline, the same field.
    alice.run(&["metric", "edit", "chips/yield", "--target", "0.8"]).ok();
    bob.run(&["metric", "edit", "chips/yield", "--target", "0.85"]).ok();
    let mut said = String::new();
    for c in [&alice, &bob, &alice, &bob, &alice] {
        said.push_str(&c.run(&["sync"]).ok().stdout);
    }
    // The first to reach the server (alice) wins; the conflict is named once.
    assert_eq!(lines_with(&said, "conflict:"), 1, "{said}");
    assert!(said.contains("conflict: metric chips/yield target: your 0.85 lost to 0.8"), "{said}");
    for c in [&alice, &bob] {
        let m = c.json(&["metric", "list", "--json"]);
        assert_eq!(m[0]["target"], 0.8, "{m}");
        let h = c.json(&["sync", "--history", "chips/yield", "--json"]);
        let lost: Vec<&serde_json::Value> = h.as_array().unwrap().iter().filter(|e| e["outcome"] == "lost").collect();
        assert_eq!(lost.len(), 1, "{h}");
        assert_eq!(lost[0]["value"], 0.85);
        assert_eq!(lost[0]["author"], bob.role.as_str());
    }
    assert_eq!(team.count("SELECT count(*) FROM limfac.history WHERE outcome = 'lost' AND value = '0.85'"), 1);
    assert_eq!(
        alice.run(&["report", "--format", "json"]).ok().stdout,
        bob.run(&["report", "--format", "json"]).ok().stdout
    );
    // A later edit by bob, now that he has seen alice's, wins normally.
    bob.run(&["metric", "edit", "chips/yield", "--target", "0.82"]).ok();
    let r = bob.run(&["sync"]).ok();
    assert_eq!(lines_with(&r.stdout, "conflict"), 0, "{}", r.stdout);
    alice.run(&["sync"]).ok();
    assert_eq!(alice.json(&["metric", "list", "--json"])[0]["target"], 0.82);
}

#[test]
fn row_level_security_keeps_each_reviewers_history_theirs() {
    let Some(team) = Team::new() else { return };
    let alice = team.client("alice");
    let bob = team.client("bob");
    let dash = team.role("dash", "limfac_reader");
    seed_named(&alice, "Chips");
    alice.run(&["log", "--metric", "chips/yield", "--engineer", "wang", "--value", "0.5", "--note", "a1"]).ok();
    alice.run(&["sync"]).ok();
    bob.run(&["sync"]).ok();
    let connect = |role: &str, pw: &str| postgres::Client::connect(&team.url(role, pw), postgres::NoTls).unwrap();
    let mut a = connect(&alice.role, "pw-alice");
    let ids = a
        .query_one("SELECT m.id, e.id, r.id FROM limfac.metric m, limfac.engineer e, limfac.reading r LIMIT 1", &[])
        .unwrap();
    let (metric, engineer, reading): (uuid::Uuid, uuid::Uuid, uuid::Uuid) = (ids.get(0), ids.get(1), ids.get(2));
    let insert = "INSERT INTO limfac.reading (id, date, metric_id, engineer_id, value, note, author)
                  VALUES ($1, '2026-11-20', $2, $3, 1, 'x', $4)";
    // Not under another reviewer's name.
    let e = a.execute(insert, &[&uuid::Uuid::now_v7(), &metric, &engineer, &bob.role]).unwrap_err();
    assert!(format!("{e:?}").contains("row-level security"), "{e:?}");
    // Under her own, yes, when what it refers to exists.
    let e = a.execute(insert, &[&uuid::Uuid::now_v7(), &uuid::Uuid::now_v7(), &engineer, &alice.role]).unwrap_err();
    assert!(format!("{e:?}").contains("does not exist"), "{e:?}");
    a.execute(insert, &[&uuid::Uuid::now_v7(), &metric, &engineer, &alice.role]).unwrap();
    // Never an update or a delete of any fact, hers or not.
    let mut b = connect(&bob.role, "pw-bob");
    for (who, sql) in [
        ("bob", "UPDATE limfac.reading SET value = 0"),
        ("bob", "DELETE FROM limfac.reading"),
        ("alice", "UPDATE limfac.reading SET note = 'rewritten'"),
        ("alice", "DELETE FROM limfac.reading"),
        ("alice", "DELETE FROM limfac.edit"),
        ("alice", "UPDATE limfac.metric SET target = 1"),
        ("alice", "DELETE FROM limfac.project"),
        ("alice", "UPDATE limfac.meta SET value = '3'"),
        ("alice", "TRUNCATE limfac.reading"),
    ] {
        let client = if who == "bob" { &mut b } else { &mut a };
        let e = client.batch_execute(sql).unwrap_err();
        assert!(format!("{e:?}").contains("permission denied"), "{sql}: {e:?}");
    }
    // An edit claiming to be accepted is decided by the server all the same.
    a.execute(
        "INSERT INTO limfac.edit (id, entity, entity_id, field, value, base, accepted) VALUES ($1, 'metric', $2, 'target', '5', $3, true)",
        &[&uuid::Uuid::now_v7(), &metric, &uuid::Uuid::now_v7()],
    )
    .unwrap();
    assert_eq!(team.count("SELECT count(*) FROM limfac.edit WHERE accepted"), 0);
    assert_eq!(team.count("SELECT count(*) FROM limfac.metric WHERE target = 0.9"), 1);
    // The dashboard role reads, and cannot write.
    let mut d = connect(&dash, "pw-dash");
    let n: i64 = d.query_one("SELECT count(*) FROM limfac.readings", &[]).unwrap().get(0);
    assert_eq!(n, 2);
    for sql in [
        format!("INSERT INTO limfac.reading (id, date, metric_id, engineer_id, value, note) VALUES ('{}', '2026-11-20', '{metric}', '{engineer}', 1, 'x')", uuid::Uuid::now_v7()),
        format!("UPDATE limfac.reading SET value = 0 WHERE id = '{reading}'"),
        format!("DELETE FROM limfac.reading WHERE id = '{reading}'"),
        "INSERT INTO limfac.project (id, slug, name, priority) VALUES (gen_random_uuid(), 'x', 'x', 1)".to_string(),
    ] {
        let e = d.batch_execute(&sql).unwrap_err();
        assert!(format!("{e:?}").contains("permission denied"), "{sql}: {e:?}");
    }
    // And limfac sync as the reader fails with a clear error, changing nothing here.
    let reader = team.client_as(&dash, "pw-dash", team.server.port);
    reader.run(&["sync"]).ok();
    reader.run(&["project", "add", "power", "--name", "Power"]).ok();
    let r = reader.run(&["sync"]).fails_with("permission denied");
    assert!(r.stderr.contains("nothing is lost"), "{}", r.stderr);
    assert_eq!(team.count("SELECT count(*) FROM limfac.reading"), 2);
}

#[test]
fn pull_by_cursor_reads_an_index_not_the_whole_table() {
    let Some(team) = Team::new() else { return };
    let alice = team.client("alice");
    let mut csv = String::from("date,project,metric,engineer,value,note,target,direction\n");
    for i in 0..20_000 {
        csv.push_str(&format!(
            "2026-{:02}-{:02},chips,m{},wang,{i},reading {i},1,down\n",
            1 + i % 11,
            1 + i % 28,
            i % 20
        ));
    }
    std::fs::write(alice.file("big.csv"), csv).unwrap();
    alice.run(&["import", "big.csv", "--create-missing"]).ok();
    let r = alice.run(&["sync"]).ok();
    assert!(r.stdout.contains("20000 readings"), "{}", r.stdout);
    let mut admin = team.admin_client();
    admin.batch_execute("ANALYZE").unwrap();
    let max: i64 = admin.query_one("SELECT max(seq) FROM limfac.reading", &[]).unwrap().get(0);
    // The query a client runs, past a recent cursor (skipping the range its
    // own push just wrote, here none).
    let plan: Vec<String> = admin
        .query(
            "EXPLAIN SELECT id, seq, date, metric_id, engineer_id, value, note, review_id, created_at
               FROM limfac.reading WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
            &[&(max - 50), &0i64, &0i64],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("Index Scan using reading_by_seq"), "{plan}");
    assert!(!plan.contains("Seq Scan"), "{plan}");
    // Every pulled table has its seq index (small tables may be scanned while small).
    admin.batch_execute("SET enable_seqscan = off").unwrap();
    for table in [
        "project",
        "engineer",
        "metric",
        "edit",
        "review",
        "reading",
        "blocker",
        "blocker_resolution",
        "deadline",
        "correction",
        "archive_event",
    ] {
        let plan: Vec<String> = admin
            .query(&format!("EXPLAIN SELECT * FROM limfac.{table} WHERE seq > $1 ORDER BY seq"), &[&max])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(plan.join("\n").contains(&format!("{table}_by_seq")), "{table}: {plan:?}");
    }
    // A fresh client pulls everything; a second pull moves nothing.
    let bob = team.client("bob");
    let r = bob.run(&["sync"]).ok();
    assert!(r.stdout.contains("pulled 1 project, 1 engineer, 20 metrics"), "{}", r.stdout);
    assert!(r.stdout.contains("20000 readings"), "{}", r.stdout);
    assert_eq!(bob.health().count("point"), 20_000);
    assert!(bob.run(&["sync"]).ok().stdout.contains("pulled nothing"));
}

#[test]
fn passwords_are_never_stored_nor_printed() {
    let Some(team) = Team::new() else { return };
    let role = team.role("alice", "limfac_reviewer");
    let secret = "pw-alice";
    let c = common::TestDb::new();
    // `remote set` with a password keeps the URL without it.
    let r = c.run(&["remote", "set", &team.url(&role, secret)]).ok();
    assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    assert!(r.stderr.contains("password in the URL was not stored"), "{}", r.stderr);
    seed_named(&c, "Chips");
    // Without a password anywhere: a clear error, no secret.
    let r = c.run(&["sync"]).fails_with("cannot connect to the team server");
    assert!(r.stderr.contains("~/.pgpass"), "{}", r.stderr);
    // PGPASSWORD at run time.
    c.cmd_env("PGPASSWORD", secret);
    c.run(&["sync"]).ok();
    // ~/.pgpass (PGPASSFILE), only when private.
    c.cmd_env("PGPASSWORD", "");
    let pgpass = c.file("pgpass");
    std::fs::write(&pgpass, format!("*:*:{}:{role}:{secret}\n", team.db)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    c.cmd_env("PGPASSFILE", pgpass.to_str().unwrap());
    c.run(&["log", "--metric", "chips/yield", "--engineer", "wang", "--value", "0.4", "--note", "n"]).ok();
    assert!(c.run(&["sync"]).ok().stdout.contains("pushed 1 review, 1 reading"));
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = c.run(&["sync"]).fails_with("cannot connect");
    assert!(r.stderr.contains("readable by others"), "{}", r.stderr);
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    // $LIMFAC_REMOTE with a password: used, never shown.
    c.cmd_env("LIMFAC_REMOTE", &team.url(&role, secret));
    for args in
        [&["sync", "--status"][..], &["remote", "show"], &["config", "show"], &["config", "show", "--json"], &["sync"]]
    {
        let r = c.run(args).ok();
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret), "{args:?}: {}{}", r.stdout, r.stderr);
    }
    let status = c.run(&["sync", "--status"]).ok().stdout;
    assert!(status.contains("reachable     yes"), "{status}");
    // A wrong password: the error shows the URL without it.
    c.cmd_env("LIMFAC_REMOTE", &team.url(&role, "not-the-password"));
    c.cmd_env("PGPASSFILE", "/nonexistent");
    let r = c.run(&["sync"]).fails_with("password authentication failed");
    assert!(!r.stderr.contains("not-the-password"), "{}", r.stderr);
    // The config file's remote is shown redacted too.
    std::fs::write(c.file("config.toml"), format!("remote = \"{}\"\n", team.url(&role, secret))).unwrap();
    c.cmd_env("LIMFAC_CONFIG", c.file("config.toml").to_str().unwrap());
    c.cmd_env("LIMFAC_REMOTE", "");
    let r = c.run(&["config", "show"]).ok();
    assert!(!r.stdout.contains(secret) && r.stdout.contains(":***@"), "{}", r.stdout);
    // Nothing in the database file or beside it holds the password.
    for entry in std::fs::read_dir(c.dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("limfac.db") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{} holds the password", p.display());
        }
    }
}

#[test]
fn tls_require_and_verify_full_with_rustls() {
    let Some(team) = Team::new() else { return };
    let ca = std::env::var("LIMFAC_TEST_PG_CA").expect(
        "LIMFAC_TEST_PG_CA is not set: start the test server with scripts/pg-test-server.sh (it makes a CA when openssl exists)",
    );
    let role = team.role("alice", "limfac_reviewer");
    let base = format!("postgresql://{role}:pw-alice@127.0.0.1:{}/{}", team.server.port, team.db);
    let c = common::TestDb::new();
    seed_named(&c, "Chips");
    c.cmd_env("LIMFAC_REMOTE", &format!("{base}?sslmode=require"));
    assert!(c.run(&["sync"]).ok().stdout.contains("pushed 1 project"));
    c.cmd_env("LIMFAC_REMOTE", &format!("{base}?sslmode=verify-full&sslrootcert={ca}"));
    c.run(&["sync"]).ok();
    c.cmd_env("LIMFAC_REMOTE", &format!("{base}?sslmode=verify-ca&sslrootcert={ca}"));
    c.run(&["sync"]).ok();
    // The public roots do not know the test CA: refused, with a hint.
    c.cmd_env("LIMFAC_REMOTE", &format!("{base}?sslmode=verify-full"));
    c.cmd_env("HOME", c.dir.path().to_str().unwrap());
    let r = c.run(&["sync"]).fails_with("cannot connect to the team server");
    assert!(r.stderr.contains("sslrootcert"), "{}", r.stderr);
}

#[test]
fn auto_sync_never_fails_a_write_and_says_so_once() {
    let Some(team) = Team::new() else { return };
    let role = team.role("alice", "limfac_reviewer");
    let proxy = Proxy::new(team.server.port);
    let c = team.client_as(&role, "pw-alice", proxy.port);
    std::fs::write(c.file("config.toml"), "auto_sync = true\nauto_sync_timeout_ms = 1500\n").unwrap();
    c.cmd_env("LIMFAC_CONFIG", c.file("config.toml").to_str().unwrap());
    seed_named(&c, "Chips");
    assert_eq!(team.count("SELECT count(*) FROM limfac.metric"), 1, "auto_sync pushed the metric");
    let log =
        |note: &str| c.run(&["log", "--metric", "chips/yield", "--engineer", "wang", "--value", "0.5", "--note", note]);
    // What a command costs here without the server (this machine may be
    // busy): auto_sync may add at most its timeout to that.
    let t = Instant::now();
    c.run(&["--quiet", "project", "list"]).ok();
    let budget = t.elapsed() * 3 + Duration::from_millis(1500 + 1000);
    proxy.down();
    let t = Instant::now();
    let first = log("offline 1").ok();
    assert!(t.elapsed() < budget, "{:?} > {budget:?}", t.elapsed());
    assert_eq!(lines_with(&first.stderr, "auto-sync failed"), 1, "{}", first.stderr);
    let second = log("offline 2").ok();
    assert_eq!(lines_with(&second.stderr, "auto-sync"), 0, "said twice: {}", second.stderr);
    assert_eq!(c.health().count("point"), 2);
    // A server that accepts and never answers: the write still returns within the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    c.cmd_env(
        "LIMFAC_REMOTE",
        &format!("postgresql://{role}:pw-alice@127.0.0.1:{silent_port}/{}?sslmode=disable", team.db),
    );
    let t = Instant::now();
    log("silent server").ok();
    assert!(t.elapsed() < budget, "{:?} > {budget:?}", t.elapsed());
    drop(silent);
    // Back: the next write pushes everything.
    c.cmd_env(
        "LIMFAC_REMOTE",
        &format!("postgresql://{role}:pw-alice@127.0.0.1:{}/{}?sslmode=disable", proxy.port, team.db),
    );
    proxy.up();
    let back = log("online").ok();
    assert!(back.stderr.contains("answers again"), "{}", back.stderr);
    assert_eq!(team.count("SELECT count(*) FROM limfac.reading"), 4);
    let s = c.run(&["sync", "--status"]).ok().stdout;
    assert!(s.contains("pending       0"), "{s}");
}

#[test]
fn corrections_archives_and_bounds_reach_every_copy() {
    let Some(team) = Team::new() else { return };
    let alice = team.client("alice");
    let bob = team.client("bob");
    seed(&alice);
    alice.run(&["metric", "add", "chips/defects", "--target", "0.1", "--direction", "down"]).ok();
    for (v, note) in [("0.5", "r1"), ("0.6", "r2"), ("0.7", "r3")] {
        alice.run(&["log", "--metric", "chips/yield", "--engineer", "wang", "--value", v, "--note", note]).ok();
    }
    alice.run(&["sync"]).ok();
    bob.run(&["sync"]).ok();
    // Bob corrects alice's readings and archives a metric; alice sets bounds.
    let points = bob.json(&["point", "list", "--json"]);
    let id = |note: &str| points.as_array().unwrap().iter().find(|p| p["note"] == note).unwrap()["id"].to_string();
    bob.run(&["point", "amend", &id("r1"), "--value", "0.55", "--reason", "typo in the meeting"]).ok();
    bob.run(&["point", "retract", &id("r2"), "--reason", "wrong metric"]).ok();
    bob.run(&["metric", "archive", "chips/defects", "--reason", "superseded"]).ok();
    alice.run(&["metric", "edit", "chips/yield", "--min", "0", "--max", "1"]).ok();
    let r = bob.run(&["sync"]).ok();
    assert!(r.stdout.contains("2 corrections, 1 archive event"), "{}", r.stdout);
    alice.run(&["sync"]).ok();
    bob.run(&["sync"]).ok();
    for c in [&alice, &bob] {
        let list = c.json(&["point", "list", "--json"]);
        let values: Vec<f64> = list.as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
        assert_eq!(values, [0.55, 0.7], "{list}");
    }
    assert_eq!(alice.json(&["metric", "list", "--json"]), bob.json(&["metric", "list", "--json"]));
    assert_eq!(
        alice.run(&["report", "--format", "json"]).ok().stdout,
        bob.run(&["report", "--format", "json"]).ok().stdout
    );
    assert_eq!(team.count("SELECT count(*) FROM limfac.corrections"), 2);
    assert_eq!(team.count("SELECT count(*) FROM limfac.archive_events"), 1);
    assert_eq!(team.count("SELECT count(*) FROM limfac.metric WHERE upper_bound = 1"), 1);
    // Once more: nothing moves twice.
    for c in [&alice, &bob] {
        let r = c.run(&["sync"]).ok();
        assert!(r.stdout.contains("pushed nothing") && r.stdout.contains("pulled nothing"), "{}", r.stdout);
    }
}

/// The forecast cache never outlives a sync (issue 17): readings, corrections and a target
/// edit that a sync brings in give the answers of a cold computation.
#[test]
fn a_sync_that_brings_readings_in_leaves_no_stale_forecast() {
    let Some(team) = Team::new() else { return };
    let alice = team.client("alice");
    let bob = team.client("bob");
    seed(&alice);
    for (i, v) in [0.30, 0.36, 0.41, 0.47, 0.52, 0.55, 0.61].iter().enumerate() {
        let date = format!("2026-10-{:02}", 4 + 7 * i.min(3));
        let date = if i < 4 { date } else { format!("2026-11-{:02}", 1 + 7 * (i - 4)) };
        alice
            .run(&[
                "log",
                "--metric",
                "chips/yield",
                "--engineer",
                "wang",
                "--value",
                &v.to_string(),
                "--date",
                &date,
                "--note",
                "weekly",
            ])
            .ok();
    }
    alice.run(&["sync"]).ok();
    bob.run(&["sync"]).ok();
    let checked: [&[&str]; 2] = [&["forecast", "--json"], &["report", "--format", "json"]];
    // Alice fills her cache.
    for args in checked {
        alice.run(args).ok();
    }
    // Bob logs a back-dated reading, amends one and edits the target; alice pulls them.
    bob.run(&[
        "log",
        "--metric",
        "chips/yield",
        "--engineer",
        "wang",
        "--value",
        "0.2",
        "--date",
        "2026-11-03",
        "--note",
        "late",
    ])
    .ok();
    let points = bob.json(&["point", "list", "--json"]);
    let first = points[0]["id"].to_string();
    bob.run(&["point", "amend", &first, "--value", "0.33", "--reason", "typo"]).ok();
    bob.run(&["metric", "edit", "chips/yield", "--target", "0.85"]).ok();
    bob.run(&["sync"]).ok();
    let pulled = alice.run(&["sync"]).ok();
    assert!(pulled.stdout.contains("pulled"), "{}", pulled.stdout);
    let cold = alice.file("cold.db");
    alice.run(&["--quiet", "backup", cold.to_str().unwrap()]).ok();
    for args in checked {
        let warm = alice.run(args).ok().stdout;
        let mut on_cold = vec!["--db", cold.to_str().unwrap()];
        on_cold.extend_from_slice(args);
        assert_eq!(warm, alice.run(&on_cold).ok().stdout, "{args:?} after a sync");
        assert_eq!(warm, bob.run(args).ok().stdout, "{args:?}: alice and bob agree");
    }
}
