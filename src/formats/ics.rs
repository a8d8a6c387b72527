//! RFC 5545 iCalendar export of the active deadlines: one all-day event per
//! deadline, so that they sit in the calendars where people plan.
//!
//! Each event's UID is derived from its scope only, so exporting again after
//! a deadline moved updates the same event in a calendar app instead of
//! adding a second one. The text is built by hand: the format is small, and
//! the details that matter (CRLF, escaping, folding at 75 octets on character
//! boundaries) are easier to get right and test here than to configure.

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::core::deadlines::ScopeHistory;

/// One all-day event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stable identity across exports; see [`uid_for`].
    pub uid: String,
    /// The day of the event (the due date).
    pub date: NaiveDate,
    pub summary: String,
    pub description: String,
    /// How many times the event has been revised (the number of changes of
    /// the deadline after the first). RFC 5545 clients that honour SEQUENCE
    /// only accept an update whose sequence is not lower than the one they
    /// hold, so it must never go down: it counts kept history.
    pub sequence: u32,
}

/// The UID of a scope's deadline event: `deadline-<scope>-<hash>@limfac`.
///
/// It depends on the scope only (not on the date, the export time or the
/// database row), so every export names the same event. The readable part
/// replaces `/` and anything outside `[A-Za-z0-9-_]` with `.` and `_`; the
/// 64-bit FNV-1a hash of the exact scope keeps scopes that read alike apart.
pub fn uid_for(scope: &str) -> String {
    let readable: String = scope
        .chars()
        .map(|c| match c {
            '/' => '.',
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => c,
            _ => '_',
        })
        .collect();
    format!("deadline-{readable}-{:016x}@limfac", fnv1a64(scope.as_bytes()))
}

/// 64-bit FNV-1a: tiny, and fixed forever (unlike `std`'s hasher, which may
/// change between Rust releases and would break UID stability).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The event for a scope's active deadline, or `None` for an empty history.
///
/// `chance_now` is today's probability of meeting it, when the forecast has
/// one; it goes in the description, so a re-export refreshes it.
pub fn event_for(history: &ScopeHistory, chance_now: Option<f64>) -> Option<Event> {
    let last = history.changes.last()?;
    let d = &last.deadline;
    let mut lines = vec![format!("Deadline for {} set on {}.", history.scope, d.set_on)];
    if let Some(p) = d.probability {
        lines.push(format!("Chance of being met when set: {}%.", percent(p)));
    }
    if let Some(p) = chance_now {
        lines.push(format!("Chance of being met now: {}%.", percent(p)));
    }
    if let Some(reason) = d.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        lines.push(format!("Reason: {reason}"));
    }
    if history.slips > 0 {
        let times = if history.slips == 1 { "once".to_string() } else { format!("{} times", history.slips) };
        let days = if history.slip_days == 1 { "1 day".to_string() } else { format!("{} days", history.slip_days) };
        lines.push(format!("Slipped {times}, {days} in all."));
    }
    Some(Event {
        uid: uid_for(&history.scope),
        date: d.due,
        summary: format!("Deadline: {}", history.scope),
        description: lines.join("\n"),
        sequence: u32::try_from(history.changes.len() - 1).unwrap_or(u32::MAX),
    })
}

fn percent(p: f64) -> i64 {
    (p.clamp(0.0, 1.0) * 100.0).round() as i64
}

/// The whole calendar, with CRLF line endings.
///
/// `stamp` is the DTSTAMP of every event (the export time, in UTC). Events
/// are all-day: DTSTART is the date and DTEND the next day (exclusive, as
/// RFC 5545 §3.6.1 has it), and they are TRANSPARENT so that a deadline does
/// not show the whole day as busy.
pub fn calendar(events: &[Event], stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |l: &str| fold_into(&mut out, l);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//limfac//limfac//EN");
    line("CALSCALE:GREGORIAN");
    line("X-WR-CALNAME:limfac deadlines");
    let dtstamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for e in events {
        // The day after the last representable date cannot be written; such a
        // date is refused at the door long before, so reuse the start date.
        let end = e.date.checked_add_days(Days::new(1)).unwrap_or(e.date);
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", escape_text(&e.uid)));
        line(&format!("DTSTAMP:{dtstamp}"));
        line(&format!("DTSTART;VALUE=DATE:{}", e.date.format("%Y%m%d")));
        line(&format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
        line(&format!("SEQUENCE:{}", e.sequence));
        line(&format!("SUMMARY:{}", escape_text(&e.summary)));
        line(&format!("DESCRIPTION:{}", escape_text(&e.description)));
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma
/// get a backslash, a line break becomes `\n` (CRLF and lone CR included).
/// Other control characters are not allowed in TEXT and are dropped; tab is
/// allowed and kept.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The longest a content line may be, in octets, without its CRLF.
const MAX_OCTETS: usize = 75;

/// Appends one content line, folded so that no physical line exceeds 75
/// octets (RFC 5545 §3.1): a continuation starts with a single space, which
/// counts towards its 75, and a break never falls inside a UTF-8 character.
fn fold_into(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > MAX_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}
