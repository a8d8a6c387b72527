//! Checks on the built-in demo dataset: its shape, its integrity, and the
//! story the forecasting engine must be able to read in the numbers (power is
//! the limiting factor first, then chips).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use limfac::core::model::{Direction, Metric, ReviewKind};
use limfac::demo::story::{dataset, Dataset, DemoDue};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn today() -> NaiveDate {
    day(2026, 5, 14)
}

fn demo() -> Dataset {
    dataset(today())
}

fn key(project: &str, metric: &str) -> String {
    format!("{project}/{metric}")
}

fn metric<'a>(ds: &'a Dataset, k: &str) -> &'a Metric {
    ds.metrics.iter().find(|m| m.key() == k).unwrap_or_else(|| panic!("metric {k} missing"))
}

/// All readings of one metric, in date order.
fn readings(ds: &Dataset, k: &str) -> Vec<(NaiveDate, f64)> {
    let out: Vec<(NaiveDate, f64)> = ds
        .points
        .iter()
        .filter(|p| key(&p.point.project, &p.point.metric) == k)
        .map(|p| (p.point.date, p.point.value))
        .collect();
    assert!(!out.is_empty(), "no readings for {k}");
    out
}

fn gap(m: &Metric, value: f64) -> f64 {
    m.direction.gap(value, m.target)
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Date of the first weekly review.
fn first_date(ds: &Dataset) -> NaiveDate {
    ds.points.first().expect("points").point.date
}

/// Readings of `k` up to and including `date`, the last one's gap relative to the first's.
fn relative_gap_at(ds: &Dataset, k: &str, date: NaiveDate) -> f64 {
    let m = metric(ds, k);
    let r: Vec<_> = readings(ds, k).into_iter().filter(|(d, _)| *d <= date).collect();
    gap(m, r.last().expect("a reading").1) / gap(m, r[0].1)
}

fn depth(ds: &Dataset, handle: &str) -> usize {
    let boss: HashMap<&str, Option<&str>> =
        ds.engineers.iter().map(|e| (e.handle.as_str(), e.reports_to.as_deref())).collect();
    let mut d = 0;
    let mut cur = handle;
    while let Some(Some(b)) = boss.get(cur) {
        d += 1;
        cur = b;
        assert!(d <= ds.engineers.len(), "reports_to cycle through {handle}");
    }
    d
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[test]
fn organization_has_the_required_size_and_variety() {
    let ds = demo();
    assert!(ds.projects.len() >= 5, "{} projects", ds.projects.len());
    assert!(ds.engineers.len() >= 12, "{} engineers", ds.engineers.len());
    assert!(ds.metrics.len() >= 15, "{} metrics", ds.metrics.len());

    assert!(ds.metrics.iter().any(|m| m.direction == Direction::Up));
    assert!(ds.metrics.iter().any(|m| m.direction == Direction::Down));
    assert!(ds.metrics.iter().any(|m| m.tolerance == 0.0));
    assert!(ds.metrics.iter().any(|m| m.tolerance > 0.0));
    for m in &ds.metrics {
        assert!(m.target.is_finite() && m.target > 0.0, "{}: target {}", m.key(), m.target);
        assert!(m.tolerance >= 0.0 && m.tolerance < m.target.abs(), "{}: tolerance", m.key());
        assert!(m.unit.as_deref().is_some_and(|u| !u.is_empty()), "{}: unit", m.key());
        assert!(m.name.as_deref().is_some_and(|n| !n.is_empty()), "{}: name", m.key());
        if m.unit.as_deref() == Some("%") {
            assert!(m.target <= 100.0, "{}: percentage target", m.key());
        }
    }
    // Realistic targets on the headline metrics.
    let array = metric(&ds, "power/array-output-kw");
    assert_eq!((array.direction, array.target), (Direction::Up, 120.0));
    assert_eq!(metric(&ds, "power/cost-per-watt").direction, Direction::Down);
    let yield_pct = metric(&ds, "chips/yield-pct");
    assert_eq!(yield_pct.direction, Direction::Up);
    assert!(yield_pct.target <= 90.0);
    assert_eq!(metric(&ds, "chips/defect-density").direction, Direction::Down);

    let non_ascii = ds.engineers.iter().filter(|e| !e.name.is_ascii()).count();
    assert!(non_ascii >= 4, "{non_ascii} non-ASCII names");
    for p in &ds.projects {
        assert!((1..=5).contains(&p.priority), "{}: priority {}", p.slug, p.priority);
        assert!(p.owner.is_some(), "{}: owner", p.slug);
        assert!(ds.metrics.iter().any(|m| m.project == p.slug), "{} has no metric", p.slug);
    }
    let goal = ds.projects.iter().find(|p| p.slug == "orbital-compute").expect("goal project");
    assert_eq!(goal.priority, 1);
    for dep in ["power", "chips", "launch"] {
        assert!(goal.depends_on.iter().any(|d| d == dep), "orbital-compute must depend on {dep}");
    }
}

#[test]
fn slugs_and_handles_are_well_formed_and_unique() {
    let ds = demo();
    let mut seen = HashSet::new();
    for p in &ds.projects {
        assert!(is_slug(&p.slug), "bad project slug {:?}", p.slug);
        assert!(seen.insert(p.slug.clone()), "duplicate project {}", p.slug);
    }
    let mut seen = HashSet::new();
    for e in &ds.engineers {
        assert!(is_slug(&e.handle), "bad handle {:?}", e.handle);
        assert!(!e.name.trim().is_empty());
        assert!(seen.insert(e.handle.clone()), "duplicate engineer {}", e.handle);
    }
    let mut seen = HashSet::new();
    for m in &ds.metrics {
        assert!(is_slug(&m.metric), "bad metric slug {:?}", m.metric);
        assert!(seen.insert(m.key()), "duplicate metric {}", m.key());
    }
}

#[test]
fn every_reference_points_at_something_that_exists() {
    let ds = demo();
    let projects: HashSet<&str> = ds.projects.iter().map(|p| p.slug.as_str()).collect();
    let engineers: HashSet<&str> = ds.engineers.iter().map(|e| e.handle.as_str()).collect();
    let metrics: HashSet<String> = ds.metrics.iter().map(Metric::key).collect();

    assert!(engineers.contains(ds.reviewer.as_str()));
    for m in &ds.metrics {
        assert!(projects.contains(m.project.as_str()), "{}: unknown project", m.key());
    }
    for p in &ds.projects {
        for d in &p.depends_on {
            assert!(projects.contains(d.as_str()), "{} depends on unknown {d}", p.slug);
        }
        let owner = p.owner.as_deref().expect("owner");
        assert!(engineers.contains(owner), "{}: owner {owner} is not an engineer", p.slug);
    }
    for e in &ds.engineers {
        if let Some(b) = &e.reports_to {
            assert!(engineers.contains(b.as_str()), "{} reports to unknown {b}", e.handle);
        }
    }
    for dp in &ds.points {
        let p = &dp.point;
        assert!(projects.contains(p.project.as_str()), "point on unknown project {}", p.project);
        assert!(metrics.contains(&key(&p.project, &p.metric)), "point on unknown metric {}", p.metric);
        assert!(engineers.contains(p.engineer.as_str()), "point by unknown {}", p.engineer);
        assert_eq!(dp.reviewer, ds.reviewer);
        assert_eq!(p.review, None);
    }
    for r in &ds.resolutions {
        assert!(projects.contains(r.project.as_str()));
    }
    for d in &ds.deadlines {
        assert!(projects.contains(d.project.as_str()), "deadline on unknown {}", d.project);
        if let Some(m) = &d.metric {
            assert!(metrics.contains(&key(&d.project, m)), "deadline on unknown {m}");
        }
    }
    // Every engineer is heard at least once, every metric has a history.
    let speakers: HashSet<&str> = ds.points.iter().map(|p| p.point.engineer.as_str()).collect();
    for e in &ds.engineers {
        if e.handle != ds.reviewer {
            assert!(speakers.contains(e.handle.as_str()), "{} never reports", e.handle);
        }
    }
    for m in &ds.metrics {
        assert!(readings(&ds, &m.key()).len() >= 12, "{}: too few readings", m.key());
    }
}

#[test]
fn org_chart_is_acyclic_and_three_levels_deep() {
    let ds = demo();
    let roots: Vec<&str> = ds.engineers.iter().filter(|e| e.reports_to.is_none()).map(|e| e.handle.as_str()).collect();
    assert_eq!(roots, vec![ds.reviewer.as_str()], "the reviewer is the only top of the chart");

    let depths: BTreeMap<usize, usize> = ds.engineers.iter().fold(BTreeMap::new(), |mut acc, e| {
        *acc.entry(depth(&ds, &e.handle)).or_insert(0) += 1;
        acc
    });
    assert_eq!(depths.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2], "levels: {depths:?}");
    assert!(depths[&1] >= 3, "leads: {depths:?}");
    assert!(depths[&2] >= 8, "ICs: {depths:?}");
    // Every lead has at least one report.
    for lead in ds.engineers.iter().filter(|e| depth(&ds, &e.handle) == 1) {
        assert!(ds.engineers.iter().any(|e| e.reports_to.as_deref() == Some(lead.handle.as_str())));
    }
}

#[test]
fn project_dependencies_are_acyclic() {
    let ds = demo();
    let deps: HashMap<&str, Vec<&str>> =
        ds.projects.iter().map(|p| (p.slug.as_str(), p.depends_on.iter().map(String::as_str).collect())).collect();
    // Kahn's algorithm: every project must be removable.
    let mut remaining: HashMap<&str, usize> = deps.iter().map(|(k, v)| (*k, v.len())).collect();
    let mut order = Vec::new();
    while let Some(next) = remaining.iter().find(|(_, n)| **n == 0).map(|(k, _)| *k) {
        remaining.remove(next);
        order.push(next);
        for (k, v) in &deps {
            if v.contains(&next) {
                if let Some(n) = remaining.get_mut(k) {
                    *n -= 1;
                }
            }
        }
    }
    assert!(remaining.is_empty(), "cycle among {:?}", remaining.keys());
    assert_eq!(order.len(), ds.projects.len());
    assert!(ds.projects.iter().any(|p| p.depends_on.is_empty()));
    assert!(ds.projects.iter().filter(|p| !p.depends_on.is_empty()).count() >= 2);
}

#[test]
fn dates_stay_within_the_window_for_any_today() {
    // Every weekday, a year end and a leap day.
    let mut todays: Vec<NaiveDate> = (0..7).map(|k| day(2026, 5, 11) + Duration::days(k)).collect();
    todays.extend([day(2025, 12, 31), day(2028, 2, 29), day(2024, 1, 1)]);
    for t in todays {
        let ds = dataset(t);
        let lo = t - Duration::weeks(26);
        let in_window = |d: NaiveDate| lo <= d && d <= t;
        for p in &ds.points {
            assert!(in_window(p.point.date), "{t}: point dated {}", p.point.date);
        }
        assert!(ds.points.windows(2).all(|w| w[0].point.date <= w[1].point.date), "{t}: points not sorted");
        for r in &ds.resolutions {
            assert!(in_window(r.resolved), "{t}: resolution dated {}", r.resolved);
        }
        for d in &ds.deadlines {
            assert!(in_window(d.set_on), "{t}: deadline set on {}", d.set_on);
        }
        assert!(ds.deadlines.windows(2).all(|w| w[0].set_on <= w[1].set_on), "{t}: deadlines out of order");

        // Weekly meetings: one per week, the last one on or just before today.
        let meetings: BTreeSet<NaiveDate> =
            ds.points.iter().filter(|p| p.kind != ReviewKind::DeepDive).map(|p| p.point.date).collect();
        let last = *meetings.last().expect("meetings");
        assert!(t - last < Duration::days(7), "{t}: last weekly review {last}");
        assert!(meetings.len() >= 25, "{t}: {} weekly reviews", meetings.len());
        let v: Vec<_> = meetings.iter().collect();
        assert!(v.windows(2).all(|w| *w[1] - *w[0] == Duration::days(7)), "{t}: reviews not weekly");
        assert!(last - first_date(&ds) >= Duration::weeks(24), "{t}: history shorter than 24 weeks");
        assert!(meetings.iter().all(|d| d.weekday() == last.weekday()));
    }
}

#[test]
fn same_today_gives_identical_data() {
    assert_eq!(dataset(today()), dataset(today()));
    let monday = day(2026, 5, 11);
    assert_eq!(monday.weekday(), Weekday::Mon);
    for k in 1..7 {
        assert_eq!(dataset(monday), dataset(monday + Duration::days(k)), "same week, same data");
    }
}

#[test]
fn another_today_shifts_dates_and_keeps_values_and_notes() {
    let a = dataset(today());
    let shift = Duration::weeks(37);
    let b = dataset(today() + shift);
    assert_eq!(a.points.len(), b.points.len());
    for (x, y) in a.points.iter().zip(&b.points) {
        assert_eq!(x.point.date + shift, y.point.date);
        assert_eq!(x.point.value.to_bits(), y.point.value.to_bits());
        assert_eq!(x.point.note, y.point.note);
        assert_eq!(
            (&x.point.project, &x.point.metric, &x.point.engineer, x.kind, &x.blockers),
            (&y.point.project, &y.point.metric, &y.point.engineer, y.kind, &y.blockers)
        );
    }
    assert_eq!((&a.projects, &a.engineers, &a.metrics), (&b.projects, &b.engineers, &b.metrics));
    for (x, y) in a.resolutions.iter().zip(&b.resolutions) {
        assert_eq!(x.resolved + shift, y.resolved);
        assert_eq!(x.text, y.text);
    }
    for (x, y) in a.deadlines.iter().zip(&b.deadlines) {
        assert_eq!(x.set_on + shift, y.set_on);
        match (x.due, y.due) {
            (DemoDue::P50, DemoDue::P50) => {}
            (DemoDue::Date(p), DemoDue::Date(q)) => assert_eq!(p + shift, q),
            other => panic!("due changed kind: {other:?}"),
        }
    }
}

#[test]
fn notes_are_present_short_and_varied() {
    let ds = demo();
    let notes: Vec<&str> = ds.points.iter().map(|p| p.point.note.as_str()).collect();
    for n in &notes {
        assert!(!n.trim().is_empty(), "empty note");
        assert_eq!(n.trim(), *n, "untrimmed note {n:?}");
        assert!(n.chars().count() < 300, "note too long ({}): {n}", n.chars().count());
        assert!(n.chars().any(|c| c.is_ascii_digit()), "note without a number: {n}");
    }
    let unique: HashSet<&str> = notes.iter().copied().collect();
    assert!(unique.len() * 10 >= notes.len() * 6, "{} unique of {}", unique.len(), notes.len());
    // Beyond the numbers, the sentences themselves vary.
    let bodies: HashSet<&str> = notes.iter().filter_map(|n| n.split_once(". ").map(|(_, rest)| rest)).collect();
    assert!(bodies.len() >= 150, "only {} distinct note bodies", bodies.len());
    for needle in ["firmware v2.3", "MPPT oscillation", "Lot 7 wafers back from probe", "interconnect permit", "lot 9"]
    {
        assert!(notes.iter().any(|n| n.contains(needle)), "no note mentions {needle:?}");
    }
}

#[test]
fn values_are_finite_and_sensible() {
    let ds = demo();
    let metrics: HashMap<String, &Metric> = ds.metrics.iter().map(|m| (m.key(), m)).collect();
    for dp in &ds.points {
        let p = &dp.point;
        let m = metrics[&key(&p.project, &p.metric)];
        assert!(p.value.is_finite(), "{}: {}", m.key(), p.value);
        assert!(p.value >= 0.0, "{}: negative {}", m.key(), p.value);
        match m.unit.as_deref() {
            Some("%") => assert!(p.value <= 100.0, "{}: {}%", m.key(), p.value),
            Some("tools") | Some("wafers/wk") => {
                assert_eq!(p.value.fract(), 0.0, "{}: fractional count {}", m.key(), p.value)
            }
            _ => {}
        }
        // Within an order of magnitude of the target: no absurd readings.
        assert!(p.value <= m.target * 10.0 && p.value >= m.target / 10.0, "{}: {}", m.key(), p.value);
    }
}

#[test]
fn review_kinds_follow_the_method() {
    let ds = demo();
    let first = first_date(&ds);
    let week_of = |d: NaiveDate| (d - first).num_days() / 7;

    let skip: Vec<_> = ds.points.iter().filter(|p| p.kind == ReviewKind::SkipLevel).collect();
    let skip_dates: BTreeSet<NaiveDate> = skip.iter().map(|p| p.point.date).collect();
    assert!(skip_dates.len() >= 4, "{} skip-level reviews", skip_dates.len());
    for p in &skip {
        assert_eq!(depth(&ds, &p.point.engineer), 2, "skip-level speaker {} is not an IC", p.point.engineer);
    }

    let deep: Vec<_> = ds.points.iter().filter(|p| p.kind == ReviewKind::DeepDive).collect();
    assert!(!deep.is_empty());
    for p in &deep {
        let expected = if week_of(p.point.date) <= 12 { "power" } else { "chips" };
        assert_eq!(p.point.project, expected, "deep-dive on {} in week {}", p.point.project, week_of(p.point.date));
    }
    // The limiting factor is heard twice a week in its period.
    for (project, weeks) in [("power", 2..=11), ("chips", 14..=23)] {
        for w in weeks {
            let days: BTreeSet<NaiveDate> = ds
                .points
                .iter()
                .filter(|p| p.point.project == project && week_of(p.point.date) == w)
                .map(|p| p.point.date)
                .collect();
            assert!(days.len() >= 2, "{project} heard on {} day(s) in week {w}", days.len());
        }
    }
    // Several engineers sometimes report on the same metric at the same review.
    let mut speakers: HashMap<(NaiveDate, String), HashSet<&str>> = HashMap::new();
    for p in &ds.points {
        speakers.entry((p.point.date, key(&p.point.project, &p.point.metric))).or_default().insert(&p.point.engineer);
    }
    assert!(speakers.values().filter(|s| s.len() >= 2).count() >= 10);
}

#[test]
fn defect_density_plateaus_short_of_its_target() {
    let ds = demo();
    let m = metric(&ds, "chips/defect-density");
    let r = readings(&ds, "chips/defect-density");
    let gaps: Vec<f64> = r.iter().map(|(_, v)| gap(m, *v)).collect();
    let last6 = &gaps[gaps.len() - 6..];
    let g = mean(last6);
    for x in last6 {
        assert!(*x > m.tolerance * 5.0, "short of target beyond tolerance: gap {x}");
    }
    let (lo, hi) = last6.iter().fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    assert!(hi - lo < 0.3 * g, "last six readings not flat: range {} vs gap {g}", hi - lo);
    assert!((mean(&last6[..3]) - mean(&last6[3..])).abs() < 0.1 * g, "still moving: {last6:?}");
    // It did move at first: the plateau is a floor, not a metric that never changed.
    assert!(gaps[0] > 3.0 * g, "first gap {} vs plateau gap {g}", gaps[0]);
}

#[test]
fn downlink_latency_diverges() {
    let ds = demo();
    let k = "ground-station/downlink-latency-ms";
    let m = metric(&ds, k);
    let first = first_date(&ds);
    let r = readings(&ds, k);
    let pts: Vec<(f64, f64)> = r.iter().map(|(d, v)| ((*d - first).num_days() as f64 / 7.0, gap(m, *v))).collect();
    let early: Vec<f64> = pts.iter().filter(|(t, _)| *t <= 6.0).map(|(_, g)| *g).collect();
    let late: Vec<f64> = pts.iter().rev().take(4).map(|(_, g)| *g).collect();
    assert!(mean(&late) > mean(&early) + 15.0, "gap {} -> {}", mean(&early), mean(&late));
    // Least-squares slope of the gap over the second half is clearly positive.
    let half: Vec<(f64, f64)> = pts.iter().copied().filter(|(t, _)| *t >= 12.0).collect();
    let (tm, gm) =
        (mean(&half.iter().map(|p| p.0).collect::<Vec<_>>()), mean(&half.iter().map(|p| p.1).collect::<Vec<_>>()));
    let slope = half.iter().map(|(t, g)| (t - tm) * (g - gm)).sum::<f64>()
        / half.iter().map(|(t, _)| (t - tm).powi(2)).sum::<f64>();
    assert!(slope > 0.8, "gap slope {slope} per week");
    assert!(!m.is_done(r.last().expect("reading").1));
}

/// The transitive dependencies of a project, itself included.
fn path_of(ds: &Dataset, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_string()];
    while let Some(p) = stack.pop() {
        if seen.insert(p.clone()) {
            let proj = ds.projects.iter().find(|x| x.slug == p).expect("project");
            stack.extend(proj.depends_on.iter().cloned());
        }
    }
    seen
}

