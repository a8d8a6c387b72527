//! The team server's schema: plain relational tables in the schema `limfac`,
//! a view per main entity for people and dashboards, row-level security,
//! versioned by `limfac.meta`'s `schema_version` and created or upgraded by
//! `limfac remote init` in one transaction.

use anyhow::{Context, Result};

use crate::core::error::UserError;

/// The server schema version this build writes and reads.
pub const SERVER_LATEST: i64 = 3;

/// The advisory lock every change to the server takes first: changes are
/// committed one at a time, so the change sequence grows in commit order and
/// a client that pulled past `seq` N never misses a row numbered N or less.
pub const PUSH_LOCK: i64 = 0x6c69_6d66; // "limf"

/// `STEPS[i]` brings the server schema from version `i` to `i + 1`.
pub const STEPS: &[&str] = &[STEP_1_TABLES, STEP_2_VIEWS_AND_SECURITY, STEP_3_CORRECTIONS];

/// Version 1: the tables, the change sequence, and the rule that decides
/// concurrent edits.
const STEP_1_TABLES: &str = r#"
CREATE SCHEMA IF NOT EXISTS limfac;

COMMENT ON SCHEMA limfac IS 'limfac: the team''s weekly-review data (see README "Working as a team")';

-- Settings of the schema itself: key 'schema_version'.
CREATE TABLE limfac.meta (
    key    text PRIMARY KEY,
    value  text NOT NULL
);

-- Every row carries `seq`, drawn from this sequence when the row is written
-- (and again when an entity is edited): clients pull what is past the last
-- seq they saw. Never cached, so that numbers follow commit order.
CREATE SEQUENCE limfac.change_seq CACHE 1;

-- Taken by every statement that writes: one writer at a time (see PUSH_LOCK).
CREATE FUNCTION limfac.push_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1818848614);
    RETURN NULL;
END $$;

-- Entities: one row per natural key (two reviewers who both create project
-- `chips` share one row; the first to reach the server made it). Changed only
-- through accepted rows of `edit`.
CREATE TABLE limfac.project (
    id          uuid PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name        text NOT NULL,
    priority    smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
    owner       text,
    depends_on  text[] NOT NULL DEFAULT '{}',
    author      text NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE limfac.engineer (
    id          uuid PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    handle      text NOT NULL UNIQUE,
    name        text NOT NULL,
    reports_to  text,
    author      text NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE limfac.metric (
    id          uuid PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    project_id  uuid NOT NULL REFERENCES limfac.project (id),
    slug        text NOT NULL,
    name        text,
    unit        text,
    target      double precision NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('down', 'up')),
    tolerance   double precision NOT NULL DEFAULT 0 CHECK (tolerance >= 0),
    author      text NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, slug)
);

-- Every edit of an entity's field, kept forever. `base` is the edit (or the
-- entity's creation: its id) the author's value replaced. The rule for
-- concurrent edits: an edit is accepted only when `base` is still the
-- field's latest accepted edit, i.e. the first of two concurrent edits to
-- reach the server wins; the other is kept with accepted = false and
-- lost_to naming the winner. decide_edit() applies that rule on insert.
CREATE TABLE limfac.edit (
    id          uuid PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    entity      text NOT NULL,
    entity_id   uuid NOT NULL,
    field       text NOT NULL,
    value       jsonb NOT NULL,
    base        uuid NOT NULL,
    accepted    boolean NOT NULL DEFAULT false,
    lost_to     uuid,
    reason      text,
    author      text NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT edit_field CHECK ((entity, field) IN (('project', 'name'), ('project', 'priority'), ('project', 'owner'),
                               ('project', 'depends_on'), ('engineer', 'name'), ('engineer', 'reports_to'),
                               ('metric', 'name'), ('metric', 'unit'), ('metric', 'target'),
                               ('metric', 'direction'), ('metric', 'tolerance')))
);

CREATE INDEX edit_holder ON limfac.edit (entity_id, field, seq) WHERE accepted;

