//! Resources (issue 13, items 13–15): an import's memory follows one row,
//! not the file; the limiting factor scales near-linearly; templates run
//! out of fuel instead of hanging.

mod common;

use std::io::{Read, Write};
use std::process::Stdio;

use common::TestDb;

/// Runs the binary to completion and returns (exit code, stderr, peak RSS
/// in MiB), the peak read from the kernel's accounting of this one child
/// (wait4), not sampled. It is an upper bound: a child started by
/// posix_spawn is also charged the test process's own peak, so the tests
/// here never hold a large input in memory themselves.
// The child is reaped by wait4 below, which clippy does not see.
#[allow(clippy::zombie_processes)]
fn run_measured(db: &TestDb, args: &[&str]) -> (i32, String, f64) {
    let mut child =
        db.std_cmd().args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("limfac starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain system call on our own child, with valid out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    // ru_maxrss is in KiB on Linux.
    let peak = usage.ru_maxrss as f64 / 1024.0;
    eprintln!("{args:?}: exit {code}, peak RSS {peak:.1} MiB");
    (code, reader.join().unwrap(), peak)
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
    // Written row by row: the test process stays small, because a child's
    // peak (wait4) also counts the parent's pages it started from.
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
