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
    Forecasts {
        as_of: NaiveDate,
        variant: u8,
        engine: String,
        rows: Vec<NewForecast>,
        today: NaiveDate,
    },
    /// Forecasts written aside to the queue's spill file (see [`SPILL_AFTER`]): `len` bytes
    /// from `at`, as [`encode_rows`] wrote them.
    Spilled {
        as_of: NaiveDate,
        variant: u8,
        engine: String,
        at: u64,
        len: usize,
        today: NaiveDate,
    },
    Used {
        as_of: NaiveDate,
        variant: u8,
        today: NaiveDate,
    },
    Replays {
        engine: String,
        rows: Vec<NewReplay>,
        as_of: NaiveDate,
    },
    Calibration {
        as_of: NaiveDate,
        engine: String,
        version: String,
        body: String,
    },
}

/// Encoded forecasts held in memory, waiting for the command to succeed, before further ones
/// are written aside to a temporary file: a cold report over 20,000 metrics queues 40,000
/// of them, 90 MB.
const SPILL_AFTER: usize = 16 << 20;

/// What this process computed and will cache once its command has succeeded.
struct Queue {
    /// Per database, in the order computed.
    items: Vec<(PathBuf, Pending)>,
    /// Bytes of the forecasts in `items` held in memory.
    bytes: usize,
    /// Forecasts past [`SPILL_AFTER`]: an unnamed temporary file (readable by this process
    /// only, gone when it is closed).
    spill: Option<std::fs::File>,
}

static PENDING: std::sync::Mutex<Queue> = std::sync::Mutex::new(Queue { items: Vec::new(), bytes: 0, spill: None });

fn queue(path: &Path, p: Pending) {
    let Ok(mut q) = PENDING.lock() else { return };
    let p = match p {
        Pending::Forecasts { as_of, variant, engine, rows, today } => {
            let size: usize = rows.iter().map(NewForecast::size).sum();
            match (q.bytes + size > SPILL_AFTER).then(|| q.spill(&encode_rows(&rows))).flatten() {
                Some((at, len)) => Pending::Spilled { as_of, variant, engine, at, len, today },
                None => {
                    q.bytes += size;
                    Pending::Forecasts { as_of, variant, engine, rows, today }
                }
            }
        }
        other => other,
    };
    q.items.push((path.to_path_buf(), p));
}

impl Queue {
    /// Appends `bytes` to the spill file: where they start and how many, or None when the
    /// file cannot be made or written (they are then kept in memory).
    fn spill(&mut self, bytes: &[u8]) -> Option<(u64, usize)> {
        use std::io::{Seek, Write};
        if self.spill.is_none() {
            self.spill = Some(tempfile::tempfile().ok()?);
        }
        let file = self.spill.as_mut()?;
        let at = file.seek(std::io::SeekFrom::End(0)).ok()?;
        file.write_all(bytes).ok()?;
        Some((at, bytes.len()))
    }

    /// The forecasts spilled at `at`, read back.
    fn unspill(&mut self, at: u64, len: usize) -> Option<Vec<NewForecast>> {
        use std::io::{Read, Seek};
        let file = self.spill.as_mut()?;
        file.seek(std::io::SeekFrom::Start(at)).ok()?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes).ok()?;
        decode_rows(&bytes)
    }
}

impl NewForecast {
    /// Bytes it holds, about.
    fn size(&self) -> usize {
        std::mem::size_of::<NewForecast>()
            + self.inputs.len()
            + self.fitted.as_ref().map_or(0, Vec::len)
            + self.calibration.as_ref().map_or(0, String::len)
            + self.dated.as_ref().map_or(0, Vec::len)
    }
}

/// Forecasts to spill, each field length-prefixed.
fn encode_rows(rows: &[NewForecast]) -> Vec<u8> {
    fn put(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
        match bytes {
            None => out.push(0),
            Some(b) => {
                out.push(1);
                out.extend_from_slice(&(b.len() as u64).to_le_bytes());
                out.extend_from_slice(b);
            }
        }
    }
    let mut out = Vec::with_capacity(rows.iter().map(NewForecast::size).sum());
    out.extend_from_slice(&(rows.len() as u64).to_le_bytes());
    for r in rows {
        out.extend_from_slice(&r.metric_id.to_le_bytes());
        out.extend_from_slice(&r.marks.point.to_le_bytes());
        out.extend_from_slice(&r.marks.correction.to_le_bytes());
        put(&mut out, Some(r.inputs.as_bytes()));
        put(&mut out, r.fitted.as_deref());
        put(&mut out, r.calibration.as_ref().map(String::as_bytes));
        put(&mut out, r.dated.as_deref());
    }
    out
}

