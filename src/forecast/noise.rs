//! Splitting the scatter around a curve into measurement noise and process noise.
//!
//! Model, for one fitted curve f(t; θ̂) and its residuals r_i = y_i − f(t_i; θ̂):
//!
//! ```text
//!   y_i = f(t_i; θ̂ + δ) + x_i + ε_i        ε_i ~ N(0, σ²)             (measurement noise)
//!   x_1 = 0,  x_{i+1} = x_i + η_i          η_i ~ N(0, q·σ²·Δt_i)      (process noise: a random walk)
//! ```
//!
//! linearised in δ (the correction to the least-squares parameters). For a given ratio `q`
//! a scalar Kalman filter whitens the residuals and every column of the Jacobian at once
//! (the "augmented" filter), which turns the problem into generalised least squares for δ.
//! From one pass we get the exact Gaussian likelihood, the GLS parameter covariance (honest
//! under autocorrelated errors, unlike the OLS formula), and the filtered present value of the
//! wandering component — the part a smooth curve cannot know about but the last readings do.
//!
//! `q` is not optimised but integrated over a grid (weighted by its restricted likelihood):
//! with a handful of points the data cannot tell noise from wander, and averaging over both
//! explanations is what keeps the forecast from being overconfident.

// Small dense linear algebra reads best with explicit indices, as in the textbook formulas.
#![allow(clippy::needless_range_loop)]

use super::models::CurveFit;

/// Ratios of process to measurement variance (per week) considered; 0 is "pure measurement
/// noise" and the largest values are "pure random walk".
pub const Q_GRID: [f64; 13] = [0.0, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1e3, 1e4];

/// Everything the simulator needs for one (curve, q) pair. Variances are in units of σ².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseFit {
    pub q: f64,
    /// GLS correction to the least-squares parameters.
    pub delta: [f64; 4],
    /// Lower Cholesky factor of (X̃ᵀX̃)⁻¹, the unit-σ² covariance of δ.
    pub chol: [[f64; 4]; 4],
    /// Unbiased σ² estimate (weighted RSS / (n − p)).
    pub sigma2: f64,
    /// Maximum (profile) log-likelihood at this q, for model comparison.
    pub loglik: f64,
    /// Restricted log-likelihood, for weighing q within one model.
    pub reml: f64,
    /// Filtered x_n from the residuals, and its sensitivity to each parameter correction:
    /// E[x_n | δ] = a_r − Σ a_j δ_j.
    pub a_r: f64,
    pub a_j: [f64; 4],
    /// Filtered variance of x_n (unit σ²).
    pub p_n: f64,
}

/// Residuals and Jacobian rows of a fit, computed once and shared by every q.
pub struct Prepared {
    pub p: usize,
    pub resid: Vec<f64>,
    pub grad: Vec<[f64; 4]>,
}

pub fn prepare(fit: &CurveFit, t: &[f64], y: &[f64]) -> Prepared {
    Prepared {
        p: fit.curve.shape.n_params(),
        resid: t.iter().zip(y).map(|(ti, yi)| yi - fit.curve.eval(*ti)).collect(),
        grad: t.iter().map(|ti| fit.curve.grad(*ti)).collect(),
    }
}

/// Fit the noise model at one q. `t` in weeks, ascending; `floor2` a lower bound for σ² so
/// that a noiseless series gives a sharp, finite answer instead of a division by 0.
pub fn fit_noise(pre: &Prepared, t: &[f64], q: f64, floor2: f64) -> Option<NoiseFit> {
    let n = t.len();
    let p = pre.p;
    if n <= p || pre.resid.len() != n {
        return None;
    }
    // Whitened response and design, built by one filter pass shared by all columns.
    let mut yw = vec![0.0; n];
    let mut xw = vec![[0.0f64; 4]; n];
    // Σ ln F as the log of a running product (F >= 1, so it only grows): one logarithm
    // per ~hundreds of steps instead of one per step.
    let mut sum_ln_f = 0.0;
    let mut prod_f = 1.0f64;
    // Filter states: for the residual series and for each Jacobian column.
    let mut xr = 0.0;
    let mut xj = [0.0f64; 4];
    let mut pp = 0.0; // predicted variance of x_i
    let mut p_filt = 0.0;
    for i in 0..n {
        if i > 0 {
            pp = p_filt + q * (t[i] - t[i - 1]).max(0.0);
        }
        let f = pp + 1.0;
        let k = pp / f;
        let sf = f.sqrt();
        prod_f *= f;
        if prod_f > 1e250 {
            sum_ln_f += prod_f.ln();
            prod_f = 1.0;
        }
        let r = pre.resid[i];
        let g = pre.grad[i];
        let v = r - xr;
        yw[i] = v / sf;
        xr += k * v;
        for j in 0..p {
            let vj = g[j] - xj[j];
            xw[i][j] = vj / sf;
            xj[j] += k * vj;
        }
        p_filt = pp * (1.0 - k);
    }
    sum_ln_f += prod_f.ln();
    // Normal equations.
    let mut a = [[0.0f64; 4]; 4];
    let mut b = [0.0f64; 4];
    for i in 0..n {
        for j in 0..p {
            b[j] += xw[i][j] * yw[i];
            for l in 0..p {
                a[j][l] += xw[i][j] * xw[i][l];
            }
        }
    }
    let la = cholesky(&a, p)?;
    let delta = chol_solve(&la, p, &b);
    let mut rss = 0.0;
    let mut rss_cond = 0.0;
    for i in 0..n {
        let mut e = yw[i];
        for j in 0..p {
            e -= xw[i][j] * delta[j];
        }
        rss += e * e;
        if i > 0 {
            rss_cond += e * e;
        }
    }
    let nf = n as f64;
    let s2_unb = (rss / (nf - p as f64)).max(floor2);
    // Model comparison uses the likelihood conditional on the first reading. The full one is
    // degenerate: as q → ∞ the free intercept fits the first reading exactly while its
    // (measurement-only) variance → 0, so the likelihood grows without bound and would
    // reward "pure random walk" for every series. (F_1 = 1, so ln F_1 drops out by itself.)
    let s2_ml = (rss_cond / (nf - 1.0)).max(floor2);
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let loglik = -0.5 * (nf - 1.0) * (ln2pi + s2_ml.ln() + 1.0) - 0.5 * sum_ln_f;
    let log_det_a: f64 = (0..p).map(|j| 2.0 * la[j][j].ln()).sum();
    let reml = -0.5 * (nf - p as f64) * s2_unb.ln() - 0.5 * sum_ln_f - 0.5 * log_det_a;
    // Covariance (X̃ᵀX̃)⁻¹ and its Cholesky factor for sampling.
    let inv = chol_inverse(&la, p);
    let chol = cholesky(&inv, p)?;
    let vals = [loglik, reml, s2_unb, xr, p_filt];
    if vals.iter().any(|v| !v.is_finite()) || delta.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(NoiseFit { q, delta, chol, sigma2: s2_unb, loglik, reml, a_r: xr, a_j: xj, p_n: p_filt })
}

