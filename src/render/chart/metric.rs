//! One metric's chart: every engineer's readings, the target and its tolerance band, the
//! fitted curve, the projected p10–p90 fan, and the p50/p80/deadline dates. Drawn full size
//! on its own, or compact as a dashboard cell.

use super::scale::{self, clip_x, date, day, pad_range, Axis};
use super::style::{self, anchored, badge, fit, label_box, text, text_width};
use super::{ChartError, MetricChart, Paint};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Full size for `limfac chart`, compact for dashboard cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Full,
    Compact,
}

/// Pixel sizes that differ between the two modes.
struct Dims {
    title: f64,
    reason: f64,
    badge: f64,
    header: i32,
    legend: i32,
    tick: f64,
    label: f64,
    x_label_area: i32,
    y_label_area: i32,
    x_ticks: usize,
    y_ticks: usize,
    point: i32,
    marker_rows: usize,
    status_frame: i32,
    highlight_frame: i32,
}

impl Mode {
    fn dims(self) -> Dims {
        match self {
            Mode::Full => Dims {
                title: 22.0,
                reason: 15.0,
                badge: 14.0,
                header: 70,
                legend: 210,
                tick: 13.0,
                label: 13.0,
                x_label_area: 30,
                y_label_area: 70,
                x_ticks: 8,
                y_ticks: 7,
                point: 4,
                marker_rows: 4,
                status_frame: 5,
                highlight_frame: 8,
            },
            Mode::Compact => Dims {
                title: 15.0,
                reason: 11.5,
                badge: 11.0,
                header: 48,
                legend: 0,
                tick: 10.5,
                label: 10.5,
                x_label_area: 22,
                y_label_area: 54,
                x_ticks: 4,
                y_ticks: 5,
                point: 3,
                marker_rows: 3,
                status_frame: 4,
                highlight_frame: 7,
            },
        }
    }
}

/// Draws a single metric chart on the whole picture.
pub(crate) struct Painter<'a>(pub &'a MetricChart);

impl Paint for Painter<'_> {
    fn paint<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        draw(area, self.0, Mode::Full)
    }
}

/// How far past `as_of` the x axis may reach: a p80 five years out would squash the
/// history that the review is about into a sliver.
const FUTURE_CAP_DAYS: f64 = 730.0;

