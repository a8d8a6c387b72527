//! Correcting the record: amendments and retractions of readings.
//!
//! A reading row is never updated or deleted. A correction is a new row in
//! `correction` naming the point, what changes (or that it is retracted),
//! why, who and when. The current reading is the original with every
//! amendment laid over it in order; a retracted reading is left out of every
//! read the core works from, and its history stays.

use std::collections::HashMap;

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::entities::engineer_id;
use super::{iso, opt_date_col, Kind, Store, StoreError, StoredPoint};

/// What a correction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Amend,
    Retract,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Amend => "amend",
            Action::Retract => "retract",
        }
    }
}

/// One correction as stored: the fields an amendment changes (None: left as
/// it was), why, who and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub id: i64,
    pub point: i64,
    pub action: Action,
    pub value: Option<f64>,
    pub note: Option<String>,
    pub date: Option<NaiveDate>,
    pub engineer: Option<String>,
    pub reason: String,
    /// Who made it (the configured reviewer or the account's user name).
    pub by: Option<String>,
    /// When it was made (RFC 3339).
    pub at: String,
}

/// The changes an amendment makes; None leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Amendment {
    pub value: Option<f64>,
    pub note: Option<String>,
    pub date: Option<NaiveDate>,
    pub engineer: Option<String>,
}

impl Amendment {
    pub fn is_empty(&self) -> bool {
        self.value.is_none() && self.note.is_none() && self.date.is_none() && self.engineer.is_none()
    }
}

/// The corrections of one point folded together.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Overlay {
    pub value: Option<f64>,
    pub note: Option<String>,
    pub date: Option<NaiveDate>,
    pub engineer_id: Option<i64>,
    pub retracted: bool,
}

/// A point as `point list` shows it: the current reading and whether it was
/// corrected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListedPoint {
    #[serde(flatten)]
    pub point: StoredPoint,
    pub amended: bool,
    pub retracted: bool,
}

/// Everything known about one point: as first recorded, every correction in
/// order, and the reading now (None when retracted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointHistory {
    pub original: StoredPoint,
    pub corrections: Vec<Correction>,
    pub current: Option<StoredPoint>,
}

/// Which points `point list` shows.
#[derive(Debug, Clone, Default)]
pub struct PointFilter {
    pub project: Option<String>,
    pub metric: Option<(String, String)>,
    pub engineer: Option<String>,
    pub review: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub include_retracted: bool,
}

impl Store {
    /// Every point's corrections folded together (usually none at all, and
    /// always few next to the points: read whole, applied in memory).
    pub(super) fn overlays(&self) -> Result<HashMap<i64, Overlay>> {
        overlays(&self.conn)
    }
}

/// Every point's corrections folded together, read through `conn`.
pub(super) fn overlays(conn: &rusqlite::Connection) -> Result<HashMap<i64, Overlay>> {
    let mut out: HashMap<i64, Overlay> = HashMap::new();
    let mut stmt =
        conn.prepare("SELECT point_id, action, value, note, date, engineer_id FROM correction ORDER BY uid, id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let o = out.entry(r.get(0)?).or_default();
        let action: String = r.get(1)?;
        if action == "retract" {
            o.retracted = true;
            continue;
        }
        if let Some(v) = r.get::<_, Option<f64>>(2)? {
            o.value = Some(v);
        }
        if let Some(n) = r.get::<_, Option<String>>(3)? {
            o.note = Some(n);
        }
        if let Some(d) = opt_date_col(r, 4)? {
            o.date = Some(d);
        }
        if let Some(e) = r.get::<_, Option<i64>>(5)? {
            o.engineer_id = Some(e);
        }
    }
    Ok(out)
}

/// Refuses to correct an unknown or retracted point.
fn correctable(tx: &rusqlite::Connection, id: i64) -> Result<()> {
    let exists: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM point WHERE id = ?1)", [id], |r| r.get(0))?;
    if !exists {
        return Err(StoreError::NotFound { kind: Kind::Point, name: id.to_string(), closest: None }.into());
    }
    let retracted: Option<String> = tx
        .query_row(
            "SELECT created_at FROM correction WHERE point_id = ?1 AND action = 'retract' ORDER BY id LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(when) = retracted {
        return Err(StoreError::Retracted { point: id, when }.into());
    }
    Ok(())
}

