//! `limfac doctor`: is the database healthy?

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::core::error::UserError;
use crate::render::output::{table, Output};

/// Check the database's health
///
/// SQLite integrity, foreign keys, schema version, and how many of each
/// thing it holds. Exits 1 when a check fails.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  limfac doctor")]
pub struct DoctorArgs {
    #[arg(long)]
    json: bool,
}

pub fn run(args: DoctorArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let store = ctx.open_read()?;
    let d = store.doctor()?;
    if args.json {
        out.json(&d)?;
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
    }
    if !d.healthy() {
        return Err(UserError::new(format!("database {} failed its checks", d.path))
            .hint("restore from a backup (limfac backup) and report the problem")
            .into());
    }
    Ok(())
}
