//! `limfac deadline`: 50%-probability deadlines, their slips and a calendar.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{write_private, Ctx};
use crate::core::analysis;
use crate::core::deadlines::{self, Outcome};
use crate::core::error::UserError;
use crate::core::model::{Deadline, Snapshot};
use crate::core::validate;
use crate::formats::ics;
use crate::render::output::{table, Color, Output};

/// Deadlines at 50% probability: set, move, list, export
///
/// A deadline is the most aggressive date that still has even odds. Half of
/// them will be missed, on purpose: a slack deadline expands the work to
/// fill it.
///
/// `set --p50` takes today's 50% date of the metric or of the whole project
/// (its dependencies included); `set --date` records the chance the chosen
/// date has now, and warns when it is slack (after p80) or fantasy (before
/// p10). Every change is kept as history.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac deadline set chips --p50 --reason 'lot 9 replanned'\n  limfac deadline set power/array-output-kw --date 2027-02-01\n  limfac deadline list\n  limfac deadline history\n  limfac deadline ics --out deadlines.ics"
)]
pub struct DeadlineArgs {
    #[command(subcommand)]
    cmd: DeadlineCmd,
}

#[derive(Debug, Subcommand)]
enum DeadlineCmd {
    /// Set (or move) the deadline of a project or a metric
    #[command(group = clap::ArgGroup::new("when").required(true).args(["p50", "date"]))]
    Set {
        /// PROJECT or PROJECT/METRIC
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::scopes))]
        scope: String,
        /// Use today's 50% completion date
        #[arg(long, group = "when")]
        p50: bool,
        /// A chosen date (its chance now is recorded)
        #[arg(long, group = "when")]
        date: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        /// Set it as of this date (default today)
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Active deadlines with today's chance of being met
    List {
        #[arg(long)]
        json: bool,
    },
    /// Every change of every deadline: slips per scope
    History {
        #[arg(long)]
        json: bool,
    },
    /// Write active deadlines as an iCalendar file (stable UIDs: calendars update, not duplicate)
    Ics {
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(args: DeadlineArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match args.cmd {
        DeadlineCmd::Set { scope, p50, date, reason, as_of } => set(ctx, out, &scope, p50, date, reason, as_of),
        DeadlineCmd::List { json } => list(ctx, out, json),
        DeadlineCmd::History { json } => history(ctx, out, json),
        DeadlineCmd::Ics { out: path } => calendar(ctx, out, &path),
    }
}

fn set(
    ctx: &Ctx,
    out: &mut Output,
    scope: &str,
    use_p50: bool,
    date: Option<String>,
    reason: Option<String>,
    as_of: Option<String>,
) -> Result<()> {
    let today = ctx.clock.today;
    let (project, metric) = validate::scope("scope", scope)?;
    let as_of = as_of.map(|d| validate::as_of("--as-of", &d, today)).transpose()?.unwrap_or(today);
    let chosen = date.map(|d| validate::future_date("--date", &d, today)).transpose()?;
    let reason = reason.map(|r| validate::entered("--reason", &r)).transpose()?;
    let mut store = ctx.open()?;
    super::live_scope(&store, &project, metric.as_deref())?;
    let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    let outlook =
        crate::cli::forecasting::Forecaster::new(&store, &loaded, ctx.settings.horizon_days).outlook(as_of, false)?;
    let snapshot = &loaded.snapshot;
    let odds = analysis::odds(&outlook, snapshot, &project, metric.as_deref());
    let due = match (use_p50, chosen) {
        (true, _) => odds.p50.ok_or_else(|| {
            let status = match &metric {
                Some(m) => outlook.forecasts[snapshot.metric_index(&project, m).expect("exists")].reason.clone(),
                None => "the project has no 50% completion date within the horizon".to_string(),
            };
            UserError::new(format!("{scope} has no 50% date to set: {status}"))
                .hint("choose a date with --date, or change the plan until success is among the outcomes")
        })?,
        (false, Some(d)) => d,
        (false, None) => unreachable!("clap requires --p50 or --date"),
    };
    if due < as_of {
        crate::user_bail!("deadline {due} for {scope} is before {as_of}; a deadline must be in the future");
    }
    let probability = analysis::chance(&outlook, snapshot, &project, metric.as_deref(), due);
    let previous = deadlines::active(&snapshot.deadlines)
        .into_iter()
        .find(|d| d.project == project && d.metric == metric)
        .map(|d| d.due);
    if let Some(w) = deadlines::check_date(due, odds.p10, odds.p80) {
        eprintln!("warning: {w}");
    }
    if let Some(p) = probability.filter(|_| deadlines::is_off_path(false, probability)) {
        eprintln!(
            "warning: {scope} has a {} chance of meeting {due} as of {as_of}: this deadline is off path from the \
             start; a 50% deadline is {}",
            crate::core::format::chance(p),
            odds.p50.map(|d| d.to_string()).unwrap_or_else(|| "beyond the horizon".into())
        );
    }
    store.set_deadline(&Deadline {
        id: 0,
        project: project.clone(),
        metric: metric.clone(),
        due,
        probability,
        reason,
        set_on: as_of,
    })?;
    let chance = probability.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "unknown".into());
    let moved = match previous {
        Some(p) if p != due => format!(", moved from {p} ({:+} days)", (due - p).num_days()),
        Some(_) => ", unchanged date".to_string(),
        None => String::new(),
    };
    out.note(format!("deadline for {scope} set to {due}: {chance} chance of being met as of {as_of}{moved}"));
    Ok(())
}

