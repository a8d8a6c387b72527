//! The weekly report's assembly: this week's outlook and last week's, the
//! core's report built from them, the limiting factor's history and, for
//! HTML, the charts drawn inline. Used by `report` and `demo`.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{Days, NaiveDate};

use crate::core::analysis;
use crate::core::model::Snapshot;
use crate::core::report::{self, Report};
use crate::render::chart::{self, Format};
use crate::render::chart_data;
use crate::render::template::Charts;

/// The outlooks as of each date asked, `(as_of, fan)` (with the value fans charts draw when
/// `fan`), in the order asked.
pub type OutlooksAt<'a> = dyn Fn(&[(NaiveDate, bool)]) -> Result<Vec<analysis::Outlook>> + 'a;

/// The same, each outlook handed over in the order asked and dropped before the next (see
/// `Forecaster::outlooks_each`): for the weeks of which only a little is kept.
pub type OutlooksEach<'a> =
    dyn Fn(&[(NaiveDate, bool)], &mut dyn FnMut(analysis::Outlook) -> Result<()>) -> Result<()> + 'a;

/// One metric's forecast as of a date with the value fan and fitted curve its chart draws,
/// and its readings (the metric as a position in the snapshot, which need not hold the
/// readings of every metric).
pub type FanOf<'a> =
    dyn Fn(NaiveDate, usize) -> Result<(crate::core::forecast::Forecast, Vec<crate::core::model::Observation>)> + 'a;

/// How the report asks for its outlooks: this week's and last week's whole
/// (`at`), the earlier weeks' one by one (`each`), and one metric's chart (`fan_of`).
pub struct Sources<'a> {
    pub at: &'a OutlooksAt<'a>,
    pub each: &'a OutlooksEach<'a>,
    pub fan_of: &'a FanOf<'a>,
}

/// The report as of `as_of` (and the week before, for what changed), plus
/// its charts when `with_charts`, and the limiting factor week by week over
/// the last `history_weeks` weeks. This week's and last week's outlooks are
/// asked of `sources.at` at once (the caller forecasts them, through its
/// cache); of the weeks before, only the limiting factor and the fever
/// chart's marks are kept, each week's forecasts dropped before the next.
pub fn build(
    snapshot: &Snapshot,
    as_of: NaiveDate,
    policy: &report::Policy,
    with_charts: bool,
    history_weeks: u32,
    sources: &Sources<'_>,
) -> Result<(Report, Charts)> {
    // The history covers the last `history_weeks` weeks, this one included:
    // the weeks before last week are forecast too, oldest first. The HTML
    // report's trail needs three and two weeks ago (the history's last two,
    // when it is that long).
    let week_before = |w: u64| as_of.checked_sub_days(Days::new(7 * w));
    let history_dates: Vec<NaiveDate> = (2..u64::from(history_weeks)).rev().filter_map(week_before).collect();
    let trail_dates: Vec<NaiveDate> = if with_charts && history_dates.len() < 2 {
        [3, 2].into_iter().filter_map(week_before).collect()
    } else {
        Vec::new()
    };
    // No fans: the HTML report draws one metric's chart, whose fan is asked for alone below
    // (the dates are the same with or without the fan).
    let mut asks: Vec<(NaiveDate, bool)> = vec![(as_of, false)];
    let previous_date = week_before(1);
    asks.extend(previous_date.map(|d| (d, false)));
    let mut all = (sources.at)(&asks)?.into_iter();
    let mut now = all.next().context("no outlook for the report's date")?;
    let previous = match previous_date {
        Some(_) => Some(all.next().context("no outlook for the week before")?),
        None => None,
    };
    drop(all);
    let mut report = report::build(snapshot, &now, previous.as_ref(), policy);
    let mut charts = Charts::default();
    // What the fever chart keeps of now and of last week.
    let mut fever_now = None;
    let mut fever_previous = None;
    if with_charts {
        if let Some(lf) = &now.analysis.limiting_factor {
            if let Some(m) = snapshot.metric_index(&lf.project, &lf.metric) {
                let (forecast, observations) = (sources.fan_of)(as_of, m)?;
                now.forecasts[m] = forecast;
                let c = chart_data::metric_chart(snapshot, &now, m, &observations, true);
                charts.limiting = Some(svg(chart::metric(&c, Format::Svg)?, "lf"));
            }
        }
        fever_now = Some(chart_data::fever_marks(snapshot, &now));
        fever_previous = previous.as_ref().map(|p| chart_data::fever_marks(snapshot, p));
    }
    let now_mark = report::limiting_mark(&now);
    let previous_mark = previous.as_ref().map(report::limiting_mark);
    drop(now);
    drop(previous);
    // The weeks before last week: their limiting factor and, for the two the trail draws,
    // their fever marks.
    let earlier: Vec<(NaiveDate, bool)> = history_dates.iter().chain(&trail_dates).map(|&d| (d, false)).collect();
    let trail_from = earlier.len().saturating_sub(2);
    let mut older_marks: Vec<(NaiveDate, Option<String>)> = Vec::new();
    let mut trail: Vec<chart_data::FeverMarks> = Vec::new();
    let mut k = 0;
    (sources.each)(&earlier, &mut |o| {
        if k < history_dates.len() {
            older_marks.push(report::limiting_mark(&o));
        }
        if with_charts && k >= trail_from {
            trail.push(chart_data::fever_marks(snapshot, &o));
        }
        k += 1;
        Ok(())
    })?;
    if history_weeks > 0 {
        let last_week = previous_mark.filter(|_| history_weeks >= 2);
        let marks: Vec<(NaiveDate, Option<String>)> =
            older_marks.into_iter().chain(last_week).chain([now_mark]).collect();
        report.limiting_factor_history = report::limiting_history_of(&marks);
    }
    if let Some(now) = fever_now {
        // The trail: three and two weeks ago (computed for the history
        // already, when it was asked for), then last week.
        trail.extend(fever_previous);
        let fever = chart_data::fever_chart_of(snapshot, &now, &trail);
        charts.fever = Some(svg(chart::fever(&fever, Format::Svg)?, "fv"));
    }
    Ok((report, charts))
}

