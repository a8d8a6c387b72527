//! Rendering tests for `limfac::render::chart`: PNGs are valid, sized as promised and not blank;
//! SVGs are well-formed XML carrying the title and names (escaped); awkward inputs render
//! in both formats. No byte-for-byte image comparisons: fonts and anti-aliasing may move.

use chrono::{Days, NaiveDate};
use limfac::render::chart::{self, ChartError, FeverChart, FeverProject, Format, MetricChart, Series};
use std::collections::HashSet;
use std::path::Path;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn converging() -> MetricChart {
    let start = d("2025-01-06");
    let as_of = d("2025-06-02");
    let series = ["王小明", "José Müller", "R&D <lab>"]
        .iter()
        .enumerate()
        .map(|(k, name)| Series {
            engineer: name.to_string(),
            points: (0..20u64)
                .map(|w| {
                    let v = 100.0 - 3.0 * w as f64 + (k as f64 - 1.0) * 2.0;
                    (start + Days::new(w * 7), v)
                })
                .collect(),
        })
        .collect();
    MetricChart {
        title: "power/solar-array-output — Solar array output".into(),
        unit: Some("kW".into()),
        status: "converging".into(),
        reason: "Falling about 3 kW a week toward the target.".into(),
        direction_up: false,
        target: 20.0,
        tolerance: 1.5,
        series,
        curve: (0..20u64).map(|w| (start + Days::new(w * 7), 100.0 - 3.0 * w as f64)).collect(),
        fan: (0..30u64)
            .map(|i| {
                let mid = (43.0 - 3.0 * i as f64).max(20.0);
                (as_of + Days::new(7 * i), mid - i as f64, mid, mid + i as f64)
            })
            .collect(),
        p50: Some(d("2025-08-11")),
        p80: Some(d("2025-09-15")),
        deadline: Some(d("2025-09-01")),
        as_of,
        highlight: false,
    }
}

fn insufficient() -> MetricChart {
    let mut c = converging();
    c.status = "insufficient_data".into();
    c.reason = "Only one reading.".into();
    c.series.truncate(1);
    c.series[0].points.truncate(1);
    c.curve.clear();
    c.fan.clear();
    c.p50 = None;
    c.p80 = None;
    c.deadline = None;
    c
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

/// Decodes the PNG and counts distinct colours: a blank or text-less picture has few.
fn distinct_colours(bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data decodes");
    let px = info.color_type.samples();
    buf[..info.buffer_size()].chunks(px).map(|c| c.to_vec()).collect::<HashSet<_>>().len()
}

fn svg_text(bytes: Vec<u8>) -> String {
    let s = String::from_utf8(bytes).expect("SVG is UTF-8");
    roxmltree::Document::parse(&s).expect("SVG is well-formed XML");
    s
}

/// All text content of the SVG, unescaped by the XML parser.
fn svg_strings(s: &str) -> String {
    let doc = roxmltree::Document::parse(s).unwrap();
    doc.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect::<Vec<_>>().join("\n")
}

fn both(c: &MetricChart) {
    let png = chart::metric(c, Format::Png).expect("PNG renders");
    assert_eq!(png_size(&png), (1000, 600));
    assert!(distinct_colours(&png) > 50);
    svg_text(chart::metric(c, Format::Svg).expect("SVG renders"));
}

#[test]
fn format_from_path() {
    assert_eq!(Format::from_path(Path::new("a/b.png")), Some(Format::Png));
    assert_eq!(Format::from_path(Path::new("chart.SVG")), Some(Format::Svg));
    assert_eq!(Format::from_path(Path::new("chart.Png")), Some(Format::Png));
    assert_eq!(Format::from_path(Path::new("chart.jpg")), None);
    assert_eq!(Format::from_path(Path::new("chart")), None);
    assert_eq!(Format::from_path(Path::new(".png")), None);
}

#[test]
fn metric_png_is_valid_and_not_blank() {
    let png = chart::metric(&converging(), Format::Png).unwrap();
    assert_eq!(png_size(&png), (1000, 600));
    let n = distinct_colours(&png);
    assert!(n > 50, "only {n} colours: blank picture or no text");
}

#[test]
fn metric_png_draws_chinese_text() {
    // Same chart with and without a Chinese name: if CJK glyphs rendered as nothing the
    // pictures would be identical; as boxes, the pixel counts would barely differ.
    let mut a = insufficient();
    a.series[0].engineer = "王小明".into();
    let mut b = a.clone();
    b.series[0].engineer = String::new();
    let ink = |c: &MetricChart| {
        let png = chart::metric(c, Format::Png).unwrap();
        let decoder = png::Decoder::new(&png[..]);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut buf).unwrap();
        buf.chunks(3).filter(|p| p.iter().all(|v| *v < 128)).count()
    };
    let diff = ink(&a).abs_diff(ink(&b));
    assert!(diff > 40, "Chinese name adds only {diff} dark pixels");
}

