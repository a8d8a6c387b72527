//! `limfac metric`: what converges, as `PROJECT/METRIC` with a target.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::core::error::UserError;
use crate::core::model::{Direction, Metric};
use crate::core::validate;
use crate::render::output::{num, table, Output};
use crate::store::MetricEdit;

/// Metrics: what converges, named PROJECT/METRIC, with a target
///
/// A metric has a direction (down: the value must fall to the target; up:
/// rise to it).
///
/// A metric is done when its latest value is within --tolerance of the target
/// (or past it).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac metric add power/array-output --target 120 --direction up --unit kW --tolerance 2\n  limfac metric add chips/defect-density --target 0.1 --direction down --unit 'defects/cm²'\n  limfac metric edit power/array-output --target 125\n  limfac metric list power"
)]
pub struct MetricArgs {
    #[command(subcommand)]
    cmd: MetricCmd,
}

#[derive(Debug, Subcommand)]
enum MetricCmd {
    /// Add a metric to a project
    Add {
        /// PROJECT/METRIC
        metric: String,
        /// The value that means done
        #[arg(long, allow_hyphen_values = true)]
        target: String,
        /// down (the value must fall to the target) or up (rise to it)
        #[arg(long, value_name = "down|up")]
        direction: String,
        /// Done when within this distance of the target
        #[arg(long, default_value = "0", allow_hyphen_values = true)]
        tolerance: String,
        #[arg(long)]
        unit: Option<String>,
        /// A readable name
        #[arg(long)]
        name: Option<String>,
        /// The lowest value the metric can physically take (e.g. 0)
        #[arg(long, allow_hyphen_values = true)]
        min: Option<String>,
        /// The highest value it can physically take (e.g. 100 for a percentage)
        #[arg(long, allow_hyphen_values = true)]
        max: Option<String>,
    },
    /// Change a metric's target, direction, tolerance, unit or name
    Edit {
        /// PROJECT/METRIC
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::metrics))]
        metric: String,
        #[arg(long, allow_hyphen_values = true)]
        target: Option<String>,
        /// down or up
        #[arg(long, value_name = "down|up")]
        direction: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        tolerance: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// The lowest value it can physically take ('none' removes the bound)
        #[arg(long, allow_hyphen_values = true)]
        min: Option<String>,
        /// The highest value it can physically take ('none' removes the bound)
        #[arg(long, allow_hyphen_values = true)]
        max: Option<String>,
    },
    /// Archive a metric: cancelled or superseded work, gone from forecasts and the report
    Archive {
        /// PROJECT/METRIC
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::metrics))]
        metric: String,
        /// Why (kept in the history)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Bring an archived metric back into forecasts and the report
    Unarchive {
        /// PROJECT/METRIC
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::metrics))]
        metric: String,
        /// Why (kept in the history)
        #[arg(long)]
        reason: Option<String>,
    },
    /// List metrics, optionally of one project (archived ones marked)
    List {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::projects))]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: MetricArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match args.cmd {
        MetricCmd::Add { metric, target, direction, tolerance, unit, name, min, max } => {
            let (project, slug) = validate::metric_ref("metric", &metric)?;
            let m = Metric {
                project,
                metric: slug,
                name: name.map(|n| validate::text("--name", &n)).transpose()?,
                unit: unit.map(|u| validate::text("--unit", &u)).transpose()?,
                target: validate::number("--target", &target)?,
                direction: direction.parse::<Direction>().map_err(|e| UserError::new(format!("--direction {e}")))?,
                tolerance: validate::tolerance("--tolerance", &tolerance)?,
                min: min.map(|v| validate::number("--min", &v)).transpose()?,
                max: max.map(|v| validate::number("--max", &v)).transpose()?,
                archived: false,
            };
            check_bounds(m.min, m.max, Some(m.target))?;
            let mut store = ctx.open()?;
            store.add_metric(&m)?;
            out.note(format!(
                "added metric {} (target {} {}, {})",
                m.key(),
                num(m.target),
                m.unit.as_deref().unwrap_or(""),
                m.direction
            ));
            Ok(())
        }
        MetricCmd::Edit { metric, target, direction, tolerance, unit, name, min, max } => {
            let (project, slug) = validate::metric_ref("metric", &metric)?;
            let edit = MetricEdit {
                target: target.map(|t| validate::number("--target", &t)).transpose()?,
                direction: direction
                    .map(|d| d.parse::<Direction>().map_err(|e| UserError::new(format!("--direction {e}"))))
                    .transpose()?,
                tolerance: tolerance.map(|t| validate::tolerance("--tolerance", &t)).transpose()?,
                unit: unit.map(|u| validate::text("--unit", &u)).transpose()?,
                name: name.map(|n| validate::text("--name", &n)).transpose()?,
                min: min.map(|v| bound("--min", &v)).transpose()?,
                max: max.map(|v| bound("--max", &v)).transpose()?,
            };
            let mut store = ctx.open()?;
            let now = store.metric(&project, &slug)?;
            check_bounds(
                edit.min.unwrap_or(now.min),
                edit.max.unwrap_or(now.max),
                Some(edit.target.unwrap_or(now.target)),
            )?;
            store.edit_metric(&project, &slug, &edit)?;
            out.note(format!("updated metric {project}/{slug}"));
            Ok(())
        }
        MetricCmd::Archive { metric, reason } => archive(ctx, out, &metric, reason, true),
        MetricCmd::Unarchive { metric, reason } => archive(ctx, out, &metric, reason, false),
        MetricCmd::List { project, json } => {
            let project = project.map(|p| validate::slug("project", &p)).transpose()?;
            let store = ctx.open_read()?;
            let metrics = store.metrics(project.as_deref())?;
            if json {
                return out.json(&metrics);
            }
            print_metrics(out, &metrics)
        }
    }
}

