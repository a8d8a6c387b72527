//! Axis ranges and tick positions. plotters' own tick algorithm knows nothing of calendar
//! months and degrades on extreme values, so charts compute ticks here and hand them over
//! as fixed key points.

use chrono::{Datelike, Days, NaiveDate};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Dates are plotted as f64 day numbers so that fills, clipping and interpolation are
/// plain arithmetic.
pub(crate) fn day(d: NaiveDate) -> f64 {
    f64::from(d.num_days_from_ce())
}

pub(crate) fn date(x: f64) -> Option<NaiveDate> {
    if !x.is_finite() || x.abs() > 1e8 {
        return None;
    }
    NaiveDate::from_num_days_from_ce_opt(x.round() as i32)
}

/// Tick positions along a date axis and the label format that suits their spacing.
pub(crate) struct DateTicks {
    pub days: Vec<f64>,
    pub format: &'static str,
}

/// Calendar-aligned ticks (Mondays, first of month, first of year) between `lo` and `hi`,
/// at most about `max_ticks` of them.
pub(crate) fn date_ticks(lo: f64, hi: f64, max_ticks: usize) -> DateTicks {
    let span = (hi - lo).max(1.0);
    let max_ticks = max_ticks.max(2) as f64;
    let (Some(start), Some(end)) = (date(lo), date(hi)) else {
        return DateTicks { days: vec![], format: "%Y-%m-%d" };
    };
    // Step in days (weekly family) or in months.
    for days_step in [1u64, 2, 7, 14] {
        if span / days_step as f64 <= max_ticks {
            let mut d = start;
            if days_step >= 7 {
                // Align weekly ticks on Mondays, the usual review week start.
                let back = d.weekday().num_days_from_monday();
                d = d - Days::new(u64::from(back));
                if d < start {
                    d = d + Days::new(7);
                }
            }
            let mut out = vec![];
            while d <= end {
                out.push(day(d));
                match d.checked_add_days(Days::new(days_step)) {
                    Some(n) => d = n,
                    None => break,
                }
            }
            return DateTicks { days: out, format: "%Y-%m-%d" };
        }
    }
    for months_step in [1u32, 2, 3, 6, 12, 24, 60, 120, 600, 1200] {
        if span / (30.44 * f64::from(months_step)) <= max_ticks {
            let mut out = vec![];
            let mut m = start.year() * 12 + start.month0() as i32;
            let step = months_step as i32;
            m = (m + step - 1).div_euclid(step) * step;
            // Month number `m` counts months since year 0; the first of each tick month.
            let first_of = |m: i32| NaiveDate::from_ymd_opt(m.div_euclid(12), (m.rem_euclid(12) + 1) as u32, 1);
            while let Some(d) = first_of(m) {
                if d > end {
                    break;
                }
                if d >= start {
                    out.push(day(d));
                }
                m += step;
            }
            let format = if months_step >= 12 { "%Y" } else { "%Y-%m" };
            return DateTicks { days: out, format };
        }
    }
    DateTicks { days: vec![lo, hi], format: "%Y" }
}

/// "Nice" ticks (1, 2, 5 × 10^k) over `lo..hi`, and the step between them.
pub(crate) fn value_ticks(lo: f64, hi: f64, max_ticks: usize) -> (Vec<f64>, f64) {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return (vec![lo], 0.0);
    }
    let raw = span / max_ticks.max(2) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let mut out = vec![];
    let mut k = (lo / step).ceil();
    // Bounded loop: floating error on extreme ranges must never spin forever.
    while out.len() < 4 * max_ticks.max(2) {
        let v = k * step;
        if v > hi + step * 1e-9 {
            break;
        }
        // Avoid "-0" labels.
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        k += 1.0;
    }
    (out, step)
}

/// Pads a value range so nothing sits on the frame, and gives a flat range some height.
pub(crate) fn pad_range(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo <= hi { (lo, hi) } else { (0.0, 1.0) };
    // Keep away from f64::MAX so that spans and pixel maths stay finite.
    let (lo, hi) = (lo.max(-1e300), hi.min(1e300));
    let span = hi - lo;
    let mid = lo / 2.0 + hi / 2.0;
    if span <= mid.abs() * 1e-9 || span == 0.0 {
        let pad = if mid == 0.0 { 1.0 } else { mid.abs() * 0.1 };
        return (mid - pad, mid + pad);
    }
    (lo - span * frac, hi + span * frac)
}

/// Linear interpolation of `y` at `x` between two points.
pub(crate) fn lerp(a: (f64, f64), b: (f64, f64), x: f64) -> f64 {
    if (b.0 - a.0).abs() < f64::EPSILON {
        return b.1;
    }
    a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)
}

