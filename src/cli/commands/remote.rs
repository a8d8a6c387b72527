//! `limfac remote`: the team server (see README "Working as a team").

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::render::output::Output;
use crate::sync::{self, server};

/// Set up the team server: a shared PostgreSQL that `limfac sync` pushes to and pulls from
///
/// The URL is postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full. Each reviewer
/// connects as their own PostgreSQL role; the password comes from ~/.pgpass,
/// PGPASSWORD or $LIMFAC_REMOTE at run time and is never stored or printed.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac remote set postgresql://alice@db.example.com/team?sslmode=verify-full\n  limfac remote show\n  LIMFAC_REMOTE=postgresql://admin@db.example.com/team limfac remote init\n  limfac remote init --print-sql > limfac-server.sql"
)]
pub struct RemoteArgs {
    #[command(subcommand)]
    cmd: RemoteCmd,
}

#[derive(Debug, Subcommand)]
enum RemoteCmd {
    /// Use this team server for this database (kept without any password)
    Set {
        /// postgresql://USER@HOST:PORT/DATABASE?sslmode=...
        url: String,
    },
    /// Show the team server in use and where that setting came from
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Create or upgrade the server's limfac schema, roles and policies (as the database owner)
    Init {
        /// Print the SQL for a DBA instead of running it
        #[arg(long)]
        print_sql: bool,
        /// With --print-sql: the SQL that upgrades a server at this schema version
        #[arg(long, value_name = "VERSION", requires = "print_sql", default_value_t = 0)]
        from: i64,
    },
}

pub fn run(args: RemoteArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match args.cmd {
        RemoteCmd::Set { url } => {
            let mut store = ctx.open()?;
            let (remote, had_password) = sync::set_remote(&mut store, &url)?;
            out.note(format!("team server set to {}", remote.shown));
            if had_password {
                out.note("note: the password in the URL was not stored; put it in ~/.pgpass (mode 0600) or PGPASSWORD");
            }
            Ok(())
        }
        RemoteCmd::Show { json } => {
            let mut store = ctx.open()?;
            let found = sync::configured(&mut store, ctx.settings.remote.as_deref())?;
            if json {
                let v = serde_json::json!({
                    "remote": found.as_ref().map(|(r, _)| r.shown.clone()),
                    "from": found.as_ref().map(|(_, f)| f.clone()),
                });
                return out.json(&v);
            }
            match found {
                Some((r, from)) => out.line(format!("{}  (from {from})", r.shown))?,
                None => out.line("no team server set (limfac remote set URL)")?,
            }
            Ok(())
        }
        RemoteCmd::Init { print_sql, from } => {
            if print_sql {
                if !(0..=server::SERVER_LATEST).contains(&from) {
                    crate::user_bail!(
                        "--from {from}: server schema versions go from 0 (none) to {}",
                        server::SERVER_LATEST
                    );
                }
                out.raw(server::upgrade_sql(from).as_bytes())?;
                return Ok(());
            }
            let mut store = ctx.open()?;
            let (remote, _) = sync::required(&mut store, ctx.settings.remote.as_deref())?;
            let (before, after) = sync::init(&remote, sync::CONNECT_TIMEOUT)?;
            if before == after {
                out.note(format!("{} already has limfac schema version {after}", remote.shown));
            } else if before == 0 {
                out.note(format!("created limfac schema version {after} on {}", remote.shown));
                out.note(
                    "next: create a role per reviewer (see README \"Working as a team\"), then each runs limfac sync",
                );
            } else {
                out.note(format!("upgraded {} from limfac schema version {before} to {after}", remote.shown));
            }
            Ok(())
        }
    }
}
