//! One sync: capture local edits, push (one PostgreSQL transaction), pull
//! what is past the cursor (one snapshot), apply it here (one SQLite
//! transaction). Every step can be killed and rerun: facts are pushed with
//! `ON CONFLICT DO NOTHING` on their id, entities by natural key, edits by
//! their id; nothing here is marked pushed before the server has committed.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use rusqlite::{params, OptionalExtension};
use serde_json::Value;
use uuid::Uuid;

use super::server::{db_error, PUSH_LOCK};
use crate::store::new_uid;

/// What one sync moved.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SyncReport {
    pub pushed: Counts,
    pub pulled: Counts,
    /// Entities created here that the server already had (by natural key).
    pub merged: Vec<String>,
    /// This reviewer's edits that lost, named once.
    pub conflicts: Vec<Conflict>,
    pub cursor: i64,
    pub seconds: f64,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    pub projects: u64,
    pub engineers: u64,
    pub metrics: u64,
    pub edits: u64,
    pub reviews: u64,
    pub readings: u64,
    pub blockers: u64,
    pub resolutions: u64,
    pub deadlines: u64,
    pub corrections: u64,
    pub archive_events: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.projects
            + self.engineers
            + self.metrics
            + self.edits
            + self.reviews
            + self.readings
            + self.blockers
            + self.resolutions
            + self.deadlines
            + self.corrections
            + self.archive_events
    }

    /// "3 readings, 1 blocker" (nothing: "nothing").
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.projects, "project"),
            (self.engineers, "engineer"),
            (self.metrics, "metric"),
            (self.edits, "edit"),
            (self.reviews, "review"),
            (self.readings, "reading"),
            (self.blockers, "blocker"),
            (self.resolutions, "blocker resolution"),
            (self.deadlines, "deadline change"),
            (self.corrections, "correction"),
            (self.archive_events, "archive event"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}{}", if *n == 1 { "" } else { "s" }))
        .collect();
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join(", ")
        }
    }
}

/// An edit of this reviewer's that did not win.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Conflict {
    pub entity: String,
    pub key: String,
    pub field: String,
    /// The value this reviewer set (JSON).
    pub yours: String,
    /// The value kept (JSON) and who set it.
    pub kept: String,
    pub kept_by: String,
    /// `conflict` (another edit came first), `cycle`, `unknown ...`.
    pub reason: String,
}

impl Conflict {
    pub fn describe(&self) -> String {
        if self.reason == "conflict" {
            format!(
                "conflict: {} {} {}: your {} lost to {} (set by {}, first to reach the server); yours is kept in the history",
                self.entity, self.key, self.field, self.yours, self.kept, self.kept_by
            )
        } else {
            format!(
                "refused: {} {} {}: your {} was refused by the server ({}); {} is kept",
                self.entity, self.key, self.field, self.yours, self.reason, self.kept
            )
        }
    }
}

// ---------------------------------------------------------------------------
// Entities and their fields.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Project,
    Engineer,
    Metric,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Engineer => "engineer",
            Kind::Metric => "metric",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "project" => Kind::Project,
            "engineer" => Kind::Engineer,
            "metric" => Kind::Metric,
            _ => return None,
        })
    }

    pub(crate) fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Project => &["name", "priority", "owner", "depends_on"],
            Kind::Engineer => &["name", "reports_to"],
            Kind::Metric => &["name", "unit", "target", "direction", "tolerance", "lower_bound", "upper_bound"],
        }
    }
}

/// A project, engineer or metric as it is here.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub kind: Kind,
    pub id: i64,
    pub uid: String,
    pub seq: Option<i64>,
    /// The natural key: slug, handle, PROJECT/METRIC.
    pub key: String,
    pub created_at: String,
    /// The metric's project (local id).
    pub project_id: Option<i64>,
    pub values: HashMap<&'static str, Value>,
}

impl Entity {
    fn json(&self, field: &str) -> String {
        self.values.get(field).map(|v| v.to_string()).unwrap_or_else(|| "null".into())
    }
}

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null)
}

fn text(v: Option<String>) -> Value {
    v.map(Value::String).unwrap_or(Value::Null)
}

pub(crate) fn load_entities(conn: &rusqlite::Connection) -> Result<Vec<Entity>> {
    let mut out = Vec::new();
    let mut deps: HashMap<i64, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT d.project_id, p.slug FROM project_dependency d JOIN project p ON p.id = d.depends_on_id ORDER BY p.slug",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, slug) = row?;
        deps.entry(id).or_default().push(slug);
    }
    let mut stmt =
        conn.prepare("SELECT id, uid, seq, slug, name, priority, owner, created_at FROM project ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    for row in rows {
        let (id, uid, seq, slug, name, priority, owner, created_at) = row?;
        let d = deps.remove(&id).unwrap_or_default();
        let values = HashMap::from([
            ("name", Value::String(name)),
            ("priority", Value::from(priority)),
            ("owner", text(owner)),
            ("depends_on", Value::from(d)),
        ]);
        out.push(Entity {
            kind: Kind::Project,
            id,
            uid: uid.unwrap_or_default(),
            seq,
            key: slug,
            created_at,
            project_id: None,
            values,
        });
    }
    let mut stmt = conn.prepare(
        "SELECT e.id, e.uid, e.seq, e.handle, e.name, b.handle, e.created_at
         FROM engineer e LEFT JOIN engineer b ON b.id = e.reports_to ORDER BY e.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    for row in rows {
        let (id, uid, seq, handle, name, boss, created_at) = row?;
        let values = HashMap::from([("name", Value::String(name)), ("reports_to", text(boss))]);
        out.push(Entity {
            kind: Kind::Engineer,
            id,
            uid: uid.unwrap_or_default(),
            seq,
            key: handle,
            created_at,
            project_id: None,
            values,
        });
    }
    let mut stmt = conn.prepare(
        "SELECT m.id, m.uid, m.seq, p.slug, m.slug, m.name, m.unit, m.target, m.direction, m.tolerance, m.created_at, m.project_id,
                m.lower_bound, m.upper_bound
         FROM metric m JOIN project p ON p.id = m.project_id ORDER BY m.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<i64>>(2)?,
            format!("{}/{}", r.get::<_, String>(3)?, r.get::<_, String>(4)?),
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, f64>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, f64>(9)?,
            r.get::<_, String>(10)?,
            r.get::<_, i64>(11)?,
            (r.get::<_, Option<f64>>(12)?, r.get::<_, Option<f64>>(13)?),
        ))
    })?;
    for row in rows {
        let (id, uid, seq, key, name, unit, target, direction, tolerance, created_at, project_id, (lower, upper)) =
            row?;
        let values = HashMap::from([
            ("name", text(name)),
            ("unit", text(unit)),
            ("target", num(target)),
            ("direction", Value::String(direction)),
            ("tolerance", num(tolerance)),
            ("lower_bound", lower.map(num).unwrap_or(Value::Null)),
            ("upper_bound", upper.map(num).unwrap_or(Value::Null)),
        ]);
        out.push(Entity {
            kind: Kind::Metric,
            id,
            uid: uid.unwrap_or_default(),
            seq,
            key,
            created_at,
            project_id: Some(project_id),
            values,
        });
    }
    Ok(out)
}

/// Sets one field of a local entity from its JSON value. References
/// (depends_on, reports_to) name entities that must exist here.
fn set_local_field(tx: &rusqlite::Connection, kind: Kind, id: i64, field: &str, value: &Value) -> Result<()> {
    let as_text = || value.as_str().map(str::to_string);
    match (kind, field) {
        (Kind::Project, "name") => tx.execute("UPDATE project SET name = ?1 WHERE id = ?2", params![as_text(), id])?,
        (Kind::Project, "priority") => {
            tx.execute("UPDATE project SET priority = ?1 WHERE id = ?2", params![value.as_i64(), id])?
        }
        (Kind::Project, "owner") => tx.execute("UPDATE project SET owner = ?1 WHERE id = ?2", params![as_text(), id])?,
        (Kind::Project, "depends_on") => {
            tx.execute("DELETE FROM project_dependency WHERE project_id = ?1", [id])?;
            for slug in value.as_array().into_iter().flatten().filter_map(Value::as_str) {
                tx.execute(
                    "INSERT OR IGNORE INTO project_dependency (project_id, depends_on_id)
                     SELECT ?1, id FROM project WHERE slug = ?2 AND id <> ?1",
                    params![id, slug],
                )?;
            }
            0
        }
        (Kind::Engineer, "name") => tx.execute("UPDATE engineer SET name = ?1 WHERE id = ?2", params![as_text(), id])?,
        (Kind::Engineer, "reports_to") => tx.execute(
            "UPDATE engineer SET reports_to = (SELECT b.id FROM engineer b WHERE b.handle = ?1 AND b.id <> ?2) WHERE id = ?2",
            params![as_text(), id],
        )?,
        (Kind::Metric, "name") => tx.execute("UPDATE metric SET name = ?1 WHERE id = ?2", params![as_text(), id])?,
        (Kind::Metric, "unit") => tx.execute("UPDATE metric SET unit = ?1 WHERE id = ?2", params![as_text(), id])?,
        (Kind::Metric, "target") => {
            tx.execute("UPDATE metric SET target = ?1 WHERE id = ?2", params![value.as_f64(), id])?
        }
        (Kind::Metric, "direction") => {
            tx.execute("UPDATE metric SET direction = ?1 WHERE id = ?2", params![as_text(), id])?
        }
        (Kind::Metric, "tolerance") => {
            tx.execute("UPDATE metric SET tolerance = ?1 WHERE id = ?2", params![value.as_f64(), id])?
        }
        (Kind::Metric, "lower_bound") => {
            tx.execute("UPDATE metric SET lower_bound = ?1 WHERE id = ?2", params![value.as_f64(), id])?
        }
        (Kind::Metric, "upper_bound") => {
            tx.execute("UPDATE metric SET upper_bound = ?1 WHERE id = ?2", params![value.as_f64(), id])?
        }
        _ => anyhow::bail!("unknown field {} {field}", kind.name()),
    };
    Ok(())
}

