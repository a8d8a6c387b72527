//! `limfac project`: bodies of work, their priority and prerequisites.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::core::model::Project;
use crate::core::validate;
use crate::render::output::{table, Output};
use crate::store::ProjectEdit;

/// Projects: bodies of work with a priority (1 highest) and prerequisites.
///
/// A project is done when all of its metrics are done and all the projects it
/// depends on are done; dependencies may not form a cycle.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac project add power --name 'Power' --priority 1\n  limfac project add orbital-compute --name 'Orbital compute' --depends-on power --depends-on chips\n  limfac project show orbital-compute"
)]
pub struct ProjectArgs {
    #[command(subcommand)]
    cmd: ProjectCmd,
}

#[derive(Debug, Subcommand)]
enum ProjectCmd {
    /// Add a project
    Add {
        /// Lowercase letters, digits and '-'
        slug: String,
        #[arg(long)]
        name: String,
        /// 1 (highest) to 5
        #[arg(long, default_value_t = 3)]
        priority: i64,
        #[arg(long)]
        owner: Option<String>,
        /// A project this one cannot finish without (repeatable)
        #[arg(long = "depends-on", value_name = "SLUG", add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        depends_on: Vec<String>,
    },
    /// Change a project's name, priority, owner or dependencies
    Edit {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        slug: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        priority: Option<i64>,
        #[arg(long)]
        owner: Option<String>,
        /// Add a dependency (repeatable); a cycle is refused
        #[arg(long = "depends-on", value_name = "SLUG", add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        depends_on: Vec<String>,
        /// Remove a dependency (repeatable)
        #[arg(long = "no-depends-on", value_name = "SLUG")]
        no_depends_on: Vec<String>,
    },
    /// Archive a project: cancelled or superseded work, gone from forecasts, the report and the limiting factor
    Archive {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        slug: String,
        /// Why (kept in the history)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Bring an archived project back into forecasts and the report
    Unarchive {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        slug: String,
        /// Why (kept in the history)
        #[arg(long)]
        reason: Option<String>,
    },
    /// List projects (archived ones marked)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one project with its metrics and dependencies
    Show {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        slug: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: ProjectArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match args.cmd {
        ProjectCmd::Add { slug, name, priority, owner, depends_on } => {
            let p = Project {
                slug: validate::slug("project", &slug)?,
                name: validate::text("--name", &name)?,
                priority: validate::priority("--priority", priority)?,
                owner: owner.map(|o| validate::text("--owner", &o)).transpose()?,
                depends_on: depends_on.iter().map(|d| validate::slug("--depends-on", d)).collect::<Result<_, _>>()?,
                archived: false,
            };
            let mut store = ctx.open()?;
            store.add_project(&p)?;
            out.note(format!("added project {} (priority {})", p.slug, p.priority));
            Ok(())
        }
        ProjectCmd::Edit { slug, name, priority, owner, depends_on, no_depends_on } => {
            let slug = validate::slug("project", &slug)?;
            let edit = ProjectEdit {
                name: name.map(|n| validate::text("--name", &n)).transpose()?,
                priority: priority.map(|p| validate::priority("--priority", p)).transpose()?,
                owner: owner.map(|o| validate::text("--owner", &o)).transpose()?,
                add_depends_on: depends_on
                    .iter()
                    .map(|d| validate::slug("--depends-on", d))
                    .collect::<Result<_, _>>()?,
                remove_depends_on: no_depends_on
                    .iter()
                    .map(|d| validate::slug("--no-depends-on", d))
                    .collect::<Result<_, _>>()?,
            };
            let mut store = ctx.open()?;
            store.edit_project(&slug, &edit)?;
            out.note(format!("updated project {slug}"));
            Ok(())
        }
        ProjectCmd::Archive { slug, reason } => archive(ctx, out, &slug, reason, true),
        ProjectCmd::Unarchive { slug, reason } => archive(ctx, out, &slug, reason, false),
        ProjectCmd::List { json } => {
            let store = ctx.open_read()?;
            let projects = store.projects()?;
            if json {
                return out.json(&projects);
            }
            let mut t = table(["project", "name", "priority", "owner", "depends on"]);
            for p in &projects {
                t.add_row(vec![
                    if p.archived { format!("{} (archived)", p.slug) } else { p.slug.clone() },
                    p.name.clone(),
                    p.priority.to_string(),
                    p.owner.clone().unwrap_or_default(),
                    p.depends_on.join(", "),
                ]);
            }
            out.table(&t)?;
            Ok(())
        }
        ProjectCmd::Show { slug, json } => {
            let slug = validate::slug("project", &slug)?;
            let store = ctx.open_read()?;
            let p = store.project(&slug)?;
            let metrics = store.metrics(Some(&slug))?;
            let dependents: Vec<String> =
                store.projects()?.into_iter().filter(|q| q.depends_on.contains(&slug)).map(|q| q.slug).collect();
            if json {
                return out.json(&serde_json::json!({
                    "project": p, "metrics": metrics, "dependents": dependents,
                }));
            }
            out.line(format!("{} — {}{}", p.slug, p.name, if p.archived { " (archived)" } else { "" }))?;
            out.line(format!("priority   {}", p.priority))?;
            out.line(format!("owner      {}", p.owner.as_deref().unwrap_or("-")))?;
            out.line(format!(
                "depends on {}",
                if p.depends_on.is_empty() { "-".into() } else { p.depends_on.join(", ") }
            ))?;
            out.line(format!("needed by  {}", if dependents.is_empty() { "-".into() } else { dependents.join(", ") }))?;
            out.line("")?;
            super::metric::print_metrics(out, &metrics)?;
            Ok(())
        }
    }
}

/// Archives (or brings back) a project: an event with who, when and why.
fn archive(ctx: &Ctx, out: &mut Output, slug: &str, reason: Option<String>, archived: bool) -> Result<()> {
    let slug = validate::slug("project", slug)?;
    let reason = reason.map(|r| validate::long_text("--reason", &r)).transpose()?;
    let mut store = ctx.open()?;
    store.set_archived(
        &slug,
        None,
        archived,
        reason.as_deref(),
        crate::cli::config::author(&ctx.settings).as_deref(),
    )?;
    if archived {
        out.note(format!(
            "archived project {slug}: gone from forecasts, the report and the limiting factor, kept in lists and \
             the export (limfac project unarchive {slug} brings it back)"
        ));
    } else {
        out.note(format!("project {slug} is back in forecasts and the report"));
    }
    Ok(())
}
