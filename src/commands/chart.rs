//! `limfac chart`: see the curve, not the numbers.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use super::{write_private, Ctx};
use crate::analysis;
use crate::chart::{self, Format};
use crate::chart_data;
use crate::error::UserError;
use crate::output::Output;

/// Draw a convergence chart (PNG or SVG)
///
/// The file extension chooses the format.
/// PROJECT/METRIC: each engineer's readings, the target band, the fitted
/// curve and the p10–p90 fan, the p50/p80 dates and the deadline.
/// PROJECT: small multiples of its metrics, the limiting one highlighted.
/// --fever: every project at (share of the gap closed, schedule risk), with
/// the trail of the last weeks.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac chart chips/yield-pct --out yield.png\n  limfac chart chips --out chips.svg\n  limfac chart --fever --out fever.png"
)]
pub struct ChartArgs {
    /// PROJECT/METRIC or PROJECT
    #[arg(required_unless_present = "fever", conflicts_with = "fever", add = clap_complete::ArgValueCandidates::new(crate::complete::scopes))]
    scope: Option<String>,
    /// The fever chart of all projects
    #[arg(long)]
    fever: bool,
    /// FILE.png or FILE.svg
    #[arg(long)]
    out: PathBuf,
    /// Judge as if this were today
    #[arg(long)]
    as_of: Option<String>,
}

pub fn format_of(path: &Path) -> Result<Format> {
    Format::from_path(path).ok_or_else(|| {
        UserError::new(format!("--out {} must end in .png or .svg", path.display()))
            .hint("the extension chooses the format")
            .into()
    })
}

pub fn run(args: ChartArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let format = format_of(&args.out)?;
    super::check_out_path(&args.out)?;
    let as_of = ctx.as_of(args.as_of.as_deref())?;
    let store = ctx.open_read()?;
    let scope = super::scope_arg(&store, args.scope.as_deref())?;
    let horizon = ctx.settings.horizon_days;
    // One metric reads only its own points (500 rows, not the whole database).
    let snapshot = match &scope {
        Some((p, Some(m))) => store.snapshot_scoped(Some((p, Some(m))))?,
        _ => store.snapshot()?,
    };
    let bytes = match &scope {
        Some((_, Some(_))) => {
            // One metric: forecast just it (no organization-wide analysis needed).
            let outlook = analysis::outlook_for_charts(&snapshot, as_of, horizon);
            chart::metric(&chart_data::metric_chart(&snapshot, &outlook, 0, false), format)?
        }
        Some((p, None)) => {
            let outlook = analysis::outlook_for_charts(&snapshot, as_of, horizon);
            let charts = chart_data::project_charts(&snapshot, &outlook, p);
            let name = &snapshot.projects[snapshot.project_index(p).expect("checked")].name;
            chart::dashboard(&format!("{p} — {name} (as of {as_of})"), &charts, format)?
        }
        None => {
            let outlook = analysis::outlook(&snapshot, as_of, horizon);
            let trail = analysis::weeks_before(&snapshot, as_of, horizon, &[4, 3, 2, 1]);
            chart::fever(&chart_data::fever_chart(&snapshot, &outlook, &trail.iter().collect::<Vec<_>>()), format)?
        }
    };
    write_private(&args.out, &bytes)?;
    out.note(format!("wrote {}", args.out.display()));
    Ok(())
}