impl Store {
    /// Records an amendment of point `id`. Returns the correction's id.
    pub fn amend_point(&mut self, id: i64, a: &Amendment, reason: &str, author: Option<&str>) -> Result<i64> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        correctable(&tx, id)?;
        let eid = a.engineer.as_deref().map(|h| engineer_id(&tx, h)).transpose()?;
        tx.execute(
            "INSERT INTO correction (point_id, action, value, note, date, engineer_id, reason, author, created_at, uid)
             VALUES (?1, 'amend', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, a.value, a.note, a.date.map(iso), eid, reason, author, stamp, super::new_uid()],
        )?;
        let cid = tx.last_insert_rowid();
        tx.commit()?;
        Ok(cid)
    }

    /// Records the retraction of point `id` (and so of the blockers first
    /// cited with it). Returns the correction's id.
    pub fn retract_point(&mut self, id: i64, reason: &str, author: Option<&str>) -> Result<i64> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        correctable(&tx, id)?;
        tx.execute(
            "INSERT INTO correction (point_id, action, reason, author, created_at, uid)
             VALUES (?1, 'retract', ?2, ?3, ?4, ?5)",
            params![id, reason, author, stamp, super::new_uid()],
        )?;
        let cid = tx.last_insert_rowid();
        tx.commit()?;
        Ok(cid)
    }

    /// Corrections in the order they were made, of one point or of all.
    pub fn corrections(&self, point: Option<i64>) -> Result<Vec<Correction>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.id, c.point_id, c.action, c.value, c.note, c.date, e.handle, c.reason, c.author, c.created_at
             FROM correction c LEFT JOIN engineer e ON e.id = c.engineer_id
             WHERE ?1 IS NULL OR c.point_id = ?1
             ORDER BY c.uid, c.id",
        )?;
        let v = stmt
            .query_map([point], |r| {
                let action: String = r.get(2)?;
                Ok(Correction {
                    id: r.get(0)?,
                    point: r.get(1)?,
                    action: if action == "retract" { Action::Retract } else { Action::Amend },
                    value: r.get(3)?,
                    note: r.get(4)?,
                    date: opt_date_col(r, 5)?,
                    engineer: r.get(6)?,
                    reason: r.get(7)?,
                    by: r.get(8)?,
                    at: r.get(9)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(v)
    }

    /// One point as first recorded, its corrections, and its reading now.
    pub fn point_history(&self, id: i64) -> Result<PointHistory> {
        let original = self.raw_points(Some(id), None)?.into_iter().next().ok_or_else(|| StoreError::NotFound {
            kind: Kind::Point,
            name: id.to_string(),
            closest: None,
        })?;
        let corrections = self.corrections(Some(id))?;
        let current = self.current_points(Some(id), None)?.into_iter().find(|l| !l.retracted).map(|l| l.point);
        Ok(PointHistory { original, corrections, current })
    }

    /// Points as they stand now, filtered, in date order, one at a time to `each` (a million
    /// readings collected took 400 MB); retracted ones only when asked for.
    pub fn list_points_each(&self, f: &PointFilter, each: &mut dyn FnMut(ListedPoint) -> Result<()>) -> Result<()> {
        // A project or metric asked for is read through the point index by metric (a
        // correction never moves a reading to another metric); the other filters apply to
        // readings as corrected.
        let mut metrics: Option<Vec<i64>> = None;
        if let Some(p) = &f.project {
            let project = super::entities::project_id(&self.conn, p)?;
            let mut stmt = self.conn.prepare("SELECT id FROM metric WHERE project_id = ?1")?;
            let ids = stmt.query_map([project], |r| r.get(0))?.collect::<Result<Vec<i64>, _>>()?;
            metrics = Some(ids);
        }
        if let Some((p, m)) = &f.metric {
            let id = super::entities::metric_id(&self.conn, p, m)?;
            metrics = Some(match metrics {
                Some(of_project) => of_project.into_iter().filter(|&m| m == id).collect(),
                None => vec![id],
            });
        }
        if let Some(e) = &f.engineer {
            engineer_id(&self.conn, e)?;
        }
        if let Some(r) = f.review {
            self.review(r)?;
        }
        // Project and metric are answered by the query (`metrics`).
        let wanted = |l: &ListedPoint| {
            let p = &l.point.point;
            (f.include_retracted || !l.retracted)
                && f.engineer.as_ref().is_none_or(|e| p.engineer == *e)
                && f.from.is_none_or(|d| p.date >= d)
                && f.to.is_none_or(|d| p.date <= d)
        };
        self.current_points_each(None, f.review, metrics.as_deref(), &mut |l| if wanted(&l) { each(l) } else { Ok(()) })
    }

    /// Points with every correction applied (retracted ones flagged), in
    /// date order, optionally one point or one review's.
    pub(super) fn current_points(&self, point: Option<i64>, review: Option<i64>) -> Result<Vec<ListedPoint>> {
        super::collected(|f| self.current_points_each(point, review, None, f))
    }

    /// [`current_points`](Self::current_points) one at a time, in the same order (by date
    /// as corrected, then id), to `f`. Points are read in their recorded order; the few that
    /// a correction moved to another date are read first and merged in where they now belong.
    pub(super) fn current_points_each(
        &self,
        point: Option<i64>,
        review: Option<i64>,
        metrics: Option<&[i64]>,
        f: &mut dyn FnMut(ListedPoint) -> Result<()>,
    ) -> Result<()> {
        self.read(|| {
            let overlays = self.overlays()?;
            let handles: HashMap<i64, String> = if overlays.is_empty() {
                HashMap::new()
            } else {
                let mut stmt = self.conn.prepare("SELECT id, handle FROM engineer")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            let listed = |mut p: StoredPoint| -> ListedPoint {
                let Some(o) = overlays.get(&p.id) else {
                    return ListedPoint { point: p, amended: false, retracted: false };
                };
                let amended = o.value.is_some() || o.note.is_some() || o.date.is_some() || o.engineer_id.is_some();
                if let Some(v) = o.value {
                    p.point.value = v;
                }
                if let Some(n) = &o.note {
                    p.point.note = n.clone();
                }
                if let Some(d) = o.date {
                    p.point.date = d;
                }
                if let Some(h) = o.engineer_id.and_then(|e| handles.get(&e)) {
                    p.point.engineer = h.clone();
                }
                ListedPoint { point: p, amended, retracted: o.retracted }
            };
            let key = |l: &ListedPoint| (l.point.point.date, l.point.id);
            // The moved ones, in the order they now belong.
            let mut moved_ids: Vec<i64> = overlays
                .iter()
                .filter(|(id, o)| o.date.is_some() && point.is_none_or(|p| p == **id))
                .map(|(id, _)| *id)
                .collect();
            moved_ids.sort_unstable();
            // All read in one query (one for each made every such call read every blocker).
            let mut moved: Vec<ListedPoint> = Vec::new();
            if !moved_ids.is_empty() {
                self.raw_points_each(Some(&moved_ids), review, metrics, &mut |p| {
                    moved.push(listed(p));
                    Ok(())
                })?;
            }
            moved.sort_by_key(key);
            let mut moved = moved.into_iter().peekable();
            self.raw_points_each(point.as_ref().map(std::slice::from_ref), review, metrics, &mut |p| {
                if moved_ids.binary_search(&p.id).is_ok() {
                    return Ok(());
                }
                let l = listed(p);
                while let Some(m) = moved.next_if(|m| key(m) < key(&l)) {
                    f(m)?;
                }
                f(l)
            })?;
            for m in moved {
                f(m)?;
            }
            Ok(())
        })
    }
}
