//! Derived data kept between runs: every metric's forecast as of a date
//! (`forecast_cache`), the self-calibration's replayed forecasts (`replay_cache`) and the
//! organization's calibration per as-of date (`calibration_cache`).
//!
//! Never a source of truth. An entry counts only while what it was computed from is as it was
//! (see schema.sql): the forecast engine, the metric's definition and the settings that matter
//! are part of its key, and its marks — the highest reading and correction ids when it was
//! computed — say which readings it saw. Readings and corrections are only ever appended (ids
//! grow, nothing is deleted), so [`Store::changes_since`] lists exactly what was added after
//! an entry: a forecast as of a date is still valid when no reading of its metric dated on or
//! before that date was added and none of its readings was corrected. A logged, imported,
//! synced, amended or retracted reading, or an edited target, so invalidates exactly the
//! entries it could change.
//!
//! Writing is best-effort, through a connection of its own ([`CacheWriter`]), in short
//! transactions: a read-only database simply recomputes every time, a process killed while
//! writing leaves whole entries or none, and two processes filling the cache at once write
//! the same values.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::OptionalExtension;

use super::Store;

/// The highest ids of the facts a forecast reads that are only ever appended: readings and
/// their corrections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Marks {
    pub point: i64,
    pub correction: i64,
}

/// What was added after some [`Marks`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Per metric (database id), the earliest date of a reading added since.
    pub added: HashMap<i64, NaiveDate>,
    /// Metrics one of whose readings was amended or retracted since.
    pub corrected: HashSet<i64>,
}

impl Changes {
    /// Whether metric `metric`'s readings dated on or before `upto` are as they were.
    pub fn unchanged(&self, metric: i64, upto: NaiveDate) -> bool {
        !self.corrected.contains(&metric) && self.added.get(&metric).is_none_or(|d| *d > upto)
    }

    /// Whether every metric's readings dated on or before `upto` are as they were.
    pub fn none_upto(&self, upto: NaiveDate) -> bool {
        self.corrected.is_empty() && self.added.values().all(|d| *d > upto)
    }

    /// Readings added since, in all.
    pub fn len(&self) -> usize {
        self.added.len() + self.corrected.len()
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.corrected.is_empty()
    }
}

/// A `forecast_cache` row as read back.
#[derive(Debug, Clone)]
pub struct CachedForecast {
    pub metric_id: i64,
    pub inputs: String,
    pub marks: Marks,
    pub fitted: Vec<u8>,
    pub calibration: Option<String>,
    pub dated: Option<Vec<u8>>,
}

/// A `replay_cache` row as read back.
#[derive(Debug, Clone)]
pub struct CachedReplay {
    pub origin: NaiveDate,
    pub inputs: String,
    pub marks: Marks,
    pub features: Vec<u8>,
}

impl Store {
    /// The current [`Marks`] (two index lookups).
    pub fn marks(&self) -> Result<Marks> {
        self.read(|| {
            Ok(self.conn.query_row(
                "SELECT (SELECT coalesce(max(id), 0) FROM point), (SELECT coalesce(max(id), 0) FROM correction)",
                [],
                |r| Ok(Marks { point: r.get(0)?, correction: r.get(1)? }),
            )?)
        })
    }

    /// What was added after `since`: reads only the readings and corrections added since (by
    /// id, through the primary key).
    pub fn changes_since(&self, since: Marks) -> Result<Changes> {
        self.read(|| {
            let mut out = Changes::default();
            let mut stmt =
                self.conn.prepare_cached("SELECT metric_id, min(date) FROM point WHERE id > ?1 GROUP BY metric_id")?;
            let mut rows = stmt.query([since.point])?;
            while let Some(r) = rows.next()? {
                out.added.insert(r.get(0)?, super::date_col(r, 1)?);
            }
            let mut stmt = self.conn.prepare_cached(
                "SELECT DISTINCT p.metric_id FROM correction c JOIN point p ON p.id = c.point_id WHERE c.id > ?1",
            )?;
            let mut rows = stmt.query([since.correction])?;
            while let Some(r) = rows.next()? {
                out.corrected.insert(r.get(0)?);
            }
            Ok(out)
        })
    }

