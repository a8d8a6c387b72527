//! `limfac backtest`: should you trust the forecasts on your own data?

use anyhow::Result;
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use super::Ctx;
use crate::core::analysis;
use crate::core::forecast::calibrate::DATED;
use crate::core::forecast::replay::{self, Figures, ReplayCase};
use crate::core::forecast::{Calibration, Reading, Status};
use crate::render::output::{table, Output};

/// Should you trust the forecasts? Replay history and score them
///
/// Replays each metric's history as of every past week with at least four
/// readings, forecasts from what was known then, and compares with what
/// happened: how often the truth fell on or before p10, p50, p80 and p90
/// (ideally 10%, 50%, 80%, 90%) and inside p10–p90 (ideally 80%), per metric,
/// per verdict and overall. Work not done yet counts as "later than it has
/// taken so far" (Kaplan–Meier), never as a hit or a miss it is not. The
/// dates are limfac's as of today: the shipped calibration corrected by this
/// organization's record; the shipped calibration's own figures are shown
/// beside them.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  limfac backtest\n  limfac backtest chips --json")]
pub struct BacktestArgs {
    /// PROJECT or PROJECT/METRIC [default: everything]
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::scopes))]
    scope: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    project: String,
    metric: String,
    #[serde(flatten)]
    figures: Figures,
    median_p50_error_weeks: Option<f64>,
}

#[derive(Serialize)]
struct VerdictRow {
    verdict: Status,
    /// With the calibration in use today.
    #[serde(flatten)]
    figures: Figures,
    /// With the calibration shipped with limfac, uncorrected.
    shipped: Figures,
}

#[derive(Serialize)]
struct Total {
    forecasts: usize,
    finished: usize,
    p10_hit_rate: Option<f64>,
    p50_hit_rate: Option<f64>,
    p80_hit_rate: Option<f64>,
    p90_hit_rate: Option<f64>,
    p10_p90_coverage: Option<f64>,
    median_p50_error_weeks: Option<f64>,
    shipped: Figures,
    verdict: String,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    crate::core::forecast::trend::median_in_place(&mut v)
}

/// Metrics whose readings are read and replayed together.
const BACKTEST_CHUNK: usize = 256;

/// What the figures read of one replayed forecast, worked out as it is replayed: a backtest
/// over a million readings replays some 400,000 forecasts, whose features took 70 MB.
struct Scored {
    status: Status,
    done: bool,
    /// The forecast's probability of done by the truth, with today's calibration
    /// (`Calibration::cdf`) and with the shipped one.
    pit: f64,
    pit_shipped: f64,
    /// |p50 − truth| in weeks, for a forecast whose work got done and that had a p50; NaN
    /// otherwise (not an `Option`: eight bytes less a forecast, four million of them at scale 10).
    p50_error: f64,
}

impl Scored {
    fn of(c: &ReplayCase, cal: &Calibration, shipped: &Calibration) -> Scored {
        Scored {
            status: c.features.status,
            done: c.done,
            pit: cal.cdf(&c.features, c.weeks),
            pit_shipped: shipped.cdf(&c.features, c.weeks),
            p50_error: if c.done { cal.quantile_weeks(&c.features, 0.5).map(|q| (q - c.weeks).abs()) } else { None }
                .unwrap_or(f64::NAN),
        }
    }
}

// The figures of one metric's replayed forecasts, read straight from them.

fn figures(scored: &[Scored]) -> Figures {
    replay::figures_of_pit_iter(scored.iter().map(|s| (s.pit, s.done)))
}

fn p50_errors(scored: &[Scored]) -> impl Iterator<Item = f64> + '_ {
    scored.iter().map(|s| s.p50_error).filter(|e| !e.is_nan())
}

/// What the figures over every metric read of the replayed forecasts, kept per verdict:
/// 8 bytes a forecast for each calibration ([`replay::pit_key`]) and 8 for the p50's error
/// of finished work. Four and a half million forecasts at scale 10 were 323 MB when each was
/// kept whole until the end.
#[derive(Default)]
struct Pooled {
    /// Per verdict (`Status as usize`): the keys with today's calibration and with the
    /// shipped one.
    today: [Vec<u64>; STATUSES],
    shipped: [Vec<u64>; STATUSES],
    p50_errors: Vec<f64>,
}

/// How many verdicts there are ([`Status`]'s variants).
const STATUSES: usize = 5;

impl Pooled {
    fn add(&mut self, scored: &[Scored]) {
        for s in scored {
            self.today[s.status as usize].push(replay::pit_key(s.pit, s.done));
            self.shipped[s.status as usize].push(replay::pit_key(s.pit_shipped, s.done));
        }
        self.p50_errors.extend(p50_errors(scored));
    }

    /// Sorts every verdict's keys, once, before the figures read them.
    fn sort(&mut self) {
        for keys in self.today.iter_mut().chain(self.shipped.iter_mut()) {
            keys.sort_unstable();
        }
    }

    fn figures_of(keys: &[Vec<u64>], verdicts: &[Status]) -> Figures {
        let parts: Vec<&[u64]> = verdicts.iter().map(|&v| keys[v as usize].as_slice()).collect();
        replay::figures_of_sorted_keys(&parts)
    }
}

