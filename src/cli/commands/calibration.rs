//! `limfac calibration`: are 50% deadlines met about half the time? And with `--forecasts`:
//! how did the forecasts fare on this organization's own history, and what correction does
//! that record apply to today's dates?

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::core::deadlines;
use crate::render::output::{table, Output};

/// Are 50% deadlines met about half the time?
///
/// How often resolved deadlines were met, grouped by the chance they had when
/// set. 50% deadlines should be met about half the time: met clearly more
/// often means they are too soft (slack invites expansion), clearly less
/// means too aggressive. "Clearly" uses a 95% binomial (Wilson) interval, so
/// a handful of deadlines is never over-read.
///
/// With --forecasts: every metric's history replayed at past dates (up to 400
/// forecasts over the last two years, each from what was known then) shows,
/// per verdict and overall, how often the truth fell on or before p10, p50,
/// p80 and p90 — with the calibration shipped with limfac, and with the
/// correction this record applies to today's dates — and how much history
/// that rests on.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac calibration\n  limfac calibration --forecasts\n  limfac calibration --forecasts --json"
)]
pub struct CalibrationArgs {
    /// Show how the forecasts fared on this organization's history and the correction in use
    #[arg(long)]
    forecasts: bool,
    /// Judge as if this were today (only readings up to it are used)
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[arg(long)]
    json: bool,
}

/// One verdict's line of `calibration --forecasts --json`.
#[derive(serde::Serialize)]
struct VerdictCalibration {
    verdict: crate::core::forecast::Status,
    forecasts: usize,
    finished: usize,
    /// Share of replayed truths on or before p10, p50, p80, p90 with the shipped calibration.
    shipped: [Option<f64>; 4],
    /// The same with the correction in use (in sample: measured on the history it learned from).
    corrected: [Option<f64>; 4],
    /// The correction: for p10, p50, p80, p90, the level of the shipped distribution read now.
    correction: [f64; 4],
    /// Enough history, but its correction held back: learned from the earlier half of the
    /// record, it did not make the later half better calibrated.
    held_back: bool,
}

fn forecasts(args: &CalibrationArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let as_of = ctx.as_of(args.as_of.as_deref())?;
    let store = ctx.open_read()?;
    // The calibration reads the readings it needs (or none, when it is cached).
    let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    let org = crate::cli::forecasting::calibration_of(&store, &loaded, ctx.settings.horizon_days, as_of)?;
    let shipped = crate::core::forecast::Calibration::shipped();
    let levels = |status| -> [f64; 4] {
        // The corrected distribution reads the shipped one at these levels (counts-like and
        // other metrics share a verdict's correction).
        match (org.calibration.model(status, false), shipped.model(status, false)) {
            (Some(now), Some(base)) => {
                crate::core::forecast::replay::TAUS.map(|t| base.levels.to_nominal(now.levels.to_model(t)))
            }
            _ => crate::core::forecast::replay::TAUS,
        }
    };
    let rows: Vec<VerdictCalibration> = org
        .record
        .verdicts
        .iter()
        .map(|(v, base, now)| VerdictCalibration {
            verdict: *v,
            forecasts: base.forecasts,
            finished: base.finished,
            shipped: base.below,
            corrected: now.below,
            correction: levels(*v),
            held_back: org.record.held_back.contains(v),
        })
        .collect();
    let (base, now) = &org.record.overall;
    if args.json {
        return out.json(&serde_json::json!({
            "as_of": as_of,
            "metrics": org.record.metrics,
            "forecasts": base.forecasts,
            "finished": base.finished,
            "verdicts": rows,
            "overall": { "shipped": base.below, "corrected": now.below,
                         "shipped_inside_p10_p90": base.inside_p10_p90, "corrected_inside_p10_p90": now.inside_p10_p90 },
            "verdict": crate::core::forecast::replay::judge(now),
        }));
    }
    let pct = |x: Option<f64>| x.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "—".into());
    out.line(format!(
        "Forecasts replayed on this organization's history as of {as_of}: {} forecasts over {} metrics, {} finished by then.",
        base.forecasts, org.record.metrics, base.finished
    ))?;
    out.line("")?;
    let mut t = table(["verdict", "forecasts", "finished", "calibration", "≤ p10", "≤ p50", "≤ p80", "≤ p90"]);
    for r in &rows {
        let shipped_cells = r.shipped.map(pct);
        let corrected_cells = r.corrected.map(pct);
        let mut a = vec![r.verdict.to_string(), r.forecasts.to_string(), r.finished.to_string(), "shipped".into()];
        a.extend(shipped_cells);
        t.add_row(a);
        let mut b = vec![String::new(), String::new(), String::new(), "corrected".into()];
        b.extend(corrected_cells);
        t.add_row(b);
    }
    let mut a = vec!["all".into(), base.forecasts.to_string(), base.finished.to_string(), "shipped".into()];
    a.extend(base.below.map(pct));
    t.add_row(a);
    let mut b = vec![String::new(), String::new(), String::new(), "corrected".into()];
    b.extend(now.below.map(pct));
    t.add_row(b);
    out.table(&t)?;
    out.line("Ideal: 10%, 50%, 80%, 90%. Work not done yet counts as later than it has taken so far.")?;
    out.line("")?;
    out.line("Correction in use (the shipped distribution's level read for each date):")?;
    for r in &rows {
        let c = r.correction;
        out.line(format!(
            "  {}: p10 ← {:.0}%, p50 ← {:.0}%, p80 ← {:.0}%, p90 ← {:.0}%{}",
            r.verdict,
            100.0 * c[0],
            100.0 * c[1],
            100.0 * c[2],
            100.0 * c[3],
            if r.held_back {
                " (none: learned from the earlier half of this record, it did not make the later half better calibrated)"
            } else if c.iter().zip(crate::core::forecast::replay::TAUS).all(|(a, b)| (a - b).abs() < 0.005) {
                " (none: too little history for this verdict)"
            } else {
                ""
            }
        ))?;
    }
    out.line(crate::core::forecast::replay::judge(now))?;
    Ok(())
}

pub fn run(args: CalibrationArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    if args.forecasts {
        return forecasts(&args, ctx, out);
    }
    let today = ctx.clock.today;
    let store = ctx.open_read()?;
    // Only the readings of the metrics that decide the deadlines' scopes are read.
    let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    let snapshot = &loaded.snapshot;
    let done = crate::cli::forecasting::Forecaster::new(&store, &loaded, ctx.settings.horizon_days)
        .deadline_done_dates(today)?;
    let predictions = deadlines::predictions(&snapshot.deadlines, |scope| done.get(scope).copied(), today);
    let cal = deadlines::calibration(&predictions);
    if args.json {
        return out.json(&cal);
    }
    out.line(&cal.headline)?;
    out.line("")?;
    let mut t = table(["set at", "resolved", "met", "share met", "95% interval", "expected", "verdict"]);
    for g in &cal.groups {
        t.add_row(vec![
            g.label.clone(),
            g.n.to_string(),
            g.met.to_string(),
            g.share.map(|s| format!("{:.0}%", s * 100.0)).unwrap_or_else(|| "—".into()),
            g.interval.map(|(a, b)| format!("{:.0}–{:.0}%", a * 100.0, b * 100.0)).unwrap_or_else(|| "—".into()),
            g.expected.map(|e| format!("{:.0}%", e * 100.0)).unwrap_or_else(|| "—".into()),
            g.verdict.to_string(),
        ]);
    }
    out.table(&t)?;
    Ok(())
}
