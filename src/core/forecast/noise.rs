//! Noise models and the predictive (prequential) score that weighs the candidate dynamics.
//!
//! Every candidate is a *basis* `b(t)` (a line `t`, an exponential approach `exp(−k t)` or an
//! S-curve `1/(1 + exp(k (t − t0)))`, its nonlinear rate and midpoint FIXED on a grid) with two
//! free linear coefficients, read through two kinds of noise:
//!
//! ```text
//!   y_i = β₀ + β₁·b(t_i) + x_i + ε_i      ε_i ~ N(0, σ²)             (measurement noise)
//!   x_1 = 0,  x_{i+1} = x_i + η_i          η_i ~ N(0, q·σ²·Δt_i)      (process noise: a random walk)
//! ```
//!
//! For a given variance ratio `q` a scalar Kalman filter whitens the readings and both basis
//! columns at once (its gains depend only on `q` and the dates, so they are shared by every
//! basis), which makes the model generalised least squares in β. With a flat prior on β and
//! the scale prior 1/σ² on σ², both integrate out in closed form, and
//!
//! ```text
//!   score = ln p(y_{m0+1}, …, y_n | y_1, …, y_{m0})
//!         = Σ_{i > m0} ln p(y_i | y_1, …, y_{i−1})           (chain rule)
//! ```
//!
//! is the *prequential* log score: how well the model, refitted on each prefix, predicted
//! every next reading one step ahead (Student-t predictives). It rewards a curvature only
//! when the curvature has predicted well, and, unlike AICc, it does not have to count
//! parameters: a family that spreads its prior over many rates (or a noise split that is too
//! flexible) pays through worse early predictions. `m0 = 3` readings (two coefficients and one
//! degree of freedom for σ²) are the burn-in every model shares, which makes the scores of
//! different bases comparable (a partial Bayes factor).

// Small dense linear algebra reads best with explicit indices, as in the textbook formulas.
#![allow(clippy::needless_range_loop)]

use super::models::Curve;

/// Ratios of process to measurement variance (per week) considered; 0 is "pure measurement
/// noise" and the largest values are "pure random walk".
pub const Q_GRID: [f64; 7] = [0.0, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e4];

/// Readings every model must see before its predictions are scored.
pub const BURN_IN: usize = 3;

/// The Kalman gains for one q on given dates (shared by every basis).
pub struct Gains {
    pub q: f64,
    k: Vec<f64>,
    inv_sf: Vec<f64>,
    /// Σ ln F over the burn-in and over all readings.
    ln_f_m0: f64,
    ln_f_n: f64,
    /// Filtered variance of x_n (unit σ²).
    p_n: f64,
}

impl Gains {
    pub fn new(t: &[f64], q: f64) -> Gains {
        let n = t.len();
        let mut k = Vec::with_capacity(n);
        let mut inv_sf = Vec::with_capacity(n);
        let (mut ln_f_m0, mut ln_f_n) = (0.0, 0.0);
        let mut p_filt = 0.0;
        for i in 0..n {
            let pp = if i > 0 { p_filt + q * (t[i] - t[i - 1]).max(0.0) } else { 0.0 };
            let f = pp + 1.0;
            k.push(pp / f);
            inv_sf.push(1.0 / f.sqrt());
            let lf = f.ln();
            ln_f_n += lf;
            if i < BURN_IN {
                ln_f_m0 += lf;
            }
            p_filt = pp / f;
        }
        Gains { q, k, inv_sf, ln_f_m0, ln_f_n, p_n: p_filt }
    }

    /// Whitens `col` into `out`; returns the filtered present value of the wandering part.
    pub fn whiten(&self, col: &[f64], out: &mut Vec<f64>) -> f64 {
        out.clear();
        let mut x = 0.0;
        for ((c, k), s) in col.iter().zip(&self.k).zip(&self.inv_sf) {
            let v = c - x;
            out.push(v * s);
            x += k * v;
        }
        x
    }
}