/// SVG bytes as text for inline embedding, without the XML declaration.
fn svg(bytes: Vec<u8>, prefix: &str) -> String {
    let s = String::from_utf8_lossy(&bytes).into_owned();
    let s = match s.find("<svg") {
        Some(i) => s[i..].to_string(),
        None => s,
    };
    // Drawn with the embedded font's outlines: the page shows every name,
    // Chinese included, on a machine without the fonts for it.
    chart::text_as_paths(&s, prefix)
}

/// Draws a PNG chart for every metric, a dashboard per project and the
/// fever chart as of `as_of`, handing each to `write` with its file name as
/// soon as it is drawn (`limfac demo --out DIR`).
pub fn chart_files(
    snapshot: &Snapshot,
    as_of: NaiveDate,
    horizon: i64,
    write: &mut dyn FnMut(String, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let cal_at = |d| Ok(Arc::new(analysis::org_calibration(snapshot, d, horizon)));
    let outlook = analysis::outlook_for_charts(snapshot, as_of, horizon, &*cal_at(as_of)?);
    let limiting = outlook.analysis.limiting_factor.as_ref().map(|l| format!("{}/{}", l.project, l.metric));
    for (i, m) in snapshot.metrics.iter().enumerate() {
        let highlight = limiting.as_deref() == Some(m.key().as_str());
        let c = chart_data::metric_chart(snapshot, &outlook, i, snapshot.observations_of(i), highlight);
        write(format!("{}--{}.png", m.project, m.metric), chart::metric(&c, Format::Png)?)?;
    }
    for p in &snapshot.projects {
        let charts = chart_data::project_charts(snapshot, &outlook, &p.slug);
        let title = format!("{} — {} (as of {as_of})", p.slug, p.name);
        write(format!("dashboard-{}.png", p.slug), chart::dashboard(&title, &charts, Format::Png)?)?;
    }
    let trail = analysis::weeks_before(snapshot, as_of, horizon, &[4, 3, 2, 1], &cal_at)?;
    write(
        "fever.png".to_string(),
        chart::fever(&chart_data::fever_chart(snapshot, &outlook, &trail.iter().collect::<Vec<_>>()), Format::Png)?,
    )?;
    Ok(())
}
