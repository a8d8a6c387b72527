//! The SQLite file: with `sync`, the only module that speaks SQL.
//!
//! May use: `core` (the model it stores) and `platform` (the clock, safe files).
//! Must never touch: the command line (`cli`: no flags, no suggested commands),
//! rendering (`render`) or `sync`. Its errors say what went wrong in the
//! data's terms; the command line turns them into messages.
//!
//! [`Store`] opens (creating with safe permissions) and upgrades the SQLite
//! file, and offers a narrow surface of reads and writes in limfac's own
//! terms. Every write runs in one `BEGIN IMMEDIATE` transaction so that it is
//! all-or-nothing and concurrent writers queue on the busy timeout instead of
//! failing with "database is locked".

mod cache;
pub mod codec;
mod corrections;
mod dump;
mod entities;
mod import;
pub mod migrations;
mod points;

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use cache::{
    forget_cached, keep_cached, CacheWriter, CachedForecast, CachedReplay, Changes, Marks, NewForecast, NewReplay,
    CACHE_TABLES,
};
pub use corrections::{Action, Amendment, Correction, ListedPoint, PointFilter, PointHistory};
pub use dump::{read_dump, ArchiveEvent, Dump, DumpBlocker, RestoreSummary};
pub use entities::{MetricEdit, ProjectEdit};
pub use import::{ImportBatch, ImportRow, ImportSummary};
pub use points::{
    BlockerFilter, Logged, NewPoint, Overlays, ReviewChoice, SnapshotIds, SpokeIn, StoredPoint, StoredReading,
};

use crate::platform::clock::Clock;

