//! Projects, engineers, metrics, reviews and deadlines: the named things data
//! points refer to, with lookups that answer an unknown name with a hint.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{date_col, iso, Kind, Store, StoreError};
use crate::core::model::{Deadline, Direction, Engineer, Metric, Project, Review, ReviewKind};
use crate::core::suggest::closest;

/// Changes to an existing metric; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MetricEdit {
    pub target: Option<f64>,
    pub direction: Option<Direction>,
    pub tolerance: Option<f64>,
    pub unit: Option<String>,
    pub name: Option<String>,
    /// `Some(None)` removes a bound.
    pub min: Option<Option<f64>>,
    pub max: Option<Option<f64>>,
}

/// Changes to an existing project; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProjectEdit {
    pub name: Option<String>,
    pub priority: Option<u8>,
    pub owner: Option<String>,
    pub add_depends_on: Vec<String>,
    pub remove_depends_on: Vec<String>,
}

pub(super) fn project_id(tx: &rusqlite::Connection, slug: &str) -> Result<i64> {
    let id: Option<i64> = tx.query_row("SELECT id FROM project WHERE slug = ?1", [slug], |r| r.get(0)).optional()?;
    match id {
        Some(id) => Ok(id),
        None => Err(not_found(tx, Kind::Project, slug)?.into()),
    }
}

pub(super) fn engineer_id(tx: &rusqlite::Connection, handle: &str) -> Result<i64> {
    let id: Option<i64> =
        tx.query_row("SELECT id FROM engineer WHERE handle = ?1", [handle], |r| r.get(0)).optional()?;
    match id {
        Some(id) => Ok(id),
        None => Err(not_found(tx, Kind::Engineer, handle)?.into()),
    }
}

pub(super) fn metric_id(tx: &rusqlite::Connection, project: &str, metric: &str) -> Result<i64> {
    let pid = project_id(tx, project)?;
    let id: Option<i64> = tx
        .query_row("SELECT id FROM metric WHERE project_id = ?1 AND slug = ?2", params![pid, metric], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => Ok(id),
        None => Err(not_found(tx, Kind::Metric, &format!("{project}/{metric}"))?.into()),
    }
}

/// "No such project, engineer or metric", with the closest existing name.
fn not_found(conn: &rusqlite::Connection, kind: Kind, name: &str) -> Result<StoreError> {
    let names = match kind {
        Kind::Project => column(conn, "SELECT slug FROM project")?,
        Kind::Engineer => column(conn, "SELECT handle FROM engineer")?,
        Kind::Metric => {
            column(conn, "SELECT p.slug || '/' || m.slug FROM metric m JOIN project p ON p.id = m.project_id")?
        }
        Kind::Review | Kind::Blocker | Kind::Point => Vec::new(),
    };
    let closest = closest(name, names.iter().map(String::as_str));
    Ok(StoreError::NotFound { kind, name: name.to_string(), closest })
}

/// Whether project `p` is archived now: its latest archive event says so.
const PROJECT_ARCHIVED: &str = "coalesce((SELECT a.archived FROM archive_event a
     WHERE a.project_id = p.id AND a.metric_id IS NULL ORDER BY a.uid DESC, a.id DESC LIMIT 1), 0)";

/// Whether metric `m` itself is archived now (its project may be too).
const METRIC_ARCHIVED: &str = "coalesce((SELECT a.archived FROM archive_event a
     WHERE a.project_id = m.project_id AND a.metric_id = m.id ORDER BY a.uid DESC, a.id DESC LIMIT 1), 0)";

fn column(conn: &rusqlite::Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let v = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(v)
}

/// True when following `edges` from `from` reaches `to`.
fn reaches(edges: &HashMap<i64, Vec<i64>>, from: i64, to: i64) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n) {
            stack.extend(edges.get(&n).into_iter().flatten().copied());
        }
    }
    false
}

fn dependency_edges(tx: &Transaction<'_>) -> Result<HashMap<i64, Vec<i64>>> {
    let mut edges: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut stmt = tx.prepare("SELECT project_id, depends_on_id FROM project_dependency")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (a, b) = row?;
        edges.entry(a).or_default().push(b);
    }
    Ok(edges)
}

