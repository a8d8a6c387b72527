//! `limfac engineer`: the people who report, and the org chart.

use anyhow::Result;
use clap::{Args, Subcommand};

use serde::Serialize;

use super::Ctx;
use crate::core::model::Engineer;
use crate::core::report;
use crate::core::validate;
use crate::render::output::{num, table, Output};
use crate::render::tables::status_cell;
use crate::store::BlockerFilter;

/// Engineers: the people who report progress, and who they report to.
///
/// The reporting lines give the skip-level depth: how many levels below the
/// reviewer each speaker sits.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac engineer add musk --name 'Elon'\n  limfac engineer add wang-xm --name '王小明' --reports-to musk\n  limfac engineer show wang-xm"
)]
pub struct EngineerArgs {
    #[command(subcommand)]
    cmd: EngineerCmd,
}

#[derive(Debug, Subcommand)]
enum EngineerCmd {
    /// Add an engineer
    Add {
        /// Lowercase letters, digits and '-'
        handle: String,
        #[arg(long)]
        name: String,
        /// Their manager's handle
        #[arg(long = "reports-to", value_name = "HANDLE", add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
        reports_to: Option<String>,
    },
    /// Change an engineer's name or manager (a reporting loop is refused)
    Edit {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
        handle: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "reports-to", value_name = "HANDLE", add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
        reports_to: Option<String>,
    },
    /// List engineers
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one engineer
    Show {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::engineers))]
        handle: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: EngineerArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match args.cmd {
        EngineerCmd::Add { handle, name, reports_to } => {
            let e = Engineer {
                handle: validate::handle("engineer", &handle)?,
                name: validate::text("--name", &name)?,
                reports_to: reports_to.map(|r| validate::handle("--reports-to", &r)).transpose()?,
            };
            let mut store = ctx.open()?;
            store.add_engineer(&e)?;
            out.note(format!("added engineer {} ({})", e.handle, e.name));
            Ok(())
        }
        EngineerCmd::Edit { handle, name, reports_to } => {
            let handle = validate::handle("engineer", &handle)?;
            let name = name.map(|n| validate::text("--name", &n)).transpose()?;
            let boss = reports_to.map(|r| validate::handle("--reports-to", &r)).transpose()?;
            let mut store = ctx.open()?;
            store.edit_engineer(&handle, name.as_deref(), boss.as_deref())?;
            out.note(format!("updated engineer {handle}"));
            Ok(())
        }
        EngineerCmd::List { json } => {
            let store = ctx.open_read()?;
            let engineers = store.engineers()?;
            if json {
                return out.json(&engineers);
            }
            let mut t = table(["engineer", "name", "reports to"]);
            for e in &engineers {
                t.add_row(vec![e.handle.clone(), e.name.clone(), e.reports_to.clone().unwrap_or_default()]);
            }
            out.table(&t)?;
            Ok(())
        }
        EngineerCmd::Show { handle, json } => show(ctx, out, &handle, json),
    }
}

#[derive(Serialize)]
struct MetricLine {
    metric: String,
    status: crate::core::forecast::Status,
    p50: Option<chrono::NaiveDate>,
    last_value: Option<f64>,
    last_reported: Option<chrono::NaiveDate>,
    readings: usize,
}

#[derive(Serialize)]
struct ReviewLine {
    review: i64,
    date: chrono::NaiveDate,
    kind: crate::core::model::ReviewKind,
    reviewer: Option<String>,
    points: i64,
    /// How many levels below the reviewer the engineer sat (1 = direct report).
    levels_below_reviewer: Option<u32>,
}

