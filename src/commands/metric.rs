//! `limfac metric`: what converges, as `PROJECT/METRIC` with a target.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::error::UserError;
use crate::model::{Direction, Metric};
use crate::output::{num, table, Output};
use crate::store::MetricEdit;
use crate::validate;

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
    },
    /// Change a metric's target, direction, tolerance, unit or name
    Edit {
        /// PROJECT/METRIC
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::metrics))]
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
    },
    /// List metrics, optionally of one project
    List {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::projects))]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: MetricArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match args.cmd {
        MetricCmd::Add { metric, target, direction, tolerance, unit, name } => {
            let (project, slug) = validate::metric_ref("metric", &metric)?;
            let m = Metric {
                project,
                metric: slug,
                name: name.map(|n| validate::text("--name", &n)).transpose()?,
                unit: unit.map(|u| validate::text("--unit", &u)).transpose()?,
                target: validate::number("--target", &target)?,
                direction: direction.parse::<Direction>().map_err(|e| UserError::new(format!("--direction {e}")))?,
                tolerance: validate::tolerance("--tolerance", &tolerance)?,
            };
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
        MetricCmd::Edit { metric, target, direction, tolerance, unit, name } => {
            let (project, slug) = validate::metric_ref("metric", &metric)?;
            let edit = MetricEdit {
                target: target.map(|t| validate::number("--target", &t)).transpose()?,
                direction: direction
                    .map(|d| d.parse::<Direction>().map_err(|e| UserError::new(format!("--direction {e}"))))
                    .transpose()?,
                tolerance: tolerance.map(|t| validate::tolerance("--tolerance", &t)).transpose()?,
                unit: unit.map(|u| validate::text("--unit", &u)).transpose()?,
                name: name.map(|n| validate::text("--name", &n)).transpose()?,
            };
            let mut store = ctx.open()?;
            store.edit_metric(&project, &slug, &edit)?;
            out.note(format!("updated metric {project}/{slug}"));
            Ok(())
        }
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

/// The metrics table shared by `metric list` and `project show`.
pub fn print_metrics(out: &mut Output, metrics: &[Metric]) -> Result<()> {
    let mut t = table(["metric", "name", "target", "direction", "tolerance", "unit"]);
    for m in metrics {
        t.add_row(vec![
            m.key(),
            m.name.clone().unwrap_or_default(),
            num(m.target),
            m.direction.to_string(),
            num(m.tolerance),
            m.unit.clone().unwrap_or_default(),
        ]);
    }
    out.table(&t)?;
    Ok(())
}
