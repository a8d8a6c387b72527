//! Rendering the weekly report to Markdown and HTML through templates.
//!
//! The default templates live in `templates/` and are embedded in the binary;
//! `--template FILE` swaps in the user's own. Only the template given is
//! loaded: there is no loader, so a template cannot `include` or read any
//! other file. HTML output escapes every value unless it is one of limfac's
//! own SVG charts.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Value};

use crate::core::report::Report;

pub const MARKDOWN: &str = include_str!("../../templates/report.md");
pub const HTML: &str = include_str!("../../templates/report.html");

/// Inline SVG charts for the HTML report (trusted: drawn by limfac, with
/// every user string escaped by the SVG writer).
#[derive(Debug, Clone, Default)]
pub struct Charts {
    pub limiting: Option<String>,
    pub fever: Option<String>,
}

/// Text from the data made inert in Markdown: `<` that could open HTML or
/// an autolink becomes `&lt;` (and its `>` `&gt;`), and `[`, `]`, `` ` ``,
/// `|` and `\\` are backslash-escaped (no link, image, code span or table
/// cell break).
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut opened = false;
    while let Some(c) = chars.next() {
        match c {
            '<' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) => {
                opened = true;
                out.push_str("&lt;");
            }
            '>' if opened => out.push_str("&gt;"),
            '[' | ']' | '`' | '|' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A status as people read it, with a symbol.
pub fn status_label(s: &str) -> &'static str {
    match s {
        "done" => "✓ done",
        "converging" => "↘ converging",
        "stalled" => "■ stalled",
        "diverging" => "✗ diverging",
        "insufficient_data" => "… insufficient data",
        _ => "?",
    }
}

fn environment(html: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("valid syntax config"),
    );
    // Escaping follows the output format, not the template's file name, so a
    // user's own HTML template is escaped too.
    env.set_auto_escape_callback(move |_| if html { AutoEscape::Html } else { AutoEscape::None });
    // Every string from the data shows its invisible characters escaped; in
    // Markdown (often rendered to HTML) it cannot open HTML, a link or an
    // image, nor break a table row.
    env.set_formatter(move |out, state, value| match value.as_str().filter(|_| !value.is_safe()) {
        Some(s) if html => {
            minijinja::escape_formatter(out, state, &Value::from(crate::render::output::visible(s).as_ref()))
        }
        Some(s) => out.write_str(&markdown_text(&crate::render::output::visible(s))).map_err(minijinja::Error::from),
        None => minijinja::escape_formatter(out, state, value),
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    env.add_filter("pct", |v: Option<f64>| v.map(crate::core::format::chance).unwrap_or_else(|| "—".into()));
    env.add_filter("date", |v: Option<String>| v.unwrap_or_else(|| "—".into()));
    env.add_filter("num", |v: Option<f64>| v.map(crate::render::output::num).unwrap_or_else(|| "—".into()));
    env.add_filter("status", |v: String| status_label(&v).to_string());
    env
}

/// How much work and output one render may take. Both grow with the
/// report (its projects, metrics, blockers, ...), with room to spare for the
/// built-in templates many times over; a user's template that loops forever
/// or multiplies its output stops at them with a clear error instead of
/// hanging or filling the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// minijinja fuel: about one per instruction and per 64 bytes of data.
    pub fuel: u64,
    /// The longest output, in bytes.
    pub max_bytes: u64,
}

impl Budget {
    pub fn for_report(report: &Report, charts: &Charts) -> Budget {
        let items = 1
            + report.projects.len()
            + report.projects.iter().map(|p| p.metrics.len() + p.not_forecast.len()).sum::<usize>()
            + report.off_path.len()
            + report.status_changes.len()
            + report.attention.len()
            + report.coverage.len()
            + report.blockers.len()
            + report.limiting_factor_history.len();
        let charts = charts.limiting.as_ref().map_or(0, String::len) + charts.fever.as_ref().map_or(0, String::len);
        let items = items as u64;
        Budget {
            fuel: 10_000_000 + 2_000 * items + charts as u64 / 16,
            max_bytes: (16 << 20) + 16 * 1024 * items + 2 * charts as u64,
        }
    }
}

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the report template did too much work for this report (more than {fuel} steps): check for a loop that never ends or nests too deeply")]
    OutOfFuel { fuel: u64 },
    #[error("the report template's output passed {} MiB, the limit for this report: check for a loop that repeats its output", .max_bytes >> 20)]
    TooLong { max_bytes: u64 },
    #[error("{0:#}")]
    Template(#[from] minijinja::Error),
}

