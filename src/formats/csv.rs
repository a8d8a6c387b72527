//! The import/export CSV format (docs/spec.md §3): reading rows with every field
//! validated, and writing them back so that export → import round-trips.
//!
//! Columns, in any order: `date,project,metric,engineer,value,note` required;
//! `blocker` (one `CATEGORY:TEXT` per line of the cell), `kind`, `reviewer`,
//! for `--create-missing` `target,direction,tolerance,unit`, and
//! `blocker_resolved` (one line per blocker: its resolution date, or `open`)
//! optional.

use std::io::{Read, Write};

use chrono::NaiveDate;

use crate::core::error::UserError;
use crate::core::model::{Direction, Metric, Point, ReviewKind};
use crate::core::validate;
use crate::store::{ImportRow, StoredPoint};

/// Every column the format knows, in export order.
pub const COLUMNS: [&str; 14] = [
    "date",
    "project",
    "metric",
    "engineer",
    "value",
    "note",
    "blocker",
    "kind",
    "reviewer",
    "target",
    "direction",
    "tolerance",
    "unit",
    "blocker_resolved",
];
const REQUIRED: [&str; 6] = ["date", "project", "metric", "engineer", "value", "note"];

/// The longest row (the header included) an import reads, in bytes: room
/// for a note at its 10,000-character limit many times over, so that only a
/// broken file (a quote left open, a binary file) reaches it. Reading stops
/// there, so an import's memory follows one row, never the file.
pub const MAX_ROW_BYTES: u64 = 1 << 20;

/// Where each known column sits in the file.
struct Layout {
    index: [Option<usize>; 14],
    /// How many fields the header has; a row with more lost a value to an
    /// unquoted comma.
    width: usize,
}

impl Layout {
    fn from_header(header: &csv::ByteRecord) -> Result<Layout, UserError> {
        let mut index = [None; 14];
        for (pos, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw)
                .map_err(|_| UserError::new(format!("line 1: column {} is not valid UTF-8", pos + 1)))?;
            // A UTF-8 byte-order mark (as Excel writes) is not part of the name.
            let name = name.strip_prefix('\u{feff}').unwrap_or(name).trim();
            let Some(col) = COLUMNS.iter().position(|c| *c == name) else {
                return Err(UserError::new(format!("line 1: unknown column {}", validate::show(name)))
                    .hint(format!("known columns: {}", COLUMNS.join(","))));
            };
            if index[col].is_some() {
                return Err(UserError::new(format!("line 1: column '{name}' appears twice")));
            }
            index[col] = Some(pos);
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| index[COLUMNS.iter().position(|x| x == c).unwrap()].is_none())
            .collect();
        if !missing.is_empty() {
            return Err(UserError::new(format!("line 1: missing required column(s) {}", missing.join(", ")))
                .hint(format!("the header must include {}", REQUIRED.join(","))));
        }
        Ok(Layout { index, width: header.len() })
    }
}

/// Counts the newlines that pass through a reader, so that a record's line
/// number can be computed exactly: the csv crate's own line counter is off by
/// one for CRLF files and counts skipped blank lines lazily.
struct LineCounter<R> {
    inner: R,
    state: std::rc::Rc<std::cell::RefCell<Newlines>>,
}

#[derive(Default)]
struct Newlines {
    read: u64,
    /// Offsets of newlines not yet passed by a query, oldest first.
    pending: std::collections::VecDeque<u64>,
    /// Newlines already passed by a query.
    passed: u64,
    /// Where the bytes read so far leave the CSV quoting.
    quoting: Quoting,
    /// Offset of the first byte found right after a closing quote that is not
    /// a delimiter, terminator or second quote (`"a"b`), which the csv crate
    /// would silently glue onto the field.
    stray: Option<u64>,
    /// The input has ended.
    eof: bool,
    /// Offset of the first byte of the row being read (after the last
    /// record terminator outside quotes).
    row_start: u64,
}

