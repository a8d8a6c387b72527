//! Schema versions and the steps between them.
//!
//! A fresh database is created straight from `schema.sql` (the whole current
//! schema). A database at an older version is brought forward by the steps
//! below, each run in one transaction together with the version bump, so an
//! upgrade either happens whole or not at all.

/// The whole current schema, embedded.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// The version `SCHEMA` describes.
pub const LATEST: i64 = 3;

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
];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_per_version() {
        assert_eq!(STEPS.len() as i64, LATEST - 1);
    }
}
