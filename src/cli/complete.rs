//! Shell completion of names: projects, metrics and engineers from the
//! user's database, offered while typing (clap_complete's dynamic engine,
//! registered by `limfac completions SHELL`).
//!
//! The database is opened read-only and only if it exists: completing must
//! never create or change anything.

use clap_complete::CompletionCandidate;

use crate::cli::commands::DB_VAR;
use crate::store;

fn names(kind: store::NameKind) -> Vec<CompletionCandidate> {
    let path = match std::env::var_os(DB_VAR).filter(|v| !v.is_empty()) {
        Some(p) => std::path::PathBuf::from(p),
        None => match directories::ProjectDirs::from("", "", "limfac") {
            Some(d) => d.data_dir().join("limfac.db"),
            None => return Vec::new(),
        },
    };
    store::names_read_only(&path, kind)
        .unwrap_or_default()
        .into_iter()
        .map(|(value, help)| {
            let c = CompletionCandidate::new(value);
            match help {
                Some(h) => c.help(Some(h.into())),
                None => c,
            }
        })
        .collect()
}

pub fn projects() -> Vec<CompletionCandidate> {
    names(store::NameKind::Project)
}

pub fn metrics() -> Vec<CompletionCandidate> {
    names(store::NameKind::Metric)
}

pub fn engineers() -> Vec<CompletionCandidate> {
    names(store::NameKind::Engineer)
}

/// Projects and metrics, for arguments that take either.
pub fn scopes() -> Vec<CompletionCandidate> {
    let mut v = projects();
    v.extend(metrics());
    v
}
