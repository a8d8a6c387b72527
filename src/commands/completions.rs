//! `limfac completions` and `limfac man`: shell integration and a man page.

use anyhow::Result;
use clap::Args;
use clap_complete::env::Shells;

use super::Ctx;
use crate::error::UserError;
use crate::output::Output;

/// Print a shell completion script (names included)
///
/// Projects, metrics and engineers are read from your database as you type.
#[derive(Debug, Args)]
#[command(
    after_help = "Install:\n  bash:        echo 'source <(limfac completions bash)' >> ~/.bashrc\n  zsh:         echo 'source <(limfac completions zsh)' >> ~/.zshrc\n  fish:        limfac completions fish > ~/.config/fish/completions/limfac.fish\n  powershell:  limfac completions powershell | Out-String | Invoke-Expression"
)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    shell: String,
}

pub fn completions(args: CompletionsArgs, _ctx: &Ctx, out: &mut Output) -> Result<()> {
    let shells = Shells::builtins();
    let Some(shell) = shells.completer(&args.shell) else {
        let known: Vec<&str> = shells.names().collect();
        return Err(UserError::new(format!("shell '{}' is not supported", args.shell))
            .hint(format!("choose one of {}", known.join(", ")))
            .into());
    };
    let mut buf = Vec::new();
    shell.write_registration("COMPLETE", "limfac", "limfac", "limfac", &mut buf)?;
    out.raw(&buf)?;
    Ok(())
}

/// Print limfac's man page
///
/// The page is roff, for `man`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  limfac man > ~/.local/share/man/man1/limfac.1 && man limfac")]
pub struct ManArgs {}

pub fn man(_args: ManArgs, _ctx: &Ctx, out: &mut Output) -> Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(crate::cli::command()).render(&mut buf)?;
    out.raw(&buf)?;
    Ok(())
}
