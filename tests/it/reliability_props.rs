//! Property tests for the doors data comes in by (issue 8): the date and
//! number parsers and the CSV reader never panic on anything, accept exactly
//! what they should, and round-trip what limfac itself writes.

use chrono::{Datelike, NaiveDate};
use limfac::core::model::{Direction, Metric, Point, ReviewKind};
use limfac::core::validate;
use limfac::formats::csv::{read_rows, write_rows, COLUMNS};
use limfac::store::StoredPoint;
use proptest::prelude::*;
use proptest::sample::select;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
}

const WORDS: [&str; 17] = [
    "today",
    "yesterday",
    "last-week",
    "monday",
    "mon",
    "tuesday",
    "tue",
    "wednesday",
    "wed",
    "thursday",
    "thu",
    "friday",
    "fri",
    "saturday",
    "sat",
    "sunday",
    "sun",
];

/// Strings shaped like dates, numbers and CSV, plus anything at all.
fn date_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}",
        "[ +-]?[0-9]{4}[-/. ][0-9]{2}[-/. ][0-9]{2}[ T]?",
        "[0-9]{4}-W[0-9]{1,3}",
        select(WORDS.to_vec()).prop_map(String::from),
        "[0-9W:T -]{0,14}",
    ]
}

fn number_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+]?[0-9]{0,6}[.,]?[0-9]{0,6}([eE][-+]?[0-9]{0,4})?",
        "[ -+.eE0-9xXa-fAF,_]{0,12}",
        "(?i)[+-]?(nan|inf|infinity)",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Never panics; anything accepted is a real day between 1970 and today,
    /// spelled as a word, a strict ISO date or an ISO week.
    #[test]
    fn date_never_panics_and_accepts_only_known_spellings(s in date_like()) {
        if let Ok(d) = validate::date("date", &s, today()) {
            prop_assert!(epoch() <= d && d <= today(), "{s:?} gave {d}");
            let iso = d.format("%Y-%m-%d").to_string() == s;
            let week = s.len() == 8 && validate::parse_iso_week(&s) == Some(d) && d.weekday() == chrono::Weekday::Mon;
            prop_assert!(iso || week || WORDS.contains(&s.as_str()), "accepted {s:?} as {d}");
        }
        let _ = validate::future_date("due", &s, today());
    }

    /// Every calendar day from 1970 to today round-trips through its ISO form.
    #[test]
    fn every_day_since_1970_round_trips(days in 0..=(today() - epoch()).num_days()) {
        let d = epoch() + chrono::Days::new(days as u64);
        let s = d.format("%Y-%m-%d").to_string();
        prop_assert_eq!(validate::date("date", &s, today()).unwrap(), d);
    }

    /// `YYYY-MM-DD` with any numbers is accepted exactly when it names a real
    /// day between 1970-01-01 and today.
    #[test]
    fn iso_shapes_accepted_exactly_when_a_real_day_in_range(y in 0i32..10_000, m in 0u32..100, d in 0u32..100) {
        let s = format!("{y:04}-{m:02}-{d:02}");
        let real = NaiveDate::from_ymd_opt(y, m, d).filter(|x| epoch() <= *x && *x <= today());
        prop_assert_eq!(validate::date("date", &s, today()).ok(), real, "{}", s);
    }

    /// Never panics; anything accepted is finite and was written plainly.
    #[test]
    fn number_never_panics_and_accepts_only_plain_finite_decimals(s in number_like()) {
        if let Ok(v) = validate::number("value", &s) {
            prop_assert!(v.is_finite(), "{s:?} gave {v}");
            prop_assert!(s.bytes().all(|c| c.is_ascii_digit() || b".-+eE".contains(&c)), "accepted {s:?}");
            prop_assert_eq!(v, s.parse::<f64>().unwrap());
        }
        let lower = s.to_ascii_lowercase();
        if lower.contains("nan") || lower.contains("inf") || s.contains(',') || s.contains(' ') {
            prop_assert!(validate::number("value", &s).is_err(), "accepted {s:?}");
        }
    }

    /// Every finite f64, as Rust prints it (plainly, in exponent form, or
    /// debug form), is accepted and gives back the same value.
    #[test]
    fn number_round_trips_every_finite_f64(bits in any::<u64>()) {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite());
        for s in [v.to_string(), format!("{v:e}"), format!("{v:E}"), format!("{v:?}")] {
            let back = validate::number("value", &s).unwrap();
            // -0 is stored as 0; every other value comes back bit for bit.
            prop_assert!(back.to_bits() == v.to_bits() || (v == 0.0 && back.to_bits() == 0), "{s} gave {back}");
        }
    }

    /// The CSV reader never panics on any bytes; it yields validated rows in
    /// line order and stops at the first error.
    #[test]
    fn csv_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_stream(&bytes)?;
    }

    /// Nor on CSV-like bytes behind a valid header, where quotes, commas and
    /// line ends fall in every position.
    #[test]
    fn csv_reader_never_panics_on_csv_like_bytes(
        header in select(vec![
            "date,project,metric,engineer,value,note\n",
            "\u{feff}note,value,engineer,metric,project,date,blocker\r\n",
            "\"date\",\"project\",\"metric\",\"engineer\",\"value\",\"note\",\"kind\"\n",
        ]),
        tokens in prop::collection::vec(select(vec![
            "\"", "\"\"", ",", "\n", "\r\n", "\r", "a", "1", "-", ".", "e", " ", ":", "\u{feff}", "\u{7}",
            "2026-11-02", "2026-02-30", "power", "output", "alice", "weekly", "permits:late", "1e999",
        ]), 0..120),
        junk in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        let mut bytes = header.as_bytes().to_vec();
        for t in tokens {
            bytes.extend_from_slice(t.as_bytes());
        }
        bytes.extend(junk);
        check_stream(&bytes)?;
    }
}