#[test]
fn metric_svg_has_title_metric_and_escaped_names() {
    let s = svg_text(chart::metric(&converging(), Format::Svg).unwrap());
    let text = svg_strings(&s);
    assert!(text.contains("power/solar-array-output — Solar array output"));
    assert!(text.contains("王小明"), "Chinese name in SVG");
    assert!(text.contains("José Müller"), "accented name in SVG");
    assert!(text.contains("R&D <lab>"), "name with markup characters survives");
    assert!(s.contains("R&amp;D &lt;lab&gt;"), "markup characters are escaped");
    assert!(!s.contains("R&D <lab>"), "raw markup never reaches the SVG");
    assert!(text.contains("CONVERGING"));
    assert!(text.contains("Falling about 3 kW a week"));
    assert!(text.contains("deadline 2025-09-01"));
    assert!(text.contains("p50 2025-08-11"));
    assert!(text.contains("p80 2025-09-15"));
    assert!(text.contains("kW"), "unit on the y axis");
}

#[test]
fn statuses_and_sparse_inputs_render_in_both_formats() {
    for status in ["done", "converging", "stalled", "diverging", "insufficient_data", "something-new"] {
        let mut c = converging();
        c.status = status.into();
        both(&c);
    }
    both(&insufficient());

    let mut empty = insufficient();
    empty.series.clear();
    empty.unit = None;
    both(&empty);

    let mut no_points = converging();
    for s in &mut no_points.series {
        s.points.clear();
    }
    both(&no_points);

    let mut flat = converging();
    for s in &mut flat.series {
        for p in &mut s.points {
            p.1 = 20.0;
        }
    }
    flat.curve.clear();
    flat.fan.clear();
    flat.tolerance = 0.0;
    both(&flat);
}

#[test]
fn extreme_inputs_render() {
    let mut huge = converging();
    for s in &mut huge.series {
        for p in &mut s.points {
            p.1 *= 1e300;
        }
    }
    huge.target = -1e300;
    huge.tolerance = 1e299;
    both(&huge);

    let mut tiny = converging();
    for s in &mut tiny.series {
        for p in &mut s.points {
            p.1 *= 1e-12;
        }
    }
    tiny.target = 0.0;
    tiny.tolerance = 0.0;
    both(&tiny);

    // Dates far in the future are capped rather than stretching the axis for decades.
    let mut far = converging();
    far.p80 = Some(d("2199-01-01"));
    far.deadline = Some(d("2190-01-01"));
    far.fan.push((d("2199-01-01"), 0.0, 10.0, 1e9));
    both(&far);
    let s = svg_strings(&svg_text(chart::metric(&far, Format::Svg).unwrap()));
    assert!(s.contains("p80 2199-01-01 →"), "capped marker still labelled");

    // Non-finite values and unordered quantiles must not break a chart.
    let mut odd = converging();
    odd.series[0].points.push((d("2025-03-03"), f64::NAN));
    odd.series[0].points.push((d("2025-03-04"), f64::INFINITY));
    odd.fan.push((d("2025-12-01"), 50.0, 10.0, 0.0));
    odd.unit = Some(String::new());
    both(&odd);

    // Many engineers get distinct colours and a "+N more" legend line.
    let mut many = converging();
    many.series = (0..40)
        .map(|i| Series { engineer: format!("engineer {i}"), points: vec![(d("2025-03-03"), f64::from(i))] })
        .collect();
    let s = svg_strings(&svg_text(chart::metric(&many, Format::Svg).unwrap()));
    assert!(s.contains("more"), "legend summarises overflow");
}