/// Draws `c` filling `area`.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &MetricChart,
    mode: Mode,
) -> Result<(), ChartError> {
    let d = mode.dims();
    let st = style::status_style(&c.status);

    // Background tint and frames first: stalled and diverging must read at a glance, and
    // the limiting factor's frame sits outside the status frame so both stay visible.
    area.fill(&st.background)?;
    let mut inset = 0;
    if c.highlight {
        style::frame(area, style::LIMITING, d.highlight_frame)?;
        inset += d.highlight_frame;
    }
    let inner = area.margin(inset, inset, inset, inset);
    if let Some(color) = st.frame {
        style::frame(&inner, color, d.status_frame)?;
    }
    let content = inner.margin(d.status_frame, d.status_frame, d.status_frame, d.status_frame);
    let (cw, _) = content.dim_in_pixel();
    let cw = cw as i32;

    // Header: badges on the right, title beside them, reason under both.
    let (header, body) = content.split_vertically(d.header);
    let pad = if mode == Mode::Full { 14 } else { 8 };
    let mut left_of_badges = badge(&header, st.label, cw - pad, pad - 2, d.badge, st.color, st.badge_text)?;
    if c.highlight {
        left_of_badges =
            badge(&header, "LIMITING FACTOR", left_of_badges - 6, pad - 2, d.badge, style::LIMITING, WHITE)?;
    }
    let title_style = anchored(text(d.title, style::INK), HPos::Left, VPos::Top);
    let title = fit(&header, &c.title, &title_style, left_of_badges - pad - 10);
    header.draw(&Text::new(title, (pad, pad - 2), title_style))?;
    let reason_style = anchored(text(d.reason, style::MUTED), HPos::Left, VPos::Top);
    let reason_top = pad + (d.title * 1.3) as i32;
    let reason = fit(&header, &c.reason, &reason_style, cw - 2 * pad);
    header.draw(&Text::new(reason, (pad, reason_top), reason_style))?;

    let (plot_area, legend_area) = if d.legend > 0 {
        let (p, l) = body.split_horizontally(cw - d.legend);
        (p, Some(l))
    } else {
        (body, None)
    };

    let data = Prepared::new(c);
    let x_ticks = scale::date_ticks(data.x.0, data.x.1, d.x_ticks);
    let (y_ticks, _) = scale::value_ticks(data.y.0, data.y.1, d.y_ticks);
    let date_format = x_ticks.format;
    let x_fmt = move |x: &f64| date(*x).map(|d| d.format(date_format).to_string()).unwrap_or_default();
    let y_fmt = |y: &f64| style::fmt_value(*y);

    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(pad / 2)
        .margin_right(if legend_area.is_some() { 4 } else { pad })
        .margin_top(4)
        .margin_bottom(pad / 2)
        .x_label_area_size(d.x_label_area)
        .y_label_area_size(d.y_label_area)
        .build_cartesian_2d(
            Axis::new(data.x.0, data.x.1, x_ticks.days.clone()),
            Axis::new(data.y.0, data.y.1, y_ticks),
        )?;
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(style::GRID.mix(0.8))
        .light_line_style(TRANSPARENT)
        .axis_style(style::MUTED)
        .label_style(text(d.tick, style::MUTED))
        .axis_desc_style(text(d.label, style::MUTED))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt);
    if let Some(unit) = c.unit.as_deref().filter(|u| !u.trim().is_empty()) {
        mesh.y_desc(unit);
    }
    mesh.draw()?;

    let (x_lo, x_hi) = data.x;
    let (y_lo, y_hi) = data.y;

    // Target and tolerance band.
    let tol = c.tolerance.abs();
    if tol > 0.0 && tol.is_finite() {
        let band = ((c.target - tol).clamp(y_lo, y_hi), (c.target + tol).clamp(y_lo, y_hi));
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x_lo, band.0), (x_hi, band.1)],
            style::TARGET.mix(0.13).filled(),
        )))?;
    }
    if c.target >= y_lo && c.target <= y_hi {
        chart.draw_series(DashedLineSeries::new(
            vec![(x_lo, c.target), (x_hi, c.target)],
            8,
            5,
            style::TARGET.stroke_width(2),
        ))?;
    }

    // Projection fan, its p50 line, then the fitted curve on top of it.
    // Lines that leave the value range are cut at its edge, never flattened
    // along it: a diverging projection visibly runs off the chart.
    if data.fan_poly.len() >= 3 {
        chart.draw_series(std::iter::once(Polygon::new(data.fan_poly.clone(), st.color.mix(0.18).filled())))?;
        for part in data.fan_lo.iter().chain(&data.fan_hi) {
            chart.draw_series(LineSeries::new(part.iter().copied(), st.color.mix(0.35).stroke_width(1)))?;
        }
    }
    for part in &data.fan_mid {
        chart.draw_series(DashedLineSeries::new(part.clone(), 7, 4, st.color.stroke_width(2)))?;
    }
    for part in &data.curve {
        chart.draw_series(LineSeries::new(
            part.iter().copied(),
            CURVE.stroke_width(if mode == Mode::Full { 3 } else { 2 }),
        ))?;
    }

    // Vertical date markers.
    let markers = data.markers(c, st.color);
    for m in markers.iter().filter(|m| !m.beyond) {
        let line = vec![(m.x, y_lo), (m.x, y_hi)];
        if m.dashed {
            chart.draw_series(DashedLineSeries::new(line, 6, 4, m.color.stroke_width(m.width)))?;
        } else {
            chart.draw_series(LineSeries::new(line, m.color.stroke_width(m.width)))?;
        }
    }

    // Readings last, so that no band or fan hides them; each engineer's points are joined
    // faintly because the spec's "points become a curve" is the point of the chart.
    for (i, s) in data.series.iter().enumerate() {
        let color = style::engineer_color(i);
        if s.len() >= 2 {
            chart.draw_series(LineSeries::new(s.iter().copied(), color.mix(0.55).stroke_width(1)))?;
        }
        chart.draw_series(s.iter().map(|p| Circle::new(*p, d.point, color.filled())))?;
        // A white ring keeps overlapping readings apart at full size; in the small
        // dashboard cells it would only add noise.
        if mode == Mode::Full {
            chart.draw_series(s.iter().map(|p| Circle::new(*p, d.point, WHITE.stroke_width(1))))?;
        }
    }

    // Labels in pixel space, drawn on the plotting area so that dashboard cells (whose
    // areas are offset in the picture) work the same as a full chart.
    let pa = chart.plotting_area().strip_coord_spec();
    let (pxr, pyr) = pa.get_pixel_range();
    let to_local = |(x, y): (i32, i32)| (x - pxr.start, y - pyr.start);
    let plot_w = pxr.end - pxr.start;
    let plot_h = pyr.end - pyr.start;

    if data.series.iter().all(|s| s.is_empty()) {
        let msg = if data.curve.is_empty() { "no readings yet" } else { "no readings in range" };
        // Above the middle, where the target line (centred when there is no data) is not.
        label_box(
            &pa,
            msg,
            (plot_w / 2, plot_h / 3),
            &anchored(text(d.label + 3.0, style::MUTED), HPos::Center, VPos::Center),
            st.background,
        )?;
    }

    // Labels: the date markers first, in rows at the top so that close dates
    // do not overprint; then the target's, beside its line where no marker
    // label is; then where the projection stops, if it stops short. Every
    // label stays inside the plot (a label above a line at the top edge was
    // cut off).
    let label_h = (d.label * 1.15) as i32 + 2;
    let row_h = (d.label * 1.35) as i32;
    let plot = (plot_w, plot_h);
    let wanted: Vec<MarkerLabel> = markers
        .iter()
        .map(|m| {
            let w = text_width(&pa, &m.label, &text(d.label, m.label_color));
            let (px, _) = to_local(chart.backend_coord(&(m.x.min(x_hi), y_hi)));
            MarkerLabel { x: px, w, beyond: m.beyond }
        })
        .collect();
    let mut taken: Vec<Rect> = Vec::new();
    for (m, (rect, right)) in markers.iter().zip(place_markers(&wanted, plot, row_h, label_h, d.marker_rows)) {
        taken.push(rect);
        let ts = text(d.label, m.label_color);
        let (anchor_x, h) = if right { (rect.2 - 2, HPos::Right) } else { (rect.0 + 2, HPos::Left) };
        label_box(&pa, &m.label, (anchor_x, rect.1 + 1), &anchored(ts, h, VPos::Top), st.background)?;
    }
    if c.target >= y_lo && c.target <= y_hi {
        let (_, ty) = to_local(chart.backend_coord(&(x_hi, c.target)));
        let label = format!("target {}", style::fmt_value(c.target));
        let ts = text(d.label, style::TARGET);
        let w = text_width(&pa, &label, &ts);
        let rect = place_target(ty, w + 4, label_h, plot, &taken);
        taken.push(rect);
        label_box(&pa, &label, (rect.0 + 2, rect.1 + 1), &anchored(ts, HPos::Left, VPos::Top), st.background)?;
    }
    if let Some((end, when)) = data.fan_ends_early {
        let label = format!("projection shown to {}", when.format("%Y-%m-%d"));
        let ts = text(d.label, style::MUTED);
        let w = text_width(&pa, &label, &ts) + 4;
        let (ex, _) = to_local(chart.backend_coord(&(end, y_lo)));
        let rect = place_note(ex, w, label_h, plot, &taken);
        label_box(&pa, &label, (rect.0 + 2, rect.1 + 1), &anchored(ts, HPos::Left, VPos::Top), st.background)?;
    }

    if let Some(legend) = legend_area {
        draw_legend(&legend, c, &data, &st, &d, (pyr.start, d.label))?;
    }
    Ok(())
}