/// Cholesky factor of the leading p×p block; None if not (numerically) positive definite.
pub fn cholesky(a: &[[f64; 4]; 4], p: usize) -> Option<[[f64; 4]; 4]> {
    let mut l = [[0.0f64; 4]; 4];
    let scale = (0..p).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    if scale <= 0.0 || !scale.is_finite() {
        return None;
    }
    for i in 0..p {
        for j in 0..=i {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            if i == j {
                // Reject near-singular systems: the parameters are then not identified and
                // sampling them would produce wild curves.
                if s.is_nan() || s <= 1e-13 * a[i][i].abs().max(1e-300) {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

fn chol_solve(l: &[[f64; 4]; 4], p: usize, b: &[f64; 4]) -> [f64; 4] {
    let mut z = [0.0f64; 4];
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * z[k];
        }
        z[i] = s / l[i][i];
    }
    let mut x = [0.0f64; 4];
    for i in (0..p).rev() {
        let mut s = z[i];
        for k in (i + 1)..p {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    x
}

fn chol_inverse(l: &[[f64; 4]; 4], p: usize) -> [[f64; 4]; 4] {
    let mut inv = [[0.0f64; 4]; 4];
    for j in 0..p {
        let mut e = [0.0f64; 4];
        e[j] = 1.0;
        let col = chol_solve(l, p, &e);
        for i in 0..p {
            inv[i][j] = col[i];
        }
    }
    // Symmetrise against rounding.
    for i in 0..p {
        for j in 0..i {
            let m = 0.5 * (inv[i][j] + inv[j][i]);
            inv[i][j] = m;
            inv[j][i] = m;
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::models::{fit_linear, Curve, CurveFit, Shape};

    #[test]
    fn q_zero_is_ordinary_least_squares() {
        let t = [-4.0, -3.0, -2.0, -1.0, 0.0];
        let y = [5.1, 3.9, 3.2, 1.8, 1.1];
        let fit = fit_linear(&t, &y).unwrap();
        let nf = fit_noise(&prepare(&fit, &t, &y), &t, 0.0, 1e-30).unwrap();
        // OLS is already the GLS answer: no correction, and σ² = RSS/(n−2).
        assert!(nf.delta[0].abs() < 1e-9 && nf.delta[1].abs() < 1e-9);
        assert!((nf.sigma2 - fit.rss / 3.0).abs() < 1e-9);
        assert_eq!(nf.p_n, 0.0);
    }

    #[test]
    fn pure_random_walk_pins_the_level_to_the_last_reading() {
        let t = [-4.0, -3.0, -2.0, -1.0, 0.0];
        let y = [5.0, 4.5, 4.6, 3.0, 2.9];
        let fit = CurveFit { curve: Curve { shape: Shape::Linear, params: [3.0, -0.5, 0.0, 0.0] }, rss: 0.0 };
        let nf = fit_noise(&prepare(&fit, &t, &y), &t, 1e4, 1e-30).unwrap();
        let level = fit.curve.eval(0.0) + nf.delta[0] + nf.a_r - nf.a_j[0] * nf.delta[0] - nf.a_j[1] * nf.delta[1];
        assert!((level - 2.9).abs() < 1e-2, "{level}");
    }
}