#[test]
fn long_title_is_shortened_not_overflowing() {
    let mut c = converging();
    c.title = "x".repeat(500);
    c.reason = "a very long reason ".repeat(40);
    let s = svg_strings(&svg_text(chart::metric(&c, Format::Svg).unwrap()));
    assert!(s.contains('…'));
    assert!(!s.contains(&"x".repeat(500)));
}

#[test]
fn dashboard_renders_in_both_formats() {
    let mut charts = vec![converging(), insufficient(), converging(), converging()];
    charts[2].status = "diverging".into();
    charts[2].highlight = true;
    charts[2].title = "power/battery — Battery capacity".into();
    charts[3].status = "stalled".into();
    let png = chart::dashboard("power — 电力", &charts, Format::Png).unwrap();
    let (w, h) = png_size(&png);
    assert!(w >= 1000 && h >= 600, "grid of 4 is at least 2×2 cells: {w}×{h}");
    assert!(distinct_colours(&png) > 50);
    let s = svg_text(chart::dashboard("power — 电力", &charts, Format::Svg).unwrap());
    let text = svg_strings(&s);
    assert!(text.contains("power — 电力"));
    assert!(text.contains("LIMITING FACTOR"));
    assert!(text.contains("limiting factor: power/battery — Battery capacity"));

    // Edge sizes.
    for n in [0usize, 1, 2, 7, 60] {
        let cs: Vec<MetricChart> = (0..n).map(|_| insufficient()).collect();
        let png = chart::dashboard("many", &cs, Format::Png).unwrap();
        png_size(&png);
        svg_text(chart::dashboard("many", &cs, Format::Svg).unwrap());
    }
}

#[test]
fn fever_renders_in_both_formats() {
    let fever = FeverChart {
        title: "Fever chart".into(),
        as_of: d("2025-06-02"),
        projects: vec![
            FeverProject {
                label: "power".into(),
                closed: 0.3,
                risk: 0.8,
                trail: vec![(0.1, 0.5), (0.2, 0.6)],
                has_deadline: true,
            },
            FeverProject {
                label: "芯片 & <chips>".into(), closed: 0.7, risk: 0.2, trail: vec![], has_deadline: true
            },
            FeverProject {
                label: "out of range".into(),
                closed: 1.7,
                risk: f64::NAN,
                trail: vec![(-1.0, 2.0)],
                has_deadline: false,
            },
        ],
    };
    let png = chart::fever(&fever, Format::Png).unwrap();
    assert_eq!(png_size(&png), (900, 700));
    assert!(distinct_colours(&png) > 50);
    let s = svg_text(chart::fever(&fever, Format::Svg).unwrap());
    let text = svg_strings(&s);
    assert!(text.contains("Fever chart"));
    assert!(text.contains("芯片 & <chips>"));
    assert!(s.contains("芯片 &amp; &lt;chips&gt;"));

    let empty = FeverChart { title: "none".into(), as_of: d("2025-06-02"), projects: vec![] };
    png_size(&chart::fever(&empty, Format::Png).unwrap());
    svg_text(chart::fever(&empty, Format::Svg).unwrap());
}

#[test]
fn errors_have_readable_messages() {
    let e = ChartError::Encode("disk full".into());
    assert_eq!(e.to_string(), "chart encoding failed: disk full");
}

#[test]
fn rendering_from_threads_is_safe() {
    // The font registers once per process, whichever thread gets there first.
    let handles: Vec<_> =
        (0..4).map(|_| std::thread::spawn(|| chart::metric(&converging(), Format::Png).map(|b| b.len()))).collect();
    for h in handles {
        assert!(h.join().unwrap().unwrap() > 1000);
    }
}