/// A label's box in plot pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// A date marker's label to place: the marker's x and the label's width.
struct MarkerLabel {
    x: i32,
    w: i32,
    /// The date is past the right end of the axis: the label sits at the end.
    beyond: bool,
}

/// Marker labels in rows from the top of the plot, each beside its line
/// (right of it, or left when there is no room), in the first row where it
/// overlaps no earlier label; more rows are added, down to a third of the
/// plot, before any label is allowed to overprint. Returns each label's box
/// and whether its text is right-aligned in it.
fn place_markers(labels: &[MarkerLabel], plot: (i32, i32), row_h: i32, h: i32, rows: usize) -> Vec<(Rect, bool)> {
    let max_rows = rows.max(((plot.1 / 3) / row_h.max(1)).max(1) as usize);
    let mut placed: Vec<Rect> = Vec::new();
    let mut out = Vec::new();
    for m in labels {
        let w = m.w + 4;
        let (left, right) = if m.beyond {
            (plot.0 - 2 - w, true)
        } else if m.x + 2 + w <= plot.0 - 2 {
            (m.x + 2, false)
        } else {
            (m.x - 2 - w, true)
        };
        let left = left.clamp(0, (plot.0 - w).max(0));
        let at = |row: usize| {
            let top = 2 + row as i32 * row_h;
            (left, top, left + w, top + h)
        };
        // A little air between neighbours in a row.
        let free = |r: Rect| placed.iter().all(|p| !overlaps((r.0 - 4, r.1, r.2 + 4, r.3), *p));
        let row = (0..max_rows).find(|&r| free(at(r))).unwrap_or(max_rows - 1);
        placed.push(at(row));
        out.push((at(row), right));
    }
    out
}

