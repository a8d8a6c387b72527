//! Schema versions and the steps between them.
//!
//! A fresh database is created straight from `schema.sql` (the whole current
//! schema). A database at an older version is brought forward by the steps
//! below, each run in one transaction together with the version bump, so an
//! upgrade either happens whole or not at all.

/// The whole current schema, embedded.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// The version `SCHEMA` describes.
pub const LATEST: i64 = 5;

/// `STEPS[i]` upgrades a database from version `i + 1` to `i + 2`.
///
/// When the schema changes, `schema.sql` gets the new whole schema, `LATEST`
/// goes up by one, and the change is appended here as one step with its own
/// test (upgrade a fixture of the old version, compare with a fresh database).
pub const STEPS: &[&str] = &[
    // 1 → 2: the forecast calibration cache (derived data; see schema.sql).
    "CREATE TABLE calibration_cache (
        as_of         TEXT NOT NULL PRIMARY KEY,
        engine        TEXT NOT NULL,
        data_version  TEXT NOT NULL,
        body          TEXT NOT NULL
    ) STRICT;",
    // 2 → 3: correcting the record.
    CORRECTIONS,
    // 3 → 4: team sync. Every synced row gets a uid (a UUIDv7 from its
    // creation time, with its local id in the random bits so that rows made
    // in the same millisecond keep their order) and a server seq; the sync
    // bookkeeping tables (see schema.sql).
    SYNC,
    // 4 → 5: the forecast cache and the self-calibration's replays (derived data).
    FORECAST_CACHE,
];

/// Version 4 → 5: derived data that makes a warm weekly report instant (see schema.sql).
const FORECAST_CACHE: &str = "
CREATE TABLE forecast_cache (
    as_of            TEXT    NOT NULL,
    variant          INTEGER NOT NULL,
    metric_id        INTEGER NOT NULL,
    engine           TEXT    NOT NULL,
    inputs           TEXT    NOT NULL,
    point_mark       INTEGER NOT NULL,
    correction_mark  INTEGER NOT NULL,
    fitted           BLOB    NOT NULL,
    calibration      TEXT,
    dated            BLOB,
    PRIMARY KEY (as_of, variant, metric_id)
) STRICT;

CREATE TABLE forecast_cache_use (
    as_of    TEXT    NOT NULL,
    variant  INTEGER NOT NULL,
    used     TEXT    NOT NULL,
    PRIMARY KEY (as_of, variant)
) STRICT;

CREATE TABLE replay_cache (
    metric_id        INTEGER NOT NULL,
    origin           TEXT    NOT NULL,
    engine           TEXT    NOT NULL,
    inputs           TEXT    NOT NULL,
    point_mark       INTEGER NOT NULL,
    correction_mark  INTEGER NOT NULL,
    features         BLOB    NOT NULL,
    PRIMARY KEY (metric_id, origin)
) STRICT;

-- Calibrations kept by an earlier build were keyed by a data version this one does not write.
DELETE FROM calibration_cache;
";

/// Version 2 → 3: correcting the record. Corrections of readings and archive
/// events are new tables (facts appended, never overwrites); a metric gains
/// optional physical bounds. Nothing existing is rewritten.
const CORRECTIONS: &str = "
ALTER TABLE metric ADD COLUMN lower_bound REAL;
ALTER TABLE metric ADD COLUMN upper_bound REAL;

CREATE TABLE correction (
    id           INTEGER PRIMARY KEY,
    point_id     INTEGER NOT NULL REFERENCES point(id),
    action       TEXT    NOT NULL CHECK (action IN ('amend', 'retract')),
    value        REAL,
    note         TEXT    CHECK (note IS NULL OR length(trim(note)) > 0),
    date         TEXT,
    engineer_id  INTEGER REFERENCES engineer(id),
    reason       TEXT    NOT NULL CHECK (length(trim(reason)) > 0),
    author       TEXT,
    created_at   TEXT    NOT NULL,
    CHECK (action = 'amend' OR (value IS NULL AND note IS NULL AND date IS NULL AND engineer_id IS NULL))
) STRICT;

