//! `limfac forecast`: is each metric converging, and when will it be done?

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::analysis::{self, MetricView};
use crate::forecast::Status;
use crate::output::{num, table, Color, Output};

/// Forecast metrics: converging or not, and when they will be done
///
/// For each metric: status (done, converging, stalled, diverging,
/// insufficient data), the 50% and 80% completion dates, the trend per week
/// and why.
///
/// p50 is the date by which the metric reaches its target with even odds:
/// the most aggressive deadline that is still honest. A quantile is empty when
/// the chance of never finishing within three years is too high for it.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac forecast\n  limfac forecast chips\n  limfac forecast chips/yield-pct --as-of 2026-10-01 --json"
)]
pub struct ForecastArgs {
    /// PROJECT or PROJECT/METRIC [default: everything]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::scopes))]
    scope: Option<String>,
    /// Judge as if this were today, using only points dated on or before it
    #[arg(long)]
    as_of: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn run(args: ForecastArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let as_of = ctx.as_of(args.as_of.as_deref())?;
    let store = ctx.open_read()?;
    let scope = super::scope_arg(&store, args.scope.as_deref())?;
    // Forecast only what is asked, reading only its points (the same as
    // restricting the whole snapshot); the limiting-factor analysis is not needed here.
    let snapshot = store.snapshot_scoped(scope.as_ref().map(|(p, m)| (p.as_str(), m.as_deref())))?;
    let outlook = analysis::outlook(&snapshot, as_of, ctx.settings.horizon_days);
    if args.json {
        return out.json(&outlook.views);
    }
    print(out, &outlook.views)
}

/// A status with its symbol, coloured on a terminal.
pub fn status_cell(out: &Output, s: Status) -> comfy_table::Cell {
    let label = crate::render::status_label(s.as_str());
    let color = match s {
        Status::Done => Color::Green,
        Status::Converging => Color::Blue,
        Status::Stalled => Color::Yellow,
        Status::Diverging => Color::Red,
        Status::InsufficientData => Color::Dim,
    };
    out.cell(label, color)
}

fn print(out: &mut Output, views: &[MetricView]) -> Result<()> {
    let mut t = table(["metric", "status", "last", "target", "p50", "p80", "trend/wk", "why"]);
    for v in views {
        let unit = v.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        t.add_row(vec![
            format!("{}/{}", v.project, v.metric).into(),
            status_cell(out, v.status),
            v.last_value.map(num).unwrap_or_else(|| "—".into()).into(),
            format!("{}{unit}", num(v.target)).into(),
            v.p50.map(|d| d.to_string()).unwrap_or_else(|| "—".into()).into(),
            v.p80.map(|d| d.to_string()).unwrap_or_else(|| "—".into()).into(),
            v.trend_per_week.map(|t| format!("{:+}", num(t))).unwrap_or_else(|| "—".into()).into(),
            comfy_table::Cell::from(v.reason.clone()),
        ]);
    }
    out.table(&t)?;
    let off: Vec<&MetricView> = views.iter().filter(|v| v.off_path).collect();
    for v in off {
        out.line(out.paint(
            &format!(
                "OFF PATH: {}/{} has a {:.0}% chance of meeting its {} deadline",
                v.project,
                v.metric,
                v.p_on_time.unwrap_or(0.0) * 100.0,
                v.deadline.map(|d| d.to_string()).unwrap_or_default()
            ),
            Color::Red,
        ))?;
    }
    Ok(())
}
