//! Numbers as people read them, in messages and tables alike: the core's
//! sentences (a forecast's reason, a refused value) and the terminal tables
//! (`render::output` uses these) write a value the same way.

/// A number written compactly: no trailing zeros, at most 4 significant decimals.
pub fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A metric's bounds as people read them: `0–100`, `≥ 0`, `≤ 100`, or `none`.
pub fn bounds(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{}–{}", num(lo), num(hi)),
        (Some(lo), None) => format!("≥ {}", num(lo)),
        (None, Some(hi)) => format!("≤ {}", num(hi)),
        (None, None) => "none".to_string(),
    }
}
