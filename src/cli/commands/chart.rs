//! `limfac chart`: see the curve, not the numbers.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use super::{write_private, Ctx};
use crate::cli::forecasting::{Forecaster, Loaded};
use crate::core::analysis;
use crate::core::error::UserError;
use crate::render::chart::{self, Format};
use crate::render::chart_data;
use crate::render::output::Output;

/// Draw a convergence chart (PNG or SVG)
///
/// The file extension chooses the format.
/// PROJECT/METRIC: each engineer's readings, the target band, the fitted
/// curve and the p10–p90 fan, the p50/p80 dates and the deadline.
/// PROJECT: small multiples of its metrics, the limiting one highlighted.
/// --fever: every project at (share of the gap closed, schedule risk), with
/// the trail of the last weeks.
/// SCOPE --history WEEKS: the completion date as it was forecast each of the
/// last WEEKS weeks (p10–p90 band, p50 line): does the date hold or slip?
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac chart chips/yield-pct --out yield.png\n  limfac chart chips --out chips.svg\n  limfac chart --fever --out fever.png\n  limfac chart chips --history 16 --out chips-drift.png"
)]
pub struct ChartArgs {
    /// PROJECT/METRIC or PROJECT
    #[arg(required_unless_present = "fever", conflicts_with = "fever", add = clap_complete::ArgValueCandidates::new(crate::cli::complete::scopes))]
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
    /// Draw how the completion date was forecast over the last WEEKS weeks
    #[arg(long, value_name = "WEEKS", conflicts_with = "fever", value_parser = clap::value_parser!(u32).range(2..=520))]
    history: Option<u32>,
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
    if let (Some(weeks), Some((project, metric))) = (args.history, &scope) {
        let loaded = Loaded::for_drift(&store, project, metric.as_deref())?;
        let snapshot = &loaded.snapshot;
        let forecaster = Forecaster::new(&store, &loaded, horizon);
        let drift =
            analysis::drift(snapshot, project, metric.as_deref(), as_of, weeks, &|d| forecaster.outlook(d, false))?;
        let now = forecaster.outlook(as_of, false)?;
        let deadline = match metric {
            Some(m) => snapshot.metric_index(project, m).and_then(|i| now.views[i].deadline),
            None => now.analysis.projects.iter().find(|p| &p.project == project).and_then(|p| p.deadline),
        };
        let scope_name = metric.as_ref().map_or_else(|| project.clone(), |m| format!("{project}/{m}"));
        let c = chart::DriftChart {
            title: format!("{scope_name}: completion date as forecast, last {weeks} weeks (as of {as_of})"),
            points: drift
                .iter()
                .map(|p| chart::DriftPoint { as_of: p.as_of, p10: p.p10, p50: p.p50, p90: p.p90 })
                .collect(),
            deadline,
            horizon_end: as_of + chrono::Duration::days(horizon),
        };
        write_private(&args.out, &chart::drift(&c, format)?)?;
        out.note(format!("wrote {}", args.out.display()));
        return Ok(());
    }
    // One metric reads only its own points (500 rows, not the whole database); the fever
    // chart none (it draws what the forecasts say); a project's dashboard those on its path.
    let loaded = match &scope {
        Some((p, Some(m))) => Loaded::scoped(&store, Some((p, Some(m))))?,
        Some((p, None)) => Loaded::for_dashboard(&store, p)?,
        None => Loaded::without_points(&store)?,
    };
    let snapshot = &loaded.snapshot;
    let forecaster = Forecaster::new(&store, &loaded, horizon);
    let bytes = match &scope {
        Some((_, Some(_))) => {
            // One metric: forecast just it (no organization-wide analysis needed), dated with
            // the organization's calibration as the report dates it.
            let outlook = forecaster.outlook(as_of, true)?;
            chart::metric(&chart_data::metric_chart(snapshot, &outlook, 0, snapshot.observations_of(0), false), format)?
        }
        Some((p, None)) => {
            let outlook = forecaster.outlook(as_of, true)?;
            let charts = chart_data::project_charts(snapshot, &outlook, p);
            let name = &snapshot.projects[snapshot.project_index(p).expect("checked")].name;
            chart::dashboard(&format!("{p} — {name} (as of {as_of})"), &charts, format)?
        }
        None => {
            // The trail four to one weeks ago, oldest first, then now: each date's marks are
            // kept, not its forecasts.
            let mut asks: Vec<(chrono::NaiveDate, bool)> = [4u64, 3, 2, 1]
                .iter()
                .filter_map(|w| as_of.checked_sub_days(chrono::Days::new(7 * w)))
                .map(|d| (d, false))
                .collect();
            asks.push((as_of, false));
            let mut marks = Vec::with_capacity(asks.len());
            forecaster.outlooks_each(&asks, &mut |o| {
                marks.push(chart_data::fever_marks(snapshot, &o));
                Ok(())
            })?;
            let now = marks.pop().expect("now asked");
            chart::fever(&chart_data::fever_chart_of(snapshot, &now, &marks), format)?
        }
    };
    write_private(&args.out, &bytes)?;
    out.note(format!("wrote {}", args.out.display()));
    Ok(())
}
