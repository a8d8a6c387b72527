//! Bulk import: all rows in one transaction, streamed so that a million rows
//! need little memory, with every unknown name collected before failing.

use std::collections::BTreeSet;

// Lookups run once or more per row: a fast hash (the keys are our own names, not an attacker's).
use rustc_hash::FxHashMap as HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};

use super::entities::insert_metric;
use super::points::day_review;
use super::{Store, StoreError};
use crate::core::error::UserError;
use crate::core::model::{Direction, Metric, Point, ReviewKind};
use crate::core::plausible;

/// The most unknown names an import lists (see [`StoreError::UnknownNames`]).
pub const MAX_UNKNOWN: usize = 1000;

/// One validated CSV row (or one generated reading of the demo data; the
/// default leaves every optional column empty).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportRow {
    /// The line in the file (header is line 1), for error messages.
    pub line: u64,
    /// The reading; its `review` is not read (the row's review is its date, `kind` and
    /// `reviewer`).
    pub point: Point,
    pub blockers: Vec<(String, String)>,
    /// When each blocker above was resolved (`None`: open); empty when all are open.
    pub resolved: Vec<Option<NaiveDate>>,
    pub kind: Option<ReviewKind>,
    pub reviewer: Option<String>,
    pub target: Option<f64>,
    pub direction: Option<Direction>,
    pub tolerance: Option<f64>,
    pub unit: Option<String>,
}

/// A project or engineer that an import with `--create-missing` creates: named by its slug or
/// handle, at the default priority, reporting to nobody.
const NEW_PROJECT: &str =
    "INSERT INTO project (slug, name, priority, owner, created_at, uid) VALUES (?1, ?1, 3, NULL, ?2, ?3)";
const NEW_ENGINEER: &str =
    "INSERT INTO engineer (handle, name, reports_to, created_at, uid) VALUES (?1, ?1, NULL, ?2, ?3)";

/// Projects or engineers by name, as an import meets them: looked up once, created when
/// missing and allowed, or else counted as unknown.
struct Names<'c> {
    kind: &'static str,
    ids: HashMap<String, i64>,
    find: rusqlite::Statement<'c>,
    create: rusqlite::Statement<'c>,
}

impl<'c> Names<'c> {
    fn new(tx: &'c rusqlite::Connection, kind: &'static str, find: &str, create: &str) -> Result<Names<'c>> {
        Ok(Names { kind, ids: HashMap::default(), find: tx.prepare(find)?, create: tx.prepare(create)? })
    }

    /// The id of `name`; `None` when it does not exist and may not be created (it is then
    /// added to `unknown`). A name created is added to `created`.
    fn resolve(
        &mut self,
        name: &str,
        create_missing: bool,
        stamp: &str,
        unknown: &mut Unknown,
        created: &mut Vec<String>,
    ) -> Result<Option<i64>> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(Some(id));
        }
        let id = match self.find.query_row([name], |r| r.get::<_, i64>(0)).optional()? {
            Some(id) => id,
            None if create_missing => {
                let id = self.create.insert(params![name, stamp, super::new_uid()])?;
                created.push(name.to_string());
                id
            }
            None => {
                unknown.add(format!("{} '{name}'", self.kind));
                return Ok(None);
            }
        };
        self.ids.insert(name.to_string(), id);
        Ok(Some(id))
    }
}

/// Rows to import, in file order, with the first error where it was met.
pub type ImportBatch = Vec<Result<ImportRow, UserError>>;

/// An import switches to bulk mode after this many rows, or after a quarter
/// of the points already stored, whichever is more. Maintaining the three
/// point indexes row by row (rows arrive in date order, so every metric's and
/// engineer's entries go to a different place) took ~4.5 µs a row, 70% of a
/// million-row import; rebuilding them by sorting takes ~0.85 µs a row of
/// the whole table. Past a quarter of the table, rebuilding is cheaper.
const BULK_MIN_ROWS: u64 = 50_000;

/// The page cache while rebuilding the point indexes, in KiB. SQLite's sorter keeps that
/// much in memory before it writes a sorted run to a temporary file and starts the next,
/// merged at the end; smaller runs are sorted on the second thread while the table is still
/// being read. Building the two date indexes of a million rows (sqlite3 shell, medians of
/// three) took 0.55 s with 4 MiB, 0.80 s with 24 MiB and 0.71 s with 64 MiB on one thread;
/// the whole import 2.17 s instead of 2.39 s (median of six), peaking at 54 MB, not 92 MB.
const REBUILD_CACHE_KIB: i64 = 4 * 1024;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportSummary {
    pub points: u64,
    pub blockers: u64,
    /// Rows skipped because the same reading was already stored.
    pub skipped: u64,
    /// Blockers of skipped rows that the file resolves and the database had open.
    pub resolved_blockers: u64,
    pub created_projects: Vec<String>,
    pub created_metrics: Vec<String>,
    pub created_engineers: Vec<String>,
}

