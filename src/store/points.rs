//! Data points, the reviews they join, blockers, and the bulk reads the core
//! works from.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::entities::{engineer_id, metric_id, project_id};
use super::{date_col, iso, opt_date_col, Kind, Store, StoreError};
use crate::core::model::{Blocker, Observation, Point, ReviewKind, Snapshot};

/// Which meeting a new point belongs to.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewChoice {
    /// An existing review by id.
    Id(i64),
    /// That day's review of this kind and reviewer, created on first use.
    Day { kind: ReviewKind, reviewer: Option<String> },
}

/// A data point to record, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoint {
    /// The reading; its `review` is not read (the review is `review` below).
    pub point: Point,
    pub review: ReviewChoice,
    /// (category, text) pairs opened with this point.
    pub blockers: Vec<(String, String)>,
}

/// A stored point with its ids, as shown by `review show` and exports.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredPoint {
    pub id: i64,
    /// The reading itself (its fields sit beside `id` in JSON).
    #[serde(flatten)]
    pub point: Point,
    pub kind: Option<ReviewKind>,
    pub reviewer: Option<String>,
    /// Blockers first cited with this point, as (category, text) like every
    /// other point's; written `CATEGORY:TEXT` in JSON.
    #[serde(default, with = "crate::core::model::cited_blockers")]
    pub blockers: Vec<(String, String)>,
    /// When each of those blockers was resolved (`None`: open), for the CSV
    /// export; the JSON export lists blockers with their dates on their own.
    #[serde(skip)]
    pub resolved: Vec<Option<NaiveDate>>,
}

/// A blocker from a row of `id, category, text, project slug, metric slug,
/// engineer handle, opened, resolved` (the first eight columns).
pub(super) fn blocker_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Blocker> {
    Ok(Blocker {
        id: r.get(0)?,
        category: r.get(1)?,
        text: r.get(2)?,
        project: r.get(3)?,
        metric: r.get(4)?,
        engineer: r.get(5)?,
        opened: date_col(r, 6)?,
        resolved: opt_date_col(r, 7)?,
    })
}

/// A review an engineer spoke in.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpokeIn {
    pub review: i64,
    pub date: NaiveDate,
    pub kind: ReviewKind,
    pub reviewer: Option<String>,
    /// How many points they reported in it.
    pub points: i64,
}

/// Which blockers to list.
#[derive(Debug, Clone, Default)]
pub struct BlockerFilter {
    pub include_resolved: bool,
    pub project: Option<String>,
    pub engineer: Option<String>,
}

