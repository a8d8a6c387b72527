//! The whole database as one JSON document (`export --format json`), and
//! back (`import FILE.json` into an empty database).
//!
//! The dump holds the record as it was made: projects with their names,
//! priorities, dependencies; engineers with their reporting lines; metrics;
//! reviews; points as first logged, with every correction; blockers;
//! deadlines with their history; archive events. Ids of reviews, points,
//! blockers, deadlines and corrections are kept, so that exporting the
//! imported database gives the same bytes.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::corrections::{Action, Correction};
use super::entities::{add_dependency, insert_metric};
use super::{date_col, iso, migrations, Store, StoredPoint};
use crate::core::error::UserError;
use crate::core::model::{Blocker, Deadline, Engineer, Metric, Project, Review};
use crate::core::validate;

/// A blocker with the point that first cited it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DumpBlocker {
    #[serde(flatten)]
    pub blocker: Blocker,
    /// The data point that first cited it, if any.
    #[serde(default)]
    pub point: Option<i64>,
}

/// Archiving or bringing back a project (`metric` None) or a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveEvent {
    pub id: i64,
    pub project: String,
    pub metric: Option<String>,
    pub archived: bool,
    pub reason: Option<String>,
    pub by: Option<String>,
    pub date: NaiveDate,
    pub at: String,
}

/// Everything in the database. Fields are in alphabetical order, as the
/// export always printed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dump {
    #[serde(default)]
    pub archive_events: Vec<ArchiveEvent>,
    #[serde(default)]
    pub blockers: Vec<DumpBlocker>,
    #[serde(default)]
    pub corrections: Vec<Correction>,
    #[serde(default)]
    pub deadlines: Vec<Deadline>,
    #[serde(default)]
    pub engineers: Vec<Engineer>,
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// As first logged; the corrections say what changed since.
    #[serde(default)]
    pub points: Vec<StoredPoint>,
    #[serde(default)]
    pub projects: Vec<Project>,
    #[serde(default)]
    pub reviews: Vec<Review>,
    pub schema_version: i64,
}

/// What an import of a dump wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RestoreSummary {
    pub projects: usize,
    pub engineers: usize,
    pub metrics: usize,
    pub reviews: usize,
    pub points: usize,
    pub corrections: usize,
    pub blockers: usize,
    pub deadlines: usize,
    pub archive_events: usize,
}

impl Store {
    /// The whole database, as the record was made.
    pub fn dump(&self) -> Result<Dump> {
        self.read(|| Ok(Dump { points: self.raw_points(None, None)?, ..self.dump_but_points()? }))
    }