/// The target's label: at the right end of its line, above it, else below
/// it, else at the left end; inside the plot, and clear of `taken` when any
/// of those places is.
fn place_target(line_y: i32, w: i32, h: i32, plot: (i32, i32), taken: &[Rect]) -> Rect {
    let (pw, ph) = plot;
    let fit = |left: i32, top: i32| {
        let left = left.clamp(0, (pw - w).max(0));
        let top = top.clamp(0, (ph - h).max(0));
        (left, top, left + w, top + h)
    };
    let candidates = [
        fit(pw - 4 - w, line_y - 3 - h),
        fit(pw - 4 - w, line_y + 3),
        fit(4, line_y - 3 - h),
        fit(4, line_y + 3),
        fit(pw / 2 - w / 2, line_y - 3 - h),
        fit(pw / 2 - w / 2, line_y + 3),
    ];
    let cost = |r: &Rect| taken.iter().filter(|t| overlaps(*r, **t)).count();
    *candidates.iter().min_by_key(|r| cost(r)).expect("candidates")
}

/// A note at the foot of the plot next to x (left of it, else right of it),
/// clear of `taken` where it can be.
fn place_note(x: i32, w: i32, h: i32, plot: (i32, i32), taken: &[Rect]) -> Rect {
    let (pw, ph) = plot;
    let fit = |left: i32, top: i32| {
        let left = left.clamp(0, (pw - w).max(0));
        let top = top.clamp(0, (ph - h).max(0));
        (left, top, left + w, top + h)
    };
    let candidates = [fit(x - 4 - w, ph - 4 - h), fit(x + 4, ph - 4 - h), fit(x - 4 - w, ph - 8 - 2 * h)];
    let cost = |r: &Rect| taken.iter().filter(|t| overlaps(*r, **t)).count();
    *candidates.iter().min_by_key(|r| cost(r)).expect("candidates")
}

/// Colour of the fitted curve: dark and neutral, so it is never mistaken for an engineer.
const CURVE: RGBColor = RGBColor(55, 71, 79);

/// A vertical date marker: as-of, p50, p80 or deadline.
struct Marker {
    x: f64,
    label: String,
    color: RGBAColor,
    label_color: RGBColor,
    width: u32,
    dashed: bool,
    /// Past the right end of the axis (capped future): only a label with an arrow.
    beyond: bool,
}

