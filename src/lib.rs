//! limfac: turn what is heard in weekly engineering reviews into three
//! decisions — is each piece of work converging or diverging, what is the one
//! limiting factor this week, and which deadline has a 50% chance.
//!
//! The layers, each a folder (see `docs/architecture.md`):
//!
//! - [`core`]: the pure core — the model, forecasting, the limiting factor,
//!   deadlines, validation. Plain data in, plain data out.
//! - [`formats`]: the CSV and ICS formats (pure text in and out).
//! - [`platform`]: what limfac asks of the machine — the clock, files
//!   written safely.
//! - [`store`]: the SQLite file, the only place that speaks SQL (besides
//!   [`sync`]).
//! - [`sync`]: the team sync through a shared PostgreSQL.
//! - [`render`]: terminal tables, charts, report templates.
//! - [`demo`]: the demo organization and the scale data.
//! - [`cli`]: the command line — arguments, one module per command,
//!   completion, configuration, error messages and exit codes.

pub mod cli;
pub mod core;
pub mod demo;
pub mod formats;
pub mod platform;
pub mod render;
pub mod store;
pub mod sync;
