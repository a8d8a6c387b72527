//! The injected clock.
//!
//! Everything that depends on "today" asks a [`Clock`], so tests can pin the
//! date with `LIMFAC_NOW` (an ISO date or an RFC 3339 timestamp) instead of
//! racing the real calendar.

use chrono::{DateTime, Local, NaiveDate, Utc};

/// The environment variable that pins the clock.
pub const NOW_VAR: &str = "LIMFAC_NOW";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The calendar date the user is living in.
    pub today: NaiveDate,
    /// The instant, for `created_at` stamps.
    pub now: DateTime<Utc>,
}

impl Clock {
    /// A clock pinned to a date (midnight UTC).
    pub fn fixed(today: NaiveDate) -> Clock {
        let now = today.and_hms_opt(12, 0, 0).expect("noon exists").and_utc();
        Clock { today, now }
    }

    /// The real clock, unless `LIMFAC_NOW` pins it.
    pub fn from_env() -> Result<Clock, String> {
        match std::env::var(NOW_VAR) {
            Ok(s) if !s.trim().is_empty() => Clock::parse(s.trim()),
            _ => {
                let now = Utc::now();
                Ok(Clock { today: Local::now().date_naive(), now })
            }
        }
    }

    fn parse(s: &str) -> Result<Clock, String> {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Clock::fixed(d));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            let now = t.with_timezone(&Utc);
            return Ok(Clock { today: t.date_naive(), now });
        }
        Err(format!("{NOW_VAR}='{s}' is not a date; use YYYY-MM-DD or an RFC 3339 timestamp"))
    }

    /// The RFC 3339 stamp stored in `created_at` columns.
    pub fn stamp(&self) -> String {
        self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_timestamps() {
        let c = Clock::parse("2026-03-04").unwrap();
        assert_eq!(c.today, NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
        let c = Clock::parse("2026-03-04T23:30:00+02:00").unwrap();
        assert_eq!(c.today, NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
        assert!(Clock::parse("yesterday-ish").is_err());
    }
}
