//! Writing to the terminal or a pipe: tables, JSON, colour only where it
//! belongs, and a closed pipe treated as a normal end (`limfac report | head`).

use std::io::{self, IsTerminal, Write};

use comfy_table::{Cell, ContentArrangement, LineStyle};
use serde::Serialize;

/// Where a command's results go.
pub struct Output {
    out: Box<dyn Write>,
    /// Colour and symbols: only on a terminal and never with `NO_COLOR`.
    pub color: bool,
    /// `--quiet`: no confirmations or progress on stderr.
    pub quiet: bool,
}

impl Output {
    pub fn stdout(quiet: bool) -> Output {
        let stdout = io::stdout();
        let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Output { out: Box::new(io::BufWriter::new(stdout.lock())), color, quiet }
    }

    /// An output into a buffer (for tests of rendering).
    pub fn buffer(buf: Box<dyn Write>) -> Output {
        Output { out: buf, color: false, quiet: true }
    }

    /// A line for people: invisible and direction-changing characters
    /// (kept in notes) are shown escaped, so they cannot reorder the text
    /// around them.
    pub fn line(&mut self, s: impl AsRef<str>) -> io::Result<()> {
        self.out.write_all(visible(s.as_ref()).as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// Standard output (or the test buffer) itself, for what is written as it is made.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut *self.out
    }

    pub fn raw(&mut self, s: &[u8]) -> io::Result<()> {
        self.out.write_all(s)
    }

    /// Pretty JSON and a newline: the only thing on stdout with `--json`.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> anyhow::Result<()> {
        serde_json::to_writer_pretty(&mut self.out, value)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    pub fn table(&mut self, table: &Table) -> io::Result<()> {
        self.line(table.render(terminal_width()))
    }

    /// A line of prose indented two spaces, word-wrapped to the terminal's
    /// width (continuation lines indented six) so that the terminal never
    /// breaks a name or a date; one line in a pipe.
    pub fn paragraph(&mut self, s: impl AsRef<str>) -> io::Result<()> {
        let text = match terminal_width() {
            Some(w) => wrap(s.as_ref(), w, 2, 6),
            None => format!("  {}", s.as_ref()),
        };
        self.line(text)
    }

    /// A line of prose word-wrapped to the terminal's width, so that the
    /// terminal never breaks a name or a date; one line in a pipe.
    pub fn text(&mut self, s: impl AsRef<str>) -> io::Result<()> {
        let text = match terminal_width() {
            Some(w) => wrap(s.as_ref(), w, 0, 0),
            None => s.as_ref().to_string(),
        };
        self.line(text)
    }

    /// A table cell in colour, when colour is on (comfy-table styles the cell
    /// itself, so the colour codes never count towards the column's width).
    pub fn cell(&self, s: impl Into<String>, color: Color) -> Cell {
        let cell = Cell::new(s.into());
        if !self.color {
            return cell;
        }
        match color {
            Color::Red => cell.fg(comfy_table::Color::Red),
            Color::Green => cell.fg(comfy_table::Color::Green),
            Color::Yellow => cell.fg(comfy_table::Color::Yellow),
            Color::Blue => cell.fg(comfy_table::Color::Blue),
            Color::Dim => cell.fg(comfy_table::Color::DarkGrey),
            Color::Bold => cell.add_attribute(comfy_table::Attribute::Bold),
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// A confirmation for people, on stderr so that stdout stays data.
    pub fn note(&self, s: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", s.as_ref());
        }
    }

    /// Paints `s` in an ANSI colour when colour is on.
    pub fn paint(&self, s: &str, color: Color) -> String {
        if self.color {
            format!("\x1b[{}m{s}\x1b[0m", color.code())
        } else {
            s.to_string()
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Color {
    Red,
    Green,
    Yellow,
    Blue,
    Dim,
    Bold,
}

impl Color {
    fn code(self) -> &'static str {
        match self {
            Color::Red => "31",
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Blue => "34",
            Color::Dim => "2",
            Color::Bold => "1",
        }
    }
}

/// Columns of free prose (reasons, notes, blocker texts): they wrap, or
/// leave the table for paragraphs under it when the terminal is too narrow.
const PROSE: &[&str] = &["why", "note", "notes", "reason", "text", "blockers"];

/// Columns of readable names, which may wrap between words if need be.
/// Every other cell (slugs, `project/metric` names, dates, numbers,
/// statuses) is always kept whole on one line.
const SOFT: &[&str] = &["name", "owner", "depends on", "chance when set", "chance now", "raised by"];

/// Narrower than this, a prose column is printed under the table instead.
const MIN_PROSE: usize = 24;

/// A table in limfac's house style: a header rule, no boxes. On a terminal
/// it fits the terminal's width (asked of the terminal, not of `$COLUMNS`,
/// which shells do not export) without breaking a name, a date or a number;
/// in a pipe each row stays on one line so that grep and cut see whole rows.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

pub fn table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Table { header: header.into_iter().map(Into::into).collect(), rows: Vec::new() }
}

impl Table {
    pub fn add_row<T: Into<Cell>>(&mut self, row: impl IntoIterator<Item = T>) -> &mut Table {
        self.rows.push(row.into_iter().map(Into::into).collect());
        self
    }

    /// The table as text: fitted to `width` columns when given.
    pub fn render(&self, width: Option<usize>) -> String {
        let all: Vec<usize> = (0..self.header.len()).collect();
        let Some(width) = width else { return self.build(&all).to_string() };
        let prose: Vec<usize> = all.iter().copied().filter(|&i| PROSE.contains(&self.header[i].as_str())).collect();
        if let Some(text) = self.fit(&all, width, MIN_PROSE) {
            return text;
        }
        // The prose goes under the table, one paragraph per row, wrapped.
        let kept: Vec<usize> = all.iter().copied().filter(|i| !prose.contains(i)).collect();
        let mut text = self.fit(&kept, width, 0).unwrap_or_else(|| {
            // Even the names and dates alone are too wide: wrap what must be.
            let mut t = self.build(&kept);
            t.set_content_arrangement(ContentArrangement::Dynamic).set_width(width as u16);
            t.to_string()
        });
        for &i in &prose {
            if self.rows.iter().all(|r| r.get(i).is_none_or(|c| c.content().trim().is_empty())) {
                continue;
            }
            text.push_str(&format!("\n\n{}:", self.header[i]));
            for row in &self.rows {
                let Some(cell) = row.get(i).map(Cell::content).filter(|c| !c.trim().is_empty()) else { continue };
                let key = row.first().map(Cell::content).unwrap_or_default();
                text.push('\n');
                text.push_str(&wrap(&format!("{key}: {cell}"), width, 2, 6));
            }
        }
        text
    }

    /// The given columns in `width`, when they fit with every hard column
    /// whole, each readable name no narrower than its longest word, and
    /// each prose column at least `min_prose` wide.
    fn fit(&self, columns: &[usize], width: usize, min_prose: usize) -> Option<String> {
        let natural = self.build(columns).to_string();
        let natural_width = max_width(&natural);
        if natural_width <= width {
            return Some(natural);
        }
        let class = |i: usize| {
            let h = self.header[i].as_str();
            if PROSE.contains(&h) {
                2
            } else if SOFT.contains(&h) {
                1
            } else {
                0
            }
        };
        // The narrowest each column may be: a hard column its widest value
        // (its header may wrap between words), a readable name its longest
        // word, prose at least `min_prose`.
        let least = |i: usize| match class(i) {
            2 => min_prose.max(self.longest_word(i)),
            1 => self.longest_word(i),
            _ => self.data_width(i).max(longest(&self.header[i])),
        };
        let spacing = natural_width - columns.iter().map(|&i| self.content_width(i)).sum::<usize>();
        if spacing + columns.iter().map(|&i| least(i)).sum::<usize>() > width {
            return None;
        }
        let mut t = self.build(columns);
        t.set_content_arrangement(ContentArrangement::Dynamic).set_width(width as u16);
        // comfy-table's widths count the cell's padding, one space each side.
        let fixed = |w: usize| comfy_table::Width::Fixed((w + 2).min(u16::MAX as usize) as u16);
        for (pos, &i) in columns.iter().enumerate() {
            let Some(c) = t.column_mut(pos) else { continue };
            let constraint = match class(i) {
                0 => comfy_table::ColumnConstraint::Boundaries {
                    lower: fixed(least(i)),
                    upper: fixed(self.content_width(i)),
                },
                _ => comfy_table::ColumnConstraint::LowerBoundary(fixed(least(i))),
            };
            c.set_constraint(constraint);
        }
        let text = t.to_string();
        (max_width(&text) <= width).then_some(text)
    }

    /// The widest value of column `i`, its header aside.
    fn data_width(&self, i: usize) -> usize {
        self.rows.iter().filter_map(|r| r.get(i)).map(|c| max_width(&c.content())).max().unwrap_or(0)
    }

    fn longest_word(&self, i: usize) -> usize {
        let cells = self.rows.iter().filter_map(|r| r.get(i)).map(Cell::content);
        std::iter::once(self.header[i].clone())
            .chain(cells)
            .flat_map(|c| c.split_whitespace().map(unicode_width::UnicodeWidthStr::width).collect::<Vec<_>>())
            .max()
            .unwrap_or(1)
    }

    fn content_width(&self, i: usize) -> usize {
        let cells = self.rows.iter().filter_map(|r| r.get(i)).map(Cell::content);
        std::iter::once(self.header[i].clone()).chain(cells).map(|c| max_width(&c)).max().unwrap_or(0)
    }

    /// A comfy-table of the given columns, never wrapped.
    fn build(&self, columns: &[usize]) -> comfy_table::Table {
        let mut t = comfy_table::Table::new();
        // A rule under the header, no boxes, plain ASCII so that pipes stay clean.
        let style = comfy_table::TableStyle::new().header_separator(LineStyle::none().fill('-').junction(' '));
        t.load_style(style).set_header(columns.iter().map(|&i| self.header[i].clone()));
        t.set_content_arrangement(ContentArrangement::Disabled);
        for row in &self.rows {
            t.add_row(columns.iter().map(|&i| row.get(i).cloned().unwrap_or_else(|| Cell::new(""))));
        }
        t
    }
}

/// A table written a row at a time, for listings too long to hold: comfy-table lays a table
/// out in memory (a million readings as a [`Table`] took 4 GB). The column widths come from
/// a pass over the rows beforehand; the layout is a [`Table`]'s outside a terminal (cells
/// left-aligned and padded one space each side, a rule of dashes under the header). Cells
/// are single lines.
pub struct StreamedTable {
    widths: Vec<usize>,
}

impl StreamedTable {
    /// A table whose header is `header`, before any row is measured.
    pub fn new(header: &[&str]) -> StreamedTable {
        StreamedTable { widths: header.iter().map(|h| max_width(h)).collect() }
    }

    /// Widens the columns to hold `row`.
    pub fn measure(&mut self, row: &[String]) {
        for (w, cell) in self.widths.iter_mut().zip(row) {
            *w = (*w).max(max_width(cell));
        }
    }

    /// The header and the rule under it.
    pub fn header(&self, out: &mut Output, header: &[&str]) -> io::Result<()> {
        out.line(self.line(header.iter().copied()))?;
        out.line(self.widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join(" "))
    }

    pub fn row(&self, out: &mut Output, row: &[String]) -> io::Result<()> {
        out.line(self.line(row.iter().map(String::as_str)))
    }

    fn line<'a>(&self, cells: impl Iterator<Item = &'a str>) -> String {
        let mut line = String::new();
        for (i, (cell, &w)) in cells.zip(&self.widths).enumerate() {
            if i > 0 {
                line.push(' ');
            }
            line.push(' ');
            line.push_str(cell);
            line.push_str(&" ".repeat(w.saturating_sub(max_width(cell)) + 1));
        }
        line
    }
}

/// The longest word of `s`, in terminal columns.
fn longest(s: &str) -> usize {
    s.split_whitespace().map(unicode_width::UnicodeWidthStr::width).max().unwrap_or(0)
}

/// The widest line of `s`, in terminal columns (escape sequences not counted).
fn max_width(s: &str) -> usize {
    s.lines().map(|l| unicode_width::UnicodeWidthStr::width(strip_ansi(l).as_str())).max().unwrap_or(0)
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` word-wrapped to `width` columns, the first line indented `first`
/// spaces and the rest `rest`; a word longer than a line is left whole.
fn wrap(text: &str, width: usize, first: usize, rest: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut lines: Vec<String> = Vec::new();
    let mut line = " ".repeat(first);
    let mut used = first;
    let mut empty = true;
    for word in text.split_whitespace() {
        let w = word.width();
        if !empty && used + 1 + w > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(rest)));
            used = rest;
            empty = true;
        }
        if !empty {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += w;
        empty = false;
    }
    lines.push(line);
    lines.join("\n")
}

/// The terminal's width when standard output is one.
fn terminal_width() -> Option<usize> {
    if !io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(io::stdout())
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .filter(|w| *w >= 20)
        .or(Some(80))
}

/// `s` with every invisible or direction-changing character (see
/// [`crate::core::validate::is_invisible`]) written as `{U+XXXX}`.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(crate::core::validate::is_invisible) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if crate::core::validate::is_invisible(c) {
            out.push_str(&format!("{{U+{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Numbers in tables are written as in the core's sentences.
pub use crate::core::format::{bounds, num};

/// Is this error (anywhere in its chain) a closed pipe?
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}

/// A progress bar on stderr for long work, shown only on a terminal and not
/// with `--quiet` (otherwise hidden, so pipes and logs stay clean).
pub fn progress(out: &Output, len: Option<u64>, message: &str) -> indicatif::ProgressBar {
    if out.quiet || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        ),
        None => indicatif::ProgressBar::new_spinner()
            .with_style(indicatif::ProgressStyle::with_template("{spinner} {msg} {pos}").expect("valid template")),
    };
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Throws away keys typed ahead of a prompt, so that an Enter pressed for
/// the previous question cannot choose anything in the next one: what is
/// waiting now, and what arrives in the next tenth of a second (a double
/// Enter), before the prompt is drawn.
pub fn discard_typed_ahead() {
    use std::os::fd::AsRawFd;
    let fd = io::stdin().as_raw_fd();
    // SAFETY: tcflush only takes the descriptor number; on a descriptor that
    // is not a terminal it fails with ENOTTY and does nothing.
    let flush = || unsafe { libc::tcflush(fd, libc::TCIFLUSH) };
    if flush() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A streamed table is laid out as the same table held in memory (outside a terminal).
    #[test]
    fn a_streamed_table_looks_like_a_table() {
        let header = ["id", "metric", "note", "corrected"];
        let rows: Vec<Vec<String>> = vec![
            vec!["7".into(), "chips/yield-pct".into(), "Baseline: 33.9%".into(), String::new()],
            vec!["12345".into(), "芯片/良率".into(), "王小明 says 良率 is up…".into(), "amended".into()],
            vec!["9".into(), "x".into(), String::new(), "retracted".into()],
        ];
        let mut t = table(header);
        let mut streamed = StreamedTable::new(&header);
        for r in &rows {
            t.add_row(r.clone());
            streamed.measure(r);
        }
        let buf = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Output::buffer(Box::new(Shared(buf.clone())));
        streamed.header(&mut out, &header).unwrap();
        for r in &rows {
            streamed.row(&mut out, r).unwrap();
        }
        drop(out);
        let text = String::from_utf8(buf.borrow().clone()).unwrap();
        assert_eq!(text, format!("{}\n", t.render(None)));
    }
}
