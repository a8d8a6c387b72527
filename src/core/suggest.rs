//! "Did you mean …?" for unknown names.

/// The existing name closest to `wanted`, if any is close enough to be a
/// plausible typo (so that a hint never points somewhere absurd).
pub fn closest<'a, I>(wanted: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted_l = wanted.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&wanted_l, &c.to_lowercase());
        // Prefixes are a common way to be close ("ali" for "alice").
        let score = if c.to_lowercase().starts_with(&wanted_l) || wanted_l.starts_with(&c.to_lowercase()) {
            score.max(0.85)
        } else {
            score
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.7).map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_refuses_nonsense() {
        let names = ["alice", "bob", "carol"];
        assert_eq!(closest("alcie", names), Some("alice".into()));
        assert_eq!(closest("ali", names), Some("alice".into()));
        assert_eq!(closest("zzzzzz", names), None);
        assert_eq!(closest("x", Vec::<&str>::new()), None);
    }
}