/// The engineer's view: what they report on and how it is going, when they
/// were last heard, their open blockers, and the meetings they spoke in.
fn show(ctx: &Ctx, out: &mut Output, handle: &str, json: bool) -> Result<()> {
    let handle = validate::handle("engineer", handle)?;
    let store = ctx.open_read()?;
    let e = store.engineer(&handle)?;
    let today = ctx.clock.today;
    // Their own readings alone (through the engineer index) say what they report on; the
    // forecasts of those metrics come from the cache or read those metrics' readings.
    let mut loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    loaded.snapshot.observations = store.engineer_observations(&handle, &loaded.ids)?;
    let activity = report::activity(&loaded.snapshot, &handle);
    loaded.snapshot.observations = Vec::new();
    let snapshot = &loaded.snapshot;
    let last_heard = activity.last_heard;
    let reviews: Vec<ReviewLine> = store
        .reviews_of(&handle)?
        .into_iter()
        .map(|r| ReviewLine {
            levels_below_reviewer: r.reviewer.as_deref().and_then(|rv| report::levels_below(snapshot, &handle, rv)),
            review: r.review,
            date: r.date,
            kind: r.kind,
            reviewer: r.reviewer,
            points: r.points,
        })
        .collect();
    let blockers = store.blockers(&BlockerFilter { engineer: Some(handle.clone()), ..Default::default() })?;
    // Forecast only the metrics they report on.
    let mine = activity.reports_on();
    let subset = loaded.restrict(&mine);
    let outlook =
        crate::cli::forecasting::Forecaster::new(&store, &subset, ctx.settings.horizon_days).outlook(today, false)?;
    let kept: Vec<usize> = (0..mine.len()).filter(|&i| mine[i]).collect();
    let metrics: Vec<MetricLine> = outlook
        .views
        .iter()
        .zip(&kept)
        .map(|(v, &i)| MetricLine {
            metric: format!("{}/{}", v.project, v.metric),
            status: v.status,
            p50: v.p50,
            last_value: v.last_value,
            last_reported: activity.last_reported[i],
            readings: activity.readings[i],
        })
        .collect();
    if json {
        return out.json(&serde_json::json!({
            "engineer": e, "last_heard": last_heard, "metrics": metrics, "blockers": blockers, "reviews": reviews,
        }));
    }
    out.line(format!("{} — {}", e.handle, e.name))?;
    out.line(format!("reports to  {}", e.reports_to.as_deref().unwrap_or("-")))?;
    let silent = last_heard
        .map(|d| match (today - d).num_days() {
            0 => format!("{d} (today)"),
            1 => format!("{d} (1 day ago)"),
            n => format!("{d} ({n} days ago)"),
        })
        .unwrap_or_else(|| "never".into());
    out.line(format!("last heard  {silent}"))?;
    out.line("")?;
    let mut t = table(["metric", "status", "last", "p50", "readings", "last reported"]);
    for m in &metrics {
        t.add_row(vec![
            m.metric.clone().into(),
            status_cell(out, m.status),
            m.last_value.map(num).unwrap_or_else(|| "—".into()).into(),
            m.p50.map(|d| d.to_string()).unwrap_or_else(|| "—".into()).into(),
            m.readings.to_string().into(),
            comfy_table::Cell::from(m.last_reported.map(|d| d.to_string()).unwrap_or_default()),
        ]);
    }
    out.table(&t)?;
    if !blockers.is_empty() {
        out.line("")?;
        out.line("open blockers:")?;
        for b in &blockers {
            out.paragraph(format!(
                "#{} [{}] {} (on {}{}, since {})",
                b.id,
                b.category,
                b.text,
                b.project,
                b.metric.as_deref().map(|m| format!("/{m}")).unwrap_or_default(),
                b.opened
            ))?;
        }
    }
    out.line("")?;
    let mut t = table(["review", "date", "kind", "reviewer", "points", "levels below reviewer"]);
    for r in &reviews {
        t.add_row(vec![
            r.review.to_string(),
            r.date.to_string(),
            r.kind.to_string(),
            r.reviewer.clone().unwrap_or_default(),
            r.points.to_string(),
            r.levels_below_reviewer.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        ]);
    }
    out.table(&t)?;
    Ok(())
}