/// Everything the simulator needs for one (basis, q) model. Variances are in units of σ².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// The basis b(t): a curve with level 0 and amplitude 1.
    pub basis: Curve,
    pub q: f64,
    /// GLS estimate of (β₀, β₁).
    pub beta: [f64; 2],
    /// Lower Cholesky factor of (X̃ᵀX̃)⁻¹, the unit-σ² covariance of β.
    pub chol: [[f64; 2]; 2],
    /// Residual sum of squares (whitened) and its degrees of freedom: σ² | y ~ rss / χ²(dof).
    pub rss: f64,
    pub dof: f64,
    /// Filtered x_n: E[x_n | β] = a_r − a_j·β, variance p_n·σ².
    pub a_r: f64,
    pub a_j: [f64; 2],
    pub p_n: f64,
    /// Prequential log score (unnormalised, comparable across bases and q on one series).
    pub score: f64,
}

impl Component {
    /// The curve at the estimate β.
    pub fn mean_curve(&self) -> Curve {
        let mut c = self.basis;
        c.params[0] = self.beta[0];
        c.params[1] = self.beta[1];
        c
    }
}

/// Per-q whitened readings and constant column, shared by every basis.
pub struct Shared {
    pub gains: Gains,
    yw: Vec<f64>,
    ow: Vec<f64>,
    a_y: f64,
    a_o: f64,
}

impl Shared {
    pub fn new(t: &[f64], y: &[f64], q: f64) -> Shared {
        let gains = Gains::new(t, q);
        let (mut yw, mut ow) = (Vec::with_capacity(y.len()), Vec::with_capacity(y.len()));
        let a_y = gains.whiten(y, &mut yw);
        let a_o = gains.whiten(&vec![1.0; y.len()], &mut ow);
        Shared { gains, yw, ow, a_y, a_o }
    }
}

/// Buffers reused across models.
#[derive(Default)]
pub struct Scratch {
    bw: Vec<f64>,
}

/// Solves the 2×2 GLS problem on the first `m` whitened rows: (β, rss, ln det A, A⁻¹).
#[allow(clippy::type_complexity)]
fn gls2(ow: &[f64], bw: &[f64], yw: &[f64], m: usize) -> Option<([f64; 2], f64, f64, [[f64; 2]; 2])> {
    let (mut soo, mut sob, mut sbb, mut soy, mut sby) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..m {
        soo += ow[i] * ow[i];
        sob += ow[i] * bw[i];
        sbb += bw[i] * bw[i];
        soy += ow[i] * yw[i];
        sby += bw[i] * yw[i];
    }
    let det = soo * sbb - sob * sob;
    // Reject (numerically) collinear columns: the basis is then a constant over these dates.
    if !det.is_finite() || det <= 1e-12 * soo * sbb {
        return None;
    }
    let inv = [[sbb / det, -sob / det], [-sob / det, soo / det]];
    let beta = [inv[0][0] * soy + inv[0][1] * sby, inv[1][0] * soy + inv[1][1] * sby];
    let mut rss = 0.0;
    for i in 0..m {
        let e = yw[i] - beta[0] * ow[i] - beta[1] * bw[i];
        rss += e * e;
    }
    Some((beta, rss, det.ln(), inv))
}