/// Every verdict, in [`Status`]'s order.
const ALL: [Status; STATUSES] =
    [Status::Done, Status::Converging, Status::Stalled, Status::Diverging, Status::InsufficientData];

// `Pooled` indexes its arrays by `Status as usize`: checked when compiled.
const _: () = {
    let mut i = 0;
    while i < STATUSES {
        assert!(ALL[i] as usize == i);
        i += 1;
    }
};

pub fn run(args: BacktestArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let store = ctx.open_read()?;
    let scope = super::scope_arg(&store, args.scope.as_deref())?;
    let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    let today = ctx.clock.today;
    let horizon = ctx.settings.horizon_days;
    let org = crate::cli::forecasting::calibration_of(&store, &loaded, horizon, today)?;
    let cal = &org.calibration;
    let shipped = Calibration::shipped();
    let snapshot = &loaded.snapshot;
    let chosen: Vec<usize> =
        (0..snapshot.metrics.len()).filter(|&i| super::in_scope(&snapshot.metrics[i], &scope)).collect();
    let bar = crate::render::output::progress(out, Some(chosen.len() as u64), "backtesting");
    // A chunk of metrics at a time: their readings are read, replayed and dropped before the
    // next chunk's are read (every reading at once took 730 MB over ten million).
    let overlays = store.corrections_folded()?;
    // Each metric's row is worked out as soon as it is replayed; only what the figures over
    // every metric read is kept (`Pooled`).
    let mut rows: Vec<Row> = Vec::with_capacity(chosen.len());
    let mut pooled = Pooled::default();
    for chunk in chosen.chunks(BACKTEST_CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|&i| loaded.ids.metrics[i]).collect();
        let histories: Vec<replay::MetricHistory> = store
            .readings_of(&ids, &overlays)?
            .into_iter()
            .zip(chunk)
            .map(|(readings, &i)| replay::MetricHistory {
                key: snapshot.metrics[i].key(),
                spec: analysis::spec(&snapshot.metrics[i]),
                readings: readings.into_iter().map(|r| Reading { date: r.date, value: r.value }).collect(),
            })
            .collect();
        let replayed: Vec<(usize, Vec<Scored>)> = chunk
            .par_iter()
            .zip(&histories)
            .map(|(&i, m)| {
                bar.inc(1);
                let scored = replay::weekly_origins(m, today)
                    .into_iter()
                    .filter_map(|o| replay::replay_one(m, o, today, horizon))
                    .map(|c| Scored::of(&c, cal, shipped))
                    .collect();
                (i, scored)
            })
            .collect();
        for (i, scored) in replayed {
            let m = &snapshot.metrics[i];
            rows.push(Row {
                project: m.project.clone(),
                metric: m.metric.clone(),
                figures: figures(&scored),
                median_p50_error_weeks: median(p50_errors(&scored).collect()),
            });
            pooled.add(&scored);
        }
    }
    bar.finish_and_clear();
    pooled.sort();
    let verdicts: Vec<VerdictRow> = DATED
        .iter()
        .filter(|&&v| !pooled.today[v as usize].is_empty())
        .map(|&v| VerdictRow {
            verdict: v,
            figures: Pooled::figures_of(&pooled.today, &[v]),
            shipped: Pooled::figures_of(&pooled.shipped, &[v]),
        })
        .collect();
    let overall = Pooled::figures_of(&pooled.today, &ALL);
    let total = Total {
        forecasts: overall.forecasts,
        finished: overall.finished,
        p10_hit_rate: overall.below[0],
        p50_hit_rate: overall.below[1],
        p80_hit_rate: overall.below[2],
        p90_hit_rate: overall.below[3],
        p10_p90_coverage: overall.inside_p10_p90,
        median_p50_error_weeks: median(std::mem::take(&mut pooled.p50_errors)),
        shipped: Pooled::figures_of(&pooled.shipped, &ALL),
        verdict: replay::judge(&overall),
    };
    if args.json {
        return out.json(&serde_json::json!({ "metrics": rows, "verdicts": verdicts, "total": total }));
    }
    let pct = |x: Option<f64>| x.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "—".into());
    let cells = |name: String, f: &Figures, err: Option<f64>| {
        vec![
            name,
            f.forecasts.to_string(),
            f.finished.to_string(),
            pct(f.below[0]),
            pct(f.below[1]),
            pct(f.below[2]),
            pct(f.below[3]),
            pct(f.inside_p10_p90),
            err.map(|e| format!("{e:.1}")).unwrap_or_else(|| "—".into()),
        ]
    };
    let header = ["", "forecasts", "finished", "≤ p10", "≤ p50", "≤ p80", "≤ p90", "in p10–p90", "p50 error (wk)"];
    let mut t = table(header);
    for r in &rows {
        t.add_row(cells(format!("{}/{}", r.project, r.metric), &r.figures, r.median_p50_error_weeks));
    }
    for v in &verdicts {
        t.add_row(cells(format!("verdict {}", v.verdict), &v.figures, None));
    }
    t.add_row(cells("all".to_string(), &overall, total.median_p50_error_weeks));
    out.table(&t)?;
    out.text(format!(
        "Ideal: 10%, 50%, 80%, 90% on or before p10, p50, p80, p90; 80% inside p10–p90. {}",
        total.verdict
    ))?;
    Ok(())
}