/// Finds that day's review of `kind` by `reviewer_id`, creating it on first use.
pub(super) fn day_review(
    tx: &rusqlite::Connection,
    date: &str,
    kind: ReviewKind,
    reviewer_id: Option<i64>,
    stamp: &str,
) -> Result<i64> {
    let found: Option<i64> = tx
        .query_row(
            "SELECT id FROM review WHERE date = ?1 AND kind = ?2 AND reviewer_id IS ?3 ORDER BY id LIMIT 1",
            params![date, kind.as_str(), reviewer_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO review (date, kind, reviewer_id, notes, created_at, uid) VALUES (?1, ?2, ?3, NULL, ?4, ?5)",
        params![date, kind.as_str(), reviewer_id, stamp, super::new_uid()],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The blocker on project `pid` open on `date` whose text is `text` (case
/// and spacing aside), with the day it was opened: citing it again refers to
/// it rather than opening a duplicate. A blocker withdrawn with a retracted
/// reading does not count.
fn open_blocker(tx: &rusqlite::Connection, pid: i64, text: &str, date: &str) -> Result<Option<(i64, NaiveDate)>> {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let wanted = norm(text);
    let mut stmt = tx.prepare_cached(
        "SELECT b.id, b.text, b.opened FROM blocker b
         WHERE b.project_id = ?1 AND b.opened <= ?2 AND (b.resolved IS NULL OR b.resolved > ?2)
           AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.point_id = b.point_id AND c.action = 'retract')
         ORDER BY b.opened, b.id",
    )?;
    let mut rows = stmt.query(params![pid, date])?;
    while let Some(r) = rows.next()? {
        if norm(r.get_ref(1)?.as_str()?) == wanted {
            return Ok(Some((r.get(0)?, date_col(r, 2)?)));
        }
    }
    Ok(None)
}

/// What `log` stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub point: i64,
    pub review: i64,
    /// Blockers opened with this point.
    pub opened: usize,
    /// Blockers cited that were already open: (id, text, opened on).
    pub cited_again: Vec<(i64, String, NaiveDate)>,
}

impl Store {
    /// Records one data point and its blockers in one transaction. A blocker
    /// already open on the project (the same text) is referred to, not
    /// opened twice.
    pub fn log(&mut self, p: &NewPoint) -> Result<Logged> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        let mid = metric_id(&tx, &p.point.project, &p.point.metric)?;
        let pid = project_id(&tx, &p.point.project)?;
        let eid = engineer_id(&tx, &p.point.engineer)?;
        let date = iso(p.point.date);
        let rid = match &p.review {
            ReviewChoice::Id(id) => {
                let held: Option<String> =
                    tx.query_row("SELECT date FROM review WHERE id = ?1", [id], |r| r.get(0)).optional()?;
                match held {
                    None => return Err(StoreError::NoReviewToJoin { review: *id }.into()),
                    // A point is heard in a meeting on its own date.
                    Some(held) if held != date => {
                        return Err(StoreError::WrongReviewDate { review: *id, date, held }.into())
                    }
                    Some(_) => *id,
                }
            }
            ReviewChoice::Day { kind, reviewer } => {
                let reviewer_id = reviewer.as_deref().map(|h| engineer_id(&tx, h)).transpose()?;
                day_review(&tx, &date, *kind, reviewer_id, &stamp)?
            }
        };
        tx.execute(
            "INSERT INTO point (date, metric_id, engineer_id, value, note, review_id, created_at, uid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![date, mid, eid, p.point.value, p.point.note, rid, stamp, super::new_uid()],
        )?;
        let point_id = tx.last_insert_rowid();
        let mut logged = Logged { point: point_id, review: rid, opened: 0, cited_again: Vec::new() };
        for (cat, text) in &p.blockers {
            if let Some((id, since)) = open_blocker(&tx, pid, text, &date)? {
                logged.cited_again.push((id, text.clone(), since));
                continue;
            }
            tx.execute(
                "INSERT INTO blocker (category, text, project_id, metric_id, engineer_id, point_id, opened, uid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![cat, text, pid, mid, eid, point_id, date, super::new_uid()],
            )?;
            logged.opened += 1;
        }
        tx.commit()?;
        Ok(logged)
    }

    /// Points as they stand now (every correction applied, retracted ones
    /// left out) with their notes, optionally only one review's, in date order.
    /// How many points [`points`](Self::points) holds: all but the retracted ones.
    pub fn point_count(&self) -> Result<u64> {
        self.read(|| {
            let all: i64 = self.conn.query_row("SELECT count(*) FROM point", [], |r| r.get(0))?;
            let retracted = self.overlays()?.values().filter(|o| o.retracted).count();
            Ok((all as u64).saturating_sub(retracted as u64))
        })
    }

    /// [`points`](Self::points) one at a time, in the same order, to `f`; how many.
    pub fn points_each(&self, review: Option<i64>, f: &mut dyn FnMut(StoredPoint) -> Result<()>) -> Result<u64> {
        let mut n = 0;
        self.current_points_each(None, review, None, &mut |l| {
            if l.retracted {
                return Ok(());
            }
            n += 1;
            f(l.point)
        })?;
        Ok(n)
    }

    pub fn points(&self, review: Option<i64>) -> Result<Vec<StoredPoint>> {
        self.read(|| {
            Ok(self.current_points(None, review)?.into_iter().filter(|l| !l.retracted).map(|l| l.point).collect())
        })
    }

    /// Points as first recorded (no correction applied), optionally one
    /// point or one review's, in date order.
    pub fn raw_points(&self, point: Option<i64>, review: Option<i64>) -> Result<Vec<StoredPoint>> {
        self.read(|| self.raw_points_in_tx(point, review))
    }

    fn raw_points_in_tx(&self, point: Option<i64>, review: Option<i64>) -> Result<Vec<StoredPoint>> {
        super::collected(|f| self.raw_points_each(point.as_ref().map(std::slice::from_ref), review, None, f))
    }

    /// [`raw_points`](Self::raw_points) one at a time, in the same order, to `f`: an export of
    /// a million points need not hold them all.
    pub(super) fn raw_points_each(
        &self,
        points: Option<&[i64]>,
        review: Option<i64>,
        metrics: Option<&[i64]>,
        f: &mut dyn FnMut(StoredPoint) -> Result<()>,
    ) -> Result<()> {
        // The points asked for, as a JSON array SQLite reads with json_each: one query (and
        // one read of their blockers) for any number of them.
        let ids = points.map(serde_json::to_string).transpose()?;
        let metric_ids = metrics.map(serde_json::to_string).transpose()?;
        // Per point: the blockers it cited, and when each was resolved.
        type Cited = (Vec<(String, String)>, Vec<Option<NaiveDate>>);
        let mut blockers: HashMap<i64, Cited> = HashMap::new();
        let mut stmt = self.conn.prepare(if ids.is_some() {
            "SELECT point_id, category, text, resolved FROM blocker
              WHERE point_id IN (SELECT value FROM json_each(?1)) ORDER BY id"
        } else {
            "SELECT point_id, category, text, resolved FROM blocker WHERE point_id IS NOT NULL AND ?1 IS NULL ORDER BY id"
        })?;
        for row in stmt.query_map([&ids], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, opt_date_col(r, 3)?))
        })? {
            let (pid, cat, text, resolved) = row?;
            let e = blockers.entry(pid).or_default();
            e.0.push((cat, text));
            e.1.push(resolved);
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT pt.id, pt.date, p.slug, m.slug, e.handle, pt.value, pt.note, pt.review_id, r.kind, rv.handle
             FROM point pt
             JOIN metric m ON m.id = pt.metric_id
             JOIN project p ON p.id = m.project_id
             JOIN engineer e ON e.id = pt.engineer_id
             LEFT JOIN review r ON r.id = pt.review_id
             LEFT JOIN engineer rv ON rv.id = r.reviewer_id
             WHERE {} AND {} AND {}
             ORDER BY pt.date, pt.id",
            // Each filter given as a plain equality, which SQLite answers through an index
            // (`?1 IS NULL OR ...` made it read every point to find one).
            if review.is_some() { "pt.review_id = ?1" } else { "?1 IS NULL" },
            if ids.is_some() { "pt.id IN (SELECT value FROM json_each(?2))" } else { "?2 IS NULL" },
            if metric_ids.is_some() { "pt.metric_id IN (SELECT value FROM json_each(?3))" } else { "?3 IS NULL" },
        ))?;
        let rows = stmt.query_map(params![review, ids, metric_ids], |r| {
            let id: i64 = r.get(0)?;
            let (cited, resolved) = blockers.remove(&id).unwrap_or_default();
            Ok(StoredPoint {
                id,
                point: Point {
                    date: date_col(r, 1)?,
                    project: r.get(2)?,
                    metric: r.get(3)?,
                    engineer: r.get(4)?,
                    value: r.get(5)?,
                    note: r.get(6)?,
                    review: r.get(7)?,
                },
                kind: r.get::<_, Option<String>>(8)?.map(|k| k.parse().unwrap_or(ReviewKind::Weekly)),
                reviewer: r.get(9)?,
                blockers: cited,
                resolved,
            })
        })?;
        for p in rows {
            f(p?)?;
        }
        Ok(())
    }

    /// The latest reading of a metric as it stands now, for the interactive prompt.
    pub fn last_value(&self, project: &str, metric: &str) -> Result<Option<(NaiveDate, f64)>> {
        Ok(self.recent_history_of(project, metric, None, 1)?.1.last().copied())
    }

    /// A metric's readings as they stand now (corrections applied, retracted
    /// ones left out), oldest first, leaving out point `except`: what a new
    /// or amended value is compared with.
    pub fn history_of(&self, project: &str, metric: &str, except: Option<i64>) -> Result<Vec<(NaiveDate, f64)>> {
        let mid = metric_id(&self.conn, project, metric)?;
        let overlays = self.overlays()?;
        let mut stmt = self.conn.prepare("SELECT id, date, value FROM point WHERE metric_id = ?1")?;
        let mut v: Vec<(NaiveDate, i64, f64)> = Vec::new();
        let mut rows = stmt.query([mid])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if Some(id) == except {
                continue;
            }
            let (mut date, mut value) = (date_col(r, 1)?, r.get::<_, f64>(2)?);
            if let Some(o) = overlays.get(&id) {
                if o.retracted {
                    continue;
                }
                date = o.date.unwrap_or(date);
                value = o.value.unwrap_or(value);
            }
            v.push((date, id, value));
        }
        v.sort_by_key(|a| (a.0, a.1));
        Ok(v.into_iter().map(|(d, _, x)| (d, x)).collect())
    }

    /// How many readings a metric holds as they stand now and the last `n` of them (oldest
    /// first), leaving out point `except`: what [`crate::core::plausible::question_recent`]
    /// reads, without reading the whole history (a `log` on a metric of years of readings).
    pub fn recent_history_of(
        &self,
        project: &str,
        metric: &str,
        except: Option<i64>,
        n: usize,
    ) -> Result<(usize, Vec<(NaiveDate, f64)>)> {
        let mid = metric_id(&self.conn, project, metric)?;
        let overlays = self.overlays()?;
        // A reading leaves the newest `n` by stored date only by a correction (moved or
        // retracted) or by being `except`; so the newest n + corrections + 1 by stored date,
        // with every reading a correction moved, hold the newest n as they stand now.
        let take = n + overlays.len() + 1;
        let mut newest = self.conn.prepare_cached(
            "SELECT id, date, value FROM point WHERE metric_id = ?1 ORDER BY date DESC, id DESC LIMIT ?2",
        )?;
        let mut stored: Vec<(i64, NaiveDate, f64)> = newest
            .query_map(params![mid, take as i64], |r| Ok((r.get(0)?, date_col(r, 1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let seen: std::collections::HashSet<i64> = stored.iter().map(|r| r.0).collect();
        let mut moved =
            self.conn.prepare_cached("SELECT id, date, value FROM point WHERE id = ?1 AND metric_id = ?2")?;
        for (&id, _) in overlays.iter().filter(|(id, o)| o.date.is_some() && !seen.contains(*id)) {
            let row = moved.query_row(params![id, mid], |r| Ok((r.get(0)?, date_col(r, 1)?, r.get(2)?))).optional()?;
            stored.extend(row);
        }
        let mut v: Vec<(NaiveDate, i64, f64)> = stored
            .into_iter()
            .filter(|&(id, _, _)| Some(id) != except)
            .filter_map(|(id, date, value)| match overlays.get(&id) {
                Some(o) if o.retracted => None,
                Some(o) => Some((o.date.unwrap_or(date), id, o.value.unwrap_or(value))),
                None => Some((date, id, value)),
            })
            .collect();
        v.sort_by_key(|a| (a.0, a.1));
        let recent: Vec<(NaiveDate, f64)> = v[v.len().saturating_sub(n)..].iter().map(|a| (a.0, a.2)).collect();
        // A retraction is final: the readings standing are those never retracted.
        let count: i64 = self.conn.query_row(
            "SELECT count(*) FROM point WHERE metric_id = ?1 AND id IS NOT ?2
                AND id NOT IN (SELECT point_id FROM correction WHERE action = 'retract')",
            params![mid, except],
            |r| r.get(0),
        )?;
        Ok((count as usize, recent))
    }

    pub fn add_blocker(
        &mut self,
        project: &str,
        metric: Option<&str>,
        engineer: Option<&str>,
        category: &str,
        text: &str,
        opened: NaiveDate,
    ) -> Result<(i64, Option<NaiveDate>)> {
        let tx = self.write()?;
        let pid = project_id(&tx, project)?;
        let mid = metric.map(|m| metric_id(&tx, project, m)).transpose()?;
        let eid = engineer.map(|h| engineer_id(&tx, h)).transpose()?;
        // The same text already open on the project is that blocker.
        if let Some((id, since)) = open_blocker(&tx, pid, text, &iso(opened))? {
            return Ok((id, Some(since)));
        }
        tx.execute(
            "INSERT INTO blocker (category, text, project_id, metric_id, engineer_id, opened, uid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![category, text, pid, mid, eid, iso(opened), super::new_uid()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok((id, None))
    }

    pub fn resolve_blocker(&mut self, id: i64, on: NaiveDate) -> Result<()> {
        let tx = self.write()?;
        let row: Option<(String, Option<String>)> = tx
            .query_row("SELECT opened, resolved FROM blocker WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            None => {
                return Err(StoreError::NotFound { kind: Kind::Blocker, name: id.to_string(), closest: None }.into())
            }
            Some((_, Some(done))) => return Err(StoreError::AlreadyResolved { blocker: id, on: done }.into()),
            Some((opened, None)) if iso(on) < opened => {
                return Err(StoreError::ResolvedBeforeOpened { blocker: id, on, opened }.into())
            }
            Some(_) => {}
        }
        tx.execute("UPDATE blocker SET resolved = ?1 WHERE id = ?2", params![iso(on), id])?;
        tx.commit()?;
        Ok(())
    }

    pub fn blockers(&self, f: &BlockerFilter) -> Result<Vec<Blocker>> {
        if let Some(p) = &f.project {
            project_id(&self.conn, p)?;
        }
        if let Some(e) = &f.engineer {
            engineer_id(&self.conn, e)?;
        }
        let mut stmt = self.conn.prepare(
            "SELECT b.id, b.category, b.text, p.slug, m.slug, e.handle, b.opened, b.resolved
             FROM blocker b JOIN project p ON p.id = b.project_id
             LEFT JOIN metric m ON m.id = b.metric_id
             LEFT JOIN engineer e ON e.id = b.engineer_id
             WHERE (?1 OR b.resolved IS NULL) AND (?2 IS NULL OR p.slug = ?2) AND (?3 IS NULL OR e.handle = ?3)
               -- Cited only by a reading that was retracted: withdrawn with it.
               AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.point_id = b.point_id AND c.action = 'retract')
             ORDER BY b.category, b.opened, b.uid IS NULL, b.uid, b.id",
        )?;
        let v = stmt
            .query_map(params![f.include_resolved, f.project, f.engineer], blocker_row)?
            .collect::<Result<_, _>>()?;
        Ok(v)
    }

    /// Everything the pure core needs, observations without their notes.
    pub fn snapshot(&self) -> Result<Snapshot> {
        self.snapshot_scoped(None)
    }

    /// Like [`snapshot`](Self::snapshot) restricted to one project's metrics
    /// (`Some((project, None))`) or one metric (`Some((project, Some(metric)))`):
    /// the metrics and observations of `model::restrict_metrics` on the whole
    /// snapshot, but only the kept metrics' definitions and points are read,
    /// through `point_by_metric_date`. A chart of one metric in a million-point
    /// database reads 500 rows, not a million. Every project and engineer is
    /// there; deadlines are those of live projects and of the scope's metrics; no
    /// blockers (only the weekly report reads them, from the whole snapshot).
    ///
    /// The snapshot is the record as it stands now: corrections applied,
    /// retracted readings (and the blockers only they cited) left out, and
    /// archived projects and metrics gone with everything that hangs on them.
    pub fn snapshot_scoped(&self, scope: Option<(&str, Option<&str>)>) -> Result<Snapshot> {
        // One read transaction: the projects, engineers, metrics and points
        // below come from one snapshot, whatever others commit meanwhile.
        self.read(|| Ok(self.snapshot_in_tx(scope, true)?.0))
    }

    /// [`snapshot_scoped`](Self::snapshot_scoped) with the database ids of its metrics and
    /// engineers.
    pub fn snapshot_with_ids(&self, scope: Option<(&str, Option<&str>)>) -> Result<(Snapshot, SnapshotIds)> {
        self.read(|| self.snapshot_in_tx(scope, true))
    }

    /// The snapshot without its observations (empty), with the database ids
    /// of its metrics and engineers: for commands that read each metric's
    /// readings only when they need them ([`Store::readings_of`]), so that a
    /// warm weekly report over ten million readings reads none of them.
    pub fn snapshot_without_points(&self) -> Result<(Snapshot, SnapshotIds)> {
        self.read(|| self.snapshot_in_tx(None, false))
    }

    fn snapshot_in_tx(
        &self,
        scope: Option<(&str, Option<&str>)>,
        with_points: bool,
    ) -> Result<(Snapshot, SnapshotIds)> {
        let mut projects = self.projects()?;
        let engineers = self.engineers()?;
        // A scope reads its project's metrics only: a chart of one metric in an organization
        // of 20,000 does not read the other 19,999 definitions.
        let mut metrics = self.metrics_named(scope.map(|(p, _)| p), None)?;
        let archived: std::collections::HashSet<String> =
            projects.iter().filter(|p| p.archived).map(|p| p.slug.clone()).collect();
        projects.retain(|p| !p.archived);
        for p in &mut projects {
            // A cancelled prerequisite holds nothing back any more.
            p.depends_on.retain(|d| !archived.contains(d));
        }
        metrics.retain(|m| !m.archived && !archived.contains(&m.project));
        let live: std::collections::HashSet<(String, String)> =
            metrics.iter().map(|m| (m.project.clone(), m.metric.clone())).collect();
        let live_metric = |project: &str, metric: &Option<String>| {
            !archived.contains(project)
                && metric.as_ref().is_none_or(|m| live.contains(&(project.to_string(), m.clone())))
        };
        if let Some((p, m)) = scope {
            metrics.retain(|x| x.project == p && m.is_none_or(|m| x.metric == m));
        }
        // Map database ids to positions in the vectors above.
        let mut metric_pos: HashMap<i64, u32> = HashMap::new();
        let mut ids = SnapshotIds { metrics: vec![0; metrics.len()], engineers: vec![0; engineers.len()] };
        {
            let mut stmt = self.conn.prepare(match scope {
                // A plain equality: looked up through the slug index (see `metrics_named`).
                Some(_) => {
                    "SELECT m.id, p.slug, m.slug FROM metric m JOIN project p ON p.id = m.project_id WHERE p.slug = ?1"
                }
                None => {
                    "SELECT m.id, p.slug, m.slug FROM metric m JOIN project p ON p.id = m.project_id WHERE ?1 IS NULL"
                }
            })?;
            let index: HashMap<(&str, &str), usize> =
                metrics.iter().enumerate().map(|(i, m)| ((m.project.as_str(), m.metric.as_str()), i)).collect();
            for row in stmt.query_map([scope.map(|(p, _)| p)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })? {
                let (id, p, m) = row?;
                if let Some(&i) = index.get(&(p.as_str(), m.as_str())) {
                    metric_pos.insert(id, i as u32);
                    ids.metrics[i] = id;
                }
            }
        }
        let mut engineer_pos: HashMap<i64, u32> = HashMap::new();
        {
            let index: HashMap<&str, usize> =
                engineers.iter().enumerate().map(|(i, e)| (e.handle.as_str(), i)).collect();
            let mut stmt = self.conn.prepare("SELECT id, handle FROM engineer")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
                let (id, h) = row?;
                if let Some(&i) = index.get(h.as_str()) {
                    engineer_pos.insert(id, i as u32);
                    ids.engineers[i] = id;
                }
            }
        }
        // Each observation with its row's uid: points of one metric on one
        // date are ordered by uid (their creation time, the same on every
        // synced copy of the database), not by local id.
        let mut observations: Vec<(Observation, u128)> = Vec::new();
        if with_points {
            let overlays = self.overlays()?;
            let read = |r: &rusqlite::Row<'_>, mid: i64, out: &mut Vec<(Observation, u128)>| -> Result<()> {
                // An archived metric's readings stay out.
                let Some(&metric) = metric_pos.get(&mid) else { return Ok(()) };
                let Some(x) = read_reading(r, &overlays)? else { return Ok(()) };
                // Within one snapshot the foreign keys hold; a damaged file
                // is an error, never a panic.
                let Some(&engineer) = engineer_pos.get(&x.engineer_id) else {
                    return Err(StoreError::Damaged(format!(
                        "a data point names engineer id {}, which does not exist",
                        x.engineer_id
                    ))
                    .into());
                };
                out.push((Observation { metric, engineer, date: x.date, value: x.value }, x.order));
                Ok(())
            };
            if scope.is_none() {
                let mut stmt = self.conn.prepare(&format!("SELECT {READING_COLUMNS}, metric_id FROM point"))?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let mid: i64 = r.get(5)?;
                    read(r, mid, &mut observations)?;
                }
            } else {
                let mut stmt =
                    self.conn.prepare(&format!("SELECT {READING_COLUMNS} FROM point WHERE metric_id = ?1"))?;
                let mut ids: Vec<i64> = metric_pos.keys().copied().collect();
                ids.sort_unstable();
                for mid in ids {
                    let mut rows = stmt.query([mid])?;
                    while let Some(r) = rows.next()? {
                        read(r, mid, &mut observations)?;
                    }
                }
            }
        }
        // Points of one metric on one date stay in the order they were made.
        observations.sort_by_key(|(o, order)| (o.metric, o.date, *order));
        let observations = observations.into_iter().map(|(o, _)| o).collect();
        // Only the weekly report reads blockers, from the whole snapshot: a scoped one has none.
        let mut blockers = match scope {
            None => self.blockers(&BlockerFilter { include_resolved: true, ..Default::default() })?,
            Some(_) => Vec::new(),
        };
        blockers.retain(|b| live_metric(&b.project, &b.metric));
        let mut deadlines = self.deadlines()?;
        deadlines.retain(|d| live_metric(&d.project, &d.metric));
        Ok((Snapshot { projects, engineers, metrics, observations, blockers, deadlines }, ids))
    }

    /// The readings of each metric in `metric_ids` (database ids) as they
    /// stand now, in the snapshot's order (by date, then as they were made):
    /// corrections applied, retracted ones left out. `overlays` are the
    /// corrections ([`Store::corrections_folded`]), read once per command.
    pub fn readings_of(&self, metric_ids: &[i64], overlays: &Overlays) -> Result<Vec<Vec<StoredReading>>> {
        self.read(|| {
            let mut stmt =
                self.conn.prepare_cached(&format!("SELECT {READING_COLUMNS} FROM point WHERE metric_id = ?1"))?;
            let mut out = Vec::with_capacity(metric_ids.len());
            for &mid in metric_ids {
                let mut v: Vec<StoredReading> = Vec::new();
                let mut rows = stmt.query([mid])?;
                while let Some(r) = rows.next()? {
                    if let Some(x) = read_reading(r, &overlays.0)? {
                        v.push(x);
                    }
                }
                v.sort_by_key(|x| (x.date, x.order));
                out.push(v);
            }
            Ok(out)
        })
    }

    /// [`readings_of`](Self::readings_of) for many metrics at once, in one sequential pass
    /// over the point table (a reading's row is then read where it lies, not sought through
    /// `point_by_metric_date`): for a caller that needs most metrics' readings. Each reading
    /// as (its engineer's position in `engineers`, date, value). Only readings with ids up to
    /// `upto_id` (the caller's snapshot's highest) are read.
    ///
    /// The upper half of the ids is read on a second, read-only connection of its own in
    /// parallel (a million rows take a quarter of a second to read, while nothing else can
    /// start): it may see a later state of the file than this connection's snapshot, but a
    /// stored reading is never changed or deleted (corrections are rows of their own, already
    /// in `overlays`), so the rows up to `upto_id` are the same in both. Inside a write
    /// transaction (whose rows only this connection sees) everything is read here.
    pub fn readings_scan(
        &self,
        metric_ids: &[i64],
        engineers: &rustc_hash::FxHashMap<i64, u32>,
        overlays: &Overlays,
        upto_id: i64,
    ) -> Result<Vec<Vec<(u32, NaiveDate, f64)>>> {
        self.read(|| {
            // Two lookups a row, a million rows: a fast hash (the keys are our own ids).
            let slot: rustc_hash::FxHashMap<i64, usize> =
                metric_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            let scan = |conn: &Connection, from: i64, to: i64| -> Result<Vec<Vec<ScannedReading>>> {
                let mut all: Vec<Vec<ScannedReading>> = vec![Vec::new(); metric_ids.len()];
                let mut stmt = conn
                    .prepare(&format!("SELECT {READING_COLUMNS}, metric_id FROM point WHERE id > ?1 AND id <= ?2"))?;
                let mut rows = stmt.query([from, to])?;
                while let Some(r) = rows.next()? {
                    collect_scanned(r, &slot, engineers, overlays, &mut all)?;
                }
                Ok(all)
            };
            let mid = upto_id / 2;
            // Not inside a write transaction: another connection would not see what it wrote.
            let writing =
                matches!(self.conn.transaction_state(Some(rusqlite::MAIN_DB)), Ok(rusqlite::TransactionState::Write));
            let second = (mid > 0 && !writing)
                .then(|| {
                    Connection::open_with_flags(
                        &self.path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .ok()
                })
                .flatten()
                .filter(|c| c.busy_timeout(super::BUSY_TIMEOUT).is_ok());
            let (lower, upper) = match second {
                Some(conn) => std::thread::scope(|s| {
                    let upper = s.spawn(move || scan(&conn, mid, upto_id));
                    let lower = scan(&self.conn, 0, mid);
                    (lower, Some(upper.join().unwrap_or_else(|e| std::panic::resume_unwind(e))))
                }),
                None => (scan(&self.conn, 0, mid), None),
            };
            let mut all = lower?;
            // Without a second connection, or where it failed, this one reads the upper half.
            let upper = match upper {
                Some(Ok(upper)) => upper,
                _ => scan(&self.conn, mid, upto_id)?,
            };
            for (v, u) in all.iter_mut().zip(upper) {
                v.extend(u);
            }
            Ok(in_snapshot_order(all))
        })
    }

    /// [`readings_scan`](Self::readings_scan) for metrics spread over a point table too large to
    /// pass over: the ids of their rows are gathered through `point_by_metric_date` (which holds
    /// them: no row is read), then the rows are read in id order. Rows lie in the order they
    /// were logged, a week's readings of every metric side by side, so that reading metric
    /// after metric fetched a page of the table for nearly every reading (ten million page
    /// reads for ten million readings); in id order each page is fetched once for all the
    /// metrics asked whose readings it holds.
    pub fn readings_gathered(
        &self,
        metric_ids: &[i64],
        engineers: &rustc_hash::FxHashMap<i64, u32>,
        overlays: &Overlays,
    ) -> Result<Vec<Vec<(u32, NaiveDate, f64)>>> {
        use rusqlite::types::Value;
        use std::rc::Rc;
        self.read(|| {
            let slot: rustc_hash::FxHashMap<i64, usize> =
                metric_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            let metrics = Rc::new(metric_ids.iter().map(|&id| Value::from(id)).collect::<Vec<Value>>());
            let mut ids: Vec<i64> = self
                .conn
                .prepare_cached("SELECT id FROM point WHERE metric_id IN rarray(?1)")?
                .query_map([metrics], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            ids.sort_unstable();
            let mut all: Vec<Vec<ScannedReading>> = vec![Vec::new(); metric_ids.len()];
            let mut stmt = self.conn.prepare_cached(GATHERED_ROWS)?;
            // In slices of the sorted ids (an id as an SQL value takes 32 bytes).
            for part in ids.chunks(GATHER_IDS) {
                let part = Rc::new(part.iter().map(|&id| Value::from(id)).collect::<Vec<Value>>());
                let mut rows = stmt.query([part])?;
                while let Some(r) = rows.next()? {
                    collect_scanned(r, &slot, engineers, overlays, &mut all)?;
                }
            }
            Ok(in_snapshot_order(all))
        })
    }

    /// Up to `n` distinct dates of each metric's readings dated on or before `upto`, earliest
    /// first, as they stand now: through `point_by_metric_date` alone (a few entries per
    /// metric), except for metrics with a corrected reading, which are read whole.
    pub fn first_dates(
        &self,
        metric_ids: &[i64],
        upto: NaiveDate,
        n: usize,
        overlays: &Overlays,
    ) -> Result<Vec<Vec<NaiveDate>>> {
        self.read(|| {
            let corrected: std::collections::HashSet<i64> = self
                .conn
                .prepare("SELECT DISTINCT p.metric_id FROM correction c JOIN point p ON p.id = c.point_id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT DISTINCT date FROM point WHERE metric_id = ?1 AND date <= ?2 ORDER BY date LIMIT ?3",
            )?;
            let upto_s = iso(upto);
            let mut out = Vec::with_capacity(metric_ids.len());
            for &mid in metric_ids {
                let dates: Vec<NaiveDate> = if corrected.contains(&mid) {
                    let mut d: Vec<NaiveDate> = self
                        .readings_of(&[mid], overlays)?
                        .remove(0)
                        .into_iter()
                        .map(|r| r.date)
                        .filter(|d| *d <= upto)
                        .collect();
                    d.dedup();
                    d.truncate(n);
                    d
                } else {
                    stmt.query_map(params![mid, upto_s, n as i64], |r| date_col(r, 0))?.collect::<Result<_, _>>()?
                };
                out.push(dates);
            }
            Ok(out)
        })
    }

    /// A digest of everything a calibration depends on besides the readings: every metric's
    /// `PROJECT/METRIC`, target, direction and tolerance, and the archive events (which decide
    /// the metrics that count).
    pub fn definitions_digest(&self) -> Result<String> {
        // `seed_for` (FNV-1a) of the text below, hashed as it is written rather than built
        // first: 20,000 metrics made a megabyte of text for every command that dates.
        struct Fnv(u64);
        impl std::fmt::Write for Fnv {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                for b in s.as_bytes() {
                    self.0 ^= u64::from(*b);
                    self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
                }
                Ok(())
            }
        }
        self.read(|| {
            let mut text = Fnv(crate::core::forecast::seed_for(""));
            let mut stmt = self.conn.prepare(
                "SELECT m.id, p.slug, m.slug, m.target, m.direction, m.tolerance
                   FROM metric m JOIN project p ON p.id = m.project_id ORDER BY m.id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                use std::fmt::Write;
                let _ = write!(
                    text,
                    "{}:{}/{}:{:x}:{}:{:x};",
                    r.get::<_, i64>(0)?,
                    r.get_ref(1)?.as_str()?,
                    r.get_ref(2)?.as_str()?,
                    r.get::<_, f64>(3)?.to_bits(),
                    r.get_ref(4)?.as_str()?,
                    r.get::<_, f64>(5)?.to_bits()
                );
            }
            let (n, max): (i64, i64) =
                self.conn.query_row("SELECT count(*), coalesce(max(id), 0) FROM archive_event", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            Ok(format!("{:016x}.a{n}.{max}", text.0))
        })
    }

    /// Every point's corrections folded together, for [`Store::readings_of`].
    pub fn corrections_folded(&self) -> Result<Overlays> {
        Ok(Overlays(self.overlays()?))
    }

    /// The readings engineer `handle` gave, as the record stands now (corrected: an amendment
    /// may name someone else; retracted ones left out), as observations of the snapshot whose
    /// ids are `ids` (readings of metrics not in it, archived ones, are left out), ordered as a
    /// snapshot's: read through `point_by_engineer_date`, not the whole point table.
    pub fn engineer_observations(&self, handle: &str, ids: &SnapshotIds) -> Result<Vec<Observation>> {
        self.read(|| {
            let eid = engineer_id(&self.conn, handle)?;
            let Some(me) = ids.engineers.iter().position(|&e| e == eid) else { return Ok(Vec::new()) };
            let metric_pos: HashMap<i64, u32> = ids.metrics.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
            let overlays = self.overlays()?;
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {READING_COLUMNS}, metric_id FROM point
                 WHERE id IN (SELECT id FROM point WHERE engineer_id = ?1
                              UNION SELECT point_id FROM correction WHERE engineer_id IS NOT NULL)"
            ))?;
            let mut out: Vec<(Observation, u128)> = Vec::new();
            let mut rows = stmt.query([eid])?;
            while let Some(r) = rows.next()? {
                let Some(&metric) = metric_pos.get(&r.get::<_, i64>(5)?) else { continue };
                let Some(x) = read_reading(r, &overlays)? else { continue };
                if x.engineer_id == eid {
                    out.push((Observation { metric, engineer: me as u32, date: x.date, value: x.value }, x.order));
                }
            }
            out.sort_by_key(|(o, order)| (o.metric, o.date, *order));
            Ok(out.into_iter().map(|(o, _)| o).collect())
        })
    }

    /// Reviews an engineer spoke in, newest first.
    pub fn reviews_of(&self, handle: &str) -> Result<Vec<SpokeIn>> {
        let eid = engineer_id(&self.conn, handle)?;
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.date, r.kind, rv.handle, count(*)
             FROM point pt JOIN review r ON r.id = pt.review_id LEFT JOIN engineer rv ON rv.id = r.reviewer_id
             -- The readings they gave as the record stands now: corrected
             -- (an amendment may name someone else) and not retracted.
             WHERE pt.id IN (SELECT id FROM point WHERE engineer_id = ?1
                             UNION SELECT point_id FROM correction WHERE engineer_id IS NOT NULL)
               AND coalesce((SELECT c.engineer_id FROM correction c
                             WHERE c.point_id = pt.id AND c.engineer_id IS NOT NULL ORDER BY c.uid DESC, c.id DESC LIMIT 1),
                            pt.engineer_id) = ?1
               AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.point_id = pt.id AND c.action = 'retract')
             GROUP BY r.id ORDER BY r.date DESC, r.id DESC",
        )?;
        let v = stmt
            .query_map([eid], |r| {
                Ok(SpokeIn {
                    review: r.get(0)?,
                    date: date_col(r, 1)?,
                    kind: r.get::<_, String>(2)?.parse().unwrap_or(ReviewKind::Weekly),
                    reviewer: r.get(3)?,
                    points: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(v)
    }
}

/// The database ids of a snapshot's metrics and engineers, in its order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotIds {
    pub metrics: Vec<i64>,
    pub engineers: Vec<i64>,
}

/// One reading as it stands now, for [`Store::readings_of`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredReading {
    pub engineer_id: i64,
    pub date: NaiveDate,
    pub value: f64,
    /// Its place among readings of the same date: creation order (from its uid).
    pub order: u128,
}