fn set_shadow(tx: &rusqlite::Connection, entity_uid: &str, field: &str, value: &str, holder: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_field (entity_uid, field, value, holder) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (entity_uid, field) DO UPDATE SET value = excluded.value, holder = excluded.holder",
        params![entity_uid, field, value, holder],
    )?;
    Ok(())
}

/// A stable id for an edit that records a value this client created an
/// entity with, when the server already had the entity: the same on every
/// retry, so that the history holds it once. A UUIDv7 whose time is the
/// local entity's uid's, whose random bits come from a hash.
fn merge_edit_uid(local_uid: &str, field: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in local_uid.bytes().chain([b'/']).chain(field.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let ts = Uuid::parse_str(local_uid).ok().map(|u| u.as_u128() >> 80).unwrap_or(0) as u64;
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ts.to_be_bytes()[2..]);
    let h2 = h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    bytes[6..14].copy_from_slice(&h.to_be_bytes());
    bytes[14..].copy_from_slice(&h2.to_be_bytes()[..2]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    Uuid::from_bytes(bytes).hyphenated().to_string()
}

// ---------------------------------------------------------------------------
// Local bookkeeping.

pub(crate) fn state(conn: &rusqlite::Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub(crate) fn set_state(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn state_i64(conn: &rusqlite::Connection, key: &str) -> Result<i64> {
    Ok(state(conn, key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// The fact tables pushed by local id, with their server names.
pub(crate) const FACT_TABLES: [(&str, &str); 6] = [
    ("review", "reviews"),
    ("point", "readings"),
    ("blocker", "blockers"),
    ("deadline", "deadlines"),
    ("correction", "corrections"),
    ("archive_event", "archive events"),
];

/// Gives a uid to any synced row that has none (rows written by a path
/// that did not make one), so that everything can be pushed.
fn assign_missing_uids(tx: &rusqlite::Connection) -> Result<()> {
    crate::store::fill_missing_uids(tx)?;
    Ok(())
}

/// Turns every local change of an entity already on the server (its value
/// differs from the last synced one, or from the newest edit not yet
/// pushed) into an edit to push, based on the version it replaced; and every
/// local blocker resolution not yet recorded into a resolution fact.
pub(crate) fn capture(tx: &rusqlite::Connection, stamp: &str) -> Result<u64> {
    let mut made = 0;
    for (e, field, local, base) in changed_fields(tx)? {
        tx.execute(
            "INSERT INTO sync_edit (uid, entity, entity_uid, key, field, value, base, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![new_uid(), e.kind.name(), e.uid, e.key, field, local, base, stamp],
        )?;
        made += 1;
    }
    let fresh: Vec<(String, String)> = tx
        .prepare(
            "SELECT b.uid, b.resolved FROM blocker b
              WHERE b.resolved IS NOT NULL AND b.uid IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM sync_resolution r WHERE r.blocker_uid = b.uid AND r.resolved <= b.resolved)",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (blocker, resolved) in fresh {
        tx.execute(
            "INSERT INTO sync_resolution (uid, blocker_uid, resolved, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![new_uid(), blocker, resolved, stamp],
        )?;
        made += 1;
    }
    Ok(made)
}

/// Fields of entities on the server whose value here differs from the one
/// expected (the newest edit not yet pushed, else the last synced value):
/// (entity, field, value here, the edit it replaces).
fn changed_fields(conn: &rusqlite::Connection) -> Result<Vec<(Entity, &'static str, String, String)>> {
    let mut expected: HashMap<(String, String), (String, String)> = HashMap::new();
    let mut stmt = conn.prepare("SELECT entity_uid, field, holder, value FROM sync_field")?;
    for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))? {
        let (entity, field, holder, value) = row?;
        expected.insert((entity, field), (holder, value));
    }
    // Pending edits override, the newest last.
    let mut stmt =
        conn.prepare("SELECT entity_uid, field, uid, value FROM sync_edit WHERE seq IS NULL ORDER BY created_at, uid")?;
    for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))? {
        let (entity, field, uid, value) = row?;
        expected.insert((entity, field), (uid, value));
    }
    let mut out = Vec::new();
    for e in load_entities(conn)?.into_iter().filter(|e| e.seq.is_some()) {
        for &field in e.kind.fields() {
            let local = e.json(field);
            if let Some((base, value)) = expected.get(&(e.uid.clone(), field.to_string())) {
                if *value != local {
                    out.push((e.clone(), field, local, base.clone()));
                }
            }
        }
    }
    Ok(out)
}

/// Everything not yet on the server, for `sync --status`.
pub(crate) fn pending(conn: &rusqlite::Connection) -> Result<Counts> {
    let mut c = Counts::default();
    let count = |sql: &str| -> Result<u64> { Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
    c.projects = count("SELECT count(*) FROM project WHERE seq IS NULL")?;
    c.engineers = count("SELECT count(*) FROM engineer WHERE seq IS NULL")?;
    c.metrics = count("SELECT count(*) FROM metric WHERE seq IS NULL")?;
    c.edits = count("SELECT count(*) FROM sync_edit WHERE seq IS NULL")?;
    // Changes not yet captured as edits.
    c.edits += changed_fields(conn)?.len() as u64;
    let mut facts = [0u64; 6];
    for (i, (table, _)) in FACT_TABLES.iter().enumerate() {
        let mark = state_i64(conn, &format!("pushed:{table}"))?;
        facts[i] =
            conn.query_row(&format!("SELECT count(*) FROM {table} WHERE id > ?1 AND seq IS NULL"), [mark], |r| {
                r.get::<_, i64>(0)
            })? as u64;
    }
    c.reviews = facts[0];
    c.readings = facts[1];
    c.blockers = facts[2];
    c.deadlines = facts[3];
    c.corrections = facts[4];
    c.archive_events = facts[5];
    c.resolutions = count("SELECT count(*) FROM sync_resolution WHERE seq IS NULL")?
        + count(
            "SELECT count(*) FROM blocker b WHERE b.resolved IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM sync_resolution r WHERE r.blocker_uid = b.uid AND r.resolved <= b.resolved)",
        )?;
    Ok(c)
}

// ---------------------------------------------------------------------------
// The sync.

fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).with_context(|| format!("stored uid '{s}' is not a UUID; run limfac doctor"))
}

fn stamp_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|_| Utc::now())
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("stored date '{s}' is not a date"))
}

fn pg(e: postgres::Error, doing: &str) -> anyhow::Error {
    anyhow::Error::new(
        crate::core::error::UserError::new(format!("sync failed while {doing}: {}", db_error(&e)))
            .hint("nothing is lost: what was not pushed stays here and the next sync sends it (limfac sync --status)"),
    )
}

/// What the push learned, applied here only after the server committed.
#[derive(Default)]
struct Pushed {
    /// Entities now on the server: (kind, local id, server uid, server seq,
    /// the server's values and holders, merged: created elsewhere first).
    entities: Vec<PushedEntity>,
    /// Own edits: (uid, seq, accepted, lost_to, reason, author)
    edits: Vec<EditOutcome>,
    marks: Vec<(String, i64)>,
    resolutions: Vec<String>,
    /// Edits recording a merged creation's values (not in sync_edit yet):
    /// (uid, kind, entity uid, key, field, value, base, created_at).
    merge_edits: Vec<MergeEdit>,
    /// The server seqs this push drew: (before the first, after the last).
    range: (i64, i64),
    counts: Counts,
    merged: Vec<String>,
    conflicts: Vec<Conflict>,
}

struct PushedEntity {
    kind: Kind,
    id: i64,
    uid: String,
    seq: i64,
    values: HashMap<&'static str, Value>,
    holders: HashMap<String, String>,
    merged: bool,
}

struct EditOutcome {
    uid: String,
    seq: i64,
    accepted: bool,
    lost_to: Option<String>,
    reason: Option<String>,
    author: String,
}

