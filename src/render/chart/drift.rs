//! The "ship date over time" chart: for each past week (x), the completion dates as they were
//! forecast that week (y) — the p10–p90 band and the p50 line. A band that climbs week after
//! week is a date that keeps slipping; one that narrows onto a flat line is work that
//! converges. Forecasts with no date within the horizon are pinned to the top, marked "later".

use super::style::{self, anchored, text};
use super::{ChartError, DriftChart, Paint};
use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

pub(crate) struct Painter<'a>(pub &'a DriftChart);

const BAND: RGBColor = RGBColor(144, 202, 249);
const LINE: RGBColor = RGBColor(21, 101, 192);

fn day(d: NaiveDate) -> i32 {
    chrono::Datelike::num_days_from_ce(&d)
}

fn date(n: i32) -> String {
    NaiveDate::from_num_days_from_ce_opt(n).map_or_else(String::new, |d| d.to_string())
}

impl Paint for Painter<'_> {
    fn paint<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let c = self.0;
        area.fill(&WHITE)?;
        let (w, _) = area.dim_in_pixel();
        area.draw_text(&c.title, &anchored(text(22.0, style::INK), HPos::Left, VPos::Top), (20, 14))?;
        area.draw_text(
            "Completion date as forecast each week: p10–p90 band, p50 line. Pinned to the top: no date within the horizon.",
            &anchored(text(14.0, style::MUTED), HPos::Left, VPos::Top),
            (20, 44),
        )?;
        let body = area.margin(70, 10, 10, 20);
        let xs: Vec<i32> = c.points.iter().map(|p| day(p.as_of)).collect();
        let (x0, x1) = match (xs.iter().min(), xs.iter().max()) {
            (Some(a), Some(b)) if a < b => (*a - 3, *b + 3),
            (Some(a), _) => (*a - 7, *a + 7),
            _ => return Ok(()),
        };
        let top = day(c.horizon_end);
        let finite: Vec<i32> =
            c.points.iter().flat_map(|p| [p.p10, p.p50, p.p90]).flatten().map(day).chain(c.deadline.map(day)).collect();
        let y0 = finite.iter().copied().min().unwrap_or(x0).min(x0);
        let y_max = finite.iter().copied().max().unwrap_or(x1).max(x1);
        let any_null = c.points.iter().any(|p| p.p90.is_none() || p.p50.is_none());
        let y1 = if any_null { top.max(y_max) } else { y_max } + 7;
        let mut chart = ChartBuilder::on(&body)
            .x_label_area_size(34)
            .y_label_area_size(96)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(style::GRID)
            .x_labels(6)
            .y_labels(8)
            .x_label_formatter(&|x| date(*x))
            .y_label_formatter(&|y| date(*y))
            .label_style(text(13.0, style::MUTED))
            .x_desc("forecast made on")
            .y_desc("done by")
            .axis_desc_style(text(14.0, style::MUTED))
            .draw()
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        // "Done by the day it was forecast": dates under this line were already due.
        chart
            .draw_series(LineSeries::new([(x0, x0), (x1, x1)], style::GRID.stroke_width(2)))
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        let pin = |d: Option<NaiveDate>| d.map_or(top, day);
        let band: Vec<(i32, i32)> = c
            .points
            .iter()
            .map(|p| (day(p.as_of), pin(p.p90)))
            .chain(c.points.iter().rev().map(|p| (day(p.as_of), pin(p.p10))))
            .collect();
        if band.len() >= 4 {
            chart
                .draw_series([Polygon::new(band, BAND.mix(0.45).filled())])
                .map_err(|e| ChartError::Draw(e.to_string()))?;
        }
        let line: Vec<(i32, i32)> = c.points.iter().map(|p| (day(p.as_of), pin(p.p50))).collect();
        chart
            .draw_series(LineSeries::new(line.clone(), LINE.stroke_width(3)))
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        chart
            .draw_series(line.iter().map(|&(x, y)| Circle::new((x, y), 4, LINE.filled())))
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        if let Some(d) = c.deadline {
            let y = day(d);
            chart
                .draw_series(LineSeries::new([(x0, y), (x1, y)], style::DEADLINE.stroke_width(2)))
                .map_err(|e| ChartError::Draw(e.to_string()))?;
            chart
                .draw_series([Text::new(
                    format!("deadline {d}"),
                    (x0 + 1, y),
                    anchored(text(13.0, style::DEADLINE), HPos::Left, VPos::Bottom),
                )])
                .map_err(|e| ChartError::Draw(e.to_string()))?;
        }
        if any_null {
            chart
                .draw_series([Text::new(
                    "later (no date within the horizon)",
                    (x0 + 1, top),
                    anchored(text(13.0, style::MUTED), HPos::Left, VPos::Top),
                )])
                .map_err(|e| ChartError::Draw(e.to_string()))?;
        }
        let _ = w;
        Ok(())
    }
}