CREATE INDEX correction_by_point ON correction (point_id, id);

CREATE TABLE archive_event (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES project(id),
    metric_id    INTEGER REFERENCES metric(id),
    archived     INTEGER NOT NULL CHECK (archived IN (0, 1)),
    reason       TEXT    CHECK (reason IS NULL OR length(trim(reason)) > 0),
    author       TEXT,
    date         TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
) STRICT;

CREATE INDEX archive_event_by_scope ON archive_event (project_id, metric_id, id);
";

/// Version 3 → 4: team sync (see schema.sql and src/sync/).
const SYNC: &str = "
ALTER TABLE project ADD COLUMN uid TEXT;
ALTER TABLE project ADD COLUMN seq INTEGER;
UPDATE project SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX project_uid ON project (uid);

ALTER TABLE engineer ADD COLUMN uid TEXT;
ALTER TABLE engineer ADD COLUMN seq INTEGER;
UPDATE engineer SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX engineer_uid ON engineer (uid);

ALTER TABLE metric ADD COLUMN uid TEXT;
ALTER TABLE metric ADD COLUMN seq INTEGER;
UPDATE metric SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX metric_uid ON metric (uid);

ALTER TABLE review ADD COLUMN uid TEXT;
ALTER TABLE review ADD COLUMN seq INTEGER;
UPDATE review SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX review_uid ON review (uid);

ALTER TABLE point ADD COLUMN uid TEXT;
ALTER TABLE point ADD COLUMN seq INTEGER;
UPDATE point SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX point_uid ON point (uid);

ALTER TABLE blocker ADD COLUMN uid TEXT;
ALTER TABLE blocker ADD COLUMN seq INTEGER;
UPDATE blocker SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(opened) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(opened) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX blocker_uid ON blocker (uid);

ALTER TABLE deadline ADD COLUMN uid TEXT;
ALTER TABLE deadline ADD COLUMN seq INTEGER;
UPDATE deadline SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX deadline_uid ON deadline (uid);

ALTER TABLE correction ADD COLUMN uid TEXT;
ALTER TABLE correction ADD COLUMN seq INTEGER;
UPDATE correction SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX correction_uid ON correction (uid);

ALTER TABLE archive_event ADD COLUMN uid TEXT;
ALTER TABLE archive_event ADD COLUMN seq INTEGER;
UPDATE archive_event SET uid = lower(printf('%08x-%04x-7%03x-%04x-%06x%06x',
    coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) >> 16, coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER), 0) & 65535,
    (id >> 36) & 4095, 32768 | ((id >> 24) & 4095), id & 16777215, random() & 16777215));
CREATE UNIQUE INDEX archive_event_uid ON archive_event (uid);

CREATE TABLE sync_state (
    key    TEXT NOT NULL PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;

CREATE TABLE sync_edit (
    uid         TEXT    NOT NULL PRIMARY KEY,
    entity      TEXT    NOT NULL CHECK (entity IN ('project', 'engineer', 'metric')),
    entity_uid  TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    base        TEXT    NOT NULL,
    author      TEXT,
    created_at  TEXT    NOT NULL,
    seq         INTEGER,
    outcome     TEXT    CHECK (outcome IN ('accepted', 'lost', 'refused')),
    lost_to     TEXT,
    reason      TEXT
) STRICT;

CREATE INDEX sync_edit_by_entity ON sync_edit (entity_uid, field, seq);
CREATE INDEX sync_edit_pending ON sync_edit (seq) WHERE seq IS NULL;

CREATE TABLE sync_field (
    entity_uid  TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    holder      TEXT NOT NULL,
    PRIMARY KEY (entity_uid, field)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_resolution (
    uid          TEXT NOT NULL PRIMARY KEY,
    blocker_uid  TEXT NOT NULL,
    resolved     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    seq          INTEGER
) STRICT;

CREATE INDEX sync_resolution_by_blocker ON sync_resolution (blocker_uid);
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_per_version() {
        assert_eq!(STEPS.len() as i64, LATEST - 1);
    }
}
