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
        let (_, body) = root.split_vertically(66);

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
        let zone_label = text(15.0, style::MUTED);
        pa.draw(&Text::new(ZONE_NAME[0], (pw - 10, ph - 10), anchored(zone_label.clone(), HPos::Right, VPos::Bottom)))?;
        pa.draw(&Text::new(ZONE_NAME[2], (10, 10), anchored(zone_label.clone(), HPos::Left, VPos::Top)))?;
        let (mx, my) = local(chart.backend_coord(&(0.85, (boundary(g, 0.85) + boundary(y, 0.85)) / 2.0)));
        pa.draw(&Text::new(ZONE_NAME[1], (mx, my), anchored(zone_label, HPos::Center, VPos::Center)))?;

        if c.projects.is_empty() {
            pa.draw(&Text::new(
                "no projects to show",
                (pw / 2, ph / 2),
                anchored(text(18.0, style::MUTED), HPos::Center, VPos::Center),
            ))?;
            return Ok(());
        }

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

        let mut placed: Vec<(i32, i32, i32, i32)> = vec![];
        for p in &c.projects {
            let pt = (unit(p.closed), unit(p.risk));
            let z = zone(pt.0, pt.1);
            chart.draw_series(std::iter::once(Circle::new(pt, 8, ZONE_DOT[z].filled())))?;
            chart.draw_series(std::iter::once(Circle::new(pt, 8, style::INK.stroke_width(2))))?;
            placed.push({
                let (x, y) = local(chart.backend_coord(&pt));
                (x - 9, y - 9, x + 9, y + 9)
            });
        }
        // Labels after all dots, each placed where it overlaps no dot or earlier label.
        let ts = text(14.0, style::INK);
        for p in &c.projects {
            let pt = (unit(p.closed), unit(p.risk));
            let (x, y) = local(chart.backend_coord(&pt));
            let label = fit(&pa, &p.label, &ts, 220);
            let lw = text_width(&pa, &label, &ts);
            let lh = 18;
            let candidates = [
                (x + 12, y - lh / 2),
                (x - 12 - lw, y - lh / 2),
                (x - lw / 2, y - 14 - lh),
                (x - lw / 2, y + 14),
                (x + 12, y - lh - 4),
                (x + 12, y + 4),
                (x - 12 - lw, y - lh - 4),
                (x - 12 - lw, y + 4),
            ];
            let fits = |&(l, t): &(i32, i32)| {
                l >= 2
                    && t >= 2
                    && l + lw <= pw - 2
                    && t + lh <= ph - 2
                    && placed.iter().all(|r| l + lw < r.0 || l > r.2 || t + lh < r.1 || t > r.3)
            };
            let (l, t) = candidates.iter().copied().find(|c| fits(c)).unwrap_or_else(|| {
                let l = (x + 12).min(pw - 2 - lw).max(2);
                (l, (y - lh / 2).clamp(2, (ph - lh - 2).max(2)))
            });
            placed.push((l - 2, t - 1, l + lw + 2, t + lh + 1));
            label_box(&pa, &label, (l, t), &anchored(ts.clone(), HPos::Left, VPos::Top), WHITE)?;
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
