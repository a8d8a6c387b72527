//! What limfac asks of the machine: the clock (pinned by `LIMFAC_NOW`),
//! files written without losing or exposing data, and freed memory given back.
//!
//! May use: `core` (its error type and date bounds).
//! Must never touch: SQL, the command line (`cli`) or rendering (`render`).

pub mod clock;
pub mod files;
pub mod memory;
pub mod paths;