#[test]
fn power_is_done_at_the_end_and_chips_is_not() {
    let ds = demo();
    let last_date = ds.points.last().expect("points").point.date;
    let last_value = |m: &Metric| readings(&ds, &m.key()).last().expect("reading").1;
    let power: Vec<&Metric> = ds.metrics.iter().filter(|m| m.project == "power").collect();
    let chips: Vec<&Metric> = ds.metrics.iter().filter(|m| m.project == "chips").collect();
    assert!(power.len() >= 2 && chips.len() >= 2);
    for m in &power {
        let r = readings(&ds, &m.key());
        // Every one of its last three readings is done, not just a lucky last one.
        for (_, v) in &r[r.len() - 3..] {
            assert!(m.is_done(*v), "{} not done at the end: {v}", m.key());
        }
        assert!(last_date - r.last().expect("reading").0 <= Duration::weeks(2), "{} not reported lately", m.key());
    }
    for m in &chips {
        let v = last_value(m);
        assert!(!m.is_done(v), "{} done at the end: {v}", m.key());
        assert!(gap(m, v) > 3.0 * m.tolerance.max(1e-9), "{} too close to done: {v}", m.key());
    }
    // On orbital-compute's path, the metric with the most work left relative to
    // where it started is a chips metric.
    let path = path_of(&ds, "orbital-compute");
    let worst = ds
        .metrics
        .iter()
        .filter(|m| path.contains(&m.project))
        .map(|m| (relative_gap_at(&ds, &m.key(), last_date), m.key()))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .expect("path metrics");
    assert!(worst.1.starts_with("chips/"), "slowest on the path at the end: {worst:?}");
    // And several metrics off the chips path have converged to done.
    let done_elsewhere =
        ds.metrics.iter().filter(|m| m.project != "power" && m.project != "chips" && m.is_done(last_value(m))).count();
    assert!(done_elsewhere >= 3, "{done_elsewhere} other metrics done");
}

