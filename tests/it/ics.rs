//! Tests of the iCalendar export: the output is parsed back by a small
//! RFC 5545 reader written here (unfold, split name/parameters/value,
//! unescape), so that the tests check the file a calendar app would read,
//! not the strings the writer happened to produce.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use limfac::core::deadlines::histories;
use limfac::core::model::Deadline;
use limfac::formats::ics::{calendar, escape_text, event_for, uid_for, Event};
use proptest::prelude::*;

/// One parsed content line.
#[derive(Debug, Clone, PartialEq)]
struct Prop {
    name: String,
    params: Vec<String>,
    value: String,
}

/// Splits on CRLF, checking that no bare LF or CR is left, and unfolds
/// continuation lines (those starting with a space or tab).
fn unfold(text: &str) -> Vec<String> {
    assert!(text.ends_with("\r\n"), "the file must end with CRLF");
    let mut lines: Vec<String> = Vec::new();
    for raw in text[..text.len() - 2].split("\r\n") {
        assert!(!raw.contains('\n') && !raw.contains('\r'), "bare line break in {raw:?}");
        assert!(raw.len() <= 75, "line of {} octets: {raw:?}", raw.len());
        if let Some(rest) = raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')) {
            lines.last_mut().expect("continuation before any line").push_str(rest);
        } else {
            lines.push(raw.to_string());
        }
    }
    lines
}

/// Parses `NAME;PARAM=X:VALUE` (no quoted parameters are written).
fn parse(text: &str) -> Vec<Prop> {
    unfold(text)
        .into_iter()
        .map(|line| {
            let (head, value) = line.split_once(':').expect("a colon in every line");
            let mut parts = head.split(';');
            let name = parts.next().unwrap().to_string();
            Prop { name, params: parts.map(str::to_string).collect(), value: value.to_string() }
        })
        .collect()
}

/// Reverses TEXT escaping, failing on an unescaped `,` or `;` (which a
/// reader would take as a list separator).
fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(c @ ('\\' | ';' | ',')) => out.push(c),
                other => panic!("bad escape \\{other:?} in {v:?}"),
            },
            ',' | ';' => panic!("unescaped {c:?} in {v:?}"),
            c => out.push(c),
        }
    }
    out
}

/// The events of a parsed calendar, each as its list of properties.
fn events(props: &[Prop]) -> Vec<Vec<Prop>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<Prop>> = None;
    for p in props {
        match (p.name.as_str(), p.value.as_str()) {
            ("BEGIN", "VEVENT") => current = Some(Vec::new()),
            ("END", "VEVENT") => out.push(current.take().expect("END without BEGIN")),
            _ => {
                if let Some(ev) = current.as_mut() {
                    ev.push(p.clone());
                }
            }
        }
    }
    out
}

fn get<'a>(event: &'a [Prop], name: &str) -> &'a Prop {
    let found: Vec<&Prop> = event.iter().filter(|p| p.name == name).collect();
    assert_eq!(found.len(), 1, "exactly one {name}");
    found[0]
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn stamp() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 5).unwrap()
}

fn event(scope: &str, date: &str, summary: &str, description: &str) -> Event {
    Event { uid: uid_for(scope), date: d(date), summary: summary.into(), description: description.into(), sequence: 0 }
}

#[test]
fn calendar_has_the_required_frame() {
    let text = calendar(&[], stamp());
    let props = parse(&text);
    let names: Vec<(&str, &str)> = props.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
    assert_eq!(names.first(), Some(&("BEGIN", "VCALENDAR")));
    assert_eq!(names.last(), Some(&("END", "VCALENDAR")));
    assert!(names.contains(&("VERSION", "2.0")));
    assert!(names.contains(&("PRODID", "-//limfac//limfac//EN")));
    assert!(names.contains(&("CALSCALE", "GREGORIAN")));
}

#[test]
fn one_all_day_event_per_deadline() {
    let evs = [
        event("power", "2026-03-31", "Deadline: power", "Due"),
        event("power/cost", "2026-12-31", "Deadline: power/cost", "Due"),
    ];
    let text = calendar(&evs, stamp());
    let parsed = events(&parse(&text));
    assert_eq!(parsed.len(), 2);
    let first = &parsed[0];
    assert_eq!(get(first, "UID").value, uid_for("power"));
    assert_eq!(get(first, "DTSTAMP").value, "20260302T093005Z");
    let start = get(first, "DTSTART");
    assert_eq!((start.params.as_slice(), start.value.as_str()), (&["VALUE=DATE".to_string()][..], "20260331"));
    let end = get(first, "DTEND");
    assert_eq!((end.params.as_slice(), end.value.as_str()), (&["VALUE=DATE".to_string()][..], "20260401"));
    assert_eq!(unescape(&get(first, "SUMMARY").value), "Deadline: power");
    // the end of the year rolls over
    assert_eq!(get(&parsed[1], "DTEND").value, "20270101");
}

#[test]
fn text_escapes_commas_semicolons_backslashes_and_newlines() {
    let summary = "Ship power, chips; and C:\\stuff";
    let description = "line one\nline two, with comma; and semicolon\r\nline three\\n literal";
    let text = calendar(&[event("power", "2026-03-31", summary, description)], stamp());
    assert!(text.contains("SUMMARY:Ship power\\, chips\\; and C:\\\\stuff\r\n"), "{text}");
    let ev = &events(&parse(&text))[0];
    assert_eq!(unescape(&get(ev, "SUMMARY").value), summary);
    assert_eq!(
        unescape(&get(ev, "DESCRIPTION").value),
        "line one\nline two, with comma; and semicolon\nline three\\n literal"
    );
}

