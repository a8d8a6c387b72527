//! Derived data kept between runs: the organization's forecast calibration per as-of date.
//!
//! Never a source of truth. An entry counts only while the data it was computed from is
//! unchanged ([`Store::data_version`]) and the forecast engine is the same; otherwise it is
//! recomputed and replaced. Writing an entry is best-effort: a read-only database simply
//! recomputes every time.

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::OptionalExtension;

use super::Store;

impl Store {
    /// A digest of everything a forecast reads: the readings (their count and highest id), the
    /// corrections and archive events laid over them (the same), and every metric's
    /// definition. Any logged, imported, amended, retracted or archived reading or any edited
    /// target changes it.
    pub fn data_version(&self) -> Result<String> {
        self.read(|| {
            let (n, max): (i64, i64) =
                self.conn.query_row("SELECT count(*), coalesce(max(id), 0) FROM point", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let metrics: String = self.conn.query_row(
                "SELECT coalesce(group_concat(id || ':' || target || ':' || direction || ':' || tolerance, ','), '')
                   FROM (SELECT * FROM metric ORDER BY id)",
                [],
                |r| r.get(0),
            )?;
            // Corrections and archive events are only ever appended: count and last id say it all.
            let facts: String = self.conn.query_row(
                "SELECT (SELECT count(*) || '.' || coalesce(max(id), 0) FROM correction) || ':' ||
                        (SELECT count(*) || '.' || coalesce(max(id), 0) FROM archive_event)",
                [],
                |r| r.get(0),
            )?;
            Ok(format!("{n}:{max}:{facts}:{:016x}", crate::core::forecast::seed_for(&metrics)))
        })
    }

    /// The cached calibration body for `as_of`, if it was computed by `engine` from `version`.
    pub fn cached_calibration(&self, as_of: NaiveDate, engine: &str, version: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT body FROM calibration_cache WHERE as_of = ?1 AND engine = ?2 AND data_version = ?3",
                (as_of.to_string(), engine, version),
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Stores a calibration body for `as_of` (replacing any older one), best-effort, through a
    /// connection of its own: the caller is usually inside a read snapshot. It waits at most a
    /// moment for another writer and never creates the file; any failure (a read-only file or
    /// folder, a busy writer) is the caller's to ignore.
    pub fn save_calibration(&self, as_of: NaiveDate, engine: &str, version: &str, body: &str) -> Result<()> {
        save_calibration(&self.path, as_of, engine, version, body)
    }

    /// Empties the cache (doctor's "rebuild derived data").
    pub fn clear_calibration_cache(&mut self) -> Result<usize> {
        let tx = self.write()?;
        let n = tx.execute("DELETE FROM calibration_cache", [])?;
        tx.commit()?;
        Ok(n)
    }
}

/// [`Store::save_calibration`] for the database at `path`.
pub fn save_calibration(
    path: &std::path::Path,
    as_of: NaiveDate,
    engine: &str,
    version: &str,
    body: &str,
) -> Result<()> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_millis(50))?;
    conn.execute(
        "INSERT OR REPLACE INTO calibration_cache (as_of, engine, data_version, body) VALUES (?1, ?2, ?3, ?4)",
        (as_of.to_string(), engine, version, body),
    )?;
    Ok(())
}