/// Fits one basis under one noise split. `bcol` is b(t_i); `floor2` a lower bound for σ² so
/// that a noiseless series gives a sharp, finite answer instead of a division by 0.
pub fn fit_component(sh: &Shared, basis: Curve, bcol: &[f64], floor2: f64, sc: &mut Scratch) -> Option<Component> {
    let n = bcol.len();
    if n <= BURN_IN {
        return None;
    }
    let a_b = sh.gains.whiten(bcol, &mut sc.bw);
    let bw = &sc.bw;
    let (beta, rss_n, ld_n, inv) = gls2(&sh.ow, bw, &sh.yw, n)?;
    let dof_n = (n - 2) as f64;
    let rss_n = rss_n.max(floor2 * dof_n);
    let (_, rss_m, ld_m, _) = gls2(&sh.ow, bw, &sh.yw, BURN_IN)?;
    let dof_m = (BURN_IN - 2) as f64;
    let rss_m = rss_m.max(floor2 * dof_m);
    // ln p(y_{m0+1..n} | y_{1..m0}) = Σ one-step-ahead log predictive densities, in closed
    // form (a ratio of two marginal likelihoods; direct residual sums keep it exact for
    // noiseless readings). The Γ and π factors depend on n and m0 only, the same for every
    // model, and drop out when the scores are normalised.
    let score = -0.5 * (sh.gains.ln_f_n - sh.gains.ln_f_m0) - 0.5 * (ld_n - ld_m) - 0.5 * dof_n * rss_n.ln()
        + 0.5 * dof_m * rss_m.ln();
    let l00 = inv[0][0].sqrt();
    let l10 = inv[1][0] / l00;
    let l11 = (inv[1][1] - l10 * l10).max(0.0).sqrt();
    let vals = [score, rss_n, beta[0], beta[1], l00, l10, l11, sh.a_y, sh.a_o, a_b];
    if vals.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(Component {
        basis,
        q: sh.gains.q,
        beta,
        chol: [[l00, 0.0], [l10, l11]],
        rss: rss_n,
        dof: dof_n,
        a_r: sh.a_y,
        a_j: [sh.a_o, a_b],
        p_n: sh.gains.p_n,
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::forecast::models::Shape;

    fn line_basis() -> Curve {
        Curve { shape: Shape::Linear, params: [0.0, 1.0, 0.0, 0.0] }
    }

    #[test]
    fn q_zero_is_ordinary_least_squares() {
        let t = [-4.0, -3.0, -2.0, -1.0, 0.0];
        let y = [5.1, 3.9, 3.2, 1.8, 1.1];
        let sh = Shared::new(&t, &y, 0.0);
        let c = fit_component(&sh, line_basis(), &t, 1e-30, &mut Scratch::default()).unwrap();
        let fit = crate::core::forecast::models::fit_linear(&t, &y).unwrap();
        assert!((c.beta[0] - fit.curve.params[0]).abs() < 1e-9 && (c.beta[1] - fit.curve.params[1]).abs() < 1e-9);
        assert!((c.rss - fit.rss).abs() < 1e-9);
        assert_eq!(c.p_n, 0.0);
    }

    #[test]
    fn pure_random_walk_pins_the_level_to_the_last_reading() {
        let t = [-4.0, -3.0, -2.0, -1.0, 0.0];
        let y = [5.0, 4.5, 4.6, 3.0, 2.9];
        let sh = Shared::new(&t, &y, 1e4);
        let c = fit_component(&sh, line_basis(), &t, 1e-30, &mut Scratch::default()).unwrap();
        let level = c.beta[0] + c.a_r - c.a_j[0] * c.beta[0] - c.a_j[1] * c.beta[1];
        assert!((level - 2.9).abs() < 1e-2, "{level}");
    }

    #[test]
    fn score_prefers_the_basis_that_predicts() {
        let t: Vec<f64> = (0..12).map(|i| i as f64 - 11.0).collect();
        let y: Vec<f64> = t.iter().map(|ti| 1.0 + 3.0 * (-0.3 * ti).exp() + 0.01 * (ti * 7.1).sin()).collect();
        let sh = Shared::new(&t, &y, 0.0);
        let eb = Curve { shape: Shape::Exponential, params: [0.0, 1.0, 0.3f64.ln(), 0.0] };
        let bcol: Vec<f64> = t.iter().map(|ti| eb.eval(*ti)).collect();
        let e = fit_component(&sh, eb, &bcol, 1e-30, &mut Scratch::default()).unwrap();
        let l = fit_component(&sh, line_basis(), &t, 1e-30, &mut Scratch::default()).unwrap();
        assert!(e.score > l.score + 10.0, "{} vs {}", e.score, l.score);
    }
}