/// Every point's corrections folded together (see [`Store::corrections_folded`]).
#[derive(Debug, Default)]
pub struct Overlays(HashMap<i64, super::corrections::Overlay>);

/// The rows of [`Store::readings_gathered`]: [`READING_COLUMNS`] (qualified: `rarray` has a
/// column named `value` too) and the metric, for each id in the list given, in its order
/// (a join, so that SQLite walks the sorted list and seeks each row, rather than first
/// copying the list into a temporary index as `id IN rarray(?)` does).
const GATHERED_ROWS: &str = "SELECT p.engineer_id, p.date, p.value, p.id, p.uid, p.metric_id
     FROM rarray(?1) AS wanted JOIN point AS p ON p.id = wanted.value";

/// Row ids one statement of [`Store::readings_gathered`] reads.
const GATHER_IDS: usize = 65_536;

/// A reading as a scan collects it: (creation order, engineer position, date, value), 32
/// bytes until sorted.
type ScannedReading = (u128, u32, NaiveDate, f64);

/// Adds a point row (`READING_COLUMNS, metric_id`) as it stands now to its metric's readings
/// (`slot`: metric id → position in `all`); a row of another metric, or retracted, is skipped.
fn collect_scanned(
    r: &rusqlite::Row<'_>,
    slot: &rustc_hash::FxHashMap<i64, usize>,
    engineers: &rustc_hash::FxHashMap<i64, u32>,
    overlays: &Overlays,
    all: &mut [Vec<ScannedReading>],
) -> Result<()> {
    let Some(&i) = slot.get(&r.get::<_, i64>(5)?) else { return Ok(()) };
    if let Some(x) = read_reading(r, &overlays.0)? {
        let Some(&e) = engineers.get(&x.engineer_id) else {
            anyhow::bail!("a data point names engineer id {}, which does not exist; run limfac doctor", x.engineer_id);
        };
        all[i].push((x.order, e, x.date, x.value));
    }
    Ok(())
}

