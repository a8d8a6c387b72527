//! Resources (issue 13, items 13–15): an import's memory follows one row,
//! not the file; the limiting factor scales near-linearly; templates run
//! out of fuel instead of hanging.

use crate::common;

use std::io::{Read, Write};
use std::process::Stdio;

use common::TestDb;

/// Runs the binary to completion and returns (exit code, stderr, peak RSS
/// in MiB), the peak read from the kernel's accounting of this one child
/// (wait4), not sampled. It is an upper bound: a child started by
/// posix_spawn is also charged the peak of the process that started it (they
/// share its memory until the exec), so the child is started by a small
/// process (see [`run_watched`]), and the tests here never hold a large input
/// in memory themselves.
fn run_measured(db: &TestDb, args: &[&str]) -> (i32, String, f64) {
    run_watched(db, args, 600)
}

/// The environment variable that hands [`spawner`] the command to measure.
const SPAWN_VAR: &str = "LIMFAC_TEST_SPAWN";

/// The line on which [`spawner`] reports what it measured.
const REPORT_MARK: &str = "measured: ";

/// [`run_measured`], stopping the child after `secs` seconds (a watchdog
/// against a hang, not a timing assertion) and then failing.
///
/// Every integration test runs in this one process, which grows to hundreds
/// of MiB, and a child's peak would count them: so the child is started by a
/// fresh copy of this test binary that runs only [`spawner`] (a few MiB),
/// which reports the child's exit code, stderr and peak.
fn run_watched(db: &TestDb, args: &[&str], secs: u64) -> (i32, String, f64) {
    let mut cmd = db.std_cmd();
    cmd.args(args);
    let envs: Vec<(String, Option<String>)> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_str().unwrap().to_string(), v.map(|v| v.to_str().unwrap().to_string())))
        .collect();
    let spec = serde_json::json!({
        "program": cmd.get_program().to_str().unwrap(),
        "args": cmd.get_args().map(|a| a.to_str().unwrap()).collect::<Vec<_>>(),
        "envs": envs,
        "dir": cmd.get_current_dir().map(|d| d.to_str().unwrap()),
        "secs": secs,
    });
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "reliability_resources::spawner", "--ignored", "--nocapture", "--test-threads=1"])
        .env(SPAWN_VAR, spec.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("the test binary starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(report) = stdout.lines().find_map(|l| l.split_once(REPORT_MARK).map(|(_, r)| r)) else {
        panic!("the spawner reported nothing\nstdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    };
    let r: serde_json::Value = serde_json::from_str(report).unwrap();
    if let Some(hang) = r["hang"].as_str() {
        panic!("{hang}");
    }
    let (code, stderr, peak) =
        (r["code"].as_i64().unwrap() as i32, r["stderr"].as_str().unwrap().to_string(), r["peak"].as_f64().unwrap());
    eprintln!("{args:?}: exit {code}, peak RSS {peak:.1} MiB");
    (code, stderr, peak)
}

/// Not a test of its own: [`run_watched`] runs it in a fresh copy of this
/// binary to start the command given in [`SPAWN_VAR`] and report what the
/// kernel says of it.
#[test]
#[ignore = "run by run_watched in a small process of its own"]
fn spawner() {
    let Ok(spec) = std::env::var(SPAWN_VAR) else { return };
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let mut cmd = std::process::Command::new(spec["program"].as_str().unwrap());
    cmd.args(spec["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()));
    cmd.env_remove(SPAWN_VAR);
    for pair in spec["envs"].as_array().unwrap() {
        match pair[1].as_str() {
            Some(v) => cmd.env(pair[0].as_str().unwrap(), v),
            None => cmd.env_remove(pair[0].as_str().unwrap()),
        };
    }
    if let Some(dir) = spec["dir"].as_str() {
        cmd.current_dir(dir);
    }
    let report = match wait_measured(cmd, spec["secs"].as_u64().unwrap()) {
        Ok((code, stderr, peak)) => serde_json::json!({ "code": code, "stderr": stderr, "peak": peak }),
        Err(hang) => serde_json::json!({ "hang": hang }),
    };
    // On a line of its own: the harness has just printed the test's name.
    println!("\n{REPORT_MARK}{report}");
}

/// Starts `cmd` and waits for it (wait4), killing it after `secs` seconds:
/// (exit code, stderr, peak RSS in MiB), or what hung.
// The child is reaped by wait4 below, which clippy does not see.
#[allow(clippy::zombie_processes)]
fn wait_measured(mut cmd: std::process::Command, secs: u64) -> Result<(i32, String, f64), String> {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("limfac starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain system calls on our own child, with valid out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if got == pid {
            break;
        }
        assert_eq!(got, 0, "wait4");
        if std::time::Instant::now() > give_up {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            return Err(format!(
                "{:?} still running after {secs} s (peak RSS {} MiB)",
                cmd.get_args().collect::<Vec<_>>(),
                usage.ru_maxrss / 1024
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    // ru_maxrss is in KiB on Linux.
    let peak = usage.ru_maxrss as f64 / 1024.0;
    Ok((code, reader.join().unwrap(), peak))
}

/// Writes `head`, then `n` bytes of `fill`, then `tail` to `name`, in chunks.
fn big_file(db: &TestDb, name: &str, head: &str, fill: u8, n: usize, tail: &str) -> std::path::PathBuf {
    let path = db.file(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    f.write_all(head.as_bytes()).unwrap();
    let chunk = vec![fill; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        f.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    f.write_all(tail.as_bytes()).unwrap();
    f.flush().unwrap();
    path
}

/// Peak memory allowed for an import that is refused early: the process
/// itself (a debug build) and one row's buffers.
const BOUNDED_MIB: f64 = 64.0;

#[test]
fn a_200_mb_one_line_field_is_refused_naming_the_line_in_bounded_memory() {
    let db = TestDb::seeded();
    let before = db.dump();
    let header = "date,project,metric,engineer,value,note\n2026-11-20,power,output,alice,1,fine\n";
    let row = "2026-11-21,power,output,alice,2,";
    let f = big_file(&db, "field.csv", &format!("{header}{row}"), b'n', 200 << 20, "\n");
    let (code, stderr, peak) = run_measured(&db, &["import", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: line 3") && first.contains("longer than"), "{stderr}");
    assert!(peak < BOUNDED_MIB, "peak RSS {peak:.0} MiB for a 200 MB field");
    assert_eq!(db.dump(), before);
    std::fs::remove_file(f).unwrap();
}

#[test]
fn a_huge_header_and_newlines_inside_quotes_are_refused_in_bounded_memory() {
    let db = TestDb::seeded();
    let before = db.dump();
    // A 64 MB header line.
    let f = big_file(&db, "header.csv", "date,project,", b'x', 64 << 20, "\n");
    let (code, stderr, peak) = run_measured(&db, &["import", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: line 1") && stderr.contains("longer than"), "{stderr}");
    assert!(peak < BOUNDED_MIB, "peak RSS {peak:.0} MiB for a 64 MB header");
    std::fs::remove_file(f).unwrap();
    // 64 MB of newlines inside one quoted note (each once cost 8 bytes of memory).
    let head = "date,project,metric,engineer,value,note\n2026-11-21,power,output,alice,2,\"";
    let f = big_file(&db, "quoted.csv", head, b'\n', 64 << 20, "\"\n");
    let (code, stderr, peak) = run_measured(&db, &["import", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: line 2") && stderr.contains("longer than"), "{stderr}");
    assert!(peak < BOUNDED_MIB, "peak RSS {peak:.0} MiB for 64 MB of quoted newlines");
    assert_eq!(db.dump(), before);
}

/// Many rows at the size limit (10,000-character notes of 3-byte
/// characters) import in memory that does not grow with the file.
#[test]
fn many_long_rows_import_in_memory_that_does_not_follow_the_file() {
    let db = TestDb::seeded();
    let note = "語".repeat(10_000);
    // Written row by row: the test process stays small (see `run_measured`).
    let mut f = std::io::BufWriter::new(std::fs::File::create(db.file("long.csv")).unwrap());
    f.write_all(b"date,project,metric,engineer,value,note\n").unwrap();
    for i in 0..3000 {
        writeln!(f, "2026-11-{:02},power,output,alice,{i},{note}", 1 + i % 28).unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let (code, stderr, peak) = run_measured(&db, &["import", "long.csv"]);
    assert_eq!(code, 0, "{stderr}");
    // 90 MB of input: the rows in flight between the reader and the writer
    // thread are bounded by bytes, not only by count.
    assert!(peak < BOUNDED_MIB, "peak RSS {peak:.0} MiB for a 90 MB import");
    assert_eq!(db.health().count("point"), 3000);
}

// --- item 15: templates run out of fuel, and their output is bounded -------

#[test]
fn a_template_that_loops_forever_runs_out_of_fuel_with_a_clear_error() {
    let db = TestDb::seeded_with_readings();
    std::fs::write(
        db.file("loop.md"),
        "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}.{% endfor %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    for format in ["md", "html"] {
        let (code, stderr, peak) = run_watched(&db, &["report", "--format", format, "--template", "loop.md"], 120);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains("too much work"), "{stderr}");
        assert!(peak < BOUNDED_MIB * 4.0, "peak RSS {peak:.0} MiB");
    }
}

#[test]
fn a_template_with_a_huge_output_stops_at_the_limit_with_a_clear_error() {
    let db = TestDb::seeded_with_readings();
    // About 100 GB of output from a few thousand steps.
    std::fs::write(db.file("big.md"), "{% set s = \"x\" * 1000000 %}{% for a in range(100000) %}{{ s }}{% endfor %}")
        .unwrap();
    let out = db.file("out.md");
    let (code, stderr, peak) =
        run_watched(&db, &["report", "--template", "big.md", "--out", out.to_str().unwrap()], 120);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains("output"), "{stderr}");
    assert!(peak < BOUNDED_MIB * 4.0, "peak RSS {peak:.0} MiB");
    assert!(!out.exists(), "a partial report was written");
    // The built-in templates have room to spare.
    db.run(&["report"]).ok();
    db.run(&["report", "--format", "html"]).ok();
}