/// Output that refuses to grow past a limit.
struct Limited {
    out: Vec<u8>,
    max: u64,
    over: std::rc::Rc<std::cell::Cell<bool>>,
}

impl std::io::Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() as u64 + buf.len() as u64 > self.max {
            self.over.set(true);
            return Err(std::io::Error::other("output limit reached"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders `report` with `template` (Markdown or HTML per `html`), within
/// [`Budget::for_report`].
pub fn render(report: &Report, template: &str, html: bool, charts: &Charts) -> Result<String, RenderError> {
    render_within(report, template, html, charts, Budget::for_report(report, charts))
}

/// [`render`] within a given budget.
pub fn render_within(
    report: &Report,
    template: &str,
    html: bool,
    charts: &Charts,
    budget: Budget,
) -> Result<String, RenderError> {
    let mut env = environment(html);
    env.set_fuel(Some(budget.fuel));
    env.add_template_owned("report", template.to_string())?;
    let safe = |svg: &Option<String>| svg.clone().map(Value::from_safe_string).unwrap_or(Value::UNDEFINED);
    let tmpl = env.get_template("report")?;
    let over = std::rc::Rc::new(std::cell::Cell::new(false));
    let mut out = Limited { out: Vec::new(), max: budget.max_bytes, over: over.clone() };
    let rendered = tmpl.render_captured_to(
        minijinja::context! {
            report => Value::from(Serde(report)),
            charts => minijinja::context! { limiting => safe(&charts.limiting), fever => safe(&charts.fever) },
        },
        &mut out,
    );
    match rendered {
        Ok(_) => Ok(String::from_utf8(out.out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
        Err(_) if over.get() => Err(RenderError::TooLong { max_bytes: budget.max_bytes }),
        Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => Err(RenderError::OutOfFuel { fuel: budget.fuel }),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{Observation, Snapshot};

    /// The scale organization at `scale` as a snapshot, and its report.
    fn scale_report(scale: f64) -> Report {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let data = crate::demo::scale::generate(scale, today);
        let mut observations: Vec<Observation> = data
            .points()
            .map(|p| Observation { metric: p.metric, engineer: p.engineer, date: p.date, value: p.value })
            .collect();
        observations.sort_by_key(|o| (o.metric, o.date));
        let snapshot = Snapshot {
            projects: data.projects,
            engineers: data.engineers,
            metrics: data.metrics,
            observations,
            blockers: Vec::new(),
            deadlines: Vec::new(),
        };
        let now = crate::core::analysis::outlook(
            &snapshot,
            today,
            365,
            &crate::core::analysis::org_calibration(&snapshot, today, 365),
        );
        crate::core::report::build(&snapshot, &now, None, &crate::core::report::Policy::default())
    }

    /// The least fuel a render needs (a binary search on the budget).
    fn fuel_needed(report: &Report, template: &str, html: bool) -> u64 {
        let charts = Charts::default();
        let (mut lo, mut hi) = (1u64, Budget::for_report(report, &charts).fuel);
        assert!(render(report, template, html, &charts).is_ok(), "the built-in template fails within its budget");
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let budget = Budget { fuel: mid, max_bytes: u64::MAX };
            if render_within(report, template, html, &charts, budget).is_ok() {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The built-in templates use a small part of the budget, so that the
    /// budget never cuts a real report short; the margin holds as the
    /// organization grows (the budget grows with the report).
    #[test]
    fn the_built_in_templates_need_a_small_part_of_their_budget() {
        for scale in [0.01, 0.05] {
            let report = scale_report(scale);
            let budget = Budget::for_report(&report, &Charts::default());
            for (template, html) in [(MARKDOWN, false), (HTML, true)] {
                let needed = fuel_needed(&report, template, html);
                assert!(needed * 10 < budget.fuel, "scale {scale}: needs {needed} of {}", budget.fuel);
                let len = render(&report, template, html, &Charts::default()).unwrap().len() as u64;
                assert!(len * 10 < budget.max_bytes, "scale {scale}: {len} bytes of {}", budget.max_bytes);
            }
        }
    }
}