/// An entity as the server has it.
#[derive(Debug, Clone)]
struct ServerEntity {
    kind: Kind,
    uid: String,
    seq: i64,
    key: String,
    /// The metric's project (server uid).
    project_uid: Option<String>,
    created_at: String,
    values: HashMap<&'static str, Value>,
    holders: HashMap<String, String>,
}

const ENTITY_SELECT_PROJECT: &str =
    "SELECT id, seq, slug, name, priority::int8, owner, depends_on, created_at FROM limfac.project";
const ENTITY_SELECT_ENGINEER: &str = "SELECT id, seq, handle, name, reports_to, created_at FROM limfac.engineer";
const ENTITY_SELECT_METRIC: &str = "SELECT m.id, m.seq, p.slug || '/' || m.slug, m.name, m.unit, m.target, m.direction, m.tolerance, m.created_at, m.project_id,
            m.lower_bound, m.upper_bound
     FROM limfac.metric m JOIN limfac.project p ON p.id = m.project_id";

fn server_entity(kind: Kind, r: &postgres::Row) -> ServerEntity {
    let uid: Uuid = r.get(0);
    let created = |i: usize| r.get::<_, DateTime<Utc>>(i).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (values, created_at, project_uid) = match kind {
        Kind::Project => (
            HashMap::from([
                ("name", Value::String(r.get(3))),
                ("priority", Value::from(r.get::<_, i64>(4))),
                ("owner", text(r.get(5))),
                ("depends_on", {
                    let mut d: Vec<String> = r.get(6);
                    d.sort();
                    Value::from(d)
                }),
            ]),
            created(7),
            None,
        ),
        Kind::Engineer => {
            (HashMap::from([("name", Value::String(r.get(3))), ("reports_to", text(r.get(4)))]), created(5), None)
        }
        Kind::Metric => (
            HashMap::from([
                ("name", text(r.get(3))),
                ("unit", text(r.get(4))),
                ("target", num(r.get(5))),
                ("direction", Value::String(r.get(6))),
                ("tolerance", num(r.get(7))),
                ("lower_bound", r.get::<_, Option<f64>>(10).map(num).unwrap_or(Value::Null)),
                ("upper_bound", r.get::<_, Option<f64>>(11).map(num).unwrap_or(Value::Null)),
            ]),
            created(8),
            Some(r.get::<_, Uuid>(9).hyphenated().to_string()),
        ),
    };
    ServerEntity {
        kind,
        uid: uid.hyphenated().to_string(),
        seq: r.get(1),
        key: r.get(2),
        project_uid,
        created_at,
        values,
        holders: HashMap::new(),
    }
}

/// The latest accepted edit of each field of these entities.
fn fill_holders(client: &mut impl postgres::GenericClient, entities: &mut [ServerEntity]) -> Result<()> {
    if entities.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = entities.iter().filter_map(|e| Uuid::parse_str(&e.uid).ok()).collect();
    let rows = client
        .query(
            "SELECT DISTINCT ON (entity_id, field) entity_id, field, id FROM limfac.edit
              WHERE accepted AND entity_id = ANY($1) ORDER BY entity_id, field, seq DESC",
            &[&ids],
        )
        .map_err(|e| pg(e, "reading the history"))?;
    let mut by: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in rows {
        let e: Uuid = r.get(0);
        let id: Uuid = r.get(2);
        by.entry(e.hyphenated().to_string()).or_default().push((r.get(1), id.hyphenated().to_string()));
    }
    for e in entities {
        for (field, holder) in by.remove(&e.uid).unwrap_or_default() {
            e.holders.insert(field, holder);
        }
    }
    Ok(())
}

