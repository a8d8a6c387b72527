//! `limfac backtest`: should you trust the forecasts on your own data?

use anyhow::Result;
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use super::Ctx;
use crate::analysis;
use crate::forecast::{self, BacktestSummary, Truth};
use crate::output::{table, Output};

/// Should you trust the forecasts? Replay history and score them
///
/// Replays each metric's history as of every past week with at least four
/// readings, forecast from what was known then, and compare with what
/// happened: how often the truth fell on or before p50 (should be about 50%)
/// and p80 (about 80%), how often inside p10–p90 (about 80%), and the median
/// error of p50 in weeks. Each share is then judged from its own figures,
/// with a 95% interval: consistent, too early or too late (too narrow or too
/// wide), or too few forecasts to tell.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  limfac backtest\n  limfac backtest chips --json")]
pub struct BacktestArgs {
    /// PROJECT or PROJECT/METRIC [default: everything]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::scopes))]
    scope: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    project: String,
    metric: String,
    #[serde(flatten)]
    summary: BacktestSummary,
}

#[derive(Serialize)]
struct Total {
    forecasts: usize,
    p50_hit_rate: Option<f64>,
    p80_hit_rate: Option<f64>,
    p10_p90_coverage: Option<f64>,
    median_p50_error_weeks: Option<f64>,
    evaluable_p50: usize,
    evaluable_p80: usize,
    evaluable_p10_p90: usize,
}

fn rate(hit: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| hit as f64 / n as f64)
}

pub fn run(args: BacktestArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let store = ctx.open_read()?;
    let scope = super::scope_arg(&store, args.scope.as_deref())?;
    let snapshot = store.snapshot()?;
    let today = ctx.clock.today;
    let horizon = ctx.settings.horizon_days;
    let chosen: Vec<usize> =
        (0..snapshot.metrics.len()).filter(|&i| super::in_scope(&snapshot.metrics[i], &scope)).collect();
    let bar = crate::output::progress(out, Some(chosen.len() as u64), "backtesting");
    let results: Vec<_> = chosen
        .par_iter()
        .map(|&i| {
            bar.inc(1);
            let m = &snapshot.metrics[i];
            let readings = analysis::readings(&snapshot, i, today);
            let (cases, summary) =
                forecast::backtest(&analysis::spec(m), &readings, horizon, forecast::seed_for(&m.key()));
            (i, cases, summary)
        })
        .collect();
    bar.finish_and_clear();
    let mut errors: Vec<f64> = Vec::new();
    let mut total = Total {
        forecasts: 0,
        p50_hit_rate: None,
        p80_hit_rate: None,
        p10_p90_coverage: None,
        median_p50_error_weeks: None,
        evaluable_p50: 0,
        evaluable_p80: 0,
        evaluable_p10_p90: 0,
    };
    let (mut h50, mut h80, mut inside) = (0, 0, 0);
    let mut rows = Vec::new();
    for (i, cases, s) in results {
        for c in &cases {
            if let (Truth::DoneOn(d), Some(p50)) = (c.truth, c.p50) {
                errors.push((p50 - d).num_days().abs() as f64 / 7.0);
            }
        }
        total.forecasts += s.forecasts;
        total.evaluable_p50 += s.evaluable_p50;
        total.evaluable_p80 += s.evaluable_p80;
        total.evaluable_p10_p90 += s.evaluable_p10_p90;
        h50 += s.hit_p50;
        h80 += s.hit_p80;
        inside += s.inside_p10_p90;
        let m = &snapshot.metrics[i];
        rows.push(Row { project: m.project.clone(), metric: m.metric.clone(), summary: s });
    }
    total.p50_hit_rate = rate(h50, total.evaluable_p50);
    total.p80_hit_rate = rate(h80, total.evaluable_p80);
    total.p10_p90_coverage = rate(inside, total.evaluable_p10_p90);
    errors.sort_by(f64::total_cmp);
    total.median_p50_error_weeks = (!errors.is_empty()).then(|| errors[errors.len() / 2]);
    let verdicts = vec![
        verdict("on or before p50", h50, total.evaluable_p50, 0.5, Measure::Quantile("p50")),
        verdict("on or before p80", h80, total.evaluable_p80, 0.8, Measure::Quantile("p80")),
        verdict("inside p10–p90", inside, total.evaluable_p10_p90, 0.8, Measure::Range),
    ];
    if args.json {
        return out.json(&serde_json::json!({ "metrics": rows, "total": total, "verdicts": verdicts }));
    }
    let pct =
        |hit: usize, n: usize| rate(hit, n).map(|r| format!("{:.0}% of {n}", r * 100.0)).unwrap_or_else(|| "—".into());
    let mut t = table(["metric", "forecasts", "≤ p50", "≤ p80", "in p10–p90", "p50 error (wk)"]);
    for r in &rows {
        let s = &r.summary;
        t.add_row(vec![
            format!("{}/{}", r.project, r.metric),
            s.forecasts.to_string(),
            pct(s.hit_p50, s.evaluable_p50),
            pct(s.hit_p80, s.evaluable_p80),
            pct(s.inside_p10_p90, s.evaluable_p10_p90),
            s.median_p50_error_weeks.map(|e| format!("{e:.1}")).unwrap_or_else(|| "—".into()),
        ]);
    }
    t.add_row(vec![
        "all".to_string(),
        total.forecasts.to_string(),
        pct(h50, total.evaluable_p50),
        pct(h80, total.evaluable_p80),
        pct(inside, total.evaluable_p10_p90),
        total.median_p50_error_weeks.map(|e| format!("{e:.1}")).unwrap_or_else(|| "—".into()),
    ]);
    out.table(&t)?;
    out.line("")?;
    out.line("Over all metrics (95% intervals):")?;
    for v in &verdicts {
        out.paragraph(v)?;
    }
    Ok(())
}