/// Each metric's scanned readings in the snapshot's order (by date, then as they were made),
/// as (engineer position, date, value).
fn in_snapshot_order(all: Vec<Vec<ScannedReading>>) -> Vec<Vec<(u32, NaiveDate, f64)>> {
    all.into_iter()
        .map(|mut v| {
            v.sort_by_key(|x| (x.2, x.0));
            v.into_iter().map(|(_, e, d, value)| (e, d, value)).collect()
        })
        .collect()
}

/// The columns [`read_reading`] reads, in its order.
const READING_COLUMNS: &str = "engineer_id, date, value, id, uid";

/// A point row (see [`READING_COLUMNS`]) as it stands now; None when retracted.
fn read_reading(
    r: &rusqlite::Row<'_>,
    overlays: &HashMap<i64, super::corrections::Overlay>,
) -> Result<Option<StoredReading>> {
    let mut engineer_id: i64 = r.get(0)?;
    let mut date = {
        let s = r.get_ref(1)?.as_str()?;
        super::parse_stored_date(s)?
    };
    let mut value: f64 = r.get(2)?;
    if !overlays.is_empty() {
        if let Some(o) = overlays.get(&r.get::<_, i64>(3)?) {
            if o.retracted {
                return Ok(None);
            }
            engineer_id = o.engineer_id.unwrap_or(engineer_id);
            date = o.date.unwrap_or(date);
            value = o.value.unwrap_or(value);
        }
    }
    let order = super::uid_order(r.get_ref(4)?.as_str_or_null()?);
    Ok(Some(StoredReading { engineer_id, date, value, order }))
}
