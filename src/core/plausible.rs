//! Questioning suspicious readings before they are stored.
//!
//! A value far outside a metric's history (a tenfold jump from a slipped
//! digit, 2890 for 289) or past a physical bound (a percentage above 100) is
//! most likely a typo. It is not refused — reality is sometimes surprising —
//! but questioned: confirmed on a terminal, or given with `--force`.
//!
//! Pure: a metric, its readings and a value in, a question (or none) out.

use crate::core::format::num;
use crate::core::model::Metric;

/// Fewest earlier readings before a jump is judged against the history.
pub const MIN_HISTORY: usize = 3;

/// How many times larger (or smaller) than the recent readings a value must
/// be to be questioned.
pub const JUMP_RATIO: f64 = 10.0;

/// How many of the latest readings a value is compared with: all of the
/// history the question reads beyond its length.
pub const WINDOW: usize = 10;

/// A lower and an upper bound, either absent.
pub type Bounds = (Option<f64>, Option<f64>);

/// The bounds that apply: the declared ones, else 0–100 for a percentage.
pub fn effective_bounds(m: &Metric) -> Bounds {
    bounds_of(m.min, m.max, m.unit.as_deref())
}

/// [`effective_bounds`] of a metric's declared bounds and unit.
pub fn bounds_of(min: Option<f64>, max: Option<f64>, unit: Option<&str>) -> Bounds {
    if min.is_none() && max.is_none() && unit.map(str::trim) == Some("%") {
        return (Some(0.0), Some(100.0));
    }
    (min, max)
}

/// Whether `value` lies outside bounds `(lo, hi)`.
pub fn outside((lo, hi): Bounds, value: f64) -> bool {
    lo.is_some_and(|lo| value < lo) || hi.is_some_and(|hi| value > hi)
}

/// Why `value` looks like a mistake for metric `m`, given its earlier
/// readings (oldest first), or None when it looks plausible.
pub fn question(m: &Metric, history: &[f64], value: f64) -> Option<String> {
    question_recent(m, history.len(), &history[history.len().saturating_sub(WINDOW)..], value)
}

/// [`question`] from what it reads of the history: how many readings it
/// holds and its last [`WINDOW`] (`recent`, oldest first; fewer when the
/// history is shorter), so that a caller need not load the whole of it.
pub fn question_recent(m: &Metric, earlier: usize, recent: &[f64], value: f64) -> Option<String> {
    let (lo, hi) = effective_bounds(m);
    let unit = m.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
    if outside((lo, hi), value) {
        let declared = if m.min.is_none() && m.max.is_none() { " (a percentage)" } else { "" };
        return Some(format!(
            "{}{unit} is outside what {} can physically be: {}{declared}",
            num(value),
            m.key(),
            crate::core::format::bounds(lo, hi)
        ));
    }
    if earlier < MIN_HISTORY {
        return None;
    }
    // A slipped digit is ten times the reading before it.
    let &reference = recent.last()?;
    let window: Vec<f64> = recent.iter().rev().take(WINDOW).copied().collect();
    let spread =
        window.iter().copied().fold(f64::NEG_INFINITY, f64::max) - window.iter().copied().fold(f64::INFINITY, f64::min);
    // Far from the recent readings in the history's own terms: a value the
    // metric's usual scatter cannot explain.
    let far = (value - reference).abs() > 3.0 * spread;
    let ratio = if reference == 0.0 || value == 0.0 || reference.signum() != value.signum() {
        f64::INFINITY
    } else {
        (value / reference).abs().max((reference / value).abs())
    };
    if far && ratio >= JUMP_RATIO {
        let how = if !ratio.is_finite() {
            "far from the".to_string()
        } else if value.abs() > reference.abs() {
            format!("about {ratio:.0} times the")
        } else {
            format!("about {ratio:.0} times smaller than the")
        };
        return Some(format!(
            "{}{unit} is {how} last reading of {} ({}{unit}; recent readings spread over {})",
            num(value),
            m.key(),
            num(reference),
            num(spread)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Direction;

    fn metric(unit: &str, min: Option<f64>, max: Option<f64>) -> Metric {
        Metric {
            project: "power".into(),
            metric: "output".into(),
            name: None,
            unit: Some(unit.into()),
            target: 300.0,
            direction: Direction::Up,
            tolerance: 0.0,
            min,
            max,
            archived: false,
        }
    }

    #[test]
    fn a_slipped_digit_is_questioned() {
        let m = metric("kW", None, None);
        let h = [250.0, 262.0, 270.0, 281.0, 289.0];
        assert!(question(&m, &h, 2890.0).unwrap().contains(
            "2890 kW is about 10 times the last reading of power/output (289 kW; recent readings spread over 39)"
        ));
        assert!(question(&m, &h, 28.9).unwrap().contains("about 10 times smaller than the last reading"));
        assert_eq!(question(&m, &h, 295.0), None);
        assert_eq!(question(&m, &h, 320.0), None);
        // Too little history to judge a jump.
        assert_eq!(question(&m, &h[..2], 2890.0), None);
    }

    #[test]
    fn the_last_window_and_the_count_say_what_the_whole_history_says() {
        let m = metric("kW", None, None);
        let long: Vec<f64> = (0..40).map(|i| if i < 25 { 5_000.0 } else { 250.0 + f64::from(i) }).collect();
        for value in [2890.0, 28.9, 300.0, 5_000.0] {
            let tail = &long[long.len() - WINDOW..];
            assert_eq!(question(&m, &long, value), question_recent(&m, long.len(), tail, value), "{value}");
        }
        // The old readings far above do not excuse a jump from the recent ones.
        assert!(question(&m, &long, 5_000.0).is_some());
    }

    #[test]
    fn a_noisy_history_explains_big_moves() {
        let m = metric("count", None, None);
        let h = [1.0, 40.0, 3.0, 60.0, 2.0];
        assert_eq!(question(&m, &h, 20.0), None);
    }

    #[test]
    fn bounds_declared_or_implied_by_a_percentage() {
        let pct = metric("%", None, None);
        assert!(question(&pct, &[], 150.0).unwrap().contains("0–100 (a percentage)"));
        assert_eq!(question(&pct, &[], 99.0), None);
        let bounded = metric("kW", Some(0.0), Some(500.0));
        assert!(question(&bounded, &[], -1.0).unwrap().contains("0–500"));
        assert!(question(&bounded, &[], 501.0).is_some());
    }
}
