//! Everything that draws: terminal output and tables, the charts (plotters
//! with an embedded font), the data the charts are drawn from, and the report
//! templates.
//!
//! May use: `core` and `formats`.
//! Must never touch: SQL (`store`, `sync`) or the command line (`cli`).
//! Rendering takes data and returns text or bytes (or writes to the
//! terminal through `output::Output`); it never opens the database.

pub mod chart;
pub mod chart_data;
pub mod output;
pub mod template;