/// Runs one sync over `conn` (the local database) and `client` (the server).
pub fn sync(conn: &mut rusqlite::Connection, client: &mut postgres::Client, stamp: &str) -> Result<SyncReport> {
    let started = Instant::now();
    // 1. Capture local changes as edits and resolutions to push.
    {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        assign_missing_uids(&tx)?;
        capture(&tx, stamp)?;
        tx.commit()?;
    }
    // 2. Push, reading this database in one snapshot.
    let pushed = {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
        // Nothing to push (or a read-only role): straight to the pull.
        let pushed = if pending(&tx)?.total() > 0 { push(&tx, client)? } else { Pushed::default() };
        tx.commit()?;
        pushed
    };
    // 3. Pull past the cursor, in one snapshot of the server.
    let cursor = state_i64(conn, "cursor")?;
    let mut report = {
        let mut ptx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(|e| pg(e, "starting the pull"))?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut report = SyncReport::default();
        apply_pushed(&tx, &pushed)?;
        // Local edits made while the push ran become edits to push next time.
        capture(&tx, stamp)?;
        let mine = if pushed.range.0 >= cursor { pushed.range } else { (0, 0) };
        report.cursor = pull(&tx, &mut ptx, cursor, mine, &mut report.pulled)?;
        let cursor = report.cursor.max(state_i64(&tx, "cursor")?);
        set_state(&tx, "cursor", &cursor.to_string())?;
        set_state(&tx, "last_sync", &Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))?;
        tx.commit()?;
        ptx.commit().map_err(|e| pg(e, "ending the pull"))?;
        report
    };
    report.pushed = pushed.counts;
    report.merged = pushed.merged;
    report.conflicts = pushed.conflicts;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn push(tx: &rusqlite::Transaction<'_>, client: &mut postgres::Client) -> Result<Pushed> {
    let mut out = Pushed::default();
    // Room for a large push's staging tables in memory (set before the
    // session's first temporary table; the server's default is 8 MB).
    let _ = client.batch_execute("SET temp_buffers = '256MB'");
    let mut pgt = client.transaction().map_err(|e| pg(e, "starting the push"))?;
    pgt.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK]).map_err(|e| pg(e, "waiting for the server"))?;
    // Every seq this push takes lies between two numbers drawn now and at the end.
    let draw = |pgt: &mut postgres::Transaction<'_>| -> Result<i64> {
        Ok(pgt.query_one("SELECT nextval('limfac.change_seq')", &[]).map_err(|e| pg(e, "starting the push"))?.get(0))
    };
    let low = draw(&mut pgt)?;

    // Entities: created by natural key; the server's id wins.
    let entities = load_entities(tx)?;
    let mut canonical: HashMap<(Kind, i64), Uuid> = HashMap::new();
    for e in &entities {
        if e.seq.is_some() {
            canonical.insert((e.kind, e.id), uuid(&e.uid)?);
        }
    }
    for kind in [Kind::Project, Kind::Engineer, Kind::Metric] {
        for e in entities.iter().filter(|e| e.kind == kind && e.seq.is_none()) {
            let id = uuid(&e.uid)?;
            let created = stamp_time(&e.created_at);
            let v = &e.values;
            let s = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_string);
            let inserted = match kind {
                Kind::Project => {
                    let deps: Vec<String> = v["depends_on"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                        .unwrap_or_default();
                    let priority = v["priority"].as_i64().unwrap_or(3) as i16;
                    pgt.query_opt(
                        "INSERT INTO limfac.project (id, slug, name, priority, owner, depends_on, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING seq",
                        &[&id, &e.key, &s("name"), &priority, &s("owner"), &deps, &created],
                    )
                }
                Kind::Engineer => pgt.query_opt(
                    "INSERT INTO limfac.engineer (id, handle, name, reports_to, created_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING seq",
                    &[&id, &e.key, &s("name"), &s("reports_to"), &created],
                ),
                Kind::Metric => {
                    let project = e.project_id.and_then(|p| canonical.get(&(Kind::Project, p)).copied());
                    let slug = e.key.split_once('/').map(|(_, m)| m.to_string()).unwrap_or_default();
                    pgt.query_opt(
                        "INSERT INTO limfac.metric (id, project_id, slug, name, unit, target, direction, tolerance, created_at,
                                                    lower_bound, upper_bound)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING seq",
                        &[
                            &id,
                            &project,
                            &slug,
                            &s("name"),
                            &s("unit"),
                            &v["target"].as_f64(),
                            &s("direction"),
                            &v["tolerance"].as_f64().unwrap_or(0.0),
                            &created,
                            &v["lower_bound"].as_f64(),
                            &v["upper_bound"].as_f64(),
                        ],
                    )
                }
            }
            .map_err(|err| pg(err, &format!("pushing {} {}", kind.name(), e.key)))?;
            if let Some(row) = inserted {
                canonical.insert((kind, e.id), id);
                out.entities.push(PushedEntity {
                    kind,
                    id: e.id,
                    uid: e.uid.clone(),
                    seq: row.get(0),
                    values: e.values.clone(),
                    holders: HashMap::new(),
                    merged: false,
                });
                bump(&mut out.counts, kind);
                continue;
            }
            // The server has it: ours (a retried push) or another reviewer's.
            let row = match kind {
                Kind::Project => pgt.query_one(&format!("{ENTITY_SELECT_PROJECT} WHERE slug = $1"), &[&e.key]),
                Kind::Engineer => pgt.query_one(&format!("{ENTITY_SELECT_ENGINEER} WHERE handle = $1"), &[&e.key]),
                Kind::Metric => {
                    let project = e.project_id.and_then(|p| canonical.get(&(Kind::Project, p)).copied());
                    let slug = e.key.split_once('/').map(|(_, m)| m.to_string()).unwrap_or_default();
                    pgt.query_one(
                        &format!("{ENTITY_SELECT_METRIC} WHERE m.project_id = $1 AND m.slug = $2"),
                        &[&project, &slug],
                    )
                }
            }
            .map_err(|err| pg(err, &format!("reading {} {}", kind.name(), e.key)))?;
            let mut server = vec![server_entity(kind, &row)];
            fill_holders(&mut pgt, &mut server)?;
            let server = server.pop().expect("one");
            let sid = uuid(&server.uid)?;
            canonical.insert((kind, e.id), sid);
            if server.uid == e.uid {
                out.entities.push(PushedEntity {
                    kind,
                    id: e.id,
                    uid: e.uid.clone(),
                    seq: server.seq,
                    values: server.values,
                    holders: server.holders,
                    merged: false,
                });
                continue;
            }
            // Created here and there: one entity. Values of ours that differ
            // lose to the server's (it was there first) and stay in the history.
            out.merged.push(format!("{} {}", kind.name(), e.key));
            for &field in kind.fields() {
                let mine = e.values.get(field).cloned().unwrap_or(Value::Null);
                let theirs = server.values.get(field).cloned().unwrap_or(Value::Null);
                if mine == theirs {
                    continue;
                }
                let edit_uid = merge_edit_uid(&e.uid, field);
                let outcome = push_edit(&mut pgt, &edit_uid, kind, &sid, field, &mine, &e.uid, &created)?;
                out.merge_edits.push((
                    edit_uid.clone(),
                    kind,
                    server.uid.clone(),
                    e.key.clone(),
                    field.to_string(),
                    mine.to_string(),
                    e.uid.clone(),
                    e.created_at.clone(),
                ));
                out.counts.edits += 1;
                if !outcome.accepted {
                    out.conflicts.push(conflict(&mut pgt, kind, &e.key, field, &mine, &sid, &outcome)?);
                }
                out.edits.push(outcome);
            }
            out.entities.push(PushedEntity {
                kind,
                id: e.id,
                uid: server.uid.clone(),
                seq: server.seq,
                values: server.values,
                holders: server.holders,
                merged: true,
            });
        }
    }

    // Edits of entities already on the server.
    let mut stmt = tx.prepare(
        "SELECT uid, entity, entity_uid, key, field, value, base, created_at FROM sync_edit
          WHERE seq IS NULL ORDER BY created_at, uid",
    )?;
    let edits: Vec<EditRow> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })?
        .collect::<Result<_, _>>()?;
    for (uid, entity, entity_uid, key, field, value, base, created_at) in edits {
        let Some(kind) = Kind::parse(&entity) else { continue };
        let value: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
        let eid = uuid(&entity_uid)?;
        let outcome = push_edit(&mut pgt, &uid, kind, &eid, &field, &value, &base, &stamp_time(&created_at))?;
        out.counts.edits += 1;
        if !outcome.accepted {
            out.conflicts.push(conflict(&mut pgt, kind, &key, &field, &value, &eid, &outcome)?);
        }
        out.edits.push(outcome);
    }

    // Facts, by local id past the mark, through binary COPY into a staging
    // table, then inserted with ON CONFLICT DO NOTHING on the id.
    let uid_map = |table: &str| -> Result<HashMap<i64, Uuid>> {
        let mut stmt = tx.prepare(&format!("SELECT id, uid FROM {table} WHERE uid IS NOT NULL"))?;
        let mut map = HashMap::new();
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, u) = row?;
            map.insert(id, uuid(&u)?);
        }
        Ok(map)
    };
    let mut projects = HashMap::new();
    let mut metrics = HashMap::new();
    let mut engineers = HashMap::new();
    let mut handles: HashMap<i64, String> = HashMap::new();
    for e in &entities {
        let id = canonical.get(&(e.kind, e.id)).copied().unwrap_or(uuid(&e.uid)?);
        match e.kind {
            Kind::Project => projects.insert(e.id, id),
            Kind::Metric => metrics.insert(e.id, id),
            Kind::Engineer => {
                handles.insert(e.id, e.key.clone());
                engineers.insert(e.id, id)
            }
        };
    }
    let reviews = uid_map("review")?;
    let mut marks = HashMap::new();
    for (table, _) in FACT_TABLES {
        let mark = state_i64(tx, &format!("pushed:{table}"))?;
        let max: i64 = tx.query_row(&format!("SELECT coalesce(max(id), 0) FROM {table}"), [], |r| r.get(0))?;
        marks.insert(table, (mark, max));
        out.marks.push((format!("pushed:{table}"), max.max(mark)));
    }
    let missing = |what: &str, id: i64| -> anyhow::Error {
        anyhow::anyhow!("a {what} refers to row {id}, which does not exist; run limfac doctor")
    };

    // Reviews.
    let (mark, max) = marks["review"];
    out.counts.reviews = copy_in(
        &mut pgt,
        "review",
        "id uuid, date date, kind text, reviewer text, notes text, created_at timestamptz",
        &[Type::UUID, Type::DATE, Type::TEXT, Type::TEXT, Type::TEXT, Type::TIMESTAMPTZ],
        |w| {
            let mut stmt = tx.prepare(
                "SELECT uid, date, kind, reviewer_id, notes, created_at FROM review
                  WHERE id > ?1 AND id <= ?2 AND seq IS NULL ORDER BY id",
            )?;
            let mut rows = stmt.query(params![mark, max])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let id = uuid(&r.get::<_, String>(0)?)?;
                let d = date(&r.get::<_, String>(1)?)?;
                let kind: String = r.get(2)?;
                let reviewer = r.get::<_, Option<i64>>(3)?.and_then(|e| handles.get(&e).cloned());
                let notes: Option<String> = r.get(4)?;
                let created = stamp_time(&r.get::<_, String>(5)?);
                put(w, &mut n, &[&id, &d, &kind, &reviewer, &notes, &created])?;
            }
            Ok(n)
        },
    )?;

    // Readings.
    let (mark, max) = marks["point"];
    out.counts.readings = copy_in(
        &mut pgt,
        "reading",
        "id uuid, date date, metric_id uuid, engineer_id uuid, value float8, note text, review_id uuid, created_at timestamptz",
        &[Type::UUID, Type::DATE, Type::UUID, Type::UUID, Type::FLOAT8, Type::TEXT, Type::UUID, Type::TIMESTAMPTZ],
        |w| {
            let mut stmt = tx.prepare(
                "SELECT uid, date, metric_id, engineer_id, value, note, review_id, created_at, id FROM point
                  WHERE id > ?1 AND id <= ?2 AND seq IS NULL ORDER BY id",
            )?;
            let mut rows = stmt.query(params![mark, max])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let row_id: i64 = r.get(8)?;
                let id = uuid(r.get_ref(0)?.as_str()?)?;
                let d = date(r.get_ref(1)?.as_str()?)?;
                let m = metrics.get(&r.get::<_, i64>(2)?).ok_or_else(|| missing("reading", row_id))?;
                let e = engineers.get(&r.get::<_, i64>(3)?).ok_or_else(|| missing("reading", row_id))?;
                let value: f64 = r.get(4)?;
                let note = r.get_ref(5)?.as_str()?;
                let review = r.get::<_, Option<i64>>(6)?.and_then(|x| reviews.get(&x).copied());
                let created = stamp_time(r.get_ref(7)?.as_str()?);
                put(w, &mut n, &[&id, &d, m, e, &value, &note, &review, &created])?;
            }
            Ok(n)
        },
    )?;

    // Blockers.
    let (mark, max) = marks["blocker"];
    out.counts.blockers = copy_in(
        &mut pgt,
        "blocker",
        "id uuid, category text, text text, project_id uuid, metric_id uuid, engineer_id uuid, reading_id uuid, opened date",
        &[Type::UUID, Type::TEXT, Type::TEXT, Type::UUID, Type::UUID, Type::UUID, Type::UUID, Type::DATE],
        |w| {
            let mut stmt = tx.prepare(
                "SELECT b.uid, b.category, b.text, b.project_id, b.metric_id, b.engineer_id, pt.uid, b.opened, b.id
                   FROM blocker b LEFT JOIN point pt ON pt.id = b.point_id
                  WHERE b.id > ?1 AND b.id <= ?2 AND b.seq IS NULL ORDER BY b.id",
            )?;
            let mut rows = stmt.query(params![mark, max])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let row_id: i64 = r.get(8)?;
                let id = uuid(&r.get::<_, String>(0)?)?;
                let category: String = r.get(1)?;
                let body: String = r.get(2)?;
                let p = projects.get(&r.get::<_, i64>(3)?).ok_or_else(|| missing("blocker", row_id))?;
                let m = r.get::<_, Option<i64>>(4)?.and_then(|x| metrics.get(&x).copied());
                let e = r.get::<_, Option<i64>>(5)?.and_then(|x| engineers.get(&x).copied());
                let point = r.get::<_, Option<String>>(6)?.map(|u| uuid(&u)).transpose()?;
                let opened = date(&r.get::<_, String>(7)?)?;
                put(w, &mut n, &[&id, &category, &body, p, &m, &e, &point, &opened])?;
            }
            Ok(n)
        },
    )?;

    // Deadline changes.
    let (mark, max) = marks["deadline"];
    out.counts.deadlines = copy_in(
        &mut pgt,
        "deadline",
        "id uuid, project_id uuid, metric_id uuid, due date, probability float8, reason text, set_on date, created_at timestamptz",
        &[Type::UUID, Type::UUID, Type::UUID, Type::DATE, Type::FLOAT8, Type::TEXT, Type::DATE, Type::TIMESTAMPTZ],
        |w| {
            let mut stmt = tx.prepare(
                "SELECT uid, project_id, metric_id, due, probability, reason, set_on, created_at, id FROM deadline
                  WHERE id > ?1 AND id <= ?2 AND seq IS NULL ORDER BY id",
            )?;
            let mut rows = stmt.query(params![mark, max])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let row_id: i64 = r.get(8)?;
                let id = uuid(&r.get::<_, String>(0)?)?;
                let p = projects.get(&r.get::<_, i64>(1)?).ok_or_else(|| missing("deadline", row_id))?;
                let m = r.get::<_, Option<i64>>(2)?.and_then(|x| metrics.get(&x).copied());
                let due = date(&r.get::<_, String>(3)?)?;
                let probability: Option<f64> = r.get(4)?;
                let reason: Option<String> = r.get(5)?;
                let set_on = date(&r.get::<_, String>(6)?)?;
                let created = stamp_time(&r.get::<_, String>(7)?);
                put(w, &mut n, &[&id, p, &m, &due, &probability, &reason, &set_on, &created])?;
            }
            Ok(n)
        },
    )?;

    // Corrections of readings.
    let (mark, max) = marks["correction"];
    out.counts.corrections = copy_in(
        &mut pgt,
        "correction",
        "id uuid, reading_id uuid, action text, value float8, note text, date date, engineer_id uuid, reason text, \
         corrected_by text, created_at timestamptz",
        &[
            Type::UUID,
            Type::UUID,
            Type::TEXT,
            Type::FLOAT8,
            Type::TEXT,
            Type::DATE,
            Type::UUID,
            Type::TEXT,
            Type::TEXT,
            Type::TIMESTAMPTZ,
        ],
        |w| {
            let mut stmt = tx.prepare(
                "SELECT c.uid, pt.uid, c.action, c.value, c.note, c.date, c.engineer_id, c.reason, c.author, c.created_at, c.id
                   FROM correction c JOIN point pt ON pt.id = c.point_id
                  WHERE c.id > ?1 AND c.id <= ?2 AND c.seq IS NULL ORDER BY c.id",
            )?;
            let mut rows = stmt.query(params![mark, max])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let id = uuid(&r.get::<_, String>(0)?)?;
                let reading = uuid(&r.get::<_, String>(1)?)?;
                let action: String = r.get(2)?;
                let value: Option<f64> = r.get(3)?;
                let note: Option<String> = r.get(4)?;
                let d = r.get::<_, Option<String>>(5)?.map(|s| date(&s)).transpose()?;
                let e = r.get::<_, Option<i64>>(6)?.and_then(|x| engineers.get(&x).copied());
                let reason: String = r.get(7)?;
                let by: Option<String> = r.get(8)?;
                let created = stamp_time(&r.get::<_, String>(9)?);
                put(w, &mut n, &[&id, &reading, &action, &value, &note, &d, &e, &reason, &by, &created])?;
            }
            Ok(n)
        },
    )?;

    // Archive events.
    let (mark, max) = marks["archive_event"];
    out.counts.archive_events = copy_in(
        &mut pgt,
        "archive_event",
        "id uuid, project_id uuid, metric_id uuid, archived bool, reason text, archived_by text, date date, \
         created_at timestamptz",
        &[Type::UUID, Type::UUID, Type::UUID, Type::BOOL, Type::TEXT, Type::TEXT, Type::DATE, Type::TIMESTAMPTZ],
        |w| {
            let mut stmt = tx.prepare(
                "SELECT uid, project_id, metric_id, archived, reason, author, date, created_at, id FROM archive_event
                  WHERE id > ?1 AND id <= ?2 AND seq IS NULL ORDER BY id",
            )?;
            let mut rows = stmt.query(params![mark, max])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let row_id: i64 = r.get(8)?;
                let id = uuid(&r.get::<_, String>(0)?)?;
                let p = projects.get(&r.get::<_, i64>(1)?).ok_or_else(|| missing("archive event", row_id))?;
                let m = r.get::<_, Option<i64>>(2)?.and_then(|x| metrics.get(&x).copied());
                let archived: bool = r.get(3)?;
                let reason: Option<String> = r.get(4)?;
                let by: Option<String> = r.get(5)?;
                let d = date(&r.get::<_, String>(6)?)?;
                let created = stamp_time(&r.get::<_, String>(7)?);
                put(w, &mut n, &[&id, p, &m, &archived, &reason, &by, &d, &created])?;
            }
            Ok(n)
        },
    )?;

    // Blocker resolutions.
    let resolutions: Vec<(String, String, String, String)> = tx
        .prepare(
            "SELECT uid, blocker_uid, resolved, created_at FROM sync_resolution WHERE seq IS NULL AND uid IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (uid, blocker, resolved, created) in resolutions {
        let n = pgt
            .execute(
                "INSERT INTO limfac.blocker_resolution (id, blocker_id, resolved, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
                &[&uuid(&uid)?, &uuid(&blocker)?, &date(&resolved)?, &stamp_time(&created)],
            )
            .map_err(|e| pg(e, "pushing a blocker resolution"))?;
        out.counts.resolutions += n;
        out.resolutions.push(uid);
    }
    out.range = (low, draw(&mut pgt)?);
    pgt.commit().map_err(|e| pg(e, "committing the push"))?;
    Ok(out)
}

