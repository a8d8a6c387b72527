//! Shared helpers for the integration tests: a temp-dir database and the real
//! binary run against it with a pinned clock.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The date every test lives on, unless it says otherwise.
pub const TODAY: &str = "2026-11-29";

pub struct TestDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    /// More environment for every run (see [`TestDb::cmd_env`]).
    pub env: std::sync::Mutex<Vec<(String, String)>>,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Asserts exit 1 with an `error:` first line containing `needle`.
    pub fn fails_with(self, needle: &str) -> Run {
        assert_eq!(self.code, 1, "expected exit 1\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        let first = self.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "first stderr line is not an error: {:?}", self.stderr);
        assert!(first.contains(needle), "error line {first:?} lacks {needle:?}");
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        self
    }
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("limfac.db");
        TestDb { dir, path, env: Default::default() }
    }

    /// Sets an environment variable for every later run of this database's commands.
    pub fn cmd_env(&self, key: &str, value: &str) {
        let mut env = self.env.lock().unwrap();
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }

    pub fn cmd(&self) -> Command {
        let mut c = assert_cmd::cargo::cargo_bin_cmd!("limfac");
        c.env("LIMFAC_DB", &self.path)
            .env("LIMFAC_NOW", TODAY)
            .env("NO_COLOR", "1")
            .env_remove("RUST_BACKTRACE")
            .env_remove("EDITOR")
            .env_remove("LIMFAC_REMOTE")
            .env_remove("PGPASSWORD")
            .current_dir(self.dir.path());
        for (k, v) in self.env.lock().unwrap().iter() {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None)
    }

    pub fn run_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        self.run_os(&args, stdin)
    }

    /// Runs a command that must succeed and parses its standard output as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.run(args).ok().stdout;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}):\n{out}"))
    }

    /// The whole database as JSON, to compare before and after a refused command.
    pub fn dump(&self) -> String {
        self.run(&["export", "--format", "json"]).ok().stdout
    }

    /// Runs a command that must be refused, and checks it changed nothing.
    pub fn refused(&self, args: &[&str], needle: &str) -> Run {
        let before = self.dump();
        let r = self.run(args).fails_with(needle);
        assert_eq!(before, self.dump(), "database changed after refused command {args:?}");
        r
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A small organization: two projects, a metric each, three engineers.
    pub fn seeded() -> TestDb {
        let db = TestDb::new();
        for args in [
            &["project", "add", "power", "--name", "Power", "--priority", "1"][..],
            &["project", "add", "chips", "--name", "Chips", "--priority", "2"],
            &[
                "project",
                "add",
                "orbital",
                "--name",
                "Orbital compute",
                "--depends-on",
                "power",
                "--depends-on",
                "chips",
            ],
            &["engineer", "add", "boss", "--name", "The Boss"],
            &["engineer", "add", "alice", "--name", "Alice", "--reports-to", "boss"],
            &["engineer", "add", "wang-xm", "--name", "王小明", "--reports-to", "alice"],
            &[
                "metric",
                "add",
                "power/output",
                "--target",
                "120",
                "--direction",
                "up",
                "--unit",
                "kW",
                "--tolerance",
                "2",
            ],
            &["metric", "add", "chips/defects", "--target", "0.1", "--direction", "down", "--unit", "per cm2"],
        ] {
            db.run(args).ok();
        }
        db
    }

    /// [`TestDb::seeded`] with four weekly readings of power/output (70 to 86 kW, from
    /// 2026-11-01): enough history for a report, a chart and a forecast.
    pub fn seeded_with_readings() -> TestDb {
        let db = TestDb::seeded();
        for (i, v) in ["70", "75", "80", "86"].iter().enumerate() {
            let date = format!("2026-11-{:02}", 1 + 7 * i);
            db.run(&[
                "log",
                "--metric",
                "power/output",
                "--engineer",
                "alice",
                "--value",
                v,
                "--note",
                "n",
                "--date",
                &date,
            ])
            .ok();
        }
        db
    }
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("exists").permissions().mode() & 0o777
}

// ---------------------------------------------------------------------------
// Helpers for the reliability tests: the binary as a plain process (to kill
// it, race it, or trace it), raw-byte arguments, and doctor's counts.

/// The built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_limfac"))
}

/// What `doctor --json` reports, for checks after a crash or a race.
#[derive(Debug)]
pub struct Health {
    pub schema_version: i64,
    pub counts: std::collections::HashMap<String, i64>,
}

impl Health {
    pub fn count(&self, table: &str) -> i64 {
        self.counts[table]
    }
}

impl TestDb {
    /// The binary as a `std::process::Command` with the same environment as
    /// [`TestDb::cmd`], for tests that spawn, kill or race processes.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(bin());
        c.env("LIMFAC_DB", &self.path)
            .env("LIMFAC_NOW", TODAY)
            .env("NO_COLOR", "1")
            .env_remove("RUST_BACKTRACE")
            .env_remove("EDITOR")
            .env_remove("LIMFAC_REMOTE")
            .env_remove("PGPASSWORD")
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::null());
        for (k, v) in self.env.lock().unwrap().iter() {
            c.env(k, v);
        }
        c
    }

    /// Runs with arguments that may not be UTF-8, and optional stdin bytes.
    pub fn run_os(&self, args: &[std::ffi::OsString], stdin: Option<&[u8]>) -> Run {
        let mut c = self.cmd();
        c.args(args);
        if let Some(input) = stdin {
            c.write_stdin(input.to_vec());
        }
        let o = c.output().expect("runs");
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// `doctor --json` on this database (or `--db other`), which must pass:
    /// integrity `ok`, no foreign-key violations, the current schema.
    pub fn health_of(&self, other: Option<&Path>) -> Health {
        let mut c = self.std_cmd();
        if let Some(p) = other {
            c.arg("--db").arg(p);
        }
        let o = c.args(["doctor", "--json"]).output().expect("doctor runs");
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "doctor failed (exit {:?})\nstdout:\n{stdout}\nstderr:\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("doctor prints JSON");
        let integrity: Vec<String> =
            v["integrity"].as_array().expect("integrity").iter().map(|s| s.as_str().unwrap().to_string()).collect();
        assert_eq!(integrity, ["ok"], "integrity_check");
        let counts = v["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_i64().unwrap()))
            .collect();
        Health { schema_version: v["schema_version"].as_i64().unwrap(), counts }
    }

    pub fn health(&self) -> Health {
        self.health_of(None)
    }
}

/// A small deterministic pseudo-random generator (SplitMix64), so that
/// "random" delays and inputs are the same on every run.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