#[test]
fn limiting_factor_moves_from_power_to_chips() {
    let ds = demo();
    let first = first_date(&ds);
    let array = "power/array-output-kw";
    let chips: Vec<String> = ds.metrics.iter().filter(|m| m.project == "chips").map(Metric::key).collect();

    // Week 8: power has barely moved and is further from done than any chips metric.
    let w8 = first + Duration::weeks(8);
    let power_left = relative_gap_at(&ds, array, w8);
    assert!(power_left > 0.75, "power already {power_left} of the way left at week 8");
    for k in &chips {
        let left = relative_gap_at(&ds, k, w8);
        assert!(power_left > left + 0.1, "week 8: power {power_left} vs {k} {left}");
    }
    // Power then converges fast and is done between weeks 14 and 19.
    let m = metric(&ds, array);
    let done_on = readings(&ds, array)
        .into_iter()
        .find(|(_, v)| m.is_done(*v))
        .map(|(d, _)| d)
        .expect("power array reaches its target");
    let week = (done_on - first).num_days() / 7;
    assert!((14..=19).contains(&week), "power array done in week {week}");
    // Week 20: chips progress over the last 8 weeks is slow (less than a third of what is left).
    let w12 = first + Duration::weeks(12);
    let w20 = first + Duration::weeks(20);
    let yield_then = relative_gap_at(&ds, "chips/yield-pct", w12);
    let yield_now = relative_gap_at(&ds, "chips/yield-pct", w20);
    assert!(yield_now > 0.25, "chips yield too close to done at week 20: {yield_now}");
    assert!(yield_then - yield_now < yield_now, "chips yield moving fast: {yield_then} -> {yield_now}");
}