impl Store {
    /// Imports `rows` all or nothing. Without `create_missing`, unknown
    /// projects, metrics or engineers fail the import, naming every one.
    pub fn import<I>(
        &mut self,
        rows: I,
        create_missing: bool,
        force: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportSummary>
    where
        I: IntoIterator<Item = Result<ImportRow, UserError>>,
    {
        let mut rows = rows.into_iter();
        let batches = std::iter::from_fn(move || {
            let batch: ImportBatch = rows.by_ref().take(1024).collect();
            (!batch.is_empty()).then_some(batch)
        });
        self.import_batches(batches, create_missing, force, progress, &mut drop)
    }

    /// [`Store::import`] of rows in batches, handing each batch to `spent` once its rows are
    /// written. The rows are read where they lie: a batch parsed on another thread goes back
    /// there whole, to be freed by the thread that made it. A million rows made on one thread
    /// and freed on another spent a fifth of the import's CPU in the allocator, both threads
    /// waiting on the lock of the arena that made them; and moving each row out of its batch
    /// and back cost the writing thread a tenth of its time in copies.
    pub fn import_batches<I>(
        &mut self,
        batches: I,
        create_missing: bool,
        force: bool,
        progress: &mut dyn FnMut(u64),
        spent: &mut dyn FnMut(ImportBatch),
    ) -> Result<ImportSummary>
    where
        I: IntoIterator<Item = ImportBatch>,
    {
        let stamp = self.clock.stamp();
        // The first import of a history, into a database without readings, goes through a
        // rollback journal rather than the WAL. The pages it adds lie past the file's end,
        // which a rollback journal never copies, where the WAL writes every page twice (into
        // the log, then into the file when it is checkpointed): a million-row import took a
        // third less wall time. All or nothing either way (a killed import's journal is
        // rolled back by the next open); only readers differ, waiting for the import to
        // end instead of seeing the database without readings meanwhile.
        let journal = self.conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM point)", [], |r| r.get::<_, bool>(0))?
            && self.leave_wal();
        // Every id written is looked up or created inside this one write
        // transaction, so SQLite's own foreign-key lookups (three per point)
        // can only agree; they are skipped for the import and back on after.
        // (The pragma has no effect inside a transaction, hence out here.)
        self.conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        // The schema's CHECK constraints are checked by `schema_checks` instead, for every
        // row this import writes: compiled into a multi-row INSERT, they make SQLite keep a
        // statement journal, a copy of every page the statement changes (3.4 GB written to
        // a temporary file for a million rows, a quarter of the import's time).
        self.conn.execute_batch("PRAGMA ignore_check_constraints = ON")?;
        let result = self.import_rows(batches, create_missing, force, progress, spent, &stamp);
        self.conn.execute_batch("PRAGMA ignore_check_constraints = OFF; PRAGMA foreign_keys = ON")?;
        if journal {
            // Back to WAL for what follows. Should another process hold the file open by
            // now, it stays in rollback mode until the next open switches it (every open does).
            let _ = self.use_wal();
        }
        result
    }

