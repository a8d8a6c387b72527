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
                Clock { today: Local::now().date_naive(), now }.check("the system clock")
            }
        }
    }

    fn parse(s: &str) -> Result<Clock, String> {
        let clock = if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Clock::fixed(d)
        } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            Clock { today: t.date_naive(), now: t.with_timezone(&Utc) }
        } else {
            return Err(format!("{NOW_VAR}='{s}' is not a date; use YYYY-MM-DD or an RFC 3339 timestamp"));
        };
        clock.check(&format!("{NOW_VAR}='{s}'"))
    }

    /// The earliest and latest "today" limfac works with: typed dates start
    /// in 1970, and every date computed from today (deadlines up to 20 years
    /// ahead, forecasts up to 10 years past them) must stay a four-digit year.
    pub fn bounds() -> (NaiveDate, NaiveDate) {
        (crate::core::validate::min_date(), NaiveDate::from_ymd_opt(9899, 12, 31).expect("valid"))
    }

    /// Refuses a clock outside [`Clock::bounds`], naming where it came from.
    fn check(self, what: &str) -> Result<Clock, String> {
        let (first, last) = Clock::bounds();
        if self.today < first || self.today > last {
            return Err(format!("{what} is out of range; use a date from {first} to {last}"));
        }
        Ok(self)
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