/// The csv crate's quoting states, mirrored so that the defects it accepts
/// silently can be refused: a quote left open swallows the rest of the file
/// into one field, and text after a closing quote is glued onto the field.
#[derive(Default, Clone, Copy, PartialEq)]
enum Quoting {
    /// At the start of a field.
    #[default]
    Start,
    Unquoted,
    Quoted,
    /// Just after a quote inside a quoted field.
    QuoteInQuoted,
}

impl Newlines {
    fn scan(&mut self, buf: &[u8], base: u64) {
        // The csv crate drops a UTF-8 byte-order mark at the very start.
        let mut i = if base == 0 && buf.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
        while i < buf.len() {
            match self.quoting {
                Quoting::Quoted => match memchr::memchr(b'"', &buf[i..]) {
                    Some(j) => {
                        i += j + 1;
                        self.quoting = Quoting::QuoteInQuoted;
                    }
                    None => return,
                },
                Quoting::Unquoted => match memchr::memchr3(b',', b'\n', b'\r', &buf[i..]) {
                    Some(j) => {
                        if buf[i + j] != b',' {
                            self.row_start = base + (i + j) as u64 + 1;
                        }
                        i += j + 1;
                        self.quoting = Quoting::Start;
                    }
                    None => return,
                },
                state => {
                    let c = buf[i];
                    if matches!(c, b'\n' | b'\r') {
                        self.row_start = base + i as u64 + 1;
                    }
                    self.quoting = match (state, c) {
                        (_, b'"') => Quoting::Quoted,
                        (_, b',' | b'\n' | b'\r') => Quoting::Start,
                        (Quoting::QuoteInQuoted, _) => {
                            self.stray.get_or_insert(base + i as u64);
                            Quoting::Unquoted
                        }
                        _ => Quoting::Unquoted,
                    };
                    i += 1;
                }
            }
        }
    }

    /// The line the row being read starts on (without passing anything).
    fn row_line(&self) -> u64 {
        self.passed + self.pending.iter().take_while(|&&p| p < self.row_start).count() as u64 + 1
    }

    /// Newlines strictly before byte `pos` (queries never go backwards).
    fn before(&mut self, pos: u64) -> u64 {
        while self.pending.front().is_some_and(|&p| p < pos) {
            self.pending.pop_front();
            self.passed += 1;
        }
        self.passed
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.state.borrow_mut();
        let base = st.read;
        st.pending.extend(memchr::memchr_iter(b'\n', &buf[..n]).map(|i| base + i as u64));
        st.scan(&buf[..n], base);
        st.read += n as u64;
        if st.read - st.row_start > MAX_ROW_BYTES {
            // Stop reading: the csv reader would keep the whole row.
            return Err(std::io::Error::other(RowTooLong { line: st.row_line() }));
        }
        if n == 0 && !buf.is_empty() {
            st.eof = true;
        }
        Ok(n)
    }
}

/// The reader stopped at a row over [`MAX_ROW_BYTES`].
#[derive(Debug)]
struct RowTooLong {
    line: u64,
}

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is longer than {MAX_ROW_BYTES} bytes", self.line)
    }
}

impl std::error::Error for RowTooLong {}

fn too_long(e: &csv::Error) -> Option<&RowTooLong> {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref::<RowTooLong>()),
        _ => None,
    }
}

/// Reads a CSV import file, yielding validated rows; the first bad row ends
/// the stream with an error naming its line, column and value.
pub fn read_rows<R: Read>(input: R, today: NaiveDate) -> Rows<R> {
    let state = std::rc::Rc::new(std::cell::RefCell::new(Newlines::default()));
    let counted = LineCounter { inner: input, state: state.clone() };
    let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(counted);
    Rows { state, reader, layout: None, record: csv::ByteRecord::new(), failed: false, today }
}

/// The validated rows of a CSV import file (see [`read_rows`]).
pub struct Rows<R> {
    state: std::rc::Rc<std::cell::RefCell<Newlines>>,
    reader: csv::Reader<LineCounter<R>>,
    layout: Option<Layout>,
    record: csv::ByteRecord,
    failed: bool,
    today: NaiveDate,
}

impl<R: Read> Iterator for Rows<R> {
    type Item = Result<ImportRow, UserError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_reusing(None)
    }
}

