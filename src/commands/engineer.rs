//! `limfac engineer`: the people who report, and the org chart.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::model::Engineer;
use crate::output::{table, Output};
use crate::validate;

/// Engineers: the people who report progress, and who they report to.
///
/// The reporting lines give the skip-level depth: how many levels below the
/// reviewer each speaker sits.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac engineer add musk --name 'Elon'\n  limfac engineer add wang-xm --name '王小明' --reports-to musk\n  limfac engineer show wang-xm"
)]
pub struct EngineerArgs {
    #[command(subcommand)]
    cmd: EngineerCmd,
}

#[derive(Debug, Subcommand)]
enum EngineerCmd {
    /// Add an engineer
    Add {
        /// Lowercase letters, digits and '-'
        handle: String,
        #[arg(long)]
        name: String,
        /// Their manager's handle
        #[arg(long = "reports-to", value_name = "HANDLE")]
        reports_to: Option<String>,
    },
    /// Change an engineer's name or manager (a reporting loop is refused)
    Edit {
        handle: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "reports-to", value_name = "HANDLE")]
        reports_to: Option<String>,
    },
    /// List engineers
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one engineer
    Show {
        handle: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: EngineerArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match args.cmd {
        EngineerCmd::Add { handle, name, reports_to } => {
            let e = Engineer {
                handle: validate::handle("engineer", &handle)?,
                name: validate::text("--name", &name)?,
                reports_to: reports_to.map(|r| validate::handle("--reports-to", &r)).transpose()?,
            };
            let mut store = ctx.open()?;
            store.add_engineer(&e)?;
            out.note(format!("added engineer {} ({})", e.handle, e.name));
            Ok(())
        }
        EngineerCmd::Edit { handle, name, reports_to } => {
            let handle = validate::handle("engineer", &handle)?;
            let name = name.map(|n| validate::text("--name", &n)).transpose()?;
            let boss = reports_to.map(|r| validate::handle("--reports-to", &r)).transpose()?;
            let mut store = ctx.open()?;
            store.edit_engineer(&handle, name.as_deref(), boss.as_deref())?;
            out.note(format!("updated engineer {handle}"));
            Ok(())
        }
        EngineerCmd::List { json } => {
            let store = ctx.open()?;
            let engineers = store.engineers()?;
            if json {
                return out.json(&engineers);
            }
            let mut t = table(["engineer", "name", "reports to"]);
            for e in &engineers {
                t.add_row(vec![e.handle.clone(), e.name.clone(), e.reports_to.clone().unwrap_or_default()]);
            }
            out.table(&t)?;
            Ok(())
        }
        EngineerCmd::Show { handle, json } => {
            let handle = validate::handle("engineer", &handle)?;
            let store = ctx.open()?;
            let e = store.engineer(&handle)?;
            let reviews = store.reviews_of(&handle)?;
            if json {
                return out.json(&serde_json::json!({ "engineer": e, "reviews": reviews }));
            }
            out.line(format!("{} — {}", e.handle, e.name))?;
            out.line(format!("reports to {}", e.reports_to.as_deref().unwrap_or("-")))?;
            out.line("")?;
            let mut t = table(["review", "date", "kind", "reviewer", "points"]);
            for r in &reviews {
                t.add_row(vec![
                    r.review.to_string(),
                    r.date.to_string(),
                    r.kind.clone(),
                    r.reviewer.clone().unwrap_or_default(),
                    r.points.to_string(),
                ]);
            }
            out.table(&t)?;
            Ok(())
        }
    }
}
