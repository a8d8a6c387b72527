//! File formats limfac reads and writes: the import/export CSV and the ICS
//! calendar. (The JSON dump of the whole database is `store::dump`, since it
//! mirrors the tables.)
//!
//! May use: `core`, and the plain row types of `store`.
//! Must never touch: SQL, the command line (`cli`), rendering (`render`) or
//! the file system: a format reads from a `Read` and writes to a `Write`.

pub mod csv;
pub mod ics;
