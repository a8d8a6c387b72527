//! `limfac forecast`: is each metric converging, and when will it be done?

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::cli::forecasting::{Forecaster, Loaded};
use crate::core::analysis::{self, MetricView};
use crate::render::output::{num, table, Color, Output};
use crate::render::tables::status_cell;

/// Forecast metrics: converging or not, and when they will be done
///
/// For each metric: status (done, converging, stalled, diverging,
/// insufficient data), the 50% and 80% completion dates, the trend per week
/// and why.
///
/// p50 is the date by which the metric reaches its target with even odds:
/// the most aggressive deadline that is still honest. A quantile is empty when
/// the chance of never finishing within three years is too high for it.
///
/// With --history WEEKS (and a PROJECT or PROJECT/METRIC): how the completion
/// dates moved, as forecast each of the last WEEKS weeks from what was known
/// that week — the "ship date over time" view. A p50 that slips every week
/// says more than any one forecast. `limfac chart SCOPE --history WEEKS` draws it.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac forecast\n  limfac forecast chips\n  limfac forecast chips/yield-pct --as-of 2026-10-01 --json\n  limfac forecast chips --history 12"
)]
pub struct ForecastArgs {
    /// PROJECT or PROJECT/METRIC [default: everything]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::scopes))]
    scope: Option<String>,
    /// Judge as if this were today, using only points dated on or before it
    #[arg(long)]
    as_of: Option<String>,
    /// Show how the dates moved over the last WEEKS weeks (needs a scope)
    #[arg(long, value_name = "WEEKS", value_parser = clap::value_parser!(u32).range(1..=520))]
    history: Option<u32>,
    #[arg(long)]
    json: bool,
}

pub fn run(args: ForecastArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let as_of = ctx.as_of(args.as_of.as_deref())?;
    let store = ctx.open_read()?;
    let scope = super::scope_arg(&store, args.scope.as_deref())?;
    if let Some(weeks) = args.history {
        let Some((project, metric)) = &scope else {
            return Err(crate::core::error::UserError::new(format!(
                "--history {weeks} needs a PROJECT or PROJECT/METRIC"
            ))
            .hint("for example: limfac forecast chips --history 12")
            .into());
        };
        let loaded = Loaded::for_drift(&store, project, metric.as_deref())?;
        let forecaster = Forecaster::new(&store, &loaded, ctx.settings.horizon_days);
        let drift = analysis::drift(&loaded.snapshot, project, metric.as_deref(), as_of, weeks, &|d| {
            forecaster.outlook(d, false)
        })?;
        if args.json {
            return out.json(&drift);
        }
        let d = |x: Option<chrono::NaiveDate>| x.map(|d| d.to_string()).unwrap_or_else(|| "later".into());
        let mut t = table(["week", "as of", "status", "p10", "p50", "p80", "p90"]);
        for p in &drift {
            t.add_row(vec![
                p.week.clone().into(),
                p.as_of.to_string().into(),
                status_cell(out, p.status),
                d(p.p10).into(),
                d(p.p50).into(),
                d(p.p80).into(),
                comfy_table::Cell::from(d(p.p90)),
            ]);
        }
        out.table(&t)?;
        let moved: Vec<i64> = drift.windows(2).filter_map(|w| Some((w[1].p50? - w[0].p50?).num_days())).collect();
        if !moved.is_empty() {
            let net = moved.iter().sum::<i64>();
            out.line(format!(
                "p50 moved {} days over {} weeks ({} later, {} earlier, {} unchanged week to week).",
                net,
                drift.len() - 1,
                moved.iter().filter(|m| **m > 0).count(),
                moved.iter().filter(|m| **m < 0).count(),
                moved.iter().filter(|m| **m == 0).count()
            ))?;
        }
        return Ok(());
    }
    // Forecast only what is asked (the same as restricting the whole snapshot), reading
    // readings only where the cache does not hold a forecast; the limiting-factor analysis is
    // not needed here.
    let loaded = match &scope {
        Some((p, m)) => Loaded::scoped(&store, Some((p.as_str(), m.as_deref())))?,
        None => Loaded::without_points(&store)?,
    };
    let views = Forecaster::new(&store, &loaded, ctx.settings.horizon_days).views(as_of)?;
    if args.json {
        return out.json(&views);
    }
    print(out, &views)
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
                "OFF PATH: {}/{} has a {} chance of meeting its {} deadline",
                v.project,
                v.metric,
                crate::core::format::chance(v.p_on_time.unwrap_or(0.0)),
                v.deadline.map(|d| d.to_string()).unwrap_or_default()
            ),
            Color::Red,
        ))?;
    }
    Ok(())
}