/// The part of a polyline (sorted by x) inside `lo..=hi`, cut exactly at the edges:
/// plotters does not clip, so anything outside would be drawn over the axes.
pub(crate) fn clip_x(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() + 2);
    for w in 0..points.len() {
        let p = points[w];
        if w > 0 {
            let q = points[w - 1];
            for edge in [lo, hi] {
                if (q.0 < edge && p.0 > edge) || (q.0 > edge && p.0 < edge) {
                    out.push((edge, lerp(q, p, edge)));
                }
            }
        }
        if p.0 >= lo && p.0 <= hi {
            out.push(p);
        }
    }
    out
}

/// The parts of a polyline inside `lo..=hi` vertically: where the line
/// leaves the range it is cut at the edge (never flattened along it), and it
/// resumes where it comes back.
pub(crate) fn clip_y(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let inside = |y: f64| y >= lo && y <= hi;
    // The point on segment q→p where y crosses `edge`.
    let cross = |q: (f64, f64), p: (f64, f64), edge: f64| {
        let t = (edge - q.1) / (p.1 - q.1);
        (q.0 + t * (p.0 - q.0), edge)
    };
    let mut parts: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (i, &p) in points.iter().enumerate() {
        if i > 0 {
            let q = points[i - 1];
            // Every edge the segment crosses, in order along it.
            let mut hits: Vec<(f64, f64)> = [lo, hi]
                .into_iter()
                .filter(|&e| (q.1 < e && p.1 > e) || (q.1 > e && p.1 < e))
                .map(|e| cross(q, p, e))
                .collect();
            hits.sort_by(|a, b| (a.0 - q.0).abs().total_cmp(&(b.0 - q.0).abs()));
            for h in hits {
                if cur.is_empty() {
                    cur.push(h);
                } else {
                    cur.push(h);
                    parts.push(std::mem::take(&mut cur));
                }
            }
        }
        if inside(p.1) {
            cur.push(p);
        } else if !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    parts.retain(|p| p.len() >= 2);
    parts
}

/// A polygon cut to `lo..=hi` vertically (Sutherland–Hodgman against the two
/// edges): a band that runs off the chart is cut at its edge.
pub(crate) fn clip_polygon_y(poly: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let mut out = poly.to_vec();
    for (edge, keep_above) in [(lo, true), (hi, false)] {
        let inside = |p: (f64, f64)| if keep_above { p.1 >= edge } else { p.1 <= edge };
        let input = std::mem::take(&mut out);
        for i in 0..input.len() {
            let p = input[i];
            let q = input[(i + input.len() - 1) % input.len()];
            if inside(p) {
                if !inside(q) {
                    let t = (edge - q.1) / (p.1 - q.1);
                    out.push((q.0 + t * (p.0 - q.0), edge));
                }
                out.push(p);
            } else if inside(q) {
                let t = (edge - q.1) / (p.1 - q.1);
                out.push((q.0 + t * (p.0 - q.0), edge));
            }
        }
    }
    out
}

/// A linear f64 axis whose ticks are exactly the given key points. plotters' own
/// `with_key_points` wrapper loses the default label formatter that `configure_mesh`
/// requires, so this small `Ranged` does the same job and keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Axis {
    pub(crate) fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Axis {
        Axis { lo, hi, ticks }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span == 0.0 || !span.is_finite() {
            return (limit.0 + limit.1) / 2;
        }
        let t = ((*v - self.lo) / span).clamp(-10.0, 10.0);
        let t = if t.is_nan() { 0.0 } else { t };
        limit.0 + (f64::from(limit.1 - limit.0) * t + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Only bold ticks: light grid lines would clutter a chart read in a meeting.
        if hint.weight().allow_light_points() {
            vec![]
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn monthly_ticks_are_first_of_month() {
        let t = date_ticks(day(d("2025-01-10")), day(d("2025-09-20")), 10);
        assert_eq!(t.format, "%Y-%m");
        let first = date(t.days[0]).unwrap();
        assert_eq!(first, d("2025-02-01"));
        assert!(t.days.len() <= 10);
    }

    #[test]
    fn weekly_ticks_are_mondays() {
        let t = date_ticks(day(d("2025-01-01")), day(d("2025-02-20")), 10);
        for x in t.days {
            assert_eq!(date(x).unwrap().weekday(), chrono::Weekday::Mon);
        }
    }

    #[test]
    fn value_ticks_handle_extremes() {
        let (t, _) = value_ticks(0.0, 1e300, 6);
        assert!(!t.is_empty() && t.len() <= 24);
        let (t, _) = value_ticks(1e15, 1e15 + 10.0, 6);
        assert!(!t.is_empty() && t.len() <= 24);
        let (lo, hi) = pad_range(5.0, 5.0, 0.05);
        assert!(lo < 5.0 && hi > 5.0);
        let (lo, hi) = pad_range(-f64::MAX, f64::MAX, 0.05);
        assert!((hi - lo).is_finite());
    }

    #[test]
    fn clipping_cuts_at_edges() {
        let c = clip_x(&[(0.0, 0.0), (10.0, 10.0)], 2.0, 5.0);
        assert_eq!(c, vec![(2.0, 2.0), (5.0, 5.0)]);
    }
}
