//! One file per subcommand. Each is thin: parse and validate arguments, load
//! from the store, call the pure core, render.

pub mod backtest;
pub mod backup;
pub mod blocker;
pub mod calibration;
pub mod chart;
pub mod completions;
pub mod config;
pub mod deadline;
pub mod demo;
pub mod doctor;
pub mod engineer;
pub mod export;
pub mod forecast;
pub mod import;
pub mod log;
pub mod metric;
pub mod point;
pub mod project;
pub mod remote;
pub mod report;
pub mod review;
pub mod sync;

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cli::Command;
use crate::platform::clock::Clock;
use crate::render::output::Output;
use crate::store::Store;

/// What every command may need: where the data is and what day it is.
pub struct Ctx {
    /// `--db` as given on the command line.
    pub db: Option<PathBuf>,
    pub clock: Clock,
    pub quiet: bool,
    /// The settings; the defaults when the config file is broken (see
    /// [`Ctx::config_error`]).
    pub settings: crate::cli::config::Settings,
    /// Why the config file could not be used, until a command takes it.
    config_error: std::cell::RefCell<Option<anyhow::Error>>,
    /// The database file this process created (by a command that writes).
    created: std::cell::RefCell<Option<PathBuf>>,
}

impl Ctx {
    pub fn new(db: Option<PathBuf>, quiet: bool) -> Result<Ctx> {
        let clock = Clock::from_env().map_err(crate::core::error::UserError::new)?;
        let (settings, config_error) = match crate::cli::config::load() {
            Ok(s) => (s, None),
            Err(e) => {
                let defaults = crate::cli::config::Settings { file: crate::cli::config::path(), ..Default::default() };
                (defaults, Some(e))
            }
        };
        Ok(Ctx {
            db,
            clock,
            quiet,
            settings,
            config_error: std::cell::RefCell::new(config_error),
            created: Default::default(),
        })
    }

    /// Why the config file could not be used (not valid TOML, an unknown
    /// key, a value out of range), once: every command but `config show` and
    /// `doctor` fails with it before it starts; those two report it.
    pub fn config_error(&self) -> Option<anyhow::Error> {
        self.config_error.borrow_mut().take()
    }

    /// Where the database path came from, for messages.
    fn db_source(&self) -> String {
        if self.db.is_some() {
            "--db".to_string()
        } else if crate::platform::paths::database_from_env() {
            format!("${}", crate::platform::paths::DB_VAR)
        } else {
            "the default location".to_string()
        }
    }

    /// `--db`, else `$LIMFAC_DB`, else `limfac.db` in the platform data folder.
    pub fn db_path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        crate::platform::paths::default_database()
            .context("cannot find a home folder for the database; pass --db PATH or set LIMFAC_DB")
    }

    /// Opens the database for a command that writes, creating it (and its
    /// folder) the first time. Should the command then fail, the new file is
    /// removed again (see [`Ctx::finish`]): a mistyped `--db` leaves nothing.
    pub fn open(&self) -> Result<Store> {
        let path = self.db_path()?;
        let store = Store::open(&path, self.clock).map_err(|e| {
            if path.is_file() && crate::store::is_read_only(&e) {
                crate::core::error::UserError::new(format!(
                    "cannot write database {}: the file or its folder is read-only",
                    path.display()
                ))
                .hint(
                    "commands that only read (report, forecast, export, ...) still work; to write, make both writable",
                )
                .into()
            } else {
                e
            }
        })?;
        if store.created() {
            *self.created.borrow_mut() = Some(path);
        }
        Ok(store)
    }

    /// Opens the database for a command that only reads: a missing file is
    /// an error with a hint (never an empty database created in passing).
    ///
    /// Everything it reads comes from one snapshot (one read transaction,
    /// held until the store is dropped), whatever other processes commit
    /// meanwhile; a read-only file or folder is read without writing anything.
    pub fn open_read(&self) -> Result<Store> {
        let path = self.db_path()?;
        let store = Store::open_for_reading(&path, self.clock).map_err(|e| self.explain_missing(e, &path))?;
        store.begin_snapshot()?;
        Ok(store)
    }

    /// Adds hints to "there is no database at PATH".
    fn explain_missing(&self, e: anyhow::Error, path: &std::path::Path) -> anyhow::Error {
        if !matches!(e.downcast_ref::<crate::store::StoreError>(), Some(crate::store::StoreError::Missing { .. })) {
            return e;
        }
        crate::core::error::UserError::new(format!(
            "there is no database at {} (from {})",
            path.display(),
            self.db_source()
        ))
        .hint("check the path given with --db or $LIMFAC_DB for a typo")
        .hint("a command that adds data creates it, e.g. limfac project add SLUG --name NAME (or try: limfac demo)")
        .into()
    }

    /// After the command: on success, says where a new database was created;
    /// on failure, removes the database this process created if it is still
    /// empty, and says so.
    pub fn finish(&self, ok: bool) {
        let Some(path) = self.created.borrow_mut().take() else { return };
        if ok {
            // Even with --quiet: a mistyped path must not go unnoticed.
            eprintln!("note: created a new database at {} (from {})", path.display(), self.db_source());
        } else if crate::store::discard_if_empty(&path, self.clock).is_ok() && !path.exists() {
            eprintln!("hint: no database existed at {}; none was created", path.display());
        }
    }

    /// `--as-of`, parsed as people say dates, else today.
    pub fn as_of(&self, given: Option<&str>) -> Result<chrono::NaiveDate> {
        Ok(given
            .map(|d| crate::core::validate::as_of("--as-of", d, self.clock.today))
            .transpose()?
            .unwrap_or(self.clock.today))
    }
}