-- Facts: appended, never changed. Replicated exactly once by their id.
CREATE TABLE limfac.review (
    id          uuid PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    date        date NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('weekly', 'skip-level', 'deep-dive')),
    reviewer    text,
    notes       text,
    author      text NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The big table. Its references (metric_id → metric, engineer_id →
-- engineer, review_id → review) are checked once per statement over all the
-- rows it inserted (reading_refs below), not by FOREIGN KEY row triggers: a
-- million-row push spent 80% of its time in those. Rows are never updated or
-- deleted, nor are the rows they refer to, so the check at insert is enough.
CREATE TABLE limfac.reading (
    id           uuid PRIMARY KEY,
    seq          bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    date         date NOT NULL,
    metric_id    uuid NOT NULL,
    engineer_id  uuid NOT NULL,
    value        double precision NOT NULL,
    note         text NOT NULL CHECK (length(btrim(note)) > 0),
    review_id    uuid,
    author       text NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN limfac.reading.metric_id IS 'references limfac.metric (id), checked per statement';
COMMENT ON COLUMN limfac.reading.engineer_id IS 'references limfac.engineer (id), checked per statement';
COMMENT ON COLUMN limfac.reading.review_id IS 'references limfac.review (id), checked per statement';

CREATE FUNCTION limfac.reading_refs() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE bad record;
BEGIN
    SELECT n.id, n.metric_id, n.engineer_id, n.review_id INTO bad FROM new_rows n
     WHERE NOT EXISTS (SELECT 1 FROM limfac.metric m WHERE m.id = n.metric_id)
        OR NOT EXISTS (SELECT 1 FROM limfac.engineer e WHERE e.id = n.engineer_id)
        OR (n.review_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM limfac.review r WHERE r.id = n.review_id))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'reading % refers to metric %, engineer % or review % that does not exist',
            bad.id, bad.metric_id, bad.engineer_id, bad.review_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER reading_refs AFTER INSERT ON limfac.reading REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION limfac.reading_refs();

