//! Data to try limfac on and to measure it with: the demo organization's
//! story and the large scale organization.
//!
//! May use: `core`.
//! Must never touch: SQL (`store`), the command line (`cli`) or rendering.
//! The data is generated, deterministically, as plain values.

pub mod scale;
pub mod story;