/// A `PROJECT` or `PROJECT/METRIC` argument.
pub type Scope = (String, Option<String>);

/// Parses an optional scope argument and checks that it names something that
/// exists, so unknown names fail with a hint before any work.
pub fn scope_arg(store: &Store, given: Option<&str>) -> Result<Option<Scope>> {
    let scope = given.map(|s| crate::core::validate::scope("scope", s)).transpose()?;
    if let Some((p, m)) = &scope {
        live_scope(store, p, m.as_deref())?;
    }
    Ok(scope)
}

/// Refuses a project or metric that does not exist, or that is archived: archived work is
/// gone from forecasts (it stays in lists, history and the export), so there is nothing to
/// forecast, chart or set a deadline on, and the error says how to bring it back.
pub fn live_scope(store: &Store, project: &str, metric: Option<&str>) -> Result<()> {
    let archived = |what: String, command: &str| -> anyhow::Error {
        crate::core::error::UserError::new(format!("{what} is archived; archived work is not forecast"))
            .hint(format!("bring it back first: limfac {command}"))
            .into()
    };
    if store.project(project)?.archived {
        return Err(archived(format!("project {project}"), &format!("project unarchive {project}")));
    }
    if let Some(m) = metric {
        if store.metric(project, m)?.archived {
            return Err(archived(format!("metric {project}/{m}"), &format!("metric unarchive {project}/{m}")));
        }
    }
    Ok(())
}

/// Archives (or brings back) a project (`metric` None) or one of its
/// metrics, with `--reason` and who did it (`project`/`metric archive`).
pub fn set_archived(
    ctx: &Ctx,
    project: &str,
    metric: Option<&str>,
    reason: Option<String>,
    archived: bool,
) -> Result<()> {
    let reason = reason.map(|r| crate::core::validate::entered("--reason", &r)).transpose()?;
    let mut store = ctx.open()?;
    store.set_archived(
        project,
        metric,
        archived,
        reason.as_deref(),
        crate::cli::config::author(&ctx.settings).as_deref(),
    )
}

/// Whether metric `m` falls within an optional scope.
pub fn in_scope(m: &crate::core::model::Metric, scope: &Option<Scope>) -> bool {
    scope.as_ref().is_none_or(|(p, mm)| m.project == *p && mm.as_ref().is_none_or(|mm| m.metric == *mm))
}