/// Issue 14: metric bounds. The forecast knows nothing of physical limits
/// (a yield fan reached 150%); what a chart draws never passes them.
#[test]
fn the_fan_never_passes_a_metrics_bounds() {
    use limfac::core::model::{Direction, Metric};
    let start = d("2026-09-07");
    let metric = |max: Option<f64>| Metric {
        project: "chips".into(),
        metric: "yield".into(),
        name: None,
        unit: Some("%".into()),
        target: 99.0,
        direction: Direction::Up,
        tolerance: 0.5,
        min: Some(0.0),
        max,
        archived: false,
    };
    let snapshot = |max: Option<f64>| weekly(metric(max), start, &[40.0, 52.0, 61.0, 73.0, 80.0, 91.0, 93.0, 97.0]);
    let as_of = d("2026-11-01");
    let bounded = snapshot(Some(100.0));
    let cal = limfac::core::analysis::org_calibration(&bounded, as_of, 1095);
    let mut outlook = limfac::core::analysis::outlook_for_charts(&bounded, as_of, 1095, &cal);
    // Whatever the forecaster projects (here: as far as 150%, as the issue saw).
    let f = &mut outlook.forecasts[0];
    assert!(!f.fan.is_empty() && !f.curve.is_empty());
    for (i, p) in f.fan.iter_mut().enumerate() {
        p.p90 = 100.0 + i as f64 * 5.0;
        p.p50 = 95.0 + i as f64 * 5.0;
    }
    f.curve.last_mut().unwrap().value = 101.0;
    let chart = limfac::render::chart_data::metric_chart(&bounded, &outlook, 0, bounded.observations_of(0), false);
    assert!(chart.fan.len() > 3);
    for (date, p10, p50, p90) in &chart.fan {
        assert!(*p90 <= 100.0 && *p50 <= 100.0 && *p10 <= 100.0, "{date}: {p10} {p50} {p90}");
    }
    assert!(chart.curve.iter().all(|(_, v)| *v <= 100.0));
    both(&chart);
}

/// A text's box (left, top, right, bottom) and the text.
type TextBox = ((f64, f64, f64, f64), String);

/// The boxes of an SVG's `<text>` elements with their text, estimated from
/// position, anchor and font size (plotters writes `dy="0.76em"` for text
/// hanging from its y).
fn text_boxes(svg: &str) -> Vec<TextBox> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("transform").is_none())
        .map(|n| {
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            let size = num("font-size");
            let text = n.text().unwrap_or_default().trim().to_string();
            // Narrow estimate (85% of a typical advance), so that only real overlaps count.
            let w = text.chars().count() as f64 * size * 0.55 * 0.85;
            let left = match n.attribute("text-anchor") {
                Some("middle") => num("x") - w / 2.0,
                Some("end") => num("x") - w,
                _ => num("x"),
            };
            let top = if n.attribute("dy") == Some("0.76em") { num("y") } else { num("y") - size };
            ((left, top + size * 0.1, left + w, top + size * 0.9), text)
        })
        .collect()
}

/// Issue 14, defect 8: the fever chart's labels hid each other (fab, power
/// and launch under "thermal"; "on track" covered). Projects at one spot
/// share a label, and no label covers another or a zone's name. A project
/// without a deadline is marked, and the chart says what its risk means.
#[test]
fn fever_labels_never_hide_each_other_and_risk_is_explained() {
    let at = |label: &str, closed: f64, risk: f64, has_deadline: bool| FeverProject {
        label: label.into(),
        closed,
        risk,
        trail: vec![(closed - 0.05, risk + 0.1)],
        has_deadline,
    };
    let projects = vec![
        at("orbital-compute", 0.92, 0.98, true),
        at("chips", 0.8, 1.0, true),
        at("ground-station", 0.5, 0.86, false),
        at("fab", 1.0, 0.0, false),
        at("power", 1.0, 0.0, true),
        at("launch", 1.0, 0.0, false),
        at("thermal", 0.99, 0.02, false),
    ];
    let chart = FeverChart { title: "Fever chart".into(), as_of: d("2026-11-29"), projects };
    let svg = svg_text(chart::fever(&chart, Format::Svg).unwrap());
    let boxes = text_boxes(&svg);
    let names = ["orbital-compute", "chips", "ground-station", "fab", "power", "launch", "thermal"];
    for n in names {
        assert!(boxes.iter().any(|(_, t)| t.split([',', ' ', '*']).any(|w| w == n)), "{n} has no label");
    }
    let labelled: Vec<&TextBox> = boxes
        .iter()
        .filter(|(_, t)| {
            ["on track", "watch", "act now"].contains(&t.as_str())
                || names.iter().any(|n| t.split([',', ' ', '*']).any(|w| w == *n))
        })
        .collect();
    for (i, (a, ta)) in labelled.iter().enumerate() {
        for (b, tb) in &labelled[..i] {
            let overlap = a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
            assert!(!overlap, "{ta:?} {a:?} overlaps {tb:?} {b:?}");
        }
    }
    assert!(svg.contains("* no deadline: the chance of not being done within 26 weeks"));
    assert!(svg.contains("ground-station*"), "a project without a deadline is marked");
    let mut dated = chart.clone();
    for p in &mut dated.projects {
        p.has_deadline = true;
    }
    let svg = svg_text(chart::fever(&dated, Format::Svg).unwrap());
    assert!(!svg.contains("no deadline"), "no note when every project has a deadline");
}

