//! Crash safety and upgrades (issue 8): a limfac process killed with SIGKILL
//! at any moment leaves a database that passes `PRAGMA integrity_check` and
//! holds all or none of each write; a database written by an earlier release
//! opens with the current build, its data intact.
//!
//! The kill moments come from a fixed seed. What the assertions check does
//! not depend on where a kill lands: whatever the timing, the database must
//! be whole and hold either the state before the write or the state after it.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{SplitMix, TestDb};

const SIGKILL: i32 = 9;

/// A valid import file: `rows` points on power/output by alice, a blocker on
/// every 100th row, notes that need quoting (so the quote-tracking path of
/// the reader runs too).
fn write_import(path: &Path, rows: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "date,project,metric,engineer,value,note,blocker").unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..rows {
        let date = start + chrono::Days::new(i % 600);
        let blocker = if i % 100 == 0 { format!("supplier:lead time {i}") } else { String::new() };
        writeln!(f, "{date},power,output,alice,{},\"bench reading {i}, \"\"steady\"\"\",{blocker}", i as f64 * 0.25)
            .unwrap();
    }
    f.flush().unwrap();
}

/// Kills `child` with SIGKILL and reports whether that interrupted it (as
/// opposed to it having finished first, which must then have been a success).
fn kill(mut child: Child, what: &str) -> bool {
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    if out.status.signal() == Some(SIGKILL) {
        return true;
    }
    assert!(
        out.status.success(),
        "{what} ended on its own with {:?}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

/// A database to kill imports on: whole after every kill, and holding either
/// the `base` (points, blockers) from before the import or that plus the
/// whole import. When an import lands, the pristine copy is put back, so the
/// database stays small and every check stays quick.
struct Rig {
    db: TestDb,
    pristine: PathBuf,
    base: (i64, i64),
}

impl Rig {
    fn new(db: TestDb) -> Rig {
        let h = db.health();
        let pristine = db.file("pristine.db");
        // No limfac process is running: the file is the whole database.
        std::fs::copy(&db.path, &pristine).unwrap();
        Rig { base: (h.count("point"), h.count("blocker")), db, pristine }
    }

    /// Checks the database; returns true if the import had landed (whole).
    fn check(&self, rows: i64, what: &str) -> bool {
        let h = self.db.health();
        let now = (h.count("point"), h.count("blocker"));
        if now == self.base {
            return false;
        }
        let all = (self.base.0 + rows, self.base.1 + (rows + 99) / 100);
        assert_eq!(now, all, "{what}: neither none nor all of the import (before: {:?})", self.base);
        // doctor has exited, so the WAL is checkpointed and gone.
        std::fs::copy(&self.pristine, &self.db.path).unwrap();
        true
    }

    /// Starts `import file`, kills it after `delay`, and checks the database.
    fn kill_import(&self, file: &Path, rows: i64, delay: Duration, seen: &mut Kills) {
        let mut c = self.db.std_cmd();
        let child = c.arg("import").arg(file).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        std::thread::sleep(delay);
        if std::fs::metadata(self.db.file("limfac.db-wal")).is_ok_and(|m| m.len() > 0) {
            seen.with_wal += 1;
        }
        if self.db.file("limfac.db-journal").exists() {
            seen.with_journal += 1;
        }
        seen.kills += 1;
        if kill(child, "import") {
            seen.interrupted += 1;
        }
        if self.check(rows, &format!("{rows}-row import killed after {delay:?}")) {
            seen.landed += 1;
        }
    }

    /// Runs `import file` to the end: it must land whole. Returns how long it took.
    fn full_import(&self, file: &Path, rows: i64) -> Duration {
        let started = Instant::now();
        let o = self.db.std_cmd().arg("import").arg(file).output().unwrap();
        let took = started.elapsed();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(self.check(rows, "uninterrupted import"), "the import wrote nothing");
        took
    }
}

/// What one round of kills saw, for the report.
#[derive(Default)]
struct Kills {
    kills: u32,
    interrupted: u32,
    landed: u32,
    with_wal: u32,
    /// A rollback journal on disk (the first import into a database without readings).
    with_journal: u32,
}

impl std::fmt::Display for Kills {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} kills ({} mid-run, {} with a WAL on disk, {} with a rollback journal, {} after the import had landed whole)",
            self.kills, self.interrupted, self.with_wal, self.with_journal, self.landed
        )
    }
}