/// The chart's data in plot coordinates, clipped and ranged. Lines are in
/// parts: a line that leaves the value range stops at its edge.
struct Prepared {
    x: (f64, f64),
    y: (f64, f64),
    series: Vec<Vec<(f64, f64)>>,
    curve: Vec<Vec<(f64, f64)>>,
    fan_lo: Vec<Vec<(f64, f64)>>,
    fan_mid: Vec<Vec<(f64, f64)>>,
    fan_hi: Vec<Vec<(f64, f64)>>,
    /// The p10–p90 band, cut to the plot.
    fan_poly: Vec<(f64, f64)>,
    /// Where the projection ends, when a p50 or p80 date lies beyond it.
    fan_ends_early: Option<(f64, chrono::NaiveDate)>,
}

impl Prepared {
    fn new(c: &MetricChart) -> Prepared {
        let finite = |v: f64| v.is_finite();
        let series: Vec<Vec<(f64, f64)>> = c
            .series
            .iter()
            .map(|s| {
                let mut v: Vec<(f64, f64)> =
                    s.points.iter().filter(|p| finite(p.1)).map(|(d, v)| (day(*d), *v)).collect();
                v.sort_by(|a, b| a.0.total_cmp(&b.0));
                v
            })
            .collect();
        let mut curve: Vec<(f64, f64)> = c.curve.iter().filter(|p| finite(p.1)).map(|(d, v)| (day(*d), *v)).collect();
        curve.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut fan: Vec<(f64, f64, f64, f64)> = c
            .fan
            .iter()
            .filter(|f| finite(f.1) && finite(f.2) && finite(f.3))
            .map(|(d, a, b, e)| {
                // Quantiles may arrive unordered after rounding; the band needs lo ≤ hi.
                let lo = a.min(*e);
                let hi = a.max(*e);
                (day(*d), lo, b.clamp(lo, hi), hi)
            })
            .collect();
        fan.sort_by(|a, b| a.0.total_cmp(&b.0));

        // x range: the data, as-of and the dates that matter, the future capped.
        let as_of = day(c.as_of);
        let cap = as_of + FUTURE_CAP_DAYS;
        let mut xs: Vec<f64> = vec![as_of];
        xs.extend(series.iter().flatten().map(|p| p.0));
        xs.extend(curve.iter().map(|p| p.0));
        xs.extend(fan.iter().map(|p| p.0));
        xs.extend([c.p50, c.p80, c.deadline].into_iter().flatten().map(day));
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().filter(|x| *x <= cap).fold(f64::NEG_INFINITY, f64::max).max(as_of);
        // Anything past the cap still pushes the axis to the cap itself.
        let hi = if xs.iter().any(|x| *x > cap) { cap } else { hi };
        let (lo, hi) = if hi - lo < 14.0 { (lo - 7.0, hi + 7.0) } else { (lo, hi) };
        let span = hi - lo;
        let x = (lo - span * 0.02, hi + span * 0.03);

        let curve = clip_x(&curve, x.0, x.1);
        let fan_lo = clip_x(&fan.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(), x.0, x.1);
        let fan_mid = clip_x(&fan.iter().map(|f| (f.0, f.2)).collect::<Vec<_>>(), x.0, x.1);
        let fan_hi = clip_x(&fan.iter().map(|f| (f.0, f.3)).collect::<Vec<_>>(), x.0, x.1);

        // y range: readings, curve and target band set the frame; the fan may widen it,
        // but only so far, so a wild projection does not flatten the history.
        let tol = if c.tolerance.is_finite() { c.tolerance.abs() } else { 0.0 };
        let mut core: Vec<f64> = vec![];
        if c.target.is_finite() {
            core.extend([c.target - tol, c.target + tol]);
        }
        core.extend(series.iter().flatten().map(|p| p.1));
        core.extend(curve.iter().map(|p| p.1));
        let core_lo = core.iter().copied().fold(f64::INFINITY, f64::min);
        let core_hi = core.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (core_lo, core_hi) = if core_lo.is_finite() { (core_lo, core_hi) } else { (0.0, 1.0) };
        let core_span = (core_hi - core_lo).max(core_lo.abs().max(core_hi.abs()) * 0.1).max(1e-9);
        let fan_min = fan_lo.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let fan_max = fan_hi.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let y_lo = core_lo.min(fan_min.max(core_lo - core_span));
        let y_hi = core_hi.max(fan_max.min(core_hi + core_span));
        let y = pad_range(y_lo, y_hi, 0.07);

        // Cut drawn lines at the range: plotters does not clip, and pinning
        // them to the edge would draw a flat line that was never projected.
        let series = series
            .into_iter()
            .map(|s| s.into_iter().filter(|p| p.0 >= x.0 && p.0 <= x.1).map(|(a, b)| (a, b.clamp(y.0, y.1))).collect())
            .collect();
        let mut band = fan_hi.clone();
        band.extend(fan_lo.iter().rev());
        let fan_poly = if fan_lo.len() >= 2 { scale::clip_polygon_y(&band, y.0, y.1) } else { Vec::new() };
        // The projection stops short of a date it gives (the forecast's fan
        // covers a fixed span): say where, rather than leave a silent gap.
        let last = fan.last().map(|f| f.0).filter(|&end| end < x.1);
        let beyond = [c.p50, c.p80].into_iter().flatten().map(day).any(|d| last.is_some_and(|end| d > end + 7.0));
        let fan_ends_early = last.filter(|_| beyond).and_then(|end| date(end).map(|d| (end, d)));
        Prepared {
            x,
            y,
            series,
            curve: scale::clip_y(&curve, y.0, y.1),
            fan_lo: scale::clip_y(&fan_lo, y.0, y.1),
            fan_mid: scale::clip_y(&fan_mid, y.0, y.1),
            fan_hi: scale::clip_y(&fan_hi, y.0, y.1),
            fan_poly,
            fan_ends_early,
        }
    }