    fn import_rows<I>(
        &mut self,
        batches: I,
        create_missing: bool,
        force: bool,
        progress: &mut dyn FnMut(u64),
        spent: &mut dyn FnMut(ImportBatch),
        stamp: &str,
    ) -> Result<ImportSummary>
    where
        I: IntoIterator<Item = ImportBatch>,
    {
        let tx = self.write()?;
        let mut summary = ImportSummary::default();
        let mut reviews: HashMap<(NaiveDate, ReviewKind, Option<i64>), i64> = HashMap::default();
        let mut unknown = Unknown::default();
        // Bulk mode (see `BULK_MIN_ROWS`): once this import is large next to
        // the points already stored, the point indexes are dropped inside the
        // transaction and rebuilt before it commits. Their definitions come
        // from the schema itself, so they are recreated exactly.
        let stored: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM point", [], |r| r.get(0))?;
        let bulk_after = BULK_MIN_ROWS.max(stored as u64 / 4);
        let mut dropped: Vec<String> = Vec::new();
        // Readings already stored, so that re-importing a file (an export of
        // this very database, say) adds nothing twice.
        let mut seen = Seen::new(stored, &tx)?;
        {
            let mut projects = Names::new(&tx, "project", "SELECT id FROM project WHERE slug = ?1", NEW_PROJECT)?;
            let mut metrics = Metrics::new(&tx)?;
            let mut engineers = Names::new(&tx, "engineer", "SELECT id FROM engineer WHERE handle = ?1", NEW_ENGINEER)?;
            // Rows are written ROWS_PER_INSERT at a time; a point's id is then worked out from
            // the statement's last one, which holds while ids are given out one after another
            // (see `PendingPoint`). Near the largest id SQLite picks ids at random: one a time.
            let per_insert = if stored < i64::MAX / 2 { ROWS_PER_INSERT } else { 1 };
            let mut writes = Writes {
                points: tx.prepare(&insert_points_sql(per_insert))?,
                blockers: tx.prepare(
                    "INSERT INTO blocker (category, text, project_id, metric_id, engineer_id, point_id, opened, resolved, uid)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?,
            };

            for mut batch in batches {
                let mut pending: Vec<PendingPoint<'_>> = Vec::with_capacity(per_insert);
                for i in 0..batch.len() {
                    let row = match &batch[i] {
                        Ok(row) => row,
                        Err(_) => return Err(batch.swap_remove(i).expect_err("an error").into()),
                    };
                    schema_checks(row)?;
                    let project_id = projects.resolve(
                        &row.point.project,
                        create_missing,
                        stamp,
                        &mut unknown,
                        &mut summary.created_projects,
                    )?;
                    let metric = metrics.resolve(
                        &tx,
                        row,
                        project_id,
                        create_missing,
                        stamp,
                        &mut unknown,
                        &mut summary.created_metrics,
                    )?;
                    let engineer_id = engineers.resolve(
                        &row.point.engineer,
                        create_missing,
                        stamp,
                        &mut unknown,
                        &mut summary.created_engineers,
                    )?;
                    let reviewer_id = match &row.reviewer {
                        Some(h) => {
                            engineers.resolve(h, create_missing, stamp, &mut unknown, &mut summary.created_engineers)?
                        }
                        None => None,
                    };
                    let (Some((metric_id, project_id, bounds)), Some(engineer_id)) = (metric, engineer_id) else {
                        continue;
                    };
                    if !unknown.is_empty() {
                        // Keep reading to name every unknown; nothing will be kept.
                        continue;
                    }
                    let mut date_buf = [0u8; 10];
                    let date = iso_fast(row.point.date, &mut date_buf);
                    if let Some(point) =
                        seen.take(&tx, metric_id, engineer_id, date, row.point.value, &row.point.note)?
                    {
                        summary.resolved_blockers += same_blockers(&tx, point, row)?;
                        summary.skipped += 1;
                        continue;
                    }
                    // A new reading only: one forced in before and exported comes back as a
                    // reading already stored, skipped above.
                    if !force && plausible::outside(bounds, row.point.value) {
                        return Err(StoreError::OutOfBounds {
                            line: row.line,
                            value: crate::core::format::num(row.point.value),
                            metric: format!("{}/{}", row.point.project, row.point.metric),
                            bounds: crate::core::format::bounds(bounds.0, bounds.1),
                        }
                        .into());
                    }
                    // A reviewer without a kind joins that day's weekly review, as `log` does.
                    let kind = row.kind.or(row.reviewer.as_ref().map(|_| ReviewKind::Weekly));
                    let review_id = match kind {
                        Some(kind) => {
                            let key = (row.point.date, kind, reviewer_id);
                            match reviews.get(&key) {
                                Some(&id) => Some(id),
                                None => {
                                    let id = day_review(&tx, date, kind, reviewer_id, stamp)?;
                                    reviews.insert(key, id);
                                    Some(id)
                                }
                            }
                        }
                        None => None,
                    };
                    let mut uid = [0u8; UID_LEN];
                    super::new_uid_into(&mut uid);
                    pending.push(PendingPoint {
                        date: date_buf,
                        project_id,
                        metric_id,
                        engineer_id,
                        value: row.point.value,
                        note: &row.point.note,
                        review_id,
                        uid,
                        blockers: (!row.blockers.is_empty()).then_some(row),
                    });
                    summary.points += 1;
                    if pending.len() == per_insert || summary.points == bulk_after {
                        writes.flush(&tx, &mut pending, stamp, &mut summary)?;
                    }
                    if summary.points == bulk_after {
                        // The lookups of stored readings need the point indexes:
                        // read all that are left now, before they are dropped.
                        seen.load_all(&tx)?;
                        dropped = drop_point_indexes(&tx)?;
                    }
                    if summary.points % 10_000 == 0 {
                        progress(summary.points);
                    }
                }
                // The pending rows borrow from the batch: written before it goes back.
                writes.flush(&tx, &mut pending, stamp, &mut summary)?;
                spent(batch);
            }
        }
        if !unknown.is_empty() {
            let names: Vec<String> = unknown.names.into_iter().collect();
            return Err(StoreError::UnknownNames { names, more: unknown.more }.into());
        }
        if !dropped.is_empty() {
            // The sorter's runs (see `REBUILD_CACHE_KIB`), sorted by a second thread.
            tx.pragma_update(None, "cache_size", -REBUILD_CACHE_KIB)?;
            tx.pragma_update(None, "threads", 2)?;
            for sql in &dropped {
                tx.execute_batch(sql)?;
            }
        }
        tx.commit()?;
        if !dropped.is_empty() {
            self.conn.pragma_update(None, "cache_size", -2000)?;
            self.conn.pragma_update(None, "threads", 0)?;
        }
        progress(summary.points);
        Ok(summary)
    }
}

/// Drops the point indexes that bulk mode rebuilds at the end (see [`BULK_MIN_ROWS`]);
/// returns their definitions, from the schema itself, so that they are recreated exactly.
///
/// Not `point_uid` nor `point_by_review`: the uids this process makes only grow (see
/// `new_uid`) and a file's reviews are made as its dates go by, so their entries land at or
/// near the index's end (pages in the cache), cheaper than sorting a million keys again.
fn drop_point_indexes(tx: &rusqlite::Connection) -> Result<Vec<String>> {
    let mut stmt = tx.prepare(
        "SELECT name, sql FROM sqlite_schema
         WHERE type = 'index' AND tbl_name = 'point' AND sql IS NOT NULL
           AND name NOT IN ('point_uid', 'point_by_review')
         ORDER BY name",
    )?;
    let indexes: Vec<(String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let mut dropped = Vec::with_capacity(indexes.len());
    for (name, sql) in indexes {
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        dropped.push(sql);
    }
    Ok(dropped)
}

/// The schema's CHECK constraints on what an import writes, which SQLite is told not to
/// check during an import (see [`Store::import_batches`]): a point's note and its blockers'
/// texts are not blank (SQLite's `trim` removes spaces only), a blocker is not resolved
/// before the reading that cites it, and a metric's tolerance is not negative. The projects,
/// engineers and reviews an import creates hold constants that satisfy theirs. And one the
/// schema cannot say: the date has four digits of year, so that it is stored as the ten
/// characters `YYYY-MM-DD` that every comparison of dates in SQL relies on (see [`iso_fast`]).
fn schema_checks(row: &ImportRow) -> Result<(), StoreError> {
    use chrono::Datelike;
    let refuse = |column, problem| Err(StoreError::RowRefused { line: row.line, column, problem });
    if !(0..=9999).contains(&row.point.date.year()) {
        return refuse("date", "the year is not between 0 and 9999");
    }
    if row.point.note.trim_matches(' ').is_empty() {
        return refuse("note", "the note is empty; every data point needs one");
    }
    if row.blockers.iter().any(|(_, text)| text.trim_matches(' ').is_empty()) {
        return refuse("blocker", "a blocker's text is empty");
    }
    if row.resolved.iter().flatten().any(|on| *on < row.point.date) {
        return refuse("blocker_resolved", "a blocker is resolved before the reading that cites it");
    }
    if row.tolerance.is_some_and(|t| t < 0.0 || t.is_nan()) {
        return refuse("tolerance", "the tolerance is not a number of 0 or more");
    }
    Ok(())
}

/// Points per INSERT statement. One statement per row spent 6–7% of the writing thread in
/// starting and ending statements (cursors opened and closed, values reset); a million-row
/// import took 1.78 s at one row a statement, 1.46 s at 32 and 1.47 s at 128.
const ROWS_PER_INSERT: usize = 32;

const UID_LEN: usize = uuid::fmt::Hyphenated::LENGTH;

/// A point parsed, checked and resolved, waiting for its multi-row INSERT.
struct PendingPoint<'b> {
    date: [u8; 10],
    /// The metric's project, which its blockers name.
    project_id: i64,
    metric_id: i64,
    engineer_id: i64,
    value: f64,
    note: &'b str,
    review_id: Option<i64>,
    uid: [u8; UID_LEN],
    /// The row, when it has blockers to write once the point has its id.
    blockers: Option<&'b ImportRow>,
}

/// `INSERT INTO point` of `rows` rows: `?1` is the creation stamp that all share, then seven
/// parameters per row.
fn insert_points_sql(rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::from(
        "INSERT OR FAIL INTO point (date, metric_id, engineer_id, value, note, review_id, created_at, uid) VALUES ",
    );
    for i in 0..rows {
        let b = 2 + 7 * i;
        let sep = if i == 0 { "" } else { ", " };
        let _ =
            write!(sql, "{sep}(?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?1, ?{})", b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6);
    }
    sql
}

/// The statements an import writes points and their blockers with.
struct Writes<'c> {
    /// `INSERT INTO point` of a whole `ROWS_PER_INSERT` rows (or one, see `per_insert`).
    points: rusqlite::Statement<'c>,
    blockers: rusqlite::Statement<'c>,
}

