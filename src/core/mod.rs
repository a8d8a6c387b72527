//! The pure core: what limfac knows and decides, as plain data in and plain
//! data out.
//!
//! May use: the standard library (no I/O), `chrono`, `serde`, `rand`, `rayon`
//! and the other modules of `core`.
//! Must never touch: SQLite (`store`, `sync`), the command line (`cli`,
//! `clap`), rendering (`render`), files, the environment, the system clock
//! or a terminal. Everything it needs is passed in; "today" is an argument.

pub mod analysis;
pub mod deadlines;
pub mod error;
pub mod forecast;
pub mod limiting;
pub mod model;
pub mod plausible;
pub mod report;
pub mod suggest;
pub mod validate;