impl<R: Read> Rows<R> {
    /// The next row, written into `spare` (a row done with) when given: its text buffers
    /// are reused, which spares a bulk import most of its allocations.
    pub fn next_reusing(&mut self, spare: Option<ImportRow>) -> Option<Result<ImportRow, UserError>> {
        let Rows { state, reader, layout, record, failed, today } = self;
        let today = *today;
        if *failed {
            return None;
        }
        loop {
            match reader.read_byte_record(record) {
                Ok(false) => {
                    if layout.is_none() {
                        *failed = true;
                        return Some(Err(UserError::new("the file is empty: no header row")
                            .hint(format!("the first line must name the columns, e.g. {}", REQUIRED.join(",")))));
                    }
                    return None;
                }
                Ok(true) => {}
                Err(e) => {
                    *failed = true;
                    if let Some(long) = too_long(&e) {
                        let which = if long.line == 1 { " (the header)" } else { "" };
                        return Some(Err(UserError::new(format!(
                            "line {}{which}: the row is longer than {} MiB, the limit for one row",
                            long.line,
                            MAX_ROW_BYTES >> 20
                        ))
                        .hint("a note holds at most 10,000 characters; a quote left open runs a value to the end of the file")));
                    }
                    let line = e.position().map(|p| p.line()).unwrap_or_else(|| reader.position().line());
                    return Some(Err(UserError::new(format!("line {line}: the CSV is malformed ({e})"))
                        .hint("check for a quote left open")));
                }
            }
            // The record ends just before the reader's position (its
            // terminator, or part of it, already consumed): its last line is
            // one more than the newlines before that, its first line fewer by
            // the newlines inside its quoted fields.
            let end = reader.position().byte().saturating_sub(1);
            let last_line = state.borrow_mut().before(end) + 1;
            // (The record's fields lie end to end in `as_slice`: one count for all of them.)
            let inside = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64;
            let line = last_line.saturating_sub(inside);
            {
                let mut st = state.borrow_mut();
                let problem = if st.stray.is_some_and(|at| at < reader.position().byte()) {
                    Some(
                        UserError::new(format!("line {line}: text follows a closing quote"))
                            .hint("a quote inside a quoted value is written twice: \"she said \"\"hi\"\"\""),
                    )
                } else if st.eof && st.quoting == Quoting::Quoted {
                    // The open value ran to the end of the file, newlines included.
                    let line = (st.before(reader.position().byte()) + 1).saturating_sub(inside);
                    Some(
                        UserError::new(format!("line {line}: a quoted value starting in this row is never closed"))
                            .hint("check for a quote left open"),
                    )
                } else {
                    None
                };
                if let Some(e) = problem {
                    *failed = true;
                    return Some(Err(e));
                }
            }
            let Some(lay) = &layout else {
                match Layout::from_header(record) {
                    Ok(l) => *layout = Some(l),
                    Err(e) => {
                        *failed = true;
                        return Some(Err(e));
                    }
                }
                continue;
            };
            // A wholly blank line (common at the end of hand-edited files) is skipped.
            if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                continue;
            }
            if record.len() > lay.width {
                *failed = true;
                return Some(Err(UserError::new(format!(
                    "line {line}: the row has {} fields but the header has {}",
                    record.len(),
                    lay.width
                ))
                .hint("a comma inside a value must be quoted, e.g. \"hello, world\"")));
            }
            let result = parse_row(lay, record, line, today, spare);
            if result.is_err() {
                *failed = true;
            }
            return Some(result);
        }
    }
}

/// A row's text buffers are reused up to this many bytes each; a longer one (a long note)
/// is given back, so that a row kept for reuse holds little.
const REUSED_BYTES: usize = 256;

/// `buf` holding `text`, reusing its allocation when it is small.
fn fill(buf: &mut String, text: &str) {
    if buf.capacity() > REUSED_BYTES {
        *buf = String::new();
    }
    buf.clear();
    buf.push_str(text);
}

/// An optional text in `slot`, reusing the buffer it held.
fn fill_opt(slot: &mut Option<String>, text: Option<&str>) {
    match text {
        Some(t) => fill(slot.get_or_insert_with(String::new), t),
        None => *slot = None,
    }
}