/// A kind of named (or numbered) thing, for [`StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Project,
    Engineer,
    Metric,
    Review,
    Blocker,
    Point,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Engineer => "engineer",
            Kind::Metric => "metric",
            Kind::Review => "review",
            Kind::Blocker => "blocker",
            Kind::Point => "point",
        }
    }

    /// A name as messages show it: names quoted (`project 'chips'`), ids not (`review 3`).
    fn shown(self, name: &str) -> String {
        match self {
            Kind::Project | Kind::Engineer | Kind::Metric => format!("'{name}'"),
            Kind::Review | Kind::Blocker | Kind::Point => name.to_string(),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why `demo` will not replace a path (see [`check_demo_target`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoRefusal {
    SymbolicLink,
    Directory,
    NotRegular,
    NotDemo,
}

/// What went wrong in the store, as data a caller can branch on. The
/// messages speak of the data only: the command line (`cli::error`) turns
/// them into what a user reads, with the flag at fault and the command that
/// helps.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "database {path} was written by a newer limfac (schema version {found}; this build knows up to {supported})"
    )]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("{path} is not a limfac database (it has tables but no limfac schema version)")]
    Foreign { path: String },
    #[error("there is no database at {path}")]
    Missing { path: String },
    /// An older schema in a file that cannot be written to upgrade it.
    #[error("database {path} is read-only and at schema version {found}; this build needs version {needed}")]
    ReadOnlyOld { path: String, found: i64, needed: i64 },
    /// No such project, engineer, metric (`PROJECT/METRIC`), review, blocker
    /// or point; `closest` is the most similar existing name, if any.
    #[error("{kind} {} does not exist", kind.shown(name))]
    NotFound { kind: Kind, name: String, closest: Option<String> },
    #[error("{kind} {} already exists", kind.shown(name))]
    AlreadyExists { kind: Kind, name: String },
    /// A reading asked to join a review that does not exist.
    #[error("there is no review {review} to join")]
    NoReviewToJoin { review: i64 },
    /// A reading asked to join a review held on another day.
    #[error("review {review} was held on {held}, not on {date}")]
    WrongReviewDate { review: i64, date: String, held: String },
    #[error("project '{project}' cannot depend on itself")]
    SelfDependency { project: String },
    /// A project dependency (`kind` project: `name` already depends on
    /// `through`) or a reporting line (`kind` engineer: `through` already
    /// manages `name`, indirectly) that would close a loop.
    #[error("{kind} '{name}' would close a loop through '{through}'")]
    Cycle { kind: Kind, name: String, through: String },
    #[error("point {point} was retracted ({when}); it can no longer be changed")]
    Retracted { point: i64, when: String },
    #[error("blocker {blocker} was already resolved on {on}")]
    AlreadyResolved { blocker: i64, on: String },
    #[error("blocker {blocker} was opened on {opened}, after {on}")]
    ResolvedBeforeOpened { blocker: i64, on: chrono::NaiveDate, opened: String },
    /// Archiving what is archived, or bringing back what is not; `scope` is
    /// `project SLUG` or `metric PROJECT/METRIC`.
    #[error("{scope} is {}", if *archived { "already archived" } else { "not archived" })]
    ArchiveUnchanged { scope: String, archived: bool },
    /// A JSON export is restored into an empty database only.
    #[error("{path} already holds data; a JSON export is imported into an empty database only")]
    NotEmpty { path: String },
    /// Import without creating: the names the file uses that do not exist
    /// (at most [`import::MAX_UNKNOWN`]; `more` when there were others).
    #[error("the file names unknown {}{}", names.join(", "), if *more { format!(" and more (the first {} are listed)", import::MAX_UNKNOWN) } else { String::new() })]
    UnknownNames { names: Vec<String>, more: bool },
    #[error("line {line}: metric '{metric}' does not exist and the row has no target and direction to create it")]
    CannotCreateMetric { line: u64, metric: String },
    #[error("line {line}, column {column}: '{given}' differs from metric {metric}'s {column} '{stored}'")]
    MetricDiffers { line: u64, column: String, given: String, stored: String, metric: String },
    /// A reading outside its metric's physical bounds (`log` questions it; a file cannot
    /// answer, so an import refuses it unless `--force`).
    #[error("line {line}, column value: {value} is outside what {metric} can physically be: {bounds}")]
    OutOfBounds { line: u64, value: String, metric: String, bounds: String },
    /// An imported row that the schema's CHECK constraints refuse (the file parser refuses
    /// these first; the store checks again for its other callers).
    #[error("line {line}, column {column}: {problem}")]
    RowRefused { line: u64, column: &'static str, problem: &'static str },
    #[error("line {line}: this reading is already stored (point {point}) citing blockers {stored}, but the file cites {given}")]
    BlockersDiffer { line: u64, point: i64, stored: String, given: String },
    /// A path `demo` must not replace.
    #[error("{path} {}", match refusal {
        DemoRefusal::SymbolicLink => "is a symbolic link; demo only replaces a database it made itself",
        DemoRefusal::Directory => "is a directory; give a file name",
        DemoRefusal::NotRegular => "is not a regular file",
        DemoRefusal::NotDemo => "is not a demo database; demo only replaces a database it made itself",
    })]
    DemoTarget { path: String, refusal: DemoRefusal },
    #[error("cannot inspect {path}")]
    Inspect { path: String, source: std::io::Error },
    /// A row refers to one that is not there: the file is damaged.
    #[error("{0}")]
    Damaged(String),
}

/// How long a writer waits for another before giving up. Generous, because
/// eight people logging at once should queue, never fail.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The page size of a database file limfac creates, in bytes.
pub const PAGE_SIZE: u32 = 16384;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    clock: Clock,
    /// This process created the file (it did not exist before).
    created: bool,
}

impl Store {
    /// Opens the database at `path`, creating it (folder 0700, file 0600) and
    /// its schema when missing, and upgrading an older schema. A database from
    /// a newer limfac is refused before anything is written to it.
    pub fn open(path: &Path, clock: Clock) -> Result<Store> {
        let created = create_private_file(path)?;
        Store::open_file(path, clock, created)
    }