    fn markers(&self, c: &MetricChart, status: RGBColor) -> Vec<Marker> {
        let mut out = vec![];
        let mut add = |d: chrono::NaiveDate, name: &str, color, label_color, width, dashed| {
            let x = day(d);
            let beyond = x > self.x.1;
            let when = d.format("%Y-%m-%d");
            out.push(Marker {
                x,
                label: if beyond { format!("{name} {when} →") } else { format!("{name} {when}") },
                color,
                label_color,
                width,
                dashed,
                beyond,
            });
        };
        add(c.as_of, "as of", style::MUTED.mix(0.7).to_rgba(), style::MUTED, 1, false);
        if let Some(p) = c.p50 {
            add(p, "p50", status.to_rgba(), status, 2, true);
        }
        if let Some(p) = c.p80 {
            add(p, "p80", status.mix(0.6).to_rgba(), status, 2, true);
        }
        if let Some(p) = c.deadline {
            add(p, "deadline", style::DEADLINE.to_rgba(), style::DEADLINE, 2, false);
        }
        out
    }
}

/// The legend panel on the right of a full chart: engineers, then what each line means.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &MetricChart,
    data: &Prepared,
    st: &style::StatusStyle,
    d: &Dims,
    (plot_top, _): (i32, f64),
) -> Result<(), ChartError> {
    let (xr, yr) = area.get_pixel_range();
    let w = xr.end - xr.start;
    let h = yr.end - yr.start;
    let line_h = 22;
    let x0 = 12;
    let text_x = x0 + 26;
    let mut y = (plot_top - yr.start).max(0) + 6;
    let head = anchored(text(d.label, style::MUTED), HPos::Left, VPos::Center);
    let entry = anchored(text(d.label + 1.0, style::INK), HPos::Left, VPos::Center);
    let max_text = w - text_x - 8;

    area.draw(&Text::new("Engineers", (x0, y), head.clone()))?;
    y += line_h;
    // Room for the forecast block below the engineer list.
    let forecast_rows = 6;
    let room = ((h - y - forecast_rows * line_h - 2 * line_h) / line_h).max(1) as usize;
    let n = c.series.len();
    if n == 0 {
        area.draw(&Text::new("no readings yet", (text_x, y), entry.clone()))?;
        y += line_h;
    }
    for (i, s) in c.series.iter().enumerate() {
        if i + 1 == room && n > room {
            let more = format!("+{} more", n - i);
            area.draw(&Text::new(more, (text_x, y), entry.clone()))?;
            y += line_h;
            break;
        }
        let color = style::engineer_color(i);
        area.draw(&Circle::new((x0 + 10, y), 5, color.filled()))?;
        let name = if s.engineer.trim().is_empty() { "(unnamed)".to_string() } else { s.engineer.clone() };
        let count = data.series.get(i).map_or(0, |v| v.len());
        let label = fit(area, &format!("{name} ({count})"), &entry, max_text);
        area.draw(&Text::new(label, (text_x, y), entry.clone()))?;
        y += line_h;
    }

    y += line_h / 2;
    area.draw(&Text::new("Forecast", (x0, y), head))?;
    y += line_h;
    let sample = |y: i32| [(x0, y), (x0 + 20, y)];
    let tol = c.tolerance.abs();
    let rel = if c.direction_up { "≥" } else { "≤" };
    let target = if tol > 0.0 {
        format!("target {rel} {} ±{}", style::fmt_value(c.target), style::fmt_value(tol))
    } else {
        format!("target {rel} {}", style::fmt_value(c.target))
    };
    area.draw(&Rectangle::new([(x0, y - 6), (x0 + 20, y + 6)], style::TARGET.mix(0.13).filled()))?;
    area.draw(&DashedPathElement::new(sample(y), 5, 3, style::TARGET.stroke_width(2)))?;
    area.draw(&Text::new(fit(area, &target, &entry, max_text), (text_x, y), entry.clone()))?;
    y += line_h;
    if !data.curve.is_empty() {
        area.draw(&PathElement::new(sample(y), CURVE.stroke_width(3)))?;
        area.draw(&Text::new("fitted curve", (text_x, y), entry.clone()))?;
        y += line_h;
    }
    if data.fan_poly.len() >= 3 {
        area.draw(&Rectangle::new([(x0, y - 6), (x0 + 20, y + 6)], st.color.mix(0.18).filled()))?;
        area.draw(&Text::new("p10–p90 projection", (text_x, y), entry.clone()))?;
        y += line_h;
        area.draw(&DashedPathElement::new(sample(y), 5, 3, st.color.stroke_width(2)))?;
        area.draw(&Text::new("p50 projection", (text_x, y), entry.clone()))?;
        y += line_h;
    }
    if c.deadline.is_some() {
        area.draw(&PathElement::new([(x0 + 10, y - 7), (x0 + 10, y + 7)], style::DEADLINE.stroke_width(2)))?;
        area.draw(&Text::new("deadline", (text_x, y), entry.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Days, NaiveDate};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A diverging metric whose projection runs far above its readings.
    fn diverging() -> MetricChart {
        let start = d("2026-06-01");
        let as_of = d("2026-11-29");
        MetricChart {
            title: "ground/latency".into(),
            unit: Some("ms".into()),
            status: "diverging".into(),
            reason: "Diverging.".into(),
            direction_up: false,
            target: 40.0,
            tolerance: 2.0,
            series: vec![crate::render::chart::Series {
                engineer: "x".into(),
                points: (0..26u64).map(|w| (start + Days::new(7 * w), 60.0 + w as f64)).collect(),
            }],
            curve: vec![],
            fan: (0..60u64)
                .map(|w| {
                    let mid = 86.0 * 1.08f64.powi(w as i32);
                    (as_of + Days::new(7 * w), mid * 0.8, mid, mid * 1.3)
                })
                .collect(),
            p50: None,
            p80: None,
            deadline: None,
            as_of,
            highlight: false,
        }
    }

    /// Issue 14, defect 8: a diverging metric's p50 line was clamped flat
    /// along the top of the chart. It is cut where it leaves the range.
    #[test]
    fn a_projection_leaving_the_range_is_cut_not_flattened() {
        let p = Prepared::new(&diverging());
        let top = p.y.1;
        assert!(!p.fan_mid.is_empty());
        for part in p.fan_mid.iter().chain(&p.fan_hi).chain(&p.fan_lo) {
            assert!(part.iter().all(|q| q.1 <= top && q.1 >= p.y.0), "{part:?}");
            let flat = part.windows(2).filter(|w| w[0].1 == top && w[1].1 == top).count();
            assert_eq!(flat, 0, "a line runs along the top edge: {part:?}");
        }
        // The p50 line stops at the edge, where the projection crossed it.
        let end = *p.fan_mid[0].last().unwrap();
        assert!((end.1 - top).abs() < 1e-9, "{end:?}");
        assert!(end.0 < p.x.1 - 7.0, "the line goes on along the edge to the end: {end:?}");
        for q in &p.fan_poly {
            assert!(q.1 <= top + 1e-9 && q.1 >= p.y.0 - 1e-9);
        }
    }

    #[test]
    fn clipping_keeps_the_parts_inside() {
        let line = [(0.0, 0.0), (1.0, 5.0), (2.0, 15.0), (3.0, 5.0), (4.0, -5.0), (5.0, 5.0)];
        let parts = scale::clip_y(&line, 0.0, 10.0);
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert_eq!(parts[0], vec![(0.0, 0.0), (1.0, 5.0), (1.5, 10.0)]);
        assert_eq!(parts[1], vec![(2.5, 10.0), (3.0, 5.0), (3.5, 0.0)]);
        assert_eq!(parts[2], vec![(4.5, 0.0), (5.0, 5.0)]);
    }

    /// Issue 14, defect 8: the p80 label covered "target 50", and target
    /// labels were cut at the top of dashboard cells. No label overlaps
    /// another, and each stays inside the plot.
    #[test]
    fn labels_never_overlap_and_stay_inside_the_plot() {
        let plot = (420, 200);
        // as of, p50, p80 and a deadline within a few pixels of each other.
        let markers = [
            MarkerLabel { x: 300, w: 90, beyond: false },
            MarkerLabel { x: 306, w: 92, beyond: false },
            MarkerLabel { x: 312, w: 92, beyond: false },
            MarkerLabel { x: 318, w: 120, beyond: false },
        ];
        let placed = place_markers(&markers, plot, 14, 13, 3);
        let mut rects: Vec<Rect> = placed.iter().map(|(r, _)| *r).collect();
        // The target line right at the top edge: its label cannot go above.
        for line_y in [0, 2, 10, 30, 100, 199] {
            let t = place_target(line_y, 60, 13, plot, &rects);
            assert!(t.0 >= 0 && t.1 >= 0 && t.2 <= plot.0 && t.3 <= plot.1, "outside: {t:?}");
            for r in &rects {
                assert!(!overlaps(t, *r), "target label {t:?} over a marker label {r:?} (line at {line_y})");
            }
        }
        rects.push(place_target(5, 60, 13, plot, &rects));
        for (i, a) in rects.iter().enumerate() {
            assert!(a.0 >= 0 && a.1 >= 0 && a.2 <= plot.0 && a.3 <= plot.1, "outside: {a:?}");
            for b in &rects[..i] {
                assert!(!overlaps(*a, *b), "{a:?} overlaps {b:?}");
            }
        }
    }

    /// Issue 14, defect 8: a stalled metric's fan ended in mid-2027 while its
    /// p50 line sat in 2028, without a word. Where the projection stops short
    /// of a date it gives, the chart says so (the forecast decides how far
    /// the fan reaches).
    #[test]
    fn a_projection_that_stops_short_of_its_dates_says_so() {
        let mut c = diverging();
        c.fan.truncate(26);
        c.p50 = Some(d("2028-02-01"));
        let p = Prepared::new(&c);
        let (_, end) = p.fan_ends_early.expect("noted");
        assert_eq!(end, c.fan.last().unwrap().0);
        let svg =
            String::from_utf8(crate::render::chart::metric(&c, crate::render::chart::Format::Svg).unwrap()).unwrap();
        assert!(svg.contains(&format!("projection shown to {end}")), "no note in the chart");
        c.p50 = Some(c.fan[20].0);
        assert!(Prepared::new(&c).fan_ends_early.is_none(), "no note when the fan covers the dates");
    }
}