fn parse_row(
    lay: &Layout,
    rec: &csv::ByteRecord,
    line: u64,
    today: NaiveDate,
    spare: Option<ImportRow>,
) -> Result<ImportRow, UserError> {
    let at = |e: UserError, col: &str| {
        let mut u = UserError::new(format!("line {line}, column {col}: {}", e.message));
        u.hints = e.hints;
        u
    };
    // The whole record is checked for UTF-8 once (a call per field was 5% of the parsing);
    // a field is then a slice of it, provided it starts and ends between characters.
    let whole = std::str::from_utf8(rec.as_slice()).ok();
    let field = |col: usize| -> Result<Option<&str>, UserError> {
        let Some(pos) = lay.index[col] else { return Ok(None) };
        if let Some(s) = whole.zip(rec.range(pos)).and_then(|(w, r)| w.get(r)) {
            return Ok(Some(s));
        }
        let raw = rec.get(pos).ok_or_else(|| {
            UserError::new(format!(
                "line {line}: the row has {} fields but column '{}' is field {}",
                rec.len(),
                COLUMNS[col],
                pos + 1
            ))
        })?;
        let s = std::str::from_utf8(raw).map_err(|_| {
            UserError::new(format!("line {line}, column {}: the text is not valid UTF-8", COLUMNS[col]))
        })?;
        Ok(Some(s))
    };
    let required = |col: usize| -> Result<&str, UserError> { Ok(field(col)?.expect("required column present")) };
    let optional = |col: usize| -> Result<Option<&str>, UserError> { Ok(field(col)?.filter(|s| !s.is_empty())) };

    let mut row = spare.unwrap_or_default();
    // Every field is set below: a field added to the row breaks this destructuring, so that
    // no value of the row reused can be left over.
    let ImportRow { line: at_line, point, blockers, resolved, kind, reviewer, target, direction, tolerance, unit } =
        &mut row;
    let Point { date, project, metric, engineer, value, note, review } = point;
    *at_line = line;
    *date = validate::date("date", required(0)?, today).map_err(|e| at(e, "date"))?;
    fill(project, validate::slug_str("project", required(1)?).map_err(|e| at(e, "project"))?);
    fill(metric, validate::slug_str("metric", required(2)?).map_err(|e| at(e, "metric"))?);
    fill(engineer, validate::handle_str("engineer", required(3)?).map_err(|e| at(e, "engineer"))?);
    *value = validate::number("value", required(4)?).map_err(|e| at(e, "value"))?;
    fill(note, &validate::note_str("note", required(5)?).map_err(|e| at(e, "note"))?);
    *review = None;
    blockers.clear();
    if let Some(cell) = optional(6)? {
        for part in cell.split('\n').map(|p| p.trim_end_matches('\r')).filter(|p| !p.trim().is_empty()) {
            blockers.push(validate::blocker("blocker", part).map_err(|e| at(e, "blocker"))?);
        }
    }
    *kind = optional(7)?
        .map(|k| k.parse::<ReviewKind>().map_err(|e| at(UserError::new(format!("kind {e}")), "kind")))
        .transpose()?;
    let handle =
        optional(8)?.map(|h| validate::handle_str("reviewer", h).map_err(|e| at(e, "reviewer"))).transpose()?;
    fill_opt(reviewer, handle);
    *target = optional(9)?.map(|v| validate::number("target", v).map_err(|e| at(e, "target"))).transpose()?;
    *direction = optional(10)?
        .map(|d| d.parse::<Direction>().map_err(|e| at(UserError::new(format!("direction {e}")), "direction")))
        .transpose()?;
    *tolerance =
        optional(11)?.map(|v| validate::tolerance("tolerance", v).map_err(|e| at(e, "tolerance"))).transpose()?;
    let text = optional(12)?.map(|u| validate::text_str("unit", u).map_err(|e| at(e, "unit"))).transpose()?;
    fill_opt(unit, text);
    *resolved = match optional(13)? {
        None => Vec::new(),
        Some(cell) => resolutions(cell, blockers.len(), *date, today).map_err(|e| at(e, "blocker_resolved"))?,
    };
    Ok(row)
}

