-- limfac schema, version 5: the whole current schema.
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
    created_at  TEXT    NOT NULL,
    uid         TEXT,
    seq         INTEGER
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
    uid         TEXT,
    seq         INTEGER,
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
    uid         TEXT,
    seq         INTEGER,
    UNIQUE (project_id, slug)
) STRICT;


CREATE TABLE review (
    id           INTEGER PRIMARY KEY,
    date         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('weekly', 'skip-level', 'deep-dive')),
    reviewer_id  INTEGER REFERENCES engineer(id),
    notes        TEXT,
    created_at   TEXT    NOT NULL,
    uid         TEXT,
    seq         INTEGER
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
    created_at   TEXT    NOT NULL,
    uid         TEXT,
    seq         INTEGER
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
    uid         TEXT,
    seq         INTEGER,
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
    created_at   TEXT    NOT NULL,
    uid         TEXT,
    seq         INTEGER
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
    uid          TEXT,
    seq          INTEGER,
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
    created_at   TEXT    NOT NULL,
    uid          TEXT,
    seq          INTEGER
) STRICT;

CREATE INDEX archive_event_by_scope ON archive_event (project_id, metric_id, id);

-- Team sync (schema version 4; see src/sync/ and README "Working as a team").
--
-- Every synced row carries `uid`, a UUIDv7 made on this machine when the row
-- is written (the server's id for it; rows older than version 4 got one from
-- their creation time), and `seq`, the server's change sequence of a row
-- pulled from the server (NULL for a row written here). Rows written here
-- are pushed once: `sync_state` keeps, per table, the highest local id
-- pushed, and projects, engineers and metrics not yet on the server have no
-- `seq`.

-- (Created after the tables above, so that a new database keeps their pages
-- where earlier versions had them.)
CREATE UNIQUE INDEX project_uid ON project (uid);
CREATE UNIQUE INDEX engineer_uid ON engineer (uid);
CREATE UNIQUE INDEX metric_uid ON metric (uid);
CREATE UNIQUE INDEX review_uid ON review (uid);
CREATE UNIQUE INDEX point_uid ON point (uid);
CREATE UNIQUE INDEX blocker_uid ON blocker (uid);
CREATE UNIQUE INDEX deadline_uid ON deadline (uid);
CREATE UNIQUE INDEX correction_uid ON correction (uid);
CREATE UNIQUE INDEX archive_event_uid ON archive_event (uid);

-- Settings and bookkeeping: `remote` (the server URL, never with a password),
-- `cursor` (the last server sequence pulled), `pushed:TABLE` (the highest
-- local id pushed), `last_sync`, `server_version`.
CREATE TABLE sync_state (
    key    TEXT NOT NULL PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;

-- Every edit of a project's, engineer's or metric's field, made here or
-- pulled: the history, with the losing values of conflicts. `base` is the
-- edit (or the creation: the entity's uid) the value replaced; the server
-- accepts an edit only when `base` is still the field's latest accepted edit
-- (first to reach the server wins) and records `outcome` and `lost_to`.
-- An edit made here has no `seq` until it is pushed.
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

-- The server's value of each entity field as last synced, and the edit that
-- set it: a local value that differs from it is an edit to push.
CREATE TABLE sync_field (
    entity_uid  TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    holder      TEXT NOT NULL,
    PRIMARY KEY (entity_uid, field)
) STRICT, WITHOUT ROWID;

-- Resolutions of blockers as facts (the server keeps every one; a blocker is
-- resolved on the earliest date any reviewer gave). `seq` NULL: not pushed.
CREATE TABLE sync_resolution (
    uid          TEXT NOT NULL PRIMARY KEY,
    blocker_uid  TEXT NOT NULL,
    resolved     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    seq          INTEGER
) STRICT;

CREATE INDEX sync_resolution_by_blocker ON sync_resolution (blocker_uid);

-- Derived data (schema version 5), never a source of truth, like
-- `calibration_cache`: doctor --rebuild-cache empties and refills it, backups
-- and exports leave it out. Every metric's forecast as of a date, so that the
-- weekly report forecasts only what changed since the last run.
--
-- An entry counts only while everything its forecast depends on is as it was:
-- `engine` (the forecast engine's version) and `inputs` (the metric's
-- `PROJECT/METRIC`, target, direction and tolerance, the horizon and the
-- number of simulated paths) are equal, and no reading of the metric dated on
-- or before `as_of` was added since (`point_mark`: the highest point id when
-- it was computed; ids only grow and readings are never deleted) nor any of
-- its readings corrected (`correction_mark`). `fitted` holds what the readings
-- decide (curves, verdict, the timing model's inputs, plus how much of the gap
-- is open and who reported it last); `dated` the dates and simulated
-- completions under the calibration named by `calibration` (a digest), which
-- are redone from `fitted` alone when the calibration changes. `variant` 1
-- carries the value fan charts draw, 0 does not.
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

-- When each as-of date's entries were last used: the cache keeps the few
-- most recently used dates and drops the rest.
CREATE TABLE forecast_cache_use (
    as_of    TEXT    NOT NULL,
    variant  INTEGER NOT NULL,
    used     TEXT    NOT NULL,
    PRIMARY KEY (as_of, variant)
) STRICT;

-- The self-calibration's replayed forecasts: what the timing model read of a
-- metric's forecast at a past date (`origin`), which depends on its readings
-- up to that date only, so that a new week's outcomes re-score the record
-- without replaying the history. Valid on the same terms as forecast_cache,
-- with `origin` in place of `as_of`.
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