    /// [`dump`](Self::dump) as pretty JSON into `out`, the points written as they are read
    /// (a million points took a gigabyte of memory held whole): the same bytes as
    /// `serde_json::to_writer_pretty(out, &self.dump()?)`.
    pub fn dump_to(&self, out: &mut dyn std::io::Write) -> Result<()> {
        use serde::ser::{Error as _, SerializeSeq, SerializeStruct, Serializer};
        /// The points, serialized as the store reads them.
        struct Points<'a> {
            store: &'a Store,
            /// What stopped the reading, said in full after serde's one-line error.
            failed: &'a std::cell::RefCell<Option<anyhow::Error>>,
        }
        impl serde::Serialize for Points<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(None)?;
                let mut written: Option<S::Error> = None;
                let read = self.store.raw_points_each(None, None, None, &mut |p| {
                    seq.serialize_element(&p).map_err(|e| {
                        let said = anyhow::anyhow!("{e}");
                        written = Some(e);
                        said
                    })
                });
                if let Some(e) = written {
                    return Err(e);
                }
                if let Err(e) = read {
                    let said = S::Error::custom(&e);
                    *self.failed.borrow_mut() = Some(e);
                    return Err(said);
                }
                SerializeSeq::end(seq)
            }
        }
        self.read(|| {
            let d = self.dump_but_points()?;
            let failed = std::cell::RefCell::new(None);
            let mut ser = serde_json::Serializer::pretty(&mut *out);
            let written = (|| {
                let mut st = (&mut ser).serialize_struct("Dump", 10)?;
                st.serialize_field("archive_events", &d.archive_events)?;
                st.serialize_field("blockers", &d.blockers)?;
                st.serialize_field("corrections", &d.corrections)?;
                st.serialize_field("deadlines", &d.deadlines)?;
                st.serialize_field("engineers", &d.engineers)?;
                st.serialize_field("metrics", &d.metrics)?;
                st.serialize_field("points", &Points { store: self, failed: &failed })?;
                st.serialize_field("projects", &d.projects)?;
                st.serialize_field("reviews", &d.reviews)?;
                st.serialize_field("schema_version", &d.schema_version)?;
                SerializeStruct::end(st)
            })();
            match (written, failed.into_inner()) {
                (_, Some(e)) => Err(e),
                // A closed pipe stays an io::Error (the command line ends quietly on one).
                (Err(e), None) if e.is_io() => Err(std::io::Error::from(e).into()),
                (Err(e), None) => Err(e.into()),
                (Ok(()), None) => Ok(()),
            }
        })
    }

    /// Everything in the dump but the points.
    fn dump_but_points(&self) -> Result<Dump> {
        let mut stmt = self.conn.prepare(
            "SELECT b.id, b.category, b.text, p.slug, m.slug, e.handle, b.opened, b.resolved, b.point_id
             FROM blocker b JOIN project p ON p.id = b.project_id
             LEFT JOIN metric m ON m.id = b.metric_id
             LEFT JOIN engineer e ON e.id = b.engineer_id
             ORDER BY b.category, b.opened, b.id",
        )?;
        let blockers = stmt
            .query_map([], |r| Ok(DumpBlocker { blocker: super::points::blocker_row(r)?, point: r.get(8)? }))?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT a.id, p.slug, m.slug, a.archived, a.reason, a.author, a.date, a.created_at
             FROM archive_event a JOIN project p ON p.id = a.project_id LEFT JOIN metric m ON m.id = a.metric_id
             ORDER BY a.id",
        )?;
        let archive_events = stmt
            .query_map([], |r| {
                Ok(ArchiveEvent {
                    id: r.get(0)?,
                    project: r.get(1)?,
                    metric: r.get(2)?,
                    archived: r.get(3)?,
                    reason: r.get(4)?,
                    by: r.get(5)?,
                    date: date_col(r, 6)?,
                    at: r.get(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(Dump {
            archive_events,
            blockers,
            corrections: self.corrections(None)?,
            deadlines: self.deadlines()?,
            engineers: self.engineers()?,
            metrics: self.metrics(None)?,
            points: Vec::new(),
            projects: self.projects()?,
            reviews: self.reviews()?.into_iter().map(|(r, _)| r).collect(),
            schema_version: self.schema_version()?,
        })
    }

    /// Writes a dump into this database, which must hold no data: all or
    /// nothing, every value checked as if typed.
    /// Restores `d` into this empty database, its points given by `points` (a dump read by
    /// [`read_dump`] holds none: they are read one at a time) after `d.points`.
    pub fn restore(
        &mut self,
        d: &Dump,
        points: &mut dyn Iterator<Item = Result<StoredPoint>>,
    ) -> Result<RestoreSummary> {
        if d.schema_version > migrations::LATEST {
            return Err(UserError::new(format!(
                "the file was exported by a newer limfac (schema version {}; this build knows up to {})",
                d.schema_version,
                migrations::LATEST
            ))
            .hint("import it with a limfac at least as new as the one that exported it")
            .into());
        }
        let today = self.clock.today;
        let stamp = self.clock.stamp();
        let shown = self.path.display().to_string();
        let tx = self.write()?;
        {
            let tables = ["project", "engineer", "metric", "review", "point", "blocker", "deadline"];
            for t in tables {
                let any: bool = tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {t})"), [], |r| r.get(0))?;
                if any {
                    return Err(super::StoreError::NotEmpty { path: shown.clone() }.into());
                }
            }
        }
        let mut s = RestoreSummary::default();

        // Projects, then their dependencies (cycles refused as when typed).
        let mut project_ids: HashMap<&str, i64> = HashMap::new();
        for (i, p) in d.projects.iter().enumerate() {
            let at = || format!("projects[{i}]");
            validate::slug(&format!("{} slug", at()), &p.slug)?;
            validate::text(&format!("{} name", at()), &p.name)?;
            validate::priority(&format!("{} priority", at()), i64::from(p.priority))?;
            if let Some(o) = &p.owner {
                validate::text(&format!("{} owner", at()), o)?;
            }
            if project_ids.contains_key(p.slug.as_str()) {
                crate::user_bail!("{} slug '{}' appears twice", at(), p.slug);
            }
            tx.execute(
                "INSERT INTO project (slug, name, priority, owner, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![p.slug, p.name, p.priority, p.owner, stamp],
            )?;
            project_ids.insert(&p.slug, tx.last_insert_rowid());
        }
        for (i, p) in d.projects.iter().enumerate() {
            for dep in &p.depends_on {
                if !project_ids.contains_key(dep.as_str()) {
                    crate::user_bail!("projects[{i}] depends_on '{dep}', which is not among the projects");
                }
                add_dependency(&tx, &p.slug, project_ids[p.slug.as_str()], dep)
                    .with_context(|| format!("projects[{i}] ({})", p.slug))?;
            }
        }
        s.projects = d.projects.len();

        // Engineers, then their reporting lines (loops refused).
        let mut engineer_ids: HashMap<&str, i64> = HashMap::new();
        for (i, e) in d.engineers.iter().enumerate() {
            validate::handle(&format!("engineers[{i}] handle"), &e.handle)?;
            validate::text(&format!("engineers[{i}] name"), &e.name)?;
            if engineer_ids.contains_key(e.handle.as_str()) {
                crate::user_bail!("engineers[{i}] handle '{}' appears twice", e.handle);
            }
            tx.execute(
                "INSERT INTO engineer (handle, name, reports_to, created_at) VALUES (?1, ?2, NULL, ?3)",
                params![e.handle, e.name, stamp],
            )?;
            engineer_ids.insert(&e.handle, tx.last_insert_rowid());
        }
        let boss: HashMap<&str, &str> =
            d.engineers.iter().filter_map(|e| Some((e.handle.as_str(), e.reports_to.as_deref()?))).collect();
        for (i, e) in d.engineers.iter().enumerate() {
            let Some(b) = &e.reports_to else { continue };
            let Some(&bid) = engineer_ids.get(b.as_str()) else {
                crate::user_bail!("engineers[{i}] reports_to '{b}', who is not among the engineers");
            };
            let mut cur = Some(b.as_str());
            let mut steps = 0;
            while let Some(c) = cur {
                if c == e.handle || steps > d.engineers.len() {
                    crate::user_bail!("engineers[{i}] reports_to '{b}' makes a reporting loop through '{}'", e.handle);
                }
                cur = boss.get(c).copied();
                steps += 1;
            }
            tx.execute(
                "UPDATE engineer SET reports_to = ?1 WHERE id = ?2",
                params![bid, engineer_ids[e.handle.as_str()]],
            )?;
        }
        s.engineers = d.engineers.len();
        let engineer = |field: String, h: &str| -> Result<i64> {
            engineer_ids
                .get(h)
                .copied()
                .ok_or_else(|| UserError::new(format!("{field} '{h}' is not among the engineers")).into())
        };

        // Metrics.
        let mut metric_ids: HashMap<(&str, &str), i64> = HashMap::new();
        for (i, m) in d.metrics.iter().enumerate() {
            let at = format!("metrics[{i}]");
            let Some(&pid) = project_ids.get(m.project.as_str()) else {
                crate::user_bail!("{at} project '{}' is not among the projects", m.project);
            };
            validate::slug(&format!("{at} metric"), &m.metric)?;
            if let Some(n) = &m.name {
                validate::text(&format!("{at} name"), n)?;
            }
            if let Some(u) = &m.unit {
                validate::text(&format!("{at} unit"), u)?;
            }
            if m.tolerance < 0.0 {
                crate::user_bail!("{at} tolerance {} is negative", m.tolerance);
            }
            if let (Some(lo), Some(hi)) = (m.min, m.max) {
                if lo >= hi {
                    crate::user_bail!("{at} min {lo} is not below max {hi}");
                }
            }
            if metric_ids.contains_key(&(m.project.as_str(), m.metric.as_str())) {
                crate::user_bail!("{at} metric '{}' appears twice", m.key());
            }
            let id = insert_metric(&tx, pid, m, &stamp)?;
            metric_ids.insert((&m.project, &m.metric), id);
        }
        s.metrics = d.metrics.len();
        let metric = |field: String, p: &str, m: &str| -> Result<i64> {
            metric_ids
                .get(&(p, m))
                .copied()
                .ok_or_else(|| UserError::new(format!("{field} '{p}/{m}' is not among the metrics")).into())
        };
        let project = |field: String, p: &str| -> Result<i64> {
            project_ids
                .get(p)
                .copied()
                .ok_or_else(|| UserError::new(format!("{field} '{p}' is not among the projects")).into())
        };
        let past = |field: String, date: NaiveDate| -> Result<()> {
            validate::date(&field, &iso(date), today)?;
            Ok(())
        };

        // Reviews, with their ids.
        let mut review_ids: HashSet<i64> = HashSet::new();
        for (i, r) in d.reviews.iter().enumerate() {
            let at = format!("reviews[{i}]");
            past(format!("{at} date"), r.date)?;
            let rid = r.reviewer.as_deref().map(|h| engineer(format!("{at} reviewer"), h)).transpose()?;
            if let Some(n) = &r.notes {
                validate::long_text(&format!("{at} notes"), n)?;
            }
            if r.id <= 0 || !review_ids.insert(r.id) {
                crate::user_bail!("{at} id {} is not a new positive id", r.id);
            }
            tx.execute(
                "INSERT INTO review (id, date, kind, reviewer_id, notes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.id, iso(r.date), r.kind.as_str(), rid, r.notes, stamp],
            )?;
        }
        s.reviews = d.reviews.len();

        // Points as first logged, with their ids.
        let mut point_ids: HashSet<i64> = HashSet::new();
        {
            let mut insert = tx.prepare(
                "INSERT INTO point (id, date, metric_id, engineer_id, value, note, review_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let all = d.points.iter().cloned().map(Ok).chain(points);
            for (i, p) in all.enumerate() {
                let p = p?;
                let at = format!("points[{i}] (id {})", p.id);
                past(format!("{at} date"), p.point.date)?;
                let mid = metric(format!("{at} metric"), &p.point.project, &p.point.metric)?;
                let eid = engineer(format!("{at} engineer"), &p.point.engineer)?;
                validate::note(&format!("{at} note"), &p.point.note)?;
                if let Some(r) = p.point.review {
                    if !review_ids.contains(&r) {
                        crate::user_bail!("{at} review {r} is not among the reviews");
                    }
                }
                if p.id <= 0 || !point_ids.insert(p.id) {
                    crate::user_bail!("{at}: id {} is not a new positive id", p.id);
                }
                insert.execute(params![
                    p.id,
                    iso(p.point.date),
                    mid,
                    eid,
                    p.point.value,
                    p.point.note,
                    p.point.review,
                    stamp
                ])?;
            }
        }
        s.points = point_ids.len();

        // Corrections, in the order they were made.
        for (i, c) in d.corrections.iter().enumerate() {
            let at = format!("corrections[{i}] (id {})", c.id);
            if !point_ids.contains(&c.point) {
                crate::user_bail!("{at} point {} is not among the points", c.point);
            }
            validate::long_text(&format!("{at} reason"), &c.reason)?;
            if let Some(n) = &c.note {
                validate::note(&format!("{at} note"), n)?;
            }
            if let Some(date) = c.date {
                past(format!("{at} date"), date)?;
            }
            if let Some(b) = &c.by {
                validate::text(&format!("{at} by"), b)?;
            }
            stamp_ok(&format!("{at} at"), &c.at)?;
            let eid = c.engineer.as_deref().map(|h| engineer(format!("{at} engineer"), h)).transpose()?;
            let changes = c.value.is_some() || c.note.is_some() || c.date.is_some() || eid.is_some();
            if c.action == Action::Retract && changes {
                crate::user_bail!("{at} is a retraction but changes fields");
            }
            tx.execute(
                "INSERT INTO correction (id, point_id, action, value, note, date, engineer_id, reason, author, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    c.id,
                    c.point,
                    c.action.as_str(),
                    c.value,
                    c.note,
                    c.date.map(iso),
                    eid,
                    c.reason,
                    c.by,
                    c.at
                ],
            )
            .with_context(|| format!("{at} could not be stored (is its id unique?)"))?;
        }
        s.corrections = d.corrections.len();

        // Blockers, with the point that first cited each.
        for (i, b) in d.blockers.iter().enumerate() {
            let at = format!("blockers[{i}] (id {})", b.blocker.id);
            let x = &b.blocker;
            validate::category(&format!("{at} category"), &x.category)?;
            validate::blocker_text(&format!("{at} text"), &x.text)?;
            let pid = project(format!("{at} project"), &x.project)?;
            let mid = x.metric.as_deref().map(|m| metric(format!("{at} metric"), &x.project, m)).transpose()?;
            let eid = x.engineer.as_deref().map(|h| engineer(format!("{at} engineer"), h)).transpose()?;
            past(format!("{at} opened"), x.opened)?;
            if let Some(r) = x.resolved {
                past(format!("{at} resolved"), r)?;
                if r < x.opened {
                    crate::user_bail!("{at} resolved {r} is before it was opened ({})", x.opened);
                }
            }
            if let Some(p) = b.point {
                if !point_ids.contains(&p) {
                    crate::user_bail!("{at} point {p} is not among the points");
                }
            }
            tx.execute(
                "INSERT INTO blocker (id, category, text, project_id, metric_id, engineer_id, point_id, opened, resolved)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![x.id, x.category, x.text, pid, mid, eid, b.point, iso(x.opened), x.resolved.map(iso)],
            )
            .with_context(|| format!("{at} could not be stored (is its id unique?)"))?;
        }
        s.blockers = d.blockers.len();

        // Deadlines, every change in order.
        for (i, x) in d.deadlines.iter().enumerate() {
            let at = format!("deadlines[{i}] (id {})", x.id);
            let pid = project(format!("{at} project"), &x.project)?;
            let mid = x.metric.as_deref().map(|m| metric(format!("{at} metric"), &x.project, m)).transpose()?;
            past(format!("{at} set_on"), x.set_on)?;
            validate::future_date(&format!("{at} due"), &iso(x.due), today)?;
            if x.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
                crate::user_bail!("{at} probability {:?} is not between 0 and 1", x.probability);
            }
            if let Some(r) = &x.reason {
                validate::long_text(&format!("{at} reason"), r)?;
            }
            tx.execute(
                "INSERT INTO deadline (id, project_id, metric_id, due, probability, reason, set_on, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![x.id, pid, mid, iso(x.due), x.probability, x.reason, iso(x.set_on), stamp],
            )
            .with_context(|| format!("{at} could not be stored (is its id unique?)"))?;
        }
        s.deadlines = d.deadlines.len();

        // Archive events, in order.
        for (i, a) in d.archive_events.iter().enumerate() {
            let at = format!("archive_events[{i}] (id {})", a.id);
            let pid = project(format!("{at} project"), &a.project)?;
            let mid = a.metric.as_deref().map(|m| metric(format!("{at} metric"), &a.project, m)).transpose()?;
            past(format!("{at} date"), a.date)?;
            if let Some(r) = &a.reason {
                validate::long_text(&format!("{at} reason"), r)?;
            }
            if let Some(b) = &a.by {
                validate::text(&format!("{at} by"), b)?;
            }
            stamp_ok(&format!("{at} at"), &a.at)?;
            tx.execute(
                "INSERT INTO archive_event (id, project_id, metric_id, archived, reason, author, date, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![a.id, pid, mid, a.archived, a.reason, a.by, iso(a.date), a.at],
            )
            .with_context(|| format!("{at} could not be stored (is its id unique?)"))?;
        }
        s.archive_events = d.archive_events.len();
        // Every row made here gets its uid (team sync) in creation order.
        super::fill_missing_uids(&tx)?;
        tx.commit()?;
        Ok(s)
    }
}

/// A stored instant must be RFC 3339, as limfac writes them.
fn stamp_ok(field: &str, s: &str) -> Result<()> {
    if chrono::DateTime::parse_from_rfc3339(s).is_err() {
        return Err(UserError::new(format!("{field} {} is not an RFC 3339 time", validate::show(s)))
            .hint("e.g. 2026-11-29T12:00:00Z")
            .into());
    }
    Ok(())
}

/// Reads a JSON export as `serde_json::from_reader` reads a [`Dump`], except that each point
/// is handed to `point` as it is read rather than kept (the dump returned has no points): a
/// million points held 400 MB. Unknown fields are ignored, as the derived reader does.
pub fn read_dump(
    input: impl Read,
    point: &mut dyn FnMut(StoredPoint) -> std::io::Result<()>,
) -> serde_json::Result<Dump> {
    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    struct Points<'a>(&'a mut dyn FnMut(StoredPoint) -> std::io::Result<()>);
    impl<'de> DeserializeSeed<'de> for Points<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Points<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of points")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(p) = seq.next_element::<StoredPoint>()? {
                (self.0)(p).map_err(de::Error::custom)?;
            }
            Ok(())
        }
    }

    struct Whole<'a>(&'a mut dyn FnMut(StoredPoint) -> std::io::Result<()>);
    impl<'de> Visitor<'de> for Whole<'_> {
        type Value = Dump;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("struct Dump")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dump, A::Error> {
            let mut d = Dump {
                archive_events: Vec::new(),
                blockers: Vec::new(),
                corrections: Vec::new(),
                deadlines: Vec::new(),
                engineers: Vec::new(),
                metrics: Vec::new(),
                points: Vec::new(),
                projects: Vec::new(),
                reviews: Vec::new(),
                schema_version: 0,
            };
            let mut version = None;
            let mut seen: HashSet<String> = HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                }
                match key.as_str() {
                    "archive_events" => d.archive_events = map.next_value()?,
                    "blockers" => d.blockers = map.next_value()?,
                    "corrections" => d.corrections = map.next_value()?,
                    "deadlines" => d.deadlines = map.next_value()?,
                    "engineers" => d.engineers = map.next_value()?,
                    "metrics" => d.metrics = map.next_value()?,
                    "points" => map.next_value_seed(Points(&mut *self.0))?,
                    "projects" => d.projects = map.next_value()?,
                    "reviews" => d.reviews = map.next_value()?,
                    "schema_version" => version = Some(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            d.schema_version = version.ok_or_else(|| de::Error::missing_field("schema_version"))?;
            Ok(d)
        }
    }

    let mut de = serde_json::Deserializer::from_reader(input);
    let d = de.deserialize_map(Whole(point))?;
    de.end()?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streaming reader gives what the derived one gives, points aside and in order.
    #[test]
    fn read_dump_is_from_str_with_the_points_handed_over() {
        let text = r#"{
          "archive_events": [],
          "engineers": [{"handle": "li", "name": "Li", "reports_to": null}],
          "points": [
            {"id": 3, "date": "2026-11-02", "project": "chips", "metric": "yield", "engineer": "li",
             "value": 0.1, "note": "n1", "review": null, "kind": null, "reviewer": null,
             "blockers": [], "resolved": []},
            {"id": 9, "date": "2026-11-09", "project": "chips", "metric": "yield", "engineer": "li",
             "value": 33.333333333333336, "note": "二", "review": null, "kind": null, "reviewer": null,
             "blockers": [], "resolved": []}
          ],
          "something_newer": {"ignored": [1, 2]},
          "schema_version": 5
        }"#;
        let whole: Dump = serde_json::from_str(text).unwrap();
        let mut points = Vec::new();
        let streamed = read_dump(text.as_bytes(), &mut |p| {
            points.push(p);
            Ok(())
        })
        .unwrap();
        assert_eq!(points, whole.points);
        assert_eq!(Dump { points: whole.points.clone(), ..streamed }, whole);

        let none = |_: StoredPoint| Ok(());
        let twice = r#"{"schema_version": 5, "schema_version": 5}"#;
        assert!(read_dump(twice.as_bytes(), &mut none.clone()).unwrap_err().to_string().contains("duplicate field"));
        assert!(read_dump(&b"{}"[..], &mut none.clone()).unwrap_err().to_string().contains("schema_version"));
        assert!(read_dump(&b"{\"schema_version\": 5} x"[..], &mut none.clone()).is_err(), "trailing text");
    }
}