/// The `blocker_resolved` cell: one line per blocker of the row, in the
/// order of the `blocker` cell, each a resolution date (on or after the
/// reading's date, not in the future) or `open`.
fn resolutions(
    cell: &str,
    blockers: usize,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Option<NaiveDate>>, UserError> {
    let lines: Vec<&str> = cell.split('\n').map(|l| l.trim_end_matches('\r').trim()).collect();
    let hint = "write one line per blocker, in the order of the blocker column: its resolution date, or open";
    if lines.len() != blockers {
        return Err(UserError::new(format!(
            "{} gives {} line(s) for {blockers} blocker(s)",
            validate::show(cell),
            lines.len()
        ))
        .hint(hint));
    }
    lines
        .into_iter()
        .map(|l| {
            if l.is_empty() || l.eq_ignore_ascii_case("open") {
                return Ok(None);
            }
            let d = validate::date("blocker_resolved", l, today).map_err(|e| e.hint(hint))?;
            if d < date {
                return Err(UserError::new(format!("{} is before the reading's date {date}", validate::show(l)))
                    .hint("a blocker is opened by the reading that cites it, and resolved on or after that day"));
            }
            Ok(Some(d))
        })
        .collect()
}

/// Writes points in the import format, with each metric's definition on
/// every row so that importing into an empty database with
/// `--create-missing` recreates the metrics too.
pub fn write_rows<W: Write>(out: W, points: &[StoredPoint], metrics: &[Metric]) -> csv::Result<()> {
    let mut w = RowWriter::new(out, metrics)?;
    for p in points {
        w.write(p)?;
    }
    w.finish()
}

/// [`write_rows`] a point at a time: the header first, then each point as it comes.
pub struct RowWriter<'a, W: Write> {
    by_key: std::collections::HashMap<(&'a str, &'a str), &'a Metric>,
    w: csv::Writer<W>,
}

impl<'a, W: Write> RowWriter<'a, W> {
    pub fn new(out: W, metrics: &'a [Metric]) -> csv::Result<RowWriter<'a, W>> {
        let by_key = metrics.iter().map(|m| ((m.project.as_str(), m.metric.as_str()), m)).collect();
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS)?;
        Ok(RowWriter { by_key, w })
    }

    pub fn write(&mut self, p: &StoredPoint) -> csv::Result<()> {
        let m = self.by_key.get(&(p.point.project.as_str(), p.point.metric.as_str()));
        self.w.write_record([
            p.point.date.format("%Y-%m-%d").to_string(),
            p.point.project.clone(),
            p.point.metric.clone(),
            p.point.engineer.clone(),
            p.point.value.to_string(),
            p.point.note.clone(),
            crate::core::model::cited(&p.blockers).join("\n"),
            p.kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
            p.reviewer.clone().unwrap_or_default(),
            m.map(|m| m.target.to_string()).unwrap_or_default(),
            m.map(|m| m.direction.to_string()).unwrap_or_default(),
            m.map(|m| m.tolerance.to_string()).unwrap_or_default(),
            m.and_then(|m| m.unit.clone()).unwrap_or_default(),
            resolved_cell(&p.resolved),
        ])
    }

    pub fn finish(mut self) -> csv::Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

/// The `blocker_resolved` cell for a point's blockers: empty while all are
/// open, else one line per blocker (a date, or `open`).
pub fn resolved_cell(resolved: &[Option<NaiveDate>]) -> String {
    if resolved.iter().all(Option::is_none) {
        return String::new();
    }
    let lines: Vec<String> =
        resolved.iter().map(|r| r.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "open".into())).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn rows(s: &str) -> Vec<Result<ImportRow, UserError>> {
        read_rows(s.as_bytes(), today()).collect()
    }

    #[test]
    fn columns_in_any_order_with_bom_and_crlf() {
        let r = rows("\u{feff}note,value,engineer,metric,project,date\r\n\"a, \"\"b\"\"\",1.5,al,m,p,2026-01-05\r\n");
        assert_eq!(r.len(), 1);
        let row = r[0].as_ref().unwrap();
        assert_eq!(row.point.note, "a, \"b\"");
        assert_eq!(row.point.value, 1.5);
        assert_eq!(row.line, 2);
    }

