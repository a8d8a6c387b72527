//! The fever chart, in the style of critical-chain buffer charts: how much of each
//! project's gap is closed (x) against how likely it is to miss its date (y). Projects
//! drift through green, yellow and red diagonal zones; a faded trail shows where each was
//! in previous weeks, so the direction of travel is visible, not just the position.

use super::scale::Axis;
use super::style::{self, anchored, fit, label_box, text, text_width};
use super::{ChartError, FeverChart, Paint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

pub(crate) struct Painter<'a>(pub &'a FeverChart);

/// Zone boundaries, as (risk at 0% closed, risk at 100% closed). Tolerated risk rises with
/// progress, as buffer charts tolerate more buffer use late in a chain: early risk is
/// cheap to fix, so it is flagged sooner.
const GREEN_TOP: (f64, f64) = (0.20, 0.50);
const YELLOW_TOP: (f64, f64) = (0.45, 0.75);

const ZONE_FILL: [RGBColor; 3] = [RGBColor(200, 230, 201), RGBColor(255, 243, 176), RGBColor(255, 205, 210)];
const ZONE_DOT: [RGBColor; 3] = [RGBColor(46, 125, 50), RGBColor(230, 160, 0), RGBColor(198, 40, 40)];
const ZONE_NAME: [&str; 3] = ["on track", "watch", "act now"];

/// Said on the chart when a project has no deadline (its label has a `*`).
const NO_DEADLINE_NOTE: &str =
    "schedule risk = 1 − P(done by the deadline); * no deadline: the chance of not being done within 26 weeks";

