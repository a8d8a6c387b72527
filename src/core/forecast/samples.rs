//! Completion days of simulated paths, four bytes each.
//!
//! A forecast keeps one completion day per simulated path (600 by default) so that the
//! limiting-factor analysis can pair the paths of different metrics; a weekly report over
//! 20,000 metrics holds two dates' worth, 24 million of them. `Option<i32>` takes eight bytes;
//! here "not within the horizon" is a reserved value instead, which no day can take (days are
//! bounded by the horizon), so that each path takes four.

/// Completion day (days after as-of, negative when already done) per simulated path, or not
/// within the horizon.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Samples(Vec<i32>);

/// How a path that does not finish within the horizon is stored: later than any day, so that
/// the latest of several paths' days is their plain maximum.
pub const NOT_DONE: i32 = i32::MAX;

impl Samples {
    /// `n` paths, each done on `day` (or none, not within the horizon).
    pub fn repeat(day: Option<i32>, n: usize) -> Samples {
        Samples(vec![store(day); n])
    }

    /// No paths yet, room for `n`.
    pub fn with_capacity(n: usize) -> Samples {
        Samples(Vec::with_capacity(n))
    }

    /// Adds a path's completion day (None: not within the horizon).
    pub fn push(&mut self, day: Option<i32>) {
        self.0.push(store(day));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Path `i`'s completion day; None when it does not finish within the horizon.
    pub fn get(&self, i: usize) -> Option<i32> {
        load(self.0[i])
    }

    /// Each path's completion day, in path order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<i32>> + '_ {
        self.0.iter().map(|&d| load(d))
    }

    /// The days as stored: [`NOT_DONE`] for a path that does not finish within the horizon.
    pub fn days(&self) -> &[i32] {
        &self.0
    }
}

impl FromIterator<Option<i32>> for Samples {
    fn from_iter<I: IntoIterator<Item = Option<i32>>>(iter: I) -> Samples {
        Samples(iter.into_iter().map(store).collect())
    }
}

fn store(day: Option<i32>) -> i32 {
    // A day never reaches NOT_DONE (it is bounded by the horizon); clamped all the same, so
    // that a stored day always reads back as a day.
    day.map_or(NOT_DONE, |d| d.min(NOT_DONE - 1))
}

fn load(d: i32) -> Option<i32> {
    (d != NOT_DONE).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_not_done_round_trip() {
        let days = [Some(-7), None, Some(0), Some(1095), None, Some(i32::MIN)];
        let s: Samples = days.iter().copied().collect();
        assert_eq!(s.len(), 6);
        assert_eq!(s.iter().collect::<Vec<_>>(), days);
        assert_eq!(s.get(1), None);
        assert_eq!(s.get(3), Some(1095));
        assert_eq!(s.days()[4], NOT_DONE);
        assert_eq!(Samples::repeat(Some(-3), 4).iter().collect::<Vec<_>>(), vec![Some(-3); 4]);
        assert!(Samples::default().is_empty());
        let mut pushed = Samples::with_capacity(days.len());
        for d in days {
            pushed.push(d);
        }
        assert_eq!(pushed, s);
    }

    #[test]
    fn the_latest_day_is_the_plain_maximum() {
        let s: Samples = [Some(12), None, Some(40)].into_iter().collect();
        assert_eq!(s.days().iter().copied().max(), Some(NOT_DONE));
        let t: Samples = [Some(12), Some(40)].into_iter().collect();
        assert_eq!(t.days().iter().copied().max(), Some(40));
    }
}
