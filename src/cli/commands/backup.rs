//! `limfac backup`: a consistent copy of the database, safe while others write.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::Ctx;
use crate::render::output::Output;

/// Copy the database safely, even while others write
///
/// Uses SQLite's online backup API: the copy is consistent even while another
/// limfac process is writing. The copy is readable only by you.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  limfac backup ~/backups/limfac-$(date +%F).db")]
pub struct BackupArgs {
    /// Where to write the copy (must not exist)
    file: PathBuf,
}

pub fn run(args: BackupArgs, ctx: &Ctx, out: &mut Output) -> Result<()> {
    let store = ctx.open_read()?;
    if let Some(dir) = args.file.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(crate::platform::files::missing_folder("", &args.file, dir));
        }
    }
    store.backup(&args.file)?;
    out.note(format!("backed up {} to {}", store.path().display(), args.file.display()));
    Ok(())
}
