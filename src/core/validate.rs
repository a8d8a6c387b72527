//! Data discipline at the door: parsing and checking every value a user types
//! or imports, so that absurd values are refused with a clear message and
//! never stored.
//!
//! Every function returns a [`UserError`] that names the field and the value.

use std::borrow::Cow;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::core::error::UserError;

/// Longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;
/// Longest name, owner, unit, category or other short text.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest slug or handle.
pub const MAX_SLUG_CHARS: usize = 64;

/// The earliest date limfac accepts; anything before is a typo.
pub fn min_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")
}

/// Shows a value inside an error message: quoted, control characters escaped,
/// and cut short when long, so one bad value cannot flood the terminal.
pub fn show(value: &str) -> String {
    let mut s: String = value.chars().take(60).collect::<String>().escape_debug().to_string();
    if value.chars().count() > 60 {
        s.push('…');
    }
    format!("'{s}'")
}

/// Parses a strict ISO calendar date `YYYY-MM-DD`.
fn parse_iso(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    // The shape is checked: read the digits directly (chrono's format parser
    // is a measurable share of a million-row import).
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
    NaiveDate::from_ymd_opt(num(0..4) as i32, num(5..7), num(8..10))
}

/// Parses an ISO week `YYYY-Www` into its Monday.
pub fn parse_iso_week(s: &str) -> Option<NaiveDate> {
    let (y, w) = s.split_once("-W")?;
    if y.len() != 4 || w.len() != 2 || !y.bytes().chain(w.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, Weekday::Mon)
}

/// Parses a date as people say it: `YYYY-MM-DD`, `today`, `yesterday`,
/// `last-week` (seven days ago), a weekday name (the most recent such day,
/// today included), or an ISO week `YYYY-Www` (its Monday). Dates before
/// 1970 or after `today` are refused: future readings cannot have happened.
pub fn date(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, UserError> {
    past_date(field, s, today, "a reading must have happened already; check the year")
}

/// [`date`] for what is recorded once it has happened (a blocker, a review meeting).
pub fn event_date(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, UserError> {
    past_date(field, s, today, "record it on the day it happens, or check the year")
}

/// The date a forecast or report is made as of (`--as-of`): as [`date`], a future one refused
/// with a hint of its own (nothing is known yet of a day to come).
pub fn as_of(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, UserError> {
    past_date(field, s, today, "forecasts use what was known by that date; give today or an earlier date")
}

fn past_date(field: &str, s: &str, today: NaiveDate, future_hint: &str) -> Result<NaiveDate, UserError> {
    let d = any_date(field, s, today)?;
    if d > today {
        return Err(
            UserError::new(format!("{field} {} is in the future (today is {today})", show(s))).hint(future_hint)
        );
    }
    Ok(d)
}

/// Like [`date`] but allows future dates up to 20 years ahead (deadlines).
pub fn future_date(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, UserError> {
    let d = any_date(field, s, today)?;
    let limit = today.checked_add_days(Days::new(20 * 366)).unwrap_or(today);
    if d > limit {
        return Err(UserError::new(format!("{field} {} is more than 20 years away (after {limit})", show(s)))
            .hint("check the year"));
    }
    Ok(d)
}

fn any_date(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, UserError> {
    let relative = match s {
        "today" => Some(today),
        "yesterday" => today.pred_opt(),
        "last-week" => today.checked_sub_days(Days::new(7)),
        _ => weekday(s).and_then(|w| {
            let back = (today.weekday().num_days_from_monday() + 7 - w.num_days_from_monday()) % 7;
            today.checked_sub_days(Days::new(u64::from(back)))
        }),
    };
    let d = relative.or_else(|| parse_iso(s)).or_else(|| parse_iso_week(s)).ok_or_else(|| {
        UserError::new(format!("{field} {} is not a valid date", show(s)))
            .hint("use YYYY-MM-DD (a real calendar day), YYYY-Www, today, yesterday, last-week or a weekday name")
    })?;
    if d < min_date() {
        return Err(UserError::new(format!("{field} {} is before 1970-01-01", show(s))).hint("check the year"));
    }
    Ok(d)
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

/// Parses a finite decimal number. Refuses NaN, infinities, overflow
/// (`1e999`), hexadecimal, thousands or decimal commas and surrounding spaces,
/// because each of those is more likely a typo than a reading.
pub fn number(field: &str, s: &str) -> Result<f64, UserError> {
    let bad = || {
        UserError::new(format!("{field} {} is not a finite number", show(s)))
            .hint("write a plain decimal such as 42, -3.5 or 1.2e6 (a dot for decimals, no commas)")
    };
    let ok_chars = !s.is_empty()
        && s.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
        && s.bytes().any(|c| c.is_ascii_digit());
    if !ok_chars {
        return Err(bad());
    }
    let v: f64 = s.parse().map_err(|_| bad())?;
    if !v.is_finite() {
        return Err(bad());
    }
    // -0 is a legal spelling of zero; store it as zero so that exports are clean.
    Ok(if v == 0.0 { 0.0 } else { v })
}

/// A project or metric slug: lowercase ASCII letters, digits and `-`,
/// starting with a letter or digit.
pub fn slug(field: &str, s: &str) -> Result<String, UserError> {
    slug_str(field, s).map(str::to_string)
}

/// [`slug`], borrowing: the slug is the text given.
pub fn slug_str<'a>(field: &str, s: &'a str) -> Result<&'a str, UserError> {
    identifier(field, s, "lowercase letters, digits and '-', e.g. orbital-compute")
}

/// An engineer handle: same alphabet as a slug.
pub fn handle(field: &str, s: &str) -> Result<String, UserError> {
    handle_str(field, s).map(str::to_string)
}

/// [`handle`], borrowing: the handle is the text given.
pub fn handle_str<'a>(field: &str, s: &'a str) -> Result<&'a str, UserError> {
    identifier(field, s, "lowercase letters, digits and '-', e.g. wang-xm")
}

fn identifier<'a>(field: &str, s: &'a str, example: &str) -> Result<&'a str, UserError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_SLUG_CHARS
        && s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err(UserError::new(format!("{field} {} is not a valid name", show(s)))
            .hint(format!("use up to {MAX_SLUG_CHARS} {example}")))
    }
}

