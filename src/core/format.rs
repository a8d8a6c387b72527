//! Numbers as people read them, in messages and tables alike: the core's
//! sentences (a forecast's reason, a refused value) and the terminal tables
//! (`render::output` uses these) write a value the same way.

/// A number written compactly: no trailing zeros, at most 4 significant decimals; beyond
/// everyday sizes (1e15 and more, or under 0.0001 but not 0) in scientific notation, so that
/// 1e308 does not print as 309 digits nor 0.00005 as 0.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        // -0 reads as 0.
        "0".to_string()
    } else if !(1e-4..1e15).contains(&a) {
        let s = format!("{v:.3e}");
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
            _ => s,
        }
    } else if v == v.trunc() {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A probability as a reader meets it everywhere (reports, tables, warnings): whole
/// percents, but never "0%" or "100%" for what is merely unlikely or likely, which would read
/// as certain.
pub fn chance(p: f64) -> String {
    if p > 0.0 && p < 0.01 {
        "<1%".to_string()
    } else if p > 0.99 && p < 1.0 {
        ">99%".to_string()
    } else {
        format!("{:.0}%", p * 100.0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_every_size_read_compactly() {
        assert_eq!(num(289.0), "289");
        assert_eq!(num(0.30000000000000004), "0.3");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(1e308), "1e308");
        assert_eq!(num(-2.5e15), "-2.5e15");
        assert_eq!(num(0.00005), "5e-5");
        assert_eq!(num(1.23456e-7), "1.235e-7");
        assert_eq!(num(99999999999999.0), "99999999999999");
    }

    #[test]
    fn chances_are_never_rounded_to_certainty() {
        assert_eq!(chance(0.0017), "<1%");
        assert_eq!(chance(0.0), "0%");
        assert_eq!(chance(0.995), ">99%");
        assert_eq!(chance(1.0), "100%");
        assert_eq!(chance(0.5), "50%");
    }
}
