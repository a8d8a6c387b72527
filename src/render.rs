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

use crate::report::Report;

pub const MARKDOWN: &str = include_str!("../templates/report.md");
pub const HTML: &str = include_str!("../templates/report.html");

/// Inline SVG charts for the HTML report (trusted: drawn by limfac, with
/// every user string escaped by the SVG writer).
#[derive(Debug, Clone, Default)]
pub struct Charts {
    pub limiting: Option<String>,
    pub fever: Option<String>,
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
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    env.add_filter("pct", |v: Option<f64>| match v {
        Some(p) if p > 0.0 && p < 0.01 => "<1%".to_string(),
        Some(p) if p < 1.0 && p > 0.99 => ">99%".to_string(),
        Some(p) => format!("{:.0}%", p * 100.0),
        None => "—".to_string(),
    });
    env.add_filter("date", |v: Option<String>| v.unwrap_or_else(|| "—".into()));
    env.add_filter("num", |v: Option<f64>| v.map(crate::output::num).unwrap_or_else(|| "—".into()));
    env.add_filter("status", |v: String| status_label(&v).to_string());
    env
}

/// Renders `report` with `template` (Markdown or HTML per `html`).
pub fn render(report: &Report, template: &str, html: bool, charts: &Charts) -> Result<String, minijinja::Error> {
    let mut env = environment(html);
    env.add_template_owned("report", template.to_string())?;
    let safe = |svg: &Option<String>| svg.clone().map(Value::from_safe_string).unwrap_or(Value::UNDEFINED);
    let tmpl = env.get_template("report")?;
    tmpl.render(minijinja::context! {
        report => Value::from(Serde(report)),
        charts => minijinja::context! { limiting => safe(&charts.limiting), fever => safe(&charts.fever) },
    })
}
