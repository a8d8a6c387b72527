//! Colours, fonts and small text helpers shared by all charts, so that a status looks the
//! same in a single chart, a dashboard cell and a report.

use super::font::FAMILY;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(crate) const INK: RGBColor = RGBColor(33, 33, 33);
pub(crate) const MUTED: RGBColor = RGBColor(97, 97, 97);
pub(crate) const GRID: RGBColor = RGBColor(224, 224, 224);
pub(crate) const TARGET: RGBColor = RGBColor(46, 125, 50);
pub(crate) const DEADLINE: RGBColor = RGBColor(38, 50, 56);
/// The limiting factor's colour: deliberately none of the status colours, so that
/// "limiting" never reads as "diverging" or "stalled".
pub(crate) const LIMITING: RGBColor = RGBColor(106, 27, 154);

/// How a forecast status is drawn.
pub(crate) struct StatusStyle {
    /// Badge text.
    pub label: &'static str,
    /// Badge fill, projection and title accent.
    pub color: RGBColor,
    /// Text colour on the badge (dark on amber, white elsewhere, for contrast).
    pub badge_text: RGBColor,
    /// Whole-chart background tint; stalled and diverging must stand out at a glance.
    pub background: RGBColor,
    /// Frame drawn around the chart, only for the states that need attention.
    pub frame: Option<RGBColor>,
}

pub(crate) fn status_style(status: &str) -> StatusStyle {
    match status {
        "done" => StatusStyle {
            label: "DONE",
            color: RGBColor(46, 125, 50),
            badge_text: WHITE,
            background: WHITE,
            frame: None,
        },
        "converging" => StatusStyle {
            label: "CONVERGING",
            color: RGBColor(0, 121, 107),
            badge_text: WHITE,
            background: WHITE,
            frame: None,
        },
        "stalled" => StatusStyle {
            label: "STALLED",
            color: RGBColor(255, 160, 0),
            badge_text: INK,
            background: RGBColor(255, 248, 225),
            frame: Some(RGBColor(255, 143, 0)),
        },
        "diverging" => StatusStyle {
            label: "DIVERGING",
            color: RGBColor(198, 40, 40),
            badge_text: WHITE,
            background: RGBColor(255, 235, 238),
            frame: Some(RGBColor(198, 40, 40)),
        },
        "insufficient_data" => StatusStyle {
            label: "INSUFFICIENT DATA",
            color: RGBColor(117, 117, 117),
            badge_text: WHITE,
            background: WHITE,
            frame: None,
        },
        // An unknown status is shown as written rather than refused: a chart must not fail
        // because the forecast grew a new state.
        _ => StatusStyle {
            label: "UNKNOWN",
            color: RGBColor(117, 117, 117),
            badge_text: WHITE,
            background: WHITE,
            frame: None,
        },
    }
}

/// Engineer colours: Tableau 10 without its green and red, which mean "target" and
/// "diverging" here, then further hues generated so that any team size stays distinct.
pub(crate) fn engineer_color(i: usize) -> RGBColor {
    const BASE: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
        RGBColor(127, 127, 127),
    ];
    if i < BASE.len() {
        return BASE[i];
    }
    // Golden-angle hue steps never repeat and stay far apart for neighbours.
    let hue = ((i - BASE.len()) as f64 * 137.508 + 15.0) % 360.0 / 360.0;
    let c = HSLColor(hue, 0.65, 0.42).to_backend_color().rgb;
    RGBColor(c.0, c.1, c.2)
}

pub(crate) fn font(size: f64) -> FontDesc<'static> {
    (FAMILY, size).into_font()
}

pub(crate) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    font(size).color(&color)
}

pub(crate) fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// Width in pixels `s` takes in `style` (0 if it cannot be measured).
pub(crate) fn text_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &str, style: &TextStyle) -> i32 {
    area.estimate_text_size(s, style).map(|(w, _)| w as i32).unwrap_or(0)
}