/// Archives (or brings back) a metric: an event with who, when and why.
fn archive(ctx: &Ctx, out: &mut Output, metric: &str, reason: Option<String>, archived: bool) -> Result<()> {
    let (project, slug) = validate::metric_ref("metric", metric)?;
    let reason = reason.map(|r| validate::long_text("--reason", &r)).transpose()?;
    let mut store = ctx.open()?;
    store.set_archived(
        &project,
        Some(&slug),
        archived,
        reason.as_deref(),
        crate::cli::config::author(&ctx.settings).as_deref(),
    )?;
    if archived {
        out.note(format!(
            "archived metric {project}/{slug}: gone from forecasts and the report, kept in lists and the export \
             (limfac metric unarchive {project}/{slug} brings it back)"
        ));
    } else {
        out.note(format!("metric {project}/{slug} is back in forecasts and the report"));
    }
    Ok(())
}

/// A bound for `metric edit`: a number, or `none` to remove it.
fn bound(field: &str, s: &str) -> Result<Option<f64>, UserError> {
    if s == "none" {
        return Ok(None);
    }
    validate::number(field, s).map(Some).map_err(|e| e.hint("or 'none' to remove the bound"))
}

/// Bounds must be ordered and hold the target.
fn check_bounds(min: Option<f64>, max: Option<f64>, target: Option<f64>) -> Result<(), UserError> {
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo >= hi {
            return Err(UserError::new(format!("--min {} is not below --max {}", num(lo), num(hi)))
                .hint("bounds are the lowest and highest values the metric can physically take"));
        }
    }
    if let Some(t) = target {
        if min.is_some_and(|lo| t < lo) || max.is_some_and(|hi| t > hi) {
            return Err(UserError::new(format!(
                "--target {} is outside the bounds {}",
                num(t),
                crate::render::output::bounds(min, max)
            ))
            .hint("a target the metric cannot physically reach would never be met"));
        }
    }
    Ok(())
}

/// The metrics table shared by `metric list` and `project show`.
pub fn print_metrics(out: &mut Output, metrics: &[Metric]) -> Result<()> {
    let mut t = table(["metric", "name", "target", "direction", "tolerance", "unit", "bounds"]);
    for m in metrics {
        let key = if m.archived { format!("{} (archived)", m.key()) } else { m.key() };
        t.add_row(vec![
            key,
            m.name.clone().unwrap_or_default(),
            num(m.target),
            m.direction.to_string(),
            num(m.tolerance),
            m.unit.clone().unwrap_or_default(),
            if m.min.is_none() && m.max.is_none() {
                String::new()
            } else {
                crate::render::output::bounds(m.min, m.max)
            },
        ]);
    }
    out.table(&t)?;
    Ok(())
}