/// An edit recording a merged creation's value: uid, kind, entity uid, key,
/// field, value, base, created_at.
type MergeEdit = (String, Kind, String, String, String, String, String, String);

/// A pending edit: uid, entity, entity_uid, key, field, value, base, created_at.
type EditRow = (String, String, String, String, String, String, String, String);

fn bump(c: &mut Counts, kind: Kind) {
    match kind {
        Kind::Project => c.projects += 1,
        Kind::Engineer => c.engineers += 1,
        Kind::Metric => c.metrics += 1,
    }
}

/// COPY (binary) rows into a temporary table shaped `columns`, then into
/// `limfac.TABLE`, skipping rows already there. Returns the rows added.
fn copy_in(
    pgt: &mut postgres::Transaction<'_>,
    table: &str,
    columns: &str,
    types: &[Type],
    fill: impl FnOnce(&mut Writer<'_>) -> Result<u64>,
) -> Result<u64> {
    let stage = format!("limfac_stage_{table}");
    pgt.batch_execute(&format!("CREATE TEMP TABLE IF NOT EXISTS {stage} ({columns}) ON COMMIT DELETE ROWS"))
        .map_err(|e| pg(e, "preparing the push"))?;
    let sink = pgt
        .copy_in(&format!("COPY {stage} FROM STDIN (FORMAT binary)"))
        .map_err(|e| pg(e, &format!("pushing {table}s")))?;
    let trace = std::env::var_os("LIMFAC_SYNC_TRACE").is_some();
    let t0 = Instant::now();
    let mut w = BinaryCopyInWriter::new(sink, types);
    let rows = fill(&mut w)?;
    w.finish().map_err(|e| pg(e, &format!("pushing {table}s")))?;
    if trace {
        eprintln!("trace: COPY {rows} {table} rows in {:.2} s", t0.elapsed().as_secs_f64());
    }
    let t0 = Instant::now();
    if rows == 0 {
        return Ok(0);
    }
    let names: Vec<&str> = columns.split(',').map(|c| c.split_whitespace().next().unwrap_or_default()).collect();
    let list = names.join(", ");
    // Rows the server has already (a retried push) are skipped by their id.
    // A large batch skips them with the anti-join alone: the push lock keeps
    // every other writer out until this commits, and ON CONFLICT's per-row
    // speculative insertion took a third of a million-row push.
    if rows > 10_000 {
        pgt.batch_execute(&format!("ANALYZE {stage}")).map_err(|e| pg(e, "pushing"))?;
    }
    let on_conflict = if rows > BULK_ROWS { "" } else { " ON CONFLICT (id) DO NOTHING" };
    let n = pgt
        .execute(
            &format!(
                "INSERT INTO limfac.{table} ({list}) SELECT {list} FROM {stage} s
                  WHERE NOT EXISTS (SELECT 1 FROM limfac.{table} t WHERE t.id = s.id){on_conflict}"
            ),
            &[],
        )
        .map_err(|e| pg(e, &format!("pushing {table}s")))?;
    if trace {
        eprintln!("trace: INSERT {n} {table} rows in {:.2} s", t0.elapsed().as_secs_f64());
    }
    Ok(n)
}

type Writer<'a> = BinaryCopyInWriter<'a>;

/// Above this many rows a push inserts without ON CONFLICT (see copy_in).
const BULK_ROWS: u64 = 100_000;

/// Writes one row to a COPY, counting it.
fn put(w: &mut Writer<'_>, rows: &mut u64, values: &[&(dyn ToSql + Sync)]) -> Result<()> {
    w.write(values).map_err(|e| pg(e, "pushing"))?;
    *rows += 1;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn push_edit(
    pgt: &mut postgres::Transaction<'_>,
    uid: &str,
    kind: Kind,
    entity: &Uuid,
    field: &str,
    value: &Value,
    base: &str,
    created: &DateTime<Utc>,
) -> Result<EditOutcome> {
    let id = uuid(uid)?;
    let base = uuid(base)?;
    let row = pgt
        .query_opt(
            "INSERT INTO limfac.edit (id, entity, entity_id, field, value, base, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING
             RETURNING seq, accepted, lost_to, reason, author",
            &[&id, &kind.name(), entity, &field, value, &base, created],
        )
        .map_err(|e| pg(e, &format!("pushing an edit of {} {field}", kind.name())))?;
    let row = match row {
        Some(r) => r,
        None => pgt
            .query_one("SELECT seq, accepted, lost_to, reason, author FROM limfac.edit WHERE id = $1", &[&id])
            .map_err(|e| pg(e, "reading an edit back"))?,
    };
    Ok(EditOutcome {
        uid: uid.to_string(),
        seq: row.get(0),
        accepted: row.get(1),
        lost_to: row.get::<_, Option<Uuid>>(2).map(|u| u.hyphenated().to_string()),
        reason: row.get(3),
        author: row.get(4),
    })
}

/// Describes a lost edit: the value kept and who set it.
fn conflict(
    pgt: &mut postgres::Transaction<'_>,
    kind: Kind,
    key: &str,
    field: &str,
    yours: &Value,
    entity: &Uuid,
    outcome: &EditOutcome,
) -> Result<Conflict> {
    let table = kind.name();
    let current = pgt
        .query_one(&format!("SELECT to_jsonb(t) -> $2, author FROM limfac.{table} t WHERE id = $1"), &[entity, &field])
        .map_err(|e| pg(e, "reading a conflict"))?;
    let mut kept: Value = current.get::<_, Option<Value>>(0).unwrap_or(Value::Null);
    let mut kept_by: String = current.get(1);
    if let Some(winner) = outcome.lost_to.as_deref().and_then(|w| Uuid::parse_str(w).ok()) {
        if let Some(r) = pgt
            .query_opt("SELECT value, author FROM limfac.edit WHERE id = $1", &[&winner])
            .map_err(|e| pg(e, "reading a conflict"))?
        {
            kept = r.get(0);
            kept_by = r.get(1);
        }
    }
    Ok(Conflict {
        entity: table.to_string(),
        key: key.to_string(),
        field: field.to_string(),
        yours: yours.to_string(),
        kept: kept.to_string(),
        kept_by,
        reason: outcome.reason.clone().unwrap_or_else(|| "conflict".into()),
    })
}

/// Records what the server committed: entities' server ids (merged ones
/// take the server's values), edits' outcomes, the push marks.
fn apply_pushed(tx: &rusqlite::Transaction<'_>, p: &Pushed) -> Result<()> {
    for p in &p.entities {
        let table = p.kind.name();
        let old: String = tx.query_row(&format!("SELECT uid FROM {table} WHERE id = ?1"), [p.id], |r| r.get(0))?;
        tx.execute(&format!("UPDATE {table} SET uid = ?1, seq = ?2 WHERE id = ?3"), params![p.uid, p.seq, p.id])?;
        if old != p.uid {
            tx.execute("UPDATE sync_edit SET entity_uid = ?1 WHERE entity_uid = ?2", params![p.uid, old])?;
        }
        for &field in p.kind.fields() {
            let v = p.values.get(field).cloned().unwrap_or(Value::Null);
            if p.merged {
                set_local_field(tx, p.kind, p.id, field, &v)?;
            }
            let holder = p.holders.get(field).cloned().unwrap_or_else(|| p.uid.clone());
            set_shadow(tx, &p.uid, field, &v.to_string(), &holder)?;
        }
    }
    for (uid, kind, entity_uid, key, field, value, base, created_at) in &p.merge_edits {
        tx.execute(
            "INSERT OR IGNORE INTO sync_edit (uid, entity, entity_uid, key, field, value, base, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![uid, kind.name(), entity_uid, key, field, value, base, created_at],
        )?;
    }
    for o in &p.edits {
        let outcome = if o.accepted {
            "accepted"
        } else if o.reason.as_deref() == Some("conflict") {
            "lost"
        } else {
            "refused"
        };
        // Merged creations' values are recorded here for the first time.
        tx.execute(
            "UPDATE sync_edit SET seq = ?2, outcome = ?3, lost_to = ?4, reason = ?5, author = ?6 WHERE uid = ?1",
            params![o.uid, o.seq, outcome, o.lost_to, o.reason, o.author],
        )?;
        let row: Option<(String, String, String, String)> = tx
            .query_row("SELECT entity, entity_uid, field, value FROM sync_edit WHERE uid = ?1", [&o.uid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        if let Some((entity, entity_uid, field, value)) = row {
            if o.accepted {
                set_shadow(tx, &entity_uid, &field, &value, &o.uid)?;
            } else if let Some(kind) = Kind::parse(&entity) {
                // Lost: the value here goes back to the server's, unless
                // another local edit of the field waits to be pushed.
                let waiting: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM sync_edit WHERE entity_uid = ?1 AND field = ?2 AND seq IS NULL)",
                    params![entity_uid, field],
                    |r| r.get(0),
                )?;
                let shadow: Option<String> = tx
                    .query_row(
                        "SELECT value FROM sync_field WHERE entity_uid = ?1 AND field = ?2",
                        params![entity_uid, field],
                        |r| r.get(0),
                    )
                    .optional()?;
                let id: Option<i64> = tx
                    .query_row(&format!("SELECT id FROM {entity} WHERE uid = ?1"), [&entity_uid], |r| r.get(0))
                    .optional()?;
                if let (false, Some(v), Some(id)) = (waiting, shadow, id) {
                    let v: Value = serde_json::from_str(&v).unwrap_or(Value::Null);
                    set_local_field(tx, kind, id, &field, &v)?;
                }
            }
        }
    }
    // Edits recorded for merged creations exist only on the server so far.
    for (mark, value) in &p.marks {
        let old = state_i64(tx, mark)?;
        set_state(tx, mark, &old.max(*value).to_string())?;
    }
    for uid in &p.resolutions {
        tx.execute("UPDATE sync_resolution SET seq = 0 WHERE uid = ?1 AND seq IS NULL", [uid])?;
    }
    Ok(())
}

/// Pulls everything past `cursor` and applies it here. Returns the new cursor.
fn pull(
    tx: &rusqlite::Transaction<'_>,
    ptx: &mut postgres::Transaction<'_>,
    cursor: i64,
    mine: (i64, i64),
    counts: &mut Counts,
) -> Result<i64> {
    // The rows this sync's push wrote (between the two numbers it drew, under
    // the push lock) are here already: not pulled again; the cursor passes them.
    let mut top = if mine.1 > cursor { cursor.max(mine.1 - 1) } else { cursor };
    let mut see = |seq: i64| top = top.max(seq);

    // Entities: the server's current values; a field with a local edit
    // waiting to be pushed keeps the local value until the server decides.
    let mut server: Vec<ServerEntity> = Vec::new();
    for (kind, select, order) in [
        (Kind::Project, ENTITY_SELECT_PROJECT, "seq"),
        (Kind::Engineer, ENTITY_SELECT_ENGINEER, "seq"),
        (Kind::Metric, ENTITY_SELECT_METRIC, "m.seq"),
    ] {
        let where_ = if kind == Kind::Metric { "m.seq" } else { "seq" };
        for r in ptx
            .query(
                &format!("{select} WHERE {where_} > $1 AND ({where_} <= $2 OR {where_} >= $3) ORDER BY {order}"),
                &[&cursor, &mine.0, &mine.1],
            )
            .map_err(|e| pg(e, "pulling entities"))?
        {
            server.push(server_entity(kind, &r));
        }
    }
    fill_holders(ptx, &mut server)?;
    let mut refs: Vec<(Kind, i64, &'static str, Value)> = Vec::new();
    for s in &server {
        see(s.seq);
        let local: Option<(i64, String, Option<i64>)> = match s.kind {
            Kind::Project => tx
                .query_row(
                    "SELECT id, uid, seq FROM project WHERE uid = ?1 OR slug = ?2 ORDER BY uid = ?1 DESC LIMIT 1",
                    params![s.uid, s.key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?,
            Kind::Engineer => tx
                .query_row(
                    "SELECT id, uid, seq FROM engineer WHERE uid = ?1 OR handle = ?2 ORDER BY uid = ?1 DESC LIMIT 1",
                    params![s.uid, s.key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?,
            Kind::Metric => {
                let project: Option<i64> = tx
                    .query_row("SELECT id FROM project WHERE uid = ?1", [s.project_uid.as_deref().unwrap_or("")], |r| {
                        r.get(0)
                    })
                    .optional()?;
                let slug = s.key.split_once('/').map(|(_, m)| m).unwrap_or("");
                tx.query_row(
                    "SELECT id, uid, seq FROM metric WHERE uid = ?1 OR (project_id = ?2 AND slug = ?3) ORDER BY uid = ?1 DESC LIMIT 1",
                    params![s.uid, project, slug],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
            }
        };
        let id = match local {
            Some((id, uid, seq)) => {
                if uid != s.uid {
                    // Made here while this sync ran: ours differs → recorded as edits to push.
                    if seq.is_none() {
                        if let Some(e) = load_entities(tx)?.into_iter().find(|e| e.kind == s.kind && e.id == id) {
                            for &field in s.kind.fields() {
                                let mine = e.values.get(field).cloned().unwrap_or(Value::Null);
                                if Some(&mine) != s.values.get(field) {
                                    tx.execute(
                                        "INSERT OR IGNORE INTO sync_edit (uid, entity, entity_uid, key, field, value, base, created_at)
                                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                        params![merge_edit_uid(&uid, field), s.kind.name(), s.uid, s.key, field, mine.to_string(), uid, e.created_at],
                                    )?;
                                }
                            }
                        }
                    }
                    tx.execute("UPDATE sync_edit SET entity_uid = ?1 WHERE entity_uid = ?2", params![s.uid, uid])?;
                }
                tx.execute(
                    &format!("UPDATE {} SET uid = ?1, seq = ?2 WHERE id = ?3", s.kind.name()),
                    params![s.uid, s.seq, id],
                )?;
                id
            }
            None => {
                let v = &s.values;
                let st = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_string);
                match s.kind {
                    Kind::Project => tx.execute(
                        "INSERT INTO project (slug, name, priority, owner, created_at, uid, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![s.key, st("name"), v["priority"].as_i64(), st("owner"), s.created_at, s.uid, s.seq],
                    )?,
                    Kind::Engineer => tx.execute(
                        "INSERT INTO engineer (handle, name, created_at, uid, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![s.key, st("name"), s.created_at, s.uid, s.seq],
                    )?,
                    Kind::Metric => {
                        let project: i64 = tx
                            .query_row("SELECT id FROM project WHERE uid = ?1", [s.project_uid.as_deref().unwrap_or("")], |r| r.get(0))
                            .with_context(|| format!("pulled metric {} names a project not pulled", s.key))?;
                        let slug = s.key.split_once('/').map(|(_, m)| m).unwrap_or("");
                        tx.execute(
                            "INSERT INTO metric (project_id, slug, name, unit, target, direction, tolerance, created_at, uid, seq,
                                                 lower_bound, upper_bound)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                            params![project, slug, st("name"), st("unit"), v["target"].as_f64(), st("direction"),
                                    v["tolerance"].as_f64().unwrap_or(0.0), s.created_at, s.uid, s.seq,
                                    v["lower_bound"].as_f64(), v["upper_bound"].as_f64()],
                        )?
                    }
                };
                bump(counts, s.kind);
                tx.last_insert_rowid()
            }
        };
        for &field in s.kind.fields() {
            let v = s.values.get(field).cloned().unwrap_or(Value::Null);
            let waiting: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM sync_edit WHERE entity_uid = ?1 AND field = ?2 AND seq IS NULL)",
                params![s.uid, field],
                |r| r.get(0),
            )?;
            if !waiting {
                if matches!(field, "depends_on" | "reports_to") {
                    refs.push((s.kind, id, field, v.clone()));
                } else {
                    set_local_field(tx, s.kind, id, field, &v)?;
                }
            }
            let holder = s.holders.get(field).cloned().unwrap_or_else(|| s.uid.clone());
            set_shadow(tx, &s.uid, field, &v.to_string(), &holder)?;
        }
    }
    // References once every entity they may name is here.
    for (kind, id, field, v) in refs {
        set_local_field(tx, kind, id, field, &v)?;
    }

    // The history of edits.
    for r in ptx
        .query(
            "SELECT id, seq, entity, entity_id, field, value, base, accepted, lost_to, reason, author, created_at
               FROM limfac.edit WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
            &[&cursor, &mine.0, &mine.1],
        )
        .map_err(|e| pg(e, "pulling the history"))?
    {
        let id: Uuid = r.get(0);
        let seq: i64 = r.get(1);
        see(seq);
        let entity: String = r.get(2);
        let entity_id: Uuid = r.get(3);
        let value: Value = r.get(5);
        let base: Uuid = r.get(6);
        let accepted: bool = r.get(7);
        let reason: Option<String> = r.get(9);
        let outcome = if accepted {
            "accepted"
        } else if reason.as_deref() == Some("conflict") {
            "lost"
        } else {
            "refused"
        };
        let lost_to = r.get::<_, Option<Uuid>>(8).map(|u| u.hyphenated().to_string());
        let author: String = r.get(10);
        let created = r.get::<_, DateTime<Utc>>(11).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let entity_uid = entity_id.hyphenated().to_string();
        let key: String = match entity.as_str() {
            "project" => tx.query_row("SELECT slug FROM project WHERE uid = ?1", [&entity_uid], |r| r.get(0)).optional()?,
            "engineer" => tx.query_row("SELECT handle FROM engineer WHERE uid = ?1", [&entity_uid], |r| r.get(0)).optional()?,
            _ => tx
                .query_row(
                    "SELECT p.slug || '/' || m.slug FROM metric m JOIN project p ON p.id = m.project_id WHERE m.uid = ?1",
                    [&entity_uid],
                    |r| r.get(0),
                )
                .optional()?,
        }
        .unwrap_or_else(|| entity_uid.clone());
        let uid = id.hyphenated().to_string();
        // Our own edits are here already: they only learn their outcome.
        let known = tx.execute(
            "UPDATE sync_edit SET seq = ?2, outcome = ?3, lost_to = ?4, reason = ?5, author = ?6, entity_uid = ?7
              WHERE uid = ?1",
            params![uid, seq, outcome, lost_to, reason, author, entity_uid],
        )?;
        let n = if known > 0 {
            0
        } else {
            tx.execute(
                "INSERT INTO sync_edit (uid, entity, entity_uid, key, field, value, base, author, created_at, seq, outcome, lost_to, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    uid,
                    entity,
                    entity_uid,
                    key,
                    r.get::<_, String>(4),
                    value.to_string(),
                    base.hyphenated().to_string(),
                    author,
                    created,
                    seq,
                    outcome,
                    lost_to,
                    reason
                ],
            )?
        };
        counts.edits += n as u64;
    }

    // Facts. Rows already here (our own, pushed) are skipped by their uid.
    let local_ids = |table: &str| -> Result<HashMap<Uuid, i64>> {
        let mut stmt = tx.prepare(&format!("SELECT uid, id FROM {table} WHERE uid IS NOT NULL"))?;
        let mut map = HashMap::new();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (u, id) = row?;
            if let Ok(u) = Uuid::parse_str(&u) {
                map.insert(u, id);
            }
        }
        Ok(map)
    };
    let projects = local_ids("project")?;
    let metrics = local_ids("metric")?;
    let engineers = local_ids("engineer")?;
    let by_handle: HashMap<String, i64> = {
        let mut stmt = tx.prepare("SELECT handle, id FROM engineer")?;
        let v = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        v
    };
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let ts = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let unknown = |what: &str| anyhow::anyhow!("the server sent a {what} that names something it did not send");

    {
        let mut ins = tx.prepare(
            "INSERT OR IGNORE INTO review (date, kind, reviewer_id, notes, created_at, uid, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for r in ptx
            .query(
                "SELECT id, seq, date, kind, reviewer, notes, created_at FROM limfac.review WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
                &[&cursor, &mine.0, &mine.1],
            )
            .map_err(|e| pg(e, "pulling reviews"))?
        {
            let seq: i64 = r.get(1);
            see(seq);
            let reviewer = r.get::<_, Option<String>>(4).and_then(|h| by_handle.get(&h).copied());
            let n = ins.execute(params![
                iso(r.get(2)),
                r.get::<_, String>(3),
                reviewer,
                r.get::<_, Option<String>>(5),
                ts(r.get(6)),
                r.get::<_, Uuid>(0).hyphenated().to_string(),
                seq
            ])?;
            counts.reviews += n as u64;
        }
    }
    let reviews = local_ids("review")?;
    // A large pull (a fresh client) sets aside the point indexes other than
    // `point_uid` (which finds rows already here) and rebuilds them after, by
    // sorting, as `import` does: keeping them up row by row took most of it.
    let coming: i64 = ptx
        .query_one(
            "SELECT count(*) FROM limfac.reading WHERE seq > $1 AND (seq <= $2 OR seq >= $3)",
            &[&cursor, &mine.0, &mine.1],
        )
        .map_err(|e| pg(e, "pulling readings"))?
        .get(0);
    let here: i64 = tx.query_row("SELECT count(*) FROM point", [], |r| r.get(0))?;
    let mut set_aside: Vec<String> = Vec::new();
    if coming > 50_000 && coming > here / 4 {
        let indexes: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_schema
                  WHERE type = 'index' AND tbl_name = 'point' AND sql IS NOT NULL AND name <> 'point_uid'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (name, sql) in indexes {
            tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
            set_aside.push(sql);
        }
    }
    {
        let mut ins = tx.prepare(
            "INSERT OR IGNORE INTO point (date, metric_id, engineer_id, value, note, review_id, created_at, uid, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let params_: [&(dyn ToSql + Sync); 3] = [&cursor, &mine.0, &mine.1];
        let rows = ptx
            .query_raw(
                "SELECT id, seq, date, metric_id, engineer_id, value, note, review_id, created_at
                   FROM limfac.reading WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
                params_.iter().copied(),
            )
            .map_err(|e| pg(e, "pulling readings"))?;
        let mut it = rows;
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        while let Some(r) =
            postgres::fallible_iterator::FallibleIterator::next(&mut it).map_err(|e| pg(e, "pulling readings"))?
        {
            let seq: i64 = r.get(1);
            see(seq);
            let m = metrics.get(&r.get::<_, Uuid>(3)).ok_or_else(|| unknown("reading"))?;
            let e = engineers.get(&r.get::<_, Uuid>(4)).ok_or_else(|| unknown("reading"))?;
            let review = r.get::<_, Option<Uuid>>(7).and_then(|x| reviews.get(&x).copied());
            let id: Uuid = r.get(0);
            let n = ins.execute(params![
                iso(r.get(2)),
                m,
                e,
                r.get::<_, f64>(5),
                r.get::<_, &str>(6),
                review,
                ts(r.get(8)),
                &*id.hyphenated().encode_lower(&mut buf),
                seq
            ])?;
            counts.readings += n as u64;
        }
    }
    for sql in &set_aside {
        tx.execute_batch(sql)?;
    }
    {
        let mut ins = tx.prepare(
            "INSERT OR IGNORE INTO blocker (category, text, project_id, metric_id, engineer_id, point_id, opened, uid, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, (SELECT id FROM point WHERE uid = ?6), ?7, ?8, ?9)",
        )?;
        for r in ptx
            .query(
                "SELECT id, seq, category, text, project_id, metric_id, engineer_id, reading_id, opened
                   FROM limfac.blocker WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
                &[&cursor, &mine.0, &mine.1],
            )
            .map_err(|e| pg(e, "pulling blockers"))?
        {
            let seq: i64 = r.get(1);
            see(seq);
            let p = projects.get(&r.get::<_, Uuid>(4)).ok_or_else(|| unknown("blocker"))?;
            let m = r.get::<_, Option<Uuid>>(5).and_then(|x| metrics.get(&x).copied());
            let e = r.get::<_, Option<Uuid>>(6).and_then(|x| engineers.get(&x).copied());
            let point = r.get::<_, Option<Uuid>>(7).map(|u| u.hyphenated().to_string());
            let n = ins.execute(params![
                r.get::<_, String>(2),
                r.get::<_, String>(3),
                p,
                m,
                e,
                point,
                iso(r.get(8)),
                r.get::<_, Uuid>(0).hyphenated().to_string(),
                seq
            ])?;
            counts.blockers += n as u64;
        }
    }
    for r in ptx
        .query(
            "SELECT id, seq, blocker_id, resolved, created_at FROM limfac.blocker_resolution WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
            &[&cursor, &mine.0, &mine.1],
        )
        .map_err(|e| pg(e, "pulling blocker resolutions"))?
    {
        let seq: i64 = r.get(1);
        see(seq);
        let blocker = r.get::<_, Uuid>(2).hyphenated().to_string();
        let resolved = iso(r.get(3));
        let n = tx.execute(
            "INSERT OR IGNORE INTO sync_resolution (uid, blocker_uid, resolved, created_at, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.get::<_, Uuid>(0).hyphenated().to_string(), blocker, resolved, ts(r.get(4)), seq],
        )?;
        counts.resolutions += n as u64;
        // Resolved on the earliest date anyone gave.
        tx.execute(
            "UPDATE blocker SET resolved = ?2 WHERE uid = ?1 AND (resolved IS NULL OR resolved > ?2) AND opened <= ?2",
            params![blocker, resolved],
        )?;
    }
    {
        let mut ins = tx.prepare(
            "INSERT OR IGNORE INTO deadline (project_id, metric_id, due, probability, reason, set_on, created_at, uid, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for r in ptx
            .query(
                "SELECT id, seq, project_id, metric_id, due, probability, reason, set_on, created_at
                   FROM limfac.deadline WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
                &[&cursor, &mine.0, &mine.1],
            )
            .map_err(|e| pg(e, "pulling deadlines"))?
        {
            let seq: i64 = r.get(1);
            see(seq);
            let p = projects.get(&r.get::<_, Uuid>(2)).ok_or_else(|| unknown("deadline"))?;
            let m = r.get::<_, Option<Uuid>>(3).and_then(|x| metrics.get(&x).copied());
            let n = ins.execute(params![
                p,
                m,
                iso(r.get(4)),
                r.get::<_, Option<f64>>(5),
                r.get::<_, Option<String>>(6),
                iso(r.get(7)),
                ts(r.get(8)),
                r.get::<_, Uuid>(0).hyphenated().to_string(),
                seq
            ])?;
            counts.deadlines += n as u64;
        }
    }
    {
        let mut ins = tx.prepare(
            "INSERT OR IGNORE INTO correction (point_id, action, value, note, date, engineer_id, reason, author, created_at, uid, seq)
             VALUES ((SELECT id FROM point WHERE uid = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for r in ptx
            .query(
                "SELECT id, seq, reading_id, action, value, note, date, engineer_id, reason, corrected_by, created_at
                   FROM limfac.correction WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
                &[&cursor, &mine.0, &mine.1],
            )
            .map_err(|e| pg(e, "pulling corrections"))?
        {
            let seq: i64 = r.get(1);
            see(seq);
            let e = r.get::<_, Option<Uuid>>(7).and_then(|x| engineers.get(&x).copied());
            let n = ins.execute(params![
                r.get::<_, Uuid>(2).hyphenated().to_string(),
                r.get::<_, String>(3),
                r.get::<_, Option<f64>>(4),
                r.get::<_, Option<String>>(5),
                r.get::<_, Option<NaiveDate>>(6).map(iso),
                e,
                r.get::<_, String>(8),
                r.get::<_, Option<String>>(9),
                ts(r.get(10)),
                r.get::<_, Uuid>(0).hyphenated().to_string(),
                seq
            ])?;
            counts.corrections += n as u64;
        }
    }
    {
        let mut ins = tx.prepare(
            "INSERT OR IGNORE INTO archive_event (project_id, metric_id, archived, reason, author, date, created_at, uid, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for r in ptx
            .query(
                "SELECT id, seq, project_id, metric_id, archived, reason, archived_by, date, created_at
                   FROM limfac.archive_event WHERE seq > $1 AND (seq <= $2 OR seq >= $3) ORDER BY seq",
                &[&cursor, &mine.0, &mine.1],
            )
            .map_err(|e| pg(e, "pulling archive events"))?
        {
            let seq: i64 = r.get(1);
            see(seq);
            let p = projects.get(&r.get::<_, Uuid>(2)).ok_or_else(|| unknown("archive event"))?;
            let m = r.get::<_, Option<Uuid>>(3).and_then(|x| metrics.get(&x).copied());
            let n = ins.execute(params![
                p,
                m,
                r.get::<_, bool>(4),
                r.get::<_, Option<String>>(5),
                r.get::<_, Option<String>>(6),
                iso(r.get(7)),
                ts(r.get(8)),
                r.get::<_, Uuid>(0).hyphenated().to_string(),
                seq
            ])?;
            counts.archive_events += n as u64;
        }
    }
    Ok(top)
}
