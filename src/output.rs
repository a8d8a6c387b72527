//! Writing to the terminal or a pipe: tables, JSON, colour only where it
//! belongs, and a closed pipe treated as a normal end (`limfac report | head`).

use std::io::{self, IsTerminal, Write};

use comfy_table::{Cell, ContentArrangement, LineStyle, Table};
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
        self.line(table.to_string())
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

/// A table in limfac's house style: a header rule, no boxes, fits 80 columns
/// when the content allows.
pub fn table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<Cell>,
{
    let mut t = Table::new();
    // A rule under the header, no boxes, plain ASCII so that pipes stay clean.
    let style = comfy_table::TableStyle::new().header_separator(LineStyle::none().fill('-').junction(' '));
    t.load_style(style).set_header(header);
    // Wrap to the terminal's width; in a pipe keep each row on one line so
    // that grep and cut see whole rows.
    if io::stdout().is_terminal() {
        t.set_content_arrangement(ContentArrangement::Dynamic).set_width(terminal_width());
    }
    t
}

fn terminal_width() -> u16 {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(80)
}

/// `s` with every invisible or direction-changing character (see
/// [`crate::validate::is_invisible`]) written as `{U+XXXX}`.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(crate::validate::is_invisible) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if crate::validate::is_invisible(c) {
            out.push_str(&format!("{{U+{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Formats a number compactly for tables: no trailing zeros, at most 4 significant decimals.
pub fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

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