#[test]
fn control_characters_are_dropped_and_tabs_kept() {
    assert_eq!(escape_text("a\u{7}b\tc\rd"), "ab\tc\\nd");
}

#[test]
fn every_line_ends_in_crlf_and_fits_75_octets() {
    let long = "x".repeat(300);
    let text = calendar(&[event("power", "2026-03-31", &long, &long)], stamp());
    assert!(!text.replace("\r\n", "").contains('\n'));
    for line in text.split_terminator("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    // the first physical line of a folded property is exactly 75 octets
    assert!(text.split("\r\n").any(|l| l.len() == 75));
    let ev = &events(&parse(&text))[0];
    assert_eq!(get(ev, "SUMMARY").value, long);
}

#[test]
fn non_ascii_folds_at_character_boundaries() {
    // 王小明 is three octets a character: a fold that split one would make invalid UTF-8
    let summary = "王小明的电源项目".repeat(12);
    let description = format!("Owner: {}; Zoë, Ångström", "王小明".repeat(20));
    let text = calendar(&[event("power", "2026-03-31", &summary, &description)], stamp());
    for line in text.as_bytes().split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(line.len() <= 75);
        std::str::from_utf8(line).expect("each physical line is valid UTF-8 on its own");
    }
    let ev = &events(&parse(&text))[0];
    assert_eq!(unescape(&get(ev, "SUMMARY").value), summary);
    assert_eq!(unescape(&get(ev, "DESCRIPTION").value), description);
}

#[test]
fn uids_are_stable_across_exports() {
    let evs = [event("power", "2026-03-31", "a", "b"), event("power/cost", "2026-04-30", "c", "d")];
    let first = calendar(&evs, stamp());
    // a later export, after the deadline slipped: the same UIDs
    let mut moved = evs.clone();
    moved[0].date = d("2026-05-15");
    let later = Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0).unwrap();
    let second = calendar(&moved, later);
    let uids = |text: &str| -> Vec<String> {
        events(&parse(text)).iter().map(|e| get(e, "UID").value.clone()).collect::<Vec<_>>()
    };
    assert_eq!(uids(&first), uids(&second));
    assert_eq!(uids(&first), [uid_for("power"), uid_for("power/cost")]);
    assert_ne!(uid_for("power"), uid_for("power/cost"));
    // the same inputs give the same file, byte for byte
    assert_eq!(first, calendar(&evs, stamp()));
}

#[test]
fn uid_is_readable_unique_and_fixed() {
    let uid = uid_for("power/cost");
    assert!(uid.starts_with("deadline-power.cost-") && uid.ends_with("@limfac"), "{uid}");
    // pinned: a change of the hash would duplicate every event in users' calendars
    assert_eq!(uid_for(""), "deadline--cbf29ce484222325@limfac");
    // scopes that read alike after replacement still differ
    assert_ne!(uid_for("a/b"), uid_for("a.b"));
    assert!(uid_for("a/b c").chars().all(|c| c.is_ascii_alphanumeric() || "-._@".contains(c)));
}

#[test]
fn event_from_history_describes_the_active_deadline() {
    let mk = |id: i64, due: &str, p: f64, set_on: &str, reason: &str| Deadline {
        id,
        project: "power".into(),
        metric: Some("cost".into()),
        due: d(due),
        probability: Some(p),
        reason: Some(reason.into()),
        set_on: d(set_on),
    };
    let h = histories(&[
        mk(1, "2026-03-31", 0.5, "2026-01-05", "first plan"),
        mk(2, "2026-04-14", 0.48, "2026-02-02", "supplier late, chips; again"),
    ]);
    let ev = event_for(&h[0], Some(0.31)).unwrap();
    assert_eq!(ev.uid, uid_for("power/cost"));
    assert_eq!(ev.date, d("2026-04-14"));
    assert_eq!(ev.summary, "Deadline: power/cost");
    assert_eq!(ev.sequence, 1);
    assert_eq!(
        ev.description,
        "Deadline for power/cost set on 2026-02-02.\nChance of being met when set: 48%.\n\
         Chance of being met now: 31%.\nReason: supplier late, chips; again\nSlipped once, 14 days in all."
    );
    let text = calendar(std::slice::from_ref(&ev), stamp());
    let parsed = &events(&parse(&text))[0];
    assert_eq!(unescape(&get(parsed, "DESCRIPTION").value), ev.description);
    assert_eq!(get(parsed, "SEQUENCE").value, "1");
}

proptest! {
    #[test]
    fn any_text_round_trips_through_the_file(summary in "\\PC{0,200}", description in "(\\PC|\n){0,300}") {
        let text = calendar(&[event("p/m", "2026-03-31", &summary, &description)], stamp());
        let ev = &events(&parse(&text))[0];
        prop_assert_eq!(unescape(&get(ev, "SUMMARY").value), summary);
        prop_assert_eq!(unescape(&get(ev, "DESCRIPTION").value), description);
    }
}
