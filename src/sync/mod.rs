//! Several reviewers, one truth: local-first sync through a shared
//! PostgreSQL (README "Working as a team").
//!
//! The SQLite file stays the working copy; `limfac sync` pushes what was
//! written here and pulls everyone else's. Facts (reviews, readings,
//! blockers and their resolutions, deadline changes) are appended exactly
//! once by their UUIDv7; projects, engineers and metrics merge by natural
//! key and change through versioned edits (first to reach the server wins;
//! the loser stays in the history and `sync` names it). Only this module and
//! `store` speak SQL.
//!
//! May use: `core`, `platform` and `store` (whose connection it shares for its
//! bookkeeping tables).
//! Must never touch: the command line (`cli`) or rendering (`render`).

pub mod engine;
pub mod remote;
pub mod server;

use std::time::Duration;

use anyhow::Result;

pub use engine::{Conflict, Counts, SyncReport};
pub use remote::{redact, Remote};

use crate::core::error::UserError;
use crate::store::Store;

/// The environment variable naming the team server (it may carry a
/// password: used at run time, never stored).
pub const REMOTE_VAR: &str = "LIMFAC_REMOTE";

/// How long `sync` waits for the server to answer a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The team server to use and where that came from: `$LIMFAC_REMOTE`, else
/// `remote set` (kept in the database, without any password), else the
/// config file's `remote`.
pub fn configured(store: &mut Store, config: Option<&str>) -> Result<Option<(Remote, String)>> {
    if let Some(url) = std::env::var(REMOTE_VAR).ok().filter(|v| !v.trim().is_empty()) {
        return Ok(Some((Remote::parse(url.trim())?, format!("${REMOTE_VAR}"))));
    }
    if let Some(url) = engine::state(store.connection(), "remote")? {
        return Ok(Some((Remote::parse(&url)?, format!("database {} (limfac remote set)", store.path().display()))));
    }
    if let Some(url) = config {
        return Ok(Some((Remote::parse(url)?, "config file (remote)".into())));
    }
    Ok(None)
}

/// [`configured`], or an error saying how to set one.
pub fn required(store: &mut Store, config: Option<&str>) -> Result<(Remote, String)> {
    configured(store, config)?.ok_or_else(|| {
        UserError::new("no team server is set")
            .hint("set one with: limfac remote set postgresql://USER@HOST/DATABASE (or $LIMFAC_REMOTE, or remote = \"...\" in the config file)")
            .into()
    })
}

/// Stores the server URL in the database, without any password. Returns
/// whether a password was left out.
pub fn set_remote(store: &mut Store, url: &str) -> Result<(Remote, bool)> {
    let remote = Remote::parse(url.trim())?;
    let tx = store.connection().transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    engine::set_state(&tx, "remote", &remote.shown)?;
    tx.commit()?;
    Ok((remote.clone(), remote.has_url_password()))
}

/// Connects and checks the server's schema version.
pub fn connect(remote: &Remote, timeout: Duration) -> Result<postgres::Client> {
    let mut client = remote.connect(timeout)?;
    let version = server::version(&mut client)?;
    server::check_version(version, &remote.shown)?;
    Ok(client)
}

/// One sync: push, then pull.
pub fn sync(store: &mut Store, remote: &Remote, timeout: Duration) -> Result<SyncReport> {
    let mut client = connect(remote, timeout)?;
    let stamp = store.clock().stamp();
    let report = engine::sync(store.connection(), &mut client, &stamp).map_err(|e| {
        // Never a password in a message.
        let text = redact(&format!("{e:#}"));
        match e.downcast::<UserError>() {
            Ok(u) => anyhow::Error::new(UserError { message: redact(&u.message), hints: u.hints }),
            Err(_) => anyhow::anyhow!(text),
        }
    })?;
    Ok(report)
}

/// What `sync --status` shows.
#[derive(Debug, serde::Serialize)]
pub struct Status {
    pub remote: Option<String>,
    pub remote_from: Option<String>,
    pub pending: Counts,
    pub pending_total: u64,
    pub last_sync: Option<String>,
    pub cursor: i64,
    pub reachable: Option<bool>,
    pub server_version: Option<i64>,
    pub error: Option<String>,
}

pub fn status(store: &mut Store, config: Option<&str>, timeout: Duration) -> Result<Status> {
    let remote = configured(store, config)?;
    let conn = store.connection();
    let pending = engine::pending(conn)?;
    let last_sync = engine::state(conn, "last_sync")?;
    let cursor = engine::state(conn, "cursor")?.and_then(|c| c.parse().ok()).unwrap_or(0);
    let mut s = Status {
        remote: remote.as_ref().map(|(r, _)| r.shown.clone()),
        remote_from: remote.as_ref().map(|(_, from)| from.clone()),
        pending_total: pending.total(),
        pending,
        last_sync,
        cursor,
        reachable: None,
        server_version: None,
        error: None,
    };
    if let Some((r, _)) = remote {
        match r.connect(timeout).and_then(|mut c| server::version(&mut c)) {
            Ok(v) => {
                s.reachable = Some(true);
                s.server_version = Some(v);
                if let Err(e) = server::check_version(v, &r.shown) {
                    s.error = Some(redact(&format!("{e:#}")));
                }
            }
            Err(e) => {
                s.reachable = Some(false);
                s.error = Some(redact(&format!("{e:#}")));
            }
        }
    }
    Ok(s)
}

/// One edit in the local history.
#[derive(Debug, serde::Serialize)]
pub struct HistoryRow {
    pub created_at: String,
    pub author: Option<String>,
    pub entity: String,
    pub key: String,
    pub field: String,
    pub value: serde_json::Value,
    /// accepted, lost, refused, or pending (not pushed yet).
    pub outcome: String,
    pub reason: Option<String>,
}

/// The history of entity edits known here (the key's, or all), oldest first.
pub fn history(store: &mut Store, key: Option<&str>) -> Result<Vec<HistoryRow>> {
    let conn = store.connection();
    let mut stmt = conn.prepare(
        "SELECT created_at, author, entity, key, field, value, coalesce(outcome, 'pending'), reason
           FROM sync_edit WHERE ?1 IS NULL OR key = ?1 ORDER BY seq IS NULL, seq, created_at, uid",
    )?;
    let rows = stmt
        .query_map([key], |r| {
            let value: String = r.get(5)?;
            Ok(HistoryRow {
                created_at: r.get(0)?,
                author: r.get(1)?,
                entity: r.get(2)?,
                key: r.get(3)?,
                field: r.get(4)?,
                value: serde_json::from_str(&value).unwrap_or(serde_json::Value::Null),
                outcome: r.get(6)?,
                reason: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Creates or upgrades the server schema (`remote init`); returns the
/// versions before and after.
pub fn init(remote: &Remote, timeout: Duration) -> Result<(i64, i64)> {
    let mut client = remote.connect(timeout)?;
    let before = server::init(&mut client, server::SERVER_LATEST)?;
    Ok((before, server::SERVER_LATEST))
}