CREATE TABLE limfac.blocker (
    id           uuid PRIMARY KEY,
    seq          bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    category     text NOT NULL,
    text         text NOT NULL CHECK (length(btrim(text)) > 0),
    project_id   uuid NOT NULL REFERENCES limfac.project (id),
    metric_id    uuid REFERENCES limfac.metric (id),
    engineer_id  uuid REFERENCES limfac.engineer (id),
    reading_id   uuid REFERENCES limfac.reading (id),
    opened       date NOT NULL,
    author       text NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A blocker is resolved on the earliest date any reviewer gave.
CREATE TABLE limfac.blocker_resolution (
    id          uuid PRIMARY KEY,
    seq         bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    blocker_id  uuid NOT NULL REFERENCES limfac.blocker (id),
    resolved    date NOT NULL,
    author      text NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every change of a deadline is a new row (the history of slips).
CREATE TABLE limfac.deadline (
    id           uuid PRIMARY KEY,
    seq          bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    project_id   uuid NOT NULL REFERENCES limfac.project (id),
    metric_id    uuid REFERENCES limfac.metric (id),
    due          date NOT NULL,
    probability  double precision CHECK (probability IS NULL OR (probability >= 0 AND probability <= 1)),
    reason       text,
    set_on       date NOT NULL,
    author       text NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Pull by cursor: `WHERE seq > $cursor ORDER BY seq` reads these indexes.
CREATE INDEX project_by_seq ON limfac.project (seq);
CREATE INDEX engineer_by_seq ON limfac.engineer (seq);
CREATE INDEX metric_by_seq ON limfac.metric (seq);
CREATE INDEX edit_by_seq ON limfac.edit (seq);
CREATE INDEX review_by_seq ON limfac.review (seq);
CREATE INDEX reading_by_seq ON limfac.reading (seq);
CREATE INDEX blocker_by_seq ON limfac.blocker (seq);
CREATE INDEX blocker_resolution_by_seq ON limfac.blocker_resolution (seq);
CREATE INDEX deadline_by_seq ON limfac.deadline (seq);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['project', 'engineer', 'metric', 'edit', 'review', 'reading', 'blocker',
                             'blocker_resolution', 'deadline'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON limfac.%I FOR EACH STATEMENT
                        EXECUTE FUNCTION limfac.push_lock()', t || '_push_lock', t);
    END LOOP;
END $$;

-- The rule for concurrent edits (see limfac.edit), applied as each edit
-- arrives: accepted edits change the entity (and give it a new seq).
CREATE FUNCTION limfac.decide_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    holder uuid;
    me text;
    found_row boolean;
BEGIN
    IF EXISTS (SELECT 1 FROM limfac.edit WHERE id = NEW.id) THEN
        RETURN NEW; -- pushed again after a lost answer: ON CONFLICT DO NOTHING skips it
    END IF;
    PERFORM pg_advisory_xact_lock(1818848614);
    SELECT e.id INTO holder FROM limfac.edit e
     WHERE e.entity_id = NEW.entity_id AND e.field = NEW.field AND e.accepted
     ORDER BY e.seq DESC LIMIT 1;
    holder := coalesce(holder, NEW.entity_id);
    NEW.accepted := false;
    NEW.lost_to := NULL;
    NEW.reason := NULL;
    IF NEW.base <> holder THEN
        NEW.lost_to := holder;
        NEW.reason := 'conflict';
        RETURN NEW;
    END IF;
    IF NEW.entity = 'project' AND NEW.field = 'depends_on' THEN
        SELECT slug INTO me FROM limfac.project WHERE id = NEW.entity_id;
        IF EXISTS (SELECT 1 FROM jsonb_array_elements_text(NEW.value) d(slug)
                   WHERE NOT EXISTS (SELECT 1 FROM limfac.project p WHERE p.slug = d.slug)) THEN
            NEW.reason := 'unknown project';
            RETURN NEW;
        END IF;
        IF EXISTS (
            WITH RECURSIVE reach(slug) AS (
                SELECT d FROM jsonb_array_elements_text(NEW.value) d
                UNION
                SELECT unnest(p.depends_on) FROM limfac.project p JOIN reach r ON p.slug = r.slug
                 WHERE p.slug <> me)
            SELECT 1 FROM reach WHERE slug = me) THEN
            NEW.reason := 'cycle';
            RETURN NEW;
        END IF;
    ELSIF NEW.entity = 'engineer' AND NEW.field = 'reports_to' AND NEW.value <> 'null'::jsonb THEN
        SELECT handle INTO me FROM limfac.engineer WHERE id = NEW.entity_id;
        IF NOT EXISTS (SELECT 1 FROM limfac.engineer WHERE handle = NEW.value #>> '{}') THEN
            NEW.reason := 'unknown engineer';
            RETURN NEW;
        END IF;
        IF EXISTS (
            WITH RECURSIVE up(handle) AS (
                SELECT NEW.value #>> '{}'
                UNION
                SELECT e.reports_to FROM limfac.engineer e JOIN up ON e.handle = up.handle
                 WHERE e.reports_to IS NOT NULL AND e.handle <> me)
            SELECT 1 FROM up WHERE handle = me) THEN
            NEW.reason := 'cycle';
            RETURN NEW;
        END IF;
    END IF;
    EXECUTE format(
        'UPDATE limfac.%1$I t SET %2$I = r.%2$I, seq = nextval(''limfac.change_seq'')
           FROM jsonb_populate_record(NULL::limfac.%1$I, jsonb_build_object(%3$L, $1)) r
          WHERE t.id = $2', NEW.entity, NEW.field, NEW.field)
        USING NEW.value, NEW.entity_id;
    GET DIAGNOSTICS found_row = ROW_COUNT;
    IF NOT found_row THEN
        NEW.reason := 'unknown ' || NEW.entity;
        RETURN NEW;
    END IF;
    NEW.accepted := true;
    RETURN NEW;
END $$;

CREATE TRIGGER edit_decide BEFORE INSERT ON limfac.edit FOR EACH ROW EXECUTE FUNCTION limfac.decide_edit();

INSERT INTO limfac.meta (key, value) VALUES ('schema_version', '1');
"#;

/// Version 2: a readable view per main entity, and the security: group
/// roles `limfac_reviewer` (adds facts under their own name, edits entities
/// through `edit`) and `limfac_reader` (reads only), and row-level security
/// so that nobody's history can be rewritten.
const STEP_2_VIEWS_AND_SECURITY: &str = r#"
CREATE VIEW limfac.projects AS
    SELECT p.slug AS project, p.name, p.priority, p.owner, p.depends_on, p.author AS created_by, p.created_at, p.id
      FROM limfac.project p;

CREATE VIEW limfac.engineers AS
    SELECT e.handle AS engineer, e.name, e.reports_to, e.author AS created_by, e.created_at, e.id
      FROM limfac.engineer e;

CREATE VIEW limfac.metrics AS
    SELECT p.slug AS project, m.slug AS metric, m.name, m.unit, m.target, m.direction, m.tolerance,
           m.author AS created_by, m.created_at, m.id
      FROM limfac.metric m JOIN limfac.project p ON p.id = m.project_id;

CREATE VIEW limfac.reviews AS
    SELECT r.date, r.kind, r.reviewer, r.notes, r.author AS logged_by, r.created_at, r.id
      FROM limfac.review r;

CREATE VIEW limfac.readings AS
    SELECT r.date, p.slug AS project, m.slug AS metric, e.handle AS engineer, r.value, m.unit, r.note,
           rv.kind AS review_kind, rv.reviewer, r.author AS logged_by, r.created_at, r.id, r.seq
      FROM limfac.reading r
      JOIN limfac.metric m ON m.id = r.metric_id
      JOIN limfac.project p ON p.id = m.project_id
      JOIN limfac.engineer e ON e.id = r.engineer_id
      LEFT JOIN limfac.review rv ON rv.id = r.review_id;

CREATE VIEW limfac.blockers AS
    SELECT b.category, b.text, p.slug AS project, m.slug AS metric, e.handle AS engineer, b.opened,
           (SELECT min(x.resolved) FROM limfac.blocker_resolution x WHERE x.blocker_id = b.id) AS resolved,
           b.author AS logged_by, b.created_at, b.id
      FROM limfac.blocker b
      JOIN limfac.project p ON p.id = b.project_id
      LEFT JOIN limfac.metric m ON m.id = b.metric_id
      LEFT JOIN limfac.engineer e ON e.id = b.engineer_id;

CREATE VIEW limfac.deadlines AS
    SELECT p.slug AS project, m.slug AS metric, d.due, d.probability, d.reason, d.set_on,
           d.author AS set_by, d.created_at, d.id
      FROM limfac.deadline d
      JOIN limfac.project p ON p.id = d.project_id
      LEFT JOIN limfac.metric m ON m.id = d.metric_id;

-- Every edit of a project, engineer or metric, with conflicts' losers.
CREATE VIEW limfac.history AS
    SELECT e.created_at, e.author, e.entity,
           coalesce(p.slug, g.handle, mp.slug || '/' || m.slug) AS key,
           e.field, e.value,
           CASE WHEN e.accepted THEN 'accepted' WHEN e.reason = 'conflict' THEN 'lost' ELSE 'refused' END AS outcome,
           e.reason, e.lost_to, e.id, e.seq
      FROM limfac.edit e
      LEFT JOIN limfac.project p ON e.entity = 'project' AND p.id = e.entity_id
      LEFT JOIN limfac.engineer g ON e.entity = 'engineer' AND g.id = e.entity_id
      LEFT JOIN limfac.metric m ON e.entity = 'metric' AND m.id = e.entity_id
      LEFT JOIN limfac.project mp ON mp.id = m.project_id;

DO $$
BEGIN
    CREATE ROLE limfac_reviewer NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

DO $$
BEGIN
    CREATE ROLE limfac_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

GRANT USAGE ON SCHEMA limfac TO limfac_reviewer, limfac_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA limfac TO limfac_reviewer, limfac_reader;
GRANT USAGE ON SEQUENCE limfac.change_seq TO limfac_reviewer;
GRANT INSERT ON limfac.project, limfac.engineer, limfac.metric, limfac.edit, limfac.review, limfac.reading,
                limfac.blocker, limfac.blocker_resolution, limfac.deadline TO limfac_reviewer;

-- Row-level security: everyone on the team reads everything; a reviewer
-- adds rows only under their own name (author = their role); nobody but the
-- owner may update or delete a row (no policy and no privilege allows it).
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['project', 'engineer', 'metric', 'edit', 'review', 'reading', 'blocker',
                             'blocker_resolution', 'deadline'] LOOP
        EXECUTE format('ALTER TABLE limfac.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY team_reads ON limfac.%I FOR SELECT TO limfac_reviewer, limfac_reader
                        USING (true)', t);
        EXECUTE format('CREATE POLICY own_name ON limfac.%I FOR INSERT TO limfac_reviewer
                        WITH CHECK (author = current_user)', t);
    END LOOP;
END $$;

UPDATE limfac.meta SET value = '2' WHERE key = 'schema_version';
"#;

/// Version 3: correcting the record (limfac schema 3 on the client):
/// corrections of readings (amend, retract) and archive events are facts;
/// a metric's physical bounds are fields edited like the others.
const STEP_3_CORRECTIONS: &str = r#"
ALTER TABLE limfac.metric ADD COLUMN lower_bound double precision, ADD COLUMN upper_bound double precision;

ALTER TABLE limfac.edit DROP CONSTRAINT IF EXISTS edit_field, DROP CONSTRAINT IF EXISTS edit_check,
    ADD CONSTRAINT edit_field CHECK ((entity, field) IN (('project', 'name'), ('project', 'priority'),
        ('project', 'owner'), ('project', 'depends_on'), ('engineer', 'name'), ('engineer', 'reports_to'),
        ('metric', 'name'), ('metric', 'unit'), ('metric', 'target'), ('metric', 'direction'),
        ('metric', 'tolerance'), ('metric', 'lower_bound'), ('metric', 'upper_bound')));

-- A reading is never changed: an amendment (NULL: that field unchanged) or
-- a retraction is a new fact about it; the reading as it stands is the
-- original with every amendment laid over it in the order they were made
-- (their ids are UUIDv7s). `corrected_by` is who the reviewer said did it.
CREATE TABLE limfac.correction (
    id            uuid PRIMARY KEY,
    seq           bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    reading_id    uuid NOT NULL REFERENCES limfac.reading (id),
    action        text NOT NULL CHECK (action IN ('amend', 'retract')),
    value         double precision,
    note          text CHECK (note IS NULL OR length(btrim(note)) > 0),
    date          date,
    engineer_id   uuid REFERENCES limfac.engineer (id),
    reason        text NOT NULL CHECK (length(btrim(reason)) > 0),
    corrected_by  text,
    author        text NOT NULL DEFAULT current_user,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (action = 'amend' OR (value IS NULL AND note IS NULL AND date IS NULL AND engineer_id IS NULL))
);

-- Archiving and un-archiving a project (metric_id NULL) or a metric: the
-- latest event (by id, a UUIDv7) says whether it is archived now.
CREATE TABLE limfac.archive_event (
    id           uuid PRIMARY KEY,
    seq          bigint NOT NULL DEFAULT nextval('limfac.change_seq'),
    project_id   uuid NOT NULL REFERENCES limfac.project (id),
    metric_id    uuid REFERENCES limfac.metric (id),
    archived     boolean NOT NULL,
    reason       text CHECK (reason IS NULL OR length(btrim(reason)) > 0),
    archived_by  text,
    date         date NOT NULL,
    author       text NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX correction_by_seq ON limfac.correction (seq);
CREATE INDEX archive_event_by_seq ON limfac.archive_event (seq);

CREATE VIEW limfac.corrections AS
    SELECT r.date AS reading_date, p.slug AS project, m.slug AS metric, e.handle AS engineer, r.value AS original,
           c.action, c.value, c.note, c.date, ce.handle AS new_engineer, c.reason, c.corrected_by,
           c.author AS logged_by, c.created_at, c.id, c.reading_id
      FROM limfac.correction c
      JOIN limfac.reading r ON r.id = c.reading_id
      JOIN limfac.metric m ON m.id = r.metric_id
      JOIN limfac.project p ON p.id = m.project_id
      JOIN limfac.engineer e ON e.id = r.engineer_id
      LEFT JOIN limfac.engineer ce ON ce.id = c.engineer_id;

CREATE VIEW limfac.archive_events AS
    SELECT p.slug AS project, m.slug AS metric, a.archived, a.reason, a.archived_by, a.date,
           a.author AS logged_by, a.created_at, a.id
      FROM limfac.archive_event a
      JOIN limfac.project p ON p.id = a.project_id
      LEFT JOIN limfac.metric m ON m.id = a.metric_id;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['correction', 'archive_event'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON limfac.%I FOR EACH STATEMENT
                        EXECUTE FUNCTION limfac.push_lock()', t || '_push_lock', t);
        EXECUTE format('ALTER TABLE limfac.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY team_reads ON limfac.%I FOR SELECT TO limfac_reviewer, limfac_reader
                        USING (true)', t);
        EXECUTE format('CREATE POLICY own_name ON limfac.%I FOR INSERT TO limfac_reviewer
                        WITH CHECK (author = current_user)', t);
    END LOOP;
END $$;

GRANT SELECT ON limfac.correction, limfac.archive_event, limfac.corrections, limfac.archive_events
    TO limfac_reviewer, limfac_reader;
GRANT INSERT ON limfac.correction, limfac.archive_event TO limfac_reviewer;

UPDATE limfac.meta SET value = '3' WHERE key = 'schema_version';
"#;

/// The SQL that brings a server at `from` to [`SERVER_LATEST`], for a DBA
/// (`remote init --print-sql`), as one transaction.
pub fn upgrade_sql(from: i64) -> String {
    let mut sql = String::from("BEGIN;\n");
    for step in &STEPS[from.max(0) as usize..] {
        sql.push_str(step.trim());
        sql.push('\n');
    }
    sql.push_str("COMMIT;\n");
    sql
}

/// The server's schema version: 0 when there is no limfac schema.
pub fn version(client: &mut impl postgres::GenericClient) -> Result<i64> {
    let exists: bool = client
        .query_one("SELECT to_regclass('limfac.meta') IS NOT NULL", &[])
        .context("cannot read the server's schema")?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client
        .query_opt("SELECT value FROM limfac.meta WHERE key = 'schema_version'", &[])
        .context("cannot read the server's schema version")?;
    let v = row.map(|r| r.get::<_, String>(0)).unwrap_or_default();
    v.parse()
        .map_err(|_| UserError::new(format!("the server's limfac.meta schema_version '{v}' is not a number")).into())
}

/// Refuses a server this build cannot use: none, older or newer.
pub fn check_version(found: i64, shown: &str) -> Result<()> {
    if found == SERVER_LATEST {
        return Ok(());
    }
    Err(if found == 0 {
        UserError::new(format!("the team server {shown} has no limfac schema"))
            .hint("its owner creates it with: limfac remote init (or prints the SQL with --print-sql)")
    } else if found > SERVER_LATEST {
        UserError::new(format!(
            "the team server {shown} has limfac schema version {found}; this build knows up to {SERVER_LATEST}"
        ))
        .hint("upgrade limfac; nothing was changed on the server or here")
    } else {
        UserError::new(format!(
            "the team server {shown} has limfac schema version {found}; this build needs {SERVER_LATEST}"
        ))
        .hint("its owner upgrades it with: limfac remote init")
    }
    .into())
}

/// Creates or upgrades the server schema in one transaction; returns the
/// version found before.
pub fn init(client: &mut postgres::Client, target: i64) -> Result<i64> {
    let mut tx = client.transaction()?;
    // Two `remote init` at once: the second waits, then sees the new version.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])?;
    let found = version(&mut tx)?;
    if found > SERVER_LATEST {
        return Err(UserError::new(format!(
            "the server has limfac schema version {found}; this build knows up to {SERVER_LATEST}"
        ))
        .hint("upgrade limfac; nothing was changed")
        .into());
    }
    for (i, step) in STEPS.iter().enumerate().take(target as usize).skip(found as usize) {
        tx.batch_execute(step).map_err(|e| {
            let hint = if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                "run remote init as the database's owner (with the right to create roles), or give the SQL to a DBA: limfac remote init --print-sql"
            } else {
                "nothing was changed on the server"
            };
            anyhow::Error::new(UserError::new(format!("cannot upgrade the server schema to version {}: {}", i + 1, db_error(&e))).hint(hint))
        })?;
    }
    tx.commit()?;
    Ok(found)
}

/// A PostgreSQL error as one line: the server's message when there is one.
pub fn db_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => super::remote::redact(&e.to_string()),
    }
}