/// The rows of `bytes` as a bulk import reads them: each into the row read two before
/// (its text buffers reused), as the writer thread hands rows back.
fn read_reusing(bytes: &[u8]) -> Vec<Result<limfac::store::ImportRow, limfac::core::error::UserError>> {
    let mut rows = read_rows(bytes, today());
    let mut out = Vec::new();
    let mut spare = std::collections::VecDeque::new();
    while let Some(item) = rows.next_reusing(if spare.len() > 1 { spare.pop_front() } else { None }) {
        if let Ok(row) = &item {
            spare.push_back(row.clone());
        }
        out.push(item);
    }
    out
}

fn check_stream(bytes: &[u8]) -> Result<(), TestCaseError> {
    let items: Vec<_> = read_rows(bytes, today()).collect();
    prop_assert_eq!(&read_reusing(bytes), &items, "rows read into reused ones differ");
    let mut last_line = 1;
    for (i, item) in items.iter().enumerate() {
        match item {
            Ok(row) => {
                prop_assert!(row.line > last_line, "line {} after {}", row.line, last_line);
                prop_assert!(row.point.value.is_finite() && !row.point.note.trim().is_empty());
                prop_assert!(epoch() <= row.point.date && row.point.date <= today());
                last_line = row.line;
            }
            Err(e) => {
                prop_assert_eq!(i, items.len() - 1, "rows after the error {}", e.message);
                prop_assert!(!e.message.is_empty());
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Round trips: what limfac writes, it reads back exactly.

fn slug() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

/// Text with no control characters other than those allowed, trimmed.
fn free_text(allow_newline: bool, max: usize) -> impl Strategy<Value = String> {
    let special = if allow_newline { vec!['\n', '\t', '"', ',', ':', ' '] } else { vec!['"', ',', ':', ' '] };
    prop::collection::vec(
        prop_oneof![
            4 => any::<char>().prop_filter("no control characters", |c| !c.is_control()),
            2 => select(special),
            1 => select(vec!['é', '王', '良', '\u{feff}', '\u{202e}', '=', '\'']),
        ],
        1..max,
    )
    .prop_filter_map("blank", |v| {
        let s: String = v.into_iter().collect();
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_string())
    })
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite, not -0", |v| v.is_finite() && v.to_bits() != (-0.0f64).to_bits()),
        -1e6..1e6f64,
        Just(0.0),
        Just(1e300),
        Just(f64::MIN_POSITIVE / 4.0),
    ]
}

#[derive(Debug, Clone)]
struct Sample {
    points: Vec<StoredPoint>,
    metrics: Vec<Metric>,
}

fn sample() -> impl Strategy<Value = Sample> {
    // A unit is a name: no invisible or direction-changing characters (notes
    // and blockers keep them).
    let unit = free_text(false, 12).prop_filter("visible", |s| !s.chars().any(limfac::core::validate::is_invisible));
    let metric = (slug(), slug(), finite(), any::<bool>(), 0.0..100.0f64, prop::option::of(unit));
    let point = (
        0..=(today() - epoch()).num_days(),
        0usize..3,
        slug(),
        finite(),
        free_text(true, 60),
        prop::collection::vec((slug(), free_text(false, 30), prop::option::of(0u64..30)), 0..3),
        prop::option::of(select(ReviewKind::ALL.to_vec())),
        prop::option::of(slug()),
    );
    (prop::collection::vec(metric, 1..4), prop::collection::vec(point, 0..12)).prop_map(|(ms, ps)| {
        let mut metrics: Vec<Metric> = Vec::new();
        for (project, metric, target, up, tolerance, unit) in ms {
            if metrics.iter().all(|m| (&m.project, &m.metric) != (&project, &metric)) {
                let direction = if up { Direction::Up } else { Direction::Down };
                metrics.push(Metric {
                    project,
                    metric,
                    name: None,
                    unit,
                    target,
                    direction,
                    tolerance,
                    min: None,
                    max: None,
                    archived: false,
                });
            }
        }
        let points = ps
            .into_iter()
            .enumerate()
            .map(|(id, (days, m, engineer, value, note, blockers, kind, reviewer))| {
                let m = &metrics[m % metrics.len()];
                let date = epoch() + chrono::Days::new(days as u64);
                StoredPoint {
                    id: id as i64,
                    point: Point {
                        date,
                        project: m.project.clone(),
                        metric: m.metric.clone(),
                        engineer,
                        value,
                        note,
                        review: None,
                    },
                    kind,
                    reviewer,
                    blockers: blockers.iter().map(|(c, t, _)| (c.clone(), t.clone())).collect(),
                    // Resolved some days after the reading, never after today.
                    resolved: blockers
                        .iter()
                        .map(|(.., after)| after.map(|a| (date + chrono::Days::new(a)).min(today())))
                        .collect(),
                }
            })
            .collect();
        Sample { points, metrics }
    })
}

fn assert_read_back(bytes: &[u8], s: &Sample) -> Result<(), TestCaseError> {
    let rows: Vec<_> = read_rows(bytes, today())
        .collect::<Result<_, _>>()
        .map_err(|e| TestCaseError::fail(format!("{}\n{}", e.message, String::from_utf8_lossy(bytes))))?;
    let reused: Vec<_> = read_reusing(bytes).into_iter().collect::<Result<_, _>>().unwrap();
    prop_assert_eq!(&reused, &rows, "rows read into reused ones differ");
    prop_assert_eq!(rows.len(), s.points.len());
    for (row, p) in rows.iter().zip(&s.points) {
        let m = s.metrics.iter().find(|m| m.project == p.point.project && m.metric == p.point.metric).unwrap();
        prop_assert_eq!(row.point.date, p.point.date);
        prop_assert_eq!(
            (&row.point.project, &row.point.metric, &row.point.engineer),
            (&p.point.project, &p.point.metric, &p.point.engineer)
        );
        prop_assert_eq!(row.point.value.to_bits(), p.point.value.to_bits());
        prop_assert_eq!(&row.point.note, &p.point.note);
        prop_assert_eq!(&row.blockers, &p.blockers);
        // All open reads back as no resolutions at all.
        let resolved = if p.resolved.iter().all(Option::is_none) { Vec::new() } else { p.resolved.clone() };
        prop_assert_eq!(&row.resolved, &resolved);
        prop_assert_eq!(row.kind, p.kind);
        prop_assert_eq!(&row.reviewer, &p.reviewer);
        prop_assert_eq!(row.target.map(f64::to_bits), Some(m.target.to_bits()));
        prop_assert_eq!(row.direction, Some(m.direction));
        prop_assert_eq!(row.tolerance.map(f64::to_bits), Some(m.tolerance.to_bits()));
        prop_assert_eq!(&row.unit, &m.unit);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// `export`'s writer and `import`'s reader agree on every valid row.
    #[test]
    fn write_rows_then_read_rows_round_trips(s in sample()) {
        let mut buf = Vec::new();
        write_rows(&mut buf, &s.points, &s.metrics).unwrap();
        assert_read_back(&buf, &s)?;
    }

    /// So do other tools' spellings of the same rows: every quoting style,
    /// CRLF line ends, a byte-order mark, columns in another order.
    #[test]
    fn other_writers_spellings_read_back_the_same(
        s in sample(),
        style in select(vec![csv::QuoteStyle::Always, csv::QuoteStyle::Necessary, csv::QuoteStyle::NonNumeric]),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        reverse in any::<bool>(),
    ) {
        let mut buf = Vec::new();
        write_rows(&mut buf, &s.points, &s.metrics).unwrap();
        let records: Vec<csv::StringRecord> =
            csv::ReaderBuilder::new().has_headers(false).from_reader(&buf[..]).records().map(Result::unwrap).collect();
        prop_assert_eq!(records[0].len(), COLUMNS.len());
        let mut out = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
        {
            let mut w = csv::WriterBuilder::new()
                .quote_style(style)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(&mut out);
            for r in &records {
                let mut fields: Vec<&str> = r.iter().collect();
                if reverse {
                    fields.reverse();
                }
                w.write_record(&fields).unwrap();
            }
            w.flush().unwrap();
        }
        assert_read_back(&out, &s)?;
    }
}