#[test]
fn import_killed_at_any_moment_is_all_or_nothing() {
    let db = TestDb::seeded();
    for i in 0..3 {
        db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", &i.to_string(), "--note", "n"])
            .ok();
    }
    const BIG: i64 = 200_000;
    const MEDIUM: i64 = 60_000;
    const SMALL: i64 = 5_000;
    let (big, medium, small) = (db.file("big.csv"), db.file("medium.csv"), db.file("small.csv"));
    write_import(&big, BIG as u64);
    write_import(&medium, MEDIUM as u64);
    write_import(&small, SMALL as u64);
    let rig = Rig::new(db);
    let mut rng = SplitMix(20_261_129);

    // The big file takes seconds to import: kills at a random moment in its
    // first 600 ms land while it starts, opens, reads and writes.
    let mut early = Kills::default();
    while early.interrupted < 20 && early.kills < 60 {
        rig.kill_import(&big, BIG, Duration::from_millis(rng.below(600)), &mut early);
    }
    assert!(early.interrupted >= 20, "only {} kills interrupted the import", early.interrupted);

    // Smaller files, killed anywhere in the later part of their run (timed
    // once, uninterrupted, which also shows that they land whole), so that
    // kills land while the transaction commits (for a large import, while
    // its indexes are rebuilt) and while the WAL is checkpointed at exit.
    let mut late = Kills::default();
    for (file, rows, kills) in [(&medium, MEDIUM, 6), (&small, SMALL, 14)] {
        let span = rig.full_import(file, rows).as_micros() as u64;
        for _ in 0..kills {
            rig.kill_import(file, rows, Duration::from_micros(span / 2 + rng.below(span * 3 / 4)), &mut late);
        }
    }

    // And the big file is valid throughout (so "none" was never the only
    // possible outcome): every row passes the importer's reader.
    let file = std::io::BufReader::new(std::fs::File::open(&big).unwrap());
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let mut valid = 0;
    for row in limfac::formats::csv::read_rows(file, today) {
        row.unwrap_or_else(|e| panic!("the generated file is invalid: {e}"));
        valid += 1;
    }
    assert_eq!(valid, BIG);
    eprintln!(
        "import: {BIG} rows, {early}; {MEDIUM} and {SMALL} rows, {late}; every kill left a database that \
         passed integrity_check holding all or none of the import"
    );
}

/// The first import into a database without readings goes through a rollback journal
/// instead of the WAL (`Store::import`): killed at any moment, it too leaves all or none,
/// and the next open rolls the journal back and returns to WAL.
#[test]
fn first_import_killed_at_any_moment_is_all_or_nothing() {
    let db = TestDb::seeded();
    assert_eq!(db.health().count("point"), 0, "the rig needs a database without readings");
    const MEDIUM: i64 = 60_000;
    let medium = db.file("medium.csv");
    write_import(&medium, MEDIUM as u64);
    let rig = Rig::new(db);
    let mut rng = SplitMix(20_261_201);
    let span = rig.full_import(&medium, MEDIUM).as_micros() as u64;
    let mut seen = Kills::default();
    while (seen.interrupted < 12 || seen.kills < 16) && seen.kills < 80 {
        rig.kill_import(&medium, MEDIUM, Duration::from_micros(rng.below(span * 5 / 4)), &mut seen);
        // Whatever the kill left, the next open (the check's doctor) went back to WAL.
        let mode: String = rusqlite::Connection::open(&rig.db.path)
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal", "after {seen}");
        assert!(!rig.db.file("limfac.db-journal").exists(), "a journal was left after {seen}");
    }
    assert!(seen.interrupted >= 12, "only {} kills interrupted the import", seen.interrupted);
    assert!(seen.with_journal > 0, "no kill saw the rollback journal: {seen}");
    eprintln!("first import: {MEDIUM} rows, {seen}; every kill left a whole database holding all or none of it");
}