/// The fever chart's "gap closed" is what the analysis weighs (`gap_open`: the medians of the
/// first and of the last three readings), so that one noisy reading does not move a project
/// across the chart; and it needs only the outlook, not every reading (the fever chart and
/// the HTML report no longer load them).
#[test]
fn the_fever_charts_gap_closed_is_the_analysis_gap_and_ignores_one_noisy_reading() {
    use limfac::core::model::{Direction, Metric};
    let start = d("2026-06-01");
    let as_of = d("2026-09-21");
    let defects = Metric {
        project: "chips".into(),
        metric: "defects".into(),
        name: None,
        unit: None,
        target: 0.0,
        direction: Direction::Down,
        tolerance: 0.0,
        min: None,
        max: None,
        archived: false,
    };
    let snapshot = |values: &[f64]| weekly(defects.clone(), start, values);
    let closed = |values: &[f64]| {
        let s = snapshot(values);
        let cal = limfac::core::analysis::org_calibration(&s, as_of, 1095);
        let outlook = limfac::core::analysis::outlook(&s, as_of, 1095, &cal);
        assert!(!outlook.forecasts[0].samples.is_empty(), "forecast: {:?}", outlook.forecasts[0].status);
        let fever = limfac::render::chart_data::fever_chart(&s, &outlook, &[]);
        (fever.projects[0].closed, 1.0 - outlook.gap_open[0])
    };
    // From 96 to 40 (medians of the first and of the last three readings): 58% closed.
    let expected = 1.0 - 40.0 / 96.0;
    let steady = [100.0, 96.0, 90.0, 84.0, 77.0, 70.0, 64.0, 58.0, 52.0, 46.0, 40.0, 40.0, 40.0];
    let (c, from_analysis) = closed(&steady);
    assert!((c - expected).abs() < 1e-9, "closed {c}");
    assert_eq!(c, from_analysis);
    // The same work with one stray last reading (a typo of 4 for 40) is still 58% closed,
    // not 96%.
    let mut stray = steady;
    stray[12] = 4.0;
    let (c, from_analysis) = closed(&stray);
    assert!((c - expected).abs() < 1e-9, "closed {c}");
    assert_eq!(c, from_analysis);
}

/// A one-project organization (chips, one engineer) whose one metric was read weekly from
/// `start`, one value a week.
fn weekly(metric: limfac::core::model::Metric, start: NaiveDate, values: &[f64]) -> limfac::core::model::Snapshot {
    use limfac::core::model::{Engineer, Observation, Project, Snapshot};
    Snapshot {
        projects: vec![Project {
            slug: "chips".into(),
            name: "Chips".into(),
            priority: 1,
            owner: None,
            depends_on: vec![],
            archived: false,
        }],
        engineers: vec![Engineer { handle: "li".into(), name: "Li".into(), reports_to: None }],
        metrics: vec![metric],
        observations: values
            .iter()
            .enumerate()
            .map(|(w, &value)| Observation { metric: 0, engineer: 0, date: start + Days::new(7 * w as u64), value })
            .collect(),
        blockers: vec![],
        deadlines: vec![],
    }
}
