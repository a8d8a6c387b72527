//! Schema versions and the steps between them.
//!
//! A fresh database is created straight from `schema.sql` (the whole current
//! schema). A database at an older version is brought forward by the steps
//! below, each run in one transaction together with the version bump, so an
//! upgrade either happens whole or not at all.

/// The whole current schema, embedded.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// The version `SCHEMA` describes.
pub const LATEST: i64 = 2;

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
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_per_version() {
        assert_eq!(STEPS.len() as i64, LATEST - 1);
    }
}