/// A label's box in plot pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Dots within `near` pixels of each other (transitively), as groups of
/// indices in first-seen order: they get one label between them.
fn group_close(dots: &[(i32, i32)], near: i32) -> Vec<Vec<usize>> {
    let mut group: Vec<usize> = (0..dots.len()).collect();
    fn root(group: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while group[r] != r {
            r = group[r];
        }
        group[i] = r;
        r
    }
    for i in 0..dots.len() {
        for j in 0..i {
            if (dots[i].0 - dots[j].0).abs() <= near && (dots[i].1 - dots[j].1).abs() <= near {
                let (a, b) = (root(&mut group, i), root(&mut group, j));
                group[a.max(b)] = a.min(b);
            }
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut index: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for i in 0..dots.len() {
        let r = root(&mut group, i);
        let k = *index.entry(r).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[k].push(i);
    }
    out
}

/// Where a label of `size` goes for the dot at `anchor`: beside it, or
/// further out (with a leader line, the bool) in the first direction where it
/// covers nothing in `taken` and stays inside `bounds`; failing that, where
/// it covers least.
fn place_label(anchor: (i32, i32), size: (i32, i32), taken: &[Rect], bounds: (i32, i32)) -> (Rect, bool) {
    let (x, y) = anchor;
    let (w, h) = size;
    let inside = |r: &Rect| r.0 >= 2 && r.1 >= 2 && r.2 <= bounds.0 - 2 && r.3 <= bounds.1 - 2;
    let mut best: Option<(usize, Rect, bool)> = None;
    for (ring, d) in [12, 30, 52, 80].into_iter().enumerate() {
        let spots = [
            (x + d, y - h / 2),
            (x - d - w, y - h / 2),
            (x - w / 2, y - d - h),
            (x - w / 2, y + d),
            (x + d, y - d / 2 - h),
            (x + d, y + d / 2),
            (x - d - w, y - d / 2 - h),
            (x - d - w, y + d / 2),
        ];
        for (l, t) in spots {
            let r = (l, t, l + w, t + h);
            if !inside(&r) {
                continue;
            }
            let cost = taken.iter().filter(|o| overlaps(r, **o)).count();
            if cost == 0 {
                return (r, ring > 0);
            }
            if best.is_none_or(|b| cost < b.0) {
                best = Some((cost, r, ring > 0));
            }
        }
    }
    best.map(|(_, r, leader)| (r, leader)).unwrap_or_else(|| {
        let l = (x + 12).min(bounds.0 - 2 - w).max(2);
        let t = (y - h / 2).clamp(2, (bounds.1 - h - 2).max(2));
        ((l, t, l + w, t + h), false)
    })
}

fn boundary(b: (f64, f64), x: f64) -> f64 {
    b.0 + (b.1 - b.0) * x
}

/// 0 green, 1 yellow, 2 red.
fn zone(x: f64, y: f64) -> usize {
    if y <= boundary(GREEN_TOP, x) {
        0
    } else if y <= boundary(YELLOW_TOP, x) {
        1
    } else {
        2
    }
}

/// Inputs are shares; anything outside 0..1 (or NaN) is pinned to the frame rather than
/// failing the chart.
fn unit(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(0.0, 1.0)
    }
}

impl Paint for Painter<'_> {
    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let c = self.0;
        root.fill(&WHITE)?;
        let (w, _) = root.dim_in_pixel();
        let w = w as i32;
        let title_style = anchored(text(22.0, style::INK), HPos::Left, VPos::Top);
        let title = fit(root, &c.title, &title_style, w - 28);
        root.draw(&Text::new(title, (14, 12), title_style))?;
        let sub = format!(
            "as of {} · {} projects · trail: previous weeks, oldest faintest",
            c.as_of.format("%Y-%m-%d"),
            c.projects.len()
        );
        root.draw(&Text::new(sub, (14, 40), anchored(text(14.0, style::MUTED), HPos::Left, VPos::Top)))?;
        // What "risk" means for a project without a deadline, said on the chart.
        let undated = c.projects.iter().any(|p| !p.has_deadline);
        if undated {
            let note_style = anchored(text(13.0, style::MUTED), HPos::Left, VPos::Top);
            let note = fit(root, NO_DEADLINE_NOTE, &note_style, w - 28);
            root.draw(&Text::new(note, (14, 60), note_style))?;
        }
        let (_, body) = root.split_vertically(if undated { 82 } else { 66 });

        let ticks: Vec<f64> = (0..=5).map(|i| f64::from(i) * 0.2).collect();
        let pct = |v: &f64| format!("{:.0}%", v * 100.0);
        let mut chart = ChartBuilder::on(&body)
            .margin(14)
            .margin_top(4)
            .x_label_area_size(46)
            .y_label_area_size(64)
            .build_cartesian_2d(Axis::new(0.0, 1.0, ticks.clone()), Axis::new(0.0, 1.0, ticks))?;

        // Zones first, under the grid.
        let g = GREEN_TOP;
        let y = YELLOW_TOP;
        let zones = [
            vec![(0.0, 0.0), (1.0, 0.0), (1.0, g.1), (0.0, g.0)],
            vec![(0.0, g.0), (1.0, g.1), (1.0, y.1), (0.0, y.0)],
            vec![(0.0, y.0), (1.0, y.1), (1.0, 1.0), (0.0, 1.0)],
        ];
        for (poly, fill) in zones.into_iter().zip(ZONE_FILL) {
            chart.draw_series(std::iter::once(Polygon::new(poly, fill.filled())))?;
        }
        chart
            .configure_mesh()
            .bold_line_style(WHITE.mix(0.6))
            .light_line_style(TRANSPARENT)
            .axis_style(style::MUTED)
            .label_style(text(13.0, style::MUTED))
            .axis_desc_style(text(14.0, style::INK))
            .x_desc("share of gap closed")
            .y_desc("schedule risk = 1 − P(on time)")
            .x_label_formatter(&pct)
            .y_label_formatter(&pct)
            .draw()?;

        let pa = chart.plotting_area().strip_coord_spec();
        let (pxr, pyr) = pa.get_pixel_range();
        let local = |p: (i32, i32)| (p.0 - pxr.start, p.1 - pyr.start);
        let (pw, ph) = (pxr.end - pxr.start, pyr.end - pyr.start);
        // Trails under every dot, so that no trail hides another project's position.
        for p in &c.projects {
            let mut path: Vec<(f64, f64)> = p.trail.iter().map(|(x, y)| (unit(*x), unit(*y))).collect();
            path.push((unit(p.closed), unit(p.risk)));
            if path.len() >= 2 {
                chart.draw_series(LineSeries::new(path.iter().copied(), style::MUTED.mix(0.45).stroke_width(2)))?;
            }
            let n = p.trail.len();
            for (i, pt) in path.iter().take(n).enumerate() {
                // Oldest faintest: the eye follows the trail towards today.
                let alpha = 0.2 + 0.4 * (i + 1) as f64 / n as f64;
                chart.draw_series(std::iter::once(Circle::new(*pt, 4, style::MUTED.mix(alpha).filled())))?;
            }
        }

        // Dots first, then the zone names where no dot is, then the labels:
        // projects at (nearly) the same place share one label, and no label
        // covers a dot, a zone name or another label.
        let mut dots: Vec<(i32, i32)> = Vec::new();
        for p in &c.projects {
            let pt = (unit(p.closed), unit(p.risk));
            let z = zone(pt.0, pt.1);
            chart.draw_series(std::iter::once(Circle::new(pt, 8, ZONE_DOT[z].filled())))?;
            chart.draw_series(std::iter::once(Circle::new(pt, 8, style::INK.stroke_width(2))))?;
            dots.push(local(chart.backend_coord(&pt)));
        }
        let mut taken: Vec<Rect> = dots.iter().map(|&(x, y)| (x - 10, y - 10, x + 10, y + 10)).collect();
        let zone_style = text(15.0, style::MUTED);
        let zone_h = 18;
        let zone_spots = [
            // act now: top left, else top middle
            vec![(10, 10), (pw / 2, 10), (10, ph / 3)],
            // watch: along the middle of the yellow band
            [0.85, 0.6, 0.35, 0.15]
                .iter()
                .map(|&x| local(chart.backend_coord(&(x, (boundary(g, x) + boundary(y, x)) / 2.0))))
                .collect(),
            // on track: bottom right, else along the bottom
            vec![(pw - 10, ph - 10 - zone_h), (pw / 2, ph - 10 - zone_h), (10 + 80, ph - 10 - zone_h)],
        ];
        for (z, spots) in [2usize, 1, 0].into_iter().zip(zone_spots.iter()) {
            let name = ZONE_NAME[z];
            let zw = text_width(&pa, name, &zone_style);
            let rects: Vec<Rect> = spots
                .iter()
                .map(|&(x, yy)| {
                    // Spots are given by their left edge (act now), centre
                    // (watch) or right edge (on track).
                    let left = match z {
                        2 => x,
                        1 => x - zw / 2,
                        _ => x - zw,
                    };
                    let top = if z == 1 { yy - zone_h / 2 } else { yy };
                    let left = left.clamp(2, (pw - zw - 2).max(2));
                    let top = top.clamp(2, (ph - zone_h - 2).max(2));
                    (left, top, left + zw, top + zone_h)
                })
                .collect();
            let r = *rects.iter().min_by_key(|r| taken.iter().filter(|t| overlaps(**r, **t)).count()).expect("spots");
            pa.draw(&Text::new(name, (r.0, r.1), anchored(zone_style.clone(), HPos::Left, VPos::Top)))?;
            taken.push(r);
        }
        if c.projects.is_empty() {
            pa.draw(&Text::new(
                "no projects to show",
                (pw / 2, ph / 2),
                anchored(text(18.0, style::MUTED), HPos::Center, VPos::Center),
            ))?;
            return Ok(());
        }

        let ts = text(14.0, style::INK);
        let lh = 18;
        let groups = group_close(&dots, 10);
        let labels: Vec<(String, (i32, i32))> = groups
            .iter()
            .map(|g| {
                let names: Vec<String> = g
                    .iter()
                    .map(|&i| {
                        let p = &c.projects[i];
                        if p.has_deadline {
                            p.label.clone()
                        } else {
                            format!("{}*", p.label)
                        }
                    })
                    .collect();
                let (sx, sy) = g.iter().fold((0, 0), |(ax, ay), &i| (ax + dots[i].0, ay + dots[i].1));
                (names.join(", "), (sx / g.len() as i32, sy / g.len() as i32))
            })
            .collect();
        for (label, anchor) in &labels {
            let label = fit(&pa, label, &ts, 300);
            let lw = text_width(&pa, &label, &ts) + 4;
            let (r, leader) = place_label(*anchor, (lw, lh), &taken, (pw, ph));
            if leader {
                let (cx, cy) = ((r.0 + r.2) / 2, if r.1 > anchor.1 { r.1 } else { r.3 });
                pa.draw(&PathElement::new([*anchor, (cx, cy)], style::MUTED.stroke_width(1)))?;
            }
            taken.push(r);
            label_box(&pa, &label, (r.0 + 2, r.1), &anchored(ts.clone(), HPos::Left, VPos::Top), WHITE)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_diagonal() {
        assert_eq!(zone(0.0, 0.1), 0);
        assert_eq!(zone(0.0, 0.3), 1);
        assert_eq!(zone(0.0, 0.6), 2);
        // The same risk is tolerable late and not early.
        assert_eq!(zone(1.0, 0.45), 0);
        assert_eq!(zone(1.0, 0.8), 2);
    }
}