/// `s` cut with an ellipsis so that it fits in `max_w` pixels: long titles and reasons must
/// not run off the picture or under the status badge.
pub(crate) fn fit<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &str, style: &TextStyle, max_w: i32) -> String {
    if text_width(area, s, style) <= max_w {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    // Binary search on the number of characters kept: widths grow with length.
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let cand: String = chars[..mid].iter().collect::<String>() + "…";
        if text_width(area, &cand, style) <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let kept: String = chars[..lo].iter().collect();
    format!("{}…", kept.trim_end())
}

/// Draws a filled badge with `label`, its right edge at `right`, top at `top`; returns the
/// badge's left edge so further badges can line up beside it.
pub(crate) fn badge<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    right: i32,
    top: i32,
    size: f64,
    fill: RGBColor,
    ink: RGBColor,
) -> Result<i32, super::ChartError> {
    let style = text(size, ink);
    let w = text_width(area, label, &style);
    let pad_x = (size * 0.6) as i32;
    let h = (size * 1.5) as i32;
    let left = right - w - 2 * pad_x;
    area.draw(&Rectangle::new([(left, top), (right, top + h)], fill.filled()))?;
    area.draw(&Text::new(label.to_string(), (left + pad_x, top + h / 2), anchored(style, HPos::Left, VPos::Center)))?;
    Ok(left)
}

/// Draws a rectangular frame `thickness` pixels wide just inside the area's edge.
pub(crate) fn frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    color: RGBColor,
    thickness: i32,
) -> Result<(), super::ChartError> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let t = thickness.max(1);
    for rect in [[(0, 0), (w, t)], [(0, h - t), (w, h)], [(0, 0), (t, h)], [(w - t, 0), (w, h)]] {
        area.draw(&Rectangle::new(rect, color.filled()))?;
    }
    Ok(())
}

/// A value for a label: up to four significant digits, thousands as k/M/G/T.
pub(crate) fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let a = v.abs();
    if a >= 1e15 || (a > 0.0 && a < 1e-3) {
        return format!("{v:.3e}");
    }
    let (scaled, suffix) = if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let sa = scaled.abs();
    let decimals = if sa >= 1000.0 || sa == 0.0 {
        0
    } else if sa >= 100.0 {
        1
    } else if sa >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{scaled:.decimals$}");
    // Trailing zeros carry no information on a label.
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    format!("{s}{suffix}")
}

/// Draws `label` at `pos` with a background box in the chart's background colour, so that
/// it stays readable over grid lines, the fan and other markers.
pub(crate) fn label_box<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    pos: (i32, i32),
    ts: &TextStyle,
    bg: RGBColor,
) -> Result<(), super::ChartError> {
    let w = text_width(area, label, ts);
    let h = (ts.font.get_size() * 1.15) as i32;
    let left = match ts.pos.h_pos {
        HPos::Left => pos.0,
        HPos::Center => pos.0 - w / 2,
        HPos::Right => pos.0 - w,
    };
    let top = match ts.pos.v_pos {
        VPos::Top => pos.1,
        VPos::Center => pos.1 - h / 2,
        VPos::Bottom => pos.1 - h,
    };
    area.draw(&Rectangle::new([(left - 2, top - 1), (left + w + 2, top + h + 1)], bg.mix(0.85).filled()))?;
    area.draw(&Text::new(label.to_string(), pos, ts.clone()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_short() {
        assert_eq!(fmt_value(12.0), "12");
        assert_eq!(fmt_value(0.5), "0.5");
        assert_eq!(fmt_value(1234.56), "1235");
        assert_eq!(fmt_value(25_000.0), "25k");
        assert_eq!(fmt_value(3.2e9), "3.2G");
        assert_eq!(fmt_value(1e300), "1.000e300");
        assert_eq!(fmt_value(0.0), "0");
    }

    #[test]
    fn engineer_colours_are_distinct() {
        let cs: Vec<_> = (0..30).map(engineer_color).collect();
        for i in 0..cs.len() {
            for j in 0..i {
                assert_ne!(cs[i], cs[j], "{i} vs {j}");
            }
        }
    }
}