#[test]
fn blockers_tell_the_story() {
    let ds = demo();
    let mut opened: HashMap<(String, String, String), NaiveDate> = HashMap::new();
    for dp in &ds.points {
        for (cat, text) in &dp.blockers {
            assert!(!cat.is_empty() && is_slug(cat), "bad category {cat:?}");
            assert!(!text.trim().is_empty() && text.len() < 200);
            let k = (dp.point.project.clone(), cat.clone(), text.clone());
            assert!(opened.insert(k, dp.point.date).is_none(), "blocker opened twice: {text}");
        }
    }
    let categories: BTreeSet<&str> = opened.keys().map(|(_, c, _)| c.as_str()).collect();
    for c in ["power", "chips", "supplier", "permits", "people", "test", "design"] {
        assert!(categories.contains(c), "no {c} blocker (have {categories:?})");
    }
    let mut resolved: HashSet<(String, String, String)> = HashSet::new();
    for r in &ds.resolutions {
        let k = (r.project.clone(), r.category.clone(), r.text.clone());
        let open = opened.get(&k).unwrap_or_else(|| panic!("resolution of a blocker never opened: {}", r.text));
        assert!(r.resolved > *open, "{} resolved {} before it opened {open}", r.text, r.resolved);
        assert!(resolved.insert(k), "resolved twice: {}", r.text);
    }
    let first = first_date(&ds);
    let power: Vec<_> = opened.keys().filter(|(p, _, _)| p == "power").collect();
    let power_resolved: Vec<_> = power.iter().filter(|k| resolved.contains(**k)).collect();
    assert!(power.len() >= 5, "{} power blockers", power.len());
    assert!(power_resolved.len() * 4 >= power.len() * 3, "most power blockers resolved");
    // ... and resolved when power converges.
    for r in ds.resolutions.iter().filter(|r| r.project == "power") {
        let week = (r.resolved - first).num_days() / 7;
        assert!((8..=14).contains(&week), "{} resolved in week {week}", r.text);
    }
    let chips_open = opened.keys().filter(|k| k.0 == "chips" && !resolved.contains(*k)).count();
    assert!(chips_open >= 3, "{chips_open} chips blockers open at the end");
    assert!(opened.keys().any(|k| k.1 == "chips" && k.0 == "chips" && !resolved.contains(k)));
}

