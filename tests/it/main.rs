//! The integration tests: one binary (ripgrep and jj do the same), so that
//! SQLite, plotters, minijinja and rayon are linked once, not once per file.
//! Each module was a test file of its own; `common` drives the real binary on
//! temporary databases, `pgtest` gives the sync tests a PostgreSQL.
//!
//! Run one module with `cargo test --test it MODULE::`, e.g.
//! `cargo test --test it cli_report::`.

// Shared by the modules below.
mod common;
mod pgtest;

mod architecture;
mod chart_render;
mod cli_chart;
mod cli_corrections;
mod cli_daily_use;
mod cli_deadline;
mod cli_experience;
mod cli_forecast;
mod cli_import_export;
mod cli_interactive;
mod cli_record;
mod cli_report;
mod cli_terminal;
mod cli_week;
mod deadlines;
mod demo_data;
mod forecast_cache;
mod forecast_calibration;
mod forecast_reference;
mod ics;
mod limiting_ties;
mod perf_queries;
mod perf_scale;
mod readme_tour;
mod reliability_concurrency;
mod reliability_crash;
mod reliability_dataloss;
mod reliability_files;
mod reliability_hostile;
mod reliability_input;
mod reliability_props;
mod reliability_races;
mod reliability_resources;
mod report_snapshot;
mod sync_convergence;
mod sync_team;