/// `PROJECT/METRIC`, both slugs.
pub fn metric_ref(field: &str, s: &str) -> Result<(String, String), UserError> {
    let Some((p, m)) = s.split_once('/') else {
        return Err(UserError::new(format!("{field} {} is not PROJECT/METRIC", show(s)))
            .hint("name a metric as project/metric, e.g. power/array-output"));
    };
    Ok((slug(field, p)?, slug(field, m)?))
}

/// `PROJECT` or `PROJECT/METRIC`.
pub fn scope(field: &str, s: &str) -> Result<(String, Option<String>), UserError> {
    if s.contains('/') {
        let (p, m) = metric_ref(field, s)?;
        Ok((p, Some(m)))
    } else {
        Ok((slug(field, s)?, None))
    }
}

/// A note: required, non-blank, at most 10,000 characters, no control
/// characters other than newline and tab (a stray escape sequence in a note
/// could repaint the reviewer's terminal). A CR before LF is dropped.
pub fn note(field: &str, s: &str) -> Result<String, UserError> {
    note_str(field, s).map(Cow::into_owned)
}

/// [`note`], borrowing from the text given unless a CRLF had to become LF (a bulk import
/// reads a million notes).
pub fn note_str<'a>(field: &str, s: &'a str) -> Result<Cow<'a, str>, UserError> {
    let s = if s.contains('\r') { Cow::Owned(s.replace("\r\n", "\n")) } else { Cow::Borrowed(s) };
    if s.trim().is_empty() {
        return Err(empty(field));
    }
    let n = s.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(UserError::new(format!("{field} is {n} characters long; the limit is {MAX_NOTE_CHARS}"))
            .hint("keep the note to what was said; link longer documents"));
    }
    control_free(field, &s)?;
    Ok(match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
    })
}

/// A note or reason typed now (`log`, `point amend`, `--reason`): [`note`], and at least one
/// character that shows. Files read the rule of [`note_str`] only, so that an export of notes
/// stored before this rule imports back as it was.
pub fn entered(field: &str, s: &str) -> Result<String, UserError> {
    let text = note(field, s)?;
    if !text.chars().any(visible) {
        return Err(empty(field));
    }
    Ok(text)
}

/// "FIELD is empty", with what the field is for.
fn empty(field: &str) -> UserError {
    let hint = if field.contains("note") {
        "every data point needs a note saying what was heard".to_string()
    } else {
        format!("{field} needs a few words saying why")
    };
    UserError::new(format!("{field} is empty")).hint(hint)
}

