//! Writing the files limfac makes (`--out` exports, reports, charts,
//! calendars, CSVs, backups, the demo database) without ever losing or
//! exposing data:
//!
//! - A regular file is written to a temporary sibling with an unpredictable
//!   name, created with O_EXCL (so a planted symlink or file is never
//!   followed or reused) and mode 0600, synced, then renamed over the
//!   target: a reader never sees half a file, and a failed write (a full
//!   disk) leaves the old file as it was and no temporary file behind.
//! - A FIFO or character device (`/dev/null`, `/dev/stdout`, a pipe made
//!   with `mkfifo`) is written to directly and never replaced.
//! - A symbolic link, a block device or a socket is refused.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::core::error::UserError;

/// What an output path names now.
enum Existing {
    /// Nothing, or a regular file: write a temporary sibling and rename it.
    Replaceable,
    /// A FIFO or character device: write into it, never replace it.
    Special,
}

/// Where a file at `path` goes: its folder (`.` for a bare name).
fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// "the folder does not exist", with the command that creates it.
pub fn missing_folder(flag: &str, path: &Path, dir: &Path) -> anyhow::Error {
    let flag = if flag.is_empty() { String::new() } else { format!("{flag} ") };
    crate::core::error::UserError::new(format!("{flag}{}: the folder {} does not exist", path.display(), dir.display()))
        .hint(format!("create it first: mkdir -p {}", dir.display()))
        .into()
}

/// Refuses an output path that is a directory or in a folder that does not exist.
pub fn check_out_path(flag: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        crate::user_bail!("{flag} {} is a directory; give a file name", path.display());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(missing_folder(flag, path, dir));
        }
    }
    inspect(flag, path).map(|_| ())
}

fn inspect(flag: &str, path: &Path) -> Result<Existing> {
    let shown = path.display();
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Replaceable),
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {flag} {shown}")),
        Ok(m) => m,
    };
    let t = meta.file_type();
    if t.is_symlink() {
        // `/dev/stdout` is a link to whatever standard output is: a pipe or a
        // terminal is written into; anything else behind a link is refused,
        // so that a link planted in a shared folder cannot redirect a write.
        if let Ok(target) = fs::metadata(path) {
            let tt = target.file_type();
            if tt.is_fifo() || tt.is_char_device() {
                return Ok(Existing::Special);
            }
        }
        let to = fs::read_link(path).map(|p| p.display().to_string()).unwrap_or_else(|_| "?".into());
        return Err(UserError::new(format!(
            "{flag} {shown} is a symbolic link (to {to}); limfac does not write through links"
        ))
        .hint("give the path of the file itself, or a new file name")
        .into());
    }
    if t.is_dir() {
        crate::user_bail!("{flag} {shown} is a directory; give a file name");
    }
    if t.is_file() {
        if let Some(what) = database_file(path) {
            // One slip (`export --out limfac.db`, tab completion picking the `.db`) would
            // otherwise replace a whole database with a CSV, the one in use included.
            return Err(UserError::new(format!(
                "{flag} {shown} is {what}; limfac never writes an export, report or chart over a database"
            ))
            .hint("give a new file name, e.g. one ending in .csv, .md, .html, .ics or .png")
            .into());
        }
        return Ok(Existing::Replaceable);
    }
    if t.is_fifo() || t.is_char_device() {
        return Ok(Existing::Special);
    }
    let what = if t.is_block_device() { "a block device" } else { "a socket" };
    Err(UserError::new(format!("{flag} {shown} is {what}; limfac writes only regular files, pipes and terminals"))
        .hint("give a file name")
        .into())
}

