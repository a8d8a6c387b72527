//! `limfac review`: meetings, and the points heard in each.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::core::validate;
use crate::render::output::{num, table, Output};

/// Reviews: the meetings where progress is heard (weekly, skip-level, deep-dive).
///
/// `limfac log` creates that day's review on first use, so `review add` is
/// only needed to record a meeting's own notes up front.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac review add --kind skip-level --reviewer musk --notes 'chips deep-dive, fab team'\n  limfac review list\n  limfac review show 12"
)]
pub struct ReviewArgs {
    #[command(subcommand)]
    cmd: ReviewCmd,
}

#[derive(Debug, Subcommand)]
enum ReviewCmd {
    /// Record a meeting
    Add {
        /// The meeting's date [default: today]
        #[arg(long)]
        date: Option<String>,
        /// weekly, skip-level or deep-dive
        #[arg(long, default_value = "weekly", value_name = "KIND")]
        kind: String,
        /// Who ran it (an engineer handle)
        #[arg(long)]
        reviewer: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// List meetings, newest first
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one meeting and the points logged in it
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: ReviewArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let today = ctx.clock.today;
    match args.cmd {
        ReviewCmd::Add { date, kind, reviewer, notes } => {
            let date = date.map(|d| validate::event_date("--date", &d, today)).transpose()?.unwrap_or(today);
            let reviewer = reviewer.map(|r| validate::handle("--reviewer", &r)).transpose()?;
            let notes = notes.map(|n| validate::entered("--notes", &n)).transpose()?;
            let kind = validate::review_kind("--kind", &kind)?;
            let mut store = ctx.open()?;
            let id = store.add_review(date, kind, reviewer.as_deref(), notes.as_deref())?;
            out.note(format!("added review {id} ({date}, {kind})"));
            if !out.quiet {
                out.line(id.to_string())?;
            }
            Ok(())
        }
        ReviewCmd::List { json } => {
            let store = ctx.open_read()?;
            let reviews = store.reviews()?;
            if json {
                let v: Vec<_> = reviews
                    .iter()
                    .map(|(r, n)| {
                        let mut j = serde_json::to_value(r).expect("serializable");
                        j["points"] = (*n).into();
                        j
                    })
                    .collect();
                return out.json(&v);
            }
            let mut t = table(["id", "date", "kind", "reviewer", "points", "notes"]);
            for (r, n) in &reviews {
                t.add_row(vec![
                    r.id.to_string(),
                    r.date.to_string(),
                    r.kind.to_string(),
                    r.reviewer.clone().unwrap_or_default(),
                    n.to_string(),
                    r.notes.clone().unwrap_or_default(),
                ]);
            }
            out.table(&t)?;
            Ok(())
        }
        ReviewCmd::Show { id, json } => {
            let store = ctx.open_read()?;
            let r = store.review(id)?;
            let points = store.points(Some(id))?;
            if json {
                return out.json(&serde_json::json!({ "review": r, "points": points }));
            }
            out.line(format!("review {} — {} {} by {}", r.id, r.date, r.kind, r.reviewer.as_deref().unwrap_or("-")))?;
            if let Some(n) = &r.notes {
                out.line(format!("notes: {n}"))?;
            }
            out.line("")?;
            let mut t = table(["metric", "engineer", "value", "note", "blockers"]);
            for p in &points {
                t.add_row(vec![
                    format!("{}/{}", p.point.project, p.point.metric),
                    p.point.engineer.clone(),
                    num(p.point.value),
                    p.point.note.clone(),
                    crate::core::model::cited(&p.blockers).join("; "),
                ]);
            }
            out.table(&t)?;
            Ok(())
        }
    }
}
