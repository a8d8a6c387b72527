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

/// One metric's forecast as of a date with the value fan and fitted curve its chart draws,
/// and its readings (the metric as a position in the snapshot, which need not hold the
/// readings of every metric).
pub type FanOf<'a> =
    dyn Fn(NaiveDate, usize) -> Result<(crate::core::forecast::Forecast, Vec<crate::core::model::Observation>)> + 'a;

/// The report as of `as_of` (and the week before, for what changed), plus
/// its charts when `with_charts`, and the limiting factor week by week over
/// the last `history_weeks` weeks. Every outlook it needs is asked of
/// `outlooks_at` at once (the caller forecasts them, through its cache).
pub fn build(
    snapshot: &Snapshot,
    as_of: NaiveDate,
    policy: &report::Policy,
    with_charts: bool,
    history_weeks: u32,
    outlooks_at: &OutlooksAt<'_>,
    fan_of: &FanOf<'_>,
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
    asks.extend(history_dates.iter().chain(&trail_dates).map(|&d| (d, false)));
    let mut all = outlooks_at(&asks)?.into_iter();
    let mut now = all.next().context("no outlook for the report's date")?;
    let previous = match previous_date {
        Some(_) => Some(all.next().context("no outlook for the week before")?),
        None => None,
    };
    let older: Vec<analysis::Outlook> = all.by_ref().take(history_dates.len()).collect();
    let computed: Vec<analysis::Outlook> = all.collect();
    let mut report = report::build(snapshot, &now, previous.as_ref(), policy);
    if history_weeks > 0 {
        let last_week = previous.as_ref().filter(|_| history_weeks >= 2);
        let all: Vec<&analysis::Outlook> = older.iter().chain(last_week).chain([&now]).collect();
        report.limiting_factor_history = report::limiting_history(&all);
    }
    let mut charts = Charts::default();
    if with_charts {
        if let Some(lf) = &now.analysis.limiting_factor {
            if let Some(m) = snapshot.metric_index(&lf.project, &lf.metric) {
                let (forecast, observations) = fan_of(as_of, m)?;
                now.forecasts[m] = forecast;
                let c = chart_data::metric_chart(snapshot, &now, m, &observations, true);
                charts.limiting = Some(svg(chart::metric(&c, Format::Svg)?, "lf"));
            }
        }
        // The trail: three and two weeks ago (computed for the history
        // already, when it was asked for), then last week.
        let source = if older.len() >= 2 { &older[older.len() - 2..] } else { &computed[..] };
        let trail: Vec<&analysis::Outlook> = source.iter().chain(previous.as_ref()).collect();
        let fever = chart_data::fever_chart(snapshot, &now, &trail);
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