/// What a share measures: the truth on or before a quantile, or inside a range.
enum Measure {
    Quantile(&'static str),
    Range,
}

/// One sentence judging `hits` of `n` against the share a calibrated
/// forecast gives (`expected`), from the figures alone: consistent when the
/// 95% (Wilson) interval holds it, too early or too late (too narrow or too
/// wide) when it clearly does not, and no verdict on too few forecasts.
fn verdict(what: &str, hits: usize, n: usize, expected: f64, measure: Measure) -> String {
    let want = format!("should be about {:.0}%", expected * 100.0);
    let Some((lo, hi)) = crate::deadlines::wilson(hits, n) else {
        return format!("{what}: no forecast could be checked yet ({want}).");
    };
    let share = hits as f64 / n as f64;
    let figures = format!("{:.0}% of {n} ({:.0}–{:.0}%)", share * 100.0, lo * 100.0, hi * 100.0);
    // Even all or none would be consistent: the count cannot tell anything.
    let (all_lo, _) = crate::deadlines::wilson(n, n).unwrap_or((0.0, 1.0));
    let (_, none_hi) = crate::deadlines::wilson(0, n).unwrap_or((0.0, 1.0));
    if all_lo <= expected && expected <= none_hi {
        return format!("{what}: {figures}, {want}: too few forecasts to tell.");
    }
    if lo <= expected && expected <= hi {
        return format!("{what}: {figures}, {want}: consistent with it.");
    }
    let judgement = match (measure, share < expected) {
        (Measure::Quantile(q), true) => {
            format!("{q} dates come too early, so these forecasts are optimistic; allow for later dates")
        }
        (Measure::Quantile(q), false) => {
            format!("{q} dates come too late, so these forecasts are pessimistic; expect earlier dates")
        }
        (Measure::Range, true) => "the range is too narrow: the forecasts understate their uncertainty".to_string(),
        (Measure::Range, false) => "the range is too wide: the forecasts overstate their uncertainty".to_string(),
    };
    format!("{what}: {figures}, {want}: {judgement}.")
}
