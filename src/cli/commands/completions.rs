//! `limfac completions` and `limfac man`: shell integration and a man page.

use anyhow::Result;
use clap::Args;
use clap_complete::env::Shells;

use super::Ctx;
use crate::core::error::UserError;
use crate::render::output::Output;

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
/// The page is roff, for `man`: one page with every command (the help each
/// prints), the environment variables and the exit status.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  limfac man > ~/.local/share/man/man1/limfac.1 && man limfac")]
pub struct ManArgs {}

pub fn man(_args: ManArgs, _ctx: &Ctx, out: &mut Output) -> Result<()> {
    let cmd = crate::cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    // Every command on this one page (clap_mangen would refer to a page per
    // command, limfac-log(1) and so on, which are not shipped).
    let mut page = String::from(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
        command_section(&mut page, "limfac", sub);
    }
    page.push_str(ENVIRONMENT);
    buf.extend_from_slice(page.as_bytes());
    man.render_version_section(&mut buf)?;
    out.raw(&buf)?;
    Ok(())
}

/// The rest of the page: where things come from, and how limfac ends.
const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBLIMFAC_DB\fR
The database file when \fB\-\-db\fR is not given; else limfac.db in the platform data folder (~/.local/share/limfac/ on Linux). Only commands that add data create it, the first time, with a note naming the path; reading commands refuse a missing file.
.TP
\fBLIMFAC_NOW\fR
Pins the clock: an ISO date (2026\-11\-29) or an RFC 3339 time. Everything that depends on today (relative dates, the report's week, deadlines, the refusal of future dates) uses it, so a review can be replayed or tested on a fixed day. A \fB\-\-date\fR after it is refused as being in the future, as it is without it.
.TP
\fBLIMFAC_CONFIG\fR
The settings file (TOML) instead of config.toml in the platform config folder (~/.config/limfac/ on Linux): reviewer, horizon_days, weekly_risk, report_template.
.TP
\fBNO_COLOR\fR
When set, no colour and no symbols in terminal output.
.TP
\fBEDITOR\fR
Interactive \fBlog\fR asks for the note in this editor; unset, on a line.
.SH "EXIT STATUS"
0 on success; 1 for a runtime or data error (a bad value, an unknown name, a failed check), with one line starting "error:" and optional "hint:" lines on standard error; 2 for a usage error.
"#;

/// A section for `parent sub` and, under it, one for each of its subcommands:
/// the help the command itself prints, verbatim.
fn command_section(page: &mut String, parent: &str, sub: &clap::Command) {
    let name = format!("{parent} {}", sub.get_name());
    let mut c = sub.clone().bin_name(name.clone()).disable_help_subcommand(true);
    let help = c.render_long_help().to_string();
    page.push_str(&format!(".SS \"{name}\"\n.nf\n"));
    for line in help.lines() {
        page.push_str(&roff_line(line));
        page.push('\n');
    }
    page.push_str(".fi\n");
    for kid in sub.get_subcommands().filter(|c| c.get_name() != "help") {
        command_section(page, &name, kid);
    }
}

/// A line of text safe in roff: backslashes escaped, and a leading dot or
/// quote (a roff request) neutralised.
fn roff_line(line: &str) -> String {
    let line = line.replace('\\', "\\e").replace('-', "\\-");
    if line.starts_with('.') || line.starts_with('\'') {
        format!("\\&{line}")
    } else {
        line
    }
}
