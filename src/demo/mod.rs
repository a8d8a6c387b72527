//! Data to try limfac on and to measure it with: the demo organization's
//! story and the large scale organization, and their loading into a
//! database.
//!
//! May use: `core`, `formats`, `platform`, and `store` (only in `load`, to
//! write the data through the store's ordinary paths, as a user's commands
//! would).
//! Must never touch: SQL itself, the command line (`cli`) or rendering.
//! The data is generated, deterministically, as plain values.

pub mod load;
pub mod scale;
pub mod story;
