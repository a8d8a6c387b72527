//! `limfac report`: the weekly limiting-factor report.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::Weekday;
use clap::{Args, ValueEnum};

use super::{write_private, Ctx};
use crate::core::error::UserError;
use crate::core::report;
use crate::core::validate;
use crate::render::output::Output;
use crate::render::template as render;

/// The weekly report: the one limiting factor, and where review time goes
///
/// The limiting factor and why, what changed since last week, off-path
/// alarms, projects with their 50%/80% dates and chance of meeting their
/// deadline, where to spend review time, open blockers, and who has not been
/// heard from.
///
/// Markdown goes to standard output by default; HTML is one self-contained
/// file (inline CSS and charts, no network requests).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  limfac report\n  limfac report --week 2026-W47 --format html --out week47.html\n  limfac report --format json | jq .limiting_factor"
)]
pub struct ReportArgs {
    /// Judge as if this were today
    #[arg(long, conflicts_with = "week")]
    as_of: Option<String>,
    /// The week to report on, YYYY-Www (as of its Sunday, or today if earlier)
    #[arg(long)]
    week: Option<String>,
    #[arg(long, value_enum, default_value = "md")]
    format: ReportFormat,
    /// The same as --format json (every command that shows data takes --json)
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Write here instead of standard output
    #[arg(long)]
    out: Option<PathBuf>,
    /// Your own Markdown or HTML template (minijinja syntax), instead of the built-in one
    #[arg(long)]
    template: Option<PathBuf>,
    /// Count skip-level depth from this engineer [default: the top of the org chart]
    #[arg(long)]
    reviewer: Option<String>,
    /// Also show the limiting factor week by week over the last WEEKS weeks,
    /// this one included (each week is a full forecast, so a large
    /// organization takes longer)
    #[arg(long, value_name = "WEEKS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=104))]
    history: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    #[value(alias = "markdown")]
    Md,
    Html,
    Json,
}

pub fn run(mut args: ReportArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    if args.json {
        args.format = ReportFormat::Json;
    }
    let today = ctx.clock.today;
    let as_of = match (&args.as_of, &args.week) {
        (Some(d), _) => validate::as_of("--as-of", d, today)?,
        (None, Some(w)) => {
            let monday = validate::parse_iso_week(w).ok_or_else(|| {
                UserError::new(format!("--week {} is not an ISO week", validate::show(w)))
                    .hint("use YYYY-Www, e.g. 2026-W48")
            })?;
            if monday > today {
                crate::user_bail!("--week {w} has not started yet (today is {today})");
            }
            let sunday = chrono::NaiveDate::from_isoywd_opt(
                chrono::Datelike::iso_week(&monday).year(),
                chrono::Datelike::iso_week(&monday).week(),
                Weekday::Sun,
            )
            .unwrap_or(monday);
            sunday.min(today)
        }
        (None, None) => today,
    };
    let reviewer = args.reviewer.as_deref().map(|r| validate::handle("--reviewer", r)).transpose()?;
    let template = match (&args.template, args.format) {
        (Some(_), ReportFormat::Json) => crate::user_bail!("--template does not apply to --format json"),
        (Some(path), _) => Some(
            crate::platform::files::read_small_text(path, crate::platform::files::MAX_TEMPLATE_BYTES)
                .with_context(|| format!("cannot read template {}", path.display()))?,
        ),
        // The configured template is the built-in one's stand-in for text
        // reports only: JSON never reads it.
        (None, ReportFormat::Json) => None,
        (None, _) => ctx.settings.report_template()?,
    };
    if let Some(path) = &args.out {
        // Fail before the work, not after.
        super::check_out_path(path)?;
    }
    let store = ctx.open_read()?;
    if let Some(r) = &reviewer {
        store.engineer(r)?;
    }
    // Readings are read only where the forecast cache does not already hold a metric's
    // forecast, and, for the HTML report, the charted metric's (`Forecaster::charted`).
    let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    let snapshot = &loaded.snapshot;
    // A large organization takes a moment: say so on a terminal.
    let bar = if snapshot.metrics.len() >= 200 {
        crate::render::output::progress(out, None, &format!("forecasting {} metrics…", snapshot.metrics.len()))
    } else {
        indicatif::ProgressBar::hidden()
    };
    let forecaster = crate::cli::forecasting::Forecaster::new(&store, &loaded, ctx.settings.horizon_days);
    // The reviewer is the one given, else the configured one, else the top of the org chart.
    let policy = report::Policy {
        reviewer: reviewer.as_deref().or(ctx.settings.reviewer.as_deref()),
        weekly_risk: ctx.settings.weekly_risk,
    };
    let built = crate::render::report::build(
        snapshot,
        as_of,
        &policy,
        args.format == ReportFormat::Html,
        args.history,
        &crate::render::report::Sources {
            at: &|asks| forecaster.outlooks(asks),
            each: &|asks, f| forecaster.outlooks_each(asks, f),
            fan_of: &|as_of, m| forecaster.charted(as_of, m),
        },
    );
    bar.finish_and_clear();
    let (report, charts) = built?;
    let text = match args.format {
        ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        ReportFormat::Md => {
            rendered(render::render(&report, template.as_deref().unwrap_or(render::MARKDOWN), false, &charts))?
        }
        ReportFormat::Html => {
            rendered(render::render(&report, template.as_deref().unwrap_or(render::HTML), true, &charts))?
        }
    };
    match &args.out {
        Some(path) => {
            write_private(path, text.as_bytes())?;
            out.note(format!("wrote the {} report to {}", report.week, path.display()));
        }
        None => out.raw(text.as_bytes())?,
    }
    Ok(())
}

/// A rendered report, or one error line saying why the template failed.
fn rendered(r: Result<String, render::RenderError>) -> Result<String> {
    r.map_err(|e| match e {
        render::RenderError::Template(t) => anyhow::Error::new(t).context("cannot render the report template"),
        limit => crate::core::error::UserError::new(limit.to_string())
            .hint("the built-in templates stay well within these limits; start from one of them")
            .into(),
    })
}