    #[test]
    fn line_numbers_count_blank_lines_crlf_and_quoted_newlines() {
        let body = "date,project,metric,engineer,value,note\r\n\r\n2026-01-05,p,m,al,1,\"two\r\nlines\"\r\n2026-01-06,p,m,al,x,bad\r\n";
        let r = rows(body);
        assert_eq!(r[0].as_ref().unwrap().line, 3);
        let e = r[1].as_ref().unwrap_err();
        assert!(e.message.starts_with("line 5, column value"), "{}", e.message);
        let r = rows("date,project,metric,engineer,value,note\n\n\n2026-01-05,p,m,al,1,n\n2026-01-06,p,m,al,1,n");
        assert_eq!(r[0].as_ref().unwrap().line, 4);
        assert_eq!(r[1].as_ref().unwrap().line, 5);
    }

    #[test]
    fn bad_rows_name_line_column_and_value() {
        let r = rows("date,project,metric,engineer,value,note\n2026-01-05,p,m,al,1,ok\n2026-02-30,p,m,al,1,ok\n");
        let e = r[1].as_ref().unwrap_err();
        assert!(e.message.contains("line 3, column date"), "{}", e.message);
        assert!(e.message.contains("2026-02-30"), "{}", e.message);
    }

    #[test]
    fn header_problems() {
        let e = rows("date,project,metric,engineer,value\n")[0].clone().unwrap_err();
        assert!(e.message.contains("missing required column(s) note"), "{}", e.message);
        let e = rows("date,project,metric,engineer,value,note,note\n")[0].clone().unwrap_err();
        assert!(e.message.contains("twice"));
        let e = rows("date,project,metric,engineer,value,note,colour\n")[0].clone().unwrap_err();
        assert!(e.message.contains("unknown column 'colour'"));
        let e = rows("")[0].clone().unwrap_err();
        assert!(e.message.contains("empty"));
    }

    #[test]
    fn quoting_defects_and_extra_fields_are_refused() {
        let h = "date,project,metric,engineer,value,note\n";
        // A quote left open would swallow the rest of the file into one note.
        let r = rows(&format!("{h}2026-01-05,p,m,al,1,\"open note\n2026-01-06,p,m,al,2,b\n"));
        let e = r[0].as_ref().unwrap_err();
        assert!(e.message.starts_with("line 2: a quoted value starting in this row is never closed"), "{}", e.message);
        let r = rows(&format!("{h}2026-01-05,p,m,al,1,ok\n\""));
        assert!(r[0].is_ok());
        assert!(r[1].as_ref().unwrap_err().message.starts_with("line 3: a quoted value"), "{:?}", r[1]);
        // Text after a closing quote would be glued onto the value.
        let r = rows(&format!("{h}2026-01-05,p,m,al,1,ok\n2026-01-05,p,m,al,1,\"he said \"hi\" there\"\n"));
        assert!(r[0].is_ok());
        let e = r[1].as_ref().unwrap_err();
        assert!(e.message.starts_with("line 3: text follows a closing quote"), "{}", e.message);
        // An unquoted comma would silently cut the note short.
        let r = rows(&format!("{h}2026-01-05,p,m,al,1,hello, world\n"));
        let e = r[0].as_ref().unwrap_err();
        assert!(e.message.starts_with("line 2: the row has 7 fields but the header has 6"), "{}", e.message);
        // Correct quoting is untouched: doubled quotes, quoted newlines, empty quoted fields.
        let r = rows(&format!(
            "{h}2026-01-05,p,m,al,1,\"a \"\"b\"\"\nc, d\"\r\n\"2026-01-06\",p,m,al,\"2\",\"\"\"x\"\"\"\n"
        ));
        assert_eq!(r[0].as_ref().unwrap().point.note, "a \"b\"\nc, d");
        assert_eq!(r[1].as_ref().unwrap().point.note, "\"x\"");
    }
}
