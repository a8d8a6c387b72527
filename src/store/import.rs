//! Bulk import: all rows in one transaction, streamed so that a million rows
//! need little memory, with every unknown name collected before failing.

use std::collections::{BTreeSet, HashMap};

use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};

use super::entities::insert_metric;
use super::points::day_review;
use super::{iso, Store};
use crate::error::UserError;
use crate::model::{Direction, Metric, ReviewKind};

/// One validated CSV row.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The line in the file (header is line 1), for error messages.
    pub line: u64,
    pub date: NaiveDate,
    pub project: String,
    pub metric: String,
    pub engineer: String,
    pub value: f64,
    pub note: String,
    pub blockers: Vec<(String, String)>,
    pub kind: Option<ReviewKind>,
    pub reviewer: Option<String>,
    pub target: Option<f64>,
    pub direction: Option<Direction>,
    pub tolerance: Option<f64>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportSummary {
    pub points: u64,
    pub blockers: u64,
    pub created_projects: Vec<String>,
    pub created_metrics: Vec<String>,
    pub created_engineers: Vec<String>,
}

impl Store {
    /// Imports `rows` all or nothing. Without `create_missing`, unknown
    /// projects, metrics or engineers fail the import, naming every one.
    pub fn import<I>(&mut self, rows: I, create_missing: bool, progress: &mut dyn FnMut(u64)) -> Result<ImportSummary>
    where
        I: IntoIterator<Item = Result<ImportRow, UserError>>,
    {
        let stamp = self.clock.stamp();
        let tx = self.write()?;
        let mut summary = ImportSummary::default();
        let mut projects: HashMap<String, i64> = HashMap::new();
        let mut metrics: HashMap<(String, String), (i64, i64)> = HashMap::new();
        let mut engineers: HashMap<String, i64> = HashMap::new();
        let mut reviews: HashMap<(NaiveDate, ReviewKind, Option<i64>), i64> = HashMap::new();
        let mut unknown: BTreeSet<String> = BTreeSet::new();
        {
            let mut find_project = tx.prepare("SELECT id FROM project WHERE slug = ?1")?;
            let mut find_metric = tx.prepare("SELECT id FROM metric WHERE project_id = ?1 AND slug = ?2")?;
            let mut find_engineer = tx.prepare("SELECT id FROM engineer WHERE handle = ?1")?;
            let mut insert_point = tx.prepare(
                "INSERT INTO point (date, metric_id, engineer_id, value, note, review_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut insert_blocker = tx.prepare(
                "INSERT INTO blocker (category, text, project_id, metric_id, engineer_id, point_id, opened)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;

            let mut engineer = |tx: &rusqlite::Transaction<'_>,
                                handle: &str,
                                unknown: &mut BTreeSet<String>,
                                summary: &mut ImportSummary|
             -> Result<Option<i64>> {
                if let Some(&id) = engineers.get(handle) {
                    return Ok(Some(id));
                }
                let id = match find_engineer.query_row([handle], |r| r.get::<_, i64>(0)).optional()? {
                    Some(id) => id,
                    None if create_missing => {
                        tx.execute(
                            "INSERT INTO engineer (handle, name, reports_to, created_at) VALUES (?1, ?1, NULL, ?2)",
                            params![handle, stamp],
                        )?;
                        summary.created_engineers.push(handle.to_string());
                        tx.last_insert_rowid()
                    }
                    None => {
                        unknown.insert(format!("engineer '{handle}'"));
                        return Ok(None);
                    }
                };
                engineers.insert(handle.to_string(), id);
                Ok(Some(id))
            };

            for row in rows {
                let row = row?;
                let project_id = match projects.get(&row.project) {
                    Some(&id) => Some(id),
                    None => match find_project.query_row([&row.project], |r| r.get::<_, i64>(0)).optional()? {
                        Some(id) => {
                            projects.insert(row.project.clone(), id);
                            Some(id)
                        }
                        None if create_missing => {
                            tx.execute(
                                "INSERT INTO project (slug, name, priority, owner, created_at) VALUES (?1, ?1, 3, NULL, ?2)",
                                params![row.project, stamp],
                            )?;
                            let id = tx.last_insert_rowid();
                            summary.created_projects.push(row.project.clone());
                            projects.insert(row.project.clone(), id);
                            Some(id)
                        }
                        None => {
                            unknown.insert(format!("project '{}'", row.project));
                            None
                        }
                    },
                };
                let metric_key = (row.project.clone(), row.metric.clone());
                let metric_id = match (project_id, metrics.get(&metric_key)) {
                    (_, Some(&(id, _))) => Some(id),
                    (None, None) => {
                        unknown.insert(format!("metric '{}/{}'", row.project, row.metric));
                        None
                    }
                    (Some(pid), None) => {
                        match find_metric.query_row(params![pid, row.metric], |r| r.get::<_, i64>(0)).optional()? {
                            Some(id) => {
                                metrics.insert(metric_key, (id, pid));
                                Some(id)
                            }
                            None if create_missing => {
                                let (Some(target), Some(direction)) = (row.target, row.direction) else {
                                    return Err(UserError::new(format!(
                                        "line {}: metric '{}/{}' does not exist and the row has no target and direction to create it",
                                        row.line, row.project, row.metric
                                    ))
                                    .hint("add target and direction columns, or create it with: limfac metric add")
                                    .into());
                                };
                                let m = Metric {
                                    project: row.project.clone(),
                                    metric: row.metric.clone(),
                                    name: None,
                                    unit: row.unit.clone(),
                                    target,
                                    direction,
                                    tolerance: row.tolerance.unwrap_or(0.0),
                                };
                                let id = insert_metric(&tx, pid, &m, &stamp)?;
                                summary.created_metrics.push(m.key());
                                metrics.insert(metric_key, (id, pid));
                                Some(id)
                            }
                            None => {
                                unknown.insert(format!("metric '{}/{}'", row.project, row.metric));
                                None
                            }
                        }
                    }
                };
                let engineer_id = engineer(&tx, &row.engineer, &mut unknown, &mut summary)?;
                let reviewer_id = match &row.reviewer {
                    Some(h) => engineer(&tx, h, &mut unknown, &mut summary)?,
                    None => None,
                };
                let (Some(metric_id), Some(engineer_id)) = (metric_id, engineer_id) else {
                    continue;
                };
                if !unknown.is_empty() {
                    // Keep reading to name every unknown; nothing will be kept.
                    continue;
                }
                let date = iso(row.date);
                let review_id = match row.kind {
                    Some(kind) => {
                        let key = (row.date, kind, reviewer_id);
                        match reviews.get(&key) {
                            Some(&id) => Some(id),
                            None => {
                                let id = day_review(&tx, &date, kind, reviewer_id, &stamp)?;
                                reviews.insert(key, id);
                                Some(id)
                            }
                        }
                    }
                    None => None,
                };
                insert_point.execute(params![date, metric_id, engineer_id, row.value, row.note, review_id, stamp])?;
                summary.points += 1;
                if !row.blockers.is_empty() {
                    let point_id = tx.last_insert_rowid();
                    let project_id = metrics[&(row.project.clone(), row.metric.clone())].1;
                    for (cat, text) in &row.blockers {
                        insert_blocker.execute(params![
                            cat,
                            text,
                            project_id,
                            metric_id,
                            engineer_id,
                            point_id,
                            date
                        ])?;
                        summary.blockers += 1;
                    }
                }
                if summary.points % 10_000 == 0 {
                    progress(summary.points);
                }
            }
        }
        if !unknown.is_empty() {
            let list: Vec<String> = unknown.into_iter().collect();
            return Err(UserError::new(format!("the file names unknown {}", list.join(", ")))
                .hint("create them first, or import with --create-missing")
                .into());
        }
        tx.commit()?;
        progress(summary.points);
        Ok(summary)
    }
}
