//! `limfac blocker`: what engineers say holds the work back.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::core::validate;
use crate::render::output::{table, Output};
use crate::store::BlockerFilter;

/// Blockers: what engineers say holds the work back
///
/// A blocker has a free category (power, chips, supplier, permits, people,
/// ...) and a text. They are shown as evidence beside the limiting factor.
/// `limfac log --blocker` opens them too.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac blocker add power/array-output 'permits:grid interconnect permit pending' --engineer wang-xm\n  limfac blocker list\n  limfac blocker resolve 7 --date 2026-11-20"
)]
pub struct BlockerArgs {
    #[command(subcommand)]
    cmd: BlockerCmd,
}

#[derive(Debug, Subcommand)]
enum BlockerCmd {
    /// Open a blocker on a project or one of its metrics
    Add {
        /// PROJECT or PROJECT/METRIC
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::scopes))]
        scope: String,
        /// CATEGORY:TEXT
        blocker: String,
        /// Who raised it
        #[arg(long)]
        engineer: Option<String>,
        /// When it was raised [default: today]
        #[arg(long)]
        date: Option<String>,
    },
    /// List open blockers (or all with --all)
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        engineer: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Mark a blocker resolved
    Resolve {
        id: i64,
        /// When it was resolved [default: today]
        #[arg(long)]
        date: Option<String>,
    },
}

pub fn run(args: BlockerArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let today = ctx.clock.today;
    match args.cmd {
        BlockerCmd::Add { scope, blocker, engineer, date } => {
            let (project, metric) = validate::scope("scope", &scope)?;
            let (category, text) = validate::blocker("blocker", &blocker)?;
            let engineer = engineer.map(|e| validate::handle("--engineer", &e)).transpose()?;
            let date = date.map(|d| validate::event_date("--date", &d, today)).transpose()?.unwrap_or(today);
            let mut store = ctx.open()?;
            let (id, open_since) =
                store.add_blocker(&project, metric.as_deref(), engineer.as_deref(), &category, &text, date)?;
            match open_since {
                Some(since) => out.note(format!(
                    "blocker {id} is already open on {project} since {since} with this text: cited again, not opened twice"
                )),
                None => out.note(format!("opened blocker {id} ({category}) on {scope}")),
            }
            Ok(())
        }
        BlockerCmd::List { all, project, engineer, json } => {
            let filter = BlockerFilter {
                include_resolved: all,
                project: project.map(|p| validate::slug("--project", &p)).transpose()?,
                engineer: engineer.map(|e| validate::handle("--engineer", &e)).transpose()?,
            };
            let store = ctx.open_read()?;
            let blockers = store.blockers(&filter)?;
            if json {
                return out.json(&blockers);
            }
            let mut t = table(["id", "category", "text", "on", "raised by", "opened", "resolved", "weeks"]);
            for b in &blockers {
                let end = b.resolved.unwrap_or(today);
                t.add_row(vec![
                    b.id.to_string(),
                    b.category.clone(),
                    b.text.clone(),
                    match &b.metric {
                        Some(m) => format!("{}/{m}", b.project),
                        None => b.project.clone(),
                    },
                    b.engineer.clone().unwrap_or_default(),
                    b.opened.to_string(),
                    b.resolved.map(|d| d.to_string()).unwrap_or_default(),
                    ((end - b.opened).num_days() / 7).to_string(),
                ]);
            }
            out.table(&t)?;
            Ok(())
        }
        BlockerCmd::Resolve { id, date } => {
            let date = date.map(|d| validate::event_date("--date", &d, today)).transpose()?.unwrap_or(today);
            let mut store = ctx.open()?;
            store.resolve_blocker(id, date)?;
            out.note(format!("resolved blocker {id} on {date}"));
            Ok(())
        }
    }
}