pub fn run(command: Command, ctx: &Ctx, out: &mut Output) -> Result<()> {
    // `auto_sync`: after a command that may write, a bounded try at syncing.
    let writes = matches!(
        command,
        Command::Log(_)
            | Command::Project(_)
            | Command::Engineer(_)
            | Command::Metric(_)
            | Command::Review(_)
            | Command::Blocker(_)
            | Command::Import(_)
            | Command::Deadline(_)
    );
    // A broken config file fails every command but the two that report it.
    if !matches!(command, Command::Config(_) | Command::Doctor(_)) {
        if let Some(e) = ctx.config_error() {
            return Err(e);
        }
    }
    let auto = ctx.settings.auto_sync && writes;
    let before = if auto { sync::pending_before(ctx) } else { 0 };
    let result = dispatch(command, ctx, out);
    if auto && result.is_ok() {
        let _ = out.flush();
        sync::after_write(ctx, before);
    }
    result
}

fn dispatch(command: Command, ctx: &Ctx, out: &mut Output) -> Result<()> {
    match command {
        Command::Project(a) => project::run(a, ctx, out),
        Command::Engineer(a) => engineer::run(a, ctx, out),
        Command::Metric(a) => metric::run(a, ctx, out),
        Command::Review(a) => review::run(a, ctx, out),
        Command::Log(a) => log::run(a, ctx, out),
        Command::Point(a) => point::run(a, ctx, out),
        Command::Blocker(a) => blocker::run(a, ctx, out),
        Command::Import(a) => import::run(a, ctx, out),
        Command::Export(a) => export::run(a, ctx, out),
        Command::Demo(a) => demo::run(a, ctx, out),
        Command::Forecast(a) => forecast::run(a, ctx, out),
        Command::Report(a) => report::run(a, ctx, out),
        Command::Deadline(a) => deadline::run(a, ctx, out),
        Command::Calibration(a) => calibration::run(a, ctx, out),
        Command::Chart(a) => chart::run(a, ctx, out),
        Command::Backtest(a) => backtest::run(a, ctx, out),
        Command::Config(a) => config::run(a, ctx, out),
        Command::Completions(a) => completions::completions(a, ctx, out),
        Command::Man(a) => completions::man(a, ctx, out),

        Command::Backup(a) => backup::run(a, ctx, out),
        Command::Doctor(a) => doctor::run(a, ctx, out),
        Command::Remote(a) => remote::run(a, ctx, out),
        Command::Sync(a) => sync::run(a, ctx, out),
    }
}

/// Refuses an `--out` path that is a directory, in a folder that does not
/// exist, or a symbolic link or other file limfac will not write (see
/// [`crate::platform::files`]).
pub fn check_out_path(path: &std::path::Path) -> Result<()> {
    crate::platform::files::check_out_path("--out", path)
}

/// Writes `bytes` to `--out` all or nothing, readable only by its owner,
/// through a temporary file that cannot be a planted link (see [`crate::platform::files`]).
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    crate::platform::files::write_private("--out", path, bytes)
}

/// Whether prompts can be shown: stdin and stderr are both a terminal (see
/// CRATES.md: dialoguer would otherwise read the terminal behind a pipe).
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Questions a suspicious value (see [`crate::core::plausible`]): with `force` it
/// passes; on a terminal the user confirms it; otherwise, or when declined,
/// it fails naming `--force`.
pub fn confirm_plausible(question: Option<String>, field: &str, force: bool) -> Result<()> {
    let Some(q) = question else { return Ok(()) };
    if force {
        return Ok(());
    }
    if interactive() {
        crate::render::output::discard_typed_ahead();
        let yes = dialoguer::Confirm::with_theme(&dialoguer::theme::ColorfulTheme::default())
            .with_prompt(format!("{field} {q}. Store it anyway?"))
            .default(false)
            .wait_for_newline(true)
            .interact_opt()
            .unwrap_or(None)
            .unwrap_or(false);
        if yes {
            return Ok(());
        }
        return Err(crate::core::error::UserError::new(format!("{field} not stored: {q}"))
            .hint("check for a typo and try again")
            .into());
    }
    Err(crate::core::error::UserError::new(format!("{field} {q}; if it is right, repeat with --force"))
        .hint("check for a typo (a slipped digit, a misplaced decimal point)")
        .into())
}