/// What SQLite file `path` is, if it is one: a database (the header every SQLite database
/// starts with), its write-ahead log or rollback journal (their magic numbers), or the shared
/// memory index beside a database (no header of its own: known by its name).
fn database_file(path: &Path) -> Option<&'static str> {
    const DATABASE: &[u8] = b"SQLite format 3\0";
    const WAL: [[u8; 4]; 2] = [[0x37, 0x7f, 0x06, 0x82], [0x37, 0x7f, 0x06, 0x83]];
    const JOURNAL: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
    let mut head = [0u8; 16];
    let n = fs::File::open(path).and_then(|mut f| io::Read::read(&mut f, &mut head)).unwrap_or(0);
    let head = &head[..n];
    if head.starts_with(DATABASE) {
        return Some("a SQLite database");
    }
    if WAL.iter().any(|m| head.starts_with(m)) {
        return Some("a SQLite database's write-ahead log");
    }
    if head.starts_with(&JOURNAL) {
        return Some("a SQLite database's journal");
    }
    let name = path.file_name()?.to_str()?;
    let main =
        name.strip_suffix("-shm").or_else(|| name.strip_suffix("-wal")).or_else(|| name.strip_suffix("-journal"))?;
    database_file(&path.with_file_name(main)).map(|_| "a file of the SQLite database beside it")
}

/// A new, empty temporary file beside `path` (same folder, so that it can
/// be renamed over `path`): unpredictable name, created with O_EXCL, mode
/// 0600. Deleted when dropped unless persisted.
pub fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = folder(path);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| {
            format!("cannot write {}: cannot create a temporary file in {}", path.display(), dir.display())
        })
}

/// Writes `path` through `write` (see the module notes): all or nothing for
/// a regular file, straight into a FIFO or character device.
pub fn write_with(flag: &str, path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    check_out_path(flag, path)?;
    let fail = || format!("cannot write {}", path.display());
    match inspect(flag, path)? {
        Existing::Special => {
            let f = fs::OpenOptions::new().write(true).open(path).with_context(fail)?;
            let mut w = io::BufWriter::new(f);
            write(&mut w).with_context(fail)?;
            w.flush().with_context(fail)?;
        }
        Existing::Replaceable => {
            let tmp = temp_beside(path)?;
            let mut w = io::BufWriter::with_capacity(1 << 16, tmp);
            write(&mut w).with_context(fail)?;
            let tmp = w.into_inner().map_err(|e| e.into_error()).with_context(fail)?;
            tmp.as_file().sync_all().with_context(fail)?;
            tmp.persist(path).map_err(|e| e.error).with_context(fail)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` (see [`write_with`]).
pub fn write_private(flag: &str, path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(flag, path, |w| Ok(w.write_all(bytes)?))
}

/// Refuses a path that must become a new file (a backup): anything already
/// there, a dangling symbolic link included.
pub fn check_new_file(flag: &str, path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {flag} {}", path.display())),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(UserError::new(format!(
                "{flag} {} is a symbolic link; limfac does not write through links",
                path.display()
            ))
            .hint("give the path of a new file")
            .into())
        }
        Ok(_) => crate::user_bail!("{flag} {} already exists; choose a new file name", path.display()),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(missing_folder(flag, path, dir));
        }
    }
    Ok(())
}

/// Creates folder `dir` and any missing parents, readable only by their
/// owner (0700): the database and the demo's charts hold notes about people.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// `path` with `suffix` appended to its file name (`x.db` → `x.db-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// The longest template limfac reads.
pub const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

/// Reads a small text file the user names (a report template), refusing
/// anything but a regular file without ever blocking: the file is opened
/// with O_NONBLOCK, so a FIFO with no writer cannot hang the command, and
/// checked after opening, so it cannot be swapped in between.
pub fn read_small_text(path: &Path, limit: u64) -> Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let f = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(UserError::new(format!("{shown} is not a regular file")).hint("give a template file").into());
    }
    if meta.len() > limit {
        return Err(UserError::new(format!("{shown} is {} bytes; the limit is {limit}", meta.len())).into());
    }
    let mut text = String::new();
    f.take(limit + 1).read_to_string(&mut text).map_err(|e| anyhow::anyhow!("{shown} is not UTF-8 text ({e})"))?;
    if text.len() as u64 > limit {
        return Err(UserError::new(format!("{shown} is larger than {limit} bytes")).into());
    }
    Ok(text)
}