pub(super) fn add_dependency(tx: &Transaction<'_>, project: &str, pid: i64, dep: &str) -> Result<()> {
    let did = project_id(tx, dep)?;
    if did == pid {
        return Err(StoreError::SelfDependency { project: dep.to_string() }.into());
    }
    let edges = dependency_edges(tx)?;
    if reaches(&edges, did, pid) {
        return Err(
            StoreError::Cycle { kind: Kind::Project, name: dep.to_string(), through: project.to_string() }.into()
        );
    }
    tx.execute(
        "INSERT OR IGNORE INTO project_dependency (project_id, depends_on_id) VALUES (?1, ?2)",
        params![pid, did],
    )?;
    Ok(())
}

impl Store {
    pub fn add_project(&mut self, p: &Project) -> Result<()> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM project WHERE slug = ?1)", [&p.slug], |r| r.get(0))?;
        if exists {
            return Err(StoreError::AlreadyExists { kind: Kind::Project, name: p.slug.clone() }.into());
        }
        tx.execute(
            "INSERT INTO project (slug, name, priority, owner, created_at, uid) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![p.slug, p.name, p.priority, p.owner, stamp, super::new_uid()],
        )?;
        let pid = tx.last_insert_rowid();
        for dep in &p.depends_on {
            add_dependency(&tx, &p.slug, pid, dep)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn edit_project(&mut self, slug: &str, edit: &ProjectEdit) -> Result<()> {
        let tx = self.write()?;
        let pid = project_id(&tx, slug)?;
        if let Some(name) = &edit.name {
            tx.execute("UPDATE project SET name = ?1 WHERE id = ?2", params![name, pid])?;
        }
        if let Some(priority) = edit.priority {
            tx.execute("UPDATE project SET priority = ?1 WHERE id = ?2", params![priority, pid])?;
        }
        if let Some(owner) = &edit.owner {
            tx.execute("UPDATE project SET owner = ?1 WHERE id = ?2", params![owner, pid])?;
        }
        for dep in &edit.remove_depends_on {
            let did = project_id(&tx, dep)?;
            tx.execute(
                "DELETE FROM project_dependency WHERE project_id = ?1 AND depends_on_id = ?2",
                params![pid, did],
            )?;
        }
        for dep in &edit.add_depends_on {
            add_dependency(&tx, slug, pid, dep)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn projects(&self) -> Result<Vec<Project>> {
        self.projects_named(None)
    }

    /// Every project, or only the one named `slug`.
    fn projects_named(&self, slug: Option<&str>) -> Result<Vec<Project>> {
        let mut deps: HashMap<i64, Vec<String>> = HashMap::new();
        // One project is looked up through the slug index (see `metrics_named`).
        let mut stmt = self.conn.prepare(match slug {
            Some(_) => {
                "SELECT d.project_id, p.slug FROM project_dependency d JOIN project p ON p.id = d.depends_on_id
                 WHERE d.project_id = (SELECT id FROM project WHERE slug = ?1) ORDER BY p.slug"
            }
            None => {
                "SELECT d.project_id, p.slug FROM project_dependency d JOIN project p ON p.id = d.depends_on_id
                 WHERE ?1 IS NULL ORDER BY p.slug"
            }
        })?;
        for row in stmt.query_map([slug], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, slug) = row?;
            deps.entry(id).or_default().push(slug);
        }
        let filter = if slug.is_some() { "slug = ?1" } else { "?1 IS NULL" };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, slug, name, priority, owner, {PROJECT_ARCHIVED} FROM project p
             WHERE {filter} ORDER BY priority, slug"
        ))?;
        let rows = stmt.query_map([slug], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Project {
                    slug: r.get(1)?,
                    name: r.get(2)?,
                    priority: r.get(3)?,
                    owner: r.get(4)?,
                    depends_on: Vec::new(),
                    archived: r.get(5)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, mut p) = row?;
            p.depends_on = deps.remove(&id).unwrap_or_default();
            out.push(p);
        }
        Ok(out)
    }

    /// One project, or an error with a hint naming the closest slug.
    pub fn project(&self, slug: &str) -> Result<Project> {
        match self.projects_named(Some(slug))?.pop() {
            Some(p) => Ok(p),
            None => Err(not_found(&self.conn, Kind::Project, slug)?.into()),
        }
    }

    pub fn add_engineer(&mut self, e: &Engineer) -> Result<()> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM engineer WHERE handle = ?1)", [&e.handle], |r| r.get(0))?;
        if exists {
            return Err(StoreError::AlreadyExists { kind: Kind::Engineer, name: e.handle.clone() }.into());
        }
        let boss = e.reports_to.as_deref().map(|h| engineer_id(&tx, h)).transpose()?;
        tx.execute(
            "INSERT INTO engineer (handle, name, reports_to, created_at, uid) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![e.handle, e.name, boss, stamp, super::new_uid()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Changes an engineer's name or manager; a reporting line that would loop
    /// back to the engineer is refused.
    pub fn edit_engineer(&mut self, handle: &str, name: Option<&str>, reports_to: Option<&str>) -> Result<()> {
        let tx = self.write()?;
        let id = engineer_id(&tx, handle)?;
        if let Some(name) = name {
            tx.execute("UPDATE engineer SET name = ?1 WHERE id = ?2", params![name, id])?;
        }
        if let Some(boss) = reports_to {
            let bid = engineer_id(&tx, boss)?;
            // Walk up from the new manager; meeting the engineer means a loop.
            let mut cur = Some(bid);
            let mut steps = 0;
            while let Some(c) = cur {
                if c == id {
                    return Err(StoreError::Cycle {
                        kind: Kind::Engineer,
                        name: boss.to_string(),
                        through: handle.to_string(),
                    }
                    .into());
                }
                cur = tx.query_row("SELECT reports_to FROM engineer WHERE id = ?1", [c], |r| r.get(0))?;
                steps += 1;
                if steps > 10_000 {
                    break;
                }
            }
            tx.execute("UPDATE engineer SET reports_to = ?1 WHERE id = ?2", params![bid, id])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn engineers(&self) -> Result<Vec<Engineer>> {
        self.engineers_named(None)
    }

    /// Every engineer, or only the one named `handle`.
    fn engineers_named(&self, handle: Option<&str>) -> Result<Vec<Engineer>> {
        let mut stmt = self.conn.prepare(
            "SELECT e.handle, e.name, b.handle FROM engineer e LEFT JOIN engineer b ON b.id = e.reports_to
             WHERE ?1 IS NULL OR e.handle = ?1 ORDER BY e.handle",
        )?;
        let v = stmt
            .query_map([handle], |r| Ok(Engineer { handle: r.get(0)?, name: r.get(1)?, reports_to: r.get(2)? }))?
            .collect::<Result<_, _>>()?;
        Ok(v)
    }

    pub fn engineer(&self, handle: &str) -> Result<Engineer> {
        match self.engineers_named(Some(handle))?.pop() {
            Some(e) => Ok(e),
            None => Err(not_found(&self.conn, Kind::Engineer, handle)?.into()),
        }
    }

    pub fn add_metric(&mut self, m: &Metric) -> Result<()> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        let pid = project_id(&tx, &m.project)?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM metric WHERE project_id = ?1 AND slug = ?2)",
            params![pid, m.metric],
            |r| r.get(0),
        )?;
        if exists {
            return Err(StoreError::AlreadyExists { kind: Kind::Metric, name: m.key() }.into());
        }
        insert_metric(&tx, pid, m, &stamp)?;
        tx.commit()?;
        Ok(())
    }

    /// Changes a metric's definition; `None` leaves a field as it is. Past
    /// readings stay as they were: only what they are compared with changes.
    pub fn edit_metric(&mut self, project: &str, metric: &str, edit: &MetricEdit) -> Result<()> {
        let tx = self.write()?;
        let id = metric_id(&tx, project, metric)?;
        if let Some(t) = edit.target {
            tx.execute("UPDATE metric SET target = ?1 WHERE id = ?2", params![t, id])?;
        }
        if let Some(d) = edit.direction {
            tx.execute("UPDATE metric SET direction = ?1 WHERE id = ?2", params![d.as_str(), id])?;
        }
        if let Some(t) = edit.tolerance {
            tx.execute("UPDATE metric SET tolerance = ?1 WHERE id = ?2", params![t, id])?;
        }
        if let Some(u) = &edit.unit {
            tx.execute("UPDATE metric SET unit = ?1 WHERE id = ?2", params![u, id])?;
        }
        if let Some(n) = &edit.name {
            tx.execute("UPDATE metric SET name = ?1 WHERE id = ?2", params![n, id])?;
        }
        if let Some(b) = edit.min {
            tx.execute("UPDATE metric SET lower_bound = ?1 WHERE id = ?2", params![b, id])?;
        }
        if let Some(b) = edit.max {
            tx.execute("UPDATE metric SET upper_bound = ?1 WHERE id = ?2", params![b, id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Archives (or un-archives) a project (`metric` None) or one metric: a
    /// new event, so the history of the decision is kept. Archiving what is
    /// already archived, or bringing back what is not, is refused.
    pub fn set_archived(
        &mut self,
        project: &str,
        metric: Option<&str>,
        archived: bool,
        reason: Option<&str>,
        author: Option<&str>,
    ) -> Result<()> {
        let stamp = self.clock.stamp();
        let today = iso(self.clock.today);
        let tx = self.write()?;
        let pid = project_id(&tx, project)?;
        let mid = metric.map(|m| metric_id(&tx, project, m)).transpose()?;
        let now: bool = tx.query_row(
            "SELECT coalesce((SELECT archived FROM archive_event
                 WHERE project_id = ?1 AND metric_id IS ?2 ORDER BY uid DESC, id DESC LIMIT 1), 0)",
            params![pid, mid],
            |r| r.get(0),
        )?;
        let scope = match metric {
            Some(m) => format!("metric {project}/{m}"),
            None => format!("project {project}"),
        };
        if now == archived {
            return Err(StoreError::ArchiveUnchanged { scope, archived }.into());
        }
        tx.execute(
            "INSERT INTO archive_event (project_id, metric_id, archived, reason, author, date, created_at, uid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![pid, mid, archived, reason, author, today, stamp, super::new_uid()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every metric (or one project's), ordered by project priority then name.
    pub fn metrics(&self, project: Option<&str>) -> Result<Vec<Metric>> {
        if let Some(p) = project {
            project_id(&self.conn, p)?;
        }
        self.metrics_named(project, None)
    }

    /// Every metric, a project's, or one (`project` and `metric` both given).
    pub(super) fn metrics_named(&self, project: Option<&str>, metric: Option<&str>) -> Result<Vec<Metric>> {
        // Each filter given is written as a plain equality, which SQLite looks up through the
        // slug indexes; `(?1 IS NULL OR p.slug = ?1)` made it read all 20,000 metrics of a
        // large organization to find one project's.
        let filter = match (project.is_some(), metric.is_some()) {
            (true, true) => "p.slug = ?1 AND m.slug = ?2",
            (true, false) => "p.slug = ?1 AND ?2 IS NULL",
            (false, true) => "?1 IS NULL AND m.slug = ?2",
            (false, false) => "?1 IS NULL AND ?2 IS NULL",
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.slug, m.slug, m.name, m.unit, m.target, m.direction, m.tolerance,
                    m.lower_bound, m.upper_bound, {METRIC_ARCHIVED}
             FROM metric m JOIN project p ON p.id = m.project_id
             WHERE {filter}
             ORDER BY p.priority, p.slug, m.slug"
        ))?;
        let v = stmt
            .query_map(params![project, metric], |r| {
                let dir: String = r.get(5)?;
                Ok(Metric {
                    project: r.get(0)?,
                    metric: r.get(1)?,
                    name: r.get(2)?,
                    unit: r.get(3)?,
                    target: r.get(4)?,
                    direction: dir.parse().unwrap_or(Direction::Down),
                    tolerance: r.get(6)?,
                    min: r.get(7)?,
                    max: r.get(8)?,
                    archived: r.get(9)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(v)
    }

    pub fn metric(&self, project: &str, metric: &str) -> Result<Metric> {
        match self.metrics_named(Some(project), Some(metric))?.pop() {
            Some(m) => Ok(m),
            // Says which is missing: the project, or the metric in it.
            None => Err(metric_id(&self.conn, project, metric).err().unwrap_or_else(|| {
                StoreError::NotFound { kind: Kind::Metric, name: format!("{project}/{metric}"), closest: None }.into()
            })),
        }
    }

    pub fn add_review(
        &mut self,
        date: NaiveDate,
        kind: ReviewKind,
        reviewer: Option<&str>,
        notes: Option<&str>,
    ) -> Result<i64> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        let rid = reviewer.map(|h| engineer_id(&tx, h)).transpose()?;
        tx.execute(
            "INSERT INTO review (date, kind, reviewer_id, notes, created_at, uid) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![iso(date), kind.as_str(), rid, notes, stamp, super::new_uid()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    pub fn reviews(&self) -> Result<Vec<(Review, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.id, r.date, r.kind, e.handle, r.notes,
                    (SELECT count(*) FROM point p WHERE p.review_id = r.id
                       AND NOT EXISTS (SELECT 1 FROM correction c WHERE c.point_id = p.id AND c.action = 'retract'))
             FROM review r LEFT JOIN engineer e ON e.id = r.reviewer_id
             ORDER BY r.date DESC, r.id DESC",
        )?;
        let v = stmt.query_map([], |r| Ok((review_row(r)?, r.get(5)?)))?.collect::<Result<_, _>>()?;
        Ok(v)
    }

    /// The date of review `id`, if it exists.
    pub fn review_date(&self, id: i64) -> Result<Option<NaiveDate>> {
        let d = self.conn.query_row("SELECT date FROM review WHERE id = ?1", [id], |r| date_col(r, 0)).optional()?;
        Ok(d)
    }

    pub fn review(&self, id: i64) -> Result<Review> {
        let r = self
            .conn
            .query_row(
                "SELECT r.id, r.date, r.kind, e.handle, r.notes
                 FROM review r LEFT JOIN engineer e ON e.id = r.reviewer_id WHERE r.id = ?1",
                [id],
                review_row,
            )
            .optional()?;
        r.ok_or_else(|| StoreError::NotFound { kind: Kind::Review, name: id.to_string(), closest: None }.into())
    }

    /// Records a deadline (a new row: earlier ones on the same scope stay as
    /// the history of slips).
    pub fn set_deadline(&mut self, d: &Deadline) -> Result<i64> {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        let pid = project_id(&tx, &d.project)?;
        let mid = d.metric.as_deref().map(|m| metric_id(&tx, &d.project, m)).transpose()?;
        tx.execute(
            "INSERT INTO deadline (project_id, metric_id, due, probability, reason, set_on, created_at, uid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![pid, mid, iso(d.due), d.probability, d.reason, iso(d.set_on), stamp, super::new_uid()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Every deadline ever set, oldest first (in the order they were made,
    /// by uid: the same on every synced copy of the database).
    pub fn deadlines(&self) -> Result<Vec<Deadline>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.id, p.slug, m.slug, d.due, d.probability, d.reason, d.set_on
             FROM deadline d JOIN project p ON p.id = d.project_id LEFT JOIN metric m ON m.id = d.metric_id
             ORDER BY d.uid IS NULL, d.uid, d.id",
        )?;
        let v = stmt
            .query_map([], |r| {
                Ok(Deadline {
                    id: r.get(0)?,
                    project: r.get(1)?,
                    metric: r.get(2)?,
                    due: date_col(r, 3)?,
                    probability: r.get(4)?,
                    reason: r.get(5)?,
                    set_on: date_col(r, 6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(v)
    }
}

pub(super) fn insert_metric(tx: &rusqlite::Connection, pid: i64, m: &Metric, stamp: &str) -> Result<i64> {
    tx.execute(
        "INSERT INTO metric (project_id, slug, name, unit, target, direction, tolerance, lower_bound, upper_bound, created_at, uid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![pid, m.metric, m.name, m.unit, m.target, m.direction.as_str(), m.tolerance, m.min, m.max, stamp, super::new_uid()],
    )?;
    Ok(tx.last_insert_rowid())
}

fn review_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Review> {
    let kind: String = r.get(2)?;
    Ok(Review {
        id: r.get(0)?,
        date: date_col(r, 1)?,
        kind: kind.parse().unwrap_or(ReviewKind::Weekly),
        reviewer: r.get(3)?,
        notes: r.get(4)?,
    })
}