#[test]
fn deadlines_include_p50s_missed_dates_and_slips() {
    let ds = demo();
    let t = today();
    assert!(ds.deadlines.iter().any(|d| d.due == DemoDue::P50));
    assert!(ds.deadlines.iter().any(|d| matches!(d.due, DemoDue::Date(_))));
    assert!(ds.deadlines.iter().any(|d| d.metric.is_none()), "no project deadline");
    assert!(ds.deadlines.iter().any(|d| d.metric.is_some()), "no metric deadline");
    assert!(ds.deadlines.iter().all(|d| !d.reason.trim().is_empty()));
    assert!(ds.deadlines.iter().any(|d| matches!(d.due, DemoDue::Date(x) if x > t)), "no active deadline");

    // The power project's p50 set early (around week 6).
    let first = first_date(&ds);
    let power_p50 = ds
        .deadlines
        .iter()
        .find(|d| d.project == "power" && d.metric.is_none() && d.due == DemoDue::P50)
        .expect("power p50 deadline");
    assert!(power_p50.set_on - first <= Duration::weeks(7));

    // Slips: a later deadline on the same scope with a later date.
    let mut by_scope: HashMap<(String, Option<String>), Vec<NaiveDate>> = HashMap::new();
    for d in &ds.deadlines {
        if let DemoDue::Date(due) = d.due {
            assert!(due > d.set_on, "due {due} before set {}", d.set_on);
            by_scope.entry((d.project.clone(), d.metric.clone())).or_default().push(due);
        }
    }
    let slips = by_scope.values().filter(|v| v.len() >= 2).count();
    assert!(slips >= 3, "{slips} scopes slipped");
    for dues in by_scope.values() {
        assert!(dues.windows(2).all(|w| w[1] > w[0]), "a slip moved a deadline earlier: {dues:?}");
    }
    assert!(ds.deadlines.iter().any(|d| d.reason.contains("lot 9")));

    // Some explicit metric dates in the past were missed.
    let missed = ds
        .deadlines
        .iter()
        .filter_map(|d| match (d.due, &d.metric) {
            (DemoDue::Date(due), Some(m)) if due <= t => Some((key(&d.project, m), due)),
            _ => None,
        })
        .filter(|(k, due)| {
            let m = metric(&ds, k);
            !readings(&ds, k).iter().any(|(d, v)| d <= due && m.is_done(*v))
        })
        .count();
    assert!(missed >= 2, "{missed} missed deadlines");
}