    /// The cached forecasts as of `as_of` of this variant made by `engine`: of every metric,
    /// or of the metrics `only` names (database ids), each found through the primary key.
    pub fn cached_forecasts(
        &self,
        as_of: NaiveDate,
        variant: u8,
        engine: &str,
        only: Option<&[i64]>,
    ) -> Result<Vec<CachedForecast>> {
        let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<CachedForecast> {
            Ok(CachedForecast {
                metric_id: r.get(0)?,
                inputs: r.get(1)?,
                marks: Marks { point: r.get(2)?, correction: r.get(3)? },
                fitted: r.get(4)?,
                calibration: r.get(5)?,
                dated: r.get(6)?,
            })
        };
        let as_of = super::iso(as_of);
        self.read(|| match only {
            None => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT metric_id, inputs, point_mark, correction_mark, fitted, calibration, dated
                       FROM forecast_cache WHERE as_of = ?1 AND variant = ?2 AND engine = ?3",
                )?;
                let rows = stmt.query_map((&as_of, variant, engine), row)?.collect::<Result<_, _>>()?;
                Ok(rows)
            }
            Some(ids) => {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT metric_id, inputs, point_mark, correction_mark, fitted, calibration, dated
                       FROM forecast_cache WHERE as_of = ?1 AND variant = ?2 AND metric_id = ?3 AND engine = ?4",
                )?;
                let mut out = Vec::with_capacity(ids.len());
                for &id in ids {
                    if let Some(r) = stmt.query_row((&as_of, variant, id, engine), row).optional()? {
                        out.push(r);
                    }
                }
                Ok(out)
            }
        })
    }

    /// When the cached forecasts as of `as_of` of this variant were last used (a date).
    pub fn forecast_cache_used(&self, as_of: NaiveDate, variant: u8) -> Result<Option<String>> {
        self.read(|| {
            Ok(self
                .conn
                .query_row(
                    "SELECT used FROM forecast_cache_use WHERE as_of = ?1 AND variant = ?2",
                    (super::iso(as_of), variant),
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Every cached replay of metric `metric_id` made by `engine`.
    pub fn cached_replays(&self, metric_id: i64, engine: &str) -> Result<Vec<CachedReplay>> {
        self.read(|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT origin, inputs, point_mark, correction_mark, features
                   FROM replay_cache WHERE metric_id = ?1 AND engine = ?2",
            )?;
            let rows = stmt
                .query_map((metric_id, engine), |r| {
                    Ok(CachedReplay {
                        origin: super::date_col(r, 0)?,
                        inputs: r.get(1)?,
                        marks: Marks { point: r.get(2)?, correction: r.get(3)? },
                        features: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// The cached calibration as of `as_of` made by `engine`: (its data version, its body).
    pub fn cached_calibration(&self, as_of: NaiveDate, engine: &str) -> Result<Option<(String, String)>> {
        self.read(|| {
            Ok(self
                .conn
                .query_row(
                    "SELECT data_version, body FROM calibration_cache WHERE as_of = ?1 AND engine = ?2",
                    (super::iso(as_of), engine),
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
    }

    /// Empties every cache (doctor's "rebuild derived data"); returns the rows removed.
    pub fn clear_caches(&mut self) -> Result<usize> {
        let tx = self.write()?;
        let mut n = 0;
        for table in CACHE_TABLES {
            n += tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Rows in the caches, per table (for doctor).
    pub fn cache_rows(&self) -> Result<Vec<(String, i64)>> {
        self.read(|| {
            let mut out = Vec::new();
            for table in CACHE_TABLES {
                let n: i64 = self.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                out.push((table.to_string(), n));
            }
            Ok(out)
        })
    }
}

/// The tables that hold derived data only.
pub const CACHE_TABLES: [&str; 4] = ["forecast_cache", "forecast_cache_use", "replay_cache", "calibration_cache"];

/// The as-of dates whose cached forecasts are kept (per variant), most recently used first:
/// a weekly report uses this week's and last week's, its HTML form two weeks more.
const KEEP_DATES: i64 = 8;

/// How long a writer waits for another before giving up on caching (best-effort).
const WRITE_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// A forecast to cache (see [`CacheWriter::forecasts`]).
#[derive(Debug, Clone)]
pub struct NewForecast {
    pub metric_id: i64,
    pub inputs: String,
    pub marks: Marks,
    /// None: the row's `fitted` is still valid; only its marks and dated part change.
    pub fitted: Option<Vec<u8>>,
    pub calibration: Option<String>,
    pub dated: Option<Vec<u8>>,
}

/// A replay to cache.
#[derive(Debug, Clone)]
pub struct NewReplay {
    pub metric_id: i64,
    pub origin: NaiveDate,
    pub inputs: String,
    pub marks: Marks,
    pub features: Vec<u8>,
}

/// Derived data to write into the database at `path` once the command has succeeded
/// ([`keep_cached`]): a command that fails part-way, say on a full disk, writes nothing.
/// Writing is best-effort, through a connection of its own, one short transaction per batch:
/// it never creates the file, waits at most a moment for another writer, and after its first
/// failure (a read-only file or folder, a busy writer) stops trying for the rest of the run.
pub struct CacheWriter {
    path: PathBuf,
}

/// One batch of derived data waiting for the command to succeed.
enum Pending {
    Forecasts { as_of: NaiveDate, variant: u8, engine: String, rows: Vec<NewForecast>, today: NaiveDate },
    Used { as_of: NaiveDate, variant: u8, today: NaiveDate },
    Replays { engine: String, rows: Vec<NewReplay>, as_of: NaiveDate },
    Calibration { as_of: NaiveDate, engine: String, version: String, body: String },
}

/// What this process computed and will cache once its command has succeeded, per database.
static PENDING: std::sync::Mutex<Vec<(PathBuf, Pending)>> = std::sync::Mutex::new(Vec::new());

fn queue(path: &Path, p: Pending) {
    if let Ok(mut q) = PENDING.lock() {
        q.push((path.to_path_buf(), p));
    }
}

impl CacheWriter {
    pub fn new(path: &Path) -> CacheWriter {
        CacheWriter { path: path.to_path_buf() }
    }

    /// Caches forecasts as of `as_of`, notes that the date was used `today`, and drops the
    /// entries of all but the [`KEEP_DATES`] most recently used dates.
    pub fn forecasts(&self, as_of: NaiveDate, variant: u8, engine: &str, rows: Vec<NewForecast>, today: NaiveDate) {
        queue(&self.path, Pending::Forecasts { as_of, variant, engine: engine.to_string(), rows, today });
    }

    /// Notes that the forecasts as of `as_of` were used `today` (so that they are kept).
    pub fn used(&self, as_of: NaiveDate, variant: u8, today: NaiveDate) {
        queue(&self.path, Pending::Used { as_of, variant, today });
    }

    /// Caches replayed forecasts, dropping those too old for any calibration as of `as_of` or
    /// later to use.
    pub fn replays(&self, engine: &str, rows: Vec<NewReplay>, as_of: NaiveDate) {
        queue(&self.path, Pending::Replays { engine: engine.to_string(), rows, as_of });
    }

    /// Caches the calibration as of `as_of` (replacing any older one).
    pub fn calibration(&self, as_of: NaiveDate, engine: &str, version: &str, body: &str) {
        queue(
            &self.path,
            Pending::Calibration {
                as_of,
                engine: engine.to_string(),
                version: version.to_string(),
                body: body.to_string(),
            },
        );
    }
}

/// Writes what this process's command computed into the caches (called once it has
/// succeeded); best-effort: a read-only or busy database recomputes next time.
pub fn keep_cached() {
    let pending = match PENDING.lock() {
        Ok(mut q) => std::mem::take(&mut *q),
        Err(_) => return,
    };
    let mut conns: HashMap<PathBuf, Option<rusqlite::Connection>> = HashMap::new();
    for (path, p) in pending {
        let slot = conns.entry(path.clone()).or_insert_with(|| {
            let conn = rusqlite::Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .ok()?;
            conn.busy_timeout(WRITE_WAIT).ok()?;
            Some(conn)
        });
        let Some(conn) = slot.as_mut() else { continue };
        if write(conn, &p).is_err() {
            // Stop trying for this database (see `CacheWriter`).
            *slot = None;
        }
    }
}

/// Forgets what was queued (a command that failed).
pub fn forget_cached() {
    if let Ok(mut q) = PENDING.lock() {
        q.clear();
    }
}

/// Writes one batch in one transaction.
fn write(conn: &mut rusqlite::Connection, p: &Pending) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    match p {
        Pending::Forecasts { as_of, variant, engine, rows, today } => {
            let as_of = super::iso(*as_of);
            {
                let mut full = tx.prepare_cached(
                    "INSERT OR REPLACE INTO forecast_cache
                       (as_of, variant, metric_id, engine, inputs, point_mark, correction_mark, fitted, calibration, dated)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?;
                let mut part = tx.prepare_cached(
                    "UPDATE forecast_cache SET point_mark = ?4, correction_mark = ?5, calibration = ?6, dated = ?7
                      WHERE as_of = ?1 AND variant = ?2 AND metric_id = ?3 AND engine = ?8 AND inputs = ?9",
                )?;
                for r in rows {
                    match &r.fitted {
                        Some(fitted) => {
                            full.execute(rusqlite::params![
                                as_of,
                                variant,
                                r.metric_id,
                                engine,
                                r.inputs,
                                r.marks.point,
                                r.marks.correction,
                                fitted,
                                r.calibration,
                                r.dated
                            ])?;
                        }
                        None => {
                            part.execute(rusqlite::params![
                                as_of,
                                variant,
                                r.metric_id,
                                r.marks.point,
                                r.marks.correction,
                                r.calibration,
                                r.dated,
                                engine,
                                r.inputs
                            ])?;
                        }
                    }
                }
            }
            touch(&tx, &as_of, *variant, *today)?;
        }
        Pending::Used { as_of, variant, today } => touch(&tx, &super::iso(*as_of), *variant, *today)?,
        Pending::Replays { engine, rows, as_of } => {
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT OR REPLACE INTO replay_cache (metric_id, origin, engine, inputs, point_mark, correction_mark, features)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for r in rows {
                    stmt.execute(rusqlite::params![
                        r.metric_id,
                        super::iso(r.origin),
                        engine,
                        r.inputs,
                        r.marks.point,
                        r.marks.correction,
                        r.features
                    ])?;
                }
            }
            let oldest = *as_of - chrono::Duration::days(crate::core::forecast::replay::LOOKBACK_DAYS + 56);
            tx.execute("DELETE FROM replay_cache WHERE origin < ?1", [super::iso(oldest)])?;
        }
        Pending::Calibration { as_of, engine, version, body } => {
            tx.execute(
                "INSERT OR REPLACE INTO calibration_cache (as_of, engine, data_version, body) VALUES (?1, ?2, ?3, ?4)",
                (super::iso(*as_of), engine, version, body),
            )?;
        }
    }
    tx.commit()
}

/// Marks `as_of` used today and drops the forecasts of dates used longest ago.
fn touch(tx: &rusqlite::Transaction<'_>, as_of: &str, variant: u8, today: NaiveDate) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO forecast_cache_use (as_of, variant, used) VALUES (?1, ?2, ?3)",
        (as_of, variant, super::iso(today)),
    )?;
    let old: Vec<String> = tx
        .prepare_cached(
            "SELECT as_of FROM forecast_cache_use WHERE variant = ?1 ORDER BY used DESC, as_of DESC LIMIT -1 OFFSET ?2",
        )?
        .query_map((variant, KEEP_DATES), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for d in old {
        tx.execute("DELETE FROM forecast_cache WHERE as_of = ?1 AND variant = ?2", (&d, variant))?;
        tx.execute("DELETE FROM forecast_cache_use WHERE as_of = ?1 AND variant = ?2", (&d, variant))?;
    }
    Ok(())
}
