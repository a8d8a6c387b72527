//! Tables and cells more than one command prints: a forecast status with its
//! symbol and colour, and the metrics table (`metric list`, `project show`).

use anyhow::Result;

use crate::core::forecast::Status;
use crate::core::model::Metric;
use crate::render::output::{bounds, num, table, Color, Output};

/// A status with its symbol, coloured on a terminal.
pub fn status_cell(out: &Output, s: Status) -> comfy_table::Cell {
    let label = crate::render::template::status_label(s.as_str());
    let color = match s {
        Status::Done => Color::Green,
        Status::Converging => Color::Blue,
        Status::Stalled => Color::Yellow,
        Status::Diverging => Color::Red,
        Status::InsufficientData => Color::Dim,
    };
    out.cell(label, color)
}

/// The metrics table shared by `metric list` and `project show`.
pub fn print_metrics(out: &mut Output, metrics: &[Metric]) -> Result<()> {
    let mut t = table(["metric", "name", "target", "direction", "tolerance", "unit", "bounds"]);
    for m in metrics {
        let key = if m.archived { format!("{} (archived)", m.key()) } else { m.key() };
        t.add_row(vec![
            key,
            m.name.clone().unwrap_or_default(),
            num(m.target),
            m.direction.to_string(),
            num(m.tolerance),
            m.unit.clone().unwrap_or_default(),
            if m.min.is_none() && m.max.is_none() { String::new() } else { bounds(m.min, m.max) },
        ]);
    }
    out.table(&t)?;
    Ok(())
}
