//! `limfac calibration`: are 50% deadlines met about half the time?

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::analysis;
use crate::deadlines;
use crate::output::{table, Output};

/// Are 50% deadlines met about half the time?
///
/// How often resolved deadlines were met, grouped by the chance they had when
/// set. 50% deadlines should be met about half the time: met clearly more
/// often means they are too soft (slack invites expansion), clearly less
/// means too aggressive. "Clearly" uses a 95% binomial (Wilson) interval, so
/// a handful of deadlines is never over-read.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  limfac calibration")]
pub struct CalibrationArgs {
    #[arg(long)]
    json: bool,
}

pub fn run(args: CalibrationArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let today = ctx.clock.today;
    let store = ctx.open_read()?;
    let snapshot = store.snapshot()?;
    let done = analysis::done_dates(&snapshot, today);
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