impl<'c> Writes<'c> {
    /// Writes the pending points, then their blockers. Within one transaction that holds
    /// the write lock, SQLite gives each new row of a table without AUTOINCREMENT the largest
    /// id plus one, so the points of one statement have consecutive ids ending at the last
    /// one inserted.
    fn flush(
        &mut self,
        tx: &'c rusqlite::Connection,
        pending: &mut Vec<PendingPoint<'_>>,
        stamp: &str,
        summary: &mut ImportSummary,
    ) -> Result<()> {
        let n = pending.len();
        if n == 0 {
            return Ok(());
        }
        let mut partial;
        let stmt = if n == self.points.parameter_count() / 7 {
            &mut self.points
        } else {
            partial = tx.prepare_cached(&insert_points_sql(n))?;
            &mut *partial
        };
        stmt.raw_bind_parameter(1, stamp)?;
        for (i, p) in pending.iter().enumerate() {
            let b = 2 + 7 * i;
            stmt.raw_bind_parameter(b, std::str::from_utf8(&p.date).expect("an ISO date"))?;
            stmt.raw_bind_parameter(b + 1, p.metric_id)?;
            stmt.raw_bind_parameter(b + 2, p.engineer_id)?;
            stmt.raw_bind_parameter(b + 3, p.value)?;
            stmt.raw_bind_parameter(b + 4, p.note)?;
            stmt.raw_bind_parameter(b + 5, p.review_id)?;
            stmt.raw_bind_parameter(b + 6, std::str::from_utf8(&p.uid).expect("a uid"))?;
        }
        stmt.raw_execute()?;
        let last = tx.last_insert_rowid();
        for (i, p) in pending.iter().enumerate() {
            let Some(row) = p.blockers else { continue };
            let point_id = last - (n - 1 - i) as i64;
            let date = std::str::from_utf8(&p.date).expect("an ISO date");
            for (j, (cat, text)) in row.blockers.iter().enumerate() {
                let resolved = row.resolved.get(j).copied().flatten().map(super::iso);
                self.blockers.execute(params![
                    cat,
                    text,
                    p.project_id,
                    p.metric_id,
                    p.engineer_id,
                    point_id,
                    date,
                    resolved,
                    super::new_uid()
                ])?;
                summary.blockers += 1;
            }
        }
        pending.clear();
        Ok(())
    }
}