    /// Opens an existing database (upgrading an older schema), refusing a
    /// missing file instead of creating it: reading commands never leave an
    /// empty database behind a mistyped path.
    pub fn open_existing(path: &Path, clock: Clock) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing { path: path.display().to_string() }.into());
        }
        if path.is_dir() {
            crate::user_bail!("{} is a directory; give a file path", path.display());
        }
        Store::open_file(path, clock, false)
    }

    fn open_file(path: &Path, clock: Clock, created: bool) -> Result<Store> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // `rarray(?)`, a list of ids as one parameter (`Store::readings_gathered`).
        rusqlite::vtab::array::load_module(&conn)?;
        let mut store = Store { conn, path: path.to_path_buf(), clock, created };
        // Checked before any pragma that writes (journal_mode changes the header).
        store.refuse_newer()?;
        store.refuse_foreign()?;
        // A new file's pages are 16 KiB (SQLite's default is 4 KiB; an existing file keeps
        // its own, the pragma only applies before the first page is written): a
        // million-row import into 16 KiB pages took a fifth less CPU and half the system
        // time, with fewer pages to split, look up and write (BENCHMARKS.md, stop 23).
        store
            .conn
            .execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}"))
            .context("cannot configure the database")?;
        store.use_wal().context("cannot configure the database")?;
        store
            .conn
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .context("cannot configure the database")?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens the database for a command that only reads. As
    /// [`Store::open_existing`] when possible (a missing file is refused,
    /// never created); when the file or its folder cannot be written (SQLite
    /// cannot even make the side files a WAL reader needs), read-only: the
    /// file is never changed and nothing is created beside it.
    pub fn open_for_reading(path: &Path, clock: Clock) -> Result<Store> {
        match Store::open_existing(path, clock) {
            Err(e) if path.is_file() && is_read_only(&e) => Store::open_read_only(path, clock),
            other => other,
        }
    }

    fn open_read_only(path: &Path, clock: Clock) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let attempt = |conn: rusqlite::Result<Connection>| -> Result<Store> {
            let conn = conn.with_context(|| format!("cannot open database {}", path.display()))?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            rusqlite::vtab::array::load_module(&conn)?;
            let store = Store { conn, path: path.to_path_buf(), clock, created: false };
            store.refuse_newer()?;
            store.refuse_foreign()?;
            let version = store.schema_version()?;
            if version != migrations::LATEST {
                return Err(StoreError::ReadOnlyOld {
                    path: path.display().to_string(),
                    found: version,
                    needed: migrations::LATEST,
                }
                .into());
            }
            store.begin_snapshot()?;
            store.conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
            Ok(store)
        };
        // Works when the WAL side files exist or can be made.
        let first = match attempt(Connection::open_with_flags(path, flags)) {
            Ok(store) => return Ok(store),
            Err(e) => e,
        };
        // In a folder where they cannot: read the file as it is, which is the
        // whole database only when no write-ahead log holds later commits.
        let wal = crate::platform::files::with_suffix(path, "-wal");
        if fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(crate::core::error::UserError::new(format!(
                "cannot read database {}: its folder is read-only and {} holds commits not yet in the file",
                path.display(),
                wal.display()
            ))
            .hint("open it once where its folder can be written; then it can be read anywhere")
            .into());
        }
        let uri = format!("{}?immutable=1", file_uri(path));
        attempt(Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)).map_err(|e| {
            if is_read_only(&e) {
                first
            } else {
                e
            }
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite connection, for the team sync (`src/sync/`), which keeps
    /// its bookkeeping in this file (the `sync_*` tables, `uid` and `seq`).
    pub(crate) fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Whether this process created the database file when opening it.
    pub fn created(&self) -> bool {
        self.created
    }

    /// Whether the database holds no data at all (a file just created, whose
    /// first command failed).
    pub fn is_empty(&self) -> Result<bool> {
        let tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for t in tables {
            let any: bool = self.conn.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM \"{}\")", t.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )?;
            if any {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The schema version stored in the file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn refuse_newer(&self) -> Result<()> {
        // The first read: a file that is not SQLite (or is damaged) fails here.
        let found = self.schema_version().with_context(|| format!("cannot read database {}", self.path.display()))?;
        if found > migrations::LATEST {
            return Err(StoreError::TooNew {
                path: self.path.display().to_string(),
                found,
                supported: migrations::LATEST,
            }
            .into());
        }
        Ok(())
    }

    /// Switches the file to WAL. When several processes open a new file at
    /// once, SQLite answers "busy" to all but one without waiting (waiting
    /// could deadlock), so keep trying for as long as a writer would wait.
    fn use_wal(&self) -> rusqlite::Result<()> {
        let give_up = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                        && std::time::Instant::now() < give_up =>
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
                other => return other.map(|_| ()),
            }
        }
    }

    /// Leaves WAL for a rollback journal when no other connection has the file open;
    /// whether it did. Never waits: a busy file stays in WAL.
    pub(super) fn leave_wal(&self) -> bool {
        matches!(
            self.conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0)),
            Ok(mode) if mode.eq_ignore_ascii_case("delete")
        )
    }

    /// Refuses another program's SQLite file (tables but no limfac version)
    /// before anything, even the switch to WAL, is written to it.
    fn refuse_foreign(&self) -> Result<()> {
        // One statement, so both come from one snapshot: another process may
        // be creating the schema of a new file at this very moment.
        let (version, tables): (i64, i64) = self.conn.query_row(
            "SELECT (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM sqlite_schema WHERE type = 'table')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if version == 0 && tables > 0 {
            return Err(StoreError::Foreign { path: self.path.display().to_string() }.into());
        }
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        if self.schema_version()? == migrations::LATEST {
            return Ok(());
        }
        // IMMEDIATE: two processes opening a fresh file at once must not both
        // create the schema; the second waits, then sees the version and stops.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version == 0 {
            let tables: i64 =
                tx.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0))?;
            if tables > 0 {
                return Err(StoreError::Foreign { path: self.path.display().to_string() }.into());
            }
            tx.execute_batch(migrations::SCHEMA).context("cannot create the schema")?;
            tx.pragma_update(None, "user_version", migrations::LATEST)?;
        } else {
            for (i, step) in migrations::STEPS.iter().enumerate() {
                let from = i as i64 + 1;
                if version <= from {
                    tx.execute_batch(step).with_context(|| format!("cannot upgrade the schema from version {from}"))?;
                }
            }
            tx.pragma_update(None, "user_version", migrations::LATEST)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` inside one read transaction, so that every statement it runs
    /// sees the same snapshot of the database (in WAL mode, writers carry on
    /// meanwhile). Inside a transaction already, `f` simply runs in it.
    pub fn read<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return f();
        }
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let result = f();
        let end = self.conn.execute_batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
        let value = result?;
        end?;
        Ok(value)
    }

    /// Starts a read transaction that lasts until the store is dropped: a
    /// reading command calls this first, so that everything it shows comes
    /// from one snapshot of the database.
    pub fn begin_snapshot(&self) -> Result<()> {
        if self.conn.is_autocommit() {
            self.conn.execute_batch("BEGIN DEFERRED")?;
        }
        Ok(())
    }

    /// Starts a write transaction that takes the write lock at once.
    fn write(&mut self) -> Result<rusqlite::Transaction<'_>> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Copies the live database to `dest` with SQLite's online backup API, so
    /// the copy is consistent even while another process writes. The copy is
    /// made in a temporary file beside `dest` (O_EXCL, 0600, without a
    /// rollback journal) and only renamed to `dest` once whole, refusing to
    /// replace anything: a failed or killed backup never leaves a partial
    /// `dest` that blocks a retry, and never writes through a link.
    pub fn backup(&self, dest: &Path) -> Result<()> {
        crate::platform::files::check_new_file("backup", dest)?;
        let tmp = crate::platform::files::temp_beside(dest)?.into_temp_path();
        let journal = crate::platform::files::with_suffix(&tmp, "-journal");
        let result = (|| -> Result<()> {
            let mut out = Connection::open_with_flags(&tmp, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            // The temporary file is thrown away on failure: no journal needed.
            out.pragma_update(None, "journal_mode", "OFF")?;
            {
                let backup = rusqlite::backup::Backup::new(&self.conn, &mut out)?;
                // Every page in one step, under one read transaction: in WAL mode
                // writers carry on meanwhile. In small steps, each write by another
                // process restarted the copy, so a busy database was never copied.
                loop {
                    match backup.step(-1)? {
                        rusqlite::backup::StepResult::Done => break,
                        _ => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            }
            // Derived data stays out of the copy: it is recomputed on first use.
            let mut cached = 0;
            for table in cache::CACHE_TABLES {
                let exists: bool = out.query_row(
                    "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )?;
                if exists {
                    cached += out.execute(&format!("DELETE FROM {table}"), [])?;
                }
            }
            if cached > 0 {
                out.execute_batch("VACUUM;")?;
            }
            // Keep the copy a single self-contained file.
            out.execute_batch("PRAGMA journal_mode = DELETE;")?;
            out.close().map_err(|(_, e)| e)?;
            Ok(())
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&journal);
            return Err(e.context(format!("backup to {} failed", dest.display())));
        }
        tmp.persist_noclobber(dest).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                crate::core::error::UserError::new(format!(
                    "backup {} already exists; choose a new file name",
                    dest.display()
                ))
                .into()
            } else {
                anyhow::Error::new(e.error).context(format!("cannot write {}", dest.display()))
            }
        })?;
        Ok(())
    }

    /// Health checks for `doctor`.
    pub fn doctor(&self) -> Result<Doctor> {
        let integrity: Vec<String> =
            self.conn.prepare("PRAGMA integrity_check")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let fk: i64 = self.conn.prepare("PRAGMA foreign_key_check")?.query_map([], |_| Ok(()))?.count() as i64;
        let mut counts = Vec::new();
        for table in
            ["project", "engineer", "metric", "review", "point", "blocker", "deadline", "correction", "archive_event"]
        {
            let n: i64 = self.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            counts.push((table.to_string(), n));
        }
        Ok(Doctor {
            path: self.path.display().to_string(),
            schema_version: self.schema_version()?,
            supported_version: migrations::LATEST,
            integrity,
            foreign_key_violations: fk,
            counts,
        })
    }

    /// The query plan SQLite picks for `sql`, for tests that hot queries use
    /// their indexes.
    pub fn explain(&self, sql: &str) -> Result<String> {
        let mut stmt = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(3))?.collect::<Result<_, _>>()?;
        Ok(rows.join("\n"))
    }
}

/// `PRAGMA application_id` of a database that `limfac demo` made ("LFDM"),
/// so that `demo` can tell its own file from anything else a path names.
/// Ordinary databases keep SQLite's default, 0.
const DEMO_APPLICATION_ID: i64 = 0x4C46_444D;

impl Store {
    /// Marks this database as one `limfac demo` made and may replace.
    pub fn mark_demo(&self) -> Result<()> {
        self.conn.pragma_update(None, "application_id", DEMO_APPLICATION_ID)?;
        Ok(())
    }
}

/// The side files SQLite keeps next to a database. A stale one left beside a
/// new file would be replayed into it, so replacing a database removes them.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Refuses, before any work, a `--db` that `limfac demo` must not replace:
/// anything but a missing path, an empty file, or a database `demo` made
/// itself (marked by its application id). Never changes the file.
pub fn check_demo_target(path: &Path) -> Result<()> {
    let refuse = |refusal| Err(StoreError::DemoTarget { path: path.display().to_string(), refusal }.into());
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Inspect { path: path.display().to_string(), source: e }.into()),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        return refuse(DemoRefusal::SymbolicLink);
    }
    if meta.is_dir() {
        return refuse(DemoRefusal::Directory);
    }
    if !meta.is_file() {
        return refuse(DemoRefusal::NotRegular);
    }
    // An empty file (as `mktemp` makes) holds nothing to lose, unless its
    // data still sits in a write-ahead log beside it.
    let wal_empty =
        fs::metadata(crate::platform::files::with_suffix(path, "-wal")).map(|m| m.len() == 0).unwrap_or(true);
    if meta.len() == 0 && wal_empty {
        return Ok(());
    }
    let demo = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .and_then(|c| {
            c.busy_timeout(BUSY_TIMEOUT)?;
            c.query_row("PRAGMA application_id", [], |r| r.get::<_, i64>(0))
        })
        .is_ok_and(|id| id == DEMO_APPLICATION_ID);
    if !demo {
        return refuse(DemoRefusal::NotDemo);
    }
    Ok(())
}

/// Moves the finished database `from` (closed, its WAL checkpointed away)
/// over `to` in one rename, removing `to`'s stale side files first.
pub fn replace_database(from: tempfile::TempPath, to: &Path) -> Result<()> {
    for suffix in SIDE_FILES {
        let side = crate::platform::files::with_suffix(to, suffix);
        match fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot replace {}", side.display()))
            }
            _ => {}
        }
    }
    from.persist(to).map_err(|e| e.error).with_context(|| format!("cannot write {}", to.display()))?;
    Ok(())
}

/// Is this error (anywhere in its chain) SQLite or the system saying the
/// file or its folder cannot be written?
pub fn is_read_only(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::PermissionDenied)
        ) || c.downcast_ref::<std::io::Error>().is_some_and(|io| {
            io.kind() == std::io::ErrorKind::PermissionDenied || io.raw_os_error() == Some(libc::EROFS)
        })
    })
}

/// `path` as an SQLite URI (`file:` with reserved bytes percent-encoded).
fn file_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in abs.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// What `doctor` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Doctor {
    pub path: String,
    pub schema_version: i64,
    pub supported_version: i64,
    pub integrity: Vec<String>,
    pub foreign_key_violations: i64,
    pub counts: Vec<(String, i64)>,
}

impl Doctor {
    pub fn healthy(&self) -> bool {
        self.integrity == ["ok"] && self.foreign_key_violations == 0 && self.schema_version == self.supported_version
    }
}

/// Creates `path` as an empty file readable only by its owner (and its folder
/// 0700) unless it exists; true when this call created it. Doing this before
/// SQLite opens the file means the notes about people are never readable by
/// others, not even for a moment.
pub fn create_private_file(path: &Path) -> Result<bool> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            crate::platform::files::create_private_dir(dir)
                .with_context(|| format!("cannot create folder {}", dir.display()))?;
        }
    }
    if path.is_dir() {
        crate::user_bail!("{} is a directory; give a file path", path.display());
    }
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// A new globally unique row id: a UUIDv7 (time-ordered; monotonic within
/// this process), as lowercase hyphenated text.
pub fn new_uid() -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    new_uid_into(&mut buf).to_string()
}

/// [`new_uid`] written into `buf`, without an allocation.
pub fn new_uid_into(buf: &mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &str {
    next_uuid_v7().hyphenated().encode_lower(buf)
}

/// A UUIDv7 (RFC 9562): the Unix time in milliseconds, then a 42-bit counter that starts
/// at a random value each millisecond and counts up within it (so that the uids this
/// process makes sort in the order they were made, as `Uuid::now_v7` guarantees too), then
/// 32 random bits. The random bits come from a generator seeded once per process: a
/// million-row import made a `getrandom` system call per row with `Uuid::now_v7`, 5% of its
/// time.
fn next_uuid_v7() -> uuid::Uuid {
    use rand::Rng;
    struct State {
        millis: u64,
        counter: u64,
        rng: rand::rngs::StdRng,
    }
    static STATE: std::sync::Mutex<Option<State>> = std::sync::Mutex::new(None);
    const COUNTER_BITS: u32 = 42;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    let st = guard.get_or_insert_with(|| State { millis: 0, counter: 0, rng: rand::make_rng() });
    if now > st.millis {
        st.millis = now;
        // Room to count up: the top bit starts clear.
        st.counter = st.rng.next_u64() >> (64 - (COUNTER_BITS - 1));
    } else {
        st.counter += 1;
        if st.counter >> COUNTER_BITS != 0 {
            // Used up within one millisecond: borrow the next one.
            st.millis += 1;
            st.counter = 0;
        }
    }
    let c = st.counter;
    let tail = st.rng.next_u32().to_be_bytes();
    let bytes: [u8; 10] = [
        ((c >> 38) & 0x0F) as u8,
        (c >> 30) as u8,
        ((c >> 24) & 0x3F) as u8,
        (c >> 16) as u8,
        (c >> 8) as u8,
        c as u8,
        tail[0],
        tail[1],
        tail[2],
        tail[3],
    ];
    uuid::Builder::from_unix_timestamp_millis(st.millis, &bytes).into_uuid()
}

/// The tables whose rows carry a `uid` (schema version 4).
pub const UID_TABLES: [&str; 9] =
    ["project", "engineer", "metric", "review", "point", "blocker", "deadline", "correction", "archive_event"];

/// Gives every row without a uid one: a UUIDv7 from its creation time (a
/// blocker's: its opening date), the row id in the bits after, so that rows
/// made in one millisecond keep their order. For rows written by a path that
/// made none (a JSON import); the index on `uid` finds them without a scan.
pub(crate) fn fill_missing_uids(conn: &Connection) -> rusqlite::Result<()> {
    for table in UID_TABLES {
        let ts = if table == "blocker" { "opened" } else { "created_at" };
        let ms = format!("coalesce(CAST((julianday({ts}) - 2440587.5) * 86400000 AS INTEGER), 0)");
        conn.execute_batch(&format!(
            "UPDATE {table} SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x', {ms} >> 16, {ms} & 65535,
                (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215))
              WHERE uid IS NULL"
        ))?;
    }
    Ok(())
}

/// Everything a one-at-a-time reader (`raw_points_each`, ...) gives, collected.
fn collected<T>(each: impl FnOnce(&mut dyn FnMut(T) -> Result<()>) -> Result<()>) -> Result<Vec<T>> {
    let mut v = Vec::new();
    each(&mut |x| {
        v.push(x);
        Ok(())
    })?;
    Ok(v)
}

/// A row's place in creation order from its uid (the UUID's 128 bits;
/// a missing or malformed uid sorts last).
fn uid_order(uid: Option<&str>) -> u128 {
    let Some(s) = uid else { return u128::MAX };
    let mut v: u128 = 0;
    let mut digits = 0;
    for c in s.bytes() {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b'-' => continue,
            _ => return u128::MAX,
        };
        v = (v << 4) | u128::from(d);
        digits += 1;
    }
    if digits == 32 {
        v
    } else {
        u128::MAX
    }
}

/// Removes a database file this process created when its first command
/// failed, so that a mistyped path leaves nothing behind: only when it still
/// holds no data, checked under a write lock (another process that opened
/// the new file meanwhile and wrote to it keeps it).
pub fn discard_if_empty(path: &Path, clock: Clock) -> Result<()> {
    let store = Store::open_existing(path, clock)?;
    store.conn.execute_batch("BEGIN IMMEDIATE")?;
    if !store.is_empty()? {
        store.conn.execute_batch("ROLLBACK")?;
        return Ok(());
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match fs::remove_file(PathBuf::from(p)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    let _ = store.conn.execute_batch("ROLLBACK");
    Ok(())
}

/// Fast parse of a date column known to hold `YYYY-MM-DD` (written by us).
fn parse_stored_date(s: &str) -> rusqlite::Result<NaiveDate> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    if b.len() == 10 {
        if let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) {
            if let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) {
                return Ok(date);
            }
        }
    }
    Err(rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("bad stored date {s:?}").into(),
    ))
}

fn date_col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<NaiveDate> {
    let s: String = row.get(idx)?;
    parse_stored_date(&s)
}

fn opt_date_col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| parse_stored_date(&s)).transpose()
}

/// `YYYY-MM-DD`, as dates are stored.
pub fn iso_date(d: NaiveDate) -> String {
    iso(d)
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// What [`names_read_only`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Project,
    Metric,
    Engineer,
}

/// Names and their descriptions, for shell completion: opens the database
/// read-only, and returns nothing when it does not exist (never creates it).
pub fn names_read_only(path: &Path, kind: NameKind) -> Result<Vec<(String, Option<String>)>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_millis(500))?;
    let sql = match kind {
        NameKind::Project => "SELECT slug, name FROM project ORDER BY slug",
        NameKind::Metric => {
            "SELECT p.slug || '/' || m.slug, m.name FROM metric m JOIN project p ON p.id = m.project_id ORDER BY 1"
        }
        NameKind::Engineer => "SELECT handle, name FROM engineer ORDER BY handle",
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod uid_tests {
    /// Uids are UUIDv7 (version 7, RFC 9562 variant), distinct, and sort in the order they
    /// were made, many within one millisecond included.
    #[test]
    fn uids_are_v7_distinct_and_in_order() {
        let uids: Vec<String> = (0..50_000).map(|_| super::new_uid()).collect();
        for u in &uids {
            let parsed = uuid::Uuid::parse_str(u).unwrap();
            assert_eq!(parsed.get_version_num(), 7, "{u}");
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{u}");
        }
        assert!(uids.windows(2).all(|w| w[0] < w[1]), "not in creation order");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let (secs, _) = uuid::Uuid::parse_str(&uids[0]).unwrap().get_timestamp().unwrap().to_unix();
        assert!(secs.abs_diff(now / 1000) < 60, "the time part is the time");
    }
}