/// What [`encode_rows`] wrote; None when it is not that.
fn decode_rows(b: &[u8]) -> Option<Vec<NewForecast>> {
    let mut at = 0usize;
    let u64_at = |at: &mut usize| -> Option<u64> {
        let v = u64::from_le_bytes(b.get(*at..*at + 8)?.try_into().ok()?);
        *at += 8;
        Some(v)
    };
    let n = u64_at(&mut at)? as usize;
    let mut rows = Vec::with_capacity(n.min(b.len()));
    for _ in 0..n {
        let metric_id = u64_at(&mut at)? as i64;
        let point = u64_at(&mut at)? as i64;
        let correction = u64_at(&mut at)? as i64;
        let field = |at: &mut usize| -> Option<Option<Vec<u8>>> {
            let flag = *b.get(*at)?;
            *at += 1;
            if flag == 0 {
                return Some(None);
            }
            let len = u64_at(at)? as usize;
            let v = b.get(*at..at.checked_add(len)?)?.to_vec();
            *at += len;
            Some(Some(v))
        };
        let inputs = String::from_utf8(field(&mut at)??).ok()?;
        let fitted = field(&mut at)?;
        let calibration = field(&mut at)?.map(String::from_utf8).transpose().ok()?;
        let dated = field(&mut at)?;
        rows.push(NewForecast { metric_id, inputs, marks: Marks { point, correction }, fitted, calibration, dated });
    }
    (at == b.len()).then_some(rows)
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
    let mut queue = match PENDING.lock() {
        Ok(mut q) => {
            Queue { items: std::mem::take(&mut q.items), bytes: std::mem::take(&mut q.bytes), spill: q.spill.take() }
        }
        Err(_) => return,
    };
    // Per database, in the order computed: one transaction for all of a database's batches
    // (a cold report over 20,000 metrics queues one per chunk of metrics and date).
    let mut paths: Vec<PathBuf> = Vec::new();
    for (path, _) in &queue.items {
        if !paths.contains(path) {
            paths.push(path.clone());
        }
    }
    let mut items = std::mem::take(&mut queue.items);
    for path in paths {
        let (mine, rest): (Vec<_>, Vec<_>) = items.into_iter().partition(|(p, _)| *p == path);
        items = rest;
        // Best-effort (see `CacheWriter`): the first failure drops what was not committed.
        let _ = write_all(&path, mine.into_iter().map(|(_, p)| p), &mut queue);
    }
}

/// Writes `batches` into the database at `path` in one transaction.
fn write_all(path: &Path, batches: impl Iterator<Item = Pending>, queue: &mut Queue) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(WRITE_WAIT)?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for p in batches {
        let p = match p {
            Pending::Spilled { as_of, variant, engine, at, len, today } => match queue.unspill(at, len) {
                Some(rows) => Pending::Forecasts { as_of, variant, engine, rows, today },
                None => continue,
            },
            other => other,
        };
        write(&tx, &p)?;
    }
    tx.commit()
}

/// Forgets what was queued (a command that failed).
pub fn forget_cached() {
    if let Ok(mut q) = PENDING.lock() {
        q.items.clear();
        q.bytes = 0;
        q.spill = None;
    }
}

/// Writes one batch inside `tx`.
fn write(tx: &rusqlite::Transaction<'_>, p: &Pending) -> rusqlite::Result<()> {
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
            touch(tx, &as_of, *variant, *today)?;
        }
        Pending::Used { as_of, variant, today } => touch(tx, &super::iso(*as_of), *variant, *today)?,
        // Read back into `Forecasts` by `keep_cached` before anything is written.
        Pending::Spilled { .. } => {}
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
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<NewForecast> {
        vec![
            NewForecast {
                metric_id: 7,
                inputs: "chips/yield-pct|99|up|0.5|1095|600".into(),
                marks: Marks { point: 1_000_000, correction: 3 },
                fitted: Some(vec![1, 2, 3, 0, 255]),
                calibration: Some("digest".into()),
                dated: Some(Vec::new()),
            },
            NewForecast {
                metric_id: -1,
                inputs: "王/良率".into(),
                marks: Marks { point: 0, correction: 0 },
                fitted: None,
                calibration: None,
                dated: None,
            },
        ]
    }

    fn same(a: &[NewForecast], b: &[NewForecast]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(
                (x.metric_id, &x.inputs, x.marks, &x.fitted, &x.calibration, &x.dated),
                (y.metric_id, &y.inputs, y.marks, &y.fitted, &y.calibration, &y.dated)
            );
        }
    }

    /// Forecasts written aside read back as they were; anything else is refused.
    #[test]
    fn spilled_forecasts_read_back_whole() {
        let bytes = encode_rows(&rows());
        same(&decode_rows(&bytes).unwrap(), &rows());
        assert!(decode_rows(&bytes[..bytes.len() - 1]).is_none(), "cut short");
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_rows(&longer).is_none(), "trailing bytes");
        assert!(decode_rows(&[]).is_none());

        // Through the spill file: two batches, read back in any order.
        let mut q = Queue { items: Vec::new(), bytes: 0, spill: None };
        let (at1, len1) = q.spill(&bytes).unwrap();
        let second = encode_rows(&rows()[1..]);
        let (at2, len2) = q.spill(&second).unwrap();
        assert_eq!((at1, at2), (0, bytes.len() as u64));
        same(&q.unspill(at2, len2).unwrap(), &rows()[1..]);
        same(&q.unspill(at1, len1).unwrap(), &rows());
    }
}
