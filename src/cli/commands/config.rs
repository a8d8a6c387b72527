//! `limfac config`: the effective settings and where each came from.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::render::output::{table, Output};

/// Show the settings and where each came from
///
/// The default reviewer, the forecast horizon, the cadence threshold and the
/// report template, read from a TOML file in the platform config folder (or $LIMFAC_CONFIG).
#[derive(Debug, Args)]
#[command(
    after_help = "Example config.toml:\n  reviewer = \"elena\"\n  horizon_days = 1095\n  weekly_risk = 0.3\n  report_template = \"my-report.md\""
)]
pub struct ConfigArgs {
    #[command(subcommand)]
    cmd: ConfigCmd,
}

#[derive(Debug, Subcommand)]
enum ConfigCmd {
    /// Print the effective settings and where each came from
    Show {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: ConfigArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let ConfigCmd::Show { json } = args.cmd;
    let s = &ctx.settings;
    if json {
        return out.json(s);
    }
    let file = s.file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none)".into());
    let exists = s.file.as_ref().is_some_and(|p| p.is_file());
    out.line(format!("config file  {file}{}", if exists { "" } else { " (not present: defaults apply)" }))?;
    out.line(format!("database     {}", ctx.db_path()?.display()))?;
    if let Some(r) = std::env::var(crate::sync::REMOTE_VAR).ok().filter(|v| !v.trim().is_empty()) {
        out.line(format!("remote       {} (from ${})", crate::sync::redact(r.trim()), crate::sync::REMOTE_VAR))?;
    }
    out.line("")?;
    let mut t = table(["setting", "value", "from"]);
    for (k, v, from) in &s.sources {
        t.add_row(vec![k.clone(), v.clone(), from.clone()]);
    }
    out.table(&t)?;
    Ok(())
}
