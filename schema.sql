-- limfac schema, version 3: the whole current schema.
--
-- A fresh database is created from this file; older databases are brought up
-- to date by the steps in src/store/migrations.rs. PRAGMA user_version holds
-- the version and is set by the code, not here.
--
-- Dates are ISO 'YYYY-MM-DD' text (they sort and compare correctly as text);
-- timestamps are RFC 3339 UTC text.

CREATE TABLE project (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    priority    INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
    owner       TEXT,
    created_at  TEXT    NOT NULL
) STRICT;

CREATE TABLE project_dependency (
    project_id     INTEGER NOT NULL REFERENCES project(id),
    depends_on_id  INTEGER NOT NULL REFERENCES project(id),
    PRIMARY KEY (project_id, depends_on_id),
    CHECK (project_id <> depends_on_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE engineer (
    id          INTEGER PRIMARY KEY,
    handle      TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    reports_to  INTEGER REFERENCES engineer(id),
    created_at  TEXT    NOT NULL,
    CHECK (reports_to IS NULL OR reports_to <> id)
) STRICT;

CREATE TABLE metric (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES project(id),
    slug        TEXT    NOT NULL,
    name        TEXT,
    unit        TEXT,
    target      REAL    NOT NULL,
    direction   TEXT    NOT NULL CHECK (direction IN ('down', 'up')),
    tolerance   REAL    NOT NULL DEFAULT 0 CHECK (tolerance >= 0),
    created_at  TEXT    NOT NULL,
    -- Physical bounds (a percentage cannot pass 100): readings outside are
    -- questioned, and charts never project beyond them. NULL: no bound.
    lower_bound REAL,
    upper_bound REAL,
    UNIQUE (project_id, slug)
) STRICT;

CREATE TABLE review (
    id           INTEGER PRIMARY KEY,
    date         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('weekly', 'skip-level', 'deep-dive')),
    reviewer_id  INTEGER REFERENCES engineer(id),
    notes        TEXT,
    created_at   TEXT    NOT NULL
) STRICT;

-- "Join that day's review of the same kind and reviewer" looks here.
CREATE INDEX review_by_day ON review (date, kind, reviewer_id);

CREATE TABLE point (
    id           INTEGER PRIMARY KEY,
    date         TEXT    NOT NULL,
    metric_id    INTEGER NOT NULL REFERENCES metric(id),
    engineer_id  INTEGER NOT NULL REFERENCES engineer(id),
    value        REAL    NOT NULL,
    -- Data discipline: an empty memo field once hid hundreds of billions a year.
    note         TEXT    NOT NULL CHECK (length(trim(note)) > 0),
    review_id    INTEGER REFERENCES review(id),
    created_at   TEXT    NOT NULL
) STRICT;

CREATE INDEX point_by_metric_date   ON point (metric_id, date);
CREATE INDEX point_by_engineer_date ON point (engineer_id, date);
CREATE INDEX point_by_review        ON point (review_id);

CREATE TABLE blocker (
    id           INTEGER PRIMARY KEY,
    category     TEXT    NOT NULL,
    text         TEXT    NOT NULL CHECK (length(trim(text)) > 0),
    project_id   INTEGER NOT NULL REFERENCES project(id),
    metric_id    INTEGER REFERENCES metric(id),
    engineer_id  INTEGER REFERENCES engineer(id),
    -- The data point that first cited it, so that export/import can round-trip it.
    point_id     INTEGER REFERENCES point(id),
    opened       TEXT    NOT NULL,
    resolved     TEXT,
    CHECK (resolved IS NULL OR resolved >= opened)
) STRICT;

CREATE INDEX blocker_by_point   ON blocker (point_id);
CREATE INDEX blocker_by_project ON blocker (project_id, resolved);

-- Every change of a deadline is a new row: the history of slips is the rows
-- of one scope in order. Resolution (met or missed) is derived from the data
-- points, never stored, so that it cannot disagree with them.
CREATE TABLE deadline (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES project(id),
    metric_id    INTEGER REFERENCES metric(id),
    due          TEXT    NOT NULL,
    probability  REAL CHECK (probability IS NULL OR (probability >= 0 AND probability <= 1)),
    reason       TEXT,
    set_on       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
) STRICT;

CREATE INDEX deadline_by_scope ON deadline (project_id, metric_id, id);

-- Derived data, never a source of truth: the organization's forecast
-- calibration as of a date (the replay of its own history), kept so that a
-- chart or a one-metric forecast need not replay the whole history again.
-- `data_version` digests the points and metric definitions it was computed
-- from; `engine` names the forecast engine. A row whose version or engine
-- differs from the current ones is ignored and replaced. Backups and exports
-- may leave this table out; doctor may empty it.
CREATE TABLE calibration_cache (
    as_of         TEXT NOT NULL PRIMARY KEY,
    engine        TEXT NOT NULL,
    data_version  TEXT NOT NULL,
    body          TEXT NOT NULL
) STRICT;

-- Corrections of the record (schema version 3). A reading is never updated
-- or deleted: an amendment or a retraction is a new fact about it, with the
-- reason, who made it and when. The current reading is the original with
-- every amendment laid over it in order (NULL: that field unchanged); a
-- retracted reading is gone from forecasts, reports and charts, and stays
-- in `point history` and the export.
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

-- Archiving (cancelled or superseded work) and un-archiving, as events: the
-- latest event of a project or metric says whether it is archived now.
-- Archived work is gone from forecasts, the report and the limiting factor,
-- and kept in lists, history and the export.
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