/// Whether `c` shows on a page: not white space, and not one of the characters that are
/// drawn as nothing (zero-width spaces and joiners, the byte-order mark, the soft hyphen,
/// direction marks, the Hangul fillers, the blank braille pattern). A note made only of
/// those reads as empty to the reviewer, and is refused as one.
fn visible(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}')
}

/// Short free text (names, owners, units, categories): non-blank, one line.
pub fn text(field: &str, s: &str) -> Result<String, UserError> {
    text_str(field, s).map(str::to_string)
}

/// [`text`], borrowing: the text given, trimmed.
pub fn text_str<'a>(field: &str, s: &'a str) -> Result<&'a str, UserError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(UserError::new(format!("{field} is empty")));
    }
    if t.chars().count() > MAX_NAME_CHARS {
        return Err(UserError::new(format!("{field} {} is longer than {MAX_NAME_CHARS} characters", show(t))));
    }
    if t.contains('\n') || t.contains('\t') {
        return Err(UserError::new(format!("{field} {} must be one line", show(t))));
    }
    control_free(field, t)?;
    visible_only(field, t)?;
    Ok(t)
}

/// Characters that change the direction of text or take no room: in a name
/// they make it look like another (`Eve\u{202E}gnp.exe` shows as
/// `Eveexe.png`). Refused in names; kept in notes, and shown escaped.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Refuses invisible and direction-changing characters, except a zero-width
/// (non-)joiner between two letters, which some scripts need (Persian,
/// Devanagari, ...).
fn visible_only(field: &str, s: &str) -> Result<(), UserError> {
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joiner = matches!(c, '\u{200C}' | '\u{200D}');
        let between_letters =
            i > 0 && chars[i - 1].is_alphabetic() && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        if is_invisible(c) && !(joiner && between_letters) {
            return Err(UserError::new(format!(
                "{field} {} holds the invisible or direction-changing character U+{:04X}",
                show(s),
                c as u32
            ))
            .hint("remove it: such characters make one name look like another"));
        }
    }
    Ok(())
}

/// Longer free text (review notes, reasons): the same rules as a note.
pub fn long_text(field: &str, s: &str) -> Result<String, UserError> {
    note(field, s)
}

fn control_free(field: &str, s: &str) -> Result<(), UserError> {
    if let Some(c) = s.chars().find(|&c| c.is_control() && c != '\n' && c != '\t') {
        return Err(UserError::new(format!("{field} holds the control character U+{:04X}", c as u32))
            .hint("remove it; only newlines and tabs are allowed"));
    }
    Ok(())
}

/// A blocker as `CATEGORY:TEXT`; the category is a free lowercase word.
pub fn blocker(field: &str, s: &str) -> Result<(String, String), UserError> {
    let Some((cat, text)) = s.split_once(':') else {
        return Err(UserError::new(format!("{field} {} is not CATEGORY:TEXT", show(s)))
            .hint("e.g. --blocker 'power:transformer lead time is 40 weeks'"));
    };
    let cat = category(field, cat.trim())?;
    let text = blocker_text(field, text)?;
    Ok((cat, text))
}

/// A blocker's text: one line (so several blockers can share a CSV cell, one
/// per line), non-blank, at most 1,000 characters.
pub fn blocker_text(field: &str, s: &str) -> Result<String, UserError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(UserError::new(format!("{field} has an empty text")).hint("say what holds the work"));
    }
    if t.contains('\n') || t.contains('\r') {
        return Err(UserError::new(format!("{field} {} must be one line", show(t))));
    }
    if t.chars().count() > 1000 {
        return Err(UserError::new(format!("{field} is longer than 1000 characters")));
    }
    control_free(field, t)?;
    Ok(t.to_string())
}

/// A blocker category: one lowercase word (letters, digits, `-`).
pub fn category(field: &str, s: &str) -> Result<String, UserError> {
    const EXAMPLE: &str = "lowercase letters, digits and '-', e.g. power or chips";
    let given = s.trim();
    if given.is_empty() {
        return Err(UserError::new(format!("{field} has no category before the ':'"))
            .hint(format!("begin with a category of {EXAMPLE}")));
    }
    let lower = given.to_lowercase();
    match identifier(field, &lower, EXAMPLE) {
        Ok(c) => Ok(c.to_string()),
        // Named as typed: "Po wer", not the lowercase form nobody typed.
        Err(e) => Err(UserError { message: format!("{field} {} is not a valid name", show(given)), ..e }),
    }
}

