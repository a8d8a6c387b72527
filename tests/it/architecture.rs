//! The layers of `docs/architecture.md`, checked on the source: a core module
//! that reaches for the store, the command line, rendering or the machine,
//! or a command that uses another command, fails this test with the file and
//! the path at fault.
//!
//! Every path a file names is read from its code (comments, strings and
//! `#[cfg(test)]` modules removed), with `use` groups expanded
//! (`use crate::{store, cli::Ctx}` names `crate::store` and `crate::cli::Ctx`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a folder may name under a path it must never name otherwise: the
/// formats read and write the store's plain row types.
const ALLOWED: &[(&str, &[&str])] = &[("formats", &["crate::store::ImportRow", "crate::store::StoredPoint"])];

/// What each folder of `src/` must never name: a path prefix, compared
/// segment by segment (`std::fs` forbids `std::fs::File`, not `std::fsx`).
const RULES: &[(&str, &[&str])] = &[
    (
        "core",
        &[
            "crate::store",
            "crate::sync",
            "crate::cli",
            "crate::render",
            "crate::formats",
            "crate::platform",
            "crate::demo",
            "rusqlite",
            "postgres",
            "clap",
            "clap_complete",
            "dialoguer",
            "indicatif",
            "comfy_table",
            "plotters",
            "minijinja",
            "directories",
            "tempfile",
            "std::fs",
            "std::env",
            "std::process",
            "std::net",
            "std::time::SystemTime",
            "std::time::Instant",
            "std::io::stdin",
            "std::io::stdout",
            "std::io::stderr",
            "chrono::Utc::now",
            "chrono::Local::now",
            "Utc::now",
            "Local::now",
        ],
    ),
    ("formats", &["crate::store", "crate::sync", "crate::cli", "crate::render", "rusqlite", "clap", "std::fs"]),
    ("platform", &["crate::store", "crate::sync", "crate::cli", "crate::render", "crate::demo", "rusqlite", "clap"]),
    ("render", &["crate::store", "crate::sync", "crate::cli", "crate::demo", "rusqlite", "postgres", "clap"]),
    ("demo", &["crate::cli", "crate::render", "crate::sync", "rusqlite", "clap"]),
    ("store", &["crate::cli", "crate::render", "crate::sync", "crate::demo", "clap"]),
    ("sync", &["crate::cli", "crate::render", "crate::demo", "clap"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a Rust file without comments, string and char literals, and
/// `#[cfg(test)]` items (test code may build fixtures any way it likes).
fn code_of(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            b'r' if matches!(b.get(i + 1), Some(b'"') | Some(b'#')) && !ident_byte(b, i.wrapping_sub(1)) => {
                // A raw string: r"..." or r#"..."#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                i = j + close.len();
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
                let end = if b.get(i + 1) == Some(&b'\\') {
                    (i + 3..b.len()).find(|&j| b[j] == b'\'')
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 2)
                } else {
                    // A multi-byte char ('é') closes within 5 bytes; a lifetime does not close.
                    (i + 2..(i + 6).min(b.len())).find(|&j| b[j] == b'\'').filter(|_| b[i + 1] >= 0x80)
                };
                match end {
                    Some(e) => {
                        out.push_str("' '");
                        i = e + 1;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            _ => {
                let ch = text[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    drop_test_modules(&out)
}

fn ident_byte(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Removes each `#[cfg(test)]` item: the attribute up to the end of the
/// braced block (or the `;`) that follows it.
fn drop_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let (brace, semi) = (after.find('{'), after.find(';'));
        let end = match (brace, semi) {
            (Some(b), Some(s)) if s < b => s + 1,
            (Some(b), _) => {
                let mut depth = 0;
                let mut end = after.len();
                for (k, c) in after[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, Some(s)) => s + 1,
            (None, None) => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Colons,
    Open,
    Close,
    Comma,
    Other,
}

fn tokens(code: &str) -> Vec<Tok> {
    let cs: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(cs[start..i].iter().collect()));
            continue;
        }
        if c == ':' && cs.get(i + 1) == Some(&':') {
            out.push(Tok::Colons);
            i += 2;
            continue;
        }
        if !c.is_whitespace() {
            out.push(match c {
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                _ => Tok::Other,
            });
        }
        i += 1;
    }
    out
}

/// Every path the code names (`a::b::c`), with `::{...}` groups expanded;
/// a path's prefixes count too (`crate::store::Store` names `crate::store`).
fn paths(code: &str) -> BTreeSet<String> {
    let toks = tokens(code);
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < toks.len() {
        // A path starts at an identifier not preceded by `::`.
        let starts = matches!(toks[i], Tok::Ident(_)) && (i == 0 || toks[i - 1] != Tok::Colons);
        if starts {
            i = path_at(&toks, i, String::new(), &mut found);
        } else {
            i += 1;
        }
    }
    found
}

/// Reads the path starting at `toks[i]` under `prefix`, recording it; returns
/// the index after it.
fn path_at(toks: &[Tok], mut i: usize, prefix: String, found: &mut BTreeSet<String>) -> usize {
    let mut path = prefix;
    loop {
        match toks.get(i) {
            Some(Tok::Ident(name)) => {
                if !path.is_empty() && !path.ends_with("::") {
                    break;
                }
                path.push_str(name);
                found.insert(path.clone());
                i += 1;
            }
            Some(Tok::Colons) => {
                path.push_str("::");
                i += 1;
                if toks.get(i) == Some(&Tok::Open) {
                    // A group: each item is a path under this one.
                    i += 1;
                    while i < toks.len() && toks[i] != Tok::Close {
                        if matches!(toks[i], Tok::Ident(_)) {
                            i = path_at(toks, i, path.clone(), found);
                        } else {
                            i += 1;
                        }
                    }
                    return i + 1;
                }
            }
            _ => break,
        }
    }
    i
}

/// The names of the command modules (`pub mod x;` in `src/cli/commands/mod.rs`).
fn command_names() -> Vec<String> {
    let text = std::fs::read_to_string(src().join("cli/commands/mod.rs")).unwrap();
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").and_then(|r| r.strip_suffix(';')).map(str::to_string))
        .collect();
    assert!(names.len() > 10, "found only {names:?} in src/cli/commands/mod.rs");
    names
}

/// The breaches in one file of layer `layer` (its folder under `src/`).
fn layer_breaches(layer: &str, code: &str) -> Vec<String> {
    let forbidden = RULES.iter().find(|(l, _)| *l == layer).map(|(_, f)| *f).unwrap_or(&[]);
    let allowed = ALLOWED.iter().find(|(l, _)| *l == layer).map(|(_, a)| *a).unwrap_or(&[]);
    let paths = paths(code);
    let mut out = Vec::new();
    for f in forbidden {
        // What the code names right under `f` (`crate::store::Store` under `crate::store`).
        let below: Vec<&String> = paths
            .iter()
            .filter(|p| p.strip_prefix(*f).and_then(|r| r.strip_prefix("::")).is_some_and(|r| !r.contains("::")))
            .collect();
        let bare = paths.contains(*f) && below.is_empty();
        if bare || below.iter().any(|p| !allowed.contains(&p.as_str())) {
            out.push(format!("uses {f}"));
        }
    }
    out
}

/// The breaches in command `me`: naming another command's module.
fn command_breaches(me: &str, code: &str, commands: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths(code) {
        for other in commands.iter().filter(|c| *c != me) {
            for prefix in [format!("super::{other}"), format!("crate::cli::commands::{other}")] {
                if p == prefix {
                    out.push(format!("uses command {other} ({p})"));
                }
            }
        }
    }
    out
}

#[test]
fn no_layer_reaches_past_its_rules_and_no_command_uses_another() {
    let root = src();
    let commands = command_names();
    let mut breaches = Vec::new();
    for file in rust_files(&root) {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let layer = rel.split('/').next().unwrap_or_default();
        for b in layer_breaches(layer, &code) {
            breaches.push(format!("src/{rel} {b}"));
        }
        if let Some(name) = rel.strip_prefix("cli/commands/").and_then(|n| n.strip_suffix(".rs")) {
            if name != "mod" {
                for b in command_breaches(name, &code, &commands) {
                    breaches.push(format!("src/{rel} {b}"));
                }
            }
        }
    }
    assert!(breaches.is_empty(), "layer rules broken (see docs/architecture.md):\n{}", breaches.join("\n"));
}

#[test]
fn the_checker_sees_grouped_uses_inline_paths_and_ignores_comments_strings_and_tests() {
    let code = code_of(
        r#"
        //! Talks about crate::store in a comment.
        use crate::{core::model, store::{Store, StoreError}};
        use std::io::Write;
        fn f() { let c = rusqlite::Connection::open("crate::cli"); let l: &'static str = "x"; }
        #[cfg(test)]
        mod tests { use crate::render::chart; }
        "#,
    );
    let breaches = layer_breaches("core", &code);
    assert_eq!(breaches, ["uses crate::store", "uses rusqlite"]);
    assert!(layer_breaches("core", &code_of("use std::fs::File;")).contains(&"uses std::fs".to_string()));
    assert!(layer_breaches("core", &code_of("use std::{fs, io};")).contains(&"uses std::fs".to_string()));
    assert!(layer_breaches("core", &code_of("use std::fmt;")).is_empty());
    assert!(layer_breaches("render", &code_of("let x = crate::cli::config::load();")).len() == 1);
    // The formats may use the store's plain rows, and nothing else of it.
    assert!(layer_breaches("formats", &code_of("use crate::store::{ImportRow, StoredPoint};")).is_empty());
    assert_eq!(layer_breaches("formats", &code_of("use crate::store::{ImportRow, Store};")), ["uses crate::store"]);
    assert_eq!(layer_breaches("formats", &code_of("use crate::store;")), ["uses crate::store"]);
}

#[test]
fn the_checker_sees_a_command_using_another() {
    let commands: Vec<String> = ["log", "review", "report"].map(String::from).to_vec();
    let code =
        code_of("use super::review::parse_kind;\nuse super::Ctx;\nfn f() { crate::cli::commands::report::build(); }");
    assert_eq!(
        command_breaches("log", &code, &commands),
        ["uses command report (crate::cli::commands::report)", "uses command review (super::review)"]
    );
    assert!(command_breaches("review", &code_of("use super::review::x;"), &commands).is_empty());
}
