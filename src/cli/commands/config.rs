//! `limfac config`: the effective settings and where each came from.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Ctx;
use crate::render::output::{table, Output};

/// Show the settings and where each came from
///
/// The default reviewer, the forecast horizon, the cadence threshold and the
/// report template, read from a TOML file in the platform config folder (or $LIMFAC_CONFIG).
/// `limfac config` alone is `limfac config show`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example config.toml:\n  reviewer = \"elena\"\n  horizon_days = 1095\n  weekly_risk = 0.3\n  report_template = \"my-report.md\""
)]
pub struct ConfigArgs {
    #[command(subcommand)]
    cmd: Option<ConfigCmd>,
}

#[derive(Debug, Subcommand)]
enum ConfigCmd {
    /// Print the effective settings and where each came from
    Show {
        #[arg(long)]
        json: bool,
    },
}

/// Shows what it can of a broken configuration, then fails with what is
/// wrong: a config file that is not valid (nothing of it is used), or a
/// file it names that cannot be read (the settings are shown, then why).
pub fn run(args: ConfigArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    // `limfac config` alone shows them: there is nothing else to do with settings here.
    let json = match args.cmd {
        Some(ConfigCmd::Show { json }) => json,
        None => false,
    };
    let s = &ctx.settings;
    let broken = ctx.config_error();
    if !json {
        let file = s.file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none)".into());
        let exists = s.file.as_ref().is_some_and(|p| p.is_file());
        let state = match (&broken, exists) {
            (Some(_), _) => " (not valid: none of it is used)",
            (None, true) => "",
            (None, false) => " (not present: defaults apply)",
        };
        out.line(format!("config file  {file}{state}"))?;
        out.line(format!("database     {}", ctx.db_path()?.display()))?;
    }
    if let Some(e) = broken {
        return Err(e);
    }
    let problem = s.problem();
    if json {
        out.json(s)?;
        return problem.map_or(Ok(()), Err);
    }
    if let Some(r) = std::env::var(crate::sync::REMOTE_VAR).ok().filter(|v| !v.trim().is_empty()) {
        out.line(format!("remote       {} (from ${})", crate::sync::redact(r.trim()), crate::sync::REMOTE_VAR))?;
    }
    out.line("")?;
    let mut t = table(["setting", "value", "from"]);
    for (k, v, from) in &s.sources {
        t.add_row(vec![k.clone(), v.clone(), from.clone()]);
    }
    out.table(&t)?;
    problem.map_or(Ok(()), Err)
}