#[derive(Serialize)]
struct ActiveRow {
    scope: String,
    due: NaiveDate,
    set_on: NaiveDate,
    probability_when_set: Option<f64>,
    p_on_time: Option<f64>,
    off_path: bool,
    outcome: Outcome,
    reason: Option<String>,
}

/// The whole organization today: its snapshot, its outlook, and the day
/// each scope got done (for `list` and `ics`).
fn organization_today(ctx: &Ctx) -> Result<(Snapshot, analysis::Outlook, HashMap<String, NaiveDate>)> {
    let today = ctx.clock.today;
    let store = ctx.open_read()?;
    // The forecasts come from the cache or are computed a chunk at a time; the done dates
    // read the readings of the metrics that decide the deadlines' scopes only.
    let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    let forecaster = crate::cli::forecasting::Forecaster::new(&store, &loaded, ctx.settings.horizon_days);
    let outlook = forecaster.outlook(today, false)?;
    let done = forecaster.deadline_done_dates(today)?;
    drop(forecaster);
    Ok((loaded.snapshot, outlook, done))
}

fn list(ctx: &Ctx, out: &mut Output, json: bool) -> Result<()> {
    let today = ctx.clock.today;
    let (snapshot, outlook, done) = organization_today(ctx)?;
    let rows: Vec<ActiveRow> = deadlines::active(&snapshot.deadlines)
        .into_iter()
        .map(|d| {
            let outcome = deadlines::resolve(d.due, done.get(&d.scope()).copied(), today);
            let p_on_time = if outcome.is_resolved() {
                None
            } else {
                analysis::chance(&outlook, &snapshot, &d.project, d.metric.as_deref(), d.due)
            };
            ActiveRow {
                scope: d.scope(),
                due: d.due,
                set_on: d.set_on,
                probability_when_set: d.probability,
                p_on_time,
                off_path: deadlines::is_off_path(outcome.is_resolved(), p_on_time),
                outcome,
                reason: d.reason.clone(),
            }
        })
        .collect();
    if json {
        return out.json(&rows);
    }
    let pct = |p: Option<f64>| p.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "—".into());
    let mut t = table(["scope", "due", "set on", "chance when set", "chance now", "outcome", "reason"]);
    for r in &rows {
        let now = if r.off_path {
            out.cell(format!("{} OFF PATH", pct(r.p_on_time)), Color::Red)
        } else {
            pct(r.p_on_time).into()
        };
        t.add_row(vec![
            r.scope.clone().into(),
            r.due.to_string().into(),
            r.set_on.to_string().into(),
            pct(r.probability_when_set).into(),
            now,
            r.outcome.to_string().into(),
            comfy_table::Cell::from(r.reason.clone().unwrap_or_default()),
        ]);
    }
    out.table(&t)?;
    Ok(())
}

fn history(ctx: &Ctx, out: &mut Output, json: bool) -> Result<()> {
    let store = ctx.open_read()?;
    let all = store.deadlines()?;
    let histories = deadlines::histories(&all);
    if json {
        return out.json(&histories);
    }
    for h in &histories {
        out.line(format!(
            "{} — {} change(s), {} slip(s), {} day(s) slipped in all",
            h.scope,
            h.changes.len(),
            h.slips,
            h.slip_days
        ))?;
        let mut t = table(["set on", "due", "was", "moved", "chance when set", "reason"]);
        for c in &h.changes {
            t.add_row(vec![
                c.deadline.set_on.to_string(),
                c.deadline.due.to_string(),
                c.previous_due.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                if c.previous_due.is_some() { format!("{:+} d", c.slip_days) } else { String::new() },
                c.deadline.probability.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "—".into()),
                c.deadline.reason.clone().unwrap_or_default(),
            ]);
        }
        out.table(&t)?;
        out.line("")?;
    }
    if histories.is_empty() {
        out.note("no deadlines yet: set one with limfac deadline set SCOPE --p50");
    }
    Ok(())
}

fn calendar(ctx: &Ctx, out: &mut Output, path: &std::path::Path) -> Result<()> {
    super::check_out_path(path)?;
    let today = ctx.clock.today;
    let (snapshot, outlook, done) = organization_today(ctx)?;
    let events: Vec<ics::Event> = deadlines::histories(&snapshot.deadlines)
        .iter()
        .filter_map(|h| {
            let d = h.active();
            let open = !deadlines::resolve(d.due, done.get(&h.scope).copied(), today).is_resolved();
            let now =
                if open { analysis::chance(&outlook, &snapshot, &d.project, d.metric.as_deref(), d.due) } else { None };
            ics::event_for(h, now)
        })
        .collect();
    let text = ics::calendar(&events, ctx.clock.now);
    write_private(path, text.as_bytes())?;
    out.note(format!("wrote {} deadline(s) to {}", events.len(), path.display()));
    Ok(())
}
