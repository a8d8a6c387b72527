//! `limfac sync`: push what was written here, pull everyone else's.

use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::render::output::{table, Output};
use crate::sync;

/// Push your changes to the team server, then pull everyone else's
///
/// Every command keeps working offline; sync whenever the server is
/// reachable. Readings, reviews, blockers and deadline changes arrive exactly
/// once; two reviewers who created the same project share it; when two edit
/// the same field, the first to reach the server wins and sync names the
/// conflict (the other value stays in the history: sync --history).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac sync\n  limfac sync --status\n  limfac sync --history chips/defect-density"
)]
pub struct SyncArgs {
    /// Show what is waiting to be pushed, the last sync, and whether the server answers
    #[arg(long, conflicts_with = "history")]
    status: bool,
    /// Show the history of edits (all, or one project, engineer or PROJECT/METRIC), conflicts' losers included
    #[arg(long, value_name = "KEY", num_args = 0..=1, default_missing_value = "")]
    history: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn run(args: SyncArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let mut store = ctx.open()?;
    if let Some(key) = args.history {
        let rows = sync::history(&mut store, Some(key.as_str()).filter(|k| !k.is_empty()))?;
        if args.json {
            return out.json(&rows);
        }
        let mut t = table(["when", "who", "what", "field", "value", "outcome"]);
        for r in rows {
            let outcome = match r.reason.as_deref() {
                Some(reason) if r.outcome != "lost" => format!("{} ({reason})", r.outcome),
                _ => r.outcome,
            };
            t.add_row(vec![
                r.created_at,
                r.author.unwrap_or_else(|| "(you)".into()),
                format!("{} {}", r.entity, r.key),
                r.field,
                r.value.to_string(),
                outcome,
            ]);
        }
        return Ok(out.table(&t)?);
    }
    if args.status {
        let s = sync::status(&mut store, ctx.settings.remote.as_deref(), Duration::from_secs(3))?;
        if args.json {
            return out.json(&s);
        }
        out.line(format!(
            "team server   {}",
            match (&s.remote, &s.remote_from) {
                (Some(r), Some(from)) => format!("{r} (from {from})"),
                _ => "(none: limfac remote set URL)".into(),
            }
        ))?;
        out.line(format!(
            "reachable     {}",
            match (s.reachable, &s.error) {
                (None, _) => "-".to_string(),
                (Some(true), None) => format!("yes (server schema version {})", s.server_version.unwrap_or(0)),
                (Some(true), Some(e)) | (Some(false), Some(e)) => format!("no: {e}"),
                (Some(false), None) => "no".into(),
            }
        ))?;
        out.line(format!("last sync     {}", s.last_sync.as_deref().unwrap_or("never")))?;
        out.line(format!("pending       {} ({})", s.pending_total, s.pending.describe()))?;
        return Ok(());
    }
    let (remote, _) = sync::required(&mut store, ctx.settings.remote.as_deref())?;
    let report = sync::sync(&mut store, &remote, sync::CONNECT_TIMEOUT)?;
    if args.json {
        return out.json(&report);
    }
    for c in &report.conflicts {
        out.line(c.describe())?;
    }
    for m in &report.merged {
        out.line(format!("merged: {m} was also created by another reviewer; one {m} now"))?;
    }
    out.line(format!("pushed {}", report.pushed.describe()))?;
    out.line(format!("pulled {}", report.pulled.describe()))?;
    out.note(format!("synced with {} in {:.2} s", remote.shown, report.seconds));
    Ok(())
}

/// After a command that wrote (with `auto_sync` on): when it left something
/// to push, tries a sync for at most the configured timeout. A failure never
/// fails the command; it is reported once until a sync works again.
pub fn after_write(ctx: &Ctx, pending_before: u64) {
    let timeout = Duration::from_millis(ctx.settings.auto_sync_timeout_ms);
    let Ok(path) = ctx.db_path() else { return };
    let Ok(mut store) = crate::store::Store::open(&path, ctx.clock) else { return };
    let pending = sync::engine::pending(store.connection()).map(|c| c.total()).unwrap_or(0);
    if pending <= pending_before {
        return;
    }
    let remote = match sync::configured(&mut store, ctx.settings.remote.as_deref()) {
        Ok(Some((r, _))) => r,
        _ => return,
    };
    drop(store);
    let clock = ctx.clock;
    let (send, receive) = std::sync::mpsc::channel();
    let thread_path = path.clone();
    std::thread::spawn(move || {
        let result = crate::store::Store::open(&thread_path, clock)
            .and_then(|mut s| sync::sync(&mut s, &remote, timeout).map(|r| r.pushed.total()));
        let _ = send.send(result);
    });
    let outcome = match receive.recv_timeout(timeout) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(sync::redact(&format!("{e:#}"))),
        Err(_) => Err(format!("the team server did not answer within {} ms", timeout.as_millis())),
    };
    // "Reported once": a flag beside the sync state, written without waiting.
    let flag = |set: Option<&str>| -> Option<String> {
        let conn = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE).ok()?;
        conn.busy_timeout(Duration::from_millis(100)).ok()?;
        let old = sync::engine::state(&conn, "auto_sync_failing").ok().flatten();
        match set {
            Some(v) => sync::engine::set_state(&conn, "auto_sync_failing", v).ok()?,
            None => {
                conn.execute("DELETE FROM sync_state WHERE key = 'auto_sync_failing'", []).ok()?;
            }
        }
        old
    };
    match outcome {
        Ok(()) => {
            if flag(None).is_some() && !ctx.quiet {
                eprintln!("auto-sync: the team server answers again; everything is pushed");
            }
        }
        Err(e) => {
            if flag(Some("1")).is_none() {
                eprintln!("warning: auto-sync failed: {e}");
                eprintln!("hint: your change is saved here and will be pushed by the next sync (limfac sync --status); this is said once");
            }
        }
    }
}

/// What is waiting to be pushed, before a command that may write.
pub fn pending_before(ctx: &Ctx) -> u64 {
    let Ok(path) = ctx.db_path() else { return 0 };
    if !path.is_file() {
        return 0;
    }
    crate::store::Store::open(&path, ctx.clock)
        .and_then(|mut s| sync::engine::pending(s.connection()).map(|c| c.total()))
        .unwrap_or(0)
}