/// The readings stored before an import began (ids up to `upto`), indexed
/// by a hash of (metric, engineer, date, value, note), so that a row already
/// stored is recognised and skipped. Each stored reading matches one row at
/// most: a file holding the same reading twice adds it twice to an empty
/// database, and nothing to one that has both. Loaded one metric at a time,
/// as rows name them (through `point_by_metric_date`); all at once before
/// bulk mode drops that index. Hashes only find candidates: a match is
/// confirmed by reading the point itself.
///
/// A corrected reading is recognised both as first logged and as it stands
/// now (what `export` writes), so re-importing an export made before or
/// after a correction adds nothing; a retracted reading stays retracted.
struct Seen {
    upto: i64,
    /// Corrections of stored readings, folded per point.
    overlays: std::collections::HashMap<i64, super::corrections::Overlay>,
    /// Stored readings already matched by a row: each matches one at most.
    matched: rustc_hash::FxHashSet<i64>,
    loaded: rustc_hash::FxHashSet<i64>,
    all: bool,
    /// A hash → one stored point not yet matched.
    one: HashMap<u64, i64>,
    /// Further stored points with the same hash (rare: equal readings).
    more: HashMap<u64, Vec<i64>>,
}

fn reading_hash(metric: i64, engineer: i64, date: &str, value: f64, note: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (metric, engineer, date, value.to_bits(), note).hash(&mut h);
    h.finish()
}

impl Seen {
    fn new(upto: i64, tx: &rusqlite::Connection) -> Result<Seen> {
        let overlays = if upto == 0 { Default::default() } else { super::corrections::overlays(tx)? };
        Ok(Seen {
            upto,
            overlays,
            matched: Default::default(),
            loaded: Default::default(),
            all: upto == 0,
            one: HashMap::default(),
            more: HashMap::default(),
        })
    }

    /// The reading as it stands now, when corrections changed it.
    fn current(
        &self,
        id: i64,
        engineer: i64,
        date: &str,
        value: f64,
        note: &str,
    ) -> Option<(i64, String, f64, String)> {
        let o = self.overlays.get(&id).filter(|o| !o.retracted)?;
        if o.value.is_none() && o.note.is_none() && o.date.is_none() && o.engineer_id.is_none() {
            return None;
        }
        Some((
            o.engineer_id.unwrap_or(engineer),
            o.date.map(super::iso).unwrap_or_else(|| date.to_string()),
            o.value.unwrap_or(value),
            o.note.clone().unwrap_or_else(|| note.to_string()),
        ))
    }