/// A review kind (`weekly`, `skip-level`, `deep-dive`); a bad value is a
/// data error (exit 1) naming the choices.
pub fn review_kind(field: &str, s: &str) -> Result<crate::core::model::ReviewKind, UserError> {
    s.parse().map_err(|e| UserError::new(format!("{field} {e}")))
}

/// Priority 1 (highest) to 5.
pub fn priority(field: &str, p: i64) -> Result<u8, UserError> {
    if (1..=5).contains(&p) {
        Ok(p as u8)
    } else {
        Err(UserError::new(format!("{field} {p} is out of range")).hint("use 1 (highest) to 5 (lowest)"))
    }
}

/// A tolerance: finite and not negative.
pub fn tolerance(field: &str, s: &str) -> Result<f64, UserError> {
    let v = number(field, s)?;
    if v < 0.0 {
        return Err(UserError::new(format!("{field} {} is negative", show(s)))
            .hint("a tolerance is a distance from the target: 0 or more"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_strict_and_relative() {
        let today = d("2026-11-29"); // a Sunday
        assert_eq!(date("date", "2026-11-02", today).unwrap(), d("2026-11-02"));
        for bad in ["2026-02-30", " 2026-01-01", "2026/01/01", "2026-1-01", "", "2165-01-01", "1899-12-31"] {
            assert!(date("date", bad, today).is_err(), "{bad}");
        }
        assert_eq!(date("date", "today", today).unwrap(), today);
        assert_eq!(date("date", "yesterday", today).unwrap(), d("2026-11-28"));
        assert_eq!(date("date", "last-week", today).unwrap(), d("2026-11-22"));
        assert_eq!(date("date", "monday", today).unwrap(), d("2026-11-23"));
        assert_eq!(date("date", "sunday", today).unwrap(), today);
        assert_eq!(date("date", "2026-W48", today).unwrap(), d("2026-11-23"));
        assert!(date("date", "2026-W54", today).is_err());
        assert!(future_date("due", "2027-03-01", today).is_ok());
    }

    #[test]
    fn numbers_finite_and_plain() {
        assert_eq!(number("value", "42").unwrap(), 42.0);
        assert_eq!(number("value", "-3.5").unwrap(), -3.5);
        assert_eq!(number("value", "1.2e6").unwrap(), 1.2e6);
        assert_eq!(number("value", "-0").unwrap().to_bits(), 0.0f64.to_bits());
        for bad in ["NaN", "inf", "1e999", "0x10", "1,5", "", " 1", "1 ", "--1", "e"] {
            assert!(number("value", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn notes_and_names() {
        assert!(note("note", "  ").is_err());
        // Characters drawn as nothing make an empty note too; with a visible one it stands.
        for blank in ["\u{200B}", "\u{FEFF}", "\u{00AD}", "\u{3164}", " \u{200D}\u{2060} ", "\u{2800}"] {
            let e = entered("--note", blank).unwrap_err();
            assert!(e.to_string().contains("--note is empty"), "{blank:?}: {e}");
            // A file keeps what was stored before the rule: an export imports back.
            assert!(note("note", blank).is_ok(), "{blank:?}");
        }
        assert_eq!(entered("--note", "\u{FEFF}ok").unwrap(), "\u{FEFF}ok");
        assert!(entered("--reason", "\u{200B}")
            .unwrap_err()
            .hints
            .iter()
            .any(|h| h.contains("--reason needs a few words")));
        assert!(note("note", &"x".repeat(10_001)).is_err());
        assert!(note("note", &"x".repeat(10_000)).is_ok());
        assert!(note("note", "bell\u{7}").is_err());
        assert_eq!(note("note", "a\r\nb\tc").unwrap(), "a\nb\tc");
        assert!(slug("project", "Power").is_err());
        assert!(slug("project", "a/b").is_err());
        assert!(slug("project", "x'; DROP TABLE point;--").is_err());
        assert!(slug("project", "pоwer").is_err()); // Cyrillic o
        assert!(slug("project", "orbital-compute").is_ok());
        assert_eq!(blocker("blocker", "Power: grid permit").unwrap(), ("power".into(), "grid permit".into()));
        assert!(blocker("blocker", "no colon").is_err());
        assert!(priority("priority", 6).is_err());
        assert!(tolerance("tolerance", "-1").is_err());
    }
}
