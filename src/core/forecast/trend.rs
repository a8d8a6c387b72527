//! Distribution-free trend tests: Mann–Kendall (is there a monotone trend at all?)
//! and the Theil–Sen slope (how fast, robust to outliers).
//!
//! The forecast asks these before any curve is fitted, so that a noisy series is never
//! called "converging" just because a least-squares line happens to tilt the right way.

/// Result of the Mann–Kendall test on a time-ordered series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// Σ sign(y_j − y_i) over all pairs i < j.
    pub s: i64,
    /// Variance of S under "no trend", corrected for tied values.
    pub var_s: f64,
    /// Normal score with the usual continuity correction (0 when S = 0).
    pub z: f64,
    /// Two-sided p-value of Z.
    pub p_value: f64,
}

/// Mann–Kendall test of `y` (already in time order, one value per date).
///
/// Ties are exact equality: the values are combined readings, and a reading repeated
/// week after week is exactly the "no movement" the tie correction is for.
pub fn mann_kendall(y: &[f64]) -> MannKendall {
    let n = y.len();
    let mut s: i64 = 0;
    for i in 0..n {
        for j in (i + 1)..n {
            // partial_cmp is total here because callers pass finite values only;
            // treat anything incomparable as a tie rather than panic.
            s += match y[j].partial_cmp(&y[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let nf = n as f64;
    let mut var_s = nf * (nf - 1.0) * (2.0 * nf + 5.0);
    let mut sorted: Vec<f64> = y.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i + 1;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        if t > 1.0 {
            var_s -= t * (t - 1.0) * (2.0 * t + 5.0);
        }
        i = j;
    }
    var_s /= 18.0;
    let z = if var_s <= 0.0 || s == 0 {
        0.0
    } else if s > 0 {
        (s as f64 - 1.0) / var_s.sqrt()
    } else {
        (s as f64 + 1.0) / var_s.sqrt()
    };
    let p_value = (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0);
    MannKendall { s, var_s, z, p_value }
}

/// Theil–Sen slope: the median of all pairwise slopes (y_j − y_i)/(t_j − t_i).
///
/// Pairs with equal times are skipped. `None` when no pair has distinct times.
pub fn theil_sen(t: &[f64], y: &[f64]) -> Option<f64> {
    let n = t.len().min(y.len());
    let mut slopes = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in (i + 1)..n {
            let dt = t[j] - t[i];
            if dt != 0.0 {
                let s = (y[j] - y[i]) / dt;
                if s.is_finite() {
                    slopes.push(s);
                }
            }
        }
    }
    median_in_place(&mut slopes)
}

/// Median of a slice (reorders it); the mean of the two middle values for even length.
pub fn median_in_place(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let cmp = |a: &f64, b: &f64| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal);
    let m = v.len() / 2;
    let odd = v.len() % 2 == 1;
    let (lower, hi, _) = v.select_nth_unstable_by(m, cmp);
    let hi = *hi;
    if odd {
        Some(hi)
    } else {
        let lo = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Halve before adding so two huge values cannot overflow.
        Some(lo / 2.0 + hi / 2.0)
    }
}

/// Standard normal CDF.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, |rel. error| < 1.2e-7):
/// ample for p-values, and it keeps the crate free of a maths dependency.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_known_points() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.644_854) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn median_even_odd() {
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median_in_place(&mut []), None);
    }
}