#[test]
fn log_killed_at_any_moment_writes_whole_points_or_none() {
    let db = TestDb::seeded();
    let log = |i: u32| {
        let mut c = db.std_cmd();
        c.args(["log", "--metric", "chips/defects", "--engineer", "wang-xm", "--reviewer", "boss"])
            .args(["--value", &format!("0.{i}"), "--note", &format!("lot {i} probed")])
            // Texts of their own: citing an open blocker again refers to it.
            .args(["--blocker", &format!("chips:wafer supply short for lot {i}")])
            .args(["--blocker", &format!("people:one technician short on lot {i}")])
            .args(["--blocker", &format!("supplier:probe card for lot {i} late")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    // How long one log takes here, to spread the kills over a whole run.
    let started = Instant::now();
    for i in 0..3 {
        assert!(log(i).status().unwrap().success());
    }
    let span = started.elapsed().as_micros() as u64 / 3 * 3 / 2;
    let mut points = db.health().count("point");
    assert_eq!(points, 3);

    let mut rng = SplitMix(1_092_026);
    let (mut kills, mut interrupted, mut landed) = (0u32, 0, 0);
    while (interrupted < 20 || kills < 30) && kills < 400 {
        let delay = Duration::from_micros(rng.below(span));
        let child = log(kills + 3).spawn().unwrap();
        std::thread::sleep(delay);
        kills += 1;
        if kill(child, "log") {
            interrupted += 1;
        }
        let h = db.health();
        let now = h.count("point");
        assert!(now == points || now == points + 1, "log killed after {delay:?}: {points} points became {now}");
        if now > points {
            landed += 1;
        }
        points = now;
        assert_eq!(h.count("blocker"), 3 * points, "a point lost some of its blockers (killed after {delay:?})");
        // Each point carries its own three blockers, and all joined one review.
        let dump: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
        for p in dump["points"].as_array().unwrap() {
            assert_eq!(p["blockers"].as_array().unwrap().len(), 3, "{p}");
        }
        assert_eq!(h.count("review"), 1, "the day's review was created more than once");
    }
    assert!(interrupted >= 20, "only {interrupted} of {kills} kills interrupted a log");
    eprintln!(
        "log: {kills} kills ({interrupted} mid-run, {landed} landed whole); every one left a database that \
         passed integrity_check with whole points and their blockers"
    );
}

#[test]
fn deadline_set_killed_at_any_moment_writes_a_whole_change_or_none() {
    let db = TestDb::seeded();
    // Enough readings for a forecast, so that --date records a probability.
    let mut csv = String::from("date,project,metric,engineer,value,note\n");
    for w in 0..12u64 {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 9, 6).unwrap() + chrono::Days::new(7 * w);
        csv += &format!("{d},chips,defects,wang-xm,{},probe {w}\n", 1.0 - 0.06 * w as f64);
    }
    std::fs::write(db.file("r.csv"), csv).unwrap();
    assert!(db.std_cmd().arg("import").arg(db.file("r.csv")).status().unwrap().success());
    let set = |i: u32| {
        let mut c = db.std_cmd();
        let due = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + chrono::Days::new(u64::from(i));
        c.args(["deadline", "set", "chips/defects", "--date", &due.to_string(), "--reason", &format!("plan {i}")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let started = Instant::now();
    for i in 0..3 {
        assert!(set(i).status().unwrap().success());
    }
    let span = started.elapsed().as_micros() as u64 / 3 * 3 / 2;
    let history = |db: &TestDb| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
        v["deadlines"].as_array().unwrap().clone()
    };
    let mut count = history(&db).len();
    assert_eq!(count, 3);
    let mut rng = SplitMix(2_026_112);
    let (mut kills, mut interrupted, mut landed) = (0u32, 0, 0);
    while (interrupted < 20 || kills < 25) && kills < 400 {
        let delay = Duration::from_micros(rng.below(span));
        let child = set(100 + kills).spawn().unwrap();
        std::thread::sleep(delay);
        kills += 1;
        if kill(child, "deadline set") {
            interrupted += 1;
        }
        let h = db.health();
        let now = h.count("deadline");
        assert!(now as usize == count || now as usize == count + 1, "killed after {delay:?}: {count} became {now}");
        if now as usize > count {
            landed += 1;
            // A change that landed is whole: its date, probability and reason.
            let last = history(&db).pop().unwrap();
            assert!(last["probability"].is_number(), "{last}");
            assert!(last["reason"].as_str().is_some_and(|r| r.starts_with("plan ")), "{last}");
        }
        count = now as usize;
    }
    assert!(interrupted >= 20, "only {interrupted} of {kills} kills interrupted a deadline set");
    eprintln!("deadline set: {kills} kills ({interrupted} mid-run, {landed} landed whole), database whole after each");
}

/// The fixture of each released schema version (written by
/// scripts/make_schema_fixtures.sh) opens with this build: doctor passes,
/// nothing is lost, and it can be written to.
#[test]
fn schema_v1_fixture_opens_with_the_current_build() {
    schema_fixture_opens_with_the_current_build(1);
}

#[test]
fn schema_v2_fixture_opens_with_the_current_build() {
    schema_fixture_opens_with_the_current_build(2);
}

#[test]
fn schema_v3_fixture_opens_with_the_current_build() {
    schema_fixture_opens_with_the_current_build(3);
}

#[test]
fn schema_v4_fixture_opens_with_the_current_build() {
    schema_fixture_opens_with_the_current_build(4);
}

fn schema_fixture_opens_with_the_current_build(version: u32) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/schema/v{version}.db"));
    let bytes = std::fs::read(&fixture).expect("run scripts/make_schema_fixtures.sh");
    assert_eq!(&bytes[..16], b"SQLite format 3\0");
    assert_eq!(
        u32::from_be_bytes(bytes[60..64].try_into().unwrap()),
        version,
        "the fixture is not at schema version {version}"
    );

    let db = TestDb::new();
    std::fs::write(&db.path, &bytes).unwrap();
    let h = db.health();
    assert_eq!(h.schema_version, limfac::store::migrations::LATEST);
    for (table, n) in [("project", 3), ("engineer", 3), ("metric", 2), ("point", 4), ("blocker", 4), ("deadline", 1)] {
        assert_eq!(h.count(table), n, "{table}");
    }

    let v: serde_json::Value = serde_json::from_str(&db.dump()).unwrap();
    let orbital = v["projects"].as_array().unwrap().iter().find(|p| p["slug"] == "orbital").unwrap();
    assert_eq!(orbital["depends_on"], serde_json::json!(["chips", "power"]));
    let power = v["projects"].as_array().unwrap().iter().find(|p| p["slug"] == "power").unwrap();
    assert_eq!(power["owner"], "Elena Vásquez");
    let wang = v["engineers"].as_array().unwrap().iter().find(|e| e["handle"] == "wang-xm").unwrap();
    assert_eq!(wang["name"], "王小明");
    assert_eq!(wang["reports_to"], "alice");
    let output = v["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == "output").unwrap();
    assert_eq!((output["target"].as_f64(), output["tolerance"].as_f64()), (Some(120.0), Some(2.0)));
    assert_eq!((output["unit"].as_str(), output["direction"].as_str()), (Some("kW"), Some("up")));
    let notes: Vec<&str> = v["points"].as_array().unwrap().iter().map(|p| p["note"].as_str().unwrap()).collect();
    assert!(notes.contains(&"MPPT oscillation fixed, \"v2.3\" firmware"), "{notes:?}");
    assert!(notes.contains(&"two lines:\nsecond line"), "{notes:?}");
    assert!(notes.contains(&"lot 7 back; 良率 提升"), "{notes:?}");
    let values: Vec<f64> = v["points"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [84.5, 91.25, 0.42, 0.0]);
    if version >= 3 {
        // The v3 fixture also amended one reading and retracted another.
        let history = db.json(&["point", "history", "2", "--json"]);
        assert!(history.to_string().contains("misheard in the meeting"), "{history}");
        let now: Vec<f64> = db
            .json(&["point", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_f64().unwrap())
            .collect();
        assert_eq!(now, [84.5, 91.5, 0.42], "{now:?}");
    }
    let kinds: Vec<&str> = v["reviews"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    for k in ["weekly", "skip-level", "deep-dive"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let resolved = v["blockers"].as_array().unwrap().iter().filter(|b| !b["resolved"].is_null()).count();
    assert_eq!(resolved, 1);
    assert_eq!(v["deadlines"][0]["due"], "2027-03-01");

    // Still a working database.
    db.run(&["log", "--metric", "power/output", "--engineer", "alice", "--value", "99", "--note", "after upgrade"])
        .ok();
    assert_eq!(db.health().count("point"), 5);

    // And its schema is now the one a new database gets: the same tables,
    // columns and indexes (the upgrade steps, once there are any, must end
    // where schema.sql starts).
    let fresh = db.file("fresh.db");
    let made = db
        .std_cmd()
        .arg("--db")
        .arg(&fresh)
        .args(["engineer", "add", "e", "--name", "E"])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    assert_eq!(schema_shape(&db.path), schema_shape(&fresh));

    // Every row that syncs got a distinct UUIDv7 (schema version 4), in the
    // order the rows were made.
    let conn = rusqlite::Connection::open_with_flags(&db.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    for table in limfac::store::UID_TABLES {
        if version < 3 && (table == "correction" || table == "archive_event") {
            continue;
        }
        let uids: Vec<String> = conn
            .prepare(&format!("SELECT uid FROM {table} ORDER BY id"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!uids.is_empty(), "{table}");
        for u in &uids {
            assert!(u.len() == 36 && u.as_bytes()[14] == b'7' && b"89ab".contains(&u.as_bytes()[19]), "{table}: {u}");
        }
        let distinct: std::collections::BTreeSet<&String> = uids.iter().collect();
        assert_eq!(distinct.len(), uids.len(), "{table}: duplicate uids");
    }
}

/// Tables with their columns (name, type, not null, default, key), indexes
/// with their columns, foreign keys (column, target, actions) and CHECK
/// constraints, in a form that does not depend on how the schema was reached
/// (CREATE TABLE or a later ALTER TABLE).
fn schema_shape(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let strings = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    let mut shape = strings("SELECT 'version ' || user_version FROM pragma_user_version");
    for table in strings("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name") {
        shape.extend(strings(&format!(
            "SELECT '{table}.' || name || ' ' || type || ' notnull=' || \"notnull\" || ' default=' || \
             coalesce(dflt_value, '-') || ' pk=' || pk FROM pragma_table_info('{table}') ORDER BY name"
        )));
        shape.extend(strings(&format!(
            "SELECT '{table} index ' || il.name || ' unique=' || il.\"unique\" || ' (' || \
             (SELECT group_concat(coalesce(ii.name, '?'), ',') FROM pragma_index_info(il.name) ii) || ')' \
             FROM pragma_index_list('{table}') il ORDER BY il.name"
        )));
        shape.extend(strings(&format!(
            "SELECT '{table} foreign key ' || \"from\" || ' -> ' || \"table\" || '(' || coalesce(\"to\", 'rowid') || \
             ') on update ' || on_update || ' on delete ' || on_delete || ' match ' || \"match\" \
             FROM pragma_foreign_key_list('{table}') ORDER BY \"from\", \"table\""
        )));
        let sql: String = conn
            .query_row("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1", [&table], |r| r.get(0))
            .unwrap();
        let mut checks = check_constraints(&sql);
        checks.sort();
        shape.extend(checks.into_iter().map(|c| format!("{table} check {c}")));
    }
    assert!(shape.len() > 20, "{shape:?}");
    shape
}

/// The CHECK constraints in a `CREATE TABLE` statement (column and table
/// constraints alike), each as its condition in lower case with the spacing
/// normalized, so that only a real difference tells.
fn check_constraints(sql: &str) -> Vec<String> {
    // SQLite keeps the statement as written, comments included.
    let lower: String = sql.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let lower = lower.to_lowercase();
    let b = lower.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("check").map(|i| i + from) {
        from = at + 5;
        let word = (at == 0 || !(b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_'))
            && b.get(at + 5).is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        let open = lower[at + 5..].find(|c: char| !c.is_whitespace()).map(|i| i + at + 5);
        let Some(open) = open.filter(|&o| word && b[o] == b'(') else { continue };
        let (mut depth, mut quoted, mut end) = (0, false, None);
        for (i, &c) in b.iter().enumerate().skip(open) {
            match c {
                b'\'' => quoted = !quoted,
                b'(' if !quoted => depth += 1,
                b')' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.expect("a CHECK constraint closes its parenthesis");
        let condition = lower[open + 1..end].split_whitespace().collect::<Vec<_>>().join(" ");
        out.push(condition.replace("( ", "(").replace(" )", ")"));
        from = end;
    }
    out
}

#[test]
fn the_schema_shape_holds_foreign_keys_and_check_constraints() {
    assert_eq!(
        check_constraints(
            "CREATE TABLE t (a TEXT NOT NULL CHECK (length(trim(a)) > 0), b INTEGER CHECK(b IN (0, 1)),\n  \
             checked INTEGER, CHECK ( a <> ')' OR b = 1 ))"
        ),
        ["length(trim(a)) > 0", "b in (0, 1)", "a <> ')' or b = 1"]
    );
    let db = TestDb::new();
    db.run(&["engineer", "add", "e", "--name", "E"]).ok();
    let shape = schema_shape(&db.path);
    assert!(shape.iter().any(|l| l.starts_with("point foreign key metric_id -> metric(id)")), "{shape:#?}");
    assert!(shape.iter().any(|l| l.starts_with("correction check ") && l.contains("'amend'")), "{shape:#?}");
}
