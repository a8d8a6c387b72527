//! `limfac doctor`: is the database healthy?

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::core::error::UserError;
use crate::render::output::{table, Output};

/// Check the database's health
///
/// SQLite integrity, foreign keys, schema version, and how many of each
/// thing it holds; and whether the configuration can be used (the config
/// file, and the report template it names). Exits 1 when a check fails.
///
/// With --rebuild-cache, first drops the derived data (cached forecasts and
/// calibrations, never a source of truth) and computes this week's and last
/// week's forecasts again.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  limfac doctor\n  limfac doctor --rebuild-cache")]
pub struct DoctorArgs {
    #[arg(long)]
    json: bool,
    /// Drop the cached forecasts and calibrations and compute them again
    #[arg(long)]
    rebuild_cache: bool,
}

pub fn run(args: DoctorArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    if args.rebuild_cache {
        rebuild_cache(ctx, out)?;
    }
    let store = ctx.open_read()?;
    let d = store.doctor()?;
    // The configuration: a broken file, else a file it names that cannot be read.
    let config = ctx.config_error().or_else(|| ctx.settings.problem());
    let config_line = config.as_ref().map(|e| crate::cli::error::explain(e).0);
    if args.json {
        let mut v = serde_json::to_value(&d)?;
        if let (Some(line), Some(map)) = (&config_line, v.as_object_mut()) {
            map.insert("config_problem".into(), line.clone().into());
        }
        out.json(&v)?;
    } else {
        out.line(format!("database        {}", d.path))?;
        out.line(format!("schema version  {} (this build: {})", d.schema_version, d.supported_version))?;
        out.line(format!("integrity       {}", d.integrity.join("; ")))?;
        out.line(format!("foreign keys    {} violation(s)", d.foreign_key_violations))?;
        let mut t = table(["table", "rows"]);
        for (name, n) in &d.counts {
            t.add_row(vec![name.clone(), n.to_string()]);
        }
        out.table(&t)?;
        if let Some(line) = &config_line {
            out.line(format!("config          {line}"))?;
        }
    }
    if !d.healthy() {
        return Err(UserError::new(format!("database {} failed its checks", d.path))
            .hint("restore from a backup (limfac backup) and report the problem")
            .into());
    }
    if let Some(e) = config {
        return Err(e.context("the configuration failed its checks"));
    }
    Ok(())
}

/// Drops every cached forecast and calibration, then fills the cache again as a weekly
/// report would (as of today and a week before).
fn rebuild_cache(ctx: &Ctx, out: &mut Output) -> Result<()> {
    // A missing database is refused, never created.
    drop(ctx.open_read()?);
    let dropped = {
        let mut store = ctx.open()?;
        store.clear_caches()?
    };
    let store = ctx.open_read()?;
    let loaded = crate::cli::forecasting::Loaded::without_points(&store)?;
    let forecaster = crate::cli::forecasting::Forecaster::new(&store, &loaded, ctx.settings.horizon_days);
    let today = ctx.clock.today;
    let mut asks = vec![(today, false)];
    asks.extend(today.checked_sub_days(chrono::Days::new(7)).map(|d| (d, false)));
    forecaster.outlooks(&asks)?;
    out.note(format!(
        "dropped {dropped} cached row(s); forecast {} metric(s) as of {}",
        loaded.snapshot.metrics.len(),
        asks.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>().join(" and ")
    ));
    Ok(())
}
