//! The project dashboard: a grid of compact metric charts ("small multiples") in which the
//! limiting factor stands out with a thick border and a badge.

use super::metric::{self, Mode};
use super::style::{self, anchored, fit, text};
use super::{ChartError, MetricChart, Paint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// More cells than this make an unreadable poster; the rest are counted in the header.
const MAX_CELLS: usize = 48;
const HEADER: i32 = 64;
const GAP: i32 = 12;
const MARGIN: i32 = 16;

pub(crate) struct Painter<'a> {
    pub title: &'a str,
    pub charts: &'a [MetricChart],
}

impl Painter<'_> {
    fn shown(&self) -> usize {
        self.charts.len().min(MAX_CELLS)
    }

    /// Columns, rows and cell size for the charts shown.
    fn grid(&self) -> (usize, usize, (i32, i32)) {
        let n = self.shown().max(1);
        let cols = match n {
            1..=3 => n,
            4 => 2,
            5..=9 => 3,
            _ => 4,
        };
        let rows = n.div_ceil(cols);
        let cell = if cols >= 4 { (460, 300) } else { (520, 320) };
        (cols, rows, cell)
    }

    /// Picture size: grows with the grid.
    pub(crate) fn size(&self) -> (u32, u32) {
        let (cols, rows, (cw, ch)) = self.grid();
        let w = 2 * MARGIN + cols as i32 * cw + (cols as i32 - 1) * GAP;
        let h = HEADER + MARGIN + rows as i32 * ch + (rows as i32 - 1) * GAP;
        (w.max(600) as u32, h as u32)
    }

    /// The charts shown, limiting factor first when not all fit: it must never be the one
    /// left out.
    fn ordered(&self) -> Vec<&MetricChart> {
        if self.charts.len() <= MAX_CELLS {
            return self.charts.iter().collect();
        }
        let mut v: Vec<&MetricChart> = self.charts.iter().filter(|c| c.highlight).collect();
        v.extend(self.charts.iter().filter(|c| !c.highlight));
        v.truncate(MAX_CELLS);
        v
    }
}

impl Paint for Painter<'_> {
    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        root.fill(&WHITE)?;
        let (w, _) = root.dim_in_pixel();
        let w = w as i32;
        let title_style = anchored(text(24.0, style::INK), HPos::Left, VPos::Top);
        let title = fit(root, self.title, &title_style, w - 2 * MARGIN);
        root.draw(&Text::new(title, (MARGIN, 12), title_style))?;

        let mut sub = format!("{} metrics", self.charts.len());
        if let Some(lim) = self.charts.iter().find(|c| c.highlight) {
            sub.push_str(&format!(" · limiting factor: {}", lim.title));
        }
        if self.charts.len() > MAX_CELLS {
            sub.push_str(&format!(" · {} not shown", self.charts.len() - MAX_CELLS));
        }
        let sub_style = anchored(text(14.0, style::MUTED), HPos::Left, VPos::Top);
        let sub = fit(root, &sub, &sub_style, w - 2 * MARGIN);
        root.draw(&Text::new(sub, (MARGIN, 42), sub_style))?;

        let (cols, _, (cw, ch)) = self.grid();
        let charts = self.ordered();
        if charts.is_empty() {
            root.draw(&Text::new(
                "no metrics to show",
                (w / 2, HEADER + ch / 2),
                anchored(text(18.0, style::MUTED), HPos::Center, VPos::Center),
            ))?;
            return Ok(());
        }
        for (i, c) in charts.into_iter().enumerate() {
            let (col, row) = ((i % cols) as i32, (i / cols) as i32);
            let x = MARGIN + col * (cw + GAP);
            let y = HEADER + row * (ch + GAP);
            let cell = root.clone().shrink((x, y), (cw, ch));
            metric::draw(&cell, c, Mode::Compact)?;
            // Cells without a frame of their own get a hairline, drawn after the cell
            // filled its background, so the grid reads as separate charts.
            if !c.highlight && style::status_style(&c.status).frame.is_none() {
                style::frame(&cell, style::GRID, 1)?;
            }
        }
        Ok(())
    }
}