    fn add(&mut self, hash: u64, id: i64) {
        match self.one.entry(hash) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.more.entry(hash).or_default().push(id),
        }
    }

    fn load_rows(&mut self, rows: &mut rusqlite::Rows<'_>, metric: Option<i64>) -> Result<()> {
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let m: i64 = match metric {
                Some(m) => m,
                None => r.get(5)?,
            };
            if metric.is_none() && self.loaded.contains(&m) {
                continue;
            }
            let (engineer, date, value, note) =
                (r.get(1)?, r.get_ref(2)?.as_str()?, r.get(3)?, r.get_ref(4)?.as_str()?);
            self.add(reading_hash(m, engineer, date, value, note), id);
            if let Some((e, d, v, n)) = self.current(id, engineer, date, value, note) {
                self.add(reading_hash(m, e, &d, v, &n), id);
            }
        }
        Ok(())
    }

    fn load_metric(&mut self, tx: &rusqlite::Connection, metric: i64) -> Result<()> {
        let mut stmt = tx
            .prepare_cached("SELECT id, engineer_id, date, value, note FROM point WHERE metric_id = ?1 AND id <= ?2")?;
        let mut rows = stmt.query(params![metric, self.upto])?;
        self.load_rows(&mut rows, Some(metric))?;
        self.loaded.insert(metric);
        Ok(())
    }

    fn load_all(&mut self, tx: &rusqlite::Connection) -> Result<()> {
        if self.all {
            return Ok(());
        }
        let mut stmt = tx.prepare("SELECT id, engineer_id, date, value, note, metric_id FROM point WHERE id <= ?1")?;
        let mut rows = stmt.query([self.upto])?;
        self.load_rows(&mut rows, None)?;
        self.all = true;
        Ok(())
    }

    /// The stored reading equal to this row, not matched before, if any;
    /// it is matched now.
    fn take(
        &mut self,
        tx: &rusqlite::Connection,
        metric: i64,
        engineer: i64,
        date: &str,
        value: f64,
        note: &str,
    ) -> Result<Option<i64>> {
        if self.upto == 0 {
            return Ok(None);
        }
        if !self.all && !self.loaded.contains(&metric) {
            self.load_metric(tx, metric)?;
        }
        let hash = reading_hash(metric, engineer, date, value, note);
        let Some(&first) = self.one.get(&hash) else { return Ok(None) };
        let mut candidates = vec![first];
        candidates.extend(self.more.get(&hash).into_iter().flatten().copied());
        let mut stmt =
            tx.prepare_cached("SELECT metric_id, engineer_id, date, value, note FROM point WHERE id = ?1")?;
        for id in candidates {
            if self.matched.contains(&id) {
                continue;
            }
            let stored: (i64, i64, String, f64, String) =
                stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
            let (m, e, d, v, n) = &stored;
            let same = |e: i64, d: &str, v: f64, n: &str| {
                *m == metric && e == engineer && d == date && v.to_bits() == value.to_bits() && n == note
            };
            let now = self.current(id, *e, d, *v, n);
            if same(*e, d, *v, n) || now.is_some_and(|(e, d, v, n)| same(e, &d, v, &n)) {
                self.matched.insert(id);
                // Matched: it cannot match another row.
                let rest = self.more.get_mut(&hash);
                if id == first {
                    match rest.and_then(Vec::pop) {
                        Some(next) => drop(self.one.insert(hash, next)),
                        None => drop(self.one.remove(&hash)),
                    }
                } else if let Some(rest) = rest {
                    rest.retain(|&x| x != id);
                }
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}

/// A row already stored as `point` must cite the same blockers; a
/// resolution the file gives for one still open is applied (an import
/// resolves, it never reopens). Returns how many were resolved.
fn same_blockers(tx: &rusqlite::Connection, point: i64, row: &ImportRow) -> Result<u64> {
    let mut stmt =
        tx.prepare_cached("SELECT id, category, text, opened, resolved FROM blocker WHERE point_id = ?1 ORDER BY id")?;
    let stored: Vec<(i64, String, String, String, Option<String>)> = stmt
        .query_map([point], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<Result<_, _>>()?;
    let same = stored.len() == row.blockers.len()
        && stored.iter().zip(&row.blockers).all(|(s, (c, t))| s.1 == *c && s.2 == *t);
    if !same {
        let show = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join("; ") };
        return Err(StoreError::BlockersDiffer {
            line: row.line,
            point,
            stored: show(stored.iter().map(|s| format!("{}:{}", s.1, s.2)).collect()),
            given: show(row.blockers.iter().map(|(c, t)| format!("{c}:{t}")).collect()),
        }
        .into());
    }
    let mut resolved = 0;
    for (i, (id, .., opened, now)) in stored.iter().enumerate() {
        if let (None, Some(Some(on))) = (now, row.resolved.get(i)) {
            let on = super::iso(*on);
            if on >= *opened {
                tx.execute("UPDATE blocker SET resolved = ?1 WHERE id = ?2", params![on, id])?;
                resolved += 1;
            }
        }
    }
    Ok(resolved)
}

/// The unknown names an import found, to list them all in one error; past
/// [`Unknown::MAX`] only counted, so that a file of a million unknown names
/// does not hold them all in memory.
#[derive(Default)]
struct Unknown {
    names: BTreeSet<String>,
    more: bool,
}

impl Unknown {
    const MAX: usize = MAX_UNKNOWN;

    fn add(&mut self, name: String) {
        if self.names.len() < Self::MAX || self.names.contains(&name) {
            self.names.insert(name);
        } else {
            self.more = true;
        }
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A metric the import has met, with the definition its rows must agree with.
struct Known {
    id: i64,
    project_id: i64,
    target: f64,
    direction: Direction,
    tolerance: f64,
    unit: Option<String>,
    /// The bounds its readings must keep (see [`plausible::bounds_of`]).
    bounds: plausible::Bounds,
}

impl Known {
    /// A row's `target`, `direction`, `tolerance` and `unit` describe its
    /// metric: a value that differs from the stored one is refused rather
    /// than silently ignored (an import never changes a metric).
    fn check(&self, row: &ImportRow) -> Result<(), StoreError> {
        let differs = |col: &str, given: String, stored: String| StoreError::MetricDiffers {
            line: row.line,
            column: col.to_string(),
            given,
            stored,
            metric: format!("{}/{}", row.point.project, row.point.metric),
        };
        if let Some(t) = row.target.filter(|&t| t != self.target) {
            return Err(differs("target", t.to_string(), self.target.to_string()));
        }
        if let Some(d) = row.direction.filter(|&d| d != self.direction) {
            return Err(differs("direction", d.to_string(), self.direction.to_string()));
        }
        if let Some(t) = row.tolerance.filter(|&t| t != self.tolerance) {
            return Err(differs("tolerance", t.to_string(), self.tolerance.to_string()));
        }
        if let Some(u) = row.unit.as_ref().filter(|u| Some(*u) != self.unit.as_ref()) {
            return Err(differs("unit", u.clone(), self.unit.clone().unwrap_or_default()));
        }
        Ok(())
    }
}

/// Metrics by project and slug, as an import meets them: looked up once and checked against
/// each row's definition columns, created when missing and allowed (a row must then give the
/// target and direction), or else counted as unknown.
struct Metrics<'c> {
    /// project slug -> metric slug -> metric: looked up by &str, so a row costs no key
    /// allocation.
    known: HashMap<String, HashMap<String, Known>>,
    find: rusqlite::Statement<'c>,
}

impl<'c> Metrics<'c> {
    fn new(tx: &'c rusqlite::Connection) -> Result<Metrics<'c>> {
        let find = tx
            .prepare("SELECT id, target, direction, tolerance, unit, lower_bound, upper_bound FROM metric WHERE project_id = ?1 AND slug = ?2")?;
        Ok(Metrics { known: HashMap::default(), find })
    }

    /// The row's (metric id, project id); `None` when its project or metric does not exist
    /// and may not be created (the metric is then added to `unknown`). A metric created is
    /// added to `created`.
    #[allow(clippy::too_many_arguments)]
    fn resolve(
        &mut self,
        tx: &rusqlite::Connection,
        row: &ImportRow,
        project_id: Option<i64>,
        create_missing: bool,
        stamp: &str,
        unknown: &mut Unknown,
        created: &mut Vec<String>,
    ) -> Result<Option<(i64, i64, plausible::Bounds)>> {
        let (project, metric) = (&row.point.project, &row.point.metric);
        if let Some(k) = self.known.get(project).and_then(|m| m.get(metric)) {
            k.check(row)?;
            return Ok(Some((k.id, k.project_id, k.bounds)));
        }
        let Some(pid) = project_id else {
            unknown.add(format!("metric '{project}/{metric}'"));
            return Ok(None);
        };
        let found = self
            .find
            .query_row(params![pid, metric], |r| {
                let direction: String = r.get(2)?;
                Ok(Known {
                    id: r.get(0)?,
                    project_id: pid,
                    target: r.get(1)?,
                    direction: direction.parse().unwrap_or(Direction::Down),
                    tolerance: r.get(3)?,
                    bounds: plausible::bounds_of(r.get(5)?, r.get(6)?, r.get::<_, Option<String>>(4)?.as_deref()),
                    unit: r.get(4)?,
                })
            })
            .optional()?;
        let k = match found {
            Some(k) => {
                k.check(row)?;
                k
            }
            None if create_missing => {
                let (Some(target), Some(direction)) = (row.target, row.direction) else {
                    return Err(StoreError::CannotCreateMetric {
                        line: row.line,
                        metric: format!("{project}/{metric}"),
                    }
                    .into());
                };
                let m = Metric {
                    project: project.clone(),
                    metric: metric.clone(),
                    name: None,
                    unit: row.unit.clone(),
                    target,
                    direction,
                    tolerance: row.tolerance.unwrap_or(0.0),
                    min: None,
                    max: None,
                    archived: false,
                };
                let id = insert_metric(tx, pid, &m, stamp)?;
                created.push(m.key());
                let bounds = plausible::bounds_of(None, None, m.unit.as_deref());
                Known { id, project_id: pid, target, direction, tolerance: m.tolerance, unit: m.unit, bounds }
            }
            None => {
                unknown.add(format!("metric '{project}/{metric}'"));
                return Ok(None);
            }
        };
        let ids = (k.id, k.project_id, k.bounds);
        self.known.entry(project.clone()).or_default().insert(metric.clone(), k);
        Ok(Some(ids))
    }
}

/// `YYYY-MM-DD` into `buf` without going through chrono's formatter (a
/// million rows spent 3% of an import there). For years 0–9999 only, which
/// [`schema_checks`] ensures: a year of five digits does not fit the ten
/// bytes, and was once cut short to a different date without a word.
fn iso_fast(d: NaiveDate, buf: &mut [u8; 10]) -> &str {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    debug_assert!((0..=9999).contains(&y), "schema_checks refuses the year {y}");
    let y = y as u32;
    let digits = [y / 1000, y / 100 % 10, y / 10 % 10, y % 10, 10, m / 10, m % 10, 10, day / 10, day % 10];
    for (b, v) in buf.iter_mut().zip(digits) {
        *b = if v == 10 { b'-' } else { b'0' + v as u8 };
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, day: u32, metric: &str, note: &str, blockers: &[&str]) -> Result<ImportRow, UserError> {
        Ok(ImportRow {
            line,
            point: Point {
                date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
                project: "power".into(),
                metric: metric.into(),
                engineer: "ana".into(),
                value: f64::from(day),
                note: note.into(),
                review: None,
            },
            blockers: blockers.iter().map(|t| ("power".to_string(), t.to_string())).collect(),
            target: Some(0.0),
            direction: Some(Direction::Down),
            ..ImportRow::default()
        })
    }

    fn store(dir: &tempfile::TempDir) -> Store {
        let clock = crate::platform::clock::Clock::fixed(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        Store::open(&dir.path().join("t.db"), clock).unwrap()
    }

    fn count(store: &Store, table: &str) -> i64 {
        store.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    }

    /// Points are written many to an INSERT: each blocker still cites its own reading,
    /// wherever the reading falls in a statement, in whole and partial ones alike.
    #[test]
    fn blockers_cite_their_own_points_across_multi_row_inserts() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(&dir);
        let cited = [0, 1, 30, 31, 32, 33, 63, 64, 70, 99];
        let rows: Vec<_> = (0..100u64)
            .map(|i| {
                let text = format!("blocked {i}");
                let blockers: Vec<&str> = if cited.contains(&i) { vec![&text, "second"] } else { vec![] };
                row(i + 2, 1 + (i % 28) as u32, &format!("m{}", i % 3), &format!("note {i}"), &blockers)
            })
            .collect();
        let summary = store.import(rows, true, false, &mut |_| {}).unwrap();
        assert_eq!((summary.points, summary.blockers), (100, 2 * cited.len() as u64));
        let wrong: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM blocker b JOIN point p ON p.id = b.point_id
                  WHERE (b.text <> 'second' AND b.text <> 'blocked ' || substr(p.note, 6))
                     OR b.opened <> p.date OR b.metric_id <> p.metric_id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(wrong, 0);
        let firsts: Vec<String> = {
            let mut stmt = store.conn.prepare("SELECT text FROM blocker WHERE text <> 'second' ORDER BY id").unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        assert_eq!(firsts, cited.iter().map(|i| format!("blocked {i}")).collect::<Vec<_>>());
    }

    /// What the schema's CHECK constraints refuse is refused by the import too (SQLite
    /// does not check them during one), and nothing of the file is written.
    #[test]
    fn rows_the_schema_refuses_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store(&dir);
        let mut resolved_early = row(5, 10, "m", "fine", &["late part"]);
        if let Ok(r) = &mut resolved_early {
            r.resolved = vec![Some(NaiveDate::from_ymd_opt(2026, 3, 9).unwrap())];
        }
        let mut negative = row(5, 10, "new", "fine", &[]);
        if let Ok(r) = &mut negative {
            r.tolerance = Some(-1.0);
        }
        let mut far = row(5, 10, "m", "fine", &[]);
        if let Ok(r) = &mut far {
            r.point.date = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        }
        for (bad, column) in [
            (row(5, 10, "m", "  ", &[]), "note"),
            (row(5, 10, "m", "fine", &[" "]), "blocker"),
            (resolved_early, "blocker_resolved"),
            (negative, "tolerance"),
            (far, "date"),
        ] {
            let rows = vec![row(2, 1, "m", "first", &[]), row(3, 2, "m", "second", &["part"]), bad];
            let err = store.import(rows, true, false, &mut |_| {}).unwrap_err();
            match err.downcast_ref::<StoreError>() {
                Some(StoreError::RowRefused { line: 5, column: c, .. }) => assert_eq!(*c, column),
                _ => panic!("{column}: {err:#}"),
            }
            for table in ["point", "blocker", "metric", "project", "engineer"] {
                assert_eq!(count(&store, table), 0, "{column}: {table}");
            }
        }
        // The constraints are SQLite's again afterwards.
        assert!(store
            .conn
            .execute("INSERT INTO project (slug, name, priority, created_at) VALUES ('x', 'x', 9, '')", [])
            .is_err());
    }

    #[test]
    fn iso_fast_matches_chrono() {
        for (y, m, d) in [(2026, 1, 5), (1970, 12, 31), (999, 3, 4), (9999, 11, 30)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let mut buf = [0u8; 10];
            assert_eq!(iso_fast(date, &mut buf), date.format("%Y-%m-%d").to_string());
        }
    }
}
